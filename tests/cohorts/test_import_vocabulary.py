"""The enrolment import reads ordinary lists: the words people write for professions, jurisdictions and
genders (French, Arabic, English; accents, gender forms, case, spaces), rows kept with an optional field left
empty and flagged, duplicates reported as such (issue #16, point 13)."""

import io
import re

import pytest
import yaml
from sqlalchemy import select

from lms.accounts.models import User
from lms.cohorts import service
from lms.cohorts.importing import parse_enrolment_file
from lms.cohorts.models import Enrolment
from lms.cohorts.vocabulary import JurisdictionNames, column_of, gender_of, profession_of

with open("lms/data/jurisdictions.yaml", encoding="utf-8") as handle:
    JURISDICTIONS = yaml.safe_load(handle)

JUDGE, PROSECUTOR, SOCIAL = "magistrate-judge", "magistrate-prosecutor", "social-worker"


@pytest.mark.parametrize(
    "written,code",
    [
        ("juge", JUDGE),
        ("Juge d'instruction", JUDGE),
        ("JUGE DES MINEURS", JUDGE),
        ("judge", JUDGE),
        ("قاض", JUDGE),
        ("قاضي", JUDGE),
        ("قاضية", JUDGE),
        ("القاضي", JUDGE),
        ("قاضٍ", JUDGE),  # with its vowel mark
        ("magistrat du siège", JUDGE),
        ("Magistrat  du  SIEGE", JUDGE),
        ("Magistrat (juge)", JUDGE),
        ("قاض (قضاء الحكم)", JUDGE),
        ("procureur", PROSECUTOR),
        ("Procureure du Roi", PROSECUTOR),
        ("substitut", PROSECUTOR),
        ("Substitut du procureur du Roi", PROSECUTOR),
        ("prosecutor", PROSECUTOR),
        ("وكيل الملك", PROSECUTOR),
        ("نائب وكيل الملك", PROSECUTOR),
        ("نائبة الوكيل العام للملك", PROSECUTOR),
        ("Magistrat du parquet", PROSECUTOR),
        ("magistrate (parquet)", PROSECUTOR),
        ("قاضي النيابة العامة", PROSECUTOR),
        ("assistante sociale", SOCIAL),
        ("Assistant social", SOCIAL),
        ("Assistant(e) social(e)", SOCIAL),
        ("assistante sociale au parquet", SOCIAL),  # the role named first decides
        ("social worker", SOCIAL),
        ("مساعدة اجتماعية", SOCIAL),
        ("المساعد الاجتماعي", SOCIAL),
        ("greffier", "clerk"),
        ("Greffière en chef", "clerk"),
        ("كاتب الضبط", "clerk"),
        ("كاتبة الضبط", "clerk"),
        ("police", "police"),
        ("Policière", "police"),
        ("Officier de police judiciaire", "police"),
        ("gendarme", "police"),
        ("شرطة", "police"),
        ("الدرك الملكي", "police"),
        ("autre", "other"),
        ("أخرى", "other"),
    ],
)
def test_the_words_people_write_for_professions(written, code):
    assert profession_of(written) == (code, None)


@pytest.mark.parametrize("written", ["magistrat", "Magistrate", "MAGISTRATE ", "magistrats"])
def test_a_generic_magistrate_is_ambiguous_and_left_empty(written):
    assert profession_of(written) == (None, "ambiguous")


@pytest.mark.parametrize("written", ["astronaute", "président de l'association", "x"])
def test_an_unknown_profession(written):
    assert profession_of(written) == (None, "unknown")


@pytest.mark.parametrize(
    "written,code",
    [
        ("Fès", "fes"),
        ("FES", "fes"),
        ("fez", "fes"),
        ("Cour d'appel de Fès", "fes"),
        ("فاس", "fes"),
        ("بفاس", "fes"),
        ("محكمة الاستئناف بفاس", "fes"),
        ("Rabat", "rabat"),
        ("الرباط", "rabat"),
        ("Casa", "casablanca"),
        ("الدار البيضاء", "casablanca"),
        ("Tanger", "tanger"),
        ("طنجة", "tanger"),
        ("المحكمة الابتدائية بطنجة", "tanger"),
        ("Tribunal de première instance de Marrakech", "marrakech"),
        ("Al Hoceima", "al-hoceima"),
        ("béni-mellal", "beni-mellal"),
        ("آسفي", "safi"),
        ("اسفي", "safi"),
        ("وجدة", "oujda"),
        ("Administration centrale", "central"),
        ("rabat", "rabat"),
    ],
)
def test_jurisdictions_by_city_in_french_or_arabic(written, code):
    assert JurisdictionNames(JURISDICTIONS).match(written) == (code, None)


def test_jurisdictions_unknown_or_naming_two_cities():
    names = JurisdictionNames(JURISDICTIONS)
    assert names.match("Atlantis") == (None, "unknown")
    assert names.match("Rabat / Fès") == (None, "ambiguous")
    assert names.match("  ") == (None, None)


