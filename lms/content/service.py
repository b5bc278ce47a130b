"""Catalogue, course and module views, progress. One query per page whatever the number of modules."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, bindparam, select, true
from sqlalchemy.orm import aliased

from ..core.database import read_rows
from ..core.timeutil import utcnow
from ..extensions import db
from .models import Course, Module, ModuleProgress, ModuleText, QuizVersion
from .signals import course_access, learner_standings
from .signals import next_workshop as next_workshop_signal
from .signals import open_surveys as open_surveys_signal


def can_open(user, course: Course) -> bool:
    """Trainers and admins open every course; a learner the courses for their profession (or all, while
    their profession is not set), plus any course another domain grants (a cohort they are enrolled in)."""
    if course.is_archived:
        return bool(user.is_admin)
    if user.is_trainer or user.is_admin:
        return True
    if _open_by_profession(user, course):
        return True
    return any(course.id in granted for _receiver, granted in course_access.send(user, course_ids=[course.id]))


def _open_by_profession(user, course) -> bool:
    return not user.profession or bool(course.audience) and user.profession in course.audience


def open_courses(user, courses: list) -> list:
    """``courses`` (none archived) that ``user`` may open, in order: one query per ``course_access`` receiver at
    most."""
    if user.is_trainer or user.is_admin:
        return list(courses)
    others = [c.id for c in courses if not _open_by_profession(user, c)]
    granted: set[int] = set()
    for _receiver, grants in course_access.send(user, course_ids=others) if others else ():
        granted |= grants
    return [c for c in courses if c.id not in others or c.id in granted]


@dataclass(frozen=True)
class Standing:
    """Where a learner stands against the completion rule of their certificate (the certificates domain fills
    it from its one eligibility rule): modules read, quizzes passed, attendance, and what is left."""

    modules_done: int
    modules_needed: int
    quizzes_passed: int
    quizzes_needed: int
    quizzes_total: int
    #: attendance so far in percent (None: no workshop held yet, or no cohort)
    attendance: float | None
    #: the attendance to reach; 0 when attendance does not count (online cohort, or no cohort)
    attendance_needed: float
    #: module ids whose quiz the learner passed, and those whose quiz counts (a pre-test does not)
    passed_quizzes: frozenset = frozenset()
    counted_quizzes: frozenset = frozenset()
    #: the certificate rule's unmet conditions: (code, {"have", "need"}) with code modules | quizzes | attendance
    missing: tuple = ()
    #: False when the learner is in no cohort of the course: no certificate, the course's own rule
    in_cohort: bool = True
    #: a live certificate was issued
    certified: bool = False

    @property
    def eligible(self) -> bool:
        return not self.missing

    @property
    def steps_total(self) -> int:
        """Modules to read, quizzes to pass, and attendance (one step) when it counts."""
        return self.modules_needed + self.quizzes_needed + (1 if self.attendance_needed else 0)

    @property
    def steps_done(self) -> int:
        attendance_ok = self.attendance is not None and self.attendance >= self.attendance_needed
        return (
            min(self.modules_done, self.modules_needed)
            + min(self.quizzes_passed, self.quizzes_needed)
            + (1 if self.attendance_needed and attendance_ok else 0)
        )

    def quiz_counts(self, module_id: int) -> bool:
        return module_id in self.counted_quizzes

    def quiz_passed(self, module_id: int) -> bool:
        return module_id in self.passed_quizzes


def next_workshop(user, now):
    """The learner's next (or current) workshop from a ``next_workshop`` receiver (None when none is connected or
    none is planned)."""
    found = [workshop for _receiver, workshop in next_workshop_signal.send(user, now=now) if workshop is not None]
    return found[0] if found else None


def open_surveys(user, now) -> list:
    """The surveys the learner may answer now, from the ``open_surveys`` receivers (empty when none is connected)."""
    return [found for _receiver, rounds in open_surveys_signal.send(user, now=now) for found in rounds or ()]


def standings(user, progresses: list, with_attendance: bool = True) -> dict:
    """``{course id: Standing}`` for the courses a ``learner_standings`` receiver knows (empty when none is
    connected)."""
    found: dict = {}
    for _receiver, standing in learner_standings.send(user, progresses=progresses, with_attendance=with_attendance):
        found.update(standing or {})
    return found


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
    #: the current quiz version's id, if the module has a quiz
    quiz_id: int | None
    #: the text in the page's language if the module has one, else the French text, and which it is
    text_id: int | None = None
    text_is_fallback: bool = False
    #: changes whenever the module's texts are re-rendered (they are cached under it)
    source_hash: str = ""

    @property
    def has_quiz(self) -> bool:
        return self.quiz_id is not None

    @property
    def status(self) -> str:
        if self.completed_at:
            return "done"
        return "started" if self.viewed_at else "new"


@dataclass
class CourseProgress:
    course: Course
    modules: list[ModuleRow]
    #: where the learner stands against their certificate's rule (None: no provider, modules read only)
    standing: Standing | None = None

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

    def quiz_to_pass(self, row: ModuleRow) -> bool:
        """The module's quiz counts for the certificate and is not passed yet."""
        standing = self.standing
        return bool(row.quiz_id and standing and standing.quiz_counts(row.id) and not standing.quiz_passed(row.id))

    @property
    def next_step(self) -> tuple[str, ModuleRow] | None:
        """The learner's next step: the module they were reading (opened last, not complete), else the first
        step left in order: ("read", module) for a module to read, ("quiz", module) for a module read whose quiz
        is still to pass; None when nothing is left in the course itself (attendance may still be)."""
        opened = [m for m in self.modules if m.viewed_at and not m.completed_at]
        if opened:
            return "read", max(opened, key=lambda m: m.viewed_at)
        for module in self.modules:
            if not module.completed_at:
                return "read", module
            if self.quiz_to_pass(module):
                return "quiz", module
        return None

    @property
    def finished(self) -> bool:
        """Finished means what the certificate means: every condition met (modules read, quizzes passed,
        attendance); with no provider, every module read."""
        if self.standing is not None:
            return self.standing.eligible or self.standing.certified
        return bool(self.total) and self.completed == self.total

    @property
    def step_percent(self) -> int:
        """Progress towards the certificate (modules, quizzes, attendance), in percent; modules only without a
        provider. 100 only when finished."""
        if self.standing is None or not self.standing.steps_total:
            return self.percent if not self.standing else (100 if self.finished else 0)
        percent = round(100 * self.standing.steps_done / self.standing.steps_total)
        return percent if self.finished else min(percent, 99)


