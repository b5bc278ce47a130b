"""Every per-process cache of data has a key that covers every input of what it keeps (issue #23; ARCHITECTURE.md,
"Caches and their keys"). For each cache without a test of its own elsewhere: the same inputs are served from the
cache (no query, no new build), and a change of one input of the key is never served the old value.

The caches already proven elsewhere: the chrome fragments (tests/core/test_fragments.py), the templates' url_for
(tests/core/test_templating.py), the display zone (tests/core/test_timeutil.py), parsed quiz definitions
(tests/quizzes/test_attempts.py), the values loaded with the user (tests/notifications/test_pages.py)."""

from __future__ import annotations

import re

from sqlalchemy import select

from lms.content import service as content_service
from lms.content.models import Course, Module, ModuleText, QuizVersion
from tests.factories import make_attempt, module_quiz

COURSE = "palermo-magistrates"
MODULE_PAGE = f"/courses/{COURSE}/definition"
PREFIX = "/tadrib"


def _learner(client, make_user, courses):
    make_user(email="amina@example.org", profession="magistrate-judge", locale="fr")
    client.login("amina@example.org")
    return client


def _page(client, path, **kwargs) -> str:
    response = client.get(path, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response.get_data(as_text=True)


def _module(db, slug="definition") -> Module:
    return db.session.scalar(
        select(Module).join(Course, Module.course_id == Course.id).where(Module.slug == slug, Course.slug == COURSE)
    )


# --- content: module texts and course views ---------------------------------------------------------------------


def test_module_text_is_keyed_by_the_text_and_the_module_source_hash(
    app, client, db, make_user, courses, count_queries
):
    """``_TEXT_CACHE``: (text id, module source hash). A body changed without a new hash (no sync) is not read
    again: the page is served from the cache without reading module_text; a sync's new hash shows the new body."""
    _learner(client, make_user, courses)
    assert "CACHED-BODY" not in _page(client, MODULE_PAGE)
    module = _module(db)
    text = db.session.scalar(select(ModuleText).where(ModuleText.module_id == module.id, ModuleText.locale == "fr"))
    assert any(key[0] == text.id for key in content_service._TEXT_CACHE), "the page did not read the French text"

    # Same key: the body changed behind the cache's back (no sync, so no new hash) is not served.
    db.session.execute(
        ModuleText.__table__.update().where(ModuleText.id == text.id).values(body_html="<p>CACHED-BODY</p>")
    )
    db.session.commit()
    with count_queries() as counter:
        page = _page(client, MODULE_PAGE)
    assert "CACHED-BODY" not in page, "the text was read again with the same key"
    assert not [s for s in counter.statements if "body_html" in s], "module_text was queried for a cached text"

    # A sync: new text and new source hash together. The new body shows.
    db.session.execute(
        ModuleText.__table__.update().where(ModuleText.id == text.id).values(body_html="<p>SYNCED-BODY</p>")
    )
    db.session.execute(Module.__table__.update().where(Module.id == module.id).values(source_hash="new-hash"))
    db.session.commit()
    assert "SYNCED-BODY" in _page(client, MODULE_PAGE)


def test_course_view_is_keyed_by_the_course_and_its_version(app, client, db, make_user, courses, count_queries):
    """``_COURSE_CACHE``: (course id, version). A title changed without a new version is not read again (no
    course query); a sync's new version shows the new title."""
    _learner(client, make_user, courses)
    _page(client, MODULE_PAGE)
    course = db.session.scalar(select(Course).where(Course.slug == COURSE))
    course_id, version = course.id, course.version
    assert (course_id, version) in content_service._COURSE_CACHE

    def retitle(title, **values):
        db.session.execute(
            Course.__table__.update()
            .where(Course.id == course_id)
            .values(title={"fr": title, "ar": title, "en": title}, **values)
        )
        db.session.commit()

    retitle("SAME-VERSION-TITLE")
    with count_queries() as counter:
        page = _page(client, MODULE_PAGE)
    assert "SAME-VERSION-TITLE" not in page, "the course was read again with the same key"
    assert not [s for s in counter.statements if "course.summary" in s], "the course was queried while cached"

    retitle("NEW-VERSION-TITLE", version=version + 1)
    assert "NEW-VERSION-TITLE" in _page(client, MODULE_PAGE)
    assert (course_id, version + 1) in content_service._COURSE_CACHE


# --- certificates: quiz settings; quizzes: version facts ----------------------------------------------------------


def test_quiz_settings_are_keyed_by_the_quiz_version(app, db, make_user, courses, count_queries):
    """``_QUIZ_SETTINGS``: (quiz version id, course version). The pass mark of the current version decides; the
    same version is not read again (no quiz_version query); a new version's pass mark is used at once."""
    user = make_user(profession="magistrate-judge")
    quiz = module_quiz(db, "definition")
    module_id, old_id = quiz.module_id, quiz.id
    pass_mark = quiz.definition["settings"]["pass_mark"]
    make_attempt(db, user.id, quiz, percent=pass_mark - 5, points=1, max_points=2, is_passed=False)
    db.session.commit()
    course = db.session.scalar(select(Course).where(Course.slug == COURSE))

    def passed() -> bool:
        progress = content_service.course_progress(user, db.session.get(Course, course.id), "fr")
        return module_id in progress.standing.passed_quizzes

    assert not passed()
    # The same version, its pass mark lowered behind the cache's back: the cached settings are used, unread.
    lowered = {**quiz.definition, "settings": {**quiz.definition["settings"], "pass_mark": pass_mark - 10}}
    db.session.execute(QuizVersion.__table__.update().where(QuizVersion.id == old_id).values(definition=lowered))
    db.session.commit()
    db.session.expire_all()
    with count_queries() as counter:
        assert not passed(), "the settings were read again with the same key"
    assert not [s for s in counter.statements if "quiz_version.definition" in s]

    # A sync: a new current version with the lower pass mark (and the course's version bumped).
    db.session.execute(QuizVersion.__table__.update().where(QuizVersion.id == old_id).values(is_current=False))
    new = QuizVersion(module_id=module_id, version=99, source_hash="new", definition=lowered, is_current=True)
    db.session.add(new)
    db.session.execute(Course.__table__.update().where(Course.id == course.id).values(version=Course.version + 1))
    db.session.commit()
    db.session.expire_all()
    assert passed(), "the new quiz version's pass mark was not used"


def test_version_facts_are_keyed_by_the_engine_and_the_quiz_version(app, db, courses, count_queries):
    """``version_facts``: per engine, quiz version id -> (questions, grace minutes). Read once; another version
    has its own; an edit of a definition through the ORM empties it."""
    from lms.quizzes import service

    quiz = module_quiz(db, "definition")
    other = module_quiz(db, "palermo-protocol")
    first = service.version_facts(quiz.id)
    with count_queries() as counter:
        assert service.version_facts(quiz.id) is first
    assert counter.count == 0
    assert service._version_facts[db.engine][quiz.id] is first
    assert set(service.version_facts(other.id)[0]) == {q["id"] for q in other.definition["questions"]}
    assert set(first[0]) == {q["id"] for q in quiz.definition["questions"]}

    quiz.definition = {**quiz.definition, "settings": {**quiz.definition["settings"], "grace_minutes": 7}}
    db.session.commit()
    assert service.version_facts(quiz.id)[1] == 7


# --- the mount point: memoised URLs, the menu, asset, manifest, outbox and service worker URLs ---------------------

#: every address a page links to, loads or posts to
ADDRESS = re.compile(r'\s(?:href|src|action|data-[a-z-]+)="(/[^"]*)"')


def _addresses(page: str) -> list[str]:
    return [a for a in ADDRESS.findall(page) if not a.startswith("//")]


def test_each_mount_point_gets_its_own_urls(app, client, db, make_user, courses):
    """Every URL cache is keyed by ``SCRIPT_NAME`` (templates' url_for, menu, asset_url, manifest_url, outbox_url,
    the service worker's URL, the chrome fragments): the same pages rendered at the root, under a prefix and at
    the root again each link only within their own mount point.

    Left out: the links inside a module's text, written into the database by the sync (no request, so from the
    root): stored content, not a per-process cache."""
    _learner(client, make_user, courses)
    stored = " ".join(t.body_html + t.toc_html for t in db.session.scalars(select(ModuleText)))
    mounted = {"SCRIPT_NAME": PREFIX}
    for path in ("/courses/home", MODULE_PAGE):
        root = _page(client, path)
        under = _page(client, path, environ_overrides=mounted)
        again = _page(client, path)
        assert _addresses(root) and _addresses(under)
        outside = [a for a in _addresses(under) if not a.startswith(PREFIX + "/") and f'"{a}"' not in stored]
        assert outside == [], path
        for page in (root, again):
            assert [a for a in _addresses(page) if a.startswith(PREFIX)] == [], path
        for name in ('href="%s/static/tadrib.css', 'rel="manifest" href="%s/', 'data-sw="%s/offline/sw.js'):
            assert name % PREFIX in under and name % "" in root, name


def test_menu_and_asset_urls_are_keyed_by_roles_language_and_mount_point(app):
    from flask_babel import force_locale

    from lms.core.menu import _menu_items, asset_url

    def menu(roles, locale, base="http://localhost/"):
        with app.test_request_context("/", base_url=base), force_locale(locale):
            return _menu_items(roles)

    learner_fr = menu(("learner",), "fr")
    assert menu(("learner",), "fr") is learner_fr  # served from the cache
    assert menu(("learner",), "ar") != learner_fr  # labels in Arabic
    assert {e for e, _u, _l in menu(("trainer",), "fr")} - {e for e, _u, _l in learner_fr} >= {"reports.trainer_home"}
    assert all(url.startswith(PREFIX + "/") for _e, url, _l in menu(("learner",), "fr", f"http://localhost{PREFIX}/"))
    assert menu(("learner",), "fr") is learner_fr

    with app.test_request_context("/"):
        root = asset_url("tadrib.css")
    with app.test_request_context("/", base_url=f"http://localhost{PREFIX}/"):
        under = asset_url("tadrib.css")
    assert root.startswith("/static/tadrib.css?v=") and under == PREFIX + root


def test_manifest_body_is_keyed_by_language_and_mount_point(app, client):
    bodies = {}
    for locale in ("fr", "ar"):
        for script_name in ("", PREFIX):
            response = client.get(
                f"/offline/manifest.webmanifest?locale={locale}", environ_overrides={"SCRIPT_NAME": script_name}
            )
            assert response.status_code == 200
            bodies[locale, script_name] = response.get_json()
    assert len({repr(body) for body in bodies.values()}) == 4
    for (locale, script_name), body in bodies.items():
        assert body["lang"] == locale and body["dir"] == ("rtl" if locale == "ar" else "ltr")
        assert all(icon["src"].startswith(script_name + "/static/") for icon in body["icons"])
        # an installed app opens, and stays, within its own mount point
        assert body["id"] == body["start_url"] == body["scope"] == script_name + "/"


# --- the offline pages' templates ---------------------------------------------------------------------------------


def test_offline_templates_version_is_read_once_per_process(app, tmp_path):
    """The templates' hash is made once per app (the templates ship with the code: a deploy restarts the
    process); a new process hashes the files as they are then."""
    import shutil
    from pathlib import Path

    from lms.offline.service import _templates_version

    here = Path(app.root_path).parent / "templates"
    copy = tmp_path / "app" / "templates"
    shutil.copytree(here / "offline", copy / "offline")
    shutil.copy(here / "base.html", copy / "base.html")
    app.root_path = str(tmp_path / "app" / "lms")
    with app.app_context():
        before = _templates_version()
        (copy / "offline" / "missing.html").write_text("changed", encoding="utf-8")
        assert _templates_version() == before  # once per process
        app.extensions.pop("tadrib_offline")  # a new process
        assert _templates_version() != before
