"""Loading ``courses/`` into the database: one transaction, idempotent, versioned, never deleting."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from ..core.markdown import render_markdown
from ..core.timeutil import utcnow
from ..extensions import db
from .loader import MODULE_LINK_RE, CourseSource, ModuleSource, Problem, SurveySource, load_courses
from .models import Course, Module, ModuleText, QuizVersion, Survey, SurveyVersion, SyncRun
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


def _store_texts(module: Module, source: ModuleSource, rewrite) -> None:
    db.session.execute(ModuleText.__table__.delete().where(ModuleText.module_id == module.id))
    for locale, text in sorted(source.texts.items()):
        body, toc = render_markdown(text.body, rewrite_href=rewrite)
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


def _sync_modules(course: Course, source: CourseSource, result: SyncResult) -> None:
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
            _store_texts(module, module_source, rewrite)
            result.counts["modules created"] += 1
        else:
            if module.source_hash != module_source.source_hash:
                module.version += 1
                module.source_hash = module_source.source_hash
                module.minutes = fr.minutes
                module.locales = sorted(module_source.texts)
                module.updated_at = utcnow()
                _store_texts(module, module_source, rewrite)
                result.counts["modules updated"] += 1
            if module.position != module_source.position or module.is_archived:
                module.position = module_source.position
                if module.is_archived:
                    result.counts["modules restored"] += 1
                module.is_archived = False
                if module.source_hash == module_source.source_hash:
                    result.counts["modules reordered"] += 1
        _sync_quiz(module, module_source, result)
    for module in existing.values():
        if not module.is_archived:
            module.is_archived = True
            result.counts["modules archived"] += 1
        current = db.session.scalar(
            select(QuizVersion).where(QuizVersion.module_id == module.id, QuizVersion.is_current.is_(True))
        )
        if current is not None:
            current.is_current = False


def _sync_quiz(module: Module, source: ModuleSource, result: SyncResult) -> None:
    versions = db.session.scalars(
        select(QuizVersion).where(QuizVersion.module_id == module.id).order_by(QuizVersion.version)
    ).all()
    current = next((v for v in versions if v.is_current), None)
    if source.quiz is None:
        if current is not None:
            current.is_current = False
            result.counts["quizzes withdrawn"] += 1
        return
    if current is not None and current.source_hash == source.quiz_hash:
        return
    if current is not None:
        current.is_current = False
    # A quiz that returns to an earlier definition becomes current again rather than a duplicate.
    previous = next((v for v in versions if v.source_hash == source.quiz_hash), None)
    if previous is not None:
        previous.is_current = True
        result.counts["quizzes updated"] += 1
        return
    db.session.add(
        QuizVersion(
            module_id=module.id,
            version=(versions[-1].version + 1) if versions else 1,
            source_hash=source.quiz_hash,
            definition=source.quiz,
            is_current=True,
        )
    )
    result.counts["quizzes created" if not versions else "quizzes updated"] += 1


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
    versions = db.session.scalars(
        select(SurveyVersion).where(SurveyVersion.survey_id == survey.id).order_by(SurveyVersion.version)
    ).all()
    current = next((v for v in versions if v.is_current), None)
    if current is not None and current.source_hash == source.source_hash:
        return
    if current is not None:
        current.is_current = False
    # A survey that returns to an earlier definition makes that version current again rather than a duplicate.
    previous = next((v for v in versions if v.source_hash == source.source_hash), None)
    if previous is not None:
        previous.is_current = True
        result.counts["surveys updated"] += 1
        return
    db.session.add(
        SurveyVersion(
            survey_id=survey.id,
            version=(versions[-1].version + 1) if versions else 1,
            source_hash=source.source_hash,
            definition=source.definition,
            is_current=True,
        )
    )
    result.counts["surveys created" if not versions else "surveys updated"] += 1


def sync_courses(path: str) -> SyncResult:
    """Validate then load every course under ``path``.

    Raises SyncRefused (nothing written) when the tree has any problem. Adds to the session without
    committing: the caller commits once, so a failure anywhere writes nothing. A second sync of the same
    tree changes nothing and returns a result whose ``changed`` is False.
    """
    sources, problems = load_courses(path)
    if problems:
        raise SyncRefused(problems)
    result = SyncResult()
    existing = {c.slug: c for c in db.session.scalars(select(Course))}
    for source in sources:
        course = _sync_course(source, existing.pop(source.slug, None), result)
        _sync_modules(course, source, result)
        _sync_surveys(course, source, result)
    for course in existing.values():
        if not course.is_archived:
            course.is_archived = True
            result.counts["courses archived"] += 1
        # a course gone from courses/ asks no more surveys
        _archive_surveys(db.session.scalars(select(Survey).where(Survey.course_id == course.id)), result)
    if result.changed:
        db.session.add(SyncRun(summary=result.summary(), source_path=str(path)[:500]))
    content_synced.send(result, changed=result.changed)
    return result
