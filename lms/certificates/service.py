"""Issuing, storing, verifying and revoking certificates. No ``request`` here.

A certificate is rendered once, when it is issued, and the PDF is stored in the instance folder; a
download serves the stored file, re-rendered only when the template has changed since.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import bindparam, func, select

from ..accounts.models import User
from ..attendance import service as attendance_service
from ..audit.service import record
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort
from ..content.models import Module, ModuleProgress, QuizVersion
from ..core.database import read_rows
from ..core.timeutil import utcnow
from ..core.urls import external_url, site_path
from ..extensions import db
from ..i18n import _, format_date, format_percent
from ..notifications.service import notify
from ..quizzes.grading import final_grade, passes
from ..quizzes.models import SUBMITTED, Attempt
from .models import REVOCATION_REASONS, Certificate
from .rules import Eligibility, Record, eligibility, requirements

#: Crockford's base32: no I, L, O, U; 16 characters carry 80 random bits
CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_LENGTH = 16
TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates" / "certificates"


class CertificateError(Exception):
    """A rule refused the action; ``str(error)`` is a translated message."""


def new_code() -> str:
    """A new random verification code (unambiguous characters, as printed on the certificate)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_code(typed: str) -> str:
    """Accept what people type: lower case, spaces, dashes, and O/I/L for 0/1/1 (Crockford)."""
    cleaned = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    return cleaned.replace("O", "0").replace("I", "1").replace("L", "1")[: CODE_LENGTH + 4]


#: a serial number as printed ("TDR-2026-000123"), once normalised like a code: "TDR2026000123"
SERIAL_TYPED = re.compile(r"TDR\d{4}\d{1,12}")


def looks_like_serial(typed: str) -> bool:
    """Whether what was typed into the verification form is a certificate's serial number, not its code (the
    two are printed side by side). Said from its shape alone: no serial is looked up (they are sequential)."""
    return bool(SERIAL_TYPED.fullmatch(normalize_code(typed)))


_TEMPLATE_HASH: dict = {}


def template_hash() -> str:
    """sha256 of the certificate template and stylesheet, computed again only when a file changes."""
    paths = [TEMPLATES / name for name in ("certificate.html", "certificate.css")]
    key = tuple(p.stat().st_mtime_ns if p.exists() else 0 for p in paths)
    if _TEMPLATE_HASH.get("key") != key:
        digest = hashlib.sha256()
        for path in paths:
            if path.exists():
                digest.update(path.read_bytes())
        _TEMPLATE_HASH.update(key=key, value=digest.hexdigest())
    return _TEMPLATE_HASH["value"]


# --- eligibility ----------------------------------------------------------------------------------


def _passes(percents: list[float], settings: dict) -> bool:
    """A quiz is passed when the grade of its attempts (best, average, first or last, as the quiz says) reaches
    its pass mark (quizzes.grading.passes): the rule for the certificate and for the learner's own pages."""
    return passes(final_grade(percents, settings["grading"]), settings["pass_mark"])


def cohort_records(cohort: Cohort) -> dict[int, Record]:
    """Every enrolled learner's record, in a fixed number of queries whatever the cohort size."""
    records, _passed, _counted = _records(cohort.course_id, cohort, cohorts.learners(cohort))
    return records


