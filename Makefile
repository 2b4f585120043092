# The two documented commands: `make run` (demo) and `make test` (whole suite).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run test lint format migrate demo messages screenshots clean mutants

$(VENV)/.installed-runtime: requirements.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is required"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed-runtime requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

## make run: install, migrate, load the demo, serve on 127.0.0.1:8000 with a Celery worker + beat.
run: $(VENV)/.installed-runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py run_demo

## make test: lint, migration check and the whole pytest suite.
test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	DJANGO_SETTINGS_MODULE=portal.settings.test $(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## make mutants: remove each SECURITY.md protection in a throw-away copy and watch its test fail
## (PostgreSQL on 127.0.0.1, database portal_mut; Redis db 13 for line 26). Not part of make test.
mutants: $(VENV)/.installed-dev
	$(PY) -m tests.security.mutations $(MUTANTS_ARGS)

## make screenshots: the browser tests, keeping pictures of the main pages in docs/screenshots/
## (needs chromium at /usr/bin/chromium; fonts-noto-color-emoji for the notification bell).
screenshots: $(VENV)/.installed-dev
	E2E_SCREENSHOTS=docs/screenshots $(VENV)/bin/pytest tests/e2e --create-db

lint: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

## make messages: refresh the translation catalogues (needs GNU gettext).
messages: $(VENV)/.installed-dev
	$(PY) manage.py makemessages -l nl --ignore=.venv --ignore=staticfiles --ignore=var
	msgattrib --no-obsolete -o locale/nl/LC_MESSAGES/django.po locale/nl/LC_MESSAGES/django.po
	$(PY) manage.py compilemessages -l nl --ignore=.venv

clean:
	rm -rf var staticfiles .pytest_cache
