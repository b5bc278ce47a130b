"""HTTP benchmark: Tadrib pages against a Flask hello world, same gunicorn settings, same run (PERF-BASELINES §4).

    .venv/bin/python bench/http_bench.py [--runs 3] [--duration 10] [--warmup 3] [--quick]

Prepares a temporary instance (migrations, courses, demo data), writes and serves ``bench/hello_app.py``
and the app with gunicorn (sync workers = os.cpu_count(), 127.0.0.1, free ports), signs in a learner and
a trainer, then runs ``wrk -t1 -c16 -d10s --latency`` per case (3 s warm-up first; the repeat loop is
outside the case loop) and compares medians to hello world's. Absolute req/s drift with the host: only
the ratios measured in this run are judged. Results: bench/out/http.json. Needs wrk (as root with
apt-get it is installed; otherwise the command is printed and the exit status is 2).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

from benchlib import (
    BENCH,
    RESULTS,
    ROOT,
    USER_AGENT,
    BenchError,
    Server,
    Servers,
    app_env,
    csrf_token,
    fetch,
    free_port,
    loadavg,
    prepare_instance,
    sign_in,
    temp_dir,
)

LEARNER = "magistrat1@tadrib.demo"
TRAINER = "formateur1@tadrib.demo"
MODULE_PATH = "/courses/palermo-magistrates/definition"
DASHBOARD_PATH = "/reports/cohorts/1"
NOISE = 0.05  # PERF-BASELINES §4: ratios move by up to 5 percentage points between passes
P99_GOAL = 4.0
HTML_GOAL_BYTES = 20 * 1024

HELLO_APP = '''"""Flask hello world and the reference pages of PERF-BASELINES §1 (written by bench/http_bench.py).

``/`` is hello world. ``/ref/template`` renders a ~10 KB Jinja page (extends a base, loops over 22 lessons,
filters, conditionals), ``/ref/module`` opens SQLite, runs one indexed query (22 of 44,000 rows) and renders the
same page: the "query + 10 KB template" page from which the issue's goals were derived, measured in the same run.
"""

import os
import sqlite3

from flask import Flask, g, render_template
from jinja2 import DictLoader

app = Flask(__name__)
app.jinja_loader = DictLoader(
    {
        "base.html": (
            "<!doctype html><html lang=fr><head><meta charset=utf-8><title>{% block title %}{% endblock %}</title>"
            "<link rel=stylesheet href=/static/app.css></head><body><header><nav><ul>"
            "{% for item in menu %}<li><a href='{{ item.url }}'>{{ item.label|e }}</a></li>{% endfor %}"
            "</ul></nav></header><main>{% block content %}{% endblock %}</main>"
            "<footer><p>{{ footer }}</p></footer></body></html>"
        ),
        "module.html": (
            "{% extends 'base.html' %}{% block title %}{{ title|title }}{% endblock %}{% block content %}"
            "<h1>{{ title }}</h1><ol class=lessons>{% for lesson in lessons %}"
            "<li class={{ 'done' if lesson.done else 'todo' }}><h2>{{ lesson.title|e }}</h2>"
            "<p>{{ lesson.summary|truncate(350) }}</p><p>{{ lesson.minutes }} min"
            "{% if lesson.done %} · terminé{% endif %}</p></li>{% endfor %}</ol>{% endblock %}"
        ),
    }
)

PAGE = "<!doctype html><html lang=en><head><title>Hello</title></head><body><p>Hello, world!</p></body></html>"
DATABASE = os.environ.get("BENCH_REF_DB", "ref.sqlite3")
MENU = [{"url": f"/section/{i}", "label": f"Rubrique {i}"} for i in range(6)]
SUMMARY = "Résumé de la leçon : définition, éléments constitutifs, exemples et jurisprudence. " * 5
FIXED = [{"title": f"Leçon {i}", "summary": SUMMARY, "minutes": 10 + i, "done": i % 3 == 0} for i in range(22)]


@app.get("/")
def hello():
    return PAGE


def _page(lessons):
    return render_template("module.html", title="module de référence", lessons=lessons, menu=MENU, footer="Bench")


@app.get("/ref/template")
def ref_template():
    return _page(FIXED)


@app.get("/ref/module")
def ref_module():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    rows = g.db.execute("SELECT title, summary, minutes, done FROM lesson WHERE course_id = ?", (7,)).fetchall()
    return _page([{"title": t, "summary": s, "minutes": m, "done": d} for t, s, m, d in rows])


@app.teardown_appcontext
def _close(_error):
    db = g.pop("db", None)
    if db is not None:
        db.close()
'''


def make_reference_db(path: Path) -> None:
    """44,000 lessons (2,000 courses of 22) with an index on the course: the reference page's query."""
    summary = "Résumé de la leçon : définition, éléments constitutifs, exemples et jurisprudence. " * 5
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE lesson (id INTEGER PRIMARY KEY, course_id INT, title TEXT, summary TEXT, "
            "minutes INT, done INT)"
        )
        conn.executemany(
            "INSERT INTO lesson (course_id, title, summary, minutes, done) VALUES (?, ?, ?, ?, ?)",
            ((c, f"Leçon {i}", summary, 10 + i, int(i % 3 == 0)) for c in range(2000) for i in range(22)),
        )
        conn.execute("CREATE INDEX ix_lesson_course ON lesson (course_id)")


