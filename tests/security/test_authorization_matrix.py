"""The authorisation matrix, generated from the app's URL map.

Every rule is requested as anonymous, a learner, another cohort's learner, a trainer, another cohort's
trainer and an admin, and the status is checked against the access class declared below. A new route
that is not listed here fails the test: its access must be thought about and written down.
"""

import pytest

from lms.core.legacy_urls import LEGACY_URLS, PREFIX
from tests.factories import two_cohort_world

ROLES = ("anonymous", "learner", "other_learner", "trainer", "other_trainer", "admin")

# access class -> roles that must get in (others get 302/401 when anonymous, else 403 or 404)
CLASSES = {
    "public": set(ROLES),
    "signed_in": set(ROLES) - {"anonymous"},
    "own_attempt": {"learner"},
    "course_quiz": {"learner", "trainer", "other_trainer", "admin"},
    "trainer": {"trainer", "other_trainer", "admin"},
    "cohort": {"trainer", "admin"},
    "certificate_file": {"learner", "trainer", "admin"},
    "admin": {"admin"},
    "learner_pages": set(ROLES) - {"anonymous"},
    "own_notification": {"learner"},  # the world's notification is the learner's: anyone else gets 404
    # the world's survey round asks the learner only, and only they are enrolled in cohort A: anyone else gets 404
    "own_survey": {"learner"},
    "own_action_plan": {"learner"},
    # a course the person may open (content.service.can_open): the other cohort's learner (another profession) gets 404
    "open_course": {"learner", "trainer", "other_trainer", "admin"},
}
ENDPOINTS = {
    "cohorts.merge_walk_in": "admin",
    "cohorts.quiz_settings": "cohort",
    "accounts.login_code": "public",
    "accounts.two_factor": "signed_in",
    "accounts.two_factor_disable": "signed_in",
    "accounts.admin_totp_reset": "admin",
    "static": "public",
    "core.home": "public",
    "core.healthz": "public",
    "core.privacy": "public",
    "core.set_language": "public",
    "accounts.login": "public",
    "accounts.forgot_password": "public",
    "accounts.reset_password": "public",
    "accounts.accept_invitation": "public",
    "certificates.verify": "public",
    "certificates.verify_code": "public",
    "offline.manifest": "public",  # the web app manifest: fetched by the browser without cookies
    "accounts.logout": "signed_in",
    "accounts.profile": "signed_in",
    "accounts.change_password": "signed_in",
    "accounts.export_my_data": "signed_in",
    "content.dashboard": "signed_in",
    "content.catalogue": "signed_in",
    "certificates.mine": "signed_in",
    "attendance.checkin_page": "signed_in",
    "attendance.my_calendar": "signed_in",  # only the signed-in person's own sessions (tests/attendance/test_documents.py)
    "content.course": "course_quiz",
    "content.module": "course_quiz",
    "content.complete": "course_quiz",
    "quizzes.quiz": "course_quiz",
    "quizzes.start": "course_quiz",
    "quizzes.attempt": "own_attempt",
    "quizzes.autosave": "own_attempt",
    "quizzes.save": "own_attempt",
    "quizzes.summary": "own_attempt",
    "quizzes.submit": "own_attempt",
    "quizzes.result": "own_attempt",
    "accounts.invite_learner": "trainer",
    "reports.trainer_home": "trainer",
    "cohorts.new_cohort": "trainer",
    "quizzes.export_gift": "trainer",
    "content.preview": "trainer",
    "cohorts.detail": "cohort",
    "cohorts.edit_cohort": "cohort",
    "cohorts.enrol": "cohort",
    "cohorts.unenrol": "cohort",
    "attendance.warn_low_attendance": "cohort",
    "attendance.reminders": "cohort",
    "cohorts.walk_in": "cohort",
    "cohorts.import_people": "cohort",
    "cohorts.import_template": "trainer",
    "cohorts.confirm_import": "cohort",
    "cohorts.cancel_import": "cohort",
    "cohorts.message_learner": "cohort",
    "attendance.edit_session": "cohort",
    "attendance.calendar": "cohort",
    "attendance.roll_call": "cohort",
    "attendance.mark_one": "cohort",
    "attendance.all_present": "cohort",
    "attendance.sign_in_sheet": "cohort",
    "attendance.checkin_screen": "cohort",
    "attendance.checkin_toggle": "cohort",
    "attendance.export_csv": "cohort",
    "attendance.export_xlsx": "cohort",
    "cohorts.results": "cohort",
    "cohorts.attempt_review": "cohort",
    "cohorts.item_stats": "cohort",
    "certificates.cohort_certificates": "cohort",
    "certificates.issue": "cohort",
    "certificates.revoke": "cohort",
    # a job issuing a cohort's certificates: who started it, the cohort's trainers, admins
    "certificates.job_page": "cohort",
    "certificates.job_status": "cohort",
    "reports.cohort_dashboard": "cohort",
    "reports.learner_detail": "cohort",
    "reports.cohort_results_export": "cohort",
    # survey results (issue #20): a cohort's trainers and admins; the programme-wide view: admins
    "reports.cohort_evaluation": "cohort",
    "reports.cohort_evaluation_export": "cohort",
    "reports.programme_evaluation": "admin",
    "reports.programme_evaluation_export": "admin",
    "certificates.download": "certificate_file",
    "accounts.admin_users": "admin",
    "accounts.admin_new_user": "admin",
    "accounts.admin_user": "admin",
    "accounts.admin_user_roles": "admin",
    "accounts.admin_user_active": "admin",
    "accounts.admin_user_edit": "admin",
    "accounts.admin_user_invite": "admin",
    "audit.log": "admin",
    "accounts.sign_in_locks": "admin",
    "accounts.lift_account_lock": "admin",
    "accounts.lift_address_lock": "admin",
    "cohorts.lift_sign_in_lock": "cohort",
    "content.admin_courses": "admin",
    "reports.programme": "admin",
    # the programme PDF prepared by a job: admins (the world's job is a certificates job: 404 for them too)
    "reports.programme_pdf_start": "admin",
    "reports.programme_job_page": "admin",
    "reports.programme_job_status": "admin",
    "reports.programme_job_file": "admin",
    "notifications.index": "signed_in",
    "search.index": "signed_in",
    "notifications.mark_all_read": "signed_in",
    "notifications.preferences": "signed_in",
    "notifications.open_one": "own_notification",
    "notifications.admin_deliveries": "admin",
    "notifications.retry_delivery": "admin",
    "notifications.retry_all_deliveries": "admin",
    "evaluation.index": "signed_in",
    "evaluation.answer": "own_survey",
    # only the signed-in person's own plan, in a cohort they are enrolled in (tests/evaluation/test_action_plan.py)
    "evaluation.action_plan": "own_action_plan",
    "library.index": "signed_in",
    "library.instrument": "signed_in",
    "library.article": "signed_in",
    "library.cases": "signed_in",
    "library.case": "signed_in",
    "library.glossary": "signed_in",
    # offline field kit (lms/offline): the pack manifest of a course, per person (tests/offline/test_routes.py)
    "offline.index": "signed_in",
    "offline.missing": "public",
    "offline.service_worker": "public",
    "offline.pack": "open_course",
}
# The addresses of before issue #17: a 308 to the page, which checks access itself (tests/core/test_legacy_urls.py).
ENDPOINTS.update({PREFIX + endpoint: "public" for endpoint in LEGACY_URLS.values()})


