"""``flask quizzes import-gift|import-aiken|export-gift`` (lms/quizzes/cli.py): an import that would break the course
writes nothing; languages, ids and the module's place are kept."""

import shutil
from pathlib import Path

import pytest
import yaml

from lms.config import PROJECT_ROOT
from lms.content.loader import load_courses
from lms.quizzes.cli import cli
from lms.quizzes.gift import export_gift, parse_gift, read_gift
from tests.factories import EDGE_QUIZ, shipped_quizzes

SAMPLE = Path(__file__).parent / "data" / "sample.gift"
FRENCH_ONLY = Path(__file__).parent / "data" / "french-only.gift"
COURSES = PROJECT_ROOT / "courses"


# --- command line ----------------------------------------------------------------------------


@pytest.fixture
def courses_copy(app, tmp_path):
    root = tmp_path / "courses"
    shutil.copytree(COURSES, root)
    app.config["COURSES_PATH"] = str(root)
    return root


def quiz_data(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def courses_check(runner):
    return runner.invoke(args=["courses", "check"])


def test_cli_import_that_would_break_the_course_writes_nothing(runner, courses_copy):
    """The sample: French only, an essay without rubric, a question without explanation. Before, 8 questions
    were written and `flask courses check` (so `flask courses sync`, `make run`) failed on 35 problems."""
    module = courses_copy / "palermo-magistrates" / "02-definition"
    before = {p.name: p.read_bytes() for p in module.iterdir()}
    for options in ([], ["--allow-untranslated"]):
        args = ["import-gift", str(SAMPLE), "--course", "palermo-magistrates", "--module", "definition", *options]
        result = runner.invoke(cli, args)
        assert result.exit_code == 1, result.output
        assert "Nothing imported" in result.output
        assert f"{SAMPLE}:52: question 'annee-d-adoption': 'explanation' is required" in result.output
        assert "add a general feedback (####...)" in result.output
        assert f"{SAMPLE}:49: question 'analyse-de-cas': 'rubric' is required" in result.output
        assert {p.name: p.read_bytes() for p in module.iterdir()} == before  # no temporary file left either
        assert courses_check(runner).exit_code == 0
    assert f"{SAMPLE}:7: question 'elements-constitutifs' has no 'ar' text for: prompt, explanation" in result.output


def test_cli_french_only_file_is_refused_unless_untranslated_texts_are_allowed(runner, courses_copy):
    quiz = courses_copy / "palermo-magistrates" / "02-definition" / "quiz.yaml"
    before = quiz.read_text(encoding="utf-8")
    args = ["import-gift", str(FRENCH_ONLY), "--course", "palermo-magistrates", "--module", "definition"]
    refused = runner.invoke(cli, args)
    assert refused.exit_code == 1, refused.output
    assert quiz.read_text(encoding="utf-8") == before
    assert (
        f"{FRENCH_ONLY}:10: question 'Moyens' has no 'ar' text for: prompt, explanation, option 'a'" in refused.output
    )
    assert f"{FRENCH_ONLY}:24: question 'q4' has no 'fr' text for: prompt, explanation, answers" in refused.output
    assert "21 text(s)" in refused.output and "--allow-untranslated" in refused.output
    # the dropped weights are said, at their lines
    assert f"{FRENCH_ONLY}:13: warning: the weight -100% of a wrong answer is not kept" in refused.output
    assert f"{FRENCH_ONLY}:20: warning: the answer '21' has a weight of 0%" in refused.output

    allowed = runner.invoke(cli, [*args, "--allow-untranslated"])
    assert allowed.exit_code == 0, allowed.output
    assert "5 questions added" in allowed.output and "21 text(s) had no translation" in allowed.output
    assert courses_check(runner).exit_code == 0
    text = quiz.read_text(encoding="utf-8")
    assert text.startswith(before.rstrip())  # the hand-written part is untouched
    assert 'ar: "En dessous de quel âge est-on un enfant ?"  # untranslated: copied from fr' in text
    data = quiz_data(quiz)
    arabic = data["questions"][-2]
    assert arabic["prompt"] == {
        "ar": "ما هو السن الذي يعتبر فيه الشخص طفلا؟",
        "fr": "ما هو السن الذي يعتبر فيه الشخص طفلا؟",
    }
    assert arabic["answers"] == {"ar": ["18"], "fr": ["18"]}
    assert data["questions"][-5]["options"][1] == {
        "id": "b",
        "correct": True,
        "text": {"fr": "Trois", "ar": "Trois"},
        "feedback": {"fr": "Exact.", "ar": "Exact."},
    }


def test_cli_lang_option_files_plain_latin_text(runner, courses_copy, tmp_path):
    gift = tmp_path / "en.gift"
    gift.write_text(
        "::law::[html]<span lang='fr' class='multilang'>Loi ?</span><span lang='ar' class='multilang'>القانون؟</span>"
        "{=27-14 ~103-13 ####<span lang='ar' class='multilang'>القانون 27.14</span>Law 27-14}\n",
        encoding="utf-8",
    )
    read = read_gift(gift.read_text(encoding="utf-8"), "en")
    assert read.questions[0]["options"][0]["text"] == {"fr": "27-14", "ar": "27-14"}
    args = ["import-gift", str(gift), "--course", "palermo-magistrates", "--module", "definition", "--lang", "en"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 1  # the explanation has ar and (by --lang) en, but no French
    assert "question 'law' has no 'fr' text for: explanation" in result.output


def test_cli_import_of_a_bilingual_file_is_valid(runner, courses_copy, tmp_path):
    source = shipped_quizzes()[str(COURSES / "palermo-magistrates" / "01-palermo-protocol" / "quiz.yaml")]
    gift = tmp_path / "export.gift"
    gift.write_text(export_gift(source), encoding="utf-8")
    result = runner.invoke(
        cli, ["import-gift", str(gift), "--course", "victim-identification", "--module", "indicators", "--replace"]
    )
    assert result.exit_code == 0, result.output
    assert "The quiz is valid" in result.output
    courses, problems = load_courses(courses_copy)
    assert problems == []
    module = next(m for c in courses for m in c.modules if m.folder == "02-indicators")
    assert module.quiz["questions"] == source["questions"]
    assert module.quiz["title"]["fr"].startswith("Quiz")  # the quiz's own settings are kept


def test_cli_import_creates_a_missing_quiz(runner, courses_copy, tmp_path):
    quiz = courses_copy / "victim-identification" / "05-referral-care" / "quiz.yaml"
    quiz.unlink()
    gift = tmp_path / "one.gift"
    gift.write_text(export_gift({"questions": EDGE_QUIZ["questions"][1:2]}), encoding="utf-8")
    result = runner.invoke(
        cli, ["import-gift", str(gift), "--course", "victim-identification", "--module", "referral-care"]
    )
    assert result.exit_code == 0, result.output
    data = quiz_data(quiz)
    assert data["title"]["fr"].startswith("Quiz : ") and data["title"]["ar"].startswith("اختبار: ")
    assert data["pass_mark"] == 70 and data["review"] == "explanations"
    assert [q["id"] for q in data["questions"]] == ["weights"]


def test_cli_import_rewrites_a_quiz_whose_questions_are_not_last(runner, courses_copy, tmp_path):
    quiz = courses_copy / "palermo-magistrates" / "04-legal-framework" / "quiz.yaml"
    data = quiz_data(quiz)
    reordered = {"questions": data.pop("questions"), **data}
    quiz.write_text(yaml.safe_dump(reordered, allow_unicode=True, sort_keys=False), encoding="utf-8")
    gift = tmp_path / "one.gift"
    gift.write_text(export_gift({"questions": EDGE_QUIZ["questions"][3:]}), encoding="utf-8")
    args = ["import-gift", str(gift), "--course", "palermo-magistrates", "--module", "legal-framework"]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    after = quiz_data(quiz)
    assert after["questions"] == reordered["questions"] + [after["questions"][-1]]
    assert after["questions"][-1]["answers"] == EDGE_QUIZ["questions"][3]["answers"]
    assert {k: v for k, v in after.items() if k != "questions"} == data


def test_cli_bad_file_writes_nothing(runner, courses_copy, tmp_path):
    quiz = courses_copy / "palermo-magistrates" / "02-definition" / "quiz.yaml"
    before = quiz.read_bytes()
    bad = tmp_path / "bad.gift"
    bad.write_text("::ok::Vrai ?{T}\n\n// numérique\n::n::En quelle année ?{#2000}\n", encoding="utf-8")
    result = runner.invoke(cli, ["import-gift", str(bad), "--course", "palermo-magistrates", "--module", "definition"])
    assert result.exit_code == 1
    assert f"{bad}:4: unsupported question type: numeric" in result.output
    assert quiz.read_bytes() == before


def test_cli_refuses_duplicate_ids(runner, courses_copy, tmp_path):
    quiz = courses_copy / "palermo-magistrates" / "01-palermo-protocol" / "quiz.yaml"
    before = quiz.read_bytes()
    gift = tmp_path / "dup.gift"
    gift.write_text("::adoption::Déjà là ?{T}\n", encoding="utf-8")
    result = runner.invoke(
        cli, ["import-gift", str(gift), "--course", "palermo-magistrates", "--module", "palermo-protocol"]
    )
    assert result.exit_code == 1
    assert f"{gift}:1: question id 'adoption' is already in" in result.output
    assert quiz.read_bytes() == before


def test_cli_import_aiken(runner, courses_copy, tmp_path):
    quiz = courses_copy / "palermo-magistrates" / "03-forms" / "quiz.yaml"
    before = quiz.read_bytes()
    aiken = tmp_path / "quiz.txt"
    aiken.write_text("Quelle loi ?\nA. 103-13\nB. 27-14\nANSWER: B\n", encoding="utf-8")
    args = ["import-gift", str(aiken), "--aiken", "--course", "palermo-magistrates", "--module", "forms"]
    result = runner.invoke(cli, [*args, "--allow-untranslated"])
    assert result.exit_code == 1  # Aiken has no explanation: the course would be invalid, nothing is written
    assert f"{aiken}:1: question 'q1': 'explanation' is required" in result.output
    assert quiz.read_bytes() == before


def test_cli_unknown_module(runner, courses_copy):
    result = runner.invoke(cli, ["import-gift", str(SAMPLE), "--course", "palermo-magistrates", "--module", "nope"])
    assert result.exit_code == 1
    assert "has no module 'nope'" in result.output


def test_cli_export(runner, courses_copy, tmp_path):
    result = runner.invoke(cli, ["export-gift", "--course", "palermo-magistrates", "--module", "definition"])
    assert result.exit_code == 0, result.output
    quiz = shipped_quizzes()[str(COURSES / "palermo-magistrates" / "02-definition" / "quiz.yaml")]
    assert parse_gift(result.output)[0] == quiz["questions"]
    target = tmp_path / "out.gift"
    result = runner.invoke(
        cli, ["export-gift", "--course", "palermo-magistrates", "--module", "definition", "-o", str(target)]
    )
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8") == export_gift(quiz)
