"""One normalisation for French, Arabic and English text, used both when indexing and when querying (pure).

``tokens(text)`` cuts a text into words and gives each its normalised form with its place in the original text
(so that a snippet can mark the original words, accents and Arabic letters kept); ``normalize(text)`` is those
forms joined by spaces, the text the engines index. What it does, in order:

- compatibility forms folded (NFKC for presentation forms), case folded, Arabic-Indic and Persian digits to
  ASCII;
- Arabic: tashkeel (U+064B–U+065F, U+0670) and tatweel (U+0640) removed; أ إ آ ٱ → ا, ى → ي, ة → ه, ؤ → و,
  ئ → ي; a leading definite article (ال, وال, بال, كال, فال, لل) dropped when three letters or more remain
  ("الضحية" and "ضحية" are one word);
- French and English: accents removed (NFKD, marks dropped), œ → oe, æ → ae; elisions (l' d' j' m' n' s' t' c'
  qu' jusqu' lorsqu' puisqu', with ' or ’) dropped; a light stemming for words of more than three letters: a
  final ``s`` or ``x`` then up to two final ``e`` removed ("victimes", "victime" → "victim"; "forcées",
  "forcé" → "forc");
- article numbers: two numbers joined by ``-``, ``.``, ``/``, a dash or one space (``448-1``, ``448.1``,
  ``448 1``, and the Arabic order ``1-448``) become one token, the larger number first: ``448x1``.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

__all__ = ["Token", "tokens", "normalize", "query_terms", "STOPWORDS"]


class Token(NamedTuple):
    """A word: its normalised form and where it is in the original text (``text[start:end]``)."""

    norm: str
    start: int
    end: int


_APOSTROPHES = "'’ʼ‘`´"
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"})
_LIGATURES = {"œ": "oe", "æ": "ae", "ß": "ss"}
_ELISIONS = {"l", "d", "j", "m", "n", "s", "t", "c", "qu", "jusqu", "lorsqu", "puisqu", "quoiqu"}
_ARTICLE_PREFIXES = ("وال", "بال", "كال", "فال", "لل", "ال")

# A word: letters, digits and the marks inside them (tashkeel, accents), with inner apostrophes (elisions).
_WORD = r"[^\W_](?:[^\W_]|[\u064B-\u065F\u0670\u0640\u0300-\u036F]|[" + _APOSTROPHES + r"](?=[^\W_]))*"
# Two numbers joined by one separator: an article number (448-1, 448.1, 448 1, 1-448).
_NUMBER = r"[0-9٠-٩۰-۹]{1,5}(?:[ \u00a0]?[-.‐‑–—/][ \u00a0]?|[ \u00a0])[0-9٠-٩۰-۹]{1,5}(?![0-9٠-٩۰-۹])"
_SCANNER = re.compile(rf"(?P<number>(?<![0-9٠-٩۰-۹]){_NUMBER})|(?P<word>{_WORD})")
_SPLIT_NUMBER = re.compile(r"\d+")
_HAS_APOSTROPHE = re.compile("[" + _APOSTROPHES + "]")
_APOSTROPHE_SPLIT = _HAS_APOSTROPHE

#: Words too common to ask for (French, Arabic, English): dropped from a query unless nothing else is left.
STOPWORDS = frozenset(
    """a au aux avec ce ces dan de des du elle en et est il ils la le les leur lui mai me ne ni nou on ou par
    pa pour qu que qui sa se ses son sur ta te un une vou y l d j m n s t c ell of the and or to in on for is an at
    by be it من في علي الي عن و او ان ما هو هي مع هذا هذه ذلك التي الذي لا ثم قد كل""".split()
)


@lru_cache(maxsize=100_000)
def _fold(word: str) -> str:
    """The normalised form of one word (no number joining, no elision: see ``tokens``)."""
    word = unicodedata.normalize("NFKC", word).casefold().translate(_DIGITS)
    word = "".join(_LIGATURES.get(ch, ch) for ch in word)
    word = word.translate(_ARABIC_LETTERS)
    word = unicodedata.normalize("NFKD", word)
    word = "".join(ch for ch in word if not unicodedata.combining(ch) and ch != "\u0640")
    word = word.translate(_ARABIC_LETTERS)  # a letter NFKD decomposed and recomposed (none today; safe)
    if not word:
        return ""
    if "\u0600" <= word[0] <= "\u06ff":
        for prefix in _ARTICLE_PREFIXES:
            if word.startswith(prefix) and len(word) - len(prefix) >= 3:
                return word[len(prefix) :]
        return word
    if len(word) > 3 and word.isalpha():
        if word[-1] in "sx" and not word.endswith("ss"):
            word = word[:-1]
        for _ in range(2):
            if len(word) > 3 and word.endswith("e"):
                word = word[:-1]
    return word


def _number_token(text: str) -> str:
    first, second = (int(n) for n in _SPLIT_NUMBER.findall(text.translate(_DIGITS)))
    return f"{max(first, second)}x{min(first, second)}"


def _fold_match(match: re.Match) -> list[Token]:
    """The tokens of one match of ``_SCANNER`` (a number, or a word cut at its apostrophes)."""
    if match.group("number"):
        return [Token(_number_token(match.group()), match.start(), match.end())]
    word, offset = match.group(), match.start()
    if not _HAS_APOSTROPHE.search(word):
        norm = _fold(word)
        return [Token(norm, offset, match.end())] if norm else []
    found = []
    parts = _APOSTROPHE_SPLIT.split(word)
    for index, part in enumerate(parts):
        part_start = offset
        offset += len(part) + 1
        norm = _fold(part)
        if index < len(parts) - 1 and norm in _ELISIONS:
            continue  # l'enfant → enfant; qu'il → il
        if norm:
            found.append(Token(norm, part_start, part_start + len(part)))
    return found


def tokens(text: str) -> list[Token]:
    """The words of ``text`` with their normalised forms and places (see the module's docstring)."""
    found: list[Token] = []
    for match in _SCANNER.finditer(text or ""):
        found.extend(_fold_match(match))
    return found


def normalize(text: str) -> str:
    """The normalised words of ``text`` joined by single spaces: what the engines index."""
    return " ".join(token.norm for token in tokens(text))


def query_terms(text: str) -> list[str]:
    """The distinct normalised words of a query, in order, without stop words (kept when only they are left)."""
    words = list(dict.fromkeys(token.norm for token in tokens(text)))
    useful = [w for w in words if w not in STOPWORDS]
    return useful or words
