"""Law 09-08: a person's export holds their notifications and choices; erasing them removes those and the mails
addressed to them."""

from sqlalchemy import func, select

from lms.accounts import service as accounts
from lms.accounts.models import User
from lms.core.mail import FAILED, PENDING, SENT, MailDelivery
from lms.notifications import service
from lms.notifications.models import Notification, NotificationPreference


def test_the_export_includes_notifications_and_preferences(client, make_user, make_notification, db):
    learner = make_user(email="judge@example.org")
    other = make_user(email="other@example.org")
    make_notification(learner, title="Your certificate", link="/certificates", read=True)
    make_notification(other, title="Not yours")
    service.save_preferences(learner.id, {"workshop_reminder": False})
    db.session.commit()
    client.login("judge@example.org")
    data = client.get("/account/profile/export.json").get_json()
    assert [(n["title"], n["link"]) for n in data["notifications"]] == [("Your certificate", "/certificates")]
    assert data["notifications"][0]["read_at"] and data["notifications"][0]["kind"] == "certificate_issued"
    assert data["notification_preferences"] == {"workshop_reminder": {"email": False}}
    assert "Not yours" not in str(data)


def test_erasure_deletes_notifications_preferences_and_mails_to_the_person(app, make_user, make_notification, db):
    learner = make_user(email="Judge@example.org")
    other = make_user(email="other@example.org")
    make_notification(learner), make_notification(learner, read=True), make_notification(other)
    service.save_preferences(learner.id, {"quiz_reminder": False})
    service.save_preferences(other.id, {"quiz_reminder": False})
    for n, (address, status) in enumerate(
        [("judge@example.org", PENDING), ("JUDGE@example.org", FAILED), ("judge@example.org", SENT)]
        + [("other@example.org", FAILED)]
    ):
        db.session.add(MailDelivery(key=f"k{n}", address=address, subject="s", status=status))
    db.session.commit()
    accounts.erase_user(db.session.get(User, learner.id), actor=None)
    db.session.commit()

    def count(model, *where):
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    assert count(Notification, Notification.user_id == learner.id) == 0
    assert count(NotificationPreference, NotificationPreference.user_id == learner.id) == 0
    assert db.session.get(User, learner.id) is not None  # the account stays, anonymised: no CASCADE did this
    assert count(Notification, Notification.user_id == other.id) == 1
    assert count(NotificationPreference, NotificationPreference.user_id == other.id) == 1
    assert db.session.scalars(select(MailDelivery.address)).all() == ["other@example.org"]
