"""Results of the evaluation surveys (issue #20): aggregation, masking under SMALL_GROUP in every view and export,
breakdowns, response rates, named surveys, per-object access, constant query count, level-3 indicators."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from lms.accounts.models import User
from lms.evaluation.models import SMALL_GROUP, SurveyRound
from lms.reports import evaluation, exports, service
from tests.attendance.test_documents import has, pdf_pages
from tests.factories import enrol, make_session
from tests.reports import evaluation_builders as eb

COMMENT = "Commentaire numéro"


@pytest.fixture
def world(app, db, courses, make_user, make_cohort):
    """Two trainers, each with a cohort of the magistrates' course; an admin; a learner of cohort A; the
    course's end-of-course survey."""
    trainer = make_user(roles=("trainer",), email="trainer@example.org", name_latin="Amina Trainer")
    other = make_user(roles=("trainer",), email="other@example.org", name_latin="Omar Other")
    make_user(roles=("admin",), email="admin@example.org")
    learner = make_user(email="learner@example.org")
    cohort_a = make_cohort(trainer, title="Cohorte A", start_date=date(2027, 1, 10))
    cohort_b = make_cohort(other, title="Cohorte B", start_date=date(2027, 1, 10))
    enrol(db, cohort_a, learner)
    survey, version = eb.make_survey(db)
    db.session.commit()
    return {
        "trainer": trainer,
        "other": other,
        "learner": learner,
        "a": cohort_a,
        "b": cohort_b,
        "survey": survey,
        "version": version,
    }


def _answered(db, world, n, cohort="a", comments=True, **fields):
    survey_round = eb.make_round(db, world["survey"], world[cohort])
    eb.respond_many(db, survey_round, world["version"], n, comments=comments, **fields)
    db.session.commit()
    return survey_round


# --- aggregation (pure) -----------------------------------------------------------------------------------------


def test_one_group_adds_up_by_hand():
    definition = eb.definition()
    answers = [eb.answers(i, f"{COMMENT} {i}") for i in range(6)]
    result = evaluation.group_results(definition, answers, "fr")
    assert result.n == 6 and not result.masked
    items = {item.item["id"]: item for _s, items in result.sections for item in items}
    relevance = items["relevance"]  # 1, 2, 3, 4, 5, 1
    assert [b.count for b in relevance.bars] == [2, 1, 1, 1, 1]
    assert relevance.mean == round(16 / 6, 2) and relevance.bars[0].share == round(100 * 2 / 6, 1)
    recommend = items["recommend"]  # 7, 8, 9, 10, 0, 1
    assert recommend.mean == round(35 / 6, 2)
    assert (recommend.high, recommend.low) == (round(100 * 2 / 6, 1), round(100 * 2 / 6, 1))
    assert recommend.net == round(recommend.high - recommend.low, 1)
    assert {b.key: b.count for b in items["format"].bars} == {"in-person": 4, "online": 2}
    # multiple: each option counted over the respondents who answered the item
    assert {b.key: b.count for b in items["topics"].bars} == {"indicators": 6, "victims": 3, "cooperation": 0}
    assert items["topics"].bars[1].share == 50.0
    # free texts sorted, never in the order stored
    assert items["comment"].texts == sorted(f"{COMMENT} {i}" for i in range(6))


def test_a_group_under_five_shows_nothing():
    answers = [eb.answers(i, f"{COMMENT} {i}") for i in range(SMALL_GROUP - 1)]
    result = evaluation.group_results(eb.definition(), answers, "fr")
    assert result.masked and result.sections == []


def test_free_text_hidden_under_five_answers_even_when_figures_show():
    answers = [eb.answers(i, f"{COMMENT} {i}" if i else None) for i in range(SMALL_GROUP)]
    result = evaluation.group_results(eb.definition(), answers, "fr")
    items = {item.item["id"]: item for _s, items in result.sections for item in items}
    assert not result.masked and items["relevance"].bars and not items["relevance"].masked
    assert items["comment"].masked and items["comment"].texts == [] and items["comment"].n == 4