def _records(course_id: int, cohort: Cohort | None, people: list) -> tuple[dict[int, Record], dict[int, set], set]:
    """The records of ``people`` for the course (under ``cohort``: its attempts, quiz settings and attendance;
    with no cohort, the attempts made outside any cohort and no attendance), per person the modules whose quiz
    they passed, and the modules whose quiz counts. A fixed number of queries whatever the number of people or
    modules: the one rule behind the certificate, the trainer's pages and the learner's own progress."""
    user_ids = [u.id for u in people]
    slugs = dict(
        db.session.execute(
            select(Module.id, Module.slug).where(Module.course_id == course_id, Module.is_archived.is_(False))
        ).all()
    )
    modules = list(slugs)
    # A pre-test is diagnostic: it never counts among the quizzes to pass.
    quizzes = (
        {
            q.module_id: q
            for q in db.session.scalars(
                select(QuizVersion).where(QuizVersion.module_id.in_(modules), QuizVersion.is_current.is_(True))
            )
            if q.definition["settings"].get("role", "graded") != "pretest"
        }
        if modules
        else {}
    )
    completed = (
        dict(
            db.session.execute(
                select(ModuleProgress.user_id, func.count(ModuleProgress.id))
                .where(
                    ModuleProgress.user_id.in_(user_ids),
                    ModuleProgress.module_id.in_(modules),
                    ModuleProgress.completed_at.is_not(None),
                )
                .group_by(ModuleProgress.user_id)
            ).all()
        )
        if user_ids and modules
        else {}
    )
    percents: dict[tuple[int, int], list[float]] = {}
    if user_ids and quizzes:
        same_cohort = Attempt.cohort_id.is_(None) if cohort is None else Attempt.cohort_id == cohort.id
        for user_id, module_id, percent in db.session.execute(
            select(Attempt.user_id, Attempt.module_id, Attempt.percent)
            .where(
                same_cohort,
                Attempt.user_id.in_(user_ids),
                Attempt.module_id.in_(list(quizzes)),
                Attempt.state == SUBMITTED,
                Attempt.is_pending.is_(False),
            )
            .order_by(Attempt.number)
        ):
            percents.setdefault((user_id, module_id), []).append(percent or 0.0)
    module_settings = {
        mid: cohorts.effective_quiz_settings(cohort, slugs[mid], q) if cohort else q.definition["settings"]
        for mid, q in quizzes.items()
    }
    passed: dict[int, set] = {}
    for (user_id, module_id), values in percents.items():
        if _passes(values, module_settings[module_id]):
            passed.setdefault(user_id, set()).add(module_id)
    attendance: dict = {}
    if cohort is not None:
        _sessions, rows, _info = attendance_service.attendance_report(cohort, people=people, with_marks=False)
        attendance = {row.user.id: row.percent for row in rows}
    records = {
        uid: Record(len(modules), completed.get(uid, 0), len(quizzes), len(passed.get(uid, ())), attendance.get(uid))
        for uid in user_ids
    }
    return records, {uid: passed.get(uid, set()) for uid in user_ids}, set(quizzes)


#: (quiz version id, course version) -> the quiz file's settings: a version's settings never change, and a sync
#: that changes anything of a course bumps its version. Bounded: cleared past a few thousand entries.
_QUIZ_SETTINGS: dict = {}


def _quiz_file_settings(keys: list[tuple[int, int]]) -> dict[int, dict]:
    """The settings of the given quiz versions, read once per process (one query for those not read yet)."""
    missing = [quiz_id for quiz_id, version in keys if (quiz_id, version) not in _QUIZ_SETTINGS]
    if missing:
        if len(_QUIZ_SETTINGS) > 5000:
            _QUIZ_SETTINGS.clear()
        versions = dict(keys)
        for quiz_id, definition in db.session.execute(
            select(QuizVersion.id, QuizVersion.definition).where(QuizVersion.id.in_(missing))
        ):
            _QUIZ_SETTINGS[(quiz_id, versions[quiz_id])] = dict(definition["settings"])
    return {quiz_id: _QUIZ_SETTINGS[key] for key in keys if key in _QUIZ_SETTINGS for quiz_id in key[:1]}


@functools.cache
def _submitted_percents_statement():
    """A learner's graded attempts on some modules (cohort, module, percent), oldest first: built once, its inputs
    bound parameters, so SQLAlchemy's compiled cache serves every home and module page."""
    return (
        select(Attempt.cohort_id, Attempt.module_id, Attempt.percent)
        .where(
            Attempt.user_id == bindparam("user_id"),
            Attempt.module_id.in_(bindparam("module_ids", expanding=True)),
            Attempt.state == SUBMITTED,
            Attempt.is_pending.is_(False),
        )
        .order_by(Attempt.number)
    )


