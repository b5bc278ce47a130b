"""``courses check`` on the library (courses/_library/) and on references to it: every problem as path:line."""

import pytest

from lms.content.loader import check_courses, load_tree
from tests.library.tree import make_tree, write


@pytest.fixture
def tree(tmp_path):
    return make_tree(tmp_path)


def _problems(tree):
    _courses, problems, _warnings = check_courses(tree)
    return [str(p) for p in problems]


def _replace(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_the_small_tree_is_valid(tree):
    loaded = load_tree(tree)
    assert loaded.problems == []
    assert [i.slug for i in loaded.library.instruments] == ["palermo-protocol", "law-27-14", "circular-2019-traite"]
    module = loaded.courses[0].modules[0]
    assert module.references == {"law-27-14/448-1", "palermo-protocol/3"}
    assert module.question_references == {"q1": {"law-27-14/448-2"}}


def test_unknown_reference_in_a_module_is_reported_at_its_line(tree):
    path = tree / "demo" / "01-intro" / "fr.md"
    _replace(path, "Le `greffe`", "Voir [[law-27-14/448-99]] et [[no-such-law/1|texte]].\n\nLe `greffe`")
    lines = path.read_text(encoding="utf-8").split("\n")
    line = next(n for n, text in enumerate(lines, 1) if "448-99" in text)
    problems = _problems(tree)
    assert (
        f"courses/demo/01-intro/fr.md:{line}: unknown library reference 'law-27-14/448-99': 'law-27-14' has no article '448-99'"
        in problems
    )
    assert any(
        p.startswith(f"courses/demo/01-intro/fr.md:{line}: ") and "no instrument 'no-such-law'" in p for p in problems
    )


def test_unknown_reference_in_a_quiz_is_reported_at_its_line(tree):
    _replace(tree / "demo" / "01-intro" / "quiz.yaml", "448-2", "448-3")
    assert (
        "courses/demo/01-intro/quiz.yaml:5: unknown library reference 'law-27-14/448-3': 'law-27-14' has no article '448-3'"
        in _problems(tree)
    )


def test_glossary_term_missing_a_language(tree):
    path = tree / "_library" / "glossary" / "registry.yaml"
    _replace(path, ', en: "court registry"', "")
    assert "courses/_library/glossary/registry.yaml:1: 'term' is missing the 'en' text" in _problems(tree)
    _replace(path, 'ar: "مصلحة المحكمة التي تمسك الملفات.", ', "")
    assert "courses/_library/glossary/registry.yaml:2: 'definition' is missing the 'ar' text" in _problems(tree)


def test_case_must_be_fictional_and_use_the_vocabularies(tree):
    path = tree / "_library" / "cases" / "salma.yaml"
    _replace(path, "fictional: true", "fictional: yes please")
    _replace(path, "means: [deception]", "means: [deception, bribery]")
    _replace(path, "victim: child", "victim: minor")
    _replace(path, "articles: [law-27-14/448-1]", "articles: [law-27-14/448-1, law-27-14/999]")
    problems = _problems(tree)
    assert (
        "courses/_library/cases/salma.yaml:1: 'fictional: true' is required: every case of the library is fictional"
        in problems
    )
    assert any(
        p.startswith("courses/_library/cases/salma.yaml:6: 'tags.means': unknown value 'bribery'") for p in problems
    )
    assert "courses/_library/cases/salma.yaml:9: 'tags.victim' must be child | adult" in problems


def test_case_article_tag_must_exist(tree):
    path = tree / "_library" / "cases" / "salma.yaml"
    _replace(path, "articles: [law-27-14/448-1]", "articles:\n    - law-27-14/448-1\n    - law-27-14/999")
    assert (
        "courses/_library/cases/salma.yaml:12: unknown library reference 'law-27-14/999': 'law-27-14' has no article '999'"
        in _problems(tree)
    )


def test_missing_languages_unknown_keys_bad_yaml_slugs_and_positions(tree):
    lib = tree / "_library" / "instruments" / "law-27-14"
    _replace(lib / "448-2.yaml", 'ar: "يعاقب بالسجن من خمس إلى عشر سنوات."', "")
    _replace(lib / "448-2.yaml", "position: 2", "position: 1\ncomment: hello")
    write(lib / "Bad_Name.yaml", "number: {fr: x, ar: y}\n")
    write(lib / "448-3.yaml", "number: {fr: x\n")
    _replace(lib / "instrument.yaml", "kind: law", "kind: statute")
    problems = _problems(tree)
    base = "courses/_library/instruments/law-27-14/"
    assert f"{base}448-2.yaml:4: 'text' is missing the 'ar' text" in problems
    assert f"{base}448-2.yaml:2: duplicate article position 1 (also 448-1.yaml)" in problems
    assert any(p.startswith(f"{base}448-2.yaml:3: unknown key 'comment'") for p in problems)
    assert any(p.startswith(f"{base}Bad_Name.yaml:1: ") and "slug" in p for p in problems)
    assert any(p.startswith(f"{base}448-3.yaml:") and "invalid YAML" in p for p in problems)
    assert f"{base}instrument.yaml:1: 'kind' must be treaty | law | decree | circular" in problems


def test_glossary_source_must_be_a_known_article(tree):
    _replace(tree / "_library" / "glossary" / "vulnerability.yaml", "source: law-27-14/448-1", "source: law-27-14/1")
    assert (
        "courses/_library/glossary/vulnerability.yaml:4: unknown library reference 'law-27-14/1': 'law-27-14' has no article '1'"
        in _problems(tree)
    )


def test_reserved_instrument_names_and_from_module(tree):
    write(tree / "_library" / "instruments" / "cases" / "instrument.yaml", "kind: law\n")
    _replace(tree / "_library" / "cases" / "salma.yaml", "demo/01-intro", "demo/09-nothing")
    problems = _problems(tree)
    assert any("'cases' is a reserved name" in p for p in problems)
    # where a case first appeared is information: a module gone since is a warning, not a problem
    assert not any("'from_module'" in p for p in problems)
    _courses, _problems_, warnings = check_courses(tree)
    assert any(str(w).startswith("courses/_library/cases/salma.yaml:1: 'from_module'") for w in warnings)


def test_courses_check_prints_library_problems(runner, tree):
    _replace(tree / "demo" / "01-intro" / "ar.md", "[[law-27-14/448-1]]", "[[law-27-14/448-9]]")
    result = runner.invoke(args=["courses", "check", str(tree)])
    assert result.exit_code == 1
    assert "courses/demo/01-intro/ar.md:7: unknown library reference 'law-27-14/448-9'" in result.output


def test_the_shipped_courses_still_check(app):
    _courses, problems, _warnings = check_courses(app.config["COURSES_PATH"])
    assert problems == []
