"""Loading ``courses/`` into the database: one transaction, idempotent, versioned, never deleting."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from ..core.markdown import render_markdown, sanitize_html
from ..core.timeutil import utcnow
from ..extensions import db
from .libmarkup import decorate, glossary_forms, resolve, tokenize_references
from .library import LibrarySource
from .loader import MODULE_LINK_RE, CourseSource, ModuleSource, Problem, SurveySource, load_tree
from .models import (
    ArticleCitation,
    CaseNote,
    Course,
    GlossaryTerm,
    LibraryArticle,
    LibraryInstrument,
    Module,
    ModuleText,
    QuizVersion,
    Survey,
    SurveyVersion,
    SyncRun,
)
from .signals import content_synced


class SyncRefused(Exception):
    """The tree has problems: nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


@dataclass
class SyncResult:
    counts: Counter = field(default_factory=Counter)

    @property
    def changed(self) -> bool:
        return any(self.counts.values())

    def summary(self) -> dict:
        return dict(sorted(self.counts.items()))


def _word_count(text: str) -> int:
    return len(re.findall(r"\w+", text))


def _module_href(course_slug: str, folder_to_slug: dict[str, str]):
    def rewrite(href: str) -> str:
        match = MODULE_LINK_RE.match(href)
        if not match:
            return href
        folder, anchor = match.groups()
        slug = folder_to_slug.get(folder)
        if slug is None:
            return href
        # A path, built without a request (sync runs from the CLI).
        url = current_app.url_map.bind("localhost").build(
            "content.module", {"course_slug": course_slug, "module_slug": slug}
        )
        return url + (f"#{anchor}" if anchor else "")

    return rewrite


def _library_url(endpoint: str, **values) -> str:
    """A path of the library's pages, built without a request (sync runs from the CLI); the library package is
    above content, so its endpoints are named, never imported."""
    adapter = current_app.url_map.bind("localhost")
    if endpoint in current_app.view_functions:
        return adapter.build(endpoint, values)
    return "/library/" + "/".join(str(v) for v in values.values()) if values else "/library/glossary"


def render_with_library(markdown_text: str, locale: str, library: LibrarySource, rewrite=None, mark=True):
    """``(body, toc)`` of ``markdown_text``: rendered, references made links with their preview, glossary terms
    marked (when ``mark``), sanitised again."""
    tokenized, found = tokenize_references(markdown_text)
    body, toc = render_markdown(tokenized, rewrite_href=rewrite)
    if not found and not (mark and library.terms):
        return str(body), str(toc)
    references = resolve(
        found,
        library,
        locale,
        lambda instrument, article: _library_url("library.article", instrument_slug=instrument, article_slug=article),
    )
    terms = glossary_forms(library.terms, locale) if mark else []
    glossary = _library_url("library.glossary")
    body = sanitize_html(decorate(str(body), references, terms, glossary, locale, mark=mark))
    toc = sanitize_html(decorate(str(toc), references, mark=False, locale=locale)) if found else str(toc)
    return body, toc


def _store_texts(module: Module, source: ModuleSource, rewrite, library: LibrarySource | None = None) -> None:
    library = library or LibrarySource()
    db.session.execute(ModuleText.__table__.delete().where(ModuleText.module_id == module.id))
    for locale, text in sorted(source.texts.items()):
        body, toc = render_with_library(text.body, locale, library, rewrite)
        db.session.add(
            ModuleText(
                module_id=module.id,
                locale=locale,
                title=text.title,
                objectives=text.objectives,
                body_html=str(body),
                toc_html=str(toc),
                words=_word_count(text.body),
            )
        )


def _sync_course(source: CourseSource, existing: Course | None, result: SyncResult) -> Course:
    now = utcnow()
    fields = {
        "title": source.title,
        "summary": source.summary,
        "audience": source.audience,
        "hours": source.hours,
        "completion": source.completion,
    }
    if existing is None:
        course = Course(slug=source.slug, source_hash=source.source_hash, version=1, **fields)
        db.session.add(course)
        db.session.flush()
        result.counts["courses created"] += 1
        return course
    if existing.source_hash != source.source_hash or existing.is_archived:
        for key, value in fields.items():
            setattr(existing, key, value)
        existing.version += 1
        existing.source_hash = source.source_hash
        existing.is_archived = False
        existing.updated_at = now
        result.counts["courses updated"] += 1
    return existing


