"""Search benchmark: /search's throughput as a ratio to a Flask hello world measured in the same run, with 20×
today's content indexed (issue #21: goal ≥ 0.15).

    .venv/bin/python bench/search_bench.py [--runs 3] [--duration 10] [--warmup 3] [--copies 20] [--quick]
                                           [--database-url postgresql+psycopg://...]

Prepares a temporary instance (migrations, courses, demo data; SQLite unless --database-url), then rebuilds the
search index with every document ``--copies`` times (the copies keep their text: each query matches 20× as many
documents, which is what costs), serves the app and ``bench/hello_app.py`` with gunicorn (same settings as
bench/http_bench.py), signs in a learner, and runs wrk on /search with a rotation of French and Arabic queries
(a Lua script: one query per request, in turn) and on hello world, alternately, ``--runs`` times. The ratio is
judged on medians. Results: bench/out/search.json (search-postgresql.json with --database-url).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
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
    BenchError,
    Server,
    Servers,
    app_env,
    fetch,
    free_port,
    loadavg,
    prepare_instance,
    sign_in,
    temp_dir,
)
from http_bench import HELLO_APP, LEARNER, MODULE_PATH, ensure_wrk, run_wrk

GOAL = 0.15
NOISE = 0.05
QUERIES = [
    "consentement de la victime",
    "رضا الضحية",
    "448-1",
    "الفصل 1-448",
    "travail forcé",
    "situation de vulnerabilite",
    "حالة الاستضعاف",
    "enfant victime",
    "indicateurs",
    "cellule de prise en charge",
]

INFLATE = """
from collections import Counter
from lms import create_app
from lms.extensions import db
from lms.search import engine, service

app = create_app()
with app.app_context():
    docs = service.documents()
    many = [dict(doc, ref=doc["ref"] if n == 0 else doc["ref"] + f"-copy{{n}}")
            for n in range({copies}) for doc in docs]
    engine.rebuild(many)
    db.session.commit()
    print(len(docs), len(many), dict(Counter(d["kind"] for d in docs)))
"""

LUA = """-- /search with a rotation of queries (one per request, in turn).
local paths = {%s}
local n = 0
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n %% #paths) + 1])
end
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--copies", type=int, default=20, help="times each document is indexed")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--database-url", help="PostgreSQL (an empty database) instead of a temporary SQLite file")
    parser.add_argument("--quick", action="store_true", help="smoke run: 1 run of 3 s, 1 s warm-up")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup = 1, 3, 1
    out = args.out or RESULTS / ("search-postgresql.json" if args.database_url else "search.json")

    wrk = ensure_wrk()
    if not wrk:
        print("wrk is not installed. Install it with:\n    sudo apt-get install -y wrk", file=sys.stderr)
        return 2
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    (BENCH / "hello_app.py").write_text(HELLO_APP)
    started = time.perf_counter()
    with temp_dir("tadrib-search-") as tmp, Servers() as servers:
        work = Path(tmp)
        env = app_env(work / "instance", args.database_url)
        print(f"preparing {work / 'instance'} (migrations, courses, demo data)...", flush=True)
        prepare_instance(env)
        done = subprocess.run(
            [sys.executable, "-c", INFLATE.format(copies=args.copies)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if done.returncode != 0:
            raise BenchError(f"indexing {args.copies}× failed:\n{done.stderr[-3000:]}")
        today, indexed, kinds = done.stdout.strip().splitlines()[-1].split(" ", 2)
        print(f"indexed {indexed} documents ({args.copies}× today's {today}: {kinds})", flush=True)
        app = servers.start(Server("app", "wsgi:app", free_port(), args.workers, env, work))
        hello = servers.start(Server("hello", "hello_app:app", free_port(), args.workers, env, work, chdir=BENCH))
        learner_op, learner_jar, _ = sign_in(app.url, LEARNER)
        paths = ["/search?" + urllib.parse.urlencode({"q": q}) for q in QUERIES]
        found = {}
        for query, path in zip(QUERIES, paths, strict=True):
            status, _final, body = fetch(learner_op, app.url + path)
            if status != 200:
                raise BenchError(f"{path} answered {status}")
            found[query] = body.count(b"<mark>")
        script = work / "search.lua"
        script.write_text(LUA % ", ".join(json.dumps(p) for p in paths))
        cookie = "; ".join(f"{c.name}={c.value}" for c in learner_jar)
        runs: dict[str, list[dict]] = {"hello world": [], "search": [], "module page": []}
        print(f"{wrk_version}; gunicorn sync x{args.workers}; load average {loadavg()}", flush=True)
        for number in range(args.runs):
            for name, url, cookie_, lua in (
                ("hello world", hello.url + "/", None, None),
                ("search", app.url + "/search", cookie, script),
                ("module page", app.url + MODULE_PATH, cookie, None),  # for comparison (bench/http_bench.py)
            ):
                if number == 0 and args.warmup > 0:
                    run_wrk(wrk, url, args.warmup, cookie_, lua)
                result = run_wrk(wrk, url, args.duration, cookie_, lua)
                runs[name].append(result)
                print(f"  run {number + 1} {name:<12} {result['rps']:>8.1f} req/s  p99 {result['p99_ms']:>7.2f} ms")
        logs = {s.name: s.log_tail(40) for s in servers.items}
        servers.stop_all()

    hello_rps = statistics.median(r["rps"] for r in runs["hello world"])
    search_rps = statistics.median(r["rps"] for r in runs["search"])
    ratio = search_rps / hello_rps
    module_rps = statistics.median(r["rps"] for r in runs["module page"])
    non_ok = sum(r["non_2xx_3xx"] + r["socket_errors"] for r in runs["search"])
    if non_ok:
        verdict = "FAIL (non-2xx/3xx responses)"
    elif ratio >= GOAL:
        verdict = "pass"
    elif ratio >= GOAL - NOISE:
        verdict = "marginal (within 5 pp)"
    else:
        verdict = "FAIL"
    print(
        f"\nsearch {search_rps:.1f} req/s, hello world {hello_rps:.1f} req/s: ratio {ratio:.3f} (goal ≥ {GOAL}) -> "
        f"{verdict}; the module page in the same run: {module_rps / hello_rps:.3f} of hello world"
    )
    results = {
        "python": platform.python_version(),
        "wrk": wrk_version,
        "database": "postgresql" if args.database_url else "sqlite",
        "workers": args.workers,
        "cpu_count": os.cpu_count(),
        "runs": args.runs,
        "duration_s": args.duration,
        "quick": args.quick,
        "copies": args.copies,
        "documents_today": int(today),
        "documents_indexed": int(indexed),
        "queries": QUERIES,
        "marks_per_query": found,
        "hello_rps_median": round(hello_rps, 1),
        "search_rps_median": round(search_rps, 1),
        "search_p99_ms_median": round(statistics.median(r["p99_ms"] for r in runs["search"]), 2),
        "ratio": round(ratio, 3),
        "module_page_rps_median": round(module_rps, 1),
        "module_page_ratio": round(module_rps / hello_rps, 3),
        "ratio_per_run": [
            round(s["rps"] / h["rps"], 3) for s, h in zip(runs["search"], runs["hello world"], strict=True)
        ],
        "goal": GOAL,
        "verdict": verdict,
        "wrk_runs": runs,
        "load_average_end": loadavg(),
        "server_log_tails": logs,
        "total_s": round(time.perf_counter() - started, 1),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(f"written {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}")
    return 0 if verdict in ("pass", "marginal (within 5 pp)") else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)
