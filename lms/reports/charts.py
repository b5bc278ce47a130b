"""Charts as SVG, drawn on the server: no JavaScript, no library, readable in both directions.

Each chart carries role="img", a <title> and an aria-label; the page shows the same numbers as a table.
Horizontal bars grow from the reading start (the right in Arabic), so labels and bars read naturally.
"""

from __future__ import annotations

from markupsafe import Markup, escape

#: points a line chart draws at most: more are thinned out evenly (the first and the last are kept), so the
#: drawing stays small whatever the data
MAX_LINE_POINTS = 60

PALETTE = {"bar": "#0b5563", "bar2": "#c99a2e", "grid": "#d5dbe2", "text": "#1c2430", "muted": "#4a5565"}


BIDI_MARKS = dict.fromkeys(map(ord, "\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _plain(text: str) -> str:
    """Labels inside a left-to-right drawing: direction marks (Arabic dates carry some) would reorder them."""
    return str(text).translate(BIDI_MARKS)


def _num(value: float) -> str:
    """A value as the page's language writes it ("12,5" in French and Arabic, "12.5" in English)."""
    from ..i18n import format_number

    return _plain(format_number(value, 1))


def bar_chart(
    rows: list[tuple[str, float]],
    title: str,
    *,
    maximum: float | None = None,
    unit: str = "",
    rtl: bool = False,
    width: int = 560,
) -> Markup:
    """Horizontal bars: one per (label, value)."""
    bar_h, gap, label_w, value_w = 22, 8, 190, 56
    height = max(len(rows), 1) * (bar_h + gap) + gap
    top = maximum or max([v for _l, v in rows] + [1])
    area = width - label_w - value_w
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" direction="ltr" '
        f'role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
    ]
    for index, (label, value) in enumerate(rows):
        y = gap + index * (bar_h + gap)
        length = 0 if top <= 0 else max(area * float(value) / top, 0)
        if rtl:
            label_x, anchor = width - 4, "end"
            bar_x = width - label_w - length
            value_x, value_anchor = width - label_w - length - 6, "end"
        else:
            label_x, anchor = 4, "start"
            bar_x = label_w
            value_x, value_anchor = label_w + length + 6, "start"
        short = label if len(label) <= 28 else label[:27] + "…"
        parts.append(
            f'<text x="{label_x}" y="{y + bar_h * 0.7:.1f}" text-anchor="{anchor}" font-size="13" '
            f'fill="{PALETTE["text"]}">{escape(_plain(short))}</text>'
            f'<rect x="{bar_x:.1f}" y="{y}" width="{length:.1f}" height="{bar_h}" rx="3" fill="{PALETTE["bar"]}"/>'
            f'<text x="{value_x:.1f}" y="{y + bar_h * 0.7:.1f}" text-anchor="{value_anchor}" font-size="13" '
            f'fill="{PALETTE["muted"]}">{_num(value)}{escape(unit)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every user text above went through escape()  # nosec B704


def histogram_counts(values: list[float], bins: int = 10) -> list[int]:
    """How many values fall in each bucket of 0–100 % (the last bucket holds 100)."""
    counts = [0] * bins
    for value in values:
        counts[min(int(float(value) / (100 / bins)), bins - 1)] += 1
    return counts


def histogram_table(
    values: list[float] | None, bins: int = 10, counts: list[int] | None = None
) -> list[tuple[str, int]]:
    """The histogram's data as a table: (bucket label, count), e.g. ("90–100", 4). What the chart shows, for
    people who cannot see it, whatever the number of learners. ``counts``: the buckets already counted."""
    width = 100 // bins
    return [
        (f"{i * width}–{100 if i == bins - 1 else (i + 1) * width - 1}", count)
        for i, count in enumerate(counts if counts is not None else histogram_counts(values, bins))
    ]


def histogram(
    values: list[float] | None,
    title: str,
    *,
    bins: int = 10,
    rtl: bool = False,
    width: int = 560,
    counts: list[int] | None = None,
) -> Markup:
    """Score distribution (0–100 %) as vertical bars; buckets ordered in the reading direction. ``counts``: the
    buckets already counted (the dashboard counts them in SQL), instead of ``values``."""
    if counts is None:
        counts = histogram_counts(values, bins)
    bins = len(counts)
    height, base, left = 200, 170, 30
    top = max(counts + [1])
    slot = (width - left - 10) / bins
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" direction="ltr" '
        f'role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
        f'<line x1="{left}" y1="{base}" x2="{width - 10}" y2="{base}" stroke="{PALETTE["grid"]}"/>'
    ]
    for index, count in enumerate(counts):
        position = (bins - 1 - index) if rtl else index
        x = left + position * slot + 3
        bar = (base - 20) * count / top
        parts.append(
            f'<rect x="{x:.1f}" y="{base - bar:.1f}" width="{slot - 6:.1f}" height="{bar:.1f}" rx="2" '
            f'fill="{PALETTE["bar"]}"/>'
            f'<text x="{x + (slot - 6) / 2:.1f}" y="{base - bar - 4:.1f}" text-anchor="middle" font-size="12" '
            f'fill="{PALETTE["muted"]}">{count if count else ""}</text>'
            f'<text x="{x + (slot - 6) / 2:.1f}" y="{base + 16}" text-anchor="middle" font-size="11" '
            f'fill="{PALETTE["muted"]}">{index * 100 // bins}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - numbers and an escaped title only  # nosec B704


def thin_out(points: list, most: int) -> list:
    """At most ``most`` of ``points`` (``most`` >= 2), evenly spread, the first and the last kept."""
    if len(points) <= most:
        return points
    last = len(points) - 1
    return [points[round(i * last / (most - 1))] for i in range(most)]


def line_chart(
    points: list[tuple[str, float]], title: str, *, maximum: float = 100, rtl: bool = False, width: int = 560
) -> Markup:
    """A cumulative curve (e.g. percent of learners who completed, by week), of MAX_LINE_POINTS points at most."""
    points = thin_out(points, MAX_LINE_POINTS)
    height, base, left, right = 200, 170, 36, 12
    n = max(len(points), 2)
    step = (width - left - right) / (n - 1)
    coords = []
    for index, (_label, value) in enumerate(points):
        position = (n - 1 - index) if rtl else index
        x = left + position * step
        y = base - (base - 20) * float(value) / (maximum or 1)
        coords.append((x, y))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" direction="ltr" '
        f'role="img" '
        f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>'
        f'<line x1="{left}" y1="{base}" x2="{width - right}" y2="{base}" stroke="{PALETTE["grid"]}"/>'
        f'<line x1="{left}" y1="20" x2="{width - right}" y2="20" stroke="{PALETTE["grid"]}" stroke-dasharray="4 4"/>'
        f'<text x="{left - 4}" y="24" text-anchor="end" font-size="11" fill="{PALETTE["muted"]}">{_num(maximum)}</text>'
        f'<text x="{left - 4}" y="{base}" text-anchor="end" font-size="11" fill="{PALETTE["muted"]}">0</text>'
    ]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{PALETTE["bar"]}" stroke-width="3"/>')
        for x, y in coords:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{PALETTE["bar2"]}"/>')
        muted = PALETTE["muted"]
        for (x, _y), (label, _v) in ((coords[0], points[0]), (coords[-1], points[-1])):
            anchor = "start" if x < width / 2 else "end"  # keep the end labels inside the drawing
            parts.append(
                f'<text x="{x:.1f}" y="{base + 18}" text-anchor="{anchor}" font-size="11" fill="{muted}">'
                f"{escape(_plain(label))}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - labels escaped  # nosec B704
