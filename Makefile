# The two commands (see README.md):
#   make quick   set up .venv, train the quick reference models, run the quick suite, write reports/quick/
#   make test    set up .venv and run the tests
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup quick test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# torch first, pinned: a CPU wheel found on disk here; a bare `torch` would pull several GB of CUDA build
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

quick: $(STAMP)
	$(BIN)/latentbench run ref:all --suite quick --out reports/quick

test: $(STAMP)
	$(BIN)/python -m pytest -q