def test_items_matched_by_id_across_versions_with_the_current_texts():
    old = eb.definition()
    new = eb.definition()
    new["sections"][0]["items"][0]["text"] = eb.T("Le contenu m'a servi")
    new["sections"][0]["items"][2]["options"] = [{"id": "in-person", "text": eb.T("Sur place")}]
    merged = evaluation.merge_definitions([new, old])
    answers = [eb.answers(i) for i in range(6)]
    result = evaluation.group_results(merged, answers, "fr")
    items = {item.item["id"]: item for _s, items in result.sections for item in items}
    assert items["relevance"].text == "Le contenu m'a servi" and items["relevance"].n == 6
    # an option removed since keeps its old text
    assert {b.label: b.count for b in items["format"].bars} == {"Sur place": 4, "En ligne": 2}
    # an answer that does not fit the item's kind is left out
    odd = evaluation.group_results(merged, answers + [{"relevance": 9}, {"relevance": "5"}], "fr")
    assert next(i for _s, its in odd.sections for i in its if i.item["id"] == "relevance").n == 6


def test_breakdown_hides_small_cells_and_more_while_the_hidden_add_up_to_under_five():
    definition = eb.definition()
    groups = {"a": [eb.answers(i) for i in range(7)], "b": [eb.answers(i) for i in range(5)], "c": [eb.answers(1)]}
    cells = {c.key: c for c in evaluation.breakdown("x", "X", definition, groups, {}).cells}
    assert cells["c"].masked and cells["b"].masked and not cells["a"].masked
    assert cells["a"].means["relevance"] is not None and cells["b"].means == {}
    # two hidden cells adding up to 2: one more hidden; adding up to 6: none
    groups["d"] = [eb.answers(2)]
    cells = {c.key: c for c in evaluation.breakdown("x", "X", definition, groups, {}).cells}
    assert cells["b"].masked and cells["c"].masked and cells["d"].masked and not cells["a"].masked
    groups["c"], groups["d"] = groups["c"] * 3, groups["d"] * 3
    cells = {c.key: c for c in evaluation.breakdown("x", "X", definition, groups, {}).cells}
    assert not cells["b"].masked and cells["c"].masked and cells["d"].masked
    # not a partition (trainers: a response counts for each of a cohort's trainers): only the small cells
    del groups["d"]
    groups["c"] = [eb.answers(1)]
    cells = {c.key: c for c in evaluation.breakdown("x", "X", definition, groups, {}, partition=False).cells}
    assert not cells["b"].masked and cells["c"].masked
    # an item's answers too: "recommend" answered by 2 in "b" and 7 in "a"; the total is shown elsewhere
    groups = {"a": [eb.answers(i) for i in range(7)], "b": [eb.answers(i, recommend=None) for i in range(5)]}
    groups["b"][0]["recommend"] = groups["b"][1]["recommend"] = 5
    cells = {c.key: c for c in evaluation.breakdown("x", "X", definition, groups, {}).cells}
    assert cells["a"].means["recommend"] is None and cells["a"].means["relevance"] is not None


def test_suppressed_and_guard():
    assert evaluation.suppressed({"a": 7, "b": 5, "c": 0}) == set()
    assert evaluation.suppressed({"a": 7, "b": 5, "c": 1}) == {"b", "c"}
    assert evaluation.suppressed({"a": 9, "b": 3, "c": 2}) == {"b", "c"}
    assert evaluation.suppressed({"a": 3}) == {"a"}
    definition = eb.definition()
    wider = {True: [eb.answers(i, f"{COMMENT} {i}") for i in range(6)], False: [eb.answers(i) for i in range(3)]}
    assert evaluation.guard(definition, wider, True) == (True, set())
    wider[False] += [eb.answers(i, f"{COMMENT} {i}" if i < 2 else None) for i in range(3)]
    assert evaluation.guard(definition, wider, True) == (False, {"comment"})


