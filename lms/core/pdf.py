"""HTML to PDF with WeasyPrint: one shared FontConfiguration per process (flat memory, fast subsetting),
and a URL fetcher that serves only the app's own static files and the printed documents' stylesheets
(``templates/print/base.css`` and the CSS file beside each document's template); a user-supplied URL
fetches nothing."""

from __future__ import annotations

import os
import threading
from pathlib import Path

_LOCK = threading.Lock()
_FONT_CONFIG: dict = {"pid": None, "config": None}
STATIC = (Path(__file__).resolve().parent.parent / "static").resolve()
#: relative URLs in a printed document (its ``<link rel="stylesheet">``) resolve against this folder
TEMPLATES = (Path(__file__).resolve().parent.parent.parent / "templates").resolve()


def font_config():
    """The process's one FontConfiguration (made again in a forked worker: Pango state is per process)."""
    pid = os.getpid()
    with _LOCK:
        if _FONT_CONFIG["pid"] != pid:
            from weasyprint.text.fonts import FontConfiguration

            _FONT_CONFIG.update(pid=pid, config=FontConfiguration())
        return _FONT_CONFIG["config"]


def servable(path: Path) -> bool:
    """A file of the static folder, or a stylesheet (``.css``) in the templates folder."""
    if not path.is_file():
        return False
    return STATIC in path.parents or (TEMPLATES in path.parents and path.suffix == ".css")


def static_only_fetcher():
    """A WeasyPrint fetcher for data: URLs, files under the static folder and ``.css`` files under the
    templates folder; everything else is refused (so ``<img src="file:///etc/passwd">``, a template or an
    http URL in user text fetches nothing)."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file://"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if servable(path):
                    return super().fetch(path.as_uri(), headers)
            raise ValueError(f"refused to fetch {url[:80]!r}")

    return StaticOnly(allowed_protocols={"file", "data"})


def html_to_pdf(html: str) -> bytes:
    """A printed document (a template extending ``print/base.html``) as PDF bytes."""
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(TEMPLATES) + "/", url_fetcher=static_only_fetcher())
    return document.write_pdf(font_config=font_config())
