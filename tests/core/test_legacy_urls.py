"""Every address of before issue #17 still leads to its page: a 308 (method, body and query string kept) for a rule
that moved (``lms/core/legacy_urls.py``), the same rule for one that did not."""

import pytest
from flask import url_for
from werkzeug.routing import Map, Rule

from lms.core.legacy_urls import LEGACY_URLS, PREFIX

#: the URL map before issue #17 (``flask routes`` on main): (endpoint, methods, rule)
OLD_MAP = [
    ("accounts.accept_invitation", ("GET", "POST"), "/invitation/<token>"),
    ("accounts.admin_audit", ("GET",), "/admin/audit"),
    ("accounts.admin_new_user", ("GET", "POST"), "/admin/users/new"),
    ("accounts.admin_totp_reset", ("POST",), "/admin/users/<int:user_id>/two-factor-reset"),
    ("accounts.admin_user", ("GET",), "/admin/users/<int:user_id>"),
    ("accounts.admin_user_active", ("POST",), "/admin/users/<int:user_id>/active"),
    ("accounts.admin_user_edit", ("POST",), "/admin/users/<int:user_id>/edit"),
    ("accounts.admin_user_invite", ("POST",), "/admin/users/<int:user_id>/invite"),
    ("accounts.admin_user_roles", ("POST",), "/admin/users/<int:user_id>/roles"),
    ("accounts.admin_users", ("GET",), "/admin/users"),
    ("accounts.change_password", ("POST",), "/profile/password"),
    ("accounts.export_my_data", ("GET",), "/profile/export.json"),
    ("accounts.forgot_password", ("GET", "POST"), "/password/forgot"),
    ("accounts.invite_learner", ("GET", "POST"), "/invite"),
    ("accounts.lift_account_lock", ("POST",), "/admin/sign-in-locks/accounts/<int:user_id>"),
    ("accounts.lift_address_lock", ("POST",), "/admin/sign-in-locks/addresses"),
    ("accounts.login", ("GET", "POST"), "/login"),
    ("accounts.login_code", ("GET", "POST"), "/login/code"),
    ("accounts.logout", ("POST",), "/logout"),
    ("accounts.profile", ("GET", "POST"), "/profile"),
    ("accounts.reset_password", ("GET", "POST"), "/password/reset/<token>"),
    ("accounts.sign_in_locks", ("GET",), "/admin/sign-in-locks"),
    ("accounts.two_factor", ("GET", "POST"), "/profile/two-factor"),
    ("accounts.two_factor_disable", ("POST",), "/profile/two-factor/disable"),
    ("certificates.cohort_certificates", ("GET",), "/cohorts/<int:cohort_id>/certificates"),
    ("certificates.download", ("GET",), "/certificates/<serial>.pdf"),
    ("certificates.issue", ("POST",), "/cohorts/<int:cohort_id>/certificates/issue"),
    ("certificates.mine", ("GET",), "/certificates"),
    ("certificates.revoke", ("POST",), "/cohorts/<int:cohort_id>/certificates/<int:certificate_id>/revoke"),
    ("certificates.verify", ("GET",), "/verify"),
    ("certificates.verify_code", ("GET",), "/verify/<code>"),
    ("cohorts.all_present", ("POST",), "/sessions/<int:session_id>/attendance/all-present"),
    ("cohorts.attempt_review", ("GET", "POST"), "/cohorts/<int:cohort_id>/attempts/<int:attempt_id>"),
    ("cohorts.attendance", ("GET", "POST"), "/sessions/<int:session_id>/attendance"),
    ("cohorts.attendance_csv", ("GET",), "/cohorts/<int:cohort_id>/attendance.csv"),
    ("cohorts.attendance_xlsx", ("GET",), "/cohorts/<int:cohort_id>/attendance.xlsx"),
    ("cohorts.calendar", ("GET",), "/cohorts/<int:cohort_id>/calendar.ics"),
    ("cohorts.cancel_import", ("POST",), "/cohorts/<int:cohort_id>/import/cancel"),
    ("cohorts.checkin_page", ("GET", "POST"), "/checkin"),
    ("cohorts.checkin_screen", ("GET",), "/sessions/<int:session_id>/checkin-screen"),
    ("cohorts.checkin_toggle", ("POST",), "/sessions/<int:session_id>/checkin-toggle"),
    ("cohorts.confirm_import", ("POST",), "/cohorts/<int:cohort_id>/import/confirm"),
    ("cohorts.detail", ("GET",), "/cohorts/<int:cohort_id>"),
    ("cohorts.edit_cohort", ("GET", "POST"), "/cohorts/<int:cohort_id>/edit"),
    ("cohorts.edit_session", ("GET", "POST"), "/sessions/<int:session_id>/edit"),
    ("cohorts.edit_session", ("GET", "POST"), "/cohorts/<int:cohort_id>/sessions/new"),
    ("cohorts.enrol", ("POST",), "/cohorts/<int:cohort_id>/enrol"),
    ("cohorts.import_people", ("GET", "POST"), "/cohorts/<int:cohort_id>/import"),
    ("cohorts.import_template", ("GET",), "/cohorts/import-template-<language>.<fmt>"),
    ("cohorts.item_stats", ("GET",), "/cohorts/<int:cohort_id>/quizzes/<int:quiz_id>/statistics"),
    ("cohorts.lift_sign_in_lock", ("POST",), "/cohorts/<int:cohort_id>/learners/<int:user_id>/sign-in-lock"),
    ("cohorts.mark_one", ("POST",), "/sessions/<int:session_id>/attendance/<int:user_id>"),
    ("cohorts.merge_walk_in", ("POST",), "/admin/users/<int:user_id>/merge"),
    ("cohorts.message_learner", ("POST",), "/cohorts/<int:cohort_id>/learners/<int:user_id>/message"),
    ("cohorts.my_calendar", ("GET",), "/my/calendar.ics"),
    ("cohorts.new_cohort", ("GET", "POST"), "/cohorts/new"),
    ("cohorts.quiz_settings", ("POST",), "/cohorts/<int:cohort_id>/quiz-settings/<module_slug>"),
    ("cohorts.results", ("GET",), "/cohorts/<int:cohort_id>/results"),
    ("cohorts.sign_in_sheet", ("GET",), "/sessions/<int:session_id>/sheet.pdf"),
    ("cohorts.unenrol", ("POST",), "/cohorts/<int:cohort_id>/unenrol/<int:user_id>"),
    ("cohorts.walk_in", ("POST",), "/cohorts/<int:cohort_id>/walk-in"),
    ("cohorts.warn_low_attendance", ("POST",), "/cohorts/<int:cohort_id>/attendance/warn"),
    ("content.admin_courses", ("GET",), "/admin/courses"),
    ("content.catalogue", ("GET",), "/courses"),
    ("content.complete", ("POST",), "/courses/<course_slug>/<module_slug>/complete"),
    ("content.course", ("GET",), "/courses/<course_slug>"),
    ("content.dashboard", ("GET",), "/learn"),
    ("content.module", ("GET",), "/courses/<course_slug>/<module_slug>"),
    ("content.preview", ("GET",), "/admin/courses/<course_slug>/<module_slug>/preview"),
    ("core.healthz", ("GET",), "/healthz"),
    ("core.home", ("GET",), "/"),
    ("core.privacy", ("GET",), "/privacy"),
    ("core.set_language", ("POST",), "/language"),
    ("quizzes.attempt", ("GET",), "/attempts/<int:attempt_id>"),
    ("quizzes.autosave", ("POST",), "/attempts/<int:attempt_id>/autosave"),
    ("quizzes.export_gift", ("GET",), "/quizzes/<int:quiz_id>/export.gift"),
    ("quizzes.quiz", ("GET",), "/quizzes/<int:quiz_id>"),
    ("quizzes.result", ("GET",), "/attempts/<int:attempt_id>/result"),
    ("quizzes.save", ("POST",), "/attempts/<int:attempt_id>/save"),
    ("quizzes.start", ("POST",), "/quizzes/<int:quiz_id>/start"),
    ("quizzes.submit", ("POST",), "/attempts/<int:attempt_id>/submit"),
    ("quizzes.summary", ("GET",), "/attempts/<int:attempt_id>/summary"),
    ("reports.cohort_dashboard", ("GET",), "/cohorts/<int:cohort_id>/dashboard"),
    ("reports.cohort_results_export", ("GET",), "/cohorts/<int:cohort_id>/results.<fmt>"),
    ("reports.learner_detail", ("GET",), "/cohorts/<int:cohort_id>/learners/<int:user_id>"),
    ("reports.programme", ("GET",), "/reports/programme"),
    ("reports.trainer_home", ("GET",), "/trainer"),
]
#: endpoints renamed since (the attendance domain, the audit page)
RENAMED = {
    "cohorts.attendance": "attendance.roll_call",
    "cohorts.attendance_csv": "attendance.export_csv",
    "cohorts.attendance_xlsx": "attendance.export_xlsx",
    "cohorts.all_present": "attendance.all_present",
    "cohorts.calendar": "attendance.calendar",
    "cohorts.checkin_page": "attendance.checkin_page",
    "cohorts.checkin_screen": "attendance.checkin_screen",
    "cohorts.checkin_toggle": "attendance.checkin_toggle",
    "cohorts.edit_session": "attendance.edit_session",
    "cohorts.mark_one": "attendance.mark_one",
    "cohorts.my_calendar": "attendance.my_calendar",
    "cohorts.sign_in_sheet": "attendance.sign_in_sheet",
    "cohorts.warn_low_attendance": "attendance.warn_low_attendance",
    "accounts.admin_audit": "audit.log",
}
SAMPLE = {
    "user_id": 7,
    "cohort_id": 3,
    "session_id": 5,
    "attempt_id": 11,
    "quiz_id": 13,
    "certificate_id": 17,
    "course_slug": "palermo-magistrates",
    "module_slug": "definition",
    "token": "t" * 20,
    "code": "ABCD-EFGH",
    "fmt": "csv",
    "language": "fr",
    "serial": "TAD-2027-000001",
}


