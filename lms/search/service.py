"""The search index's documents, its rebuild, and a person's search (results grouped by kind, snippets).

No ``request`` here: the routes pass the person and the page's language.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from html.parser import HTMLParser

from markupsafe import Markup, escape
from sqlalchemy import exists, select

from ..content.models import CaseNote, Course, GlossaryTerm, LibraryArticle, LibraryInstrument, Module, ModuleText
from ..content.service import open_courses
from ..extensions import db
from . import engine
from .models import SearchDocument
from .normalize import _HAS_APOSTROPHE, _SCANNER, Token, _fold, _fold_match, tokens

#: the groups of the results page, in order
GROUPS = ("module", "article", "case", "term")


# --- documents -------------------------------------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "br", "tr", "td", "th", "table",
    "blockquote", "section", "article", "dd", "dt", "dl", "figure", "figcaption", "details", "summary", "pre",
    "hr", "aside",
}  # fmt: skip
_SKIPPED = {"script", "style", "template", "svg"}


class _TextOf(HTMLParser):
    """The text of sanitised HTML: blocks separated by newlines, script/style left out, entities decoded."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def plain_text(html: str) -> str:
    """The readable text of an HTML fragment (a real parser, not a regular expression)."""
    parser = _TextOf()
    parser.feed(html or "")
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _doc(kind, ref, locale, title, body, position, course_id=None) -> dict:
    title = " ".join((title or "").split())[:300]
    body = body or ""
    return {
        "kind": kind,
        "ref": ref,
        "locale": locale,
        "title": title,
        "body": body,
        # the title counts twice: a word of the title says more about the document than one of its body
        "normalized": " ".join(t.norm for t in tokens(title + "\n" + title + "\n" + body)),
        "course_id": course_id,
        "position": position,
    }


def _article_word(instrument: LibraryInstrument, locale: str) -> str:
    if locale == "ar":
        return "المادة" if instrument.kind == "treaty" else "الفصل"
    return "Article"


def documents() -> list[dict]:
    """Every document to index: the live modules per locale, the library's articles (and circulars' summaries),
    case notes and glossary terms per locale."""
    docs: list[dict] = []
    rows = db.session.execute(
        select(Course.slug, Course.id, Module.slug, Module.position, ModuleText)
        .join(Module, Module.course_id == Course.id)
        .join(ModuleText, ModuleText.module_id == Module.id)
        .where(~Course.is_archived, ~Module.is_archived)
        .order_by(Course.slug, Module.position, ModuleText.locale)
    ).all()
    course_order = {slug: n for n, slug in enumerate(dict.fromkeys(r[0] for r in rows))}
    for course_slug, course_id, module_slug, position, text in rows:
        objectives = "\n".join(str(o) for o in (text.objectives or []))
        body = "\n".join(part for part in (objectives, plain_text(text.body_html)) if part)
        docs.append(
            _doc(
                "module",
                f"{course_slug}/{module_slug}",
                text.locale,
                text.title,
                body,
                course_order[course_slug] * 1000 + position,
                course_id,
            )  # fmt: skip
        )
    articles = db.session.execute(
        select(LibraryArticle, LibraryInstrument)
        .join(LibraryInstrument, LibraryArticle.instrument_id == LibraryInstrument.id)
        .where(~LibraryArticle.is_archived, ~LibraryInstrument.is_archived)
        .order_by(LibraryInstrument.position, LibraryArticle.position)
    ).all()
    for n, (article, instrument) in enumerate(articles):
        for locale, body in (article.text or {}).items():
            if not body:
                continue
            short = (instrument.short_title or {}).get(locale) or (instrument.short_title or {}).get("fr", "")
            label = f"{_article_word(instrument, locale)} {article.number}"
            heading = (article.heading or {}).get(locale) or ""
            title = f"{short} — {label}" + (f" — {heading}" if heading else "")
            docs.append(_doc("article", f"{instrument.slug}/{article.slug}", locale, title, body, n))
    instruments = db.session.scalars(
        select(LibraryInstrument).where(~LibraryInstrument.is_archived).order_by(LibraryInstrument.position)
    ).all()
    for instrument in instruments:
        for locale, html in (instrument.summary_html or {}).items():
            if html:
                title = (instrument.title or {}).get(locale) or ""
                docs.append(_doc("article", instrument.slug, locale, title, plain_text(html), -1))
    cases = db.session.scalars(select(CaseNote).where(~CaseNote.is_archived).order_by(CaseNote.position)).all()
    for case in cases:
        for locale, html in (case.body_html or {}).items():
            title = (case.title or {}).get(locale) or ""
            docs.append(_doc("case", case.slug, locale, title, plain_text(html), case.position))
    terms = db.session.scalars(select(GlossaryTerm).where(~GlossaryTerm.is_archived).order_by(GlossaryTerm.slug))
    for n, term in enumerate(terms.all()):
        for locale, name in (term.term or {}).items():
            if not name:
                continue
            variants = "\n".join((term.variants or {}).get(locale) or [])
            parts = (variants, (term.definition or {}).get(locale) or "", (term.usage or {}).get(locale) or "")
            docs.append(_doc("term", term.slug, locale, name, "\n".join(p for p in parts if p), n))
    return docs


def index_is_empty() -> bool:
    return not db.session.scalar(select(exists().where(SearchDocument.id.isnot(None))))


