"""Learner pages (catalogue, course, module, progress) and the admin courses page."""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import func, select

from ..core.access import roles_required, signed_in
from ..core.forms import ConfirmForm
from ..core.timeutil import utcnow
from ..core.work import unit_of_work
from ..extensions import db
from ..i18n import _
from . import bp, service
from .loader import load_courses
from .models import Course, Module, ModuleText, QuizVersion, SyncRun


def _locale() -> str:
    return str(get_locale() or "fr")


def _me():
    """The signed-in person as a plain object: services and signal receivers read it many times, and each use
    of the ``current_user`` proxy looks the user up again."""
    return current_user._get_current_object()


def _open_course(course_slug: str, user=None) -> Course:
    user = user or _me()
    course = service.course_by_slug(course_slug)
    if course is None or (course.is_archived and not user.is_admin):
        abort(404)
    if not service.can_open(user, course):
        abort(403)
    return course


@bp.get("/home")
@signed_in
def dashboard():
    user = _me()
    courses = service.catalogue(user, _locale())
    # Finished means what the certificate means (modules read, quizzes passed, attendance), not modules read.
    finished = [c for c in courses if c.total and c.finished]
    in_progress = [c for c in courses if c.started and not c.finished]
    not_started = [c for c in courses if not c.started and not c.finished]
    now = utcnow()
    return render_template(
        "content/dashboard.html",
        in_progress=in_progress,
        finished=finished,
        not_started=not_started,
        next_workshop=service.next_workshop(user, now),  # one query, however many cohorts and sessions
        open_surveys=service.open_surveys(user, now),
        now=now,
    )


@bp.get("")
@signed_in
def catalogue():
    return render_template("content/catalogue.html", courses=service.catalogue(_me(), _locale()))


@bp.get("/<course_slug>")
@signed_in
def course(course_slug: str):
    user = _me()
    course = _open_course(course_slug, user)
    progress = service.course_progress(user, course, _locale())
    return render_template("content/course.html", course=course, progress=progress)


#: a module opened again within this time is not written again (most page views then write nothing)
VIEW_RECORD_INTERVAL = timedelta(minutes=10)


@bp.get("/<course_slug>/<module_slug>")
@signed_in
def module(course_slug: str, module_slug: str):
    # One query for the course, its modules and the learner's progress (the most read page).
    user = _me()
    progress = service.live_course_progress(user, course_slug, _locale())
    if progress is None:
        _open_course(course_slug)  # unknown, archived or not open: 404 or 403 as on the course page
        abort(404)  # a course without live modules
    course = progress.course
    if not service.can_open(user, course):
        abort(403)
    index = next((i for i, m in enumerate(progress.modules) if m.slug == module_slug), None)
    if index is None:
        abort(404)
    row = progress.modules[index]
    if row.quiz_id:  # whether its quiz counts and is passed decides the page's main button
        service.with_standings(user, [progress], with_attendance=False)
    text, fallback = service.module_text(row)
    if text is None:
        abort(404)
    page = render_template(
        "content/module.html",
        course=course,
        progress=progress,
        row=row,
        position=index + 1,
        text=text,
        fallback=fallback,
        completed=row.completed_at is not None,
        previous=progress.modules[index - 1] if index > 0 else None,
        next=progress.modules[index + 1] if index + 1 < len(progress.modules) else None,
        quiz_id=row.quiz_id,
    )
    if row.viewed_at is None or utcnow() - row.viewed_at > VIEW_RECORD_INTERVAL:
        # The read transaction ends before the write begins: a short write of its own, after rendering,
        # whose first statement is the write (SQLite then waits for the lock instead of failing).
        user_id = user.id
        db.session.rollback()
        service.record_view(user_id, row.id)
        db.session.commit()
    return page


@bp.post("/<course_slug>/<module_slug>/complete")
@signed_in
def complete(course_slug: str, module_slug: str):
    course = _open_course(course_slug)
    module = db.session.scalar(
        select(Module).where(Module.course_id == course.id, Module.slug == module_slug, Module.is_archived.is_(False))
    )
    if module is None:
        abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        done = request.form.get("completed", "1") == "1"
        with unit_of_work() as work:
            service.set_completed(current_user.id, module.id, done)
            if done:
                work.flash(_("Module marked as read."))
            else:
                work.flash(_("Module marked as not read."), "info")
        if work.ok and done:
            following = db.session.scalar(
                select(Module.slug)
                .where(Module.course_id == course.id, Module.position > module.position, Module.is_archived.is_(False))
                .order_by(Module.position)
                .limit(1)
            )
            if request.form.get("go") == "quiz" and (quiz := service.current_quiz(module.id)) is not None:
                return redirect(url_for("quizzes.quiz", quiz_id=quiz.id))
            if following and request.form.get("go") == "next":
                return redirect(url_for("content.module", course_slug=course.slug, module_slug=following))
    return redirect(url_for("content.module", course_slug=course.slug, module_slug=module.slug))


# --- administration ---------------------------------------------------------------------------


@bp.get("/admin")
@roles_required("admin")
def admin_courses():
    courses = db.session.scalars(select(Course).order_by(Course.is_archived, Course.slug)).all()
    modules = db.session.scalars(select(Module).order_by(Module.course_id, Module.position)).all()
    quiz_versions = dict(
        db.session.execute(
            select(QuizVersion.module_id, func.max(QuizVersion.version)).group_by(QuizVersion.module_id)
        ).all()
    )
    words = {}
    for module_id, locale, count in db.session.execute(
        select(ModuleText.module_id, ModuleText.locale, ModuleText.words)
    ):
        words.setdefault(module_id, {})[locale] = count
    by_course: dict[int, list[Module]] = {}
    for module in modules:
        by_course.setdefault(module.course_id, []).append(module)
    last_sync = db.session.scalar(select(SyncRun).order_by(SyncRun.id.desc()).limit(1))
    problems = _course_problems(current_app.config["COURSES_PATH"])
    return render_template(
        "content/admin_courses.html",
        courses=courses,
        by_course=by_course,
        quiz_versions=quiz_versions,
        words=words,
        last_sync=last_sync,
        problems=problems,
    )


_CHECKED: dict = {}


def _course_problems(root) -> list:
    """What ``flask courses check`` says of the course tree, checked again only when a file in it changed
    (the check reads and renders every module: about a second; the page is opened far more often)."""
    from pathlib import Path

    files = sorted(p for p in Path(root).rglob("*") if p.is_file())
    fingerprint = tuple((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in files)
    if _CHECKED.get("fingerprint") != fingerprint:
        _sources, problems = load_courses(root)
        _CHECKED.update(fingerprint=fingerprint, problems=problems)
    return _CHECKED["problems"]


@bp.get("/admin/<course_slug>/<module_slug>/preview")
@roles_required("admin", "trainer")
def preview(course_slug: str, module_slug: str):
    course = service.course_by_slug(course_slug)
    if course is None:
        abort(404)
    module = db.session.scalar(select(Module).where(Module.course_id == course.id, Module.slug == module_slug))
    if module is None:
        abort(404)
    locale = request.args.get("lang", _locale())
    if locale not in module.locales:
        locale = "fr"
    text = db.session.scalar(select(ModuleText).where(ModuleText.module_id == module.id, ModuleText.locale == locale))
    return render_template("content/preview.html", course=course, module=module, text=text, locale=locale)
