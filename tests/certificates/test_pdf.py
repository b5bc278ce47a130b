"""Certificate PDF renderer (lms/certificates/pdf.py): content, Arabic text, escaping, fetcher, fonts, size.

Text checks use pypdf: it extracts each Arabic line in logical order (the name "سلمى العمراني" comes
out as typed), although it reorders mixed Arabic/number lines, so only whole-Arabic strings are
compared. ``pdftotext`` (poppler) is used as a second opinion when it is installed. No database and no
Flask app are needed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import time

import jinja2
import pytest
from pypdf import PdfReader

from lms.certificates import pdf

ARABIC_NAME = "سلمى العمراني"
HOSTILE = '<img src="file:///etc/passwd">'


def _text(data: bytes) -> str:
    return PdfReader(io.BytesIO(data)).pages[0].extract_text()


@pytest.fixture
def record_fetches(monkeypatch):
    """Wrap safe_url_fetcher: every URL WeasyPrint asks for, and whether it was refused."""
    calls: list[tuple[str, str]] = []
    real = pdf.safe_url_fetcher

    def recording(url, headers=None, **kw):
        try:
            response = real(url, headers, **kw)
        except ValueError:
            calls.append((url, "refused"))
            raise
        calls.append((url, "served"))
        return response

    monkeypatch.setattr(pdf, "safe_url_fetcher", recording)
    return calls


@pytest.fixture(scope="module")
def sample_pdf() -> bytes:
    return pdf.render_certificate_pdf(pdf.sample_context())


@pytest.fixture(scope="module")
def sample_text(sample_pdf) -> str:
    return _text(sample_pdf)


# --------------------------------------------------------------------------- content


def test_renders_one_a4_landscape_page(sample_pdf):
    assert sample_pdf.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(sample_pdf))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (842, 595)


def test_text_has_name_serial_code_and_both_languages(sample_text):
    ctx = pdf.sample_context()
    assert ctx["name_latin"] in sample_text
    assert ctx["serial"] in sample_text
    assert pdf.group_code(ctx["verification_code"]) in sample_text  # shown in groups of 4
    assert ctx["verify_url"] in sample_text  # the raw code, inside the URL
    assert "Attestation de formation".upper() in sample_text
    assert "La traite des êtres humains" in sample_text
    assert "شهادة التكوين" in sample_text
    assert "وزارة العدل — برنامج التكوين القضائي" in sample_text


def test_arabic_name_extracts_in_logical_order(sample_text):
    assert ARABIC_NAME in sample_text
    assert ARABIC_NAME[::-1] not in sample_text


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_arabic_name_with_pdftotext(sample_pdf, tmp_path):
    path = tmp_path / "cert.pdf"
    path.write_bytes(sample_pdf)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    assert ARABIC_NAME in out
    assert "الاتجار بالبشر" in out


def test_latin_name_on_both_sides_without_arabic_name():
    data = pdf.render_certificate_pdf(pdf.sample_context(name_latin="Youssef Benjelloun", name_arabic=""))
    assert _text(data).count("Youssef Benjelloun") == 2


def test_plain_strings_accepted_for_dates_and_trainers():
    ctx = pdf.sample_context(start_date="03/11/2025", end_date="05/11/2025", trainers=["Nadia Tazi", "Rachid Bennani"])
    text = _text(pdf.render_certificate_pdf(ctx))
    assert text.count("03/11/2025") == 2
    assert text.count("Rachid Bennani") == 2


def test_missing_label_is_an_error_not_a_blank():
    ctx = pdf.sample_context()
    del ctx["labels"]["ar"]["duration"]
    with pytest.raises(jinja2.UndefinedError):
        pdf.certificate_html(ctx)


def test_text_dir_and_size_class():
    assert pdf.text_dir("سلمى") == "rtl" and pdf.text_dir("« Salma") == "ltr" and pdf.text_dir("") == "ltr"
    assert [pdf.size_class("x" * n, 24, 36) for n in (24, 25, 37)] == ["", "long", "longer"]


def test_group_code():
    assert pdf.group_code("K7QF3MZPX2") == "K7QF 3MZP X2"
    assert pdf.group_code("AB12-CD34") == "AB12-CD34"


def _module_grid(image, modules: int) -> list[list[int]]:
    """1 for each dark module of a QR image of ``modules`` modules a side (its centre pixel is dark)."""
    gray = image.convert("L")
    step = gray.width / modules
    return [
        [int(gray.getpixel((int((x + 0.5) * step), int((y + 0.5) * step))) < 128) for x in range(modules)]
        for y in range(modules)
    ]


def test_qr_in_the_pdf_encodes_the_verify_url():
    """The QR printed on the certificate is the verify URL's: its modules, read back from the PDF's image,
    are segno's for that URL (and not those of another code), at >= 8 px per module, 30 mm wide, drawn
    without smoothing (Interpolate false: sharp module edges in print)."""
    import pdfplumber
    import segno

    url = "https://tadrib.justice.gov.ma/certificates/verify/QRTESTK7QF3MZPX2"
    data = pdf.render_certificate_pdf(pdf.sample_context(verify_url=url, verification_code="QRTESTK7QF3MZPX2"))
    images = PdfReader(io.BytesIO(data)).pages[0].images
    assert len(images) == 1
    printed = images[0].image
    expected = [list(row) for row in segno.make(url, error="m").matrix_iter(scale=1, border=pdf.QR_BORDER)]
    assert printed.width == printed.height and printed.width >= 8 * len(expected)
    grid = _module_grid(printed, len(expected))
    assert grid == [[int(bool(v)) for v in row] for row in expected]
    other = segno.make(url.replace("QRTEST", "QRTESU"), error="m").matrix_iter(scale=1, border=pdf.QR_BORDER)
    assert grid != [[int(bool(v)) for v in row] for row in other]
    with pdfplumber.open(io.BytesIO(data)) as document:
        (box,) = document.pages[0].images
        assert abs((box["x1"] - box["x0"]) - pdf.QR_SIZE_MM / 25.4 * 72) < 0.5
        assert box["stream"].get("Interpolate") is False


def test_qr_png_modules():
    png = pdf.qr_png("https://example.org/v/ABC")
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    modules = len(pdf.qr_matrix("https://example.org/v/ABC")) + 2 * pdf.QR_BORDER
    assert image.mode == "RGB" and image.size == (modules * pdf.QR_PX_PER_MODULE,) * 2
    assert image.getpixel((0, 0)) == (255, 255, 255)  # quiet zone
    corner = pdf.QR_BORDER * pdf.QR_PX_PER_MODULE + 1
    assert image.getpixel((corner, corner)) == pdf.QR_DARK  # finder pattern, in the certificate's teal


# --------------------------------------------------------------------------- escaping and fetcher


def test_hostile_name_is_text_and_passwd_never_read(record_fetches):
    ctx = pdf.sample_context(name_latin=HOSTILE, name_arabic=HOSTILE, place={"fr": HOSTILE, "ar": HOSTILE})
    html = pdf.certificate_html(ctx)
    assert HOSTILE not in html and "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in html
    pdf._shared()["image_cache"].clear()  # so the emblem is fetched again, through the recorder
    data = pdf.render_certificate_pdf(ctx)
    text = _text(data).replace("\n", "")
    # both names (a Latin-script "Arabic name" is set left to right) and the French place, verbatim;
    # the Arabic place sits in a right-to-left line, where < and > may be mirrored
    assert text.count(HOSTILE) >= 3
    assert text.count("file:///etc/passwd") >= 4
    assert b"root:x:0:0" not in data
    assert not any("passwd" in url for url, _ in record_fetches)
    # the fetcher is wired in: the emblem came through it
    assert any(url.endswith("/static/favicon.svg") and outcome == "served" for url, outcome in record_fetches)


def test_raw_html_reaching_weasyprint_is_refused_by_the_fetcher(record_fetches):
    """Even if markup slipped past escaping, file://, http:// and attachments go through the fetcher and fail."""
    from weasyprint import HTML

    fetcher = pdf._shared()["fetcher"]
    html = HTML(
        string=(
            '<img src="file:///etc/passwd"><img src="http://127.0.0.1:9/x.png">'
            '<link rel="attachment" href="file:///etc/passwd">'
            '<p style="background: url(file:///dev/urandom)">x</p><img src="../../../../etc/passwd">'
        ),
        base_url=str(pdf.CERT_TEMPLATES_DIR) + "/",
        url_fetcher=fetcher,
    )
    start = time.perf_counter()
    data = html.write_pdf(font_config=pdf.font_config())
    assert time.perf_counter() - start < 5
    assert b"root:x:0:0" not in data
    assert record_fetches, "WeasyPrint did not call the fetcher"
    assert all(outcome == "refused" for _, outcome in record_fetches)
    urls = " ".join(url for url, _ in record_fetches)
    assert "/etc/passwd" in urls and "127.0.0.1" in urls


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://evil.example/etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/logo.png",
        "ftp://example.org/x",
        "/static/../../../etc/passwd",
        "/static/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
        f"file://{pdf.STATIC_DIR}/../../pyproject.toml",
        f"file://{pdf.CERT_TEMPLATES_DIR}/../base.html",
        f"file://{pdf.STATIC_DIR}",
        "file:///static/missing.svg",
        "/etc/passwd",
        "relative.png",
    ],
)
def test_fetcher_refuses(url):
    with pytest.raises(ValueError):
        pdf.safe_url_fetcher(url)


