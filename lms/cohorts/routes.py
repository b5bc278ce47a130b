"""Trainer pages for cohorts, sessions and attendance; the learner's check-in page."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import (
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_login import current_user
from sqlalchemy import select

from ..accounts import lockout
from ..accounts import service as accounts
from ..accounts.forms import InviteLearnerForm
from ..accounts.models import User
from ..accounts.names import display_name, name_sort_key
from ..content import service as content
from ..content.models import Course, Module
from ..core.access import public, roles_required, signed_in
from ..core.forms import ConfirmForm, safe_next_url
from ..core.numbers import whole_number
from ..core.timeutil import utcnow
from ..extensions import db, limiter
from ..i18n import _
from . import bp, checkin, previews, service
from .forms import CheckinForm, CohortForm, ImportForm, MessageForm, SessionForm, WalkInForm
from .importing import ImportFileError, neutralize_cell, parse_enrolment_file
from .models import STATUSES, Cohort, Enrolment, WorkshopSession
from .service import CohortError
from .vocabulary import city_name

IMPORT_ERRORS = {
    "encoding": lambda: _('The file is not UTF-8 text. In Excel, save it as "CSV UTF-8" or as .xlsx.'),
    "empty": lambda: _("The file is empty."),
    "header": lambda: _("The first row must name the columns, with at least an e-mail and a name column."),
    "xlsx": lambda: _("This .xlsx file cannot be read. Open it in Excel and save it again."),
    "binary": lambda: _("This file is not a spreadsheet. Send a .csv or .xlsx file."),
    "too_many": lambda: _("The file has too many rows (at most 2,000)."),
    "too_many_columns": lambda: _("The file has too many columns (at most 50)."),
    "cell_too_long": lambda: _("A cell of the file is too long (at most 1,000 characters)."),
    "too_big": lambda: _("The file is too large (at most 4 MB for a CSV file)."),
    "xlsx_bomb": lambda: _(
        "This .xlsx file is not an ordinary spreadsheet: once unpacked it is far too large. "
        "Copy the list into a new workbook and send that one."
    ),
}
ROW_ERRORS = {
    "email": lambda: _("invalid e-mail address"),
    "name": lambda: _("name missing"),
    "name_latin": lambda: _("no name in Latin script (it is printed on the certificate)"),
    "name_long": lambda: _("name too long"),
    "profession": lambda: _("unknown profession"),
    "jurisdiction": lambda: _("unknown jurisdiction"),
    "gender": lambda: _("unknown gender"),
}
#: an optional value the import did not understand: the row is kept with the field empty
ROW_WARNINGS = {
    ("profession", "unknown"): lambda: _("not recognised: the profession is left empty."),
    ("profession", "ambiguous"): lambda: _(
        "a judge or a prosecutor? The profession is left empty: the person can choose it in their profile."
    ),
    ("jurisdiction", "unknown"): lambda: _("not recognised: the jurisdiction is left empty."),
    ("jurisdiction", "ambiguous"): lambda: _("names more than one court of appeal: the jurisdiction is left empty."),
    ("gender", "unknown"): lambda: _("not recognised: the gender is left empty."),
}


def _accepted_values() -> dict[str, str]:
    """What the import understands, column by column, as the preview lists it in the page's language."""
    return {
        "profession": ", ".join(str(label) for label in accounts.profession_labels().values()),
        "jurisdiction": ", ".join(city_name(entry, _locale()) for entry in accounts.jurisdictions()),
        "gender": ", ".join(str(label) for label in accounts.gender_labels().values()),
    }


def _locale() -> str:
    return str(get_locale() or "fr")


def _cohort(cohort_id: int) -> Cohort:
    """The cohort, if the current user manages it (one place for the object-level rule)."""
    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        abort(404)
    if not service.can_manage(current_user, cohort):
        abort(403)
    return cohort


def _session(session_id: int) -> WorkshopSession:
    session = db.session.get(WorkshopSession, session_id)
    if session is None:
        abort(404)
    if not service.can_manage(current_user, session.cohort):
        abort(403)
    return session


