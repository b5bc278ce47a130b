"""Moodle GIFT import and export, and Aiken import, of quiz questions. Pure functions: no Flask, no database.

- ``parse_gift(text, locale)`` and ``parse_aiken(text, locale)`` return ``(questions, problems)``: the questions in
  the shapes of ``lms.content.loader`` (see ``courses/README.md``), and every problem as ``(line, message)``.
  ``read_gift`` and ``read_aiken`` return a :class:`GiftImport` that also holds warnings (what a question cannot
  keep, such as the feedback of a true/false answer or a negative weight, each at the line it is on), the Moodle
  categories and the line of each question.
- A text without multilang markup is filed under the language it is written in: Arabic when Arabic letters
  outnumber Latin ones, else ``locale``; a text with no letters at all (``2000``, ``27-14``) belongs to every
  language of its question's prompt.
- ``export_gift(quiz)`` writes every question type, each text in all its languages as Moodle "multilang" spans.

GIFT has no place for points, an objective, the ``always`` flag, an essay's rubric, the accepted short answers of
each language or the ids of options: ``export_gift`` writes them as JSON on a comment line ``// tadrib: {...}``
before the question. Moodle ignores comments; ``parse_gift`` reads the line back, so an exported quiz imports again
unchanged.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from dataclasses import dataclass, field

from ..content.loader import ID_RE, LOCALES

# --- reading -----------------------------------------------------------------------------------

#: characters GIFT escapes with a backslash; while parsing they are hidden as private-use characters
_SPECIAL = "\\~=#{}:"
_HIDE = {c: chr(0xE000 + ord(c)) for c in _SPECIAL}
_NEWLINE = chr(0xE000 + ord("\n"))
_SHOW = str.maketrans({**{v: k for k, v in _HIDE.items()}, _NEWLINE: "\n"})
_ESCAPE_RE = re.compile(r"\\([\\~=#{}:n])")
#: markup whose = ~ # { } are never GIFT syntax, even when the author forgot to escape them
_MLANG_TOKEN_RE = re.compile(r"\{mlang(?:\s+[\w\s,-]*)?\}", re.I)
_TAG_RE = re.compile(r"</?[A-Za-z][^<>]*>")
_ENTITY_RE = re.compile(r"&#x?[0-9A-Fa-f]+;")

_FORMAT_RE = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]", re.I)
#: HTML whose content a plain quiz text cannot keep
_DROPPED_HTML_RE = re.compile(r"<(img|a|audio|video|iframe|object|embed|table)\b", re.I)
_DROPPED_HTML = {"img": "an image", "a": "a link", "table": "a table"}
_WEIGHT_RE = re.compile(r"^\s*%(-?\d+(?:[.,]\d+)?)%")
_CLOZE_RE = re.compile(r"^\d*:[A-Z_]+:", re.I)
_TRUEFALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_META_PREFIX = "tadrib:"

_MULTILANG_RE = re.compile(
    r"<span\b(?=[^>]*\bclass\s*=\s*[\"'][^\"']*\bmultilang\b)[^>]*?\blang\s*=\s*[\"']([\w-]+)[\"'][^>]*>(.*?)</span\s*>"
    r"|<lang\b[^>]*?\blang\s*=\s*[\"']([\w-]+)[\"'][^>]*>(.*?)</lang\s*>",
    re.I | re.S,
)
_MLANG_BLOCK_RE = re.compile(r"\{mlang\s+([\w\s,-]+?)\s*\}(.*?)\{mlang\}", re.I | re.S)
_BREAK_RE = re.compile(r"<br\s*/?>", re.I)
_PARAGRAPH_END_RE = re.compile(r"</(?:p|div|h[1-6]|blockquote|pre|ul|ol|table)\s*>", re.I)
_LINE_END_RE = re.compile(r"</(?:li|tr)\s*>", re.I)

Problem = tuple[int, str]


@dataclass
class GiftImport:
    """What a GIFT or Aiken file gives: ``parse_gift`` returns only its questions and problems."""

    questions: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: what the questions cannot keep (a true/false feedback, a partial weight...): worth saying, not an error
    warnings: list[Problem] = field(default_factory=list)
    #: question id -> the Moodle category (``$CATEGORY:``) it was in; quiz.yaml has no key for it
    categories: dict[str, str] = field(default_factory=dict)
    #: question id -> the line where the question starts
    lines: dict[str, int] = field(default_factory=dict)


def parse_gift(text: str, locale: str = "fr") -> tuple[list[dict], list[Problem]]:
    """Questions and problems from Moodle GIFT text; texts without multilang markup are in ``locale``."""
    result = read_gift(text, locale)
    return result.questions, result.problems


def parse_aiken(text: str, locale: str = "fr") -> tuple[list[dict], list[Problem]]:
    """Single-choice questions and problems from Aiken text (question, ``A. ...`` options, ``ANSWER: B``)."""
    result = read_aiken(text, locale)
    return result.questions, result.problems


def read_gift(text: str, locale: str = "fr") -> GiftImport:
    reader = _GiftReader(locale)
    for block in _blocks(text):
        reader.read(block)
    return reader.result


def _lines(text: str) -> list[str]:
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _blocks(text: str):
    """Questions are separated by blank lines; yields lists of (line number, line)."""
    block: list[tuple[int, str]] = []
    for number, line in enumerate(_lines(text), 1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


def _hide(text: str) -> str:
    """Hide escaped characters, and the = ~ # { } of HTML tags, entities and {mlang} tokens."""
    text = _ESCAPE_RE.sub(lambda m: _NEWLINE if m.group(1) == "n" else _HIDE[m.group(1)], text)

    def hide_syntax(match: re.Match) -> str:
        return match.group(0).translate({ord(c): _HIDE[c] for c in "~=#{}"})

    text = _MLANG_TOKEN_RE.sub(hide_syntax, text)
    text = _TAG_RE.sub(hide_syntax, text)
    return _ENTITY_RE.sub(hide_syntax, text)


