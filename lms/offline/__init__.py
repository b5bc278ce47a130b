"""Offline field kit (issue #22): the pack manifest of a course (what a device stores to read it without a
connection), the service worker's script, the "On this device" page and the "not stored" page.
Leftmost domain: it reads content, library and certificates; nothing imports it.

``bp`` is the one blueprint of the package (URL prefix ``/offline``): ``routes.py`` (pack, pages, sw.js) and
``manifest.py`` (the web app manifest, ``/offline/manifest.webmanifest``) register their views on it."""

from flask import Blueprint

bp = Blueprint("offline", __name__, url_prefix="/offline")

# The views register themselves on ``bp``: the web app manifest (``manifest.py``) and the rest (``routes.py``).
from . import manifest, routes  # noqa: E402,F401
