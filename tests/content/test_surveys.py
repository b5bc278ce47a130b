"""Surveys as content (issue #20): ``courses/<course>/surveys/<slug>.yaml`` validated with path:line problems,
synced into Survey/SurveyVersion and versioned like quizzes."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms.content.loader import SURVEY_KINDS, SurveySource, check_courses, load_courses
from lms.content.models import Survey, SurveyVersion, SyncRun

ROOT = Path(__file__).resolve().parents[2]

COURSE_YAML = """\
title: {fr: "Cours", ar: "دورة"}
summary: {fr: "Résumé", ar: "ملخص"}
audience: [social-worker]
hours: 2
"""
MODULE = """\
---
title: "{title}"
minutes: 10
objectives:
  - "{title}"
---

{title}
"""
SURVEY = """\
title: {fr: "Votre avis", ar: "رأيكم"}
role: session
sections:
- id: content
  title: {fr: "Le contenu", ar: "المضمون"}
  items:
  - id: useful
    kind: agree5
    text: {fr: "Utile.", ar: "مفيد."}
  - id: pace
    kind: single
    text: {fr: "Le rythme :", ar: "الإيقاع:"}
    options:
    - {id: slow, text: {fr: "lent", ar: "بطيء"}}
    - {id: fast, text: {fr: "rapide", ar: "سريع"}}
