"""Audit actions have readable, translated names (lms/audit/labels.py)."""

import re
from pathlib import Path

from flask_babel import force_locale

from lms.audit.labels import LABELS, audit_label

LMS = Path(__file__).resolve().parents[2] / "lms"


def test_label_in_the_page_language_and_unknown_actions_as_they_are(app):
    with app.test_request_context("/"):
        with force_locale("en"):
            assert audit_label("certificate.revoke") == "Certificate revoked"
        with force_locale("fr"):
            assert audit_label("certificate.revoke") not in ("Certificate revoked", "certificate.revoke")
        assert audit_label("no.such_action") == "no.such_action"


def test_every_action_the_code_records_has_a_label():
    recorded = set()
    for path in LMS.rglob("*.py"):
        recorded |= set(re.findall(r'\brecord\(\s*"([a-z_]+\.[a-z_]+)"', path.read_text(encoding="utf-8")))
    assert len(recorded) > 20, recorded  # the scan still finds the calls
    assert sorted(recorded - set(LABELS)) == []
