from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from ..core.timeutil import utcnow
from ..extensions import db


class Course(db.Model):
    """A course loaded from ``courses/<slug>/course.yaml``."""

    __tablename__ = "course"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: per-locale texts: {"fr": ..., "ar": ..., "en": ...}
    title: Mapped[dict] = mapped_column(JSON)
    summary: Mapped[dict] = mapped_column(JSON)
    #: professions the course is open to
    audience: Mapped[list] = mapped_column(JSON)
    hours: Mapped[float]
    #: default completion rule {"modules": "all"|n, "quizzes_passed": "all"|n, "attendance_percent": n}
    completion: Mapped[dict] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    source_hash: Mapped[str] = mapped_column(String(64))
    is_archived: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    modules: Mapped[list[Module]] = relationship(
        back_populates="course", order_by="Module.position", lazy="raise_on_sql"
    )

    def text(self, field: str, locale: str) -> str:
        values = getattr(self, field) or {}
        return values.get(locale) or values.get("fr") or ""


class Module(db.Model):
    __tablename__ = "module"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    position: Mapped[int]
    #: reading time in minutes (from the French front matter)
    minutes: Mapped[int]
    #: locales this version has, e.g. ["ar", "en", "fr"]
    locales: Mapped[list] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(default=1)
    source_hash: Mapped[str] = mapped_column(String(64))
    #: a module removed from courses/ is archived with its progress, never deleted
    is_archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    course: Mapped[Course] = relationship(back_populates="modules")

    __table_args__ = (UniqueConstraint("course_id", "slug"),)


class ModuleText(db.Model):
    """One locale of one module, rendered to sanitised HTML once per content version."""

    __tablename__ = "module_text"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"))
    locale: Mapped[str] = mapped_column(String(5))
    title: Mapped[str] = mapped_column(String(300))
    objectives: Mapped[list] = mapped_column(JSON)
    body_html: Mapped[str] = mapped_column(Text)
    toc_html: Mapped[str] = mapped_column(Text)
    words: Mapped[int]

    __table_args__ = (UniqueConstraint("module_id", "locale"),)


class ParsedOnceJSON(TypeDecorator):
    """JSON whose text is parsed once per process: a quiz definition (30-45 KB) is read on every autosave and
    quiz page, and parsing it cost more than the rest of the query. Keyed by the stored text itself, so an
    edited value can never be served stale. Callers must treat the value as read-only (it is shared).
    Drivers that hand back parsed JSON (psycopg on PostgreSQL) pass through unchanged."""

    impl = JSON
    cache_ok = True
    _MAX = 64
    _parsed: dict = {}

    def result_processor(self, dialect, coltype):
        parse = super().result_processor(dialect, coltype)
        if parse is None:
            return None
        # One cache for every statement that reads the column (each statement gets its own processor).
        parsed = ParsedOnceJSON._parsed

        def process(value):
            if not isinstance(value, str):
                return parse(value)
            hit = parsed.get(value)
            if hit is None:
                if len(parsed) >= self._MAX:
                    parsed.clear()
                hit = parsed[value] = parse(value)
            return hit

        return process


class QuizVersion(db.Model):
    """A module's quiz as loaded at one sync. A changed quiz gets a new row; attempts keep theirs."""

    __tablename__ = "quiz_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    version: Mapped[int]
    source_hash: Mapped[str] = mapped_column(String(64))
    #: {"title": {...}, "settings": {...}, "questions": [...]} as validated by the loader
    definition: Mapped[dict] = mapped_column(ParsedOnceJSON)
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    module: Mapped[Module] = relationship()

    __table_args__ = (UniqueConstraint("module_id", "version"),)


class ModuleProgress(db.Model):
    __tablename__ = "module_progress"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    first_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_viewed_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "module_id"),
        Index("ix_module_progress_user_last_viewed", "user_id", "last_viewed_at"),
    )


class SyncRun(db.Model):
    """A sync that changed something (a sync with no change writes nothing)."""

    __tablename__ = "sync_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: {"courses": {...}, "modules": {...}, "quizzes": {...}} counts of created/updated/archived
    summary: Mapped[dict] = mapped_column(JSON)
    source_path: Mapped[str] = mapped_column(String(500))


class Survey(db.Model):
    """An evaluation survey of a course, loaded from ``courses/<course>/surveys/<slug>.yaml``: its identity,
    stable across versions. ``role`` says when it is asked: ``session`` (after each workshop session),
    ``course_end`` (at the end of the course; the action plan is written after it), ``follow_up`` (months
    later; the learner reviews their action plan). One survey per role and course."""

    __tablename__ = "survey"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(16))
    #: a survey removed from courses/ is archived with its responses, never deleted
    is_archived: Mapped[bool] = mapped_column(default=False)

    course: Mapped[Course] = relationship()

    __table_args__ = (UniqueConstraint("course_id", "slug"),)


class SurveyVersion(db.Model):
    """A survey as loaded at one sync. A changed survey gets a new row; responses keep the version answered."""

    __tablename__ = "survey_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("survey.id"), index=True)
    version: Mapped[int]
    source_hash: Mapped[str] = mapped_column(String(64))
    #: {"title", "intro", "role", "named", "sections": [{"id", "title", "items": [...]}]} as validated by the loader
    definition: Mapped[dict] = mapped_column(ParsedOnceJSON)
    is_current: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship()

    __table_args__ = (UniqueConstraint("survey_id", "version"),)


