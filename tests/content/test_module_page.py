"""The module page reads course, modules and progress in one query; who may open a course; the course cache."""

import shutil
from pathlib import Path

from lms.content.models import Course
from lms.content.sync import sync_courses

SW_COURSE = "/courses/victim-identification"
COURSE = "/courses/palermo-magistrates"


def _first_module(client, course_path):
    page = client.get(course_path).get_data(as_text=True)
    start = page.index(f'href="{course_path}/') + len('href="')
    return page[start : page.index('"', start)]


def test_module_page_costs_four_queries(client, make_user, courses, count_queries):
    make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    client.get(f"{COURSE}/definition")  # first view: recorded (a write of its own)
    with count_queries() as queries:
        page = client.get(f"{COURSE}/definition")
    assert page.status_code == 200 and "module-text" in page.get_data(as_text=True)
    # the signed-in user with the bell's unread count, then the course with its modules and the learner's
    # progress; the module has a quiz, so whether it counts and is passed (it decides the page's main button): the
    # learner's cohorts, their attempts
    assert queries.count == 4, queries.statements


def test_learner_of_another_profession_opens_the_course_of_their_cohort(client, make_user, make_cohort, courses, db):
    from lms.cohorts import service as cohorts

    trainer = make_user(email="trainer@example.org", roles=("trainer",))
    judge = make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    module = _first_module(client, COURSE)  # a module path of the judge's own course, for the shape
    assert client.get(SW_COURSE).status_code == 403
    assert "victim-identification" not in client.get("/courses").get_data(as_text=True)

    cohort = make_cohort(trainer, course="victim-identification")
    cohorts.enrol(cohort, db.session.merge(judge), actor=db.session.merge(trainer))
    db.session.commit()
    assert "victim-identification" in client.get("/courses/home").get_data(as_text=True)
    assert "victim-identification" in client.get("/courses").get_data(as_text=True)
    sw_module = _first_module(client, SW_COURSE)
    assert client.get(sw_module).status_code == 200

    cohort = db.session.merge(cohort)
    cohort.is_archived = True
    db.session.commit()
    assert client.get(sw_module).status_code == 403
    assert client.get(module).status_code == 200


def test_unknown_archived_or_empty_courses_answer_404(client, make_user, courses, db):
    make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    assert client.get("/courses/no-such-course/definition").status_code == 404
    assert client.get(f"{COURSE}/no-such-module").status_code == 404
    course = db.session.query(Course).filter_by(slug="palermo-magistrates").one()
    course.is_archived = True
    db.session.commit()
    assert client.get(f"{COURSE}/definition").status_code == 404


def test_a_synced_change_to_the_course_shows_at_once(client, make_user, courses, tmp_path, db):
    """Course details are kept per process under the course's version: a sync that changes the course (new
    version) is on the next page, in every process, without a restart."""
    make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    client.post_form("/language", {"lang": "fr"})
    before = client.get(f"{COURSE}/definition").get_data(as_text=True)
    tree = tmp_path / "courses"
    shutil.copytree(Path(courses), tree)
    yaml = tree / "palermo-magistrates" / "course.yaml"
    text = yaml.read_text(encoding="utf-8")
    title = db.session.query(Course).filter_by(slug="palermo-magistrates").one().title["fr"]
    assert title in before
    yaml.write_text(text.replace(title, "Titre révisé du parcours", 1), encoding="utf-8")
    sync_courses(str(tree))
    db.session.commit()
    after = client.get(f"{COURSE}/definition").get_data(as_text=True)
    assert "Titre révisé du parcours" in after and title not in after


def test_learner_home_costs_seven_queries_whatever_the_number_of_courses(client, make_user, courses, count_queries):
    make_user(email="judge@example.org", profession="magistrate-judge")
    client.login("judge@example.org")
    client.get("/courses/home")
    with count_queries() as queries:
        page = client.get("/courses/home")
    assert page.status_code == 200 and "palermo-magistrates" in page.get_data(as_text=True)
    # the user with the bell's unread count; every live course with its modules and the learner's progress; the
    # courses granted by enrolment (asked once for all the courses not meant for the learner's profession); where
    # they stand against the certificate: their cohorts and their attempts, each asked once for all the courses;
    # the next workshop; the surveys waiting for their answers
    assert queries.count == 7, queries.statements