def _html_to_text(value: str) -> str:
    value = re.sub(r"\s*\n\s*", " ", value)  # a line break in HTML source is a space
    value = _BREAK_RE.sub("\n", value)
    value = _PARAGRAPH_END_RE.sub("\n\n", value)
    value = _LINE_END_RE.sub("\n", value)
    value = html.unescape(_TAG_RE.sub("", value))
    value = "\n".join(line.strip() for line in value.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", value).strip()


def _question_id(name: str | None) -> str | None:
    """The id for a GIFT question name: kept when it is a valid id, else slugified."""
    name = (name or "").strip()
    if not name:
        return None
    if ID_RE.match(name):
        return name
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:64].strip("-")
    return slug or None


def _letters(count: int) -> list[str]:
    """a, b, ..., z, aa, ab, ...: the option ids of an imported question."""
    names = []
    for number in range(1, count + 1):
        name = ""
        while number:
            number, rest = divmod(number - 1, 26)
            name = chr(ord("a") + rest) + name
        names.append(name)
    return names


def _meta_ids(meta: dict, key: str, count: int, default: list[str]) -> list[str]:
    ids = meta.get(key)
    if (
        isinstance(ids, list)
        and len(ids) == count
        and len(set(map(str, ids))) == count
        and all(ID_RE.match(str(i)) for i in ids)
    ):
        return [str(i) for i in ids]
    return default


def _is_arabic(char: str) -> bool:
    return "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u08ff" or "\ufb50" <= char <= "\ufeff"


def written_in(text: str) -> str | None:
    """``ar`` for a text mostly in Arabic letters, ``latin`` for one mostly in other letters, None without letters."""
    arabic = latin = 0
    for char in text:
        if char.isalpha():
            if _is_arabic(char):
                arabic += 1
            else:
                latin += 1
    if not arabic and not latin:
        return None
    return "ar" if arabic > latin else "latin"


