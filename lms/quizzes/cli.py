"""``flask quizzes import-gift|export-gift``: Moodle GIFT (and Aiken) in and out of a module's quiz.yaml."""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import click
import yaml
from flask import current_app
from flask.cli import with_appcontext

from ..content.loader import LOCALES, MODULE_DIR_RE, QUIZ_DEFAULTS, REQUIRED_LOCALES, load_courses
from ..content.yamllines import LineDict, LineList, YamlError, load
from .gift import export_gift, question_meta, read_aiken, read_gift

cli = click.Group("quizzes", help="Import and export quiz questions (Moodle GIFT, Aiken).")

QUIZ_TITLE_PREFIX = {"fr": "Quiz : ", "ar": "اختبار: ", "en": "Quiz: "}


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key, as the quiz.yaml files are written by hand."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


class _Text(str):
    """A text of the quiz, written in double quotes as in the hand-written files."""


#: marks, while the YAML is written, a text copied from another language (``--allow-untranslated``)
_COPY_MARK = "\ue0ff"
_COPY_RE = re.compile(r'"\ue0ff(\w+)\|')


class _Copied(_Text):
    """A text copied from another language: written with an ``# untranslated`` comment on its line."""

    def __new__(cls, text: str, source: str):
        return super().__new__(cls, f"{_COPY_MARK}{source}|{text}")


_Dumper.add_representer(_Text, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"'))
_Dumper.add_representer(
    _Copied, lambda dumper, value: dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
)


def _texts(texts: dict) -> dict:
    return {locale: text if isinstance(text, _Text) else _Text(text) for locale, text in texts.items()}


def _mark_copies(text: str) -> str:
    """``ar: "<mark>fr|text"`` -> ``ar: "text"  # untranslated: copied from fr``."""
    lines = []
    for line in text.split("\n"):
        match = _COPY_RE.search(line)
        if match:
            line = line[: match.start()] + '"' + line[match.end() :] + f"  # untranslated: copied from {match.group(1)}"
        lines.append(line)
    return "\n".join(lines)


def _dump(value) -> str:
    return _mark_copies(yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100_000))


def _courses_root() -> Path:
    return Path(current_app.config["COURSES_PATH"]).resolve()


def _module_folder(root: Path, course: str, module: str) -> Path:
    course_dir = root / course
    if "/" in course or course.startswith(".") or not course_dir.is_dir():
        raise click.ClickException(f"no course '{course}' in {root}")
    folders = [p for p in sorted(course_dir.iterdir()) if p.is_dir() and MODULE_DIR_RE.match(p.name)]
    found = [p for p in folders if module in (p.name, MODULE_DIR_RE.match(p.name).group(2))]
    if not found:
        names = ", ".join(MODULE_DIR_RE.match(p.name).group(2) for p in folders) or "none"
        raise click.ClickException(f"course '{course}' has no module '{module}' (modules: {names})")
    if len(found) > 1:
        raise click.ClickException(f"several folders have the module slug '{module}': fix the course first")
    return found[0]


def _shown(root: Path, path: Path) -> str:
    """A path as ``flask courses check`` shows it."""
    try:
        return str(path.resolve().relative_to(root.parent))
    except ValueError:
        return str(path)


def _quiz_problems(root: Path, quiz_path: Path) -> tuple[list, dict | None]:
    """The problems ``load_courses`` finds in one quiz.yaml, and the quiz when it has none."""
    courses, problems = load_courses(root)
    mine = [p for p in problems if (root.parent / p.path).resolve() == quiz_path.resolve()]
    mine.sort(key=lambda p: p.line)
    for course in courses:
        for module in course.modules:
            if (root / course.slug / module.folder).resolve() == quiz_path.parent.resolve():
                return mine, module.quiz
    return mine, None


def _module_titles(folder: Path) -> dict[str, str]:
    titles = {}
    for locale in LOCALES:
        path = folder / f"{locale}.md"
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        end = text.find("\n---", 3)
        if not text.startswith("---") or end < 0:
            continue
        try:
            front = yaml.safe_load(text[3:end])
        except yaml.YAMLError:
            continue
        if isinstance(front, dict) and str(front.get("title") or "").strip():
            titles[locale] = QUIZ_TITLE_PREFIX[locale] + str(front["title"]).strip()
    return titles or {"fr": QUIZ_TITLE_PREFIX["fr"] + MODULE_DIR_RE.match(folder.name).group(2)}


