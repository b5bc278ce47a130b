"""The bell, the notifications page, opening one, marking all read, the preferences (issue #19)."""

import re
from datetime import timedelta

from flask_babel import force_locale
from sqlalchemy import select

from lms.notifications import rules
from lms.notifications.models import Notification, NotificationPreference


def _unread(db, user_id):
    return db.session.scalar(
        select(db.func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def test_the_bell_says_the_unread_count_in_text_on_every_page(client, make_user, make_notification, db):
    learner = make_user(email="judge@example.org")
    client.login("judge@example.org")
    html = client.get("/account/profile").get_data(as_text=True)
    assert 'class="bell"' in html and "Notifications, none unread" in html
    for read in (False, False, True):
        make_notification(learner, read=read)
    for url in ("/account/profile", "/courses/home", "/privacy"):
        html = client.get(url).get_data(as_text=True)
        # a plain link to the page, its accessible name in text: no JavaScript needed
        assert '<a class="bell has-unread" href="/notifications"' in html, url
        assert "Notifications, 2 unread" in html
        assert '<span class="bell-count" aria-hidden="true">2</span>' in html


def test_the_bell_is_one_count_on_the_partial_index_loaded_with_the_user(
    client, make_user, make_notification, db, count_queries
):
    """No query of its own: the count is a subquery of the statement that loads the signed-in user."""
    learner = make_user(email="judge@example.org")
    make_notification(learner)
    client.login("judge@example.org")
    client.get("/privacy")
    with count_queries() as queries:
        html = client.get("/privacy").get_data(as_text=True)
    assert "Notifications, 1 unread" in html
    counts = [s for s in queries.statements if "notification" in s]
    assert len(counts) == 1 and "count(notification.id)" in counts[0], queries.statements
    assert "FROM user_account" in counts[0] and counts[0] == queries.statements[0], "the user's own statement"
    if db.engine.dialect.name == "sqlite":
        with db.engine.connect() as connection:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + counts[0], (learner.id,)).all()
        assert "COVERING INDEX ix_notification_user_unread" in " ".join(str(row) for row in plan), plan


def test_visitors_get_no_bell_and_no_query_for_it(client, count_queries):
    with count_queries() as queries:
        html = client.get("/account/login").get_data(as_text=True)
    assert 'class="bell' not in html
    assert not any("notification" in s for s in queries.statements)


def test_the_page_lists_newest_first_unread_highlighted_paginated(client, make_user, make_notification, db):
    learner = make_user(email="judge@example.org")
    for n in range(25):
        make_notification(learner, title=f"Item {n:02d}", age=timedelta(hours=25 - n), read=n < 3)
    client.login("judge@example.org")
    html = client.get("/notifications").get_data(as_text=True)
    assert html.index("Item 24") < html.index("Item 23") < html.index("Item 05")
    assert "Item 04" not in html and html.count('class="notification unread"') == 20
    assert "22 unread notifications" in html and "Mark all as read" in html
    second = client.get("/notifications?page=2").get_data(as_text=True)
    assert "Item 04" in second and "Item 00" in second and "Item 24" not in second
    assert second.count('class="notification unread"') == 2 and second.count('class="notification"') == 3
    assert client.get("/notifications?page=abc").status_code == 200  # a bad page number is the first page


def test_opening_one_marks_it_read_and_goes_to_its_link(client, make_user, make_notification, db):
    learner = make_user(email="judge@example.org")
    note = make_notification(learner, link="/certificates")
    other = make_notification(learner)
    client.login("judge@example.org")
    response = client.get(f"/notifications/{note}/open")
    assert response.status_code == 302 and response.headers["Location"] == "/certificates"
    assert db.session.get(Notification, note).read_at is not None
    assert db.session.get(Notification, other).read_at is None
    assert client.get(f"/notifications/{note}/open").headers["Location"] == "/certificates"  # again: still fine


def test_a_link_out_of_the_site_is_never_followed(client, make_user, make_notification, db):
    learner = make_user(email="judge@example.org")
    ids = [
        make_notification(learner, link=link)
        for link in ("https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", None)
    ]
    client.login("judge@example.org")
    for note in ids:
        response = client.get(f"/notifications/{note}/open")
        assert response.status_code == 302 and response.headers["Location"] == "/notifications", note


def test_someone_elses_notification_is_not_found_and_stays_unread(client, make_user, make_notification, db):
    owner = make_user(email="owner@example.org")
    make_user(email="other@example.org")
    note = make_notification(owner, title="Private matter")
    client.login("other@example.org")
    assert client.get(f"/notifications/{note}/open").status_code == 404
    assert client.get("/notifications/999999/open").status_code == 404
    assert "Private matter" not in client.get("/notifications").get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Notification, note).read_at is None


