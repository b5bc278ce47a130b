"""Learner pages: catalogue, course, module in French and Arabic, completion, progress, access."""

import shutil
from pathlib import Path

from sqlalchemy import select

from lms.content.models import ModuleProgress

COURSE = "/courses/palermo-magistrates"


def _judge(make_user, locale="fr"):
    return make_user(email="judge@example.org", profession="magistrate-judge", locale=locale)


def test_catalogue_shows_courses_for_the_profession(client, make_user, courses):
    _judge(make_user)
    make_user(email="sw@example.org", profession="social-worker")
    client.login("judge@example.org")
    page = client.get("/courses").get_data(as_text=True)
    assert "palermo-magistrates" in page and "victim-identification" not in page
    assert client.get("/courses/victim-identification").status_code == 403
    client.logout()
    client.login("sw@example.org")
    page = client.get("/courses").get_data(as_text=True)
    assert "victim-identification" in page and "palermo-magistrates" not in page


def test_read_module_in_french_and_arabic(client, make_user, courses):
    _judge(make_user)
    client.login("judge@example.org")
    client.post_form("/language", {"lang": "fr"})
    fr = client.get(f"{COURSE}/definition").get_data(as_text=True)
    assert 'lang="fr" dir="ltr"' in fr and "Objectifs" in fr and "admonition law" in fr
    client.post_form("/language", {"lang": "ar"})
    ar = client.get(f"{COURSE}/definition").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl"' in ar
    assert '<article class="module-text" lang="ar" dir="rtl">' in ar
    assert "الاتجار بالبشر" in ar


def test_english_falls_back_to_french_with_notice(client, make_user, courses):
    _judge(make_user, locale="en")
    client.login("judge@example.org")
    page = client.get(f"{COURSE}/definition").get_data(as_text=True)
    assert "shown in French" in page and '<article class="module-text" lang="fr"' in page


def test_mark_complete_and_progress(client, make_user, courses, db):
    user = _judge(make_user, locale="en")
    client.login("judge@example.org")
    client.get(f"{COURSE}/palermo-protocol")
    response = client.post_form(f"{COURSE}/palermo-protocol/complete", {"completed": "1", "go": "next"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/definition")
    course_page = client.get(COURSE).get_data(as_text=True)
    assert "Modules read: 1 of 8" in course_page
    progress = db.session.scalar(select(ModuleProgress).where(ModuleProgress.user_id == user.id))
    assert progress.completed_at is not None and progress.first_viewed_at is not None
    # Continue where you left off: the module opened last and not complete.
    client.get(f"{COURSE}/forms")
    home = client.get("/courses/home").get_data(as_text=True)
    assert "In progress" in home and f"{COURSE}/forms" in home
    # Undo.
    client.post_form(f"{COURSE}/palermo-protocol/complete", {"completed": "0"})
    assert "Modules read: 0 of 8" in client.get(COURSE).get_data(as_text=True)


def test_double_complete_is_harmless(client, make_user, courses, db):
    _judge(make_user)
    client.login("judge@example.org")
    for _ in range(2):
        client.post_form(f"{COURSE}/palermo-protocol/complete", {"completed": "1"})
    assert len(db.session.scalars(select(ModuleProgress)).all()) == 1


def test_home_redirects_to_dashboard(client, make_user, courses):
    _judge(make_user)
    client.login("judge@example.org")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/courses/home")


def test_unknown_module_404(client, make_user, courses):
    _judge(make_user)
    client.login("judge@example.org")
    assert client.get(f"{COURSE}/nope").status_code == 404
    assert client.get("/courses/nope").status_code == 404


def test_internal_links_point_to_module_pages(client, make_user, courses):
    _judge(make_user)
    client.login("judge@example.org")
    page = client.get(f"{COURSE}/palermo-protocol").get_data(as_text=True)
    assert "../0" not in page


def test_query_count_does_not_grow_with_modules(app, client, make_user, db, tmp_path, count_queries):
    """The course page costs the same number of queries for 2 modules as for 12."""
    from lms.content.sync import sync_courses

    root = Path(__file__).resolve().parents[2] / "courses"

    def build(n):
        tree = tmp_path / f"c{n}"
        course = tree / "palermo-magistrates"
        course.mkdir(parents=True)
        shutil.copy(root / "palermo-magistrates" / "course.yaml", course / "course.yaml")
        for i in range(1, n + 1):
            folder = course / f"{i:02d}-m{i}"
            folder.mkdir()
            for loc in ("fr", "ar"):
                (folder / f"{loc}.md").write_text(
                    f"---\ntitle: M{i}\nminutes: 5\nobjectives: [x]\n---\n\nText {i}.\n", encoding="utf-8"
                )
        return tree

    _judge(make_user)
    client.login("judge@example.org")
    counts = {}
    for n in (2, 12):
        sync_courses(str(build(n)))
        db.session.commit()
        client.get(COURSE)
        client.get(f"{COURSE}/m1")
        with count_queries() as course_q:
            assert client.get(COURSE).status_code == 200
        with count_queries() as module_q:
            assert client.get(f"{COURSE}/m1").status_code == 200
        with count_queries() as home_q:
            assert client.get("/courses/home").status_code == 200
        counts[n] = (course_q.count, module_q.count, home_q.count)
    assert counts[2] == counts[12], counts


def test_admin_courses_page_and_preview(client, make_user, courses):
    make_user(roles=("admin",), email="admin@example.org")
    client.login("admin@example.org")
    page = client.get("/courses/admin").get_data(as_text=True)
    assert "The courses folder is valid" in page and "palermo-protocol" in page
    preview = client.get("/courses/admin/palermo-magistrates/definition/preview?lang=ar").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in preview


def test_learners_cannot_reach_admin_course_pages(client, make_user, courses):
    _judge(make_user)
    client.login("judge@example.org")
    assert client.get("/courses/admin").status_code == 403
    assert client.get("/courses/admin/palermo-magistrates/definition/preview").status_code == 403
