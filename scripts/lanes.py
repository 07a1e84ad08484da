"""The two lanes of ``make test``: which tests must run in one process, and in which order.

``make test`` runs pytest in two worker processes (pytest-xdist, ``-n 2``). Tests of one lane run
in one worker, in the order pytest collects them, because they use what that process did;
every other test goes to whichever worker is free.

* ``EXECUTED``: the notebooks' own test items (``conftest.py``: full MNIST in CI), then the
  ``tests_live/`` checks on the data in use, then the site (``docs/book/``). The checks read the
  figure records and the re-run presenting of that process's kernels (the
  ``executed_notebooks`` fixture); the site renders the executed copies those kernels left in
  ``build/executed/``.
* ``BROWSER``: the JupyterLab test on the bundled sample (``tests/test_browser.py``), then the
  ``tests_live/`` checks on the sample, which use its figure records (the ``browser_figures``
  fixture) and the sample's models it trained (``recorded_run.SAMPLE_DATA``). Only when the data
  in use is full MNIST: on the sample alone, the sample's checks are the first lane's.

The two lanes share no file: the first trains into ``data/models/``, the second into
``build/sample-data/``. So the sample's whole pass runs beside the notebooks' training instead of
after it. Plain ``pytest`` (one process) runs everything in the same order, one lane after the other.

pytest-xdist's own ``--dist loadgroup`` would do this with marks, but it renames the tests to carry
the group, which pytest 9 no longer allows; ``Lanes`` groups the tests by their names instead.
"""

from __future__ import annotations

import os
import shutil

from notebook_list import ROOT

EXECUTED, BROWSER = "executed-notebooks", "browser"
FINISHED = ROOT / "build" / "test-processes-finished"  # a file per worker that has run all its tests


def start() -> None:
    """Before the workers start (``pytest_configure`` of ``-n 2``): one thread per process, which
    the workers and every kernel, server and subprocess they start inherit. On a 2-core machine
    two processes of two threads each slow each other down about five-fold (a d = 500 epoch: 6.5 s
    each, 1.3 s alone); two of one thread each lose little (2.4 s each)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    shutil.rmtree(FINISHED, ignore_errors=True)
    FINISHED.mkdir(parents=True)


def finished(worker: str) -> None:
    """Worker ``worker`` (``gw0``, ...) has run all its tests (its ``pytest_sessionfinish``)."""
    if FINISHED.is_dir():
        (FINISHED / worker).touch()


def kernel_threads() -> dict[str, str]:
    """``OMP_NUM_THREADS`` for a kernel a worker starts now: one while another worker still runs
    tests, every CPU once this is the last one (the first lane outlasts the second by minutes).
    Empty outside ``-n``."""
    worker, count = os.environ.get("PYTEST_XDIST_WORKER"), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if worker is None or not FINISHED.is_dir():
        return {}
    others_done = sum(1 for p in FINISHED.iterdir() if p.name != worker)
    return {"OMP_NUM_THREADS": "1" if others_done < count - 1 else str(len(os.sched_getaffinity(0)))}


def lane(nodeid: str, sample_pass: bool) -> str | None:
    """The lane of the test ``nodeid`` (None: any worker). ``sample_pass``: the session checks the
    figures on the bundled sample beside the data in use (``tests_live`` has ``-full]`` tests)."""
    if nodeid.startswith(("notebooks/", "docs/book/")):
        return EXECUTED
    if nodeid.startswith("tests_live/"):
        return BROWSER if sample_pass and nodeid.endswith("-sample]") else EXECUTED
    if nodeid.startswith("tests/test_browser.py::test_widgets_work_in_jupyterlab["):
        return BROWSER
    return None


def scheduler(config, log):
    """pytest-xdist's scope scheduling with the lanes as scopes (``pytest_xdist_make_scheduler``).

    The largest scope goes out first, so one worker starts on the notebooks at once and the other
    on the browser test; the unit tests, one scope each, fill in wherever a worker is free."""
    from xdist.scheduler import LoadScopeScheduling

    class Lanes(LoadScopeScheduling):
        sample_pass = False

        def schedule(self):
            if self.collection is None and self.collection_is_completed:
                nodeids = next(iter(self.registered_collections.values()), [])
                self.sample_pass = any(n.startswith("tests_live/") and n.endswith("-full]") for n in nodeids)
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return lane(nodeid, self.sample_pass) or nodeid

    return Lanes(config, log)
