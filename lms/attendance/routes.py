"""Trainer pages for workshop sessions, roll call, check-in screens, sign-in sheets and attendance exports; the
learner's check-in page and calendar."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale
from flask_login import current_user
from sqlalchemy import select

from ..accounts.names import display_name, name_sort_key
from ..cohorts import service as cohorts
from ..cohorts.forms import walk_in_form
from ..cohorts.models import Cohort
from ..content import service as content
from ..content.models import Module
from ..core.access import public, roles_required, signed_in
from ..core.exports import export_response
from ..core.forms import ConfirmForm, require_confirmation
from ..core.numbers import whole_number
from ..core.timeutil import utcnow
from ..core.work import unit_of_work
from ..extensions import db, limiter
from ..i18n import _, ngettext
from . import bp, rules, service, tasks, warnings
from .forms import CheckinForm, RemindersForm, SessionForm
from .models import STATUSES, WorkshopSession
from .service import AttendanceError, managed_session


def _locale() -> str:
    return str(get_locale() or "fr")


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
        start, end = cohorts.utc_to_local(session.starts_at), cohorts.utc_to_local(session.ends_at)
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
    session = managed_session(session_id) if session_id else None
    cohort = session.cohort if session else cohorts.managed_cohort(cohort_id)
    form = _session_form(cohort, session)
    if form.validate_on_submit():
        with unit_of_work(AttendanceError, field=form.end) as work:
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
            work.flash(_("Session saved."))
        if work.ok:
            return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("attendance/session_form.html", form=form, cohort=cohort, session=session)


@bp.get("/cohorts/<int:cohort_id>/calendar.ics")
@roles_required("trainer", "admin")
def calendar(cohort_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    body = service.ics_calendar(cohort, url_for("cohorts.detail", cohort_id=cohort.id, _external=True))
    return current_app.response_class(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": f"attachment; filename=cohort-{cohort.id}.ics"},
    )


@bp.get("/my-calendar.ics")
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


# --- roll call --------------------------------------------------------------------------------------


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def roll_call(session_id: int):
    session = managed_session(session_id)
    people = cohorts.learners(session.cohort)
    paper = request.values.get("paper") == "1"
    if request.method == "POST":
        require_confirmation()
        enrolled_ids = {u.id for u in people}
        changed = 0
        with unit_of_work() as work:
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
            work.flash(ngettext_changes(changed))
        return redirect(url_for("attendance.roll_call", session_id=session.id, paper="1" if paper else None))
    query = (request.args.get("q") or "").strip()
    if query:
        folded = query.casefold()
        people = [u for u in people if folded in u.name_latin.casefold() or folded in (u.name_arabic or "")]
    return render_template(
        "attendance/roll_call.html",
        session=session,
        cohort=session.cohort,
        people=people,
        marks=service.attendance_of(session),
        statuses=STATUSES,
        paper=paper,
        q=query,
        form=ConfirmForm(),
        walk_in_form=walk_in_form(_locale()),
        local=cohorts.utc_to_local,
    )


def ngettext_changes(count: int) -> str:
    return ngettext("%(num)d change saved.", "%(num)d changes saved.", count)


@bp.post("/sessions/<int:session_id>/marks/<int:user_id>")
@roles_required("trainer", "admin")
def mark_one(session_id: int, user_id: int):
    """One tap on the tablet (JavaScript): save one person's status and note at once."""
    session = managed_session(session_id)
    try:
        service.record_attendance(
            session,
            user_id,
            request.form.get("status", ""),
            current_user,
            note=request.form.get("note"),
            method="paper" if request.form.get("paper") == "1" else "trainer",
        )
    except AttendanceError as error:
        db.session.rollback()
        return jsonify(ok=False, message=str(error)), 400
    db.session.commit()
    return jsonify(ok=True, message=_("Saved"))


