# The two commands of the README: `make run` and `make test`. Python 3.11+ and make are enough.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint format install setup browser gettext axe messages check-deploy load-test bench bench-comparison map-geometry screenshots clean

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

## GNU gettext for the catalogue tests and makemessages (needs root; skipped when there).
gettext:
	@command -v xgettext >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq gettext; }

## Update the message catalogues from the sources (docs/languages.md), then translate
## the new entries and run `manage.py compilemessages`.
messages: install gettext
	$(BIN)/python manage.py makemessages -l de -l fr -l es --no-obsolete -i "node_modules/*" -i ".venv*" -i "bench/*" -i "tests/*" -i "scripts/*"

## axe-core for the accessibility tests, pinned in package-lock.json (skipped when installed).
axe:
	@test -f node_modules/axe-core/axe.min.js || npm ci --no-audit --no-fund

## The whole test suite (lint, migrations check, pytest with the browser tests).
test: install browser gettext axe
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

## Full-page PNGs of every public page at 1280 px and 360 px into screenshots/.
screenshots: install browser
	$(BIN)/python scripts/screenshots.py

## Case-list benchmark (bench/facets.py): 10,000 and 100,000 synthetic cases on SQLite
## and PostgreSQL through gunicorn; prints the rows of docs/perf/facets.md.
BENCH_PG ?= postgres://postgres@127.0.0.1:5432
bench: install
	$(BIN)/python bench/facets.py --setup 10000 sqlite:////tmp/atlas_bench_10k.sqlite3 $(BENCH_PG)/atlas_bench_10k
	$(BIN)/python bench/facets.py --setup 100000 sqlite:////tmp/atlas_bench_100k.sqlite3 $(BENCH_PG)/atlas_bench_100k

## Matrix benchmark (bench/matrix.py) on the databases `make bench` fills, uncached and
## then cached on PostgreSQL; prints the rows of docs/perf/matrix.md.
.PHONY: bench-matrix
bench-matrix: install
	$(BIN)/python bench/matrix.py $(BENCH_PG)/atlas_bench_10k $(BENCH_PG)/atlas_bench_100k sqlite:////tmp/atlas_bench_10k.sqlite3 sqlite:////tmp/atlas_bench_100k.sqlite3
	$(BIN)/python bench/matrix.py --cache-seconds 600 $(BENCH_PG)/atlas_bench_100k

## Map and outcomes benchmark (bench/comparison.py) on the 100,000-case database, uncached
## and cached; prints the rows of docs/perf/comparison.md.
bench-comparison: install
	$(BIN)/python bench/comparison.py $(BENCH_PG)/atlas_bench_100k
	$(BIN)/python bench/comparison.py --cache-seconds 600 $(BENCH_PG)/atlas_bench_100k

## The map's geometry (casestudies/mapdata/countries.json) from Natural Earth, via npm.
map-geometry:
	npm ci --no-audit --no-fund
	$(PYTHON) scripts/build_map.py

## Production checks of .ci/extra: check --deploy, pip-audit, compose file, gunicorn smoke
## test on a throw-away PostgreSQL database next to PG_URL's.
PG_URL ?= postgres://postgres@127.0.0.1:5432/atlas_ops
check-deploy: install
	VENV=$(VENV) PG_URL=$(PG_URL) .ci/extra

## Load test (bench/load.py): gunicorn + PostgreSQL with 100,000 cases under wrk, 32
## connections for 60 s; writes docs/perf/load.md. About 10 minutes the first time.
LOAD_DB ?= postgres://postgres@127.0.0.1:5432/atlas_ops_load
load-test: install
	$(BIN)/python bench/load.py --database-url $(LOAD_DB)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache .ruff_cache
