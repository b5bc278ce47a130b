"""Certificate PDF rendering: a pure layer over Jinja2 and WeasyPrint, with no Flask request needed.

* One ``FontConfiguration`` per process, shared by every render: RSS stays flat and each render is
  10-75 ms cheaper (PERF-BASELINES.md §2). The parsed stylesheet and a small image cache are shared too.
* Every resource WeasyPrint asks for goes through :func:`safe_url_fetcher`, which serves only files
  inside ``lms/static/`` and ``templates/certificates/`` plus ``data:`` URLs (RELIABILITY.md §6.5).
* User values reach the page only through an autoescaping Jinja environment.

Render once at issuance and store the bytes: a certificate costs 50-250 ms of CPU (bench/cert_bench.py).
"""

from __future__ import annotations

import base64
import io
import mimetypes
import os
import re
import threading
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import DataHandler, Request, url2pathname

import jinja2
import segno
from markupsafe import escape

from ..core.forms import strip_bidi

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES_DIR = PROJECT_ROOT / "templates"
CERT_TEMPLATES_DIR = TEMPLATES_DIR / "certificates"
STATIC_DIR = PROJECT_ROOT / "lms" / "static"
TEMPLATE_NAME = "certificates/certificate.html"
CSS_PATH = CERT_TEMPLATES_DIR / "certificate.css"

#: Directories the fetcher may read from (after resolving symlinks).
ALLOWED_ROOTS: tuple[Path, ...] = (STATIC_DIR.resolve(), CERT_TEMPLATES_DIR.resolve())
#: ``/static/...`` (resolved against the file:// base URL as ``file:///static/...``) maps to the static folder.
STATIC_PREFIX = "/static/"
MAX_RESOURCE_BYTES = 2 * 1024 * 1024
#: WeasyPrint options used for every certificate. The only raster image is the QR code, a PNG made by
#: :func:`qr_png`: ``optimize_images`` would only re-encode it once more (~1.5 ms per certificate) for no gain.
PDF_OPTIONS: dict[str, Any] = {"optimize_images": False, "presentational_hints": False}
#: QR code: quiet zone in modules and printed size (fixed by certificate.css).
QR_BORDER = 2
QR_SIZE_MM = 30.0
#: The QR code is a PNG with this many pixels per module, in the certificate's teal.
QR_PX_PER_MODULE = 8
QR_DARK = (0x0B, 0x55, 0x63)

_lock = threading.RLock()
#: One render at a time per process: the FontConfiguration (Pango/fontconfig state) is shared, and
#: rendering is CPU-bound under the GIL anyway, so threads gain nothing by overlapping.
_render_lock = threading.Lock()
_state: dict[str, Any] = {"pid": None}


# --------------------------------------------------------------------------- URL fetcher


def _allowed_file(path: Path) -> Path:
    """Resolve ``path`` (symlinks included) and return it if it is a regular file inside an allowed root.

    The path is checked as written first, so nothing outside the roots is even looked at (no probing of
    whether a file exists), then again after resolving symlinks.
    """
    if not any(path.is_relative_to(root) for root in ALLOWED_ROOTS):
        raise ValueError(f"refused: {path} is outside the certificate resources")
    real = path.resolve(strict=True)
    if not any(real.is_relative_to(root) for root in ALLOWED_ROOTS):
        raise ValueError(f"refused: {path} is outside the certificate resources")
    if not real.is_file():
        raise ValueError(f"refused: {path} is not a regular file")
    return real


def _local_path(url: str) -> Path:
    """Map a ``/static/...`` or ``file://`` URL to a filesystem path, refusing ``..`` and remote hosts."""
    if url.startswith("file:"):
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise ValueError(f"refused: file URL with a host: {url}")
        raw = url2pathname(unquote(parts.path))
    elif url.startswith(STATIC_PREFIX):
        raw = unquote(urlsplit(url).path)
    else:
        raise ValueError(f"refused: {url[:80]}")
    if "\x00" in raw or ".." in Path(raw).parts:
        raise ValueError(f"refused: '..' or NUL in {url[:80]}")
    path = Path(raw)
    if not path.is_absolute():
        raise ValueError(f"refused: relative path {url[:80]}")
    if raw.startswith(STATIC_PREFIX) and not any(path.is_relative_to(root) for root in ALLOWED_ROOTS):
        path = STATIC_DIR / raw[len(STATIC_PREFIX) :]
    return path


