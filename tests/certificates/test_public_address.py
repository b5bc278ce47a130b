"""What a certificate prints: the site's public address (LMS_BASE_URL, required in production), hours as the
language writes them, the place in both scripts; and /certificates/verify's hint when a serial number is typed."""

import io
from datetime import date

import pytest
from pypdf import PdfReader

from lms.accounts.models import User
from lms.certificates import pdf as certificate_pdf
from lms.certificates import service
from lms.cohorts import service as cohorts


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)


@pytest.fixture
def world(app, db, courses, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org", name_latin="Youssef El Amrani")
    learner = make_user(
        email="judge@example.org",
        profession="magistrate-judge",
        name_latin="Karim Idrissi",
        name_arabic="كريم الإدريسي",
    )
    cohort = make_cohort(
        trainer, end_date=date(2027, 1, 12), city="Rabat", city_ar="الرباط", venue="Institut", jurisdiction="rabat"
    )
    cohorts.enrol(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    return trainer, learner, cohort


@pytest.fixture
def printed_urls(monkeypatch):
    """Every URL put in a certificate's QR code."""
    urls = []
    original = certificate_pdf.qr_png
    monkeypatch.setattr(certificate_pdf, "qr_png", lambda url, *a, **k: urls.append(url) or original(url, *a, **k))
    return urls


def test_demo_on_another_port_prints_the_address_it_is_served_at(app, client, db, world, printed_urls):
    """No LMS_BASE_URL (a demo, tests): the certificate downloaded from 127.0.0.1:8123 prints and encodes
    http://127.0.0.1:8123/certificates/verify/<code>, not the default port's dead link."""
    _trainer, learner, cohort = world
    assert not app.config["BASE_URL"]
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None, check=False)
    db.session.commit()
    app.config["SERVER_NAME"] = "127.0.0.1:8123"  # the test client's requests come to that host and port
    client.login("trainer@example.org")
    data = client.get(f"/certificates/{certificate.serial}.pdf").data
    expected = f"http://127.0.0.1:8123/certificates/verify/{certificate.code}"
    assert expected in pdf_text(data)
    assert printed_urls[-1] == expected
    assert "127.0.0.1:5000" not in pdf_text(data)


def test_configured_base_url_is_printed_whatever_host_the_request_came_by(app, client, db, world, printed_urls):
    _trainer, learner, cohort = world
    app.config["BASE_URL"] = "https://tadrib.justice.example.ma/"
    app.config["SERVER_NAME"] = "evil.example.com"  # a forged Host header
    client.login("trainer@example.org")
    with app.test_request_context("/", headers={"Host": "evil.example.com"}):
        certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None, check=False)
        db.session.commit()
    data = client.get(f"/certificates/{certificate.serial}.pdf").data
    text = pdf_text(data)
    assert f"https://tadrib.justice.example.ma/certificates/verify/{certificate.code}" in text
    assert "evil.example.com" not in text and "localhost" not in text
    assert printed_urls and all(
        url.startswith("https://tadrib.justice.example.ma/certificates/verify/") for url in printed_urls
    )


def test_stored_certificate_is_rendered_again_when_the_public_address_changes(app, client, db, world, printed_urls):
    _trainer, learner, cohort = world
    app.config["BASE_URL"] = "http://127.0.0.1:5000"
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None, check=False)
    db.session.commit()
    assert printed_urls == [f"http://127.0.0.1:5000/certificates/verify/{certificate.code}"]
    assert "127.0.0.1:5000" in pdf_text(service.pdf_bytes(certificate))
    assert len(printed_urls) == 1  # same address: the stored file is served
    app.config["BASE_URL"] = "https://tadrib.example.ma"
    text = pdf_text(service.pdf_bytes(certificate))
    assert f"https://tadrib.example.ma/certificates/verify/{certificate.code}" in text and "127.0.0.1" not in text


