"""Time (lms/core/timeutil.py): stored as naive UTC, shown in LMS_TIMEZONE with zoneinfo's whole rules."""

from datetime import UTC, datetime, timedelta

from lms.core.timeutil import Zone, display_zone, utcnow


def test_utcnow_is_naive_utc():
    now = utcnow()
    assert now.tzinfo is None
    assert abs(datetime.now(UTC).replace(tzinfo=None) - now) < timedelta(seconds=5)


def test_zone_follows_morocco_s_ramadan_rule_that_pytz_missed():
    casablanca = Zone("Africa/Casablanca")
    january = casablanca.localize(datetime(2027, 1, 12, 8))
    assert january.utcoffset() == timedelta(hours=1)
    # Ramadan 2026 (about 18 February to 19 March): Morocco goes back to UTC+0.
    ramadan = casablanca.localize(datetime(2026, 3, 5, 8))
    assert ramadan.utcoffset() == timedelta(0)
    assert casablanca.normalize(january) is january


def test_display_zone_is_the_configured_one_made_once(app):
    with app.app_context():
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Africa/Casablanca"
        zone = display_zone()
        assert str(zone) == "Africa/Casablanca" and display_zone() is zone
        app.config["BABEL_DEFAULT_TIMEZONE"] = "Europe/Paris"
        assert str(display_zone()) == "Europe/Paris"
