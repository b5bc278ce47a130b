"""Rendered fragments kept per process, keyed by every input they depend on, with the personal parts left as
slots and filled in at each render (issue #23: fragments, not pages).

The page chrome's menu panel (``base.html``: the main menu, the language switch, the person's link and the
sign-out form) is the same for every person with the same roles, on the same page, in the same language; only
the CSRF token, the page's own address (the language switch's ``next``) and the person's name differ. It is
rendered once per key:

- the language of the page, the roles of the person (the menu), whether someone is signed in, the endpoint (the
  menu marks the current page), the mount point (``SCRIPT_NAME``: every URL in it);
- what never changes while the process runs: the catalogues, the asset and outbox URLs, the menu's definition.

Inside the cached body, personal values are written ``{{ slot("name") }}`` and given to ``chrome_fragment`` as
keyword arguments, escaped at each render like any ``{{ value }}``. ``tests/core/test_fragments.py`` renders the
pages of people with different roles, names, languages and progress and compares them with an uncached render.
"""

from __future__ import annotations

from flask import current_app, g, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

#: bounded: a handful of languages x role sets x endpoints; cleared past this
MAX_FRAGMENTS = 5000
_ROLES = ("learner", "trainer", "admin")


def slot(name: str) -> Markup:
    """Where a personal value goes in a cached fragment (a marker no text or markup can contain)."""
    # A marker, its name a constant of our template.
    return Markup(f"\x00{name}\x00")  # noqa: S704  # nosec B704


def fragment_key(name: str) -> tuple:
    """Every input of a chrome fragment besides its slots."""
    user = g.get("_login_user") or current_user._get_current_object()  # the page has loaded it already
    signed_in = bool(user.is_authenticated)
    roles = tuple(role for role in _ROLES if user.has_role(role)) if signed_in else ()
    return (name, str(get_locale() or "fr"), roles, signed_in, request.endpoint, request.script_root)


def chrome_fragment(fragment: str, caller, **slots) -> Markup:
    """The fragment ``fragment`` (the body of a ``{% call %}``), rendered once per ``fragment_key``, its slots
    filled with ``slots`` (escaped)."""
    cache = current_app.extensions.setdefault("tadrib_fragments", {})
    key = fragment_key(fragment)
    html = cache.get(key)
    if html is None or current_app.config.get("FRAGMENT_CACHE") is False:
        html = str(caller())
        if len(cache) >= MAX_FRAGMENTS:
            cache.clear()
        cache[key] = html
    for slot_name, value in slots.items():
        html = html.replace(f"\x00{slot_name}\x00", str(escape(value)).replace("\x00", ""))
    # Our template's output, its slots escaped above.
    return Markup(html)  # noqa: S704  # nosec B704
