"""Moodle GIFT and Aiken import and GIFT export (lms/quizzes/gift.py); the commands are in test_cli.py."""

from pathlib import Path

import pytest

from lms.config import PROJECT_ROOT
from lms.quizzes.gift import export_gift, parse_aiken, parse_gift, read_gift
from tests.factories import EDGE_QUIZ, shipped_quizzes

SAMPLE = Path(__file__).parent / "data" / "sample.gift"
FRENCH_ONLY = Path(__file__).parent / "data" / "french-only.gift"
COURSES = PROJECT_ROOT / "courses"
SHIPPED = sorted(COURSES.glob("*/*/quiz.yaml"))


def one(text, locale="fr"):
    questions, problems = parse_gift(text, locale)
    assert problems == []
    assert len(questions) == 1
    return questions[0]


# --- each type -------------------------------------------------------------------------------


def test_single_choice_with_title_feedback_and_explanation():
    q = one("::Palermo year::En quelle année ?{~1998#Trop tôt. =2000#Oui. ~2003 ####Résolution 55/25.}")
    assert q["id"] == "palermo-year"
    assert q["type"] == "single"
    assert q["points"] == 1
    assert q["prompt"] == {"fr": "En quelle année ?"}
    assert q["explanation"] == {"fr": "Résolution 55/25."}
    assert q["options"] == [
        {"id": "a", "text": {"fr": "1998"}, "correct": False, "feedback": {"fr": "Trop tôt."}},
        {"id": "b", "text": {"fr": "2000"}, "correct": True, "feedback": {"fr": "Oui."}},
        {"id": "c", "text": {"fr": "2003"}, "correct": False},
    ]


def test_multiple_choice_weights():
    q = one("Lesquels sont des moyens ?{~%50%La tromperie ~%50%La force ~%-100%L'hébergement ~%0%Le but}")
    assert q["type"] == "multiple"
    assert [o["correct"] for o in q["options"]] == [True, True, False, False]
    assert q["options"][0]["text"] == {"fr": "La tromperie"}


def test_multiple_choice_unequal_weights_are_a_warning():
    result = read_gift("Q ?{~%70%a ~%30%b ~%-100%c}")
    assert result.problems == []
    assert [o["correct"] for o in result.questions[0]["options"]] == [True, True, False]
    assert "equal share" in result.warnings[0][1]


@pytest.mark.parametrize(
    ("block", "answer"), [("{T}", True), ("{TRUE}", True), ("{F}", False), ("{FALSE}", False), ("{false}", False)]
)
def test_truefalse(block, answer):
    q = one(f"Le consentement est indifférent.{block}")
    assert q["type"] == "truefalse"
    assert q["answer"] is answer


def test_truefalse_feedback_cannot_be_kept_and_says_so():
    result = read_gift("Vrai ?{T#faux, relisez#exact####Article 3 b).}")
    assert result.questions[0]["answer"] is True
    assert result.questions[0]["explanation"] == {"fr": "Article 3 b)."}
    assert result.warnings and "true/false" in result.warnings[0][1]


def test_matching_builds_choices_from_distinct_right_hand_sides():
    q = one(
        "::m::Classez :{\n"
        "  =Recrutée par une voisine -> Acte\n"
        "  =Promesse d'un emploi -> Moyen\n"
        "  =Hébergée dans la boutique -> Acte\n"
        "  = -> But d'exploitation\n"
        "}"
    )
    assert q["type"] == "matching"
    assert q["choices"] == [
        {"id": "c1", "text": {"fr": "Acte"}},
        {"id": "c2", "text": {"fr": "Moyen"}},
        {"id": "c3", "text": {"fr": "But d'exploitation"}},
    ]
    assert [(i["id"], i["text"]["fr"], i["match"]) for i in q["items"]] == [
        ("i1", "Recrutée par une voisine", "c1"),
        ("i2", "Promesse d'un emploi", "c2"),
        ("i3", "Hébergée dans la boutique", "c1"),
    ]


def test_short_answer_accepts_every_answer():
    q = one("Numéro de la loi ?{=27-14 =27.14 =%100%loi 27-14}")
    assert q["type"] == "short"
    assert q["answers"] == {"fr": ["27-14", "27.14", "loi 27-14"]}


def test_short_answer_with_zero_weight_is_not_accepted():
    result = read_gift("Âge ?{=18 =%0%21#Non}")
    assert result.questions[0]["answers"] == {"fr": ["18"]}
    assert "not accepted" in result.warnings[0][1]


def test_essay():
    q = one("::cas::Analysez le cas.{}")
    assert q["type"] == "essay"
    assert q["rubric"] == {}
    assert one("Analysez.{####Éléments attendus : l'acte.}")["explanation"] == {"fr": "Éléments attendus : l'acte."}


