"""The two lanes of ``make test``: which tests must run in one process, and in which order.

``make test`` runs pytest in two worker processes (pytest-xdist, ``-n 2``). Tests of one lane run
in one worker, in the order pytest collects them, because they use what that process did;
every other test (the unit tests) goes to whichever worker is free.

* ``NOTEBOOKS``: the notebooks' own test items (``conftest.py``: full MNIST in CI), then the
  ``tests_live/`` checks of those runs, then the site (``docs/book/``). The checks read the figure
  records and the re-run presenting of that process's kernels (the ``executed_notebooks``
  fixture); the site renders the executed copies the kernels left in ``build/executed/``.
* ``BROWSER``: the JupyterLab test on the bundled sample (``tests/test_browser.py``), the notebooks
  of ``BESIDE_THE_BROWSER`` with their ``tests_live/`` checks, and, when the data in use is full
  MNIST, the ``tests_live/`` checks on the sample, which use the browser test's figure records (the
  ``browser_figures`` fixture) and the sample's models it trained (``recorded_run.SAMPLE_DATA``).

The sample's checks train into a model cache of their own (``build/sample-data/``); the notebooks
of ``BESIDE_THE_BROWSER`` share ``data/models/`` with the other lane, but not the models they train
(see there). The site waits for their executed copies (``copies_from_the_other_lane``). While
both lanes run, each process and every kernel it starts computes on one thread (``start``,
``kernel_threads``). Plain ``pytest`` (one process) runs everything in collection order, as before.

pytest-xdist's own ``--dist loadgroup`` would group tests by marks, but it renames the tests to
carry the group, which pytest 9 no longer allows; ``scheduler`` groups them by their names.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from notebook_list import ROOT

NOTEBOOKS, BROWSER = "notebooks", "browser"
# The longest notebook (about 2 min of 8 in CI), run beside the browser test so that both lanes
# take about as long. Its models are its own (ten leave-one-out autoencoders, the up-samplers) but
# for the lecture's d = 30 autoencoder, which notebook 01 has cached minutes before 07 starts
# (after the browser test). Were it not there yet, both lanes would train it, on one thread each,
# to the same weights, and the cache's atomic write would keep one.
BESIDE_THE_BROWSER = ("07-applications.ipynb",)
FINISHED = ROOT / "build" / "test-processes-finished"  # a file per worker that has run all its tests
EXECUTED_COPIES = ROOT / "build" / "executed"  # conftest.py's executed copies, read by the site


def start() -> None:
    """Before the workers start (``pytest_configure`` of ``-n 2``): one thread per process, which
    the workers and every kernel, server and subprocess they start inherit. On a 2-core machine
    two processes of two threads each slow each other down about five-fold (a d = 500 epoch: 6.5 s
    each, 1.3 s alone); two of one thread each lose little (2.4 s each)."""
    os.environ["OMP_NUM_THREADS"] = "1"
    shutil.rmtree(FINISHED, ignore_errors=True)
    FINISHED.mkdir(parents=True)
    for name in BESIDE_THE_BROWSER:  # a copy there is then this session's (copies_from_the_other_lane)
        (EXECUTED_COPIES / name).unlink(missing_ok=True)


def finished(worker: str) -> None:
    """Worker ``worker`` (``gw0``, ...) has run all its tests (its ``pytest_sessionfinish``)."""
    if FINISHED.is_dir():
        (FINISHED / worker).touch()


def kernel_threads() -> dict[str, str]:
    """``OMP_NUM_THREADS`` for a kernel a worker starts now: one while another worker still runs
    tests, every CPU once this worker is the last one left. Empty outside ``-n``."""
    if not _in_lanes():
        return {}
    return {"OMP_NUM_THREADS": str(len(os.sched_getaffinity(0))) if _others_finished() else "1"}


def lane(nodeid: str, sample_pass: bool) -> str | None:
    """The lane of the test ``nodeid`` (None: any worker). ``sample_pass``: the session checks the
    figures on the bundled sample beside the data in use (``tests_live`` has ``-full]`` tests)."""
    if nodeid.startswith("tests/test_browser.py::test_widgets_work_in_jupyterlab["):
        return BROWSER
    if nodeid.startswith("docs/book/"):
        return NOTEBOOKS
    if nodeid.startswith(("notebooks/", "tests_live/")):
        if any(name in nodeid for name in BESIDE_THE_BROWSER):
            return BROWSER
        if nodeid.startswith("tests_live/") and sample_pass and nodeid.endswith("-sample]"):
            return BROWSER
        return NOTEBOOKS
    return None


def copies_from_the_other_lane(paths: list[Path], timeout: float = 3600) -> dict[Path, Path]:
    """The executed copies (``EXECUTED_COPIES``) of the notebooks in ``paths`` that the other lane
    runs, by notebook path, once it has written them: the site's wait. A notebook that failed there
    leaves no copy; then the wait ends when that worker has finished. Empty outside ``-n``."""
    if not _in_lanes():
        return {}
    wanted = {path: EXECUTED_COPIES / path.name for path in paths if path.name in BESIDE_THE_BROWSER}
    deadline = time.monotonic() + timeout
    while not all(copy.is_file() for copy in wanted.values()) and not _others_finished() \
            and time.monotonic() < deadline:
        time.sleep(2)
    return {path: copy for path, copy in wanted.items() if copy.is_file()}


def _in_lanes() -> bool:
    """This is a worker of a session that ``start`` prepared."""
    return os.environ.get("PYTEST_XDIST_WORKER") is not None and FINISHED.is_dir()


def _others_finished() -> bool:
    worker, count = os.environ.get("PYTEST_XDIST_WORKER"), int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return sum(1 for p in FINISHED.iterdir() if p.name != worker) >= count - 1


def scheduler(config, log):
    """pytest-xdist's scope scheduling with the lanes as scopes (``pytest_xdist_make_scheduler``).

    The largest scope goes out first, so one worker starts on the notebooks at once and the other
    on the browser test; the unit tests, one scope each, then go to whichever is free first."""
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
