"""Reading enrolment lists as real spreadsheets produce them. Pure: no database, no Flask.

CSV in UTF-8 with or without BOM, comma or semicolon separated (French Excel), Windows line ends,
Arabic text, stray spaces, mixed-case e-mails; or XLSX. Each row gets a status or an error reason.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from email_validator import EmailNotValidError, validate_email

from ..core.forms import clean_line

MAX_ROWS = 2000

HEADER_ALIASES = {
    "email": {
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse electronique",
        "adresse e-mail",
        "البريد الالكتروني",
        "البريد الإلكتروني",
        "البريد",
    },
    "name_latin": {
        "name",
        "name_latin",
        "nom",
        "nom complet",
        "nom et prenom",
        "nom (latin)",
        "full name",
        "name (latin)",
    },
    "name_arabic": {
        "name_arabic",
        "nom arabe",
        "nom (arabe)",
        "name (arabic)",
        "arabic name",
        "الاسم",
        "الاسم الكامل",
        "الاسم بالعربية",
    },
    "profession": {"profession", "fonction", "metier", "المهنة", "الوظيفة"},
    "jurisdiction": {
        "jurisdiction",
        "juridiction",
        "cour d'appel",
        "cour d appel",
        "court of appeal",
        "الدائرة القضائية",
        "محكمة الاستئناف",
    },
    "gender": {"gender", "genre", "sexe", "الجنس", "النوع"},
}
PROFESSION_ALIASES = {
    "magistrate-judge": {
        "magistrate-judge",
        "juge",
        "magistrat du siege",
        "magistrat (juge)",
        "judge",
        "قاض",
        "قاضي",
        "قاضي الحكم",
        "قضاء الحكم",
        "قاض (قضاء الحكم)",
    },
    "magistrate-prosecutor": {
        "magistrate-prosecutor",
        "procureur",
        "substitut",
        "magistrat du parquet",
        "magistrat (parquet)",
        "prosecutor",
        "وكيل الملك",
        "نائب وكيل الملك",
        "النيابة العامة",
        "قاض (النيابة العامة)",
    },
    "social-worker": {
        "social-worker",
        "assistant social",
        "assistante sociale",
        "assistant(e) social(e)",
        "social worker",
        "مساعد اجتماعي",
        "مساعدة اجتماعية",
        "مساعد(ة) اجتماعي(ة)",
    },
    "clerk": {"clerk", "greffier", "greffiere", "court clerk", "كاتب الضبط", "كاتبة الضبط"},
    "police": {"police", "gendarmerie", "officier de police judiciaire", "شرطة", "درك", "الشرطة القضائية"},
    "other": {"other", "autre", "أخرى", "آخر"},
}
GENDER_ALIASES = {
    "female": {"f", "female", "femme", "feminin", "woman", "أنثى", "انثى", "امرأة"},
    "male": {"m", "h", "male", "homme", "masculin", "man", "ذكر", "رجل"},
}


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", str(text or "").strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c) or "\u0600" <= c <= "\u06ff")
    text = text.replace("’", "'").replace("_", " ")
    return re.sub(r"\s+", " ", text)


@dataclass
class ImportRow:
    line: int
    email: str = ""
    name_latin: str = ""
    name_arabic: str = ""
    profession: str | None = None
    jurisdiction: str | None = None
    gender: str | None = None
    errors: list[str] = field(default_factory=list)
    #: set by the service: new, existing, enrolled, duplicate, error
    status: str = ""


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


def _rows_from_csv(data: bytes) -> list[list[str]]:
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    first = next((line for line in text.split("\n") if line.strip()), "")
    delimiter = ";" if first.count(";") > first.count(",") else ("\t" if first.count("\t") > first.count(",") else ",")
    return [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows_from_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise ImportFileError("xlsx") from error
    sheet = book.worksheets[0]
    rows = []
    for row in sheet.iter_rows(values_only=True):
        rows.append(["" if v is None else str(v) for v in row])
        if len(rows) > MAX_ROWS + 1:
            break
    book.close()
    return rows


def read_table(filename: str, data: bytes) -> list[list[str]]:
    if not data:
        raise ImportFileError("empty")
    if filename.lower().endswith(".xlsx") or data[:2] == b"PK":
        return _rows_from_xlsx(data)
    if b"\0" in data[:1000] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ImportFileError("binary")
    return _rows_from_csv(data)


def _columns(header: list[str]) -> dict[str, int]:
    mapping = {}
    for index, title in enumerate(header):
        key = fold(title)
        for column, aliases in HEADER_ALIASES.items():
            if key in {fold(a) for a in aliases} and column not in mapping:
                mapping[column] = index
    return mapping


def _lookup(value: str, aliases: dict[str, set[str]]) -> str | None:
    key = fold(value)
    for code, names in aliases.items():
        if key == code or key in {fold(n) for n in names}:
            return code
    return None


def parse_enrolment_file(filename: str, data: bytes, jurisdictions: list[dict]) -> list[ImportRow]:
    """Rows with their fields normalised and their own errors (file-level problems raise ImportFileError)."""
    table = [row for row in read_table(filename, data)]
    while table and not any(cell.strip() for cell in table[0]):
        table.pop(0)
    if not table:
        raise ImportFileError("empty")
    columns = _columns(table[0])
    if "email" not in columns or "name_latin" not in columns:
        raise ImportFileError("header")
    if len(table) - 1 > MAX_ROWS:
        raise ImportFileError("too_many")
    jurisdiction_aliases = {j["code"]: {j["code"], j["fr"], j["ar"]} for j in jurisdictions}
    rows = []
    for offset, raw in enumerate(table[1:], start=2):
        if not any(cell.strip() for cell in raw):
            continue

        def cell(name: str, raw: list[str] = raw) -> str:
            index = columns.get(name)
            return clean_line(raw[index]) if index is not None and index < len(raw) else ""

        row = ImportRow(line=offset)
        email = cell("email").lower()
        try:
            row.email = validate_email(email, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            row.email = email
            row.errors.append("email")
        row.name_latin = re.sub(r"\s+", " ", cell("name_latin"))
        row.name_arabic = re.sub(r"\s+", " ", cell("name_arabic"))
        if not row.name_latin:
            row.errors.append("name")
        if len(row.name_latin) > 120 or len(row.name_arabic) > 120:
            row.errors.append("name_long")
        if cell("profession"):
            row.profession = _lookup(cell("profession"), PROFESSION_ALIASES)
            if row.profession is None:
                row.errors.append("profession")
        if cell("jurisdiction"):
            row.jurisdiction = _lookup(cell("jurisdiction"), jurisdiction_aliases)
            if row.jurisdiction is None:
                row.errors.append("jurisdiction")
        if cell("gender"):
            row.gender = _lookup(cell("gender"), GENDER_ALIASES)
            if row.gender is None:
                row.errors.append("gender")
        rows.append(row)
    return rows


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value):
    """Spreadsheet formula injection: a text starting with = + - @ is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