def test_missing_word_is_a_single_choice_with_a_blank():
    q = one("Le Protocole a été adopté en {~1998 =2000} à New York.")
    assert q["type"] == "single"
    assert q["prompt"] == {"fr": "Le Protocole a été adopté en _____ à New York."}


def test_points_default_to_one_and_ids_are_generated():
    questions, problems = parse_gift("Premier ?{T}\n\n::Deuxième question::Deuxième ?{F}\n\nTroisième ?{T}")
    assert problems == []
    assert [q["id"] for q in questions] == ["q1", "deuxieme-question", "q3"]
    assert {q["points"] for q in questions} == {1}


def test_duplicate_titles_get_distinct_ids():
    result = read_gift("::Q::Un ?{T}\n\n::Q::Deux ?{F}")
    assert [q["id"] for q in result.questions] == ["Q", "Q-2"]
    assert "already used" in result.warnings[0][1]


# --- syntax ----------------------------------------------------------------------------------


def test_escapes():
    q = one(r"::esc::Que vaut \{a\} \= b \~ c \# d \: e \\ f ?{=oui \= vrai#bien \# sûr ~non\~jamais}")
    assert q["prompt"] == {"fr": r"Que vaut {a} = b ~ c # d : e \ f ?"}
    assert q["options"][0]["text"] == {"fr": "oui = vrai"}
    assert q["options"][0]["feedback"] == {"fr": "bien # sûr"}
    assert q["options"][1]["text"] == {"fr": "non~jamais"}
    assert one(r"Deux lignes :\nla seconde.{T}")["prompt"] == {"fr": "Deux lignes :\nla seconde."}


def test_comments_categories_and_format_prefixes():
    text = (
        "// question: 12  name: Switch category\n"
        "$CATEGORY: $course$/top/Traite\n"
        "\n"
        "// question: 13  name: html\n"
        "::h::[html]<p>Texte <b>gras</b> &amp; suite</p><p>Second paragraphe</p>{\n"
        "  =<p>Oui</p>\n"
        "  ~<p>Non</p>\n"
        "}\n"
        "\n"
        "::m::[markdown]Un *texte*{T}\n"
        "\n"
        "::p::[plain]Texte <b>brut</b>{T}\n"
    )
    result = read_gift(text)
    assert result.problems == []
    html_q, markdown_q, plain_q = result.questions
    assert html_q["prompt"] == {"fr": "Texte gras & suite\n\nSecond paragraphe"}
    assert html_q["options"][0]["text"] == {"fr": "Oui"}
    assert markdown_q["prompt"] == {"fr": "Un *texte*"}
    assert plain_q["prompt"] == {"fr": "Texte <b>brut</b>"}
    # quiz.yaml has no key for a category: they come back beside the questions
    assert "category" not in html_q
    assert result.categories == {"h": "$course$/top/Traite", "m": "$course$/top/Traite", "p": "$course$/top/Traite"}
    assert result.lines == {"h": 5, "m": 10, "p": 12}


def test_multilang_spans_and_mlang_blocks():
    q = one(
        '::ml::[html]<p><span lang="fr" class="multilang">Quelle loi ?</span>'
        '<span lang="ar" class="multilang">أي قانون؟</span></p>{\n'
        r'  =<span lang\="fr" class\="multilang">Loi 27-14</span><span lang\="ar" class\="multilang">القانون 27.14</span>'
        "\n"
        "  ~\\{mlang fr\\}Loi 103-13\\{mlang\\}\\{mlang ar\\}القانون 103.13\\{mlang\\}\n"
        "}"
    )
    assert q["prompt"] == {"fr": "Quelle loi ?", "ar": "أي قانون؟"}
    assert q["options"][0]["text"] == {"fr": "Loi 27-14", "ar": "القانون 27.14"}
    assert q["options"][1]["text"] == {"fr": "Loi 103-13", "ar": "القانون 103.13"}


def test_plain_text_goes_to_the_chosen_locale():
    q = one("ما هو رقم القانون؟{=27.14}", locale="ar")
    assert q["prompt"] == {"ar": "ما هو رقم القانون؟"}
    assert q["answers"] == {"ar": ["27.14"]}


def test_arabic_text_is_filed_under_ar_whatever_the_default():
    q = one("ما هو رقم القانون؟{=27.14 ~27.15 ####القانون رقم 27.14.}")
    assert q["prompt"] == {"ar": "ما هو رقم القانون؟"}
    assert q["explanation"] == {"ar": "القانون رقم 27.14."}
    # texts without letters belong to every language of the prompt
    assert [o["text"] for o in q["options"]] == [{"ar": "27.14"}, {"ar": "27.15"}]
    mixed = one("Que signifie « الاتجار » ?{=La traite ~Le trafic}")
    assert mixed["prompt"] == {"fr": "Que signifie « الاتجار » ?"}  # mostly Latin letters: French
    assert one("Quelle année ?{=2000 ~1998}", locale="en")["options"][0]["text"] == {"en": "2000"}
    bilingual = one(
        '[html]<span lang="fr" class="multilang">Année ?</span><span lang="ar" class="multilang">السنة؟</span>{=2000 ~1998}'
    )
    assert bilingual["options"][0]["text"] == {"fr": "2000", "ar": "2000"}