_PROGRESS_STATEMENTS: dict = {}


def _progress_statement(by: str = "ids"):
    """Built once per shape: bound parameters make SQLAlchemy's compiled cache hit on every page view.

    ``by="ids"`` takes ``course_ids`` (expanding); ``by="slug"`` takes one course's ``slug``; ``by="live"``
    reads every live course (the catalogue). Rows come by course slug, then module position."""
    statement = _PROGRESS_STATEMENTS.get(by)
    if statement is None:
        text = aliased(ModuleText)
        fallback = aliased(ModuleText)
        progress = aliased(ModuleProgress)
        quiz = aliased(QuizVersion)
        course_filter = {
            "slug": lambda: Course.slug == bindparam("slug"),
            "ids": lambda: Module.course_id.in_(bindparam("course_ids", expanding=True)),
            "live": lambda: true(),
        }[by]()
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
                text.id,
                fallback.id,
                Module.source_hash,
                Course.version,
            )
            .join(Course, Course.id == Module.course_id)
            .outerjoin(text, and_(text.module_id == Module.id, text.locale == bindparam("locale")))
            .outerjoin(fallback, and_(fallback.module_id == Module.id, fallback.locale == "fr"))
            .outerjoin(progress, and_(progress.module_id == Module.id, progress.user_id == bindparam("user_id")))
            .outerjoin(quiz, and_(quiz.module_id == Module.id, quiz.is_current.is_(True)))
            .where(Module.is_archived.is_(False), Course.is_archived.is_(False), course_filter)
            .order_by(Course.slug, Module.position)
        )
        _PROGRESS_STATEMENTS[by] = statement
    return statement


def _module_row(row) -> ModuleRow:
    return ModuleRow(
        row[1],
        row[2],
        row[3],
        row[4],
        row[6] or row[7] or row[2],
        row[5],
        row[8],
        row[9],
        row[10],
        text_id=row[11] or row[12],
        text_is_fallback=row[11] is None,
        source_hash=row[13],
    )


def _progress_rows(user_id: int, locale: str, course_ids: list[int]):
    """One query: every live module of the given courses with its title and this user's progress."""
    grouped: dict[int, list[ModuleRow]] = {}
    if not course_ids:
        return grouped
    rows = db.session.execute(_progress_statement(), {"locale": locale, "user_id": user_id, "course_ids": course_ids})
    for row in rows:
        grouped.setdefault(row[0], []).append(_module_row(row))
    return grouped