def test_plan_summary():
    plans = [{"actions": 3, "done": 1, "partly": 1, "not_yet": 1}] * 4 + [
        {"actions": 2, "done": 0, "partly": 0, "not_yet": 2}
    ]
    summary = evaluation.plan_summary(plans + [None, {"actions": 0}, "garbage"])
    assert (summary.respondents, summary.with_plan, summary.applied, summary.actions) == (8, 5, 4, 14)
    assert summary.applied_share == 80.0 and summary.share("done") == round(100 * 4 / 14, 1)
    assert evaluation.plan_summary(plans[:4]).applied_share is None


# --- the cohort's page and its files --------------------------------------------------------------------------------


def test_cohort_page_four_responses_show_nothing(client, db, world):
    _answered(db, world, SMALL_GROUP - 1)
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{world['a'].id}/evaluation").get_data(as_text=True)
    assert "not shown, to protect anonymity" in page
    assert COMMENT not in page and 'class="chart"' not in page and "Mean" not in page and "Présentiel" not in page
    for fmt in ("csv", "xlsx"):
        data = _rows(client.get(f"/reports/cohorts/{world['a'].id}/evaluation.{fmt}"), fmt)
        assert "not shown, to protect anonymity" in data and COMMENT not in data and "Présentiel" not in data


def test_cohort_page_five_responses_show_figures_charts_and_texts(client, db, world):
    _answered(db, world, SMALL_GROUP)
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{world['a'].id}/evaluation").get_data(as_text=True)
    assert "not shown, to protect anonymity" not in page
    assert 'class="chart"' in page and "<table" in page and "Présentiel" in page and "Mean" in page
    assert f"{COMMENT} 0" in page and f"{COMMENT} 4" in page
    assert page.index(f"{COMMENT} 0") < page.index(f"{COMMENT} 1") < page.index(f"{COMMENT} 4")
    for fmt in ("csv", "xlsx"):
        data = _rows(client.get(f"/reports/cohorts/{world['a'].id}/evaluation.{fmt}"), fmt)
        assert "Présentiel" in data and f"{COMMENT} 3" in data and "not shown" not in data.split("By profession")[0]
    assert client.get(f"/reports/cohorts/{world['a'].id}/evaluation.pdf").status_code == 404


def test_response_rates_are_counts_never_names(client, db, world, make_user):
    survey_round = _answered(db, world, 0)
    people = [make_user(email=f"p{i}@example.org", name_latin=f"Person Zed{i}") for i in range(4)]
    eb.ask(db, survey_round, [p.id for p in people], responded_ids=[people[0].id])
    db.session.commit()
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{world['a'].id}/evaluation").get_data(as_text=True)
    assert "4 people asked" in page and "1 respondent" in page and "25" in page
    assert "Zed" not in page
    data = _rows(client.get(f"/reports/cohorts/{world['a'].id}/evaluation.csv"), "csv")
    assert "1 / 4" in data and "Zed" not in data


def test_session_surveys_per_session_and_together_with_trainer_breakdown(client, db, world, make_user):
    cohort = world["a"]
    guest = make_user(roles=("trainer",), email="guest@example.org", name_latin="Guest Speaker")
    survey, version = eb.make_survey(db, role="session")
    sessions = [
        make_session(db, cohort, datetime(2027, 1, 12, 9), title="Atelier un", trainer_id=guest.id),
        make_session(db, cohort, datetime(2027, 1, 19, 9), title="Atelier deux"),
        make_session(db, cohort, datetime(2027, 1, 26, 9), title="Atelier trois"),
    ]
    rounds = [eb.make_round(db, survey, cohort, session=s, opens_at=s.ends_at) for s in sessions]
    for survey_round, n in zip(rounds, (6, 3, 0), strict=True):
        eb.respond_many(db, survey_round, version, n)
    db.session.commit()
    client.login("trainer@example.org")
    url = f"/reports/cohorts/{cohort.id}/evaluation?role=session"
    together = client.get(url).get_data(as_text=True)
    assert "All sessions together" in together and "9 responses" in together
    assert "By session" in together and "By trainer" in together and "Guest Speaker" in together
    # the second session (3 responses) is hidden, and the first with it (they add up to the total)
    session_part = together.split("By session")[1].split("</table>")[0]
    assert session_part.count("not shown") == 2
    second = client.get(f"{url}&session={sessions[1].id}").get_data(as_text=True)
    assert "Atelier deux" in second and "not shown, to protect anonymity" in second and COMMENT not in second
    # the first alone would reveal the second by difference
    first = client.get(f"{url}&session={sessions[0].id}").get_data(as_text=True)
    assert "it would reveal the answers of fewer than 5 people" in first and COMMENT not in first
    data = _rows(
        client.get(f"/reports/cohorts/{cohort.id}/evaluation.csv?role=session&session={sessions[0].id}"), "csv"
    )
    assert "not shown, to protect anonymity" in data and COMMENT not in data
    # two more answers to the third: the hidden ones add up to 5, the first shows
    eb.respond_many(db, rounds[2], version, 2)
    db.session.commit()
    first = client.get(f"{url}&session={sessions[0].id}").get_data(as_text=True)
    assert "6 responses" in first and f"{COMMENT} 5" in first


