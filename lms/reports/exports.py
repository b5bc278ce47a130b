"""Tables to CSV (UTF-8 with BOM, semicolons, for French Excel) and XLSX; formula cells neutralised."""

from __future__ import annotations

import csv
import io

from ..cohorts.importing import neutralize_cell


def to_csv(header: list, rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([neutralize_cell(str(h)) for h in header])
    for row in rows:
        writer.writerow([neutralize_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(sheets: list[tuple[str, list, list[list]]], rtl: bool = False) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets:
        sheet = book.create_sheet(title[:31])
        sheet.append([neutralize_cell(str(h)) for h in header])
        for row in rows:
            sheet.append([neutralize_cell(v) for v in row])
        sheet.sheet_view.rightToLeft = rtl
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
