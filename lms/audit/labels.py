"""Readable, translated names of audit actions."""

from ..i18n import _l

LABELS = {
    "user.create": _l("Account created"),
    "user.invite": _l("Invitation sent"),
    "user.invite_accepted": _l("Invitation accepted"),
    "user.password": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.roles": _l("Roles changed"),
    "user.activate": _l("Account reactivated"),
    "user.deactivate": _l("Account deactivated"),
    "user.profile": _l("Profile updated"),
    "user.erase": _l("Personal data erased"),
    "user.totp_enable": _l("Two-factor sign-in turned on"),
    "user.totp_disable": _l("Two-factor sign-in turned off"),
    "user.recovery_code_used": _l("Recovery code used"),
    "user.merge": _l("Walk-in record merged"),
    "user.sign_in_unlock": _l("Sign-in lock lifted"),
    "sign_in.address_unlock": _l("Sign-in lock lifted for an address"),
    "cohort.create": _l("Cohort created"),
    "cohort.update": _l("Cohort changed"),
    "cohort.enrol": _l("Learner enrolled"),
    "cohort.unenrol": _l("Enrolment removed"),
    "cohort.quiz_settings": _l("Quiz settings changed for a cohort"),
    "cohort.attendance_warning": _l("Low-attendance e-mail sent"),
    "cohort.reminders": _l("Reminders switched on or off for a cohort"),
    "cohort.message": _l("E-mail sent to a learner by a trainer"),
    "session.save": _l("Session saved"),
    "session.checkin_open": _l("Check-in opened"),
    "session.checkin_close": _l("Check-in closed"),
    "attendance.mark": _l("Attendance recorded"),
    "quiz.override": _l("Grade changed by a trainer"),
    "quiz.regrade": _l("Attempt regraded"),
    "certificate.issue": _l("Certificate issued"),
    "certificate.revoke": _l("Certificate revoked"),
    "mail.retry": _l("Failed e-mail sent again"),
}


def audit_label(action: str) -> str:
    return str(LABELS.get(action, action))
