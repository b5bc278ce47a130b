"""Trainer home, cohort dashboard, learner detail, programme report (HTML, PDF, CSV, XLSX)."""

from __future__ import annotations

from datetime import date

from flask import abort, flash, jsonify, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from ..accounts import service as accounts
from ..accounts.models import User
from ..attendance import service as attendance
from ..cohorts import service as cohorts
from ..cohorts.forms import MessageForm
from ..cohorts.models import Cohort, Enrolment
from ..content import service as content
from ..core import jobs
from ..core.access import roles_required
from ..core.exports import MIMETYPES, export_response
from ..core.forms import ConfirmForm, clamp_date, require_confirmation
from ..core.jobs import BackgroundJob
from ..core.numbers import arg_number, whole_number
from ..core.timeutil import utcnow
from ..core.work import unit_of_work
from ..evaluation import service as evaluation_service
from ..extensions import db
from ..i18n import _, format_date, format_percent
from . import bp, charts, dashboard, evaluation, exports, service, tasks


def _rtl() -> bool:
    return str(get_locale() or "fr") == "ar"


@bp.get("")
@roles_required("trainer", "admin")
def trainer_home():
    cohort_list = cohorts.cohorts_for(current_user)
    today, upcoming = service.trainer_agenda(cohort_list)
    return render_template(
        "reports/trainer_home.html",
        cohorts=cohort_list,
        overview=service.trainer_overview(cohort_list),
        today=today,
        upcoming=upcoming,
        today_date=cohorts.utc_to_local(utcnow()).date(),
    )


FLAG_LABELS = {
    "behind": lambda: _("behind on modules"),
    "failing": lambda: _("failing a quiz"),
    "attendance": lambda: _("below the attendance threshold"),
}


