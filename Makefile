# The commands of the README. Each creates (or reuses) a local virtual
# environment in .venv, so nothing is installed into the system Python.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: lab test book clean-models

# (Re)install when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

## make lab: set up, then open the notebooks in JupyterLab
lab: $(VENV)/.installed
	$(BIN)/jupyter lab notebooks/

## make test: set up, then run the unit tests, execute every notebook, then build and check the site
test: $(VENV)/.installed
	$(BIN)/python -m pytest

## make book: execute every notebook and build the static site: open build/book/html/index.html
book: $(VENV)/.installed
	$(BIN)/python docs/book/build.py

## make clean-models: forget the cached trained models (they retrain on next use)
clean-models:
	rm -rf data/models
