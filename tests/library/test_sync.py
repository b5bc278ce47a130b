"""The library synced with the courses: created, updated in place, archived, idempotent; citations; markup."""

from sqlalchemy import func, select

from lms.content import signals
from lms.content.models import (
    ArticleCitation,
    CaseNote,
    GlossaryTerm,
    LibraryArticle,
    LibraryInstrument,
    Module,
    ModuleText,
    SyncRun,
)
from lms.content.sync import sync_courses


def _count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def _text(db, locale):
    return db.session.scalar(select(ModuleText).where(ModuleText.locale == locale))


def test_sync_creates_the_library_and_a_second_sync_writes_nothing(db, lib_tree):
    result = sync_courses(str(lib_tree))
    db.session.commit()
    counts = result.summary()
    assert counts["library instruments created"] == 3
    assert counts["library articles created"] == 3
    assert counts["library cases created"] == 2
    assert counts["glossary terms created"] == 2
    assert counts["library citations created"] == 3  # 448-1 and palermo 3 in the text, 448-2 in question q1
    article = db.session.scalar(select(LibraryArticle).where(LibraryArticle.slug == "448-1"))
    assert article.number == "448-1"
    assert article.heading["_number"]["ar"] == "الفصل 1-448" and article.heading["fr"] == "Définition"
    assert article.pending == ["ar"]
    law = db.session.scalar(select(LibraryInstrument).where(LibraryInstrument.slug == "law-27-14"))
    assert law.dated == "2016-08-25"
    circular = db.session.scalar(select(LibraryInstrument).where(LibraryInstrument.kind == "circular"))
    assert 'href="/library/law-27-14/448-1"' in circular.summary_html["fr"]
    again = sync_courses(str(lib_tree))
    assert not again.changed and again.summary() == {}
    db.session.commit()
    assert _count(db, SyncRun) == 1


def test_citations_by_module_and_question(db, synced):
    rows = db.session.execute(
        select(LibraryInstrument.slug, LibraryArticle.slug, ArticleCitation.question_id)
        .join(LibraryArticle, ArticleCitation.article_id == LibraryArticle.id)
        .join(LibraryInstrument, LibraryArticle.instrument_id == LibraryInstrument.id)
    ).all()
    assert sorted(rows, key=str) == sorted(
        [("law-27-14", "448-1", None), ("palermo-protocol", "3", None), ("law-27-14", "448-2", "q1")], key=str
    )


def test_changed_article_updates_in_place_and_rerenders_the_modules_citing_it(db, synced):
    article = db.session.scalar(select(LibraryArticle).where(LibraryArticle.slug == "448-1"))
    article_id = article.id
    module_version = db.session.scalar(select(Module.version))
    path = synced / "_library" / "instruments" / "law-27-14" / "448-1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("le recrutement", "l'enrôlement"), encoding="utf-8")
    result = sync_courses(str(synced))
    db.session.commit()
    assert result.counts["library articles updated"] == 1
    assert result.counts["modules updated"] == 1
    db.session.expire_all()
    assert db.session.scalar(select(LibraryArticle).where(LibraryArticle.slug == "448-1")).id == article_id
    assert db.session.scalar(select(Module.version)) == module_version + 1
    assert "l'enrôlement" in _text(db, "fr").body_html or "l&#39;enrôlement" in _text(db, "fr").body_html


def test_changed_glossary_rerenders_modules(db, synced):
    path = synced / "_library" / "glossary" / "registry.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("tient les dossiers", "garde les dossiers"), "utf-8")
    result = sync_courses(str(synced))
    db.session.commit()
    assert result.counts["glossary terms updated"] == 1 and result.counts["modules updated"] == 1
    assert "garde les dossiers" in _text(db, "fr").body_html


def test_removed_items_are_archived_never_deleted_and_restored(db, synced):
    lib = synced / "_library"
    saved = (lib / "cases" / "omar.yaml").read_text(encoding="utf-8")
    (lib / "cases" / "omar.yaml").unlink()
    (lib / "glossary" / "registry.yaml").unlink()
    (lib / "instruments" / "law-27-14" / "448-2.yaml").unlink()
    quiz = synced / "demo" / "01-intro" / "quiz.yaml"
    quiz.write_text(quiz.read_text(encoding="utf-8").replace(" ([[law-27-14/448-2]])", ""), encoding="utf-8")
    result = sync_courses(str(synced))
    db.session.commit()
    assert result.counts["library cases archived"] == 1
    assert result.counts["glossary terms archived"] == 1
    assert result.counts["library articles archived"] == 1
    assert result.counts["library citations removed"] == 1
    assert _count(db, CaseNote) == 2 and _count(db, CaseNote, CaseNote.is_archived.is_(True)) == 1
    assert _count(db, GlossaryTerm, GlossaryTerm.is_archived.is_(True)) == 1
    (lib / "cases" / "omar.yaml").write_text(saved, encoding="utf-8")
    result = sync_courses(str(synced))
    db.session.commit()
    assert result.counts["library cases restored"] == 1
    assert _count(db, CaseNote, CaseNote.is_archived.is_(True)) == 0


def test_refused_tree_writes_nothing(db, lib_tree):
    from lms.content.sync import SyncRefused

    path = lib_tree / "_library" / "cases" / "salma.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("fictional: true", "fictional: false"), "utf-8")
    try:
        sync_courses(str(lib_tree))
    except SyncRefused as refused:
        assert any("fictional" in p.message for p in refused.problems)
    else:
        raise AssertionError("a case that is not fictional must be refused")
    db.session.rollback()
    assert _count(db, LibraryInstrument) == 0


def test_content_synced_is_sent_after_each_sync_saying_whether_it_changed_something(app, db, lib_tree):
    seen = []

    def receiver(sender, **kwargs):
        # the sync's rows are visible to the receiver (flushed, same transaction)
        seen.append((kwargs, _count(db, LibraryArticle)))

    signals.content_synced.connect(receiver)
    try:
        sync_courses(str(lib_tree))
        sync_courses(str(lib_tree))  # no change: sent, saying so (the index is rebuilt only if it is empty)
    finally:
        signals.content_synced.disconnect(receiver)
    db.session.rollback()
    assert seen == [({"changed": True}, 3), ({"changed": False}, 3)]
