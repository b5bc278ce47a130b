"""The one normalisation used at index and query time (lms/search/normalize.py)."""

import pytest

from lms.search.normalize import normalize, query_terms, tokens


@pytest.mark.parametrize(
    ("typed", "indexed"),
    [
        # Arabic: tashkeel, tatweel, hamza and alef forms, alef maqsura, ta marbuta, definite article
        ("الضَّحِيَّةُ", "الضحية"),
        ("الضحيـــــة", "الضحية"),
        ("ضحية", "الضحية"),
        ("إتجار", "الاتجار"),
        ("أتجار", "اتجار"),
        ("آثار", "اثار"),
        ("ٱلاتجار", "الاتجار"),
        ("على", "علي"),
        ("مستشفى", "مستشفي"),
        ("حالة", "حاله"),
        ("مسؤول", "مسوول"),
        ("رئيس", "رييس"),
        ("بالبشر", "البشر"),
        ("وللضحايا", "وللضحايا"),
        ("للضحايا", "الضحايا"),
        ("حالة الاستضعاف", "حالة استضعاف"),
        ("ﻻ", "لا"),  # a presentation form
        # French: case, accents, elisions (both apostrophes), light plural/feminine
        ("Vulnérabilité", "vulnerabilite"),
        ("VULNERABILITE", "vulnérabilité"),
        ("l'enfant", "enfant"),
        ("l’enfant", "L'ENFANT"),
        ("d’exploitation", "exploitation"),
        ("qu'il", "il"),
        ("jusqu’à", "a"),
        ("victimes", "victime"),
        ("forcées", "forcé"),
        ("travail forcé", "TRAVAIL FORCE"),
        ("œuvre", "oeuvre"),
        ("consentement de la victime", "Consentement de la Victime"),
        # article numbers in every form, the Arabic order too
        ("448-1", "448.1"),
        ("448-1", "448 1"),
        ("448-1", "1-448"),
        ("448-1", "448–1"),
        ("448-1", "١-٤٤٨"),
        ("448-1", "448 - 1"),
        ("27-14", "27.14"),
        ("article 448-1", "Article 448.1"),
        ("الفصل 1-448", "الفصل 448-1"),
    ],
)
def test_the_forms_people_type_meet_the_forms_written(typed, indexed):
    assert normalize(typed) == normalize(indexed)


@pytest.mark.parametrize(
    ("one", "other"),
    [("448-1", "448-2"), ("448-1", "448-11"), ("enfant", "enfance"), ("عمل", "حمل"), ("27-14", "103-13")],
)
def test_different_words_stay_different(one, other):
    assert normalize(one) != normalize(other)


def test_article_numbers_are_one_token_larger_number_first():
    assert normalize("art. 448-1 et الفصل 1-448") == "art 448x1 et فصل 448x1"
    assert normalize("448.14") == "448x14"
    assert normalize("5-bis") == "5 bis"  # not a number pair: two words


def test_tokens_keep_their_place_in_the_original_text():
    text = "Le consentement de l’enfant — الفصل ١-٤٤٨ (448.1)"
    for token in tokens(text):
        original = text[token.start : token.end]
        assert normalize(original) == token.norm or token.norm == normalize(original.split("’")[-1])
    marked = [text[t.start : t.end] for t in tokens(text)]
    assert "enfant" in marked and "١-٤٤٨" in marked and "448.1" in marked
    assert "l" not in marked  # the elision is dropped, not marked


def test_normalized_text_has_only_letters_digits_and_spaces():
    text = 'a"b*c NEAR(x y) OR -z: ^w \x00 \u200f « » ; {} [] \\ / % _ $'
    out = normalize(text)
    assert all(ch.isalnum() or ch == " " for ch in out)


@pytest.mark.parametrize("empty", ["", "   ", "!!!", "«»—…", '"*"', "\x00\x01", "_"])
def test_nothing_to_search_gives_no_terms(empty):
    assert query_terms(empty) == []


def test_query_terms_drop_stop_words_unless_nothing_else():
    assert query_terms("le consentement de la victime") == ["consentement", "victim"]
    assert query_terms("رضا الضحية في") == ["رضا", "ضحيه"]
    assert query_terms("de la") == ["de", "la"]
    assert query_terms("victime victimes Victime") == ["victim"]


def test_normalize_is_idempotent_on_its_output():
    for text in ("Situation de vulnérabilité", "حالة الاستضعاف", "Article 448-1", "رضا الضحية"):
        once = normalize(text)
        assert normalize(once) == once
