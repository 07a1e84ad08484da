"""One execution of a notebook that serves every check: its outputs, and what its figures show.

``RecordedRun`` executes a notebook in a fresh kernel of this Python, cell by cell, from the
notebooks/ folder, as "Restart & Run All" does, with the inline backend that JupyterLab uses
(so each ``plt.show()`` leaves its figure as a PNG output and closes it). Before the notebook's
first cell it runs a hidden prelude (``PRELUDE``) that records, in the kernel:

* **each figure as it is shown** (``plt.show``): its size in pixels and every text drawn on it
  (font size in pixels, box on the canvas): what ``tests_live/`` checks for legibility;
* **each PNG drawn from a figure** (``FigureCanvasBase.print_figure``: the inline backend's
  output and the static PNG of ``ae.interactive_figure`` alike): the PNG's SHA-256 and the
  figure's title and panel titles, which ``executed()`` attaches to that image output as its
  alt text (``metadata["image/png"]["alt"]``, where nbconvert also looks for it).

Three things use it: the notebooks' test items (``conftest.py``, one pytest item per code
cell; their executed copies go to ``build/executed/`` for the site), ``tests_live/`` (the
presentation-mode run and the re-run) and ``make book`` (``docs/book/build.py``). The prelude
is not part of the executed copy, and it runs without a prompt number. The browser test
(``tests/test_browser.py``) gives JupyterLab's kernels the same recorder (``figure_recorder``),
so that what it runs on the bundled sample also counts as that sample's normal-mode figures.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError
from notebook_client import running_kernel

# The model cache of the checks that run on the bundled sample next to a full-MNIST run: the
# browser test (tests/test_browser.py) empties it and its kernels train the sample's models into
# it; tests_live's sample pass then finds them there. Git-ignored, like all of build/.
SAMPLE_DATA = Path(__file__).resolve().parent.parent / "build" / "sample-data"
SETUP = "PRESENTATION = False"  # the setup cell's switch; presentation mode sets it to True
INLINE = "module://matplotlib_inline.backend_inline"  # JupyterLab's backend, whatever MPLBACKEND says

# Runs in the kernel before the notebook. {layout}, {images}: JSON-lines files; {save}: a folder
# for a PNG of every figure shown, or "".
PRELUDE = r'''
import hashlib as _hashlib, json as _json, os as _os
import matplotlib.pyplot as _plt
from matplotlib.backend_bases import FigureCanvasBase as _Canvas
from matplotlib.text import Text as _Text

_LAYOUT, _IMAGES, _SAVE = {layout!r}, {images!r}, {save!r}
_SHOWN_BEFORE = 0  # figures shown before the current pass (a re-run numbers its kept PNGs from 1)
_show, _print_figure = _plt.show, _Canvas.print_figure


def _append(path, record):
    with open(path, "a") as fh:
        fh.write(_json.dumps(record) + "\n")


def _measure(fig):
    """The figure's size and every text actually drawn on it (not hidden tick labels)."""
    drawn, draw = [], _Text.draw

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
    return dict(width=width, height=height, texts=texts)


def _measure_and_show(*args, **kwargs):
    for num in _plt.get_fignums():
        fig = _plt.figure(num)
        _append(_LAYOUT, _measure(fig))
        if _SAVE:
            n = sum(1 for _ in open(_LAYOUT)) - _SHOWN_BEFORE
            fig.savefig(_os.path.join(_SAVE, f"{{n:02d}}.png"), bbox_inches="tight")
    return _show(*args, **kwargs)


def _words(text):
    return " ".join(text.replace("$", "").split())


