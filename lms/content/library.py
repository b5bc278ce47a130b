"""Reading and validating ``courses/_library/`` (issue #21). Pure: touches no database, needs no app.

::

    courses/_library/instruments/<slug>/instrument.yaml     kind, position, title, short_title, source, dated, summary
    courses/_library/instruments/<slug>/<article>.yaml      number, position, heading, text, pending
    courses/_library/cases/<slug>.yaml                      fictional: true, title, body, tags, from_module
    courses/_library/glossary/<slug>.yaml                   term, variants, definition, source, usage

Every problem is reported as path:line like the rest of ``courses check``. Modules, quizzes, case bodies and
circular summaries cite an article as ``[[<instrument>/<article>]]`` or ``[[<instrument>/<article>|text]]``
(``REFERENCE_RE``); an unknown one is a problem where it is written.

What is stored: ``LibraryArticle.number`` is the French label's bare number ("448-1" from "Article 448-1");
``LibraryArticle.heading`` maps each locale to the article's heading (may be absent) and ``"_number"`` to the
labels per locale as written ({"fr": "Article 448-1", "ar": "الفصل 1-448"}): ``article_label`` reads them.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from .yamllines import LineDict, LineList

LIBRARY_DIR = "_library"
LOCALES = ("fr", "ar", "en")
REQUIRED = ("fr", "ar")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: /library/cases and /library/glossary are pages of their own
RESERVED_INSTRUMENT_SLUGS = ("cases", "glossary")
KINDS = ("treaty", "law", "decree", "circular")
DATED_RE = re.compile(r"^\d{4}(?:-\d{2}(?:-\d{2})?)?$")
#: ``[[law-27-14/448-1]]`` or ``[[law-27-14/448-1|custom text]]``
REFERENCE_RE = re.compile(r"\[\[([a-z0-9-]+)/([a-z0-9-]+)(?:\|([^\]\n|]+))?\]\]")

#: the case tags (SHERLOC's facets): the values a case may use in each family
TAGS = {
    # the acts of the Palermo Protocol, art. 3(a)
    "acts": ("recruitment", "transport", "transfer", "harbouring", "receipt"),
    "means": (
        "threat",
        "force",
        "coercion",
        "abduction",
        "fraud",
        "deception",
        "abuse-of-power",
        "abuse-of-vulnerability",
        "payments",
    ),
    "purposes": (
        "sexual-exploitation",
        "forced-labour",
        "slavery",
        "servitude",
        "organ-removal",
        "begging",
        "forced-criminality",
        "other",
    ),
    "forms": (
        "domestic-servitude",
        "agricultural-labour",
        "sexual-exploitation",
        "begging",
        "child-marriage",
        "organ-removal",
        "forced-criminality",
        "forced-labour",
        "online-exploitation",
    ),
}
VICTIMS = ("child", "adult")

INSTRUMENT_KEYS = ("kind", "position", "title", "short_title", "source", "dated", "summary")
ARTICLE_KEYS = ("number", "position", "heading", "text", "pending")
CASE_KEYS = ("fictional", "position", "title", "body", "tags", "from_module")
TERM_KEYS = ("term", "variants", "definition", "source", "usage")


@dataclass
class ArticleSource:
    slug: str
    number: str
    labels: dict
    position: int
    heading: dict
    text: dict
    pending: list
    source_hash: str = ""


@dataclass
class InstrumentSource:
    slug: str
    kind: str
    position: int
    title: dict
    short_title: dict
    source: dict
    dated: str | None
    summary: dict
    articles: list[ArticleSource] = field(default_factory=list)
    source_hash: str = ""
    #: where the summary starts (references in it are reported there)
    path: Path | None = None


@dataclass
class CaseSource:
    slug: str
    position: int
    title: dict
    body: dict
    tags: dict
    from_module: str | None
    source_hash: str = ""
    path: Path | None = None


@dataclass
class TermSource:
    slug: str
    term: dict
    variants: dict
    definition: dict
    source_ref: str | None
    usage: dict
    source_hash: str = ""


@dataclass
class LibrarySource:
    instruments: list[InstrumentSource] = field(default_factory=list)
    cases: list[CaseSource] = field(default_factory=list)
    terms: list[TermSource] = field(default_factory=list)
    #: ``{"instrument/article": LibraryArticle id}``, filled by the sync once the articles are stored
    article_ids: dict = field(default_factory=dict)
    #: every instrument folder and article file found, valid or not: a reference to an article whose file has a
    #: problem is not reported a second time as unknown
    declared: set = field(default_factory=set)

    def article(self, ref: str) -> tuple[InstrumentSource, ArticleSource] | None:
        instrument_slug, _, article_slug = ref.partition("/")
        for instrument in self.instruments:
            if instrument.slug == instrument_slug:
                for article in instrument.articles:
                    if article.slug == article_slug:
                        return instrument, article
        return None

    def refs(self) -> set[str]:
        return {f"{i.slug}/{a.slug}" for i in self.instruments for a in i.articles} | self.declared

    def render_hash(self, refs: set[str]) -> str:
        """What a module's rendering depends on in the library: the articles it cites (label, preview) and the
        whole glossary (any term may be marked). Part of the module's source hash."""
        parts = []
        for ref in sorted(refs):
            found = self.article(ref)
            if found:
                instrument, article = found
                parts.append([ref, instrument.short_title, article.labels, article.text])
        parts.append([[t.slug, t.term, t.variants, t.definition] for t in self.terms])
        return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False))


