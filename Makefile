# Every target installs what it needs. Python 3.11 is the machine's (and Lambda's python3.11).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# aws-sam-cli pins its own dependencies (it would hold boto3 and pydantic back): it gets a venv of its own.
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
export SAM_CLI_TELEMETRY := 0
export AWS_DEFAULT_REGION ?= eu-west-1

.PHONY: run test unit lint validate build bench ci clean soak

$(BIN)/.installed: pyproject.toml layers/shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

## run: the whole stack on localhost:3000 (moto for AWS, demo data loaded); Ctrl-C stops it
run: $(BIN)/.installed
	$(BIN)/python -m paybridge_local --port $${PORT:-3000}

## test: unit, integration (moto) and e2e (the local stack over HTTP) tests
test: $(BIN)/.installed
	$(BIN)/python -m pytest -q -n 2

unit: $(BIN)/.installed
	$(BIN)/python -m pytest -q -m unit

## lint: ruff and mypy
lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## validate: the template as SAM and cfn-lint read it
validate: $(SAM_VENV)/.installed
	$(SAM) validate --lint --template template.yaml

## build: sam build (the layer with BuildMethod python3.11, each function)
build: $(SAM_VENV)/.installed
	$(SAM) build --template template.yaml

ci: test lint validate build

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .mypy_cache .ruff_cache

## bench: cold starts, DynamoDB round trips and units, CPU per request and cost, against two Powertools anchors;
## prints one table (docs/benchmarks.md). Benchmarks, not tests: nothing fails on speed.
bench: $(BIN)/.installed
	$(BIN)/python -m bench

## soak: long races (50 threads against moto's server) and the whole fault matrix for every surface, then one
## table: inputs, 2xx, 4xx, try-again, 5xx, invariant violations and double charges per surface; and schemathesis
## against the local stack (many examples per operation, many scenarios along the links), in a table of its own
## (README "Soak").
soak: $(BIN)/.installed
	PYTHONPATH=tests:tests/integration:tests/e2e $(BIN)/python -m pytest -q -p no:xdist -p conftest -p soak_plugin --rootdir=. soak
