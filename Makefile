# The two commands a newcomer needs: `make run` (demo portal) and `make test` (the whole suite).
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FLASK := $(VENV)/bin/flask --app portal
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test install install-dev browser translations migrate seed lint format check-migrations clean

$(VENV)/bin/python:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip

install: $(VENV)/bin/python
	$(PIP) install -q -r requirements.txt
	$(MAKE) -s translations

install-dev: $(VENV)/bin/python
	$(PIP) install -q -r requirements-dev.txt
	$(MAKE) -s translations

translations:
	@$(VENV)/bin/pybabel compile -d translations --use-fuzzy >/dev/null

## make run: install, migrate, seed the demo and serve it at http://127.0.0.1:5000
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	$(FLASK) search rebuild --quiet 2>/dev/null || true
	PORTAL_PUBLIC_URL=$${PORTAL_PUBLIC_URL:-http://$(HOST):$(PORT)} $(FLASK) run --host $(HOST) --port $(PORT)

## make test: install what the tests need (Debian's chromium included) and run the whole suite
test: install-dev browser
	$(PY) -m pytest $(PYTEST_ARGS)

browser:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## refresh the message catalogues after adding strings
extract:
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l --ignore-dirs=".venv instance node_modules" -o translations/messages.pot .
	$(VENV)/bin/pybabel update -i translations/messages.pot -d translations

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
