# Two entry points for a fresh machine (only Python 3.11 + pip needed):
#   make demo   run `hvguard demo` (preflight --to v1.4.0 on the bundled demo cluster)
#   make test   run the whole test suite
#   make bench  run the scale benchmark (about half an hour; see bench/README.md), never part of `make test`
# All bootstrap a virtualenv in .venv on first use.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test bench lint clean

$(BIN)/hvguard: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

demo: $(BIN)/hvguard
	$(BIN)/hvguard demo

test: $(BIN)/hvguard
	$(BIN)/python -m pytest

bench: $(BIN)/hvguard
	$(BIN)/python -m pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