def _sync_modules(course: Course, source: CourseSource, result: SyncResult, library: LibrarySource) -> None:
    existing = {m.slug: m for m in db.session.scalars(select(Module).where(Module.course_id == course.id))}
    folder_to_slug = {m.folder: m.slug for m in source.modules}
    rewrite = _module_href(course.slug, folder_to_slug)
    for module_source in source.modules:
        module = existing.pop(module_source.slug, None)
        fr = module_source.texts["fr"]
        if module is None:
            module = Module(
                course_id=course.id,
                slug=module_source.slug,
                position=module_source.position,
                minutes=fr.minutes,
                locales=sorted(module_source.texts),
                version=1,
                source_hash=module_source.source_hash,
            )
            db.session.add(module)
            db.session.flush()
            _store_texts(module, module_source, rewrite, library)
            result.counts["modules created"] += 1
        else:
            if module.source_hash != module_source.source_hash:
                module.version += 1
                module.source_hash = module_source.source_hash
                module.minutes = fr.minutes
                module.locales = sorted(module_source.texts)
                module.updated_at = utcnow()
                _store_texts(module, module_source, rewrite, library)
                result.counts["modules updated"] += 1
            if module.position != module_source.position or module.is_archived:
                module.position = module_source.position
                if module.is_archived:
                    result.counts["modules restored"] += 1
                module.is_archived = False
                if module.source_hash == module_source.source_hash:
                    result.counts["modules reordered"] += 1
        _sync_quiz(module, module_source, result)
        _sync_citations(module, module_source, library, result)
    for module in existing.values():
        if not module.is_archived:
            module.is_archived = True
            result.counts["modules archived"] += 1
        current = db.session.scalar(
            select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current.is_(True))
        )
        if current is not None:
            current.is_current = False


def _sync_version(model, owner: str, owner_id: int, source_hash: str, definition: dict, noun: str, result) -> None:
    """A versioned definition (a quiz, a survey): a new row only when the source changed, the current one moved;
    a definition that returns to an earlier text makes that version current again rather than a duplicate."""
    column = getattr(model, owner)
    versions = db.session.scalars(select(model).where(column == owner_id).order_by(model.version)).all()
    current = next((v for v in versions if v.is_current), None)
    if current is not None and current.source_hash == source_hash:
        return
    if current is not None:
        current.is_current = False
    previous = next((v for v in versions if v.source_hash == source_hash), None)
    if previous is not None:
        previous.is_current = True
        result.counts[f"{noun} updated"] += 1
        return
    db.session.add(
        model(
            **{owner: owner_id},
            version=(versions[-1].version + 1) if versions else 1,
            source_hash=source_hash,
            definition=definition,
            is_current=True,
        )
    )
    result.counts[f"{noun} created" if not versions else f"{noun} updated"] += 1


def _sync_quiz(module: Module, source: ModuleSource, result: SyncResult) -> None:
    if source.quiz is None:
        current = db.session.scalar(
            select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current.is_(True))
        )
        if current is not None:
            current.is_current = False
            result.counts["quizzes withdrawn"] += 1
        return
    _sync_version(QuizVersion, "module_id", module.id, source.quiz_hash, source.quiz, "quizzes", result)


def _sync_surveys(course: Course, source: CourseSource, result: SyncResult) -> None:
    """The course's surveys (``surveys/<slug>.yaml``), versioned like quizzes. A survey removed from the folder is
    archived with its versions and responses, never deleted; its last version stays current, so that a round
    already open can still be answered (no new round opens for an archived survey)."""
    existing = {s.slug: s for s in db.session.scalars(select(Survey).where(Survey.course_id == course.id))}
    for survey_source in source.surveys:
        survey = existing.pop(survey_source.slug, None)
        if survey is None:
            survey = Survey(course_id=course.id, slug=survey_source.slug, role=survey_source.role)
            db.session.add(survey)
            db.session.flush()
        else:
            if survey.is_archived:
                survey.is_archived = False
                result.counts["surveys restored"] += 1
            if survey.role != survey_source.role:
                survey.role = survey_source.role  # the definition, which holds the role too, changes with it
        _sync_survey_version(survey, survey_source, result)
    _archive_surveys(existing.values(), result)