class _Reader:
    def __init__(self, locale: str):
        self.locale = locale if locale in LOCALES else "fr"
        self.result = GiftImport()
        self.line = 1
        self.count = 0
        #: the languages of the current question's prompt: where a text without letters belongs
        self.context: list[str] = []
        #: the line number of each line of the current question's text (comments left out)
        self.numbers: list[int] = []
        self.source = ""

    def at(self, offset: int | None) -> int:
        """The file's line number for a position in the current question's text."""
        if offset is None or not self.numbers:
            return self.line
        index = self.source.count("\n", 0, max(offset, 0))
        return self.numbers[min(index, len(self.numbers) - 1)]

    def problem(self, message: str) -> None:
        self.result.problems.append((self.line, message))

    def warn(self, message: str, offset: int | None = None) -> None:
        entry = (self.at(offset), message)
        if entry not in self.result.warnings:
            self.result.warnings.append(entry)

    def plain(self, text: str) -> dict[str, str]:
        """A text without multilang markup, filed under the language it is written in."""
        script = written_in(text)
        if script is None:
            return {locale: text for locale in self.context or [self.locale]}
        return {"ar" if script == "ar" else self.locale: text}

    def add(self, name: str | None, question: dict, category: str | None = None) -> None:
        base = _question_id(name) or f"q{self.count}"
        qid, number = base, 2
        while qid in self.result.lines:
            qid = f"{base[:60]}-{number}"
            number += 1
        if qid != base:
            self.warn(f"the id '{base}' is already used in this file: this question is '{qid}'")
        self.result.questions.append({"id": qid, **question})
        self.result.lines[qid] = self.line
        if category:
            self.result.categories[qid] = category

    def by_locale(self, text: str) -> dict[str, str]:
        """Split Moodle multilang markup (spans or {mlang} blocks) into one text per locale."""
        found = []
        for m in _MULTILANG_RE.finditer(text):
            lang, body = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
            found.append((m.start(), m.end(), [lang], body))
        for m in _MLANG_BLOCK_RE.finditer(text):
            found.append((m.start(), m.end(), re.split(r"[\s,]+", m.group(1).strip()), m.group(2)))
        if not found:
            return self.plain(text)
        segments: list[str | dict] = []
        group: dict | None = None
        position = 0
        for start, end, langs, body in sorted(found, key=lambda f: f[0]):
            if start < position:
                continue
            gap = text[position:start]
            if group is None or gap.strip():  # consecutive spans (or blocks) form one group
                segments.append(gap)
                group = {}
                segments.append(group)
            for lang in langs:
                code = lang.lower().replace("-", "_").split("_")[0]
                if code in LOCALES or code == "other":
                    group.setdefault(code, body)
                else:
                    self.warn(f"text in language '{lang}' ignored (Tadrib has {', '.join(LOCALES)})")
            position = end
        segments.append(text[position:])
        locales = [loc for loc in LOCALES if any(isinstance(s, dict) and loc in s for s in segments)]
        return {
            loc: "".join(s if isinstance(s, str) else s.get(loc, s.get("other", "")) for s in segments)
            for loc in locales or [self.locale]
        }


