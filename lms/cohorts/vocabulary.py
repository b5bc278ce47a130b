"""The words people write in an enrolment list, and what they mean. Pure: no database, no Flask.

A list typed by a court's secretariat says "Magistrat", "Substitut du procureur du Roi", "قاضية", "Casa",
"F." or "Mme": the import understands the words people write for a column's title, a profession, a
jurisdiction and a gender, in French, Arabic and English, with or without accents, Arabic vowel marks or
hamza, in either gender, in any case, with stray spaces and punctuation.

Each value is compared by its key (``key``): folded (lower case, no accents), Arabic letters in one form,
punctuation as spaces, the Arabic article and inclusive-writing endings ("(e)", "(ة)") left out.
A profession is read from its words (the first role named decides: "assistante sociale au parquet" is a
social worker); a generic word ("magistrat") is settled by a qualifier ("du parquet", "du siège"), else it
is ambiguous and left empty. A jurisdiction is the city of its court of appeal, wherever it stands in the
text ("TPI de Fès", "المحكمة الابتدائية بطنجة").
"""

from __future__ import annotations

import re
import unicodedata

# --- keys ------------------------------------------------------------------------------------------

#: Arabic vowel marks, Quranic signs and the tatweel (hamza and madda go with NFKD, see fold)
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
#: ta marbuta as ha, alef maqsura as ya, wasla alef as alef: as people type them interchangeably
_ARABIC_LETTERS = str.maketrans({"ة": "ه", "ى": "ي", "ٱ": "ا"})
#: "assistant(e) social(e)", "مساعد(ة) اجتماعي(ة)": the inclusive ending, once split off, says nothing
_INCLUSIVE_ENDINGS = {"e", "ه"}
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN_SCRIPT = re.compile("[A-Za-z\u00c0-\u024f]")


def fold(text: str) -> str:
    """Lower case without accents, Arabic without vowel marks and with hamza-less alef, waw and ya, every run
    of punctuation and spaces one space: "Magistrat(e) du SIÈGE" -> "magistrat e du siege", "أنثى" -> "انثي"."""
    text = unicodedata.normalize("NFKD", str(text or "")).casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))  # é -> e; أ إ آ -> ا; ؤ -> و; ئ -> ي
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_LETTERS)
    return " ".join(re.sub(r"[\W_]+", " ", text).split())


def _word(token: str) -> str:
    """A word without the Arabic article, alone or after a preposition: الرباط, بالرباط, للرباط -> رباط."""
    if len(token) > 4 and token.startswith(("بال", "وال", "فال", "كال")):
        return token[3:]
    if len(token) > 3 and token.startswith(("ال", "لل")):
        return token[2:]
    return token


def key(text: str) -> str:
    """The form two spellings of one word share: fold, then no Arabic article and no inclusive ending."""
    return " ".join(_word(t) for t in fold(text).split() if t not in _INCLUSIVE_ENDINGS)


def _contains(text_key: str, phrase_key: str) -> int:
    """Where the phrase starts in the text, as whole words (-1: not there)."""
    padded = f" {text_key} "
    at = padded.find(f" {phrase_key} ")
    return at


def is_arabic_only(text: str) -> bool:
    return bool(_ARABIC_SCRIPT.search(text or "")) and not _LATIN_SCRIPT.search(text or "")


def is_latin_only(text: str) -> bool:
    return bool(_LATIN_SCRIPT.search(text or "")) and not _ARABIC_SCRIPT.search(text or "")


# --- column titles --------------------------------------------------------------------------------------

