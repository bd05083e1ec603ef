# Every target creates what it needs (virtualenv, node tools) when it is missing.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv demo test check lint format typecheck validate validate-template validate-asl validate-schema bench clean

help:
	@echo "make demo      run the local demo (portal emulator + local AWS endpoint)"
	@echo "make test      run the whole test suite"
	@echo "make check     lint, types, template and ASL validation, then the tests"
	@echo "make bench     run the benchmarks (figures quoted in README.md)"

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

venv: $(STAMP)

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(STAMP)
	$(BIN)/portal-automation demo

test: $(STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy layers/shared/portal_automation local/portal_local functions

validate-template: $(STAMP)
	$(BIN)/cfn-lint template.yaml

validate-asl: $(STAMP) node_modules/.installed
	$(BIN)/python -m portal_local.tools.asl_check --template template.yaml --validator node_modules/.bin/asl-validator

validate-schema: $(STAMP)
	$(BIN)/python -m portal_local.tools.schema --check

validate: validate-template validate-asl validate-schema

check: lint typecheck validate test

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .local-run
