"""Issuing a cohort's certificates off the request: a background job (``lms/core/jobs.py``) done in batches.

Each batch issues the certificates of ``JOB_BATCH_SIZE`` learners (taken in the order of their ids) and commits
them together with the job's progress: the counts so far and the last learner handled (the cursor). A consumer
killed in the middle loses at most its open batch (rolled back by the database); the job, queued again by the
sweep, resumes after the cursor. A certificate is never issued twice: ``service.issue`` returns the live
certificate when there is one, and the unique index ``uq_certificate_live`` refuses a second one made at the same
moment by another worker (counted as already issued).

Each learner whose certificate is issued here is told (``certificate_issued``, in the batch's transaction: once
per certificate), and the person who started the job is told when it ends (``job_finished``).
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from ..accounts.models import User
from ..cohorts import service as cohorts
from ..cohorts.models import Cohort
from ..core import jobs
from ..core.queue import task
from ..extensions import db
from ..i18n import _
from ..notifications.service import tell_job_finished
from . import service

logger = logging.getLogger(__name__)

KIND = "certificates.issue"
OUTCOMES = ("issued", "existing", "not_eligible")


def start_issue(cohort: Cohort, actor) -> tuple[jobs.BackgroundJob, bool]:
    """The job issuing ``cohort``'s certificates: the one already queued or running, or a new one queued once the
    caller commits. ``(job, created)``."""
    return jobs.start(KIND, cohort.id, actor, total=len(cohorts.learners(cohort)))


def counts_of(job: jobs.BackgroundJob) -> dict[str, int]:
    """How many learners so far got a certificate, had one already, are not yet eligible."""
    stored = (job.result or {}).get("counts") or {}
    return {outcome: int(stored.get(outcome, 0)) for outcome in OUTCOMES}


@task()
def issue_cohort(job_id: int) -> None:
    """Do (or resume) the job ``job_id``; nothing when another worker holds it or it is over."""
    claimed = jobs.claim(job_id)
    if claimed is None:
        return
    try:
        _issue_in_batches(job_id, claimed)
    except Exception as error:  # noqa: BLE001 - recorded on the job, which the person sees as failed
        logger.exception("certificates job %s failed", job_id)
        db.session.rollback()
        jobs.fail(job_id, claimed, f"{type(error).__name__}: {error}")


jobs.register(KIND, issue_cohort)


def _issue_in_batches(job_id: int, claimed: int) -> None:
    job = db.session.get(jobs.BackgroundJob, job_id)
    cohort = db.session.get(Cohort, job.subject_id) if job.subject_id is not None else None
    if cohort is None:
        jobs.fail(job_id, claimed, "the cohort no longer exists")
        return
    owner_id = job.owner_id
    actor = db.session.get(User, owner_id) if owner_id is not None else None
    counts = counts_of(job)
    after = int((job.result or {}).get("after", 0))
    done = job.done
    statuses = service.cohort_eligibility(cohort)
    people = {u.id: u for u in cohorts.learners(cohort)}
    pending = sorted(user_id for user_id in statuses if user_id > after and user_id in people)
    total = done + len(pending)
    if not jobs.progress(job_id, claimed, done=done, total=total):
        db.session.rollback()
        return
    db.session.commit()
    size = max(1, int(current_app.config.get("JOB_BATCH_SIZE", 10)))
    for first in range(0, len(pending), size):
        batch = pending[first : first + size]
        for user_id in batch:
            if not statuses[user_id].eligible:
                counts["not_eligible"] += 1
                continue
            learner = people[user_id]
            try:
                with db.session.begin_nested():
                    certificate, created = service.issue(cohort, learner, actor, check=False)
            except IntegrityError:  # issued this very moment by another worker or a trainer's click
                created = False
            counts["issued" if created else "existing"] += 1  # (``issue`` tells the learner)
        done += len(batch)
        if not jobs.progress(
            job_id, claimed, done=done, total=total, result={"counts": dict(counts), "after": batch[-1]}
        ):
            db.session.rollback()  # another worker took the job over: it redoes this batch
            logger.warning("certificates job %s was taken over by another worker: stopping", job_id)
            return
        db.session.commit()
    result = {"counts": dict(counts), "after": pending[-1] if pending else after}
    if jobs.finish(job_id, claimed, result):
        owner = db.session.get(User, owner_id) if owner_id is not None else None
        if owner is not None:
            _tell_owner(owner, job_id, db.session.get(Cohort, cohort.id), counts)
        db.session.commit()
    else:
        db.session.rollback()


def _tell_owner(owner: User, job_id: int, cohort: Cohort, counts: dict) -> None:
    with force_locale(owner.locale or "fr"):
        title = str(_("Certificates of “%(cohort)s”: the issuing is finished", cohort=cohort.title))
        body = str(
            _(
                "%(issued)d certificates issued, %(existing)d already issued, "
                "%(not_eligible)d learners not yet eligible.",
                **counts,
            )
        )
    tell_job_finished(owner, job_id, title=title, body=body, endpoint="certificates.job_page")