def rebuild_index(commit: bool = True) -> dict[str, int]:
    """Rebuild the whole index from the synced content in one transaction (committed here when ``commit``; the
    content sync's receiver leaves it to the sync's caller). Returns the number of documents per kind."""
    docs = documents()
    try:
        engine.rebuild(docs)
        if commit:
            db.session.commit()
    except Exception:
        if commit:
            db.session.rollback()
        raise
    return dict(Counter(d["kind"] for d in docs))


# --- searching -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    kind: str
    ref: str
    locale: str
    title: Markup
    snippet: Markup
    url: str
    #: False: holds only some of the words asked
    complete: bool


@dataclass
class Results:
    query: str
    terms: list[str]
    #: [(kind, count, [Result])] in GROUPS' order, kinds with results only
    groups: list[tuple[str, int, list[Result]]]
    #: the one kind asked for (all its results), or None (the first of each kind)
    kind: str | None = None

    @property
    def total(self) -> int:
        return sum(count for _kind, count, _results in self.groups)


def _matches(terms: list[str]):
    whole = set(terms)
    prefix = terms[-1] if engine.prefixed(terms) else None

    def match(norm: str) -> bool:
        return norm in whole or (prefix is not None and norm.startswith(prefix))

    return match


def _marked(text: str, found: list[Token], start: int, end: int) -> Markup:
    """``text[start:end]`` escaped, the ``found`` words inside it in ``<mark>``."""
    out, at = [], start
    for token in found:
        if token.start < start or token.end > end:
            continue
        out.append(escape(text[at : token.start]))
        out.append(Markup("<mark>%s</mark>") % text[token.start : token.end])
        at = token.end
    out.append(escape(text[at:end]))
    return Markup("").join(out)


def highlight(text: str, terms: list[str]) -> Markup:
    """The whole (short) ``text`` with the words matching ``terms`` marked."""
    match = _matches(terms)
    return _marked(text, [t for t in tokens(text) if match(t.norm)], 0, len(text))


SNIPPET_WORDS = 30


def snippet(text: str, terms: list[str], words: int = SNIPPET_WORDS) -> Markup:
    """About ``words`` words of ``text`` around the place where most of the query's words are, marked. Reads the
    text only as far as the window it shows (a long module is cut where its first good passage ends)."""
    match = _matches(terms)
    seen: list[Token] = []
    best = None
    for found_match in _SCANNER.finditer(text or ""):
        word = found_match.group()
        if found_match.lastgroup == "word" and not _HAS_APOSTROPHE.search(word):
            norm = _fold(word)  # the common case, without building a list (cached per word)
            found = [Token(norm, found_match.start(), found_match.end())] if norm else ()
        else:
            found = _fold_match(found_match)
        for token in found:
            seen.append(token)
            if best is None and match(token.norm):
                best = len(seen) - 1
        if len(seen) >= (best + words if best is not None else 4000):
            break
    if best is None:  # the words are in the title only (or in a part too far): the text's beginning
        if not seen:
            return escape(text[:200])
        end = seen[min(words, len(seen)) - 1].end
        return _marked(text, [], 0, end) + (Markup("…") if end < len(text) else Markup(""))
    first = max(0, best - words // 4)
    window = seen[first : first + words]
    marked = [t for t in window if match(t.norm)]
    start = 0 if first == 0 else window[0].start
    end = window[-1].end
    prefix = Markup("…") if start > 0 else Markup("")
    suffix = Markup("…") if end < len(text) else Markup("")
    return prefix + _marked(text, marked, start, end) + suffix


def url_for_hit(kind: str, ref: str) -> str:
    """The page of a result. The library's pages are ``lms/library``'s (``/library/...``)."""
    from flask import url_for

    if kind == "module":
        course_slug, module_slug = ref.split("/", 1)
        return url_for("content.module", course_slug=course_slug, module_slug=module_slug)
    root = url_for("core.home").rstrip("/")
    if kind == "article":
        return f"{root}/library/{ref}"
    if kind == "case":
        return f"{root}/library/cases/{ref}"
    return f"{root}/library/glossary#{ref}"


#: the longest query read (longer text is cut, never refused)
MAX_QUERY = 200


#: results shown per kind (the page links to all of one kind: ``ALL_OF_KIND``)
PER_KIND = 5
ALL_OF_KIND = 50


def search(user, raw: str, locale: str, kind: str | None = None) -> Results:
    """What ``user`` finds for ``raw``: the modules of courses they may open, the whole library; grouped by kind
    (``PER_KIND`` of each; with ``kind``, up to ``ALL_OF_KIND`` of that kind alone), the page's language first. A
    fixed number of queries: the courses, the ``course_access`` receivers', one search (none when the text holds
    no word). Snippets are cut only for the results shown."""
    if kind not in GROUPS:
        kind = None
    per_kind = ALL_OF_KIND if kind else PER_KIND
    raw = (raw or "")[:MAX_QUERY]
    terms = engine._terms(raw)
    if not terms:
        return Results(raw, [], [], kind)
    courses = db.session.scalars(select(Course).where(~Course.is_archived)).all()
    allowed = [c.id for c in open_courses(user, courses)] if courses else []
    found = engine.query(raw, locale, allowed, per_kind)
    groups = []
    for group in GROUPS:
        hits = found.hits.get(group)
        if not hits or (kind and group != kind):
            continue
        results = [
            Result(
                kind=hit.kind,
                ref=hit.ref,
                locale=hit.locale,
                title=highlight(hit.title, found.terms),
                snippet=snippet(hit.body, found.terms),
                url=url_for_hit(hit.kind, hit.ref),
                complete=hit.tier == 0,
            )
            for hit in hits
        ]
        groups.append((group, found.counts[group], results))
    return Results(raw, found.terms, groups, kind)
