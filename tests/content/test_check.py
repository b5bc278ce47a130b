"""``flask courses check``: the shipped courses are clean; the broken corpus reports every planted error."""

import re
from pathlib import Path

from lms.content.loader import load_courses

ROOT = Path(__file__).resolve().parents[2]
BROKEN = Path(__file__).parent / "broken_courses"


def test_shipped_courses_are_valid(runner):
    result = runner.invoke(args=["courses", "check", str(ROOT / "courses")])
    assert result.exit_code == 0, result.output
    # nothing but the warnings of texts pending their official wording (the Protocol's Arabic text, see _law/)
    for line in result.output.splitlines():
        assert re.match(
            r"^courses/[^:]+:\d+: warning: law include '[^']+': _law/\S+ is pending its official text", line
        )


def test_broken_corpus_reports_every_problem_with_path_and_line(runner):
    result = runner.invoke(args=["courses", "check", str(BROKEN)])
    assert result.exit_code == 1
    expected = (Path(__file__).parent / "broken_courses.expected").read_text(encoding="utf-8").splitlines()
    assert sorted(result.output.splitlines()) == sorted(expected)
    for line in result.output.splitlines():
        assert re.match(r"^broken_courses/[^:]+:\d+: .+", line), line


def test_planted_errors_are_all_found():
    _courses, problems = load_courses(BROKEN)
    text = "\n".join(str(p) for p in problems)
    for fragment in [
        "bad-yaml/course.yaml:5: invalid YAML",
        "no-arabic/course.yaml:1: 'title' is missing the 'ar' text",
        "no-arabic/01-intro/ar.md:1: the module has no ar.md",
        "no-arabic/01-intro/fr.md:7: unsafe HTML: <script>",
        "no-arabic/01-intro/fr.md:9: unsafe HTML: event-handler",
        "no-arabic/01-intro/fr.md:11: unsafe link: javascript:",
        "duplicate module slug 'intro'",
        "quiz.yaml:12: duplicate question id 'q1'",
        "quiz.yaml:25: question 'q3': item 'i2' matches 'purpose', which is not a choice id",
        "quiz.yaml:9: question 'q1': a single-choice question needs exactly one correct option",
        "links/01-one/fr.md:9: broken link: module '03-three' does not exist",
        "links/01-one/fr.md:9: broken link: '02-two' has no heading with anchor '#inexistant'",
        "Bad_Slug:1: course folder 'Bad_Slug' must be a slug",
    ]:
        assert fragment in text, fragment


def test_check_does_not_touch_the_database(app, runner, db):
    from sqlalchemy import func, select

    from lms.content.models import Course

    runner.invoke(args=["courses", "check", str(ROOT / "courses")])
    assert db.session.scalar(select(func.count(Course.id))) == 0


def test_missing_folder(runner):
    result = runner.invoke(args=["courses", "check", "/nonexistent/courses"])
    assert result.exit_code == 1 and "no such folder" in result.output


def test_a_course_cannot_be_named_like_a_page_under_courses(tmp_path):
    for name in ("home", "admin"):
        (tmp_path / name).mkdir()
    courses, problems = load_courses(tmp_path)
    assert courses == []
    assert sorted(str(p) for p in problems) == [
        f"{tmp_path.name}/admin:1: course folder 'admin' is a reserved name (a page of its own)",
        f"{tmp_path.name}/home:1: course folder 'home' is a reserved name (a page of its own)",
    ]
