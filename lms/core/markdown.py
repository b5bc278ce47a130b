"""Markdown to safe HTML: Python-Markdown with the extensions legal text needs, then an nh3 allow-list."""

from __future__ import annotations

import re

import markdown
import nh3
from markdown.extensions.toc import slugify_unicode
from markupsafe import Markup

EXTENSIONS = ["tables", "footnotes", "admonition", "def_list", "toc", "sane_lists", "abbr"]
EXTENSION_CONFIGS = {
    "toc": {"slugify": slugify_unicode, "toc_depth": "2-3", "permalink": False},
    "footnotes": {"BACKLINK_TEXT": "↩"},
}

ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "del",
    "ins",
    "sup",
    "sub",
    "small",
    "mark",
    "abbr",
    "dfn",
    "code",
    "pre",
    "kbd",
    "blockquote",
    "q",
    "cite",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "a",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "div",
    "span",
    "bdi",
    "bdo",
    "nav",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
    "abbr": {"title"},
    # the library's article references and glossary terms (lms/content/libmarkup.py)
    "dfn": {"tabindex", "aria-describedby"},
    "a": {"href", "aria-describedby"},
}
#: classes Python-Markdown produces that the stylesheet knows; anything else is dropped
ALLOWED_CLASSES = {
    "admonition",
    "admonition-title",
    "law",
    "case",
    "key",
    "note",
    "warning",
    "tip",
    "toc",
    "footnote",
    "footnote-ref",
    "footnote-backref",
    "ref",
    "ref-preview",
    "gloss",
    "gloss-def",
}
ID_RE = re.compile(r"^[\w\-:.]{1,120}$", re.UNICODE)


def _filter_attribute(tag: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        kept = [c for c in value.split() if c in ALLOWED_CLASSES]
        return " ".join(kept) or None
    if attribute == "id":
        return value if ID_RE.match(value) else None
    if attribute == "dir":
        return value if value in ("ltr", "rtl", "auto") else None
    if attribute == "tabindex":
        return "0" if value == "0" else None
    if attribute == "aria-describedby":
        return value if ID_RE.match(value) else None
    return value


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=_filter_attribute,
        url_schemes={"http", "https", "mailto"},
        # Links cannot open a new window (no ``target``) and Referrer-Policy is same-origin, so a ``rel``
        # on every link would add bytes and nothing else.
        link_rel=None,
        strip_comments=True,
    )


def render_markdown(text: str, rewrite_href=None) -> tuple[Markup, Markup]:
    """Render ``text`` and return ``(body_html, toc_html)``, both sanitised.

    ``rewrite_href(href) -> href`` may map relative links (e.g. to another module) before sanitising.
    """
    md = markdown.Markdown(extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS, output_format="html")
    body = md.convert(text)
    toc = getattr(md, "toc", "")
    if rewrite_href is not None:
        body = re.sub(r'href="([^"]*)"', lambda m: f'href="{rewrite_href(m.group(1))}"', body)
    body, toc = (keep_together(_tighten(sanitize_html(html))) for html in (body, toc))
    # Both strings went through the nh3 allow-list just above (keep_together only changes text characters):
    # safe to mark as HTML.
    return Markup(body), Markup(toc)  # noqa: S704  # nosec B704


_BLOCK = r"(?:p|li|ul|ol|dl|dt|dd|table|thead|tbody|tr|td|th|div|h[1-6]|blockquote|hr|section|details|summary|nav)"
#: line breaks next to a block element's tag: invisible in the page, a byte each on the wire
_BLOCK_GAP = re.compile(rf"(</{_BLOCK}>)\n+|\n+(?=</?{_BLOCK}[\s>/])")


def _tighten(html: str) -> str:
    """Drop line breaks around block tags, never inside ``<pre>`` (where they are the content)."""
    parts = re.split(r"(<pre[\s>].*?</pre>)", html, flags=re.S)
    return "".join(part if part.startswith("<pre") else _BLOCK_GAP.sub(r"\1", part) for part in parts)


