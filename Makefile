# The two commands a newcomer needs: `make run` (demo portal) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FLASK := $(VENV)/bin/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev lock browser translations migrate seed lint format check-migrations clean

# A failed venv (Debian without python3-venv leaves a half-made one) is removed, so the next run retries.
$(VENV)/bin/python:
	@echo "Creating the virtual environment in $(VENV)..."
	@python3 -m venv $(VENV) && $(VENV)/bin/python -m pip install -q --upgrade pip || { \
		rm -rf $(VENV); \
		echo "Could not create $(VENV): install python3-venv (e.g. apt-get install python3-venv), then try again." >&2; \
		exit 1; }

# The lock files pin every transitive dependency with its hashes: pip refuses anything else.
install: $(VENV)/bin/python
	$(PIP) install -q --require-hashes -r requirements.txt
	$(MAKE) -s translations

install-dev: $(VENV)/bin/python
	$(PIP) install -q --require-hashes -r requirements-dev.txt
	$(MAKE) -s translations

## make lock: after editing requirements.in or requirements-dev.in, compile the lock files again
## (pins already there stay; pip-compile --upgrade-package NAME moves one)
PIP_COMPILE := $(VENV)/bin/pip-compile -q --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links
lock: $(VENV)/bin/python
	$(PIP) install -q pip-tools
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

translations:
	@$(VENV)/bin/pybabel compile -d translations --use-fuzzy >/dev/null

## make run: install, migrate, seed the demo and serve it at http://127.0.0.1:5000 (another port: make run PORT=8080)
## The worker (mail, alerts, digests, matches, expiry, search journal) runs beside the server and stops with it.
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) search rebuild --quiet
	@export PORTAL_PUBLIC_URL=$${PORTAL_PUBLIC_URL:-http://$(HOST):$(PORT)}; \
	$(FLASK) worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

## make test: install what the tests need (Debian's chromium included) and run the whole suite, a worker per
## core (pytest-xdist; a test file stays on one worker, so a file's live server starts once); TEST_WORKERS=0: in one process
TEST_WORKERS ?= auto
test: install-dev browser server-tools
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# Debian's chromium for the browser tests, through apt: as root, or with sudo when not.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser tests: $(SUDO) apt-get install chromium"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's nginx (tests/functional/test_nginx.py runs deploy/nginx/ for real; the test starts its own, with
# its own config) and pg_dump/pg_restore (tests/functional/test_backup.py on PostgreSQL), through apt.
.PHONY: server-tools
server-tools:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || { \
		echo "Installing Debian's nginx for the reverse-proxy test: $(SUDO) apt-get install nginx"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }
	@command -v pg_dump >/dev/null 2>&1 && command -v pg_restore >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql-client (pg_dump, pg_restore) for the backup test: $(SUDO) apt-get install postgresql-client"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client; }

## make lint: ruff, and the import contracts in .importlinter (search layers, routes over services, ...)
lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## refresh the message catalogues after adding strings
extract:
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l --ignore-dirs=".venv instance node_modules" -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
