"""nbclient, without its occasional stall after a cell that shows a widget.

``nbclient`` waits for each cell's reply with one long ``await shell_channel.get_msg(timeout)``.
Now and then that wait misses a reply that has already arrived and sleeps until the timeout
(jupyter/nbclient#312, open). Measured here: run up to notebook 06's first widget cell, it
stalled in 3 of 27 runs, each time for the whole cell timeout, with the kernel idle. Asking for
the reply in short steps instead (each step looks at the socket afresh) stalled in 0 of 70.
Everything here that executes notebooks goes through ``running_kernel`` or
``execute_notebook``: the notebooks' own test items (``conftest.py``, through
``recorded_run.py``), ``tests_live/``, ``benchmarks/``, ``scripts/warm_models.py`` (``make
models``) and the site build (``docs/book/build.py``).

The kernel is always this Python's ``ipykernel`` (``ThisPythonKernel``), never another
environment's kernelspec that happens to be installed under the name ``python3``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from queue import Empty
from time import monotonic

import nbformat
from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync
from nbclient import NotebookClient
from notebook_list import NOTEBOOKS, ROOT  # noqa: F401  (re-exported: the lecture's notebooks, in order)
from traitlets import default

STEP = 1.0  # seconds: the longest a missed reply can go unnoticed


def _in_short_steps(channel) -> None:
    """Make ``channel.get_msg(timeout)`` wait in steps of ``STEP`` seconds, same contract."""
    get_msg = channel.get_msg

    async def get_msg_in_steps(timeout: float | None = None, **kwargs):
        deadline = None if timeout is None else monotonic() + timeout
        while True:
            left = None if deadline is None else deadline - monotonic()
            try:
                return await get_msg(timeout=STEP if left is None else max(0.0, min(STEP, left)), **kwargs)
            except Empty:
                if left is not None and left <= STEP:
                    raise

    channel.get_msg = get_msg_in_steps


class SteadyNotebookClient(NotebookClient):
    """``nbclient.NotebookClient`` whose kernel client waits for replies in short steps."""

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        _in_short_steps(kc.shell_channel)
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)


class _ThisPython(KernelSpecManager):
    """Kernel specs where ``python3`` is this interpreter's ipykernel."""

    def get_kernel_spec(self, kernel_name):
        if kernel_name == "python3":
            from ipykernel.kernelspec import get_kernel_dict
            return KernelSpec(resource_dir="", **get_kernel_dict())
        return super().get_kernel_spec(kernel_name)


class ThisPythonKernel(AsyncKernelManager):
    """A kernel manager that starts ``python3`` as this Python's ipykernel."""

    @default("kernel_spec_manager")
    def _this_python(self):
        return _ThisPython(data_dir=self.data_dir)


def _client(nb: nbformat.NotebookNode, cwd: Path, timeout: int, **client_options) -> SteadyNotebookClient:
    client_options.setdefault("kernel_manager_class", ThisPythonKernel)
    return SteadyNotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": str(cwd)}}, **client_options)


@contextlib.contextmanager
def running_kernel(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 1800, env: dict | None = None,
                   **client_options):
    """A started client for ``nb``, its kernel running in ``cwd`` (with the environment ``env``
    if given): execute cells one by one with ``client.execute_cell(cell, index)``.
    ``client_options`` go to ``NotebookClient``. The kernel shuts down on exit."""
    client = _client(nb, cwd, timeout, **client_options)
    with client.setup_kernel(**({"env": env} if env is not None else {})):
        yield client


def execute_notebook(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 1800, env: dict | None = None,
                     **client_options) -> nbformat.NotebookNode:
    """Run ``nb`` in a fresh kernel (with ``env`` if given) in place, as "Restart & Run All",
    exactly as ``NotebookClient.execute`` does; return it. Raises nbclient's
    ``CellExecutionError`` at the first cell that fails."""
    return _client(nb, cwd, timeout, **client_options).execute(**({"env": env} if env is not None else {}))
