"""The library's pages: ``/library`` and below (every one for signed-in people)."""

from __future__ import annotations

import re

from flask import abort, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from ..content.normalize import fold
from ..core.access import signed_in
from ..core.markdown import _keep_text_together
from ..i18n import _l
from . import bp, service

LOCALES = ("fr", "ar", "en")
#: the summary of each other language's text on an article page
TEXT_IN = {"fr": _l("French text"), "ar": _l("Arabic text"), "en": _l("English text")}


@bp.app_template_filter("together")
def together(value) -> Markup:
    """``value`` escaped, its article and law numbers kept on one line and in the order typed, in an Arabic line
    too ("الفصل 1-448"), as module pages show them (``core.markdown.keep_together``)."""
    return Markup(_keep_text_together(str(escape(value))))  # noqa: S704  # nosec B704 - escaped just above


def _locale() -> str:
    return str(get_locale() or "fr")


def _paragraphs(text: str) -> list[str]:
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _page_context() -> dict:
    return {
        "locale": _locale(),
        "kind_labels": service.KIND_LABELS,
        "tag_labels": service.TAG_LABELS,
        "family_labels": service.FAMILY_LABELS,
        "victim_labels": service.VICTIM_LABELS,
        "text": service.text,
        "lang_of": service.lang_of,
        "text_in": TEXT_IN,
        "label": service.article_label,
    }


@bp.get("")
@signed_in
def index():
    return render_template(
        "library/index.html",
        groups=service.instruments(),
        case_count=len(service.cases()),
        term_count=len(service.glossary()),
        **_page_context(),
    )


@bp.get("/cases")
@signed_in
def cases():
    all_cases = service.cases()
    families = list(service.FAMILY_LABELS)
    chosen = {key: request.args.get(key, "") for key in (*families, "victim", "article")}
    # only the values some case uses are offered; an unknown value in the address is ignored
    offered = {family: sorted({v for c in all_cases for v in (c.tags or {}).get(family) or []}) for family in families}
    refs = sorted({r for c in all_cases for r in (c.tags or {}).get("articles") or []})
    articles = service.articles_by_ref(refs)
    for family in families:
        if chosen[family] not in offered[family]:
            chosen[family] = ""
    if chosen["victim"] not in service.VICTIM_LABELS:
        chosen["victim"] = ""
    if chosen["article"] not in articles:
        chosen["article"] = ""
    shown = service.filter_cases(all_cases, chosen)
    return render_template(
        "library/cases.html",
        cases=shown,
        total=len(all_cases),
        chosen=chosen,
        offered=offered,
        articles=articles,
        article_refs=[r for r in refs if r in articles],
        filtered=any(chosen.values()),
        **_page_context(),
    )


@bp.get("/cases/<case_slug>")
@signed_in
def case(case_slug: str):
    note = service.case(case_slug)
    if note is None:
        abort(404)
    articles = service.articles_by_ref((note.tags or {}).get("articles") or [])
    return render_template("library/case.html", case=note, articles=articles, **_page_context())


@bp.get("/glossary")
@signed_in
def glossary():
    locale = _locale()
    terms = sorted(service.glossary(), key=lambda t: fold(service.text(t.term, locale)))
    sources = service.articles_by_ref(t.source_ref for t in terms)
    return render_template("library/glossary.html", terms=terms, sources=sources, **_page_context())


@bp.get("/<instrument_slug>")
@signed_in
def instrument(instrument_slug: str):
    found = service.instrument(instrument_slug)
    if found is None:
        abort(404)
    return render_template(
        "library/instrument.html", instrument=found, articles=service.articles_of(found), **_page_context()
    )


@bp.get("/<instrument_slug>/<article_slug>")
@signed_in
def article(instrument_slug: str, article_slug: str):
    found = service.instrument(instrument_slug)
    if found is None:
        abort(404)
    articles = service.articles_of(found)
    index = next((i for i, a in enumerate(articles) if a.slug == article_slug), None)
    if index is None:
        abort(404)
    current = articles[index]
    locale = _locale()
    # the page's language first, then the others the article has
    order = [locale, *[loc for loc in LOCALES if loc != locale]]
    versions = [
        {
            "locale": loc,
            "paragraphs": _paragraphs(current.text[loc]),
            "pending": loc in (current.pending or []),
            "heading": (current.heading or {}).get(loc) or "",
            "label": ((current.heading or {}).get("_number") or {}).get(loc) or current.number,
        }
        for loc in order
        if (current.text or {}).get(loc)
    ]
    return render_template(
        "library/article.html",
        instrument=found,
        article=current,
        versions=versions,
        previous=articles[index - 1] if index > 0 else None,
        next=articles[index + 1] if index + 1 < len(articles) else None,
        cited=service.cited_in(current_user, current, locale),
        **_page_context(),
    )
