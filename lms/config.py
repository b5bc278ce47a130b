"""Settings. Every operator-facing setting comes from an ``LMS_*`` environment variable (DESIGN.md §4)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


def _env_bool(name: str, default: bool = False) -> bool:
    value = _env(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value is not None else default


def instance_path() -> Path:
    return Path(_env("LMS_INSTANCE_PATH", str(PROJECT_ROOT / "instance"))).resolve()


def load_secret_key(instance: Path) -> str:
    """``LMS_SECRET_KEY`` if set, else a key generated once into the instance folder (never in the repo)."""
    key = _env("LMS_SECRET_KEY")
    if key:
        return key
    path = instance / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    # Created with 0600 so other local users cannot read it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


class Config:
    TESTING = False
    DEBUG = False

    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False

    # Sessions and cookies (RELIABILITY.md §1.2)
    SESSION_COOKIE_NAME = "tadrib_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = _env_bool("LMS_SECURE_COOKIES", False)
    PERMANENT_SESSION_LIFETIME = timedelta(hours=_env_int("LMS_SESSION_HOURS", 12))
    REMEMBER_COOKIE_NAME = "tadrib_remember"
    REMEMBER_COOKIE_DURATION = timedelta(days=_env_int("LMS_REMEMBER_DAYS", 14))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = SESSION_COOKIE_SECURE
    REMEMBER_COOKIE_REFRESH_EACH_REQUEST = False

    # CSRF: long enough for a long quiz; an expired token never loses input (see core.errors).
    WTF_CSRF_TIME_LIMIT = _env_int("LMS_CSRF_HOURS", 12) * 3600
    WTF_CSRF_SSL_STRICT = True

    MAX_CONTENT_LENGTH = _env_int("LMS_MAX_UPLOAD_MB", 8) * 1024 * 1024

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = _env("LMS_TIMEZONE", "Africa/Casablanca")
    LANGUAGES = ("fr", "ar", "en")

    RATELIMIT_STORAGE_URI = _env("LMS_RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = False
    RATELIMIT_ENABLED = _env_bool("LMS_RATELIMIT_ENABLED", True)
    #: failed sign-ins per client address: a workshop room shares one NAT address (see README for the number)
    LOGIN_LIMIT_PER_IP = _env("LMS_LOGIN_LIMIT_PER_IP", "200 per 15 minutes")
    LOGIN_LIMIT_PER_ACCOUNT = _env("LMS_LOGIN_LIMIT_PER_ACCOUNT", "5 per 15 minutes")
    RESET_LIMIT = _env("LMS_RESET_LIMIT", "5 per hour")

    # Password hashing: argon2id, OWASP's recommended minimum (m=19 MiB, t=2, p=1).
    ARGON2_TIME_COST = _env_int("LMS_ARGON2_TIME_COST", 2)
    ARGON2_MEMORY_COST = _env_int("LMS_ARGON2_MEMORY_KIB", 19456)
    ARGON2_PARALLELISM = _env_int("LMS_ARGON2_PARALLELISM", 1)

    #: roles that must sign in with a one-time code as well (empty: nobody is forced)
    REQUIRE_TOTP_ROLES = (
        tuple(r for r in (_env("LMS_REQUIRE_TOTP_ROLES", "trainer,admin") or "").split(",") if r.strip())
        if _env_bool("LMS_REQUIRE_TOTP", True)
        else ()
    )

    RESET_TOKEN_HOURS = _env_int("LMS_RESET_TOKEN_HOURS", 1)
    INVITE_TOKEN_DAYS = _env_int("LMS_INVITE_TOKEN_DAYS", 14)

    MAIL_SERVER = _env("LMS_MAIL_SERVER")
    MAIL_PORT = _env_int("LMS_MAIL_PORT", 587)
    MAIL_USERNAME = _env("LMS_MAIL_USERNAME")
    MAIL_PASSWORD = _env("LMS_MAIL_PASSWORD")
    MAIL_USE_TLS = _env_bool("LMS_MAIL_USE_TLS", True)
    MAIL_SENDER = _env("LMS_MAIL_SENDER", "Tadrib <no-reply@tadrib.local>")
    #: the task queue: ``sqlite:///<path>`` (default: <instance>/queue.sqlite3), ``redis://host:6379/0`` for several
    #: processes or machines, ``immediate`` to run each task where it is queued (no consumer)
    QUEUE_URL = _env("LMS_QUEUE_URL")
    #: the queue's name in that storage (two sites sharing one Redis need two names); default ``tadrib``
    QUEUE_NAME = _env("LMS_QUEUE_NAME")
    #: a running background job whose worker gave no sign of life for this long is queued again (consumer killed)
    JOB_STALE_SECONDS = _env_int("LMS_JOB_STALE_SECONDS", 120)
    #: learners handled per committed batch of a bulk job (issuing a cohort's certificates: about 0.15 s each, the
    #: time SQLite's write lock is held by the batch, so that the site's writes never wait long behind it)
    JOB_BATCH_SIZE = _env_int("LMS_JOB_BATCH_SIZE", 10)

    # Number of reverse proxies to trust for X-Forwarded-*; 0 = none (ProxyFix not installed).
    PROXY_FIX = _env_int("LMS_PROXY_FIX", 0)
    #: The public address people reach the app at (``https://tadrib.example.ma``): printed in certificates (their
    #: verification URL and QR code) and in links of mails. Required in production (``create_app`` refuses to
    #: start without it); only a demo (``LMS_DEMO``, set by ``make run``), debug or tests may go without, and
    #: then the request's own host is used.
    BASE_URL = _env("LMS_BASE_URL")
    #: a demo on this machine (``make run``): the request's host may stand in for LMS_BASE_URL
    DEMO = _env_bool("LMS_DEMO", False)

    COURSES_PATH = _env("LMS_COURSES_PATH", str(PROJECT_ROOT / "courses"))
    #: one JSON line per request on the "tadrib.requests" logger
    REQUEST_LOG = _env_bool("LMS_REQUEST_LOG", True)
    USERS_PER_PAGE = 25
    AUDIT_PER_PAGE = 50

    def __init__(self) -> None:
        self.INSTANCE_PATH = str(instance_path())
        self.SQLALCHEMY_DATABASE_URI = _env(
            "LMS_DATABASE_URL", "sqlite:///" + str(Path(self.INSTANCE_PATH) / "tadrib.sqlite3")
        )
        self.SECRET_KEY = load_secret_key(Path(self.INSTANCE_PATH))


class TestConfig(Config):
    __test__ = False  # not a pytest test class
    REQUEST_LOG = False
    REQUIRE_TOTP_ROLES = ()  # the two-factor tests switch it on

    TESTING = True
    # Fast hashing in tests; the production parameters are tested separately.
    ARGON2_TIME_COST = 1
    ARGON2_MEMORY_COST = 1024
    ARGON2_PARALLELISM = 1
    RATELIMIT_STORAGE_URI = "memory://"
    SERVER_NAME = None
    # A task runs where it is queued (after the commit that queued it); tests of queued work use "memory".
    QUEUE_URL = "immediate"

    def __init__(self, database_url: str, instance: str) -> None:
        self.INSTANCE_PATH = instance
        self.SQLALCHEMY_DATABASE_URI = database_url
        self.SECRET_KEY = "test-" + secrets.token_hex(16)
