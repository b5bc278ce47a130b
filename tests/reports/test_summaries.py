"""Learner summaries (lms/reports/summaries.py) equal a recomputation from the source tables after every kind of
write, in random sequences; the dashboard pages them; every page is the cohort's trainers' only."""

import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from lms.accounts import service as accounts
from lms.accounts.models import User
from lms.attendance import service as attendance
from lms.attendance.models import WorkshopSession
from lms.cohorts import service as cohorts
from lms.cohorts.models import Cohort, Enrolment
from lms.content import service as content
from lms.content.models import Module
from lms.core.timeutil import utcnow
from lms.quizzes import service as quizzes
from lms.quizzes.models import IN_PROGRESS, SUBMITTED, Attempt
from lms.reports import summaries
from lms.reports.dashboard import PER_PAGE, MatrixView, cohort_dashboard
from lms.reports.models import LearnerQuizSummary, LearnerSummary
from tests.factories import current_quiz, make_session

STATUSES = ("present", "absent", "late", "excused")


def _stored(db, cohort_id):
    def rows(model, key):
        found = [
            {c.key: getattr(r, c.key) for c in model.__table__.columns}
            for r in db.session.scalars(select(model).where(model.cohort_id == cohort_id))
        ]
        return sorted(found, key=key)

    return (
        rows(LearnerSummary, lambda r: r["user_id"]),
        rows(LearnerQuizSummary, lambda r: (r["user_id"], r["module_id"])),
    )


def _recomputed(cohort):
    people, quiz_rows = summaries.compute(cohort)
    return sorted(people, key=lambda r: r["user_id"]), sorted(quiz_rows, key=lambda r: (r["user_id"], r["module_id"]))


def _check(db, step):
    db.session.expire_all()
    for cohort in db.session.scalars(select(Cohort)).all():
        assert _stored(db, cohort.id) == _recomputed(cohort), f"cohort {cohort.id} after {step}"


@pytest.fixture
def world(db, make_user, make_cohort):
    today = utcnow().date()
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    first = make_cohort(trainer, title="A", start_date=today - timedelta(days=20), end_date=today + timedelta(days=40))
    second = make_cohort(trainer, title="B", start_date=today - timedelta(days=5), end_date=today + timedelta(days=60))
    learners = [make_user(email=f"l{i}@example.org", name_latin=f"Learner {i}") for i in range(6)]
    return trainer, [first.id, second.id], [u.id for u in learners]


