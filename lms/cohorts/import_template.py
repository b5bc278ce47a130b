"""Blank enrolment lists to fill in: a CSV and an XLSX whose header row the importer reads (importing.py).

The column names are in French or in Arabic, each the first of our preferred names that the importer accepts
(a column without an accepted Arabic name keeps its French one), so a trainer who fills in the template never
sees "the first row must name the columns".
"""

from __future__ import annotations

import csv
import io

from .vocabulary import HEADER_ALIASES, fold

COLUMNS = ("email", "name_latin", "name_arabic", "profession", "jurisdiction", "gender")
#: preferred header names per language, best first; the French ones are the fallback
PREFERRED = {
    "fr": {
        "email": ["E-mail"],
        "name_latin": ["Nom (latin)"],
        "name_arabic": ["Nom (arabe)"],
        "profession": ["Profession"],
        "jurisdiction": ["Cour d'appel"],
        "gender": ["Genre"],
    },
    "ar": {
        "email": ["البريد الإلكتروني"],
        "name_latin": ["الاسم بالحروف اللاتينية", "الاسم باللاتينية"],
        "name_arabic": ["الاسم بالعربية"],
        "profession": ["المهنة"],
        "jurisdiction": ["محكمة الاستئناف"],
        "gender": ["الجنس"],
    },
}


def accepted(name: str, column: str) -> bool:
    return fold(name) in {fold(alias) for alias in HEADER_ALIASES[column]}


def header(language: str) -> list[str]:
    """The template's header row in ``language`` (fr or ar), every name one the importer accepts."""
    wanted = PREFERRED.get(language, PREFERRED["fr"])
    row = []
    for column in COLUMNS:
        names = [n for n in wanted[column] + PREFERRED["fr"][column] if accepted(n, column)]
        row.append(names[0])
    return row


def template_csv(language: str) -> bytes:
    """UTF-8 with a byte order mark (Excel reads Arabic right), comma separated, the header row only."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow(header(language))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(language: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Tadrib"
    sheet.append(header(language))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for letter in "ABCDEF":
        sheet.column_dimensions[letter].width = 28
    sheet.freeze_panes = "A2"
    sheet.sheet_view.rightToLeft = language == "ar"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
