"""/search: who finds what, bad input, a constant number of queries, the header's query box."""

import pytest
from sqlalchemy import select

from lms.search import service
from tests.factories import enrolled_learner

from .library import add_library


@pytest.fixture
def indexed(app, db, courses):
    add_library(db)
    service.rebuild_index()


def test_signed_out_is_sent_to_sign_in(client, indexed):
    response = client.get("/search?q=traite")
    assert response.status_code in (302, 401)


def test_a_learner_never_finds_a_module_of_a_course_they_may_not_open(client, make_user, indexed):
    make_user(email="sw@example.org", profession="social-worker")
    client.login("sw@example.org")
    page = client.get("/search?q=traite").get_data(as_text=True)
    assert "/courses/victim-identification/" in page
    assert "/courses/palermo-magistrates/" not in page
    assert "/library/law-27-14/448-1" in page  # the library is for everyone signed in


def test_a_cohort_opens_the_course_to_its_learner(client, make_user, make_cohort, trainer, db, indexed):
    cohort = make_cohort(trainer)  # palermo-magistrates
    enrolled_learner(make_user, db, cohort, email="sw@example.org", profession="social-worker")
    client.login("sw@example.org")
    page = client.get("/search?q=traite").get_data(as_text=True)
    assert "/courses/palermo-magistrates/" in page


def test_results_grouped_highlighted_escaped_page_language_first(client, make_user, indexed):
    make_user(roles=("trainer",), email="t@example.org")
    client.login("t@example.org")
    page = client.get("/search?q=consentement+de+la+victime").get_data(as_text=True)
    for group in ('id="results-module"', 'id="results-article"'):
        assert group in page
    assert "<mark>consentement</mark>" in page and 'dir="auto"' in page
    client.post_form("/language", {"lang": "ar", "next": "/search?q=448-1"})
    page = client.get("/search?q=448-1").get_data(as_text=True)
    article = page.index('id="results-article"')
    assert page.index('lang="ar"', article) < page.index('lang="fr"', article)
    assert "<mark>1-448</mark>" in page or "<mark>448-1</mark>" in page


@pytest.mark.parametrize(
    "typed",
    ["", " ", "x" * 2000, "\x07\x1b\x7f\x9b", "!!! ??? ...", '"', "*", "NEAR", 'NEAR("a" "b")', "a OR b AND NOT c",
     "traite*", "col:traite", "^traite", "'; DROP TABLE search_document; --", "%00", "\u202e\u200f",
     "<script>alert(1)</script>", "{{ 7*7 }}", "٪٪", "\\"],
)  # fmt: skip
def test_bad_input_is_never_an_error(client, make_user, indexed, typed):
    make_user(email="l@example.org")
    client.login("l@example.org")
    response = client.get("/search", query_string={"q": typed})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>alert" not in page


def test_a_nul_character_is_refused_as_everywhere(client, make_user, indexed):
    make_user(email="l@example.org")
    client.login("l@example.org")
    assert client.get("/search", query_string={"q": "a\x00b"}).status_code == 400  # lms/core/security.py


def test_no_result_gives_suggestions(client, make_user, indexed):
    make_user(email="l@example.org")
    client.login("l@example.org")
    page = client.get("/search?q=zzyzx").get_data(as_text=True)
    assert "No result" in page or "Aucun résultat" in page
    assert "448-1" in page


def test_the_number_of_queries_does_not_depend_on_the_results(client, make_user, indexed, count_queries):
    make_user(email="l@example.org")
    client.login("l@example.org")
    counts = []
    for typed in ("zzyzx", "448-1", "traite", "traite des êtres humains victime enfant"):
        client.get("/search", query_string={"q": typed})  # warm
        with count_queries() as counter:
            assert client.get("/search", query_string={"q": typed}).status_code == 200
        counts.append(counter.count)
    assert len(set(counts)) == 1, counts


def test_every_page_has_the_query_box(client, make_user, indexed):
    make_user(email="l@example.org")
    client.login("l@example.org")
    page = client.get("/courses").get_data(as_text=True)
    assert 'class="site-search" role="search"' in page and 'action="/search"' in page and 'name="q"' in page
    assert 'for="site-search-q"' in page


def test_flask_search_rebuild(runner, db, courses):
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0 and "module:" in result.output


def test_a_sync_rebuilds_the_index(db, courses):
    from lms.search.models import SearchDocument

    assert db.session.scalar(select(SearchDocument.id).where(SearchDocument.kind == "module").limit(1))


def test_five_of_each_kind_then_all_of_one_kind(client, make_user, indexed):
    make_user(roles=("trainer",), email="t@example.org")
    client.login("t@example.org")
    page = client.get("/search?q=traite").get_data(as_text=True)
    modules = page.split('id="results-module"', 1)[1].split("</section>", 1)[0]
    assert modules.count("<li ") == 5 and "kind=module" in modules
    page = client.get("/search?q=traite&kind=module").get_data(as_text=True)
    assert 'id="results-article"' not in page and page.count('href="/courses/') > 5
    assert client.get("/search?q=traite&kind=nonsense").status_code == 200