def learner_standings(user, progresses: list, with_attendance: bool = True) -> dict:
    """Where ``user`` stands against their certificate in each course of ``progresses`` (content's
    ``CourseProgress``, whose rows already say which modules are read and which quiz each has): the record and
    the one eligibility rule of the cohort they work under now, as ``_records`` builds it for a whole cohort;
    with no cohort, the course's own rule on the work done outside any cohort, attendance not counted.

    Two queries whatever the number of courses and modules (the learner's cohorts, their attempts), one more the
    first time a quiz version is read, and the attendance report of each cohort whose rule asks attendance."""
    from ..content.service import Standing

    current = cohorts.current_cohorts(user.id, [p.course.id for p in progresses])
    keys = [(m.quiz_id, p.course.version) for p in progresses for m in p.modules if m.quiz_id]
    quiz_settings = _quiz_file_settings(keys)
    # A pre-test is diagnostic: it never counts among the quizzes to pass.
    counted = {
        m.id: quiz_settings[m.quiz_id]
        for p in progresses
        for m in p.modules
        if m.quiz_id in quiz_settings and quiz_settings[m.quiz_id].get("role", "graded") != "pretest"
    }
    percents: dict[tuple[int | None, int], list[float]] = {}
    if counted:
        for cohort_id, module_id, percent in read_rows(
            _submitted_percents_statement(), {"user_id": user.id, "module_ids": list(counted)}
        ):
            percents.setdefault((cohort_id, module_id), []).append(percent or 0.0)
    found = {}
    for progress in progresses:
        course = progress.course
        cohort = current.get(course.id)
        cohort_id = cohort.id if cohort is not None else None
        quizzes = {m.id: m.slug for m in progress.modules if m.id in counted}
        passed = {
            module_id
            for module_id, slug in quizzes.items()
            if _passes(
                percents.get((cohort_id, module_id), []),
                {**counted[module_id], **(cohorts.quiz_overrides_for(cohort, slug) if cohort is not None else {})},
            )
        }
        rule = cohort.completion if cohort is not None else dict(course.completion or {})
        counts_attendance = cohort is not None and cohort.mode != "online"
        attendance = None
        if with_attendance and counts_attendance and float(rule.get("attendance_percent") or 0) > 0:
            _sessions, rows, _info = attendance_service.attendance_report(
                cohort, people=[user], with_marks=False, with_session_counts=False
            )
            attendance = rows[0].percent if rows else None
        record = Record(len(progress.modules), progress.completed, len(quizzes), len(passed), attendance)
        need = requirements(rule, record.modules_total, record.quizzes_total, counts_attendance)
        status = eligibility(rule, record, counts_attendance)
        found[course.id] = Standing(
            modules_done=record.modules_completed,
            modules_needed=need.modules,
            quizzes_passed=record.quizzes_passed,
            quizzes_needed=need.quizzes,
            quizzes_total=record.quizzes_total,
            attendance=record.attendance_percent,
            attendance_needed=need.attendance,
            passed_quizzes=frozenset(passed),
            counted_quizzes=frozenset(quizzes),
            missing=tuple(status.missing),
            in_cohort=cohort is not None,
            # a certificate already issued: only asked when it can be (every condition met)
            certified=cohort is not None and status.eligible and live_certificate(user.id, cohort.id) is not None,
        )
    return found


def cohort_eligibility(cohort: Cohort) -> dict[int, Eligibility]:
    """Each learner's standing against the cohort's completion rule (attendance counts unless online)."""
    counts_attendance = cohort.mode != "online"
    return {uid: eligibility(cohort.completion, rec, counts_attendance) for uid, rec in cohort_records(cohort).items()}


def describe_missing(item) -> str:
    """One missing condition of the rule, ``(code, values)``, as a translated phrase."""
    code, values = item
    if code == "modules":
        return _("modules completed: %(have)d of %(need)d required", **values)
    if code == "quizzes":
        return _("quizzes passed: %(have)d of %(need)d required", **values)
    if values["have"] is None:
        return _("attendance: no session counted yet (%(need)s required)", need=format_percent(values["need"], 0))
    return _(
        "attendance %(have)s of %(need)s required",
        have=format_percent(values["have"], 0),
        need=format_percent(values["need"], 0),
    )


# --- issuing ---------------------------------------------------------------------------------------


def live_certificate(user_id: int, cohort_id: int) -> Certificate | None:
    """The learner's certificate for the cohort that is not revoked, or None."""
    return db.session.scalar(_LIVE_CERTIFICATE, {"user_id": user_id, "cohort_id": cohort_id})


#: ``live_certificate``'s query, built once (a learner's home asks it for each course whose conditions are met)
_LIVE_CERTIFICATE = select(Certificate).where(
    Certificate.user_id == bindparam("user_id"),
    Certificate.cohort_id == bindparam("cohort_id"),
    Certificate.revoked_at.is_(None),
)


def _localized_date(value: date, locale: str) -> str:
    """ "20 septembre 2026" / "20 شتنبر 2026": Arabic months as Morocco names them (Babel's ar_MA)."""
    return format_date(value, "long", locale=locale)