def test_named_survey_lists_each_response_with_the_name(client, db, world, make_user):
    survey, version = eb.make_survey(db, role="follow_up", named=True)
    survey_round = eb.make_round(db, survey, world["a"])
    person = make_user(email="named@example.org", name_latin="Nadia Named")
    eb.respond(db, survey_round, version, eb.answers(0, "Mon avis signé"), respondent_id=person.id)
    db.session.commit()
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{world['a'].id}/evaluation?role=follow_up").get_data(as_text=True)
    assert "Named responses" in page and "Nadia Named" in page and "Mon avis signé" in page
    # the aggregated figures stay hidden under five
    assert "not shown, to protect anonymity" in page and 'class="chart"' not in page


def test_breakdowns_by_profession_on_the_page(client, db, world):
    survey_round = _answered(db, world, 6)
    eb.respond_many(db, survey_round, world["version"], 5, profession="social-worker")
    eb.respond_many(db, survey_round, world["version"], 2, profession="clerk")
    db.session.commit()
    client.login("trainer@example.org")
    page = client.get(f"/reports/cohorts/{world['a'].id}/evaluation").get_data(as_text=True)
    part = page.split("By profession")[1].split("</table>")[0]
    assert "Magistrate (judge)" in part and part.count("not shown") == 2  # clerks, and social workers with them


# --- access ------------------------------------------------------------------------------------------------------------


def test_another_trainer_and_learners_are_refused(client, db, world):
    _answered(db, world, SMALL_GROUP)
    a = world["a"].id
    urls = (
        f"/reports/cohorts/{a}/evaluation",
        f"/reports/cohorts/{a}/evaluation.csv",
        f"/reports/cohorts/{a}/evaluation.xlsx",
    )
    client.login("other@example.org")
    for url in urls:
        assert client.get(url).status_code == 403, url
    assert client.get(f"/reports/cohorts/{world['b'].id}/evaluation").status_code == 200
    assert client.get("/reports/evaluation").status_code == 403
    assert client.get("/reports/evaluation.csv").status_code == 403
    assert client.get("/reports/cohorts/999999/evaluation").status_code == 404
    client.logout()
    client.login("learner@example.org")
    for url in (*urls, "/reports/evaluation", "/reports/evaluation.csv"):
        assert client.get(url).status_code == 403, url
    client.logout()
    client.login("admin@example.org")
    for url in (*urls, "/reports/evaluation", "/reports/evaluation.xlsx"):
        assert client.get(url).status_code == 200, url


