"""Whole numbers from the outside world (lms/core/numbers.py): bounded to the database's integers."""

import pytest
from werkzeug.exceptions import BadRequest

from lms.core.numbers import MAX_INT, NumberOutOfRange, arg_number, form_number, whole_number


@pytest.mark.parametrize(
    "raw, expected",
    [("42", 42), (" 7 ", 7), ("0", 0), (str(MAX_INT), MAX_INT), (5, 5), ("", None), (None, None), ("abc", None)],
)
def test_whole_number_reads_text_and_falls_back_to_the_default(raw, expected):
    assert whole_number(raw) == expected


def test_whole_number_out_of_range_is_a_400_or_the_default():
    with pytest.raises(NumberOutOfRange) as raised:
        whole_number(str(MAX_INT + 1), "attempts")
    assert isinstance(raised.value, BadRequest) and raised.value.code == 400 and raised.value.field == "attempts"
    with pytest.raises(NumberOutOfRange):
        whole_number("-1")  # below low=0
    assert whole_number("-1", default=1, strict=False) == 1
    assert whole_number("9" * 5000, default=3) == 3  # more digits than Python reads: not a number
    assert whole_number("5", low=1, high=5) == 5
    with pytest.raises(NumberOutOfRange):
        whole_number("6", low=1, high=5)


def test_query_string_and_form_numbers(app):
    with app.test_request_context("/?page=3&huge=99999999999", method="POST", data={"points": "12", "bad": "x"}):
        assert arg_number("page", 1) == 3
        assert arg_number("missing", 1) == 1
        assert arg_number("huge", 1, strict=False) == 1
        assert form_number("points") == 12 and form_number("bad", 0) == 0
        with pytest.raises(NumberOutOfRange):
            arg_number("huge")


def test_url_integers_beyond_the_database_match_no_page(client):
    assert client.get(f"/quizzes/attempts/{MAX_INT + 1}").status_code == 404
