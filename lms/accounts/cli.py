"""``flask users ...`` commands."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db
from . import service

cli = click.Group("users", help="Manage user accounts.")


@cli.command("create-admin")
@click.option("--email", prompt=True, help="E-mail address of the administrator.")
@click.option("--name", "name_latin", prompt="Name (Latin script)", help="Name in Latin script.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True, help="At least 10 characters.")
@with_appcontext
def create_admin(email: str, name_latin: str, password: str) -> None:
    """Create an administrator account (also a trainer)."""
    try:
        user = service.create_user(email, name_latin, password=password, roles=("admin", "trainer"), channel="cli")
    except service.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"Administrator {user.email} created (id {user.id}).")


@cli.command("export-data")
@click.argument("email")
@with_appcontext
def export_data(email: str) -> None:
    """Print everything Tadrib holds about a person, as JSON (Law 09-08, right of access)."""
    import json

    user = service.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    click.echo(json.dumps(service.export_user_data(user), ensure_ascii=False, indent=2, default=str))


@cli.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def erase(email: str, yes: bool) -> None:
    """Erase a person's identity (Law 09-08). Anonymised statistics and certificate verification remain."""
    user = service.get_user_by_email(email)
    if user is None:
        raise click.ClickException(f"no account for {email}")
    if not yes:
        click.confirm(f"Erase {user.email} ({user.name_latin})? This cannot be undone", abort=True)
    service.erase_user(user, actor=None)
    db.session.commit()
    click.echo(f"Erased account {user.id}.")