def test_bad_query_strings_are_no_error(client, db, world):
    _answered(db, world, SMALL_GROUP)
    client.login("admin@example.org")
    a = world["a"].id
    for url in (
        f"/reports/cohorts/{a}/evaluation?role=nope&session=abc",
        f"/reports/cohorts/{a}/evaluation?role=session&session=99999999999999",
        "/reports/evaluation?role=x&from=garbage&to=2027-13-45&course=abc&trainer=&gender=zz",
        "/reports/evaluation.csv?from=2030-01-01&to=2020-01-01",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/reports/evaluation?cohort=99999999999999").status_code == 400


# --- the programme's page -----------------------------------------------------------------------------------------------


def test_programme_page_masks_and_filters(client, db, world):
    _answered(db, world, 4)
    _answered(db, world, 4, cohort="b")
    client.login("admin@example.org")
    page = client.get("/reports/evaluation").get_data(as_text=True)
    assert "8 responses" in page and "Présentiel" in page and f"{COMMENT} 3" in page
    # each cohort alone has four: hidden, in the breakdown and when filtered
    part = page.split("By cohort")[1].split("</table>")[0]
    assert part.count("not shown") == 2
    alone = client.get(f"/reports/evaluation?cohort={world['a'].id}").get_data(as_text=True)
    assert "not shown, to protect anonymity" in alone and COMMENT not in alone and 'class="chart"' not in alone
    data = _rows(client.get(f"/reports/evaluation.xlsx?cohort={world['a'].id}"), "xlsx")
    assert "not shown, to protect anonymity" in data and COMMENT not in data
    by_trainer = client.get(f"/reports/evaluation?trainer={world['other'].id}").get_data(as_text=True)
    assert "not shown, to protect anonymity" in by_trainer
    women = client.get("/reports/evaluation?gender=female").get_data(as_text=True)
    assert "No responses yet." in women
    later = client.get("/reports/evaluation?from=2028-01-01").get_data(as_text=True)
    assert "No survey matches these filters." in later
    follow_up = client.get("/reports/evaluation?role=follow_up").get_data(as_text=True)
    assert "No survey matches these filters." in follow_up


def test_programme_filters_never_reveal_a_small_group_by_difference(client, db, world, make_cohort):
    """A view narrowed by a filter is a part of the view without it: shown, it would give the rest by difference."""
    _answered(db, world, 6)
    _answered(db, world, 3, cohort="b")
    client.login("admin@example.org")
    everything = client.get("/reports/evaluation").get_data(as_text=True)
    assert "9 responses" in everything and f"{COMMENT} 2" in everything
    cohort_a = client.get(f"/reports/evaluation?cohort={world['a'].id}").get_data(as_text=True)
    assert "it would reveal the answers of fewer than 5 people" in cohort_a and COMMENT not in cohort_a
    trainer_a = client.get(f"/reports/evaluation?trainer={world['trainer'].id}").get_data(as_text=True)
    assert "it would reveal the answers of fewer than 5 people" in trainer_a and COMMENT not in trainer_a
    # the cohort's own page: the same for an admin (who sees the programme's page too), not for its trainer
    page_a = client.get(f"/reports/cohorts/{world['a'].id}/evaluation").get_data(as_text=True)
    assert "it would reveal the answers of fewer than 5 people" in page_a and COMMENT not in page_a
    client.logout()
    client.login("trainer@example.org")
    page_a = client.get(f"/reports/cohorts/{world['a'].id}/evaluation").get_data(as_text=True)
    assert "6 responses" in page_a and f"{COMMENT} 5" in page_a
    client.logout()
    client.login("admin@example.org")
    # professions: 6 judges and 5 social workers, 2 of whom wrote a comment: the judges' comments would give theirs
    cohort_c = make_cohort(world["other"], title="Cohorte C", start_date=date(2027, 2, 1))
    survey_round = eb.make_round(db, world["survey"], cohort_c, opens_at=datetime(2027, 4, 1))
    for i in range(5):
        comment = "Avis social" if i < 2 else None
        eb.respond(db, survey_round, world["version"], eb.answers(i, comment), profession="social-worker")
    db.session.commit()
    judges = client.get("/reports/evaluation?profession=magistrate-judge").get_data(as_text=True)
    assert "9 responses" in judges and "Présentiel" in judges
    assert "it would reveal the answers of fewer than 5 people" in judges and COMMENT not in judges
    data = _rows(client.get("/reports/evaluation.csv?profession=magistrate-judge"), "csv")
    assert "Présentiel" in data and COMMENT not in data


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_pages_in_french_and_arabic(client, db, world, lang):
    _answered(db, world, SMALL_GROUP)
    db.session.get(User, world["trainer"].id).locale = lang
    db.session.commit()
    client.login("trainer@example.org")
    response = client.get(f"/reports/cohorts/{world['a'].id}/evaluation")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert ("ع Présentiel" in page) == (lang == "ar") and ('dir="rtl"' in page) == (lang == "ar")


# --- query count -----------------------------------------------------------------------------------------------------


def test_query_count_does_not_grow_with_responses(client, db, world, count_queries):
    survey_round = _answered(db, world, SMALL_GROUP)
    client.login("trainer@example.org")
    a = world["a"].id
    urls = (f"/reports/cohorts/{a}/evaluation", f"/reports/cohorts/{a}/evaluation.csv")

    def counts(login="trainer@example.org"):
        found = []
        for url in urls:
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            found.append(counter.count)
        return found

    def admin_counts():
        found = []
        for url in ("/reports/evaluation", "/reports/evaluation.xlsx"):
            with count_queries() as counter:
                assert client.get(url).status_code == 200
            found.append(counter.count)
        return found

    small = counts()
    client.logout()
    client.login("admin@example.org")
    small_admin = admin_counts()
    eb.respond_many(db, survey_round, world["version"], 60, profession="social-worker")
    eb.respond_many(db, survey_round, world["version"], 40, profession="clerk", gender="female")
    _answered(db, world, 30, cohort="b")
    assert admin_counts() == small_admin
    client.logout()
    client.login("trainer@example.org")
    assert counts() == small


# --- level 3 in the programme report ------------------------------------------------------------------------------------


def _follow_up(db, world, make_user, plans, cohort="a", survey=None):
    survey, version = survey or eb.make_survey(db, role="follow_up")
    survey_round = eb.make_round(db, survey, world[cohort], opens_at=datetime(2027, 6, 1))
    people = [make_user(email=f"fu{cohort}{i}@example.org") for i in range(len(plans) + 3)]
    eb.ask(db, survey_round, [p.id for p in people], responded_ids=[p.id for p in people[: len(plans)]])
    for i, plan in enumerate(plans):
        eb.respond(db, survey_round, version, {**eb.answers(i), **({"_plan": plan} if plan else {})})
    db.session.commit()
    return survey, version


PERIOD = "from=2027-01-01&to=2027-12-31"


def test_transfer_indicators_masked_under_five_plans(app, client, db, world, make_user):
    _follow_up(db, world, make_user, [{"actions": 2, "done": 1, "partly": 1, "not_yet": 0}] * 4 + [None])
    result = service.programme_indicators(service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31)))
    assert (result["follow_up_asked"], result["follow_up_responded"]) == (8, 5)
    assert result["follow_up_rate"] == 62.5 and result["plans"].with_plan == 4 and result["plans"].masked
    client.login("admin@example.org")
    page = client.get(f"/reports/programme?{PERIOD}").get_data(as_text=True)
    assert "Follow-up survey: response rate" in page and "fewer than 5: not shown" in page
    data = _rows(client.get(f"/reports/programme?{PERIOD}&format=csv"), "csv")
    assert "Follow-up: planned actions done;fewer than 5: not shown" in data
    # the PDF (both languages) says so too
    with app.test_request_context():
        pages = pdf_pages(exports.programme_pdf(service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31)), False))
    joined = "".join(pages)
    assert "Questionnairedesuivi:tauxderéponse62,5%" in joined and "moinsde5:" in joined and "nonaffiché" in joined
    assert any(has(p, "استبيان التتبع: نسبة الإجابة") for p in pages)


