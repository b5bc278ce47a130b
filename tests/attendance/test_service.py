"""Who may check in, and when (``attendance.service.check_in``): once, in the window, late after the grace, never a
stranger nor in a closed session."""

from datetime import datetime, timedelta

from sqlalchemy import func, select

from lms.attendance import rules
from lms.attendance.models import Attendance
from tests.factories import enrolled_learner, open_session


def test_self_checkin_in_window_once(client, make_user, cohort, db):
    learner = enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(minutes=-5))
    client.login("judge@example.org")
    code = rules.current_code(session.checkin_secret, datetime.utcnow())
    response = client.post_form("/attendance/checkin", {"code": code})
    assert response.status_code == 302
    mark = db.session.scalar(select(Attendance).where(Attendance.user_id == learner.id))
    assert mark.status == "present" and mark.method == "checkin"
    twice = client.post_form(
        "/attendance/checkin", {"code": rules.current_code(session.checkin_secret, datetime.utcnow())}
    )
    assert "already checked in" in twice.get_data(as_text=True)


def test_checkin_late_after_grace(client, make_user, cohort, db):
    learner = enrolled_learner(make_user, db, cohort)
    session = open_session(db, cohort, starts_in=timedelta(minutes=-40))
    client.login("judge@example.org")
    client.post_form("/attendance/checkin", {"code": rules.current_code(session.checkin_secret, datetime.utcnow())})
    assert db.session.scalar(select(Attendance.status).where(Attendance.user_id == learner.id)) == "late"


def test_checkin_refused_outside_window_for_strangers_and_when_closed(client, make_user, cohort, db):
    enrolled_learner(make_user, db, cohort)
    early = open_session(db, cohort, starts_in=timedelta(hours=2))
    client.login("judge@example.org")
    refused = client.post_form(
        "/attendance/checkin", {"code": rules.current_code(early.checkin_secret, datetime.utcnow())}
    )
    assert "not valid now" in refused.get_data(as_text=True)
    over = open_session(db, cohort, starts_in=timedelta(hours=-5), length=timedelta(hours=2))
    assert "not valid now" in client.post_form(
        "/attendance/checkin", {"code": rules.current_code(over.checkin_secret, datetime.utcnow())}
    ).get_data(as_text=True)
    now_session = open_session(db, cohort, starts_in=timedelta(minutes=-1))
    now_session.is_checkin_open = False
    db.session.commit()
    assert "not valid now" in client.post_form(
        "/attendance/checkin", {"code": rules.current_code(now_session.checkin_secret, datetime.utcnow())}
    ).get_data(as_text=True)
    client.logout()
    make_user(email="stranger@example.org", profession="magistrate-judge")
    client.login("stranger@example.org")
    now_session.is_checkin_open = True
    db.session.commit()
    stranger = client.post_form(
        "/attendance/checkin", {"code": rules.current_code(now_session.checkin_secret, datetime.utcnow())}
    )
    assert "not valid now" in stranger.get_data(as_text=True)
    assert db.session.scalar(select(func.count(Attendance.id))) == 0
