# The two commands of the README: `make run` and `make test`. Python 3.11+ and make are enough.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format install setup browser check-deploy bench screenshots clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Set up a SQLite database with the book's cases loaded (safe to repeat).
setup: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_book

## Run the site on SQLite with the book's cases: http://127.0.0.1:$(PORT)/
run: setup
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

## Debian's Chromium for the browser tests (needs root; skipped when already there).
browser:
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq chromium; }

## The whole test suite (lint, migrations check, pytest with the browser tests).
test: install browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	REQUIRE_BROWSER=1 $(BIN)/pytest

test-fast: install
	$(BIN)/pytest -x -q -m "not browser"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache .ruff_cache
