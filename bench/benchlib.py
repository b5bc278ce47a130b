"""Shared helpers for the HTTP benchmark and the load scenario: instance preparation, gunicorn servers
(started in their own process group and always stopped), sign-in, small parsers. Standard library only."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import http.cookiejar
import math
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
#: where a run writes its results: an ignored folder (``bench/out/``), so that ``make bench`` leaves the tree clean;
#: ``BENCH_RECORD=1`` (``make bench RECORD=1``) writes them to the committed ``bench/results/`` instead
RECORDED = BENCH / "results"
RESULTS = RECORDED if os.environ.get("BENCH_RECORD") == "1" else BENCH / "out"
RESULTS.mkdir(exist_ok=True)
PYTHON = sys.executable
DEMO_PASSWORD = "bench-demo-password-2027"
SESSION_COOKIE = "tadrib_session"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class BenchError(RuntimeError):
    """A set-up step failed; the message says which and why."""


USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) tadrib-bench"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(instance: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """Environment for ``flask`` commands and gunicorn: temporary instance, no rate limits, no request log."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LMS_")}
    env.update(
        FLASK_APP="wsgi.py",
        LMS_INSTANCE_PATH=str(instance),
        LMS_DEMO_PASSWORD=DEMO_PASSWORD,
        LMS_RATELIMIT_ENABLED="0",
        LMS_REQUEST_LOG="0",
        LMS_BASE_URL="http://127.0.0.1",  # required outside a demo; printed only on certificates
        PYTHONUNBUFFERED="1",
    )
    if database_url:
        env["LMS_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def flask_cmd(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    """Run ``flask <args>`` in the project root; raise BenchError with its output if it fails."""
    done = subprocess.run(
        [PYTHON, "-m", "flask", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done.stdout


def prepare_instance(env: dict[str, str]) -> None:
    """``flask db upgrade && flask courses sync && flask demo load`` into the instance (and database) of env."""
    flask_cmd(env, "db", "upgrade")
    flask_cmd(env, "courses", "sync")
    flask_cmd(env, "demo", "load")


class Server:
    """One gunicorn master started in its own session (process group), stopped with its workers."""

    def __init__(self, name: str, app: str, port: int, workers: int, env: dict, log_dir: Path, chdir: Path = ROOT):
        self.name, self.port = name, port
        self.log_path = log_dir / f"{name}.log"
        self.cmd = [
            PYTHON,
            "-m",
            "gunicorn",
            "--workers",
            str(workers),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "--timeout",
            "60",
            "--chdir",
            str(chdir),
            app,
        ]
        self.env = env
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, ready_path: str = "/", timeout: float = 60) -> Server:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "wb")  # handed to the child, closed in stop()
        self._log = log
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name}: gunicorn exited ({self.proc.returncode}); see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + ready_path, timeout=5) as response:
                    response.read()
                return self
            except urllib.error.HTTPError:
                return self  # any HTTP answer means it is serving
            except OSError:
                time.sleep(0.2)
        raise BenchError(f"{self.name}: not answering on {self.url} after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is not None and proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)
        elif proc is not None:
            # The master is gone; its workers (same process group) may not be.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        if getattr(self, "_log", None):
            self._log.close()
            self._log = None

    def log_tail(self, lines: int = 80) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


class Servers(contextlib.AbstractContextManager):
    """Every server started here is stopped on exit, on errors, on Ctrl-C and on SIGTERM (SIGINT is handled
    even when the shell started this process in the background with SIGINT ignored)."""

    def __init__(self):
        self.items: list[Server] = []
        self._previous: dict = {}

    def __enter__(self):
        def interrupt(signum, frame):
            raise KeyboardInterrupt

        for signum in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(ValueError):  # only possible in the main thread
                self._previous[signum] = signal.signal(signum, interrupt)
        return self

    def start(self, server: Server, **kwargs) -> Server:
        self.items.append(server)
        return server.start(**kwargs)

    def stop_all(self) -> None:
        while self.items:
            self.items.pop().stop()

    def __exit__(self, *exc):
        self.stop_all()
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)
        return False


def temp_dir(prefix: str) -> tempfile.TemporaryDirectory:
    return tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)


# --- browsing with urllib and a cookie jar --------------------------------------------------------------


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def opener(jar: http.cookiejar.CookieJar, follow: bool = True) -> urllib.request.OpenerDirector:
    handlers: list = [urllib.request.HTTPCookieProcessor(jar)]
    if not follow:
        handlers.append(NoRedirect())
    built = urllib.request.build_opener(*handlers)
    # The browser a session was signed in with: wrk sends the same header (session protection ties a session
    # to its address and browser; a different one makes every request rewrite the cookie, which no browser does).
    built.addheaders = [("User-Agent", USER_AGENT)]
    return built


def fetch(op, url: str, data: dict | None = None, timeout: float = 30) -> tuple[int, str, bytes]:
    """(status, final URL, body); HTTP errors are returned, not raised."""
    body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
    try:
        with op.open(urllib.request.Request(url, data=body), timeout=timeout) as response:
            return response.status, response.geturl(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read()


def csrf_token(page: bytes | str) -> str:
    text = page.decode("utf-8", "replace") if isinstance(page, bytes) else page
    match = CSRF_RE.search(text)
    if not match:
        raise BenchError("no csrf_token on the page")
    return html.unescape(match.group(1))


def totp_code(secret: str, at: float | None = None) -> str:
    """RFC 6238 code (SHA-1, 6 digits, 30 s) for a base32 secret, with the standard library only."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


#: e-mail -> TOTP secret of the accounts this process set up (trainers must use two-factor sign-in)
TOTP_SECRETS: dict[str, str] = {}
SECRET_RE = re.compile(r'<code[^>]*class="secret"[^>]*>([A-Z2-7]+)</code>')


def _submit_code(op, url: str, page: bytes, secret: str) -> tuple[int, str, bytes]:
    """POST the current code; a code is accepted once per 30 s step, so wait for the next step if refused."""
    for attempt in range(2):
        status, final, body = fetch(op, url, {"csrf_token": csrf_token(page), "code": totp_code(secret)})
        if status == 200 and urllib.parse.urlsplit(final).path != urllib.parse.urlsplit(url).path:
            return status, final, body
        if b'class="recovery-codes"' in body and urllib.parse.urlsplit(final).path == "/account/profile/two-factor":
            return status, final, body  # set-up done: the page shows the recovery codes
        if attempt == 0:
            time.sleep(30.5 - time.time() % 30)
            page = body
    return status, final, body


def sign_in(base_url: str, email: str, password: str = DEMO_PASSWORD):
    """GET /account/login, POST it with the CSRF token (then the two-factor code, or its set-up for a trainer who has
    none yet); return (opener, jar, session cookie value)."""
    jar = http.cookiejar.CookieJar()
    op = opener(jar)
    status, _url, page = fetch(op, base_url + "/account/login")
    if status != 200:
        raise BenchError(f"GET /account/login answered {status}")
    token = csrf_token(page)
    status, final, page = fetch(
        op, base_url + "/account/login", {"csrf_token": token, "email": email, "password": password}
    )
    path = urllib.parse.urlsplit(final).path
    if status == 200 and path == "/account/login/code":
        if email not in TOTP_SECRETS:
            raise BenchError(f"{email} has two-factor sign-in and this process does not know the secret")
        status, final, page = _submit_code(op, final, page, TOTP_SECRETS[email])
    elif status == 200 and path == "/account/profile/two-factor":
        match = SECRET_RE.search(page.decode("utf-8", "replace"))
        if not match:
            raise BenchError(f"{email}: two-factor set-up page without a key")
        TOTP_SECRETS[email] = match.group(1)
        status, final, page = _submit_code(op, final, page, match.group(1))
        if status != 200 or b'class="recovery-codes"' not in page:
            raise BenchError(f"{email}: two-factor set-up failed ({status} at {final})")
    cookie = next((c.value for c in jar if c.name == SESSION_COOKIE), None)
    path = urllib.parse.urlsplit(final).path
    if status != 200 or path.startswith("/account/login") or not cookie:
        raise BenchError(f"sign-in as {email} failed: {status} at {final}")
    return op, jar, cookie


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100) of values; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(q / 100 * len(ordered))))
    return ordered[rank - 1]


def loadavg() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:
        return None
