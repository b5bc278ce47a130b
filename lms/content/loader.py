"""Reading and validating ``courses/``. Pure: touches no database, needs no app.

``load_courses(root)`` returns the parsed courses and every problem found, each as ``path:line: message``;
``check_courses(root)`` also returns the warnings (things to finish that do not stop a sync, e.g. a quoted text
still pending its official wording).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from ..core.markdown import heading_ids
from .library import LibrarySource, check_text_references, load_library, references_in
from .yamllines import LineDict, LineList, YamlError, load, shift_lines

REQUIRED_LOCALES = ("fr", "ar")
LOCALES = ("fr", "ar", "en")
PROFESSIONS = ("magistrate-judge", "magistrate-prosecutor", "social-worker", "clerk", "police", "other")
QUESTION_TYPES = ("single", "multiple", "truefalse", "matching", "short", "essay")
GRADING = ("highest", "average", "first", "last")
REVIEW = ("score", "answers", "explanations")
ROLES = ("graded", "pretest", "posttest")
#: when a learner sees the right answers and explanations of an attempt (what they see is ``review``)
REVIEW_AFTER = ("each_attempt", "passed_or_last", "never")
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
#: course slugs that are pages of their own under /courses/ (the learner's home, the admin's list): a course so named
#: could not be opened
RESERVED_COURSE_SLUGS = ("admin", "home")
MODULE_DIR_RE = re.compile(r"^(\d{2})-([a-z0-9]+(?:-[a-z0-9]+)*)$")
ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
#: bump when rendering changes, so that the next sync re-renders every module
RENDER_VERSION = "1"

UNSAFE_PATTERNS = [
    (
        re.compile(r"<\s*(script|iframe|object|embed|style|link|meta|form|input|button|svg|math|base)\b", re.I),
        "unsafe HTML: <{0}> is not allowed in content",
    ),
    (re.compile(r"<[^>]*\son[a-z]+\s*=", re.I), "unsafe HTML: event-handler attributes are not allowed"),
    (re.compile(r"(javascript|vbscript)\s*:", re.I), "unsafe link: {0}: URLs are not allowed"),
    (re.compile(r"data\s*:\s*text/html", re.I), "unsafe link: data:text/html is not allowed"),
]
LINK_RE = re.compile(r"\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REF_LINK_RE = re.compile(r"^\s{0,3}\[(?!\^)[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)")  # [^n]: is a footnote
MODULE_LINK_RE = re.compile(r"^\.\./(\d{2}-[a-z0-9-]+)/?(?:#(.+))?$")


@dataclass
class Problem:
    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass
class LocaleText:
    locale: str
    title: str
    minutes: int
    objectives: list[str]
    body: str
    path: Path
    body_line: int
    #: the body as written (``body`` has the law includes expanded); line-based checks read this one
    source: str = ""


@dataclass
class ModuleSource:
    slug: str
    folder: str
    position: int
    texts: dict[str, LocaleText] = field(default_factory=dict)
    quiz: dict | None = None
    source_hash: str = ""
    quiz_hash: str | None = None
    #: library articles the module's text cites (``instrument/article``), and those each quiz question cites
    references: set = field(default_factory=set)
    question_references: dict = field(default_factory=dict)


@dataclass
class SurveySource:
    """``courses/<course>/surveys/<slug>.yaml``, validated: ``definition`` is what a SurveyVersion stores."""

    slug: str
    role: str
    definition: dict
    source_hash: str


@dataclass
class CourseSource:
    slug: str
    title: dict
    summary: dict
    audience: list[str]
    hours: float
    completion: dict
    modules: list[ModuleSource] = field(default_factory=list)
    source_hash: str = ""
    surveys: list[SurveySource] = field(default_factory=list)


class _Report:
    def __init__(self, base: Path):
        self.base = base
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def _problem(self, path: Path, line: int, message: str) -> Problem:
        try:
            shown = str(path.relative_to(self.base))
        except ValueError:
            shown = str(path)
        return Problem(shown, max(int(line or 1), 1), message)

    def add(self, path: Path, line: int, message: str) -> None:
        self.problems.append(self._problem(path, line, message))

    def warn(self, path: Path, line: int, message: str) -> None:
        """Something to finish that does not make the content wrong (printed by ``courses check``, exit 0)."""
        self.warnings.append(self._problem(path, line, message))


#: bump when lms/core/markdown.py renders differently (2: no rel on links, no line breaks around block tags;
#: 3: numbers and legal references kept on one line)
RENDERER_VERSION = 3


def _sha(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8") if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


def _line(container, key=None) -> int:
    if isinstance(container, LineDict):
        return container.line_of(key) if key is not None else container.line
    if isinstance(container, LineList):
        return container.line
    return 1


def _texts(report, path, container, key, required=True, where="") -> dict:
    """A per-locale text mapping with fr and ar (en optional). ``where`` prefixes the messages (e.g.
    "item 'pace': ")."""
    value = container.get(key) if isinstance(container, dict) else None
    return _locale_texts(report, path, value, _line(container, key), key, required, where)


def _locale_texts(report, path, value, line, key, required=True, where="") -> dict:
    """``_texts`` of a value already in hand (an entry of a list, say), reported at ``line`` as ``key``."""
    if value is None:
        if required:
            report.add(path, line, f"{where}'{key}' is required (with 'fr' and 'ar')")
        return {}
    if not isinstance(value, dict):
        report.add(path, line, f"{where}'{key}' must map locales to texts, e.g. {{fr: ..., ar: ...}}")
        return {}
    result = {}
    for locale, text in value.items():
        if locale not in LOCALES:
            report.add(path, _line(value, locale), f"{where}'{key}': unknown locale '{locale}' (use fr, ar, en)")
        elif not isinstance(text, (str, int, float)) or not str(text).strip():
            report.add(path, _line(value, locale), f"{where}'{key}.{locale}' must be a non-empty text")
        else:
            result[locale] = str(text).strip()
    for locale in REQUIRED_LOCALES:
        if locale not in value:
            report.add(path, line, f"{where}'{key}' is missing the '{locale}' text")
    return result


# --- course.yaml ------------------------------------------------------------------------------


def _read_yaml(report, path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.add(path, 1, "the file is not UTF-8 text")
        return None, b""
    try:
        return load(text), text.encode("utf-8")
    except YamlError as error:
        report.add(path, error.line, error.message)
        return None, text.encode("utf-8")


def _completion(report, path, data) -> dict:
    rule = data.get("completion", {}) if isinstance(data, dict) else {}
    line = _line(data, "completion")
    if not isinstance(rule, dict):
        report.add(path, line, "'completion' must be a mapping (modules, quizzes_passed, attendance_percent)")
        return {"modules": "all", "quizzes_passed": "all", "attendance_percent": 0}
    result = {}
    for key in ("modules", "quizzes_passed"):
        value = rule.get(key, "all")
        if value != "all" and not (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
            report.add(path, _line(rule, key), f"'completion.{key}' must be 'all' or a whole number")
            value = "all"
        result[key] = value
    percent = rule.get("attendance_percent", 0)
    if not isinstance(percent, (int, float)) or isinstance(percent, bool) or not 0 <= percent <= 100:
        report.add(path, _line(rule, "attendance_percent"), "'completion.attendance_percent' must be 0 to 100")
        percent = 0
    result["attendance_percent"] = percent
    for key in rule:
        if key not in ("modules", "quizzes_passed", "attendance_percent"):
            report.add(path, _line(rule, key), f"'completion': unknown key '{key}'")
    return result


def _load_course_meta(report, folder: Path) -> CourseSource | None:
    path = folder / "course.yaml"
    if not path.exists():
        report.add(path, 1, "course.yaml is missing")
        return None
    data, raw = _read_yaml(report, path)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(path, 1, "course.yaml must be a mapping")
        return None
    known = {"title", "summary", "audience", "hours", "completion"}
    for key in data:
        if key not in known:
            report.add(path, data.line_of(key), f"unknown key '{key}'")
    title = _texts(report, path, data, "title")
    summary = _texts(report, path, data, "summary")
    audience = data.get("audience", [])
    if not isinstance(audience, list) or not audience:
        report.add(path, _line(data, "audience"), "'audience' must list at least one profession")
        audience = []
    for index, profession in enumerate(audience):
        if profession not in PROFESSIONS:
            line = audience.item_lines[index] if isinstance(audience, LineList) else _line(data, "audience")
            report.add(path, line, f"unknown profession '{profession}' (use one of: {', '.join(PROFESSIONS)})")
    hours = data.get("hours")
    if not isinstance(hours, (int, float)) or isinstance(hours, bool) or not 0 < hours <= 1000:
        report.add(path, _line(data, "hours"), "'hours' must be a positive number")
        hours = 0
    completion = _completion(report, path, data)
    return CourseSource(
        slug=folder.name,
        title=title,
        summary=summary,
        audience=[p for p in audience if p in PROFESSIONS],
        hours=float(hours),
        completion=completion,
        source_hash=_sha(raw),
    )


# --- module files -----------------------------------------------------------------------------


def _split_front_matter(report, path: Path, text: str):
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        report.add(path, 1, "the file must start with front matter between '---' lines")
        return None, text, 1
    for index in range(1, len(lines)):
        if lines[index].strip() == "---":
            front = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return front, body, index + 2
    report.add(path, 1, "front matter is not closed by a '---' line")
    return None, text, 1


def _load_locale(report, path: Path, locale: str, law: dict | None = None) -> LocaleText | None:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        report.add(path, 1, "the file is not UTF-8 text")
        return None
    text = text.replace("\r\n", "\n").lstrip("\ufeff")
    front, body, body_line = _split_front_matter(report, path, text)
    if front is None:
        return None
    try:
        meta = load(front)
    except YamlError as error:
        report.add(path, error.line + 1, error.message)
        return None
    if not isinstance(meta, dict):
        report.add(path, 2, "front matter must be a mapping (title, minutes, objectives)")
        return None
    shift_lines(meta, 1)
    for key in meta:
        if key not in ("title", "minutes", "objectives"):
            report.add(path, meta.line_of(key), f"unknown front matter key '{key}'")
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        report.add(path, meta.line_of("title"), "'title' is required")
        title = ""
    minutes = meta.get("minutes")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 600:
        report.add(path, meta.line_of("minutes"), "'minutes' must be a whole number from 1 to 600")
        minutes = 0
    objectives = meta.get("objectives")
    if (
        not isinstance(objectives, list)
        or not objectives
        or not all(isinstance(o, str) and o.strip() for o in objectives)
    ):
        report.add(path, meta.line_of("objectives"), "'objectives' must list at least one learning objective")
        objectives = []
    if not body.strip():
        report.add(path, body_line, "the module has no body text")
    _check_unsafe(report, path, body, body_line)
    expanded = _expand_law(report, path, body, body_line, locale, law or {})
    return LocaleText(
        locale, title.strip(), minutes, [o.strip() for o in objectives], expanded, path, body_line, source=body
    )


def _check_unsafe(report, path: Path, body: str, first_line: int) -> None:
    for offset, line in enumerate(body.split("\n")):
        for pattern, message in UNSAFE_PATTERNS:
            match = pattern.search(line)
            if match:
                report.add(path, first_line + offset, message.format(*(match.groups() or ("",))))


def _check_links(report, course_folder: Path, module: ModuleSource, anchors: dict) -> None:
    for locale, text in module.texts.items():
        own = anchors.get((module.folder, locale), set())
        for offset, line in enumerate(text.source.split("\n")):
            targets = LINK_RE.findall(line) + REF_LINK_RE.findall(line)
            for href in targets:
                lineno = text.body_line + offset
                if href.startswith(("http://", "https://", "mailto:")):
                    continue
                if href.startswith("#"):
                    if href[1:] not in own and not href.startswith("#fn"):
                        report.add(text.path, lineno, f"broken link: no heading with anchor '{href}' in this file")
                    continue
                match = MODULE_LINK_RE.match(href)
                if not match:
                    if not any(p.pattern for p, _m in UNSAFE_PATTERNS if p.search(href)):
                        report.add(
                            text.path,
                            lineno,
                            f"broken link '{href}': link to a module as ../NN-slug/ or to a full http(s) URL",
                        )
                    continue
                folder, anchor = match.groups()
                if not (course_folder / folder).is_dir():
                    report.add(text.path, lineno, f"broken link: module '{folder}' does not exist in this course")
                elif anchor:
                    target = anchors.get((folder, locale)) or anchors.get((folder, "fr"), set())
                    if anchor not in target:
                        report.add(text.path, lineno, f"broken link: '{folder}' has no heading with anchor '#{anchor}'")


def _load_module(report, folder: Path, position: int, slug: str, law: dict | None = None) -> ModuleSource:
    module = ModuleSource(slug=slug, folder=folder.name, position=position)
    raw_parts = [RENDER_VERSION]
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if path.suffix == ".md":
            locale = path.stem
            if locale not in LOCALES:
                report.add(path, 1, f"unknown locale file '{path.name}' (use fr.md, ar.md, en.md)")
                continue
            text = _load_locale(report, path, locale, law)
            if text is not None:
                module.texts[locale] = text
                raw_parts.append(f"{locale}:{text.title}:{text.minutes}:{text.objectives}:{text.body}")
        elif path.name == "quiz.yaml":
            module.quiz = _load_quiz(report, path)
            if module.quiz is not None:
                module.quiz_hash = _sha(json.dumps(module.quiz, sort_keys=True, ensure_ascii=False))
        elif path.is_file():
            report.add(path, 1, f"unexpected file '{path.name}' in a module folder")
    for locale in REQUIRED_LOCALES:
        if not (folder / f"{locale}.md").exists():
            report.add(folder / f"{locale}.md", 1, f"the module has no {locale}.md ({locale} is required)")
    # The renderer's version is part of the hash: when rendering changes (a sanitiser fix, say), the next
    # sync renders every module again instead of serving HTML made by the old code.
    module.source_hash = _sha(f"renderer:{RENDERER_VERSION}", *raw_parts)
    return module


# --- quoted law: one source of truth in courses/_law/ -------------------------------------------
#
# courses/_law/<instrument>/instrument.yaml   names: [...]  (how module titles name the instrument)
#                                             pending: {label: {fr, ar, en}, notice: {fr, ar, en}}
# courses/_law/<instrument>/<ref>.<locale>.md front matter (title, cited_as, source[, status]) + the official text
#
# A module quotes it with a line  {{< law 27-14/448-1.1 [27-14/448-1.2 ...] [title="..."] >}}  which the loader
# expands into a ``!!! law`` block (the text, then the source). A ``!!! law`` block written by hand whose title names
# an instrument and an article that have snippets must repeat their text word for word, paragraph by paragraph.
#
# A snippet with ``status: pending`` holds a provisional, unofficial wording until someone pastes the official
# text: an include of it becomes a ``!!! note`` titled with the instrument's pending label and closed by its notice
# (never a ``!!! law`` block), and ``courses check`` warns about it; a hand-written ``!!! law`` block cannot quote it.

LAW_DIR = "_law"
INCLUDE_RE = re.compile(r"^\{\{<\s*law\s+(.*?)\s*>\}\}\s*$")
INCLUDE_TITLE_RE = re.compile(r'\btitle="([^"]*)"')
LAW_BLOCK_RE = re.compile(r'^!!!\s+law\s+"([^"]*)"\s*$')
ADMONITION_RE = re.compile(r"^!!!\s+(\w+)")
#: between the sources of several snippets quoted in one block
SOURCE_SEPARATOR = {"fr": " ; ", "ar": " — ", "en": "; "}


@dataclass
class LawSnippet:
    ref: str
    locale: str
    title: str
    source: str
    cited_as: list[str]
    names: list[str]
    text: str
    path: Path
    #: the official text has not been read yet: ``text`` is a provisional wording, shown as unofficial
    pending: bool = False
    #: the instrument's words for a pending snippet in this locale: (title label, notice closing the block)
    pending_words: tuple[str, str] = ("", "")


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]


def _locale_text(mapping, locale: str) -> str:
    """``mapping[locale]`` when ``mapping`` maps locales to non-empty texts; otherwise ''."""
    value = mapping.get(locale) if isinstance(mapping, dict) else None
    return value.strip() if isinstance(value, str) else ""


def load_law(report, root: Path) -> dict[tuple[str, str], LawSnippet]:
    """Every snippet under ``root/_law``, keyed by (ref, locale); problems reported like any other."""
    snippets: dict[tuple[str, str], LawSnippet] = {}
    law_root = root / LAW_DIR
    if not law_root.is_dir():
        return snippets
    for folder in sorted(p for p in law_root.iterdir() if p.is_dir()):
        meta_path = folder / "instrument.yaml"
        names: list[str] = []
        pending_words: dict = {}
        if meta_path.exists():
            data, _raw = _read_yaml(report, meta_path)
            names = [str(n) for n in (data or {}).get("names", [])] if isinstance(data, dict) else []
            pending_words = (data.get("pending") or {}) if isinstance(data, dict) else {}
            if not isinstance(pending_words, dict):
                report.add(meta_path, 1, "'pending' must map 'label' and 'notice' to texts per locale")
                pending_words = {}
        if not names:
            report.add(meta_path, 1, "instrument.yaml must list the 'names' by which module titles cite the instrument")
        for path in sorted(folder.glob("*.md")):
            stem, _, locale = path.stem.rpartition(".")
            if locale not in LOCALES or not stem:
                report.add(path, 1, "a law snippet is named <article>.<locale>.md (fr, ar or en)")
                continue
            text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
            front, body, body_line = _split_front_matter(report, path, text)
            if front is None:
                continue
            try:
                meta = load(front)
            except YamlError as error:
                report.add(path, error.line + 1, error.message)
                continue
            meta = meta if isinstance(meta, dict) else {}
            title, source, cited = meta.get("title"), meta.get("source"), meta.get("cited_as")
            status = meta.get("status", "official")
            if status not in ("official", "pending"):
                report.add(path, 2, "a law snippet's 'status' is 'official' (the default) or 'pending'")
                continue
            words = ("", "")
            if status == "pending":
                label, notice = (_locale_text(pending_words.get(key), locale) for key in ("label", "notice"))
                if not (label and notice):
                    report.add(
                        meta_path,
                        1,
                        f"a pending snippet ({path.name}) needs the instrument's 'pending' label and notice "
                        f"in '{locale}'",
                    )
                    continue
                words = (label.strip(), " ".join(notice.split()))
            if not isinstance(title, str) or not title.strip():
                report.add(path, 2, "a law snippet needs a 'title' (the block's heading)")
                continue
            if not isinstance(source, str) or not source.strip():
                report.add(path, 2, "a law snippet needs a 'source' (where the official text was read)")
                continue
            if not isinstance(cited, list) or not cited:
                report.add(path, 2, "a law snippet needs 'cited_as': how a title cites its article")
                continue
            if not body.strip():
                report.add(path, body_line, "the law snippet has no text")
                continue
            ref = f"{folder.name}/{stem}"
            snippets[(ref, locale)] = LawSnippet(
                ref,
                locale,
                title.strip(),
                source.strip(),
                [str(c) for c in cited],
                names,
                body.strip(),
                path,
                pending=status == "pending",
                pending_words=words,
            )
    return snippets


def _expand_law(report, path: Path, body: str, first_line: int, locale: str, law: dict) -> str:
    """Replace each ``{{< law ... >}}`` line by the ``!!! law`` block it names."""
    out = []
    for offset, line in enumerate(body.split("\n")):
        match = INCLUDE_RE.match(line)
        if not match:
            out.append(line)
            continue
        args = match.group(1)
        title_match = INCLUDE_TITLE_RE.search(args)
        refs = INCLUDE_TITLE_RE.sub("", args).split()
        found = []
        for ref in refs:
            snippet = law.get((ref, locale))
            if snippet is None:
                known = any(key[0] == ref for key in law)
                report.add(
                    path,
                    first_line + offset,
                    f"law include '{ref}': no {LAW_DIR}/{ref}.{locale}.md"
                    + ("" if known else " (no such snippet in any language)"),
                )
            else:
                found.append(snippet)
        if not refs:
            report.add(path, first_line + offset, "law include names no snippet: {{< law <instrument>/<article> >}}")
        if not found:
            continue
        title = title_match.group(1) if title_match else " ; ".join(s.title for s in found)
        pending = [s for s in found if s.pending]
        for snippet in pending:
            report.warn(
                path,
                first_line + offset,
                f"law include '{snippet.ref}': {LAW_DIR}/{snippet.ref}.{locale}.md is pending its official text "
                "(shown as unofficial): paste the official text into it and remove 'status: pending'",
            )
        if pending:
            # Not the official text: never a law block. A note whose title says so, closed by the notice.
            label, notice = pending[0].pending_words
            out.append(f'!!! note "{title} ({label})"')
        else:
            out.append(f'!!! law "{title}"')
        for snippet in found:
            for text_line in snippet.text.split("\n"):
                out.append(f"    {text_line}" if text_line.strip() else "")
            out.append("")
        sources = sorted({s.source for s in found})
        out.append("    *" + SOURCE_SEPARATOR.get(locale, "; ").join(sources) + "*")
        if pending:
            out.append("")
            out.append(f"    *{notice}*")
    return "\n".join(out)


def _law_blocks(body: str):
    """``(line offset, title, text)`` of every hand-written ``!!! law`` block."""
    lines = body.split("\n")
    index = 0
    while index < len(lines):
        match = LAW_BLOCK_RE.match(lines[index])
        if not match:
            index += 1
            continue
        start, block = index, []
        index += 1
        while index < len(lines) and (not lines[index].strip() or lines[index].startswith("    ")):
            block.append(lines[index][4:])
            index += 1
        yield start, match.group(1), "\n".join(block)


def _cites(title: str, snippet: LawSnippet) -> bool:
    folded = title.casefold()
    if not any(name.casefold() in folded for name in snippet.names):
        return False
    return any(
        re.search(rf"(?<![\w.-]){re.escape(form.casefold())}(?![\w-]|\.\d)", folded) for form in snippet.cited_as
    )


def _check_law_quotes(report, text: LocaleText, law: dict) -> None:
    for offset, title, block in _law_blocks(text.source):
        cited = [s for (ref, locale), s in law.items() if locale == text.locale and _cites(title, s)]
        if not cited:
            continue
        official = {p for s in cited if not s.pending for p in _paragraphs(s.text)}
        if all(p in official for p in _paragraphs(block)):
            continue
        refs = ", ".join(sorted({s.ref for s in cited}))
        if all(s.pending for s in cited):
            report.add(
                text.path,
                text.body_line + offset,
                f"law quotation of a text whose official wording is pending in {LAW_DIR}/ ({refs}): "
                f"quote it with {{{{< law {sorted(s.ref for s in cited)[0]} >}}}}, which shows it as unofficial",
            )
            continue
        report.add(
            text.path,
            text.body_line + offset,
            f"law quotation differs from the official text in {LAW_DIR}/ ({refs}): "
            f"quote it with {{{{< law {cited[0].ref} >}}}}",
        )


# --- statistics need a source ------------------------------------------------------------------
#
# A figure is a number followed by a counted noun (victims, cases, States, ...) or a per cent sign. Every paragraph,
# list item or table row holding one must carry a footnote reference [^...]. Quoted law and fictional cases are
# exempt; article numbers, ages, years, penalties and amounts are not figures (no counted noun follows them).

COUNTED = {
    "fr": r"victimes?|cas|[ée]tats?|poursuites?|condamnations?|enquêtes?|affaires?|indicateurs?|magistrat(?:e|s|es)?|"
    r"procureurs?|villes?|sites?|enfants?|femmes?|hommes?|personnes?|suspects?|infractions?|pays|cours|tribunaux|"
    r"signalements?|dossiers?|assistant(?:e|s|es)? sociales?|travailleu(?:r|rs|se|ses) soci(?:al|aux|ales?)",
    "ar": r"ضحية|ضحايا|حالة|حالات|دولة|دول|متابعة|متابعات|إدانة|إدانات|قضية|قضايا|بحثا|أبحاث|مؤشرا|مؤشر|مؤشرات|"
    r"قاضيا|قضاة|مدن|مدينة|مواقع|موقعا|طفلا|أطفال|امرأة|نساء|شخصا|أشخاص|محكمة|محاكم|مشتبها|مشتبه|مساعدا|مساعدة|"
    r"مساعدين|مساعدات|ملفا|ملفات",
    "en": r"victims?|cases?|states?|prosecutions?|convictions?|investigations?|indicators?|magistrates?|"
    r"prosecutors?|cities|city|sites?|children|child|women|woman|men|persons?|people|suspects?|offences?|"
    r"countries|courts?|social workers?|files?",
}
NUMBER = r"(?<![\w.,/-])\d{1,3}(?:[  .,]\d{3})*(?:[.,]\d+)?"
#: definitions ([^x]: at the start of a line) are skipped before this is searched
FOOTNOTE_REF_RE = re.compile(r"\[\^[^\]]+\]")
#: a number right after one of these words is an article, paragraph or text number, not a figure
REFERENCE_WORD_RE = re.compile(
    r"(?:\barticles?|\bart\.|\bal\.|\balinéas?|\bparagraphs?|\bparagraphes?|\bsections?|\bn°|\bno\.|"
    r"المادة|المادتين|الفصل|الفصلين|الفقرة|رقم)\s*$",
    re.I,
)


def _figures(figure: re.Pattern, text: str) -> list[str]:
    return [m.group(0).strip() for m in figure.finditer(text) if not REFERENCE_WORD_RE.search(text[: m.start()])]


def _figure_re(locale: str) -> re.Pattern:
    counted = COUNTED.get(locale, COUNTED["en"])
    # the counted noun may follow the number directly or after one word ("27 identified victims")
    return re.compile(rf"{NUMBER}\s*(?:%|(?:[^\W\d_]+\s+)?(?:{counted})(?![\w]))", re.I)


def _check_figures(report, text: LocaleText) -> None:
    figure = _figure_re(text.locale)
    lines = text.source.split("\n")
    exempt = False  # inside a !!! law or !!! case block
    block: list[tuple[int, str]] = []

    def flush():
        joined = " ".join(line for _offset, line in block)
        found = _figures(figure, joined)
        if found and not FOOTNOTE_REF_RE.search(joined):
            offset = next((o for o, line in block if _figures(figure, line)), block[0][0])
            found = found[0]
            report.add(text.path, text.body_line + offset, f"figure '{found}' has no source: add a footnote [^…] to it")
        block.clear()

    for offset, line in enumerate(lines):
        admonition = ADMONITION_RE.match(line)
        if admonition:
            flush()
            exempt = admonition.group(1) in ("law", "case")
            continue
        if exempt and (line.startswith("    ") or not line.strip()):
            continue
        exempt = False
        stripped = line.strip()
        new_item = not stripped or stripped.startswith(("- ", "* ", "|", "#")) or re.match(r"^\d+\.\s", stripped)
        if new_item or re.match(r"^\[\^[^\]]+\]:", stripped):
            flush()
        if not stripped or stripped.startswith("#") or re.match(r"^\s*\[\^[^\]]+\]:", line):
            continue
        block.append((offset, line))
        if stripped.startswith("|"):
            flush()
    flush()


# --- quiz.yaml --------------------------------------------------------------------------------

QUIZ_DEFAULTS = {
    "pass_mark": 70,  # nosec B105 - a quiz setting, not a password
    "max_attempts": 0,
    "grading": "highest",
    "shuffle_questions": False,
    "shuffle_options": False,
    "draw": None,
    "time_limit_minutes": None,
    "grace_minutes": 2,
    "review": "explanations",
    #: graded (default), pretest (diagnostic, before the course) or posttest (same objectives, after it)
    "role": "graded",
}


#: Settings stored only when a quiz file sets them (a default added to QUIZ_DEFAULTS would change the hash, so
#: the version, of every quiz): read with their default by ``lms.quizzes.service``.
QUIZ_OPTIONAL = {"review_after": REVIEW_AFTER}


def _load_quiz(report, path: Path) -> dict | None:
    data, _raw = _read_yaml(report, path)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(path, 1, "quiz.yaml must be a mapping")
        return None
    start = len(report.problems)
    settings = dict(QUIZ_DEFAULTS)
    for key in data:
        if key not in QUIZ_DEFAULTS and key not in QUIZ_OPTIONAL and key not in ("title", "questions"):
            report.add(path, data.line_of(key), f"unknown key '{key}'")
    for key in QUIZ_DEFAULTS:
        if key not in data:
            continue
        value, line = data[key], data.line_of(key)
        ok = True
        if key == "pass_mark":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 100
        elif key in ("max_attempts", "grace_minutes"):
            ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 1000
        elif key in ("draw", "time_limit_minutes"):
            ok = value is None or (isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 1000)
        elif key in ("shuffle_questions", "shuffle_options"):
            ok = isinstance(value, bool)
        elif key == "grading":
            ok = value in GRADING
        elif key == "review":
            ok = value in REVIEW
        elif key == "role":
            ok = value in ROLES
        if not ok:
            hint = {
                "pass_mark": "a percent from 0 to 100",  # nosec B105 - a quiz setting, not a password
                "grading": " | ".join(GRADING),
                "review": " | ".join(REVIEW),
                "role": " | ".join(ROLES),
                "shuffle_questions": "true or false",
                "shuffle_options": "true or false",
            }.get(key, "a whole number (or null)")
            report.add(path, line, f"'{key}' must be {hint}")
        else:
            settings[key] = value
    for key, allowed in QUIZ_OPTIONAL.items():
        if key in data:
            if data[key] in allowed:
                settings[key] = data[key]
            else:
                report.add(path, data.line_of(key), f"'{key}' must be {' | '.join(allowed)}")
    title = _texts(report, path, data, "title")
    questions_data = data.get("questions")
    if not isinstance(questions_data, list) or not questions_data:
        report.add(path, _line(data, "questions"), "'questions' must list at least one question")
        return None
    questions, seen = [], {}
    for index, q in enumerate(questions_data):
        line = questions_data.item_lines[index] if isinstance(questions_data, LineList) else 1
        if not isinstance(q, dict):
            report.add(path, line, "each question must be a mapping")
            continue
        question = _question(report, path, q)
        if question is None:
            continue
        if question["id"] in seen:
            report.add(
                path,
                q.line_of("id"),
                f"duplicate question id '{question['id']}' (first at line {seen[question['id']]})",
            )
            continue
        seen[question["id"]] = q.line_of("id")
        questions.append(question)
    if settings["draw"] is not None and settings["draw"] > len(questions_data):
        report.add(
            path, data.line_of("draw"), f"'draw' is {settings['draw']} but the quiz has {len(questions_data)} questions"
        )
    always = [q["id"] for q in questions if q.get("always")]
    if settings["draw"] is not None and always and settings["draw"] <= len(always):
        report.add(
            path,
            data.line_of("draw"),
            f"'draw' is {settings['draw']} but {len(always)} questions are asked always: draw more than that",
        )
    if settings["role"] in ("pretest", "posttest"):
        for q, raw in zip(questions, questions_data, strict=False):
            if "objective" not in q and isinstance(raw, LineDict):
                report.add(
                    path,
                    raw.line_of("id"),
                    f"question '{q['id']}': a {settings['role']} question needs an 'objective' "
                    "(the pre-test and the post-test are compared objective by objective)",
                )
    if len(report.problems) > start:
        return None
    return {"title": title, "settings": settings, "questions": questions}


def _question(report, path: Path, q: LineDict) -> dict | None:
    qid = q.get("id")
    if not isinstance(qid, str) or not ID_RE.match(qid):
        report.add(path, q.line_of("id"), "each question needs an 'id' (letters, digits, - and _)")
        return None
    qtype = q.get("type")
    if qtype not in QUESTION_TYPES:
        report.add(path, q.line_of("type"), f"question '{qid}': 'type' must be one of {', '.join(QUESTION_TYPES)}")
        return None
    allowed = {
        "id",
        "type",
        "points",
        "prompt",
        "explanation",
        "options",
        "answer",
        "choices",
        "items",
        "answers",
        "rubric",
        "objective",
        "always",
    }
    for key in q:
        if key not in allowed:
            report.add(path, q.line_of(key), f"question '{qid}': unknown key '{key}'")
    points = q.get("points", 1)
    if not isinstance(points, (int, float)) or isinstance(points, bool) or not 0 < points <= 100:
        report.add(path, q.line_of("points"), f"question '{qid}': 'points' must be a positive number")
        points = 1
    result = {
        "id": qid,
        "type": qtype,
        "points": points,
        "prompt": _texts(report, path, q, "prompt"),
        "explanation": _texts(report, path, q, "explanation"),
    }
    if "objective" in q:
        objective = q.get("objective")
        if not isinstance(objective, str) or not SLUG_RE.match(objective):
            report.add(path, q.line_of("objective"), f"question '{qid}': 'objective' must be a slug (a-z, 0-9, -)")
        else:
            result["objective"] = objective
    if "always" in q:
        if not isinstance(q.get("always"), bool):
            report.add(path, q.line_of("always"), f"question '{qid}': 'always' must be true or false")
        elif q["always"]:
            result["always"] = True
    if qtype in ("single", "multiple"):
        options = _choices(report, path, q, "options", qid)
        correct = [o for o in options if o.get("correct")]
        if options and qtype == "single" and len(correct) != 1:
            report.add(
                path,
                q.line_of("options"),
                f"question '{qid}': a single-choice question needs exactly one correct option (has {len(correct)})",
            )
        if options and qtype == "multiple" and not correct:
            report.add(
                path,
                q.line_of("options"),
                f"question '{qid}': a multiple-response question needs at least one correct option",
            )
        if options and qtype == "multiple" and correct and len(correct) == len(options):
            report.add(
                path,
                q.line_of("options"),
                f"question '{qid}': a multiple-response question needs at least one wrong option",
            )
        if len(options) == 1:
            report.add(path, q.line_of("options"), f"question '{qid}': give at least two options")
        result["options"] = options
    elif qtype == "truefalse":
        answer = q.get("answer")
        if not isinstance(answer, bool):
            report.add(path, q.line_of("answer"), f"question '{qid}': 'answer' must be true or false")
        result["answer"] = bool(answer)
    elif qtype == "matching":
        choices = _choices(report, path, q, "choices", qid, allow_correct=False)
        items = _choices(report, path, q, "items", qid, allow_correct=False, needs_match=True)
        choice_ids = {c["id"] for c in choices}
        items_data = q.get("items") if isinstance(q.get("items"), list) else []
        for item, raw in zip(items, items_data, strict=False):
            if item.get("match") not in choice_ids:
                line = raw.line_of("match") if isinstance(raw, LineDict) else q.line_of("items")
                report.add(
                    path,
                    line,
                    f"question '{qid}': item '{item['id']}' matches '{item.get('match')}', which is not a choice id",
                )
        if items and len(items) < 2:
            report.add(path, q.line_of("items"), f"question '{qid}': a matching question needs at least two items")
        result["choices"], result["items"] = choices, items
    elif qtype == "short":
        answers = q.get("answers")
        clean = {}
        if not isinstance(answers, dict):
            report.add(
                path, q.line_of("answers"), f"question '{qid}': 'answers' must map locales to lists of accepted answers"
            )
        else:
            for locale, values in answers.items():
                if locale not in LOCALES or not isinstance(values, list) or not values:
                    report.add(
                        path, answers.line_of(locale), f"question '{qid}': answers.{locale} must be a non-empty list"
                    )
                    continue
                clean[locale] = [str(v) for v in values]
            for locale in REQUIRED_LOCALES:
                if locale not in answers:
                    report.add(path, q.line_of("answers"), f"question '{qid}': 'answers' is missing '{locale}'")
        result["answers"] = clean
    elif qtype == "essay":
        result["rubric"] = _texts(report, path, q, "rubric")
    return result


def _choices(report, path, q, key, qid, allow_correct=True, needs_match=False) -> list[dict]:
    raw = q.get(key)
    if not isinstance(raw, list) or not raw:
        report.add(path, q.line_of(key), f"question '{qid}': '{key}' must be a non-empty list")
        return []
    result, seen = [], set()
    for index, entry in enumerate(raw):
        line = raw.item_lines[index] if isinstance(raw, LineList) else q.line_of(key)
        if not isinstance(entry, dict):
            report.add(path, line, f"question '{qid}': each entry of '{key}' must be a mapping with id and text")
            continue
        eid = entry.get("id")
        if not isinstance(eid, (str, int)) or not ID_RE.match(str(eid)):
            report.add(path, line, f"question '{qid}': each entry of '{key}' needs an 'id'")
            continue
        eid = str(eid)
        if eid in seen:
            report.add(path, line, f"question '{qid}': duplicate id '{eid}' in '{key}'")
            continue
        seen.add(eid)
        item = {"id": eid, "text": _texts(report, path, entry, "text")}
        if allow_correct:
            correct = entry.get("correct", False)
            if not isinstance(correct, bool):
                report.add(path, entry.line_of("correct"), f"question '{qid}': 'correct' must be true or false")
            item["correct"] = correct is True
        if needs_match:
            item["match"] = str(entry.get("match")) if entry.get("match") is not None else None
        if "feedback" in entry:
            item["feedback"] = _texts(report, path, entry, "feedback", required=False)
        result.append(item)
    return result


def _check_assessments(report, folder: Path, modules: list[ModuleSource]) -> None:
    """A pre-test and a post-test measure a gain only if they are alike: at most one of each, pools of the
    same size drawn the same way, and as many questions on each objective."""
    by_role: dict[str, list[ModuleSource]] = {}
    for module in modules:
        if module.quiz is not None:
            by_role.setdefault(module.quiz["settings"]["role"], []).append(module)
    for role in ("pretest", "posttest"):
        for extra in by_role.get(role, [])[1:]:
            report.add(folder / extra.folder / "quiz.yaml", 1, f"the course already has a {role} quiz")
    if not (by_role.get("pretest") and by_role.get("posttest")):
        return
    pre, post = by_role["pretest"][0], by_role["posttest"][0]
    path = folder / post.folder / "quiz.yaml"
    pre_questions, post_questions = pre.quiz["questions"], post.quiz["questions"]
    if len(pre_questions) != len(post_questions):
        report.add(
            path,
            1,
            f"the post-test pool has {len(post_questions)} questions and the pre-test pool ({pre.folder}) "
            f"{len(pre_questions)}: make them equal",
        )
    if pre.quiz["settings"]["draw"] != post.quiz["settings"]["draw"]:
        report.add(
            path,
            1,
            f"the post-test draws {post.quiz['settings']['draw']} questions and the pre-test "
            f"{pre.quiz['settings']['draw']}: draw the same number",
        )

    def count(questions):
        counts: dict[str, int] = {}
        for q in questions:
            if q.get("objective"):
                counts[q["objective"]] = counts.get(q["objective"], 0) + 1
        return counts

    pre_counts, post_counts = count(pre_questions), count(post_questions)
    for objective in sorted(set(pre_counts) | set(post_counts)):
        before, after = pre_counts.get(objective, 0), post_counts.get(objective, 0)
        if before != after:
            report.add(
                path,
                1,
                f"objective '{objective}': {before} question(s) in the pre-test, {after} in the post-test: "
                "map both to the same objectives",
            )


# --- surveys: courses/<course>/surveys/<slug>.yaml ----------------------------------------------
#
# The evaluation surveys of a course (issue #20): a level-1 survey after each workshop session (role session) and
# at the end of the course (course_end), a level-3 follow-up months later (follow_up). At most one per role.

SURVEYS_DIR = "surveys"
SURVEY_ROLES = ("session", "course_end", "follow_up")
SURVEY_KINDS = ("agree5", "scale10", "single", "multiple", "short_text", "long_text")
#: kinds whose items must be answered unless they say ``required: false``
SURVEY_REQUIRED_BY_DEFAULT = ("agree5", "scale10", "single")
SURVEY_CHOICE_KINDS = ("single", "multiple")
#: the longest answer of a text item (its ``max_length`` may only lower it)
SURVEY_TEXT_MAX = {"short_text": 300, "long_text": 3000}
SURVEY_OPTIONS = (2, 12)
SURVEY_AGREE_POINTS = 5
SURVEY_ID_MAX = 64
SURVEY_KEYS = ("title", "intro", "role", "named", "sections")
SURVEY_SECTION_KEYS = ("id", "title", "items")
SURVEY_ITEM_KEYS = ("id", "kind", "text", "required", "labels", "options", "max_length")


def _survey_id(report, path, container, key, what, where="") -> str | None:
    """A section, item or option id: a slug of at most 64 characters; ids starting with '_' are the app's."""
    value = container.get(key) if isinstance(container, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    line = _line(container, key)
    if isinstance(value, str) and value.startswith("_"):
        report.add(path, line, f"{where}{what} id '{value}': ids starting with '_' are reserved")
        return None
    if not isinstance(value, str) or not SLUG_RE.match(value) or len(value) > SURVEY_ID_MAX:
        report.add(path, line, f"{where}each {what} needs an 'id' (a slug: a-z, 0-9, -; at most {SURVEY_ID_MAX})")
        return None
    return value


def _unknown_keys(report, path, data, allowed, where="") -> None:
    for key in data:
        if key not in allowed:
            report.add(path, data.line_of(key), f"{where}unknown key '{key}' (use {', '.join(allowed)})")


def _survey_options(report, path, item, where) -> list[dict]:
    raw = item.get("options")
    low, high = SURVEY_OPTIONS
    if not isinstance(raw, list) or not raw:
        report.add(path, item.line_of("options"), f"{where}'options' must list {low} to {high} options")
        return []
    if not low <= len(raw) <= high:
        report.add(path, item.line_of("options"), f"{where}give {low} to {high} options (has {len(raw)})")
    options, seen = [], {}
    for index, entry in enumerate(raw):
        line = raw.item_lines[index] if isinstance(raw, LineList) else item.line_of("options")
        if not isinstance(entry, dict):
            report.add(path, line, f"{where}each option must be a mapping with 'id' and 'text'")
            continue
        _unknown_keys(report, path, entry, ("id", "text"), where)
        oid = _survey_id(report, path, entry, "id", "option", where)
        if oid is None:
            continue
        if oid in seen:
            report.add(path, entry.line_of("id"), f"{where}duplicate option id '{oid}' (first at line {seen[oid]})")
            continue
        seen[oid] = entry.line_of("id")
        options.append({"id": oid, "text": _texts(report, path, entry, "text", where=f"{where}option '{oid}': ")})
    return options


def _survey_labels(report, path, item, kind, where):
    raw, line = item.get("labels"), item.line_of("labels")
    if kind == "agree5":
        if not isinstance(raw, list) or len(raw) != SURVEY_AGREE_POINTS:
            report.add(
                path,
                line,
                f"{where}'labels' of an agree5 item must list {SURVEY_AGREE_POINTS} texts {{fr, ar}}, "
                "from strongly disagree to strongly agree",
            )
            return None
        return [
            _locale_texts(report, path, entry, raw.item_lines[index], f"labels.{index + 1}", where=where)
            for index, entry in enumerate(raw)
        ]
    if kind == "scale10":
        if not isinstance(raw, dict):
            report.add(path, line, f"{where}'labels' of a scale10 item must be {{low: {{fr, ar}}, high: {{fr, ar}}}}")
            return None
        _unknown_keys(report, path, raw, ("low", "high"), where)
        return {
            end: _locale_texts(report, path, raw.get(end), raw.line_of(end), f"labels.{end}", where=where)
            for end in ("low", "high")
        }
    report.add(path, line, f"{where}'labels' is only for agree5 and scale10 items")
    return None


def _survey_item(report, path, raw: LineDict) -> dict | None:
    iid = _survey_id(report, path, raw, "id", "item")
    if iid is None:
        return None
    where = f"item '{iid}': "
    _unknown_keys(report, path, raw, SURVEY_ITEM_KEYS, where)
    kind = raw.get("kind")
    if kind not in SURVEY_KINDS:
        report.add(path, raw.line_of("kind"), f"{where}'kind' must be one of {', '.join(SURVEY_KINDS)}")
        _texts(report, path, raw, "text", where=where)
        return None
    item = {"id": iid, "kind": kind, "text": _texts(report, path, raw, "text", where=where)}
    required = raw.get("required", kind in SURVEY_REQUIRED_BY_DEFAULT)
    if not isinstance(required, bool):
        report.add(path, raw.line_of("required"), f"{where}'required' must be true or false")
    item["required"] = required is True
    if kind in SURVEY_CHOICE_KINDS:
        item["options"] = _survey_options(report, path, raw, where)
    elif "options" in raw:
        report.add(path, raw.line_of("options"), f"{where}'options' is only for single and multiple items")
    if "labels" in raw:
        labels = _survey_labels(report, path, raw, kind, where)
        if labels is not None:
            item["labels"] = labels
    if kind in SURVEY_TEXT_MAX:
        limit = SURVEY_TEXT_MAX[kind]
        length = raw.get("max_length", limit)
        if not isinstance(length, int) or isinstance(length, bool) or not 1 <= length <= limit:
            report.add(path, raw.line_of("max_length"), f"{where}'max_length' must be a whole number from 1 to {limit}")
            length = limit
        item["max_length"] = length
    elif "max_length" in raw:
        report.add(path, raw.line_of("max_length"), f"{where}'max_length' is only for short_text and long_text items")
    return item


def _load_survey(report, path: Path, roles: dict[str, str]) -> SurveySource | None:
    """One survey file; ``roles`` (role -> file name, in file order) finds a second survey of a role."""
    data, _raw = _read_yaml(report, path)
    if data is None:
        return None
    if not isinstance(data, dict):
        report.add(path, 1, "a survey must be a mapping (title, role, sections)")
        return None
    start = len(report.problems)
    _unknown_keys(report, path, data, SURVEY_KEYS)
    title = _texts(report, path, data, "title")
    intro = _texts(report, path, data, "intro", required=False)
    role = data.get("role")
    if role not in SURVEY_ROLES:
        report.add(path, data.line_of("role"), f"'role' must be {' | '.join(SURVEY_ROLES)}")
    elif role in roles:
        report.add(
            path, data.line_of("role"), f"the course already has a '{role}' survey ({roles[role]}): one per role"
        )
    else:
        roles[role] = path.name
    named = data.get("named", False)
    if not isinstance(named, bool):
        report.add(path, data.line_of("named"), "'named' must be true or false")
    sections_data = data.get("sections")
    if not isinstance(sections_data, list) or not sections_data:
        report.add(path, data.line_of("sections"), "'sections' must list at least one section")
        sections_data = []
    sections, section_lines, item_lines = [], {}, {}
    for index, raw in enumerate(sections_data):
        line = sections_data.item_lines[index]
        if not isinstance(raw, dict):
            report.add(path, line, "each section must be a mapping (id, title, items)")
            continue
        sid = _survey_id(report, path, raw, "id", "section")
        if sid is None:
            continue
        where = f"section '{sid}': "
        if sid in section_lines:
            report.add(path, raw.line_of("id"), f"duplicate section id '{sid}' (first at line {section_lines[sid]})")
        else:
            section_lines[sid] = raw.line_of("id")
        _unknown_keys(report, path, raw, SURVEY_SECTION_KEYS, where)
        section = {"id": sid, "title": _texts(report, path, raw, "title", where=where), "items": []}
        items_data = raw.get("items")
        if not isinstance(items_data, list) or not items_data:
            report.add(path, raw.line_of("items"), f"{where}'items' must list at least one item")
            items_data = []
        for item_index, item_raw in enumerate(items_data):
            if not isinstance(item_raw, dict):
                report.add(
                    path, items_data.item_lines[item_index], f"{where}each item must be a mapping (id, kind, text)"
                )
                continue
            item = _survey_item(report, path, item_raw)
            if item is None:
                continue
            if item["id"] in item_lines:
                report.add(
                    path,
                    item_raw.line_of("id"),
                    f"duplicate item id '{item['id']}' (first at line {item_lines[item['id']]}): "
                    "item ids are unique in the whole survey",
                )
                continue
            item_lines[item["id"]] = item_raw.line_of("id")
            section["items"].append(item)
        sections.append(section)
    if len(report.problems) > start:
        return None
    definition = {"title": title, "intro": intro, "role": role, "named": named, "sections": sections}
    return SurveySource(
        slug=path.stem,
        role=role,
        definition=definition,
        source_hash=_sha(json.dumps(definition, sort_keys=True, ensure_ascii=False)),
    )


def _load_surveys(report, course_folder: Path) -> list[SurveySource]:
    folder = course_folder / SURVEYS_DIR
    if not folder.is_dir():
        return []
    surveys, roles = [], {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_file():
            report.add(path, 1, f"unexpected folder '{path.name}' in the surveys folder (surveys are <slug>.yaml)")
            continue
        if path.suffix != ".yaml":
            report.add(path, 1, f"unexpected file '{path.name}' in the surveys folder (surveys are <slug>.yaml)")
            continue
        if not SLUG_RE.match(path.stem) or len(path.stem) > 80:
            report.add(path, 1, f"survey file '{path.name}' must be named <slug>.yaml (a-z, 0-9, -)")
            continue
        survey = _load_survey(report, path, roles)
        if survey is not None:
            surveys.append(survey)
    return surveys


# --- the tree ---------------------------------------------------------------------------------


def load_courses(root: str | Path) -> tuple[list[CourseSource], list[Problem]]:
    """Parse and validate every course under ``root``; all problems at once."""
    courses, problems, _warnings = check_courses(root)
    return courses, problems


def check_courses(root: str | Path) -> tuple[list[CourseSource], list[Problem], list[Problem]]:
    """``load_courses`` and the warnings: things to finish that do not make the content invalid."""
    tree = load_tree(root)
    return tree.courses, tree.problems, tree.warnings


@dataclass
class Tree:
    """All of ``courses/``: the courses, the library (``courses/_library/``), the problems and the warnings."""

    courses: list[CourseSource]
    library: LibrarySource
    problems: list[Problem]
    warnings: list[Problem]


def _question_references(quiz: dict | None) -> dict[str, set[str]]:
    """``{question id: {instrument/article, ...}}`` for the questions whose texts cite articles."""
    found: dict[str, set[str]] = {}

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    for question in (quiz or {}).get("questions", []):
        refs = {ref for text in strings(question) for ref in references_in(text)}
        if refs:
            found[question["id"]] = refs
    return found


def _check_library_references(report, folder: Path, modules: list[ModuleSource], library: LibrarySource) -> None:
    """Unknown references in module texts (at their line) and quizzes; what each module cites; the library's part
    of each module's hash (a changed article it cites, or a changed glossary, renders it again)."""
    for module in modules:
        for text in module.texts.values():
            check_text_references(report, text.path, text.body_line, text.source, library)
            module.references |= set(references_in(text.body))
        quiz_path = folder / module.folder / "quiz.yaml"
        if quiz_path.exists():
            check_text_references(report, quiz_path, None, quiz_path.read_text(encoding="utf-8"), library, True)
        module.question_references = _question_references(module.quiz)
        if library.instruments or library.terms:
            module.source_hash = _sha(module.source_hash, "library", library.render_hash(module.references))


def load_tree(root: str | Path) -> Tree:
    """Parse and validate every course and the library under ``root``; all problems at once."""
    root = Path(root).resolve()
    report = _Report(root.parent)
    if not root.is_dir():
        report.add(root, 1, "no such folder")
        return Tree([], LibrarySource(), report.problems, report.warnings)
    courses = []
    law = load_law(report, root)
    library = load_library(report, root)
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        if not SLUG_RE.match(folder.name):
            report.add(folder, 1, f"course folder '{folder.name}' must be a slug (a-z, 0-9, -)")
            continue
        if folder.name in RESERVED_COURSE_SLUGS:
            report.add(folder, 1, f"course folder '{folder.name}' is a reserved name (a page of its own)")
            continue
        course = _load_course_meta(report, folder)
        modules, seen_slugs, seen_positions = [], {}, {}
        for module_dir in sorted(
            p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name != SURVEYS_DIR
        ):
            match = MODULE_DIR_RE.match(module_dir.name)
            if not match:
                report.add(
                    module_dir, 1, f"module folder '{module_dir.name}' must be named NN-slug (e.g. 01-introduction)"
                )
                continue
            position, slug = int(match.group(1)), match.group(2)
            if slug in seen_slugs:
                report.add(module_dir, 1, f"duplicate module slug '{slug}' (also {seen_slugs[slug]})")
                _load_module(report, module_dir, position, slug, law)  # still report its own problems
                continue
            if position in seen_positions:
                report.add(module_dir, 1, f"duplicate module number {position:02d} (also {seen_positions[position]})")
            seen_slugs[slug] = module_dir.name
            seen_positions[position] = module_dir.name
            modules.append(_load_module(report, module_dir, position, slug, law))
        if not modules:
            report.add(folder, 1, "the course has no module folder")
        anchors = {(m.folder, locale): heading_ids(text.body) for m in modules for locale, text in m.texts.items()}
        _check_assessments(report, folder, modules)
        _check_library_references(report, folder, modules, library)
        for module in modules:
            _check_links(report, folder, module, anchors)
            for text in module.texts.values():
                _check_law_quotes(report, text, law)
                _check_figures(report, text)
        surveys = _load_surveys(report, folder)
        if course is not None:
            course.modules = modules
            course.surveys = surveys
            courses.append(course)
    if not courses and not report.problems:
        report.add(root, 1, "no course folder found")
    for case in library.cases:
        if case.from_module and not (root / case.from_module).is_dir():
            # where the case first appeared is information, not a link: a module removed since does not make
            # the library invalid
            report.warn(case.path, 1, f"'from_module': no module folder {case.from_module} in the courses")
    return Tree(courses, library, report.problems, report.warnings)
