# Nyeri: `make demo` runs the platform on SQLite with demo data; `make test` runs every check.
# Both set themselves up: a virtualenv in .venv from the hash-pinned lock file.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The demo's local SATUSEHAT server (scripts/demo.py), on 127.0.0.1.
SATUSEHAT_PORT ?= 8787
# PostgreSQL for the second half of the test suite (a fresh test database is created in it).
TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/nyeri
B ?=
# Python writes its compiled modules (and pytest its rewritten tests) to __pycache__, so that
# the dozens of Python processes of `make test` (the suites, the clock days, each benchmark,
# its servers and clients) compile Nyeri's ~1,000 modules once, not each (a shell may have
# turned that off, for example in a container image).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help setup demo serve test check lint typecheck migrations-check translations-check \
        test-sqlite test-postgres test-clock bench bench-smoke security lock messages makemessages format clean \
        screenshots

help:
	@echo "make demo    run Nyeri on http://127.0.0.1:$(PORT) with demo data (SQLite)"
	@echo "make test    run linters, type checks and the test suite (SQLite, PostgreSQL, browser)"
	@echo "make bench   run the benchmarks (B=NAME for one)"
	@echo "make screenshots  capture every main page of each demo role at 1366 and 390 px into var/screenshots/"

$(VENV)/.installed: requirements/dev.txt
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Nyeri needs Python 3.11 or newer"'
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r requirements/dev.txt
	@touch $@

setup: $(VENV)/.installed messages

messages: $(VENV)/.installed
	@$(PY) scripts/compile_messages.py

var/secret_key:
	@mkdir -p var
	@$(PY) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@
	@chmod 600 $@

# The demo runs the production stack (gunicorn, WhiteNoise, DEBUG off) over plain HTTP on
# the loopback address, with a generated secret key, and the background worker with its
# scheduler (manage.py run_worker) beside gunicorn (scripts/demo.py). The e-mails it sends are
# printed one line each (nyeri/lib/mail.py), not as raw messages.
DEMO_ENV = SECRET_KEY="$$(cat var/secret_key)" HTTPS=0 DEBUG=0 EMAIL_BACKEND=nyeri.lib.mail.OneLineEmailBackend

demo: setup var/secret_key
	@$(DEMO_ENV) $(PY) manage.py migrate --noinput -v 0
	@$(DEMO_ENV) $(PY) manage.py collectstatic --noinput -v 0
	@$(DEMO_ENV) $(PY) manage.py seed_demo
	@echo "Serving Nyeri at http://127.0.0.1:$(PORT)/ with its background worker and a local SATUSEHAT server on 127.0.0.1:$(SATUSEHAT_PORT) (Ctrl-C stops all)"
	@$(DEMO_ENV) $(PY) scripts/demo.py --port $(PORT) --satusehat-port $(SATUSEHAT_PORT)

# Every main page of each demo role at 1366 px and 390 px, from a temporary demo database,
# in var/screenshots/<role>/<page>-<width>.png with an index.html (scripts/screenshots.py;
# needs Debian's Chromium: scripts/ensure-system-deps.sh).
screenshots: setup
	@bash scripts/ensure-system-deps.sh
	@$(PY) scripts/screenshots.py

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-logo

# bandit: no finding of medium severity or higher that is not reviewed and annotated in place
# (`# nosec BXXX` after the reason); the lock checked against PyPI's advisories where this
# machine can reach them (scripts/audit_dependencies.py says when it cannot).
security: $(VENV)/.installed
	$(VENV)/bin/bandit -r nyeri --severity-level medium --quiet
	$(PY) scripts/audit_dependencies.py

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy nyeri

migrations-check: $(VENV)/.installed
	NYERI_TESTING=1 $(PY) manage.py makemigrations --check --dry-run

translations-check: setup
	NYERI_TESTING=1 $(PY) scripts/check_translations.py

test-sqlite: setup
	scripts/ensure-system-deps.sh
	$(VENV)/bin/pytest

test-postgres: setup
	@if $(PY) scripts/postgres_reachable.py "$(TEST_POSTGRES_URL)"; then \
		DATABASE_URL="$(TEST_POSTGRES_URL)" $(VENV)/bin/pytest -m "not browser" --create-db; \
	else \
		echo "!! PostgreSQL is not reachable at $(TEST_POSTGRES_URL): the PostgreSQL half of the suite did NOT run."; \
		echo "!! Start PostgreSQL or set TEST_POSTGRES_URL, then run 'make test-postgres'."; \
	fi

# The days that break naive calendar arithmetic: 31 December (a year ends), 28 February of a
# common year, 29 February, and 31 July (a month back is 30 June: the 31st does not exist).
# See tests/clock.py and docs/requirements-engine.md.
CLOCK_DAYS ?= 2026-12-31 2027-02-28 2028-02-29 2027-07-31
# `make test` runs two of them (a year's end, a leap day) to stay within 15 minutes on two
# cores (one frozen day costs about 90 s); `make test-clock` runs all four (run it before a
# release and after a change to date rules).
TEST_CLOCK_DAYS ?= 2026-12-31 2028-02-29

test-clock: setup
	scripts/test-clock.sh $(CLOCK_DAYS)

# One clock day, so that `make test` can run the days side by side.
test-clock-%: setup
	scripts/test-clock.sh $*

# Every benchmark once at a tiny size, checking its own assertions (bench/sizes.py).
bench-smoke: setup
	BENCH_SMOKE=1 BENCH_SKIP_POSTGRES=$${BENCH_SKIP_POSTGRES:-1} $(PY) bench/run.py

check: lint typecheck migrations-check translations-check security

# The parts are independent (the checks read the code, SQLite runs in memory, PostgreSQL in
# its own test database, the clock days in memory): two at a time on a two-core machine,
# the longest first, each part's output printed whole when it ends (--output-sync), a
# failure of any fails the run. The SQLite parts and the benchmarks start from one migrated
# template, built once per set of migrations (nyeri/lib/migrated_db.py).
TEST_JOBS ?= 2
test: setup
	scripts/ensure-system-deps.sh
	$(MAKE) --no-print-directory -j$(TEST_JOBS) --output-sync=target test-postgres test-sqlite \
		check $(addprefix test-clock-,$(TEST_CLOCK_DAYS)) bench-smoke

bench: setup
	$(PY) bench/run.py $(B)

lock:
	$(VENV)/bin/pip install --quiet uv
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes requirements/base.in -o requirements/base.txt
	$(VENV)/bin/uv pip compile --quiet --python-version 3.11 --generate-hashes requirements/dev.in -o requirements/dev.txt

makemessages: setup
	NYERI_TESTING=1 $(PY) manage.py makemessages -l id --no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*'

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) staticfiles var/nyeri.sqlite3*
