"""Enrolment imports refuse decompression bombs and oversized lists fast, with bounded memory (#15 item 3).

Every bomb is built here, small on disk (zipfile streams the parts through deflate); each must be refused
within 2 s and 100 MB of extra Python memory (tracemalloc's peak), where the unbounded reader took 46 s and
2.9 GB (one row of 3 million cells) or 101 s and a 419 MB page (one 400 MB cell).
"""

import io
import re
import time
import tracemalloc
import zipfile

import pytest
from openpyxl import Workbook

from lms.cohorts import importing
from lms.cohorts.importing import ImportFileError, parse_enrolment_file

NS = b'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
HEAD = b'<?xml version="1.0" encoding="UTF-8"?><worksheet ' + NS + b"><sheetData>"
TAIL = b"</sheetData></worksheet>"
STRINGS_REL = (
    b'<Relationship Id="rIdS" Target="sharedStrings.xml" '
    b'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>'
)
MB = 1024 * 1024


def _normal_parts() -> dict[str, bytes]:
    book = Workbook()
    book.active.append(["E-mail", "Nom"])
    book.active.append(["a@example.org", "A"])
    buffer = io.BytesIO()
    book.save(buffer)
    archive = zipfile.ZipFile(buffer)
    return {info.filename: archive.read(info.filename) for info in archive.infolist()}


def workbook(sheet, strings=None, extra=()) -> bytes:
    """An .xlsx whose first sheet (and shared strings) are streamed from the given chunks."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in _normal_parts().items():
            if name == "xl/worksheets/sheet1.xml":
                continue
            if name == "xl/_rels/workbook.xml.rels" and strings is not None:
                data = data.replace(b"</Relationships>", STRINGS_REL + b"</Relationships>")
            archive.writestr(name, data)
        for name, chunks in [("xl/worksheets/sheet1.xml", sheet), ("xl/sharedStrings.xml", strings), *extra]:
            if chunks is not None:
                with archive.open(name, "w", force_zip64=True) as part:
                    for chunk in chunks:
                        part.write(chunk)
    return out.getvalue()


def header_then(*rows: bytes):
    yield HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>E-mail</t></is></c>'
    yield b'<c r="B1" t="inlineStr"><is><t>Nom</t></is></c></row>'
    yield from rows
    yield TAIL


def wide_row(cells: int):
    chunk = b'<c t="inlineStr"><is><t>x</t></is></c>' * 10_000
    yield HEAD + b'<row r="1">'
    for _ in range(cells // 10_000):
        yield chunk
    yield b"</row>" + TAIL


def long_text(megabytes: int, before: bytes, after: bytes):
    yield before
    for _ in range(megabytes):
        yield b"A" * MB
    yield after


def shared_string(megabytes: int):
    sst = b'<?xml version="1.0" encoding="UTF-8"?><sst ' + NS + b' count="1" uniqueCount="1"><si><t>'
    return long_text(megabytes, sst, b"</t></si></sst>")


def one_cell_sheet():
    yield HEAD + b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + TAIL


def many_rows(count: int):
    yield HEAD
    for start in range(1, count, 10_000):
        yield b"".join(
            b'<row r="%d"><c t="inlineStr"><is><t>p</t></is></c></row>' % n for n in range(start, start + 10_000)
        )
    yield TAIL


def refused(data: bytes, key: str, filename: str = "bomb.xlsx") -> None:
    """The import refuses ``data`` with ``key``, within 2 s and 100 MB of extra memory."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        with pytest.raises(ImportFileError) as error:
            parse_enrolment_file(filename, data, [])
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert error.value.args[0] == key
    assert seconds < 2, f"{seconds:.1f} s"
    assert peak < 100 * MB, f"{peak / MB:.0f} MB"


# --- the archive's table of contents -------------------------------------------------------------


def test_one_row_of_three_million_cells_is_refused_before_unpacking():
    data = workbook(wide_row(3_000_000))
    assert len(data) < 1 * MB  # 336 KB in the report
    refused(data, "xlsx_bomb")


def test_one_cell_of_100_mb_is_refused_before_unpacking():
    data = workbook(one_cell_sheet(), shared_string(100))  # 400 MB in the report: the same file, built 4x faster
    assert len(data) < 1 * MB  # 412 KB in the report
    refused(data, "xlsx_bomb")


def test_too_many_parts():
    data = workbook(one_cell_sheet(), extra=[(f"xl/media/junk{n}.bin", [b""]) for n in range(importing.MAX_XLSX_PARTS)])
    refused(data, "xlsx_bomb")


def test_a_part_that_compresses_too_well():
    # 3 MB of blanks in an extra part: within the size limits, a ratio of about 1,000
    data = workbook(header_then(), extra=[("xl/worksheets/sheet2.xml", [b" " * (3 * MB)])])
    refused(data, "xlsx_bomb")


def test_a_part_declaring_a_dtd_is_refused():
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        b"<worksheet " + NS + b'><sheetData><row r="1"><c t="inlineStr"><is><t>&lol2;</t></is></c></row>' + TAIL
    )
    refused(workbook([laughs]), "xlsx")


