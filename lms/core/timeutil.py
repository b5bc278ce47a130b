"""Time helpers: everything is stored in UTC (naive datetimes meaning UTC), shown in LMS_TIMEZONE."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now, the form every ``*_at`` column stores (portable across SQLite and PostgreSQL)."""
    return datetime.now(UTC).replace(tzinfo=None)
