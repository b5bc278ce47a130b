"""``flask search rebuild``: rebuild the index from the synced content (the sync does it by itself)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

cli = AppGroup("search", help="The search index.")


@cli.command("rebuild")
def rebuild_command() -> None:
    """Rebuild the whole search index in one transaction."""
    from .service import rebuild_index

    counts = rebuild_index(commit=True)
    click.echo(", ".join(f"{kind}: {n}" for kind, n in counts.items()) or "nothing to index")
