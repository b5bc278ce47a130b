# Tadrib — two commands: `make run` (set up and serve with demo data) and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := wsgi.py

PO_FILES := $(wildcard lms/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: setup run test lint scan translations-extract translations-update clean-instance

## setup: install only (system packages check, virtualenv, Python packages, compiled translations)
setup: $(VENV)/.installed $(MO_FILES)

$(VENV)/.installed: pyproject.toml
	@bash scripts/check-system.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,postgres,redis,prod]'
	@touch $@

lms/translations/%/LC_MESSAGES/messages.mo: lms/translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@

## run: set up, migrate, load courses and demo data (first time), serve on 127.0.0.1:$(PORT) with the task-queue
## consumer beside the web server (scripts/run.py: one Ctrl-C stops both)
## (a demo: LMS_DEMO=1; certificates issued by `demo load` and on the site print http://127.0.0.1:$(PORT))
run: export LMS_DEMO := 1
run: export LMS_BASE_URL ?= http://127.0.0.1:$(PORT)
run: setup
	$(BIN)/flask db upgrade
	$(BIN)/flask courses sync
	$(BIN)/flask demo load --if-empty
	@echo "Demo accounts: instance/demo-accounts.txt"
	LMS_REQUIRE_TOTP=$${LMS_REQUIRE_TOTP:-0} $(BIN)/python scripts/run.py --host 127.0.0.1 --port $(PORT)

## test: the whole suite (SQLite; with TEST_DATABASE_URL the tests that use the database, on PostgreSQL),
## on one pytest-xdist worker per core (TEST_WORKERS=0: in one process)
TEST_WORKERS ?= auto
test: setup lint
	$(BIN)/pytest -q -n $(TEST_WORKERS)

## lint: ruff and bandit (every bandit finding is reviewed in the code with a nosec and its reason)
lint: setup
	$(BIN)/ruff check lms tests bench scan
	$(BIN)/bandit -q -r lms 2>/dev/null

## scan: wapiti and sqlmap against the app on 127.0.0.1, signed in as each role (bounded in time; CI runs it)
## (SCAN_ARGS=--quick for a 3-minute run, SCAN_ARGS="--roles admin" for one role, SCAN_ARGS="--jobs 2" two roles at a time)
scan: setup
	$(BIN)/python scan/run_scan.py $(SCAN_ARGS)

## translations-extract / translations-update: after adding UI strings
translations-extract: setup
	$(BIN)/pybabel extract -F babel.cfg -k _l -o lms/translations/messages.pot --no-location --sort-output .

translations-update: translations-extract
	$(BIN)/pybabel update -i lms/translations/messages.pot -d lms/translations --no-fuzzy-matching --ignore-obsolete

.PHONY: bench load screenshots

## screenshots: the main pages at 390, 768 and 1280 px in French and Arabic, from a demo instance (screenshots/)
screenshots: setup
	$(BIN)/python scripts/screenshots.py $(SHOTS_ARGS)

## bench: HTTP ratios to hello world (wrk), certificates against their floor, dashboard at 10 and 2,000 learners,
## password-reset requests with a consumer running and queuing 2,400 reminders (bench/queue_bench.py), /search with
## 20x today's content indexed (bench/search_bench.py)
## (results go to the ignored bench/out/; RECORD=1 writes them to the committed bench/results/)
bench load: export BENCH_RECORD := $(if $(RECORD),1,0)
bench: setup
	@status=0; \
	$(BIN)/python bench/http_bench.py || status=1; \
	$(BIN)/python bench/cert_bench.py --n 253 || status=1; \
	$(BIN)/python bench/dashboard_bench.py || status=1; \
	$(BIN)/python bench/queue_bench.py || status=1; \
	$(BIN)/python bench/search_bench.py || status=1; \
	exit $$status

## load: 100 learners and a trainer for 60 s, on PostgreSQL (2 instances) then SQLite; fails on any loss or error
load: setup
	$(BIN)/python bench/load.py
