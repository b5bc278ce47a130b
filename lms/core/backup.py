"""``flask backup``: a consistent copy of the database while the app runs.

SQLite: the online backup API (pages copied under a read lock, WAL included). PostgreSQL: pg_dump in the
custom format. Restore is documented in the README and performed by a test.

Only the database is copied. Import previews (``<instance>/imports/``, files waiting for a trainer's
confirmation: names and e-mail addresses) are deliberately never backed up: they live a day at most
(``lms.cohorts.previews``), and a copy in a backup would outlive their purpose and any erasure.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess  # nosec B404 - reviewed
from datetime import UTC, datetime
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..extensions import db


def backup_database(destination: Path) -> Path:
    url = db.engine.url
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    destination.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        target = destination / f"tadrib-{stamp}.sqlite3"
        source = sqlite3.connect(url.database)
        copy = sqlite3.connect(target)
        with copy:
            source.backup(copy)
        copy.close()
        source.close()
        return target
    if url.get_backend_name() == "postgresql":
        if not shutil.which("pg_dump"):
            raise click.ClickException("pg_dump is not installed (Debian: apt-get install postgresql-client)")
        target = destination / f"tadrib-{stamp}.pgdump"
        plain = url.set(drivername="postgresql").render_as_string(hide_password=False)
        subprocess.run(["pg_dump", "--format=custom", f"--file={target}", plain], check=True)  # noqa: S603,S607  # nosec B603 B607
        return target
    raise click.ClickException(f"no backup method for {url.get_backend_name()}")


@click.command("backup")
@click.option("--to", "folder", type=click.Path(file_okay=False), help="Folder (default: <instance>/backups).")
@with_appcontext
def backup_command(folder: str | None) -> None:
    """Back up the database (SQLite online backup, or pg_dump for PostgreSQL)."""
    path = backup_database(Path(folder) if folder else Path(current_app.instance_path) / "backups")
    click.echo(f"Backup written to {path}")
