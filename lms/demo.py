"""``flask demo load``: a believable demo programme (DESIGN.md §4).

Names are invented. Passwords are random unless LMS_DEMO_PASSWORD is set; every account is written to
``instance/demo-accounts.txt`` (role, e-mail, password), one line each.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from .accounts import service as accounts
from .accounts.models import User
from .extensions import db

cli = click.Group("demo", help="Demo data.")

ADMIN = ("admin", "admin@tadrib.demo", "Nadia Benali", "نادية بنعلي", "other", "central", "female")
TRAINERS = [
    ("trainer", "formateur1@tadrib.demo", "Youssef El Amrani", "يوسف العمراني", "magistrate-judge", "rabat", "male"),
    ("trainer", "formatrice2@tadrib.demo", "Salma Tazi", "سلمى التازي", "social-worker", "casablanca", "female"),
]
LEARNERS = [
    ("Karim Idrissi", "كريم الإدريسي", "magistrate-judge", "fes", "male"),
    ("Fatima Zahra Alaoui", "فاطمة الزهراء العلوي", "magistrate-prosecutor", "rabat", "female"),
    ("Hicham Bennani", "هشام بناني", "magistrate-prosecutor", "tanger", "male"),
    ("Meryem Chraibi", "مريم الشرايبي", "magistrate-judge", "marrakech", "female"),
    ("Abdelaziz Ouazzani", "عبد العزيز الوزاني", "magistrate-judge", "oujda", "male"),
    ("Latifa Berrada", "لطيفة برادة", "magistrate-prosecutor", "agadir", "female"),
    ("Omar Fassi Fihri", "عمر الفاسي الفهري", "magistrate-judge", "meknes", "male"),
    ("Khadija Amrani", "خديجة العمراني", "social-worker", "casablanca", "female"),
    ("Samira Lahlou", "سميرة لحلو", "social-worker", "kenitra", "female"),
    ("Rachid Bouzidi", "رشيد البوزيدي", "social-worker", "beni-mellal", "male"),
    ("Houda Kettani", "هدى الكتاني", "social-worker", "tetouan", "female"),
    ("Nabil Sqalli", "نبيل السقلي", "social-worker", "laayoune", None),
]


def _password() -> str:
    return os.environ.get("LMS_DEMO_PASSWORD") or secrets.token_urlsafe(12)


def load_demo(size: str = "small") -> list[tuple[str, str, str]]:
    """Create the demo people and return ``(role, email, password)`` for each new account."""
    created = []

    def add(role, email, latin, arabic, profession, jurisdiction, gender, roles, locale="fr"):
        if accounts.get_user_by_email(email):
            return None
        password = _password()
        user = accounts.create_user(
            email,
            latin,
            password=password,
            roles=roles,
            name_arabic=arabic,
            profession=profession,
            jurisdiction=jurisdiction,
            gender=gender,
            locale=locale,
            channel="cli",
        )
        created.append((role, email, password))
        return user

    add(*ADMIN, roles=("admin", "trainer"))
    for entry in TRAINERS:
        add(*entry, roles=("trainer",))
    for index, (latin, arabic, profession, jurisdiction, gender) in enumerate(LEARNERS, start=1):
        kind = "magistrat" if profession.startswith("magistrate") else "social"
        add(
            "learner",
            f"{kind}{index}@tadrib.demo",
            latin,
            arabic,
            profession,
            jurisdiction,
            gender,
            roles=("learner",),
            locale="ar" if index % 3 == 0 else "fr",
        )
    db.session.flush()
    _demo_progress(size)
    _demo_cohorts(size)
    return created


# --- quiz attempts with their answers -------------------------------------------------------------------


def _right_response(question: dict):
    kind = question["type"]
    if kind == "single":
        return next(o["id"] for o in question["options"] if o.get("correct"))
    if kind == "multiple":
        return [o["id"] for o in question["options"] if o.get("correct")]
    if kind == "truefalse":
        return bool(question["answer"])
    if kind == "matching":
        return {item["id"]: item["match"] for item in question["items"]}
    if kind == "short":
        accepted = [a for answers in question.get("answers", {}).values() for a in answers]
        return accepted[0] if accepted else ""
    return "Réponse rédigée pendant l'atelier."  # essay: graded by the trainer (manual points)


def _wrong_response(question: dict, rng):
    kind = question["type"]
    if kind in ("single", "multiple"):
        wrong = [o["id"] for o in question["options"] if not o.get("correct")] or [question["options"][0]["id"]]
        choice = rng.choice(wrong)
        return choice if kind == "single" else [choice]
    if kind == "truefalse":
        return not bool(question["answer"])
    if kind == "matching":
        items = question["items"]
        return {item["id"]: items[(i + 1) % len(items)]["match"] for i, item in enumerate(items)}
    if kind == "short":
        return "je ne sais pas"
    return "Réponse incomplète."


def demo_answers(definition: dict, seed: int, target: float, rng, should_pass: bool | None = None):
    """A believable attempt at a quiz: the questions drawn as a real attempt draws them (seeded), right answers
    for about ``target`` percent of the points, wrong or blank ones for the rest, scored by quizzes.grading.
    ``should_pass``: make sure the grade is on that side of the pass mark. Returns (question ids drawn,
    responses, manual points, score)."""
    from .quizzes import grading

    settings = definition["settings"]
    by_id = {q["id"]: q for q in definition["questions"]}
    drawn = grading.draw_questions(
        definition["questions"], seed, bool(settings.get("shuffle_questions")), settings.get("draw")
    )
    questions = [by_id[qid] for qid in drawn]
    order = list(drawn)
    rng.shuffle(order)
    maximum = sum(float(q.get("points", 1)) for q in questions) or 1.0
    right, gained = [], 0.0
    for qid in order:
        if 100.0 * gained / maximum >= target:
            break
        right.append(qid)
        gained += float(by_id[qid].get("points", 1))
    blank = {qid for qid in drawn if qid not in right and rng.random() < 0.15}
    pass_mark = settings.get("pass_mark", 70)

    def build():
        responses, manual = {}, {}
        for question in questions:
            qid = question["id"]
            if qid in right:
                responses[qid] = _right_response(question)
                if question["type"] == "essay":
                    manual[qid] = float(question.get("points", 1))
            elif qid not in blank:
                responses[qid] = _wrong_response(question, rng)
                if question["type"] == "essay":
                    manual[qid] = 0.0
        return responses, manual, grading.score(questions, responses, manual)

    responses, manual, result = build()
    wrong = [qid for qid in order if qid not in right]
    while should_pass is False and grading.passes(result.percent, pass_mark) and right:
        right.pop()
        responses, manual, result = build()
    while should_pass is True and not grading.passes(result.percent, pass_mark) and wrong:
        right.append(wrong.pop())
        responses, manual, result = build()
    return drawn, responses, manual, result


def add_demo_attempt(version, *, user_id, cohort_id, number, seed, target, started, rng, should_pass=None):
    """A submitted attempt with its Answer rows, consistent with its grade (quizzes.grading)."""
    from datetime import timedelta

    from .quizzes import grading
    from .quizzes.models import Answer, Attempt

    definition = version.definition
    drawn, responses, manual, result = demo_answers(definition, seed, target, rng, should_pass)
    attempt = Attempt(
        user_id=user_id,
        module_id=version.module_id,
        quiz_version_id=version.id,
        cohort_id=cohort_id,
        number=number,
        seed=seed,
        question_ids=drawn,
        state="submitted",
        started_at=started,
        submitted_at=started + timedelta(minutes=20),
        finished_by="learner",
        points=result.points,
        max_points=result.max_points,
        percent=result.percent,
        is_passed=grading.passes(result.percent, definition["settings"].get("pass_mark", 70)),
        is_pending=False,
    )
    db.session.add(attempt)
    db.session.flush()
    by_id = {q["id"]: q for q in definition["questions"]}
    for qid, response in responses.items():
        db.session.add(
            Answer(
                attempt_id=attempt.id,
                question_id=qid,
                response=response,
                saved_at=started + timedelta(minutes=10),
                points=grading.score_question(by_id[qid], response, manual.get(qid)).points,
                manual_points=manual.get(qid),
            )
        )
    return attempt


def _demo_progress(size: str) -> None:
    """Some learners have started their track: a few modules read, some completed."""
    from datetime import timedelta

    from .content.models import Course, Module, ModuleProgress
    from .core.timeutil import utcnow

    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.is_archived.is_(False)))}
    if not courses:
        return
    modules = {
        slug: db.session.scalars(
            select(Module).where(Module.course_id == c.id, Module.is_archived.is_(False)).order_by(Module.position)
        ).all()
        for slug, c in courses.items()
    }
    now = utcnow()
    learners = db.session.scalars(select(User).where(User.email.like("%@tadrib.demo"), User.is_learner.is_(True))).all()
    for index, user in enumerate(learners):
        slug = "palermo-magistrates" if (user.profession or "").startswith("magistrate") else "victim-identification"
        track = modules.get(slug, [])
        done = index % (len(track) + 1) if track else 0
        for position, module in enumerate(track[: done + 1]):
            if db.session.scalar(
                select(ModuleProgress.id).where(
                    ModuleProgress.user_id == user.id, ModuleProgress.module_id == module.id
                )
            ):
                continue
            seen = now - timedelta(days=20 - position * 2, hours=index)
            db.session.add(
                ModuleProgress(
                    user_id=user.id,
                    module_id=module.id,
                    first_viewed_at=seen,
                    last_viewed_at=seen,
                    completed_at=seen + timedelta(minutes=40) if position < done else None,
                )
            )


def _mark_read(user_id: int, module_id: int, at: datetime) -> None:
    """A demo learner read the module at ``at`` (and completed it an hour later), whatever was there before."""
    from .content.models import ModuleProgress

    progress = db.session.scalar(
        select(ModuleProgress).where(ModuleProgress.user_id == user_id, ModuleProgress.module_id == module_id)
    )
    if progress is None:
        db.session.add(
            ModuleProgress(
                user_id=user_id,
                module_id=module_id,
                first_viewed_at=at,
                last_viewed_at=at,
                completed_at=at + timedelta(hours=1),
            )
        )
    else:
        progress.completed_at = progress.completed_at or at + timedelta(hours=1)


def _enrolled_cohort(people, **fields):
    """A demo cohort saved as an admin would, its learners enrolled as an import would."""
    from .cohorts import service as cohorts

    cohort = cohorts.save_cohort(None, None, **fields)
    for user in people:
        cohorts.enrol(cohort, user, None, source="import")
    return cohort


def _demo_cohorts(size: str) -> None:
    """A finished cohort (attendance taken, quizzes passed, certificates issued) and a running one."""
    import secrets as _secrets
    from datetime import datetime, timedelta

    from .attendance.models import Attendance, WorkshopSession
    from .certificates import service as certificates
    from .cohorts.models import Cohort
    from .content.models import Course, Module, QuizVersion
    from .core.timeutil import utcnow

    if db.session.scalar(select(func.count(Cohort.id))):
        return
    import random

    rng = random.Random(2026)  # noqa: S311 - demo data  # nosec B311
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    if "palermo-magistrates" not in courses or "victim-identification" not in courses:
        return
    trainers = db.session.scalars(select(User).where(User.is_trainer.is_(True)).order_by(User.id)).all()
    magistrates = db.session.scalars(
        select(User).where(User.email.like("magistrat%@tadrib.demo")).order_by(User.id)
    ).all()
    workers = db.session.scalars(select(User).where(User.email.like("social%@tadrib.demo")).order_by(User.id)).all()
    now = utcnow()
    today = now.date()
    # The README's people: formateur1 runs the finished Rabat cohort (with the admin) and helps in Casablanca,
    # which formatrice2 leads.
    by_email = {t.email: t for t in trainers}
    lead = by_email.get(TRAINERS[0][1], trainers[0])
    second = by_email.get(TRAINERS[1][1], lead)
    admin = by_email.get(ADMIN[1])

    def session(cohort, title, start, hours=3):
        item = WorkshopSession(
            cohort_id=cohort.id,
            title=title,
            starts_at=start,
            ends_at=start + timedelta(hours=hours),
            place=cohort.venue,
            modules=[],
            checkin_secret=_secrets.token_hex(32),
            trainer_id=cohort.trainers[0].id,
        )
        db.session.add(item)
        db.session.flush()
        return item

    # 1. Finished: Rabat, magistrates.
    finished = _enrolled_cohort(
        magistrates,
        course=courses["palermo-magistrates"],
        trainers=list(dict.fromkeys(t for t in (admin, lead) if t is not None)),
        title="Rabat — magistrats, session d'automne",
        start_date=today - timedelta(days=75),
        end_date=today - timedelta(days=45),
        mode="blended",
        jurisdiction="rabat",
        city="Rabat",
        venue="Institut supérieur de la magistrature",
        city_ar="الرباط",
        venue_ar="المعهد العالي للقضاء",
        language="fr",
    )
    modules = db.session.scalars(
        select(Module).where(Module.course_id == finished.course_id).order_by(Module.position)
    ).all()
    quizzes = {q.module_id: q for q in db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True)))}
    sessions = [
        session(
            finished,
            f"Atelier {i + 1}",
            datetime.combine(finished.start_date + timedelta(days=7 * i), datetime.min.time()) + timedelta(hours=8),
        )
        for i in range(3)
    ]
    for index, user in enumerate(magistrates):
        complete = index % 5 != 4  # one in five did not finish
        for position, module in enumerate(modules):
            if not complete and position >= 3:
                break
            at = datetime.combine(finished.start_date, datetime.min.time()) + timedelta(
                days=4 * position + 1, hours=index
            )
            _mark_read(user.id, module.id, at)
            quiz = quizzes.get(module.id)
            if quiz is not None:
                # Those who finished passed every quiz; the others are still struggling. Each attempt carries
                # the answers its grade comes from.
                target = 72.0 + (index * 7 + position * 5) % 28 if complete else 40.0 + (index * 7) % 30
                add_demo_attempt(
                    quiz,
                    user_id=user.id,
                    cohort_id=finished.id,
                    number=1,
                    seed=1000 * index + position,
                    target=target,
                    started=at,
                    rng=rng,
                    should_pass=complete,
                )
        for number, item in enumerate(sessions):
            if complete:
                status = "late" if (index + number) % 4 == 3 else "present"
            else:
                status = "absent" if number == 1 else "present"
            db.session.add(
                Attendance(
                    session_id=item.id,
                    user_id=user.id,
                    status=status,
                    method="trainer",
                    marked_by_id=lead.id,
                    marked_at=item.starts_at,
                )
            )
    db.session.flush()
    certificates.issue_all(finished, lead)

    # 2. Running: Casablanca, social workers, led by the second trainer (the first helps): six workshops, three
    # held, the fourth under way now (check-in open), two to come; quizzes taken, with their answers.
    running = _enrolled_cohort(
        workers,
        course=courses["victim-identification"],
        trainers=list(dict.fromkeys([second, lead])),
        title="Casablanca — assistantes et assistants sociaux des cellules",
        start_date=today - timedelta(days=24),
        end_date=today + timedelta(days=20),
        mode="in_person",
        jurisdiction="casablanca",
        city="Casablanca",
        venue="Cour d'appel de Casablanca, salle de formation",
        city_ar="الدار البيضاء",
        venue_ar="محكمة الاستئناف بالدار البيضاء، قاعة التكوين",
        language="ar",
    )
    at_nine = lambda days: datetime.combine(today + timedelta(days=days), datetime.min.time()) + timedelta(hours=9)  # noqa: E731
    held = [
        session(running, "الحصة 1: فهم الاتجار بالبشر", at_nine(-21)),
        session(running, "الحصة 2: مؤشرات الاتجار", at_nine(-14)),
        session(running, "الحصة 3: الاستقبال والإنصات", at_nine(-7)),
    ]
    current = session(running, "الحصة 4: الأطفال الضحايا", now - timedelta(minutes=30), hours=4)
    current.is_checkin_open = True
    session(running, "الحصة 5: الإحالة والتكفل", at_nine(7))
    session(running, "الحصة 6: التقييم الختامي", at_nine(14))
    # One excused absence (not held against her), one who can no longer reach 80 % (two absences out of six),
    # one behind after half of the sessions (one absence), the others present; two checked in this morning.
    patterns = [
        ("present", "excused", "present"),
        ("present", "present", "present"),
        ("absent", "absent", "present"),
        ("present", "late", "absent"),
        ("excused", "present", "present"),
    ]
    for index, user in enumerate(workers):
        for item, status in zip(held, patterns[index % len(patterns)], strict=True):
            db.session.add(
                Attendance(
                    session_id=item.id,
                    user_id=user.id,
                    status=status,
                    method="paper",
                    marked_by_id=running.trainers[0].id,
                    marked_at=item.starts_at,
                )
            )
        if index % 3 == 1:
            db.session.add(
                Attendance(
                    session_id=current.id,
                    user_id=user.id,
                    status="present",
                    method="checkin",
                    marked_by_id=user.id,
                    marked_at=now - timedelta(minutes=25),
                )
            )
    track = db.session.scalars(
        select(Module)
        .where(Module.course_id == running.course_id, Module.is_archived.is_(False))
        .order_by(Module.position)
    ).all()
    for index, user in enumerate(workers):
        for position, module in enumerate(track[: 2 + index % 3]):
            quiz = quizzes.get(module.id)
            at = datetime.combine(running.start_date, datetime.min.time()) + timedelta(
                days=3 * position + 1, hours=index
            )
            passes = quiz is not None and quiz.definition["settings"].get("role") != "pretest" and index != 2
            _mark_read(user.id, module.id, at)
            if quiz is None:
                continue
            role = quiz.definition["settings"].get("role")
            target = 35.0 + (index * 11) % 30 if role == "pretest" else (80.0 + (index * 7) % 20 if passes else 50.0)
            add_demo_attempt(
                quiz,
                user_id=user.id,
                cohort_id=running.id,
                number=1,
                seed=5000 + 100 * index + position,
                target=target,
                started=at,
                rng=rng,
                should_pass=None if role == "pretest" else passes,
            )
    db.session.flush()
    _demo_evaluation(finished, sessions, running, held, rng)
    if size == "large":
        _demo_large(courses, trainers)


#: what demo learners write in the surveys' free-text items and in their action plans (fictional, no case data)
_DEMO_COMMENTS = {
    "fr": [
        "Les cas pratiques sur la distinction entre traite et trafic de migrants étaient très utiles.",
        "Prévoir plus de temps pour les échanges entre parquet et cellules de prise en charge.",
        "La liste des indicateurs est claire ; j'aurais aimé un exercice sur l'audition d'un enfant.",
        "Les supports en arabe et en français facilitent le travail avec les collègues.",
        "Un atelier de plus sur la coopération internationale serait bienvenu.",
    ],
    "ar": [
        "كانت الحالات التطبيقية حول التمييز بين الاتجار بالبشر وتهريب المهاجرين مفيدة جدا.",
        "يستحسن تخصيص وقت أطول للتبادل بين النيابة العامة وخلايا التكفل.",
        "لائحة المؤشرات واضحة؛ وكنت أود تمرينا حول الاستماع إلى طفل.",
    ],
}
_DEMO_ACTIONS = [
    "Utiliser la liste d'indicateurs dès la première audition d'une affaire de travail forcé.",
    "Saisir la cellule de prise en charge du tribunal dès qu'une victime présumée est identifiée.",
    "Vérifier systématiquement l'article 448-1 (moyens et but d'exploitation) avant de qualifier les faits.",
    "Proposer une réunion trimestrielle avec les associations d'accompagnement de la ville.",
]


def _demo_survey_answers(definition: dict, rng, locale: str, index: int) -> dict:
    """Plausible answers to every item of ``definition``: mostly favourable, some free text."""
    answers = {}
    for section in definition.get("sections", []):
        for item in section["items"]:
            kind = item["kind"]
            if kind == "agree5":
                answers[item["id"]] = rng.choice((3, 4, 4, 5, 5, 2))
            elif kind == "scale10":
                answers[item["id"]] = rng.choice((6, 7, 8, 8, 9, 9, 10, 10))
            elif kind == "single":
                answers[item["id"]] = rng.choice(item["options"])["id"]
            elif kind == "multiple":
                picked = rng.sample(item["options"], k=min(len(item["options"]), rng.randint(1, 3)))
                answers[item["id"]] = [o["id"] for o in item["options"] if o in picked]
            elif index % 6 != 5 or item.get("required"):  # five in six write: the free text shows
                bank = _DEMO_COMMENTS.get(locale) or _DEMO_COMMENTS["fr"]
                text = bank[(index + len(answers)) % len(bank)]
                answers[item["id"]] = text[: item.get("max_length", 300 if kind == "short_text" else 3000)]
    return answers


def _demo_evaluation(finished, finished_sessions, running, held, rng) -> None:
    """Answered surveys, so that every results page shows figures: the finished cohort's workshops, its end of
    course (with action plans) and, its follow-up set one month after the end, its follow-up (plans reviewed);
    the running cohort's held workshops (fewer than five answers each: shown masked, as they would be)."""
    from datetime import timedelta

    from .cohorts import service as cohorts
    from .evaluation import responses
    from .evaluation import service as evaluation
    from .evaluation.models import OUTCOMES, ActionPlan, ActionPlanItem

    finished.follow_up_months = 1
    db.session.flush()

    def answer(round_, user, at, index, reviews=None):
        if round_ is None or evaluation.has_responded(user.id, round_.id):
            return
        version = evaluation.current_surveys([round_.survey.course_id])[(round_.survey.course_id, round_.role)][1]
        locale = user.locale or "fr"
        answers = _demo_survey_answers(version.definition, rng, locale, index)
        responses.submit(round_, user, answers, at, reviews=reviews)

    for cohort, sessions, skip in ((finished, finished_sessions, 4), (running, held, 1)):
        for session in sessions:
            round_ = evaluation.ensure_round(cohort, "session", session)
            if round_ is None:
                continue
            asked = db.session.scalars(
                select(User)
                .join(evaluation.SurveyParticipation, evaluation.SurveyParticipation.user_id == User.id)
                .where(evaluation.SurveyParticipation.round_id == round_.id)
                .order_by(User.id)
            ).all()
            for index, user in enumerate(asked):
                if index % 7 != skip:
                    answer(round_, user, session.ends_at + timedelta(hours=2 + index), index)
    end = evaluation.ensure_round(finished, "course_end")
    people = cohorts.learners(finished)
    for index, user in enumerate(people):
        if index == 6:
            continue  # one has not answered: the reminder's only recipient
        plan = ActionPlan(user_id=user.id, cohort_id=finished.id)
        for position in range(1, 2 + index % 3):
            action = _DEMO_ACTIONS[(index + position) % len(_DEMO_ACTIONS)]
            plan.items.append(ActionPlanItem(position=position, text=action))
        db.session.add(plan)
        answer(end, user, end.opens_at + timedelta(hours=10 + index), index)
    follow_up = evaluation.ensure_round(finished, "follow_up")
    for index, user in enumerate(people):
        if follow_up is None or index in (5, 6):
            continue
        plan = db.session.scalar(
            select(ActionPlan).where(ActionPlan.user_id == user.id, ActionPlan.cohort_id == finished.id)
        )
        reviews = [
            responses.Review(
                item.position,
                OUTCOMES[(index + n) % len(OUTCOMES)],
                "Le soutien du procureur du Roi" if n == 0 else None,
                "La charge de travail" if (index + n) % 2 else None,
            )
            for n, item in enumerate(plan.items if plan is not None else [])
        ]
        answer(follow_up, user, follow_up.opens_at + timedelta(days=1 + index), index, reviews)
    db.session.flush()


