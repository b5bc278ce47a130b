"""Reading enrolment lists as real spreadsheets produce them. Pure: no database, no Flask.

CSV in UTF-8 with or without BOM, comma or semicolon separated (French Excel), Windows line ends,
Arabic text, stray spaces, mixed-case e-mails; or XLSX. Each row gets a status or an error reason.

Bounded: a file is refused (``ImportFileError``) as soon as it is seen to exceed the limits below, before
it is parsed in full. An XLSX file is a zip archive: its table of contents is checked first (number of
parts, unpacked sizes, compression ratio), then the first sheet and its shared strings are read as a
stream that stops at the first row, column or cell past the limits; only then does openpyxl read it.
"""

from __future__ import annotations

import csv
import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat  # nosec B407 - DTDs are refused, parts are bounded, text is counted

from email_validator import EmailNotValidError, validate_email

from ..core.forms import clean_line
from .vocabulary import JurisdictionNames, column_of, gender_of, is_arabic_only, is_latin_only, profession_of

#: people in one file (the header row excepted)
MAX_ROWS = 2000
#: columns holding a value (an enrolment list has six)
MAX_COLUMNS = 50
#: characters in one cell (a name is at most 120)
MAX_CELL_CHARS = 1000
#: a CSV file, in bytes
MAX_CSV_BYTES = 4 * 1024 * 1024
#: an XLSX archive: parts, all parts unpacked, any part other than sheets and shared strings unpacked
MAX_XLSX_PARTS = 200
MAX_XLSX_UNPACKED = 16 * 1024 * 1024
MAX_XLSX_SMALL_PART = 4 * 1024 * 1024
#: unpacked / packed size of a part larger than 1 MB (a real sheet is about 15; a bomb is 1,000 and more)
MAX_XLSX_RATIO = 100
#: cells (even empty styled ones) in one row of the sheet, and the last row a value may be on
MAX_CELLS_PER_ROW = 1024
MAX_ROW_NUMBER = 2 * MAX_ROWS


@dataclass
class ImportRow:
    line: int
    email: str = ""
    name_latin: str = ""
    name_arabic: str = ""
    profession: str | None = None
    jurisdiction: str | None = None
    gender: str | None = None
    #: what keeps the row out: "email", "name", "name_latin", "name_long"
    errors: list[str] = field(default_factory=list)
    #: what was left empty, the row being kept: (column, "unknown" or "ambiguous", the value as written)
    warnings: list[tuple[str, str, str]] = field(default_factory=list)
    #: set by the service: new, existing, enrolled, duplicate, error
    status: str = ""
    #: set by the service for a duplicate: the line of the row it repeats
    duplicate_of: int | None = None


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message is a key the caller translates."""


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), or UTF-16 with a BOM (Excel's "Unicode text" export)."""
    try:
        if data.startswith((b"\xff\xfe", b"\xfe\xff")):
            return data.decode("utf-16")
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError("encoding") from None


class _Rows:
    """Collects a table's rows and stops at the first one past the limits.

    Blank rows are kept (as ``[]``) for the line numbers of the rows after them; trailing ones are dropped.
    """

    def __init__(self):
        self.rows: list[list[str]] = []
        self.filled = 0
        self.blank = 0

    def add(self, row: list[str]) -> None:
        last = max((i for i, cell in enumerate(row) if cell.strip()), default=-1)
        if last < 0:
            self.blank += 1
            return
        if last >= MAX_COLUMNS:
            raise ImportFileError("too_many_columns")
        if any(len(cell) > MAX_CELL_CHARS for cell in row[: last + 1]):
            raise ImportFileError("cell_too_long")
        self.filled += 1
        if self.filled > MAX_ROWS + 1 or len(self.rows) + self.blank >= MAX_ROW_NUMBER:
            raise ImportFileError("too_many")  # the header row and MAX_ROWS people, within the first rows
        self.rows.extend([] for _ in range(self.blank))
        self.blank = 0
        self.rows.append(row[: last + 1])


def _rows_from_csv(data: bytes) -> list[list[str]]:
    if len(data) > MAX_CSV_BYTES:
        raise ImportFileError("too_big")
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    first = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if first.count("\t") > first.count(",") else ",")
    rows = _Rows()
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.add(row)
    except csv.Error:  # a field longer than the csv module's own limit (128 KB), a stray NUL...
        raise ImportFileError("cell_too_long") from None
    return rows.rows


# --- XLSX --------------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main "
_RELS = "http://schemas.openxmlformats.org/package/2006/relationships "
_DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships id"
_CELL_REF_RE = re.compile(r"^([A-Z]{1,3})(\d+)$")
_CHUNK = 64 * 1024


