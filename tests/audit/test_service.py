"""``record`` (lms/audit/service.py) stages an event in the caller's transaction: both commit or neither does."""

from sqlalchemy import func, select

from lms.accounts.models import User
from lms.audit.models import AuditEvent
from lms.audit.service import record


def test_record_names_the_object_and_the_actor(db, make_user):
    actor = db.session.get(User, make_user(roles=("admin",)).id)
    target = db.session.get(User, make_user().id)
    event = record("user.roles", target, before={"roles": ["learner"]}, after={"roles": ["trainer"]}, actor=actor)
    pair = record("cohort.enrol", ("cohort", 7), after={"user": target.id})
    db.session.commit()
    assert (event.object_type, event.object_id, event.actor_id) == ("user_account", str(target.id), actor.id)
    assert event.before == {"roles": ["learner"]} and event.after == {"roles": ["trainer"]}
    assert (pair.object_type, pair.object_id, pair.actor_id) == ("cohort", "7", None)
    assert event.channel == "cli" and pair.channel == "cli"  # outside a request
    assert record("user.merge", target, channel="auto").channel == "auto"


def test_a_rolled_back_change_leaves_no_event(db, make_user):
    target = db.session.get(User, make_user().id)
    record("user.profile", target)
    db.session.rollback()
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "user.profile")) == 0


def test_in_a_request_the_signed_in_person_is_the_actor_and_the_channel_web(app, db, make_user):
    from flask_login import login_user

    person = make_user()
    with app.test_request_context("/"):
        user = db.session.get(User, person.id)
        login_user(user)
        event = record("user.profile", user)
    assert event.actor_id == person.id and event.channel == "web"
