"""Catalogue, course and module views, progress. One query per page whatever the number of modules."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from ..core.timeutil import utcnow
from ..extensions import db
from .models import Course, Module, ModuleProgress, ModuleText, QuizVersion

#: Other domains append ``(user, course) -> bool`` functions granting access (e.g. cohort enrolment).
ACCESS_GRANTERS: list = []


def can_open(user, course: Course) -> bool:
    """Trainers and admins open every course; a learner the courses for their profession (or all, while
    their profession is not set), plus any course another domain grants (a cohort they are enrolled in)."""
    if course.is_archived:
        return bool(user.is_admin)
    if user.is_trainer or user.is_admin:
        return True
    if not user.profession or course.audience and user.profession in course.audience:
        return True
    return any(grant(user, course) for grant in ACCESS_GRANTERS)


@dataclass
class ModuleRow:
    id: int
    slug: str
    position: int
    minutes: int
    title: str
    locales: list
    viewed_at: object
    completed_at: object
    has_quiz: bool

    @property
    def status(self) -> str:
        if self.completed_at:
            return "done"
        return "started" if self.viewed_at else "new"


@dataclass
class CourseProgress:
    course: Course
    modules: list[ModuleRow]

    @property
    def total(self) -> int:
        return len(self.modules)

    @property
    def completed(self) -> int:
        return sum(1 for m in self.modules if m.completed_at)

    @property
    def percent(self) -> int:
        return round(100 * self.completed / self.total) if self.total else 0

    @property
    def minutes(self) -> int:
        return sum(m.minutes for m in self.modules)

    @property
    def started(self) -> bool:
        return any(m.viewed_at for m in self.modules)

    @property
    def next_module(self) -> ModuleRow | None:
        """Where to continue: the module last opened if it is not complete, else the first not complete."""
        opened = [m for m in self.modules if m.viewed_at and not m.completed_at]
        if opened:
            return max(opened, key=lambda m: m.viewed_at)
        return next((m for m in self.modules if not m.completed_at), None)


def _progress_rows(user_id: int, locale: str, course_ids: list[int] | None = None):
    """One query: every live module of the given courses with its title and this user's progress."""
    text = aliased(ModuleText)
    fallback = aliased(ModuleText)
    progress = aliased(ModuleProgress)
    quiz = aliased(QuizVersion)
    statement = (
        select(
            Module.course_id,
            Module.id,
            Module.slug,
            Module.position,
            Module.minutes,
            Module.locales,
            text.title,
            fallback.title,
            progress.last_viewed_at,
            progress.completed_at,
            quiz.id,
        )
        .join(Course, Course.id == Module.course_id)
        .outerjoin(text, and_(text.module_id == Module.id, text.locale == locale))
        .outerjoin(fallback, and_(fallback.module_id == Module.id, fallback.locale == "fr"))
        .outerjoin(progress, and_(progress.module_id == Module.id, progress.user_id == user_id))
        .outerjoin(quiz, and_(quiz.module_id == Module.id, quiz.is_current.is_(True)))
        .where(Module.is_archived.is_(False), Course.is_archived.is_(False))
        .order_by(Module.course_id, Module.position)
    )
    if course_ids is not None:
        statement = statement.where(Module.course_id.in_(course_ids))
    grouped: dict[int, list[ModuleRow]] = {}
    for row in db.session.execute(statement):
        grouped.setdefault(row[0], []).append(
            ModuleRow(
                row[1], row[2], row[3], row[4], row[6] or row[7] or row[2], row[5], row[8], row[9], row[10] is not None
            )
        )
    return grouped


def catalogue(user, locale: str) -> list[CourseProgress]:
    """The courses open to ``user`` with their progress: two queries in all."""
    courses = [
        c
        for c in db.session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.slug))
        if can_open(user, c)
    ]
    rows = _progress_rows(user.id, locale, [c.id for c in courses])
    return [CourseProgress(c, rows.get(c.id, [])) for c in courses]


def course_by_slug(slug: str) -> Course | None:
    return db.session.scalar(select(Course).where(Course.slug == slug))


def course_progress(user, course: Course, locale: str) -> CourseProgress:
    return CourseProgress(course, _progress_rows(user.id, locale, [course.id]).get(course.id, []))


def module_text(module_id: int, locale: str) -> tuple[ModuleText | None, bool]:
    """The module's text in ``locale`` if it exists, else French; the flag says a fallback was used."""
    texts = {
        t.locale: t
        for t in db.session.scalars(
            select(ModuleText).where(ModuleText.module_id == module_id, ModuleText.locale.in_((locale, "fr")))
        )
    }
    if locale in texts:
        return texts[locale], False
    return texts.get("fr"), True


def record_view(user_id: int, module_id: int) -> ModuleProgress:
    """First and last viewed times; safe when two tabs open the same module at once."""
    now = utcnow()
    progress = db.session.scalar(
        select(ModuleProgress).where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == module_id)
    )
    if progress is not None:
        progress.last_viewed_at = now
        return progress
    try:
        with db.session.begin_nested():
            progress = ModuleProgress(user_id=user_id, module_id=module_id, first_viewed_at=now, last_viewed_at=now)
            db.session.add(progress)
    except IntegrityError:
        progress = db.session.scalar(
            select(ModuleProgress).where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == module_id)
        )
        progress.last_viewed_at = now
    return progress


def set_completed(user_id: int, module_id: int, completed: bool) -> ModuleProgress:
    progress = record_view(user_id, module_id)
    if completed and progress.completed_at is None:
        progress.completed_at = utcnow()
    elif not completed:
        progress.completed_at = None
    return progress


def current_quiz(module_id: int) -> QuizVersion | None:
    return db.session.scalar(
        select(QuizVersion).where(QuizVersion.module_id == module_id, QuizVersion.is_current.is_(True))
    )
