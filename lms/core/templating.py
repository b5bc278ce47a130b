"""Template loading: indentation is for the people who edit templates, not for the wire."""

from __future__ import annotations

import re

from jinja2.ext import Extension

_TAG = re.compile(r"{%.*?%}")


def _carries_text_into_tag(line: str) -> bool:
    """A line that ends with a block tag and holds text or markup besides tags (``<p>{% if a %}On.{% endif %}``),
    not a line of tags alone (``{% for ... %}``), whose next line starts a new line of output anyway."""
    line = line.rstrip()
    return line.endswith("%}") and bool(_TAG.sub("", line).strip())


class DedentExtension(Extension):
    """Drops the indentation at the start of every template line when the template is compiled.

    Done once per template, so it costs nothing per page; it saves 5-10 % of a page's HTML on slow court
    office links. Templates must therefore keep meaningful leading whitespace out of their own text: a
    ``<pre>`` or ``<textarea>`` gets its content from a variable, and a translated string never spans lines
    (``tests/core/test_templating.py`` checks both).
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        lines = source.split("\n")
        out = []
        for i, line in enumerate(lines):
            text = line.lstrip(" \t")
            # After a block tag ``trim_blocks`` removes the newline, so an indented line that carries on the
            # text ("<p>...{% endif %}" then "  <a>Manage</a>") would be glued to it: one space stays instead.
            if text and len(text) < len(line) and i and _carries_text_into_tag(lines[i - 1]):
                text = " " + text
            out.append(text)
        return "\n".join(out)


def memoised_url_for(app):
    """``url_for`` for templates, remembering each URL it built per mount point.

    Building a URL walks the routing map (~10 µs); a page builds ten to forty. The URL of an endpoint with
    the same arguments under the same ``SCRIPT_NAME`` never changes while the app runs, so each is built once
    per process. Calls with options (``_external``, ``_anchor``...) or relative endpoints (``.name``, which
    depend on the current blueprint) are built every time. Bounded: cleared past ``MAX_URLS`` entries.
    """
    from flask import request

    cache: dict = {}
    build = app.url_for

    def url_for(endpoint: str, **values) -> str:
        if endpoint[:1] == "." or any(key[:1] == "_" for key in values):
            return build(endpoint, **values)
        try:
            key = (request.script_root, endpoint, *sorted(values.items()))
            url = cache.get(key)
        except (RuntimeError, TypeError):  # outside a request, or an unhashable argument
            return build(endpoint, **values)
        if url is None:
            url = build(endpoint, **values)
            if len(cache) >= MAX_URLS:
                cache.clear()
            cache[key] = url
        return url

    return url_for


MAX_URLS = 20_000


def constant_gettext(translations):
    """Jinja's ``gettext`` (new style) for one catalogue, remembering the strings that take no variables.

    Same output as ``jinja2.ext._make_new_gettext``: the translation, marked safe where the template
    autoescapes, always %-formatted (``%%`` gives ``%``). A page translates 15 to 90 strings and most take no
    variables: each is translated, marked and formatted once per language and process instead of on every
    page. The memo lives on the catalogue object, which Flask-Babel keeps per language for the process.
    """
    from jinja2 import pass_context
    from markupsafe import Markup

    memo = translations.__dict__.setdefault("_tadrib_constants", {})
    translate = translations.gettext

    @pass_context
    def gettext(__context, __string: str, **variables):
        autoescape = __context.eval_ctx.autoescape
        if not variables:
            key = (__string, autoescape)
            rv = memo.get(key)
            if rv is None:
                text = translate(__string)
                # Our own catalogues' text, marked safe exactly as Jinja's i18n extension does.
                rv = memo[key] = (Markup(text) if autoescape else text) % {}  # noqa: S704  # nosec B704
            return rv
        text = translate(__string)
        return (Markup(text) if autoescape else text) % variables  # noqa: S704  # nosec B704 (variables escaped by %)

    return gettext
