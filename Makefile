# dealerplan: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000
export DJANGO_SETTINGS_MODULE := dealerplan.settings
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help install install-test run serve migrate demo test test-pg lint format messages vendor clean bench bench-quick

help:
	@echo "make run      set up, migrate, load demo data when empty, serve on http://$(HOST):$(PORT)"
	@echo "make test     set up with test extras and run the test suite (SQLite)"
	@echo "make test-pg  run the test suite on PostgreSQL (DATABASE_URL, default local postgres)"
	@echo "make lint     ruff, manage.py check, makemigrations --check, check --deploy"
	@echo "make messages refresh and compile the translation catalogues"
	@echo "make vendor   refresh the vendored front-end assets from the npm registry"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	DEBUG=true $(PY) manage.py migrate --no-input

demo: migrate
	DEBUG=true $(PY) manage.py seed_demo --size small --seed 1 --if-empty

run: demo
	@echo ""
	@echo "dealerplan is starting on http://$(HOST):$(PORT)/"
	@echo "Demo logins (password demo12345, demo data only):"
	@echo "  gm  sales_manager  showroom_manager  finance  marketing  consultant01 ... consultant10"
	@echo ""
	@trap 'kill 0' EXIT INT TERM; \
	DEBUG=true $(PY) manage.py db_worker >var/worker.log 2>&1 & \
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

test: install-test
	DEBUG=true $(BIN)/pytest -n 2 -q -p no:logging

test-pg: install-test
	DEBUG=true DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/dealerplan} \
		$(BIN)/pytest -n 2 -q -p no:logging

# Browser end-to-end tests (tests_e2e/) with Playwright driving the system Chromium; the
# screenshots of every step land in var/e2e-screens/. Playwright's own browser download is
# never used: CHROMIUM=/path/to/chromium picks another build.
CHROMIUM ?= /usr/bin/chromium
.PHONY: e2e install-e2e
$(VENV)/.installed-e2e: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e ".[test,e2e]"
	touch $@ $(VENV)/.installed-test $(VENV)/.installed

install-e2e: $(VENV)/.installed-e2e

e2e: install-e2e
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "== $(CHROMIUM) is missing: installing Debian's chromium"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	fi
	E2E_CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests_e2e -q -p no:logging
	@echo "Screenshots: var/e2e-screens/"

lint: install-test
	$(BIN)/ruff check .
	DEBUG=true $(PY) manage.py check --database default
	DEBUG=true $(PY) manage.py makemigrations --check --dry-run
	DEBUG=false SECRET_KEY=lint-only-$$(date +%s)-not-a-real-secret-key-aaaaaaaaaaaaaaaaaaaa \
		ALLOWED_HOSTS=dealerplan.example.com $(PY) manage.py check --deploy --fail-level WARNING

format: install-test
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format src tests bench

messages: install
	cd src/dealerplan && DEBUG=true ../../$(PY) ../../manage.py makemessages -l zh_Hans -l en --no-obsolete -i "static/*"
	cd src/dealerplan && DEBUG=true ../../$(PY) ../../manage.py compilemessages

vendor:
	scripts/vendor-assets

# Performance: a generated dealer group (bench/generate.py), then every page timed (bench/run.py).
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/dealerplan_bench
bench: install
	@command -v wrk >/dev/null 2>&1 || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk \
		>/dev/null 2>&1 || echo "wrk not installed: the concurrent run is skipped"
	@url=$${DATABASE_URL:-$(BENCH_DB)}; \
	psql "$${url%/*}/postgres" -qc "DROP DATABASE IF EXISTS $${url##*/}" && \
	psql "$${url%/*}/postgres" -qc "CREATE DATABASE $${url##*/}"
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) bench/generate.py --scale 1 --migrate \
		--drop-indexes --json bench/results/generate.json
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DB)} $(PY) bench/run.py
	$(PY) bench/report.py

bench-quick: install
	rm -f var/bench-quick.sqlite3*
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/var/bench-quick.sqlite3} \
		$(PY) bench/generate.py --scale 0.05 --migrate --json var/bench-quick-generate.json
	DATABASE_URL=$${DATABASE_URL:-sqlite:///$(CURDIR)/var/bench-quick.sqlite3} \
		$(PY) bench/run.py --quick --out var/bench-quick.json
	$(PY) bench/report.py var/bench-quick.json

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
