# Sciplo's set-up and test commands; the README documents them.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM ?= npm
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run setup test test-fast lint format lock bench screenshots

# The development server, and beside it the task worker that runs imports.
run: setup
	$(PY) manage.py db_worker & trap 'kill $$!' EXIT; $(PY) manage.py runserver $(HOST):$(PORT)

setup: $(VENV)/installed node_modules/installed
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_reference_data
	$(PY) manage.py seed_catalogue

test: $(VENV)/installed node_modules/installed
	bash scripts/test

# The inner loop: the tests not marked slow, on SQLite, last run's failures first; ARGS goes to
# pytest, e.g. make test-fast ARGS="tests/api -x".
test-fast: $(VENV)/installed node_modules/installed
	env -u DATABASE_URL $(PY) -m pytest -m "not slow" --failed-first $(ARGS)

# The README's and guides' pictures, taken again by the browser tests into docs/screenshots/.
screenshots: $(VENV)/installed node_modules/installed
	SCREENSHOTS_DIR=docs/screenshots $(PY) -m pytest tests/browser

lint: $(VENV)/installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/installed
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# The benchmark of docs/performance.md: BENCH_OPTIONS passes options, e.g.
# make bench BENCH_OPTIONS="--sizes 1000 --engines sqlite".
bench: $(VENV)/installed node_modules/installed
	$(PY) -m bench $(BENCH_OPTIONS)

# Re-resolve the locked dependencies after changing pyproject.toml (pip-tools is a dev
# dependency); the lock files name packages and hashes only, never this machine's package index.
LOCK := $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links --allow-unsafe
lock: $(VENV)/installed
	$(LOCK) -o requirements.lock pyproject.toml
	$(LOCK) --extra dev -o requirements-dev.lock pyproject.toml

$(VENV)/installed: requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Sciplo needs Python 3.11 or newer: run make with PYTHON=python3.11 (or newer).")'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	touch $@

# The front-end packages the cities map serves itself (Leaflet, country outlines), exactly as
# package-lock.json pins them; their install scripts are not needed and never run.
node_modules/installed: package.json package-lock.json
	@command -v $(NPM) >/dev/null 2>&1 || { echo "Sciplo needs Node.js and npm to install the map's front-end packages: install them (e.g. apt-get install nodejs npm) or run make with NPM=/path/to/npm." >&2; exit 1; }
	$(NPM) ci --ignore-scripts --no-audit --no-fund
	touch $@
