"""responses.validate: what a survey's form sent, checked against the survey's definition (pure: no database)."""

import pytest
from werkzeug.datastructures import MultiDict

from lms.evaluation.responses import validate
from tests.evaluation.builders import GOOD_FORM, definition


def check(form: dict | list, locale="en", **changes):
    return validate(definition(**changes), MultiDict(form), locale)


def test_good_answers_are_kept_in_their_stored_shape():
    answers, errors = check(
        {
            **GOOD_FORM,
            "q-topics": ["cases", "law", "law"],
            "q-best": "  the cases  ",
            "q-change": "line one\r\nline two\r\n",
        }
    )
    assert errors == {}
    assert answers == {
        "relevance": 4,
        "recommend": 9,
        "format": "online",
        "topics": ["law", "cases"],  # the definition's order, once each
        "best": "the cases",
        "change": "line one\nline two",
    }


def test_unanswered_optional_items_are_absent():
    answers, errors = check({**GOOD_FORM, "q-topics": [], "q-best": "   ", "q-change": ""})
    assert errors == {} and set(answers) == {"relevance", "recommend", "format"}


def test_missing_required_items_are_errors_keyed_by_item():
    answers, errors = check({"q-relevance": " ", "csrf_token": "x"})
    assert set(errors) == {"relevance", "recommend", "format"}
    assert "required" in errors["relevance"]
    assert answers == {}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("q-relevance", "0"),
        ("q-relevance", "6"),
        ("q-relevance", "four"),
        ("q-relevance", "4.5"),
        ("q-relevance", "-1"),
        ("q-relevance", "٤"),  # an Arabic-Indic digit: str.isdigit says yes, the form never sends it
        ("q-recommend", "11"),
        ("q-recommend", "1e1"),
        ("q-recommend", "x9"),
        ("q-recommend", "9999999999999999999999999"),
    ],
)
def test_a_value_outside_the_scale_is_refused(field, value):
    answers, errors = check({**GOOD_FORM, field: value})
    item = field.removeprefix("q-")
    assert item in errors and item not in answers
    assert "from" in errors[item]


def test_scales_take_their_ends():
    answers, errors = check({**GOOD_FORM, "q-relevance": "1", "q-recommend": "0"})
    assert errors == {} and answers["relevance"] == 1 and answers["recommend"] == 0
    answers, errors = check({**GOOD_FORM, "q-relevance": "5", "q-recommend": "10"})
    assert errors == {} and answers["relevance"] == 5 and answers["recommend"] == 10


def test_two_values_for_one_answer_are_refused():
    _answers, errors = check([*GOOD_FORM.items(), ("q-relevance", "2"), ("q-format", "in_person")])
    assert set(errors) == {"relevance", "format"}


@pytest.mark.parametrize(("field", "value"), [("q-format", "paper"), ("q-topics", "law"), ("q-topics", "nope")])
def test_an_option_not_offered_is_refused(field, value):
    form = [*GOOD_FORM.items(), (field, value)]
    if value == "law":
        form.append(("q-topics", "<script>"))
    answers, errors = check(form)
    item = field.removeprefix("q-")
    assert item in errors and item not in answers
    assert "offered" in errors[item]


def test_texts_too_long_are_refused_whole():
    answers, errors = check({**GOOD_FORM, "q-best": "x" * 301, "q-change": "y" * 3001})
    assert set(errors) == {"best", "change"} and "best" not in answers and "change" not in answers
    assert "300" in errors["best"] and "301" in errors["best"]
    answers, errors = check({**GOOD_FORM, "q-best": "x" * 300, "q-change": "y" * 3000})
    assert errors == {} and len(answers["best"]) == 300 and len(answers["change"]) == 3000


def test_line_breaks_count_once_as_the_browser_counts_them():
    text = "a\r\n" * 1000  # 3000 characters in the browser's textarea, 4000 as sent
    answers, errors = check({**GOOD_FORM, "q-change": text + "b" * 999})
    assert errors == {} and len(answers["change"]) == 2999


def test_a_lower_max_length_is_kept():
    d = definition()
    d["sections"][1]["items"][1]["max_length"] = 20
    answers, errors = validate(d, MultiDict({**GOOD_FORM, "q-change": "z" * 21}), "en")
    assert "change" in errors and "20" in errors["change"]


def test_texts_lose_controls_and_bidi_overrides():
    answers, errors = check({**GOOD_FORM, "q-best": "a\tb\nc\u202e", "q-change": "x\x00y\u2066z\n\tw"})
    assert errors == {}
    assert answers["best"] == "a b c"
    assert answers["change"] == "xyz\n\tw"


def test_items_of_no_known_kind_and_unknown_fields_are_ignored():
    d = definition()
    d["sections"][0]["items"].append({"id": "future", "kind": "ranking", "text": {"fr": "?"}, "required": True})
    answers, errors = validate(d, MultiDict({**GOOD_FORM, "q-future": "1", "q-ghost": "5", "_plan": "x"}), "en")
    assert errors == {} and set(answers) == {"relevance", "recommend", "format"}


def test_errors_are_in_the_locale_asked(app):
    with app.test_request_context():
        _answers, errors = check({}, locale="fr")
        assert "obligatoire" in errors["relevance"].lower()
        _answers, errors = check({**GOOD_FORM, "q-recommend": "12"}, locale="ar")
        assert "0" in errors["recommend"] and "10" in errors["recommend"]
        assert any("\u0600" <= ch <= "\u06ff" for ch in errors["recommend"])
