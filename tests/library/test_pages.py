"""The library's pages: every one for signed-in people, in French and Arabic, 404 on unknown slugs."""

import pytest

PAGES = [
    "/library",
    "/library/law-27-14",
    "/library/law-27-14/448-1",
    "/library/circular-2019-traite",
    "/library/cases",
    "/library/cases/salma",
    "/library/glossary",
]


def _judge(make_user, locale="fr"):
    return make_user(email="judge@example.org", profession="magistrate-judge", locale=locale)


@pytest.mark.parametrize("locale", ["fr", "ar"])
def test_every_page_answers_in_french_and_arabic(client, make_user, synced, locale):
    _judge(make_user, locale)
    client.login("judge@example.org")
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 200, url
        page = response.get_data(as_text=True)
        assert f'lang="{locale}"' in page
    article = client.get("/library/law-27-14/448-1").get_data(as_text=True)
    if locale == "ar":
        assert '<article class="library-article" lang="ar" dir="rtl">' in article
        assert "يقصد بالاتجار بالبشر" in article
        # Arabic is pending: the banner says the wording is provisional; the French text is in a <details>
        assert "flash-warning" in article.split("</article>")[0]
        assert '<div lang="fr" dir="ltr">' in article
        # the article number keeps the order it was typed in ("1-448") in a right-to-left line
        assert "\u200e1\u2011448\u200e" in article and "<summary>النص الفرنسي</summary>" in article
    else:
        assert '<article class="library-article" lang="fr" dir="ltr">' in article
        assert article.index("On entend par traite") < article.index("يقصد بالاتجار بالبشر")
        assert "flash-warning" not in article.split("</article>")[0]  # French is not pending


def test_anonymous_people_are_sent_to_sign_in(client, synced):
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and "/account/login" in response.headers["Location"], url


def test_unknown_slugs_are_404(client, make_user, synced):
    _judge(make_user)
    client.login("judge@example.org")
    for url in ["/library/nothing", "/library/law-27-14/999", "/library/nothing/1", "/library/cases/nobody"]:
        assert client.get(url).status_code == 404, url


def test_article_page_cited_in_previous_next_source(client, make_user, synced):
    _judge(make_user, "en")
    client.login("judge@example.org")
    page = client.get("/library/law-27-14/448-1").get_data(as_text=True)
    assert 'href="/courses/demo/intro"' in page
    assert "Bulletin officiel" in page and "2016-08-25" in page
    assert 'rel="next" href="/library/law-27-14/448-2"' in page and 'rel="prev"' not in page
    second = client.get("/library/law-27-14/448-2").get_data(as_text=True)
    assert 'rel="prev" href="/library/law-27-14/448-1"' in second
    # cited by the quiz's question q1: its prompt is listed under the module
    assert "Le consentement est indifférent" in second


def test_cited_in_lists_only_modules_the_person_may_open(client, make_user, synced):
    make_user(email="sw@example.org", profession="social-worker", locale="fr")
    client.login("sw@example.org")
    page = client.get("/library/law-27-14/448-1").get_data(as_text=True)
    assert "/courses/demo/intro" not in page


def test_cases_filter_by_tag_and_victim(client, make_user, synced):
    _judge(make_user, "en")
    client.login("judge@example.org")
    everything = client.get("/library/cases").get_data(as_text=True)
    assert "/library/cases/salma" in everything and "/library/cases/omar" in everything
    assert everything.count("Fictional case") >= 2
    children = client.get("/library/cases?victim=child").get_data(as_text=True)
    assert "/library/cases/salma" in children and "/library/cases/omar" not in children
    assert "Child victim" in children
    adults = client.get("/library/cases?victim=adult&forms=agricultural-labour").get_data(as_text=True)
    assert "/library/cases/omar" in adults and "/library/cases/salma" not in adults
    by_article = client.get("/library/cases?article=law-27-14/448-1").get_data(as_text=True)
    assert "/library/cases/salma" in by_article and "/library/cases/omar" not in by_article
    # nonsense values are ignored, never a 500
    assert client.get("/library/cases?victim=martian&acts=<script>&article=x/y").status_code == 200


def test_case_page_says_fictional_and_links_articles(client, make_user, synced):
    _judge(make_user, "en")
    client.login("judge@example.org")
    page = client.get("/library/cases/salma").get_data(as_text=True)
    assert "This case is fictional" in page and 'href="/library/law-27-14/448-1"' in page


def test_glossary_page_in_arabic(client, make_user, synced):
    _judge(make_user, "ar")
    client.login("judge@example.org")
    page = client.get("/library/glossary").get_data(as_text=True)
    assert 'id="vulnerability"' in page and 'id="registry"' in page
    assert "حالة استضعاف" in page and '<span lang="fr" dir="ltr">situation de vulnérabilité</span>' in page
    assert 'href="/library/law-27-14/448-1"' in page  # the source
    assert "في المشرق: قلم الكتاب." in page  # Moroccan usage


def test_library_in_the_menu_for_signed_in_people(client, make_user, synced):
    _judge(make_user, "en")
    client.login("judge@example.org")
    assert 'href="/library"' in client.get("/courses").get_data(as_text=True)


def test_module_page_shows_the_reference_and_the_glossary_term(client, make_user, synced):
    _judge(make_user, "fr")
    client.login("judge@example.org")
    page = client.get("/courses/demo/intro").get_data(as_text=True)
    assert '<a href="/library/law-27-14/448-1" aria-describedby="ref-1">' in page
    assert '<dfn tabindex="0" aria-describedby="gloss-vulnerability">' in page
