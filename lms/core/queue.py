"""Background work on a task queue (Huey).

One Huey instance for the app, its storage chosen by ``LMS_QUEUE_URL``:

- ``sqlite:///path/queue.sqlite3`` (the default: ``<instance>/queue.sqlite3``), one machine;
- ``redis://127.0.0.1:6379/0``, several app processes or machines;
- ``immediate``: a task runs where it is queued (the tests; a machine without a consumer).

Tasks live in each domain's ``tasks.py`` and are declared with ``@task()`` / ``@periodic_task(...)`` from here:
they run inside an application context. A consumer (``flask queue run``, started by ``make run`` beside the web
server) does them.

The queue carries *work to do*, never the only copy of it. What a task must achieve is first written to the
database (a mail to deliver, a bulk job and its progress, a reminder sent); the task only points at it. A task
lost with a killed consumer, or never queued because Redis was down, is found again by the periodic sweep of its
domain and queued again; the row's state makes doing it twice harmless. So a request:

1. writes the row in its transaction, and
2. calls ``defer(some_task, row_id)``: the task is queued once the transaction commits (dropped on rollback), so
   a consumer never looks for a row that is not there yet.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask import Flask, current_app, flash, has_app_context, has_request_context
from flask.cli import with_appcontext
from flask_babel import gettext as _
from huey import Huey, crontab  # noqa: F401  (crontab: for the domains' periodic tasks)
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

logger = logging.getLogger(__name__)

#: the app's queue; its storage is set by ``init_app`` from the configuration
huey = Huey("tadrib", results=False, utc=True, storage_class=MemoryStorage)

_app: Flask | None = None

DEFERRED = "tadrib_deferred_tasks"
COMMITTED = "tadrib_committed_tasks"


def init_app(app: Flask) -> None:
    """Point the queue at the storage ``QUEUE_URL`` names, and make ``app`` the one tasks run in."""
    global _app
    _app = app
    url = app.config.get("QUEUE_URL") or "sqlite:///" + str(Path(app.instance_path) / "queue.sqlite3")
    parts = urlsplit(url)
    if url in ("immediate", "memory"):  # memory: a queue of this process only, emptied by ``run_queued`` (tests)
        storage_class, kwargs = MemoryStorage, {}
    elif parts.scheme == "sqlite":
        storage_class, kwargs = SqliteStorage, {"filename": url[len("sqlite:///") :], "timeout": 10}
    elif parts.scheme in ("redis", "rediss", "unix"):
        storage_class, kwargs = RedisStorage, {"url": url}
    else:
        raise RuntimeError(f"LMS_QUEUE_URL: unknown queue {url!r} (sqlite:///..., redis://..., immediate)")
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    # Set the flag itself: Huey's setter would build a storage from the previous settings first.
    huey._immediate = url == "immediate"
    huey.storage = huey.create_storage()


def _in_app(func: Callable) -> Callable:
    @functools.wraps(func)
    def run(*args, **kwargs):
        app = current_app._get_current_object() if has_app_context() else _app
        if app is None:  # a consumer started without the app (``huey_consumer lms.core.queue.huey``)
            from .. import create_app

            app = create_app()
        # A context of its own (and so a database session of its own), even when run inline in immediate mode:
        # the task sees what was committed, as it would in a consumer.
        with app.app_context():
            from ..extensions import db

            try:
                return func(*args, **kwargs)
            finally:
                db.session.remove()

    return run


def task(**options):
    """``@task()``: a function the consumer runs, in an application context. Options as Huey's ``task``."""

    def decorate(func):
        return huey.task(name=f"{func.__module__}.{func.__name__}", **options)(_in_app(func))

    return decorate


def periodic_task(schedule, **options):
    """``@periodic_task(crontab(minute="*/5"))``: run by the consumer on a schedule (UTC), in an app context."""

    def decorate(func):
        return huey.periodic_task(schedule, name=f"{func.__module__}.{func.__name__}", **options)(_in_app(func))

    return decorate


def enqueue(task_function, *args, delay: float | None = None, **kwargs) -> bool:
    """Queue a task now. False (logged, and said to the person in a request) when the queue cannot be reached:
    the work stays recorded in the database and the periodic sweep queues it again."""
    try:
        if delay:
            task_function.schedule(args=args, kwargs=kwargs, delay=delay)
        else:
            task_function(*args, **kwargs)
        return True
    except Exception:  # Redis down, the SQLite queue locked past its timeout: the sweep queues it later
        logger.exception("could not queue %s: background work is delayed", getattr(task_function, "name", "task"))
        if has_request_context():
            flash(_("Background work is delayed: it will be done as soon as the task queue is back."), "warning")
        return False


def defer(task_function, *args, **kwargs) -> None:
    """Queue a task once the current database transaction commits (nothing if it rolls back)."""
    from ..extensions import db

    session = db.session()
    session.info.setdefault(DEFERRED, []).append((task_function, args, kwargs))


@event.listens_for(Session, "after_commit")
def _commit_deferred(session: Session) -> None:
    # (also called when a savepoint is released: only the outermost commit counts)
    if DEFERRED in session.info and not session.in_nested_transaction():
        session.info[COMMITTED] = session.info.pop(DEFERRED)


@event.listens_for(Session, "after_transaction_end")
def _queue_committed(session: Session, transaction) -> None:
    # Once the connection is back in the pool (after the commit itself): an immediate-mode task then finds the
    # database free (on SQLite, the writers' turn is handed over at check-in).
    if transaction.parent is None and COMMITTED in session.info:
        for task_function, args, kwargs in session.info.pop(COMMITTED):
            enqueue(task_function, *args, **kwargs)


@event.listens_for(Session, "after_rollback")
def _drop_deferred(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(DEFERRED, None)


def run_queued(limit: int = 10_000) -> int:
    """Do the tasks waiting in the queue, in this process (tests with ``LMS_QUEUE_URL=memory``; ``flask queue
    drain``). Returns how many ran."""
    done = 0
    while done < limit:
        queued = huey.dequeue()
        if queued is None:
            break
        huey.execute(queued)
        done += 1
    return done


def queue_health() -> str | None:
    """None when the queue answers, else a short reason (for /healthz and the admin pages)."""
    try:
        huey.storage.queue_size()
    except Exception as error:  # noqa: BLE001 - any failure of the broker is reported, not raised
        return type(error).__name__
    return None


cli = click.Group("queue", help="The task queue.")


@cli.command("run")
@click.option("--workers", default=2, show_default=True, help="Tasks done at once (threads).")
@with_appcontext
def run_command(workers: int) -> None:
    """Run a consumer: do queued tasks and the periodic ones (reminders, sweeps). Stop with Ctrl-C."""
    if huey.immediate:
        raise click.ClickException("LMS_QUEUE_URL=immediate runs tasks where they are queued: no consumer to run.")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    consumer = huey.create_consumer(workers=workers, worker_type="thread", periodic=True, check_worker_health=True)
    consumer.run()


@cli.command("drain")
@with_appcontext
def drain_command() -> None:
    """Do the tasks waiting in the queue now, in this process, and stop."""
    click.echo(f"{run_queued()} task(s) done.")


@cli.command("status")
@with_appcontext
def status_command() -> None:
    """How many tasks wait, and whether the queue answers."""
    problem = queue_health()
    if problem:
        raise click.ClickException(f"the task queue does not answer ({problem})")
    click.echo(f"{huey.storage.queue_size()} task(s) waiting, {huey.storage.schedule_size()} scheduled.")
