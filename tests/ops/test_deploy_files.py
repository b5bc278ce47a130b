"""The deploy/ examples agree with each other and with the app: nginx proxies to the address gunicorn binds,
accepts bodies as large as the app does, and sets every X-Forwarded-* header ProxyFix trusts (so that a client
cannot supply its own). Plain text parsing: no nginx needed."""

from __future__ import annotations

import re
from pathlib import Path

from lms.config import Config

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = DEPLOY / "nginx-tadrib.conf"
WEB_SERVICE = DEPLOY / "tadrib-web.service"
SIZE_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}


def nginx_directives(name: str) -> list[str]:
    """The arguments of every ``name ...;`` directive of the nginx example (comments left out)."""
    text = "\n".join(line.split("#", 1)[0] for line in NGINX.read_text().splitlines())
    return [m.group(1).strip() for m in re.finditer(rf"(?m)^\s*{re.escape(name)}\s+([^;]*);", text)]


def gunicorn_bind() -> str:
    """The ``--bind`` of tadrib-web.service's ExecStart (continuation lines joined)."""
    text = WEB_SERVICE.read_text().replace("\\\n", " ")
    execs = [line for line in text.splitlines() if line.startswith("ExecStart=")]
    assert len(execs) == 1, execs
    match = re.search(r"(?:--bind|-b)[= ](\S+)", execs[0])
    assert match, f"no --bind in {execs[0]!r}"
    return match.group(1)


def nginx_size(value: str) -> int:
    match = re.fullmatch(r"(\d+)([kKmMgG]?)", value)
    assert match, f"not an nginx size: {value!r}"
    return int(match.group(1)) * SIZE_UNITS[match.group(2).lower()]


def test_nginx_proxies_to_the_address_gunicorn_binds():
    passes = nginx_directives("proxy_pass")
    assert len(passes) == 1, passes
    match = re.fullmatch(r"http://([\w.\[\]:-]+?)(?::(\d+))?/?", passes[0])
    assert match and match.group(2), f"proxy_pass without an explicit port: {passes[0]!r}"
    assert f"{match.group(1)}:{match.group(2)}" == gunicorn_bind()


def test_nginx_accepts_bodies_as_large_as_the_app():
    sizes = nginx_directives("client_max_body_size")
    assert len(sizes) == 1, sizes
    assert nginx_size(sizes[0]) >= Config.MAX_CONTENT_LENGTH, (
        f"client_max_body_size {sizes[0]} is below MAX_CONTENT_LENGTH ({Config.MAX_CONTENT_LENGTH} bytes): "
        "nginx would refuse uploads the app accepts"
    )


def test_nginx_sets_every_forwarded_header_proxyfix_trusts():
    assert re.search(r"(?m)^LMS_PROXY_FIX=1$", (DEPLOY / "tadrib.env.example").read_text())
    proxyfix = re.search(r"ProxyFix\(app\.wsgi_app, (.*)\)", (DEPLOY.parent / "lms" / "__init__.py").read_text())
    assert proxyfix, "ProxyFix is no longer installed in lms/__init__.py: update this test and the nginx example"
    trusted = re.findall(r"x_(for|proto|host|prefix|port)=", proxyfix.group(1))
    assert trusted
    headers = {value.split()[0].lower() for value in nginx_directives("proxy_set_header")}
    assert {f"x-forwarded-{name}" for name in trusted} <= headers, headers


def test_static_files_are_served_with_the_apps_cache_rule():
    """A year only for versioned (?v=) assets, as the app does, and the service worker stays a proxied route."""
    text = NGINX.read_text()
    assert re.search(r'(?s)map \$arg_v \$tadrib_static_expires \{\s*""\s+off;\s*default\s+1y;', text)
    static = re.search(r"location /static/ \{([^}]*)\}", text)
    assert static and "alias /opt/tadrib/lms/static/;" in static.group(1), static
    assert "expires $tadrib_static_expires;" in static.group(1)
    assert "location /offline" not in text  # /offline/sw.js is the app's (Cache-Control: no-cache)
