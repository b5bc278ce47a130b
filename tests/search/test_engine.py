"""The index and its two engines (the one of the test database: SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

import pytest
from sqlalchemy import func, select

from lms.search import engine, service
from lms.search.engine import PostgresEngine, SqliteEngine
from lms.search.models import SearchDocument

from .library import add_library


@pytest.fixture
def indexed(app, db, courses):
    add_library(db)
    counts = service.rebuild_index()
    return counts


def refs(found, kind):
    return [(h.ref, h.locale) for h in found.hits.get(kind, [])]


def test_rebuild_indexes_every_kind_per_locale(indexed, db):
    assert indexed["module"] >= 28
    assert indexed["article"] == 7  # 3 articles in fr and ar, the circular's summary in fr
    assert indexed["case"] == 2 and indexed["term"] == 3
    docs = db.session.scalars(select(SearchDocument).where(SearchDocument.kind == "term")).all()
    assert {d.locale for d in docs} == {"fr", "ar", "en"}
    french = next(d for d in docs if d.locale == "fr")
    assert french.title == "situation de vulnérabilité" and "situations de vulnérabilité" in french.body
    module = db.session.scalars(select(SearchDocument).where(SearchDocument.kind == "module")).first()
    assert module.course_id is not None and "<" not in module.body  # plain text, no HTML


def test_rebuild_replaces_the_index(indexed, db):
    before = db.session.scalar(select(func.count()).select_from(SearchDocument))
    service.rebuild_index()
    assert db.session.scalar(select(func.count()).select_from(SearchDocument)) == before
    found = engine.query("448-1", "fr", [], 10)
    assert ("law-27-14/448-1", "fr") in refs(found, "article")


@pytest.mark.parametrize(
    ("typed", "kind", "ref"),
    [
        ("448-1", "article", "law-27-14/448-1"),
        ("448.1", "article", "law-27-14/448-1"),
        ("448 1", "article", "law-27-14/448-1"),
        ("1-448", "article", "law-27-14/448-1"),
        ("الفصل 1-448", "article", "law-27-14/448-1"),
        ("consentement de la victime", "article", "law-27-14/448-1"),
        ("رضا الضحية", "article", "law-27-14/448-1"),
        ("situation de vulnerabilite", "term", "position-of-vulnerability"),
        ("حالة إستضعاف", "term", "position-of-vulnerability"),
        ("وضعية هشاشة", "term", "position-of-vulnerability"),
        ("enfant victime", "case", "child-domestic-servitude"),
        ("travail forcé", "article", "palermo-protocol/3"),
        ("magistrat référent", "article", "circular-2017-traite"),
        ("vulnérab", "term", "position-of-vulnerability"),  # the last word is a prefix
    ],
)
def test_query_finds_library_items_whatever_the_form_typed(indexed, typed, kind, ref):
    found = engine.query(typed, "fr", [], 10)
    assert ref in [r for r, _locale in refs(found, kind)][:5]


def test_every_word_first_then_the_page_language(indexed):
    found = engine.query("448-1", "ar", [], 10)
    assert refs(found, "article")[0] == ("law-27-14/448-1", "ar")
    found = engine.query("448-1", "fr", [], 10)
    assert refs(found, "article")[0] == ("law-27-14/448-1", "fr")
    # both words beat one word
    found = engine.query("traite réclusion", "fr", [], 10)
    hits = found.hits["article"]
    assert hits[0].ref == "law-27-14/448-2" and hits[0].tier == 0 and hits[-1].tier == 1


def test_modules_only_of_the_allowed_courses(indexed, db):
    from lms.content.models import Course

    ids = dict(db.session.execute(select(Course.slug, Course.id)).all())
    found = engine.query("traite", "fr", [ids["victim-identification"]], 50)
    assert found.hits["module"] and all(h.ref.startswith("victim-identification/") for h in found.hits["module"])
    assert found.hits["article"]  # the library is for everyone
    found = engine.query("traite", "fr", [], 50)
    assert "module" not in found.hits


def test_counts_and_limit(indexed):
    found = engine.query("traite", "fr", [], 2)
    assert len(found.hits["module"] if "module" in found.hits else []) == 0
    assert len(found.hits["article"]) == 2 and found.counts["article"] >= 4


@pytest.mark.parametrize(
    "typed",
    ['"', '""', "*", "NEAR", 'NEAR(a b)', "a OR", "OR AND NOT", "^x", "col:x", "traite*", '"traite', "(", ")",
     "-traite", "traite & | !", "':*", "\\", "'", "x" * 2000, "\x00", "٪", "...", "—"],
)  # fmt: skip
def test_query_syntax_never_reaches_the_engine(indexed, typed):
    found = engine.query(typed, "fr", [], 10)  # no error
    assert isinstance(found.counts, dict)


def test_match_expressions_quote_every_word():
    assert SqliteEngine.expressions(["near", "traite"]) == ('"near" AND "traite"*', '"near" OR "traite"*')
    assert PostgresEngine.expressions(["a", "رضا"]) == ("'a' & 'رضا':*", "'a' | 'رضا':*")
    # a number is never a prefix: 448-1 must not bring 448-10 to 448-14 first
    assert SqliteEngine.expressions(["art", "448x1"]) == ('"art" AND "448x1"', '"art" OR "448x1"')
    assert PostgresEngine.expressions(["448x1"]) == ("'448x1'", "'448x1'")


def test_highlight_and_snippet_mark_original_words_escaped():
    text = "Le <b>consentement</b> de l’enfant victime — الضَّحِيَّة & 448.1"
    html = str(service.highlight(text, ["consentement", "enfant", "ضحيه", "448x1"]))
    assert "&lt;b&gt;<mark>consentement</mark>&lt;/b&gt;" in html
    assert "l’<mark>enfant</mark>" in html and "<mark>الضَّحِيَّة</mark>" in html and "<mark>448.1</mark>" in html
    assert "&amp;" in html and "<b>" not in html
    long = " ".join(["mot"] * 300) + " la victime ici " + " ".join(["fin"] * 300)
    cut = str(service.snippet(long, ["victim"]))
    assert cut.startswith("…") and cut.endswith("…") and "<mark>victime</mark>" in cut and len(cut) < 400
    assert str(service.snippet("rien", ["absent"])) == "rien"


def test_plain_text_uses_a_parser():
    html = "<h2>Titre</h2><p>Un &amp; deux&nbsp;<em>trois</em></p><script>alert(1)</script><ul><li>a</li></ul>"
    text = service.plain_text(html)
    assert "alert" not in text and "<" not in text and "Un & deux" in text and "Titre\n" in text