def safe_url_fetcher(url: str, headers: Mapping[str, str] | None = None, **_: Any):
    """Fetch a resource for WeasyPrint, or raise ``ValueError`` (WeasyPrint then logs and skips it).

    Served: ``data:`` URLs, and regular files that resolve inside ``lms/static/`` or
    ``templates/certificates/``, named by ``/static/...``, ``file:///static/...`` or an absolute
    ``file://`` path. Everything else (other files, ``..``, http, https, ftp...) is refused, so no
    network request and no read outside those folders can happen while rendering.
    """
    from weasyprint.urls import URLFetcherResponse

    if not isinstance(url, str):
        raise ValueError("refused: URL is not a string")
    if url[:5].lower() == "data:":
        response = DataHandler().data_open(Request(url))  # noqa: S310 - data: only, no I/O
        content_type = response.headers.get("Content-Type", "application/octet-stream")
        return URLFetcherResponse(url, response.read(), {"Content-Type": content_type})
    try:
        real = _allowed_file(_local_path(url))
    except OSError as error:  # missing file, loop, permission: refused like the rest
        raise ValueError(f"refused: {url[:80]} ({type(error).__name__})") from error
    if real.stat().st_size > MAX_RESOURCE_BYTES:
        raise ValueError(f"refused: {real.name} is larger than {MAX_RESOURCE_BYTES} bytes")
    content_type = mimetypes.guess_type(real.name)[0] or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    return URLFetcherResponse(real.as_uri(), real.read_bytes(), {"Content-Type": content_type})


def _fetcher_class():
    from weasyprint.urls import URLFetcher

    class SafeURLFetcher(URLFetcher):
        """WeasyPrint ≥ 68 wants a ``URLFetcher`` instance; this one delegates to :func:`safe_url_fetcher`."""

        def __init__(self) -> None:
            super().__init__(timeout=5, allowed_protocols=("file", "data"), allow_redirects=False)

        def fetch(self, url, headers=None):
            # Looked up at call time, so tests can wrap the module-level function.
            return safe_url_fetcher(url, headers)

    return SafeURLFetcher


# --------------------------------------------------------------------------- shared per-process state


def _shared() -> dict[str, Any]:
    """Per-process objects, created lazily once (and again in a forked child: Pango state is per process)."""
    pid = os.getpid()
    if _state["pid"] != pid:
        with _lock:
            if _state["pid"] != pid:
                from ..core.pdf import font_config as shared_font_config

                _state.clear()
                _state.update(
                    font_config=shared_font_config(),  # one per process, shared with sign-in sheets
                    fetcher=_fetcher_class()(),
                    image_cache={},
                    css=None,
                    css_key=None,
                    jinja=None,
                    pid=pid,
                )
    return _state


def font_config():
    """The process-wide ``FontConfiguration`` used by every render."""
    return _shared()["font_config"]


def _stylesheet():
    state = _shared()
    st = CSS_PATH.stat()
    key = (st.st_mtime_ns, st.st_size)
    if state["css_key"] != key:
        from weasyprint import CSS

        with _lock:
            state["css"] = CSS(
                filename=str(CSS_PATH),
                url_fetcher=state["fetcher"],
                font_config=state["font_config"],
            )
            state["css_key"] = key
    return state["css"]


def _image_cache() -> dict:
    """The shared image cache, without the previous certificates' QR codes.

    WeasyPrint keys it by URL (and raster images add ``<md5>-<slot>-`` entries for their data): the
    constant images (emblem, ornament) stay parsed for the process, while each learner's QR (a
    ``data:image/png`` URL, the only raster image) is dropped before the next render.
    """
    cache = _shared()["image_cache"]
    for key in [key for key in cache if _per_render_image(key)]:
        del cache[key]
    if len(cache) > 32:  # only static files are kept; the bound is a safety net
        cache.clear()
    return cache


def _per_render_image(key: Any) -> bool:
    return isinstance(key, str) and (key.startswith("data:image/png") or re.match(r"[0-9a-f]{32}-", key) is not None)


def loc(value: Any, lang: str) -> Any:
    """``{"fr": ..., "ar": ...}`` -> the value for ``lang`` (French as fallback); plain values unchanged."""
    if isinstance(value, Mapping):
        return value.get(lang) or value.get("fr") or ""
    return "" if value is None else value


