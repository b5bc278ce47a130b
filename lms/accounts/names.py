"""A person's name as a page shows it: in the page's script when the person has a name in it.

Every person has a Latin-script name; many also have an Arabic-script one. An Arabic page greets and lists
people by their Arabic name where there is one, any other page by the Latin name. One rule for every page,
list, e-mail and document: ``display_name``; templates use the ``person_name`` filter (the page's language).
"""

from __future__ import annotations

from markupsafe import Markup

#: locales written in Arabic script
ARABIC_SCRIPT = ("ar",)


def _field(person, name: str) -> str:
    if person is None:
        return ""
    value = person.get(name) if isinstance(person, dict) else getattr(person, name, None)
    return (value or "").strip()


def display_name(person, locale: str | None) -> str:
    """``person``'s name in the script of ``locale``: the Arabic name on an Arabic page when there is one, the
    Latin name otherwise. ``person`` is a user, or anything with ``name_latin``/``name_arabic`` (a dict too)."""
    arabic = _field(person, "name_arabic")
    if arabic and str(locale or "").split("_")[0] in ARABIC_SCRIPT:
        return arabic
    return _field(person, "name_latin") or arabic


def other_name(person, locale: str | None) -> str:
    """The person's name in the other script, when they have one and it differs (shown beside the first)."""
    shown = display_name(person, locale)
    for name in ("name_latin", "name_arabic"):
        value = _field(person, name)
        if value and value != shown:
            return value
    return ""


def name_sort_key(person, locale: str | None) -> tuple:
    """Order people by the name the page shows (Latin names first on an Arabic page when mixed: they sort
    before Arabic letters), case-insensitively."""
    return (display_name(person, locale).casefold(), _field(person, "name_latin").casefold())


def name_html(person, name: str) -> Markup:
    """One of ``person``'s names as markup: the Arabic name marked with its language and direction (for
    screen readers, fonts and line breaking, on any page), any other name in a <bdi> (isolated: a Latin name
    in an Arabic line, or a name stored with a direction override)."""
    if name and name == _field(person, "name_arabic"):
        return Markup('<span lang="ar" dir="rtl">{}</span>').format(name)
    return Markup("<bdi>{}</bdi>").format(name)


def name_in_page(person, locale: str | None) -> Markup:
    """``display_name`` as markup (``name_html``)."""
    return name_html(person, display_name(person, locale))


def both_names(person, locale: str | None) -> Markup:
    """The name in the page's script, then the other script's name when there is one; an Arabic name is
    marked up with its language and direction wherever it stands."""
    html = name_in_page(person, locale)
    other = other_name(person, locale)
    if other:
        if other == _field(person, "name_arabic"):
            html += Markup(" · ") + name_html(person, other)
        else:
            html += Markup(' · <bdi dir="ltr">{}</bdi>').format(other)
    return html


def register(app) -> None:
    """The filters for a person's name in the page's language: ``person_name`` (text: titles, e-mails),
    ``person_name_html`` (the name in a page, an Arabic one marked lang="ar"), ``person_names`` (both scripts)
    and ``person_other_name`` (text; ``person_other_name_html`` as markup)."""
    from flask_babel import get_locale

    def current() -> str:
        return str(get_locale() or "fr")

    app.jinja_env.filters["person_name"] = lambda person: display_name(person, current())
    app.jinja_env.filters["person_name_html"] = lambda person: name_in_page(person, current())
    app.jinja_env.filters["person_names"] = lambda person: both_names(person, current())
    app.jinja_env.filters["person_other_name"] = lambda person: other_name(person, current())
    app.jinja_env.filters["person_other_name_html"] = lambda person: name_html(person, other_name(person, current()))