class _GiftReader(_Reader):
    def __init__(self, locale: str):
        super().__init__(locale)
        self.category: str | None = None

    def read(self, block: list[tuple[int, str]]) -> None:
        comments = [line.strip()[2:].strip() for _n, line in block if line.strip().startswith("//")]
        content = [(n, line) for n, line in block if not line.strip().startswith("//")]
        if content and content[0][1].strip().startswith("$CATEGORY:"):
            self.category = content[0][1].strip()[len("$CATEGORY:") :].strip() or None
            if self.category:
                self.line = content[0][0]
                self.numbers = []
                self.warn(f"the Moodle category '{self.category}' is not kept: quiz.yaml has no categories")
            content = content[1:]
        if not content:
            return
        self.line = content[0][0]
        self.count += 1
        self.context = []
        meta = self.meta(comments)
        self.numbers = [n for n, _line in content]
        self.source = _hide("\n".join(line for _n, line in content).strip())
        self.question(self.source, meta)

    def meta(self, comments: list[str]) -> dict:
        meta: dict = {}
        for comment in comments:
            if comment.startswith(_META_PREFIX):
                try:
                    value = json.loads(comment[len(_META_PREFIX) :])
                except ValueError:
                    self.warn("unreadable '// tadrib:' comment ignored")
                    continue
                if isinstance(value, dict):
                    meta = value
        return meta

    def text(self, raw: str, fmt: str, markup: bool = True, offset: int | None = None) -> dict[str, str]:
        """The texts by locale of a piece of the question (``raw`` still has hidden characters)."""
        match = _FORMAT_RE.match(raw)
        if match:
            fmt, raw = match.group(1).lower(), raw[match.end() :]
        if fmt == "html" and markup:
            for tag in sorted({m.group(1).lower() for m in _DROPPED_HTML_RE.finditer(raw.translate(_SHOW))}):
                what = _DROPPED_HTML.get(tag, f"a <{tag}>")
                self.warn(f"{what} (<{tag}>) is dropped: quiz texts are plain text", offset)
        result = {}
        for locale, value in self.by_locale(raw.translate(_SHOW)).items():
            value = _html_to_text(value) if fmt == "html" and markup else value.strip()
            if value:
                result[locale] = value
        return result

    def question(self, text: str, meta: dict) -> None:
        name = None
        base = 0  # where ``text`` starts in the question's source
        if text.startswith("::"):
            end = text.find("::", 2)
            if end < 0:
                self.problem("the question name is not closed: write ::name:: before the question")
                return
            name = text[2:end].translate(_SHOW)
            rest = text[end + 2 :]
            base = end + 2 + len(rest) - len(rest.lstrip())
            text = rest.strip()
        fmt, opening, closing = "moodle", text.find("{"), text.find("}")
        match = _FORMAT_RE.match(text)
        if match:
            fmt = match.group(1).lower()
        if opening < 0 and closing < 0:
            self.problem("unsupported question type: description (a text without an answer block)")
            return
        if opening < 0 or closing < opening:
            self.problem("unbalanced braces: write a literal { or } as \\{ or \\}")
            return
        before, answers, after = text[:opening], text[opening + 1 : closing], text[closing + 1 :]
        if "{" in answers or "{" in after or "}" in after:
            self.problem("unsupported question type: cloze (several answer blocks in one question)")
            return
        general, start = "", base + opening + 1
        general_at = None
        if "####" in answers:
            general_at = start + answers.rindex("####") + 4
            answers, general = answers.rsplit("####", 1)
        body = answers.strip()
        start += len(answers) - len(answers.lstrip())
        if body.startswith("#"):
            self.problem("unsupported question type: numeric")
            return
        if _CLOZE_RE.match(body):
            self.problem("unsupported question type: cloze (embedded answers)")
            return
        prompt = self.text(before + "_____" + after if after.strip() else before, fmt, offset=base)
        if not prompt:
            self.problem("the question has no text")
            return
        self.context = list(prompt)
        if not body:
            kind, details = "essay", self.essay(meta)
        elif "~" in body:
            kind, details = ("single" if "=" in body else "multiple"), self.choice(body, fmt, meta, start)
        elif "=" in body and "->" in body:
            kind, details = "matching", self.matching(body, fmt, meta)
        elif body.split("#", 1)[0].strip().upper() in _TRUEFALSE:
            kind, details = "truefalse", self.truefalse(body, fmt, start)
        else:
            kind, details = "short", self.short(body, fmt, meta, start)
        if details is None:
            return
        points = meta.get("points", 1)
        if isinstance(points, bool) or not isinstance(points, (int, float)) or not 0 < points <= 100:
            self.warn("'points' in the '// tadrib:' comment must be a number from 0 to 100: 1 point")
            points = 1
        explanation = self.text(general, fmt, offset=general_at)
        question = {"type": kind, "points": points, "prompt": prompt, "explanation": explanation}
        objective = meta.get("objective")
        if isinstance(objective, str) and objective.strip():
            question["objective"] = objective.strip()
        if meta.get("always") is True:
            question["always"] = True
        self.add(name, {**question, **details}, self.category)

    def choice(self, body: str, fmt: str, meta: dict, start: int | None = None) -> dict | None:
        single = "=" in body
        pieces = re.split(r"(?=[~=])", body)
        if pieces[0].strip():
            self.problem("each answer must start with = (right) or ~ (wrong)")
            return None
        options, weights, offsets = [], [], []
        position = None if start is None else start + len(pieces[0])
        for piece in pieces[1:]:
            offset = position
            if position is not None:
                position += len(piece)
            marker, rest = piece[0], piece[1:]
            weight = None
            match = _WEIGHT_RE.match(rest)
            if match:
                weight, rest = float(match.group(1).replace(",", ".")), rest[match.end() :]
            text_raw, _sep, feedback_raw = rest.partition("#")
            text = self.text(text_raw, fmt, offset=offset)
            if not text:
                self.problem("an answer has no text")
                return None
            if single:
                correct = marker == "="
                if not correct and weight and weight > 0:
                    self.warn(
                        "partial credit is not supported: an answer with a positive weight counts as wrong", offset
                    )
                elif not correct and weight and weight < 0:
                    self.warn(
                        f"the weight {weight:g}% of a wrong answer is not kept: in Tadrib a wrong answer scores 0",
                        offset,
                    )
                elif correct and weight is not None and weight != 100:
                    self.warn(f"the weight {weight:g}% of the right answer is not kept: it scores 100%", offset)
            else:
                correct = (weight or 0) > 0
            weights.append(weight or 0.0)
            offsets.append(offset)
            option = {"text": text, "correct": correct}
            feedback = self.text(feedback_raw, fmt, offset=offset)
            if feedback:
                option["feedback"] = feedback
            options.append(option)
        right = sum(1 for o in options if o["correct"])
        if len(options) < 2:
            self.problem("a choice question needs at least two answers")
        elif single and right != 1:
            self.problem(f"a single-choice question needs exactly one right answer '=' (has {right})")
        elif not single and not right:
            self.problem("a multiple-response question needs at least one answer with a positive weight (~%50%...)")
        else:
            if not single:
                self.multiple_weights(options, weights, offsets)
            ids = _meta_ids(meta, "options", len(options), _letters(len(options)))
            return {"options": [{"id": oid, **option} for oid, option in zip(ids, options, strict=True)]}
        return None

    def multiple_weights(self, options: list[dict], weights: list[float], offsets: list) -> None:
        """Tadrib scores a multiple-response question as right chosen / right - wrong chosen / wrong: say which
        of Moodle's weights that changes."""
        right = [w for o, w in zip(options, weights, strict=True) if o["correct"]]
        wrong_count = len(options) - len(right)
        if len({round(w, 2) for w in right}) > 1:
            first = next(
                off for o, w, off in zip(options, weights, offsets, strict=True) if o["correct"] and w != right[0]
            )
            self.warn("the weights of the right answers differ: Tadrib gives each right answer an equal share", first)
        for option, weight, offset in zip(options, weights, offsets, strict=True):
            if option["correct"] or abs(weight - (-100 / wrong_count)) < 0.01:
                continue
            self.warn(
                f"the weight {weight:g}% of a wrong answer is not kept: in Tadrib each wrong answer chosen "
                f"takes off 1/{wrong_count} of the points ({-100 / wrong_count:.4g}%)",
                offset,
            )

    def truefalse(self, body: str, fmt: str, start: int | None = None) -> dict:
        answer, *feedbacks = body.split("#", 2)
        if any(self.text(f, fmt) for f in feedbacks):
            self.warn(
                "the feedback of a true/false answer is not kept: write it in the general feedback (####)",
                None if start is None else start + len(answer),
            )
        return {"answer": _TRUEFALSE[answer.strip().upper()]}

    def matching(self, body: str, fmt: str, meta: dict) -> dict | None:
        pieces = body.split("=")
        if pieces[0].strip():
            self.problem("each pair of a matching question must start with =")
            return None
        choices: list[dict] = []
        keys: dict[tuple, int] = {}
        pairs: list[tuple[dict, int]] = []
        for piece in pieces[1:]:
            if "->" not in piece:
                self.problem("a matching pair needs '->': =item -> match")
                return None
            left, right = piece.split("->", 1)
            right_text = self.text(right, fmt)
            if not right_text:
                self.problem("a matching pair has nothing after '->'")
                return None
            key = tuple(sorted(right_text.items()))
            if key not in keys:
                keys[key] = len(choices)
                choices.append(right_text)
            left_text = self.text(left, fmt)
            if left_text:  # "= -> text" is an extra choice that matches no item
                pairs.append((left_text, keys[key]))
        if len(pairs) < 2:
            self.problem("a matching question needs at least two pairs")
            return None
        choice_ids = _meta_ids(meta, "choices", len(choices), [f"c{n}" for n in range(1, len(choices) + 1)])
        item_ids = _meta_ids(meta, "items", len(pairs), [f"i{n}" for n in range(1, len(pairs) + 1)])
        listed = [{"id": cid, "text": text} for cid, text in zip(choice_ids, choices, strict=True)]
        order = meta.get("choice_order")
        if isinstance(order, list) and sorted(map(str, order)) == sorted(choice_ids):
            listed.sort(key=lambda choice: [str(o) for o in order].index(choice["id"]))
        return {
            "choices": listed,
            "items": [
                {"id": iid, "text": text, "match": choice_ids[index]}
                for iid, (text, index) in zip(item_ids, pairs, strict=True)
            ],
        }

    def short(self, body: str, fmt: str, meta: dict, start: int | None = None) -> dict | None:
        answers: dict[str, list[str]] = {}
        position = start
        for number, piece in enumerate(body.split("=")):
            offset = position
            if position is not None:
                position += len(piece) + 1
            if number == 0 and not piece.strip():
                continue
            weight = 100.0
            match = _WEIGHT_RE.match(piece)
            if match:
                weight, piece = float(match.group(1).replace(",", ".")), piece[match.end() :]
            text_raw, _sep, feedback_raw = piece.partition("#")
            texts = self.text(text_raw, fmt, markup=False)  # compared as typed: never HTML
            if not texts:
                continue
            shown = next(iter(texts.values()))
            if weight <= 0:
                self.warn(f"the answer '{shown}' has a weight of {weight:g}%: it is not accepted", offset)
                continue
            if weight < 100:
                self.warn(f"partial credit is not supported: the answer '{shown}' is accepted as right", offset)
            if self.text(feedback_raw, fmt):
                self.warn("the feedback of a short answer is not kept: write it in the general feedback (####)", offset)
            for locale, value in texts.items():
                accepted = answers.setdefault(locale, [])
                if value not in accepted:
                    accepted.append(value)
        if not answers:
            self.problem("a short-answer question needs at least one accepted answer")
            return None
        by_locale = meta.get("answers")
        if (
            isinstance(by_locale, dict)
            and all(loc in LOCALES and isinstance(v, list) and v for loc, v in by_locale.items())
            and {str(a) for v in by_locale.values() for a in v} == {a for v in answers.values() for a in v}
        ):
            answers = {loc: [str(a) for a in values] for loc, values in by_locale.items()}
        return {"answers": answers}

    def essay(self, meta: dict) -> dict:
        rubric = meta.get("rubric")
        if not isinstance(rubric, dict):
            return {"rubric": {}}
        return {"rubric": {loc: str(t).strip() for loc, t in rubric.items() if loc in LOCALES and str(t).strip()}}


