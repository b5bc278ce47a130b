"""Rows of the evaluation surveys written directly (the answering pages and the shipped surveys are built
elsewhere): a survey and its versions, rounds, participation and responses in the stored shapes of
/work/tools/EVAL-DESIGN.md. Each function flushes; the test commits."""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta

from sqlalchemy import select

from lms.content.models import Course, Survey, SurveyVersion
from lms.evaluation.models import SurveyParticipation, SurveyResponse, SurveyRound


def T(fr: str, ar: str | None = None) -> dict:  # noqa: N802 - reads like the YAML's {fr, ar}
    return {"fr": fr, "ar": ar or f"ع {fr}", "en": fr}


def definition(
    role: str = "course_end", named: bool = False, title: str = "Évaluation", extra: list | None = None
) -> dict:
    """A survey with one item of every kind, in the stored shape."""
    return {
        "title": T(title),
        "intro": {},
        "role": role,
        "named": named,
        "sections": [
            {
                "id": "content",
                "title": T("Contenu"),
                "items": [
                    {"id": "relevance", "kind": "agree5", "text": T("Le contenu était utile"), "required": True},
                    {"id": "recommend", "kind": "scale10", "text": T("Recommanderiez-vous ?"), "required": True},
                    {
                        "id": "format",
                        "kind": "single",
                        "text": T("Format préféré"),
                        "required": True,
                        "options": [
                            {"id": "in-person", "text": T("Présentiel")},
                            {"id": "online", "text": T("En ligne")},
                        ],
                    },
                    {
                        "id": "topics",
                        "kind": "multiple",
                        "text": T("Thèmes à approfondir"),
                        "required": False,
                        "options": [
                            {"id": "indicators", "text": T("Indicateurs")},
                            {"id": "victims", "text": T("Protection des victimes")},
                            {"id": "cooperation", "text": T("Coopération")},
                        ],
                    },
                    {
                        "id": "comment",
                        "kind": "long_text",
                        "text": T("Commentaires"),
                        "required": False,
                        "max_length": 3000,
                    },
                    *(extra or []),
                ],
            }
        ],
    }


def make_survey(db, course_slug: str = "palermo-magistrates", role: str = "course_end", slug: str | None = None, **kw):
    """A survey of the course with one current version; (survey, version)."""
    course = db.session.scalar(select(Course).where(Course.slug == course_slug))
    survey = Survey(course_id=course.id, slug=slug or f"{role}-survey", role=role)
    db.session.add(survey)
    db.session.flush()
    version = add_version(db, survey, definition(role=role, **kw))
    return survey, version


def add_version(db, survey, data: dict) -> SurveyVersion:
    """A new current version of ``survey`` (the previous ones no longer current)."""
    older = db.session.scalars(select(SurveyVersion).where(SurveyVersion.survey_id == survey.id)).all()
    for v in older:
        v.is_current = False
    version = SurveyVersion(
        survey_id=survey.id,
        version=len(older) + 1,
        source_hash=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest(),
        definition=data,
        is_current=True,
    )
    db.session.add(version)
    db.session.flush()
    return version


def make_round(db, survey, cohort, session=None, opens_at: datetime | None = None) -> SurveyRound:
    opens_at = opens_at or datetime(2027, 3, 1, 0, 0)
    subject = f"session:{session.id}" if session is not None else f"cohort:{cohort.id}"
    survey_round = SurveyRound(
        survey_id=survey.id,
        cohort_id=cohort.id,
        session_id=session.id if session is not None else None,
        subject=subject,
        role=survey.role,
        opens_at=opens_at,
        closes_at=None if survey.role == "course_end" else opens_at + timedelta(days=30),
    )
    db.session.add(survey_round)
    db.session.flush()
    return survey_round


def ask(db, survey_round, user_ids, responded_ids=()) -> None:
    """Participation rows: ``user_ids`` asked, ``responded_ids`` of them answered."""
    for uid in user_ids:
        db.session.add(SurveyParticipation(round_id=survey_round.id, user_id=uid, responded=uid in set(responded_ids)))
    db.session.flush()


def respond(
    db,
    survey_round,
    version,
    answers: dict,
    *,
    profession="magistrate-judge",
    jurisdiction="rabat",
    gender=None,
    respondent_id=None,
) -> SurveyResponse:
    response = SurveyResponse(
        round_id=survey_round.id,
        version_id=version.id,
        week=date(2027, 3, 1),
        profession=profession,
        jurisdiction=jurisdiction,
        gender=gender,
        answers=answers,
        named=respondent_id is not None,
        respondent_id=respondent_id,
    )
    db.session.add(response)
    db.session.flush()
    return response


def answers(i: int = 0, comment: str | None = None, **overrides) -> dict:
    """A plausible full answer, varied by ``i``."""
    values = {
        "relevance": 1 + i % 5,
        "recommend": (7 + i) % 11,
        "format": "in-person" if i % 3 else "online",
        "topics": ["indicators", "victims"][: 1 + i % 2],
    }
    if comment:
        values["comment"] = comment
    values.update(overrides)
    return {k: v for k, v in values.items() if v is not None}


def respond_many(db, survey_round, version, n: int, *, comments: bool = True, **fields) -> list[SurveyResponse]:
    return [
        respond(db, survey_round, version, answers(i, f"Commentaire numéro {i}" if comments else None), **fields)
        for i in range(n)
    ]
