"""``flask courses check|sync``."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db
from .loader import check_courses
from .sync import SyncRefused, sync_courses

cli = click.Group("courses", help="Validate and load course content (courses/).")


@cli.command("check")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@with_appcontext
def check_command(path: str | None) -> None:
    """Validate the courses without touching the database. Problems as path:line: message; exit 1.

    Warnings (path:line: warning: message) name things to finish, such as a quoted text still pending its
    official wording; they alone do not fail the check."""
    courses, problems, warnings = check_courses(path or current_app.config["COURSES_PATH"])
    for problem in problems:
        click.echo(str(problem))
    for warning in warnings:
        click.echo(f"{warning.path}:{warning.line}: warning: {warning.message}")
    if problems:
        raise SystemExit(1)


@cli.command("sync")
@click.argument("path", required=False, type=click.Path(file_okay=False))
@with_appcontext
def sync_command(path: str | None) -> None:
    """Load the courses into the database in one transaction (nothing is written if any file is bad)."""
    path = path or current_app.config["COURSES_PATH"]
    try:
        result = sync_courses(path)
        db.session.commit()
    except SyncRefused as refused:
        db.session.rollback()
        for problem in refused.problems:
            click.echo(str(problem), err=True)
        click.echo(f"Nothing loaded: {len(refused.problems)} problem(s).", err=True)
        raise SystemExit(1) from None
    except Exception:
        db.session.rollback()
        raise
    if not result.changed:
        click.echo("Courses are up to date: no change.")
        return
    for key, count in result.summary().items():
        click.echo(f"{count:4} {key}")
