"""Reading the library: what each page shows. No request, no writes."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from ..content import service as content
from ..content.models import (
    ArticleCitation,
    CaseNote,
    Course,
    GlossaryTerm,
    LibraryArticle,
    LibraryInstrument,
    Module,
    ModuleText,
    QuizVersion,
)
from ..extensions import db
from ..i18n import _l

KIND_ORDER = ("treaty", "law", "decree", "circular")
KIND_LABELS = {
    "treaty": _l("International treaties"),
    "law": _l("Laws"),
    "decree": _l("Decrees"),
    "circular": _l("Circulars"),
}
#: the case tags' families and values (the loader's vocabulary: lms/content/library.py ``TAGS``)
FAMILY_LABELS = {
    "acts": _l("Act"),
    "means": _l("Means"),
    "purposes": _l("Purpose"),
    "forms": _l("Form of exploitation"),
}
TAG_LABELS = {
    "recruitment": _l("Recruitment"),
    "transport": _l("Transport"),
    "transfer": _l("Transfer"),
    "harbouring": _l("Harbouring"),
    "receipt": _l("Receipt"),
    "threat": _l("Threat"),
    "force": _l("Force"),
    "coercion": _l("Coercion"),
    "abduction": _l("Abduction"),
    "fraud": _l("Fraud"),
    "deception": _l("Deception"),
    "abuse-of-power": _l("Abuse of power"),
    "abuse-of-vulnerability": _l("Abuse of a position of vulnerability"),
    "payments": _l("Payments or benefits"),
    "sexual-exploitation": _l("Sexual exploitation"),
    "forced-labour": _l("Forced labour"),
    "slavery": _l("Slavery"),
    "servitude": _l("Servitude"),
    "organ-removal": _l("Removal of organs"),
    "begging": _l("Forced begging"),
    "forced-criminality": _l("Forced criminality"),
    "other": _l("Other"),
    "domestic-servitude": _l("Domestic servitude"),
    "agricultural-labour": _l("Agricultural labour"),
    "child-marriage": _l("Child marriage"),
    "online-exploitation": _l("Online exploitation"),
}
VICTIM_LABELS = {"child": _l("Child victim"), "adult": _l("Adult victim")}


def text(values: dict | None, locale: str) -> str:
    values = values or {}
    return values.get(locale) or values.get("fr") or ""


def lang_of(values: dict | None, locale: str) -> str:
    """The language ``text(values, locale)`` is in."""
    return locale if (values or {}).get(locale) else "fr"


def article_label(article: LibraryArticle, locale: str) -> str:
    labels = (article.heading or {}).get("_number") or {}
    return labels.get(locale) or labels.get("fr") or article.number


def instruments() -> list[tuple[str, list[LibraryInstrument]]]:
    rows = db.session.scalars(
        select(LibraryInstrument)
        .where(LibraryInstrument.is_archived.is_(False))
        .order_by(LibraryInstrument.position, LibraryInstrument.slug)
    ).all()
    return [(kind, [i for i in rows if i.kind == kind]) for kind in KIND_ORDER if any(i.kind == kind for i in rows)]


def instrument(slug: str) -> LibraryInstrument | None:
    return db.session.scalar(
        select(LibraryInstrument).where(LibraryInstrument.slug == slug, LibraryInstrument.is_archived.is_(False))
    )


def articles_of(instrument: LibraryInstrument) -> list[LibraryArticle]:
    return list(
        db.session.scalars(
            select(LibraryArticle)
            .where(LibraryArticle.instrument_id == instrument.id, LibraryArticle.is_archived.is_(False))
            .order_by(LibraryArticle.position, LibraryArticle.slug)
        )
    )


@dataclass
class CitedModule:
    course: Course
    module: Module
    title: str
    in_text: bool = False
    #: (question id, prompt in the page's language)
    questions: list = field(default_factory=list)


def cited_in(user, article: LibraryArticle, locale: str) -> list[CitedModule]:
    """The modules citing ``article`` (text or quiz questions) that ``user`` may open, in course order."""
    rows = db.session.execute(
        select(ArticleCitation.question_id, Module, Course)
        .join(Module, ArticleCitation.module_id == Module.id)
        .join(Course, Module.course_id == Course.id)
        .where(
            ArticleCitation.article_id == article.id,
            Module.is_archived.is_(False),
            Course.is_archived.is_(False),
        )
        .order_by(Course.slug, Module.position, ArticleCitation.question_id)
    ).all()
    if not rows:
        return []
    courses = {course.id: course for _q, _m, course in rows}
    allowed = {c.id for c in content.open_courses(user, list(courses.values()))}
    module_ids = {module.id for _q, module, course in rows if course.id in allowed}
    if not module_ids:
        return []
    titles: dict[int, dict[str, str]] = {}
    for module_id, text_locale, title in db.session.execute(
        select(ModuleText.module_id, ModuleText.locale, ModuleText.title).where(ModuleText.module_id.in_(module_ids))
    ):
        titles.setdefault(module_id, {})[text_locale] = title
    prompts: dict[tuple[int, str], str] = {}
    if any(q for q, _m, _c in rows):
        for version in db.session.scalars(
            select(QuizVersion).where(QuizVersion.module_id.in_(module_ids), QuizVersion.is_current.is_(True))
        ):
            for question in version.definition.get("questions", []):
                prompts[(version.module_id, question["id"])] = text(question.get("prompt"), locale)
    result: dict[int, CitedModule] = {}
    for question_id, module, course in rows:
        if module.id not in module_ids:
            continue
        entry = result.get(module.id)
        if entry is None:
            entry = result[module.id] = CitedModule(course, module, text(titles.get(module.id), locale))
        if question_id is None:
            entry.in_text = True
        elif (module.id, question_id) in prompts:
            entry.questions.append((question_id, prompts[(module.id, question_id)]))
    return list(result.values())


def cases() -> list[CaseNote]:
    return list(
        db.session.scalars(
            select(CaseNote).where(CaseNote.is_archived.is_(False)).order_by(CaseNote.position, CaseNote.slug)
        )
    )


def case(slug: str) -> CaseNote | None:
    return db.session.scalar(select(CaseNote).where(CaseNote.slug == slug, CaseNote.is_archived.is_(False)))


def filter_cases(all_cases: list[CaseNote], chosen: dict[str, str]) -> list[CaseNote]:
    """The cases having every chosen tag: ``chosen`` maps a family (acts, means, purposes, forms), ``victim`` or
    ``article`` to one value ("" or absent: any)."""
    result = []
    for note in all_cases:
        tags = note.tags or {}
        keep = True
        for family, value in chosen.items():
            if not value:
                continue
            if family == "victim":
                keep = tags.get("victim") == value
            elif family == "article":
                keep = value in (tags.get("articles") or [])
            else:
                keep = value in (tags.get(family) or [])
            if not keep:
                break
        if keep:
            result.append(note)
    return result


def glossary() -> list[GlossaryTerm]:
    return list(db.session.scalars(select(GlossaryTerm).where(GlossaryTerm.is_archived.is_(False))))


def articles_by_ref(refs) -> dict[str, tuple[LibraryInstrument, LibraryArticle]]:
    """``{"instrument/article": (instrument, article)}`` for the references given (those that exist), one query."""
    refs = {r for r in refs if r and "/" in r}
    if not refs:
        return {}
    instrument_slugs = {r.partition("/")[0] for r in refs}
    found = {}
    for article, instrument in db.session.execute(
        select(LibraryArticle, LibraryInstrument)
        .join(LibraryInstrument, LibraryArticle.instrument_id == LibraryInstrument.id)
        .where(
            LibraryInstrument.slug.in_(instrument_slugs),
            LibraryArticle.is_archived.is_(False),
            LibraryInstrument.is_archived.is_(False),
        )
    ):
        ref = f"{instrument.slug}/{article.slug}"
        if ref in refs:
            found[ref] = (instrument, article)
    return found
