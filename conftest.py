"""Every notebook executed once, top to bottom in a fresh kernel, one pytest item per code cell.

``pytest`` collects each ``notebooks/NN-*.ipynb`` as a file whose items are its code cells
(``notebooks/02-autoencoder.ipynb::Cell 5``, numbered as in the file), run in order in one
kernel: a cell fails when it raises (an error, or a claim that does not hold:
``ae.check_claim`` raises on full MNIST), and the cells after a failed one are skipped.
Selecting one cell runs the cells before it first, without reporting them.

This one execution (``scripts/recorded_run.py``) serves three checks: the claims (the items
themselves), the layout of every figure in normal mode (``tests_live/``, which gets the figure
records through the ``executed_notebooks`` fixture) and the static site (``docs/book/``, which
renders the executed copies that each fully executed notebook leaves in ``build/executed/``).
When ``tests_live/`` is part of the session, the same kernel then does what a presenter does
after "Run All": it switches ``PRESENTATION = True`` and runs every cell again
(``RecordedRun.rerun_presenting``), which gives ``tests_live/`` the presentation-mode figures
and the re-run's outcome with no kernel of their own.

``make test`` runs in two processes (``scripts/lanes.py``): a notebook's items and the
``tests_live/`` checks of its execution run in one process, in this order; the site runs after
them and waits for the executed copy that the other process leaves. While the other lane runs,
each process and its kernels compute on one thread; a notebook's kernel started after the other
lane finished uses every CPU.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError

import lanes
from notebook_list import NOTEBOOKS
from recorded_run import RecordedRun, figures_folder

EXECUTED = lanes.EXECUTED_COPIES  # build/executed/: the executed copies of this session's notebook runs
_SESSION = pytest.StashKey[dict]()
_BROWSER = pytest.StashKey[dict]()


@dataclasses.dataclass
class ExecutedNotebook:
    """A notebook that this session executed fully, with no cell failing."""

    copy: Path            # build/executed/NN-name.ipynb: outputs, images with alt text
    figures: list[dict]   # one layout record per figure shown (RecordedRun.figures)
    presented: tuple[list[dict], str | None] | None = None  # the re-run with PRESENTATION = True:
    #                       its figures and why a cell failed (None if none); None: not re-run


def _lanes_in_use(config) -> bool:
    """pytest-xdist with two or more processes and its default scheduling (``make test``: ``-n 2``)."""
    return (getattr(config.option, "numprocesses", None) or 0) > 1 and config.getvalue("dist") == "load"


def pytest_configure(config):
    """With ``make test``'s two processes, one thread each while they run side by side
    (``scripts/lanes.py``)."""
    if _lanes_in_use(config):
        lanes.start()


def pytest_sessionfinish(session):
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is not None:
        lanes.finished(worker)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """With ``-n`` (``make test``), the tests that use one process's work run in that process, in
    order: the notebooks' lane and the browser's lane (``scripts/lanes.py``)."""
    return lanes.scheduler(config, log) if _lanes_in_use(config) else None


def pytest_collect_file(file_path: Path, parent):
    if file_path.suffix == ".ipynb" and file_path.resolve() in NOTEBOOKS:
        return NotebookFile.from_parent(parent, path=file_path)
    return None


def _param(item: pytest.Item, name: str):
    """The value of a parametrised test's argument ``name`` (None if it has none)."""
    callspec = getattr(item, "callspec", None)
    return callspec.params.get(name) if callspec is not None else None


class CellFailed(Exception):
    """A code cell raised: the message is nbclient's (the cell's source and traceback)."""


class NotebookFile(pytest.File):
    """A notebook: its code cells are the items; one kernel runs them all, in order."""

    run: RecordedRun | None = None
    failed: int | None = None

    def collect(self):
        nb = nbformat.read(self.path, as_version=4)
        for index, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                yield NotebookCell.from_parent(self, name=f"Cell {index}", index=index)

    def setup(self):
        self.run = RecordedRun(self.path, env=lanes.kernel_threads(),
                               save_figures=figures_folder(self.path, "normal")).__enter__()

    def teardown(self):
        if self.run is None:  # the kernel did not start: setup's error says why
            return
        try:
            if self.failed is None and self.run.ran == set(self.run.code_cells):
                EXECUTED.mkdir(parents=True, exist_ok=True)
                copy = EXECUTED / self.path.name
                nbformat.write(self.run.executed(), copy)  # before the re-run changes the outputs
                executed = ExecutedNotebook(copy, self.run.figures())
                if any(item.path.parent.name == "tests_live" and _param(item, "path") == self.path.resolve()
                       for item in self.session.items):  # a check of tests_live/ on this notebook
                    executed.presented = self.run.rerun_presenting(figures_folder(self.path, "presentation"))
                self.config.stash.setdefault(_SESSION, {})[self.path.resolve()] = executed
        finally:
            self.run.__exit__(None, None, None)


class NotebookCell(pytest.Item):
    """One code cell, run in its notebook's kernel after the cells before it."""

    def __init__(self, *, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = index
        self.add_marker(pytest.mark.slow)

    def runtest(self):
        notebook: NotebookFile = self.parent
        if notebook.failed is not None:
            pytest.skip(f"cell {notebook.failed} of {self.path.name} failed")
        for index in notebook.run.code_cells:
            if index > self.index:
                break
            if index not in notebook.run.ran:
                try:
                    notebook.run.run(index)
                except CellExecutionError as err:
                    notebook.failed = index
                    raise CellFailed(f"{self.path.name}, cell {index}:\n{err}") from None

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CellFailed):
            return str(excinfo.value)
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, None, f"{self.path.name}::{self.name}"


@pytest.fixture(scope="session")
def executed_notebooks(request) -> dict[Path, ExecutedNotebook]:
    """The notebooks that this session's notebook items executed fully, by (resolved) path;
    empty when they were not selected (e.g. ``pytest tests_live``): the checks then execute
    what they need themselves."""
    return request.config.stash.setdefault(_SESSION, {})


@pytest.fixture(scope="session")
def browser_figures(request) -> dict[Path, list[dict]]:
    """Normal mode's figures on the bundled sample, by (resolved) notebook path, as this session's
    browser test (tests/test_browser.py) recorded them in JupyterLab; empty when it did not run
    (no Chromium, or not selected): ``tests_live/`` then runs the notebooks on the sample itself."""
    return request.config.stash.setdefault(_BROWSER, {})
