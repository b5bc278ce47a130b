"""Flask hello world: the reference route of bench/http_bench.py (written by it; PERF-BASELINES §1)."""

from flask import Flask

app = Flask(__name__)

PAGE = "<!doctype html><html lang=en><head><title>Hello</title></head><body><p>Hello, world!</p></body></html>"


@app.get("/")
def hello():
    return PAGE
