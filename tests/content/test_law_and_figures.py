"""Quoted law has one source of truth (courses/_law/), and every figure carries its source (a footnote)."""

from pathlib import Path

from lms.content.loader import check_courses, load_courses

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


# --- a treaty whose official text is pending (courses/_law/<instrument>/<ref>.<locale>.md with status: pending) ---

PROTOCOL = Path(__file__).parent / "protocol_courses"
PMODULE = "protocol_courses/demo/01-intro"


def _protocol_check():
    _courses, problems, warnings = check_courses(PROTOCOL)
    return sorted(str(p) for p in problems), sorted(str(w) for w in warnings)


def test_an_include_of_a_pending_snippet_is_a_warning_and_shows_as_an_unofficial_note():
    problems, warnings = _protocol_check()
    assert not any(p.startswith(f"{PMODULE}/ar.md:7:") for p in problems)
    assert warnings == [
        f"{PMODULE}/ar.md:7: law include 'palermo/3.d': _law/palermo/3.d.ar.md is pending its official text "
        "(shown as unofficial): paste the official text into it and remove 'status: pending'"
    ]
    courses, _problems, _warnings = check_courses(PROTOCOL)
    ar = courses[0].modules[0].texts["ar"].body
    assert '!!! note "بروتوكول باليرمو، المادة 3، الفقرة الفرعية (د) (نص غير رسمي)"' in ar
    assert "    *ترجمة غير رسمية*" in ar and "    *ليس هذا النص الرسمي.*" in ar
    # the official French snippet is still a law block, with no warning
    fr = courses[0].modules[0].texts["fr"].body
    assert fr.lstrip().startswith('!!! law "Protocole de Palerme, article 3 d)"') and "texte non officiel" not in fr


def test_a_hand_written_quotation_of_a_pending_text_fails_even_word_for_word():
    problems, _warnings = _protocol_check()
    assert (
        f"{PMODULE}/ar.md:9: law quotation of a text whose official wording is pending in _law/ (palermo/3.d): "
        "quote it with {{< law palermo/3.d >}}, which shows it as unofficial"
    ) in problems


def test_a_hand_written_protocol_quotation_must_match_the_official_snippet():
    problems, _warnings = _protocol_check()
    assert not any(p.startswith(f"{PMODULE}/fr.md:9:") for p in problems)  # word for word: passes
    assert (
        f"{PMODULE}/fr.md:12: law quotation differs from the official text in _law/ (palermo/3.d): "
        "quote it with {{< law palermo/3.d >}}"
    ) in problems


def test_a_pending_snippet_needs_the_instruments_label_and_notice_and_status_is_checked():
    problems, _warnings = _protocol_check()
    assert (
        "protocol_courses/_law/nolabel/instrument.yaml:1: a pending snippet (1.fr.md) needs the instrument's "
        "'pending' label and notice in 'fr'"
    ) in problems
    assert (
        "protocol_courses/_law/nolabel/2.fr.md:2: a law snippet's 'status' is 'official' (the default) or 'pending'"
    ) in problems


def test_the_check_command_prints_warnings_and_passes_on_warnings_alone(app, tmp_path):
    import shutil

    root = tmp_path / "courses"
    shutil.copytree(PROTOCOL, root)
    shutil.rmtree(root / "_law" / "nolabel")
    for locale in ("ar", "fr"):  # keep only the includes
        path = root / "demo" / "01-intro" / f"{locale}.md"
        path.write_text(path.read_text(encoding="utf-8").split("!!! law")[0], encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["courses", "check", str(root)])
    assert result.exit_code == 0, result.output
    assert "demo/01-intro/ar.md:7: warning: law include 'palermo/3.d'" in result.output


def test_every_shipped_protocol_quotation_comes_from_a_snippet():
    """No module quotes the Palermo Protocol by hand; the Arabic passages are all shown as unofficial."""
    courses, problems, warnings = check_courses(ROOT / "courses")
    assert problems == []
    texts = [text for course in courses for module in course.modules for text in module.texts.values()]
    assert not any(
        line.startswith("!!! law") and ("Palerme" in line or "Palermo" in line or "باليرمو" in line)
        for text in texts
        for line in text.source.split("\n")
    )
    assert sum("{{< law palermo/" in text.source for text in texts if text.locale == "ar") >= 6
    arabic = "\n".join(text.body for text in texts if text.locale == "ar")
    assert '!!! law "بروتوكول باليرمو' not in arabic
    assert "(نص غير رسمي، في انتظار النص العربي الرسمي للأمم المتحدة)" in arabic
    assert any("_law/palermo/3.a.ar.md is pending" in str(w) for w in warnings)