def _trainer_choices():
    return db.session.scalars(
        select(User).where(User.is_trainer.is_(True), User.is_active.is_(True)).order_by(User.name_latin)
    ).all()


# --- cohorts -------------------------------------------------------------------------------------


def _cohort_form(cohort: Cohort | None = None) -> CohortForm:
    courses = db.session.scalars(select(Course).where(Course.is_archived.is_(False)).order_by(Course.slug)).all()
    form = CohortForm(
        obj=cohort,
        courses=courses,
        trainers=_trainer_choices(),
        jurisdictions=accounts.jurisdictions(),
        locale=_locale(),
    )
    if request.method == "GET":
        if cohort is not None:
            form.course.data = cohort.course_id
            form.trainers.data = [t.id for t in cohort.trainers]
            form.require_modules.data = cohort.completion.get("modules") == "all"
            form.require_quizzes.data = cohort.completion.get("quizzes_passed") == "all"
            form.attendance_percent.data = cohort.completion.get("attendance_percent", 0)
            form.auto_issue.data = bool(cohort.completion.get("auto_issue"))
            form.excused_absences.data = service.excused_policy(cohort)
        elif current_user.is_trainer:
            form.trainers.data = [current_user.id]
    return form


def _save_cohort_from(form: CohortForm, cohort: Cohort | None):
    course = db.session.get(Course, form.course.data)
    if course is None:
        form.course.errors = [_("Choose a course.")]
        return None
    trainer_ids = set(form.trainers.data or [])
    if not current_user.is_admin:
        trainer_ids.add(current_user.id)  # a trainer cannot create a cohort they would not manage
    trainers = db.session.scalars(select(User).where(User.id.in_(trainer_ids), User.is_trainer.is_(True))).all()
    try:
        return service.save_cohort(
            cohort,
            current_user,
            course=course,
            trainers=trainers,
            title=form.title.data.strip(),
            start_date=form.start_date.data,
            end_date=form.end_date.data,
            mode=form.mode.data,
            jurisdiction=form.jurisdiction.data or None,
            city=(form.city.data or "").strip() or None,
            venue=(form.venue.data or "").strip() or None,
            city_ar=(form.city_ar.data or "").strip() or None,
            venue_ar=(form.venue_ar.data or "").strip() or None,
            language=form.language.data,
            excused_absences=form.excused_absences.data,
            completion={
                "modules": "all" if form.require_modules.data else 0,
                "quizzes_passed": "all" if form.require_quizzes.data else 0,
                "attendance_percent": form.attendance_percent.data or 0,
                "auto_issue": bool(form.auto_issue.data),
            },
        )
    except CohortError as error:
        db.session.rollback()
        form.end_date.errors = [str(error)]
        return None