@bp.post("/sessions/<int:session_id>/all-present")
@roles_required("trainer", "admin")
def all_present(session_id: int):
    session = managed_session(session_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work() as work:
            work.flash(ngettext_changes(service.mark_all_present(session, current_user)))
    return redirect(url_for("attendance.roll_call", session_id=session.id))


#: the languages a sign-in sheet is printed in
SHEET_LANGUAGES = ("fr", "ar")


@bp.get("/sessions/<int:session_id>/sheet.pdf")
@roles_required("trainer", "admin")
def sign_in_sheet(session_id: int):
    from ..core.pdf import html_to_pdf

    session = managed_session(session_id)
    cohort = session.cohort
    # The trainer chooses the sheet's language (links on the attendance page); by default the cohort's.
    language = request.args.get("lang")
    if language not in SHEET_LANGUAGES:
        language = cohort.language if cohort.language in SHEET_LANGUAGES else "fr"
    with force_locale(language):
        html = render_template(
            "attendance/sheet.html",
            session=session,
            cohort=cohort,
            # ordered by the name printed first: the Arabic one on an Arabic sheet
            people=sorted(cohorts.learners(cohort), key=lambda u: name_sort_key(u, cohort.language)),
            local=cohorts.utc_to_local,
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

    session = managed_session(session_id)
    now = utcnow()
    available = service.checkin_available(session, now)
    code = rules.current_code(session.checkin_secret, now) if available else None
    qr = None
    if code:
        link = url_for("attendance.checkin_page", code=code, s=session.id, _external=True)
        qr = segno.make(link, error="m").svg_inline(scale=6, dark="#1c2430", light="#ffffff", omitsize=True)
    refresh = rules.seconds_left(now) if available else 30
    marks = service.attendance_of(session)
    checked_in = sum(1 for mark in marks.values() if mark.status in ("present", "late"))
    enrolled = len(cohorts.learners(session.cohort))
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
            "attendance/checkin_projector.html",
            session=session,
            code=code,
            qr=qr,
            available=available,
            refresh=refresh,
            instructions=instructions,
            address=url_for("attendance.checkin_page", _external=True),
        )
    return render_template(
        "attendance/checkin_screen.html",
        session=session,
        code=code,
        qr=qr,
        available=available,
        refresh=refresh,
        checked_in=checked_in,
        enrolled=enrolled,
        form=ConfirmForm(),
        window=service.checkin_window(session),
        local=cohorts.utc_to_local,
    )


@bp.post("/sessions/<int:session_id>/checkin-toggle")
@roles_required("trainer", "admin")
def checkin_toggle(session_id: int):
    session = managed_session(session_id)
    if ConfirmForm().validate_on_submit():
        with unit_of_work():
            service.set_checkin_open(session, request.form.get("open") == "1", current_user)
    return redirect(url_for("attendance.checkin_screen", session_id=session.id))


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
                return redirect(url_for("accounts.login", next=url_for("attendance.checkin_page", scan=token)))
            flash(
                _(
                    "This code has expired: the code changes every minute. "
                    "Sign in, then type the code shown on the screen now."
                ),
                "warning",
            )
        return redirect(url_for("accounts.login", next=url_for("attendance.checkin_page")))
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
        with unit_of_work(AttendanceError, field=form.code) as work:
            _session, status = service.check_in(
                current_user, form.code.data, now=now, session_id=session_id, scanned_at=scanned_at
            )
            work.flash(_("You are checked in: present.") if status == "present" else _("You are checked in: late."))
        if work.ok:
            return redirect(url_for("attendance.checkin_page"))
    until = None
    if scan is not None:
        from flask_babel import format_time

        expires = datetime.fromtimestamp(scan["t"] + service.CHECKIN_PASS_SECONDS, tz=UTC).replace(tzinfo=None)
        until = format_time(expires, "short")
    return render_template("attendance/checkin.html", form=form, scan_until=until)


# --- exports ----------------------------------------------------------------------------------------------


def _report_table(cohort: Cohort):
    sessions, rows, info = service.attendance_report(cohort)
    labels = {"present": _("present"), "late": _("late"), "excused": _("excused"), "absent": _("absent")}
    header = (
        [_("Name"), _("Name (Arabic script)"), _("E-mail address")]
        + [f"{s.title} ({cohorts.utc_to_local(s.starts_at):%Y-%m-%d})" for s in sessions]
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
    return header, table


@bp.get("/cohorts/<int:cohort_id>/export.csv")
@roles_required("trainer", "admin")
def export_csv(cohort_id: int):
    return _export(cohorts.managed_cohort(cohort_id), "csv")


@bp.get("/cohorts/<int:cohort_id>/export.xlsx")
@roles_required("trainer", "admin")
def export_xlsx(cohort_id: int):
    return _export(cohorts.managed_cohort(cohort_id), "xlsx")


def _export(cohort: Cohort, fmt: str):
    header, table = _report_table(cohort)
    return export_response(header, table, f"attendance-cohort-{cohort.id}", fmt, sheet="Attendance")


@bp.post("/cohorts/<int:cohort_id>/warn")
@roles_required("trainer", "admin")
def warn_low_attendance(cohort_id: int):
    cohort = cohorts.managed_cohort(cohort_id)
    require_confirmation()
    with unit_of_work() as work:
        result = warnings.warn_low_attendance(cohort, current_user)
        if result.sent:
            work.flash(
                ngettext(
                    "%(num)d learner below the threshold was e-mailed.",
                    "%(num)d learners below the threshold were e-mailed.",
                    len(result.sent),
                )
            )
        if result.recent:
            work.flash(
                ngettext(
                    "%(num)d learner was already e-mailed in the last 7 days: not again.",
                    "%(num)d learners were already e-mailed in the last 7 days: not again.",
                    len(result.recent),
                ),
                "info",
            )
        if result.unreachable:
            names = ", ".join(display_name(u, _locale()) for u in result.unreachable)
            work.flash(_("No e-mail address to write to: %(names)s.", names=names), "warning")
        if result.failed:
            names = ", ".join(display_name(u, _locale()) for u in result.failed)
            work.flash(_("The e-mail could not be sent to: %(names)s. Try again later.", names=names), "warning")
        if not (result.sent or result.recent or result.unreachable or result.failed):
            work.flash(_("No learner is below the attendance threshold."), "info")
    return redirect(url_for("cohorts.detail", cohort_id=cohort.id) + "#h-learners")


# --- reminders ------------------------------------------------------------------------------------------


@bp.route("/cohorts/<int:cohort_id>/reminders", methods=["GET", "POST"])
@roles_required("trainer", "admin")
def reminders(cohort_id: int):
    """What the queue will send for this cohort, and when; the trainer switches each kind off or on."""
    cohort = cohorts.managed_cohort(cohort_id)
    form = RemindersForm(obj=cohort)
    if form.validate_on_submit():
        with unit_of_work(cohorts.CohortError) as work:
            changed = cohorts.set_reminders(
                cohort, {name: form[name].data for name in cohorts.REMINDER_SWITCHES}, current_user
            )
            work.flash(_("Reminders saved.") if changed else _("Nothing changed."), "success" if changed else "info")
        if work.ok:
            return redirect(url_for("attendance.reminders", cohort_id=cohort.id))
    now = utcnow()
    return render_template(
        "attendance/reminders.html",
        cohort=cohort,
        form=form,
        plan=tasks.cohort_plan(cohort, now),
        schedule=tasks.cohort_schedule(cohort),
        now=now,
    )