HEADER_ALIASES = {
    "email": {
        "email",
        "e-mail",
        "mail",
        "courriel",
        "adresse électronique",
        "adresse e-mail",
        "adresse mail",
        "adresse courriel",
        "email address",
        "البريد الإلكتروني",
        "البريد الالكتروني",
        "البريد",
        "العنوان الإلكتروني",
    },
    "name_latin": {
        "name",
        "name_latin",
        "nom",
        "noms",
        "nom complet",
        "nom et prénom",
        "nom et prénoms",
        "nom prénom",
        "prénom et nom",
        "prénom nom",
        "nom (latin)",
        "nom en français",
        "nom en lettres latines",
        "nom (caractères latins)",
        "full name",
        "name (latin)",
        "participant",
        "participante",
        "الاسم بالفرنسية",
        "الاسم بالحروف اللاتينية",
        "الاسم الكامل بالفرنسية",
        "الاسم الكامل بالحروف اللاتينية",
    },
    "name_arabic": {
        "name_arabic",
        "nom arabe",
        "nom en arabe",
        "nom (arabe)",
        "name (arabic)",
        "arabic name",
        "الاسم",
        "الاسم الكامل",
        "الاسم بالعربية",
        "الاسم الكامل بالعربية",
        "الاسم والنسب",
    },
    "first_name": {"prénom", "prénoms", "first name", "firstname", "given name", "الاسم الشخصي"},
    "last_name": {"nom de famille", "last name", "lastname", "surname", "family name", "الاسم العائلي", "النسب"},
    "profession": {
        "profession",
        "fonction",
        "métier",
        "poste",
        "grade",
        "qualité",
        "job",
        "job title",
        "occupation",
        "المهنة",
        "الوظيفة",
        "الصفة",
        "المهمة",
    },
    "jurisdiction": {
        "jurisdiction",
        "juridiction",
        "cour d'appel",
        "court of appeal",
        "tribunal",
        "affectation",
        "lieu d'affectation",
        "ville",
        "city",
        "الدائرة القضائية",
        "محكمة الاستئناف",
        "المحكمة",
        "مقر العمل",
        "المدينة",
    },
    "gender": {"gender", "genre", "sexe", "sex", "civilité", "h/f", "f/h", "m/f", "الجنس", "النوع"},
}
_HEADER_KEYS = {key(alias): column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
#: the longest first: "nom de famille obligatoire" is a family name before it is a name
_HEADER_PREFIXES = sorted(_HEADER_KEYS, key=len, reverse=True)


def column_of(title: str) -> str | None:
    """The column a title names ("E-mail *", "Nom (obligatoire)", "البريد الإلكتروني"), or None."""
    title_key = key(title)
    if not title_key:
        return None
    if title_key in _HEADER_KEYS:
        return _HEADER_KEYS[title_key]
    prefix = next((p for p in _HEADER_PREFIXES if title_key.startswith(p + " ")), None)
    return _HEADER_KEYS[prefix] if prefix else None


# --- professions -------------------------------------------------------------------------------------------

#: words that name one profession: the first of them in the text decides
PROFESSION_WORDS = {
    "social-worker": (
        "assistant social",
        "assistante sociale",
        "assistant sociale",
        "assistante social",
        "assistant de service social",
        "assistante de service social",
        "travailleur social",
        "travailleuse sociale",
        "social worker",
        "social assistant",
        "مساعد اجتماعي",
        "مساعدة اجتماعية",
        "مساعد اجتماعية",
        "مساعدة اجتماعي",
        "أخصائي اجتماعي",
        "أخصائية اجتماعية",
        "مرشد اجتماعي",
        "مرشدة اجتماعية",
    ),
    "clerk": (
        "greffier",
        "greffière",
        "greffe",
        "secrétaire greffier",
        "secrétaire greffière",
        "clerk",
        "court clerk",
        "registrar",
        "كاتب الضبط",
        "كاتبة الضبط",
        "كتابة الضبط",
        "منتدب قضائي",
        "منتدبة قضائية",
    ),
    "police": (
        "police",
        "policier",
        "policière",
        "gendarme",
        "gendarmerie",
        "opj",
        "officier de police",
        "officière de police",
        "police officer",
        "شرطة",
        "شرطي",
        "شرطية",
        "درك",
        "دركي",
        "دركية",
        "الأمن الوطني",
    ),
    "magistrate-prosecutor": (
        "procureur",
        "procureure",
        "substitut",
        "substitute",
        "avocat général",
        "avocate générale",
        "parquetier",
        "parquetière",
        "prosecutor",
        "وكيل الملك",
        "وكيلة الملك",
        "الوكيل العام",
        "الوكيلة العامة",
    ),
    "magistrate-judge": (
        "juge",
        "judge",
        "président de chambre",
        "présidente de chambre",
        "président du tribunal",
        "présidente du tribunal",
        "premier président",
        "première présidente",
        "رئيس المحكمة",
        "رئيسة المحكمة",
        "رئيس غرفة",
        "رئيسة غرفة",
    ),
}
#: words that say "magistrate" without saying which (None: ambiguous unless qualified), and the Arabic قاض,
#: which reads as a judge unless the text names the public prosecution
GENERIC_PROFESSION_WORDS = {
    "magistrat": None,
    "magistrate": None,
    "magistrats": None,
    "magistrates": None,
    "magistrature": None,
    "قاض": "magistrate-judge",
    "قاضي": "magistrate-judge",
    "قاضية": "magistrate-judge",
    "قضاة": "magistrate-judge",
}
#: what settles a generic word
PROFESSION_QUALIFIERS = {
    "magistrate-prosecutor": ("parquet", "ministère public", "prosecution", "النيابة العامة", "النيابة"),
    "magistrate-judge": ("siège", "bench", "instruction", "قضاء الحكم", "الحكم", "التحقيق"),
}
#: whole values only ("autre magistrat" is not "other")
OTHER_WORDS = ("other", "autre", "autres", "divers", "أخرى", "آخر", "غير ذلك")

_PROFESSION_PHRASES = [(key(p), code) for code, phrases in PROFESSION_WORDS.items() for p in phrases]
_GENERIC_KEYS = {key(w): code for w, code in GENERIC_PROFESSION_WORDS.items()}
_QUALIFIER_KEYS = [(key(w), code) for code, words in PROFESSION_QUALIFIERS.items() for w in words]
_OTHER_KEYS = {key(w) for w in OTHER_WORDS} | {"other"}


def profession_of(value: str) -> tuple[str | None, str | None]:
    """(profession code, problem): problem is None, "ambiguous" (a generic word such as "magistrat", which
    may be a judge or a prosecutor) or "unknown". An empty value is (None, None)."""
    value_key = key(value)
    if not value_key:
        return None, None
    if value_key in _OTHER_KEYS:
        return "other", None
    found = [(at, code) for phrase, code in _PROFESSION_PHRASES if (at := _contains(value_key, phrase)) >= 0]
    if found:
        return min(found)[1], None
    generic = [_GENERIC_KEYS[w] for w in value_key.split() if w in _GENERIC_KEYS]
    if generic:
        qualified = [(at, code) for word, code in _QUALIFIER_KEYS if (at := _contains(value_key, word)) >= 0]
        if qualified:
            return min(qualified)[1], None
        return (generic[0], None) if generic[0] else (None, "ambiguous")
    return None, "unknown"


# --- genders ------------------------------------------------------------------------------------------------

GENDER_WORDS = {
    "female": (
        "f",
        "fem",
        "femme",
        "féminin",
        "female",
        "woman",
        "w",
        "mme",
        "madame",
        "mlle",
        "mademoiselle",
        "أنثى",
        "انثى",
        "امرأة",
        "سيدة",
        "آنسة",
    ),
    "male": ("m", "h", "homme", "masculin", "male", "man", "mr", "monsieur", "ذكر", "رجل", "سيد"),
}
_GENDER_KEYS = {key(w): code for code, words in GENDER_WORDS.items() for w in words} | {
    "female": "female",
    "male": "male",
}


def gender_of(value: str) -> tuple[str | None, str | None]:
    """(gender code, problem): problem is None or "unknown"."""
    value_key = key(value)
    if not value_key:
        return None, None
    code = _GENDER_KEYS.get(value_key)
    return (code, None) if code else (None, "unknown")


# --- jurisdictions ------------------------------------------------------------------------------------------

#: other spellings of a court of appeal's city (French, English, Darija transcriptions, short forms)
CITY_SPELLINGS = {
    "al-hoceima": ("al hoceima", "alhoceima", "el hoceima", "hoceima", "الحسيمة"),
    "beni-mellal": ("beni mellal", "bni mellal"),
    "casablanca": ("casa", "dar el beida", "الدار البيضاء", "البيضاء"),
    "el-jadida": ("jadida", "الجديدة"),
    "errachidia": ("er rachidia", "rachidia", "الرشيدية"),
    "fes": ("fez", "fès", "فاس"),
    "guelmim": ("goulimine", "كلميم", "گلميم"),
    "kenitra": ("kénitra", "القنيطرة"),
    "laayoune": ("laâyoune", "layoune", "el aaiun", "العيون"),
    "marrakech": ("marrakesh", "مراكش"),
    "meknes": ("meknès", "مكناس"),
    "safi": ("asfi", "آسفي"),
    "tanger": ("tangier", "tangiers", "tanja", "طنجة"),
    "tetouan": ("tétouan", "tetuan", "تطوان"),
}
#: whole values that name the central administration
CENTRAL_NAMES = (
    "administration centrale",
    "ministère de la justice",
    "présidence du ministère public",
    "ministry of justice",
    "الإدارة المركزية",
    "وزارة العدل",
    "رئاسة النيابة العامة",
)
_FR_COURT = re.compile(r"^cour d'appel (?:de |d'|du |des )", re.IGNORECASE)
_AR_COURT = re.compile(r"^محكمة الاستئناف ب")


def city_name(entry: dict, locale: str) -> str:
    """The city of a court of appeal as people write it ("Fès", "الرباط"); the full name when it has none."""
    if locale == "ar":
        name = entry["ar"]
        return _AR_COURT.sub("", name) if _AR_COURT.match(name) else name
    name = entry["fr"]
    return _FR_COURT.sub("", name) if _FR_COURT.match(name) else name


def _city_word_forms(token: str) -> set[str]:
    """A word of the text and the same word without a one-letter Arabic preposition (بفاس -> فاس)."""
    forms = {token}
    if len(token) >= 4 and token[0] in "بلوف":
        forms.add(token[1:])
    return forms


class JurisdictionNames:
    """What people write for each jurisdiction: its code, full names, its city (and other spellings of it)."""

    def __init__(self, entries: list[dict]):
        self.exact: dict[str, str] = {}
        self.cities: list[tuple[list[str], str]] = []
        for entry in entries:
            code = entry["code"]
            cities = {city_name(entry, "fr"), city_name(entry, "ar"), *CITY_SPELLINGS.get(code, ())}
            cities = {c for c in cities if c not in (entry["fr"], entry["ar"])}  # an entry without a city
            if code == "central":
                names = set(CENTRAL_NAMES)
            else:
                names = set(cities) | ({code.replace("-", " ")} if cities else set())
            for name in {code, entry["fr"], entry["ar"], *names}:
                self.exact.setdefault(key(name), code)
            for city in cities | ({code.replace("-", " ")} if cities else set()):
                if key(city):
                    self.cities.append((key(city).split(), code))

    def match(self, value: str) -> tuple[str | None, str | None]:
        """(jurisdiction code, problem): None, "unknown", or "ambiguous" (two cities named)."""
        value_key = key(value)
        if not value_key:
            return None, None
        if value_key in self.exact:
            return self.exact[value_key], None
        words = [_city_word_forms(t) for t in value_key.split()]
        found = set()
        for city, code in self.cities:
            for start in range(len(words) - len(city) + 1):
                if all(city[i] in words[start + i] for i in range(len(city))):
                    found.add(code)
                    break
        if len(found) == 1:
            return found.pop(), None
        return None, ("ambiguous" if found else "unknown")
