"""Safe to present live: every cell runs again after "Run All", and every figure is readable.

A presenter runs a notebook with ``PRESENTATION = True``, then re-runs cells in front of a class.
Every figure is measured just before it is shown (``scripts/recorded_run.py``): its size in
pixels and every piece of text on it (its font size in pixels, and its box on the canvas).
``test_presentation_mode_makes_every_figure_readable`` fails when, in presentation mode,

* any text is smaller than ``MIN_TEXT_PX`` pixels once the figure is fitted into a notebook
  column ``COLUMN_PX`` pixels wide (JupyterLab shrinks a wider image, and its text with it);
* two pieces of text overlap or touch (titles of neighbouring panels running into each other),
  which larger fonts make likely: this is checked in both modes;
* a figure's smallest text is not larger than in the normal mode.

Figures must be legible whatever the data, so the layout is checked on the data in use (full
MNIST in CI) and on the bundled sample (``[...-sample]``). One kernel per notebook and data set
runs "Run All" in normal mode, then does what a presenter does: it switches the setup cell to
``PRESENTATION = True`` and runs every code cell again, in order
(``RecordedRun.rerun_presenting``). That second pass gives the presentation-mode figures and is
the re-run check (``test_every_cell_runs_again_after_run_all``): a cell that fails a second time
fails it. Switching in the same kernel draws the same figures as a fresh run in presentation
mode (``set_style`` sets every style it changes). Runs per notebook:

* **data in use**: none of their own; the notebook's test items (``conftest.py``) execute it
  and, with these tests in the session, re-run it presenting in the same kernel
  (the ``executed_notebooks`` fixture); a kernel of their own only when those items were not
  part of this session (``pytest tests_live``);
* **on the sample**, when the data in use is full MNIST: one kernel with
  ``AEHELPERS_DATASET=sample``, on the model cache that the browser test has just filled with the
  sample's models (``SAMPLE_DATA``), so that they are trained once per ``make test``. For the
  notebooks that the browser test ran in JupyterLab on the sample, its figure records are the
  normal mode's (the ``browser_figures`` fixture), and the kernel runs presentation mode only.

Under ``make test`` (two processes, ``scripts/lanes.py``) the checks on the data in use run in the
process that executed the notebooks, those on the sample in the process that ran the browser test.

Set ``AEHELPERS_FIGURES_DIR`` to keep the rendered figures for a look by eye
(``<dir>/[sample/]<notebook>/<mode>/<n>.png``).
"""

import functools

import pytest
from notebook_client import NOTEBOOKS
from recorded_run import SAMPLE_DATA, RecordedRun, figures_folder

import aehelpers.data

pytestmark = pytest.mark.slow

COLUMN_PX = 1100   # a notebook column on a 1920-pixel projector, file browser closed
MIN_TEXT_PX = 16   # smallest text height, in screen pixels, readable from the back of a hall

DATA_IN_USE = aehelpers.data.data_source()  # "full" or "sample": what the notebooks' kernels load
DATA = [DATA_IN_USE] + (["sample"] if DATA_IN_USE != "sample" else [])


def _env(data: str) -> dict:
    """The kernel's environment for a run on ``data``: as it is for the data in use."""
    return {} if data == DATA_IN_USE else {"AEHELPERS_DATASET": "sample", "AEHELPERS_DATA": str(SAMPLE_DATA)}


@functools.cache
def _own_run(path, data: str) -> tuple[list[dict], list[dict], str | None]:
    """Run All in normal mode on ``data``, then the re-run presenting, in one kernel: (normal
    mode's figures, presentation mode's figures, why a cell failed the second time or None)."""
    sample_pass = data != DATA_IN_USE
    with RecordedRun(path, env=_env(data), save_figures=figures_folder(path, "normal", sample_pass)) as run:
        run.run_all()
        normal = run.figures()
        return (normal, *run.rerun_presenting(figures_folder(path, "presentation", sample_pass)))