def test_production_refuses_to_start_without_a_public_address(tmp_path, monkeypatch):
    from lms import create_app
    from lms.config import TestConfig

    monkeypatch.delenv("FLASK_DEBUG", raising=False)

    def config(**values):
        result = TestConfig(f"sqlite:///{tmp_path}/p.sqlite3", str(tmp_path))
        result.TESTING = False
        result.BASE_URL = None
        result.DEMO = False
        for key, value in values.items():
            setattr(result, key, value)
        return result

    with pytest.raises(RuntimeError, match="LMS_BASE_URL"):
        create_app(config())
    assert create_app(config(BASE_URL="https://tadrib.example.ma")).config["BASE_URL"] == "https://tadrib.example.ma"
    assert create_app(config(DEMO=True)).config["DEMO"]  # make run: the request's host stands in


def test_make_run_is_a_demo_at_its_own_port():
    """`make run` marks the instance as a demo and gives LMS_BASE_URL its port (every flask command of it)."""
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text(encoding="utf-8")
    assert "run: export LMS_DEMO := 1" in makefile
    assert "run: export LMS_BASE_URL ?= http://127.0.0.1:$(PORT)" in makefile


def test_hours_and_arabic_place_are_printed_as_each_language_writes_them(app, db, world):
    _trainer, learner, cohort = world
    assert isinstance(cohort.course.hours, float)  # 18.0 in the database
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None, check=False)
    db.session.commit()
    assert certificate.printed["place"] == {"fr": "Rabat", "ar": "الرباط"}
    html = certificate_pdf.certificate_html(
        {
            **certificate.printed,
            "serial": certificate.serial,
            "verification_code": certificate.code,
            "verify_url": service.verify_url(certificate.code),
            "labels": service.labels(),
        }
    )
    assert "18 heures" in html and "18 ساعة" in html
    assert "18.0" not in html and "18,0" not in html
    assert "<bdi>الرباط</bdi>" in html


def test_arabic_place_falls_back_to_the_latin_one(app, db, courses, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="t2@example.org")
    learner = make_user(email="l2@example.org", profession="magistrate-judge")
    cohort = make_cohort(trainer, city="Tanger", jurisdiction="rabat")
    cohorts.enrol(cohort, db.session.get(User, learner.id), None)
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None, check=False)
    assert certificate.printed["place"] == {"fr": "Tanger", "ar": "Tanger"}


def test_cohort_form_keeps_the_arabic_place(client, db, world):
    _trainer, _learner, cohort = world
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'name="city_ar"' in page and 'name="venue_ar"' in page and 'value="الرباط"' in page


@pytest.mark.parametrize(
    ("locale", "hint"),
    [
        ("fr", "Ceci est le numéro de série de l’attestation. Tapez le code de vérification imprimé à côté"),
        ("ar", "هذا هو الرقم التسلسلي للشهادة. اكتب رمز التحقق المطبوع بجانبه"),
        ("en", "This is the certificate's serial number. Type the verification code printed next to it"),
    ],
)
def test_a_serial_number_typed_into_verify_gets_a_hint(client, db, world, locale, hint):
    _trainer, learner, cohort = world
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None, check=False)
    db.session.commit()
    client.raw.environ_base["HTTP_ACCEPT_LANGUAGE"] = locale
    client.post_form("/language", {"lang": locale})
    for typed in (certificate.serial, certificate.serial.lower().replace("-", " "), "TDR-2031-000999"):
        page = client.get("/certificates/verify", query_string={"code": typed}, follow_redirects=True)
        html = page.get_data(as_text=True).replace("&#39;", "'")
        assert page.status_code == 404 and hint in html, typed
    # an unknown code of the verification code's shape: no hint, the plain answer
    other = client.get("/certificates/verify/ABCD1234EFGH5678").get_data(as_text=True).replace("&#39;", "'")
    assert hint not in other and "data-hint" not in other
    data = client.get(f"/certificates/verify/{certificate.serial}?format=json").get_json()
    assert data == {"status": "unknown", "hint": "serial_number"}  # nothing about the certificate itself
    assert client.get(f"/certificates/verify/{certificate.code}?format=json").get_json()["status"] == "valid"


def test_looks_like_serial():
    assert service.looks_like_serial("TDR-2026-000123")
    assert service.looks_like_serial(" tdr 2026 123 ")
    assert not service.looks_like_serial("K7QF 3MZP X2DA 9WRT")
    assert not service.looks_like_serial("TDR-ABCD")
    assert not service.looks_like_serial("")