def test_aiken_arabic_is_filed_under_ar():
    questions, problems = parse_aiken("ما هو القانون؟\nA. 27.14\nB. القانون 103.13\nANSWER: A\n")
    assert problems == []
    assert questions[0]["prompt"] == {"ar": "ما هو القانون؟"}
    assert [o["text"] for o in questions[0]["options"]] == [{"ar": "27.14"}, {"ar": "القانون 103.13"}]


def test_dropped_features_are_warned_at_their_line():
    text = (
        "::single::Une seule ?{\n"  # 1
        "  =%50%oui\n"  # 2: the weight of the right answer
        "  ~%-100%non\n"  # 3: a negative weight in a single choice
        "  ~%25%peut-être\n"  # 4: partial credit
        "}\n"
        "\n"
        "::multi::Lesquels ?{\n"  # 7
        "  ~%60%a\n"  # 8: unequal right weights
        "  ~%40%b\n"
        "  ~c\n"  # 10: 0% instead of -50%
        "  ~%-50%d\n"  # 11: as Tadrib scores it: nothing to say
        "}\n"
        "\n"
        "::short::Loi ?{\n"  # 14
        "  =27-14#bien\n"  # 15: feedback of a short answer
        "  =%-100%103-13\n"  # 16: negative weight
        "}\n"
        "\n"
        "::tf::[html]<p>Vrai ?</p><img src='x.png'>{T#non#oui}\n"  # 19: image and true/false feedback
    )
    result = read_gift(text)
    assert result.problems == []
    assert [(line, message.split(":")[0]) for line, message in result.warnings] == [
        (2, "the weight 50% of the right answer is not kept"),
        (3, "the weight -100% of a wrong answer is not kept"),
        (4, "partial credit is not supported"),
        (9, "the weights of the right answers differ"),
        (10, "the weight 0% of a wrong answer is not kept"),
        (15, "the feedback of a short answer is not kept"),
        (16, "the answer '103-13' has a weight of -100%"),
        (19, "an image (<img>) is dropped"),
        (19, "the feedback of a true/false answer is not kept"),
    ]


def test_unsupported_types_are_reported_with_their_line():
    text = (
        "// numeric\n"
        "::n::En quelle année ?{#2000:1}\n"
        "\n"
        "::ok::Vrai ?{T}\n"
        "\n"
        "::cloze1::Le Protocole date de {1:SHORTANSWER:=2000} .\n"
        "\n"
        "::cloze2::Acte {=a ~b} et moyen {=c ~d}.\n"
        "\n"
        "::d::Une simple description, sans réponse.\n"
    )
    questions, problems = parse_gift(text)
    assert [q["id"] for q in questions] == ["ok"]
    assert problems[0] == (2, "unsupported question type: numeric")
    assert [line for line, _ in problems] == [2, 6, 8, 10]
    assert problems[1][1].startswith("unsupported question type: cloze")
    assert problems[2][1].startswith("unsupported question type: cloze")
    assert problems[3][1].startswith("unsupported question type: description")


def test_malformed_questions_are_reported():
    text = "Deux bonnes ?{=a =b ~c}\n\nAucune bonne ?{~%-50%a ~b}\n\nUne seule ?{=a}x{\n\nPas fermé ?{=a ~b\n"
    questions, problems = parse_gift(text)
    assert questions == []
    assert [line for line, _ in problems] == [1, 3, 5, 7]
    assert "exactly one right answer" in problems[0][1]


def test_sample_moodle_export():
    result = read_gift(SAMPLE.read_text(encoding="utf-8"))
    assert result.problems == []
    assert {q["type"] for q in result.questions} == {"single", "multiple", "truefalse", "matching", "short", "essay"}
    by_id = {q["id"]: q for q in result.questions}
    assert by_id["elements-constitutifs"]["options"][1] == {
        "id": "b",
        "text": {"fr": "Trois : l'acte, le moyen et le but d'exploitation"},
        "correct": True,
        "feedback": {"fr": "Exact."},
    }
    assert by_id["age-de-l-enfant"]["answers"] == {"fr": ["18", "18 ans", "dix-huit"]}
    assert by_id["loi-27-14"]["prompt"]["ar"] == "ما هو القانون المغربي الذي يجرم الاتجار بالبشر؟"
    assert result.categories["analyse-de-cas"].endswith("Module 2 - Enfants")
    # everything a question cannot keep, each at its own line of the file
    assert [(line, message.split(":")[0]) for line, message in result.warnings] == [
        (2, "the Moodle category '$course$/top/Défaut pour TEH-Magistrats/Module 2 - Définition' is not kept"),
        (18, "the weight -100% of a wrong answer is not kept"),
        (19, "the weight -100% of a wrong answer is not kept"),
        (24, "the feedback of a true/false answer is not kept"),
        (36, "the Moodle category '$course$/top/Défaut pour TEH-Magistrats/Module 2 - Enfants' is not kept"),
        (44, "the answer '21' has a weight of 0%"),
    ]