def test_fetcher_does_not_touch_files_outside_the_roots(monkeypatch):
    touched = []
    real_resolve = pdf.Path.resolve

    def resolve(self, *args, **kwargs):
        touched.append(str(self))
        return real_resolve(self, *args, **kwargs)

    monkeypatch.setattr(pdf.Path, "resolve", resolve)
    for url in ("file:///etc/passwd", "file:///etc/does-not-exist", "file:///dev/urandom"):
        with pytest.raises(ValueError, match="outside"):
            pdf.safe_url_fetcher(url)
    assert touched == []


def test_fetcher_refuses_symlink_out_of_an_allowed_root(tmp_path, monkeypatch):
    root = tmp_path / "static"
    root.mkdir()
    root = root.resolve()
    (root / "ok.svg").write_text("<svg/>")
    (root / "leak.svg").symlink_to("/etc/passwd")
    monkeypatch.setattr(pdf, "ALLOWED_ROOTS", (root,))
    assert pdf.safe_url_fetcher((root / "ok.svg").as_uri()).read() == b"<svg/>"
    with pytest.raises(ValueError):
        pdf.safe_url_fetcher((root / "leak.svg").as_uri())


@pytest.mark.parametrize(
    "url", ["/static/favicon.svg", "file:///static/favicon.svg", (pdf.STATIC_DIR / "favicon.svg").as_uri()]
)
def test_fetcher_serves_static_favicon(url):
    response = pdf.safe_url_fetcher(url)
    assert response.content_type == "image/svg+xml"
    assert response.read().startswith(b"<svg")


