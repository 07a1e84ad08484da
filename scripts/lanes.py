"""The two lanes of ``make test``: what must run in one process, and in which order.

``make test`` runs pytest in two worker processes (pytest-xdist, ``-n 2 --dist loadgroup``).
Tests marked with the same lane run in one worker, in the order pytest collects them, because
they share what that process did; every other test goes to whichever worker is free.

* ``EXECUTED``: the notebooks' own test items (``conftest.py``: full MNIST in CI), then the
  ``tests_live/`` checks on the data in use and the site (``docs/book/``). The checks read the
  figure records and the re-run presenting of that session's kernels (the ``executed_notebooks``
  fixture), and the site renders the executed copies those kernels left in ``build/executed/``.
* ``BROWSER``: the JupyterLab test on the bundled sample (``tests/test_browser.py``), then the
  ``tests_live/`` checks on the sample, which use its figure records (the ``browser_figures``
  fixture) and the sample's models it trained (``recorded_run.SAMPLE_DATA``).

The two lanes share no file: the first trains into ``data/models/``, the second into
``build/sample-data/``. So the sample's whole pass, about a third of the suite's time, runs
beside the notebooks' training instead of after it. Plain ``pytest`` (one process) ignores
the marks and runs everything in the same order as before.
"""

from __future__ import annotations

import pytest

EXECUTED = pytest.mark.xdist_group("executed-notebooks")
BROWSER = pytest.mark.xdist_group("browser")