def test_mark_all_read_reads_only_mine_and_needs_the_token(client, make_user, make_notification, db):
    me = make_user(email="judge@example.org")
    other = make_user(email="other@example.org")
    make_notification(me), make_notification(me), make_notification(other)
    client.login("judge@example.org")
    assert client.raw.post("/notifications/read").status_code == 400  # no CSRF token: nothing done
    assert _unread(db, me.id) == 2
    response = client.post_form("/notifications/read", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "All your notifications are marked as read." in html and "Notifications, none unread" in html
    assert _unread(db, me.id) == 0 and _unread(db, other.id) == 1


def test_preferences_show_every_kind_and_store_the_choices(client, make_user, db):
    learner = make_user(email="judge@example.org")
    client.login("judge@example.org")
    html = client.get("/notifications/preferences").get_data(as_text=True)
    with force_locale("en"):
        for kind in rules.KINDS.values():
            assert str(kind.label) in html and str(kind.description) in html
    # no choice stored yet: each kind's default
    for name, kind in rules.KINDS.items():
        box = re.search(rf'<input[^>]*name="email_{name}"[^>]*>', html).group(0)
        assert ("checked" in box) is kind.email_by_default, box
    data = {"email_workshop_reminder": "y", "email_job_finished": "y"}  # the others unticked
    response = client.post_form("/notifications/preferences", data, follow_redirects=True)
    assert "Your choices are saved." in response.get_data(as_text=True)
    rows = dict(
        db.session.execute(
            select(NotificationPreference.kind, NotificationPreference.email).where(
                NotificationPreference.user_id == learner.id
            )
        ).all()
    )
    assert rows == {kind: kind in ("workshop_reminder", "job_finished") for kind in rules.KINDS}
    # saved again: the same rows, changed
    client.post_form("/notifications/preferences", {"email_quiz_reminder": "y"})
    db.session.expire_all()
    assert db.session.get(NotificationPreference, (learner.id, "quiz_reminder")).email is True
    assert db.session.get(NotificationPreference, (learner.id, "workshop_reminder")).email is False
    assert db.session.scalar(select(db.func.count()).select_from(NotificationPreference)) == len(rules.KINDS)


def test_the_preferences_decide_the_mail(app, make_user, db):
    from lms.accounts.models import User
    from lms.notifications import service

    learner = db.session.get(User, make_user(email="judge@example.org").id)
    service.save_preferences(learner.id, {"certificate_issued": False})
    db.session.commit()
    assert service.email_choice(learner.id, "certificate_issued") is False
    assert service.email_choice(learner.id, "workshop_reminder") is True  # no row: the default
    assert service.email_choice(learner.id, "job_finished") is False


def test_profile_and_notifications_page_link_to_the_preferences(client, make_user):
    make_user(email="judge@example.org")
    client.login("judge@example.org")
    for url in ("/account/profile", "/notifications"):
        assert 'href="/notifications/preferences"' in client.get(url).get_data(as_text=True), url


def test_pages_in_french_and_arabic(client, make_user, make_notification):
    learner = make_user(email="judge@example.org")
    make_notification(learner)
    client.login("judge@example.org")
    expected = {
        "fr": ("Notifications, 1 non lue", "Tout marquer comme lu", "Rappels d’atelier"),
        "ar": ("الإشعارات، واحد غير مقروء", "تعليم الكل بوصفه مقروءًا", "تذكيرات الورشات"),
    }
    for locale, (bell, mark_all, kind) in expected.items():
        client.post_form("/language", {"lang": locale})
        page = client.get("/notifications").get_data(as_text=True)
        assert f'<html lang="{locale}"' in page and bell in page and mark_all in page
        assert kind in client.get("/notifications/preferences").get_data(as_text=True)


def test_a_change_of_the_count_during_the_request_is_counted_again(app, make_user, make_notification, db):
    """The count loaded with the user is this request's: marking read or being notified in the same request asks
    it again, and a count loaded for someone else (a pending two-factor step) is never shown."""
    from flask_login import login_user

    from lms.accounts.models import User
    from lms.accounts.routes import load_user
    from lms.notifications import notification_count, service

    learner = make_user(email="judge@example.org")
    other = make_user(email="other@example.org")
    make_notification(learner)
    make_notification(other)
    make_notification(other)
    with app.test_request_context("/privacy"):
        me = load_user(f"{learner.id}:{learner.session_version}")
        login_user(me)
        assert notification_count() == 1
        service.notify(db.session.get(User, learner.id), "certificate_issued", "test:again", title="New")
        assert notification_count() == 2
        service.mark_read(learner.id)
        assert notification_count() == 0
        load_user(f"{other.id}:{other.session_version}")  # loaded, not signed in (as a two-factor step does)
        assert notification_count() == 0
    db.session.rollback()
