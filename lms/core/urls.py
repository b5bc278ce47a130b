"""The public address of the site, for what leaves it: certificates (verification URL and QR code), calendars.

``LMS_BASE_URL`` when it is set (production must set it: ``create_app`` refuses to start without it), never the
request's Host header then (a forged header must not end up printed on a certificate). A demo (``LMS_DEMO``),
debug or tests may go without it: the request's own address is used, so a demo served on another port prints
a link that works; outside a request, ``DEMO_FALLBACK``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request

#: a demo's address outside a request when LMS_BASE_URL is not set (``make run`` sets it from PORT)
DEMO_FALLBACK = "http://127.0.0.1:5000"


def public_base_url() -> str:
    """``https://tadrib.example.ma`` (no trailing slash; a path prefix is kept)."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return str(configured).rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEMO_FALLBACK


def external_url(endpoint: str, **values) -> str:
    """An absolute URL of ``endpoint`` at the public address."""
    base = urlsplit(public_base_url())
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/", url_scheme=base.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def site_path(endpoint: str, **values) -> str:
    """The path of ``endpoint`` inside the site (``/certificates``), in or outside a request: a notification's link
    (never an absolute address, which would name one host)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)