#: case -> (minimum ratio to hello, ratio below which it is a regression, where the goal comes from)
GOALS = {
    "hello world": None,
    "ref: 10 KB template": None,
    "ref: query + template": None,
    "app floor: /healthz": None,
    "sign-in page": None,
    "learner home": (0.20, None, "§4 learner home ≥ 20 %"),
    "module page": (0.30, 0.20, "≥ 0.30, < 0.20 regression"),
    "quiz autosave": (0.30, None, "≥ 0.30"),
    "autosave by 16 learners": (0.25, None, "#23 ≥ 0.25, each learner on their own attempt"),
    "cohort dashboard": (0.20, None, "§4 dashboard, 10 learners ≥ 20 %"),
    "certificate download": (0.50, None, "≥ 0.50"),
}

AUTOSAVE_LUA = """-- Quiz autosave: POST the form, alternating two options so that every request writes.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local bodies = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format(nil, nil, nil, bodies[(n %% #bodies) + 1])
end
"""


MANY_AUTOSAVE_LUA = """-- Quiz autosave by %(n)d learners, each on their own attempt: request n goes to learner
-- n mod %(n)d (16 connections: 16 different attempts saved at once), alternating two options so that every
-- request writes.
local items = {%(items)s}
local n = 0
request = function()
  n = n + 1
  local item = items[(n %% #items) + 1]
  local body = item.bodies[(math.floor(n / #items) %% #item.bodies) + 1]
  return wrk.format("POST", item.path, {
    ["Cookie"] = item.cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["User-Agent"] = "%(agent)s",
  }, body)
end
"""
#: learners of the many-attempts autosave case (one wrk connection each)
MANY = 16


def ensure_wrk() -> str | None:
    found = shutil.which("wrk")
    if found:
        return found
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        print("wrk is missing: apt-get install -y wrk", flush=True)
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        if subprocess.run(["apt-get", "install", "-y", "wrk"], env=env).returncode != 0:
            subprocess.run(["apt-get", "update"], env=env)
            subprocess.run(["apt-get", "install", "-y", "wrk"], env=env)
        return shutil.which("wrk")
    return None


