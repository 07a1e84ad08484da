"""make test's two lanes (scripts/lanes.py): each test that uses a process's work runs in that process."""

import os
import subprocess
import sys

from lanes import BROWSER, NOTEBOOKS, lane
from notebook_list import ROOT


def test_each_kind_of_test_is_in_its_lane():
    assert lane("notebooks/02-autoencoder.ipynb::Cell 5", sample_pass=True) == NOTEBOOKS
    assert lane("docs/book/test_site.py::test_math_renders_in_headless_chromium", sample_pass=True) == NOTEBOOKS
    assert lane("tests/test_browser.py::test_widgets_work_in_jupyterlab[01-interpolation.ipynb]", True) == BROWSER
    live = "tests_live/test_live.py::test_presentation_mode_makes_every_figure_readable[01-interpolation.ipynb-{}]"
    assert lane(live.format("full"), sample_pass=True) == NOTEBOOKS
    assert lane(live.format("sample"), sample_pass=True) == BROWSER  # beside full MNIST: the browser's
    assert lane(live.format("sample"), sample_pass=False) == NOTEBOOKS  # the data in use: the notebooks'
    assert lane("tests_live/test_live.py::test_every_cell_runs_again_after_run_all[x.ipynb]", True) == NOTEBOOKS
    # notebook 07, the longest, runs beside the browser test, with the checks of its own execution
    assert lane("notebooks/07-applications.ipynb::Cell 5", sample_pass=True) == BROWSER
    assert lane("tests_live/test_live.py::test_every_cell_runs_again_after_run_all[07-applications.ipynb]",
                sample_pass=False) == BROWSER
    assert lane(live.replace("01-interpolation", "07-applications").format("full"), sample_pass=True) == BROWSER
    assert lane("tests/test_browser.py::test_widget_notebooks_are_the_ones_whose_code_uses_ipywidgets", True) is None
    assert lane("tests/test_training.py::test_fit_returns_one_loss_per_epoch", sample_pass=True) is None


def test_the_lanes_name_tests_that_exist():
    """A renamed test would silently leave its lane: the names ``lane`` matches must be collected."""
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}  # (a -v there would change the list)
    out = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
                          "tests/test_browser.py", "tests_live"], cwd=ROOT, env=env, capture_output=True,
                         text=True).stdout
    ids = [line for line in out.splitlines() if "::" in line]
    assert any(lane(i, sample_pass=True) == BROWSER and i.startswith("tests/test_browser.py") for i in ids), out[-2000:]
    assert any(i.startswith("tests_live/") and i.endswith("-sample]") for i in ids), out[-2000:]


def test_a_kernel_gets_one_thread_while_the_other_lane_runs_and_every_cpu_after(tmp_path, monkeypatch):
    import lanes

    monkeypatch.setattr(lanes, "FINISHED", tmp_path / "finished")
    monkeypatch.setattr(lanes, "EXECUTED_COPIES", tmp_path / "executed")  # start() removes copies there
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert lanes.kernel_threads() == {}, "plain pytest: the kernels inherit the environment"
    monkeypatch.setenv("OMP_NUM_THREADS", "")  # (restored after the test, whatever start() sets)
    lanes.start()
    assert os.environ["OMP_NUM_THREADS"] == "1"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    lanes.finished("gw0")  # its own end does not count
    assert lanes.kernel_threads() == {"OMP_NUM_THREADS": "1"}
    lanes.finished("gw1")
    assert lanes.kernel_threads() == {"OMP_NUM_THREADS": str(len(os.sched_getaffinity(0)))}
    lanes.start()  # a new session forgets the last one's finished workers
    assert lanes.kernel_threads() == {"OMP_NUM_THREADS": "1"}


def test_the_site_waits_for_the_other_lanes_copy_until_that_lane_has_finished(tmp_path, monkeypatch):
    import lanes
    from notebook_list import NOTEBOOKS

    monkeypatch.setattr(lanes, "FINISHED", tmp_path / "finished")
    monkeypatch.setattr(lanes, "EXECUTED_COPIES", tmp_path / "executed")
    monkeypatch.setenv("OMP_NUM_THREADS", "")
    assert lanes.copies_from_the_other_lane(NOTEBOOKS) == {}, "plain pytest: nothing to wait for"
    (tmp_path / "executed").mkdir()
    (tmp_path / "executed" / "07-applications.ipynb").write_text("{}")  # a copy from an earlier session
    lanes.start()
    assert not (tmp_path / "executed" / "07-applications.ipynb").exists(), "a stale copy would count as new"
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    waits = []
    monkeypatch.setattr(lanes.time, "sleep", lambda s: (waits.append(s), lanes.finished("gw1")))
    assert lanes.copies_from_the_other_lane(NOTEBOOKS) == {}, "07 failed over there: no copy, the wait ends"
    assert waits, "it waited for the other lane"
    (tmp_path / "executed" / "07-applications.ipynb").write_text("{}")
    notebook_07 = next(p for p in NOTEBOOKS if p.name == "07-applications.ipynb")
    assert lanes.copies_from_the_other_lane(NOTEBOOKS) == {notebook_07: tmp_path / "executed" / notebook_07.name}
