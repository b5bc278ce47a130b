"""HTML to PDF with WeasyPrint: one shared FontConfiguration per process (flat memory, fast subsetting),
and a URL fetcher that serves only the app's own static files (a user-supplied URL fetches nothing)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

_LOCK = threading.Lock()
_FONT_CONFIG: dict = {"pid": None, "config": None}
STATIC = (Path(__file__).resolve().parent.parent / "static").resolve()


def font_config():
    """The process's one FontConfiguration (made again in a forked worker: Pango state is per process)."""
    pid = os.getpid()
    with _LOCK:
        if _FONT_CONFIG["pid"] != pid:
            from weasyprint.text.fonts import FontConfiguration

            _FONT_CONFIG.update(pid=pid, config=FontConfiguration())
        return _FONT_CONFIG["config"]


def static_only_fetcher():
    """A WeasyPrint fetcher for files under the static folder and data: URLs; everything else is refused
    (so ``<img src="file:///etc/passwd">`` or an http URL in user text fetches nothing)."""
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith("file://"):
                path = Path(unquote(urlsplit(url).path)).resolve()
                if path.is_file() and STATIC in path.parents:
                    return super().fetch(path.as_uri(), headers)
            raise ValueError(f"refused to fetch {url[:80]!r}")

    return StaticOnly(allowed_protocols={"file", "data"})


def html_to_pdf(html: str) -> bytes:
    from weasyprint import HTML

    document = HTML(string=html, base_url=str(STATIC) + "/", url_fetcher=static_only_fetcher())
    return document.write_pdf(font_config=font_config())