def _demo_large(courses, trainers) -> None:
    """Thousands of learners in dozens of cohorts, with progress, attempts and attendance (bulk inserts)."""
    import random
    from datetime import datetime, timedelta

    from sqlalchemy import insert

    from .accounts.service import jurisdictions
    from .attendance.models import Attendance, WorkshopSession
    from .cohorts.models import Cohort, Enrolment, cohort_trainer
    from .content.models import Module, ModuleProgress, QuizVersion
    from .quizzes.grading import passes, score_question
    from .quizzes.models import Answer, Attempt

    rng = random.Random(2027)  # noqa: S311 - demo data  # nosec B311
    codes = [j["code"] for j in jurisdictions()]
    first = [
        "Amine",
        "Yasmine",
        "Hamza",
        "Salma",
        "Youssef",
        "Imane",
        "Mehdi",
        "Khadija",
        "Anas",
        "Hajar",
        "Omar",
        "Meryem",
        "Reda",
        "Sara",
        "Ayoub",
        "Nora",
        "Ilyas",
        "Loubna",
        "Adil",
        "Siham",
    ]
    last = [
        "Alaoui",
        "Bennani",
        "Tazi",
        "Idrissi",
        "El Fassi",
        "Berrada",
        "Chraibi",
        "Lahlou",
        "Kettani",
        "Amrani",
        "Bouzidi",
        "Sqalli",
        "Ouazzani",
        "Benjelloun",
        "Filali",
        "Naciri",
    ]
    modules = {
        slug: db.session.scalars(select(Module).where(Module.course_id == c.id).order_by(Module.position)).all()
        for slug, c in courses.items()
    }
    quizzes = {q.module_id: q for q in db.session.scalars(select(QuizVersion).where(QuizVersion.is_current.is_(True)))}
    base = datetime(2026, 1, 5, 8, 0)
    for number in range(40):
        slug = "palermo-magistrates" if number % 3 else "victim-identification"
        course = courses[slug]
        start = (base + timedelta(days=9 * number)).date()
        result = db.session.execute(
            insert(Cohort).values(
                course_id=course.id,
                title=f"Cohorte {number + 1:02d} — {codes[number % len(codes)]}",
                start_date=start,
                end_date=start + timedelta(days=40),
                jurisdiction=codes[number % len(codes)],
                city=None,
                venue=None,
                mode="in_person",
                language="fr" if number % 2 else "ar",
                completion=dict(course.completion),
                is_archived=False,
                created_at=base,
            )
        )
        cohort_id = result.inserted_primary_key[0]
        db.session.execute(
            insert(cohort_trainer).values(cohort_id=cohort_id, user_id=trainers[number % len(trainers)].id)
        )
        people = []
        for i in range(60):
            profession = (
                "social-worker"
                if slug == "victim-identification"
                else rng.choice(["magistrate-judge", "magistrate-prosecutor"])
            )
            people.append(
                {
                    "email": f"large-{number:02d}-{i:03d}@tadrib.demo",
                    "name_latin": f"{rng.choice(first)} {rng.choice(last)}",
                    "locale": "fr",
                    "profession": profession,
                    "jurisdiction": codes[(number + i) % len(codes)],
                    "gender": rng.choice(["female", "male", None]),
                    "is_learner": True,
                    "is_trainer": False,
                    "is_admin": False,
                    "is_active": True,
                    "session_version": 1,
                    "created_at": base,
                }
            )
        db.session.execute(insert(User), people)
        ids = db.session.scalars(select(User.id).where(User.email.like(f"large-{number:02d}-%"))).all()
        db.session.execute(
            insert(Enrolment),
            [{"cohort_id": cohort_id, "user_id": uid, "enrolled_at": base, "source": "import"} for uid in ids],
        )
        session_ids = []
        for s in range(3):
            when = datetime.combine(start + timedelta(days=7 * s), datetime.min.time()) + timedelta(hours=8)
            session_ids.append(
                db.session.execute(
                    insert(WorkshopSession).values(
                        cohort_id=cohort_id,
                        title=f"Séance {s + 1}",
                        starts_at=when,
                        ends_at=when + timedelta(hours=3),
                        modules=[],
                        checkin_secret=f"{cohort_id:08d}{s}".ljust(64, "x"),
                        is_checkin_open=False,
                        late_after_minutes=15,
                    )
                ).inserted_primary_key[0]
            )
        progress, attempts, marks = [], [], []
        answers: dict = {}
        for uid in ids:
            done = rng.randint(0, len(modules[slug]))
            for position, module in enumerate(modules[slug][:done]):
                at = datetime.combine(start, datetime.min.time()) + timedelta(days=position * 5 + 1)
                progress.append(
                    {
                        "user_id": uid,
                        "module_id": module.id,
                        "first_viewed_at": at,
                        "last_viewed_at": at,
                        "completed_at": at,
                    }
                )
                quiz = quizzes.get(module.id)
                if quiz is not None:
                    seed = rng.randrange(2**31)
                    drawn, responses, manual, result = demo_answers(
                        quiz.definition, seed, float(rng.randint(35, 100)), rng
                    )
                    answers[(uid, module.id)] = (quiz.definition, responses, manual, at)
                    attempts.append(
                        {
                            "user_id": uid,
                            "module_id": module.id,
                            "quiz_version_id": quiz.id,
                            "cohort_id": cohort_id,
                            "number": 1,
                            "seed": seed,
                            "question_ids": drawn,
                            "state": "submitted",
                            "started_at": at,
                            "submitted_at": at,
                            "finished_by": "learner",
                            "points": result.points,
                            "max_points": result.max_points,
                            "percent": result.percent,
                            "is_passed": passes(result.percent, quiz.definition["settings"].get("pass_mark", 70)),
                            "is_pending": False,
                        }
                    )
            for sid in session_ids:
                marks.append(
                    {
                        "session_id": sid,
                        "user_id": uid,
                        "method": "trainer",
                        "status": rng.choices(["present", "late", "excused", "absent"], [70, 10, 5, 15])[0],
                        "marked_at": base,
                    }
                )
        for table, rows in ((ModuleProgress, progress), (Attempt, attempts), (Attendance, marks)):
            if rows:
                db.session.execute(insert(table), rows)
        # Each attempt's answers, scored as its grade was (one bulk insert per cohort).
        rows = []
        for attempt_id, uid, module_id in db.session.execute(
            select(Attempt.id, Attempt.user_id, Attempt.module_id).where(Attempt.cohort_id == cohort_id)
        ):
            definition, responses, manual, at = answers[(uid, module_id)]
            by_id = {q["id"]: q for q in definition["questions"]}
            rows += [
                {
                    "attempt_id": attempt_id,
                    "question_id": qid,
                    "response": response,
                    "saved_at": at,
                    "points": score_question(by_id[qid], response, manual.get(qid)).points,
                    "manual_points": manual.get(qid),
                }
                for qid, response in responses.items()
            ]
        if rows:
            db.session.execute(insert(Answer), rows)


def write_accounts_file(created: list[tuple[str, str, str]]) -> Path:
    path = Path(current_app.instance_path) / "demo-accounts.txt"
    lines = [f"{role}\t{email}\t{password}" for role, email, password in created]
    previous = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(previous + lines) + "\n")
    return path


@cli.command("load")
@click.option("--size", type=click.Choice(["small", "large"]), default="small", show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when the database already has users.")
@with_appcontext
def load_command(size: str, if_empty: bool) -> None:
    """Load demo people (and what other domains add)."""
    if if_empty and db.session.scalar(select(func.count(User.id))):
        click.echo("Database not empty: demo data not loaded.")
        return
    try:
        created = load_demo(size)
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise click.ClickException(f"demo data not loaded: {error}") from error
    if not created:
        click.echo("Demo accounts already present: nothing to add.")
        return
    path = write_accounts_file(created)
    click.echo(f"Demo accounts ({len(created)}) written to {path}:")
    for role, email, password in created:
        click.echo(f"  {role:8} {email:32} {password}")