def group_code(code: str, size: int = 4) -> str:
    """``K7QF3MZPX2`` -> ``K7QF 3MZP X2``; a code that already has separators is shown as given."""
    code = str(code).strip()
    if re.search(r"[\s\-]", code):
        return code
    return " ".join(code[i : i + size] for i in range(0, len(code), size))


def text_dir(value: Any) -> str:
    """``rtl`` if the first strong character of ``value`` is right-to-left (Arabic, Hebrew), else ``ltr``."""
    for char in str(value):
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return "ltr"


def size_class(value: Any, long: int, longer: int, longest: int | None = None) -> str:
    """``""``, ``"long"``, ``"longer"`` or ``"longest"`` by length, so the stylesheet can shrink long names
    and titles (and wrap them anywhere: a name may have no space to break at)."""
    n = len(str(value))
    if longest is not None and n > longest:
        return "longest"
    return "longer" if n > longer else "long" if n > long else ""


def printed_number(value: Any, lang: str) -> Any:
    """A number as the language writes it: ``18.0`` → "18", ``12.5`` → "12,5"; any other value as it is."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    from ..i18n import format_number

    return format_number(value, 1, locale=lang)


def printable(value: Any) -> Any:
    """Every value the template prints, without bidirectional controls: an override in a name
    ("evil\u202eName gnp.exe") would reorder the printed text. The inputs remove them; this holds for what
    was stored before."""
    return strip_bidi(value) if isinstance(value, str) else value


def _jinja() -> jinja2.Environment:
    state = _shared()
    if state["jinja"] is None:
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR)),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            finalize=printable,
        )
        env.filters["loc"] = loc
        env.filters["group_code"] = group_code
        env.filters["text_dir"] = text_dir
        env.filters["size_class"] = size_class
        env.filters["number"] = printed_number
        state["jinja"] = env
    return state["jinja"]


# --------------------------------------------------------------------------- QR code


def qr_matrix(url: str) -> tuple[bytes, ...]:
    """The QR code's modules for ``url``, one ``bytes`` per row (1 = dark), quiet zone not included."""
    return tuple(bytes(row) for row in segno.make(url, error="m").matrix)


def qr_png(url: str, scale: int = QR_PX_PER_MODULE, dark: tuple[int, int, int] = QR_DARK) -> bytes:
    """The QR code for ``url`` as an RGB PNG: ``scale`` pixels per module, a ``QR_BORDER``-module white
    quiet zone, dark modules in ``dark``.

    A raster image is drawn by WeasyPrint as one image XObject (the PNG is built by Pillow, in C): the same
    QR as an SVG path cost several ms per certificate to parse and draw. At 8 px per module the 30 mm code
    is ~270 dpi, and the stylesheet asks for ``image-rendering: pixelated`` (no smoothing), so the modules
    print with sharp edges. tests/certificates/test_pdf.py reads the modules back from the PDF.
    """
    from PIL import Image

    matrix = qr_matrix(url)
    size = len(matrix)
    modules = Image.frombytes("L", (size, size), b"".join(matrix))  # palette index: 0 light, 1 dark
    side = size + 2 * QR_BORDER
    image = Image.new("P", (side, side), 0)
    image.putpalette((255, 255, 255, *dark))
    image.paste(modules, (QR_BORDER, QR_BORDER))
    if scale > 1:
        image = image.resize((side * scale, side * scale), Image.Resampling.NEAREST)
    out = io.BytesIO()
    # RGB, not a palette PNG: WeasyPrint 70 declares a palette image DeviceRGB but keeps its palette data.
    # Light compression: WeasyPrint decodes this PNG and compresses the pixels again for the PDF.
    image.convert("RGB").save(out, format="PNG", compress_level=1)
    return out.getvalue()


def qr_data_url(url: str) -> str:
    """:func:`qr_png` as a ``data:`` URL for the template's ``<img>`` (only base64: no user text inside)."""
    return "data:image/png;base64," + base64.b64encode(qr_png(url)).decode("ascii")


# --------------------------------------------------------------------------- rendering


def certificate_html(ctx: Mapping[str, Any]) -> str:
    """The certificate as an HTML string (every user value autoescaped)."""
    values = dict(ctx)
    values.setdefault("name_arabic", "")
    values.setdefault("trainers", [])
    values["qr"] = qr_data_url(str(values["verify_url"]))  # base64 only; autoescaped in the src attribute
    return _jinja().get_template(TEMPLATE_NAME).render(values)