class Steps:
    """Every kind of write that changes a summary, as the application makes it (services, the ORM). Every choice
    is made among rows in id order: a seed makes the same sequence on SQLite and PostgreSQL."""

    def __init__(self, db, trainer_id, cohort_ids, learner_ids, rng):
        self.db, self.rng = db, rng
        self.trainer_id, self.cohort_ids, self.learner_ids = trainer_id, cohort_ids, list(learner_ids)
        self.walk_ins: list[int] = []

    # helpers
    def trainer(self):
        return self.db.session.get(User, self.trainer_id)

    def cohort(self):
        return self.db.session.get(Cohort, self.rng.choice(self.cohort_ids))

    def learner(self):
        return self.rng.choice(self.learner_ids)

    def modules(self, cohort):
        return self.db.session.scalars(
            select(Module).where(Module.course_id == cohort.course_id).order_by(Module.id)
        ).all()

    def enrolled(self, cohort):
        return self.db.session.scalars(
            select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id).order_by(Enrolment.user_id)
        ).all()

    def sessions(self, cohort):
        return self.db.session.scalars(
            select(WorkshopSession).where(WorkshopSession.cohort_id == cohort.id).order_by(WorkshopSession.id)
        ).all()

    # the writes
    def enrol(self):
        cohorts.enrol(self.cohort(), self.db.session.get(User, self.learner()), self.trainer())

    def unenrol(self):
        cohort = self.cohort()
        if people := self.enrolled(cohort):
            cohorts.unenrol(cohort, self.rng.choice(people), self.trainer())

    def complete_module(self):
        module = self.rng.choice(self.modules(self.cohort()))
        content.set_completed(self.learner(), module.id, self.rng.random() < 0.8)

    def view_module(self):  # an upsert of the view times: no summary counts it, none is recomputed
        module = self.rng.choice(self.modules(self.cohort()))
        content.record_view(self.learner(), module.id)

    def attempt(self):
        """Start an attempt (it stays open), or finish an open one, graded as its answers say (none: 0 %)."""
        opened = self.db.session.scalars(select(Attempt).where(Attempt.state == IN_PROGRESS).order_by(Attempt.id)).all()
        if opened and self.rng.random() < 0.5:
            quizzes.finish_attempt(self.rng.choice(opened))
            return
        user_id = self.learner()
        quizzed = [m for m in self.modules(self.cohort()) if current_quiz(self.db, m.id)]
        module = self.rng.choice(quizzed)
        try:
            quizzes.start_attempt(user_id, current_quiz(self.db, module.id))
        except quizzes.QuizError:
            pass  # no attempt left

    def grade(self):
        """A trainer grades a submitted attempt: every question right (it passes), or one question wrong; each
        change regrades the attempt."""
        attempts = self.db.session.scalars(select(Attempt).where(Attempt.state == SUBMITTED).order_by(Attempt.id)).all()
        if attempts:
            attempt = self.rng.choice(attempts)
            by_id = quizzes.questions_by_id(attempt.quiz_version)
            if self.rng.random() < 0.6:
                for question in attempt.question_ids:
                    points = float(by_id[question].get("points", 1))
                    quizzes.override_points(attempt, question, points, "all right", self.trainer())
            else:
                question = self.rng.choice(attempt.question_ids)
                quizzes.override_points(attempt, question, 0.0, "wrong", self.trainer())

    def regrade(self):
        attempts = self.db.session.scalars(select(Attempt).where(Attempt.state == SUBMITTED).order_by(Attempt.id)).all()
        if attempts:
            quizzes.regrade(self.rng.choice(attempts), self.trainer())

    def pass_mark(self):
        cohort = self.cohort()
        quizzed = [m for m in self.modules(cohort) if current_quiz(self.db, m.id)]
        module = self.rng.choice(quizzed)
        mark = self.rng.choice([None, 0, 50, 70, 100])
        cohorts.set_quiz_settings(cohort, module.slug, {"pass_mark": mark}, self.trainer())

    def add_session(self):
        cohort = self.cohort()
        make_session(self.db, cohort, utcnow() + timedelta(days=self.rng.randint(-15, 15)), title="S")

    def mark(self):
        cohort = self.cohort()
        sessions, people = self.sessions(cohort), self.enrolled(cohort)
        if sessions and people:
            attendance.record_attendance(
                self.rng.choice(sessions),
                self.rng.choice(people),
                self.rng.choice(STATUSES),
                self.trainer(),
                method=self.rng.choice(["trainer", "checkin", "qr"]),
            )

    def all_present(self):
        cohort = self.cohort()
        if sessions := self.sessions(cohort):
            attendance.mark_all_present(self.rng.choice(sessions), self.trainer())

    def delete_session(self):
        cohort = self.cohort()
        if sessions := self.sessions(cohort):
            self.db.session.delete(self.rng.choice(sessions))

    def walk_in(self):
        user = cohorts.add_walk_in(self.cohort(), self.trainer(), name_latin=f"Walk-in {self.rng.random():.6f}")
        self.db.session.flush()
        self.walk_ins.append(user.id)
        self.learner_ids.append(user.id)

    def merge(self):
        self.walk_ins = [
            u for u in self.walk_ins if self.db.session.get(User, u).email.endswith("@walk-in.invalid")
        ]  # an erased walk-in is no walk-in any more
        if not self.walk_ins:
            return self.walk_in()
        walk_in = self.walk_ins.pop(self.rng.randrange(len(self.walk_ins)))
        target = self.rng.choice([u for u in self.learner_ids if u not in self.walk_ins and u != walk_in])
        cohorts.merge_walk_in(self.db.session.get(User, walk_in), self.db.session.get(User, target), self.trainer())

    def archive_module(self):
        """A content sync archives a module (or brings it back): the cohorts of its course count one fewer."""
        module = self.rng.choice(self.modules(self.cohort()))
        module.is_archived = not module.is_archived

    def quiz_file(self):
        """A content sync changes a quiz's pass mark in its file: every grade of that quiz is judged again."""
        quizzed = [m for m in self.modules(self.cohort()) if current_quiz(self.db, m.id)]
        version = current_quiz(self.db, self.rng.choice(quizzed).id)
        settings = {**version.definition.get("settings", {}), "pass_mark": self.rng.choice([0, 50, 70, 90])}
        version.definition = {**version.definition, "settings": settings}

    def erase(self):
        accounts.erase_user(self.db.session.get(User, self.learner()), self.trainer())


