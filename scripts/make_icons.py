"""Make the app icons of the web manifest from the project's own SVG (lms/static/favicon.svg).

    python scripts/make_icons.py [output folder]        (default: lms/static/icons/)

WeasyPrint draws the SVG on a PDF page of the icon's size (1 px = 1 pt), then poppler's ``pdftocairo``
(poppler-utils, the same package as ``pdftoppm``; cairo keeps the transparency that ``pdftoppm`` would fill with
white) renders that page to a PNG of exactly that many pixels. Three icons:

- ``icon-192.png`` and ``icon-512.png`` (purpose ``any``): the SVG full size, its rounded corners transparent;
- ``maskable-512.png`` (purpose ``maskable``): the page filled with the tile's colour (the theme colour) and the
  SVG at 80 %, so that everything drawn sits inside the safe zone (the centred circle of 40 % radius) whatever
  shape the launcher cuts.

The output is committed; run this again after changing favicon.svg (tests/offline/test_manifest.py checks sizes).
"""

from __future__ import annotations

import shutil
import subprocess  # nosec B404 - runs poppler's pdftocairo with fixed arguments
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SVG = ROOT / "lms" / "static" / "favicon.svg"
OUTPUT = ROOT / "lms" / "static" / "icons"
TILE = "#0b5563"  # the SVG's tile, --brand in tadrib.css (the manifest's theme colour)
MASKABLE_SCALE = 0.8  # the safe zone is a circle of radius 0.4: the SVG's drawing reaches 0.42 of its size
#: (file name, size in pixels, background, scale of the SVG)
ICONS = (
    ("icon-192.png", 192, "transparent", 1.0),
    ("icon-512.png", 512, "transparent", 1.0),
    ("maskable-512.png", 512, TILE, MASKABLE_SCALE),
)


def page_html(svg: Path, size: int, background: str, scale: float) -> str:
    side = size * scale
    margin = (size - side) / 2
    return (
        "<!doctype html><html><head><style>"
        f"@page {{ size: {size}pt {size}pt; margin: 0; background: {background}; }}"
        "html, body { margin: 0; padding: 0; }"
        f"img {{ display: block; width: {side}pt; height: {side}pt; margin: {margin}pt; }}"
        f'</style></head><body><img src="{svg.as_uri()}" alt=""></body></html>'
    )


def render(svg: Path, target: Path, size: int, background: str, scale: float, pdftocairo: str) -> None:
    from weasyprint import HTML

    with tempfile.TemporaryDirectory() as work:
        pdf = Path(work) / "icon.pdf"
        HTML(string=page_html(svg, size, background, scale), base_url=str(svg.parent)).write_pdf(pdf)
        # 72 dpi: one PDF point is one pixel; -singlefile writes <prefix>.png
        subprocess.run(  # noqa: S603  # nosec B603 - fixed program and arguments, no shell
            [pdftocairo, "-png", "-transp", "-singlefile", "-r", "72", str(pdf), str(target.with_suffix(""))],
            check=True,
        )


def make_icons(output: Path = OUTPUT, svg: Path = SVG) -> list[Path]:
    pdftocairo = shutil.which("pdftocairo")
    if pdftocairo is None:
        raise SystemExit("pdftocairo is missing: install poppler-utils")
    output.mkdir(parents=True, exist_ok=True)
    made = []
    for name, size, background, scale in ICONS:
        target = output / name
        render(svg, target, size, background, scale, pdftocairo)
        made.append(target)
    return made


if __name__ == "__main__":
    for path in make_icons(Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT):
        print(path)