def _sha(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _line(container, key=None) -> int:
    if isinstance(container, LineDict):
        return container.line_of(key) if key is not None else container.line
    if isinstance(container, LineList):
        return container.line
    return 1


def _unknown(report, path, data, allowed) -> None:
    for key in data:
        if key not in allowed:
            report.add(path, _line(data, key), f"unknown key '{key}' (use {', '.join(allowed)})")


def _texts(report, path, data, key, required=REQUIRED, optional=True) -> dict:
    """A per-locale mapping; ``required`` lists the locales that must be there. Messages name the key and the
    missing language."""
    value = data.get(key)
    line = _line(data, key)
    if value is None:
        if not optional:
            report.add(path, line, f"'{key}' is required (with {', '.join(required)})")
        return {}
    if not isinstance(value, dict):
        report.add(path, line, f"'{key}' must map languages to texts, e.g. {{fr: ..., ar: ...}}")
        return {}
    result = {}
    for locale, text in value.items():
        if locale not in LOCALES:
            report.add(path, _line(value, locale), f"'{key}': unknown language '{locale}' (use fr, ar, en)")
        elif not isinstance(text, (str, int, float)) or isinstance(text, bool) or not str(text).strip():
            report.add(path, _line(value, locale), f"'{key}.{locale}' must be a non-empty text")
        else:
            result[locale] = str(text).strip()
    for locale in required:
        if locale not in value:
            report.add(path, line, f"'{key}' is missing the '{locale}' text")
    return result


def _position(report, path, data, seen: dict, what: str) -> int:
    value = data.get("position")
    if value is None:
        report.add(path, _line(data), "'position' is required (a whole number: the order on the page)")
        return 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        report.add(path, _line(data, "position"), "'position' must be a whole number")
        return 0
    if value in seen:
        report.add(path, _line(data, "position"), f"duplicate {what} position {value} (also {seen[value]})")
    else:
        seen[value] = path.name if path.name not in ("instrument.yaml",) else path.parent.name
    return value


def _hash(*parts) -> str:
    return _sha(json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str))


def _bare_number(label: str) -> str:
    match = re.search(r"\d.*$", label)
    return (match.group(0) if match else label).strip()[:40]


def _read(report, path: Path):
    from .loader import _read_yaml

    data, _raw = _read_yaml(report, path)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(path, 1, "the file must be a mapping")
        return None
    return data


def _yaml_files(report, folder: Path, what: str):
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix != ".yaml" or not path.is_file():
            report.add(path, 1, f"unexpected '{path.name}' in {folder.name}/ ({what} are <slug>.yaml)")
            continue
        if not SLUG_RE.match(path.stem) or len(path.stem) > 80:
            report.add(path, 1, f"'{path.name}': the name must be a slug (a-z, 0-9, -) followed by .yaml")
            continue
        yield path