@dataclass(frozen=True)
class CourseView:
    """A live course as pages read it: immutable, one copy per process per course version."""

    id: int
    slug: str
    title: dict
    summary: dict
    audience: tuple
    hours: float
    completion: dict
    version: int
    is_archived: bool = False

    def text(self, field: str, locale: str) -> str:
        return Course.text(self, field, locale)


#: (course id, version) -> CourseView. Sync bumps a course's version whenever anything of it changes (and when it
#: comes back from the archive); archived courses are never read through it. Bounded like the text cache.
_COURSE_CACHE: dict[tuple[int, int], CourseView] = {}


def _course_view(course_id: int, version: int) -> CourseView | None:
    """The course as of ``version`` (read with it); a course changed by a sync in between is read fresh and
    served without being kept."""
    key = (course_id, version)
    view = _COURSE_CACHE.get(key)
    if view is None:
        course = db.session.get(Course, course_id)
        if course is None:
            return None
        view = CourseView(
            course.id,
            course.slug,
            dict(course.title or {}),
            dict(course.summary or {}),
            tuple(course.audience or ()),
            course.hours,
            dict(course.completion or {}),
            course.version,
            course.is_archived,
        )
        if course.version == version and not course.is_archived:
            if len(_COURSE_CACHE) >= _TEXT_CACHE_MAX:
                _COURSE_CACHE.clear()
            _COURSE_CACHE[key] = view
    return view


def live_course_progress(user, slug: str, locale: str) -> CourseProgress | None:
    """A live course with its modules and ``user``'s progress, in one query (the module page's).

    None when the slug names no live course with live modules: the caller then tells 404 from 403 the slow
    way (``course_by_slug``)."""
    rows = read_rows(_progress_statement("slug"), {"locale": locale, "user_id": user.id, "slug": slug}).all()
    if not rows:
        return None
    course = _course_view(rows[0][0], rows[0][14])
    if course is None:  # deleted between the two reads
        return None
    return CourseProgress(course, [_module_row(row) for row in rows])


def catalogue(user, locale: str) -> list[CourseProgress]:
    """The live courses open to ``user`` with their progress, by slug: one query (and one per access granter
    when a course is not meant for the user's profession)."""
    grouped: dict[int, tuple[int, list[ModuleRow]]] = {}
    for row in db.session.execute(_progress_statement("live"), {"locale": locale, "user_id": user.id}):
        grouped.setdefault(row[0], (row[14], []))[1].append(_module_row(row))
    views = [view for course_id, (version, _rows) in grouped.items() if (view := _course_view(course_id, version))]
    progresses = [
        CourseProgress(view, grouped[view.id][1]) for view in open_courses(user, views) if not view.is_archived
    ]
    return with_standings(user, progresses)


def with_standings(user, progresses: list[CourseProgress], with_attendance: bool = True) -> list[CourseProgress]:
    """The progresses, each with the learner's standing against their certificate (one provider call; without
    attendance where only the quizzes matter, as on a module page)."""
    found = standings(user, progresses, with_attendance) if progresses else {}
    for progress in progresses:
        progress.standing = found.get(progress.course.id)
    return progresses


def course_by_slug(slug: str) -> Course | None:
    """The course with this slug (None: no such course)."""
    return db.session.scalar(select(Course).where(Course.slug == slug))


def course_progress(user, course: Course, locale: str) -> CourseProgress:
    """The learner's progress in one course, module by module, with their standing against its certificate."""
    progress = CourseProgress(course, _progress_rows(user.id, locale, [course.id]).get(course.id, []))
    return with_standings(user, [progress])[0]


@dataclass(frozen=True)
class TextView:
    """A module text as pages need it: immutable, so one copy per process serves every reader."""

    id: int
    locale: str
    title: str
    objectives: tuple
    body_html: str
    toc_html: str


#: (text id, module source hash) -> TextView. Sync rewrites texts only with a new source hash, so an entry
#: never goes stale; the cache is bounded by the number of texts (a few per module) and cleared past that.
_TEXT_CACHE: dict[tuple[int, str], TextView] = {}
_TEXT_CACHE_MAX = 2000


