"""``flask certificates issue --cohort ID``."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from ..extensions import db

cli = click.Group("certificates", help="Issue certificates.")


@cli.command("issue")
@click.option("--cohort", "cohort_id", type=int, required=True, help="Cohort id.")
@with_appcontext
def issue_command(cohort_id: int) -> None:
    """Issue a certificate to every eligible learner of a cohort (idempotent)."""
    from ..cohorts import service as cohorts
    from ..cohorts.models import Cohort
    from . import service

    cohort = db.session.get(Cohort, cohort_id)
    if cohort is None:
        raise click.ClickException(f"no cohort {cohort_id}")
    total = len(cohorts.learners(cohort))
    with click.progressbar(length=total, label=f"Cohort {cohort.id}: {total} learners") as bar:
        counts = service.issue_all(cohort, None, progress=bar.update)
    db.session.commit()
    click.echo(
        f"{counts['issued']} issued, {counts['existing']} already issued, {counts['not_eligible']} not yet eligible."
    )
