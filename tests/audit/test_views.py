"""The audit log as sentences (issue 16, point 19): who did what to whom, filters, paging, constant queries."""

import html
from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import insert

from lms.accounts import service as accounts
from lms.accounts.models import User
from lms.attendance import service as attendance_service
from lms.audit.models import AuditEvent
from lms.cohorts import service as cohorts
from lms.cohorts.models import Cohort


@pytest.fixture
def story(app, db, client, make_user, make_cohort):
    """An admin, a trainer with a cohort and a session, two learners; real actions, so real audit events."""
    admin = make_user(roles=("admin",), email="admin@example.org", name_latin="Amina Admin", locale="fr")
    trainer = make_user(roles=("trainer",), email="trainer@example.org", name_latin="Tarik Trainer")
    karim = make_user(email="karim@example.org", name_latin="Karim Idrissi", name_arabic="كريم الإدريسي")
    salma = make_user(email="salma@example.org", name_latin="Salma Bennani")
    cohort = make_cohort(trainer, title="Fès 2027")
    other = make_cohort(trainer, title="Oujda 2027")
    actor = db.session.get(User, trainer.id)
    cohort = db.session.get(Cohort, cohort.id)
    cohorts.enrol(cohort, db.session.get(User, karim.id), actor)
    cohorts.enrol(db.session.get(Cohort, other.id), db.session.get(User, salma.id), actor)
    session = attendance_service.save_session(
        cohort,
        None,
        actor,
        title="Atelier 1",
        day=date(2027, 1, 12),
        start=time(9),
        end=time(12),
        place="Fès",
        modules=[],
        late_after_minutes=15,
        trainer_id=None,
    )
    db.session.flush()
    attendance_service.record_attendance(session, karim.id, "excused", actor)
    accounts.set_roles(db.session.get(User, salma.id), {"learner", "trainer"}, db.session.get(User, admin.id))
    db.session.commit()
    client.login("admin@example.org")
    return {"admin": admin, "trainer": trainer, "karim": karim, "salma": salma, "cohort": cohort, "other": other}


def test_sentences_in_french(client, story):
    page = client.get("/audit").get_data(as_text=True)
    karim = f'<a href="/account/users/{story["karim"].id}"><bdi>Karim Idrissi</bdi></a>'
    fes = f'<a href="/cohorts/{story["cohort"].id}"><bdi>Fès 2027</bdi></a>'
    assert f"a inscrit {karim} à {fes}." in page
    assert f"a noté {karim} excusé à «\u00a0<bdi>Atelier 1</bdi>\u00a0» ({fes})." in page
    assert "a modifié les rôles de" in page and "de Apprenant(e) à Apprenant(e), Formateur" in page
    # The stored record is one click away, readable (no "\u2014" escapes, no JSON on the page's face).
    assert "<details><summary>Enregistrement tel que conservé</summary>" in page
    assert "\\u" not in page and '"status": "excused"' in html.unescape(page)


def test_sentences_in_arabic(client, db, story):
    admin = db.session.get(User, story["admin"].id)
    admin.locale = "ar"
    db.session.commit()
    client.post_form("/language", {"lang": "ar"})
    page = client.get("/audit").get_data(as_text=True)
    fes = f'<a href="/cohorts/{story["cohort"].id}"><bdi>Fès 2027</bdi></a>'
    assert "سجّل" in page and fes in page
    assert "قام" in page or "غيّر" in page
    assert "Record as stored" not in page and "السجل كما حُفظ" in page


def test_filters_person_cohort_kind_and_dates(client, db, story):
    karim, salma = story["karim"], story["salma"]
    by_person = client.get("/audit?person=Karim").get_data(as_text=True)
    # Karim's account creation, his enrolment (recorded on the cohort), his attendance (on the session).
    assert "Karim Idrissi" in by_person and "Salma Bennani" not in by_person
    assert "excusé" in by_person and "a inscrit" in by_person
    # By Arabic name too, and an e-mail address.
    assert "a inscrit" in client.get("/audit?person=الإدريسي").get_data(as_text=True)
    assert "Karim" not in client.get("/audit?person=salma@example.org").get_data(as_text=True)
    by_cohort = client.get(f"/audit?cohort={story['other'].id}").get_data(as_text=True)
    assert "Salma Bennani" in by_cohort and "Karim Idrissi" not in by_cohort
    by_kind = client.get("/audit?kind=attendance.").get_data(as_text=True)
    assert "excusé" in by_kind and "a inscrit" not in by_kind
    assert "a inscrit" in client.get("/audit?kind=cohort.enrol").get_data(as_text=True)
    today = datetime.now().date()
    assert "a inscrit" in client.get(
        f"/audit?from={today - timedelta(days=1)}&to={today + timedelta(days=1)}"
    ).get_data(as_text=True)
    empty = client.get(f"/audit?from={today + timedelta(days=2)}").get_data(as_text=True)
    assert "Rien ne correspond à ces filtres." in empty
    assert client.get("/audit?person=%27%20OR%201%3D1--&cohort=x&kind=nonsense&from=garbage").status_code == 200
    assert salma.id and karim.id


def test_paged_with_filters_kept(client, db, story):
    db.session.execute(
        insert(AuditEvent),
        [
            {
                "action": "cohort.enrol",
                "object_type": "cohort",
                "object_id": str(story["cohort"].id),
                "after": {"user": story["karim"].id, "source": "import"},
                "actor_id": story["trainer"].id,
                "channel": "web",
                "created_at": datetime(2027, 1, 1),
            }
            for _ in range(60)
        ],
    )
    db.session.commit()
    page = client.get(f"/audit?cohort={story['cohort'].id}").get_data(as_text=True)
    assert 'rel="next"' in page and f"cohort={story['cohort'].id}" in page.split('rel="next"')[0].rsplit("href=", 1)[1]
    assert client.get(f"/audit?cohort={story['cohort'].id}&page=2").status_code == 200


def _bulk_events(db, story, n):
    kinds = [
        ("cohort.enrol", "cohort", str(story["cohort"].id), {"user": story["karim"].id}),
        ("user.roles", "user_account", str(story["salma"].id), {"roles": ["learner"]}),
        ("certificate.issue", "certificate", "999", {"serial": "TDR-2027-000999", "user": story["karim"].id}),
        ("quiz.regrade", "quiz_attempt", "888", {"percent": 62.5}),
        ("attendance.mark", "attendance", f"777:{story['salma'].id}", {"status": "present"}),
    ]
    rows = []
    for i in range(n):
        action, object_type, object_id, after = kinds[i % len(kinds)]
        people = [story["admin"].id, story["trainer"].id]
        rows.append(
            {
                "action": action,
                "object_type": object_type,
                "object_id": object_id,
                "after": after,
                "actor_id": people[i % 2],
                "channel": "web",
                "created_at": datetime(2027, 1, 2),
            }
        )
    db.session.execute(insert(AuditEvent), rows)
    db.session.commit()


def test_query_count_does_not_grow_with_events(client, db, story, count_queries, app):
    app.config["AUDIT_PER_PAGE"] = 500
    counts = []
    for n in (10, 190):  # 10 + the story's events, then 200 + them
        _bulk_events(db, story, n)
        with count_queries() as counter:
            assert client.get("/audit").status_code == 200
        counts.append(counter.count)
    assert counts[0] == counts[1], counts