def module_text(row: ModuleRow) -> tuple[TextView | None, bool]:
    """The module's text in the page's language if it exists, else French (the flag says so).

    Read from the database once per text and version per process: the page's own progress query
    already says which text and which version (``ModuleRow.text_id``, ``source_hash``)."""
    if row.text_id is None:
        return None, True
    key = (row.text_id, row.source_hash)
    view = _TEXT_CACHE.get(key)
    if view is None:
        text = db.session.get(ModuleText, row.text_id)
        if text is None:
            return None, True
        view = TextView(text.id, text.locale, text.title, tuple(text.objectives or ()), text.body_html, text.toc_html)
        if len(_TEXT_CACHE) >= _TEXT_CACHE_MAX:
            _TEXT_CACHE.clear()
        _TEXT_CACHE[key] = view
    return view, row.text_is_fallback


def record_view(user_id: int, module_id: int) -> None:
    """First and last viewed times, in one statement (an upsert): safe when two tabs open the module at
    once, and on SQLite the write lock is taken by the first statement (no read-then-write upgrade)."""
    now = utcnow()
    table = ModuleProgress.__table__
    values = {"user_id": user_id, "module_id": module_id, "first_viewed_at": now, "last_viewed_at": now}
    if db.engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    statement = upsert(table).values(**values)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.user_id, table.c.module_id], set_={"last_viewed_at": now}
    )
    db.session.execute(statement)


def _progress(user_id: int, module_id: int) -> ModuleProgress | None:
    return db.session.scalar(
        select(ModuleProgress).where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == module_id)
    )


def set_completed(user_id: int, module_id: int, completed: bool) -> ModuleProgress:
    """Mark a module read (or not read any more) for a learner; records the view too."""
    record_view(user_id, module_id)
    progress = _progress(user_id, module_id)
    if completed and progress.completed_at is None:
        progress.completed_at = utcnow()
    elif not completed:
        progress.completed_at = None
    return progress


def current_quiz(module_id: int) -> QuizVersion | None:
    """The module's current quiz version (None: the module has no quiz)."""
    return db.session.scalar(
        select(QuizVersion).where(QuizVersion.module_id == module_id, QuizVersion.is_current.is_(True))
    )


def module_titles(modules, locale: str) -> dict[int, str]:
    """Module id -> its title in ``locale`` (French when the module has none in it; its slug when it has no
    text at all), in one query."""
    ids = [m.id for m in modules]
    titles: dict[int, str] = {}
    if ids:
        for module_id, text_locale, title in db.session.execute(
            select(ModuleText.module_id, ModuleText.locale, ModuleText.title).where(
                ModuleText.module_id.in_(ids), ModuleText.locale.in_({locale, "fr"})
            )
        ):
            if text_locale == locale or module_id not in titles:
                titles[module_id] = title
    return {m.id: titles.get(m.id, m.slug) for m in modules}


def short_title(title: str) -> str:
    """A title without its subtitle: "Le Protocole de Palerme : origine, architecture…" -> "Le Protocole de
    Palerme" (the same in Arabic, whose colon has no space before it)."""
    head = title.split(":", 1)[0].strip()
    return head or title


# --- article references in plain texts (quiz prompts, options, explanations) ----------------------------------


def plain_references(text: str, locale: str) -> str:
    """``text`` with each ``[[instrument/article|text]]`` written as its text and each ``[[instrument/article]]`` as
    the article's label in ``locale`` ("Article 448-1, Loi n° 27-14"). For texts shown as plain text (quiz
    questions: modules render references as links at sync). One query per request, only when a text cites."""
    if "[[" not in text:
        return text
    from flask import g

    from .library import REFERENCE_RE, article_label
    from .models import LibraryArticle, LibraryInstrument

    labels = g.get("_tadrib_reference_labels")
    if labels is None:
        labels = {}
        for instrument_slug, short_title, article_slug, heading in db.session.execute(
            select(LibraryInstrument.slug, LibraryInstrument.short_title, LibraryArticle.slug, LibraryArticle.heading)
            .join(LibraryInstrument, LibraryArticle.instrument_id == LibraryInstrument.id)
            .where(LibraryArticle.is_archived.is_(False))
        ):
            labels[f"{instrument_slug}/{article_slug}"] = (short_title or {}, (heading or {}).get("_number") or {})
        g._tadrib_reference_labels = labels

    def replace(match) -> str:
        if match.group(3):
            return match.group(3).strip()
        ref = f"{match.group(1)}/{match.group(2)}"
        if ref not in labels:
            return ref
        short_title, numbers = labels[ref]
        has = locale in numbers and locale in short_title
        return article_label(short_title, numbers, locale if has else "fr")

    return REFERENCE_RE.sub(replace, text)
