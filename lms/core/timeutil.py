"""Time helpers: everything is stored in UTC (naive datetimes meaning UTC), shown in LMS_TIMEZONE."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Naive UTC now, the form every ``*_at`` column stores (portable across SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)


class Zone(ZoneInfo):
    """A ``zoneinfo`` time zone that Flask-Babel accepts in place of a pytz one.

    Flask-Babel hands its time zone to Babel and calls pytz's ``normalize`` on it. pytz reads only the
    32-bit part of the system's (slim) zone files, which for Africa/Casablanca is empty: it put Morocco at
    UTC+0 all year, one hour early on every page, e-mail and PDF. zoneinfo reads the whole file (UTC+1,
    UTC+0 during Ramadan)."""

    def normalize(self, value: datetime) -> datetime:
        return value

    def localize(self, value: datetime, is_dst: bool | None = None) -> datetime:
        return value.replace(tzinfo=self)


def display_zone() -> Zone:
    """The zone every date is shown in (``LMS_TIMEZONE``, default Africa/Casablanca), one object per name."""
    from flask import current_app

    name = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    cache = current_app.extensions.setdefault("tadrib_zones", {})
    if name not in cache:
        cache[name] = Zone(name)
    return cache[name]