def test_fetcher_serves_certificate_folder_and_data_urls():
    css = pdf.safe_url_fetcher(pdf.CSS_PATH.as_uri())
    assert css.content_type == "text/css" and b"@page" in css.read()
    data = pdf.safe_url_fetcher("data:image/svg+xml;base64,PHN2Zy8+")
    assert data.content_type == "image/svg+xml" and data.read() == b"<svg/>"


# --------------------------------------------------------------------------- fonts, size, repetition


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_fonts_are_embedded_and_subsetted(sample_pdf, tmp_path):
    path = tmp_path / "cert.pdf"
    path.write_bytes(sample_pdf)
    out = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = [line.split() for line in out.splitlines()[2:] if line.strip()]
    assert rows, out
    for row in rows:
        emb, sub, uni = row[-5], row[-4], row[-3]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), out
    names = " ".join(row[0] for row in rows)
    assert "Amiri" in names and "Mono" in names


def test_pdf_is_small(sample_pdf):
    assert len(sample_pdf) < 60 * 1024


@pytest.mark.slow
def test_twenty_in_a_row_share_one_font_configuration():
    fc = pdf.font_config()
    sizes = []
    for i in range(20):
        ctx = pdf.sample_context(name_latin=f"Learner {i:02d}", serial=f"TAD-2025-{i:06d}")
        data = pdf.render_certificate_pdf(ctx)
        assert data.startswith(b"%PDF-")
        sizes.append(len(data))
        assert pdf.font_config() is fc
    assert "Learner 19" in _text(data)
    assert max(sizes) < 60 * 1024


def test_minimal_pdf_floor():
    data = pdf.render_minimal_pdf("Attestation · شهادة التكوين", "Amiri")
    assert data.startswith(b"%PDF-")
    assert "شهادة التكوين" in _text(data)


def test_no_weasyprint_warnings(weasyprint_log):
    """No refused resource, no missing glyph, no unsupported CSS in the real template."""
    pdf._shared()["image_cache"].clear()
    pdf.render_certificate_pdf(pdf.sample_context(name_arabic=""))
    assert weasyprint_log() == []
