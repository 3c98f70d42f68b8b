# Clearinghouse: `make demo` runs the app with demo data; `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
export CLEARINGHOUSE_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test lint typecheck migrations-check pytest bench clean install install-dev lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml requirements.lock
	$(BIN)/pip install --quiet -c requirements.lock -e .
	$(BIN)/python -m clearinghouse.core.catalogues compile
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install --quiet -c requirements.lock -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: $(VENV)/.installed
	$(BIN)/clearinghouse compilemessages
	$(BIN)/clearinghouse migrate --no-input -v 0
	$(BIN)/clearinghouse createcachetable
	$(BIN)/clearinghouse demo
	@echo "Serving on http://127.0.0.1:$(PORT)/ under gunicorn (Ctrl-C to stop)"
	$(BIN)/clearinghouse serve --host 127.0.0.1 --port $(PORT)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests conftest.py
	$(BIN)/ruff format --check src tests conftest.py
	$(BIN)/lint-imports
	$(BIN)/python -m clearinghouse.core.catalogues check

# mypy --strict over src, tests and conftest.py (the `files` of [tool.mypy] in pyproject.toml).
typecheck: $(VENV)/.installed-dev
	$(BIN)/mypy

migrations-check: $(VENV)/.installed-dev
	$(BIN)/clearinghouse makemigrations --check --dry-run

pytest: $(VENV)/.installed-dev
	$(BIN)/python -m clearinghouse.core.catalogues compile
	bash .ci/ensure-chromium || true
	$(BIN)/pytest -q -n 2 $(PYTEST_ARGS)

test: lint typecheck migrations-check pytest

# Speed and memory (never part of `make test`): the matching engine, bulk imports (10,000 and 100,000
# rows, SQLite and PostgreSQL when reachable), the served app under load (50,000 pledges), and the
# database side at 50,000 pledges next to issue 18's targets (clearing run, lists, dashboard, imports).
bench: $(VENV)/.installed-dev
	$(BIN)/clearinghouse bench matching
	$(BIN)/clearinghouse bench import --rows 10000,100000
	$(BIN)/clearinghouse bench http
	$(BIN)/clearinghouse bench audit
	$(BIN)/clearinghouse bench db

# Regenerate requirements.lock: resolve pyproject.toml's dependencies (with the dev extra) afresh
# in a throw-away virtualenv and pin every installed distribution except the project itself.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e '.[dev]'
	.lock-venv/bin/pip freeze --exclude-editable --exclude clearinghouse | sort -f > requirements.lock
	rm -rf .lock-venv
	@echo "requirements.lock regenerated: review the diff, then make test"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
