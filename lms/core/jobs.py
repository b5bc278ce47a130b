"""Long work done off the request: a ``background_job`` row per piece of work, its progress, a periodic sweep.

A request that starts bulk work (issuing a cohort's certificates) writes a job row and queues the domain's task
(``start``); the person is sent to a page that reads the row (``done`` of ``total``, ``state``). The row is the
truth, the queued task only points at it (see ``lms/core/queue.py``):

- ``claim`` takes the job with a conditional UPDATE (queued, or running with a heartbeat gone stale): a task
  queued twice, or queued again by the sweep, finds it taken and does nothing. Each claim gets a number
  (``attempts``); a worker writes its progress only while the job still carries its number, so a worker thought
  dead and replaced stops at its next batch instead of working beside its replacement.
- ``progress`` records how far the work went, in the transaction of the work itself (each batch commits its
  results and its cursor together); it is also the heartbeat.
- ``sweep_jobs`` (every minute, and when a consumer starts) queues again what a killed consumer lost: a running job
  whose heartbeat is older than ``JOB_STALE_SECONDS``, a queued job whose task never came. After ``MAX_ATTEMPTS``
  claims the job is marked failed rather than tried forever.

A domain registers the task of each kind: ``jobs.register("certificates.issue", issue_cohort_task)``.
At most one queued or running job per kind and subject (a unique partial index): a second click finds the first.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import JSON, ForeignKey, Index, String, Text, and_, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .queue import crontab, defer, enqueue, huey, periodic_task
from .timeutil import utcnow

logger = logging.getLogger(__name__)

QUEUED, RUNNING, FINISHED, FAILED = "queued", "running", "finished", "failed"
ACTIVE = (QUEUED, RUNNING)
#: claims of one job before it is marked failed (each consumer killed under it costs one)
MAX_ATTEMPTS = 5
#: kind -> the task that does a job of that kind (called with the job's id)
HANDLERS: dict = {}


class BackgroundJob(db.Model):
    """One piece of bulk work and how far it went."""

    __tablename__ = "background_job"
    __table_args__ = (
        # One live job per kind and subject: a second click finds the running one.
        Index(
            "uq_background_job_active",
            "kind",
            "subject_id",
            unique=True,
            sqlite_where=text("state IN ('queued', 'running')"),
            postgresql_where=text("state IN ('queued', 'running')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: a key of ``HANDLERS`` (``certificates.issue``)
    kind: Mapped[str] = mapped_column(String(40))
    #: who started it (kept while the person's account is)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), index=True)
    #: what it works on, per kind (the cohort for ``certificates.issue``)
    subject_id: Mapped[int | None]
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED, index=True)
    #: how many times it was claimed (the number of the claim that may write its progress)
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    #: what the work needs to resume and to report (counts, cursor), written with each batch
    result: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    #: the last sign of life of the worker (or, while queued, when it was last queued)
    heartbeat_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    @property
    def is_active(self) -> bool:
        return self.state in ACTIVE

    @property
    def percent(self) -> int:
        if self.state == FINISHED:
            return 100
        return min(100, round(100 * self.done / self.total)) if self.total else 0


def register(kind: str, task_function) -> None:
    """``task_function(job_id)`` does the jobs of ``kind``."""
    HANDLERS[kind] = task_function


def stale_after() -> timedelta:
    return timedelta(seconds=current_app.config.get("JOB_STALE_SECONDS", 120))


def active_job(kind: str, subject_id: int | None) -> BackgroundJob | None:
    return db.session.scalar(
        select(BackgroundJob).where(
            BackgroundJob.kind == kind, BackgroundJob.subject_id == subject_id, BackgroundJob.state.in_(ACTIVE)
        )
    )


def start(kind: str, subject_id: int | None, owner, total: int = 0) -> tuple[BackgroundJob, bool]:
    """The live job of ``kind`` on ``subject_id``, or a new one queued once the caller's transaction commits;
    ``(job, created)``. In the caller's transaction."""
    if kind not in HANDLERS:
        raise KeyError(kind)
    existing = active_job(kind, subject_id)
    if existing is not None:
        return existing, False
    job = BackgroundJob(
        kind=kind, subject_id=subject_id, owner_id=getattr(owner, "id", None), total=total, heartbeat_at=utcnow()
    )
    try:
        with db.session.begin_nested():
            db.session.add(job)
    except IntegrityError:  # started meanwhile by another request
        existing = active_job(kind, subject_id)
        if existing is None:
            raise
        return existing, False
    defer(HANDLERS[kind], job.id)
    return job, True


