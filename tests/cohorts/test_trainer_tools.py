"""The trainer's tools around a cohort: a blank enrolment list to fill in, writing to one learner, and the
certificates page where revoking is one step away."""

import email
import email.policy
import io

import pytest
from sqlalchemy import select

from lms.accounts import service as accounts
from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.certificates import service as certificates
from lms.cohorts import service
from lms.cohorts.import_template import COLUMNS, header
from lms.cohorts.importing import parse_enrolment_file
from tests.conftest import outbox

# --- the enrolment list template -------------------------------------------------------------------------

ROW = ["amal@example.org", "Amal Berrada", "أمل برادة", "juge", "rabat", "F"]


@pytest.mark.parametrize("language", ["fr", "ar"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_is_read_by_the_import(client, make_user, language, fmt):
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("trainer@example.org")
    response = client.get(f"/cohorts/import-template-{language}.{fmt}")
    assert response.status_code == 200
    assert f"tadrib-learners-{language}.{fmt}" in response.headers["Content-Disposition"]
    if fmt == "csv":
        text = response.data.decode("utf-8-sig")
        assert text.strip().split(",") == header(language)
        filled = response.data + (",".join(ROW) + "\r\n").encode("utf-8")
    else:
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(response.data))
        sheet = book.active
        assert [c.value for c in sheet[1]] == header(language)
        assert sheet.sheet_view.rightToLeft == (language == "ar")
        sheet.append(ROW)
        buffer = io.BytesIO()
        book.save(buffer)
        filled = buffer.getvalue()
    with client.application.app_context():
        rows = parse_enrolment_file(f"list.{fmt}", filled, list(accounts.jurisdictions()))
    assert len(rows) == 1 and not rows[0].errors
    row = rows[0]
    assert (row.email, row.name_latin, row.name_arabic) == ("amal@example.org", "Amal Berrada", "أمل برادة")
    assert (row.profession, row.jurisdiction, row.gender) == ("magistrate-judge", "rabat", "female")
    if language == "ar":  # the Arabic template names its columns in Arabic wherever the import reads Arabic
        assert sum(1 for name in header("ar") if any("\u0600" <= ch <= "\u06ff" for ch in name)) >= len(COLUMNS) - 1


def test_the_import_page_offers_the_templates(client, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}/import").get_data(as_text=True)
    for name in ("fr.csv", "fr.xlsx", "ar.csv", "ar.xlsx"):
        assert f'href="/cohorts/import-template-{name}"' in page


def test_learners_cannot_download_the_template(client, make_user):
    make_user(email="learner@example.org")
    client.login("learner@example.org")
    assert client.get("/cohorts/import-template-fr.csv").status_code == 403


# --- writing to one learner ------------------------------------------------------------------------------


@pytest.fixture
def shared(db, make_user, make_cohort):
    """Two trainers, each with a cohort; one learner in both, one only in the second."""
    first = make_user(roles=("trainer",), email="first@example.org", name_latin="Youssef Formateur")
    second = make_user(roles=("trainer",), email="second@example.org", name_latin="Salma Formatrice")
    cohort_a = make_cohort(first, title="Rabat 2027")
    cohort_b = make_cohort(second, title="Casablanca 2027", course="victim-identification")
    both = make_user(email="both@example.org", name_latin="Karim Idrissi", locale="ar")
    only_b = make_user(email="onlyb@example.org", name_latin="Nabil Sqalli")
    service.enrol(cohort_a, db.session.get(User, both.id), None)
    service.enrol(cohort_b, db.session.get(User, both.id), None)
    service.enrol(cohort_b, db.session.get(User, only_b.id), None)
    db.session.commit()
    return cohort_a, cohort_b, both, only_b


def _messages(app):
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in outbox(app)]