@pytest.mark.parametrize(
    "written,code",
    [
        ("F", "female"),
        ("f.", "female"),
        ("Femme", "female"),
        ("féminin", "female"),
        ("Mme", "female"),
        ("أنثى", "female"),
        ("انثى", "female"),
        ("female", "female"),
        ("H", "male"),
        ("M.", "male"),
        ("homme", "male"),
        ("Masculin", "male"),
        ("ذكر", "male"),
        ("man", "male"),
    ],
)
def test_genders(written, code):
    assert gender_of(written) == (code, None)


@pytest.mark.parametrize(
    "title,column",
    [
        ("E-mail *", "email"),
        ("Adresse électronique", "email"),
        ("البريد الإلكتروني", "email"),
        ("Nom (obligatoire)", "name_latin"),
        ("Prénom", "first_name"),
        ("NOM DE FAMILLE", "last_name"),
        ("الاسم بالحروف اللاتينية", "name_latin"),
        ("الاسم بالعربية", "name_arabic"),
        ("Fonction", "profession"),
        ("الصفة", "profession"),
        ("Ville", "jurisdiction"),
        ("الدائرة القضائية", "jurisdiction"),
        ("Sexe (H/F)", "gender"),
        ("الجنس", "gender"),
    ],
)
def test_column_titles(title, column):
    assert column_of(title) == column


# --- a messy five-person list, as a court's secretariat sends it ----------------------------------------

#: five people; line 5 repeats line 2 (another case); Karim's "Magistrat" says neither judge nor prosecutor,
#: Nadia's profession and gender are words the import does not know: all five are imported.
MESSY_FR = (
    "Prénom;NOM;E-mail;Fonction;Juridiction;Sexe\n"
    " Karim ; IDRISSI ; Karim.Idrissi@Example.org ;Magistrat;Fès;H\n"
    "Fatima Zahra;Alaoui;fatima@example.org;Substitut du procureur du Roi;Cour d'appel de Rabat;Femme\n"
    "Samira;Bennani;samira@example.org; assistante  sociale ;casa;F\n"
    "karim;idrissi;KARIM.IDRISSI@EXAMPLE.ORG;juge;fes;m\n"
    "Omar;El Fassi;<omar@example.org>;Greffier en chef;Tanger;homme\n"
    "Nadia;Chraibi;nadia@example.org;formatrice;Atlantis;x\n"
).encode("utf-8-sig")