def test_transfer_indicators_shown_from_five_plans(client, db, world, make_user, count_queries):
    plans = [{"actions": 3, "done": 1, "partly": 1, "not_yet": 1}] * 4 + [
        {"actions": 1, "done": 0, "partly": 0, "not_yet": 1}
    ]
    filters = service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31))
    with count_queries() as before:
        service.programme_indicators(filters)
    _follow_up(db, world, make_user, plans)
    with count_queries() as after:
        result = service.programme_indicators(filters)
    assert before.count == after.count
    summary = result["plans"]
    assert not summary.masked and summary.applied_share == 80.0 and summary.share("done") == round(100 * 4 / 13, 1)
    client.login("admin@example.org")
    data = _rows(client.get(f"/reports/programme?{PERIOD}&format=xlsx"), "xlsx")
    assert "fewer than 5" not in data and "80" in data
    masked = _rows(client.get(f"/reports/programme?{PERIOD}&format=csv&mask=1"), "csv")
    assert "Follow-up survey: people asked;8" in masked and "Follow-up survey: respondents;5" in masked
    # another jurisdiction: nobody
    other = service.programme_indicators(
        service.ProgrammeFilters(date(2027, 1, 1), date(2027, 12, 31), jurisdiction="fes")
    )
    assert other["follow_up_responded"] == 0 and other["plans"].with_plan == 0


