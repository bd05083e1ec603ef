# Every target creates what it needs (virtualenv, node tools) when it is missing.

# The Lambda runtime's Python: on PATH, else pyenv's (where a fresh machine has it, off
# PATH). CI makes its venv with it (PYTHON=$$(make -s python312)); `sam build` needs it.
ifndef PYTHON312
PYTHON312 := $(shell for p in python3.12 $$(pyenv root 2>/dev/null)/versions/3.12*/bin/python3.12; do \
	"$$p" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' 2>/dev/null \
	&& { command -v "$$p"; break; }; done)
endif

# The venvs use the runtime's Python where the machine has it, as CI does (and 3.12's
# sys.monitoring makes coverage cheap: `make test-fast`), else python3 (3.11+).
PYTHON ?= $(or $(PYTHON312),python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
AWSCLI_VENV  := $(VENV)/tools/awscli
AWSCLI_STAMP := $(AWSCLI_VENV)/.installed
SAM_VENV     := $(VENV)/tools/sam
SAM_STAMP    := $(SAM_VENV)/.installed

.PHONY: help venv python312 demo test test-fast check lint format typecheck validate validate-template validate-asl validate-schema validate-layer validate-translator layer-lock sam-validate sam-build deploy security security-template security-python bench clean

help:
	@echo "make demo      run the local demo (portal emulator + local AWS endpoint)"
	@echo "make test      run the whole test suite"
	@echo "make test-fast the decision logic on in-memory fakes (seconds), with its coverage"
	@echo "make check     lint, types, template and ASL validation, security scans, then the tests"
	@echo "make security  checkov on template.yaml, bandit on the Python code"
	@echo "make bench     run the benchmarks (figures quoted in README.md)"
	@echo "make layer-lock    regenerate layers/shared/requirements.txt from requirements.in"
	@echo "make sam-validate  sam validate --lint on template.yaml (offline)"
	@echo "make sam-build     sam build for Lambda (needs Python 3.12 and the package index)"
	@echo "make deploy STACK=... PARAMETERS=params.json   sam build + sam deploy (README)"

# The product (portal_automation, its operator CLI) with the test tools, and the local
# stand-ins (local/: portal-local), both editable.
$(STAMP): pyproject.toml local/pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]' -e ./local
	touch $@

venv: $(STAMP)

python312:
	@test -n "$(PYTHON312)" || { echo "no Python 3.12 on PATH or in pyenv" >&2; exit 1; }
	@echo "$(PYTHON312)"

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: $(STAMP)
	$(BIN)/portal-local demo

# Three workers (pytest-xdist), each with its own emulator and local deployment: the
# workflow tests mostly wait on emulated restarts, so three keep 2 cores about 60% busy
# (four pass too, at 75%: the margin for a slower machine). A module's tests stay on one
# worker, and modules are handed out in collection order, so each worker runs the tests
# that start their own moto endpoint or emulator before its workflow session starts the
# deployment (moto's state is per process). The least-privilege check merges every
# worker's calls at the end (tests/conftest.py).
TEST_WORKERS ?= 3
test: $(STAMP) $(AWSCLI_STAMP) $(SAM_STAMP)
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

# The steps, triggers and handlers on the fakes in tests/fakes, plus the pure unit
# tests: no sockets, no moto server. Fails when they cover less than 90% of the
# workflow and trigger logic.
FAST_TESTS := tests/unit tests/steps
# sys.monitoring (Python 3.12+) halves what line tracing costs the fast tests.
test-fast: $(STAMP)
	COVERAGE_CORE=sysmon $(BIN)/pytest -q $(FAST_TESTS) -p no:cacheprovider \
		--cov=portal_automation.workflow --cov=portal_automation.triggers \
		--cov-report=term --cov-fail-under=90

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

typecheck: $(STAMP)
	$(BIN)/mypy layers/shared/portal_automation local/portal_local functions benchmarks

# template.yaml as written, and as CloudFormation receives it (the real SAM transform,
# offline): with its conditions kept, and resolved at the defaults and at a
# production-like parameter set (portal_local/tools/translated.py). A resolved template
# leaves parameters unused on purpose (W2001).
TRANSLATED := build/translated
$(TRANSLATED)/%.json: template.yaml statemachine/portal_security.asl.json $(STAMP)
	$(BIN)/python -m portal_local.tools.translated $(if $(filter as-written,$*),,--resolve $*) --out $@
TRANSLATIONS := $(TRANSLATED)/as-written.json $(TRANSLATED)/defaults.json $(TRANSLATED)/production.json

validate-template: $(STAMP) $(TRANSLATIONS)
	$(BIN)/cfn-lint template.yaml $(TRANSLATED)/as-written.json
	$(BIN)/cfn-lint --ignore-checks W2001 -- $(TRANSLATED)/defaults.json $(TRANSLATED)/production.json

validate-asl: $(STAMP) node_modules/.installed
	$(BIN)/python -m portal_local.tools.asl_check --template template.yaml --validator node_modules/.bin/asl-validator

validate-schema: $(STAMP)
	$(BIN)/python -m portal_local.tools.schema --check

# The layer's lock: the whole closure for Lambda (arm64, CPython 3.12), pinned to
# constraints.txt, with hashes. --check resolves it again with pip (needs the index).
layer-lock: $(STAMP)
	$(BIN)/python -m portal_local.tools.layer_lock

validate-layer: $(STAMP)
	$(BIN)/python -m portal_local.tools.layer_lock --check

# The local endpoint translates with the aws-sam-translator of constraints.txt (1.106:
# 1.115 needs pydantic 2.13, the product runs 2.14), the SAM CLI with its own
# (constraints-sam.txt, 1.115). For this template both must give the same translation,
# version logical ids included, or the local endpoint would not redeploy as sam does.
validate-translator: $(STAMP) $(SAM_STAMP) $(TRANSLATED)/as-written.json
	PYTHONPATH=local:layers/shared $(SAM_VENV)/bin/python -m portal_local.tools.translated \
		--out $(TRANSLATED)/sam-cli.json
	$(BIN)/python -c 'import json, sys; a, b = (json.load(open(p)) for p in sys.argv[1:]); \
		sys.exit(a != b and "the SAM CLI translates template.yaml differently")' \
		$(TRANSLATED)/as-written.json $(TRANSLATED)/sam-cli.json

validate: validate-template validate-asl validate-schema validate-layer sam-validate validate-translator

# --- the AWS CLI --------------------------------------------------------------------
# The README's aws commands run in a test (tests/service/test_readme_commands.py), so
# the CLI is pinned (constraints-awscli.txt) in a venv of its own: it vendors a botocore
# of its own version.
$(AWSCLI_STAMP): constraints-awscli.txt
	$(PYTHON) -m venv $(AWSCLI_VENV)
	$(AWSCLI_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-awscli.txt awscli
	touch $@

# --- the SAM CLI --------------------------------------------------------------------
# aws-sam-cli pins boto3 and aws-sam-translator (and through it pydantic) to other
# versions than constraints.txt, so it lives in its own venv, pinned by constraints-sam.txt.
# No AWS account is needed: a region for the CLI, dummy credentials it never sends.
SAM_ENV   := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1 \
	AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing

$(SAM_STAMP): constraints-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-sam.txt aws-sam-cli
	touch $@

# Offline: the SAM transform and cfn-lint, run by the CLI on template.yaml.
sam-validate: $(SAM_STAMP)
	$(SAM_ENV) $(SAM_VENV)/bin/sam validate --lint --template template.yaml

# Not in `make check`: it downloads the layer's wheels from the package index. It
# builds in place (no container), with the Lambda runtime's Python on PATH.
sam-build: $(SAM_STAMP)
	@test -n "$(PYTHON312)" || { echo "sam build needs Python 3.12 (PATH or pyenv)" >&2; exit 1; }
	PATH="$(dir $(PYTHON312)):$$PATH" $(SAM_ENV) $(SAM_VENV)/bin/sam build --template template.yaml

# make deploy STACK=<name> PARAMETERS=<JSON file of parameter values> [REGION=] [PROFILE=]:
# sam build, then sam deploy with DeploymentDigest, a digest of the build and the
# parameters, so that every deploy that changes the layer, the code or a setting
# publishes new versions (portal_local/tools/deploy.py). DRY_RUN=1 prints the sam
# command. LOCAL=<outputs file of portal-local up> deploys the same way to that local
# endpoint instead (no sam build: sam deploy cannot reach it).
deploy: $(STAMP) $(if $(LOCAL),,$(SAM_STAMP))
	@test -n "$(STACK)" || { echo "make deploy needs STACK=<stack name>" >&2; exit 2; }
	$(if $(LOCAL),,$(MAKE) --no-print-directory sam-build)
	$(BIN)/python -m portal_local.tools.deploy --stack-name '$(STACK)' \
		$(if $(PARAMETERS),--parameters '$(PARAMETERS)') $(if $(LOCAL),--outputs '$(LOCAL)') \
		$(if $(TEMPLATE),--template '$(TEMPLATE)') $(if $(REGION),--region '$(REGION)') \
		$(if $(PROFILE),--profile '$(PROFILE)') $(if $(DRY_RUN),--dry-run) --sam $(SAM_VENV)/bin/sam

# --- static security analysis -------------------------------------------------------
# checkov pins boto3==1.35.49, packaging<24 and networkx<2.7, which conflict with the
# project's pins (constraints.txt), so it lives in its own venv under $(VENV)/tools,
# pinned by constraints-checkov.txt. It fails on any check that is neither fixed in
# template.yaml nor suppressed on its resource (Metadata: checkov: skip, with a comment).
CHECKOV_VENV  := $(VENV)/tools/checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed

$(CHECKOV_STAMP): constraints-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -c constraints-checkov.txt checkov
	touch $@

# At the defaults (no KmsKeyArn) the log groups, function environments and dead-letter
# queue use AWS-managed or service keys by design (README "Security"); the production
# resolution, with a customer key, must pass those same checks with nothing skipped.
CUSTOMER_KEY_CHECKS := CKV_AWS_158,CKV_AWS_173,CKV_AWS_27
security-template: $(CHECKOV_STAMP) $(TRANSLATIONS)
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f $(TRANSLATED)/as-written.json
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f $(TRANSLATED)/production.json
	$(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f $(TRANSLATED)/defaults.json \
		--skip-check $(CUSTOMER_KEY_CHECKS)

# bandit: [tool.bandit] in pyproject.toml holds the skips for all code (each with its
# reason). local/portal_local is never deployed (emulator, local AWS endpoint, CLI); it
# also skips the checks below, whose reviewed hits carry `# noqa: S...` for ruff, which
# keeps checking them line by line in `make lint` (S101/S105/S106/S506/S603; ruff's
# S404 is preview-only, so `import subprocess` is not re-checked there):
#   B101 assert       one assert narrowing a type in the emulator (endpoints.py)
#   B105/B106         fake credentials of moto and the emulator's local-only defaults
#   B404/B603         worker processes and the ASL validator run with a fixed argv, no shell
#   B506 yaml.load    the loader is _CfnLoader, a yaml.SafeLoader subclass (deploy.py)
BANDIT_LOCAL_SKIPS := B101,B105,B106,B404,B506,B603

security-python: $(STAMP)
	$(BIN)/bandit -c pyproject.toml -q -r layers/shared/portal_automation functions
	$(BIN)/bandit -c pyproject.toml -q -r local/portal_local --skip $(BANDIT_LOCAL_SKIPS)

security: security-template security-python

check: lint typecheck validate security test-fast test

bench: $(STAMP)
	$(BIN)/python -m benchmarks.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache .local-run build
