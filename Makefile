# The newcomer's commands. `make run` builds the warehouse, `make test` runs the test suite.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.9.30
STAMP := $(VENV)/.installed
STAMP_TEST := $(VENV)/.installed-test

export DAGSTER_DISABLE_TELEMETRY := 1
export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
# The UI and `make run` share one persistent instance, so runs show in the UI's history.
export DAGSTER_HOME ?= $(CURDIR)/warehouse/dagster_home

.PHONY: run test dev docs lock install install-test clean bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python -c constraints.txt -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)
install-test: $(STAMP_TEST)

## run: build the warehouse through Dagster (default job) and print the headline figures
run: $(STAMP)
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/python -m dagster_project.run

## test: the whole test suite (includes a real dbt build and Dagster materialisations)
test: $(STAMP_TEST)
	$(BIN)/python -m pytest

## dev: the Dagster UI on http://127.0.0.1:3000
dev: $(STAMP)
	@mkdir -p $(DAGSTER_HOME)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster dev -h 127.0.0.1 -p 3000

## lock: refreeze constraints.txt from pyproject.toml
lock: $(BIN)/python
	rm -rf /tmp/lock-venv && $(PYTHON) -m venv /tmp/lock-venv
	$(BIN)/uv pip install --python /tmp/lock-venv/bin/python '.[test]'
	$(BIN)/uv pip freeze --python /tmp/lock-venv/bin/python --exclude-editable | grep -v '^eu-cn-ai-warehouse' > constraints.txt

clean:
	rm -rf warehouse raw/demo raw/snapshot raw/api dbt/target dbt/logs

## bench: cost per work at 1k / 100k / 1M works against one DuckDB scan (prints a table; slow at 1M)
bench: $(STAMP)
	$(BIN)/python scripts/bench.py $(if $(SIZES),--sizes $(SIZES),)