def _printed(cohort: Cohort, user: User, issued: date) -> dict:
    from ..accounts.service import jurisdiction_name

    course = cohort.course
    place = cohort.city or jurisdiction_name(cohort.jurisdiction, "fr") or ""
    # The Arabic half names the place in Arabic: the cohort's Arabic city, else its jurisdiction's Arabic name
    # (when no city is given), else the Latin name.
    place_ar = (
        cohort.city_ar
        or (jurisdiction_name(cohort.jurisdiction, "ar") if cohort.jurisdiction and not cohort.city else "")
        or cohort.city
        or ""
    )
    issuer = {}
    for locale in ("fr", "ar"):
        with force_locale(locale):
            issuer[locale] = str(_("Ministry of Justice — Judicial training programme"))
    return {
        "name_latin": user.name_latin,
        "name_arabic": user.name_arabic or "",
        "course_title": {k: v for k, v in course.title.items() if k in ("fr", "ar", "en")},
        "hours": course.hours,
        "start_date": {loc: _localized_date(cohort.start_date, loc) for loc in ("fr", "ar")},
        "end_date": {loc: _localized_date(cohort.end_date, loc) for loc in ("fr", "ar")},
        "place": {"fr": place, "ar": place_ar or place},
        "trainers": [{"fr": t.name_latin, "ar": t.name_arabic or t.name_latin} for t in cohort.trainers],
        "issuer": issuer,
        "issued_on": {loc: _localized_date(issued, loc) for loc in ("fr", "ar")},
    }


def labels() -> dict[str, dict[str, str]]:
    """The certificate's printed labels in French and in Arabic (both halves are printed)."""
    result = {}
    for locale in ("fr", "ar"):
        with force_locale(locale):
            result[locale] = {
                "title": str(_("Training certificate")),
                "awarded_to": str(_("awarded to")),
                "for_course": str(_("for completing the training course")),
                "duration": str(_("Duration")),
                "hours": str(_("hours")),
                "period": str(_("Period")),
                "from": str(_("from")),
                "to": str(_("to")),
                "place": str(_("Place")),
                "trainers": str(_("Trainers")),
                "issued_by": str(_("Issued by")),
                "issued_on": str(_("Issued on")),
                "serial": str(_("Serial number")),
                "code": str(_("Verification code")),
                "verify": str(_("Verify")),
            }
    return result


def verify_url(code: str) -> str:
    """The address printed (and put in the QR code) on the certificate: at the site's public address
    (LMS_BASE_URL; in a demo without it, the request's host), whatever host the issuing request came by."""
    from ..core.urls import external_url

    return external_url("certificates.verify_code", code=code)


def rendering_key() -> str:
    """What a stored PDF depends on besides its own data: the template and the public address it prints.
    A stored file made with another template or another address is rendered again on download."""
    from ..core.urls import public_base_url

    return hashlib.sha256(f"{template_hash()}\n{public_base_url()}".encode()).hexdigest()


def _storage() -> Path:
    folder = Path(current_app.instance_path) / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def render_and_store(certificate: Certificate) -> bytes:
    """Render the certificate's PDF from what was printed at issue (never today's data), store it, return it."""
    from .pdf import render_certificate_pdf

    context = dict(certificate.printed)
    context.update(
        serial=certificate.serial,
        verification_code=certificate.code,
        verify_url=verify_url(certificate.code),
        labels=labels(),
    )
    pdf = render_certificate_pdf(context)
    path = _storage() / f"{certificate.serial}.pdf"
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(pdf)
    temporary.replace(path)  # atomic: a reader never sees half a file
    certificate.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
    certificate.template_hash = rendering_key()
    return pdf


def pdf_bytes(certificate: Certificate) -> bytes:
    """The stored PDF; rendered again only if missing, altered, or made with an older template or address."""
    path = Path(current_app.instance_path) / "certificates" / f"{certificate.serial}.pdf"  # (made when stored)
    if path.exists() and certificate.template_hash == rendering_key():
        data = path.read_bytes()
        if hashlib.sha256(data).hexdigest() == certificate.pdf_sha256:
            return data
    data = render_and_store(certificate)
    db.session.commit()
    return data


def issue(
    cohort: Cohort, user: User, actor, *, check: bool = True, channel: str | None = None
) -> tuple[Certificate, bool]:
    """Issue (and render) the certificate; returns ``(certificate, created)``. Issuing twice returns the
    same certificate. Raises CertificateError when the learner is not eligible."""
    existing = live_certificate(user.id, cohort.id)
    if existing is not None:
        return existing, False
    if check:
        status = cohort_eligibility(cohort).get(user.id)
        if status is None:
            raise CertificateError(_("This person is not enrolled in the cohort."))
        if not status.eligible:
            raise CertificateError(
                _("Not yet eligible: %(reasons)s.", reasons="; ".join(describe_missing(m) for m in status.missing))
            )
    today = utcnow().date()
    certificate = Certificate(
        user_id=user.id,
        cohort_id=cohort.id,
        course_id=cohort.course_id,
        serial=f"TMP-{secrets.token_hex(8)}",
        code=new_code(),
        issued_by_id=getattr(actor, "id", None),
        printed=_printed(cohort, user, today),
    )
    db.session.add(certificate)
    db.session.flush()
    certificate.serial = f"TDR-{today.year}-{certificate.id:06d}"
    render_and_store(certificate)
    record(
        "certificate.issue",
        certificate,
        after={"serial": certificate.serial, "user": user.id},
        actor=actor,
        channel=channel,
    )
    tell_learner(certificate, user)
    return certificate, True


