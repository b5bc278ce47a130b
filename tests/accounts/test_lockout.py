"""Sign-in lock-outs: strict per account, sized for a workshop room per address, visible and liftable."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from lms.accounts import lockout
from lms.accounts.models import SignInFailure, User
from lms.audit.models import AuditEvent
from tests.conftest import PASSWORD, Client

ROOM = "198.51.100.7"  # the workshop's one NAT address
WRONG = "wrong password!!"


def _client(app, address):
    flask_client = app.test_client()
    flask_client.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    return Client(flask_client)


def _lock(app, email, address="203.0.113.50"):
    """Five failed sign-ins for ``email``: its account is locked."""
    client = _client(app, address)
    for _ in range(5):
        assert client.login(email, WRONG).status_code == 401
    assert client.login(email, PASSWORD).status_code == 429


def test_a_room_behind_one_address_is_not_locked_out_by_its_typos(app, make_user):
    """30 people sign in from one address, each mistyping three times (90 failures): nobody is refused."""
    people = [make_user(email=f"p{n}@example.org") for n in range(30)]
    make_user(roles=("admin",), email="admin@example.org")
    room = _client(app, ROOM)
    for person in people:
        for _ in range(3):
            assert room.login(person.email, WRONG).status_code == 401
    for person in people:
        assert room.login(person.email, PASSWORD).status_code == 302
        room.logout()
    assert room.login("admin@example.org", PASSWORD).status_code == 302


def test_the_address_limit_still_stops_a_guesser(app, db, make_user):
    make_user(roles=("admin",), email="admin@example.org")
    assert app.config["LOGIN_LIMIT_PER_IP"] == "200 per 15 minutes"
    for n in range(199):
        lockout.record_failure(f"guess{n}@example.org", ROOM)
    db.session.commit()
    room = _client(app, ROOM)
    assert room.login("guess-last@example.org", WRONG).status_code == 401  # the 200th
    blocked = room.login("admin@example.org", PASSWORD)
    assert blocked.status_code == 429 and "Too many attempts" in blocked.get_data(as_text=True)
    # Another address is not concerned.
    assert _client(app, "192.0.2.1").login("admin@example.org", PASSWORD).status_code == 302


def test_the_account_limit_stays_strict_and_spares_the_rest_of_the_room(app, make_user):
    make_user(email="target@example.org")
    make_user(email="neighbour@example.org")
    room = _client(app, ROOM)
    for _ in range(5):
        assert room.login("target@example.org", WRONG).status_code == 401
    assert room.login("target@example.org", PASSWORD).status_code == 429
    # From another address too: the lock is the account's.
    assert _client(app, "192.0.2.1").login("target@example.org", PASSWORD).status_code == 429
    assert room.login("neighbour@example.org", PASSWORD).status_code == 302


def test_a_lock_ends_with_its_window_and_old_failures_are_deleted(app, db, make_user):
    make_user(email="target@example.org")
    _lock(app, "target@example.org")
    db.session.execute(update(SignInFailure).values(created_at=SignInFailure.created_at - timedelta(minutes=16)))
    db.session.commit()
    client = _client(app, ROOM)
    assert client.login("nobody@example.org", WRONG).status_code == 401  # a new failure purges the old ones
    assert db.session.scalar(select(SignInFailure.account_key).where(SignInFailure.user_id.is_not(None))) is None
    assert client.login("target@example.org", PASSWORD).status_code == 302


def test_what_was_typed_is_not_stored(app, db, make_user):
    """Someone types their password in the e-mail field: it is kept as an HMAC, never as typed."""
    _client(app, ROOM).login("correct horse battery staple", WRONG)
    keys = db.session.scalars(select(SignInFailure.account_key)).all()
    assert len(keys) == 1 and "horse" not in keys[0] and len(keys[0]) == 64


def test_admin_sees_and_lifts_an_account_lock(app, db, make_user):
    target = make_user(email="target@example.org", name_latin="Target Person")
    admin = make_user(roles=("admin",), email="admin@example.org")
    _lock(app, "target@example.org")
    desk = _client(app, "192.0.2.10")
    assert desk.login("admin@example.org").status_code == 302
    page = desk.get("/account/sign-in-locks").get_data(as_text=True)
    assert "target@example.org" in page and "Target Person" in page
    assert desk.get("/account/users").get_data(as_text=True).count("/account/sign-in-locks") == 1
    # Without the CSRF token nothing is lifted.
    assert desk.raw.post(f"/account/sign-in-locks/accounts/{target.id}").status_code in (302, 400)
    assert _client(app, ROOM).login("target@example.org", PASSWORD).status_code == 429
    assert desk.post_form(f"/account/sign-in-locks/accounts/{target.id}").status_code == 302
    assert "No account is locked." in desk.get("/account/sign-in-locks").get_data(as_text=True)
    assert _client(app, ROOM).login("target@example.org", PASSWORD).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.sign_in_unlock"))
    assert event.object_id == str(target.id) and event.actor_id == admin.id and event.before == {"failures": 5}


def test_admin_sees_and_lifts_an_address_lock(app, db, make_user):
    make_user(email="learner@example.org")
    admin = make_user(roles=("admin",), email="admin@example.org")
    for n in range(120):
        lockout.record_failure(f"p{n}@example.org", ROOM)
    db.session.commit()
    desk = _client(app, "192.0.2.10")
    desk.login("admin@example.org")
    page = desk.get("/account/sign-in-locks").get_data(as_text=True)
    assert ROOM in page and "120 / 200" in page and "near the limit" in page  # listed from half the limit
    for n in range(80):
        lockout.record_failure(f"q{n}@example.org", ROOM)
    db.session.commit()
    assert _client(app, ROOM).login("learner@example.org", PASSWORD).status_code == 429
    assert "locked" in desk.get("/account/sign-in-locks").get_data(as_text=True)
    assert desk.post_form("/account/sign-in-locks/addresses", {"address": ROOM}).status_code == 302
    assert _client(app, ROOM).login("learner@example.org", PASSWORD).status_code == 302
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "sign_in.address_unlock"))
    assert (event.object_type, event.object_id, event.actor_id) == ("ip_address", ROOM, admin.id)


@pytest.fixture
def two_cohorts(app, db, make_user, make_cohort):
    from lms.cohorts import service as cohorts

    trainer_a = make_user(roles=("trainer",), email="trainer.a@example.org")
    trainer_b = make_user(roles=("trainer",), email="trainer.b@example.org")
    learner_a = make_user(email="learner.a@example.org", name_latin="Learner A")
    learner_b = make_user(email="learner.b@example.org", name_latin="Learner B")
    cohort_a = make_cohort(trainer_a, title="A")
    cohort_b = make_cohort(trainer_b, title="B")
    cohorts.enrol(cohort_a, db.session.get(User, learner_a.id), None)
    cohorts.enrol(cohort_b, db.session.get(User, learner_b.id), None)
    db.session.commit()
    return trainer_a, trainer_b, learner_a, learner_b, cohort_a.id, cohort_b.id


def test_a_trainer_lifts_the_lock_of_a_learner_of_their_cohort_only(app, db, two_cohorts):
    trainer_a, trainer_b, learner_a, learner_b, cohort_a, cohort_b = two_cohorts
    _lock(app, learner_a.email)
    _lock(app, learner_b.email)
    trainer = _client(app, ROOM)
    assert trainer.login(trainer_a.email).status_code == 302
    page = trainer.get(f"/cohorts/{cohort_a}").get_data(as_text=True)
    assert "locked out of sign-in" in page and f"/cohorts/{cohort_a}/learners/{learner_a.id}/sign-in-lock" in page
    # Trainer A cannot lift B's learner's lock: not through A's cohort (not enrolled there), not through B's.
    assert trainer.post_form(f"/cohorts/{cohort_a}/learners/{learner_b.id}/sign-in-lock").status_code == 404
    assert trainer.post_form(f"/cohorts/{cohort_b}/learners/{learner_b.id}/sign-in-lock").status_code == 403
    assert trainer.post_form(f"/account/sign-in-locks/accounts/{learner_b.id}").status_code == 403
    assert _client(app, ROOM).login(learner_b.email, PASSWORD).status_code == 429
    # Their own learner's lock, they can.
    assert trainer.post_form(f"/cohorts/{cohort_a}/learners/{learner_a.id}/sign-in-lock").status_code == 302
    assert "locked out of sign-in" not in trainer.get(f"/cohorts/{cohort_a}").get_data(as_text=True)
    assert _client(app, ROOM).login(learner_a.email, PASSWORD).status_code == 302
    # Trainer B lifts their own learner's lock.
    other = _client(app, ROOM)
    assert other.login(trainer_b.email).status_code == 302
    assert other.post_form(f"/cohorts/{cohort_b}/learners/{learner_b.id}/sign-in-lock").status_code == 302
    assert _client(app, ROOM).login(learner_b.email, PASSWORD).status_code == 302
    events = db.session.execute(
        select(AuditEvent.object_id, AuditEvent.actor_id).where(AuditEvent.action == "user.sign_in_unlock")
    ).all()
    assert sorted(events) == sorted([(str(learner_a.id), trainer_a.id), (str(learner_b.id), trainer_b.id)])
