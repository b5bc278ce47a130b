"""Article references and glossary terms in rendered module HTML (issue #21). Pure: no database, no request.

A module's Markdown goes through ``tokenize_references`` (each ``[[instrument/article|text]]`` becomes a plain
token that Markdown leaves alone), then ``render_markdown``, then ``decorate`` which walks the sanitised HTML with
the standard library's HTML parser (never a regular expression over tags) and

- turns each token into a reference::

    <span class="ref"><a href="/library/law-27-14/448-1" aria-describedby="ref-1">Article 448-1, Loi n° 27-14</a>
    <span class="ref-preview" id="ref-1">The first sentence(s) of the article…</span></span>

- marks the first occurrence in the module of each glossary term (its term or a variant in the module's language,
  matched on ``normalize.fold``: case, accents, tashkeel and hamza forms ignored; an Arabic proclitic و ف ب ك ل
  may be attached) in running text, never in a heading, a link, code, an existing ``dfn``/``abbr``, a law or note
  block's title or a footnote reference::

    <span class="gloss"><dfn tabindex="0" aria-describedby="gloss-<slug>">the words as written</dfn>
    <span class="gloss-def" id="gloss-<slug>"><a href="/library/glossary#<slug>">term</a>: definition</span></span>

The previews and definitions are hidden by CSS and shown on hover and on focus (``:focus-within``: keyboard, and a
tap focuses the ``tabindex=0`` element), no JavaScript; screen readers announce them through ``aria-describedby``.
The caller sanitises the result again (``core.markdown.sanitize_html``: its allow-list knows these tags,
attributes and classes).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ..core.markdown import _keep_text_together
from .library import REFERENCE_RE, article_label, preview
from .normalize import fold, fold_with_map

TOKEN_RE = re.compile(r"TADRIBREF(\d+)X")
#: elements whose text is never marked (and where a reference is plain text)
SKIP_TAGS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "code", "pre", "kbd", "dfn", "abbr", "sup", "script", "style"}
RAW_TAGS = {"code", "pre", "kbd"}
SKIP_CLASSES = {"admonition-title", "toc", "footnote-ref", "footnote-backref", "ref", "gloss"}
VOID_TAGS = {"br", "hr", "img", "wbr", "input", "meta", "link", "col", "area", "base", "source", "track"}
PROCLITICS = "وفبكل"
NBSP = "\u00a0"


@dataclass
class Reference:
    """One ``[[...]]`` of the text, resolved for one locale."""

    source: str
    ref: str
    href: str
    label: str
    label_lang: str | None
    preview: str
    preview_lang: str | None
    custom: str | None


def tokenize_references(text: str) -> tuple[str, list[tuple[str, str, str | None]]]:
    """``text`` with each reference replaced by a token, and the references ``(source, ref, custom text)``."""
    found: list[tuple[str, str, str | None]] = []

    def replace(match: re.Match) -> str:
        found.append((match.group(0), f"{match.group(1)}/{match.group(2)}", (match.group(3) or "").strip() or None))
        return f"TADRIBREF{len(found) - 1}X"

    return REFERENCE_RE.sub(replace, text), found


def resolve(found, library, locale: str, href_for) -> list[Reference | None]:
    """The references of ``tokenize_references`` resolved against the ``LibrarySource`` (None when unknown)."""
    result: list[Reference | None] = []
    for source, ref, custom in found:
        hit = library.article(ref)
        if hit is None:
            result.append(None)
            continue
        instrument, article = hit
        has_label = locale in article.labels and locale in instrument.short_title
        text_locale = locale if locale in article.text else "fr"
        result.append(
            Reference(
                source=source,
                ref=ref,
                href=href_for(instrument.slug, article.slug),
                label=article_label(instrument.short_title, article.labels, locale if has_label else "fr"),
                label_lang=None if has_label else "fr",
                preview=preview(article.text[text_locale]),
                preview_lang=None if text_locale == locale else text_locale,
                custom=custom,
            )
        )
    return result


def _lang(lang: str | None) -> str:
    return f' lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}"' if lang else ""


class _Decorator(HTMLParser):
    def __init__(self, references, terms, glossary_href: str, locale: str, mark: bool):
        super().__init__(convert_charrefs=True)
        self.references = references
        self.terms = terms  # [(folded form, slug, term, definition)] longest first
        self.glossary_href = glossary_href
        self.locale = locale
        self.mark = mark
        self.out: list[str] = []
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, skip, raw)
        self.used: set[str] = set()
        self.ref_count = 0

    # -- structure -------------------------------------------------------------------------------

    def _skipping(self) -> bool:
        return any(skip for _tag, skip, _raw in self.stack)

    def _raw(self) -> bool:
        return any(raw for _tag, _skip, raw in self.stack)

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in VOID_TAGS:
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.stack.append((tag, tag in SKIP_TAGS or bool(classes & SKIP_CLASSES), tag in RAW_TAGS))

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                break

    def handle_comment(self, data):
        pass  # the sanitiser strips comments anyway

    def handle_decl(self, decl):
        pass

    def handle_data(self, data):
        position = 0
        for match in TOKEN_RE.finditer(data):
            self._text(data[position : match.start()])
            self._reference(int(match.group(1)))
            position = match.end()
        self._text(data[position:])

    # -- references --------------------------------------------------------------------------------

    def _reference(self, index: int) -> None:
        reference = self.references[index] if index < len(self.references) else None
        if reference is None:  # unknown (``courses check`` refuses it): the source as written
            self.out.append(html.escape(self._source(index), quote=False))
            return
        if self._raw():
            self.out.append(html.escape(reference.source, quote=False))
            return
        shown = reference.custom or reference.label
        shown_lang = None if reference.custom else reference.label_lang
        label = f"<span{_lang(shown_lang)}>{self._together(shown)}</span>" if shown_lang else self._together(shown)
        if self._skipping():
            self.out.append(label)
            return
        self.ref_count += 1
        ref_id = f"ref-{self.ref_count}"
        described = self._together(reference.preview)
        if reference.custom:
            described = f"{self._together(reference.label)}{NBSP + ':' if self.locale == 'fr' else ':'} {described}"
        self.out.append(
            f'<span class="ref"><a href="{html.escape(reference.href)}" aria-describedby="{ref_id}">{label}</a>'
            f'<span class="ref-preview" id="{ref_id}"{_lang(reference.preview_lang)}>{described}</span></span>'
        )

    def _source(self, index: int) -> str:
        return self.references[index].source if index < len(self.references) and self.references[index] else ""

    @staticmethod
    def _together(text: str) -> str:
        return _keep_text_together(html.escape(text, quote=False))

    # -- glossary ----------------------------------------------------------------------------------

    def _text(self, text: str) -> None:
        if not text:
            return
        if not self.mark or self._skipping() or len(self.used) == len(self.terms):
            self.out.append(html.escape(text, quote=False))
            return
        folded, origin = fold_with_map(text)
        while True:
            best = None
            for form, slug, term, definition in self.terms:
                if slug in self.used:
                    continue
                start = self._find(folded, form)
                if start is not None and (
                    best is None or start < best[0] or (start == best[0] and len(form) > best[1])
                ):
                    best = (start, len(form), slug, term, definition)
            if best is None:
                break
            start, length, slug, term, definition = best
            begin = origin[start]
            end = origin[start + length - 1] + 1
            # combining marks (tashkeel) written after the last letter belong to the word
            while end < len(text) and fold(text[end]) == "" and not text[end].isspace():
                end += 1
            self.used.add(slug)
            self.out.append(html.escape(text[:begin], quote=False))
            self.out.append(self._gloss(text[begin:end], slug, term, definition))
            text = text[end:]
            folded, origin = fold_with_map(text)
        self.out.append(html.escape(text, quote=False))

    def _find(self, folded: str, form: str) -> int | None:
        start = folded.find(form)
        while start != -1:
            end = start + len(form)
            after_ok = end >= len(folded) or not folded[end].isalnum()
            before = folded[start - 1] if start else ""
            before_ok = not before.isalnum() or (
                self.locale == "ar" and before in PROCLITICS and (start < 2 or not folded[start - 2].isalnum())
            )
            if after_ok and before_ok:
                return start
            start = folded.find(form, start + 1)
        return None

    def _gloss(self, words: str, slug: str, term: str, definition: str) -> str:
        gloss_id = f"gloss-{slug}"
        separator = f"{NBSP}: " if self.locale == "fr" else ": "
        return (
            f'<span class="gloss"><dfn tabindex="0" aria-describedby="{gloss_id}">{html.escape(words, quote=False)}'
            f'</dfn><span class="gloss-def" id="{gloss_id}"><a href="{html.escape(self.glossary_href)}#{slug}">'
            f"{html.escape(term, quote=False)}</a>{separator}{self._together(definition)}</span></span>"
        )


def glossary_forms(terms, locale: str) -> list[tuple[str, str, str, str]]:
    """``(folded form, slug, term, definition)`` of every term and variant in ``locale``, longest first."""
    forms = []
    for term in terms:
        if locale not in term.term:
            continue
        definition = term.definition.get(locale) or term.definition.get("fr", "")
        for written in [term.term[locale], *term.variants.get(locale, [])]:
            folded = fold(written)
            if folded:
                forms.append((folded, term.slug, term.term[locale], definition))
    forms.sort(key=lambda f: -len(f[0]))
    return forms


def decorate(html_text: str, references, terms=(), glossary_href: str = "", locale: str = "fr", mark=True) -> str:
    """``html_text`` (sanitised, with tokens) with its references made links and, when ``mark``, its glossary
    terms marked (``terms``: ``glossary_forms``). The result must be sanitised again by the caller."""
    decorator = _Decorator(references, list(terms), glossary_href, locale, mark)
    decorator.feed(html_text)
    decorator.close()
    return "".join(decorator.out)
