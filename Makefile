# Two commands matter: `make test` and `make demo`. Both build .venv from this repo's own files.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# PyPOTS (SAITS), a peer of benchmarks/sequences.py, in a venv of its own: it pulls transformers,
# tensorboard and more, none of which the project needs.
PYPOTS_VENV := benchmarks/.pypots-venv
PYPOTS_STAMP := $(PYPOTS_VENV)/.installed

.PHONY: test demo ui docs install bench lint clean pypots-env

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	# torch first, pinned: a bare `torch` requirement would pull the newest CUDA build.
	$(BIN)/python -m pip install "torch==2.13.0"
	$(BIN)/python -m pip install -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

demo: $(STAMP)
	$(BIN)/impute-assets demo

ui: $(STAMP)
	test -d .demo || $(BIN)/impute-assets demo --seed-only
	DAGSTER_HOME=$(CURDIR)/.demo/dagster_home $(BIN)/dagster dev -w workspace.yaml

# The docs site on http://127.0.0.1:8000, rebuilt on every change.
docs: $(STAMP)
	$(BIN)/mkdocs serve

bench: $(STAMP)
	$(BIN)/python benchmarks/accuracy.py

pypots-env: $(PYPOTS_STAMP)

$(PYPOTS_STAMP):
	$(PYTHON) -m venv $(PYPOTS_VENV)
	$(PYPOTS_VENV)/bin/python -m pip install "torch==2.13.0"
	$(PYPOTS_VENV)/bin/python -m pip install "torch==2.13.0" "pypots==1.5" pyarrow
	touch $(PYPOTS_STAMP)

# The same pins as the `dev` extra: a new ruff release adds rules and would fail unchanged code.
LINT_TOOLS := "ruff==0.17.5" "import-linter==2.16"
LINT_PATHS := impute_assets tests benchmarks dagster_project examples docs

lint: $(STAMP)
	$(BIN)/python -m pip install -q $(LINT_TOOLS)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) .pytest_cache .demo site
