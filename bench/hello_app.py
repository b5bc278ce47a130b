"""Flask hello world and the reference pages of PERF-BASELINES §1 (written by bench/http_bench.py).

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
