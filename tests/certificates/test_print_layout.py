"""Printed documents keep every word on the page, whatever the length of the names: a 120-character name
without a space, a long Arabic name, a long place and course title. Words are located with pdfplumber;
each must lie inside the page (and, on the certificate, inside its own half: the French and Arabic halves
never overlap)."""

from __future__ import annotations

import io

import pdfplumber
import pytest

from lms.certificates import pdf
from lms.core.forms import BIDI_CONTROLS
from tests.factories import make_session

#: the top of the certificate's bottom band (serial, code, QR), from the page's top: page height less
#: 8 mm (sheet) + 1.8 mm (inner frame) + 5 mm + 36 mm (the band)
BAND_FROM_BOTTOM = (8 + 1.8 + 5 + 36) / 25.4 * 72
LONG_LATIN = "Abdelmajid" * 12  # 120 characters, no space
LONG_ARABIC = ("عبدالرحمنالإدريسيالعلوي" * 6)[:120]
LONG_PLACE = "Institutsupérieurdelamagistrature" * 3  # 99 characters, no space
LONG_PLACE_AR = ("المعهدالعاليللقضاءبالرباط" * 5)[:100]
LONG_COURSE = {
    "fr": "La traite des êtres humains : " + "identificationdesvictimes" * 4 + " et parcours des magistrats " * 4,
    "ar": "الاتجار بالبشر: " + "تحديدهويةالضحايا" * 5 + " ومسار القضاة" * 6,
}


def words(data: bytes) -> list[tuple[int, dict, tuple[float, float]]]:
    """(page number, word, page size) for every word of the document."""
    found = []
    with pdfplumber.open(io.BytesIO(data)) as document:
        for number, page in enumerate(document.pages):
            for word in page.extract_words(keep_blank_chars=False, use_text_flow=False):
                found.append((number, word, (float(page.width), float(page.height))))
    return found


def outside_page(data: bytes, margin: float = 0.0) -> list[str]:
    """The words (some of) whose box lies outside their page, less ``margin`` points on every side."""
    return [
        f"p{n + 1} {w['text'][:30]!r} x {w['x0']:.0f}-{w['x1']:.0f} of {width:.0f}, y {w['top']:.0f}-{w['bottom']:.0f}"
        for n, w, (width, height) in words(data)
        if w["x0"] < margin - 0.5
        or w["x1"] > width - margin + 0.5
        or w["top"] < margin - 0.5
        or w["bottom"] > height - margin + 0.5
    ]


def _worst_certificate(**overrides) -> bytes:
    values = {
        "name_latin": LONG_LATIN,
        "name_arabic": LONG_ARABIC,
        "course_title": LONG_COURSE,
        "place": {"fr": LONG_PLACE, "ar": LONG_PLACE_AR},
        "trainers": [
            {"fr": LONG_LATIN[:100], "ar": LONG_ARABIC[:100]},
            {"fr": "M. Rachid Bennani", "ar": "ذ. رشيد بناني"},
        ],
        **overrides,
    }
    return pdf.render_certificate_pdf(pdf.sample_context(**values))


@pytest.fixture(scope="module")
def worst_certificate() -> bytes:
    return _worst_certificate()


def test_certificate_with_the_longest_names_stays_on_one_page(worst_certificate):
    with pdfplumber.open(io.BytesIO(worst_certificate)) as document:
        assert len(document.pages) == 1


def test_certificate_with_the_longest_names_keeps_every_word_inside_the_frame(worst_certificate):
    # The frame: the double border 8 mm from the page's edge.
    assert outside_page(worst_certificate, margin=8 / 25.4 * 72) == []


def test_certificate_halves_do_not_overlap(worst_certificate):
    """Above the bottom band, every French word is left of the centre line and every Arabic one right of it."""
    with pdfplumber.open(io.BytesIO(worst_certificate)) as document:
        page = document.pages[0]
        centre, band_top = float(page.width) / 2, float(page.height) - BAND_FROM_BOTTOM
        crossing = [
            f"{w['text'][:30]!r} {w['x0']:.0f}-{w['x1']:.0f}"
            for w in page.extract_words()
            if w["bottom"] < band_top and w["x0"] < centre < w["x1"]
        ]
    assert crossing == []
    # And each half's text is its own: the Latin name on the left, the Arabic on the right.
    text = {"left": "", "right": ""}
    for w in words(worst_certificate):
        if w[1]["bottom"] < band_top:
            text["left" if w[1]["x1"] <= centre else "right"] += w[1]["text"]
    assert "Abdelmajid" in text["left"] and "Abdelmajid" not in text["right"]
    assert not any("\u0600" <= ch <= "\u06ff" for ch in text["left"].replace("«", ""))


def test_certificate_latin_name_alone_on_both_halves_stays_in_its_half():
    data = _worst_certificate(name_arabic="")
    assert outside_page(data, margin=8 / 25.4 * 72) == []
    with pdfplumber.open(io.BytesIO(data)) as document:
        page = document.pages[0]
        centre = float(page.width) / 2
        band_top = float(page.height) - BAND_FROM_BOTTOM
        assert [w["text"] for w in page.extract_words() if w["bottom"] < band_top and w["x0"] < centre < w["x1"]] == []


def test_certificate_text_has_no_bidi_controls():
    data = _worst_certificate(
        name_latin="evil\u202eName gnp.exe",
        name_arabic="سلمى\u202e العمراني\u200f",
        place={"fr": "Rabat\u2066", "ar": "الرباط\u202b"},
    )
    with pdfplumber.open(io.BytesIO(data)) as document:
        text = "".join(page.extract_text() for page in document.pages)
    assert "Name gnp.exe" in text
    assert [hex(ord(ch)) for ch in text if ch in BIDI_CONTROLS] == []


