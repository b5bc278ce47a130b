"""Real queues for the consumer tests: the instance's kind of SQLite file, and Redis when one answers."""

from __future__ import annotations

import contextlib
import socket
import uuid

import pytest

from lms.core import queue

REDIS_PORT = 6379
REDIS_DB = 15


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


REDIS = _redis_answers()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.skipif(not REDIS, reason="no Redis"))])
def shared_queue(request, app, tmp_path):
    """(url, name) of a real queue, which the test app now queues into; emptied and given back afterwards."""
    name = f"tadrib-test-{uuid.uuid4().hex[:12]}"
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'queue.sqlite3'}"
    else:
        url = f"redis://127.0.0.1:{REDIS_PORT}/{REDIS_DB}"
    use_queue(app, url, name)
    try:
        yield url, name
    finally:
        with contextlib.suppress(Exception):
            queue.huey.storage.flush_all()  # this name's keys only (Redis); the SQLite file goes with tmp_path
        use_queue(app, "immediate", None)


def use_queue(app, url: str, name: str | None) -> None:
    app.config["QUEUE_URL"], app.config["QUEUE_NAME"] = url, name
    queue.init_app(app)