@functools.cache
def _presentation_run(path, data: str) -> list[dict]:
    """Run All in presentation mode on ``data``, in a kernel of its own: its figures."""
    save = figures_folder(path, "presentation", sample_pass=data != DATA_IN_USE)
    with RecordedRun(path, presentation=True, env=_env(data), save_figures=save) as run:
        run.run_all()
        return run.figures()


def _runs(path, data: str, executed_notebooks, browser_figures) -> tuple[list[dict], list[dict], str | None]:
    """(normal figures, presentation figures, re-run failure or None) of ``path`` on ``data``:
    from this session's execution of the notebook when it re-ran presenting; on the sample, with
    the browser test's figures when it ran the notebook; else from a kernel of our own."""
    executed = executed_notebooks.get(path.resolve()) if data == DATA_IN_USE else None
    if executed is not None and executed.presented is not None:
        return (executed.figures, *executed.presented)
    if data != DATA_IN_USE and path.resolve() in browser_figures:  # (then data is the sample)
        return browser_figures[path.resolve()], _presentation_run(path, data), None
    return _own_run(path, data)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_runs_again_after_run_all(path, executed_notebooks, browser_figures):
    failure = _runs(path, DATA_IN_USE, executed_notebooks, browser_figures)[2]
    assert failure is None, f"{path.name}: {failure}"


GAP_PX = 2  # texts closer than this read as one ("latentdeep AE")


def _overlaps(texts: list[dict]) -> list[tuple[str, str]]:
    """Pairs of texts that overlap, or nearly touch side by side or one above the other."""
    pairs = []
    for i, a in enumerate(texts):
        for b in texts[i + 1:]:
            (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = a["box"], b["box"]
            across = min(ax1, bx1) - max(ax0, bx0)  # > 0: they share some x; > -GAP_PX: nearly
            along = min(ay1, by1) - max(ay0, by0)   # the same for y
            if (across > -GAP_PX and along > 0) or (across > 0 and along > -GAP_PX):
                pairs.append((a["text"], b["text"]))
    return pairs


def _smallest_on_screen(fig: dict) -> float:
    """The smallest text of a figure in screen pixels, after fitting it into the column."""
    shrink = min(1.0, COLUMN_PX / fig["width"])
    return min((t["px"] for t in fig["texts"]), default=float("inf")) * shrink


def layout_problems(normal: list[dict], large: list[dict]) -> list[str]:
    """What is wrong with the figures of one notebook, shown in normal and in presentation mode."""
    if not large:
        return ["no figure was shown"]
    if len(large) != len(normal):
        return [f"the two modes show different numbers of figures ({len(normal)} and {len(large)})"]
    problems = []
    for n, (small_fig, big_fig) in enumerate(zip(normal, large), start=1):
        for mode, fig in (("normal", small_fig), ("presentation", big_fig)):
            for a, b in _overlaps(fig["texts"]):
                problems.append(f"figure {n} ({mode}): {a!r} overlaps {b!r}")
        smallest = _smallest_on_screen(big_fig)
        if smallest < MIN_TEXT_PX:
            problems.append(f"figure {n}: smallest text {smallest:.1f} px on screen in presentation mode "
                            f"(figure {big_fig['width']:.0f} px wide), want >= {MIN_TEXT_PX}")
        if big_fig["texts"] and smallest <= _smallest_on_screen(small_fig):
            problems.append(f"figure {n}: presentation mode does not enlarge its smallest text "
                            f"({smallest:.1f} px vs {_smallest_on_screen(small_fig):.1f} px)")
    return problems


@pytest.mark.parametrize("data", DATA)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_presentation_mode_makes_every_figure_readable(path, data, executed_notebooks, browser_figures):
    normal, presented, failure = _runs(path, data, executed_notebooks, browser_figures)
    where = "full MNIST" if data == "full" else "the bundled sample"
    problems = layout_problems(normal, presented) + ([f"the re-run presenting stopped: {failure}"] if failure else [])
    assert not problems, f"{path.name} on {where}:\n" + "\n".join(problems)
