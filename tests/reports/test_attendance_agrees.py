"""The attendance flag agrees everywhere: the rule's pure function (lms/attendance/rules.py), the cohort page
and the warning mails (attendance.service.attendance_report, Python) and the cohort dashboard (one SQL query).

One cohort of six sessions (two over, one in progress, three to come) and a learner for every combination of
marks (none, present, late, excused, absent) over the first four sessions: 625 learners, whose attendance and
flag are compared under both policies for excused absences, several thresholds (with 66.7, where rounding
decides) and three moments (before half of the sessions are held, during the third, after the last).
"""

from datetime import timedelta
from itertools import product

import pytest

from lms.accounts.models import User
from lms.attendance import rules
from lms.attendance import service as attendance_service
from lms.cohorts.models import Cohort
from lms.core.timeutil import utcnow
from lms.reports.dashboard import cohort_dashboard
from tests.factories import enrol, make_session, mark

STATUSES = (None, "present", "late", "excused", "absent")
#: days from now of each session's start; the third is under way (started an hour ago, ends in two)
STARTS = (-10, -5, None, 5, 10, 15)


@pytest.fixture
def world(db, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = db.session.get(Cohort, make_cohort(trainer).id)
    now = utcnow().replace(microsecond=0)
    sessions = []
    for number, days in enumerate(STARTS):
        start = now - timedelta(hours=1) if days is None else now + timedelta(days=days)
        sessions.append(make_session(db, cohort, start, title=f"S{number}", checkin_secret=str(number) * 64))
    marks = {}
    users = []
    for index, combination in enumerate(product(STATUSES, repeat=4)):
        user = User(email=f"l{index:03d}@example.org", name_latin=f"L{index:03d}", locale="en")
        users.append((user, combination))
    db.session.add_all([u for u, _c in users])
    db.session.flush()
    for user, combination in users:
        enrol(db, cohort, user)
        marks[user.id] = combination
        for session, status in zip(sessions, combination, strict=False):
            if status:
                mark(db, session, user.id, status)
    db.session.commit()
    return cohort, sessions, marks, now


def expected(marks, sessions, now, threshold, policy, counts):
    """The rule applied by hand to a learner's marks (no database)."""
    held = [s for s in sessions if s.starts_at <= now]
    open_ids = {s.id for s in held if now < s.ends_at}
    by_session = dict(zip([s.id for s in sessions], marks + (None,) * (len(sessions) - len(marks)), strict=True))
    tally = rules.Tally(
        attended=sum(1 for s in held if by_session[s.id] in ("present", "late")),
        excused=sum(1 for s in held if by_session[s.id] == "excused"),
        open_unmarked=sum(1 for s in held if s.id in open_ids and by_session[s.id] is None),
        held=len(held),
        total=len(sessions),
    )
    return rules.verdict(tally, threshold, policy, counts)


@pytest.mark.parametrize("policy", rules.EXCUSED_POLICIES)
def test_attendance_flag_agrees_in_python_and_sql(db, world, policy):
    cohort, sessions, marks, now = world
    cohort.excused_absences = policy
    db.session.commit()
    seen = {"flagged": 0, "unreachable": 0, "behind": 0, "clear": 0}
    for threshold, mode, moment in [
        (80, "in_person", now),
        (66.7, "in_person", now),
        (100, "in_person", now),
        (50, "in_person", now),
        (0, "in_person", now),
        (80, "online", now),
        (80, "in_person", now - timedelta(days=7)),  # one session held of six
        (66.7, "in_person", now + timedelta(days=20)),  # every session over
        (80, "blended", now + timedelta(days=20)),
    ]:
        cohort.completion = {**cohort.completion, "attendance_percent": threshold}
        cohort.mode = mode
        db.session.commit()
        _sessions, rows, _info = attendance_service.attendance_report(cohort, now=moment, with_marks=False)
        python = {row.user.id: row for row in rows}
        board = cohort_dashboard(cohort, now=moment)
        assert len(board.rows) == len(marks) == len(python)
        disagree = []
        for row in board.rows:
            want = expected(marks[row.user.id], sessions, moment, threshold, policy, mode != "online")
            sql_flag = "attendance" in row.flags
            got = python[row.user.id]
            if not (
                sql_flag == got.below == want.flagged
                and row.attendance == got.percent == want.percent
                and row.attendance_verdict == want
            ):
                disagree.append((marks[row.user.id], sql_flag, got.below, want))
            seen["flagged"] += want.flagged
            seen[want.reason or "clear"] += 1
        assert not disagree, f"threshold {threshold}, {mode}, {moment}: {disagree[:5]} ({len(disagree)} in all)"
    # Both sides right, not only equal: every case arises.
    assert seen["unreachable"] and seen["behind"] and seen["clear"]
