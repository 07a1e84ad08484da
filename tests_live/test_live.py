"""Safe to present live: every cell runs again after "Run All", and every figure is readable.

A presenter runs a notebook with ``PRESENTATION = True``, then re-runs cells in front of a class.
Each notebook is executed twice in a fresh kernel, as written (``PRESENTATION = False``) and with
its setup cell switched to ``PRESENTATION = True``; the second run then executes every code cell
a second time, in order, in the same kernel (``test_every_cell_runs_again_after_run_all``). A
hidden first cell wraps ``plt.show`` so that every figure is measured just before it is shown:
its size in pixels and every piece of text on it (its font size in pixels, and its box on the
canvas). ``test_presentation_mode_makes_every_figure_readable`` fails when, in presentation mode,

* any text is smaller than ``MIN_TEXT_PX`` pixels once the figure is fitted into a notebook
  column ``COLUMN_PX`` pixels wide (JupyterLab shrinks a wider image, and its text with it);
* two pieces of text overlap or touch (titles of neighbouring panels running into each other),
  which larger fonts make likely: this is checked in both modes;
* a figure's smallest text is not larger than in the normal mode.

Set ``AEHELPERS_FIGURES_DIR`` to keep the rendered figures of both modes for a look by eye
(``<dir>/<notebook>/<mode>/<n>.png``). It runs after the notebooks themselves (pyproject's
testpaths: tests, notebooks, tests_live, docs/book), on a warm model cache: seconds per run.
"""

import functools
import json
import os
import tempfile
from pathlib import Path

import nbformat
import pytest
from nbclient.exceptions import CellExecutionError
from notebook_client import NOTEBOOKS, running_kernel

COLUMN_PX = 1100   # a notebook column on a 1920-pixel projector, file browser closed
MIN_TEXT_PX = 16   # smallest text height, in screen pixels, readable from the back of a hall
SETUP = "PRESENTATION = False"

# Runs in the kernel before the notebook: measure each figure when it is shown.
RECORDER = r'''
import json as _json, os as _os
import matplotlib.pyplot as _plt
from matplotlib.text import Text as _Text

_RECORD, _SAVE = {record!r}, {save!r}
_show = _plt.show


def _measure_and_show(*args, **kwargs):
    for num in _plt.get_fignums():
        fig = _plt.figure(num)
        drawn = []  # every text that is actually drawn (not hidden tick labels of an axis that is off)
        draw = _Text.draw

        def _draw(text, renderer):
            draw(text, renderer)
            if text.get_visible() and text.get_text().strip():
                drawn.append((text, renderer))

        _Text.draw = _draw
        try:
            fig.canvas.draw()
        finally:
            _Text.draw = draw
        texts = []
        for t, renderer in drawn:
            box = t.get_window_extent(renderer)
            texts.append(dict(text=t.get_text()[:40], px=t.get_fontsize() * fig.dpi / 72,
                              box=[box.x0, box.y0, box.x1, box.y1]))
        width, height = fig.get_size_inches() * fig.dpi
        with open(_RECORD, "a") as fh:
            fh.write(_json.dumps(dict(width=width, height=height, texts=texts)) + "\n")
        if _SAVE:
            n = sum(1 for _ in open(_RECORD))
            fig.savefig(_os.path.join(_SAVE, f"{{n:02d}}.png"), bbox_inches="tight")
    return _show(*args, **kwargs)


_plt.show = _measure_and_show
'''


def _render(path: Path, presentation: bool, record: Path, save: str, rerun: bool = False):
    """Execute the notebook in ``presentation`` mode: one record per figure shown, and, with
    ``rerun``, why a cell failed when every code cell ran a second time (None if none did)."""
    nb = nbformat.read(path, as_version=4)
    setup = next((c for c in nb.cells if c.cell_type == "code" and SETUP in c.source), None)
    assert setup is not None, f"{path.name} has no setup cell with {SETUP!r}: presentation mode cannot be switched on"
    setup.source = setup.source.replace(SETUP, f"PRESENTATION = {presentation}")
    nb.cells.insert(0, nbformat.v4.new_code_cell(RECORDER.format(record=str(record), save=save)))
    code = [(i, cell) for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    with running_kernel(nb, path.parent) as client:
        for i, cell in code:  # Run All
            client.execute_cell(cell, i)
        figures = [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []
        for i, cell in code[1:] if rerun else []:  # ... then each cell once more (not the recorder)
            try:
                client.execute_cell(cell, i)
            except CellExecutionError as err:
                first = cell.source.splitlines()[0] if cell.source else ""
                return figures, f"cell {i - 1} ({first!r}) fails when run a second time after Run All:\n{err}"
    return figures, None


@functools.cache
def _runs(path: Path) -> tuple[list[dict], list[dict], str | None]:
    """Both runs of a notebook, once for both tests: (normal figures, presentation figures,
    the re-run failure of the presentation run or None)."""
    keep, scratch = os.environ.get("AEHELPERS_FIGURES_DIR"), Path(tempfile.mkdtemp(prefix="aehelpers-live-"))
    out = {}
    for mode in ("normal", "presentation"):
        save = Path(keep) / path.stem / mode if keep else None
        if save:
            save.mkdir(parents=True, exist_ok=True)
        out[mode] = _render(path, mode == "presentation", scratch / f"{mode}.jsonl", str(save or ""),
                            rerun=mode == "presentation")
    return out["normal"][0], out["presentation"][0], out["presentation"][1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_cell_runs_again_after_run_all(path):
    failure = _runs(path)[2]
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


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_presentation_mode_makes_every_figure_readable(path):
    normal, large, _ = _runs(path)
    assert large, f"{path.name} showed no figure"
    assert len(large) == len(normal), "the two modes show different numbers of figures"
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
    assert not problems, f"{path.name}:\n" + "\n".join(problems)