def _describe(fig):
    """What the figure shows, in words: its title, then its panels' titles (or axis labels)."""
    title = _words(fig.get_suptitle())
    panels = []
    for ax in fig.axes:
        for loc in ("left", "center", "right"):
            words = _words(ax.get_title(loc))
            if words and words not in panels:
                panels.append(words)
    if not title and not panels:  # no title anywhere: say what is plotted against what
        panels = [_words(f"{{ax.get_ylabel()}} against {{ax.get_xlabel()}}") for ax in fig.axes
                  if ax.get_xlabel().strip() and ax.get_ylabel().strip()]
    if title and panels:
        return f"{{title}}. Panels: {{'; '.join(panels)}}"
    if len(panels) > 1:
        return f"Panels: {{'; '.join(panels)}}"
    return title or "".join(panels)


def _print_and_describe(canvas, filename, *args, **kwargs):
    result = _print_figure(canvas, filename, *args, **kwargs)
    data = filename.getvalue() if hasattr(filename, "getvalue") else b""
    if isinstance(data, bytes) and data.startswith(b"\x89PNG"):
        _append(_IMAGES, dict(sha256=_hashlib.sha256(data).hexdigest(), alt=_describe(canvas.figure)))
    return result


_plt.show = _measure_and_show
_Canvas.print_figure = _print_and_describe
'''


def _read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def figure_recorder(layout: Path) -> str:
    """The prelude alone, as Python source for a kernel started elsewhere (the browser test puts it
    in JupyterLab's kernels as an IPython startup file): it records every figure shown into the
    JSON-lines file ``layout``, which ``read_figures`` reads."""
    return PRELUDE.format(layout=str(layout), images=os.devnull, save="")


def read_figures(layout: Path) -> list[dict]:
    """The figure records in ``layout`` (see ``RecordedRun.figures``), in the order shown."""
    return _read_jsonl(Path(layout))


def png_sha256(output: dict) -> str | None:
    """The SHA-256 of an output's PNG (the bytes, as myst-nb names the file), or None."""
    png = output.get("data", {}).get("image/png")
    return hashlib.sha256(base64.b64decode(png)).hexdigest() if png else None


class RecordedRun:
    """A notebook executing in a fresh kernel, cell by cell, its figures recorded (see the module).

    Use it as a context manager (the kernel shuts down on exit)::

        with RecordedRun(path, presentation=True) as run:
            run.run_all()
            run.figures()      # one record per figure shown, in order
            run.executed()     # the notebook with its outputs, images with alt text

    ``presentation``: run with the setup cell's ``PRESENTATION = True``; ``env``: variables
    to set in the kernel's environment (e.g. ``{"AEHELPERS_DATASET": "sample"}``);
    ``save_figures``: a folder (created) that gets a PNG of every figure shown.
    """

    def __init__(self, path: Path, *, presentation: bool = False, env: dict | None = None,
                 save_figures: Path | None = None, timeout: int = 1800):
        self.path, self.timeout = Path(path), timeout
        self.env = dict(os.environ, MPLBACKEND=INLINE, **(env or {}))
        self.nb = nbformat.read(self.path, as_version=4)
        if presentation:
            self._switch_to_presentation()
        if save_figures is not None:
            Path(save_figures).mkdir(parents=True, exist_ok=True)
        self._scratch = Path(tempfile.mkdtemp(prefix="aehelpers-run-"))
        self._layout, self._images = self._scratch / "layout.jsonl", self._scratch / "images.jsonl"
        prelude = PRELUDE.format(layout=str(self._layout), images=str(self._images),
                                 save=str(save_figures or ""))
        self.nb.cells.insert(0, nbformat.v4.new_code_cell(prelude))  # cell i of the file is cell i + 1 here
        self.code_cells = [i - 1 for i, c in enumerate(self.nb.cells) if c.cell_type == "code" and i > 0]
        self.ran: set[int] = set()
        self._stack = contextlib.ExitStack()

    def __enter__(self) -> "RecordedRun":
        self._stack.callback(shutil.rmtree, self._scratch, ignore_errors=True)
        try:
            self.client = self._stack.enter_context(
                running_kernel(self.nb, self.path.parent, self.timeout, env=self.env))
            self.client.execute_cell(self.nb.cells[0], 0, store_history=False)
        except BaseException:
            self._stack.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self._stack.close()

    def run(self, index: int) -> None:
        """Execute the code cell at ``index`` (its index among all cells of the file); nbclient's
        ``CellExecutionError`` if it raises."""
        self.client.execute_cell(self.nb.cells[index + 1], index + 1)
        self.ran.add(index)

    def run_all(self) -> None:
        """Execute every code cell once, in order, as "Run All" does."""
        for index in self.code_cells:
            self.run(index)

    def rerun_presenting(self, save_figures: Path | None = None) -> tuple[list[dict], str | None]:
        """After Run All, do what a presenter does: set the setup cell's ``PRESENTATION = True``
        and run every code cell again, in order, in the same kernel. Returns the figures this
        second pass showed, and why a cell failed (None when every cell ran again).
        ``save_figures``: a folder (created) that gets a PNG of every figure this pass shows."""
        shown_before = len(self.figures())
        if save_figures is not None:
            Path(save_figures).mkdir(parents=True, exist_ok=True)
        self.client.execute_cell(nbformat.v4.new_code_cell(
            f"_SAVE, _SHOWN_BEFORE = {str(save_figures or '')!r}, {shown_before}"), 0, store_history=False)
        self._switch_to_presentation()
        for index in self.code_cells:
            try:
                self.run(index)
            except CellExecutionError as err:
                first = self.nb.cells[index + 1].source.splitlines()[:1]
                return self.figures()[shown_before:], (
                    f"cell {index} ({first[0] if first else ''!r}) fails when run a second time, "
                    f"with PRESENTATION = True, after Run All:\n{err}")
        return self.figures()[shown_before:], None

    def _switch_to_presentation(self) -> None:
        setup = next((c for c in self.nb.cells if c.cell_type == "code" and SETUP in c.source), None)
        if setup is None:
            raise ValueError(f"{self.path.name} has no setup cell with {SETUP!r}: "
                             "presentation mode cannot be switched on")
        setup.source = setup.source.replace(SETUP, "PRESENTATION = True")

    def figures(self) -> list[dict]:
        """One record per figure shown so far: ``width``, ``height`` (pixels) and ``texts``, each
        with its ``text``, its font size ``px`` and its ``box`` (x0, y0, x1, y1) on the canvas."""
        return read_figures(self._layout)

    def descriptions(self) -> dict[str, str]:
        """``{PNG SHA-256: what the figure shows}`` for every PNG drawn from a figure so far."""
        return {r["sha256"]: r["alt"] for r in _read_jsonl(self._images)}

    def executed(self) -> nbformat.NotebookNode:
        """A copy of the notebook as executed so far, without the prelude; each image drawn
        from a figure carries its alt text in ``metadata["image/png"]["alt"]``."""
        nb = copy.deepcopy(self.nb)
        del nb.cells[0]
        attach_alt_text(nb, self.descriptions())
        return nb


def attach_alt_text(nb: nbformat.NotebookNode, descriptions: dict[str, str]) -> None:
    """Give every PNG output whose SHA-256 is in ``descriptions`` its alt text (in place)."""
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            alt = descriptions.get(png_sha256(output) or "")
            if alt:
                output.setdefault("metadata", {}).setdefault("image/png", {})["alt"] = alt


def figures_folder(path: Path, mode: str, sample_pass: bool = False) -> Path | None:
    """Where ``$AEHELPERS_FIGURES_DIR`` keeps the figures of a run, created:
    ``<dir>/[sample/]<notebook>/<mode>``; None when the variable is not set."""
    keep = os.environ.get("AEHELPERS_FIGURES_DIR")
    if not keep:
        return None
    folder = Path(keep) / ("sample" if sample_pass else "") / Path(path).stem / mode
    folder.mkdir(parents=True, exist_ok=True)
    return folder
