# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test package lock venv migrate seed bench clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip<26.3'  # chalice 1.34 requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## run: embedded PostgreSQL + ClickHouse, migrations, demo data, API on http://localhost:8000
run: $(STAMP)
	$(PY) -m infra.local.run

## test: the whole suite (unit, integration on the embedded databases, e2e over HTTP)
test: $(STAMP)
	$(PY) -m pytest

## package: dist/sam.json + dist/deployment.zip for CloudFormation (README, Deploy)
package: $(STAMP)
	$(PY) -m infra.package

## lock: requirements.lock (what the zip holds, hashed) from requirements.txt
lock: $(STAMP)
	$(PY) -m infra.package --lock

migrate: $(STAMP)
	$(PY) -m chalicelib.cli migrate

seed: $(STAMP)
	$(PY) -m chalicelib.cli seed-demo

bench: $(STAMP)
	$(PY) bench/cold_start.py

clean:
	rm -rf .local .pytest_cache
