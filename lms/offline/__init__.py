"""Offline field kit (issue #22): the pack manifest of a course (what a device stores to read it without a
connection), the service worker's script, the "On this device" page and the "not stored" page.
Leftmost domain: it reads content, library and certificates; nothing imports it.

The service worker (``lms/static/sw.js``, served at ``/offline/sw.js`` with scope ``/``, registered by the lines
between ``/* sw:begin */`` and ``/* sw:end */`` in ``tadrib.js`` on signed-in pages): navigations go to the network
first (a stored page fetched online refreshes its copy; a link that hangs 10 s falls back to a stored copy when there
is one); offline, the stored copy in the current language answers, rewritten with the banner "Offline copy from
<date>" after ``<main>`` and ``data-offline-missing`` on each link to a page not stored; no copy: the stored
``/offline/missing`` page; a POST offline: ``/offline/missing?kind=action`` (503), except the language switcher,
which it answers itself. Versioned static files (``?v=``): cache first. Every other request (fetch, XHR, the quiz's
autosave) goes to the network and is never answered from a cache. Messages: ``lang``, ``refresh`` (each pack's
manifest again: changed entries fetched, gone ones dropped, a 404 removes the pack), ``pack``, ``unpack``, ``store``.

``bp`` is the one blueprint of the package (URL prefix ``/offline``): ``routes.py`` (pack, pages, sw.js) and
``manifest.py`` (the web app manifest, ``/offline/manifest.webmanifest``) register their views on it."""

from flask import Blueprint

bp = Blueprint("offline", __name__, url_prefix="/offline")

# The views register themselves on ``bp``: the web app manifest (``manifest.py``) and the rest (``routes.py``).
from . import manifest, routes  # noqa: E402,F401
