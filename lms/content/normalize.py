"""Folding text so that a glossary term is found however it is written. Pure: no database, no Flask.

``fold(text)`` lower-cases; removes French accents (NFKD, combining marks dropped); removes Arabic tashkeel
(U+064B–U+065F, U+0670) and tatweel; writes every hamza and alef form as its base letter (أ إ آ ٱ → ا, ؤ → و,
ئ → ي), ى → ي, ة → ه; turns any run of spaces (no-break ones included) into one space, the non-breaking hyphen
into "-", and drops invisible format characters (LRM...). ``fold_with_map(text)`` also returns, for every
character of the folded text, the index of the character of ``text`` it came from, so that a match found in the
folded text can be marked in the original one.

The search index (``lms/search/normalize.py``) folds the same way and more (elisions, article numbers); the two are
meant to become one at merge.
"""

from __future__ import annotations

import unicodedata

_ARABIC = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ؤ": "و", "ئ": "ي", "ى": "ي", "ة": "ه", "\u0640": ""}
_HYPHENS = {"\u2011": "-", "\u2010": "-"}


def _fold_char(char: str) -> str:
    if char in _ARABIC:
        return _ARABIC[char]
    if char in _HYPHENS:
        return _HYPHENS[char]
    code = ord(char)
    if 0x064B <= code <= 0x065F or code == 0x0670:
        return ""
    if char.isspace():
        return " "
    if unicodedata.category(char) == "Cf":
        return ""
    if code < 0x80:
        return char.lower()
    decomposed = unicodedata.normalize("NFKD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def fold_with_map(text: str) -> tuple[str, list[int]]:
    """``(folded, origin)``: ``origin[i]`` is the index in ``text`` of the character that gave ``folded[i]``."""
    out: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(text):
        folded = _fold_char(char)
        if folded == " " and out and out[-1] == " ":
            continue
        for piece in folded:
            out.append(piece)
            origin.append(index)
    return "".join(out), origin


def fold(text: str) -> str:
    """``text`` folded for matching (see the module's docstring)."""
    return fold_with_map(text)[0].strip()
