"""Template loading: indentation is for the people who edit templates, not for the wire."""

from __future__ import annotations

from jinja2.ext import Extension


class DedentExtension(Extension):
    """Drops the indentation at the start of every template line when the template is compiled.

    Done once per template, so it costs nothing per page; it saves 5-10 % of a page's HTML on slow court
    office links. Templates must therefore keep meaningful leading whitespace out of their own text: a
    ``<pre>`` or ``<textarea>`` gets its content from a variable, and a translated string never spans lines
    (``tests/core/test_templating.py`` checks both).
    """

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return "\n".join(line.lstrip(" \t") for line in source.split("\n"))
