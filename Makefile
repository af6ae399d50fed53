# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test package lock venv migrate seed bench clean frontend

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet 'pip<26.3'  # chalice 1.34 requires pip<26.3
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

venv: $(STAMP)

## frontend: the operator console's build (frontend/dist), redone only when its sources changed:
## `npm install` (by the lock) when package.json/package-lock.json changed, `npm run build` when anything it is built from did.
FRONTEND_SOURCES := $(shell find frontend/src frontend/public -type f 2>/dev/null) \
	$(wildcard frontend/package.json frontend/package-lock.json frontend/index.html frontend/vite.config.* \
	           frontend/tsconfig*.json)
FRONTEND_MODULES := frontend/node_modules/.installed
FRONTEND_BUILT   := frontend/dist/.built
# `make run` builds the console only once there is one (frontend/package.json), and without Node.js it
# says so and goes on: the API runs and / explains how to build the console.
FRONTEND_IF_PRESENT := $(if $(wildcard frontend/package.json),frontend)

$(FRONTEND_MODULES): frontend/package.json frontend/package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ to build the console"; exit 1; }
	# npm install, not npm ci: npm 11 refuses this lock over an optional Windows-only dependency of vite
	# (napi-windows-process-start-time) that it never records on Linux; install still follows the lock.
	cd frontend && npm install --no-audit --no-fund
	mkdir -p $(@D) && touch $@

$(FRONTEND_BUILT): $(FRONTEND_MODULES) $(FRONTEND_SOURCES)
	cd frontend && npm run build
	mkdir -p $(@D) && touch $@

frontend:
	@if command -v npm >/dev/null; then $(MAKE) --no-print-directory $(FRONTEND_BUILT); \
	else echo "npm not found: the console is not built (install Node.js 20+); the API runs without it"; fi

## run: embedded PostgreSQL + ClickHouse, migrations, demo data, the API and the console on http://localhost:8000
run: $(STAMP) $(FRONTEND_IF_PRESENT)
	$(PY) -m infra.local.run

## test: the whole suite (unit, integration on the embedded databases, e2e over HTTP)
test: $(STAMP) $(FRONTEND_IF_PRESENT)
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
