#!/usr/bin/env bash
# Checks the system packages Tadrib needs (Debian/Ubuntu names). As root with apt-get, installs what
# is missing; otherwise prints the exact command and carries on.
#   python3-venv       : to create .venv
#   libpango-1.0-0     : WeasyPrint's text layout (with libpangoft2-1.0-0)
#   libharfbuzz-subset0: font subsetting in C; without it a certificate takes ~7x longer
#   fonts-hosny-amiri  : a font with Arabic glyphs, for correctly shaped Arabic in PDFs
#   poppler-utils      : pdftotext/pdffonts, used by tests to read the PDFs we make
#   chromium           : the browser the journeys in tests/e2e drive (Playwright never downloads one), and
#                        `make screenshots`
set -u
missing=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }

python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3-venv)
have_lib 'libpango-1.0.so.0' || missing+=(libpango-1.0-0)
have_lib 'libpangoft2-1.0.so.0' || missing+=(libpangoft2-1.0-0)
have_lib 'libharfbuzz-subset.so.0' || missing+=(libharfbuzz-subset0)
fc-list 2>/dev/null | grep -qi 'amiri' || missing+=(fonts-hosny-amiri)
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -x "${TADRIB_E2E_CHROMIUM:-/usr/bin/chromium}" ] || missing+=(chromium)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
cmd="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if ! $cmd >/tmp/tadrib-apt.log 2>&1; then
    apt-get update -q >/tmp/tadrib-apt.log 2>&1 || true
    $cmd >>/tmp/tadrib-apt.log 2>&1 || { echo "apt-get failed, see /tmp/tadrib-apt.log"; tail -5 /tmp/tadrib-apt.log; }
  fi
else
  echo "Missing system packages: ${missing[*]}"
  echo "Install them with:  sudo $cmd"
  echo "(continuing: PDFs may be slower or lack Arabic shaping, and make test skips the browser journeys, until then)"
fi
exit 0
