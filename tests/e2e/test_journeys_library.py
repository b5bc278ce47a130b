"""Real-browser journey of the library, in French and in Arabic: a magistrate searches from the header's box
("consentement de la victime" / "رضا الضحية"), opens article 448-1 of Law No. 27-14 from a module's reference
(its preview shows on keyboard focus first), reads a glossary definition by keyboard only, and filters the case
notes by "child victim"; each case says it is fictional.

Each step is photographed under tests/e2e/screenshots/.
"""

from __future__ import annotations

import re

import pytest

from .conftest import LANGS, new_context, require_browser, sign_in

require_browser()

from playwright.sync_api import expect  # noqa: E402

QUERY = {"fr": "consentement de la victime", "ar": "رضا الضحية"}
FICTIONAL = {"fr": "fictif", "ar": "متخيل"}
MODULE = "/courses/palermo-magistrates/palermo-protocol"
ARTICLE = "/library/law-27-14/448-1"


@pytest.mark.parametrize("lang", LANGS)
def test_a_magistrate_searches_reads_an_article_a_definition_and_filters_cases(browser, live_server, lang, shot):
    person = live_server.make_user("learner", profession="magistrate-judge", locale=lang)
    context = new_context(browser, live_server, lang)
    page = context.new_page()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, person)

    # 1. Search from the box in the header of any page
    page.goto("/courses/home")
    box = page.locator("header form[role=search] input[name=q]")
    box.fill(QUERY[lang])
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?"))
    results = page.locator(".search-group")
    expect(results.first).to_be_visible()
    marks = page.locator(".search-results mark")
    expect(marks.first).to_be_visible()
    shot(page, "search")
    # the magistrates' module and the law both answer; nothing from the social workers' course
    links = page.locator(".search-results a").evaluate_all("els => els.map(e => e.getAttribute('href'))")
    assert any(h.startswith("/library/") for h in links), links
    assert not any(h.startswith("/courses/victim-identification") for h in links), links

    # 2. A module cites article 448-1: the preview shows on keyboard focus, then the article opens
    page.goto(MODULE)
    reference = page.locator(f"article.module-text .ref a[href='{ARTICLE}']").first
    expect(reference).to_be_attached()
    reference.focus()
    preview = page.locator(f"#{reference.get_attribute('aria-describedby')}")
    expect(preview).to_be_visible()
    shot(page, "reference-preview")
    reference.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(ARTICLE) + "$"))
    expect(page.locator("article.library-article")).to_have_attribute("lang", lang)
    shot(page, "article")

    # 3. A glossary term in a module, by keyboard only: Tab reaches it, its definition shows and is announced
    page.goto(MODULE)
    term = page.locator("article.module-text dfn[tabindex='0']").first
    expect(term).to_be_attached()
    term.focus()
    definition = page.locator(f"#{term.get_attribute('aria-describedby')}")
    expect(definition).to_be_visible()
    assert definition.inner_text().strip()
    shot(page, "glossary-focus")

    # 4. The case notes, filtered by "child victim"
    page.goto("/library/cases")
    page.locator("input[name=victim][value=child]").check()
    page.locator("main form button[type=submit]").first.click()
    expect(page).to_have_url(re.compile(r"[?&]victim=child"))
    cards = page.locator(".library-cases > li")
    expect(cards.first).to_be_visible()
    count = cards.count()
    assert count >= 6
    for i in range(count):
        expect(cards.nth(i)).to_contain_text(FICTIONAL[lang])
    shot(page, "cases-child")
    context.close()