def _archive_surveys(surveys, result: SyncResult) -> None:
    for survey in surveys:
        if not survey.is_archived:
            survey.is_archived = True
            result.counts["surveys archived"] += 1


def _sync_survey_version(survey: Survey, source: SurveySource, result: SyncResult) -> None:
    _sync_version(SurveyVersion, "survey_id", survey.id, source.source_hash, source.definition, "surveys", result)


def sync_courses(path: str) -> SyncResult:
    """Validate then load every course under ``path``.

    Raises SyncRefused (nothing written) when the tree has any problem. Adds to the session without
    committing: the caller commits once, so a failure anywhere writes nothing. A second sync of the same
    tree changes nothing and returns a result whose ``changed`` is False.
    """
    tree = load_tree(path)
    if tree.problems:
        raise SyncRefused(tree.problems)
    sources = tree.courses
    result = SyncResult()
    _sync_library(tree.library, result)
    existing = {c.slug: c for c in db.session.scalars(select(Course))}
    for source in sources:
        course = _sync_course(source, existing.pop(source.slug, None), result)
        _sync_modules(course, source, result, tree.library)
        _sync_surveys(course, source, result)
    for course in existing.values():
        if not course.is_archived:
            course.is_archived = True
            result.counts["courses archived"] += 1
        # a course gone from courses/ asks no more surveys
        _archive_surveys(db.session.scalars(select(Survey).where(Survey.course_id == course.id)), result)
    if result.changed:
        db.session.add(SyncRun(summary=result.summary(), source_path=str(path)[:500]))
    # The receivers (the search index) read what this sync wrote, in its transaction: the caller commits both or
    # neither.
    db.session.flush()
    content_synced.send(result, changed=result.changed)
    return result


# --- the library (courses/_library/) ---------------------------------------------------------------


def _update(row, values: dict, source_hash: str, result: SyncResult, what: str, stamp: bool = False) -> None:
    """Update ``row`` in place when its source changed; restore it when it was archived."""
    if row.is_archived:
        row.is_archived = False
        result.counts[f"{what} restored"] += 1
    if row.source_hash == source_hash:
        return
    for key, value in values.items():
        setattr(row, key, value)
    row.source_hash = source_hash
    if stamp:
        row.updated_at = utcnow()
    result.counts[f"{what} updated"] += 1


def _archive(rows, result: SyncResult, what: str) -> None:
    for row in rows:
        if not row.is_archived:
            row.is_archived = True
            result.counts[f"{what} archived"] += 1