"""


def _course(root: Path, surveys: dict[str, str], slug: str = "demo") -> Path:
    """A one-module course under ``root`` with the given ``surveys/<name>`` files."""
    folder = root / slug
    module = folder / "01-intro"
    module.mkdir(parents=True)
    (folder / "course.yaml").write_text(COURSE_YAML, encoding="utf-8")
    (module / "fr.md").write_text(MODULE.format(title="Introduction"), encoding="utf-8")
    (module / "ar.md").write_text(MODULE.format(title="مقدمة"), encoding="utf-8")
    if surveys:
        (folder / "surveys").mkdir()
    for name, text in surveys.items():
        (folder / "surveys" / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def _problems(tmp_path, surveys) -> list[str]:
    """The problems found, in the order of the files and lines."""
    root = _course(tmp_path / "courses", surveys)
    _courses, problems = load_courses(root)
    return [str(p) for p in sorted(problems, key=lambda p: (p.path, p.line, p.message))]


# --- the shipped surveys -------------------------------------------------------------------------------------------


def _shipped():
    courses, problems, _warnings = check_courses(ROOT / "courses")
    assert problems == []
    return {course.slug: course for course in courses}


def test_each_track_ships_its_three_surveys_anonymous_in_french_and_arabic():
    shipped = _shipped()
    assert set(shipped) == {"palermo-magistrates", "victim-identification"}
    for course in shipped.values():
        by_role = {s.role: s for s in course.surveys}
        assert {role: s.slug for role, s in by_role.items()} == {
            "session": "workshop",
            "course_end": "end-of-course",
            "follow_up": "follow-up",
        }
        for survey in course.surveys:
            assert isinstance(survey, SurveySource) and len(survey.source_hash) == 64
            definition = survey.definition
            assert definition["named"] is False and definition["role"] == survey.role
            texts = [definition["title"], definition["intro"]]
            for section in definition["sections"]:
                texts.append(section["title"])
                for item in section["items"]:
                    assert item["kind"] in SURVEY_KINDS and isinstance(item["required"], bool)
                    texts.append(item["text"])
                    texts += [option["text"] for option in item.get("options", [])]
            for text in texts:
                assert set(text) == {"fr", "ar", "en"}, text


def test_the_shipped_surveys_ask_what_the_design_asks():
    for slug, course in _shipped().items():
        surveys = {s.role: s.definition for s in course.surveys}
        kinds = {role: [i["kind"] for sec in d["sections"] for i in sec["items"]] for role, d in surveys.items()}
        items = {role: {i["id"]: i for sec in d["sections"] for i in sec["items"]} for role, d in surveys.items()}
        # a workshop session: agreement items, the pace, a 0-10 recommendation, a free text
        assert "scale10" in kinds["session"] and "long_text" in kinds["session"]
        assert items["session"]["pace"]["kind"] == "single" and items["session"]["recommend"]["kind"] == "scale10"
        # the course: what was most useful, what to improve
        assert {"most-useful", "improve"} <= set(items["course_end"])
        # the follow-up: how often, what helped, what stood in the way, confidence, cases as ranges, a free text
        follow = items["follow_up"]
        assert follow["frequency"]["kind"] == "single"
        assert follow["helped"]["kind"] == "multiple" and follow["obstacles"]["kind"] == "multiple"
        assert {"workload", "interpreters", "no-referral-partner", "hierarchy", "shelter"} <= {
            o["id"] for o in follow["obstacles"]["options"]
        }, slug
        assert any(i.startswith("confidence-") and follow[i]["kind"] == "agree5" for i in follow)
        assert follow["cases-count"]["kind"] == "single"
        assert [o["id"] for o in follow["cases-count"]["options"]][0] == "none"
        assert "long_text" in kinds["follow_up"]
        # no short answer anywhere that could take a name or a case number; free texts say what not to write
        assert "short_text" not in kinds["follow_up"]
        for item in follow.values():
            if item["kind"] == "long_text" and item["id"] == "change":
                assert "numéro de dossier" in item["text"]["fr"] and "رقم ملف" in item["text"]["ar"]


def test_the_magistrates_and_the_social_workers_each_get_their_own_follow_up():
    shipped = _shipped()

    def follow_up(slug):
        return next(s.definition for s in shipped[slug].surveys if s.role == "follow_up")

    magistrates = str(follow_up("palermo-magistrates"))
    social = str(follow_up("victim-identification"))
    assert "448-1" in magistrates and "coopération internationale" in magistrates and "التعاون الدولي" in magistrates
    assert "juge des mineurs" in social and "قاضي الأحداث" in social and "indicateurs" in social
    assert magistrates != social


def test_the_surveys_folder_is_not_a_module_folder(tmp_path):
    root = _course(tmp_path / "courses", {"workshop.yaml": SURVEY})
    courses, problems = load_courses(root)
    assert problems == []
    (course,) = courses
    assert [m.folder for m in course.modules] == ["01-intro"]
    (survey,) = course.surveys
    assert (survey.slug, survey.role) == ("workshop", "session")


def test_the_definition_is_stored_in_the_shape_of_the_design(tmp_path):
    survey = """\
    title: {fr: "Votre avis", ar: "رأيكم", en: "Your view"}
    role: follow_up
    named: true
    sections:
    - id: all
      title: {fr: "Tout", ar: "الكل"}
      items:
      - {id: a, kind: agree5, text: {fr: "A", ar: "أ"}}
      - id: b
        kind: scale10
        text: {fr: "B", ar: "ب"}
        labels: {low: {fr: "bas", ar: "منخفض"}, high: {fr: "haut", ar: "مرتفع"}}
      - {id: c, kind: multiple, text: {fr: "C", ar: "ج"}, options: [{id: x, text: {fr: "X", ar: "س"}}, {id: y, text: {fr: "Y", ar: "ص"}}]}
      - {id: d, kind: short_text, text: {fr: "D", ar: "د"}}
      - {id: e, kind: long_text, required: true, max_length: 500, text: {fr: "E", ar: "هـ"}}
      - {id: f, kind: single, required: false, text: {fr: "F", ar: "ف"}, options: [{id: 1-2, text: {fr: "1 ou 2", ar: "1 أو 2"}}, {id: none, text: {fr: "Aucun", ar: "لا شيء"}}]}
    """
    root = _course(tmp_path / "courses", {"later.yaml": survey})
    courses, problems = load_courses(root)
    assert problems == []
    assert courses[0].surveys[0].definition == {
        "title": {"fr": "Votre avis", "ar": "رأيكم", "en": "Your view"},
        "intro": {},
        "role": "follow_up",
        "named": True,
        "sections": [
            {
                "id": "all",
                "title": {"fr": "Tout", "ar": "الكل"},
                "items": [
                    {"id": "a", "kind": "agree5", "text": {"fr": "A", "ar": "أ"}, "required": True},
                    {
                        "id": "b",
                        "kind": "scale10",
                        "text": {"fr": "B", "ar": "ب"},
                        "required": True,
                        "labels": {"low": {"fr": "bas", "ar": "منخفض"}, "high": {"fr": "haut", "ar": "مرتفع"}},
                    },
                    {
                        "id": "c",
                        "kind": "multiple",
                        "text": {"fr": "C", "ar": "ج"},
                        "required": False,
                        "options": [
                            {"id": "x", "text": {"fr": "X", "ar": "س"}},
                            {"id": "y", "text": {"fr": "Y", "ar": "ص"}},
                        ],
                    },
                    {
                        "id": "d",
                        "kind": "short_text",
                        "text": {"fr": "D", "ar": "د"},
                        "required": False,
                        "max_length": 300,
                    },
                    {
                        "id": "e",
                        "kind": "long_text",
                        "text": {"fr": "E", "ar": "هـ"},
                        "required": True,
                        "max_length": 500,
                    },
                    {
                        "id": "f",
                        "kind": "single",
                        "text": {"fr": "F", "ar": "ف"},
                        "required": False,
                        "options": [
                            {"id": "1-2", "text": {"fr": "1 ou 2", "ar": "1 أو 2"}},
                            {"id": "none", "text": {"fr": "Aucun", "ar": "لا شيء"}},
                        ],
                    },
                ],
            }
        ],
    }


# --- broken surveys: path:line: message ----------------------------------------------------------------------------

PREFIX = "courses/demo/surveys/"


def test_bad_yaml(tmp_path):
    broken = SURVEY.replace('text: {fr: "Utile.", ar: "مفيد."}', 'text: {fr: "Utile.", ar: "مفيد."')
    (problem,) = _problems(tmp_path, {"workshop.yaml": broken})
    assert problem.startswith(PREFIX + "workshop.yaml:10: invalid YAML: ")


def test_missing_arabic_text_names_the_item_the_key_and_the_language(tmp_path):
    broken = SURVEY.replace('text: {fr: "Utile.", ar: "مفيد."}', 'text: {fr: "Utile."}')
    broken = broken.replace('title: {fr: "Le contenu", ar: "المضمون"}', 'title: {ar: "المضمون"}')
    assert _problems(tmp_path, {"workshop.yaml": broken}) == [
        PREFIX + "workshop.yaml:5: section 'content': 'title' is missing the 'fr' text",
        PREFIX + "workshop.yaml:9: item 'useful': 'text' is missing the 'ar' text",
    ]


def test_missing_arabic_text_of_an_option_and_of_a_label(tmp_path):
    broken = SURVEY.replace('{id: fast, text: {fr: "rapide", ar: "سريع"}}', '{id: fast, text: {fr: "rapide"}}')
    broken += (
        "  - id: recommend\n"
        "    kind: scale10\n"
        '    text: {fr: "Recommanderiez-vous ?", ar: "هل توصون؟"}\n'
        "    labels:\n"
        '      low: {fr: "Non"}\n'
        '      high: {fr: "Oui", ar: "نعم"}\n'
    )
    assert _problems(tmp_path, {"workshop.yaml": broken}) == [
        PREFIX + "workshop.yaml:15: item 'pace': option 'fast': 'text' is missing the 'ar' text",
        PREFIX + "workshop.yaml:20: item 'recommend': 'labels.low' is missing the 'ar' text",
    ]


def test_unknown_kind(tmp_path):
    broken = SURVEY.replace("kind: agree5", "kind: likert")
    assert _problems(tmp_path, {"workshop.yaml": broken}) == [
        PREFIX + "workshop.yaml:8: item 'useful': 'kind' must be one of "
        "agree5, scale10, single, multiple, short_text, long_text"
    ]


def test_duplicate_ids(tmp_path):
    broken = SURVEY.replace("- id: pace", "- id: useful").replace("{id: fast,", "{id: slow,")
    broken += (
        "- id: content\n"
        '  title: {fr: "Encore", ar: "مرة أخرى"}\n'
        "  items:\n"
        '  - {id: other, kind: long_text, text: {fr: "Autre", ar: "آخر"}}\n'
    )
    assert _problems(tmp_path, {"workshop.yaml": broken}) == [
        PREFIX
        + "workshop.yaml:10: duplicate item id 'useful' (first at line 7): item ids are unique in the whole survey",
        PREFIX + "workshop.yaml:15: item 'useful': duplicate option id 'slow' (first at line 14)",
        PREFIX + "workshop.yaml:16: duplicate section id 'content' (first at line 4)",
    ]


def test_two_surveys_with_the_same_role(tmp_path):
    assert _problems(tmp_path, {"a-first.yaml": SURVEY, "b-second.yaml": SURVEY}) == [
        PREFIX + "b-second.yaml:2: the course already has a 'session' survey (a-first.yaml): one per role"
    ]


def test_the_rest_of_the_format_is_checked(tmp_path):
    broken = """\
    title: {fr: "Avis", ar: "رأي", de: "Meinung"}
    role: weekly
    named: "no"
    colour: blue
    sections:
    - id: Content
      title: {fr: "Contenu", ar: "مضمون"}
      items: []
    - id: main
      title: {fr: "Principal", ar: "رئيسي"}
      items:
      - {id: _plan, kind: agree5, text: {fr: "P", ar: "ب"}}
      - {id: a, kind: agree5, required: "yes", text: {fr: "A", ar: "أ"}}
      - {id: b, kind: single, text: {fr: "B", ar: "ب"}, options: [{id: only, text: {fr: "Seule", ar: "وحيد"}}]}
      - {id: c, kind: long_text, max_length: 5000, text: {fr: "C", ar: "ج"}}
      - {id: d, kind: agree5, labels: [{fr: "1", ar: "1"}], text: {fr: "D", ar: "د"}}
      - {id: e, kind: short_text, options: [], choices: [], text: {fr: "E", ar: "هـ"}}
      - {id: f, kind: multiple, text: {fr: "F", ar: "ف"}}
    """
    assert _problems(tmp_path, {"survey.yaml": broken}) == [
        PREFIX + "survey.yaml:1: 'title': unknown locale 'de' (use fr, ar, en)",
        PREFIX + "survey.yaml:2: 'role' must be session | course_end | follow_up",
        PREFIX + "survey.yaml:3: 'named' must be true or false",
        PREFIX + "survey.yaml:4: unknown key 'colour' (use title, intro, role, named, sections)",
        PREFIX + "survey.yaml:6: each section needs an 'id' (a slug: a-z, 0-9, -; at most 64)",
        PREFIX + "survey.yaml:12: item id '_plan': ids starting with '_' are reserved",
        PREFIX + "survey.yaml:13: item 'a': 'required' must be true or false",
        PREFIX + "survey.yaml:14: item 'b': give 2 to 12 options (has 1)",
        PREFIX + "survey.yaml:15: item 'c': 'max_length' must be a whole number from 1 to 3000",
        PREFIX + "survey.yaml:16: item 'd': 'labels' of an agree5 item must list 5 texts {fr, ar}, "
        "from strongly disagree to strongly agree",
        PREFIX + "survey.yaml:17: item 'e': 'options' is only for single and multiple items",
        PREFIX + "survey.yaml:17: item 'e': unknown key 'choices' "
        "(use id, kind, text, required, labels, options, max_length)",
        PREFIX + "survey.yaml:18: item 'f': 'options' must list 2 to 12 options",
    ]


def test_survey_file_names(tmp_path):
    problems = _problems(tmp_path, {"Workshop.yaml": SURVEY, "notes.txt": "x", "end.yml": SURVEY})
    assert problems == [
        PREFIX + "Workshop.yaml:1: survey file 'Workshop.yaml' must be named <slug>.yaml (a-z, 0-9, -)",
        PREFIX + "end.yml:1: unexpected file 'end.yml' in the surveys folder (surveys are <slug>.yaml)",
        PREFIX + "notes.txt:1: unexpected file 'notes.txt' in the surveys folder (surveys are <slug>.yaml)",
    ]


def test_courses_check_prints_survey_problems(runner, tmp_path):
    root = _course(tmp_path / "courses", {"workshop.yaml": SURVEY.replace("role: session", "role: daily")})
    result = runner.invoke(args=["courses", "check", str(root)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "courses/demo/surveys/workshop.yaml:2: 'role' must be session | course_end | follow_up"
    ]


# --- sync ------------------------------------------------------------------------------------------------------


@pytest.fixture
def tree(tmp_path):
    return _course(tmp_path / "courses", {"workshop.yaml": SURVEY, "end.yaml": SURVEY.replace("session", "course_end")})


def _sync(runner, tree):
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert result.exit_code == 0, result.output
    return result.output


def _versions(db, slug):
    return db.session.scalars(
        select(SurveyVersion).join(Survey).where(Survey.slug == slug).order_by(SurveyVersion.version)
    ).all()


def test_sync_creates_the_surveys_then_changes_nothing(runner, db, tree):
    assert "2 surveys created" in _sync(runner, tree)
    surveys = {s.slug: s for s in db.session.scalars(select(Survey))}
    assert {slug: (s.role, s.is_archived) for slug, s in surveys.items()} == {
        "workshop": ("session", False),
        "end": ("course_end", False),
    }
    (version,) = _versions(db, "workshop")
    assert version.version == 1 and version.is_current
    assert version.definition["sections"][0]["items"][1]["options"][0] == {
        "id": "slow",
        "text": {"fr": "lent", "ar": "بطيء"},
    }
    runs = db.session.scalar(select(func.count(SyncRun.id)))
    assert "no change" in _sync(runner, tree)
    assert db.session.scalar(select(func.count(SyncRun.id))) == runs
    assert db.session.scalar(select(func.count(SurveyVersion.id))) == 2


def test_a_changed_survey_gets_a_new_version_the_old_one_kept(runner, db, tree):
    _sync(runner, tree)
    path = tree / "demo" / "surveys" / "workshop.yaml"
    original = path.read_text(encoding="utf-8")
    path.write_text(original.replace('"Utile."', '"Très utile."'), encoding="utf-8")
    output = _sync(runner, tree)
    assert "1 surveys updated" in output and "created" not in output
    db.session.expire_all()
    old, new = _versions(db, "workshop")
    assert (old.version, old.is_current, old.definition["sections"][0]["items"][0]["text"]["fr"]) == (
        1,
        False,
        "Utile.",
    )
    assert (new.version, new.is_current, new.definition["sections"][0]["items"][0]["text"]["fr"]) == (
        2,
        True,
        "Très utile.",
    )
    assert len(_versions(db, "end")) == 1
    # back to the first wording: version 1 is current again, no third row
    path.write_text(original, encoding="utf-8")
    assert "1 surveys updated" in _sync(runner, tree)
    db.session.expire_all()
    assert [(v.version, v.is_current) for v in _versions(db, "workshop")] == [(1, True), (2, False)]


def test_a_removed_survey_is_archived_never_deleted_and_comes_back(runner, db, tree):
    _sync(runner, tree)
    path = tree / "demo" / "surveys" / "end.yaml"
    text = path.read_text(encoding="utf-8")
    path.unlink()
    assert "1 surveys archived" in _sync(runner, tree)
    db.session.expire_all()
    survey = db.session.scalar(select(Survey).where(Survey.slug == "end"))
    assert survey.is_archived
    assert [v.is_current for v in _versions(db, "end")] == [True]  # a round still open can be answered
    assert "no change" in _sync(runner, tree)
    path.write_text(text, encoding="utf-8")
    output = _sync(runner, tree)
    assert "1 surveys restored" in output and "updated" not in output
    db.session.expire_all()
    assert not db.session.get(Survey, survey.id).is_archived
    assert len(_versions(db, "end")) == 1


def test_a_course_removed_from_courses_archives_its_surveys(runner, db, tree):
    _sync(runner, tree)
    _course(tree, {}, slug="other")
    shutil.rmtree(tree / "demo")
    output = _sync(runner, tree)
    assert "1 courses archived" in output and "2 surveys archived" in output
    assert all(s.is_archived for s in db.session.scalars(select(Survey)))


def test_a_broken_survey_stops_the_whole_sync(runner, db, tree):
    _sync(runner, tree)
    (tree / "demo" / "surveys" / "workshop.yaml").write_text("title: [\n", encoding="utf-8")
    module = tree / "demo" / "01-intro" / "fr.md"
    module.write_text(module.read_text(encoding="utf-8") + "\nAjout.\n", encoding="utf-8")
    result = runner.invoke(args=["courses", "sync", str(tree)])
    assert result.exit_code == 1 and "surveys/workshop.yaml:" in result.output and "Nothing loaded" in result.output


def test_the_shipped_surveys_are_synced(db, courses):
    rows = db.session.execute(
        select(Survey.slug, Survey.role, SurveyVersion.version)
        .join(SurveyVersion, SurveyVersion.survey_id == Survey.id)
        .where(SurveyVersion.is_current.is_(True), Survey.is_archived.is_(False))
    ).all()
    assert sorted(rows) == sorted(
        [("end-of-course", "course_end", 1), ("follow-up", "follow_up", 1), ("workshop", "session", 1)] * 2
    )
