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

EXECUTED, BROWSER = "executed-notebooks", "browser"


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