def test_a_trainer_writes_to_a_learner_of_their_cohort(app, client, db, shared):
    cohort_a, _cohort_b, both, _only_b = shared
    client.login("first@example.org")
    page = client.get(f"/reports/cohorts/{cohort_a.id}/learners/{both.id}").get_data(as_text=True)
    assert f'action="/cohorts/{cohort_a.id}/learners/{both.id}/message"' in page
    response = client.post_form(
        f"/cohorts/{cohort_a.id}/learners/{both.id}/message",
        {
            "subject": "Atelier de jeudi",
            "body": "Bonjour,\npouvez-vous apporter <votre> dossier ?",
            "next": f"/reports/cohorts/{cohort_a.id}/learners/{both.id}",
        },
    )
    assert (
        response.status_code == 302
        and response.headers["Location"] == f"/reports/cohorts/{cohort_a.id}/learners/{both.id}"
    )
    (message,) = _messages(app)
    assert message["To"] == "both@example.org" and message["Reply-To"] == "first@example.org"
    assert message["Subject"] == "Atelier de jeudi"
    text = message.get_body(("plain",)).get_content()
    assert "pouvez-vous apporter <votre> dossier ?" in text and "Youssef Formateur" in text
    html = message.get_body(("html",)).get_content()
    assert "&lt;votre&gt;" in html and 'dir="rtl"' in html  # escaped; in the learner's language (Arabic)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.message"))
    assert event.object_id == str(both.id) and event.after["cohort_id"] == cohort_a.id
    assert event.after["subject"] == "Atelier de jeudi" and "body" not in event.after


def test_only_the_trainers_of_a_cohort_the_learner_is_in_can_write(app, client, db, shared):
    cohort_a, cohort_b, both, only_b = shared
    data = {"subject": "S", "body": "B"}
    client.login("first@example.org")
    # The shared learner, through the other trainer's cohort: refused.
    assert client.post_form(f"/cohorts/{cohort_b.id}/learners/{both.id}/message", data).status_code == 403
    # A learner of the other cohort only, through one's own cohort: not found.
    assert client.post_form(f"/cohorts/{cohort_a.id}/learners/{only_b.id}/message", data).status_code == 404
    assert client.get(f"/reports/cohorts/{cohort_a.id}/learners/{only_b.id}").status_code == 404
    assert outbox(app) == []
    client.logout()
    client.login("second@example.org")
    assert client.post_form(f"/cohorts/{cohort_b.id}/learners/{both.id}/message", data).status_code == 302
    assert client.post_form(f"/cohorts/{cohort_a.id}/learners/{both.id}/message", data).status_code == 403
    assert [m["Reply-To"] for m in _messages(app)] == ["second@example.org"]
    # The service checks it too.
    with pytest.raises(service.CohortError):
        service.message_learner(
            db.session.get(type(cohort_a), cohort_a.id),
            db.session.get(User, both.id),
            db.session.get(User, only_b.id),
            "S",
            "B",
        )


def test_no_form_for_a_walk_in_without_address(app, client, db, shared):
    cohort_a, _cohort_b, _both, _only_b = shared
    walk_in = service.add_walk_in(db.session.get(type(cohort_a), cohort_a.id), None, name_latin="Sans Adresse")
    db.session.commit()
    client.login("first@example.org")
    page = client.get(f"/reports/cohorts/{cohort_a.id}/learners/{walk_in.id}").get_data(as_text=True)
    assert "This person has no e-mail address to write to." in page and "/message" not in page
    refused = client.post_form(
        f"/cohorts/{cohort_a.id}/learners/{walk_in.id}/message", {"subject": "S", "body": "B"}, follow_redirects=True
    )
    assert "This person has no e-mail address to write to." in refused.get_data(as_text=True)
    assert outbox(client.application) == []


# --- the certificates page -------------------------------------------------------------------------------


def test_revoking_is_one_step_away_and_needs_a_reason(client, db, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    learner = make_user(email="l@example.org")
    service.enrol(cohort, db.session.get(User, learner.id), None)
    certificate, _ = certificates.issue(cohort, db.session.get(User, learner.id), None, check=False)
    db.session.commit()
    client.login("trainer@example.org")
    page = client.get(f"/certificates/cohorts/{cohort.id}").get_data(as_text=True)
    start = page.index('<details class="rare-action">')
    folded = page[start : page.index("</details>", start)]
    assert "button danger" in folded and page.count("button danger") == 1  # only inside the fold
    for label in (
        "issued in error or with wrong details",
        "obtained by fraud",
        "withdrawn by the issuing body",
        "other reason",
    ):
        assert label in folded  # every reason readable in full, not clipped in a list box
    assert "<select" not in folded
    refused = client.post_form(f"/certificates/cohorts/{cohort.id}/{certificate.id}/revoke", {}, follow_redirects=True)
    assert "Choose a reason." in refused.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(certificate), certificate.id).revoked_at is None
