"""Rows of the evaluation, built directly (no service): a survey with its current version (a definition in the
stored shape), a round of a cohort, the people asked. Plain functions like ``tests/factories.py``: each adds its
rows and flushes; the test commits when it needs to."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta

from sqlalchemy import select

from lms.content.models import Survey, SurveyVersion
from lms.evaluation.models import SurveyParticipation, SurveyRound


def t(fr: str, ar: str | None = None, en: str | None = None) -> dict:
    """A text in the stored shape (fr and ar always, en when given)."""
    return {"fr": fr, "ar": ar or f"ع {fr}", **({"en": en} if en else {})}


def option(option_id: str, text: str) -> dict:
    return {"id": option_id, "text": t(text, en=text)}


#: one item of every kind, required as the loader's defaults make them
EVERY_KIND = {
    "title": t("Évaluation de l'atelier", "تقييم الورشة", "Workshop evaluation"),
    "intro": t("Merci de répondre.", "شكرا على الإجابة.", "Thank you for answering."),
    "role": "session",
    "named": False,
    "sections": [
        {
            "id": "content",
            "title": t("Contenu", "المحتوى", "Content"),
            "items": [
                {"id": "relevance", "kind": "agree5", "text": t("Utile", en="Relevant to my work"), "required": True},
                {
                    "id": "recommend",
                    "kind": "scale10",
                    "text": t("Recommander", en="Would you recommend it"),
                    "required": True,
                    "labels": {"low": t("jamais", en="never"), "high": t("sûrement", en="surely")},
                },
                {
                    "id": "format",
                    "kind": "single",
                    "text": t("Format", en="Best format"),
                    "required": True,
                    "options": [option("in_person", "In person"), option("online", "Online")],
                },
                {
                    "id": "topics",
                    "kind": "multiple",
                    "text": t("Sujets", en="Useful topics"),
                    "required": False,
                    "options": [option("law", "Law"), option("victims", "Victims"), option("cases", "Cases")],
                },
            ],
        },
        {
            "id": "comments",
            "title": t("Commentaires", "تعليقات", "Comments"),
            "items": [
                {
                    "id": "best",
                    "kind": "short_text",
                    "text": t("Le mieux", en="What was best"),
                    "required": False,
                    "max_length": 300,
                },
                {
                    "id": "change",
                    "kind": "long_text",
                    "text": t("À changer", en="What to change"),
                    "required": False,
                    "max_length": 3000,
                },
            ],
        },
    ],
}

#: answers that satisfy EVERY_KIND, as a form sends them
GOOD_FORM = {"q-relevance": "4", "q-recommend": "9", "q-format": "online"}


def definition(role: str = "session", named: bool = False, **changes) -> dict:
    value = copy.deepcopy(EVERY_KIND)
    value.update(role=role, named=named, **changes)
    return value


def make_survey(
    db,
    course_id: int,
    role: str = "session",
    named: bool = False,
    slug: str | None = None,
    definition_: dict | None = None,
) -> tuple[Survey, SurveyVersion]:
    """A survey of the course with its current version (version 1); a survey of the same role the course ships
    (synced from courses/) is archived, as if removed: one survey per role and course."""
    for shipped in db.session.scalars(
        select(Survey).where(Survey.course_id == course_id, Survey.role == role, Survey.is_archived.is_(False))
    ):
        shipped.is_archived = True
    survey = Survey(course_id=course_id, slug=slug or f"test-{role}", role=role)
    db.session.add(survey)
    db.session.flush()
    version = SurveyVersion(
        survey_id=survey.id,
        version=1,
        source_hash="0" * 64,
        definition=definition_ or definition(role, named),
        is_current=True,
    )
    db.session.add(version)
    db.session.flush()
    return survey, version


def make_round(
    db,
    survey: Survey,
    cohort,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    session=None,
    open_days: int | None = 30,
) -> SurveyRound:
    """A round of ``survey`` for ``cohort`` (or one of its sessions): opened a day ago, closing ``open_days``
    after it opened (None: never) unless ``closes_at`` says."""
    opens_at = opens_at or datetime.utcnow() - timedelta(days=1)
    if closes_at is None and open_days is not None:
        closes_at = opens_at + timedelta(days=open_days)
    round = SurveyRound(
        survey_id=survey.id,
        cohort_id=cohort.id,
        session_id=session.id if session else None,
        subject=f"session:{session.id}" if session else f"cohort:{cohort.id}",
        role=survey.role,
        opens_at=opens_at,
        closes_at=closes_at,
    )
    db.session.add(round)
    db.session.flush()
    return round


def ask(db, round: SurveyRound, *users, responded: bool = False) -> None:
    """``users`` are asked in ``round`` (their participation rows)."""
    for user in users:
        db.session.add(SurveyParticipation(round_id=round.id, user_id=user.id, responded=responded))
    db.session.flush()


def survey_world(db, cohort, *learners, role: str = "session", named: bool = False, **round_fields):
    """A survey of ``cohort``'s course, an open round of it for the cohort, ``learners`` asked; committed."""
    survey, version = make_survey(db, cohort.course_id, role, named)
    round = make_round(db, survey, cohort, **round_fields)
    ask(db, round, *learners)
    db.session.commit()
    return survey, version, round
