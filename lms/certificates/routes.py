"""Learner's certificates, the trainer's cohort certificates page, downloads, public verification."""

from __future__ import annotations

import functools

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import bindparam, select

from ..accounts.models import User
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort, Enrolment
from ..core import jobs
from ..core.access import public, roles_required, signed_in
from ..core.database import write_transaction
from ..core.forms import ConfirmForm, require_confirmation
from ..core.jobs import BackgroundJob
from ..core.numbers import form_number
from ..core.work import unit_of_work
from ..extensions import db, limiter
from ..i18n import _, format_number, format_percent
from . import bp, service, tasks
from .models import Certificate


def reason_labels() -> dict[str, str]:
    return {
        "error": _("issued in error or with wrong details"),
        "fraud": _("obtained by fraud"),
        "withdrawn": _("withdrawn by the issuing body"),
        "other": _("other reason"),
    }


def _my_certificates() -> list[tuple]:
    """(cohort, eligibility status, live certificate) for each cohort of the signed-in learner."""
    enrolments = db.session.scalars(
        select(Cohort)
        .join(Enrolment, Enrolment.cohort_id == Cohort.id)
        .where(Enrolment.user_id == current_user.id)
        .order_by(Cohort.start_date.desc())
    ).all()
    return [
        (cohort, status, service.live_certificate(current_user.id, cohort.id))
        for cohort in enrolments
        for status in [service.cohort_eligibility(cohort).get(current_user.id)]
    ]


@bp.get("")
@signed_in
def mine():
    rows = _my_certificates()
    due = [c.id for c, status, cert in rows if cert is None and service.issues_itself(c, current_user.id, status)]
    if due:
        # A certificate the cohort issues by itself is issued here, when its learner looks for it: a write of
        # its own, taken only then (a plain view of this page reads), which checks everything again.
        user_id = current_user.id
        db.session.rollback()
        issued = False
        with write_transaction():
            learner = db.session.get(User, user_id)
            for cohort_id in due:
                cohort = db.session.get(Cohort, cohort_id)
                status = service.cohort_eligibility(cohort).get(user_id)
                if service.live_certificate(user_id, cohort_id) is None and service.issues_itself(
                    cohort, user_id, status
                ):
                    _certificate, created = service.issue(cohort, learner, None, check=False, channel="auto")
                    issued = issued or created
            db.session.commit()
        if issued:
            flash(_("Your certificate is ready: it was issued as soon as you met the conditions."), "success")
        rows = _my_certificates()
    blocked = {
        certificate.id: dict(service.download_blockers(current_user, certificate))
        for _c, _s, certificate in rows
        if certificate is not None
    }
    if any(blocked.values()):
        db.session.commit()  # rounds made for an early answer
    return render_template("certificates/mine.html", rows=rows, describe=service.describe_missing, blocked=blocked)