# --- the stream: each bound on its own, with the archive's size and ratio limits lifted ----------------


@pytest.fixture
def archive_limits_lifted(monkeypatch):
    monkeypatch.setattr(importing, "MAX_XLSX_UNPACKED", 10**12)
    monkeypatch.setattr(importing, "MAX_XLSX_RATIO", 10**9)


@pytest.mark.usefixtures("archive_limits_lifted")
@pytest.mark.parametrize(
    ("build", "key"),
    [
        (lambda: workbook(wide_row(3_000_000)), "too_many_columns"),
        (lambda: workbook(one_cell_sheet(), shared_string(32)), "cell_too_long"),
        (
            lambda: workbook(
                long_text(32, HEAD + b'<row r="1"><c t="inlineStr"><is><t>', b"</t></is></c></row>" + TAIL)
            ),
            "cell_too_long",
        ),
        (lambda: workbook(many_rows(1_000_000)), "too_many"),
        (lambda: workbook(header_then(b'<row r="2"><c r="XFD2"><v>1</v></c></row>')), "too_many_columns"),
        (lambda: workbook(header_then(b'<row r="2"><c r="AY2"><v>1</v></c></row>')), "too_many_columns"),
        (lambda: workbook(header_then(b'<row r="1048576"><c r="A1048576"><v>1</v></c></row>')), "too_many"),
        (lambda: workbook(header_then(b'<row r="3">' + b'<c s="1"/>' * 2_000_000 + b"</row>")), "too_many_columns"),
    ],
    ids=[
        "3M-cells",
        "32MB-shared-string",
        "32MB-inline-cell",
        "1M-rows",
        "column-XFD",
        "column-51",
        "row-1M",
        "2M-empty-cells",
    ],
)
def test_streamed_sheet_stops_at_the_first_cell_past_the_limits(build, key):
    refused(build(), key)


# --- normal workbooks still pass -----------------------------------------------------------------


def test_2000_people_with_styled_empty_cells_and_rows_are_read():
    rows = [
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>p%d@example.org</t></is></c>' % (n, n, n) for n in range(2, 2002)
    ]
    rows = [
        r + b'<c r="B%d" t="inlineStr"><is><t>Person</t></is></c><c r="CV%d" s="1"/></row>' % (n, n)
        for n, r in enumerate(rows, 2)
    ]
    rows.append(b'<row r="2500" s="1" customFormat="1"/>')  # Excel's formatted empty rows
    data = workbook(header_then(*rows))
    result = parse_enrolment_file("list.xlsx", data, [])
    assert len(result) == 2000 and result[-1].email == "p2001@example.org" and result[-1].line == 2001


def test_2001_people_are_too_many():
    rows = [b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (n, n) for n in range(2, 2003)]
    refused(workbook(header_then(*rows)), "too_many")


def test_blank_rows_keep_the_line_numbers():
    data = workbook(
        header_then(
            b'<row r="7"><c r="A7" t="inlineStr"><is><t>x@example.org</t></is></c>'
            b'<c r="B7" t="inlineStr"><is><t>X</t></is></c></row>'
        )
    )
    assert [(r.line, r.email) for r in parse_enrolment_file("list.xlsx", data, [])] == [(7, "x@example.org")]


# --- CSV -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "key"),
    [
        (b"email;nom\n" + b"a@example.org;" + b"A" * (importing.MAX_CSV_BYTES + 1), "too_big"),
        (b"email;nom\n" + b"a@example.org;A\n" * 2001, "too_many"),
        (b"email;nom\n" + b"\n" * 5000 + b"a@example.org;A\n", "too_many"),
        (b"email;nom" + b";x" * 50 + b"\n", "too_many_columns"),
        (b"email;nom\na@example.org;" + b"A" * 1001 + b"\n", "cell_too_long"),
        (b'email;nom\na@example.org;"' + b"A" * 200_000 + b'"\n', "cell_too_long"),  # past the csv module's own limit
    ],
    ids=["bytes", "rows", "far-row", "columns", "cell", "huge-cell"],
)
def test_csv_bounds(data, key):
    refused(data, key, "list.csv")


def test_csv_at_the_limits_is_read():
    data = (
        b"email;nom;;;\n"
        + b"".join(b"p%d@example.org;%s;;;\n" % (n, b"A" * 120) for n in range(2000))
        + b";;;;\n" * 5000
    )
    rows = parse_enrolment_file("list.csv", data, [])
    assert len(rows) == 2000 and rows[0].name_latin == "A" * 120


# --- the page ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "message"),
    [
        ("fr", "Ce fichier .xlsx n’est pas un tableur ordinaire"),
        ("ar", "هذا الملف .xlsx ليس جدولا عاديا"),
    ],
)
def test_the_page_refuses_a_bomb_with_a_translated_message(client, make_user, make_cohort, lang, message):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    client.login("trainer@example.org")
    client.post_form("/language", {"lang": lang})
    bomb = workbook(wide_row(3_000_000))
    started = time.perf_counter()
    response = client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO(bomb), "bomb.xlsx")},
        content_type="multipart/form-data",
    )
    assert time.perf_counter() - started < 2
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html
    assert not re.search(r'name="token"', html)