def _load_article(report, path: Path, seen_positions: dict) -> ArticleSource | None:
    data = _read(report, path)
    if data is None:
        return None
    start = len(report.problems)
    _unknown(report, path, data, ARTICLE_KEYS)
    labels = _texts(report, path, data, "number", optional=False)
    position = _position(report, path, data, seen_positions, "article")
    heading = _texts(report, path, data, "heading", required=())
    text = _texts(report, path, data, "text", optional=False)
    pending = data.get("pending", [])
    if not isinstance(pending, list) or any(p not in LOCALES for p in pending):
        report.add(path, _line(data, "pending"), "'pending' must list languages (fr, ar, en) whose text is provisional")
        pending = []
    for locale in pending:
        if locale not in text:
            report.add(path, _line(data, "pending"), f"'pending' names '{locale}' but the article has no {locale} text")
    if len(report.problems) > start:
        return None
    stored_heading = dict(heading)
    stored_heading["_number"] = labels
    article = ArticleSource(
        slug=path.stem,
        number=_bare_number(labels.get("fr", "")),
        labels=labels,
        position=position,
        heading=stored_heading,
        text=text,
        pending=sorted(set(pending)),
    )
    article.source_hash = _hash(article.number, labels, position, stored_heading, text, article.pending)
    return article


def _load_instrument(report, folder: Path, seen_positions: dict) -> InstrumentSource | None:
    path = folder / "instrument.yaml"
    if not path.exists():
        report.add(path, 1, "instrument.yaml is missing")
        return None
    data = _read(report, path)
    if data is None:
        return None
    start = len(report.problems)
    _unknown(report, path, data, INSTRUMENT_KEYS)
    kind = data.get("kind")
    if kind not in KINDS:
        report.add(path, _line(data, "kind"), f"'kind' must be {' | '.join(KINDS)}")
    position = _position(report, path, data, seen_positions, "instrument")
    title = _texts(report, path, data, "title", optional=False)
    short_title = _texts(report, path, data, "short_title", optional=False)
    source = _texts(report, path, data, "source", optional=False)
    summary = _texts(report, path, data, "summary", optional=kind != "circular")
    dated = data.get("dated")
    if isinstance(dated, (datetime.date, datetime.datetime)):
        dated = dated.isoformat()[:10]
    if dated is not None and (not isinstance(dated, (str, int)) or not DATED_RE.match(str(dated))):
        report.add(path, _line(data, "dated"), "'dated' must be a date: YYYY-MM-DD, YYYY-MM or YYYY")
        dated = None
    articles, article_positions = [], {}
    for article_path in _yaml_files(report, folder, "articles"):
        if article_path.name == "instrument.yaml":
            continue
        article = _load_article(report, article_path, article_positions)
        if article is not None:
            articles.append(article)
    if len(report.problems) > start:
        return None
    articles.sort(key=lambda a: a.position)
    instrument = InstrumentSource(
        slug=folder.name,
        kind=kind,
        position=position,
        title=title,
        short_title=short_title,
        source=source,
        dated=str(dated) if dated is not None else None,
        summary=summary,
        articles=articles,
        path=path,
    )
    instrument.source_hash = _hash(kind, position, title, short_title, source, instrument.dated, summary)
    return instrument


