"""``flask demo load``: a believable demo programme (DESIGN.md §4).

Names are invented. Passwords are random unless LMS_DEMO_PASSWORD is set; every account is written to
``instance/demo-accounts.txt`` (role, e-mail, password), one line each.
"""

from __future__ import annotations

import os
import secrets
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
    for extend in DEMO_EXTENSIONS:
        extend(size)
    return created


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


#: Other domains append ``(size) -> None`` functions that add their demo data (courses, cohorts...).
DEMO_EXTENSIONS: list = [_demo_progress]


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
