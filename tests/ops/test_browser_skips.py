"""A machine without Chromium: `make test` says how many browser journeys it skipped and how to run them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_skipped_journeys_are_counted_and_the_fix_is_given():
    env = {**os.environ, "TADRIB_E2E_CHROMIUM": "/nonexistent/chromium"}
    result = subprocess.run(  # noqa: S603  # nosec B603 (our own test runner, fixed arguments)
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/e2e/test_journeys.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:]
    lines = result.stdout.strip().splitlines()
    skipped = int(next(line for line in lines if line.endswith("s") and " skipped in " in line).split()[0])
    assert skipped > 0
    # The last words of the run: the count, the reason and the command.
    assert lines[-2] == (
        f"{skipped} browser journeys did not run (/nonexistent/chromium is missing: browser journeys need the "
        "system Chromium)."
    )
    assert lines[-1].startswith("To run them: sudo apt-get install -y --no-install-recommends chromium")


def test_setup_installs_chromium_as_root():
    script = (ROOT / "scripts" / "check-system.sh").read_text(encoding="utf-8")
    assert "missing+=(chromium)" in script