def heading_ids(text: str) -> set[str]:
    """The anchors the renderer gives to the headings of ``text`` (for link checking)."""
    md = markdown.Markdown(extensions=["toc"], extension_configs={"toc": {"slugify": slugify_unicode}})
    md.convert(text)
    ids = set()

    def walk(tokens):
        for token in tokens:
            ids.add(token["id"])
            walk(token.get("children", []))

    walk(getattr(md, "toc_tokens", []))
    return ids


# --- numbers and legal references never broken across lines ------------------------------------------

NBSP, NNBSP, NBHY, LRM = "\u00a0", "\u202f", "\u2011", "\u200e"
#: a space as it may come out of the sanitiser
_SPACE = r"(?: |&nbsp;|\u00a0)"
#: "2 000 000": digit groups (a first group of 1-3 digits, then groups of exactly 3)
_DIGIT_GROUPS = re.compile(rf"(?<![\d.,])\d{{1,3}}(?:{_SPACE}\d{{3}})+(?![\d])")
#: "1-18-19", "27-14", "448-1", "1-448": numbers joined by hyphens (a dahir, law or article number)
_REFERENCE = re.compile(r"(?<![\w-])\d+(?:-\d+)+(?![\w-])")
#: a number and what follows it: "000 DH", "70 %", "50 درهما"
_NUMBER_UNIT = re.compile(rf"(\d){_SPACE}+(DH|MAD|dirhams?|euros?|€|%|‰|درهم\w*|دراهم|أورو)(?!\w)")
#: what precedes a number: "n° 27-14", "art. 448-1", "الفصل 1-448", "رقم 27.14"
_BEFORE_NUMBER = re.compile(
    rf"(?<!\w)(n°|nº|N°|no\.|art\.|articles?|alinéa|dahir|décret|loi|رقم|الفصل|الفصلين|المادة|المواد|ظهير|مرسوم|القانون)"
    rf"{_SPACE}+(?=\d)",
    re.IGNORECASE,
)
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)")
_RAW = ("code", "pre", "kbd", "script", "style")


def _keep_text_together(text: str) -> str:
    text = _DIGIT_GROUPS.sub(lambda m: re.sub(_SPACE, NNBSP, m.group(0)), text)
    text = _NUMBER_UNIT.sub(lambda m: m.group(1) + NBSP + m.group(2), text)
    text = _BEFORE_NUMBER.sub(lambda m: m.group(1) + NBSP, text)
    # The non-breaking hyphen is a neutral character for the bidirectional algorithm where "-" is a number
    # separator: in an Arabic line "1-448" would come out as "448-1". Left-to-right marks around the
    # reference keep it in the order it was typed, in either direction.
    return _REFERENCE.sub(lambda m: LRM + m.group(0).replace("-", NBHY) + LRM, text)


def keep_together(html: str) -> str:
    """Amounts, article and dahir numbers that never break across lines, in the text of ``html`` only.

    "200 000 à 2 000 000 DH" gets narrow no-break spaces between digit groups and a no-break space before
    "DH" (or "%", "درهم"); "n° 1-18-19", "art. 448-1", "الفصل 1-448" a no-break space after the word and
    non-breaking hyphens (U+2011). Tags, attributes (so URLs) and the content of ``code``, ``pre`` and
    ``kbd`` are left exactly as they are."""
    out = []
    raw_depth = 0
    for part in _TAG_OR_TEXT.split(html):
        if part.startswith("<"):
            name = re.match(r"</?\s*([a-zA-Z0-9]+)", part)
            if name and name.group(1).lower() in _RAW and not part.endswith("/>"):
                raw_depth += -1 if part.startswith("</") else 1
                raw_depth = max(raw_depth, 0)
            out.append(part)
        elif part and not raw_depth:
            out.append(_keep_text_together(part))
        else:
            out.append(part)
    return "".join(out)
