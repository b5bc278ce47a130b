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
