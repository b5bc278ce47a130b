"""Installable: the web app manifest in each language, its icons (made from favicon.svg by scripts/make_icons.py)
and the page head that links them."""

import json
import re
import shutil
import struct
from pathlib import Path

import pytest

from lms.offline import manifest as web_manifest

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "lms" / "static"
NAMES = {
    "fr": ("Tadrib — formation judiciaire sur la traite des êtres humains", "Tadrib"),
    "ar": ("«تدريب» — التكوين القضائي في مجال الاتجار بالبشر", "تدريب"),
}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    return struct.unpack(">II", data[16:24])


def _manifest_link(page: str) -> str:
    match = re.search(r'<link rel="manifest" href="([^"]+)">', page)
    assert match, "no manifest link"
    return match.group(1).replace("&amp;", "&")


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_manifest_in_the_page_language(app, client, locale):
    client.post_form("/language", {"lang": locale, "next": "/privacy"})
    page = client.get("/privacy").get_data(as_text=True)
    url = _manifest_link(page)
    assert f"locale={locale}" in url and "v=" in url
    assert f'<meta name="theme-color" content="{web_manifest.THEME_COLOR}">' in page
    # The browser fetches the manifest without cookies: the language is in its URL, not in the session.
    response = app.test_client().get(url, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert "immutable" in response.headers["Cache-Control"] and "max-age=31536000" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    assert (data["name"], data["short_name"]) == NAMES[locale]
    assert data["description"] and data["description"] != data["name"]
    assert data["lang"] == locale and data["dir"] == ("rtl" if locale == "ar" else "ltr")
    assert (data["start_url"], data["scope"], data["display"]) == ("/", "/", "standalone")
    assert data["theme_color"] == web_manifest.THEME_COLOR
    assert data["background_color"] == web_manifest.BACKGROUND_COLOR


def test_unversioned_manifest_is_not_kept(client):
    response = client.get("/offline/manifest.webmanifest")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    stale = client.get("/offline/manifest.webmanifest?locale=fr&v=0000000000")
    assert stale.headers["Cache-Control"] == "no-cache"


def test_manifest_is_linked_on_signed_in_pages_and_the_sign_in_page(client, make_user):
    assert "/offline/manifest.webmanifest" in _manifest_link(client.get("/account/login").get_data(as_text=True))
    make_user(email="judge@example.org")
    client.login("judge@example.org", "correct horse battery")
    page = client.get("/account/profile").get_data(as_text=True)
    assert "locale=en" in _manifest_link(page)  # the person's language


def test_theme_colours_are_the_stylesheet_palette():
    css = (STATIC / "tadrib.css").read_text(encoding="utf-8")
    palette = dict(re.findall(r"--([\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    assert web_manifest.THEME_COLOR == palette["brand"]
    assert web_manifest.BACKGROUND_COLOR == palette["paper"]


def test_icons_exist_with_their_sizes_and_answer(client):
    data = json.loads(client.get("/offline/manifest.webmanifest?locale=fr").get_data(as_text=True))
    icons = {icon["src"].split("?")[0]: icon for icon in data["icons"]}
    expected = {
        "/static/icons/icon-192.png": ("192x192", "any"),
        "/static/icons/icon-512.png": ("512x512", "any"),
        "/static/icons/maskable-512.png": ("512x512", "maskable"),
        "/static/favicon.svg": ("any", "any"),
    }
    assert {path: (icon["sizes"], icon["purpose"]) for path, icon in icons.items()} == expected
    for path, (sizes, _purpose) in expected.items():
        file = STATIC / path.removeprefix("/static/")
        assert file.is_file(), file
        if file.suffix == ".png":
            assert "x".join(map(str, png_size(file.read_bytes()))) == sizes
    for icon in data["icons"]:
        assert "?v=" in icon["src"]  # cached like every asset
        response = client.get(icon["src"])
        assert response.status_code == 200 and response.mimetype == icon["type"]
        if icon["type"] == "image/png":
            assert "x".join(map(str, png_size(response.get_data()))) == icon["sizes"]


@pytest.mark.skipif(shutil.which("pdftocairo") is None, reason="pdftocairo (poppler-utils) is missing")
def test_the_script_makes_the_icons_again(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_icons", ROOT / "scripts" / "make_icons.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    made = module.make_icons(tmp_path)
    assert sorted(path.name for path in made) == sorted(path.name for path in (STATIC / "icons").glob("*.png"))
    for path in made:
        assert png_size(path.read_bytes()) == png_size((STATIC / "icons" / path.name).read_bytes())
    # The maskable icon is filled to its edges with the tile's colour (the safe zone's padding); the others keep
    # the SVG's transparent rounded corners.
    corner = _corner_pixel(tmp_path / "maskable-512.png")
    assert corner[:3] == (0x0B, 0x55, 0x63) and corner[3] == 255
    assert _corner_pixel(tmp_path / "icon-512.png")[3] == 0


def _corner_pixel(path: Path) -> tuple[int, ...]:
    """The top-left pixel (RGBA) of a PNG written by cairo (8-bit RGBA, non-interlaced)."""
    import zlib

    data = path.read_bytes()
    width, _height = png_size(data)
    assert data[24:26] == b"\x08\x06", "expected 8-bit RGBA"
    chunks, offset = b"", 8
    while offset < len(data):
        length = struct.unpack(">I", data[offset : offset + 4])[0]
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    first_row = zlib.decompress(chunks)[: 1 + width * 4]
    assert first_row[0] in (0, 1, 2, 3, 4)
    # Filter types 0 (none) and 1 (sub) leave the first pixel as is; up/average/paeth on row 0 too.
    return tuple(first_row[1:5])