@bp.get("/<serial>.pdf")
@signed_in
def download(serial: str):
    # The certificate with its cohort in one statement (who may download it, and what must come first, read the
    # cohort: then from the session, not asked again).
    row = db.session.execute(_certificate_by_serial(), {"serial": serial}).first()
    certificate = row[0] if row is not None else None
    if certificate is None or not service.can_download(current_user, certificate):
        abort(404)
    for code, value in service.download_blockers(current_user, certificate):
        if code == "survey" and value is not None:
            db.session.commit()  # the survey's round, made now if the last day has not come yet
            flash(
                _(
                    "Your certificate is ready. Your trainers ask you to answer the end-of-course survey first: it "
                    "takes a few minutes, then the download opens."
                ),
                "info",
            )
            return redirect(url_for("evaluation.answer", round_id=value))
    data = service.pdf_bytes(certificate)
    response = current_app.response_class(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f"attachment; filename=certificate-{certificate.serial}.pdf"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@functools.cache
def _certificate_by_serial():
    """Built once (every download asks it): a certificate by serial, its cohort loaded with it."""
    return (
        select(Certificate, Cohort)
        .outerjoin(Cohort, Cohort.id == Certificate.cohort_id)
        .where(Certificate.serial == bindparam("serial"))
    )


@bp.get("/cohorts/<int:cohort_id>")
@roles_required("trainer", "admin")
def cohort_certificates(cohort_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    statuses = service.cohort_eligibility(cohort)
    certificates = {
        c.user_id: c
        for c in db.session.scalars(
            select(Certificate).where(Certificate.cohort_id == cohort.id).order_by(Certificate.id)
        )
    }
    revoked = db.session.scalars(
        select(Certificate).where(Certificate.cohort_id == cohort.id, Certificate.revoked_at.is_not(None))
    ).all()
    live = {uid: c for uid, c in certificates.items() if c.revoked_at is None}
    return render_template(
        "certificates/cohort.html",
        cohort=cohort,
        people=cohorts.learners(cohort),
        statuses=statuses,
        live=live,
        revoked=revoked,
        describe=service.describe_missing,
        form=ConfirmForm(),
        reasons=reason_labels(),
        running=jobs.active_job(tasks.KIND, cohort.id),
    )


@bp.post("/cohorts/<int:cohort_id>/issue")
@roles_required("trainer", "admin")
def issue(cohort_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    require_confirmation()
    user_id = form_number("user")
    if user_id:
        user = db.session.get(User, user_id)
        if user is None:
            abort(404)
        with unit_of_work(service.CertificateError) as work:
            certificate, created = service.issue(cohort, user, current_user)
            work.flash(
                _("Certificate %(serial)s issued.", serial=certificate.serial)
                if created
                else _("Certificate %(serial)s was already issued.", serial=certificate.serial)
            )
    else:
        # Every eligible learner: a background job (one per cohort at a time), whose progress the next page shows.
        with unit_of_work() as work:
            job, created = tasks.start_issue(cohort, current_user)
            job_id = job.id
            if not created:
                work.flash(
                    _("The certificates of this cohort are already being issued: here is how far it has gone."), "info"
                )
        if work.ok:
            return redirect(url_for("certificates.job_page", job_id=job_id))
    return redirect(url_for("certificates.cohort_certificates", cohort_id=cohort.id))


# --- a cohort's certificates issued in the background -------------------------------------------------


def _visible_job(job_id: int) -> tuple[BackgroundJob, Cohort | None]:
    """The job and its cohort, if the signed-in person may follow it: who started it, a trainer of the cohort, an
    admin (404 when there is no such job, 403 otherwise)."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None or job.kind != tasks.KIND:
        abort(404)
    cohort = db.session.get(Cohort, job.subject_id) if job.subject_id is not None else None
    allowed = (
        current_user.is_admin
        or (job.owner_id is not None and job.owner_id == current_user.id)
        or (cohort is not None and cohorts.can_manage(current_user, cohort))
    )
    if not allowed:
        abort(403)
    return job, cohort


def _job_texts(job: BackgroundJob) -> dict[str, str]:
    """What the progress page says, in the person's language (also sent to the page's script)."""
    states = {
        jobs.QUEUED: _("Waiting to start"),
        jobs.RUNNING: _("In progress"),
        jobs.FINISHED: _("Finished"),
        jobs.FAILED: _("Stopped by an error"),
    }
    counts = tasks.counts_of(job)
    if job.state == jobs.FINISHED:
        message = _(
            "%(issued)d certificates issued, %(existing)d already issued, %(not_eligible)d learners not yet eligible.",
            **counts,
        )
    elif job.state == jobs.FAILED:
        message = _(
            "The issuing stopped: %(issued)d certificates were issued before the error. Start it again to go on; "
            "no certificate is issued twice.",
            **counts,
        )
    else:
        message = _("You may leave this page: the certificates are issued even when nobody watches.")
    return {
        "count": _(
            "%(done)s of %(total)s learners", done=format_number(job.done, 0), total=format_number(job.total, 0)
        ),
        "state_label": states.get(job.state, job.state),
        "percent_text": format_percent(job.percent, 0),
        "message": message,
    }


@bp.get("/jobs/<int:job_id>")
@roles_required("trainer", "admin")
def job_page(job_id: int):
    found, cohort = _visible_job(job_id)
    return render_template(
        "certificates/job.html", job=found, cohort=cohort, texts=_job_texts(found), form=ConfirmForm()
    )


@bp.get("/jobs/<int:job_id>.json")
@roles_required("trainer", "admin")
def job_status(job_id: int):
    found, _cohort = _visible_job(job_id)
    return jsonify(
        id=found.id,
        state=found.state,
        done=found.done,
        total=found.total,
        percent=found.percent,
        active=found.is_active,
        **_job_texts(found),
    )


def _certificate_of(cohort: Cohort, certificate_id: int) -> Certificate:
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.cohort_id != cohort.id:
        abort(404)
    return certificate


@bp.post("/cohorts/<int:cohort_id>/<int:certificate_id>/revoke")
@roles_required("trainer", "admin")
def revoke(cohort_id: int, certificate_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    certificate = _certificate_of(cohort, certificate_id)
    require_confirmation()
    with unit_of_work(service.CertificateError) as work:
        if request.form.get("reissue") == "1":
            new = service.reissue(certificate, current_user)
            work.flash(_("Certificate revoked and reissued as %(serial)s.", serial=new.serial))
        else:
            service.revoke(certificate, request.form.get("reason", ""), current_user)
            work.flash(_("Certificate %(serial)s revoked.", serial=certificate.serial))
    return redirect(url_for("certificates.cohort_certificates", cohort_id=cohort.id))


# --- public verification ---------------------------------------------------------------------------


def _verification(certificate: Certificate | None) -> dict:
    if certificate is None:
        return {"status": "unknown"}
    printed = certificate.printed
    data = {
        "status": "revoked" if certificate.revoked_at else "valid",
        "serial": certificate.serial,
        "name_latin": printed["name_latin"],
        "name_arabic": printed.get("name_arabic") or "",
        "course_title": printed["course_title"],
        "hours": printed["hours"],
        "start_date": printed["start_date"],
        "end_date": printed["end_date"],
        "place": printed["place"],
        "issuer": printed["issuer"],
        "issued_on": printed["issued_on"],
    }
    if certificate.revoked_at:
        data["revoked_on"] = certificate.revoked_at.date().isoformat()
        data["revocation_reason"] = certificate.revoked_reason
    return data


@bp.get("/verify")
@public
@limiter.limit("30 per minute")
def verify():
    code = request.args.get("code", "").strip()
    if code:
        return redirect(
            url_for("certificates.verify_code", code=service.normalize_code(code)[: service.CODE_LENGTH] or "-")
        )
    return render_template("certificates/verify.html", result=None, code="")


@bp.get("/verify/<code>")
@public
@limiter.limit("30 per minute")
def verify_code(code: str):
    # One indexed lookup whatever the code: a known and an unknown code cost the same.
    result = _verification(service.find_by_code(code))
    if result["status"] == "unknown" and service.looks_like_serial(code):
        result["hint"] = "serial_number"  # the serial was typed where the verification code goes
    wants_json = request.args.get("format") == "json" or request.accept_mimetypes.best == "application/json"
    if wants_json:
        return jsonify(result), 200 if result["status"] != "unknown" else 404
    status = 200 if result["status"] != "unknown" else 404
    return render_template("certificates/verify.html", result=result, code=code, reasons=reason_labels()), status