@bp.route("/cohorts/new", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def new_cohort():
    form = _cohort_form()
    if form.validate_on_submit():
        cohort = _save_cohort_from(form, None)
        if cohort is not None:
            db.session.commit()
            flash(_("Cohort created."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def edit_cohort(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = _cohort_form(cohort)
    if form.validate_on_submit():
        if _save_cohort_from(form, cohort) is not None:
            db.session.commit()
            flash(_("Cohort saved."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort)


@bp.get("/cohorts/<int:cohort_id>")
@roles_required("trainer", "admin")
def detail(cohort_id: int):
    cohort = _cohort(cohort_id)
    sessions, rows, info = service.attendance_report(cohort)
    learners = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    return render_template(
        "cohorts/detail.html",
        cohort=cohort,
        locked={user.id for user, _failures, _last in lockout.locked_accounts(learners)},
        sessions=sessions,
        rows=rows,
        info=info,
        enrol_form=InviteLearnerForm(locale=_locale()),
        walk_in_form=_walk_in_form(),
        confirm=ConfirmForm(),
        local=service.utc_to_local,
        now=utcnow(),
        explain=service.explain_attendance,
    )


def _walk_in_form() -> WalkInForm:
    form = WalkInForm(prefix="walkin")
    form.profession.choices = [("", _("— Choose —"))] + list(accounts.profession_labels().items())
    key = "ar" if _locale() == "ar" else "fr"
    form.jurisdiction.choices = [("", _("— Not applicable —"))] + [
        (j["code"], j[key]) for j in accounts.jurisdictions()
    ]
    return form


@bp.post("/cohorts/<int:cohort_id>/enrol")
@roles_required("trainer", "admin")
def enrol(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = InviteLearnerForm(locale=_locale())
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {' '.join(map(str, errors))}", "error")
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id) + "#enrol")
    user = accounts.get_user_by_email(form.email.data)
    try:
        if user is None:
            user = accounts.create_user(
                form.email.data,
                form.name_latin.data,
                **form.profile_values(),
                actor=current_user,
            )
            accounts.invite_user(user, current_user)
        added = service.enrol(cohort, user, current_user)
    except accounts.AccountError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id) + "#enrol")
    db.session.commit()
    flash(
        _("%(name)s is enrolled.", name=display_name(user, _locale()))
        if added
        else _("%(name)s was already enrolled.", name=display_name(user, _locale())),
        "success" if added else "info",
    )
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/unenrol/<int:user_id>")
@roles_required("trainer", "admin")
def unenrol(cohort_id: int, user_id: int):
    cohort = _cohort(cohort_id)
    if ConfirmForm().validate_on_submit():
        service.unenrol(cohort, user_id, current_user)
        db.session.commit()
        flash(_("Enrolment removed. The person's attendance and results are kept."), "info")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/learners/<int:user_id>/sign-in-lock")
@roles_required("trainer", "admin")
def lift_sign_in_lock(cohort_id: int, user_id: int):
    """A learner of the cohort mistyped their password too often: their trainer lets them try again (audited).
    Only a learner enrolled in a cohort the trainer manages; anyone else's lock is the admin's."""
    cohort = _cohort(cohort_id)
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user_id)
    )
    if enrolment is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        lockout.lift_account(enrolment.user, current_user)
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=enrolment.user.name_latin), "success")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/attendance/warn")
@roles_required("trainer", "admin")
def warn_low_attendance(cohort_id: int):
    from ..i18n import ngettext
    from . import warnings

    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    result = warnings.warn_low_attendance(cohort, current_user)
    db.session.commit()
    if result.sent:
        flash(
            ngettext(
                "%(num)d learner below the threshold was e-mailed.",
                "%(num)d learners below the threshold were e-mailed.",
                len(result.sent),
            ),
            "success",
        )
    if result.recent:
        flash(
            ngettext(
                "%(num)d learner was already e-mailed in the last 7 days: not again.",
                "%(num)d learners were already e-mailed in the last 7 days: not again.",
                len(result.recent),
            ),
            "info",
        )
    if result.unreachable:
        names = ", ".join(display_name(u, _locale()) for u in result.unreachable)
        flash(_("No e-mail address to write to: %(names)s.", names=names), "warning")
    if result.failed:
        names = ", ".join(display_name(u, _locale()) for u in result.failed)
        flash(_("The e-mail could not be sent to: %(names)s. Try again later.", names=names), "warning")
    if not (result.sent or result.recent or result.unreachable or result.failed):
        flash(_("No learner is below the attendance threshold."), "info")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id) + "#h-learners")


@bp.post("/cohorts/<int:cohort_id>/learners/<int:user_id>/message")
@roles_required("trainer", "admin")
@limiter.limit("60 per hour", key_func=lambda: f"message:{current_user.id}")
def message_learner(cohort_id: int, user_id: int):
    """A trainer writes to one learner of a cohort they manage (from the learner's page)."""
    cohort = _cohort(cohort_id)
    learner = db.session.get(User, user_id)
    if learner is None or learner.id not in {u.id for u in service.learners(cohort)}:
        abort(404)
    form = MessageForm()
    back = safe_next_url(form.next.data, "") or url_for("cohorts.detail", cohort_id=cohort.id)
    if not form.validate_on_submit():
        flash(_("Write a subject and a message."), "error")
        return redirect(back)
    try:
        service.message_learner(cohort, learner, current_user, form.subject.data, form.body.data)
    except CohortError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(_("Your e-mail to %(name)s is sent.", name=learner.name_latin), "success")
    return redirect(back)


