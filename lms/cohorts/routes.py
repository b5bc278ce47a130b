"""Trainer pages for cohorts: the cohort, enrolment (one person, an imported list, walk-ins), messages to
learners, quiz results with per-cohort quiz settings; an admin's merge of a walk-in."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from ..accounts import lockout
from ..accounts import service as accounts
from ..accounts.forms import InviteLearnerForm
from ..accounts.models import User
from ..accounts.names import display_name
from ..content.models import Course, Module, QuizVersion
from ..core.access import roles_required
from ..core.forms import ConfirmForm, require_confirmation, safe_next_url
from ..core.timeutil import utcnow
from ..core.work import unit_of_work
from ..extensions import db, limiter
from ..i18n import _
from ..quizzes import service as quizzes
from ..quizzes.models import Attempt
from ..quizzes.stats import item_statistics
from . import bp, previews, service
from .forms import CohortForm, ImportForm, MessageForm, walk_in_form
from .importing import ImportFileError, parse_enrolment_file
from .models import Cohort, Enrolment
from .service import CohortError, managed_cohort
from .signals import cohort_overview
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
            # a policy the form does not offer (never saved by it) shows as the default, as the attendance rule reads it
            policies = dict(form.excused_absences.choices)
            form.excused_absences.data = (
                cohort.excused_absences if cohort.excused_absences in policies else form.excused_absences.default
            )
        elif current_user.is_trainer:
            form.trainers.data = [current_user.id]
    return form


def _save_cohort_from(form: CohortForm, cohort: Cohort | None, saved: str) -> Cohort | None:
    """Create (``cohort`` None) or update the cohort from the form and commit, then flash ``saved``; None, nothing
    saved, when refused (the reason under its field, or flashed when the database refused)."""
    course = db.session.get(Course, form.course.data)
    if course is None:
        form.course.errors = [_("Choose a course.")]
        return None
    trainer_ids = set(form.trainers.data or [])
    if not current_user.is_admin:
        trainer_ids.add(current_user.id)  # a trainer cannot create a cohort they would not manage
    trainers = db.session.scalars(select(User).where(User.id.in_(trainer_ids), User.is_trainer.is_(True))).all()
    with unit_of_work(CohortError, field=form.end_date) as work:
        cohort = service.save_cohort(
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
            survey_before_certificate=bool(form.survey_before_certificate.data),
            follow_up_months=3 if form.follow_up_months.data is None else form.follow_up_months.data,
            completion={
                "modules": "all" if form.require_modules.data else 0,
                "quizzes_passed": "all" if form.require_quizzes.data else 0,
                "attendance_percent": form.attendance_percent.data or 0,
                "auto_issue": bool(form.auto_issue.data),
            },
        )
        work.flash(saved)
    return cohort if work.ok else None


@bp.route("/new", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def new_cohort():
    form = _cohort_form()
    if form.validate_on_submit():
        cohort = _save_cohort_from(form, None, _("Cohort created."))
        if cohort is not None:
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def edit_cohort(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    form = _cohort_form(cohort)
    if form.validate_on_submit():
        if _save_cohort_from(form, cohort, _("Cohort saved.")) is not None:
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort)


@bp.get("/<int:cohort_id>")
@roles_required("trainer", "admin")
def detail(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    now = utcnow()
    overview = {}  # the sessions and each learner's attendance (lms/attendance)
    for _receiver, values in cohort_overview.send(cohort, now=now):
        overview.update(values)
    learners = select(Enrolment.user_id).where(Enrolment.cohort_id == cohort.id)
    return render_template(
        "cohorts/detail.html",
        cohort=cohort,
        locked={user.id for user, _failures, _last in lockout.locked_accounts(learners)},
        enrol_form=InviteLearnerForm(locale=_locale()),
        walk_in_form=walk_in_form(_locale()),
        confirm=ConfirmForm(),
        local=service.utc_to_local,
        now=now,
        **overview,
    )


@bp.post("/<int:cohort_id>/enrol")
@roles_required("trainer", "admin")
def enrol(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    form = InviteLearnerForm(locale=_locale())
    if not form.validate_on_submit():
        for field, errors in form.errors.items():
            flash(f"{getattr(form, field).label.text}: {' '.join(map(str, errors))}", "error")
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id) + "#enrol")
    user = accounts.get_user_by_email(form.email.data)
    with unit_of_work(accounts.AccountError) as work:
        if user is None:
            user = accounts.create_user(
                form.email.data,
                form.name_latin.data,
                **form.profile_values(),
                actor=current_user,
            )
            accounts.invite_user(user, current_user)
        added = service.enrol(cohort, user, current_user)
        work.flash(
            _("%(name)s is enrolled.", name=display_name(user, _locale()))
            if added
            else _("%(name)s was already enrolled.", name=display_name(user, _locale())),
            "success" if added else "info",
        )
    if not work.ok:
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id) + "#enrol")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/<int:cohort_id>/unenrol/<int:user_id>")
@roles_required("trainer", "admin")
def unenrol(cohort_id: int, user_id: int):
    cohort = managed_cohort(cohort_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            service.unenrol(cohort, user_id, current_user)
            work.flash(_("Enrolment removed. The person's attendance and results are kept."), "info")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/<int:cohort_id>/learners/<int:user_id>/sign-in-lock")
@roles_required("trainer", "admin")
def lift_sign_in_lock(cohort_id: int, user_id: int):
    """A learner of the cohort mistyped their password too often: their trainer lets them try again (audited).
    Only a learner enrolled in a cohort the trainer manages; anyone else's lock is the admin's."""
    cohort = managed_cohort(cohort_id)
    enrolment = db.session.scalar(
        select(Enrolment).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user_id)
    )
    if enrolment is None:
        abort(404)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            lockout.lift_account(enrolment.user, current_user)
            work.flash(_("%(name)s can sign in again.", name=enrolment.user.name_latin))
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/<int:cohort_id>/learners/<int:user_id>/message")
@roles_required("trainer", "admin")
@limiter.limit("60 per hour", key_func=lambda: f"message:{current_user.id}")
def message_learner(cohort_id: int, user_id: int):
    """A trainer writes to one learner of a cohort they manage (from the learner's page)."""
    cohort = managed_cohort(cohort_id)
    learner = db.session.get(User, user_id)
    if learner is None or learner.id not in {u.id for u in service.learners(cohort)}:
        abort(404)
    form = MessageForm()
    back = safe_next_url(form.next.data, "") or url_for("cohorts.detail", cohort_id=cohort.id)
    if not form.validate_on_submit():
        flash(_("Write a subject and a message."), "error")
        return redirect(back)
    with unit_of_work(CohortError) as work:
        service.message_learner(cohort, learner, current_user, form.subject.data, form.body.data)
        work.flash(_("Your e-mail to %(name)s is sent.", name=learner.name_latin))
    return redirect(back)


@bp.post("/<int:cohort_id>/walk-in")
@roles_required("trainer", "admin")
def walk_in(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    form = walk_in_form(_locale())
    if form.validate_on_submit():
        with unit_of_work(accounts.AccountError) as work:
            user = service.add_walk_in(
                cohort,
                current_user,
                name_latin=form.name_latin.data,
                name_arabic=form.name_arabic.data or "",
                profession=form.profession.data or None,
                jurisdiction=form.jurisdiction.data or None,
                email=form.email.data or "",
            )
            work.flash(_("%(name)s is added to the cohort.", name=display_name(user, _locale())))
    else:
        flash(_("Enter at least the person's name."), "error")
    back = safe_next_url(request.form.get("next"), "")
    if not back.startswith("/attendance/sessions/"):  # the roll call it came from
        back = url_for("cohorts.detail", cohort_id=cohort.id)
    return redirect(back)


# --- import ---------------------------------------------------------------------------------------


@bp.route("/<int:cohort_id>/import", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def import_people(cohort_id: int):
    cohort = managed_cohort(cohort_id)
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


@bp.get("/import-template-<language>.<fmt>")
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


@bp.post("/<int:cohort_id>/import/confirm")
@roles_required("trainer", "admin")
def confirm_import(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    require_confirmation()
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
    with unit_of_work() as work:
        counts = service.import_rows(cohort, rows, current_user)
        work.flash(
            _(
                "Import done: %(created)d new accounts invited, %(enrolled)d people enrolled, "
                "%(unchanged)d already enrolled, %(skipped)d rows skipped.",
                **counts,
            )
        )
    if not work.ok:  # the preview is used up: the file is to be sent again
        return redirect(url_for("cohorts.import_people", cohort_id=cohort.id))
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id))


@bp.post("/<int:cohort_id>/import/cancel")
@roles_required("trainer", "admin")
def cancel_import(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    require_confirmation()
    previews.discard(cohort.id, current_user.id, request.form.get("token", ""))
    flash(_("Import cancelled: the file is deleted."), "success")
    return redirect(url_for("cohorts.import_people", cohort_id=cohort.id))


# --- quiz results ------------------------------------------------------------------------------


def _course_quizzes(cohort) -> list[tuple[Module, QuizVersion]]:
    rows = db.session.execute(
        select(Module, QuizVersion)
        .join(QuizVersion, QuizVersion.module_id == Module.id)
        .where(Module.course_id == cohort.course_id, Module.is_archived.is_(False), QuizVersion.is_current.is_(True))
        .order_by(Module.position)
    ).all()
    return [(m, q) for m, q in rows]


@bp.get("/<int:cohort_id>/results")
@roles_required("trainer", "admin")
def results(cohort_id: int):
    cohort = managed_cohort(cohort_id)
    people = service.learners(cohort)
    quizzes_ = _course_quizzes(cohort)
    module_ids = [m.id for m, _q in quizzes_]
    attempts = (
        db.session.scalars(
            select(Attempt)
            .where(
                Attempt.cohort_id == cohort.id,
                Attempt.user_id.in_([u.id for u in people]),
                Attempt.module_id.in_(module_ids),
            )
            .order_by(Attempt.number)
        ).all()
        if people and module_ids
        else []
    )
    table: dict[tuple[int, int], list[Attempt]] = {}
    for attempt in attempts:
        table.setdefault((attempt.user_id, attempt.module_id), []).append(attempt)
    return render_template(
        "cohorts/results.html",
        cohort=cohort,
        people=people,
        quizzes=quizzes_,
        table=table,
        overrides=cohort.quiz_settings or {},
        form=ConfirmForm(),
    )


def _attempt_in_cohort(cohort, attempt_id: int) -> Attempt:
    """An attempt made under ``cohort`` (ownership in the query: an attempt the learner made in another cohort,
    or on their own, is not found here, even if they are enrolled in this one too)."""
    attempt = db.session.scalar(select(Attempt).where(Attempt.id == attempt_id, Attempt.cohort_id == cohort.id))
    if attempt is None:
        abort(404)
    return attempt


@bp.route("/<int:cohort_id>/attempts/<int:attempt_id>", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def attempt_review(cohort_id: int, attempt_id: int):
    cohort = managed_cohort(cohort_id)
    attempt = _attempt_in_cohort(cohort, attempt_id)
    if request.method == "POST":
        require_confirmation()
        raw = (request.form.get("points") or "").strip().replace(",", ".")
        try:
            points = None if raw == "" else float(raw)
        except ValueError:
            flash(_("Points must be a number."), "error")
        else:
            with unit_of_work(quizzes.QuizError) as work:
                quizzes.override_points(
                    attempt, request.form.get("question", ""), points, request.form.get("reason", ""), current_user
                )
                work.flash(_("Grade saved; the attempt is regraded."))
        return redirect(url_for("cohorts.attempt_review", cohort_id=cohort.id, attempt_id=attempt.id))
    return render_template(
        "cohorts/attempt_review.html",
        cohort=cohort,
        attempt=attempt,
        learner=db.session.get(User, attempt.user_id),
        questions=quizzes.attempt_questions(attempt),
        answers=quizzes.answers_of(attempt.id),
        form=ConfirmForm(),
    )


@bp.get("/<int:cohort_id>/quizzes/<int:quiz_id>/statistics")
@roles_required("trainer", "admin")
def item_stats(cohort_id: int, quiz_id: int):
    cohort = managed_cohort(cohort_id)
    version = db.session.get(QuizVersion, quiz_id)
    module = db.session.get(Module, version.module_id) if version else None
    if version is None or module is None or module.course_id != cohort.course_id:
        abort(404)
    scope = request.args.get("scope", "cohort")
    everyone = scope == "all" and current_user.is_admin
    count, items = item_statistics(version, cohort_id=None if everyone else cohort.id)
    return render_template(
        "cohorts/item_stats.html", cohort=cohort, version=version, module=module, count=count, items=items, scope=scope
    )


@bp.post("/<int:cohort_id>/quiz-settings/<module_slug>")
@roles_required("trainer", "admin")
def quiz_settings(cohort_id: int, module_slug: str):
    """The trainer adapts a quiz for this cohort: pass mark, attempts, time limit (blank: as in the file)."""
    cohort = managed_cohort(cohort_id)
    require_confirmation()
    if module_slug not in {m.slug for m, _q in _course_quizzes(cohort)}:
        abort(404)

    def number(name):
        raw = (request.form.get(name) or "").strip()
        return int(raw) if raw else None

    try:
        values = {key: number(key) for key in ("pass_mark", "max_attempts", "time_limit_minutes")}
    except ValueError:
        flash(_("Type whole numbers."), "error")
    else:
        with unit_of_work(CohortError) as work:
            service.set_quiz_settings(cohort, module_slug, values, current_user)
            work.flash(_("Quiz settings saved for this cohort."))
    return redirect(url_for("cohorts.results", cohort_id=cohort.id) + "#quiz-settings")


# --- walk-ins ----------------------------------------------------------------------------------


@bp.post("/walk-ins/<int:user_id>/merge")
@roles_required("admin")
def merge_walk_in(user_id: int):
    """A walk-in participant who later got a full account: move their enrolments and attendance onto it."""
    walk_in = db.session.get(User, user_id)
    if walk_in is None:
        abort(404)
    require_confirmation()
    target = accounts.get_user_by_email(request.form.get("email", ""))
    if target is None or target.id == walk_in.id:
        flash(_("No other account has this e-mail address."), "error")
    else:
        with unit_of_work(CohortError) as work:
            service.merge_walk_in(walk_in, target, current_user)
            work.flash(_("Merged into %(email)s: enrolments and attendance moved.", email=target.email))
        if work.ok:
            return redirect(url_for("accounts.admin_user", user_id=target.id))
    return redirect(url_for("accounts.admin_user", user_id=walk_in.id))
