"""Certificates end to end: eligibility, idempotent issue, access, verification, revocation."""

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.certificates import service
from lms.certificates.models import Certificate
from lms.certificates.rules import Record, eligibility
from tests.conftest import outbox
from tests.factories import auto_issue, complete_everything

RULE = {"modules": "all", "quizzes_passed": "all", "attendance_percent": 80}


def test_eligibility_cases():
    assert eligibility(RULE, Record(6, 6, 6, 6, 100.0)).eligible
    missing = eligibility(RULE, Record(6, 5, 6, 4, 62.0)).missing
    assert missing == [
        ("modules", {"have": 5, "need": 6}),
        ("quizzes", {"have": 4, "need": 6}),
        ("attendance", {"have": 62, "need": 80}),
    ]
    assert not eligibility(RULE, Record(6, 6, 6, 6, None)).eligible  # no session attended yet
    assert eligibility(RULE, Record(6, 6, 6, 6, None), counts_attendance=False).eligible  # online cohort
    assert eligibility({"modules": 3, "quizzes_passed": 0, "attendance_percent": 0}, Record(6, 3, 6, 0, None)).eligible
    assert eligibility(
        {"modules": 10, "quizzes_passed": "all", "attendance_percent": 0}, Record(2, 2, 0, 0, None)
    ).eligible


def test_not_eligible_learner_sees_why(client, world):
    _trainer, _learner, _cohort = world
    client.login("judge@example.org")
    page = client.get("/certificates").get_data(as_text=True)
    assert "modules completed: 0 of 8 required" in page and "attendance: no session counted yet (80% required)" in page


def test_issue_is_idempotent_and_audited(client, db, world):
    trainer, learner, cohort = world
    complete_everything(db, learner.id, cohort)
    client.login("trainer@example.org")
    page = client.get(f"/certificates/cohorts/{cohort.id}").get_data(as_text=True)
    # The learner's row says eligible and offers the issue button (the page always has the word "eligible").
    assert '<span class="tag tag-ok">eligible</span>' in page
    assert f'<input type="hidden" name="user" value="{learner.id}">' in page
    client.post_form(f"/certificates/cohorts/{cohort.id}/issue", {"user": learner.id})
    client.post_form(f"/certificates/cohorts/{cohort.id}/issue", {"user": learner.id})
    client.post_form(f"/certificates/cohorts/{cohort.id}/issue")
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    certificate = db.session.scalar(select(Certificate))
    assert certificate.serial.startswith("TDR-") and len(certificate.code) == 16
    assert certificate.printed["name_arabic"] == "كريم الإدريسي" and certificate.printed["hours"] == 18
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "certificate.issue")) == 1
    # The learner is told once, whichever button issued it (the single-learner one here), with a mail.
    from lms.notifications.models import Notification

    told = db.session.execute(
        select(Notification.kind, Notification.link).where(Notification.user_id == learner.id)
    ).all()
    assert told == [("certificate_issued", "/certificates")]
    assert any("judge_example_org" in path.name for path in outbox(client.application))