# --- Aiken -----------------------------------------------------------------------------------


def test_aiken():
    text = (
        "En quelle année le Protocole a-t-il été adopté ?\n"
        "A. 1998\n"
        "B. 2000\n"
        "C) 2003\n"
        "ANSWER: B\n"
        "\n"
        "Quelle loi marocaine réprime la traite ?\n"
        "A. 103-13\n"
        "B. 27-14\n"
        "ANSWER: B\n"
    )
    questions, problems = parse_aiken(text)
    assert problems == []
    assert [q["id"] for q in questions] == ["q1", "q2"]
    first = questions[0]
    assert first["type"] == "single"
    assert first["prompt"] == {"fr": "En quelle année le Protocole a-t-il été adopté ?"}
    assert [(o["id"], o["text"]["fr"], o["correct"]) for o in first["options"]] == [
        ("a", "1998", False),
        ("b", "2000", True),
        ("c", "2003", False),
    ]


def test_aiken_problems():
    text = "Sans réponse ?\nA. oui\nB. non\n\nMauvaise lettre ?\nA. oui\nB. non\nANSWER: D\n"
    questions, problems = parse_aiken(text)
    assert questions == []
    assert problems[0] == (1, "the question has no 'ANSWER:' line after its options")
    assert problems[1][0] == 5 and "ANSWER: D" in problems[1][1]


# --- export and round trip -------------------------------------------------------------------


def comparable(question):
    """What a round trip keeps; matching is compared by text pairs (choice ids may be regenerated)."""
    q = {k: question[k] for k in ("id", "type", "points", "prompt", "explanation")}
    kind = question["type"]
    if kind in ("single", "multiple"):
        q["options"] = [(o["id"], o["text"], o["correct"], o.get("feedback")) for o in question["options"]]
    elif kind == "truefalse":
        q["answer"] = question["answer"]
    elif kind == "matching":
        choices = {c["id"]: c["text"] for c in question["choices"]}
        q["pairs"] = [(i["id"], i["text"], choices[i["match"]]) for i in question["items"]]
        q["choices"] = sorted(sorted(t.items()) for t in choices.values())
    elif kind == "short":
        q["answers"] = question["answers"]
    else:
        q["rubric"] = question["rubric"]
    return q


def test_every_shipped_quiz_is_found():
    assert len(SHIPPED) == 15  # 11 module quizzes, a pre-test and a post-test per track
    assert set(shipped_quizzes()) == {str(p) for p in SHIPPED}


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: f"{p.parent.parent.name}/{p.parent.name}")
def test_round_trip_of_shipped_quizzes(path):
    quiz = shipped_quizzes()[str(path)]
    text = export_gift(quiz)
    questions, problems = parse_gift(text)
    assert problems == []
    assert [comparable(q) for q in questions] == [comparable(q) for q in quiz["questions"]]
    assert questions == quiz["questions"]  # even the choice ids and order come back


def test_round_trip_keeps_points_rubrics_feedback_ids_and_special_characters():
    questions, problems = parse_gift(export_gift(EDGE_QUIZ))
    assert problems == []
    assert questions == EDGE_QUIZ["questions"]


def test_export_is_moodle_gift():
    text = export_gift(EDGE_QUIZ)
    assert "::weights::[html]" in text
    assert (
        r'<span lang\="fr" class\="multilang">Lesquels ?</span><span lang\="ar" class\="multilang">أيها؟</span>' in text
    )
    assert "\t~%50%" in text and "\t~%-100%" in text  # weights scored as Tadrib does
    assert r'#<span lang\="fr" class\="multilang">\#1</span>' in text  # option feedback
    assert "\t####" in text  # general feedback
    assert r"Analysez \: \{a\} \= b \~ c \# d \\ e -&gt; f<br>Seconde ligne &amp; &lt;b&gt;" in text
    assert "\t=%100%a\\=b \\#1 %5%" in text  # short answers stay plain text for Moodle's grading
    assert '// tadrib: {"points": 2.5, "rubric": {"fr": "Acte\\nMoyen", "ar": "الفعل"}}' in text
