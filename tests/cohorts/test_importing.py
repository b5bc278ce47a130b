"""Reading enrolment spreadsheets: messy CSV, Excel's encodings, XLSX, unreadable files; cells neutralised for spreadsheets."""

import io
from pathlib import Path

import pytest

from lms.cohorts.importing import parse_enrolment_file

DATA = Path(__file__).parent / "data"
JURISDICTIONS = [
    {"code": "fes", "fr": "Cour d'appel de Fès", "ar": "محكمة الاستئناف بفاس"},
    {"code": "rabat", "fr": "Cour d'appel de Rabat", "ar": "محكمة الاستئناف بالرباط"},
    {"code": "casablanca", "fr": "Cour d'appel de Casablanca", "ar": "محكمة الاستئناف بالدار البيضاء"},
]


def test_messy_csv_is_understood():
    rows = parse_enrolment_file("messy.csv", (DATA / "messy.csv").read_bytes(), JURISDICTIONS)
    by_line = {r.line: r for r in rows}
    karim = by_line[2]
    assert karim.email == "karim.idrissi@example.org" and karim.name_latin == "Karim Idrissi"
    assert karim.name_arabic == "كريم الإدريسي" and karim.profession == "magistrate-judge"
    assert karim.jurisdiction == "fes" and karim.gender == "male" and not karim.errors
    assert by_line[3].profession == "magistrate-prosecutor" and by_line[3].gender == "female"
    assert by_line[4].errors == ["email"]
    assert by_line[6].errors == ["name_latin"] and by_line[6].profession == "social-worker"
    # Unknown optional values: the row is kept, the fields empty, each flagged with what was written.
    assert not by_line[7].errors and (by_line[7].profession, by_line[7].jurisdiction, by_line[7].gender) == (
        None,
        None,
        None,
    )
    assert by_line[7].warnings == [
        ("profession", "unknown", "astronaute"),
        ("jurisdiction", "unknown", "Atlantis"),
        ("gender", "unknown", "x"),
    ]
    assert 8 not in by_line  # an empty row is skipped
    assert len(rows) == 7 and by_line[9].email == "=cmd|calc@example.org"


def test_utf16_excel_unicode_text():
    data = "E-mail\tNom\tالاسم\nomar@example.org\tOmar\tعمر\n".encode("utf-16")
    rows = parse_enrolment_file("unicode.txt", data, JURISDICTIONS)
    assert rows[0].email == "omar@example.org" and rows[0].name_arabic == "عمر"


def test_comma_csv_and_xlsx(tmp_path):
    rows = parse_enrolment_file("comma.csv", (DATA / "comma.csv").read_bytes(), JURISDICTIONS)
    assert rows[0].name_arabic == "عمر الفاسي" and rows[0].profession == "magistrate-judge"
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["Courriel", "Nom", "الاسم", "المهنة"])
    book.active.append(["Nadia@Example.org", "Nadia B", "نادية", "مساعدة اجتماعية"])
    buffer = io.BytesIO()
    book.save(buffer)
    rows = parse_enrolment_file("list.xlsx", buffer.getvalue(), JURISDICTIONS)
    assert rows[0].email == "nadia@example.org" and rows[0].profession == "social-worker"


@pytest.mark.parametrize(
    "content,key",
    [
        (b"", "empty"),
        (b"email,name\nx@example.org,Andr\xe9\n", "encoding"),
        (b"foo;bar\n1;2\n", "header"),
        (b"PK\x03\x04garbage", "xlsx"),
    ],
)
def test_unreadable_files_raise_clear_errors(content, key):
    from lms.cohorts.importing import ImportFileError

    with pytest.raises(ImportFileError) as error:
        parse_enrolment_file("x.csv", content, JURISDICTIONS)
    assert error.value.args[0] == key
