"""The attendance rule (lms/attendance/rules.py): who is flagged, and why, with plain numbers."""

from datetime import datetime, timedelta

import pytest

from lms.attendance import rules, service
from lms.attendance.rules import BEHIND, EXCUSED_ABSENT, EXCUSED_NOT_COUNTED, UNREACHABLE, Tally, verdict


def test_one_missed_workshop_out_of_six_flags_nobody():
    # Week one: the first of six sessions held, missed. 5 of 6 is still 83.3 %.
    result = verdict(Tally(attended=0, excused=0, open_unmarked=0, held=1, total=6), 80)
    assert result.percent == 0.0 and result.best == 83.3 and result.reason is None


def test_an_excused_first_session_is_not_held_against_the_learner_by_default():
    tally = Tally(attended=0, excused=1, open_unmarked=0, held=1, total=6)
    assert verdict(tally, 80).percent is None and not verdict(tally, 80).flagged
    # A cohort that counts excused absences as absences: 0 % now, but 5 of 6 can still be reached.
    counted = verdict(tally, 80, EXCUSED_ABSENT)
    assert counted.percent == 0.0 and counted.counted == 1 and not counted.flagged


def test_two_absences_out_of_six_cannot_reach_80_any_more():
    result = verdict(Tally(attended=0, excused=0, open_unmarked=0, held=2, total=6), 80)
    assert result.reason == UNREACHABLE and result.best == 66.7 and result.remaining == 4


def test_excused_absences_decide_whether_the_threshold_is_still_reachable():
    tally = Tally(attended=3, excused=2, open_unmarked=0, held=5, total=6)
    assert verdict(tally, 80, EXCUSED_NOT_COUNTED).reason is None  # 4 of 4 reachable
    assert verdict(tally, 80, EXCUSED_ABSENT).reason == UNREACHABLE  # 4 of 6 at best


def test_behind_once_half_of_the_sessions_are_held():
    # 10 sessions: one missed of 4 held is 75 %, still able to reach 9 of 10.
    early = verdict(Tally(attended=3, excused=0, open_unmarked=0, held=4, total=10), 80)
    assert early.reason is None and early.best == 90.0
    later = verdict(Tally(attended=4, excused=0, open_unmarked=0, held=5, total=10), 80)
    assert later.reason is None  # 100 %
    behind = verdict(Tally(attended=3, excused=0, open_unmarked=0, held=5, total=10), 80)
    assert behind.reason == BEHIND and behind.percent == 60.0 and behind.best == 80.0
    assert verdict(Tally(attended=4, excused=0, open_unmarked=0, held=10, total=20), 80).reason == UNREACHABLE
    behind = verdict(Tally(attended=7, excused=0, open_unmarked=0, held=10, total=20), 80)
    assert behind.reason == BEHIND and behind.percent == 70.0 and behind.best == 85.0


def test_a_session_in_progress_is_not_held_against_those_not_checked_in_yet():
    # Three sessions: the first attended, the second under way (no mark yet), one to come.
    result = verdict(Tally(attended=1, excused=0, open_unmarked=1, held=2, total=3), 80)
    assert result.counted == 1 and result.remaining == 2 and result.percent == 100.0 and not result.flagged
    # Once it is over without a mark, it is an absence: 2 of 3 at best.
    after = verdict(Tally(attended=1, excused=0, open_unmarked=0, held=2, total=3), 80)
    assert after.reason == UNREACHABLE


@pytest.mark.parametrize("counts, threshold", [(False, 80), (True, 0)])
def test_no_flag_when_attendance_does_not_count(counts, threshold):
    assert not verdict(Tally(0, 0, 0, 6, 6), threshold, counts=counts).flagged


def test_fewest_to_reach_follows_the_rounding_shown():
    assert rules.fewest_to_reach(3, 66.7) == 2  # 2 of 3 is 66.7 % once rounded
    assert rules.fewest_to_reach(3, 100) == 3 and rules.fewest_to_reach(3, 101) == 4
    assert rules.reaches(2, 3, 66.7) and not rules.reaches(0, 0, 0.0)