def tell_learner(certificate, learner: User) -> None:
    """Notify the learner that their certificate is issued (once per certificate; by e-mail if they take it),
    whichever way it was issued: the trainer's button, the cohort's job, the command line, or by itself."""
    locale = learner.locale or "fr"
    titles = certificate.printed["course_title"]  # as printed: {"fr": ..., "ar": ..., "en": ...}
    course = (titles.get(locale) or titles.get("fr") or "") if isinstance(titles, dict) else str(titles)
    with force_locale(locale):
        title = str(_("Your certificate is ready: %(course)s", course=course))
        body = str(
            _(
                "Download it from your certificates page. Its verification code is %(code)s.",
                code=certificate.grouped_code,
            )
        )
    notify(
        learner,
        "certificate_issued",
        f"certificate:{certificate.id}",
        title=title,
        body=body,
        link=site_path("certificates.mine"),
        mail_template="certificates/email/issued",
        subject=title,
        body_text=body,
        address=external_url("certificates.mine"),
    )


def issues_itself(cohort: Cohort, user_id: int, status) -> bool:
    """Whether the learner's certificate is issued without the trainer: the cohort asks for it, the learner
    meets the rule, and no certificate of theirs for the cohort was ever revoked (the trainer decides then)."""
    if not cohort.completion.get("auto_issue") or cohort.is_archived or status is None or not status.eligible:
        return False
    revoked = db.session.scalar(
        select(Certificate.id).where(
            Certificate.user_id == user_id, Certificate.cohort_id == cohort.id, Certificate.revoked_at.is_not(None)
        )
    )
    return revoked is None


def issue_all(cohort: Cohort, actor, progress=None) -> dict:
    """Issue a certificate to every eligible learner of the cohort who has none; counts by outcome."""
    statuses = cohort_eligibility(cohort)
    people = {u.id: u for u in cohorts.learners(cohort)}
    counts = {"issued": 0, "existing": 0, "not_eligible": 0}
    for user_id, status in statuses.items():
        if not status.eligible:
            counts["not_eligible"] += 1
        else:
            _certificate, created = issue(cohort, people[user_id], actor, check=False)
            counts["issued" if created else "existing"] += 1
        if progress is not None:
            progress(1)
    return counts


def revoke(certificate: Certificate, reason: str, actor) -> None:
    """Revoke a certificate for one of the listed reasons (idempotent); audited."""
    if reason not in REVOCATION_REASONS:
        raise CertificateError(_("Choose a reason."))
    if certificate.revoked_at is not None:
        return
    certificate.revoked_at = utcnow()
    certificate.revoked_reason = reason
    certificate.revoked_by_id = getattr(actor, "id", None)
    record(
        "certificate.revoke",
        certificate,
        before={"revoked": False},
        after={"revoked": True, "reason": reason},
        actor=actor,
    )


def reissue(certificate: Certificate, actor) -> Certificate:
    """Revoke (reason: error) and issue a new certificate with the learner's current details."""
    revoke(certificate, "error", actor)
    db.session.flush()
    cohort = db.session.get(Cohort, certificate.cohort_id)
    user = db.session.get(User, certificate.user_id)
    new, _created = issue(cohort, user, actor, check=False)
    return new


def find_by_code(typed: str) -> Certificate | None:
    """The certificate whose verification code is the one typed (normalised), or None."""
    return db.session.scalar(select(Certificate).where(Certificate.code == normalize_code(typed)[:CODE_LENGTH]))


def download_blockers(user, certificate: Certificate) -> list[tuple]:
    """What ``user`` must still do before downloading ``certificate`` (``signals.download_blocked``): nothing for
    trainers and admins, or for a certificate not theirs."""
    if certificate.user_id != user.id:
        return []
    from .signals import download_blocked

    cohort = db.session.get(Cohort, certificate.cohort_id)
    return [found for _r, found in download_blocked.send(user, certificate=certificate, cohort=cohort) if found]


def can_download(user, certificate: Certificate) -> bool:
    """The learner themself, an admin or a trainer of the cohort may download the PDF."""
    if user.is_admin or certificate.user_id == user.id:
        return True
    cohort = db.session.get(Cohort, certificate.cohort_id)
    return cohort is not None and cohorts.can_manage(user, cohort)
