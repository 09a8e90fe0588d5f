# specpub — the two commands: `make demo` and `make test`.
# Each bootstraps .venv itself from nothing but Python 3.11+.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.specpub-installed
PYTEST_ARGS ?=

.PHONY: demo test test-fast lint format bench clean venv lab

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# The quickstart notebook, run unattended (papermill) on the demo collection against the
# embedded repository: offline, no token; prints the DOIs. Its folder is the one the notebook
# uses in JupyterLab, so `make lab` opens it on the records it published.
DEMO_DIR ?= notebooks/specpub-demo
demo: $(STAMP)
	$(BIN)/specpub run notebooks/00_quickstart.ipynb -p demo_dir $(DEMO_DIR) --out $(DEMO_DIR)/runs --quiet --timeout 900
	@echo ""
	@echo "Open the notebooks in JupyterLab:  make lab"
	@echo "  (or: $(BIN)/jupyter lab notebooks/00_quickstart.ipynb)"

# JupyterLab on this machine only (127.0.0.1), opened on the quickstart notebook: the address
# it prints (and the browser it opens) leads straight to that notebook, token included.
lab: $(STAMP)
	$(BIN)/jupyter lab --ServerApp.ip=127.0.0.1 --LabApp.default_url=/lab/tree/notebooks/00_quickstart.ipynb

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(STAMP)
	$(BIN)/python -m pytest -m "not slow and not chaos and not ui" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src widgets tests benchmarks
	$(BIN)/ruff format --check src widgets tests benchmarks

format: $(STAMP)
	$(BIN)/ruff check --fix src widgets tests benchmarks
	$(BIN)/ruff format src widgets tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/run_all.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache
