"""Bounded security scan of Tadrib on 127.0.0.1: wapiti and sqlmap, once per role.

    .venv/bin/python scan/run_scan.py [--quick] [--roles anonymous,learner,trainer,admin]

1. wapiti and sqlmap live in their own virtualenv, ``scan/.venv`` or ``$TADRIB_SCAN_VENV`` (created and filled
   here when missing or when the pins below change), so their pinned dependencies never meet the app's.
   ``--install-tools`` does only that (CI runs it in the background while the tests run).
2. A temporary instance (``flask db upgrade``, ``courses sync``, ``demo load``, random demo password, no rate
   limits, no two-factor) is loaded once; each role then gets a fresh copy of it, served by ``gunicorn -w 2`` on a
   free loopback port and always stopped (process group).
3. For each role (anonymous, learner, trainer, admin): sign in with urllib; wapiti crawls with the role's session
   cookie (a first run, crawl only); pick_targets chooses what the modules that send many requests attack (a few
   forms/URLs per route instead of the same form found 15 times); a second wapiti run attacks the stored crawl;
   sqlmap tries the parameterised GET URLs below that the role can open. Direct probes complete them: the flags of
   every Set-Cookie seen; what the app sends on HTTPS (Secure cookies, HSTS), which the allowances rest on; open
   redirects and CRLF through every ``next`` form field (/language, left out of the crawl, /account/login, the walk-in
   form); a replay of each form wapiti says lacks a CSRF token, without and with a forged token.
4. Verdict, exit status 1 when any of these holds:
   - a wapiti vulnerability (injection, XSS, path traversal, open redirect, command execution, CRLF, CSRF,
     headers, CSP, cookie flags...) that no entry of ALLOWED below covers;
   - a sqlmap run that confirmed an injection point, or that reached no verdict (timed out, error);
   - a crawl that reached fewer routes than the role can open (a login wall must not give a clean empty scan);
   - (full run) a chosen target that xss or sql did not attack (--max-attack-time reached first), or a wapiti
     process stopped at its hard time limit;
   - a failed sign-in, a cookie without HttpOnly/SameSite, an open redirect from the direct probes;
   - a server error (500, traceback in the gunicorn log) caused by the scan (FAIL_ON_SERVER_ERRORS).
   Exit status 2 when the tools cannot be installed (package registry down): the scan is a gate, never skipped.
5. A table per role, then every problem. Details in scan/results/: summary.json (per role: routes reached,
   injection targets and what each module attacked of them, seconds per module...), wapiti-<role>.json, the
   wapiti logs (wapiti-<role>-crawl.log, wapiti-<role>.log; each line starts with the seconds since the tool
   started), wapiti-session/<role>/ (wapiti's database of every request), sqlmap/<role>/, gunicorn-<role>.log.

The full run (``make scan``, what CI runs) takes about 21 minutes on 2 cores (46 on a machine shared with other
work), one role after another. ``--jobs 2`` scans two roles at a time, each on its own server and files: on a busy
2-core machine xss and sql then ran out of --max-attack-time (a failed run), so CI does not use it.
``--quick`` (``make scan SCAN_ARGS=--quick``) gives each attack module about 8 s, one target per route and sqlmap
2 URLs per role, reports but does not require the xss/sql coverage, and takes about 3 minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import math
import os
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCAN = ROOT / "scan"
RESULTS = SCAN / "results"
# TADRIB_SCAN_VENV puts it elsewhere: CI keeps it between runs on the same machine (.ci/run)
TOOLS_VENV = Path(os.environ.get("TADRIB_SCAN_VENV") or SCAN / ".venv").resolve()
TOOLS_BIN = TOOLS_VENV / "bin"
APP_BIN = ROOT / ".venv" / "bin"
APP_PYTHON = APP_BIN / "python" if (APP_BIN / "python").exists() else Path(sys.executable)

# Tool pins (Python 3.11 on these machines):
# - wapiti3 3.1.8 is the last release that runs on Python 3.11 (3.2.x and 3.3.x require Python >= 3.12).
# - wapiti3 3.1.8 asks for "sqlalchemy>=1.4.26" without an upper bound, so pip picks SQLAlchemy 2.1, which no
#   longer installs greenlet: wapiti then dies at start-up ("The SQLAlchemy asyncio module requires ... greenlet").
#   SQLAlchemy 2.0 with the asyncio extra (greenlet) works; the exact version keeps the scan reproducible.
# - sqlmap is pure Python and current releases run on 3.11; pinned so that a new release cannot change results.
TOOL_REQUIREMENTS = ["wapiti3==3.1.8", "SQLAlchemy[asyncio]==2.0.58", "sqlmap==1.10.10"]

#: hard limit on creating the tools' virtualenv and installing them (a cold install, building a few sdists, has
#: taken close to 10 minutes on a busy machine; CI overlaps it with the tests)
INSTALL_TIMEOUT = 900

SESSION_COOKIE = "tadrib_session"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')

#: role -> demo account (None: not signed in)
ROLES: dict[str, str | None] = {
    "anonymous": None,
    "learner": "magistrat1@tadrib.demo",
    "trainer": "formateur1@tadrib.demo",
    "admin": "admin@tadrib.demo",
}

# wapiti 3.1.8 modules. Left out: ssrf (needs wapiti's outside endpoint), ssl (plain http), upload (would post
# PHP files into the import form), timesql (sqlmap covers SQL injection; time-based probes are slow on 2 workers),
# nikto/buster/backup/wapp (not about this app's code, and wapp downloads its database).
WAPITI_MODULES = "xss,permanentxss,sql,exec,file,redirect,crlf,csrf,http_headers,csp,cookieflags"

#: URL patterns (wapiti wildcards, matched against the whole URL) left out of the crawl because they repeat a view
#: already in it at a high cost per request (a PDF or XLSX render per payload), or only multiply its URLs.
WAPITI_EXCLUDE = [
    # the programme report as PDF/XLSX/CSV: the same parameters as the HTML report (kept), one render per payload
    "/reports/programme?*format=*",
    # module previews in Arabic and English: the same view as the French preview (kept) for each module
    "/courses/admin/*/preview?lang=ar*",
    "/courses/admin/*/preview?lang=en*",
    # the printable attendance sheet: the same view and data as the attendance page (kept)
    "/attendance/sessions/*?*paper=*",
]

#: parameterised GET URLs for sqlmap, best first. "*" marks a path segment as an injection point (slugs are looked
#: up in the database); without a marker sqlmap would have only the cookie to test on that URL.
SQLMAP_URLS = [
    "/account/users?q=x&role=&active=",
    "/reports/programme?from=2027-01-01&to=2027-12-31&jurisdiction=x&profession=x",
    "/reports/cohorts/1?profession=x&status=x&sort=name",
    "/attendance/sessions/1?q=x",
    "/certificates/verify?code=x",
    "/courses/palermo-magistrates*/definition*",
]


@dataclass
class Budget:
    crawl_seconds: int  # wapiti --max-scan-time: bounds the crawl (first wapiti run, see run_wapiti)
    attack_seconds: int  # wapiti --max-attack-time, per module (second wapiti run)
    depth: int
    crawl_timeout: int  # hard limit on the crawling wapiti process
    wapiti_timeout: int  # hard limit on the attacking wapiti process
    sqlmap_urls: int
    sqlmap_timeout: int  # hard limit on one sqlmap process
    # --smart tests a parameter only when sqlmap's one-request heuristic is positive. On this app the heuristic is
    # negative for every parameter, so a --smart run lasts a second and tests nothing more; without it the B/E/U
    # tests take a few seconds per URL, so the full run leaves it out and the quick run keeps it.
    sqlmap_smart: bool
    # how many forms/URLs of one route the injection modules attack (see pick_targets)
    per_route: int = 3
    # fail when xss or sql did not attack every target (MUST_COVER); the quick run only reports it
    require_coverage: bool = True


QUICK = Budget(
    crawl_seconds=25,
    attack_seconds=8,
    depth=5,
    crawl_timeout=90,
    wapiti_timeout=300,
    sqlmap_urls=2,
    sqlmap_timeout=60,
    sqlmap_smart=True,
    per_route=1,
    require_coverage=False,
)
FULL = Budget(
    crawl_seconds=90,
    attack_seconds=150,
    depth=8,
    crawl_timeout=180,
    # 11 modules; xss, sql, exec, file and permanentxss can each use their 150 s and go on with the target in hand
    # (up to ~40 s seen): the admin's attack run takes ~550 s, this leaves room for a slower machine
    wapiti_timeout=1200,
    sqlmap_urls=6,
    sqlmap_timeout=150,
    sqlmap_smart=False,
)

#: wapiti --max-parameters: forms with more fields are dropped from the attacks (the quiz forms have up to ~70)
MAX_PARAMETERS = 100

#: wapiti modules that inject into parameters: they attack a few representatives of each route (pick_targets)
INJECTION_MODULES = ("xss", "sql", "exec", "file", "redirect", "crlf")
#: the modules that must attack every representative with parameters, or the run fails
MUST_COVER = ("xss", "sql")

#: a 500 from fuzzed input is an unhandled input the app should refuse cleanly (400): fail the scan on it
FAIL_ON_SERVER_ERRORS = True

#: the share of the argument-free GET routes a role can open that its crawl must reach
COVERAGE_SHARE = 0.6
#: and this many routes with URL arguments (/courses/<slug>, /cohorts/<id>...), when the role can open as many
PARAM_ROUTES_EXPECTED = 3
#: endpoints not counted as reachable by a crawl: no page links to them, or they need a secret from a mail
NOT_CRAWLABLE = {
    "static",  # files, not routes
    "core.healthz",  # monitoring, deliberately unlinked
    "accounts.reset_password",  # token from a mail
    "accounts.accept_invitation",  # token from a mail
    "certificates.verify_code",  # code printed on a certificate
    "accounts.login_code",  # only after the password step when two-factor sign-in is on
}

# wapiti vulnerability categories (3.1.8 names) by kind, for the summary; every vulnerability fails the run unless
# an ALLOWED entry covers it, whatever its category.
KINDS = {
    "SQL Injection": "injection",
    "Blind SQL Injection": "injection",
    "Command execution": "command execution",
    "CRLF Injection": "injection",
    "XML External Entity": "injection",
    "Reflected Cross Site Scripting": "XSS",
    "Stored Cross Site Scripting": "XSS",
    "HTML Injection": "XSS",
    "Stored HTML Injection": "XSS",
    "Path Traversal": "path traversal",
    "Open Redirect": "open redirect",
    "Cross Site Request Forgery": "CSRF",
    "HTTP Secure Headers": "headers",
    "Content Security Policy Configuration": "headers",
    "Secure Flag cookie": "cookies",
    "HttpOnly Flag cookie": "cookies",
}


@dataclass(frozen=True)
class Allowed:
    """A wapiti finding that is deliberate. ``requires`` names a check of this run that must hold for the entry
    to apply (see https_probe): the allowance is verified, not assumed."""

    category: str
    info: str  # regular expression, matched in full against the finding's text
    reason: str
    requires: str | None = None


ALLOWED = [
    Allowed(
        "Secure Flag cookie",
        r"Secure flag is not set in the cookie : tadrib_session",
        "The scan runs on plain http on loopback, where a Secure cookie would never be sent back. Behind HTTPS "
        "LMS_SECURE_COOKIES=1 sets Secure on the session cookie (and the remember cookie, lms/config.py); this run "
        "checks the session cookie's Set-Cookie on an HTTPS request to the app under that setting.",
        requires="secure_cookies_behind_https",
    ),
    Allowed(
        "Cross Site Request Forgery",
        r"Lack of anti CSRF token",
        "wapiti 3.1.8 recognises a token field only by a few exact names (csrf_token...). A Flask-WTF form made "
        "with a prefix names it <prefix>-csrf_token (the change-password form: pw-csrf_token; the walk-in form: "
        "walkin-csrf_token), and Flask-WTF's CSRFProtect checks it. This run posts to the same URL without a token "
        "and with a forged one, as the same user; the entry applies only if both are refused as CSRF errors.",
        requires="csrf_enforced:{path}",
    ),
    Allowed(
        "HTTP Secure Headers",
        r"Strict-Transport-Security is not set",
        "HSTS means nothing on plain http and browsers ignore it there (RFC 6797 §8.1); the app sends it on HTTPS "
        "requests when LMS_SECURE_COOKIES=1 (lms/core/security.py), which this run checks. wapiti 3.1.8 skips "
        "this check on http anyway; the entry documents the decision.",
        requires="hsts_behind_https",
    ),
]


class ScanError(RuntimeError):
    """A set-up step failed; the message says which and why."""


_output = threading.local()


def say(message: str = "") -> None:
    """Print a line; inside ``buffered()`` (a role scanned beside another one) keep it for the role's block."""
    lines = getattr(_output, "lines", None)
    if lines is None:
        print(message, flush=True)
    else:
        lines.append(message)


@contextlib.contextmanager
def buffered():
    """Collect what ``say`` prints in this thread and print it in one block at the end, so that the roles that
    run side by side (--jobs) do not mix their lines."""
    _output.lines = []
    try:
        yield
    finally:
        lines, _output.lines = _output.lines, None
        with _print_lock:
            print("\n".join(lines), flush=True)


_print_lock = threading.Lock()

#: process groups started by this run (servers and tools), so that an interrupted run with --jobs > 1 can end
#: those that its other threads started
_GROUPS: set[int] = set()


#: set when a run with --jobs > 1 is interrupted: the other threads start no new process
_STOP = threading.Event()


def _kill_groups() -> None:
    _STOP.set()
    for pgid in list(_GROUPS):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)


# --- tools ------------------------------------------------------------------------------------------------------


def ensure_tools() -> dict[str, str]:
    """Create the tools' virtualenv and install the pinned tools when missing or when the pins changed; return versions.
    The scan is a gate: without its tools it fails (ScanError), it never passes by skipping."""
    stamp = TOOLS_VENV / ".installed"
    wanted = "\n".join(TOOL_REQUIREMENTS)
    if not (stamp.exists() and stamp.read_text(encoding="utf-8") == wanted and (TOOLS_BIN / "wapiti").exists()):
        say(f"Installing {', '.join(TOOL_REQUIREMENTS)} into {TOOLS_VENV} (one to ten minutes)")
        stamp.unlink(missing_ok=True)
        pip = [str(TOOLS_BIN / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        # pip's own limits (--timeout per connection, --retries) and a hard one: a registry that answers slowly or
        # not at all ends the scan with a message instead of hanging it
        pip += ["--timeout", "30", "--retries", "3"]
        try:
            if not (TOOLS_BIN / "python").exists():
                subprocess.run(  # noqa: S603
                    [sys.executable, "-m", "venv", str(TOOLS_VENV)], check=True, capture_output=True, timeout=300
                )
            done = subprocess.run(  # noqa: S603
                [*pip, *TOOL_REQUIREMENTS], capture_output=True, text=True, timeout=INSTALL_TIMEOUT
            )
        except subprocess.CalledProcessError as error:
            raise ScanError(f"could not create {TOOLS_VENV}: {error.stderr!r}") from error
        except subprocess.TimeoutExpired as error:
            raise ScanError(
                f"installing the scan tools took more than {error.timeout:.0f} s (package registry unreachable?)"
            ) from error
        if done.returncode != 0:
            raise ScanError(
                f"could not install {' '.join(TOOL_REQUIREMENTS)} (package registry unreachable?); pip said:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        stamp.write_text(wanted, encoding="utf-8")
    versions = {}
    for tool in ("wapiti", "sqlmap"):
        done = subprocess.run(  # noqa: S603
            [str(TOOLS_BIN / tool), "--version"], capture_output=True, text=True, timeout=120, env=tool_env(None)
        )
        lines = [line.strip() for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        if done.returncode != 0 or not lines:
            raise ScanError(f"{tool} --version failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        versions[tool] = lines[-1]
    return versions


def tool_env(home: Path | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LMS_", "VIRTUAL_ENV", "PYTHON"))}
    env["PATH"] = f"{TOOLS_BIN}:{env.get('PATH', '/usr/bin:/bin')}"
    env["PYTHONUNBUFFERED"] = "1"
    if home is not None:  # keep ~/.wapiti and ~/.local/share/sqlmap out of the user's home
        env["HOME"] = str(home)
    return env


# --- the app ----------------------------------------------------------------------------------------------------


def app_env(instance: Path, password: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(
        FLASK_APP="wsgi.py",
        LMS_INSTANCE_PATH=str(instance),
        LMS_DEMO_PASSWORD=password,
        LMS_RATELIMIT_ENABLED="0",
        LMS_REQUIRE_TOTP="0",
        LMS_REQUEST_LOG="0",
        LMS_BASE_URL="http://127.0.0.1",  # required outside a demo; printed only on certificates
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def run_app_python(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(  # noqa: S603
        [str(APP_PYTHON), *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise ScanError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def prepare_instance(env: dict[str, str]) -> None:
    for command in (("db", "upgrade"), ("courses", "sync"), ("demo", "load")):
        run_app_python(env, "-m", "flask", *command)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """gunicorn in its own session (process group), stopped with its workers."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path):
        self.env, self.port, self.log_path = env, port, log_path
        self.proc: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> None:
        if _STOP.is_set():
            raise ScanError("the run was interrupted")
        gunicorn = [str(APP_BIN / "gunicorn")]
        if not (APP_BIN / "gunicorn").exists():
            gunicorn = [str(APP_PYTHON), "-m", "gunicorn"]
        cmd = [*gunicorn, "-w", "2", "-b", f"127.0.0.1:{self.port}", "--timeout", "60", "wsgi:app"]
        self._log = open(self.log_path, "wb")  # handed to the child, closed in stop()
        self.proc = subprocess.Popen(  # noqa: S603
            cmd, cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        _GROUPS.add(self.proc.pid)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ScanError(f"gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as response:  # noqa: S310
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise ScanError(f"/healthz did not answer within {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None:
            _GROUPS.discard(proc.pid)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)  # the master stops its workers, then exits
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None


# --- facts from the app itself (run in a child process with the instance's environment) -------------------------


def app_facts_main() -> None:
    """``--app-facts``: the URL map with each rule's declared access, and the demo accounts' ids and roles."""
    from sqlalchemy import select

    from lms import create_app
    from lms.accounts.models import User
    from lms.core.access import access_rule
    from lms.core.legacy_urls import PREFIX as LEGACY_PREFIX
    from lms.extensions import db

    app = create_app()
    facts: dict = {"rules": [], "users": {}}
    with app.app_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith(LEGACY_PREFIX):
                continue  # an address of before issue #17: a 308 to a page listed on its own
            access = access_rule(rule.endpoint)
            facts["rules"].append(
                {
                    "rule": rule.rule,
                    "endpoint": rule.endpoint,
                    "methods": sorted(set(rule.methods or ()) - {"HEAD", "OPTIONS"}),
                    "arguments": sorted(rule.arguments),
                    "access": access if access is None or isinstance(access, str) else sorted(access),
                }
            )
        emails = [email for email in ROLES.values() if email]
        for user in db.session.scalars(select(User).where(User.email.in_(emails))):
            facts["users"][user.email] = {"id": user.id, "roles": list(user.roles)}
    print(json.dumps(facts))


def https_probe_main() -> None:
    """``--https-probe`` (run with LMS_SECURE_COOKIES=1): what the app sends on an HTTPS request, so that the
    allowances for plain-http findings rest on a check, not on a comment."""
    from lms import create_app

    app = create_app()
    client = app.test_client()
    response = client.get("/account/login", base_url="https://127.0.0.1")
    print(
        json.dumps(
            {
                "status": response.status_code,
                "set_cookie": response.headers.getlist("Set-Cookie"),
                "hsts": response.headers.get("Strict-Transport-Security"),
            }
        )
    )


def https_probe(env: dict[str, str]) -> dict:
    probe = json.loads(run_app_python({**env, "LMS_SECURE_COOKIES": "1"}, str(Path(__file__)), "--https-probe"))
    session = [c for c in probe["set_cookie"] if c.startswith(SESSION_COOKIE + "=")]
    attrs = [a.strip().lower() for a in session[0].split(";")[1:]] if session else []
    hsts = probe["hsts"] or ""
    max_age = re.search(r"max-age=(\d+)", hsts)
    return {
        "secure_cookies_behind_https": bool(session) and "secure" in attrs and "httponly" in attrs,
        "hsts_behind_https": bool(max_age) and int(max_age.group(1)) >= 31536000,
        "detail": probe,
    }


# --- HTTP with urllib -------------------------------------------------------------------------------------------


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Client:
    """A tiny browser: cookies by name, redirects followed by hand, every Set-Cookie header kept."""

    def __init__(self, base: str):
        self.base = base
        self.cookies: dict[str, str] = {}
        self.set_cookies: list[str] = []
        self._opener = urllib.request.build_opener(_NoRedirect)

    def request(
        self, method: str, path: str, form=None, follow: bool = True, hops: int = 5, headers: dict | None = None
    ):
        """(status, path of the final URL, headers, body text). form: a dict or a list of pairs."""
        url = path if path.startswith("http") else self.base + path
        for _ in range(hops + 1):
            data = urllib.parse.urlencode(form).encode() if form is not None else None
            request = urllib.request.Request(url, data=data, method=method, headers=headers or {})  # noqa: S310
            if self.cookies:
                request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
            try:
                response = self._opener.open(request, timeout=60)
            except urllib.error.HTTPError as error:
                response = error
            with response:
                status, headers, body = response.status, response.headers, response.read()
            for header in headers.get_all("Set-Cookie") or []:
                self.set_cookies.append(header)
                name, _, rest = header.partition("=")
                value = rest.split(";", 1)[0]
                if value == "" or "expires=thu, 01 jan 1970" in header.lower():
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
            location = headers.get("Location")
            if follow and status in (301, 302, 303, 307, 308) and location:
                url = urllib.parse.urljoin(url, location)
                if status != 307 and status != 308:
                    method, form = "GET", None
                continue
            return status, urllib.parse.urlsplit(url).path, headers, body.decode("utf-8", "replace")
        raise ScanError(f"too many redirects from {path}")

    def csrf_token(self, path: str) -> str:
        _status, _path, _headers, page = self.request("GET", path)
        match = CSRF_RE.search(page)
        if not match:
            raise ScanError(f"no csrf_token on {path}")
        return html.unescape(match.group(1))


def sign_in(base: str, email: str, password: str, next_path: str | None = None) -> Client:
    client = Client(base)
    login = "/account/login" + (f"?next={urllib.parse.quote(next_path, safe='')}" if next_path else "")
    token = client.csrf_token(login)
    form = {"csrf_token": token, "email": email, "password": password, "remember": "y"}
    status, path, _headers, _page = client.request("POST", login, form)
    if status != 200 or path.startswith("/account/login") or SESSION_COOKIE not in client.cookies:
        raise ScanError(f"sign-in as {email} failed: {status} at {path}")
    return client


def check_cookie_flags(set_cookies: list[str]) -> list[str]:
    """Problems in the Set-Cookie headers the app sent (Secure is expected only behind HTTPS, see ALLOWED)."""
    problems = []
    for header in sorted(set(set_cookies)):
        name = header.split("=", 1)[0].strip()
        attrs = [a.strip().lower() for a in header.split(";")[1:]]
        if "httponly" not in attrs:
            problems.append(f"cookie {name} without HttpOnly: {header[:120]}")
        if not any(a.startswith("samesite=") and a.split("=", 1)[1] in ("lax", "strict") for a in attrs):
            problems.append(f"cookie {name} without SameSite=Lax/Strict: {header[:120]}")
    return problems


REDIRECT_PAYLOADS = [
    "https://evil.example/",
    "//evil.example/",
    "/\\evil.example/",
    "\\\\evil.example/",
    "https:evil.example",
    "/%2F%2Fevil.example/",
    " //evil.example/",
    "\t//evil.example/",
    "/attendance/sessions/x\r\nSet-Cookie: injected=1",  # CRLF: must be refused or dropped, never a 500
]


def _offsite(base: str, location: str | None) -> bool:
    if not location:
        return False
    location = location.strip()
    if location.startswith(("//", "/\\", "\\")):
        return True
    target = urllib.parse.urlsplit(urllib.parse.urljoin(base + "/", location))
    return target.netloc not in ("", urllib.parse.urlsplit(base).netloc)


def redirect_probe(base: str, password: str) -> list[str]:
    """Every form field named ``next``, with open-redirect and CRLF payloads: POST /language (left out of the
    crawl), the sign-in form, and the trainer's walk-in form (which follows any next= under /attendance/sessions/).
    A Location off this host, or a 5xx, is a problem. Invalid walk-in forms (no name) add nobody."""
    problems = []

    def check(client: Client, path: str, form: dict, payload: str) -> None:
        status, _path, headers, _body = client.request("POST", path, form, follow=False)
        if _offsite(base, headers.get("Location")) or status >= 500:
            problems.append(f"POST {path} next={payload!r} -> {status}, Location {headers.get('Location')!r}")

    anonymous = Client(base)
    token = anonymous.csrf_token("/account/login")
    for payload in REDIRECT_PAYLOADS:
        check(anonymous, "/language", {"csrf_token": token, "lang": "fr", "next": payload}, payload)
    for payload in [*REDIRECT_PAYLOADS[:4], REDIRECT_PAYLOADS[-1]]:
        client = Client(base)
        login = "/account/login?next=" + urllib.parse.quote(payload, safe="")
        form = {"csrf_token": client.csrf_token(login), "email": ROLES["learner"], "password": password}
        check(client, login, form, payload)
    trainer = sign_in(base, ROLES["trainer"] or "", password)
    token = trainer.csrf_token("/cohorts/1")
    for payload in ["/attendance/sessions/1/../..//evil.example/", "/attendance/sessions/1\r\nSet-Cookie: injected=1"]:
        check(
            trainer,
            "/cohorts/1/walk-in",
            {"walkin-csrf_token": token, "walkin-name_latin": "", "next": payload},
            payload,
        )
    return problems


def csrf_probe(client: Client, finding: dict) -> dict:
    """Replay the form wapiti posted (its fields from the report) as the same user, once without any CSRF token
    and once with forged ones; both must be refused as CSRF errors ({"error": "csrf"}, 400, asked as JSON)."""
    request_text = finding.get("http_request") or ""
    body = request_text.split("\n\n", 1)[1].strip() if "\n\n" in request_text else ""
    pairs = urllib.parse.parse_qsl(body, keep_blank_values=True)
    names = [name for name, _value in pairs if name.endswith("csrf_token")]
    without = [(n, v) for n, v in pairs if not n.endswith("csrf_token")]
    forged = without + [(name, "forged." + secrets.token_hex(8)) for name in (names or ["csrf_token"])]
    outcome = {"token_fields": names}
    for label, form in (("without_token", without), ("forged_token", forged)):
        status, _path, _headers, text = client.request(
            "POST", finding.get("path") or "/", form, follow=False, headers={"Accept": "application/json"}
        )
        try:
            refused = status == 400 and json.loads(text).get("error") == "csrf"
        except ValueError:
            refused = False
        outcome[label] = {"status": status, "refused_as_csrf": refused}
    outcome["enforced"] = bool(names) and all(outcome[k]["refused_as_csrf"] for k in ("without_token", "forged_token"))
    return outcome


# --- coverage ---------------------------------------------------------------------------------------------------


def admits(access, roles: list[str] | None) -> bool:
    if access == "public":
        return True
    if roles is None or access is None:
        return False
    if access == "signed-in":
        return True
    return any(role in roles for role in access)


def reachable_routes(client: Client, facts: dict, roles: list[str] | None) -> dict:
    """The GET routes without URL arguments that answer 200 to this role when asked directly, and the number of
    GET routes with arguments that the role's access admits."""
    plain, declared, param = [], [], []
    for rule in facts["rules"]:
        if "GET" not in rule["methods"] or rule["endpoint"] in NOT_CRAWLABLE or not admits(rule["access"], roles):
            continue
        if rule["arguments"]:
            param.append(rule["endpoint"])
            continue
        declared.append(rule["endpoint"])
        status, path, _headers, _body = client.request("GET", rule["rule"], follow=False)
        if status == 200:
            plain.append(rule["endpoint"])
    param = sorted(set(param))
    expected = math.ceil(COVERAGE_SHARE * len(plain)) + min(PARAM_ROUTES_EXPECTED, len(param))
    return {"declared_plain": sorted(declared), "plain": sorted(plain), "param": param, "expected_min": expected}


def url_map(facts: dict):
    from werkzeug.routing import Map, Rule

    return Map([Rule(r["rule"], endpoint=r["endpoint"], methods=r["methods"] or ["GET"]) for r in facts["rules"]]).bind(
        "127.0.0.1"
    )


def read_wapiti_session(session_dir: Path, facts: dict, skipped: dict[str, frozenset[int]] | None = None) -> dict:
    """What the crawl found (non-attack requests and their status) and what each module attacked, read from
    wapiti's own session database (the duplicates that pick_targets marked as attacked are not counted)."""
    from werkzeug.exceptions import HTTPException

    databases = sorted(session_dir.glob("*.db"))
    if not databases:
        return {"resources": 0, "get_200": [], "endpoints": [], "attacked": {}, "statuses": {}}
    adapter = url_map(facts)
    with contextlib.closing(sqlite3.connect(databases[0])) as db:
        rows = db.execute(
            "SELECT p.path, p.method, r.status_code FROM paths p "
            "LEFT JOIN responses r ON r.response_id = p.response_id WHERE p.evil = 0"
        ).fetchall()
        attacked: dict[str, int] = {}
        for module, method, path_id in set(
            db.execute("SELECT a.module, p.method, a.path_id FROM attack_logs a JOIN paths p ON p.path_id = a.path_id")
        ):
            if path_id in (skipped or {}).get(module, ()):
                continue
            attacked[f"{module} {method}"] = attacked.get(f"{module} {method}", 0) + 1
    ok_paths, endpoints, statuses, by_endpoint = set(), set(), {}, {}
    for url, method, status in rows:
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        try:
            name = f"{method} {adapter.match(urllib.parse.urlsplit(url).path or '/', method=method)[0]}"
        except HTTPException:
            name = f"{method} (no route)"
        by_endpoint[name] = by_endpoint.get(name, 0) + 1
        if method != "GET" or status != 200:
            continue
        path = urllib.parse.urlsplit(url).path or "/"
        ok_paths.add(path)
        with contextlib.suppress(HTTPException):
            endpoint, _args = adapter.match(path, method="GET")
            if endpoint not in NOT_CRAWLABLE:
                endpoints.add(endpoint)
    return {
        "resources": len(rows),
        "resources_by_method": {m: sum(1 for row in rows if row[1] == m) for m in sorted({row[1] for row in rows})},
        "by_endpoint": dict(sorted(by_endpoint.items(), key=lambda item: -item[1])),
        "get_200": sorted(ok_paths),
        "endpoints": sorted(endpoints),
        "attacked": attacked,
        "statuses": statuses,
    }


# --- wapiti -----------------------------------------------------------------------------------------------------


def _copy_timed(stream, log, started: float) -> None:
    """Copy a tool's output into its log, each line prefixed with the seconds since the tool started."""
    for line in iter(stream.readline, b""):
        log.write(f"{time.monotonic() - started:7.1f} | ".encode() + line)
        log.flush()


def run_process(cmd: list[str], log_path: Path, timeout: float, env: dict, answer: bytes = b"") -> tuple[int, bool]:
    """Run a tool in its own process group with its output in log_path (timed lines); (exit status, timed out).

    On time-out the group gets SIGINT first: wapiti then stops crawling or asks what to do with the attack, and
    ``answer`` (written to its stdin beforehand: "r" = write the report) makes it write what it found."""
    if _STOP.is_set():
        raise ScanError("the run was interrupted")
    with open(log_path, "wb") as log:
        started = time.monotonic()
        proc = subprocess.Popen(  # noqa: S603
            cmd,
            cwd=SCAN,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        _GROUPS.add(proc.pid)
        copier = threading.Thread(target=_copy_timed, args=(proc.stdout, log, started), daemon=True)
        copier.start()
        try:
            if proc.stdin is not None:
                with contextlib.suppress(BrokenPipeError):
                    proc.stdin.write(answer)
                proc.stdin.close()
            try:
                return proc.wait(timeout=timeout), False
            except subprocess.TimeoutExpired:
                log.write(
                    f"{time.monotonic() - started:7.1f} | [run_scan] hard limit of {timeout:.0f} s: SIGINT\n".encode()
                )
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
                try:
                    proc.wait(timeout=90)
                except subprocess.TimeoutExpired:
                    pass
                return (proc.returncode if proc.returncode is not None else -9), True
        finally:
            if proc.poll() is None:  # still running (time-out, or an exception here): end its whole group
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=10)
            copier.join(timeout=10)
            _GROUPS.discard(proc.pid)


def pick_targets(session_dir: Path, facts: dict, per_route: int) -> dict:
    """Between the crawl and the attacks: the forms and URLs that the modules which send many requests attack.

    The crawl finds the same form many times (the roles form of each of 15 users, the settings of each quiz, the
    walk-in form on every session page...); attacked one by one they take the modules' whole time and the forms
    after them in wapiti's order (GET URLs by path, then POST forms by path) are never attacked. So, per route
    (method and endpoint):

    - the injection modules attack at most ``per_route`` of its forms/URLs with parameters: the one with the most
      parameter names, then those that add names that several of them share (``next`` on some walk-in forms, ``go``
      on most completion forms), not names that are data (the question names of each quiz's form);
    - permanentxss (stored XSS: it fetches each resource, looks for the strings that xss stored, and retries them
      with payloads where it finds one) checks the first of its resources by URL and the injection targets; the
      data that xss stores goes through the first forms by URL too (cohort 1, session 1...), shown on those pages.

    The others are recorded in wapiti's session as already attacked by those modules (wapiti skips them; the counts
    in the summary leave them out). The checks that cost one request per resource (headers, CSP, cookies, CSRF)
    still get all of them."""
    from werkzeug.exceptions import HTTPException

    empty: dict = {"targets": [], "skipped": {}, "routes": 0}
    databases = sorted(session_dir.glob("*.db"))
    if not databases:
        return empty
    adapter = url_map(facts)
    with contextlib.closing(sqlite3.connect(databases[0])) as db:
        rows = db.execute(
            "SELECT p.path_id, p.method, p.path, pr.name FROM paths p LEFT JOIN params pr ON pr.path_id = p.path_id "
            "WHERE p.evil = 0 AND p.headers IS NOT NULL"
        ).fetchall()
        resources: dict[int, tuple[str, str, set[str]]] = {}
        for path_id, method, url, name in rows:
            entry = resources.setdefault(path_id, (method, url, set()))
            if name is not None:
                entry[2].add(name)
        routes: dict[tuple[str, str], list[tuple[int, str, set[str]]]] = {}
        for path_id, (method, url, names) in resources.items():
            path = urllib.parse.urlsplit(url).path or "/"
            try:
                endpoint = adapter.match(path, method=method)[0]
            except HTTPException:
                endpoint = "(no route) " + path
            routes.setdefault((method, endpoint), []).append((path_id, url, names))
        targets: list[dict] = []
        not_injected: set[int] = set()
        not_rechecked: set[int] = set()
        for (method, endpoint), candidates in sorted(routes.items()):
            candidates.sort(key=lambda c: (c[1], c[0]))
            with_params = sorted((c for c in candidates if c[2]), key=lambda c: -len(c[2]))  # stable: by URL next
            chosen = with_params[:1]
            if with_params:
                counts: dict[str, int] = {}
                for _path_id, _url, names in with_params:
                    for name in names:
                        counts[name] = counts.get(name, 0) + 1
                wanted = {name for name, count in counts.items() if count > 1} - with_params[0][2]
                rest = with_params[1:]
                while wanted and rest and len(chosen) < per_route:
                    best = max(rest, key=lambda c: (len(c[2] & wanted), -rest.index(c)))
                    if not best[2] & wanted:
                        break
                    chosen.append(best)
                    wanted -= best[2]
                    rest.remove(best)
            chosen_ids = {c[0] for c in chosen}
            for path_id, url, names in chosen:
                targets.append(
                    {"path_id": path_id, "method": method, "endpoint": endpoint, "url": url, "params": sorted(names)}
                )
            not_injected |= {c[0] for c in with_params if c[0] not in chosen_ids}
            not_rechecked |= {c[0] for c in candidates[1:] if c[0] not in chosen_ids}
        skipped = {module: frozenset(not_injected) for module in INJECTION_MODULES}
        skipped["permanentxss"] = frozenset(not_rechecked)
        db.executemany(
            "INSERT INTO attack_logs (path_id, module) VALUES (?, ?)",
            [(path_id, module) for module, ids in sorted(skipped.items()) for path_id in sorted(ids)],
        )
        db.commit()
    return {"targets": targets, "skipped": skipped, "routes": len(routes)}


def target_coverage(session_dir: Path, targets: list[dict]) -> dict:
    """For each injection module: how many of the chosen targets it attacked (wapiti records a resource once the
    module has gone through it; a module stopped by --max-attack-time leaves the rest out)."""
    databases = sorted(session_dir.glob("*.db"))
    if not databases:
        return {}
    with contextlib.closing(sqlite3.connect(databases[0])) as db:
        logged = set(db.execute("SELECT module, path_id FROM attack_logs"))
    coverage = {}
    for module in INJECTION_MODULES:
        missed = [f"{t['method']} {t['url']}" for t in targets if (module, t["path_id"]) not in logged]
        coverage[module] = {"attacked": len(targets) - len(missed), "of": len(targets), "missed": missed}
    return coverage


MODULE_TIMES = re.compile(r"^\s*([\d.]+) \| \[\*\] Launching module (\w+)", re.M)


def module_seconds(log_text: str, total: float) -> dict[str, float]:
    """Seconds spent in each attack module, from the timed lines of the attack log."""
    starts = [(float(t), name) for t, name in MODULE_TIMES.findall(log_text)]
    ends = [t for t, _name in starts[1:]] + [total]
    return {name: round(end - start, 1) for (start, name), end in zip(starts, ends, strict=True)}


def run_wapiti(
    role: str, base: str, client: Client | None, own_id: int | None, budget: Budget, work: Path, facts: dict
) -> dict:
    """Crawl, choose the targets, attack: two wapiti runs on one session database.

    1. Crawl only (``-m ""``), bounded by --max-scan-time (in wapiti 3.1.8 that option bounds the crawl, and a
       crawl stopped by it in a run that also attacks skips every attack module; in a run of its own it does not
       matter). 2. pick_targets. 3. ``--skip-crawl``: the attack modules on the stored crawl, each bounded by
       --max-attack-time; the per-target coverage of xss and sql is checked afterwards rather than trusted."""
    role_dir = work / f"wapiti-{role}"
    # the session database (every request and response) stays in scan/results for a look after the run
    session_dir, config_dir, home = RESULTS / "wapiti-session" / role, role_dir / "config", role_dir / "home"
    shutil.rmtree(session_dir, ignore_errors=True)
    for folder in (session_dir, config_dir, home):
        folder.mkdir(parents=True, exist_ok=True)
    report = RESULTS / f"wapiti-{role}.json"
    report.unlink(missing_ok=True)
    common = [
        str(TOOLS_BIN / "wapiti"),
        "-u",
        base + "/",
        "--scope",
        "folder",
        "-d",
        str(budget.depth),
        "--max-parameters",
        str(MAX_PARAMETERS),
        "--tasks",
        "4",  # two sync gunicorn workers: more concurrency only queues requests and times them out
        "-t",
        "20",
        # the crawl must not sign itself out or switch the language of the session under the attacks
        "-x",
        base + "/account/logout",
        "-x",
        base + "/language*",
        "--store-session",
        str(session_dir),
        "--store-config",
        str(config_dir),
        # every module is loaded, used or not; keep their endpoints on this machine (log4shell resolves its DNS
        # endpoint when loaded, ssrf/xxe would use the outside one): nothing leaves 127.0.0.1
        "--dns-endpoint",
        "127.0.0.1",
        "--endpoint",
        "http://127.0.0.1:9/",
        "--no-bugreport",  # never send anything anywhere
        "-v",
        "1",
        "-f",
        "json",
        "-o",
        str(report),
    ]
    for pattern in WAPITI_EXCLUDE:
        common += ["-x", base + pattern]
    if own_id is not None:
        # the admin's own roles/active/two-factor forms: a role change ends the admin's own sessions mid-scan
        common += ["-x", f"{base}/account/users/{own_id}/*"]
    if client is not None:
        cookie_file = role_dir / "cookies.json"
        # wapiti's JSON cookie format (wapitiCore/net/jsoncookie.py): {domain: {path: {name: attributes}}}; for an
        # IP address the domain key is the bare address. secure must be false or http.cookiejar never sends it.
        cookie_file.write_text(
            json.dumps(
                {
                    "127.0.0.1": {
                        "/": {
                            SESSION_COOKIE: {
                                "value": client.cookies[SESSION_COOKIE],
                                "expires": None,
                                "secure": False,
                                "port": None,
                                "version": 0,
                            }
                        }
                    }
                }
            ),
            encoding="utf-8",
        )
        common += ["-c", str(cookie_file)]
    env = tool_env(home)
    crawl_log, attack_log = RESULTS / f"wapiti-{role}-crawl.log", RESULTS / f"wapiti-{role}.log"

    started = time.monotonic()
    crawl_cmd = [*common, "-m", "", "--flush-session", "--max-scan-time", str(budget.crawl_seconds)]
    crawl_code, crawl_timed_out = run_process(crawl_cmd, crawl_log, budget.crawl_timeout, env, b"r\n")
    crawl_seconds = time.monotonic() - started
    crawl_text = crawl_log.read_text(errors="replace")
    picked = pick_targets(session_dir, facts, budget.per_route)

    attack_cmd = [*common, "-m", WAPITI_MODULES, "--skip-crawl", "--max-attack-time", str(budget.attack_seconds)]
    attack_started = time.monotonic()
    code, timed_out = run_process(attack_cmd, attack_log, budget.wapiti_timeout, env, b"r\n")
    attack_seconds = time.monotonic() - attack_started
    log_text = attack_log.read_text(errors="replace")
    data = json.loads(report.read_text(encoding="utf-8")) if report.exists() else None
    removed = re.search(r"(\d+) URLs and forms having more than \d+ parameters were removed", crawl_text)
    return {
        "exit": code,
        "crawl_exit": crawl_code,
        "timed_out": timed_out or crawl_timed_out,
        "seconds": round(time.monotonic() - started, 1),
        "crawl_seconds": round(crawl_seconds, 1),
        "attack_seconds": round(attack_seconds, 1),
        "module_seconds": module_seconds(log_text, attack_seconds),
        "modules_cut": sorted(set(re.findall(r"Max attack time was reached for module (\w+)", log_text))),
        "removed_big_forms": int(removed.group(1)) if removed else None,
        "report": data,
        "crawl_cut": "Max scan time was reached" in crawl_text,
        "session": session_dir,
        "targets": picked["targets"],
        "skipped": picked["skipped"],
        "coverage": target_coverage(session_dir, picked["targets"]),
    }


def classify(report: dict | None, checks: dict) -> dict:
    """Split wapiti's vulnerabilities into failures and allowed ones; keep server errors from the anomalies."""
    failures, allowed, anomalies = [], [], []
    for category, items in ((report or {}).get("vulnerabilities") or {}).items():
        for item in items:
            finding = {
                "category": category,
                "kind": KINDS.get(category, "other"),
                "method": item.get("method"),
                "path": item.get("path"),
                "parameter": item.get("parameter"),
                "info": item.get("info"),
                "module": item.get("module"),
                "request": (item.get("http_request") or "").splitlines()[:1],
            }
            entry = next(
                (
                    a
                    for a in ALLOWED
                    if a.category == category
                    and re.fullmatch(a.info, item.get("info") or "")
                    and (a.requires is None or checks.get(a.requires.format(path=item.get("path"))))
                ),
                None,
            )
            if entry is None:
                failures.append(finding)
            else:
                allowed.append({**finding, "reason": entry.reason})
    for category, items in ((report or {}).get("anomalies") or {}).items():
        for item in items:
            anomalies.append(
                {
                    "category": category,
                    "method": item.get("method"),
                    "path": item.get("path"),
                    "parameter": item.get("parameter"),
                    "info": item.get("info"),
                    "module": item.get("module"),
                }
            )
    return {"failures": failures, "allowed": allowed, "anomalies": anomalies}


# --- sqlmap -----------------------------------------------------------------------------------------------------

# sqlmap's verdict, not its first impressions: "parameter 'x' appears to be '<technique>' injectable" comes before
# its false-positive check, which may reject it ("false positive or unexploitable injection point detected"); a
# confirmed injection always ends in "identified the following injection point(s)" (or, for a parameter already
# known from a session, "parameter 'x' is vulnerable")
SQLMAP_VULNERABLE = re.compile(r"identified the following injection point|parameter '[^']+' is vulnerable")
SQLMAP_CANDIDATE = re.compile(r"appears to be '.+' injectable|false positive or unexploitable")
SQLMAP_CLEAN = "all tested parameters do not appear to be injectable"
SQLMAP_HEURISTIC = re.compile(r"heuristic .* test shows that .* (might be injectable|might be vulnerable to .*)")
SQLMAP_TIMEOUTS = re.compile(r"connection timed out to the target URL")


def sqlmap_targets(client: Client, budget: Budget) -> tuple[list[str], list[dict]]:
    """The URLs of SQLMAP_URLS that answer 200 to this role (others would only test a redirect or a 403)."""
    targets, skipped = [], []
    for url in SQLMAP_URLS:
        status, _path, headers, _body = client.request("GET", url.replace("*", ""), follow=False)
        final_status, final_path, _headers, _body = client.request("GET", url.replace("*", ""))
        # a redirect to another page of the app (/certificates/verify?code= -> /certificates/verify/<code>) is tested
        # through; one to the sign-in page or to a refusal is not this role's page
        redirected_in_app = (
            status in (301, 302, 303) and final_path != "/account/login" and final_status not in (401, 403)
        )
        usable = status == 200 or redirected_in_app
        if usable and len(targets) < budget.sqlmap_urls:
            targets.append(url)
        else:
            why = f"answers {status}" + (f" -> {final_status} {final_path}" if status != final_status else "")
            skipped.append({"url": url, "status": status, "why": why if not usable else "quick run: URL limit"})
    return targets, skipped


def run_sqlmap(role: str, base: str, client: Client, urls: list[str], budget: Budget, work: Path) -> list[dict]:
    out_dir = RESULTS / "sqlmap" / role
    out_dir.mkdir(parents=True, exist_ok=True)
    home = work / f"sqlmap-home-{role}"  # roles may run side by side (--jobs)
    home.mkdir(parents=True, exist_ok=True)
    results = []
    for index, url in enumerate(urls, start=1):
        cmd = [
            str(TOOLS_BIN / "sqlmap"),
            "-u",
            base + url,
            "--batch",
            "--level",
            "2",
            "--risk",
            "1",
            "--technique=BEU",
            "--time-sec",
            "2",
            "--dbms",
            "SQLite",  # the scanned instance's database: fewer payloads
            "--time-limit",
            str(budget.sqlmap_timeout - 10),
            "--flush-session",  # sessions are per host: another role must not reuse this one's answers
            "--disable-coloring",
            "--output-dir",
            str(out_dir),
        ]
        if budget.sqlmap_smart:
            cmd.append("--smart")
        if SESSION_COOKIE in client.cookies:
            # --drop-set-cookie: keep this role's cookie whatever the pages set (flash messages...)
            cmd += ["--cookie", f"{SESSION_COOKIE}={client.cookies[SESSION_COOKIE]}", "--drop-set-cookie"]
        log_path = out_dir / f"{index}.log"
        started = time.monotonic()
        code, timed_out = run_process(cmd, log_path, budget.sqlmap_timeout, tool_env(home))
        text = log_path.read_text(errors="replace")
        vulnerable = [line.strip() for line in text.splitlines() if SQLMAP_VULNERABLE.search(line)]
        heuristics = [line.strip() for line in text.splitlines() if SQLMAP_HEURISTIC.search(line)]
        rejected = [line.strip() for line in text.splitlines() if SQLMAP_CANDIDATE.search(line)]
        if vulnerable:
            result = "VULNERABLE"
        elif SQLMAP_CLEAN in text:
            result = "clean"
        elif timed_out:
            result = "timed out"
        else:
            critical = [line.strip() for line in text.splitlines() if "[CRITICAL]" in line]
            result = "inconclusive: " + (critical[-1] if critical else f"exit {code}")
        results.append(
            {
                "url": url,
                "result": result,
                "vulnerable": vulnerable,
                "heuristics": heuristics,
                "candidates_and_rejections": rejected,
                "request_timeouts": len(SQLMAP_TIMEOUTS.findall(text)),
                "seconds": round(time.monotonic() - started, 1),
                "log": str(log_path.relative_to(ROOT)),
            }
        )
    return results


# --- one role ---------------------------------------------------------------------------------------------------


@dataclass
class RoleResult:
    role: str
    email: str | None
    problems: list[str] = field(default_factory=list)
    data: dict = field(default_factory=dict)


def scan_role(role: str, base: str, password: str, facts: dict, checks: dict, budget: Budget, work: Path):
    email = ROLES[role]
    result = RoleResult(role, email)
    say(f"\n== {role}" + (f" ({email})" if email else ""))
    user = facts["users"].get(email) if email else None
    roles = user["roles"] if user else None
    try:
        client = sign_in(base, email, password) if email else Client(base)
    except ScanError as error:
        result.problems.append(str(error))
        return result
    if email is None:
        client.request("GET", "/account/login")  # the anonymous session cookie, for the flag check
    result.data["set_cookie_problems"] = check_cookie_flags(client.set_cookies)
    result.problems += result.data["set_cookie_problems"]

    reach = reachable_routes(client, facts, roles)
    result.data["reachable"] = reach
    public = {r["endpoint"] for r in facts["rules"] if r["access"] == "public"}
    if email and not set(reach["plain"]) - public:
        result.problems.append("the role's session cookie opens no signed-in page: the coverage check would be void")
    say(
        f"   routes it can open: {len(reach['plain'])} without arguments (of {len(reach['declared_plain'])} declared)"
        f", {len(reach['param'])} with arguments; crawl must reach >= {reach['expected_min']}"
    )

    say(f"   wapiti (crawl <= {budget.crawl_seconds} s, then {budget.attack_seconds} s per module) ...")
    wapiti = run_wapiti(
        role, base, client if email else None, user["id"] if role == "admin" and user else None, budget, work, facts
    )
    crawl = read_wapiti_session(wapiti["session"], facts, wapiti["skipped"])
    role_checks, csrf_probes = dict(checks), {}
    for item in ((wapiti["report"] or {}).get("vulnerabilities") or {}).get("Cross Site Request Forgery", []):
        probe = csrf_probe(client, item)
        csrf_probes[item.get("path")] = probe
        role_checks[f"csrf_enforced:{item.get('path')}"] = probe["enforced"]
    result.data["csrf_probes"] = csrf_probes
    findings = classify(wapiti["report"], role_checks)
    reached = len(crawl["endpoints"])
    attacked = {m: n for m, n in crawl["attacked"].items() if n}
    resources_by_method = crawl.get("resources_by_method", {})
    targets = wapiti["targets"]
    coverage = wapiti["coverage"]
    result.data["wapiti"] = {
        "exit": wapiti["exit"],
        "crawl_exit": wapiti["crawl_exit"],
        "timed_out": wapiti["timed_out"],
        "seconds": wapiti["seconds"],
        "crawl_seconds": wapiti["crawl_seconds"],
        "attack_seconds": wapiti["attack_seconds"],
        "module_seconds": wapiti["module_seconds"],
        "modules_cut_by_max_attack_time": wapiti["modules_cut"],
        "crawl_cut_by_max_scan_time": wapiti["crawl_cut"],
        "forms_over_max_parameters": wapiti["removed_big_forms"],
        "resources": crawl["resources"],
        "resources_by_method": resources_by_method,
        "resources_by_endpoint": crawl.get("by_endpoint", {}),
        "crawled_pages_nbr": ((wapiti["report"] or {}).get("infos") or {}).get("crawled_pages_nbr"),
        "statuses": crawl["statuses"],
        "get_200_urls": crawl["get_200"],
        "endpoints_reached": crawl["endpoints"],
        "injection_targets": len(targets),
        "injection_targets_by_method": {
            m: sum(1 for t in targets if t["method"] == m) for m in sorted({t["method"] for t in targets})
        },
        "injection_routes": len({(t["method"], t["endpoint"]) for t in targets}),
        "duplicates_not_injected": len(wapiti["skipped"].get("xss", ())),
        "pages_not_rechecked_by_permanentxss": len(wapiti["skipped"].get("permanentxss", ())),
        "target_coverage": coverage,
        "targets": targets,
        "attacked_resources_by_module": attacked,
        **findings,
    }
    say(
        f"   wapiti: {wapiti['seconds']} s (crawl {wapiti['crawl_seconds']} s"
        f"{', cut by --max-scan-time' if wapiti['crawl_cut'] else ''}), "
        f"{crawl['resources']} resources {resources_by_method}, {len(crawl['get_200'])} pages answered 200, "
        f"{reached} routes reached"
    )
    say(
        f"   injection targets: {len(targets)} forms/URLs with parameters on "
        f"{result.data['wapiti']['injection_routes']} routes "
        f"({len(wapiti['skipped'].get('xss', ()))} duplicates left out); "
        + ", ".join(f"{m} {c['attacked']}/{c['of']}" for m, c in coverage.items())
    )
    say("   module seconds: " + ", ".join(f"{m} {t}" for m, t in wapiti["module_seconds"].items()))
    if wapiti["report"] is None:
        result.problems.append(f"wapiti wrote no report (exit {wapiti['exit']}); see scan/results/wapiti-{role}.log")
    if wapiti["timed_out"]:
        result.problems.append(
            f"wapiti went past its hard time limit ({budget.crawl_timeout} s crawling, {budget.wapiti_timeout} s "
            f"attacking); see scan/results/wapiti-{role}-crawl.log and wapiti-{role}.log"
        )
    if reached < reach["expected_min"]:
        missing = sorted(set(reach["plain"]) - set(crawl["endpoints"]))
        result.problems.append(
            f"crawl reached {reached} routes, fewer than the {reach['expected_min']} expected; not reached: {missing}"
        )
    if not targets:
        result.problems.append("the crawl found no form or URL with parameters: nothing to attack")
    elif not any(coverage.get(m, {}).get("attacked") for m in MUST_COVER):
        result.problems.append(
            f"wapiti attacked nothing with {'/'.join(MUST_COVER)}; see scan/results/wapiti-{role}.log"
        )
    for module in MUST_COVER if budget.require_coverage else ():
        done = coverage.get(module, {"attacked": 0, "of": len(targets), "missed": []})
        if done["attacked"] < done["of"]:
            result.problems.append(
                f"wapiti {module} attacked {done['attacked']} of {done['of']} targets"
                + (" (stopped by --max-attack-time)" if module in wapiti["modules_cut"] else "")
                + f"; not attacked: {done['missed'][:5]}"
            )
    for anomaly in findings["anomalies"]:
        if anomaly["category"] == "Internal Server Error" and FAIL_ON_SERVER_ERRORS:
            result.problems.append(
                f"wapiti {anomaly['category']}: {anomaly['method']} {anomaly['path']} "
                f"parameter {anomaly['parameter']!r}: {anomaly['info']}"
            )
    for finding in findings["failures"]:
        result.problems.append(
            f"wapiti {finding['category']}: {finding['method']} {finding['path']} "
            f"parameter {finding['parameter']!r}: {finding['info']}"
        )

    if email and not client.request("GET", "/account/profile", follow=False)[0] == 200:
        result.data["session_survived_wapiti"] = False
        say("   (the session ended during the wapiti run; signing in again for sqlmap)")
        client = sign_in(base, email, password)
    else:
        result.data["session_survived_wapiti"] = True

    targets, skipped = sqlmap_targets(client, budget)
    say(f"   sqlmap on {len(targets)} URL(s) ...")
    sqlmap = run_sqlmap(role, base, client, targets, budget, work)
    result.data["sqlmap"] = {"results": sqlmap, "skipped": skipped}
    for item in sqlmap:
        say(f"   sqlmap {item['url']}: {item['result']} ({item['seconds']} s)")
        if item["vulnerable"]:
            result.problems.append(f"sqlmap {item['url']}: " + " | ".join(item["vulnerable"][:3]))
        elif item["result"] != "clean":  # no verdict: the URL was not tested, which must not pass as clean
            result.problems.append(f"sqlmap {item['url']}: {item['result']}; see {item['log']}")
    return result


TRACEBACK_FRAME = re.compile(r'File "' + re.escape(str(ROOT)) + r'/(lms/[^"]+)", line (\d+), in (\w+)')


def server_errors(log_path: Path) -> list[str]:
    """One line per distinct traceback in a gunicorn log: the app's innermost frame and the exception."""
    errors: dict[str, int] = {}
    blocks = log_path.read_text(errors="replace").split("Traceback (most recent call last):")[1:]
    for block in blocks:
        lines = block.splitlines()
        frames = [m.groups() for m in map(TRACEBACK_FRAME.search, lines) if m]
        exception = next((ln.strip() for ln in lines[1:] if re.match(r"^[A-Za-z_.]+(Error|Exception)\b", ln)), "?")
        where = f"{frames[-1][0]}:{frames[-1][1]} in {frames[-1][2]}" if frames else "outside lms/"
        key = f"{where}: {exception}"
        errors[key] = errors.get(key, 0) + 1
    return [f"{key} (x{count})" for key, count in errors.items()]


# --- main -------------------------------------------------------------------------------------------------------


def summarise(results: list[RoleResult]) -> None:
    header = (
        "role",
        "routes reached/min",
        "pages 200",
        "resources",
        "targets: xss / sql",
        "wapiti fail",
        "allowed",
        "anomalies",
        "sqlmap",
    )
    rows = []
    for r in results:
        w = r.data.get("wapiti", {})
        reach = r.data.get("reachable", {})
        sql = r.data.get("sqlmap", {}).get("results", [])
        coverage = w.get("target_coverage", {})
        counts: dict[str, int] = {}
        for f in w.get("failures", []):
            counts[f["kind"]] = counts.get(f["kind"], 0) + 1
        sql_text = ", ".join(sorted({s["result"].split(":")[0] for s in sql})) or "-"
        rows.append(
            (
                r.role,
                f"{len(w.get('endpoints_reached', []))}/{reach.get('expected_min', '-')}",
                str(len(w.get("get_200_urls", []))),
                str(w.get("resources", "-")),
                " / ".join(
                    f"{coverage[m]['attacked']}/{coverage[m]['of']}" if m in coverage else "-" for m in ("xss", "sql")
                ),
                ", ".join(f"{k} {v}" for k, v in counts.items()) or "0",
                str(len(w.get("allowed", []))),
                str(len(w.get("anomalies", []))),
                f"{len(sql)} URL(s): {sql_text}",
            )
        )
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    say()
    for row in [header, tuple("-" * w for w in widths), *rows]:
        say("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="about 8 s per attack module, one target per route, 2 sqlmap URLs per role"
    )
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated subset of " + ", ".join(ROLES))
    parser.add_argument(
        "--jobs", type=int, default=1, help="scan this many roles at a time, each on its own server (CI: 2)"
    )
    parser.add_argument(
        "--install-tools", action="store_true", help="only install the tools (CI does it while the tests run)"
    )
    parser.add_argument("--app-facts", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--https-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.app_facts:
        app_facts_main()
        return 0
    if args.https_probe:
        https_probe_main()
        return 0
    if args.install_tools:
        try:
            versions = ensure_tools()
        except (ScanError, OSError, subprocess.SubprocessError) as error:
            say(f"FAILED: the scan tools could not be installed: {error}")
            return 2
        say(f"Tools ready in {TOOLS_VENV}: wapiti {versions['wapiti']}, sqlmap {versions['sqlmap']}")
        return 0
    roles = [r.strip() for r in args.roles.split(",") if r.strip()]
    unknown = set(roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles: {sorted(unknown)}")
    budget = QUICK if args.quick else FULL

    def on_term(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    started = time.monotonic()
    RESULTS.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(RESULTS / "sqlmap", ignore_errors=True)
    try:
        versions = ensure_tools()
    except (ScanError, OSError, subprocess.SubprocessError) as error:
        say(f"\nFAILED: the scan tools are not available, so the scan cannot run: {error}")
        return 2
    say(f"Tools: wapiti {versions['wapiti']}, sqlmap {versions['sqlmap']} ({'quick' if args.quick else 'full'} run)")

    password = secrets.token_urlsafe(18)
    results: list[RoleResult] = []
    global_problems: list[str] = []
    summary: dict = {
        "mode": "quick" if args.quick else "full",
        "tools": versions,
        "tool_requirements": TOOL_REQUIREMENTS,
        "budget": budget.__dict__,
        "wapiti_modules": WAPITI_MODULES,
        "wapiti_exclude": WAPITI_EXCLUDE,
    }
    for old_log in RESULTS.glob("gunicorn*.log"):
        old_log.unlink()
    with tempfile.TemporaryDirectory(prefix="tadrib-scan-", ignore_cleanup_errors=True) as tmp:
        work = Path(tmp)
        template = work / "instance"
        env = app_env(template, password)
        say("Preparing a temporary instance (db upgrade, courses sync, demo load) ...")
        prepare_instance(env)
        facts = json.loads(run_app_python(env, str(Path(__file__)), "--app-facts"))
        checks = https_probe(env)
        summary["https_probe"] = checks
        for name in ("secure_cookies_behind_https", "hsts_behind_https"):
            if not checks[name]:
                global_problems.append(f"HTTPS probe: {name} does not hold: {checks['detail']}")
        # Each role (and the direct probes) gets its own copy of the freshly loaded instance and its own server:
        # the attacks of one role create cohorts, people and invitations that would otherwise multiply the next
        # role's crawl and make the results depend on the order of the roles. Nothing is shared between them
        # (instance, server, port, wapiti session, sqlmap home), so --jobs 2 scans two at a time, the longest first.

        def scan_instance(name: str):
            instance = work / f"instance-{name}"
            shutil.copytree(template, instance)
            log_path = RESULTS / f"gunicorn-{name}.log"
            server = Server(app_env(instance, password), free_port(), log_path)
            outcome = None
            with buffered() if args.jobs > 1 else contextlib.nullcontext():
                try:
                    server.start()
                    say(f"\nServing a fresh copy of the instance on {server.url} (log: {log_path.relative_to(ROOT)})")
                    if name == "probes":
                        try:
                            redirects = redirect_probe(server.url, password)
                        except (ScanError, OSError) as error:
                            redirects = [f"the redirect probe could not run: {error}"]
                        outcome = {"payloads": REDIRECT_PAYLOADS, "problems": redirects}
                        probe = "Open-redirect/CRLF probe (next= on /language, /account/login, walk-in)"
                        say(f"{probe}: {redirects or 'ok'}")
                    else:
                        try:
                            outcome = scan_role(name, server.url, password, facts, checks, budget, work)
                        except (ScanError, OSError, subprocess.SubprocessError) as error:
                            say(f"   stopped: {error}")
                            outcome = RoleResult(name, ROLES[name], problems=[f"the scan stopped: {error}"])
                except ScanError as error:  # the server did not start
                    say(f"   stopped: {error}")
                    outcome = (
                        {"payloads": REDIRECT_PAYLOADS, "problems": [f"the redirect probe could not run: {error}"]}
                        if name == "probes"
                        else RoleResult(name, ROLES[name], problems=[f"the scan stopped: {error}"])
                    )
                finally:
                    server.stop()
                errors = server_errors(log_path)
                if name == "probes":  # each one is already a problem above, as the 5xx answer that it caused
                    outcome["server_errors"] = errors
                    for error in errors:
                        say(f"   traceback: {error}")
                else:
                    outcome.data["server_errors"] = errors
                    if errors and FAIL_ON_SERVER_ERRORS:
                        outcome.problems += [f"server error (traceback in {log_path.name}): {e}" for e in errors]
            return outcome

        names = ["probes", *roles]
        if args.jobs > 1:  # the longest first (the order of ROLES is by rights, and so by pages to attack)
            names = ["probes", *sorted(roles, key=list(ROLES).index, reverse=True)]
        if args.jobs <= 1:
            outcomes = {name: scan_instance(name) for name in names}
        else:
            pool = ThreadPoolExecutor(max_workers=args.jobs)
            try:
                outcomes = dict(zip(names, pool.map(scan_instance, names), strict=True))
            except BaseException:  # Ctrl-C or SIGTERM (main thread): end what the other threads started
                pool.shutdown(wait=False, cancel_futures=True)
                _kill_groups()
                raise
            pool.shutdown()
        summary["redirect_probe"] = outcomes["probes"]
        global_problems += outcomes["probes"]["problems"]
        results = [outcomes[name] for name in roles]

    summarise(results)
    for role_result in results:
        allowed = {(f["category"], f["path"], f["info"]) for f in role_result.data.get("wapiti", {}).get("allowed", [])}
        for category, path, info in sorted(allowed):
            say(f"  allowed ({role_result.role}): {category}: {path}: {info}")
        anomalies = {
            (a["category"], a["method"], a["path"], a["parameter"], a["info"])
            for a in role_result.data.get("wapiti", {}).get("anomalies", [])
        }
        for category, method, path, parameter, info in sorted(anomalies):
            say(f"  anomaly ({role_result.role}): {category}: {method} {path} parameter {parameter!r}: {info}")
    # the same finding on several forms or payloads is one problem to fix: keep each text once, in order
    problems = list(dict.fromkeys(global_problems + [f"{r.role}: {p}" for r in results for p in r.problems]))
    elapsed = round(time.monotonic() - started, 1)
    summary.update(
        {
            "seconds": elapsed,
            "allowed_list": [a.__dict__ for a in ALLOWED],
            "roles": {r.role: {"email": r.email, "problems": r.problems, **r.data} for r in results},
            "problems": problems,
            "passed": not problems,
        }
    )
    (RESULTS / "summary.json").write_text(json.dumps(summary, indent=2, default=str), encoding="utf-8")
    if problems:
        say(f"\nFAILED ({len(problems)} problem(s)), {elapsed} s:")
        for problem in problems:
            say(f"  - {problem}")
        return 1
    say(f"\nPASSED in {elapsed} s; details in scan/results/summary.json")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: the finally blocks have stopped gunicorn and the tools
        print("\ninterrupted", file=sys.stderr)
        sys.exit(130)