# --- Aiken -------------------------------------------------------------------------------------

_AIKEN_OPTION_RE = re.compile(r"^([A-Za-z])\s*[.)]\s+(.*)$")
_AIKEN_ANSWER_RE = re.compile(r"^ANSWER\s*:\s*(\S*)\s*$", re.I)


def read_aiken(text: str, locale: str = "fr") -> GiftImport:
    reader = _Reader(locale)
    current: dict | None = None

    def finish(question: dict, answer: str | None) -> None:
        reader.line = question["line"]
        letters = [letter for letter, _text in question["options"]]
        if answer is None:
            reader.problem("the question has no 'ANSWER:' line after its options")
        elif len(letters) < 2:
            reader.problem("an Aiken question needs at least two options (A. ..., B. ...)")
        elif len(set(letters)) != len(letters):
            reader.problem("two options have the same letter")
        elif answer.upper() not in letters:
            reader.problem(f"'ANSWER: {answer}' names no option (options: {', '.join(letters)})")
        else:
            prompt = reader.plain(" ".join(question["text"]).strip())
            reader.context = list(prompt)
            options = [
                {"id": letter.lower(), "text": reader.plain(value), "correct": letter == answer.upper()}
                for letter, value in question["options"]
            ]
            question_data = {"prompt": prompt, "explanation": {}, "options": options}
            reader.add(None, {"type": "single", "points": 1, **question_data})

    for number, raw in enumerate(_lines(text), 1):
        line = raw.strip()
        if not line:
            continue
        answer, option = _AIKEN_ANSWER_RE.match(line), _AIKEN_OPTION_RE.match(line)
        if current is None:
            reader.line = number
            if answer or option:
                reader.problem("expected a question before its options and 'ANSWER:' line")
                continue
            reader.count += 1
            current = {"line": number, "text": [line], "options": []}
        elif answer:
            finish(current, answer.group(1))
            current = None
        elif option:
            current["options"].append((option.group(1).upper(), option.group(2).strip()))
        elif current["options"]:
            finish(current, None)
            reader.count += 1
            current = {"line": number, "text": [line], "options": []}
        else:
            current["text"].append(line)
    if current is not None:
        finish(current, None)
    return reader.result


