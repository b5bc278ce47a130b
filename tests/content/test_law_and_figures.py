"""Quoted law has one source of truth (courses/_law/), and every figure carries its source (a footnote)."""

from pathlib import Path

from lms.content.loader import load_courses

ROOT = Path(__file__).resolve().parents[2]
LAW = Path(__file__).parent / "law_courses"
MODULE = "law_courses/demo/01-intro"


def _problems():
    _courses, problems = load_courses(LAW)
    return sorted(str(p) for p in problems)


def test_an_arabic_quotation_that_differs_from_the_snippet_fails_the_check():
    problems = _problems()
    # line 7: one word (الهشاشة) dropped from art. 448-1 al. 1; line 13, the same block word for word, passes
    assert any(p.startswith(f"{MODULE}/ar.md:7: law quotation differs from the official text") for p in problems)
    assert "{{< law 27-14/448-1.1 >}}" in next(p for p in problems if p.startswith(f"{MODULE}/ar.md:7:"))
    assert not any(p.startswith(f"{MODULE}/ar.md:13:") for p in problems)


def test_an_include_of_an_unknown_snippet_fails_the_check():
    assert (
        f"{MODULE}/fr.md:9: law include '27-14/448-2': no _law/27-14/448-2.fr.md (no such snippet in any language)"
        in (_problems())
    )


def test_figures_without_a_footnote_fail_the_check_and_article_numbers_do_not():
    figures = [p for p in _problems() if "has no source" in p]
    assert figures == sorted(
        [
            f"{MODULE}/ar.md:23: figure '441 ضحية' has no source: add a footnote [^…] to it",
            f"{MODULE}/fr.md:13: figure '441 victimes' has no source: add a footnote [^…] to it",
            f"{MODULE}/fr.md:17: figure '173 États' has no source: add a footnote [^…] to it",
            f"{MODULE}/fr.md:21: figure '39 enquêtes' has no source: add a footnote [^…] to it",
        ]
    )


def test_the_include_expands_to_the_snippet_text_and_its_source():
    courses, _problems_ = load_courses(LAW)
    module = courses[0].modules[0]
    snippet = (LAW / "_law/27-14/448-1.1.fr.md").read_text(encoding="utf-8").split("---\n", 2)[2].strip()
    fr = module.texts["fr"]
    assert '!!! law "Code pénal, art. 448-1, al. 1"' in fr.body
    assert "    " + snippet in fr.body
    assert "SHERLOC" in fr.body  # the source line
    assert "{{< law" in fr.source and "{{< law 27-14/448-1.1" not in fr.body
    ar = module.texts["ar"]
    assert '!!! law "مجموعة القانون الجنائي، الفصل 1-448، الفقرة الأولى (القانون رقم 27.14)"' in ar.body


def test_every_shipped_arabic_law_quotation_of_27_14_comes_from_a_snippet():
    """No shipped module quotes art. 448-1 in Arabic by hand: the check passes and the snippet is used."""
    courses, problems = load_courses(ROOT / "courses")
    assert problems == []
    uses = [
        text.source
        for course in courses
        for module in course.modules
        for locale, text in module.texts.items()
        if locale == "ar" and "{{< law 27-14/448-1.1" in text.source
    ]
    assert len(uses) >= 3
