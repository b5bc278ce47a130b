"""The README and each course's summary say what courses/ ships (#17 item 8: "6 modules" where the app counts 8)."""

import re
from pathlib import Path

from lms.content.loader import load_courses

ROOT = Path(__file__).resolve().parents[2]
NUMBERS = {
    "fr": {5: "Cinq", 6: "Six", 7: "Sept", 8: "Huit", 9: "Neuf"},
    "en": {5: "Five", 6: "Six", 7: "Seven", 8: "Eight", 9: "Nine"},
    "ar": {5: "خمس", 6: "ست", 7: "سبع", 8: "ثماني", 9: "تسع"},
}


def _shipped():
    courses, problems = load_courses(ROOT / "courses")
    assert problems == []
    return {course.slug: course for course in courses}


def _roles(course):
    return [(module.quiz or {}).get("settings", {}).get("role") for module in course.modules]


def test_the_readme_gives_each_track_its_hours_and_its_modules_as_shipped():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    flat = " ".join(readme.split())
    shipped = _shipped()
    for slug, course in shipped.items():
        match = re.search(
            rf"`{slug}` \((\d+) hours; (\d+) modules: a pre-test, (\d+) teaching modules[^,)]*, a post-test\)", flat
        )
        assert match, f"README does not describe {slug}"
        hours, modules, teaching = (int(g) for g in match.groups())
        assert hours == course.hours
        assert modules == len(course.modules)
        roles = _roles(course)
        assert roles[0] == "pretest" and roles[-1] == "posttest"
        assert teaching == len(course.modules) - 2


def test_each_course_summary_counts_the_modules_it_ships():
    for slug, course in _shipped().items():
        for locale, summary in course.summary.items():
            word = NUMBERS[locale][len(course.modules)]
            assert summary.startswith(word), f"{slug} ({locale}): {summary[:40]!r} should start with {word!r}"