@bp.post("/cohorts/<int:cohort_id>/walk-in")
@roles_required("trainer", "admin")
def walk_in(cohort_id: int):
    cohort = _cohort(cohort_id)
    form = _walk_in_form()
    if form.validate_on_submit():
        try:
            user = service.add_walk_in(
                cohort,
                current_user,
                name_latin=form.name_latin.data,
                name_arabic=form.name_arabic.data or "",
                profession=form.profession.data or None,
                jurisdiction=form.jurisdiction.data or None,
                email=form.email.data or "",
            )
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is added to the cohort.", name=display_name(user, _locale())), "success")
    else:
        flash(_("Enter at least the person's name."), "error")
    back = safe_next_url(request.form.get("next"), "")
    if not back.startswith("/sessions/"):
        back = url_for("cohorts.detail", cohort_id=cohort.id)
    return redirect(back)


# --- import ---------------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/import", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def import_people(cohort_id: int):
    cohort = _cohort(cohort_id)
    previews.purge_expired()
    form = ImportForm()
    rows, token, problem = None, None, None
    if form.validate_on_submit():
        previews.discard(cohort.id, current_user.id)  # a new file replaces the trainer's earlier preview
        upload = form.file.data
        data = upload.read()
        try:
            rows = service.classify_rows(
                cohort, parse_enrolment_file(upload.filename or "", data, list(accounts.jurisdictions()))
            )
        except ImportFileError as error:
            problem = IMPORT_ERRORS[str(error.args[0])]()
        else:
            if any(row.status in ("new", "existing") for row in rows):
                # Nothing is written to the database until the trainer confirms; the file waits (a day at most).
                suffix = ".xlsx" if data[:2] == b"PK" else ".csv"
                token = previews.save(cohort.id, current_user.id, data, suffix)
    return render_template(
        "cohorts/import.html",
        cohort=cohort,
        form=form,
        rows=rows,
        token=token,
        problem=problem,
        row_errors=ROW_ERRORS,
        row_warnings=ROW_WARNINGS,
        accepted=_accepted_values() if rows else {},
        gender_labels=accounts.gender_labels,
        confirm=ConfirmForm(),
        preview_hours=int(previews.max_age_seconds() // 3600),
    )


@bp.get("/cohorts/import-template-<language>.<fmt>")
@roles_required("trainer", "admin")
def import_template(language: str, fmt: str):
    """A blank list to fill in, with the header row the importer reads, in French or Arabic."""
    from . import import_template as template

    if language not in ("fr", "ar") or fmt not in ("csv", "xlsx"):
        abort(404)
    if fmt == "csv":
        data, mimetype = template.template_csv(language), "text/csv"
    else:
        data = template.template_xlsx(language)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return current_app.response_class(
        data,
        mimetype=mimetype,
        headers={"Content-Disposition": f"attachment; filename=tadrib-learners-{language}.{fmt}"},
    )


@bp.post("/cohorts/<int:cohort_id>/import/confirm")
@roles_required("trainer", "admin")
def confirm_import(cohort_id: int):
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    path = previews.find(cohort.id, current_user.id, request.form.get("token", ""))
    if path is None:
        flash(_("This preview has expired: send the file again."), "warning")
        return redirect(url_for("cohorts.import_people", cohort_id=cohort.id))
    try:
        rows = parse_enrolment_file(path.name, path.read_bytes(), list(accounts.jurisdictions()))
    except ImportFileError as error:  # the limits changed since the preview
        flash(IMPORT_ERRORS[str(error.args[0])](), "error")
        return redirect(url_for("cohorts.import_people", cohort_id=cohort.id))
    finally:
        path.unlink(missing_ok=True)  # used once: confirmed, or unreadable
    counts = service.import_rows(cohort, rows, current_user)
    db.session.commit()
    flash(
        _(
            "Import done: %(created)d new accounts invited, %(enrolled)d people enrolled, "
            "%(unchanged)d already enrolled, %(skipped)d rows skipped.",
            **counts,
        ),
        "success",
    )
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/cohorts/<int:cohort_id>/import/cancel")
@roles_required("trainer", "admin")
def cancel_import(cohort_id: int):
    cohort = _cohort(cohort_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    previews.discard(cohort.id, current_user.id, request.form.get("token", ""))
    flash(_("Import cancelled: the file is deleted."), "success")
    return redirect(url_for("cohorts.import_people", cohort_id=cohort.id))


# --- sessions --------------------------------------------------------------------------------------


def _module_titles(modules: list[Module]) -> list[tuple[Module, str]]:
    """Each module with its title in the page's language (French when it has none), in one query."""
    titles = content.module_titles(modules, str(get_locale() or "fr"))
    return [(m, titles[m.id]) for m in modules]


def _session_form(cohort: Cohort, session: WorkshopSession | None = None) -> SessionForm:
    form = SessionForm()
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == cohort.course_id, Module.is_archived.is_(False))
        .order_by(Module.position)
    ).all()
    form.modules.choices = [(m.slug, f"{m.position}. {title}") for m, title in _module_titles(modules)]
    if request.method == "GET" and session is not None:
        start, end = service.utc_to_local(session.starts_at), service.utc_to_local(session.ends_at)
        form.title.data, form.day.data, form.start.data, form.end.data = (
            session.title,
            start.date(),
            start.time(),
            end.time(),
        )
        form.place.data, form.modules.data = session.place, session.modules
        form.late_after_minutes.data = session.late_after_minutes
    elif request.method == "GET":
        form.place.data = cohort.venue
    return form