def test_not_eligible_cannot_be_issued(client, db, world):
    _trainer, learner, cohort = world
    client.login("trainer@example.org")
    response = client.post_form(f"/certificates/cohorts/{cohort.id}/issue", {"user": learner.id}, follow_redirects=True)
    assert "Not yet eligible" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def _issued_pdf_url(db, world) -> str:
    """The learner of ``world`` completes everything and is issued their certificate: its download address."""
    _trainer, learner, cohort = world
    complete_everything(db, learner.id, cohort)
    certificate, _created = service.issue(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    return f"/certificates/{certificate.serial}.pdf"


def test_download_access(app, client, db, world, make_user):
    url = _issued_pdf_url(db, world)
    client.login("judge@example.org")
    response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    client.logout()
    make_user(email="other@example.org")
    client.login("other@example.org")
    assert client.get(url).status_code == 404
    client.logout()
    make_user(roles=("trainer",), email="t2@example.org")
    client.login("t2@example.org")
    assert client.get(url).status_code == 404
    client.logout()
    client.login("trainer@example.org")
    assert client.get(url).status_code == 200
    client.logout()
    assert client.get(url).status_code == 302  # anonymous: sign in first


def test_a_download_is_two_statements(client, db, world, count_queries):
    """The signed-in person, then the certificate with its cohort (who may download it and what must come first
    read the cohort from the session): the file is stored, not rendered."""
    url = _issued_pdf_url(db, world)
    client.login("judge@example.org")
    assert client.get(url).status_code == 200
    db.session.remove()
    with count_queries() as queries:
        response = client.get(url)
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert queries.count == 2, queries.statements
    assert "JOIN cohort" in queries.statements[1], queries.statements


def test_stored_pdf_served_without_rendering_again(app, db, world, monkeypatch):
    _trainer, learner, cohort = world
    complete_everything(db, learner.id, cohort)
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    from lms.certificates import pdf

    calls = []
    original = pdf.render_certificate_pdf
    monkeypatch.setattr(pdf, "render_certificate_pdf", lambda ctx: calls.append(1) or original(ctx))
    first = service.pdf_bytes(certificate)
    assert calls == [] and first.startswith(b"%PDF")
    monkeypatch.setattr(service, "template_hash", lambda: "changed")
    service.pdf_bytes(certificate)
    assert calls == [1]


def test_verification_valid_revoked_unknown(client, db, world):
    trainer, learner, cohort = world
    complete_everything(db, learner.id, cohort)
    certificate, _ = service.issue(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    page = client.get(f"/certificates/verify/{certificate.grouped_code.lower()}")
    html = page.get_data(as_text=True)
    assert (
        page.status_code == 200
        and "Valid certificate" in html
        and "كريم الإدريسي" in html
        and certificate.serial in html
    )
    assert "judge@example.org" not in html
    data = client.get(f"/certificates/verify/{certificate.code}?format=json").get_json()
    assert data["status"] == "valid" and data["name_latin"] == "Karim Idrissi" and "email" not in data
    assert client.get("/certificates/verify?code=" + certificate.grouped_code).status_code == 302
    unknown = client.get("/certificates/verify/AAAA-BBBB-CCCC-DDDD")
    assert unknown.status_code == 404 and "No certificate has this code" in unknown.get_data(as_text=True)
    client.login("trainer@example.org")
    client.post_form(f"/certificates/cohorts/{cohort.id}/{certificate.id}/revoke", {"reason": "fraud"})
    client.logout()
    revoked = client.get(f"/certificates/verify/{certificate.code}").get_data(as_text=True)
    assert "Revoked certificate" in revoked and "obtained by fraud" in revoked
    assert (
        db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.revoke")).after["reason"]
        == "fraud"
    )


def test_reissue_gives_a_new_code(client, db, world):
    trainer, learner, cohort = world
    complete_everything(db, learner.id, cohort)
    old, _ = service.issue(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    client.login("trainer@example.org")
    client.post_form(f"/certificates/cohorts/{cohort.id}/{old.id}/revoke", {"reissue": "1"})
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.id)).all()
    assert len(certificates) == 2 and certificates[0].revoked_at and certificates[1].revoked_at is None
    assert certificates[0].code != certificates[1].code


def test_verification_is_rate_limited(client):
    statuses = [client.get("/certificates/verify/AAAA").status_code for _ in range(32)]
    assert statuses[-1] == 429


def test_cli_issue_with_progress(runner, db, world):
    _trainer, learner, cohort = world
    complete_everything(db, learner.id, cohort)
    result = runner.invoke(args=["certificates", "issue", "--cohort", str(cohort.id)])
    assert result.exit_code == 0 and "1 issued" in result.output
    again = runner.invoke(args=["certificates", "issue", "--cohort", str(cohort.id)])
    assert "0 issued, 1 already issued" in again.output
    assert runner.invoke(args=["certificates", "issue", "--cohort", "999"]).exit_code != 0


def test_code_normalisation():
    assert service.normalize_code(" k7qf-3mzp x2da-9wrt ") == "K7QF3MZPX2DA9WRT"
    assert service.normalize_code("O1IL") == "0111"
    assert all(c in service.CODE_ALPHABET for c in service.new_code())


def test_pre_test_does_not_count_for_the_certificate(db, world):
    _trainer, learner, cohort = world
    records = service.cohort_records(cohort)
    # 8 modules (with the pre-test and the post-test), 7 quizzes to pass: the pre-test is not one of them.
    assert records[learner.id].modules_total == 8 and records[learner.id].quizzes_total == 7


def test_cohort_that_issues_by_itself_issues_when_the_learner_looks(client, db, world):
    trainer, learner, cohort = world
    auto_issue(db, cohort)
    client.login("judge@example.org")
    page = client.get("/certificates").get_data(as_text=True)
    assert "Not yet eligible" in page and db.session.scalar(select(func.count(Certificate.id))) == 0
    complete_everything(db, learner.id, cohort)
    page = client.get("/certificates").get_data(as_text=True)
    assert "Your certificate is ready" in page and "Download the certificate (PDF)" in page
    again = client.get("/certificates").get_data(as_text=True)
    assert "Your certificate is ready" not in again
    assert db.session.scalar(select(func.count(Certificate.id))) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "certificate.issue"))
    assert event.channel == "auto" and event.actor_id == learner.id
    certificate = db.session.scalar(select(Certificate))
    assert client.get(f"/certificates/{certificate.serial}.pdf").data.startswith(b"%PDF")


def test_a_revoked_certificate_is_never_issued_again_by_itself(client, db, world):
    trainer, learner, cohort = world
    auto_issue(db, cohort)
    complete_everything(db, learner.id, cohort)
    client.login("judge@example.org")
    client.get("/certificates")
    certificate = db.session.scalar(select(Certificate))
    client.logout()
    client.login("trainer@example.org")
    client.post_form(f"/certificates/cohorts/{cohort.id}/{certificate.id}/revoke", {"reason": "error"})
    client.logout()
    client.login("judge@example.org")
    page = client.get("/certificates").get_data(as_text=True)
    assert "Your certificate is ready" not in page and "your trainer will issue your certificate" in page
    assert db.session.scalar(select(func.count(Certificate.id))) == 1


def test_trainer_turns_automatic_issue_on_in_the_cohort_form(client, db, world):
    trainer, learner, cohort = world
    client.login("trainer@example.org")
    form = client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'name="auto_issue"' in form
    from lms.cohorts.models import Cohort

    row = db.session.get(Cohort, cohort.id)
    data = {
        "course": row.course_id,
        "title": row.title,
        "start_date": row.start_date.isoformat(),
        "end_date": row.end_date.isoformat(),
        "mode": row.mode,
        "language": row.language,
        "trainers": [trainer.id],
        "require_modules": "y",
        "require_quizzes": "y",
        "attendance_percent": "80",
        "auto_issue": "y",
    }
    assert client.post_form(f"/cohorts/{cohort.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).completion["auto_issue"] is True