def render_certificate_pdf(ctx: Mapping[str, Any]) -> bytes:
    """Render ``templates/certificates/certificate.html`` for ``ctx`` (all texts already translated).

    Keys: name_latin, name_arabic (may be empty), course_title {fr, ar}, hours, start_date, end_date
    ({fr, ar} or a plain string), place {fr, ar}, trainers (names, or {fr, ar} dicts), issuer {fr, ar},
    serial, verification_code, verify_url, issued_on {fr, ar}, labels {fr: {...}, ar: {...}}
    (see :func:`sample_context` for every caption key). A missing key raises ``jinja2.UndefinedError``.
    """
    from weasyprint import HTML

    state = _shared()
    html = HTML(string=certificate_html(ctx), base_url=str(CERT_TEMPLATES_DIR) + "/", url_fetcher=state["fetcher"])
    with _render_lock:
        return html.write_pdf(
            stylesheets=[_stylesheet()],
            font_config=state["font_config"],
            cache=_image_cache(),
            **PDF_OPTIONS,
        )


def render_minimal_pdf(text: str, font_family: str = "Amiri") -> bytes:
    """A one-line document in ``font_family`` with the shared FontConfiguration: the benchmark floor."""
    from weasyprint import HTML

    state = _shared()
    family = re.sub(r"[^A-Za-z0-9 \-]", "", font_family)
    html = HTML(
        string=f'<p style="font-family: &quot;{family}&quot;">{escape(text)}</p>',
        base_url=str(CERT_TEMPLATES_DIR) + "/",
        url_fetcher=state["fetcher"],
    )
    with _render_lock:
        return html.write_pdf(font_config=state["font_config"], **PDF_OPTIONS)


# --------------------------------------------------------------------------- example


def sample_labels() -> dict[str, dict[str, str]]:
    """Every caption the template uses, in French and Arabic."""
    return {
        "fr": {
            "title": "Attestation de formation",
            "awarded_to": "décernée à",
            "for_course": "pour avoir suivi la formation",
            "duration": "Durée",
            "hours": "heures",
            "period": "Période",
            "from": "du",
            "to": "au",
            "place": "Lieu",
            "trainers": "Formateurs",
            "issued_by": "Délivrée par",
            "issued_on": "Fait le",
            "serial": "N° de série",
            "code": "Code de vérification",
            "verify": "Vérifier",
        },
        "ar": {
            "title": "شهادة التكوين",
            "awarded_to": "تُمنح إلى",
            "for_course": "بعد متابعة الدورة التكوينية",
            "duration": "المدة",
            "hours": "ساعة",
            "period": "الفترة",
            "from": "من",
            "to": "إلى",
            "place": "المكان",
            "trainers": "المكوّنون",
            "issued_by": "صادرة عن",
            "issued_on": "حُرّرت في",
            "serial": "الرقم التسلسلي",
            "code": "رمز التحقق",
            "verify": "للتحقق",
        },
    }


def sample_context(**overrides: Any) -> dict[str, Any]:
    """A realistic certificate context (French and Arabic), for previews, tests and the benchmark."""
    code = "K7QF3MZPX2DA9WRT"
    ctx: dict[str, Any] = {
        "name_latin": "Salma El Amrani",
        "name_arabic": "سلمى العمراني",
        "course_title": {
            "fr": "La traite des êtres humains : parcours des magistrats",
            "ar": "الاتجار بالبشر: مسار القضاة",
        },
        "hours": 18,
        "start_date": {"fr": "3 novembre 2025", "ar": "3 نونبر 2025"},
        "end_date": {"fr": "5 novembre 2025", "ar": "5 نونبر 2025"},
        "place": {"fr": "Rabat", "ar": "الرباط"},
        "trainers": [
            {"fr": "Mme Nadia Tazi", "ar": "ذة. نادية التازي"},
            {"fr": "M. Rachid Bennani", "ar": "ذ. رشيد بناني"},
        ],
        "issuer": {
            "fr": "Ministère de la Justice — Programme de formation judiciaire",
            "ar": "وزارة العدل — برنامج التكوين القضائي",
        },
        "serial": "TAD-2025-000123",
        "verification_code": code,
        "verify_url": f"https://tadrib.justice.gov.ma/certificates/verify/{code}",
        "issued_on": {"fr": "12 décembre 2025", "ar": "12 دجنبر 2025"},
        "labels": sample_labels(),
    }
    ctx.update(overrides)
    return ctx
