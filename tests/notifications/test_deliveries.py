"""The admin page of mails that did not leave, and sending them again (issue #19 part 2)."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEvent
from lms.core.mail import FAILED, PENDING, SENT, MailDelivery
from lms.core.timeutil import utcnow
from tests.conftest import outbox


@pytest.fixture
def admin(make_user, client):
    user = make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    return user


def _delivery(db, **fields):
    values = {"key": f"k{fields.get('address', '')}{fields.get('status', '')}", "address": "x@example.org"}
    delivery = MailDelivery(**(values | fields))
    db.session.add(delivery)
    db.session.commit()
    return delivery.id


def test_the_page_lists_failed_and_stuck_mails_only(client, admin, db):
    now = utcnow()
    _delivery(
        db,
        key="a",
        address="failed@example.org",
        subject="Failed one",
        status=FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: gone",
    )
    _delivery(db, key="b", address="retrying@example.org", subject="Retrying", status=PENDING, attempts=2)
    _delivery(
        db,
        key="c",
        address="late@example.org",
        subject="Late",
        status=PENDING,
        next_attempt_at=now - timedelta(hours=1),
    )
    _delivery(db, key="d", address="fresh@example.org", subject="Fresh", status=PENDING)
    _delivery(db, key="e", address="sent@example.org", subject="Sent", status=SENT, sent_at=now)
    html = client.get("/notifications/admin/deliveries").get_data(as_text=True)
    for shown in ("failed@example.org", "Failed one", "SMTPServerDisconnected: gone", "retrying@", "late@"):
        assert shown in html, shown
    assert "fresh@" not in html and "sent@" not in html
    assert html.count("Send again</button>") == 1  # only the failed one: the others are still being tried
    assert 'href="/notifications/admin/deliveries"' in html  # in the admin menu


def test_send_again_delivers_and_audits(client, admin, db, app):
    delivery = MailDelivery(key="k", address="learner@example.org", subject="Hello", status=FAILED, attempts=5)
    delivery.message = b"From: a@example.org\r\nTo: learner@example.org\r\nSubject: Hello\r\n\r\nHi\r\n"
    db.session.add(delivery)
    db.session.commit()
    delivery_id = delivery.id
    response = client.post_form(f"/notifications/admin/deliveries/{delivery_id}/retry", follow_redirects=True)
    assert "The mail is queued to be sent again." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(MailDelivery, delivery_id).status == SENT and len(outbox(app)) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "mail.retry"))
    assert event.object_id == str(delivery_id) and event.actor_id == admin.id
    assert "learner@example.org" not in str(event.after)  # the audit log outlives an erasure: no address in it
    # again: it has left; said so, nothing sent twice, no 500
    again = client.post_form(f"/notifications/admin/deliveries/{delivery_id}/retry", follow_redirects=True)
    assert again.status_code == 200 and "no longer waits" in again.get_data(as_text=True)
    assert len(outbox(app)) == 1
    assert client.post_form("/notifications/admin/deliveries/987654/retry").status_code == 302
    assert client.raw.post(f"/notifications/admin/deliveries/{delivery_id}/retry").status_code == 400  # no token


def test_send_all_again(client, admin, db, app):
    ids = []
    for n in range(3):
        delivery = MailDelivery(key=f"k{n}", address=f"p{n}@example.org", subject="S", status=FAILED, attempts=5)
        delivery.message = f"To: p{n}@example.org\r\nSubject: S\r\n\r\nHi\r\n".encode()
        db.session.add(delivery)
        db.session.flush()
        ids.append(delivery.id)
    db.session.commit()
    html = client.post_form("/notifications/admin/deliveries/retry-all", follow_redirects=True).get_data(as_text=True)
    assert "3 mails are queued to be sent again." in html and "Every mail has left" in html
    db.session.expire_all()
    assert {db.session.get(MailDelivery, i).status for i in ids} == {SENT}
    assert db.session.scalar(select(db.func.count(AuditEvent.id)).where(AuditEvent.action == "mail.retry")) == 3
    html = client.post_form("/notifications/admin/deliveries/retry-all", follow_redirects=True).get_data(as_text=True)
    assert "No failed mail to send again." in html


def test_only_admins(client, make_user):
    make_user(roles=("trainer",), email="trainer@example.org")
    client.login("trainer@example.org")
    assert client.get("/notifications/admin/deliveries").status_code == 403
    assert client.post_form("/notifications/admin/deliveries/retry-all").status_code == 403
    assert 'href="/notifications/admin/deliveries"' not in client.get("/privacy").get_data(as_text=True)


@pytest.mark.parametrize("locale,text", [("fr", "E-mails non remis"), ("ar", "رسائل لم تُسلَّم")])
def test_the_page_in_french_and_arabic(client, admin, db, locale, text):
    _delivery(db, key="a", address="failed@example.org", subject="S", status=FAILED, attempts=5)
    client.post_form("/language", {"lang": locale})
    html = client.get("/notifications/admin/deliveries").get_data(as_text=True)
    assert f'<html lang="{locale}"' in html and text in html