@pytest.fixture
def world(app, db, courses, make_user):
    return two_cohort_world(db, make_user)


def _url(rule, values):
    _domain, path = rule.build({name: values[name] for name in rule.arguments}, append_unknown=False)
    return path


def test_every_route_has_an_expected_access_class(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(ENDPOINTS) == set(), "new routes need an entry in the authorisation matrix"
    assert set(ENDPOINTS) - endpoints == set(), "the matrix lists routes that no longer exist"


def test_authorisation_matrix(app, world):
    users, values = world
    from tests.conftest import Client

    failures, checked = [], 0
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    for role in ROLES:
        client = Client(app.test_client())
        client.raw.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
        if role != "anonymous":
            assert client.login(users[role].email).status_code == 302, role
        token = client.csrf()
        for rule in rules:
            if rule.endpoint in ("accounts.logout",):
                continue  # would end the session for the rest of the loop; covered by the login tests
            if rule.endpoint.startswith(PREFIX):
                continue  # a redirect to a page requested here under its own rule
            allowed = role in CLASSES[ENDPOINTS[rule.endpoint]]
            url = _url(rule, values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if method == "GET":
                    response = client.raw.get(url)
                else:
                    response = client.raw.post(url, data={"csrf_token": token})
                status = response.status_code
                checked += 1
                if status >= 500:
                    failures.append((role, method, url, status))
                elif allowed and status in (401, 403):
                    failures.append((role, method, url, status, "refused but should be allowed"))
                elif not allowed:
                    expected = {302, 401} if role == "anonymous" else {403, 404}
                    if status not in expected:
                        failures.append((role, method, url, status, f"expected {sorted(expected)}"))
    assert failures == [], "\n".join(map(str, failures))
    assert checked > 400
