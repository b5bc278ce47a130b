"""A person's name in the page's script: the Arabic name on Arabic pages where there is one, everywhere."""

from types import SimpleNamespace

from lms.accounts.names import both_names, display_name, name_sort_key, other_name
from tests.factories import enrol, make_session

KARIM = SimpleNamespace(name_latin="Karim Idrissi", name_arabic="كريم الإدريسي")
LATIN_ONLY = SimpleNamespace(name_latin="Anna Weber", name_arabic=None)


def test_display_name_follows_the_page_script():
    assert display_name(KARIM, "ar") == "كريم الإدريسي"
    assert display_name(KARIM, "fr") == "Karim Idrissi"
    assert display_name(KARIM, "en") == "Karim Idrissi"
    assert display_name(LATIN_ONLY, "ar") == "Anna Weber"  # no Arabic name: the Latin one, never empty
    assert display_name({"name_latin": "Salma", "name_arabic": "سلمى"}, "ar") == "سلمى"  # a printed record
    assert display_name(SimpleNamespace(name_latin="X", name_arabic="  "), "ar") == "X"


def test_other_name_and_both():
    assert other_name(KARIM, "ar") == "Karim Idrissi" and other_name(KARIM, "fr") == "كريم الإدريسي"
    assert other_name(LATIN_ONLY, "ar") == ""
    # The Arabic name carries its language wherever it stands; a Latin name is isolated in a <bdi>.
    assert (
        str(both_names(KARIM, "ar"))
        == '<span lang="ar" dir="rtl">كريم الإدريسي</span> · <bdi dir="ltr">Karim Idrissi</bdi>'
    )
    assert str(both_names(KARIM, "fr")) == '<bdi>Karim Idrissi</bdi> · <span lang="ar" dir="rtl">كريم الإدريسي</span>'
    assert str(both_names(LATIN_ONLY, "ar")) == "<bdi>Anna Weber</bdi>"
    assert "&lt;b&gt;" in str(both_names(SimpleNamespace(name_latin="<b>", name_arabic=None), "fr"))


def test_people_are_ordered_by_the_name_shown():
    people = [
        SimpleNamespace(name_latin="Amina Alaoui", name_arabic="يمينة العلوي"),
        SimpleNamespace(name_latin="Youssef Bennani", name_arabic="أمين بناني"),
    ]
    assert [p.name_latin for p in sorted(people, key=lambda p: name_sort_key(p, "fr"))] == [
        "Amina Alaoui",
        "Youssef Bennani",
    ]
    assert [p.name_latin for p in sorted(people, key=lambda p: name_sort_key(p, "ar"))] == [
        "Youssef Bennani",
        "Amina Alaoui",
    ]


def test_arabic_pages_greet_and_list_by_the_arabic_name(client, make_user, courses):
    make_user(
        email="judge@example.org",
        profession="magistrate-judge",
        name_latin="Karim Idrissi",
        name_arabic="كريم الإدريسي",
    )
    client.login("judge@example.org")
    client.post_form("/language", {"lang": "ar"})
    home = client.get("/courses/home").get_data(as_text=True)
    assert "مرحبًا، كريم الإدريسي" in home
    assert 'class="who">كريم الإدريسي</a>' in home
    assert "Karim Idrissi" not in home
    client.post_form("/language", {"lang": "fr"})
    home = client.get("/courses/home").get_data(as_text=True)
    assert "Bonjour, Karim Idrissi" in home and 'class="who">Karim Idrissi</a>' in home


def test_trainer_lists_show_the_arabic_name_on_arabic_pages(client, db, make_user, make_cohort):
    from lms.accounts.models import User
    from lms.cohorts import service as cohorts

    trainer = make_user(
        roles=("trainer",), email="trainer@example.org", name_latin="Youssef Amrani", name_arabic="يوسف العمراني"
    )
    learner = make_user(email="judge@example.org", name_latin="Karim Idrissi", name_arabic="كريم الإدريسي")
    cohort = make_cohort(trainer)
    cohorts.enrol(cohort, db.session.get(User, learner.id), None)
    db.session.commit()
    client.login("trainer@example.org")
    client.post_form("/language", {"lang": "ar"})
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    # The trainer's name, the learner's row: the Arabic name first, the Latin one beside it.
    assert '<dd><span lang="ar" dir="rtl">يوسف العمراني</span></dd>' in page
    assert '<span lang="ar" dir="rtl">كريم الإدريسي</span> · <bdi dir="ltr">Karim Idrissi</bdi>' in page
    results = client.get(f"/cohorts/{cohort.id}/results").get_data(as_text=True)
    assert '<th scope="row"><span lang="ar" dir="rtl">كريم الإدريسي</span></th>' in results
    # On a French page the Latin name comes first; the Arabic one beside it still carries lang="ar".
    client.post_form("/language", {"lang": "fr"})
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert '<bdi>Karim Idrissi</bdi> · <span lang="ar" dir="rtl">كريم الإدريسي</span>' in page


def test_arabic_sign_in_sheet_orders_and_prints_by_the_arabic_name(client, db, make_user, make_cohort):
    import io
    from datetime import datetime, timedelta

    from pypdf import PdfReader

    trainer = make_user(
        roles=("trainer",), email="trainer@example.org", name_latin="Youssef Amrani", name_arabic="يوسف العمراني"
    )
    # In Latin order Amina comes first; in Arabic order بناني (Bennani) comes before ياسمين (Yasmine).
    first_latin = make_user(email="a@example.org", name_latin="Amina Yasmine", name_arabic="ياسمين أمينة")
    first_arabic = make_user(email="b@example.org", name_latin="Zineb Bennani", name_arabic="بناني زينب")
    cohort = make_cohort(trainer, language="ar")
    for person in (first_latin, first_arabic):
        enrol(db, cohort, person)
    session = make_session(db, cohort, datetime.utcnow() + timedelta(days=1), title="J1")
    db.session.commit()
    client.login("trainer@example.org")
    response = client.get(f"/attendance/sessions/{session.id}/sheet.pdf")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "يوسف العمراني" in text  # the trainer, in Arabic
    assert text.index("بناني زينب") < text.index("ياسمين أمينة")