def _load_case(report, path: Path, position: int) -> CaseSource | None:
    data = _read(report, path)
    if data is None:
        return None
    start = len(report.problems)
    _unknown(report, path, data, CASE_KEYS)
    if data.get("fictional") is not True:
        report.add(
            path, _line(data, "fictional"), "'fictional: true' is required: every case of the library is fictional"
        )
    if "position" in data:
        position = _position(report, path, data, {}, "case")
    title = _texts(report, path, data, "title", optional=False)
    body = _texts(report, path, data, "body", optional=False)
    raw_tags = data.get("tags")
    tags: dict = {}
    if not isinstance(raw_tags, dict):
        report.add(path, _line(data, "tags"), "'tags' is required: acts, means, purposes, forms, victim, articles")
        raw_tags = LineDict()
    for key in raw_tags:
        if key not in (*TAGS, "victim", "articles"):
            report.add(
                path, _line(raw_tags, key), f"'tags': unknown family '{key}' (use {', '.join(TAGS)}, victim, articles)"
            )
    for family, allowed in TAGS.items():
        values = raw_tags.get(family, [])
        if not isinstance(values, list):
            report.add(path, _line(raw_tags, family), f"'tags.{family}' must be a list")
            values = []
        for index, value in enumerate(values):
            if value not in allowed:
                line = values.item_lines[index] if isinstance(values, LineList) else _line(raw_tags, family)
                report.add(path, line, f"'tags.{family}': unknown value '{value}' (use {', '.join(allowed)})")
        tags[family] = [v for v in values if v in allowed]
    victim = raw_tags.get("victim")
    if victim not in VICTIMS:
        report.add(path, _line(raw_tags, "victim"), "'tags.victim' must be child | adult")
    tags["victim"] = victim
    articles = raw_tags.get("articles", [])
    if not isinstance(articles, list) or not all(isinstance(a, str) for a in articles):
        report.add(path, _line(raw_tags, "articles"), "'tags.articles' must list references: <instrument>/<article>")
        articles = LineList()
    tags["articles"] = list(articles)
    from_module = data.get("from_module")
    if from_module is not None and (
        not isinstance(from_module, str) or not re.match(r"^[a-z0-9-]+/[0-9a-z-]+$", from_module)
    ):
        report.add(path, _line(data, "from_module"), "'from_module' is <course>/<module folder>")
        from_module = None
    if len(report.problems) > start:
        return None
    case = CaseSource(path.stem, position, title, body, tags, from_module, path=path)
    case.source_hash = _hash(position, title, body, tags, from_module)
    # remembered for the reference check (lines of tags.articles)
    case._article_lines = [  # type: ignore[attr-defined]
        articles.item_lines[i] if isinstance(articles, LineList) else _line(raw_tags, "articles")
        for i in range(len(articles))
    ]
    return case


def _load_term(report, path: Path) -> TermSource | None:
    data = _read(report, path)
    if data is None:
        return None
    start = len(report.problems)
    _unknown(report, path, data, TERM_KEYS)
    # a glossary term is given in all three languages
    term = _texts(report, path, data, "term", required=LOCALES, optional=False)
    definition = _texts(report, path, data, "definition", required=LOCALES, optional=False)
    usage = _texts(report, path, data, "usage", required=())
    raw_variants = data.get("variants", {})
    variants: dict = {}
    if not isinstance(raw_variants, dict):
        report.add(path, _line(data, "variants"), "'variants' must map languages to lists of other forms")
        raw_variants = {}
    for locale, values in raw_variants.items():
        if locale not in LOCALES:
            report.add(path, _line(raw_variants, locale), f"'variants': unknown language '{locale}' (use fr, ar, en)")
        elif not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            report.add(path, _line(raw_variants, locale), f"'variants.{locale}' must list non-empty texts")
        else:
            variants[locale] = [v.strip() for v in values]
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or not REFERENCE_FORM.match(source)):
        report.add(path, _line(data, "source"), "'source' must be an article reference: <instrument>/<article>")
        source = None
    if len(report.problems) > start:
        return None
    result = TermSource(path.stem, term, variants, definition, source, usage)
    result.source_hash = _hash(term, variants, definition, source, usage)
    result._source_line = _line(data, "source")  # type: ignore[attr-defined]
    result._path = path  # type: ignore[attr-defined]
    return result


REFERENCE_FORM = re.compile(r"^[a-z0-9-]+/[a-z0-9-]+$")


def load_library(report, root: Path) -> LibrarySource:
    """Everything under ``root/_library`` (an absent folder is an empty library); problems go to ``report``."""
    library = LibrarySource()
    base = root / LIBRARY_DIR
    if not base.is_dir():
        return library
    for path in sorted(base.iterdir()):
        if path.name.startswith(".") or path.name in ("instruments", "cases", "glossary", "README.md"):
            continue
        report.add(path, 1, f"unexpected '{path.name}' in {LIBRARY_DIR}/ (instruments/, cases/, glossary/)")
    instruments_dir = base / "instruments"
    if instruments_dir.is_dir():
        positions: dict = {}
        for folder in sorted(instruments_dir.iterdir()):
            if folder.name.startswith("."):
                continue
            if not folder.is_dir():
                report.add(folder, 1, f"unexpected file '{folder.name}' (an instrument is a folder <slug>/)")
                continue
            if not SLUG_RE.match(folder.name) or len(folder.name) > 80:
                report.add(folder, 1, f"instrument folder '{folder.name}' must be a slug (a-z, 0-9, -)")
                continue
            if folder.name in RESERVED_INSTRUMENT_SLUGS:
                report.add(folder, 1, f"instrument folder '{folder.name}' is a reserved name (a page of its own)")
                continue
            library.declared.add(folder.name)
            library.declared |= {
                f"{folder.name}/{p.stem}" for p in folder.glob("*.yaml") if p.name != "instrument.yaml"
            }
            instrument = _load_instrument(report, folder, positions)
            if instrument is not None:
                library.instruments.append(instrument)
        library.instruments.sort(key=lambda i: (i.position, i.slug))
    cases_dir = base / "cases"
    if cases_dir.is_dir():
        for index, path in enumerate(_yaml_files(report, cases_dir, "cases")):
            case = _load_case(report, path, index)
            if case is not None:
                library.cases.append(case)
    glossary_dir = base / "glossary"
    if glossary_dir.is_dir():
        for path in _yaml_files(report, glossary_dir, "terms"):
            term = _load_term(report, path)
            if term is not None:
                library.terms.append(term)
    _check_library_references(report, library)
    return library