# --- writing -----------------------------------------------------------------------------------


def export_gift(quiz_definition: dict) -> str:
    """Moodle GIFT for a quiz (as ``lms.content.loader`` reads it): every text in all its languages."""
    header = ["// Tadrib quiz in Moodle GIFT format (UTF-8). Texts are Moodle multilang spans (filter_multilang)."]
    title = _ordered(quiz_definition.get("title") or {})
    if title:
        header.append("// " + " · ".join(" ".join(str(t).split()) for t in title.values()))
    header.append("// '// tadrib:' lines keep what GIFT cannot say (points, rubric, answers by language).")
    blocks = ["\n".join(header)] + [_export_question(q) for q in quiz_definition.get("questions") or []]
    return "\n\n".join(blocks) + "\n"


def _ordered(texts: dict) -> dict:
    order = {loc: n for n, loc in enumerate(LOCALES)}
    return {loc: texts[loc] for loc in sorted(texts, key=lambda loc: (order.get(loc, len(order)), loc))}


def _escape(text) -> str:
    text = str(text).replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _multilang(texts: dict | None) -> str:
    spans = (
        f'<span lang="{loc}" class="multilang">'
        + html.escape(str(value), quote=False).replace("\r", "").replace("\n", "<br>")
        + "</span>"
        for loc, value in _ordered(texts or {}).items()
    )
    return _escape("".join(spans))