@bp.get("/cohorts/<int:cohort_id>")
@roles_required("trainer", "admin")
def cohort_dashboard(cohort_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    # Every figure comes from the learners' summaries in SQL (aggregates, one page of rows); full rows only for
    # the matrix's page (50 learners) and the "who needs help" list: a 2,000-learner cohort stays a light page.
    view = service.MatrixView(
        profession=request.args.get("profession", ""),
        jurisdiction=request.args.get("jurisdiction", ""),
        status=request.args.get("status", ""),
        sort=request.args.get("sort", "name"),
        page=arg_number("page", 1, low=1, strict=False),
        per_page=dashboard.PER_PAGE,
    )
    board = service.cohort_dashboard(cohort, view=view)
    rtl = _rtl()
    completion_chart = charts.line_chart(
        [(format_date(d, "d MMM"), v) for d, v in board.completion],
        _("Learners who completed every module, in percent"),
        rtl=rtl,
    )
    attendance_points = []
    for session in board.sessions:
        counts = board.attendance_info["per_session"][session.id]
        if session.id in board.attendance_info["held"]:
            attendance_points.append((session.title, counts["present"] + counts["late"]))
    attendance_chart = charts.bar_chart(
        attendance_points, _("Learners present per session"), rtl=rtl, maximum=max(board.size, 1)
    )
    score_charts = []
    for module in board.modules:
        counts = board.histograms.get(module.id) if module.id in board.quizzes else None
        if counts and any(counts):
            score_charts.append(
                (
                    module,
                    charts.histogram_table(None, counts=counts),  # the chart's data: learners per bucket
                    charts.histogram(None, _("Distribution of grades, in percent"), rtl=rtl, counts=counts),
                )
            )
    titles = content.module_titles(board.modules, str(get_locale() or "fr"))
    return render_template(
        "reports/cohort_dashboard.html",
        cohort=cohort,
        board=board,
        module_titles=titles,
        short_titles={module_id: content.short_title(title) for module_id, title in titles.items()},
        rows=board.rows,
        flag_labels=FLAG_LABELS,
        explain=attendance.explain_attendance,
        completion=board.completion,
        completion_chart=completion_chart,
        attendance_points=attendance_points,
        attendance_chart=attendance_chart,
        score_charts=score_charts,
        profession=view.profession,
        jurisdiction=view.jurisdiction,
        jurisdictions=accounts.jurisdictions(),
        status=view.status,
        sort=view.sort,
        page=board.page,
        pages=board.pages,
        total_rows=board.total_rows,
    )


@bp.get("/cohorts/<int:cohort_id>/learners/<int:user_id>")
@roles_required("trainer", "admin")
def learner_detail(cohort_id: int, user_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    enrolled = db.session.scalar(
        select(Enrolment.id).where(Enrolment.cohort_id == cohort.id, Enrolment.user_id == user_id)
    )
    if enrolled is None:
        abort(404)
    board = service.cohort_dashboard(cohort, with_marks=True, view=service.MatrixView(learner_id=user_id))
    row = board.rows[0]
    from ..quizzes.models import Attempt

    attempts = db.session.scalars(
        select(Attempt)
        .where(
            Attempt.cohort_id == cohort.id,
            Attempt.user_id == user_id,
            Attempt.module_id.in_([m.id for m in board.modules]),
        )
        .order_by(Attempt.module_id, Attempt.number)
    ).all()
    marks = board.attendance_info["marks"].get(user_id, {})
    by_module: dict[int, list] = {}
    for attempt in attempts:
        by_module.setdefault(attempt.module_id, []).append(attempt)
    return render_template(
        "reports/learner.html",
        cohort=cohort,
        board=board,
        module_titles=content.module_titles(board.modules, str(get_locale() or "fr")),
        attempts_by_module=by_module,
        row=row,
        attempts=attempts,
        marks=marks,
        flag_labels=FLAG_LABELS,
        explain=attendance.explain_attendance,
        message_form=MessageForm(next=request.full_path.rstrip("?")),
        learner=db.session.get(User, user_id),
        can_write=cohorts.can_write_to(db.session.get(User, user_id)),
    )


def _results_table(board):
    header = [
        _("Name"),
        _("Name (Arabic script)"),
        _("E-mail address"),
        _("Profession"),
        _("Jurisdiction"),
        _("Modules completed"),
    ]
    header += [f"{_('Quiz')} {m.position}" for m in board.modules if m.id in board.quizzes]
    header += [_("Attendance (%)"), _("Certificate")]
    table = []
    for r in board.rows:
        line = [
            r.user.name_latin,
            r.user.name_arabic or "",
            r.user.email,
            r.user.profession or "",
            r.user.jurisdiction or "",
            r.completed,
        ]
        line += [
            "" if r.quizzes.get(m.id, {}).get("grade") is None else r.quizzes[m.id]["grade"]
            for m in board.modules
            if m.id in board.quizzes
        ]
        line += ["" if r.attendance is None else r.attendance, r.certificate.serial if r.certificate else ""]
        table.append(line)
    return header, table


@bp.get("/cohorts/<int:cohort_id>/results.<fmt>")
@roles_required("trainer", "admin")
def cohort_results_export(cohort_id: int, fmt: str):
    cohort = cohorts.managed_cohort(cohort_id)
    if fmt not in MIMETYPES:
        abort(404)
    header, table = _results_table(service.cohort_dashboard(cohort))
    return export_response(header, table, f"results-cohort-{cohort.id}", fmt, sheet=_("Results"))


# --- programme report -----------------------------------------------------------------------------


def _parse_filters(args) -> service.ProgrammeFilters:
    today = utcnow().date()

    def day(name, default):
        try:
            return date.fromisoformat(args.get(name, "")) if args.get(name) else default
        except ValueError:
            return default

    # A date outside 2000 .. ten years ahead is a typo: the report reads from (to) the nearest plausible day.
    start = clamp_date(day("from", date(today.year, 1, 1)))
    end = clamp_date(day("to", today))
    if end < start:
        start, end = end, start
    return service.ProgrammeFilters(
        start=start,
        end=end,
        course_id=whole_number(args.get("course"), "course"),
        cohort_id=whole_number(args.get("cohort"), "cohort"),
        jurisdiction=args.get("jurisdiction") or None,
        profession=args.get("profession") or None,
    )


@bp.get("/programme")
@roles_required("admin")
def programme():
    filters = _parse_filters(request.args)
    masked = request.args.get("mask") == "1"
    fmt = request.args.get("format", "html")
    locale = str(get_locale() or "fr")
    if fmt in MIMETYPES:
        return _programme_file(filters, masked, fmt, locale)
    if fmt == "pdf":
        # An old link: the PDF is prepared by a background job now (issue #19), started by the page's button.
        flash(_("The PDF is now prepared in the background: press “Prepare the PDF” below."), "info")
        args = request.args.to_dict()
        args.pop("format", None)
        return redirect(url_for("reports.programme", **args))
    context = exports.report_context(filters, masked, locale)
    rtl = _rtl()
    context["profession_chart"] = charts.bar_chart(
        [
            (label, cell["enrolled"] if isinstance(cell["enrolled"], int) else 0)
            for label, cell in context["sections"][0][2]
        ],
        _("People enrolled by profession"),
        rtl=rtl,
    )
    return render_template(
        "reports/programme.html",
        courses=service.course_choices(),
        jurisdictions=accounts.jurisdictions(),
        professions=accounts.profession_labels(),
        cohorts=db.session.scalars(select(Cohort).order_by(Cohort.title)).all(),
        form=ConfirmForm(),
        **context,
    )


def _programme_file(filters, masked, fmt, locale):
    header, rows = exports.programme_table(filters, masked, locale)
    name = f"programme-{filters.start}-{filters.end}"
    return export_response(header, rows, name, fmt, sheet=_("Indicators"), rtl=locale == "ar")


# --- the programme report's PDF, prepared by a background job (issue #19) ---------------------------


@bp.post("/programme/pdf")
@roles_required("admin")
def programme_pdf_start():
    require_confirmation()
    filters = _parse_filters(request.form)
    masked = request.form.get("mask") == "1"
    with unit_of_work() as work:
        job, created = tasks.start_pdf(filters, masked, current_user)
        job_id = job.id
        if not created:
            work.flash(_("This PDF is already being prepared: here is how far it has gone."), "info")
    if work.ok:
        return redirect(url_for("reports.programme_job_page", job_id=job_id))
    return redirect(url_for("reports.programme"))


def _visible_pdf_job(job_id: int) -> BackgroundJob:
    """The job, if the signed-in admin may follow it (404 when there is no such job, 403 otherwise). Every admin
    may: the report is the admins' and shows the same figures to each of them."""
    job = db.session.get(BackgroundJob, job_id)
    if job is None or job.kind != tasks.KIND:
        abort(404)
    if not (current_user.is_admin or (job.owner_id is not None and job.owner_id == current_user.id)):
        abort(403)
    return job


def _pdf_job_texts(job: BackgroundJob) -> dict[str, str]:
    """What the job's page says, in the person's language (also sent to the page's script)."""
    states = {
        jobs.QUEUED: _("Waiting to start"),
        jobs.RUNNING: _("In progress"),
        jobs.FINISHED: _("Finished"),
        jobs.FAILED: _("Stopped by an error"),
    }
    if job.state == jobs.FINISHED:
        message = _("The PDF is ready.")
    elif job.state == jobs.FAILED:
        message = _("The PDF could not be prepared. Try again; if it fails again, tell the platform's administrator.")
    else:
        message = _("You may leave this page: you will be told when the PDF is ready.")
    return {
        "count": "",
        "state_label": states.get(job.state, job.state),
        "percent_text": format_percent(job.percent, 0),
        "message": message,
    }


@bp.get("/programme/jobs/<int:job_id>")
@roles_required("admin")
def programme_job_page(job_id: int):
    job = _visible_pdf_job(job_id)
    try:
        filters, masked = tasks.filters_of(job)
    except (KeyError, TypeError, ValueError):  # a job row without its parameters: show the page without them
        filters, masked = None, False
    ready = job.state == jobs.FINISHED and tasks.file_of(job.id).is_file()
    return render_template(
        "reports/programme_job.html",
        job=job,
        filters=filters,
        masked=masked,
        ready=ready,
        expired=job.state == jobs.FINISHED and not ready,
        texts=_pdf_job_texts(job),
        form=ConfirmForm(),
    )


@bp.get("/programme/jobs/<int:job_id>.json")
@roles_required("admin")
def programme_job_status(job_id: int):
    job = _visible_pdf_job(job_id)
    return jsonify(
        id=job.id,
        state=job.state,
        done=job.done,
        total=job.total,
        percent=job.percent,
        active=job.is_active,
        **_pdf_job_texts(job),
    )


@bp.get("/programme/jobs/<int:job_id>/programme-report.pdf")
@roles_required("admin")
def programme_job_file(job_id: int):
    job = _visible_pdf_job(job_id)
    path = tasks.file_of(job.id)
    if job.state != jobs.FINISHED or not path.is_file():
        abort(404)
    name = "programme-report.pdf"
    try:
        filters, _masked = tasks.filters_of(job)
        name = f"programme-report-{filters.start}-{filters.end}.pdf"
    except (KeyError, TypeError, ValueError):
        pass
    return send_file(path, mimetype="application/pdf", as_attachment=True, download_name=name, max_age=0)


# --- results of the evaluation surveys (issue #20) --------------------------------------------------------------


def _role_arg() -> str | None:
    role = request.args.get("role") or None
    return role if role in evaluation.ROLES else None


@bp.get("/cohorts/<int:cohort_id>/evaluation")
@roles_required("trainer", "admin")
def cohort_evaluation(cohort_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    # An admin also reads the programme's results: the cohort's are then checked against them (by difference).
    locale = str(get_locale() or "fr")
    page = evaluation.cohort_evaluation(
        cohort, _role_arg(), arg_number("session", strict=False), locale, programme_wide=current_user.is_admin
    )
    rtl = _rtl()
    rate_charts = {
        role: charts.bar_chart(
            [(evaluation.session_label(i.session, locale) if i.session else cohort.title, i.rate or 0) for i in infos],
            _("Response rate, in percent"),
            maximum=100,
            unit="%",
            rtl=rtl,
        )
        for role, infos in page.rounds.items()
        if role == "session" and len(infos) > 1
    }
    return render_template(
        "reports/evaluation_cohort.html",
        cohort=cohort,
        page=page,
        schedule=evaluation_service.cohort_schedule(cohort),
        now=utcnow(),
        results=page.results,
        item_charts=evaluation.item_charts(page.results, rtl),
        rate_charts=rate_charts,
        role_labels=evaluation.role_labels(),
        session_label=lambda s: evaluation.session_label(s, locale),
        small_group=evaluation.SMALL_GROUP,
        t=lambda values: evaluation.text_in(values, locale),
    )


@bp.get("/cohorts/<int:cohort_id>/evaluation.<fmt>")
@roles_required("trainer", "admin")
def cohort_evaluation_export(cohort_id: int, fmt: str):
    cohort = cohorts.managed_cohort(cohort_id)
    if fmt not in MIMETYPES:
        abort(404)
    locale = str(get_locale() or "fr")
    page = evaluation.cohort_evaluation(
        cohort, _role_arg(), arg_number("session", strict=False), locale, programme_wide=current_user.is_admin
    )
    header, rows = evaluation.results_table(page.results, locale)
    name = f"evaluation-cohort-{cohort.id}-{page.role or 'none'}".replace("_", "-")
    if page.session_id:
        name += f"-session-{page.session_id}"
    return export_response(header, rows, name, fmt, sheet=_("Evaluation"), rtl=locale == "ar")


def _evaluation_filters(args) -> evaluation.EvaluationFilters:
    def day(name):
        try:
            return clamp_date(date.fromisoformat(args.get(name, ""))) if args.get(name) else None
        except ValueError:
            return None

    start, end = day("from"), day("to")
    if start and end and end < start:
        start, end = end, start
    role = args.get("role")
    return evaluation.EvaluationFilters(
        role=role if role in evaluation.ROLES else "course_end",
        start=start,
        end=end,
        course_id=whole_number(args.get("course"), "course"),
        cohort_id=whole_number(args.get("cohort"), "cohort"),
        trainer_id=whole_number(args.get("trainer"), "trainer"),
        profession=args.get("profession") or None,
        jurisdiction=args.get("jurisdiction") or None,
        gender=args.get("gender") or None,
    )


@bp.get("/evaluation")
@roles_required("admin")
def programme_evaluation():
    filters = _evaluation_filters(request.args)
    locale = str(get_locale() or "fr")
    results = evaluation.programme_evaluation(filters, locale)
    return render_template(
        "reports/evaluation_programme.html",
        filters=filters,
        results=results,
        item_charts=evaluation.item_charts(results, _rtl()),
        role_labels=evaluation.role_labels(),
        courses=service.course_choices(),
        cohorts=db.session.scalars(select(Cohort).order_by(Cohort.title)).all(),
        trainers=evaluation.trainer_choices(),
        jurisdictions=accounts.jurisdictions(),
        professions=accounts.profession_labels(),
        genders=accounts.gender_labels(),
        small_group=evaluation.SMALL_GROUP,
        t=lambda values: evaluation.text_in(values, locale),
    )


@bp.get("/evaluation.<fmt>")
@roles_required("admin")
def programme_evaluation_export(fmt: str):
    if fmt not in MIMETYPES:
        abort(404)
    filters = _evaluation_filters(request.args)
    locale = str(get_locale() or "fr")
    results = evaluation.programme_evaluation(filters, locale)
    header, rows = evaluation.results_table(results, locale)
    name = f"evaluation-{filters.role}".replace("_", "-")
    return export_response(header, rows, name, fmt, sheet=_("Evaluation"), rtl=locale == "ar")
