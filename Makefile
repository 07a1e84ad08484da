# The two commands of the README. Both create (or reuse) a local virtual
# environment in .venv, so nothing is installed into the system Python.
#
#   make lab                 set up, then open the notebooks in JupyterLab
#   make lab-zh              the same with the Chinese notebooks (notebooks/zh_CN/, README.zh-CN.md)
#   make test                set up, then run the unit tests, every notebook (once), presentation mode,
#                            then build and check the site from the executed notebooks; in two
#                            processes side by side (TEST_PROCESSES=1: in one)
#   make book                execute every notebook and build the static site (build/book/html)
#   make models              train every model the notebooks use, once (before class)
#   make student             write the student version of the notebooks to build/student/
#   make student-zh          the same for the Chinese notebooks, to build/student/zh_CN/
#   make i18n-update         after an English prose change: re-extract it into the Chinese catalogs
#   make i18n-notebooks      write notebooks/zh_CN/ from the English notebooks and the catalogs
#   make TORCH=cpu lab       the same with PyTorch's CPU-only build (no CUDA download, for
#                            laptops without an NVIDIA GPU); set it on the first run
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
TORCH  ?=
# make test's pytest processes (pytest-xdist): the notebooks' full-MNIST lane and the sample's
# browser lane run side by side (scripts/lanes.py); TEST_PROCESSES=1 runs everything in one
TEST_PROCESSES ?= 2
# PyTorch's own index of CPU-only wheels (pip's default index serves CUDA builds on Linux)
TORCH_CPU_INDEX = https://download.pytorch.org/whl/cpu

.PHONY: lab lab-zh test book models student student-zh clean-models i18n-update i18n-notebooks

# (Re)install when the project's dependencies change.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "make: $(PYTHON) is older than Python 3.11; run e.g. 'make PYTHON=python3.12 lab'"; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || \
	  { rm -rf $(VENV); echo "make: '$(PYTHON) -m venv' failed. On Debian/Ubuntu: sudo apt install python3-venv"; exit 1; }
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || \
	  { rm -rf $(VENV); echo "make: the virtual environment has no pip (on Debian/Ubuntu: sudo apt install python3-venv), removed it; run make again"; exit 1; }
	$(BIN)/python -m pip install --quiet --upgrade pip
ifeq ($(TORCH),cpu)
	$(BIN)/python -m pip install --quiet --index-url $(TORCH_CPU_INDEX) "torch>=2.4" "torchvision>=0.19"
endif
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

## make lab: set up, then open the notebooks in JupyterLab
lab: $(VENV)/.installed
	$(BIN)/jupyter lab notebooks/

## make lab-zh: set up, then open the Chinese notebooks (same data, same model cache) in JupyterLab
lab-zh: $(VENV)/.installed
	$(BIN)/jupyter lab notebooks/zh_CN/

## make test: set up, then run the unit tests, execute every notebook, check presentation mode, build and check the site
test: $(VENV)/.installed
	$(BIN)/python -m pytest $(if $(filter 1,$(TEST_PROCESSES)),,-n $(TEST_PROCESSES))

## make book: execute every notebook and build the static site: open build/book/html/index.html
book: $(VENV)/.installed
	$(BIN)/python docs/book/build.py

## make models: train every model the notebooks use once (before class: a warm start)
models: $(VENV)/.installed
	$(BIN)/python scripts/warm_models.py

## make student: the notebooks without the exercises' solutions, in build/student/ (standard library only)
student:
	$(PYTHON) scripts/make_student_version.py

## make i18n-update: re-extract the notebooks' English prose and merge it into docs/locales/zh_CN (fuzzy/new entries listed)
i18n-update: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py update

## make i18n-notebooks: write notebooks/zh_CN/ from the English notebooks and the catalogs
i18n-notebooks: $(VENV)/.installed
	$(BIN)/python scripts/i18n.py notebooks

## make student-zh: the Chinese notebooks without the exercises' solutions, in build/student/zh_CN/
student-zh:
	$(PYTHON) scripts/make_student_version.py --out build/student/zh_CN notebooks/zh_CN/*.ipynb

## make clean-models: forget the cached trained models (they retrain on next use)
clean-models:
	rm -rf data/models