def _messy_arabic_xlsx() -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(
        ["البريد الإلكتروني", "الاسم بالحروف اللاتينية", "الاسم بالعربية", "المهنة", "الدائرة القضائية", "الجنس"]
    )
    sheet.append(["houda@example.org", "Houda Kettani", "هدى الكتاني", "قاضية", "مراكش", "أنثى"])
    sheet.append(["youssef@example.org", "Youssef Amrani", "يوسف العمراني", "نائب وكيل الملك", "الرباط", "ذكر"])
    sheet.append(["HOUDA@example.org", "Houda K.", "", "قاضية", "مراكش", "أنثى"])
    sheet.append(["amina@example.org", "Amina Tazi", "أمينة التازي", "مساعدة اجتماعية", "الدار البيضاء", "انثى"])
    sheet.append(["rachid@example.org", "رشيد بناني", "Rachid Bennani", "كاتب الضبط", "طنجة", "ذكر"])
    sheet.append(["said@example.org", "Said Alami", "سعيد العلمي", "مهندس", "المريخ", "غير محدد"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_messy_french_list_reads_five_people():
    rows = parse_enrolment_file("liste.csv", MESSY_FR, JURISDICTIONS)
    by_line = {r.line: r for r in rows}
    assert [r.errors for r in rows] == [[]] * 6
    karim = by_line[2]
    assert (karim.email, karim.name_latin, karim.profession, karim.jurisdiction, karim.gender) == (
        "karim.idrissi@example.org",
        "Karim IDRISSI",
        None,
        "fes",
        "male",
    )
    assert karim.warnings == [("profession", "ambiguous", "Magistrat")]
    assert (by_line[3].profession, by_line[3].jurisdiction, by_line[3].gender) == (PROSECUTOR, "rabat", "female")
    assert (by_line[4].profession, by_line[4].jurisdiction) == (SOCIAL, "casablanca")
    assert (by_line[6].email, by_line[6].profession, by_line[6].jurisdiction) == ("omar@example.org", "clerk", "tanger")
    nadia = by_line[7]
    assert (nadia.profession, nadia.jurisdiction, nadia.gender) == (None, None, None)
    assert nadia.warnings == [
        ("profession", "unknown", "formatrice"),
        ("jurisdiction", "unknown", "Atlantis"),
        ("gender", "unknown", "x"),
    ]


def test_the_messy_arabic_list_reads_five_people():
    rows = parse_enrolment_file("قائمة.xlsx", _messy_arabic_xlsx(), JURISDICTIONS)
    by_line = {r.line: r for r in rows}
    assert all(not r.errors for r in rows)
    assert (by_line[2].profession, by_line[2].jurisdiction, by_line[2].gender) == (JUDGE, "marrakech", "female")
    assert (by_line[3].profession, by_line[3].jurisdiction, by_line[3].gender) == (PROSECUTOR, "rabat", "male")
    assert (by_line[5].profession, by_line[5].jurisdiction) == (SOCIAL, "casablanca")
    # Names typed in each other's column: each goes where its script belongs.
    assert (by_line[6].name_latin, by_line[6].name_arabic) == ("Rachid Bennani", "رشيد بناني")
    assert (by_line[6].profession, by_line[6].jurisdiction) == ("clerk", "tanger")
    assert [w[:2] for w in by_line[7].warnings] == [
        ("profession", "unknown"),
        ("jurisdiction", "unknown"),
        ("gender", "unknown"),
    ]


def test_duplicates_are_reported_as_duplicates_of_their_first_line(make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    data = (
        b"email;nom;profession\n"
        b"a@example.org;Ahmed;juge\n"
        b"b@example.org;Badia;astronaute\n"
        b"A@Example.org;Ahmed bis;astronaute\n"  # a duplicate with an unknown profession: a duplicate
        b"not-an-address;Sans adresse;juge\n"
        b"B@EXAMPLE.ORG;Badia bis;\n"
    )
    rows = service.classify_rows(cohort, parse_enrolment_file("x.csv", data, JURISDICTIONS))
    assert [(r.line, r.status, r.duplicate_of) for r in rows] == [
        (2, "new", None),
        (3, "new", None),
        (4, "duplicate", 2),
        (5, "error", None),
        (6, "duplicate", 3),
    ]


def test_a_row_in_error_does_not_hide_the_next_row_with_its_address(make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org")
    cohort = make_cohort(trainer)
    data = b"email;nom\na@example.org;\na@example.org;Ahmed\n"  # the first has no name
    rows = service.classify_rows(cohort, parse_enrolment_file("x.csv", data, JURISDICTIONS))
    assert [r.status for r in rows] == ["error", "new"]


def _preview(client, cohort, data: bytes, filename: str):
    return client.post_form(
        f"/cohorts/{cohort.id}/import",
        {"file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("which", ["fr", "ar"])
def test_the_page_imports_the_five_people_and_says_what_it_left_empty(
    app, client, make_user, make_cohort, db, lang, which
):
    trainer = make_user(roles=("trainer",), email="trainer@example.org", locale=lang)
    cohort = make_cohort(trainer)
    client.login("trainer@example.org")
    data, filename = (MESSY_FR, "liste.csv") if which == "fr" else (_messy_arabic_xlsx(), "liste.xlsx")
    preview = _preview(client, cohort, data, filename)
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200
    if lang == "fr":
        assert "doublon de la ligne 2" in html  # "duplicate of line 2", not a profession error
        assert "valeur non reconnue : la juridiction est laissée vide." in html
        assert "Valeurs acceptées :" in html and "Magistrat (parquet)" in html and "Marrakech" in html
    else:
        assert "تكرار للسطر 2" in html
        assert "قيمة غير معروفة: تُركت الدائرة القضائية فارغة." in html
        assert "القيم المقبولة:" in html and "مراكش" in html
    assert "row-warned" in html and html.count('class="row-warning"') >= 3
    assert "Atlantis" in html or "المريخ" in html  # what was written is shown beside the warning
    if which == "fr":
        assert re.search(r"<q><bdi>Magistrat</bdi></q>", html)  # the ambiguous word, quoted
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    assert client.post_form(f"/cohorts/{cohort.id}/import/confirm", {"token": token}).status_code == 302
    enrolled = db.session.scalars(
        select(User).join(Enrolment, Enrolment.user_id == User.id).where(Enrolment.cohort_id == cohort.id)
    ).all()
    assert len(enrolled) == 5
    empty = [u for u in enrolled if u.email in ("nadia@example.org", "said@example.org")]
    assert len(empty) == 1 and (empty[0].profession, empty[0].jurisdiction, empty[0].gender) == (None, None, None)


def test_a_list_with_arabic_names_only_says_the_latin_name_is_needed(client, make_user, make_cohort):
    trainer = make_user(roles=("trainer",), email="trainer@example.org", locale="fr")
    cohort = make_cohort(trainer)
    client.login("trainer@example.org")
    data = "البريد الإلكتروني;الاسم\nx@example.org;سعاد\n".encode()
    html = _preview(client, cohort, data, "x.csv").get_data(as_text=True)
    assert "aucun nom en caractères latins" in html