@bp.route("/cohorts/<int:cohort_id>/sessions/new", methods=["GET", "POST"])
@bp.route("/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def edit_session(cohort_id: int | None = None, session_id: int | None = None):
    session = _session(session_id) if session_id else None
    cohort = session.cohort if session else _cohort(cohort_id)
    form = _session_form(cohort, session)
    if form.validate_on_submit():
        try:
            service.save_session(
                cohort,
                session,
                current_user,
                title=form.title.data.strip(),
                day=form.day.data,
                start=form.start.data,
                end=form.end.data,
                place=(form.place.data or "").strip(),
                modules=form.modules.data or [],
                late_after_minutes=form.late_after_minutes.data or 0,
                trainer_id=current_user.id if current_user.is_trainer else None,
            )
        except CohortError as error:
            db.session.rollback()
            form.end.errors = [str(error)]
        else:
            db.session.commit()
            flash(_("Session saved."), "success")
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/session_form.html", form=form, cohort=cohort, session=session)


@bp.get("/cohorts/<int:cohort_id>/calendar.ics")
@roles_required("trainer", "admin")
def calendar(cohort_id: int):
    cohort = _cohort(cohort_id)
    body = service.ics_calendar(cohort, url_for("cohorts.detail", cohort_id=cohort.id, _external=True))
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f"attachment; filename=cohort-{cohort.id}.ics"},
    )


@bp.get("/my/calendar.ics")
@signed_in
def my_calendar():
    """The signed-in learner's own workshops, across their cohorts (the home page links to it)."""
    from ..core.urls import external_url

    body = service.learner_ics_calendar(
        current_user.id, str(_("Tadrib — my workshops")), _locale(), external_url("content.dashboard")
    )
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={
            "Content-Disposition": "attachment; filename=tadrib-my-workshops.ics",
            "Cache-Control": "private, no-store",
        },
    )


# --- attendance --------------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def attendance(session_id: int):
    session = _session(session_id)
    people = service.learners(session.cohort)
    paper = request.values.get("paper") == "1"
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        enrolled_ids = {u.id for u in people}
        changed = 0
        for user in people:
            status = request.form.get(f"status-{user.id}")
            if status in STATUSES:
                changed += service.record_attendance(
                    session,
                    user.id,
                    status,
                    current_user,
                    note=request.form.get(f"note-{user.id}"),
                    method="paper" if paper else "trainer",
                    enrolled_ids=enrolled_ids,
                )
        db.session.commit()
        flash(ngettext_changes(changed), "success")
        return redirect(url_for("cohorts.attendance", session_id=session.id, paper="1" if paper else None))
    query = (request.args.get("q") or "").strip()
    if query:
        folded = query.casefold()
        people = [u for u in people if folded in u.name_latin.casefold() or folded in (u.name_arabic or "")]
    return render_template(
        "cohorts/attendance.html",
        session=session,
        cohort=session.cohort,
        people=people,
        marks=service.attendance_of(session),
        statuses=STATUSES,
        paper=paper,
        q=query,
        form=ConfirmForm(),
        walk_in_form=_walk_in_form(),
        local=service.utc_to_local,
    )


