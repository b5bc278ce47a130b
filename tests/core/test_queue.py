"""The task queue: the tasks of one commit queued together, after it."""


def test_many_tasks_of_one_commit_are_queued_in_one_go(app, db, make_user, tmp_path, monkeypatch):
    from sqlalchemy import select

    from lms.core import mail, queue
    from lms.core.mail import MailDelivery
    from tests.conftest import outbox

    app.config["QUEUE_URL"] = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    queue.init_app(app)

    def one_by_one(*_args, **_kwargs):
        raise AssertionError("queued one task at a time")

    monkeypatch.setattr(queue.huey.storage, "enqueue", one_by_one)
    try:
        user = make_user(email="judge@example.org")
        for n in range(30):
            mail.queue_message(
                user.email, "Rappel", "accounts/email/invite", key=f"k{n}", user=user, inviter=None, link="x", days=1
            )
        db.session.commit()
        assert queue.huey.storage.queue_size() == 30
        assert db.session.scalar(select(MailDelivery.id).where(MailDelivery.key == "k0")) is not None
        db.session.commit()  # (a transaction of the test would hold SQLite's write lock while the tasks run)
        assert queue.run_queued() == 30
        assert len(outbox(app)) == 30
    finally:
        app.config["QUEUE_URL"] = "immediate"
        queue.init_app(app)