def _old_url(rule: str) -> tuple[str, dict]:
    old = Rule(rule, endpoint="old")
    adapter = Map([old]).bind("localhost")
    values = {name: SAMPLE[name] for name in old.arguments}
    return adapter.build("old", values), values


def test_every_rule_of_before_is_kept_or_redirected(app):
    current = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    for endpoint, _methods, rule in OLD_MAP:
        page = RENAMED.get(endpoint, endpoint)
        if rule in LEGACY_URLS:
            assert LEGACY_URLS[rule] == page, rule
            assert current[rule] == PREFIX + page, rule
        else:
            assert current.get(rule) == page, f"{rule} moved without a redirect"
    assert set(LEGACY_URLS) <= {rule for _endpoint, _methods, rule in OLD_MAP}, "a redirect from a rule never served"


@pytest.mark.parametrize("endpoint,methods,rule", [row for row in OLD_MAP if row[2] in LEGACY_URLS])
def test_an_old_address_answers_308_to_its_page(app, client, endpoint, methods, rule):
    url, values = _old_url(rule)
    with app.test_request_context():
        expected = url_for(RENAMED.get(endpoint, endpoint), **values)
    assert expected != url
    for method in methods:
        response = client.raw.open(url + "?next=%2Fprivacy&x=1", method=method)
        assert response.status_code == 308, (method, url)
        assert response.headers["Location"] == expected + "?next=%2Fprivacy&x=1", (method, url)


def test_a_form_posted_to_an_old_address_arrives(client, make_user):
    make_user(email="judge@example.org")
    data = {"email": "judge@example.org", "password": "correct horse battery", "csrf_token": client.csrf()}
    response = client.raw.post("/login", data=data)
    assert response.status_code == 308 and response.headers["Location"] == "/account/login"
    # A browser sends the same form again to the new address (the test client's own follow loses the body, which
    # the app has read before the redirect).
    signed_in = client.raw.post(response.headers["Location"], data=data, follow_redirects=True)
    assert signed_in.status_code == 200 and "/account/logout" in signed_in.get_data(as_text=True)


def test_a_certificate_printed_before_still_verifies(client):
    response = client.raw.get("/verify/ABCD-EFGH", follow_redirects=True)
    assert response.status_code in (200, 404)  # the verification page: found or not, never a dead address
    assert response.request.path == "/certificates/verify/ABCD-EFGH"
