"""The printed documents' fetcher (lms/core/pdf.py): the app's static files and the stylesheets beside the
templates, nothing else (no template, no file elsewhere, nothing remote)."""

import pytest

from lms.core import pdf


@pytest.fixture(scope="module")
def fetch():
    return pdf.static_only_fetcher().fetch


@pytest.mark.parametrize("relative", ["print/base.css", "cohorts/sheet.css", "reports/programme_pdf.css"])
def test_serves_the_stylesheets_beside_the_templates(fetch, relative):
    response = fetch((pdf.TEMPLATES / relative).as_uri())
    assert response.read() == (pdf.TEMPLATES / relative).read_bytes()


def test_serves_static_files(fetch):
    assert fetch((pdf.STATIC / "favicon.svg").as_uri()).read() == (pdf.STATIC / "favicon.svg").read_bytes()


@pytest.mark.parametrize(
    "url",
    [
        (pdf.TEMPLATES / "print" / "base.html").as_uri(),  # a template is not a stylesheet
        (pdf.TEMPLATES / "print" / ".." / ".." / "pyproject.toml").as_uri(),
        (pdf.TEMPLATES / "print" / "missing.css").as_uri(),
        "file:///etc/passwd",
        "https://example.org/print.css",
        "http://127.0.0.1/base.css",
        "ftp://example.org/base.css",
    ],
)
def test_refuses_everything_else(fetch, url):
    with pytest.raises(ValueError, match="refused"):
        fetch(url)


def test_refuses_a_stylesheet_outside_the_templates(fetch, tmp_path):
    outside = tmp_path / "evil.css"
    outside.write_text("body { color: red }")
    with pytest.raises(ValueError, match="refused"):
        fetch(outside.as_uri())