def ngettext_changes(count: int) -> str:
    from ..i18n import ngettext

    return ngettext("%(num)d change saved.", "%(num)d changes saved.", count)


@bp.post("/sessions/<int:session_id>/attendance/<int:user_id>")
@roles_required("trainer", "admin")
def mark_one(session_id: int, user_id: int):
    """One tap on the tablet (JavaScript): save one person's status and note at once."""
    session = _session(session_id)
    try:
        service.record_attendance(
            session,
            user_id,
            request.form.get("status", ""),
            current_user,
            note=request.form.get("note"),
            method="paper" if request.form.get("paper") == "1" else "trainer",
        )
    except CohortError as error:
        db.session.rollback()
        return jsonify(ok=False, message=str(error)), 400
    db.session.commit()
    return jsonify(ok=True, message=_("Saved"))


@bp.post("/sessions/<int:session_id>/attendance/all-present")
@roles_required("trainer", "admin")
def all_present(session_id: int):
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        changed = service.mark_all_present(session, current_user)
        db.session.commit()
        flash(ngettext_changes(changed), "success")
    return redirect(url_for("cohorts.attendance", session_id=session.id))


#: the languages a sign-in sheet is printed in
SHEET_LANGUAGES = ("fr", "ar")


@bp.get("/sessions/<int:session_id>/sheet.pdf")
@roles_required("trainer", "admin")
def sign_in_sheet(session_id: int):
    from ..core.pdf import html_to_pdf

    session = _session(session_id)
    cohort = session.cohort
    # The trainer chooses the sheet's language (links on the attendance page); by default the cohort's.
    language = request.args.get("lang")
    if language not in SHEET_LANGUAGES:
        language = cohort.language if cohort.language in SHEET_LANGUAGES else "fr"
    with force_locale(language):
        html = render_template(
            "cohorts/sheet.html",
            session=session,
            cohort=cohort,
            # ordered by the name printed first: the Arabic one on an Arabic sheet
            people=sorted(service.learners(cohort), key=lambda u: name_sort_key(u, cohort.language)),
            local=service.utc_to_local,
            locale=language,
            place=cohort.session_place(session.place, language),
        )
    pdf = html_to_pdf(html)
    return current_app.response_class(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f"inline; filename=sign-in-sheet-{session.id}-{language}.pdf"},
    )


# --- self check-in ------------------------------------------------------------------------------------


@bp.get("/sessions/<int:session_id>/checkin-screen")
@roles_required("trainer", "admin")
def checkin_screen(session_id: int):
    """The code and QR for the room. ``?mode=projector``: the same, full screen, for a projector: the code and
    QR as large as the screen allows, the instruction in French and Arabic, how many have checked in."""
    import segno

    session = _session(session_id)
    now = utcnow()
    available = service.checkin_available(session, now)
    code = checkin.current_code(session.checkin_secret, now) if available else None
    qr = None
    if code:
        link = url_for("cohorts.checkin_page", code=code, s=session.id, _external=True)
        qr = segno.make(link, error="m").svg_inline(scale=6, dark="#1c2430", light="#ffffff", omitsize=True)
    refresh = checkin.seconds_left(now) if available else 30
    marks = service.attendance_of(session)
    checked_in = sum(1 for mark in marks.values() if mark.status in ("present", "late"))
    enrolled = len(service.learners(session.cohort))
    if request.args.get("mode") == "projector":
        instructions = []
        for language in ("fr", "ar"):
            with force_locale(language):
                instructions.append(
                    {
                        "lang": language,
                        "dir": "rtl" if language == "ar" else "ltr",
                        "how": _("Scan the QR code, or sign in to Tadrib, open “Check in” and type this code."),
                        "count": _("%(count)s of %(total)s checked in", count=checked_in, total=enrolled),
                    }
                )
        return render_template(
            "cohorts/checkin_projector.html",
            session=session,
            code=code,
            qr=qr,
            available=available,
            refresh=refresh,
            instructions=instructions,
            address=url_for("cohorts.checkin_page", _external=True),
        )
    return render_template(
        "cohorts/checkin_screen.html",
        session=session,
        code=code,
        qr=qr,
        available=available,
        refresh=refresh,
        checked_in=checked_in,
        enrolled=enrolled,
        form=ConfirmForm(),
        window=service.checkin_window(session),
        local=service.utc_to_local,
    )


