"""Installable: the web app manifest (``/offline/manifest.webmanifest``) in the page's language, and the two
helpers the page head and the sign-out form use (``manifest_url()``, ``outbox_url()``, ``theme_color``).

The browser fetches a manifest without cookies, so the language travels in its URL (``?locale=``), with a
version (``?v=``, a hash of that language's manifest) that lets it be cached for a year like the static assets.
The install prompt is never forced: the browser offers it (or not) by itself.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import current_app, has_request_context, request, url_for
from flask_babel import force_locale
from flask_babel import get_locale as babel_locale

from ..core.access import public
from ..core.menu import asset_url
from ..i18n import RTL_LOCALES, _
from . import bp

#: the palette of lms/static/tadrib.css (--brand, --paper); tests/offline/test_manifest.py checks they agree
THEME_COLOR = "#0b5563"
BACKGROUND_COLOR = "#ffffff"
#: made by scripts/make_icons.py from favicon.svg: (file, size, purpose)
ICONS = (
    ("icons/icon-192.png", 192, "any"),
    ("icons/icon-512.png", 512, "any"),
    ("icons/maskable-512.png", 512, "maskable"),
)
MEDIA_TYPE = "application/manifest+json"
YEAR = 365 * 24 * 3600


def _locale(requested: str | None = None) -> str:
    languages = current_app.config["LANGUAGES"]
    if requested in languages:
        return requested
    current = str(babel_locale() or "")
    return current if current in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def build(locale: str) -> dict:
    """The manifest in ``locale`` (needs a request context for the asset URLs)."""
    with force_locale(locale):
        icons = [
            {"src": asset_url(name), "sizes": f"{size}x{size}", "type": "image/png", "purpose": purpose}
            for name, size, purpose in ICONS
        ]
        icons.append({"src": asset_url("favicon.svg"), "sizes": "any", "type": "image/svg+xml", "purpose": "any"})
        root = (request.script_root if has_request_context() else "") + "/"  # the mount point (a reverse proxy's)
        return {
            "id": root,
            "name": _("Tadrib — judicial training on trafficking in human beings"),
            "short_name": _("Tadrib"),
            "description": _("Tadrib — judicial training on trafficking in human beings, Morocco."),
            "lang": locale,
            "dir": "rtl" if locale in RTL_LOCALES else "ltr",
            "start_url": root,
            "scope": root,
            "display": "standalone",
            "theme_color": THEME_COLOR,
            "background_color": BACKGROUND_COLOR,
            "icons": icons,
        }


def _body(locale: str) -> tuple[bytes, str]:
    """(JSON bytes, version) of the manifest in ``locale``: built once per language and mount point per process."""
    cache = current_app.extensions.setdefault("tadrib_manifest", {})
    key = (locale, request.script_root if has_request_context() else "")
    found = cache.get(key)
    if found is None:
        body = json.dumps(build(locale), ensure_ascii=False, indent=1).encode()
        found = cache[key] = (body, hashlib.sha256(body).hexdigest()[:10])
    return found


@bp.get("/manifest.webmanifest")
@public
def manifest():
    locale = _locale(request.args.get("locale"))
    body, version = _body(locale)
    response = current_app.response_class(body, mimetype=MEDIA_TYPE)
    # The versioned URL never changes content (its language is in the URL too): a year, like asset_url.
    current = request.args.get("v") == version and request.args.get("locale") == locale
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable" if current else "no-cache"
    return response


@bp.app_template_global()
def manifest_url() -> str:
    """The manifest's URL in the page's language, versioned (``<link rel="manifest">`` in base.html)."""
    locale = _locale()
    cache = current_app.extensions.setdefault("tadrib_manifest_url", {})
    key = (locale, request.script_root)
    url = cache.get(key)
    if url is None:  # built once per language and mount point per process, like the body
        url = cache[key] = url_for("offline.manifest", locale=locale, v=_body(locale)[1])
    return url


@bp.app_template_global()
def outbox_url() -> str:
    """The asset URL of ``outbox.js`` (the quiz answers waiting on this device), which the sign-out form loads
    to send them before signing out; empty in a build without it."""
    cache = current_app.extensions.setdefault("tadrib_outbox_url", {})
    key = request.script_root if has_request_context() else ""
    url = cache.get(key)
    if url is None:  # once per mount point per process: the static files do not change while it runs
        url = asset_url("outbox.js") if (Path(current_app.static_folder) / "outbox.js").is_file() else ""
        cache[key] = url
    return url


bp.add_app_template_global(THEME_COLOR, "theme_color")
