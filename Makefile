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

.PHONY: run test dev docs lock install install-test clean bench report superset superset-test superset-lock profile

# Serving: where a run publishes (WAREHOUSE_PATH as the pipeline reads it), and the local ports.
WAREHOUSE_PATH_ABS = $(abspath $(or $(WAREHOUSE_PATH),warehouse/openalex.duckdb))
WAREHOUSE_DIR = $(dir $(WAREHOUSE_PATH_ABS))
DOCS_PORT ?= 8081
SUPERSET_PORT ?= 8088

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt Makefile
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml constraints.txt Makefile
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[test]'
	touch $@ $(STAMP)

install: $(STAMP)
install-test: $(STAMP_TEST)

## run: build the warehouse through Dagster (default job) and print the headline figures
run: $(STAMP)
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/python -m dagster_project.run

## test: the whole test suite (includes a real dbt build and Dagster materialisations)
test: $(STAMP_TEST)
	$(BIN)/python -m pytest

## dev: the Dagster UI on http://127.0.0.1:3000
dev: $(STAMP)
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
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

## docs: the dbt docs site of the published warehouse on http://127.0.0.1:8081 (each run regenerates it)
docs: $(STAMP)
	@test -f $(WAREHOUSE_PATH_ABS) || { echo "No warehouse yet: run \`make run\` first." >&2; exit 1; }
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster job execute -m dagster_project.definitions -j docs
	@echo "dbt docs: http://127.0.0.1:$(DOCS_PORT)/ (the same site in one file: $(WAREHOUSE_DIR)docs/static_index.html). Ctrl-C to stop."
	$(BIN)/python -m http.server $(DOCS_PORT) --bind 127.0.0.1 --directory $(WAREHOUSE_DIR)docs

## report: re-render the study report (warehouse/report/index.html) from the published warehouse
report: $(STAMP)
	@mkdir -p $(DAGSTER_HOME) && touch $(DAGSTER_HOME)/dagster.yaml
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/dagster job execute -m dagster_project.definitions -j report_only
	@echo "Report: $(WAREHOUSE_DIR)report/index.html"

## profile: one European institution's Chinese partners, their risk tags and why, from the published warehouse
##   INSTITUTION=<ROR id (02kkvpp62 or https://ror.org/02kkvpp62), OpenAlex id (I62916508) or part of a name>
profile: $(STAMP)
	@test -n "$(INSTITUTION)" || { echo "Usage: make profile INSTITUTION=<ROR id (02kkvpp62 or https://ror.org/02kkvpp62), OpenAlex id (I62916508) or part of a name>" >&2; exit 2; }
	@$(BIN)/python -m dagster_project.profile_cli "$(INSTITUTION)"

## superset: Apache Superset on http://127.0.0.1:8088 in its own venv (.venv-superset), read-only on the warehouse
superset:
	SUPERSET_PORT=$(SUPERSET_PORT) superset/serve.sh

## superset-test: install Superset and run its end-to-end test (SQL Lab on a mart while a run republishes)
superset-test: $(STAMP_TEST)
	superset/setup.sh --install-only
	RUN_SUPERSET_TESTS=1 $(BIN)/python -m pytest -m superset -s tests/test_superset.py

## superset-lock: refreeze superset/constraints.txt from superset/requirements.txt
superset-lock: $(BIN)/python
	rm -rf /tmp/superset-lock-venv && $(PYTHON) -m venv /tmp/superset-lock-venv
	$(BIN)/uv pip install --python /tmp/superset-lock-venv/bin/python -r superset/requirements.txt
	{ echo "# The Superset virtualenv's full set, frozen from a clean install of superset/requirements.txt (Python 3.11)."; \
	  echo "# Regenerate with \`make superset-lock\`."; \
	  $(BIN)/uv pip freeze --python /tmp/superset-lock-venv/bin/python | grep -v '^pip=='; } > superset/constraints.txt