KINDS = [
    name
    for name in vars(Steps)
    if not name.startswith("_") and name not in ("trainer", "cohort", "learner", "modules", "enrolled", "sessions")
]
#: how often each kind comes (1 unless said): quizzes need several steps (start, finish, grade) to pass or fail
WEIGHTS = {"attempt": 4, "grade": 2, "complete_module": 2, "mark": 2, "enrol": 2}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_summaries_equal_a_recomputation_after_every_write(db, world, seed):
    trainer, cohort_ids, learner_ids = world
    rng = random.Random(seed)
    steps = Steps(db, trainer.id, cohort_ids, learner_ids, rng)
    for _ in range(20):  # a start: most learners enrolled, some work done
        steps.enrol()
    db.session.commit()
    _check(db, "enrolments")
    seen, peaks = set(), {}
    for number in range(200):
        kind = rng.choices(KINDS, [WEIGHTS.get(k, 1) for k in KINDS])[0]
        getattr(steps, kind)()
        seen.add(kind)
        if rng.random() < 0.3:  # now and then, the reader inside the transaction, before the commit
            db.session.flush()
            summaries.apply_pending()
            _check(db, f"step {number} ({kind}, not committed)")
        db.session.commit()
        _check(db, f"step {number} ({kind})")
        for name, value in (
            db.session.execute(
                select(
                    func.max(LearnerSummary.modules_completed),
                    func.max(LearnerSummary.attended),
                    func.max(LearnerSummary.quizzes_passed),
                    func.max(LearnerSummary.failing),
                    func.count(LearnerSummary.user_id),
                )
            )
            .one()
            ._mapping.items()
        ):
            peaks[name] = max(peaks.get(name, 0), value or 0)
    assert seen == set(KINDS)
    # the figures were not all zero along the way: the sequence did something worth checking
    assert all(peaks.values()), peaks


def test_a_module_viewed_recomputes_nothing_a_module_completed_does(db, world, count_queries):
    """The module page records a view (first and last viewed times) every ten minutes: no summary reads views, so
    the write is one statement; completing the module recomputes the learner's summaries in the same transaction."""
    trainer, cohort_ids, learner_ids = world
    steps = Steps(db, trainer.id, cohort_ids, learner_ids, random.Random(1))
    cohort = db.session.get(Cohort, cohort_ids[0])
    cohorts.enrol(cohort, db.session.get(User, learner_ids[0]), steps.trainer())
    db.session.commit()
    module = steps.modules(cohort)[0]
    with count_queries() as viewed:
        content.record_view(learner_ids[0], module.id)
        db.session.commit()
    assert [s.split()[0] for s in viewed.statements] == ["INSERT"], viewed.statements
    with count_queries() as completed:
        content.set_completed(learner_ids[0], module.id, True)
        db.session.commit()
    assert any("learner_summary" in s for s in completed.statements), completed.statements
    stored = db.session.scalar(
        select(LearnerSummary.modules_completed).where(
            LearnerSummary.cohort_id == cohort.id, LearnerSummary.user_id == learner_ids[0]
        )
    )
    assert stored == 1
    _check(db, "viewed then completed")


def test_a_forgotten_summary_is_seen(db, world):
    """The check above can fail: a summary changed behind the events' back differs from the recomputation."""
    trainer, cohort_ids, learner_ids = world
    steps = Steps(db, trainer.id, cohort_ids, learner_ids, random.Random(3))
    for _ in range(10):
        steps.enrol()
        steps.complete_module()
    db.session.commit()
    _check(db, "setup")
    db.session.execute(delete(LearnerSummary).where(LearnerSummary.cohort_id == cohort_ids[0]))
    db.session.commit()
    with pytest.raises(AssertionError):
        _check(db, "a summary deleted by hand")
    summaries.rebuild_all()
    db.session.commit()
    _check(db, "rebuilt")


