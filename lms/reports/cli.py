"""``flask reports programme --from DATE --to DATE --format csv|xlsx|pdf``, ``flask reports rebuild-summaries``."""

from __future__ import annotations

import sys
from datetime import date

import click
from flask.cli import with_appcontext

cli = click.Group("reports", help="Programme indicators, learner summaries.")


@cli.command("programme")
@click.option("--from", "start", required=True, help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, help="Last day, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx", "pdf"]), default="csv", show_default=True)
@click.option("--mask", is_flag=True, help="Show counts under 5 as <5.")
@click.option("--locale", type=click.Choice(["fr", "ar", "en"]), default="fr", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="File to write (default: standard output).")
@with_appcontext
def programme_command(start, end, fmt, mask, locale, output):
    """Write the programme report for a period."""
    from flask import current_app
    from flask_babel import force_locale

    from ..core.exports import csv_bytes, xlsx_bytes
    from . import exports, service

    try:
        filters = service.ProgrammeFilters(start=date.fromisoformat(start), end=date.fromisoformat(end))
    except ValueError as error:
        raise click.BadParameter(f"dates must be YYYY-MM-DD ({error})") from error
    if filters.end < filters.start:
        raise click.BadParameter("--to is before --from")
    with current_app.test_request_context(), force_locale(locale):
        if fmt == "pdf":
            data = exports.programme_pdf(filters, mask)
        else:
            header, rows = exports.programme_table(filters, mask, locale)
            data = (
                csv_bytes(header, rows)
                if fmt == "csv"
                else xlsx_bytes([("Indicators", header, rows)], rtl=locale == "ar")
            )
    if output:
        with open(output, "wb") as handle:
            handle.write(data)
        click.echo(f"Written {output} ({len(data)} bytes).")
    else:
        sys.stdout.buffer.write(data)


@cli.command("rebuild-summaries")
@with_appcontext
def rebuild_summaries_command():
    """Recompute every learner's summary (the cohort dashboards read them) from progress, attempts and marks."""
    from ..extensions import db
    from . import summaries

    written = summaries.rebuild_all()
    db.session.commit()
    click.echo(f"Learner summaries rebuilt: {written}.")