def claim(job_id: int) -> int | None:
    """Take the job for this worker (queued, or running with a stale heartbeat); commits. The claim's number
    (to give to ``progress`` and ``finish``), or None when the job is done, failed or held by a live worker."""
    now = utcnow()
    number = db.session.scalar(select(BackgroundJob.attempts).where(BackgroundJob.id == job_id))
    if number is None:
        db.session.rollback()
        return None
    taken = db.session.execute(
        update(BackgroundJob)
        .where(
            BackgroundJob.id == job_id,
            BackgroundJob.attempts == number,
            BackgroundJob.attempts < MAX_ATTEMPTS,
            or_(
                BackgroundJob.state == QUEUED,
                and_(BackgroundJob.state == RUNNING, BackgroundJob.heartbeat_at < now - stale_after()),
            ),
        )
        .values(
            state=RUNNING,
            attempts=number + 1,
            heartbeat_at=now,
            started_at=db.func.coalesce(BackgroundJob.started_at, now),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return number + 1 if taken == 1 else None


def progress(job_id: int, claimed: int, *, done: int, total: int | None = None, result: dict | None = None) -> bool:
    """Record how far the work went and beat the heart, in the caller's transaction (commit it with the work of
    the batch). False when the job is no longer this worker's: roll the batch back and stop."""
    values: dict = {"done": done, "heartbeat_at": utcnow()}
    if total is not None:
        values["total"] = total
    if result is not None:
        values["result"] = result
    return (
        db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.attempts == claimed, BackgroundJob.state == RUNNING)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def finish(job_id: int, claimed: int, result: dict | None = None) -> bool:
    """The job is done (in the caller's transaction). False when it was no longer this worker's."""
    now = utcnow()
    values: dict = {"state": FINISHED, "finished_at": now, "heartbeat_at": now, "done": BackgroundJob.total}
    if result is not None:
        values["result"] = result
    return (
        db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.attempts == claimed, BackgroundJob.state == RUNNING)
            .values(**values)
            .execution_options(synchronize_session=False)
        ).rowcount
        == 1
    )


def fail(job_id: int, claimed: int | None, error: str) -> None:
    """Mark the job failed (commits); what it did before is kept. Starting the work again makes a new job."""
    statement = update(BackgroundJob).where(BackgroundJob.id == job_id, BackgroundJob.state.in_(ACTIVE))
    if claimed is not None:
        statement = statement.where(BackgroundJob.attempts == claimed)
    now = utcnow()
    db.session.execute(
        statement.values(state=FAILED, error=error[:2000], finished_at=now, heartbeat_at=now).execution_options(
            synchronize_session=False
        )
    )
    db.session.commit()


def requeue_stale(now: datetime | None = None) -> list[int]:
    """Queue again the jobs a killed consumer (or an unreachable queue) left: running with a stale heartbeat, or
    queued and not taken since. A job claimed ``MAX_ATTEMPTS`` times is marked failed instead. Commits; returns
    the ids queued."""
    now = now or utcnow()
    cutoff = now - stale_after()
    stale = or_(BackgroundJob.heartbeat_at.is_(None), BackgroundJob.heartbeat_at < cutoff)
    worn_out = db.session.scalars(
        select(BackgroundJob.id).where(BackgroundJob.state.in_(ACTIVE), stale, BackgroundJob.attempts >= MAX_ATTEMPTS)
    ).all()
    for job_id in worn_out:
        logger.error("background job %s was interrupted %s times: marked failed", job_id, MAX_ATTEMPTS)
        db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.state.in_(ACTIVE))
            .values(state=FAILED, error=f"interrupted {MAX_ATTEMPTS} times", finished_at=now)
            .execution_options(synchronize_session=False)
        )
    rows = db.session.execute(
        select(BackgroundJob.id, BackgroundJob.kind, BackgroundJob.state).where(
            BackgroundJob.state.in_(ACTIVE), stale, BackgroundJob.attempts < MAX_ATTEMPTS
        )
    ).all()
    queued = []
    for job_id, kind, state in rows:
        if kind not in HANDLERS:
            continue
        # Back to "queued" (a job shown as running while nobody works on it would mislead); the heartbeat says
        # when it was queued, so the next sweep leaves it to this task for a while.
        changed = db.session.execute(
            update(BackgroundJob)
            .where(BackgroundJob.id == job_id, BackgroundJob.state == state, stale)
            .values(state=QUEUED, heartbeat_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if changed:
            if state == RUNNING:
                logger.warning("background job %s (%s) lost its worker: queued again", job_id, kind)
            queued.append((job_id, kind))
    db.session.commit()
    for job_id, kind in queued:
        enqueue(HANDLERS[kind], job_id)
    return [job_id for job_id, _kind in queued]


@periodic_task(crontab(minute="*"))
def sweep_jobs() -> None:
    """Every minute: queue again the jobs that a killed consumer or an unreachable queue left behind."""
    requeue_stale()


@huey.on_startup("tadrib.sweep_jobs")
def _sweep_on_start() -> None:
    # A consumer (re)started after a crash picks up the jobs left behind now, not at the next minute.
    try:
        sweep_jobs.call_local()
    except Exception:  # noqa: BLE001 - a database not set up yet must not stop the consumer
        logger.exception("could not sweep the background jobs at start")
