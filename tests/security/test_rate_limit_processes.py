"""Rate limits hold across several app processes when they share Redis (LMS_RATELIMIT_STORAGE_URI)."""

import os
import socket
import subprocess
import sys
import textwrap
import uuid

import pytest

CHILD = textwrap.dedent(
    """
    import re, sys
    from lms import create_app
    from lms.config import TestConfig

    url, instance, storage, prefix, attempts, secret = sys.argv[1:7]
    config = TestConfig(url, instance)
    config.SECRET_KEY = secret  # processes of one deployment share LMS_SECRET_KEY (their sessions need it)
    config.RATELIMIT_STORAGE_URI = storage
    config.RATELIMIT_KEY_PREFIX = prefix
    app = create_app(config)
    client = app.test_client()
    statuses = []
    for _ in range(int(attempts)):
        page = client.get("/account/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/account/login", data={"csrf_token": token, "email": "target@example.org",
                                                "password": "wrong password!!"})
        statuses.append(response.status_code)
    print(" ".join(map(str, statuses)))
    """
)


def _redis_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.parametrize(
    "storage",
    [
        # The failed sign-ins are counted in the database: shared even when each process limits in its own memory.
        "memory://",
        pytest.param(
            "redis://127.0.0.1:6379",
            marks=pytest.mark.skipif(not _redis_up(), reason="Redis is not running on 127.0.0.1:6379"),
        ),
    ],
)
def test_login_limit_is_shared_by_two_processes(app, make_user, storage):
    make_user(email="target@example.org")
    prefix = f"tadrib-test-{uuid.uuid4().hex}"
    args = [app.config["SQLALCHEMY_DATABASE_URI"], app.config["INSTANCE_PATH"], storage, prefix]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    first = subprocess.run(
        [sys.executable, "-c", CHILD, *args, "3", app.config["SECRET_KEY"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    second = subprocess.run(
        [sys.executable, "-c", CHILD, *args, "3", app.config["SECRET_KEY"]],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert first.returncode == 0 and second.returncode == 0, first.stderr[-1500:] + second.stderr[-1500:]
    # 5 failures per account in 15 minutes: the second process sees the first one's failures.
    assert first.stdout.split() == ["401", "401", "401"]
    assert second.stdout.split() == ["401", "401", "429"]


@pytest.mark.parametrize("proxies,expected", [(0, "127.0.0.9"), (1, "203.0.113.7")])
def test_forwarded_for_trusted_only_behind_a_configured_proxy(tmp_path, proxies, expected):
    from flask import request

    from lms import create_app
    from lms.config import TestConfig
    from lms.core.access import public

    config = TestConfig(f"sqlite:///{tmp_path}/db.sqlite3", str(tmp_path / "instance"))
    config.PROXY_FIX = proxies
    app = create_app(config)

    @app.get("/_echo_address")
    @public
    def echo():
        return request.remote_addr or ""

    response = app.test_client().get(
        "/_echo_address", headers={"X-Forwarded-For": "203.0.113.7"}, environ_base={"REMOTE_ADDR": "127.0.0.9"}
    )
    assert response.get_data(as_text=True) == expected
