"""Blank enrolment lists to fill in (CSV and XLSX): the header row the importer reads, in the page's language.

The header names are taken from what ``importing`` accepts (``HEADER_ALIASES``): for each column the first
name of the language's list that the importer knows, else the French one. So a template always imports.
"""

from __future__ import annotations

import csv
import io

from .importing import HEADER_ALIASES, fold

COLUMNS = ("email", "name_latin", "name_arabic", "profession", "jurisdiction", "gender")
#: the names a trainer of each language would write, best first
PREFERRED = {
    "fr": {
        "email": ("Adresse e-mail", "Courriel"),
        "name_latin": ("Nom (latin)", "Nom"),
        "name_arabic": ("Nom (arabe)",),
        "profession": ("Profession",),
        "jurisdiction": ("Juridiction",),
        "gender": ("Genre",),
    },
    "ar": {
        "email": ("البريد الإلكتروني",),
        "name_latin": ("الاسم بالحروف اللاتينية", "الاسم باللاتينية"),
        "name_arabic": ("الاسم بالعربية", "الاسم"),
        "profession": ("المهنة",),
        "jurisdiction": ("محكمة الاستئناف", "الدائرة القضائية"),
        "gender": ("الجنس",),
    },
    "en": {
        "email": ("E-mail",),
        "name_latin": ("Name (Latin)", "Name"),
        "name_arabic": ("Name (Arabic)",),
        "profession": ("Profession",),
        "jurisdiction": ("Jurisdiction",),
        "gender": ("Gender",),
    },
}


def header(locale: str) -> list[str]:
    """The header row for ``locale``: each column's name in that language when the importer reads it."""
    names = PREFERRED.get(locale, PREFERRED["fr"])
    row = []
    for column in COLUMNS:
        accepted = {fold(alias) for alias in HEADER_ALIASES[column]}
        candidates = (*names[column], *PREFERRED["fr"][column])
        row.append(next((name for name in candidates if fold(name) in accepted), column))
    return row


def template_csv(locale: str) -> bytes:
    """UTF-8 with a byte-order mark and semicolons: Excel (French or Arabic Windows) opens it in columns."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerow(header(locale))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_xlsx(locale: str, sheet_title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append(header(locale))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        sheet.column_dimensions[cell.column_letter].width = 30
    sheet.freeze_panes = "A2"
    sheet.sheet_view.rightToLeft = locale == "ar"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