def failed_loads(weasyprint_log) -> list[str]:
    """The resources WeasyPrint could not load: it logs and goes on, so a refused stylesheet would print the
    page unstyled without an error."""
    return [message[:160] for message in weasyprint_log() if message.startswith("Failed to load")]


def overlapping_words(data: bytes) -> list[str]:
    """Pairs of words printed over each other (their boxes intersect by more than a sliver)."""
    found = []
    for number, page_words in _by_page(data).items():
        for i, a in enumerate(page_words):
            for b in page_words[i + 1 :]:
                dx = min(a["x1"], b["x1"]) - max(a["x0"], b["x0"])
                dy = min(a["bottom"], b["bottom"]) - max(a["top"], b["top"])
                if dx > 1 and dy > 2:
                    found.append(f"p{number + 1} {a['text'][:20]!r} / {b['text'][:20]!r}")
    return found


def _by_page(data: bytes) -> dict[int, list[dict]]:
    pages: dict[int, list[dict]] = {}
    for number, word, _size in words(data):
        pages.setdefault(number, []).append(word)
    return pages


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"name_arabic": ""},
        {"course_title": pdf.sample_context()["course_title"], "place": {"fr": "Rabat", "ar": "الرباط"}},
        {"name_latin": "Salma El Amrani", "name_arabic": "سلمى العمراني", "trainers": []},
    ],
    ids=["everything-long", "no-arabic-name", "long-names-only", "long-title-and-place"],
)
def test_certificate_words_never_print_over_each_other(overrides):
    assert overlapping_words(_worst_certificate(**overrides)) == []


# --- sign-in sheet and programme report -----------------------------------------------------------------


@pytest.fixture
def long_cohort(make_user, make_cohort, db):
    """A cohort whose every printed text is as long as the forms allow, without a space where possible."""
    from datetime import datetime

    from lms.accounts.models import User
    from lms.cohorts import service

    trainer = make_user(roles=("trainer",), email="trainer@example.org", name_latin=LONG_LATIN)

    def build(language: str):
        cohort = make_cohort(
            trainer,
            title=("Cohorte" * 30)[:200],
            city=LONG_PLACE,
            venue=("Salle" * 40)[:200],
            language=language,
        )
        for index, (latin, arabic) in enumerate(
            [
                (LONG_LATIN, LONG_ARABIC),
                ("Karim Idrissi", "كريم الإدريسي"),
                (LONG_LATIN[:60] + " " + LONG_LATIN[:59], ""),
            ]
        ):
            person = make_user(
                email=f"p{index}-{language}@example.org",
                name_latin=latin,
                name_arabic=arabic or None,
                profession="clerk" if index else "magistrate-prosecutor",
            )
            service.enrol(cohort, db.session.get(User, person.id), None)
        session = make_session(
            db,
            cohort,
            datetime(2027, 1, 12, 8),
            title=("Atelierpratique" * 14)[:200],
            place=("Amphithéâtre" * 17)[:200],
        )
        db.session.commit()
        return session

    return build


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_sign_in_sheet_keeps_every_word_on_the_page(client, long_cohort, language, weasyprint_log):
    session = long_cohort(language)
    client.login("trainer@example.org")
    response = client.get(f"/attendance/sessions/{session.id}/sheet.pdf")
    assert failed_loads(weasyprint_log) == []  # print/base.css and cohorts/sheet.css
    assert response.mimetype == "application/pdf"
    assert outside_page(response.data, margin=5 / 25.4 * 72) == []  # the page numbers sit in the margin
    assert overlapping_words(response.data) == []
    text = "".join(w["text"] for _n, w, _s in words(response.data))
    assert text.count("Abdelmajid") >= 12 * 2  # the long name is printed whole (wrapped), not cut


def test_programme_report_pdf_keeps_every_word_on_the_page(app, weasyprint_log):
    """The report's template with labels far longer than any today (a profession or jurisdiction code holds
    32 or 40 characters; a course or cohort title could be shown one day)."""
    from flask import render_template

    from lms.core.pdf import html_to_pdf

    long_label = {"fr": ("juridictioninconnue" * 9)[:150], "ar": ("محكمةالاستئنافبمدينة" * 8)[:150]}
    parts = {}
    for locale in ("fr", "ar"):
        cell = {"enrolled": 123456789, "trained": 12345678, "certified": 1234567}
        parts[locale] = {
            "rows": [(long_label[locale], 12), ("Cohortes", 3)],
            "sections": [("jurisdiction", long_label[locale], [(long_label[locale], cell), ("Rabat", cell)])],
            "masked": True,
            "period": ("1 janvier 2000", "31 décembre 2036"),
        }
    with app.test_request_context():
        from flask_babel import force_locale

        from lms.reports.exports import pdf_headers

        for locale in ("fr", "ar"):
            with force_locale(locale):
                parts[locale]["headers"] = pdf_headers()
        data = html_to_pdf(render_template("reports/programme_pdf.html", parts=parts))
    assert failed_loads(weasyprint_log) == []  # print/base.css and reports/programme_pdf.css
    assert "juridictioninconnue" in "".join(w["text"] for _n, w, _s in words(data))
    assert outside_page(data, margin=5 / 25.4 * 72) == []
    assert overlapping_words(data) == []