def test_transfer_indicators_never_give_a_small_group_by_difference(client, db, world, make_user):
    plan = {"actions": 2, "done": 1, "partly": 0, "not_yet": 1}
    survey = _follow_up(db, world, make_user, [plan] * 6)
    _follow_up(db, world, make_user, [plan] * 3, cohort="b", survey=survey)
    period = (date(2027, 1, 1), date(2027, 12, 31))
    everything = service.programme_indicators(service.ProgrammeFilters(*period))["plans"]
    assert not everything.masked and everything.with_plan == 9 and everything.applied_share == 100.0
    # cohort A alone (6 plans) would give cohort B's three by difference
    only_a = service.programme_indicators(service.ProgrammeFilters(*period, cohort_id=world["a"].id))["plans"]
    assert only_a.with_plan == 6 and only_a.masked and only_a.applied_share is None
    client.login("admin@example.org")
    page = client.get(f"/reports/programme?{PERIOD}&cohort={world['a'].id}").get_data(as_text=True)
    assert "fewer than 5: not shown" in page


def test_follow_up_results_show_the_action_plans(client, db, world, make_user):
    plan = {"actions": 3, "done": 2, "partly": 1, "not_yet": 0}
    survey = _follow_up(db, world, make_user, [plan] * 4 + [None])
    client.login("trainer@example.org")
    url = f"/reports/cohorts/{world['a'].id}/evaluation?role=follow_up"
    page = client.get(url).get_data(as_text=True)
    assert "Action plans" in page and "Fewer than 5 respondents with an action plan" in page
    _follow_up(db, world, make_user, [plan], cohort="b", survey=survey)  # another cohort: no change here
    survey_round = db.session.scalar(select(SurveyRound).where(SurveyRound.cohort_id == world["a"].id))
    eb.respond(db, survey_round, survey[1], {**eb.answers(9), "_plan": plan})
    db.session.commit()
    page = client.get(url).get_data(as_text=True)
    assert "Respondents with an action plan" in page and "Fewer than 5 respondents" not in page
    data = _rows(client.get(url.replace("evaluation?", "evaluation.csv?")), "csv")
    assert "Actions done;;10;66.7" in data


def test_the_dashboard_and_the_programme_report_link_the_results(client, db, world):
    client.login("admin@example.org")
    assert f"/reports/cohorts/{world['a'].id}/evaluation" in client.get(f"/reports/cohorts/{world['a'].id}").get_data(
        as_text=True
    )
    assert "/reports/evaluation" in client.get("/reports/programme").get_data(as_text=True)


def _rows(response, fmt) -> str:
    assert response.status_code == 200
    if fmt == "csv":
        return response.data.decode("utf-8-sig")
    book = load_workbook(io.BytesIO(response.data))
    return "\n".join(
        ";".join("" if c is None else str(c) for c in row) for row in book.active.iter_rows(values_only=True)
    )
