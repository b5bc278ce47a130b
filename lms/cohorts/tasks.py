"""Periodic reminders of the cohorts domain: the quizzes a learner has not passed yet, a week before the cohort
ends (when the cohort's ``remind_quizzes`` is on). When: ``rules.quiz_reminder_times``.

Each reminder is a notification (``notify``, kind ``quiz_reminder``) with a key per person, cohort and end date,
and the mail that goes with it for those who take reminders by e-mail (key ``mail:<key>``): the task runs every
15 minutes, on any number of consumers, and each person is reminded once. The quizzes are read again when the
reminder is sent (a quiz passed meanwhile is not recalled; nobody is written to with nothing left to pass).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta

from flask_babel import force_locale
from sqlalchemy import select

from ..accounts.models import User
from ..content.models import Module, QuizVersion
from ..content.service import module_titles
from ..core.queue import crontab, periodic_task
from ..core.timeutil import display_zone, utcnow
from ..core.urls import external_url, site_path
from ..extensions import db
from ..i18n import _, format_date
from ..notifications.models import Notification
from ..notifications.service import notify
from ..quizzes.grading import final_grade, passes
from ..quizzes.models import SUBMITTED, Attempt
from . import rules
from .models import Cohort, Enrolment
from .service import effective_quiz_settings

log = logging.getLogger(__name__)

#: how far back a periodic run looks for reminders still open (the longest a quiz reminder stays open, and a day)
LOOKBACK = timedelta(days=rules.QUIZ_REMINDER_DAYS + 2)
#: commit after this many notifications: a long run does not hold the database's write lock for long
BATCH = 50


# --- who, what, when --------------------------------------------------------------------------------------


def reachable(*conditions):
    """Who can be reminded: active accounts, not erased, not a walk-in without an address (``.invalid``)."""
    return (User.is_active.is_(True), User.erased_at.is_(None), User.email.not_like("%.invalid"), *conditions)


def reachable_learners(cohort_ids: list[int]) -> dict[int, list[User]]:
    """Per cohort, its enrolled learners who can be reminded (``reachable``). One query."""
    people: dict[int, list[User]] = {cohort_id: [] for cohort_id in cohort_ids}
    if not cohort_ids:
        return people
    for cohort_id, user in db.session.execute(
        select(Enrolment.cohort_id, User)
        .join(User, User.id == Enrolment.user_id)
        .where(*reachable(Enrolment.cohort_id.in_(cohort_ids)))
        .order_by(User.id)
    ):
        people[cohort_id].append(user)
    return people


def unpassed_quizzes(cohort: Cohort, user_ids: list[int]) -> dict[int, list[tuple[Module, QuizVersion]]]:
    """Per learner, the quizzes of the cohort's course they have not passed in this cohort (module order), by the
    certificate's rule: the grade of their submitted attempts made under the cohort (the quiz's grading
    method) reaches the pass mark, the cohort's own when its trainer set one (``quizzes.grading.passes``;
    ``certificates.service._records`` counts the same). A pre-test is diagnostic: never recalled. Three queries."""
    modules = db.session.scalars(
        select(Module)
        .where(Module.course_id == cohort.course_id, Module.is_archived.is_(False))
        .order_by(Module.position)
    ).all()
    quizzes = {
        q.module_id: q
        for q in db.session.scalars(
            select(QuizVersion).where(
                QuizVersion.module_id.in_([m.id for m in modules]), QuizVersion.is_current.is_(True)
            )
        )
        if q.definition["settings"].get("role", "graded") != "pretest"
    }
    if not quizzes or not user_ids:
        return {user_id: [] for user_id in user_ids}
    percents: dict[tuple[int, int], list[float]] = defaultdict(list)
    for user_id, module_id, percent in db.session.execute(
        select(Attempt.user_id, Attempt.module_id, Attempt.percent)
        .where(
            Attempt.cohort_id == cohort.id,
            Attempt.user_id.in_(user_ids),
            Attempt.module_id.in_(list(quizzes)),
            Attempt.state == SUBMITTED,
            Attempt.is_pending.is_(False),
        )
        .order_by(Attempt.number)
    ):
        percents[(user_id, module_id)].append(percent or 0.0)
    settings = {m.id: effective_quiz_settings(cohort, m.slug, quizzes[m.id]) for m in modules if m.id in quizzes}
    return {
        user_id: [
            (m, quizzes[m.id])
            for m in modules
            if m.id in quizzes
            and not passes(
                final_grade(percents.get((user_id, m.id), []), settings[m.id]["grading"]), settings[m.id]["pass_mark"]
            )
        ]
        for user_id in user_ids
    }


def quiz_key(cohort: Cohort, user_id: int) -> str:
    # The end date in the key: a cohort whose end moves later is recalled again a week before its new end.
    return f"quiz-reminder:{cohort.id}:{user_id}:{cohort.end_date:%Y%m%d}"


def quiz_reminders(
    start: datetime, end: datetime, *, cohort_ids: list[int] | None = None, include_off: bool = False
) -> list[rules.Reminder]:
    """The quiz reminders falling due within [start, end) (naive UTC), computed, not sent: one per learner with a
    quiz not passed *now* (a later one may have passed it by then). ``include_off``: also for the cohorts whose
    quiz reminders are switched off (the trainer's page shows what they would send). A few queries per cohort."""
    zone = display_zone()
    first = rules.local_day(start, zone) + timedelta(days=rules.QUIZ_REMINDER_DAYS - 1)
    last = rules.local_day(end, zone) + timedelta(days=rules.QUIZ_REMINDER_DAYS + 1)
    statement = select(Cohort).where(Cohort.is_archived.is_(False), Cohort.end_date.between(first, last))
    if cohort_ids is not None:
        statement = statement.where(Cohort.id.in_(cohort_ids))
    if not include_off:
        statement = statement.where(Cohort.remind_quizzes.is_(True))
    found = []
    for cohort in db.session.scalars(statement.order_by(Cohort.id)).all():
        due_at, closes_at = rules.quiz_reminder_times(cohort.end_date, zone)
        if not rules.in_window(due_at, start, end):
            continue
        people = reachable_learners([cohort.id])[cohort.id]
        missing = unpassed_quizzes(cohort, [u.id for u in people])
        found.extend(
            rules.Reminder(rules.QUIZ, quiz_key(cohort, user.id), user.id, cohort.id, due_at, closes_at)
            for user in people
            if missing[user.id]
        )
    return found


def already_notified(keys: list[str]) -> set[str]:
    """Which of ``keys`` were notified already (one query per 500 keys)."""
    done: set[str] = set()
    for i in range(0, len(keys), 500):
        done.update(db.session.scalars(select(Notification.key).where(Notification.key.in_(keys[i : i + 500]))))
    return done


def open_reminders(reminders: list[rules.Reminder], now: datetime) -> list[rules.Reminder]:
    """Those of ``reminders`` to send at ``now``: due, not closed, not sent yet."""
    due = [r for r in reminders if rules.is_open(r.due_at, r.closes_at, now)]
    done = already_notified([r.key for r in due])
    return [r for r in due if r.key not in done]


def quiz_reminders_to_send(now: datetime) -> list[rules.Reminder]:
    return open_reminders(quiz_reminders(now - LOOKBACK, now + timedelta(microseconds=1)), now)


# --- sending ----------------------------------------------------------------------------------------------



def send_quiz_reminders(reminders: list[rules.Reminder]) -> int:
    """Notify each reminder's learner of the quizzes they have not passed (read again now), in their language;
    commits as it goes. Returns how many were notified (a key already notified, by another consumer
    meanwhile, is skipped)."""
    by_cohort: dict[int, list[rules.Reminder]] = defaultdict(list)
    for reminder in reminders:
        by_cohort[reminder.cohort_id].append(reminder)
    sent = pending = 0
    for cohort_id, group in by_cohort.items():
        cohort = db.session.get(Cohort, cohort_id)
        if cohort is None or cohort.is_archived or not cohort.remind_quizzes:
            continue
        wanted = {r.user_id for r in group}
        people = [u for u in reachable_learners([cohort.id])[cohort.id] if u.id in wanted]
        missing = unpassed_quizzes(cohort, [u.id for u in people])
        for user in people:
            if missing[user.id]:
                sent += _notify_quizzes(cohort, user, missing[user.id])
                pending += 1
                if pending >= BATCH:
                    db.session.commit()
                    pending = 0
        db.session.commit()
    return sent


def _notify_quizzes(cohort: Cohort, user: User, missing: list[tuple[Module, QuizVersion]]) -> bool:
    locale = user.locale or "fr"
    titles = module_titles([m for m, _q in missing], locale)
    with force_locale(locale):
        title = _("Quizzes to pass before the training “%(cohort)s” ends", cohort=cohort.title)
        body = _(
            "The training ends on %(date)s. Not passed yet: %(quizzes)s.",
            date=format_date(cohort.end_date, "long"),
            quizzes=", ".join(titles[m.id] for m, _q in missing),
        )
    return notify(
        user,
        "quiz_reminder",
        quiz_key(cohort, user.id),
        title=title,
        body=body,
        link=site_path("content.course", course_slug=cohort.course.slug),
        mail_template="cohorts/email/quiz_reminder",
        cohort=cohort,
        quizzes=[(titles[m.id], external_url("quizzes.quiz", quiz_id=q.id)) for m, q in missing],
        course_url=external_url("content.course", course_slug=cohort.course.slug),
    )


def run_quiz_reminders(now: datetime | None = None) -> int:
    """Send the quiz reminders due at ``now`` (default: now). Returns how many were sent."""
    return send_quiz_reminders(quiz_reminders_to_send(now or utcnow()))


@periodic_task(crontab(minute="*/15"))
def remind_quizzes() -> None:
    """Every 15 minutes: the quiz reminders due (each once, whatever the number of consumers)."""
    sent = run_quiz_reminders()
    if sent:
        log.info("quiz reminders sent: %d", sent)


# --- housekeeping -----------------------------------------------------------------------------------------


@periodic_task(crontab(minute="7"))
def purge_import_previews() -> int:
    """Hourly: delete the enrolment-import previews past IMPORT_PREVIEW_HOURS (they list people's names and
    addresses); as ``flask cohorts purge-imports``, without needing a cron."""
    from . import previews

    count = previews.purge_expired()
    if count:
        log.info("%s expired import preview(s) deleted", count)
    return count