@bp.post("/sessions/<int:session_id>/checkin-toggle")
@roles_required("trainer", "admin")
def checkin_toggle(session_id: int):
    session = _session(session_id)
    if ConfirmForm().validate_on_submit():
        service.set_checkin_open(session, request.form.get("open") == "1", current_user)
        db.session.commit()
    return redirect(url_for("cohorts.checkin_screen", session_id=session.id))


def _checkin_key() -> str:
    return f"checkin:{current_user.get_id() if current_user.is_authenticated else request.remote_addr}"


def _scan_signer():
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(current_app.secret_key, salt="tadrib-checkin-scan")


def _read_scan(token: str | None) -> dict | None:
    """The QR scan a person made before signing in: {"s": session id, "c": code, "t": scan time}, or None when
    missing, forged or older than the pass lasts."""
    from itsdangerous import BadSignature

    if not token:
        return None
    try:
        scan = _scan_signer().loads(token, max_age=service.CHECKIN_PASS_SECONDS)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(scan, dict) or not {"s", "c", "t"} <= set(scan):
        return None
    return scan


@bp.route("/checkin", methods=["GET", "POST"])
@public
@limiter.limit("10 per minute", methods=["POST"], key_func=_checkin_key)
def checkin_page():
    """Self check-in with the code on the trainer's screen, typed or scanned (the QR opens this page with the
    code). Someone not signed in who scans a valid code is sent to sign in with a signed record of the scan in
    the address: the code is honoured for them for CHECKIN_PASS_SECONDS, for that session only, once."""
    now = utcnow()
    if not current_user.is_authenticated:
        code, raw_session = request.args.get("code", "")[:20], request.args.get("s", "")[:12]
        session_id = whole_number(raw_session, "s", strict=False) if raw_session.isdigit() else None
        if request.method == "GET" and code and session_id:
            if service.scan_is_valid(session_id, code, now):
                token = _scan_signer().dumps({"s": session_id, "c": code, "t": int(now.timestamp())})
                flash(
                    _(
                        "Sign in to finish checking in: the code you scanned stays valid for %(minutes)d minutes.",
                        minutes=service.CHECKIN_PASS_SECONDS // 60,
                    ),
                    "info",
                )
                return redirect(url_for("accounts.login", next=url_for("cohorts.checkin_page", scan=token)))
            flash(
                _(
                    "This code has expired: the code changes every minute. "
                    "Sign in, then type the code shown on the screen now."
                ),
                "warning",
            )
        return redirect(url_for("accounts.login", next=url_for("cohorts.checkin_page")))
    form = CheckinForm()
    scan = _read_scan(request.values.get("scan"))
    if request.method == "GET":
        if request.args.get("scan") and scan is None:
            flash(_("Your scan has expired. Type the code shown on the trainer's screen now."), "warning")
        if scan is not None:
            form.code.data, form.session.data, form.scan.data = scan["c"], str(scan["s"]), request.args["scan"]
        else:
            form.code.data = request.args.get("code", "")[:20]
            form.session.data = request.args.get("s", "")[:12]
    if form.validate_on_submit():
        raw = form.session.data or ""
        session_id = whole_number(raw, "s") if raw.isdigit() else None
        scanned_at = None
        if scan is not None and scan["s"] == session_id and scan["c"] == form.code.data:
            scanned_at = datetime.fromtimestamp(scan["t"], tz=UTC).replace(tzinfo=None)
        try:
            session, status = service.check_in(
                current_user, form.code.data, now=now, session_id=session_id, scanned_at=scanned_at
            )
        except CohortError as error:
            db.session.rollback()
            form.code.errors = [str(error)]
        else:
            db.session.commit()
            message = _("You are checked in: present.") if status == "present" else _("You are checked in: late.")
            flash(message, "success")
            return redirect(url_for("cohorts.checkin_page"))
    until = None
    if scan is not None:
        from flask_babel import format_time

        expires = datetime.fromtimestamp(scan["t"] + service.CHECKIN_PASS_SECONDS, tz=UTC).replace(tzinfo=None)
        until = format_time(expires, "short")
    return render_template("cohorts/checkin.html", form=form, scan_until=until)