# --- wrk ---------------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict:
    result: dict = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", output):
        result["rps"] = float(m.group(1))
    for pct in ("50", "75", "90", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", output, re.MULTILINE):
            result[f"p{pct}_ms"] = round(_ms(m.group(1)), 3)
    if m := re.search(r"(\d+) requests in ([\d.]+\w+)", output):
        result["requests"] = int(m.group(1))
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    result["non_2xx_3xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    result["socket_errors"] = sum(int(x) for x in m.groups()) if m else 0
    if "rps" not in result or "p99_ms" not in result:
        raise BenchError(f"could not read wrk's output:\n{output}")
    return result


def run_wrk(wrk: str, url: str, seconds: float, cookie: str | None, script: Path | None) -> dict:
    cmd = [wrk, "-t1", "-c16", f"-d{seconds:g}s", "--latency", "-H", f"User-Agent: {USER_AGENT}"]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    if script:
        cmd += ["-s", str(script)]
    cmd.append(url)
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        raise BenchError(f"wrk failed ({done.returncode}): {done.stderr}")
    return parse_wrk(done.stdout)


# --- preparing the cases ---------------------------------------------------------------------------------


def _check(op, url: str, what: str, data: dict | None = None) -> tuple[str, bytes]:
    status, final, body = fetch(op, url, data)
    if status != 200:
        raise BenchError(f"{what}: {url} answered {status}")
    return final, body


def prepare_many_autosaves(app_url: str, env: dict, work: Path) -> tuple[Path, str, dict]:
    """``MANY`` new learners enrolled in the demo cohort (bench/load.py's set-up), each signed in with an attempt
    of their own on the module's quiz; the wrk script that autosaves each one's answer in turn."""
    from load import PASSWORD, create_learners

    plan = create_learners(env, MANY)
    items, attempts = [], []
    for email in plan["emails"]:
        op, jar, _cookie = sign_in(app_url, email, PASSWORD)
        _script, path, info = prepare_autosave(app_url, op, work, script_name=None)
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        bodies = ", ".join(json.dumps(b) for b in info.pop("bodies"))
        items.append(f"{{path = {json.dumps(path)}, cookie = {json.dumps(cookie)}, bodies = {{{bodies}}}}}")
        attempts.append(info["attempt_id"])
    script = work / "autosave-many.lua"
    script.write_text(MANY_AUTOSAVE_LUA % {"n": MANY, "items": ",\n  ".join(items), "agent": USER_AGENT})
    return script, path, {"learners": MANY, "attempt_ids": attempts}


def prepare_autosave(app_url: str, op, work: Path, script_name: str | None = "autosave.lua") -> tuple[Path, str, dict]:
    """Start an attempt on the module's quiz; write the wrk script that autosaves one single-choice answer (none
    when ``script_name`` is None: the bodies are in the info)."""
    _final, page = _check(op, app_url + MODULE_PATH, "module page")
    text = page.decode()
    quiz = re.search(r'href="/quizzes/(\d+)"', text)
    if not quiz:
        raise BenchError(f"no quiz link on {MODULE_PATH}")
    quiz_id = quiz.group(1)
    final, page = _check(op, f"{app_url}/quizzes/{quiz_id}/start", "start the quiz", {"csrf_token": csrf_token(text)})
    text = page.decode()
    attempt = re.search(r"/quizzes/attempts/(\d+)", urllib.parse.urlsplit(final).path)
    autosave = re.search(r'data-autosave="([^"]+)"', text)
    if not attempt or not autosave:
        raise BenchError(f"starting quiz {quiz_id} did not open an attempt page (at {final})")
    radios: dict[str, list[str]] = {}
    for name, value in re.findall(r'<input type="radio" name="q-([^"]+)" value="([^"]+)"', text):
        radios.setdefault(name, []).append(value)
    choice = next(((qid, values) for qid, values in radios.items() if len(values) >= 2), None)
    if choice is None:
        raise BenchError(f"attempt {attempt.group(1)}: no question with two options to choose from")
    qid, values = choice
    token = csrf_token(text)
    bodies = [urllib.parse.urlencode({"csrf_token": token, "shown": qid, f"q-{qid}": v}) for v in values[:2]]
    status, _f, answer = fetch(op, app_url + autosave.group(1), dict(urllib.parse.parse_qsl(bodies[0])))
    if status != 200 or not json.loads(answer).get("ok"):
        raise BenchError(f"autosave answered {status}: {answer[:200]!r}")
    info = {"quiz_id": int(quiz_id), "attempt_id": int(attempt.group(1)), "question": qid, "options": values[:2]}
    if script_name is None:
        return None, autosave.group(1), {**info, "bodies": bodies}
    script = work / script_name
    script.write_text(AUTOSAVE_LUA % ", ".join(json.dumps(b) for b in bodies))
    return script, autosave.group(1), info


ISSUE_ONE = """
from sqlalchemy import select
from lms import create_app
from lms.accounts.models import User
from lms.certificates import service
from lms.cohorts.models import Cohort, Enrolment
from lms.extensions import db

app = create_app()
with app.app_context():
    user = db.session.scalar(select(User).where(User.email == {email!r}))
    cohort = db.session.scalar(
        select(Cohort).join(Enrolment, Enrolment.cohort_id == Cohort.id).where(Enrolment.user_id == user.id)
        .order_by(Cohort.end_date)
    )
    certificate, _created = service.issue(cohort, user, None, check=False)
    db.session.commit()
    print(certificate.serial)
"""


def find_certificate(app_url: str, learner_op, trainer_op, env: dict) -> tuple[str, str, str]:
    """A stored certificate's download path, who downloads it and how it was found: the learner's own, else one
    on cohort 1's certificates page (trainer), else one issued here to the learner (the demo data has none)."""
    pattern = re.compile(r'href="(/certificates/TDR-[^"/]+\.pdf)"')
    _f, page = _check(learner_op, app_url + "/certificates", "the learner's certificates")
    found, who, how = pattern.search(page.decode()), "learner", "the learner's own (demo data)"
    if not found:
        _f, page = _check(trainer_op, app_url + "/certificates/cohorts/1", "cohort 1's certificates")
        found, who, how = pattern.search(page.decode()), "trainer", "cohort 1's certificates page (demo data)"
    if found:
        path = found.group(1)
    else:
        done = subprocess.run(
            [sys.executable, "-c", ISSUE_ONE.format(email=LEARNER)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode != 0:
            raise BenchError(f"no certificate in the demo data, and issuing one failed:\n{done.stderr[-2000:]}")
        path = f"/certificates/{done.stdout.strip().splitlines()[-1]}.pdf"
        who, how = "learner", "none in the demo data: issued to the learner by the benchmark (eligibility not checked)"
    op = learner_op if who == "learner" else trainer_op
    status, _f, body = fetch(op, app_url + path)  # renders once if the stored file is missing
    if status != 200 or not body.startswith(b"%PDF"):
        raise BenchError(f"{path} answered {status}")
    return path, who, how


def page_weight(app_url: str, op) -> dict:
    """Bytes of the module page and every asset it references, fetched once each without compression."""
    status, _f, page = fetch(op, app_url + MODULE_PATH)
    if status != 200:
        raise BenchError(f"module page answered {status}")
    text = page.decode()
    refs = re.findall(r'<link[^>]+href="([^"]+)"', text) + re.findall(r'<(?:script|img)[^>]+src="([^"]+)"', text)
    assets = {}
    for ref in dict.fromkeys(refs):
        if not ref.startswith("/") or ref.startswith("//"):
            continue
        status, _f, body = fetch(op, app_url + ref)
        if status == 200:
            assets[urllib.parse.urlsplit(ref).path] = len(body)
    total = len(page) + sum(assets.values())
    return {
        "html_bytes": len(page),
        "assets": assets,
        "total_bytes": total,
        "html_goal_bytes": HTML_GOAL_BYTES,
        "html_pass": len(page) <= HTML_GOAL_BYTES,
    }


# --- main ------------------------------------------------------------------------------------------------


def verdict(case: str, ratio: float, non_ok: int) -> str:
    if non_ok:
        return "FAIL (non-2xx/3xx responses)"
    goal = GOALS.get(case)
    if goal is None:
        return "-"
    minimum, regression, _why = goal
    if regression is not None and ratio < regression:
        return "REGRESSION"
    if ratio >= minimum:
        return "pass"
    if ratio >= minimum - NOISE:
        return "marginal (within 5 pp)"
    return "FAIL"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="measured runs per case (medians; at least 3)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per case before its first run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn sync workers (both)")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run of 3 s per case, 1 s warm-up")
    parser.add_argument("--out", type=Path, default=RESULTS / "http.json")
    parser.add_argument("--database-url", help="the app on this PostgreSQL database (default: a SQLite file)")
    parser.add_argument(
        "--cases", help="comma-separated case names to run (hello world always runs: the ratios need it)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 3, 1
    elif args.runs < 3:
        parser.error("--runs must be at least 3 (use --quick for a smoke run)")

    wrk = ensure_wrk()
    if not wrk:
        print("wrk is not installed. Install it with:\n    sudo apt-get install -y wrk", file=sys.stderr)
        return 2
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()

    (BENCH / "hello_app.py").write_text(HELLO_APP)
    started = time.perf_counter()
    with temp_dir("tadrib-http-") as tmp, Servers() as servers:
        work = Path(tmp)
        instance = work / "instance"
        env = app_env(instance, args.database_url)
        print(f"preparing {instance} (migrations, courses, demo data)...", flush=True)
        prepare_instance(env)
        app = servers.start(Server("app", "wsgi:app", free_port(), args.workers, env, work))
        make_reference_db(work / "ref.sqlite3")
        hello_env = dict(env, BENCH_REF_DB=str(work / "ref.sqlite3"))
        hello = servers.start(Server("hello", "hello_app:app", free_port(), args.workers, hello_env, work, chdir=BENCH))

        learner_op, learner_jar, _ = sign_in(app.url, LEARNER)
        trainer_op, trainer_jar, _ = sign_in(app.url, TRAINER)
        script, autosave_path, autosave_info = prepare_autosave(app.url, learner_op, work)
        many_script, many_path, many_info = prepare_many_autosaves(app.url, env, work)
        cert_path, cert_who, cert_how = find_certificate(app.url, learner_op, trainer_op, env)
        _check(trainer_op, app.url + DASHBOARD_PATH, "cohort dashboard")
        _check(learner_op, app.url + "/courses/home", "learner home")
        weight = page_weight(app.url, learner_op)
        # The cookies as they are after every page above (the CSRF secret is in the session).
        cookie_of = {
            name: "; ".join(f"{c.name}={c.value}" for c in jar)
            for name, jar in (("learner", learner_jar), ("trainer", trainer_jar))
        }
        cases = [
            ("hello world", hello.url + "/", None, None),
            ("ref: 10 KB template", hello.url + "/ref/template", None, None),
            ("ref: query + template", hello.url + "/ref/module", None, None),
            ("app floor: /healthz", app.url + "/healthz", None, None),
            ("sign-in page", app.url + "/account/login", None, None),
            ("learner home", app.url + "/courses/home", cookie_of["learner"], None),
            ("module page", app.url + MODULE_PATH, cookie_of["learner"], None),
            ("quiz autosave", app.url + autosave_path, cookie_of["learner"], script),
            (f"autosave by {MANY} learners", app.url + many_path, None, many_script),
            ("cohort dashboard", app.url + DASHBOARD_PATH, cookie_of["trainer"], None),
            ("certificate download", app.url + cert_path, cookie_of[cert_who], None),
        ]
        if args.cases:
            wanted = {"hello world", *(name.strip() for name in args.cases.split(","))}
            cases = [case for case in cases if case[0] in wanted]
        runs: dict[str, list[dict]] = {name: [] for name, *_ in cases}
        print(
            f"{wrk_version}; gunicorn sync x{args.workers} for both; wrk -t1 -c16 -d{args.duration:g}s --latency, "
            f"{args.runs} run(s), {args.warmup:g} s warm-up; load average {loadavg()}",
            flush=True,
        )
        for number in range(args.runs):
            for name, url, cookie, lua in cases:
                if number == 0 and args.warmup > 0:
                    run_wrk(wrk, url, args.warmup, cookie, lua)
                result = run_wrk(wrk, url, args.duration, cookie, lua)
                runs[name].append(result)
                print(
                    f"  run {number + 1} {name:<21} {result['rps']:>8.1f} req/s  p99 {result['p99_ms']:>7.2f} ms"
                    + (f"  non-2xx/3xx {result['non_2xx_3xx']}" if result["non_2xx_3xx"] else ""),
                    flush=True,
                )
        logs = {s.name: s.log_tail(40) for s in servers.items}
        servers.stop_all()

    hello_rps = statistics.median(r["rps"] for r in runs["hello world"])
    hello_p99 = statistics.median(r["p99_ms"] for r in runs["hello world"])
    summary = {}
    for name, *_ in cases:
        rs = runs[name]
        rps = statistics.median(r["rps"] for r in rs)
        p99 = statistics.median(r["p99_ms"] for r in rs)
        per_run = [r["rps"] / h["rps"] for r, h in zip(rs, runs["hello world"], strict=True)]
        non_ok = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in rs)
        summary[name] = {
            "url_path": urllib.parse.urlsplit(next(c[1] for c in cases if c[0] == name)).path,
            "rps_median": round(rps, 1),
            "p50_ms_median": round(statistics.median(r["p50_ms"] for r in rs), 2),
            "p99_ms_median": round(p99, 2),
            "ratio": round(rps / hello_rps, 3),
            "ratio_per_run": [round(x, 3) for x in per_run],
            "p99_ratio": round(p99 / hello_p99, 2),
            "non_2xx_3xx_or_socket_errors": non_ok,
            "goal": GOALS[name][2] if GOALS.get(name) else None,
            "verdict": verdict(name, rps / hello_rps, non_ok),
            "runs": rs,
        }
    module = summary.get("module page") or {"p99_ratio": float("nan")}
    module["p99_verdict"] = "pass" if module["p99_ratio"] <= P99_GOAL else "FAIL"

    print()
    header = f"{'case':<21} {'path':<40} {'req/s':>8} {'ratio':>6} {'p99 ms':>8} {'p99 x':>6}  goal -> verdict"
    print(header)
    print("-" * len(header))
    for name, row in summary.items():
        goal = row["goal"] or "-"
        print(
            f"{name:<21} {row['url_path'][:40]:<40} {row['rps_median']:>8.1f} {row['ratio']:>6.2f} "
            f"{row['p99_ms_median']:>8.2f} {row['p99_ratio']:>5.1f}x  {goal} -> {row['verdict']}"
        )
    print(f"module page p99 {module['p99_ratio']:.1f}x hello's p99 (goal <= {P99_GOAL:g}x): {module['p99_verdict']}")
    reference = summary.get("ref: query + template") or {"rps_median": float("nan"), "ratio": float("nan")}
    against_reference = {
        name: round(summary[name]["rps_median"] / reference["rps_median"], 3)
        for name in ("module page", "quiz autosave", "certificate download", "learner home")
        if name in summary
    }
    print(
        f"the reference page (query + 10 KB template, PERF-BASELINES §1) ran at {reference['ratio']:.2f} of hello "
        f"world in this run (the goals assume ~0.31); against it: "
        + ", ".join(f"{name} {ratio:.2f}" for name, ratio in against_reference.items())
    )
    assets = ", ".join(f"{Path(k).name} {v:,} B" for k, v in weight["assets"].items())
    print(
        f"module page weight (no compression, cold cache): HTML {weight['html_bytes']:,} B "
        f"(goal <= {HTML_GOAL_BYTES:,}: {'pass' if weight['html_pass'] else 'FAIL'}) + {assets} "
        f"= {weight['total_bytes']:,} B"
    )
    print(f"certificate download: {cert_path} by the {cert_who}; found: {cert_how}")

    results = {
        "python": platform.python_version(),
        "wrk": wrk_version,
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "runs": args.runs,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "quick": args.quick,
        "load_average_end": loadavg(),
        "hello_rps_median": round(hello_rps, 1),
        "hello_p99_ms_median": round(hello_p99, 2),
        "autosave": autosave_info,
        "autosave_many": many_info,
        "certificate": {"path": cert_path, "downloaded_by": cert_who, "found": cert_how},
        "cases": summary,
        "against_reference_page": against_reference,
        "module_page_weight": weight,
        "server_log_tails": logs,
        "total_s": round(time.perf_counter() - started, 1),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    failed = [n for n, r in summary.items() if r["verdict"].startswith(("FAIL", "REGRESSION"))]
    if module["p99_verdict"] != "pass" or not weight["html_pass"]:
        failed.append("module page p99/weight")
    return 1 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("interrupted: servers stopped", file=sys.stderr)
        sys.exit(130)