def _check_archive(archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    """The archive's table of contents, before anything is unpacked.

    The sizes are the ones the archive declares; zipfile never unpacks more than that (a part that holds
    more fails its check), so they bound what the reading below can cost.
    """
    infos = archive.infolist()
    if len(infos) > MAX_XLSX_PARTS:
        raise ImportFileError("xlsx_bomb")
    total = 0
    for info in infos:
        total += info.file_size
        if total > MAX_XLSX_UNPACKED:
            raise ImportFileError("xlsx_bomb")
        if info.file_size > 1024 * 1024 and info.file_size > MAX_XLSX_RATIO * max(info.compress_size, 1):
            raise ImportFileError("xlsx_bomb")
        large = "worksheets/" in info.filename or info.filename.lower().endswith("sharedstrings.xml")
        if not large and info.file_size > MAX_XLSX_SMALL_PART:
            raise ImportFileError("xlsx_bomb")
    return {info.filename: info for info in infos}


class _Stop(Exception):
    """Ends a scan early: what was looked for is found."""


def _refuse_dtd(*_args) -> None:
    raise ImportFileError("xlsx")  # an XLSX part never declares a DTD or entities


def _scan(archive: zipfile.ZipFile, name: str, start=None, end=None, text=None) -> None:
    """Streams one XML part through expat, 64 KB at a time: nothing but the handlers' own state is kept.

    Element names are ``namespace name`` (a space between). A handler raises to stop.
    """
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse_dtd
    parser.EntityDeclHandler = _refuse_dtd
    if start:
        parser.StartElementHandler = start
    if end:
        parser.EndElementHandler = end
    if text:
        parser.CharacterDataHandler = text
    try:
        with archive.open(name) as stream:
            while chunk := stream.read(_CHUNK):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
    except _Stop:
        pass
    except expat.ExpatError:
        raise ImportFileError("xlsx") from None


def _relations(archive: zipfile.ZipFile, parts: dict, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id -> (type, target part name)."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    found: dict[str, tuple[str, str]] = {}

    def start(tag, attrs):
        if tag == _RELS + "Relationship":
            target = attrs.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            found[attrs.get("Id", "")] = (attrs.get("Type", "").rsplit("/", 1)[-1], posixpath.normpath(target))

    if rels in parts:
        _scan(archive, rels, start=start)
    return found


def _first_sheet(archive: zipfile.ZipFile, parts: dict) -> tuple[str | None, list[str]]:
    """The part of the first worksheet (as openpyxl's ``worksheets[0]``), and the shared-strings parts."""
    book = next((t for kind, t in _relations(archive, parts, "").values() if kind == "officeDocument"), None)
    if book not in parts:
        raise ImportFileError("xlsx")
    relations = _relations(archive, parts, book)
    strings = [t for kind, t in relations.values() if kind == "sharedStrings" and t in parts]
    found: list[str] = []

    def start(tag, attrs):
        if tag == _MAIN + "sheet":
            kind, target = relations.get(attrs.get(_DOC_REL, ""), ("", ""))
            if kind == "worksheet" and target in parts:
                found.append(target)
                raise _Stop

    _scan(archive, book, start=start)
    return (found[0] if found else None), strings


def _check_strings(archive: zipfile.ZipFile, part: str) -> None:
    """No shared string longer than a cell may be (counted as expat hands the text over)."""
    length = 0

    def start(tag, _attrs):
        nonlocal length
        if tag == _MAIN + "si":
            length = 0

    def text(data):
        nonlocal length
        length += len(data)
        if length > MAX_CELL_CHARS:
            raise ImportFileError("cell_too_long")

    _scan(archive, part, start=start, text=text)


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - 64
    return number


class _SheetScan:
    """Streams the sheet; stops at the first row, column or cell past the limits.

    Leaves the last row and the last column that hold a value: openpyxl then reads within them.
    """

    CELL_TEXT = {_MAIN + "v", _MAIN + "t", _MAIN + "f"}

    def __init__(self):
        self.row = self.cells = self.filled = self.last_row = self.last_column = 0
        self.column = 0
        self.length = 0
        self.valued = False

    def start(self, tag, attrs):
        if tag == _MAIN + "c":
            self.cells += 1
            if self.cells > MAX_CELLS_PER_ROW:
                raise ImportFileError("too_many_columns")
            reference = _CELL_REF_RE.match(attrs.get("r") or "")
            self.column = _column_number(reference.group(1)) if reference else self.column + 1
            if self.column > MAX_CELLS_PER_ROW:
                raise ImportFileError("too_many_columns")
            self.length, self.valued = 0, False
        elif tag == _MAIN + "row":
            number = attrs.get("r") or ""
            self.row = int(number) if number.isdigit() else self.row + 1
            self.cells = self.column = 0

    def text(self, data):
        self.length += len(data)
        if self.length > MAX_CELL_CHARS:
            raise ImportFileError("cell_too_long")
        if not self.valued and data.strip():
            self.valued = True

    def end(self, tag):
        if tag == _MAIN + "c" and self.valued:
            if self.column > MAX_COLUMNS:
                raise ImportFileError("too_many_columns")
            if self.row > MAX_ROW_NUMBER:
                raise ImportFileError("too_many")
            if self.row != self.last_row:
                self.filled += 1
                if self.filled > MAX_ROWS + 1:  # the header row and MAX_ROWS people
                    raise ImportFileError("too_many")
            self.last_row, self.last_column = self.row, max(self.last_column, self.column)


def _check_sheet(archive: zipfile.ZipFile, part: str) -> tuple[int, int]:
    scan = _SheetScan()
    _scan(archive, part, start=scan.start, end=scan.end, text=scan.text)
    return scan.last_row, scan.last_column


def _rows_from_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise ImportFileError("xlsx") from None
    try:
        with archive:
            parts = _check_archive(archive)
            sheet_part, string_parts = _first_sheet(archive, parts)
            if sheet_part is None:
                raise ImportFileError("xlsx")
            for part in string_parts:
                _check_strings(archive, part)
            last_row, last_column = _check_sheet(archive, sheet_part)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, RuntimeError, EOFError, KeyError, OSError):
        raise ImportFileError("xlsx") from None
    if not last_row:
        raise ImportFileError("empty")
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("xlsx") from error
    rows = _Rows()
    try:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(max_row=last_row, max_col=last_column, values_only=True):
            rows.add(["" if v is None else str(v) for v in row])
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError("xlsx") from error
    finally:
        book.close()
    return rows.rows


def read_table(filename: str, data: bytes) -> list[list[str]]:
    if not data:
        raise ImportFileError("empty")
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _rows_from_xlsx(data)
    if b"\0" in data[:1000] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("binary")
    return _rows_from_csv(data)


def _columns(header: list[str]) -> dict[str, int]:
    """Column -> index, from the titles of the first row (the first title naming a column wins)."""
    mapping: dict[str, int] = {}
    for index, title in enumerate(header):
        column = column_of(title)
        if column and column not in mapping:
            mapping[column] = index
    return mapping


_EMAIL_IN_BRACKETS = re.compile(r"<([^<>]+@[^<>]+)>")


def _email(text: str) -> str:
    """An address as lists hold it: "mailto:", "Name <address>", spaces (even inside), any case."""
    bracketed = _EMAIL_IN_BRACKETS.search(text)
    text = bracketed.group(1) if bracketed else text
    text = re.sub(r"\s+", "", text).lower()
    return text.removeprefix("mailto:")


def _names(cell) -> tuple[str, str]:
    """(Latin name, Arabic name): from a name column, or first and family names, each in its own script
    whatever column it was typed in."""
    latin, arabic = cell("name_latin"), cell("name_arabic")
    first, last = cell("first_name"), cell("last_name")
    if first or last:
        # "Prénom" beside "Nom": the name column holds the family name
        family = last or latin
        latin = " ".join(part for part in (first, family) if part)
    if is_arabic_only(latin) and (not arabic or is_latin_only(arabic)):
        latin, arabic = arabic, latin
    elif is_latin_only(arabic) and not latin:
        latin, arabic = arabic, ""
    return re.sub(r"\s+", " ", latin).strip(), re.sub(r"\s+", " ", arabic).strip()


def parse_enrolment_file(filename: str, data: bytes, jurisdictions: list[dict]) -> list[ImportRow]:
    """Rows with their fields normalised, their own errors (the row is left out) and warnings (an optional
    value not understood: the row is kept with that field empty). File-level problems raise ImportFileError."""
    table = [row for row in read_table(filename, data)]
    while table and not any(cell.strip() for cell in table[0]):
        table.pop(0)
    if not table:
        raise ImportFileError("empty")
    columns = _columns(table[0])
    if "email" not in columns or not columns.keys() & {"name_latin", "name_arabic", "first_name", "last_name"}:
        raise ImportFileError("header")
    if sum(1 for row in table[1:] if row) > MAX_ROWS:  # the readers stop sooner; a safety net
        raise ImportFileError("too_many")
    places = JurisdictionNames(jurisdictions)
    readers = {"profession": profession_of, "jurisdiction": places.match, "gender": gender_of}
    rows = []
    for offset, raw in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue

        def cell(name: str, raw: list[str] = raw) -> str:
            index = columns.get(name)
            return clean_line(raw[index]) if index is not None and index < len(raw) else ""

        row = ImportRow(line=offset)
        email = _email(cell("email"))
        try:
            row.email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            row.email = email
            row.errors.append("email")
        row.name_latin, row.name_arabic = _names(cell)
        if not row.name_latin:
            row.errors.append("name_latin" if row.name_arabic else "name")
        if len(row.name_latin) > 120 or len(row.name_arabic) > 120:
            row.errors.append("name_long")
        for column, read in readers.items():
            written = cell(column)
            value, problem = read(written)
            setattr(row, column, value)
            if problem:
                row.warnings.append((column, problem, written))
        rows.append(row)
    return rows
