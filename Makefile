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

.PHONY: help install install-test run serve migrate demo test test-pg lint format messages vendor clean

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

clean:
	rm -rf $(VENV) var build *.egg-info src/*.egg-info