def _sync_library(library: LibrarySource, result: SyncResult) -> None:
    """Instruments, articles, cases and glossary terms: updated in place by source hash (reference texts, no
    versions), archived when gone from ``courses/_library/``, never deleted."""
    instruments = {i.slug: i for i in db.session.scalars(select(LibraryInstrument))}
    articles: dict[int, dict[str, LibraryArticle]] = {}
    for article in db.session.scalars(select(LibraryArticle)):
        articles.setdefault(article.instrument_id, {})[article.slug] = article
    for source in library.instruments:
        summary_html = {
            locale: render_with_library(text, locale, library, mark=False)[0] for locale, text in source.summary.items()
        }
        values = {
            "kind": source.kind,
            "position": source.position,
            "title": source.title,
            "short_title": source.short_title,
            "source": source.source,
            "dated": source.dated,
            "summary_html": summary_html,
        }
        # the summary's references render with the labels of the articles they cite
        source_hash = _sha_join(source.source_hash, library.render_hash(_refs_of(source.summary.values())))
        row = instruments.pop(source.slug, None)
        if row is None:
            row = LibraryInstrument(slug=source.slug, source_hash=source_hash, **values)
            db.session.add(row)
            db.session.flush()
            result.counts["library instruments created"] += 1
        else:
            _update(row, values, source_hash, result, "library instruments", stamp=True)
        existing = articles.pop(row.id, {})
        for article in source.articles:
            values = {
                "number": article.number,
                "position": article.position,
                "heading": article.heading,
                "text": article.text,
                "pending": article.pending,
            }
            found = existing.pop(article.slug, None)
            if found is None:
                db.session.add(
                    LibraryArticle(instrument_id=row.id, slug=article.slug, source_hash=article.source_hash, **values)
                )
                result.counts["library articles created"] += 1
            else:
                _update(found, values, article.source_hash, result, "library articles")
        _archive(existing.values(), result, "library articles")
    for gone in instruments.values():
        _archive([gone], result, "library instruments")
    for rest in articles.values():
        _archive(rest.values(), result, "library articles")

    cases = {c.slug: c for c in db.session.scalars(select(CaseNote))}
    for source in library.cases:
        values = {
            "position": source.position,
            "title": source.title,
            "body_html": {
                locale: render_with_library(text, locale, library, mark=False)[0]
                for locale, text in source.body.items()
            },
            "tags": source.tags,
            "from_module": source.from_module,
        }
        source_hash = _sha_join(source.source_hash, library.render_hash(_refs_of(source.body.values())))
        row = cases.pop(source.slug, None)
        if row is None:
            db.session.add(CaseNote(slug=source.slug, source_hash=source_hash, **values))
            result.counts["library cases created"] += 1
        else:
            _update(row, values, source_hash, result, "library cases")
    _archive(cases.values(), result, "library cases")

    terms = {t.slug: t for t in db.session.scalars(select(GlossaryTerm))}
    for source in library.terms:
        values = {
            "term": source.term,
            "variants": source.variants,
            "definition": source.definition,
            "source_ref": source.source_ref,
            "usage": source.usage,
        }
        row = terms.pop(source.slug, None)
        if row is None:
            db.session.add(GlossaryTerm(slug=source.slug, source_hash=source.source_hash, **values))
            result.counts["glossary terms created"] += 1
        else:
            _update(row, values, source.source_hash, result, "glossary terms")
    _archive(terms.values(), result, "glossary terms")
    db.session.flush()
    library.article_ids = _article_ids()


def _refs_of(texts) -> set[str]:
    from .library import references_in

    return {ref for text in texts for ref in references_in(text)}


def _sha_join(*parts: str) -> str:
    import hashlib

    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _sync_citations(module: Module, source: ModuleSource, library: LibrarySource, result: SyncResult) -> None:
    """The module's ``ArticleCitation`` rows made to match what it cites now (its text: question None; each quiz
    question by id). Rows already right are left alone, so a second sync writes nothing."""
    wanted: set[tuple[str, str | None]] = {(ref, None) for ref in source.references}
    for question_id, refs in source.question_references.items():
        wanted |= {(ref, question_id) for ref in refs}
    ids = library.article_ids
    wanted_ids = {(ids[ref], question) for ref, question in wanted if ref in ids}
    existing = {
        (c.article_id, c.question_id): c
        for c in db.session.scalars(select(ArticleCitation).where(ArticleCitation.module_id == module.id))
    }
    for key in sorted(wanted_ids - set(existing), key=lambda k: (k[0], k[1] or "")):
        db.session.add(ArticleCitation(article_id=key[0], module_id=module.id, question_id=key[1]))
        result.counts["library citations created"] += 1
    for key in set(existing) - wanted_ids:
        db.session.delete(existing[key])
        result.counts["library citations removed"] += 1


def _article_ids() -> dict[str, int]:
    """``{"instrument/article": id}`` of the articles not archived."""
    rows = db.session.execute(
        select(LibraryInstrument.slug, LibraryArticle.slug, LibraryArticle.id)
        .join(LibraryInstrument, LibraryArticle.instrument_id == LibraryInstrument.id)
        .where(LibraryArticle.is_archived.is_(False))
    )
    return {f"{i}/{a}": article_id for i, a, article_id in rows}
