"""Safe to present live: after "Run All", every code cell can be run again, in order, without error.

A presenter re-runs cells out of order in front of a class. This test runs each notebook top to
bottom in a fresh kernel (as "Restart & Run All"), then executes every code cell a second time,
in order, in the same kernel, and fails on the first error, naming the cell. It runs after the
notebooks themselves (pyproject's testpaths: tests, notebooks, tests_live, docs/book), so the
model cache is warm and each notebook takes seconds.
"""

from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from notebook_client import running_kernel

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]-*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_runs_again_after_run_all(path):
    nb = nbformat.read(path, as_version=4)
    code = [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    with running_kernel(nb, path.parent) as client:
        for i, cell in code:  # Run All
            client.execute_cell(cell, i)
        for i, cell in code:  # ... then each cell once more
            try:
                client.execute_cell(cell, i)
            except CellExecutionError as err:
                first = cell.source.splitlines()[0] if cell.source else ""
                pytest.fail(f"{path.name}: cell {i} ({first!r}) fails when run a second time after "
                            f"Run All:\n{err}")