def test_the_flag_is_explained_in_a_sentence(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        unreachable = verdict(Tally(2, 0, 0, 6, 9), 80)
        assert service.explain_attendance(unreachable) == ("can no longer reach 80%: 2 of 6 sessions attended, 3 left")
        behind = verdict(Tally(7, 0, 0, 10, 20), 80)
        assert service.explain_attendance(behind) == (
            "below 80% after 10 of 20 sessions: 70% (7 of 10 sessions attended)"
        )
        assert service.explain_attendance(verdict(Tally(1, 0, 0, 1, 6), 80)) == ""
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        assert service.explain_attendance(unreachable).startswith("ne peut plus atteindre 80\u00a0%")
    with app.test_request_context(headers={"Accept-Language": "ar"}):
        assert "80" in service.explain_attendance(unreachable)
        assert any("\u0600" <= ch <= "\u06ff" for ch in service.explain_attendance(unreachable))


def test_week_one_flags_nobody_on_the_cohort_page_and_mails_nobody(app, client, db, make_user, make_cohort):
    """Six workshops, the first held: absent, excused and present learners alike are not flagged; the button
    to e-mail "the learners below the threshold" is not offered."""
    from lms.accounts.models import User
    from lms.attendance import warnings
    from tests.factories import enrolled_learner, open_session

    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    people = [enrolled_learner(make_user, db, cohort, email=f"p{i}@example.org") for i in range(3)]
    first = open_session(db, cohort, starts_in=timedelta(days=-1))
    for days in range(1, 6):
        open_session(db, cohort, starts_in=timedelta(days=7 * days))
    actor = db.session.get(User, trainer.id)
    for person, status in zip(people, ("absent", "excused", "present"), strict=True):
        service.record_attendance(first, person.id, status, actor)
    db.session.commit()
    _sessions, rows, _info = service.attendance_report(cohort)
    assert [r.percent for r in rows] == [0.0, None, 100.0] and not any(r.below for r in rows)
    client.login("trainer@example.org")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "below the threshold" not in page
    assert warnings.warn_low_attendance(cohort, None).sent == []
    dashboard = client.get(f"/reports/cohorts/{cohort.id}").get_data(as_text=True)
    assert "Nobody is behind for now." in dashboard


def test_the_cohort_form_sets_how_excused_absences_count(app, client, db, make_user, make_cohort):
    from lms.cohorts.models import Cohort

    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    assert db.session.get(Cohort, cohort.id).excused_absences == EXCUSED_NOT_COUNTED
    client.login("trainer@example.org")
    form = client.get(f"/cohorts/{cohort.id}/edit").get_data(as_text=True)
    assert 'name="excused_absences"' in form and "count as absences" in form
    data = {
        "course": str(cohort.course_id),
        "title": "Rabat 2027",
        "start_date": "2027-01-10",
        "end_date": "2027-03-01",
        "mode": "in_person",
        "jurisdiction": "",
        "language": "fr",
        "trainers": str(trainer.id),
        "require_modules": "y",
        "require_quizzes": "y",
        "attendance_percent": "80",
        "excused_absences": EXCUSED_ABSENT,
    }
    assert client.post_form(f"/cohorts/{cohort.id}/edit", data).status_code == 302
    db.session.expire_all()
    assert db.session.get(Cohort, cohort.id).excused_absences == EXCUSED_ABSENT
    assert "excused absences count as absences" in client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)


def test_checkin_code_is_derived_and_rotates():
    moment = datetime(2027, 1, 12, 9, 0, 30)
    code = rules.current_code("secret", moment)
    assert len(code) == 5 and set(code) <= set(rules.ALPHABET)
    assert rules.current_code("secret", moment) == code
    assert rules.is_valid("secret", code.lower(), moment)
    assert rules.is_valid("secret", f"{code[:2]} {code[2:]}", moment)
    later = moment + timedelta(seconds=60)
    assert rules.current_code("secret", later) != code
    assert rules.is_valid("secret", code, later.replace(second=10))  # previous window, a few seconds after
    assert not rules.is_valid("secret", code, later.replace(second=50))
    assert not rules.is_valid("other", code, moment)
