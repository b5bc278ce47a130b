"""``flask courses sync``: one transaction, idempotent, versions, archiving."""

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.content.models import Course, Module, ModuleProgress, ModuleText, QuizVersion, SyncRun
from tests.factories import make_progress

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def tree(tmp_path):
    target = tmp_path / "courses"
    shutil.copytree(ROOT / "courses", target)
    return target


def _count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_sync_twice_second_run_changes_nothing(runner, db, tree):
    first = runner.invoke(args=["courses", "sync", str(tree)])
    assert first.exit_code == 0, first.output
    assert "2 courses created" in first.output and "15 modules created" in first.output
    second = runner.invoke(args=["courses", "sync", str(tree)])
    assert second.exit_code == 0 and "no change" in second.output
    assert _count(db, SyncRun) == 1
    assert _count(db, ModuleText) >= 22


def test_changed_module_gets_new_version_and_rerendered(runner, db, tree):
    runner.invoke(args=["courses", "sync", str(tree)])
    path = tree / "palermo-magistrates" / "01-palermo-protocol" / "fr.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nParagraphe ajouté.\n", encoding="utf-8")
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert "1 modules updated" in result.output
    module = db.session.scalar(select(Module).where(Module.slug == "palermo-protocol"))
    assert module.version == 2
    text = db.session.scalar(select(ModuleText).where(ModuleText.module_id == module.id, ModuleText.locale == "fr"))
    assert "Paragraphe ajouté." in text.body_html


def test_changed_quiz_becomes_new_version_old_kept(runner, db, tree):
    runner.invoke(args=["courses", "sync", str(tree)])
    module = db.session.scalar(select(Module).where(Module.slug == "definition"))
    old = db.session.scalar(select(QuizVersion).where(QuizVersion.module_id == module.id))
    path = tree / "palermo-magistrates" / "02-definition" / "quiz.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("pass_mark: 70", "pass_mark: 80"), encoding="utf-8")
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert "1 quizzes updated" in result.output
    db.session.expire_all()
    versions = db.session.scalars(
        select(QuizVersion).where(QuizVersion.module_id == module.id).order_by(QuizVersion.version)
    ).all()
    assert [v.version for v in versions] == [1, 2]
    assert (
        versions[0].id == old.id
        and not versions[0].is_current
        and versions[0].definition["settings"]["pass_mark"] == 70
    )
    assert versions[1].is_current and versions[1].definition["settings"]["pass_mark"] == 80


def test_removed_module_is_archived_with_progress(runner, db, tree, make_user):
    runner.invoke(args=["courses", "sync", str(tree)])
    user = make_user()
    module = db.session.scalar(select(Module).where(Module.slug == "forms"))
    make_progress(db, user.id, module.id)
    db.session.commit()
    shutil.rmtree(tree / "palermo-magistrates" / "03-forms")
    # Links to the removed module must go too, or check refuses the tree.
    for md in tree.rglob("*.md"):
        text = md.read_text(encoding="utf-8")
        if "../03-forms/" in text:
            md.write_text(text.replace("../03-forms/", "https://example.org/"), encoding="utf-8")
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert "1 modules archived" in result.output, result.output
    db.session.expire_all()
    archived = db.session.get(Module, module.id)
    assert archived.is_archived
    assert _count(db, ModuleProgress) == 1


def test_bad_tree_writes_nothing(runner, db, tree):
    runner.invoke(args=["courses", "sync", str(tree)])
    before = _count(db, SyncRun)
    good = tree / "palermo-magistrates" / "01-palermo-protocol" / "fr.md"
    good.write_text(good.read_text(encoding="utf-8") + "\nchanged\n", encoding="utf-8")
    (tree / "victim-identification" / "02-indicators" / "quiz.yaml").write_text(
        "questions: [unclosed\n", encoding="utf-8"
    )
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert result.exit_code == 1 and "quiz.yaml:" in result.output and "Nothing loaded" in result.output
    assert _count(db, SyncRun) == before
    assert db.session.scalar(select(Module.version).where(Module.slug == "palermo-protocol")) == 1


def test_first_sync_of_broken_tree_loads_nothing(runner, db, tree):
    (tree / "palermo-magistrates" / "course.yaml").write_text("title: [\n", encoding="utf-8")
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert result.exit_code == 1
    assert _count(db, Course) == 0 and _count(db, Module) == 0


def test_module_page_shows_new_text_after_sync_in_the_same_process(runner, db, tree, client, make_user):
    """Texts are cached per process under the module's source hash: a sync that changes a text shows at once."""
    runner.invoke(args=["courses", "sync", str(tree)])
    client.login(make_user(email="reader@example.org").email)
    url = "/courses/palermo-magistrates/palermo-protocol"
    assert "Paragraphe ajouté" not in client.get(url).get_data(as_text=True)
    path = tree / "palermo-magistrates" / "01-palermo-protocol" / "en.md"
    if not path.exists():
        path = tree / "palermo-magistrates" / "01-palermo-protocol" / "fr.md"
    path.write_text(path.read_text(encoding="utf-8") + "\n\nParagraphe ajouté.\n", encoding="utf-8")
    db.session.commit()
    assert "1 modules updated" in runner.invoke(args=["courses", "sync", str(tree)]).output
    page = client.get(url).get_data(as_text=True)
    assert "Paragraphe ajouté" in page


def test_a_renderer_change_re_renders_every_module(runner, db, tree, monkeypatch):
    from lms.content import loader

    runner.invoke(args=["courses", "sync", str(tree)])
    monkeypatch.setattr(loader, "RENDERER_VERSION", loader.RENDERER_VERSION + 1)
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert "15 modules updated" in result.output


def test_renderer_version_bumped_so_modules_re_render(db, courses, monkeypatch):
    """A new renderer version (lms/core/markdown.py renders differently) makes the next sync render every module
    again, instead of serving HTML made by the old code; the same version changes nothing."""
    from lms.content import loader
    from lms.content.sync import sync_courses

    modules = db.session.scalar(select(func.count(Module.id)))
    assert not sync_courses(courses).changed
    monkeypatch.setattr(loader, "RENDERER_VERSION", loader.RENDERER_VERSION + 1)
    assert sync_courses(courses).counts["modules updated"] == modules > 0
