"""SQLite writers queue on a file lock before BEGIN IMMEDIATE (lms/core/database.py): handed over at once,
released when the transaction ends, and never waited on forever."""

import fcntl
import os
import time

import pytest

from lms.core import database

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite only")


def _lock_path(app):
    with app.app_context():
        from lms.extensions import db

        return db.engine.url.database + ".writelock"


def _free(path) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def test_a_write_request_releases_the_turn_when_it_ends(app, client, make_user, db):
    user = make_user(email="writer@example.org")
    db.session.commit()
    client.login(user.email)
    response = client.post_form("/language", {"lang": "ar", "next": "/"})
    assert response.status_code == 302
    path = _lock_path(app)
    assert os.path.exists(path), "the write request took its turn through the lock file"
    assert _free(path)
    # an error inside a write request ends the turn too (rollback)
    assert client.post("/quizzes/attempts/999999/autosave", data={"csrf_token": client.csrf()}).status_code == 404
    assert _free(path)


def test_a_turn_held_elsewhere_delays_a_writer_but_never_blocks_it(app, client, make_user, db, monkeypatch):
    user = make_user(email="patient@example.org")
    db.session.commit()
    client.login(user.email)
    monkeypatch.setattr(database, "SQLITE_BUSY_TIMEOUT_MS", 300)
    path = _lock_path(app)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        started = time.monotonic()
        response = client.post_form("/language", {"lang": "fr", "next": "/"})
        waited = time.monotonic() - started
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    assert response.status_code == 302
    assert 0.3 <= waited < 5, waited
    assert _free(path)