def _unknown_ref_message(library: LibrarySource, ref: str) -> str:
    instrument_slug = ref.partition("/")[0]
    if instrument_slug not in library.declared:
        return f"unknown library reference '{ref}': no instrument '{instrument_slug}' in {LIBRARY_DIR}/instruments/"
    return f"unknown library reference '{ref}': '{instrument_slug}' has no article '{ref.partition('/')[2]}'"


def _check_library_references(report, library: LibrarySource) -> None:
    known = library.refs()
    for case in library.cases:
        for ref, line in zip(case.tags["articles"], case._article_lines, strict=False):  # type: ignore[attr-defined]
            if ref not in known:
                report.add(case.path, line, _unknown_ref_message(library, ref))
        check_text_references(report, case.path, None, "\n".join(case.body.values()), library, whole_file=True)
    for term in library.terms:
        if term.source_ref and term.source_ref not in known:
            report.add(term._path, term._source_line, _unknown_ref_message(library, term.source_ref))  # type: ignore[attr-defined]
    for instrument in library.instruments:
        check_text_references(
            report, instrument.path, None, "\n".join(instrument.summary.values()), library, whole_file=True
        )


def references_in(text: str) -> list[str]:
    """The article references (``instrument/article``) ``text`` cites, in order."""
    return [f"{m.group(1)}/{m.group(2)}" for m in REFERENCE_RE.finditer(text)]


def check_text_references(report, path: Path, first_line: int | None, text: str, library, whole_file=False) -> None:
    """Report every unknown reference of ``text``. ``first_line`` is the line of the file where ``text`` starts;
    with ``whole_file`` the lines are searched in the file itself (YAML block texts)."""
    known = library.refs()
    unknown = [ref for ref in references_in(text) if ref not in known]
    if not unknown:
        return
    if whole_file:
        lines = path.read_text(encoding="utf-8").split("\n")
        for ref in dict.fromkeys(unknown):
            needle = f"[[{ref}"
            line = next((n for n, content in enumerate(lines, 1) if needle in content), 1)
            report.add(path, line, _unknown_ref_message(library, ref))
        return
    for offset, content in enumerate(text.split("\n")):
        for ref in references_in(content):
            if ref not in known:
                report.add(path, (first_line or 1) + offset, _unknown_ref_message(library, ref))


def article_label(instrument_short_title: dict, labels: dict, locale: str) -> str:
    """ "Article 448-1, Loi n° 27-14" / "الفصل 1-448 من القانون رقم 27.14": how a reference reads in ``locale``."""
    number = labels.get(locale) or labels.get("fr", "")
    short = instrument_short_title.get(locale) or instrument_short_title.get("fr", "")
    if locale == "ar":
        return f"{number} من {short}"
    return f"{number}, {short}"


def preview(text: str, limit: int = 220) -> str:
    """The first sentence(s) of an article's text, at most about ``limit`` characters."""
    first = " ".join(re.split(r"\n\s*\n", text.strip())[0].split())
    if len(first) <= limit:
        return first
    cut = first[:limit]
    end = max(cut.rfind(". "), cut.rfind("؛ "), cut.rfind(". "), cut.rfind("، "))
    if end > limit // 3:
        return cut[: end + 1]
    return cut.rsplit(" ", 1)[0] + " …"