# --- reports ----------------------------------------------------------------------------------------------


def _report_table(cohort: Cohort):
    sessions, rows, info = service.attendance_report(cohort)
    labels = {"present": _("present"), "late": _("late"), "excused": _("excused"), "absent": _("absent")}
    header = (
        [_("Name"), _("Name (Arabic script)"), _("E-mail address")]
        + [f"{s.title} ({service.utc_to_local(s.starts_at):%Y-%m-%d})" for s in sessions]
        + [_("Attendance (%)"), _("Below the threshold")]
    )
    table = []
    for row in rows:
        marks = info["marks"].get(row.user.id, {})
        table.append(
            [row.user.name_latin, row.user.name_arabic or "", row.user.email]
            + [labels.get(marks.get(s.id, ""), "") if s.id in info["held"] or s.id in marks else "" for s in sessions]
            + ["" if row.percent is None else row.percent, _("yes") if row.below else ""]
        )
    return header, [[neutralize_cell(cell) for cell in line] for line in table]


@bp.get("/cohorts/<int:cohort_id>/attendance.csv")
@roles_required("trainer", "admin")
def attendance_csv(cohort_id: int):
    cohort = _cohort(cohort_id)
    header, table = _report_table(cohort)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([neutralize_cell(h) for h in header])
    writer.writerows(table)
    # A BOM so that Excel opens the Arabic names as UTF-8.
    body = "\ufeff" + buffer.getvalue()
    return current_app.response_class(
        body.encode("utf-8"),
        mimetype="text/csv",
        headers={"Content-Disposition": f"attachment; filename=attendance-cohort-{cohort.id}.csv"},
    )


@bp.get("/cohorts/<int:cohort_id>/attendance.xlsx")
@roles_required("trainer", "admin")
def attendance_xlsx(cohort_id: int):
    from openpyxl import Workbook

    cohort = _cohort(cohort_id)
    header, table = _report_table(cohort)
    book = Workbook()
    sheet = book.active
    sheet.title = "Attendance"
    sheet.append([neutralize_cell(h) for h in header])
    for line in table:
        sheet.append(line)
    if _locale() == "ar":
        sheet.sheet_view.rightToLeft = True
    buffer = io.BytesIO()
    book.save(buffer)
    return current_app.response_class(
        buffer.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f"attachment; filename=attendance-cohort-{cohort.id}.xlsx"},
    )


@bp.post("/admin/users/<int:user_id>/merge")
@roles_required("admin")
def merge_walk_in(user_id: int):
    """A walk-in participant who later got a full account: move their enrolments and attendance onto it."""
    walk_in = db.session.get(User, user_id)
    if walk_in is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    target = accounts.get_user_by_email(request.form.get("email", ""))
    if target is None or target.id == walk_in.id:
        flash(_("No other account has this e-mail address."), "error")
    else:
        try:
            service.merge_walk_in(walk_in, target, current_user)
        except CohortError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("Merged into %(email)s: enrolments and attendance moved.", email=target.email), "success")
            return redirect(url_for("accounts.admin_user", user_id=target.id))
    return redirect(url_for("accounts.admin_user", user_id=walk_in.id))