def _yaml_question(question: dict) -> dict:
    """A parsed question as it is written by hand in quiz.yaml (defaults and empty texts left out)."""
    out = {"id": question["id"], "type": question["type"], **question_meta(question)}
    out["prompt"] = _texts(question["prompt"])
    kind = question["type"]
    if kind in ("single", "multiple"):
        out["options"] = [
            {
                "id": o["id"],
                **({"correct": True} if o.get("correct") else {}),
                "text": _texts(o["text"]),
                **({"feedback": _texts(o["feedback"])} if o.get("feedback") else {}),
            }
            for o in question["options"]
        ]
    elif kind == "truefalse":
        out["answer"] = question["answer"]
    elif kind == "matching":
        out["choices"] = [{"id": c["id"], "text": _texts(c["text"])} for c in question["choices"]]
        out["items"] = [{"id": i["id"], "match": i["match"], "text": _texts(i["text"])} for i in question["items"]]
    elif kind == "short":
        out["answers"] = {
            locale: [a if isinstance(a, _Text) else _Text(a) for a in values]
            for locale, values in question["answers"].items()
        }
    if question.get("explanation"):
        out["explanation"] = _texts(question["explanation"])
    if kind == "essay" and question.get("rubric"):
        out["rubric"] = _texts(question["rubric"])
    return out


def _items_yaml(items: list, indent: int) -> str:
    """YAML list items, indented, with a blank line between two items."""
    pad = " " * indent
    blocks = []
    for item in items:
        lines = _dump([item]).rstrip("\n").split("\n")
        blocks.append("\n".join(pad + line if line else line for line in lines) + "\n")
    return "\n".join(blocks)


def _questions_yaml(questions: list[dict], indent: int) -> str:
    return _items_yaml([_yaml_question(q) for q in questions], indent)


def _new_quiz_text(path: Path, original: str | None, data, new: list[dict], replace: bool) -> str:
    """quiz.yaml with the new questions; an existing file keeps its text and comments when it can."""
    if original is None or data is None:
        header = {"title": _module_titles(path.parent), **QUIZ_DEFAULTS}
        return _dump(header) + "questions:\n" + _questions_yaml(new, 2)
    old = data.get("questions")
    lines = original.split("\n")
    if data.key_lines and data.key_lines.get("questions") == max(data.key_lines.values()):  # questions come last
        if replace:
            kept = "\n".join(lines[: data.key_lines["questions"] - 1]).rstrip()
            text = (kept + "\n" if kept else "") + "questions:\n" + _questions_yaml(new, 2)
            if _question_ids(text) == [q["id"] for q in new]:
                return text
        elif isinstance(old, LineList) and old and lines[old.item_lines[0] - 1].lstrip().startswith("-"):
            first = lines[old.item_lines[0] - 1]
            text = original.rstrip() + "\n\n" + _questions_yaml(new, len(first) - len(first.lstrip()))
            if _question_ids(text) == [q.get("id") for q in old if isinstance(q, dict)] + [q["id"] for q in new]:
                return text
    # otherwise (questions not last, written in flow style...): write the whole file again
    plain = json.loads(json.dumps(data))
    kept = [] if replace or not isinstance(plain.get("questions"), list) else plain["questions"]
    plain.pop("questions", None)
    items = _items_yaml(kept, 2) + ("\n" if kept else "") + _questions_yaml(new, 2)
    return (_dump(plain) if plain else "") + "questions:\n" + items


def _question_ids(text: str) -> list | None:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    questions = data.get("questions") if isinstance(data, dict) else None
    return [q.get("id") for q in questions if isinstance(q, dict)] if isinstance(questions, list) else None