# --- the library (courses/_library/): instruments article by article, fictional case notes, the glossary -----


class LibraryInstrument(db.Model):
    """A legal instrument of the library (the Palermo Protocol, Law No. 27-14, a decree, a circular...), loaded
    from ``courses/_library/<slug>/instrument.yaml``."""

    __tablename__ = "library_instrument"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: treaty | law | decree | circular
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(default=0)
    #: {"fr", "ar", "en"}: the full title, and the short one used in references ("Loi n° 27-14")
    title: Mapped[dict] = mapped_column(JSON)
    short_title: Mapped[dict] = mapped_column(JSON)
    #: {"fr", "ar", "en"}: where the text comes from (publication, date), shown on every article
    source: Mapped[dict] = mapped_column(JSON)
    #: adoption or publication date, ISO (a string: some are known to the month only)
    dated: Mapped[str | None] = mapped_column(String(10))
    #: for a circular: a summary (Markdown rendered to sanitised HTML per locale), not the text
    summary_html: Mapped[dict] = mapped_column(JSON, default=dict)
    source_hash: Mapped[str] = mapped_column(String(64))
    is_archived: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class LibraryArticle(db.Model):
    """One article of an instrument: its text per locale, as the official versions give it. Its address is
    ``/library/<instrument slug>/<article slug>``; modules cite it as ``[[<instrument>/<article>]]``."""

    __tablename__ = "library_article"

    id: Mapped[int] = mapped_column(primary_key=True)
    instrument_id: Mapped[int] = mapped_column(ForeignKey("library_instrument.id"), index=True)
    #: "448-1", "3", "5-bis": the address and the reference
    slug: Mapped[str] = mapped_column(String(40))
    #: as printed: "448-1", "Article 3"
    number: Mapped[str] = mapped_column(String(40))
    position: Mapped[int]
    #: {"fr", "ar", "en"}: heading of the article (may be empty)
    heading: Mapped[dict] = mapped_column(JSON, default=dict)
    #: {"fr", "ar", "en"}: the text, paragraphs separated by blank lines (plain text, escaped when shown)
    text: Mapped[dict] = mapped_column(JSON)
    #: locales whose text is a provisional wording (the official text not available yet)
    pending: Mapped[list] = mapped_column(JSON, default=list)
    source_hash: Mapped[str] = mapped_column(String(64))
    is_archived: Mapped[bool] = mapped_column(default=False)

    instrument: Mapped[LibraryInstrument] = relationship()

    __table_args__ = (UniqueConstraint("instrument_id", "slug"),)


class CaseNote(db.Model):
    """A fictional case note, tagged like SHERLOC's case law (act, means, purpose, form, child or adult,
    articles applied), loaded from ``courses/_library/cases/<slug>.yaml``."""

    __tablename__ = "case_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[dict] = mapped_column(JSON)
    #: {"fr", "ar", "en"}: the facts and the reasoning, Markdown rendered to sanitised HTML
    body_html: Mapped[dict] = mapped_column(JSON)
    #: {"acts": [...], "means": [...], "purposes": [...], "forms": [...], "victim": "child"|"adult",
    #:  "articles": ["law-27-14/448-1", ...]}
    tags: Mapped[dict] = mapped_column(JSON)
    #: "<course slug>/<module folder>" where the case first appeared, if it did
    from_module: Mapped[str | None] = mapped_column(String(200))
    source_hash: Mapped[str] = mapped_column(String(64))
    is_archived: Mapped[bool] = mapped_column(default=False)


class GlossaryTerm(db.Model):
    """A term of the bilingual glossary (``courses/_library/glossary/<slug>.yaml``): the term in each language,
    the forms marked in modules, its definition, legal source and Moroccan usage."""

    __tablename__ = "glossary_term"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    #: {"fr", "ar", "en"}: the term
    term: Mapped[dict] = mapped_column(JSON)
    #: {"fr": [...], "ar": [...], "en": [...]}: other forms found in modules (plural, with article...)
    variants: Mapped[dict] = mapped_column(JSON, default=dict)
    definition: Mapped[dict] = mapped_column(JSON)
    #: "law-27-14/448-1" or None
    source_ref: Mapped[str | None] = mapped_column(String(120))
    #: {"fr", "ar", "en"}: where Moroccan usage differs from the Mashreq's (e.g. كتابة الضبط)
    usage: Mapped[dict] = mapped_column(JSON, default=dict)
    source_hash: Mapped[str] = mapped_column(String(64))
    is_archived: Mapped[bool] = mapped_column(default=False)


class ArticleCitation(db.Model):
    """Where an article is cited: a module (in any locale) or a quiz question. Rebuilt by each sync."""

    __tablename__ = "article_citation"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("library_article.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id", ondelete="CASCADE"), index=True)
    #: a question of the module's quiz, or None for the module's text
    question_id: Mapped[str | None] = mapped_column(String(80))

    __table_args__ = (UniqueConstraint("article_id", "module_id", "question_id"),)