def _percent(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def question_meta(question: dict) -> dict:
    """A question's settings that differ from the defaults (points, objective, always drawn), as written out."""
    meta: dict = {}
    if question.get("points", 1) != 1:
        meta["points"] = question["points"]
    if question.get("objective"):
        meta["objective"] = question["objective"]
    if question.get("always"):
        meta["always"] = True
    return meta


def _export_question(question: dict) -> str:
    kind = question["type"]
    meta = question_meta(question)
    body: list[str] = []
    if kind in ("single", "multiple"):
        options = question.get("options") or []
        ids = [str(o["id"]) for o in options]
        if ids != _letters(len(ids)):
            meta["options"] = ids
        right = sum(1 for o in options if o.get("correct"))
        wrong = len(options) - right
        for option in options:
            if kind == "single":
                marker = "=" if option.get("correct") else "~"
            else:  # Moodle's weights, scored as Tadrib does: right/right - wrong/wrong
                marker = f"~%{_percent(100 / right if option.get('correct') else -100 / wrong)}%"
            line = "\t" + marker + _multilang(option.get("text"))
            if option.get("feedback"):
                line += "#" + _multilang(option["feedback"])
            body.append(line)
    elif kind == "truefalse":
        body.append("\tTRUE" if question.get("answer") else "\tFALSE")
    elif kind == "matching":
        choices = {str(c["id"]): c for c in question.get("choices") or []}
        items = question.get("items") or []
        order = []  # the choices in the order an import numbers them
        for item in items:
            if str(item.get("match")) in choices and str(item["match"]) not in order:
                order.append(str(item["match"]))
        unused = [cid for cid in choices if cid not in order]
        order += unused
        if order != [f"c{n}" for n in range(1, len(order) + 1)]:
            meta["choices"] = order
        if order != list(choices):
            meta["choice_order"] = list(choices)
        item_ids = [str(i["id"]) for i in items]
        if item_ids != [f"i{n}" for n in range(1, len(items) + 1)]:
            meta["items"] = item_ids
        for item in items:
            match = choices.get(str(item.get("match")), {}).get("text")
            body.append(f"\t={_multilang(item.get('text'))} -> {_multilang(match)}")
        body += [f"\t= -> {_multilang(choices[cid].get('text'))}" for cid in unused]
    elif kind == "short":
        answers = {loc: [str(a) for a in values] for loc, values in _ordered(question.get("answers") or {}).items()}
        accepted = list(dict.fromkeys(a for values in answers.values() for a in values))
        if answers:
            meta["answers"] = answers
        body += [f"\t=%100%{_escape(answer)}" for answer in accepted]
    elif kind == "essay" and question.get("rubric"):
        meta["rubric"] = _ordered(dict(question["rubric"]))
    if question.get("explanation"):
        body.append("\t####" + _multilang(question["explanation"]))
    text = f"::{_escape(question['id'])}::[html]{_multilang(question.get('prompt'))}"
    text += "{\n" + "\n".join(body) + "\n}" if body else "{}"
    if meta:
        text = f"// {_META_PREFIX} {json.dumps(meta, ensure_ascii=False)}\n{text}"
    return text
