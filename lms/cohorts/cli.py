"""``flask cohorts purge-imports``: delete expired import previews (for a daily cron)."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from . import previews

cli = click.Group("cohorts", help="Cohorts: maintenance.")


@cli.command("purge-imports")
@click.option("--all", "everything", is_flag=True, help="Delete every waiting preview, not only expired ones.")
@with_appcontext
def purge_imports(everything: bool) -> None:
    """Delete the import previews older than IMPORT_PREVIEW_HOURS (24), or all of them with --all."""
    count = previews.purge_all() if everything else previews.purge_expired()
    click.echo(f"{count} import preview{'s' if count != 1 else ''} deleted.")
