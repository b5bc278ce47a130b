"""Tables as spreadsheet files: CSV for French Excel and XLSX, every cell neutralised, and the response that sends one.

A table is a header (a list of labels) and rows (lists of cells: text, numbers, ``None``). ``export_response`` is all a
view needs::

    return export_response(header, rows, f"attendance-cohort-{cohort.id}", fmt, sheet="Attendance")

Formula injection: a spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (a name typed
as ``=HYPERLINK(...)`` becomes a link to anywhere), and some read a leading tab or carriage return the same way. Such
a text is written with a leading apostrophe, which the spreadsheet shows as text; numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from flask import Response, current_app
from flask_babel import get_locale

from ..i18n import RTL_LOCALES

#: What a spreadsheet may read as the start of a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

#: The formats ``export_response`` writes, and their media types.
MIMETYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Characters an XLSX file cannot hold (XML 1.0 forbids the C0 controls but tab, line feed and carriage return):
#: openpyxl refuses a cell holding one; such a character is dropped from the cell.
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_SAFE_FILENAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def neutralize_cell(value):
    """Spreadsheet formula injection: a text starting with = + - @ (or a tab, a carriage return) is prefixed with
    an apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_bytes(header: Sequence, rows: Iterable[Sequence]) -> bytes:
    """A table as CSV bytes for French Excel: UTF-8 with a BOM (so that Excel reads Arabic names as UTF-8), semicolons,
    every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([neutralize_cell(str(label)) for label in header])
    for row in rows:
        writer.writerow([neutralize_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(value):
    value = neutralize_cell(value)
    return _XLSX_ILLEGAL.sub("", value) if isinstance(value, str) else value


def xlsx_bytes(sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]], rtl: bool = False) -> bytes:
    """Sheets ``(title, header, rows)`` as XLSX bytes (right to left with ``rtl``), every cell neutralised. Written in
    openpyxl's write-only mode: rows stream to the file instead of being held as cell objects."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])  # Excel's limit on a sheet's name
        sheet.sheet_view.rightToLeft = rtl
        sheet.append([_xlsx_cell(str(label)) for label in header])
        for row in rows:
            sheet.append([_xlsx_cell(cell) for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export_response(
    header: Sequence,
    rows: Iterable[Sequence],
    filename: str,
    fmt: str,
    *,
    sheet: str = "Sheet1",
    rtl: bool | None = None,
) -> Response:
    """The table as a file to download: ``fmt`` is ``"csv"`` or ``"xlsx"`` (anything else is a ``ValueError``: check
    the format before computing the table), ``filename`` the file's name without its extension (ASCII letters,
    digits, ``.``, ``_``, ``-``). An XLSX file has one sheet named ``sheet``, right to left when ``rtl`` (by default:
    when the page's language is Arabic). Never cached: the file holds personal data."""
    if fmt not in MIMETYPES:
        raise ValueError(f"unknown export format {fmt!r}")
    if not _SAFE_FILENAME.fullmatch(filename):
        raise ValueError(f"unsafe file name {filename!r}")
    if fmt == "csv":
        data = csv_bytes(header, rows)
    else:
        if rtl is None:
            rtl = str(get_locale() or "fr") in RTL_LOCALES
        data = xlsx_bytes([(sheet, header, rows)], rtl=rtl)
    response = current_app.response_class(data, mimetype=MIMETYPES[fmt])
    response.headers["Content-Disposition"] = f"attachment; filename={filename}.{fmt}"
    response.headers["Cache-Control"] = "no-store"
    return response