def _write(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.tmp")  # hidden: the course checker skips it
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _fill_translations(question: dict) -> list[str]:
    """Copies each text into the required languages it lacks (marked ``_Copied``); returns what was copied."""
    copied: list[str] = []

    def fill(texts: dict | None, where: str) -> None:
        if not texts:
            return
        source = next(loc for loc in LOCALES if loc in texts) if any(loc in texts for loc in LOCALES) else None
        for locale in REQUIRED_LOCALES:
            if source and locale not in texts:
                value = texts[source]
                texts[locale] = (
                    [_Copied(v, source) for v in value] if isinstance(value, list) else _Copied(value, source)
                )
                copied.append(f"{where} ({locale})")

    fill(question.get("prompt"), "prompt")
    fill(question.get("explanation"), "explanation")
    fill(question.get("rubric"), "rubric")
    fill(question.get("answers"), "answers")
    for key, name in (("options", "option"), ("choices", "choice"), ("items", "item")):
        for entry in question.get(key) or []:
            fill(entry.get("text"), f"{name} '{entry['id']}'")
            fill(entry.get("feedback"), f"feedback of {name} '{entry['id']}'")
    return copied


_MISSING_RE = re.compile(r"is missing (?:the )?'(\w+)'")


def _check_in_a_copy(root: Path, course: str, quiz_path: Path, text: str) -> list:
    """The problems ``flask courses check`` would find in the course once quiz.yaml is ``text``.

    The course folder, and the shared folders beside it that a course draws on (``_law``: quoted law), are
    copied to a temporary tree (under the same root folder name, so that the problems name the same paths); the
    real tree is not touched.
    """
    with tempfile.TemporaryDirectory(prefix="tadrib-import-") as temporary:
        copy_root = Path(temporary) / root.name
        shutil.copytree(root / course, copy_root / course)
        for shared in root.iterdir():
            if shared.is_dir() and shared.name.startswith("_"):
                shutil.copytree(shared, copy_root / shared.name)
        (copy_root / quiz_path.relative_to(root)).write_text(text, encoding="utf-8")
        _courses, problems = load_courses(copy_root)
    return problems


def _question_at(text: str, line: int) -> str | None:
    """The id of the question of quiz.yaml ``text`` that holds ``line``."""
    try:
        data = load(text)
    except YamlError:
        return None
    questions = data.get("questions") if isinstance(data, LineDict) else None
    if not isinstance(questions, LineList):
        return None
    found = None
    for index, first in enumerate(questions.item_lines):
        if first <= line and isinstance(questions[index], dict):
            found = questions[index].get("id")
    return found


@cli.command("import-gift")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--course", required=True, help="course slug (its folder in courses/)")
@click.option("--module", required=True, help="module slug (the folder name without its number)")
@click.option(
    "--lang",
    "--locale",
    "lang",
    type=click.Choice(LOCALES),
    default="fr",
    show_default=True,
    help="language of the texts without multilang markup that are not in Arabic script (Arabic text is 'ar')",
)
@click.option("--aiken", is_flag=True, help="the file is in Aiken format")
@click.option("--replace", is_flag=True, help="replace the quiz's questions instead of adding to them")
@click.option(
    "--allow-untranslated",
    is_flag=True,
    help="when a text lacks French or Arabic, copy it from the other language, marked '# untranslated' in "
    "quiz.yaml, so that the course stays valid (translate those lines later)",
)
@with_appcontext
def import_command(
    file: str, course: str, module: str, lang: str, aiken: bool, replace: bool, allow_untranslated: bool
) -> None:
    """Add the questions of a Moodle GIFT (or Aiken) FILE to a module's quiz.yaml: all of them or none.

    The resulting course is checked as `flask courses check` does before anything is written; quiz.yaml is
    then replaced in one step. What a question cannot keep is reported with its line in FILE.
    """
    root = _courses_root()
    folder = _module_folder(root, course, module)
    try:
        source = Path(file).read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise click.ClickException(f"{file} is not UTF-8 text: save it as UTF-8 and try again") from None
    result = read_aiken(source, lang) if aiken else read_gift(source, lang)
    for line, message in result.warnings:
        click.echo(f"{file}:{line}: warning: {message}", err=True)
    problems = list(result.problems)
    if not problems and not result.questions:
        problems.append((1, "no question found"))

    quiz_path = folder / "quiz.yaml"
    shown = _shown(root, quiz_path)
    original = data = None
    if quiz_path.exists():
        original = quiz_path.read_text(encoding="utf-8")
        try:
            data = load(original)
        except YamlError as error:
            raise click.ClickException(f"{shown}:{error.line}: {error.message} (fix it before importing)") from None
        if data is not None and not isinstance(data, LineDict):
            raise click.ClickException(f"{shown} must be a mapping (fix it before importing)")
    if not replace and isinstance(data, dict) and isinstance(data.get("questions"), list):
        existing = {q.get("id") for q in data["questions"] if isinstance(q, dict)}
        for question in result.questions:
            if question["id"] in existing:
                problems.append(
                    (
                        result.lines[question["id"]],
                        f"question id '{question['id']}' is already in {shown}"
                        " (rename it with ::new-id:: or use --replace)",
                    )
                )
    if problems:
        _refuse(file, problems)

    text = _new_quiz_text(quiz_path, original, data, result.questions, replace)
    before = {str(p) for p in load_courses(root)[1]}
    after = _check_in_a_copy(root, course, quiz_path, text)
    blocking = [p for p in after if p.path == shown or str(p) not in before]
    untranslated = [p for p in blocking if p.path == shown and _MISSING_RE.search(p.message)]
    copied: list[tuple[str, str]] = []
    if blocking and allow_untranslated and len(untranslated) == len(blocking):
        for question in result.questions:
            copied += [(question["id"], what) for what in _fill_translations(question)]
        text = _new_quiz_text(quiz_path, original, data, result.questions, replace)
        after = _check_in_a_copy(root, course, quiz_path, text)
        blocking = [p for p in after if p.path == shown or str(p) not in before]
    if blocking:
        _refuse_invalid(file, shown, text, result, blocking, untranslated)

    _write(quiz_path, text)
    count = len(result.questions)
    verb = "now replace the questions of" if replace else "added to"
    click.echo(f"{count} question{'s' if count > 1 else ''} {verb} {shown}.")
    if copied:
        click.echo(
            f"{len(copied)} text(s) had no translation and were copied from the other language; "
            f"they are marked '# untranslated' in {shown}:"
        )
        for qid, what in copied:
            click.echo(f"  {file}:{result.lines[qid]}: question '{qid}': {what}")
    click.echo("The quiz is valid: run `flask courses sync` to publish it.")


#: what to write in the GIFT file when the course needs a text the question does not have
_HINTS = {
    "'explanation' is required": "add a general feedback (####...) before the closing }",
    "'rubric' is required": 'add a comment line before the question: // tadrib: {"rubric": {"fr": "...", "ar": "..."}}',
}


def _refuse_invalid(file: str, shown: str, text: str, result, blocking: list, untranslated: list) -> None:
    """Nothing is written: say why, at the lines of FILE for the imported questions."""
    new_ids = set(result.lines)
    listed = []
    for problem in blocking:
        if problem in untranslated:
            continue
        qid = _question_at(text, problem.line) if problem.path == shown else None
        if qid not in new_ids:
            click.echo(str(problem))
            continue
        message = problem.message if f"'{qid}'" in problem.message else f"question '{qid}': {problem.message}"
        hint = next((h for key, h in _HINTS.items() if key in problem.message), None)
        listed.append((result.lines[qid], message + (f": {hint}" if hint else "")))
    lacking: dict[str, list[str]] = {}
    for question in json.loads(json.dumps(result.questions)):  # a copy: the dry run fills it
        for what in _fill_translations(question):
            lacking.setdefault(question["id"], []).append(what)
    if untranslated:
        for qid, whats in lacking.items():
            by_locale: dict[str, list[str]] = {}
            for what in whats:
                place, locale = what.rsplit(" (", 1)
                by_locale.setdefault(locale.rstrip(")"), []).append(place)
            for locale, places in by_locale.items():
                listed.append((result.lines[qid], f"question '{qid}' has no '{locale}' text for: {', '.join(places)}"))
    for line, message in sorted(listed):
        click.echo(f"{file}:{line}: {message}")
    if untranslated and len(untranslated) == len(blocking):
        click.echo(
            f"Nothing imported: every text of the course must be in French and Arabic, and "
            f"{sum(len(whats) for whats in lacking.values())} "
            f"text(s) of {file} have no translation. Add them to {file} (Moodle multilang spans), or import "
            "with --allow-untranslated to copy each missing text from the other language (marked "
            "'# untranslated' in quiz.yaml, to be translated there).",
            err=True,
        )
    else:
        click.echo(
            f"Nothing imported: {shown} would fail `flask courses check` ({len(blocking)} problem(s)).", err=True
        )
    raise SystemExit(1)


def _refuse(file: str, problems: list) -> None:
    for line, message in sorted(problems):
        click.echo(f"{file}:{line}: {message}")
    click.echo(f"Nothing imported: {len(problems)} problem(s).", err=True)
    raise SystemExit(1)


@cli.command("export-gift")
@click.option("--course", required=True, help="course slug (its folder in courses/)")
@click.option("--module", required=True, help="module slug (the folder name without its number)")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="write to this file instead of the terminal")
@with_appcontext
def export_command(course: str, module: str, output: str | None) -> None:
    """Print a module's quiz as Moodle GIFT, every text in all its languages."""
    root = _courses_root()
    quiz_path = _module_folder(root, course, module) / "quiz.yaml"
    if not quiz_path.is_file():
        raise click.ClickException(f"{_shown(root, quiz_path)} does not exist: the module has no quiz")
    mine, quiz = _quiz_problems(root, quiz_path)
    if mine or quiz is None:
        for problem in mine:
            click.echo(str(problem), err=True)
        click.echo(f"Nothing exported: fix {_shown(root, quiz_path)} first.", err=True)
        raise SystemExit(1)
    text = export_gift(quiz)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"{len(quiz['questions'])} questions written to {output}.")
    else:
        click.echo(text, nl=False)
