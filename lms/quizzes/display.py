"""Template helpers for quizzes: texts in the reader's language, describing responses."""

from __future__ import annotations

from flask_babel import get_locale

from ..content.service import plain_references
from ..i18n import RTL_LOCALES, _
from .grading import option_order, score_question


def qtext(texts: dict | None) -> str:
    """The text in the reader's language (or French), article references written out (``[[law-27-14/448-1]]`` →
    "Article 448-1, Loi n° 27-14")."""
    texts = texts or {}
    locale = str(get_locale() or "fr")
    text = texts.get(locale) or texts.get("fr") or next(iter(texts.values()), "")
    return plain_references(text, locale) if isinstance(text, str) else text


def right_response(question: dict):
    kind = question["type"]
    if kind == "single":
        return next((o["id"] for o in question["options"] if o.get("correct")), None)
    if kind == "multiple":
        return [o["id"] for o in question["options"] if o.get("correct")]
    if kind == "truefalse":
        return question["answer"]
    if kind == "matching":
        return {item["id"]: item["match"] for item in question["items"]}
    if kind == "short":
        answers = question.get("answers", {})
        values = answers.get(str(get_locale() or "fr")) or answers.get("fr") or []
        return values[0] if values else ""
    return None


def describe_response(question: dict, response) -> str:
    if response is None or response == "" or response == [] or response == {}:
        return ""
    kind = question["type"]
    if kind in ("single", "multiple"):
        texts = {o["id"]: qtext(o["text"]) for o in question["options"]}
        chosen = response if isinstance(response, list) else [response]
        return " · ".join(texts.get(c, "?") for c in chosen)
    if kind == "truefalse":
        return _("True") if response is True else _("False")
    if kind == "matching":
        choices = {c["id"]: qtext(c["text"]) for c in question["choices"]}
        arrow = "←" if str(get_locale() or "fr") in RTL_LOCALES else "→"  # points from the item to its match
        return " · ".join(
            f"{qtext(item['text'])} {arrow} {choices.get(response.get(item['id']), '—')}" for item in question["items"]
        )
    return str(response)


def matching_rows(question: dict, response) -> list[dict]:
    """A matching question's items, each with the learner's match, the right match and whether they agree:
    shown as a table (one pair per row, no arrow to point the wrong way in Arabic)."""
    choices = {c["id"]: qtext(c["text"]) for c in question["choices"]}
    given = response if isinstance(response, dict) else {}
    return [
        {
            "item": qtext(item["text"]),
            "given": choices.get(given.get(item["id"]), ""),
            "right": choices.get(item["match"], ""),
            "ok": given.get(item["id"]) == item["match"],
        }
        for item in question["items"]
    ]


def register(app) -> None:
    app.jinja_env.globals.update(
        qtext=qtext,
        option_order=option_order,
        score_question=score_question,
        describe_response=describe_response,
        right_response=right_response,
        matching_rows=matching_rows,
    )
