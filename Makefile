# 宁乡 grassroots-governance service. Every target bootstraps what it needs on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
WEB_STAMP := web/node_modules/.installed
CHROMIUM  := /usr/bin/chromium

# infra/ has its own virtualenv (CDK, Chalice's CDK construct, cfn-lint, cdk-nag) and npm tools (cdk CLI,
# asl-validator): never in the shared .venv nor in the Lambda package
INFRA_PY    := infra/.venv/bin/python
INFRA_STAMP := infra/.venv/.installed
INFRA_NPM   := infra/node_modules/.installed

.PHONY: run test lint typecheck unit integration e2e bench seed-county fuzz clean web-setup infra-venv infra-check infra-synth

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

$(INFRA_STAMP): infra/requirements.txt requirements.txt
	test -x $(INFRA_PY) || $(PYTHON) -m venv infra/.venv
	$(INFRA_PY) -m pip install --quiet --disable-pip-version-check -r infra/requirements.txt
	touch $(INFRA_STAMP)

$(INFRA_NPM): infra/package.json infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $(INFRA_NPM)

infra-venv: $(INFRA_STAMP) $(INFRA_NPM) ## infra/.venv and infra/node_modules

infra-check: $(STAMP) $(INFRA_STAMP) $(INFRA_NPM) ## synth prod (aws) and dev (aws-cn) offline; cfn-lint, cdk-nag, asl-validator, assertions
	$(PY) -m pytest -q -p no:cacheprovider tests/infra

infra-synth: $(INFRA_STAMP) ## every stack into infra/cdk.out (China stacks need -c cn.jwks_url=... see infra/README.md)
	cd infra && .venv/bin/python app.py

# The frontend's npm packages (echarts; playwright-core and axe-core for the browser tests) from the lockfile,
# and Debian's Chromium for those tests; node/npm and chromium are installed with apt-get only when missing.
$(WEB_STAMP): web/package.json web/package-lock.json
	command -v npm >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $(WEB_STAMP)

$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk

web-setup: $(WEB_STAMP) $(CHROMIUM)

run: $(STAMP) $(WEB_STAMP) ## start the whole service on http://127.0.0.1:8000 (Ctrl-C stops it)
	exec $(PY) -m chalicelib.localstack

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

test: lint typecheck web-setup $(INFRA_STAMP) $(INFRA_NPM) ## ruff, mypy strict and every test tier (unit, integration, e2e, infra)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 --dist worksteal -m "not long" --durations=25; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

e2e: $(STAMP) web-setup
	$(PY) -m pytest -q tests/e2e

fuzz: $(STAMP) web-setup ## the long tests (kill -9 and resume, faults at 70 %), then schemathesis for every role (EXAMPLES=30)
	$(PY) -m pytest -q -p no:cacheprovider -n 2 -m long
	$(PY) -m tests.e2e.fuzz --examples $${EXAMPLES:-30}

seed-county: $(STAMP) ## load the synthetic county (29 towns ... 420,000 households) into .local/ (stop `make run` first)
	$(PY) -m chalicelib.grid.county --scale $${SCALE:-1.0}

BENCH_STAMP := $(VENV)/.installed-bench

$(BENCH_STAMP): $(STAMP) requirements-bench.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP) ## benchmarks: prints a table of figures against their targets
	$(PY) -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache web/node_modules test-artifacts infra/.venv infra/node_modules infra/cdk.out infra/chalice.out
