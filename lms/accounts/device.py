"""Shared computers: what one person's browser kept of Tadrib must not be readable by the next person.

Court offices share computers. The service worker's stored pages and the quiz answers waiting to be sent live
in the browser (caches, IndexedDB, localStorage). Sign-out removes them (the sign-out form's script in
``tadrib.js`` first, then the response's ``Clear-Site-Data``); a person who never signed out is caught at the
next sign-in: the HttpOnly cookie ``tadrib_device`` names, as an HMAC of their id, the last person who signed in
on this browser, and a sign-in of someone else answers with ``Clear-Site-Data`` too.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import after_this_request, current_app, request

COOKIE = "tadrib_device"
MAX_AGE = timedelta(days=365)
#: the browser removes the site's HTTP cache and its storage (Cache API, IndexedDB, localStorage,
#: sessionStorage, service workers); cookies stay (the new session's own cookie is in the same response)
CLEAR_SITE_DATA = '"cache", "storage"'


def mark(user_id: int) -> str:
    """The cookie's value for ``user_id``: an HMAC-SHA256 with the app's secret key (the id is not readable)."""
    key = current_app.config["SECRET_KEY"]
    key = key if isinstance(key, bytes) else str(key).encode()
    return hmac.new(key, f"tadrib-device:{user_id}".encode(), hashlib.sha256).hexdigest()


def someone_else_was_here(user_id: int) -> bool:
    """Whether this browser's cookie names another person (no cookie: nobody signed in here before it)."""
    previous = request.cookies.get(COOKIE)
    return bool(previous) and not hmac.compare_digest(previous, mark(user_id))


def clear_site_data(response):
    response.headers["Clear-Site-Data"] = CLEAR_SITE_DATA
    return response


def signed_in(user_id: int) -> None:
    """At a successful sign-in (in the request): the response sets the cookie, and clears what the browser
    kept when someone else signed in here last."""
    clear = someone_else_was_here(user_id)
    value = mark(user_id)

    @after_this_request
    def _mark_device(response):
        response.set_cookie(
            COOKIE,
            value,
            max_age=int(MAX_AGE.total_seconds()),
            path="/",
            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
            httponly=True,
            samesite="Lax",
        )
        if clear:
            clear_site_data(response)
        return response
