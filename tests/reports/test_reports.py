"""Dashboards and programme indicators: arithmetic, query-count invariance, masking, access."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from lms.accounts.models import User
from lms.certificates.models import Certificate
from lms.cohorts.models import Cohort, Enrolment
from lms.content.models import Course, Module, ModuleProgress, QuizVersion
from lms.reports import service
from tests.factories import current_quiz, make_attempt, make_progress, make_session, mark
from tests.reports.pdfjob import programme_pdf

NOW = datetime(2027, 2, 1, 12, 0)


def _bulk_learners(db, cohort, n, start=0, **fields):
    rows = [
        {
            "email": f"bulk{start + i}@example.org",
            "name_latin": f"Learner {start + i:04d}",
            "locale": "fr",
            "is_learner": True,
            "is_trainer": False,
            "is_admin": False,
            "is_active": True,
            "session_version": 1,
            "created_at": NOW,
            "profession": fields.get("profession", "magistrate-judge"),
            "jurisdiction": fields.get("jurisdiction", "rabat"),
            "gender": fields.get("gender"),
        }
        for i in range(n)
    ]
    db.session.execute(insert(User), rows)
    ids = db.session.scalars(select(User.id).where(User.email.in_([r["email"] for r in rows]))).all()
    db.session.execute(
        insert(Enrolment),
        [{"cohort_id": cohort.id, "user_id": uid, "enrolled_at": NOW, "source": "import"} for uid in ids],
    )
    db.session.commit()
    return ids


@pytest.fixture
def setting(app, db, courses, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer, title="Fès 2027", start_date=date(2027, 1, 1))
    return trainer, cohort, db.session.get(Course, cohort.course_id)


def test_indicator_arithmetic_hand_computed(db, setting):
    """Six people: 4 judges (2 women, 1 man, 1 not stated), 2 social workers (women) from another court.
    Hand count: trained = 2 (all six modules), certified = 1; 2 sessions held, attendance 7/(12-1)."""
    _trainer, cohort, course = setting
    judges = _bulk_learners(db, cohort, 2, 0, gender="female")
    judges += _bulk_learners(db, cohort, 1, 2, gender="male")
    judges += _bulk_learners(db, cohort, 1, 3)
    workers = _bulk_learners(db, cohort, 2, 4, gender="female", profession="social-worker", jurisdiction="fes")
    everyone = judges + workers
    modules = db.session.scalars(select(Module).where(Module.course_id == course.id).order_by(Module.position)).all()
    for uid in (judges[0], workers[0]):  # completed everything
        for m in modules:
            make_progress(db, uid, m.id, completed_at=NOW - timedelta(days=3))
    for m in modules[:3]:  # half-way
        make_progress(db, judges[1], m.id, completed_at=NOW - timedelta(days=3))
    s1 = make_session(db, cohort, NOW - timedelta(days=10), title="J1", checkin_secret="a" * 64)
    s2 = make_session(db, cohort, NOW - timedelta(days=5), title="J2", checkin_secret="b" * 64)
    make_session(db, cohort, NOW + timedelta(days=5), title="J3", checkin_secret="c" * 64)
    statuses = {
        s1: ["present", "present", "late", "absent", "present", "excused"],
        s2: ["present", "late", "present", "absent", "absent", "absent"],
    }
    for session, marks in statuses.items():
        for uid, status in zip(everyone, marks, strict=True):
            mark(db, session, uid, status)
    quiz = current_quiz(db, modules[1].id)
    for uid, percent in ((judges[0], 90.0), (judges[1], 50.0), (workers[0], 70.0)):
        make_attempt(
            db,
            uid,
            quiz,
            cohort_id=cohort.id,
            submitted_at=NOW - timedelta(days=2),
            percent=percent,
            points=percent,
            max_points=100,
        )
    db.session.add(
        Certificate(
            user_id=judges[0], cohort_id=cohort.id, course_id=course.id, serial="TDR-1", code="A" * 16, printed={}
        )
    )
    db.session.commit()
    result = service.programme_indicators(service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31)), now=NOW)
    assert (result["enrolled"], result["trained"], result["certified"]) == (6, 2, 1)
    assert result["sessions_held"] == 2
    assert result["attendance_rate"] == round(100 * 7 / 11, 1)
    assert result["quiz_pass_rate"] == round(100 * 2 / 3, 1) and result["average_score"] == 70.0
    assert result["by_profession"] == {
        "magistrate-judge": {"enrolled": 4, "trained": 1, "certified": 1},
        "social-worker": {"enrolled": 2, "trained": 1, "certified": 0},
    }
    assert result["by_gender"] == {
        "female": {"enrolled": 4, "trained": 2, "certified": 1},
        "male": {"enrolled": 1, "trained": 0, "certified": 0},
        "not-stated": {"enrolled": 1, "trained": 0, "certified": 0},
    }
    assert result["by_jurisdiction"]["fes"]["enrolled"] == 2
    only_fes = service.programme_indicators(
        service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31), jurisdiction="fes"), now=NOW
    )
    assert (only_fes["enrolled"], only_fes["trained"]) == (2, 1)
    outside = service.programme_indicators(service.ProgrammeFilters(date(2026, 1, 1), date(2026, 6, 30)), now=NOW)
    assert outside["enrolled"] == 0 and outside["attendance_rate"] is None


def test_masking_small_cells():
    assert service.mask(3, True) == "<5" and service.mask(0, True) == 0 and service.mask(7, True) == 7
    assert service.mask(3, False) == 3


def _count(count_queries, fn):
    with count_queries() as counter:
        fn()
    return counter.count


def test_query_count_does_not_grow_with_learners(db, setting, count_queries, client):
    """10 learners and 1,000 learners cost the same number of queries (dashboard and programme report)."""
    _trainer, cohort, course = setting
    modules = db.session.scalars(select(Module).where(Module.course_id == course.id)).all()

    def populate(ids):
        db.session.execute(
            insert(ModuleProgress),
            [
                {
                    "user_id": uid,
                    "module_id": modules[i % len(modules)].id,
                    "first_viewed_at": NOW,
                    "last_viewed_at": NOW,
                    "completed_at": NOW if i % 2 else None,
                }
                for i, uid in enumerate(ids)
            ],
        )
        db.session.commit()

    populate(_bulk_learners(db, cohort, 10))
    filters = service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31))
    client.login("trainer@example.org")
    small = (
        _count(count_queries, lambda: service.cohort_dashboard(db.session.get(Cohort, cohort.id), NOW)),
        _count(count_queries, lambda: service.programme_indicators(filters, NOW)),
        _count(count_queries, lambda: client.get(f"/reports/cohorts/{cohort.id}")),
    )
    populate(_bulk_learners(db, cohort, 990, start=10))
    large = (
        _count(count_queries, lambda: service.cohort_dashboard(db.session.get(Cohort, cohort.id), NOW)),
        _count(count_queries, lambda: service.programme_indicators(filters, NOW)),
        _count(count_queries, lambda: client.get(f"/reports/cohorts/{cohort.id}")),
    )
    assert small == large, (small, large)


def test_dashboard_pages_and_exports(client, db, setting):
    _trainer, cohort, _course = setting
    _bulk_learners(db, cohort, 3)
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Who needs help" in page and "<svg" in page and "Learner 0001" in page
    assert client.get(f"/reports/cohorts/{cohort.id}?status=help&sort=attendance&profession=clerk").status_code == 200
    uid = db.session.scalar(select(User.id).where(User.email == "bulk0@example.org"))
    assert client.get(f"/reports/cohorts/{cohort.id}/learners/{uid}").status_code == 200
    csv_data = client.get(f"/reports/cohorts/{cohort.id}/results.csv").data.decode("utf-8-sig")
    assert "Learner 0002" in csv_data
    assert client.get(f"/reports/cohorts/{cohort.id}/results.xlsx").data[:2] == b"PK"
    assert client.get(f"/reports/cohorts/{cohort.id}/results.pdf").status_code == 404
    home = client.get("/reports").get_data(as_text=True)
    assert "Fès 2027" in home


def test_trainer_never_sees_another_trainers_cohort(client, db, setting, make_user):
    _trainer, cohort, _course = setting
    ids = _bulk_learners(db, cohort, 2)
    make_user(roles=("trainer",), email="other@example.org")
    client.login("other@example.org")
    assert "Fès 2027" not in client.get("/reports").get_data(as_text=True)
    for url in (
        f"/reports/cohorts/{cohort.id}",
        f"/reports/cohorts/{cohort.id}/learners/{ids[0]}",
        f"/reports/cohorts/{cohort.id}/results.csv",
    ):
        assert client.get(url).status_code == 403, url
    assert client.get("/reports/programme").status_code == 403


def test_programme_report_formats_and_masking(client, db, setting, make_user, runner, tmp_path):
    _trainer, cohort, _course = setting
    _bulk_learners(db, cohort, 3)
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    page = client.get("/reports/programme?from=2027-01-01&to=2027-12-31").get_data(as_text=True)
    assert "People enrolled" in page and ">3<" in page
    masked = client.get("/reports/programme?from=2027-01-01&to=2027-12-31&mask=1").get_data(as_text=True)
    assert "&lt;5" in masked
    assert client.get("/reports/programme?from=2027-01-01&to=2027-12-31&format=csv").data.startswith(b"\xef\xbb\xbf")
    assert client.get("/reports/programme?format=xlsx").data[:2] == b"PK"
    assert programme_pdf(client, **{"from": "2027-01-01", "to": "2027-12-31"}).startswith(b"%PDF")
    assert client.get("/reports/programme?from=garbage&to=2027-13-45").status_code == 200
    out = tmp_path / "report.csv"
    result = runner.invoke(
        args=["reports", "programme", "--from", "2027-01-01", "--to", "2027-12-31", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "3" in out.read_text(encoding="utf-8-sig")
    bad = runner.invoke(args=["reports", "programme", "--from", "2027-13-01", "--to", "2027-12-31"])
    assert bad.exit_code != 0


def test_pre_post_gain(db, setting):
    _trainer, cohort, course = setting
    ids = _bulk_learners(db, cohort, 2)
    modules = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    tests = {role: modules[slug] for role, slug in (("pre", "pre-test"), ("post", "post-test"))}
    for uid, (before, after) in zip(ids, ((40.0, 80.0), (50.0, 70.0)), strict=True):
        for role, percent in (("pre", before), ("post", after)):
            module = tests[role]
            make_attempt(
                db,
                uid,
                current_quiz(db, module.id),
                cohort_id=cohort.id,
                submitted_at=NOW - timedelta(days=1),
                percent=percent,
                points=percent,
                max_points=100,
            )
    db.session.commit()
    board = service.cohort_dashboard(db.session.get(Cohort, cohort.id), NOW)
    assert sorted(r.gain for r in board.rows) == [20.0, 40.0] and board.average_gain == 30.0
    result = service.programme_indicators(service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31)), now=NOW)
    assert result["average_gain"] == 30.0 and result["gain_people"] == 2
    # The pre-test never counts among the quizzes passed, nor in the pass rate.
    assert result["quiz_results"] == 2


def test_jurisdiction_filter_survives_paging_and_learner_page_shows_an_attempt_without_grade(client, db, setting):

    _trainer, cohort, _course = setting
    _bulk_learners(db, cohort, 60, jurisdiction="fes")
    _bulk_learners(db, cohort, 5, start=100, jurisdiction="rabat")
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{cohort.id}?jurisdiction=fes").get_data(as_text=True)
    assert 'id="f-jurisdiction"' in page and 'value="fes" selected' in page
    assert "jurisdiction=fes" in page.split('rel="next"')[1].split(">")[0]
    assert "Learner 0100" not in page
    # A submitted attempt whose percent is missing (an import, an old row) is shown as such, not a 500.
    uid = db.session.scalar(select(User.id).where(User.email == "bulk0@example.org"))
    version = db.session.scalar(select(QuizVersion).where(QuizVersion.is_current.is_(True)))
    make_attempt(db, uid, version, cohort_id=cohort.id, started_at=NOW, submitted_at=NOW, percent=None)
    db.session.commit()
    assert client.get(f"/reports/cohorts/{cohort.id}/learners/{uid}").status_code == 200
