"""Surveys for tests of rounds and answers: the course's own (synced from courses/) when it ships one of the role,
else a small one made here."""

from __future__ import annotations

from sqlalchemy import select

from lms.content.models import Survey, SurveyVersion

TEXT = {"fr": "Texte", "ar": "نص"}


def definition(role: str, named: bool = False) -> dict:
    return {
        "title": {"fr": f"Questionnaire {role}", "ar": "استمارة"},
        "intro": {},
        "role": role,
        "named": named,
        "sections": [
            {
                "id": "main",
                "title": TEXT,
                "items": [
                    {"id": "useful", "kind": "agree5", "text": TEXT, "required": True},
                    {"id": "recommend", "kind": "scale10", "text": TEXT, "required": False},
                    {
                        "id": "format",
                        "kind": "single",
                        "text": TEXT,
                        "required": False,
                        "options": [{"id": "a", "text": TEXT}, {"id": "b", "text": TEXT}],
                    },
                    {"id": "comment", "kind": "long_text", "text": TEXT, "required": False, "max_length": 3000},
                ],
            }
        ],
    }


def survey_for(db, course_id: int, role: str, named: bool = False) -> tuple[Survey, SurveyVersion]:
    """The course's current survey of ``role``, made if it has none (``named`` then applies)."""
    found = db.session.execute(
        select(Survey, SurveyVersion)
        .join(SurveyVersion, SurveyVersion.survey_id == Survey.id)
        .where(Survey.course_id == course_id, Survey.role == role, SurveyVersion.is_current.is_(True))
    ).first()
    if found is not None:
        return tuple(found)
    survey = Survey(course_id=course_id, slug=f"test-{role.replace('_', '-')}", role=role)
    db.session.add(survey)
    db.session.flush()
    version = SurveyVersion(
        survey_id=survey.id, version=1, source_hash="t" * 64, definition=definition(role, named), is_current=True
    )
    db.session.add(version)
    db.session.flush()
    return survey, version
