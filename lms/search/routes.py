"""``/search?q=``: the results page (signed in). Reads only: the index is never rebuilt by a request."""

from __future__ import annotations

import unicodedata

from flask import render_template, request
from flask_babel import get_locale
from flask_login import current_user

from ..core.access import signed_in
from . import bp, service


def clean_query(raw: str) -> str:
    """The text typed, cut to ``service.MAX_QUERY`` characters, control and format characters made spaces."""
    raw = (raw or "")[: service.MAX_QUERY * 2]
    cleaned = "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") else ch for ch in raw)
    return " ".join(cleaned.split())[: service.MAX_QUERY]


@bp.get("")
@signed_in
def index():
    query = clean_query(request.args.get("q", ""))
    locale = str(get_locale() or "fr")
    kind = request.args.get("kind")
    results = service.search(current_user, query, locale, kind if kind in service.GROUPS else None) if query else None
    return render_template("search/index.html", query=query, results=results)
