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

.PHONY: run test test-fast lint dev docs lock install install-test clean bench report sql superset superset-test superset-lock profile works

# The instance the UI and `make run` share: no telemetry, no "join the community" pop-up.
INSTANCE_YAML := $(DAGSTER_HOME)/dagster.yaml

# The local ports. Values reach recipes through the environment and are quoted there ("$$NAME"), never pasted
# into a shell line; INSTITUTION, FIGURE, SCOPE and PERIOD are also taken verbatim ($(value …)), so make expands
# nothing inside them.
DEV_PORT ?= 3000
DOCS_PORT ?= 8081
SUPERSET_PORT ?= 8088
override INSTITUTION := $(value INSTITUTION)
override FIGURE := $(value FIGURE)
override SCOPE := $(value SCOPE)
override PERIOD := $(value PERIOD)
export DEV_PORT DOCS_PORT SUPERSET_PORT INSTITUTION FIGURE SCOPE PERIOD CSV

$(BIN)/python:
	@echo "Creating $(VENV) with $(PYTHON)…"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(STAMP): $(BIN)/python pyproject.toml constraints.txt Makefile
	@echo "Installing the warehouse's pinned packages into $(VENV) (about a minute the first time)…"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml constraints.txt Makefile
	@echo "Installing the warehouse's and its tests' pinned packages into $(VENV) (about a minute the first time)…"
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[test]'
	touch $@ $(STAMP)

$(INSTANCE_YAML): Makefile
	@mkdir -p "$$DAGSTER_HOME"
	@printf 'telemetry:\n  enabled: false\nnux:\n  enabled: false\n' > "$$DAGSTER_HOME/dagster.yaml"

install: $(STAMP)
install-test: $(STAMP_TEST)

## run: build the warehouse through Dagster (default job) and print the headline figures
run: $(STAMP) $(INSTANCE_YAML)
	$(BIN)/python -m dagster_project.run

## sql: the DuckDB shell on the published warehouse, read-only (a run can publish meanwhile)
sql: $(STAMP)
	@$(BIN)/python -m dagster_project.serve sql

# Defined before `test` names it: make expands a rule's prerequisites where it reads them.
# The report's browser check needs Chromium, and the font matplotlib measures the charts' labels in: Debian's
# packages, installed once if the machine lacks them.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	command -v apt-get >/dev/null || { echo "The report's browser test needs Chromium and DejaVu fonts (Debian: apt-get install chromium fonts-dejavu-core)" >&2; exit 1; }
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null

# The tests run in groups (tests/grouping.py: the tests of the session's shared runs together, any other test with
# its file's), in one process more than there are cores: a fifth of a test's time is spent waiting (on a server's
# Retry-After, a subprocess, a reader), and the extra process fills it (2 cores: 286 s against 305 s).
PYTEST_WORKERS := -n $(shell echo $$(( $$(nproc) + 1 ))) --dist loadgroup
# Each test process compiles the project and rewrites the test modules' asserts; with PYTHONDONTWRITEBYTECODE set
# (some images set it) it does so afresh every time, about 5 s of each process's start. The tests keep the bytecode.
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

## test: lint, then the whole test suite (real dbt builds, Dagster materialisations, a browser on the report)
test: lint $(CHROMIUM)
	$(PYTEST) $(PYTEST_WORKERS)

## test-fast: the tests that run no whole Dagster job (about 40 s on 2 cores)
test-fast: $(STAMP_TEST)
	$(PYTEST) $(PYTEST_WORKERS) -m "not slow" -q

## lint: ruff on the Python, sqlfluff on the dbt SQL (rendered with the project's macros and vars) and the example queries
lint: $(STAMP_TEST)
	$(BIN)/ruff check dagster_project tests scripts superset
	$(BIN)/sqlfluff lint dbt/models dbt/tests dbt/macros docs/queries --processes 2

## dev: the Dagster UI on http://127.0.0.1:3000 (`dg dev`); Ctrl-C stops it and every process it started
dev: $(STAMP) $(INSTANCE_YAML)
	$(BIN)/python -m dagster_project.instance
	VIRTUAL_ENV=$(CURDIR)/$(VENV) PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m dagster_project.dev -h 127.0.0.1 -p "$$DEV_PORT"

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
docs: $(STAMP) $(INSTANCE_YAML)
	@$(BIN)/python -m dagster_project.serve docs --port "$$DOCS_PORT"

## report: re-render the study report (warehouse/report/index.html) from the published warehouse; an institution
##   page is drawn again only when its facts changed (FULL_REFRESH=1 draws every page)
report: $(STAMP) $(INSTANCE_YAML)
	@$(BIN)/python -m dagster_project.serve report $(if $(FULL_REFRESH),--full-refresh,)

## profile: one European institution's Chinese partners, their risk tags and why, from the published warehouse
##   INSTITUTION=<ROR id (02kkvpp62 or https://ror.org/02kkvpp62), OpenAlex id (I62916508) or part of a name>
profile: $(STAMP)
	@test -n "$$INSTITUTION" || { echo "Usage: make profile INSTITUTION=<ROR id (02kkvpp62 or https://ror.org/02kkvpp62), OpenAlex id (I62916508) or part of a name>" >&2; exit 2; }
	@$(BIN)/python -m dagster_project.profile_cli "$$INSTITUTION"

## works: the works behind one headline figure (id, year, title, DOI, why it counts), from the published warehouse
##   FIGURE=<metric, e.g. eu_cn_works_with_pla> [SCOPE=<EUROPE, CN or a country code>] [PERIOD=<a year or the span>] [CSV=1]
works: $(STAMP)
	@test -n "$$FIGURE" || { echo "Usage: make works FIGURE=<metric, e.g. eu_cn_works_with_pla> [SCOPE=<EUROPE, CN or a country code>] [PERIOD=<a year or the span>] [CSV=1]" >&2; exit 2; }
	@$(BIN)/python -m dagster_project.works_cli $${SCOPE:+--scope="$$SCOPE"} $${PERIOD:+--period="$$PERIOD"} $${CSV:+--csv} -- "$$FIGURE"

## superset: Apache Superset on http://127.0.0.1:8088 in its own venv (.venv-superset), read-only on the warehouse
superset:
	superset/serve.sh

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
