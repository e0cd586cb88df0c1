# 宁乡 grassroots-governance service. Every target bootstraps what it needs on a fresh machine.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test lint typecheck unit integration e2e fuzz bench seed-county clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

run: $(STAMP) ## start the whole service on http://127.0.0.1:8000 (Ctrl-C stops it)
	exec $(PY) -m chalicelib.localstack

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy .

test: lint typecheck ## ruff, mypy strict and every test tier (unit, integration, e2e)
	$(PY) -m pytest -q -p no:cacheprovider; rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

integration: $(STAMP)
	$(PY) -m pytest -q tests/integration

e2e: $(STAMP)
	$(PY) -m pytest -q tests/e2e

fuzz: $(STAMP) ## schemathesis, every role, many examples (EXAMPLES=30; tests/e2e/fuzz.py)
	$(PY) -m tests.e2e.fuzz --examples $${EXAMPLES:-30}

seed-county: $(STAMP) ## load the synthetic county (29 towns ... 420,000 households) into .local/ (stop `make run` first)
	$(PY) -m chalicelib.grid.county --scale $${SCALE:-1.0}

bench: $(STAMP) ## benchmarks: prints a table of figures against their targets
	$(PY) -m tests.bench

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
