"""The programme report's PDF made off the request (issue #19): a background job (``lms/core/jobs.py``).

The admin's button stores the report's filters and the masking choice in the job's ``result`` and queues
``render_programme_pdf``; the task renders the PDF (both languages, ``exports.programme_pdf``) into
``<instance>/reports/job-<id>.pdf`` (written to a ``.part`` file, then renamed: a half-written file is never
served) and marks the job finished; the admin who asked is told (``job_finished``). Rendering twice is harmless:
the file is replaced. ``purge_programme_files`` (daily) deletes the files and the finished jobs after a week.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict
from datetime import UTC, date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import delete, select

from ..accounts.models import User
from ..core import jobs
from ..core.queue import crontab, defer, periodic_task, task
from ..core.timeutil import utcnow
from ..extensions import db
from ..i18n import _, format_date
from ..notifications.service import tell_job_finished
from . import exports, service

logger = logging.getLogger(__name__)

KIND = "reports.programme_pdf"
#: how long a prepared PDF (and its job) is kept
KEEP = timedelta(days=7)


def folder() -> Path:
    return Path(current_app.instance_path) / "reports"


def file_of(job_id: int) -> Path:
    return folder() / f"job-{job_id}.pdf"


def params_of(filters: service.ProgrammeFilters, masked: bool) -> dict:
    """The report's parameters as JSON (dates as ISO strings)."""
    values = asdict(filters)
    values["start"], values["end"] = filters.start.isoformat(), filters.end.isoformat()
    return {"filters": values, "masked": bool(masked)}


def filters_of(job: jobs.BackgroundJob) -> tuple[service.ProgrammeFilters, bool]:
    """The filters and the masking choice stored on the job."""
    stored = job.result or {}
    values = dict(stored.get("filters") or {})
    values["start"] = date.fromisoformat(values["start"])
    values["end"] = date.fromisoformat(values["end"])
    return service.ProgrammeFilters(**values), bool(stored.get("masked"))


def start_pdf(filters: service.ProgrammeFilters, masked: bool, owner) -> tuple[jobs.BackgroundJob, bool]:
    """The job preparing this PDF: the owner's live one with the same parameters, or a new one queued once the
    caller commits. ``(job, created)``. Several admins (or one admin with other filters) may have jobs at once:
    the subject is None, which the one-live-job-per-subject index does not restrict."""
    params = params_of(filters, masked)
    for live in db.session.scalars(
        select(jobs.BackgroundJob).where(
            jobs.BackgroundJob.kind == KIND,
            jobs.BackgroundJob.owner_id == owner.id,
            jobs.BackgroundJob.state.in_(jobs.ACTIVE),
        )
    ):
        if (live.result or {}) == params:
            return live, False
    job = jobs.BackgroundJob(
        kind=KIND, subject_id=None, owner_id=owner.id, total=1, heartbeat_at=utcnow(), result=params
    )
    db.session.add(job)
    db.session.flush()
    defer(jobs.HANDLERS[KIND], job.id)
    return job, True


@task()
def render_programme_pdf(job_id: int) -> None:
    """Render the job's PDF; nothing when another worker holds the job or it is over."""
    claimed = jobs.claim(job_id)
    if claimed is None:
        return
    part = None
    try:
        job = db.session.get(jobs.BackgroundJob, job_id)
        filters, masked = filters_of(job)
        owner_id = job.owner_id
        db.session.rollback()
        data = exports.programme_pdf(filters, masked)
        db.session.rollback()  # its reads done: the file is written outside any transaction
        target = file_of(job_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        # One .part per claim: a worker thought dead (a render longer than JOB_STALE_SECONDS) and its replacement
        # never write into the same file; each rename puts a whole PDF in place.
        part = target.with_name(f"{target.name}.{claimed}.part")
        part.write_bytes(data)
        os.replace(part, target)
        part = None
        if not jobs.finish(job_id, claimed):
            db.session.rollback()  # taken over by another worker: it writes the same file
            return
        owner = db.session.get(User, owner_id) if owner_id is not None else None
        if owner is not None:
            _tell_owner(owner, job_id, filters)
        db.session.commit()
    except Exception as error:  # noqa: BLE001 - recorded on the job, which the person sees as failed
        logger.exception("programme PDF job %s failed", job_id)
        db.session.rollback()
        if part is not None:
            part.unlink(missing_ok=True)
        jobs.fail(job_id, claimed, f"{type(error).__name__}: {error}")


jobs.register(KIND, render_programme_pdf)


def _tell_owner(owner: User, job_id: int, filters: service.ProgrammeFilters) -> None:
    with force_locale(owner.locale or "fr"):
        title = str(_("The programme report (PDF) is ready"))
        body = str(
            _(
                "The report from %(start)s to %(end)s can be downloaded for seven days.",
                start=format_date(filters.start, "long"),
                end=format_date(filters.end, "long"),
            )
        )
    tell_job_finished(owner, job_id, title=title, body=body, endpoint="reports.programme_job_page")


def purge_programme_files(now=None) -> int:
    """Delete the prepared PDFs and the programme jobs ended more than a week ago; the number of jobs deleted."""
    cutoff = (now or utcnow()) - KEEP
    old = db.session.scalars(
        select(jobs.BackgroundJob.id).where(
            jobs.BackgroundJob.kind == KIND,
            jobs.BackgroundJob.state.in_((jobs.FINISHED, jobs.FAILED)),
            jobs.BackgroundJob.finished_at < cutoff,
        )
    ).all()
    if old:
        db.session.execute(delete(jobs.BackgroundJob).where(jobs.BackgroundJob.id.in_(old)))
    db.session.commit()
    for job_id in old:
        file_of(job_id).unlink(missing_ok=True)
    # Files whose job is gone (deleted by hand, or a .part left by a killed worker), older than a week.
    if folder().is_dir():
        limit = cutoff.replace(tzinfo=UTC).timestamp()
        for path in folder().glob("job-*"):
            try:
                if path.stat().st_mtime < limit:
                    path.unlink(missing_ok=True)
            except OSError:
                continue
    return len(old)


@periodic_task(crontab(minute="23", hour="3"))
def sweep_programme_files() -> None:
    """Every night: the week-old programme PDFs and their jobs."""
    purge_programme_files()
