# Zhihui Workflow — everyday commands. Each target creates .venv and installs the project
# (pip install -e '.[test]') first when needed; scripts/setup_and_run.sh does the work.

VENV := .venv
BIN := $(VENV)/bin
SETUP := bash scripts/setup_and_run.sh
POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test
CELERY_BROKER_URL ?= redis://127.0.0.1:6379/0
PYTEST_ARGS ?=

.PHONY: help install setup run test test-postgres lint bench worker beat

help:
	@echo "make setup          .venv, install, migrate, compile translations, seed the demo"
	@echo "make run            setup, then serve http://127.0.0.1:8000 (SQLite, Celery eager)"
	@echo "make test           the test suite on SQLite (PYTEST_ARGS=... passes options)"
	@echo "make test-postgres  the test suite on PostgreSQL (POSTGRES_URL=$(POSTGRES_URL))"
	@echo "make lint           ruff check . and the missing-migrations check"
	@echo "make bench          every bench/bench_*.py"
	@echo "make worker / beat  a Celery worker / beat on CELERY_BROKER_URL=$(CELERY_BROKER_URL)"

install:
	@$(SETUP) install

setup:
	@$(SETUP) setup

run:
	@$(SETUP) run

test:
	@$(SETUP) test $(PYTEST_ARGS)

# pytest-django creates test_<name>; --create-db replaces one a previous run left behind.
test-postgres:
	@DATABASE_URL=$(POSTGRES_URL) $(SETUP) test --create-db $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

bench: install
	@set -e; found=0; for f in bench/bench_*.py; do \
		[ -f "$$f" ] || continue; found=1; \
		echo "==> $$f"; $(BIN)/python "$$f"; \
	done; [ $$found = 1 ] || echo "no bench/bench_*.py found"

worker: install
	CELERY_BROKER_URL=$(CELERY_BROKER_URL) $(BIN)/celery -A config worker -l info

beat: install
	CELERY_BROKER_URL=$(CELERY_BROKER_URL) $(BIN)/celery -A config beat -l info -s $(VENV)/celerybeat-schedule
