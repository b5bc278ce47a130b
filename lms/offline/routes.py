"""The offline pages: ``/offline`` (on this device), ``/offline/missing``, ``/offline/courses/<slug>.json``
(the pack manifest), ``/offline/sw.js`` (the service worker)."""

from __future__ import annotations

from . import bp  # noqa: F401
