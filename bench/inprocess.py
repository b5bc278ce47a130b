"""Per-request cost of the benchmarked pages inside one process (no gunicorn, no sockets), with a profile.

    .venv/bin/python bench/inprocess.py [--profile CASE [--dump FILE]] [--calls N] [--instance DIR] [--only CASE]

Prepares a temporary instance like ``make bench`` (or reuses ``--instance``), signs in a learner and a trainer
through the app itself (trainers' two-factor step switched off: it is not what is measured), then calls the
WSGI app directly with a prepared environ and the session cookie, best of 3 x N calls per case. The figures
are the app's own time per request; gunicorn, the socket and the load generator add ~0.3-0.4 ms per request
on top (bench/http_bench.py measures the whole). ``--profile CASE`` prints that case's top functions
(cProfile), ``--dump`` keeps the profile for pstats or snakeviz; ``--only CASE`` times one case (to sample
it with a low-overhead profiler: ``py-spy record --format raw -- python bench/inprocess.py --only "module page"``).
Absolute times: for comparing changes on one machine, never as test thresholds.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchlib import ROOT, app_env, prepare_instance, temp_dir  # noqa: E402

LEARNER = "magistrat1@tadrib.demo"
TRAINER = "formateur1@tadrib.demo"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--profile", default=None, help="case to profile (name as printed)")
    parser.add_argument("--instance", type=Path, default=None, help="reuse a prepared instance folder")
    parser.add_argument("--dump", type=Path, default=None, help="write the profile here (pstats format)")
    parser.add_argument("--only", default=None, help="time only this case (e.g. under py-spy)")
    args = parser.parse_args(argv)
    with temp_dir("tadrib-inproc-") as tmp:
        instance = args.instance or Path(tmp) / "instance"
        env = app_env(instance)
        if not (instance / "tadrib.sqlite3").exists() and not any(instance.glob("*.sqlite3")):
            print(f"preparing {instance}...", flush=True)
            prepare_instance(env)
        os.environ.update(env)
        sys.path.insert(0, str(ROOT))
        os.chdir(ROOT)
        from werkzeug.test import EnvironBuilder

        from lms import create_app

        app = create_app()
        # Sign-in only (the two-factor step of trainers is not what is measured here).
        app.config["REQUIRE_TOTP_ROLES"] = ()
        learner = app.test_client()
        _sign_in(app, learner, LEARNER)
        trainer = app.test_client()
        _sign_in(app, trainer, TRAINER)
        trainer.get("/reports/cohorts/1")
        trainer_cookie = trainer.get_cookie("tadrib_session").value
        learner.get("/courses/home")  # the first page after sign-in adds the CSRF secret to the session
        cookie = learner.get_cookie("tadrib_session").value

        def case(path, method="GET", data=None, signed_in=True, as_trainer=False):
            headers = {"Accept-Language": "fr"}
            if signed_in:
                headers["Cookie"] = f"tadrib_session={trainer_cookie if as_trainer else cookie}"
            builder = EnvironBuilder(
                path=path, method=method, data=data, headers=headers, environ_base=learner.environ_base
            )
            environ = builder.get_environ()
            body = environ["wsgi.input"].read()
            return environ, body

        autosave = _start_attempt(learner)
        certificates = learner.get("/certificates").get_data(as_text=True)
        certificate = re.search(r'href="(/certificates/[A-Z0-9-]+\.pdf)"', certificates)
        cases = {
            "healthz": case("/healthz"),
            "login page": case("/account/login", signed_in=False),
            "learner home": case("/courses/home"),
            "module page": case("/courses/palermo-magistrates/definition"),
            "cohort dashboard": case("/reports/cohorts/1", as_trainer=True),
        }
        if certificate:
            cases["certificate download"] = case(certificate.group(1))
        if autosave:
            cases["quiz autosave"] = case(autosave[0], method="POST", data=autosave[1])
        for name, (environ, body) in cases.items():
            if args.only and name != args.only:
                continue
            _time(app, environ, body, 50)  # warm
            best = min(_time(app, environ, body, args.calls) for _ in range(3))
            print(f"{name:<21} {best / args.calls * 1000:7.3f} ms/request (best of 3 x {args.calls})", flush=True)
        if args.profile:
            environ, body = cases[args.profile]
            prof = cProfile.Profile()
            prof.enable()
            _time(app, environ, body, args.calls)
            prof.disable()
            if args.dump:
                prof.dump_stats(args.dump)
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(60)
            print(out.getvalue())
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(40)
            print(out.getvalue())
    return 0


def _time(app, environ, body, n):
    status, cookies = [], []

    def start_response(s, headers, exc_info=None):
        status.append(s)
        if any(k.lower() == "set-cookie" for k, _v in headers):
            cookies.append(1)

    started = time.perf_counter()
    for _ in range(n):
        env = dict(environ)
        env["wsgi.input"] = io.BytesIO(body)
        result = app(env, start_response)
        for _chunk in result:
            pass
        if hasattr(result, "close"):
            result.close()
    elapsed = time.perf_counter() - started
    if not status[-1].startswith("200"):
        raise SystemExit(f"answered {status[-1]}")
    if cookies and "HTTP_COOKIE" in environ:
        print("  (the session cookie was rewritten)")
    return elapsed


def _start_attempt(client):
    """(autosave path, form) of a new attempt on the module's quiz, or None."""
    page = client.get("/courses/palermo-magistrates/definition").get_data(as_text=True)
    quiz = re.search(r'href="/quizzes/(\d+)"', page)
    if not quiz:
        return None
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    started = client.post(f"/quizzes/{quiz.group(1)}/start", data={"csrf_token": token}, follow_redirects=True)
    text = started.get_data(as_text=True)
    autosave = re.search(r'data-autosave="([^"]+)"', text)
    radio = re.search(r'<input type="radio" name="q-([^"]+)" value="([^"]+)"', text)
    if not autosave or not radio:
        return None
    qid, value = radio.groups()
    return autosave.group(1), {"csrf_token": token, "shown": qid, f"q-{qid}": value}


def _sign_in(app, client, email):
    page = client.get("/account/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    from benchlib import DEMO_PASSWORD

    r = client.post("/account/login", data={"csrf_token": token, "email": email, "password": DEMO_PASSWORD})
    assert r.status_code in (302, 303), r.status_code


if __name__ == "__main__":
    raise SystemExit(main())
