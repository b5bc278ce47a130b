"""The addresses the app answered before every URL named its package (issue #17), kept working.

Certificates already printed carry ``/verify/<code>``, e-mails already sent ``/invitation/<token>`` and
``/password/reset/<token>``, people have bookmarks and projectors show ``/checkin``: each old rule below answers
308 (the method and the body are kept, so a form posted to an old address still arrives) to the same page at its
new address, with the query string. The redirect itself decides nothing: the page it leads to checks who may see
it. An old rule that is still the page's rule (``/cohorts/<id>``, ``/courses/<slug>``...) is not listed.
``tests/core/test_legacy_urls.py`` walks this table and the map of before.
"""

from __future__ import annotations

from flask import Flask, redirect, request, url_for

from .access import public
from .database import reads_first

#: old rule -> the endpoint that serves its page now (the rule's arguments keep their names)
LEGACY_URLS = {
    # accounts
    "/admin/sign-in-locks": "accounts.sign_in_locks",
    "/admin/sign-in-locks/accounts/<int:user_id>": "accounts.lift_account_lock",
    "/admin/sign-in-locks/addresses": "accounts.lift_address_lock",
    "/admin/users": "accounts.admin_users",
    "/admin/users/<int:user_id>": "accounts.admin_user",
    "/admin/users/<int:user_id>/active": "accounts.admin_user_active",
    "/admin/users/<int:user_id>/edit": "accounts.admin_user_edit",
    "/admin/users/<int:user_id>/invite": "accounts.admin_user_invite",
    "/admin/users/<int:user_id>/roles": "accounts.admin_user_roles",
    "/admin/users/<int:user_id>/two-factor-reset": "accounts.admin_totp_reset",
    "/admin/users/new": "accounts.admin_new_user",
    "/invitation/<token>": "accounts.accept_invitation",
    "/invite": "accounts.invite_learner",
    "/login": "accounts.login",
    "/login/code": "accounts.login_code",
    "/logout": "accounts.logout",
    "/password/forgot": "accounts.forgot_password",
    "/password/reset/<token>": "accounts.reset_password",
    "/profile": "accounts.profile",
    "/profile/export.json": "accounts.export_my_data",
    "/profile/password": "accounts.change_password",
    "/profile/two-factor": "accounts.two_factor",
    "/profile/two-factor/disable": "accounts.two_factor_disable",
    # attendance
    "/checkin": "attendance.checkin_page",
    "/cohorts/<int:cohort_id>/attendance.csv": "attendance.export_csv",
    "/cohorts/<int:cohort_id>/attendance.xlsx": "attendance.export_xlsx",
    "/cohorts/<int:cohort_id>/attendance/warn": "attendance.warn_low_attendance",
    "/cohorts/<int:cohort_id>/calendar.ics": "attendance.calendar",
    "/cohorts/<int:cohort_id>/sessions/new": "attendance.edit_session",
    "/my/calendar.ics": "attendance.my_calendar",
    "/sessions/<int:session_id>/attendance": "attendance.roll_call",
    "/sessions/<int:session_id>/attendance/<int:user_id>": "attendance.mark_one",
    "/sessions/<int:session_id>/attendance/all-present": "attendance.all_present",
    "/sessions/<int:session_id>/checkin-screen": "attendance.checkin_screen",
    "/sessions/<int:session_id>/checkin-toggle": "attendance.checkin_toggle",
    "/sessions/<int:session_id>/edit": "attendance.edit_session",
    "/sessions/<int:session_id>/sheet.pdf": "attendance.sign_in_sheet",
    # audit
    "/admin/audit": "audit.log",
    # certificates
    "/cohorts/<int:cohort_id>/certificates": "certificates.cohort_certificates",
    "/cohorts/<int:cohort_id>/certificates/<int:certificate_id>/revoke": "certificates.revoke",
    "/cohorts/<int:cohort_id>/certificates/issue": "certificates.issue",
    "/verify": "certificates.verify",
    "/verify/<code>": "certificates.verify_code",
    # cohorts
    "/admin/users/<int:user_id>/merge": "cohorts.merge_walk_in",
    # content
    "/admin/courses": "content.admin_courses",
    "/admin/courses/<course_slug>/<module_slug>/preview": "content.preview",
    "/learn": "content.dashboard",
    # quizzes
    "/attempts/<int:attempt_id>": "quizzes.attempt",
    "/attempts/<int:attempt_id>/autosave": "quizzes.autosave",
    "/attempts/<int:attempt_id>/result": "quizzes.result",
    "/attempts/<int:attempt_id>/save": "quizzes.save",
    "/attempts/<int:attempt_id>/submit": "quizzes.submit",
    "/attempts/<int:attempt_id>/summary": "quizzes.summary",
    # reports
    "/cohorts/<int:cohort_id>/dashboard": "reports.cohort_dashboard",
    "/cohorts/<int:cohort_id>/learners/<int:user_id>": "reports.learner_detail",
    "/cohorts/<int:cohort_id>/results.<fmt>": "reports.cohort_results_export",
    "/trainer": "reports.trainer_home",
}

#: the endpoints of the redirects are named ``legacy.<endpoint of the page>``
PREFIX = "legacy."


def _redirect_to(endpoint: str):
    def legacy_redirect(**values):
        url = url_for(endpoint, **values)
        query = request.query_string.decode("latin-1")
        return redirect(f"{url}?{query}" if query else url, code=308)

    # A redirect reads nothing and writes nothing: public, no write transaction, no CSRF check (the page it
    # leads to checks the token of a form, which the 308 carries along).
    return reads_first(public(legacy_redirect))


def register_legacy_urls(app: Flask) -> None:
    """Add every rule of ``LEGACY_URLS``, answering for the methods of the page it leads to."""
    from ..extensions import csrf

    views = {}
    for rule, endpoint in LEGACY_URLS.items():
        methods = set()
        for current in app.url_map.iter_rules(endpoint):
            methods |= current.methods - {"HEAD", "OPTIONS"}
        if endpoint not in views:
            views[endpoint] = _redirect_to(endpoint)
            csrf.exempt(views[endpoint])
        app.add_url_rule(rule, endpoint=PREFIX + endpoint, view_func=views[endpoint], methods=sorted(methods))