def test_rebuild_command(app, db, world):
    trainer, cohort_ids, learner_ids = world
    steps = Steps(db, trainer.id, cohort_ids, learner_ids, random.Random(4))
    for _ in range(8):
        steps.enrol()
    db.session.commit()
    db.session.execute(delete(LearnerSummary))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["reports", "rebuild-summaries"])
    assert result.exit_code == 0 and "rebuilt" in result.output
    db.session.expire_all()
    _check(db, "the command")


# --- the dashboard's pages ----------------------------------------------------------------------------------


@pytest.fixture
def big_cohort(db, make_user, make_cohort):
    from sqlalchemy import insert

    now = utcnow()
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    make_user(roles=("trainer",), email="other@example.org")
    cohort = make_cohort(trainer, start_date=now.date() - timedelta(days=10), end_date=now.date() + timedelta(days=30))
    rows = [
        {
            "email": f"p{i:03d}@example.org",
            "name_latin": f"Person {i:03d}",
            "locale": "fr",
            "is_learner": True,
            "is_trainer": False,
            "is_admin": False,
            "is_active": True,
            "session_version": 1,
            "created_at": now,
        }
        for i in range(PER_PAGE * 2 + 7)
    ]
    db.session.execute(insert(User), rows)
    ids = db.session.scalars(select(User.id).where(User.email.like("p%@example.org")).order_by(User.id)).all()
    db.session.execute(insert(Enrolment), [{"cohort_id": cohort.id, "user_id": uid, "source": "import"} for uid in ids])
    module = db.session.scalars(select(Module).where(Module.course_id == cohort.course_id)).first()
    for uid in ids[::3]:
        content.set_completed(uid, module.id, True)
    db.session.commit()
    return cohort, ids


def test_dashboard_pages_the_learners(db, client, big_cohort):
    cohort, ids = big_cohort
    board = cohort_dashboard(db.session.get(Cohort, cohort.id), view=MatrixView(per_page=PER_PAGE, page=3))
    assert (board.page, board.pages, board.size, board.total_rows) == (3, 3, len(ids), len(ids))
    assert [r.user.name_latin for r in board.rows] == [f"Person {i:03d}" for i in range(PER_PAGE * 2, len(ids))]
    by_progress = cohort_dashboard(
        db.session.get(Cohort, cohort.id), view=MatrixView(sort="progress", per_page=PER_PAGE)
    )
    done = len(ids[::3])  # most modules first, then by name
    assert [r.completed for r in by_progress.rows] == [1] * done + [0] * (PER_PAGE - done)
    assert [r.user.name_latin for r in by_progress.rows[:2]] == ["Person 000", "Person 003"]
    client.login("trainer@example.org")
    first = client.get(f"/reports/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Person 000" in first and f"Person {PER_PAGE:03d}" not in first
    assert f'href="/reports/cohorts/{cohort.id}?page=2' in first and 'rel="next"' in first
    second = client.get(f"/reports/cohorts/{cohort.id}?page=2").get_data(as_text=True)
    assert f"Person {PER_PAGE:03d}" in second and "Person 000" not in second and 'rel="prev"' in second
    last = client.get(f"/reports/cohorts/{cohort.id}?page=99").get_data(as_text=True)  # past the end: the last
    assert f"Person {len(ids) - 1:03d}" in last and 'rel="next"' not in last


def test_another_cohorts_trainer_is_refused_every_page(db, client, big_cohort):
    """As before the summaries: ``managed_cohort`` answers 403 to a trainer of another cohort, on every page."""
    cohort, ids = big_cohort
    client.login("other@example.org")
    for query in ("", "?page=2", "?page=3", "?sort=attendance&page=2", "?status=help"):
        response = client.get(f"/reports/cohorts/{cohort.id}{query}")
        assert response.status_code == 403 and "Person 0" not in response.get_data(as_text=True)
    assert client.get(f"/reports/cohorts/{cohort.id}/learners/{ids[0]}").status_code == 403
    client.logout()
    client.login("trainer@example.org")
    assert client.get(f"/reports/cohorts/{cohort.id}?page=2").status_code == 200
