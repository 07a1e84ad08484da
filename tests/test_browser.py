"""What students see: every notebook with a widget, run in JupyterLab in a real browser.

nbval executes the notebooks without a front end, so it cannot see a widget that shows
"Error displaying widget" (the kernel's ``ipywidgets`` and JupyterLab's ``jupyterlab_widgets``
drifted apart), or a figure drawn twice. This test starts JupyterLab as ``make lab`` does
(the same ``jupyter lab`` entry point of this Python environment, on the ``notebooks/``
folder), opens each notebook that uses ipywidgets in headless Chromium (Debian's
``chromium`` package driven by Playwright; no browser download), runs all cells through
JupyterLab's menu (Run > Run All Cells) and checks, as a student would see it:

* no cell shows an error (an exception, a renderer's "Javascript Error");
* every widget output is rendered as a widget: not its text repr, not "Error displaying
  widget", not stuck at "Loading widget...";
* in every interactive cell (``interact``, ``ae.interactive_figure``: a widget with controls),
  the figure appears exactly once, and moving a slider with the keyboard redraws it (a
  different image, still exactly one).

The server runs on the bundled sample (``AEHELPERS_DATASET=sample``) with an empty model cache
of its own (``AEHELPERS_DATA=build/sample-data``, emptied first), so that the notebooks train
their models in the browser (progress bars included) and the repository's cache is left alone;
``tests_live/``'s checks on the sample then reuse the models trained here. Its kernels record
every figure that Run All shows (an IPython startup file with ``recorded_run.figure_recorder``):
these are the sample's normal-mode figures for ``tests_live/``'s layout check (the
``browser_figures`` fixture), which then runs each of these notebooks on the sample in
presentation mode only.
On failure, a screenshot, the browser console and the server log are kept in
``build/browser-test/`` (named in the failure message). Without Chromium or Playwright the
test is skipped with the reason (``.ci/run`` installs both); ``AEHELPERS_CHROMIUM`` names the
Chromium to use, or ``none`` for a run as on a machine without one (scripts/chromium.py).
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from chromium import FLAGS, find_chromium  # scripts/ is on pytest's pythonpath (pyproject.toml)
from notebook_list import NOTEBOOKS
from recorded_run import SAMPLE_DATA, figure_recorder, read_figures

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
ARTEFACTS = ROOT / "build" / "browser-test"

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
SERVER_START_S = 90     # JupyterLab answering on its port
KERNEL_START_S = 90     # the kernel of a freshly opened notebook is idle
RUN_ALL_S = 300         # Run All Cells finished (the sample trains in seconds; generous for busy CI)
REDRAW_S = 90           # a slider move redrew the figure


def _code_sources(path: Path) -> list[str]:
    """The source of every code cell of a notebook, in order (markdown cells left out)."""
    cells = json.loads(path.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def widget_notebooks(notebooks: list[Path] = NOTEBOOKS) -> list[Path]:
    """The notebooks whose code uses ipywidgets (found by reading them, so new ones are included)."""
    return [p for p in notebooks if any(re.search(r"\bipywidgets\b", src) for src in _code_sources(p))]


def is_interactive(source: str) -> bool:
    """A code cell that builds an interactive widget (``interact``, ``interactive``,
    ``ae.interactive_figure``, ...); cells whose rendered widget has a control count too."""
    return re.search(r"\binteract\w*\s*\(", source) is not None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LabServer:
    """``jupyter lab <folder>`` of this environment on a free localhost port, with a token.

    Isolated from the user's Jupyter set-up (temporary config, data, runtime, settings and
    workspace folders); the kernel imports this checkout's ``aehelpers`` and uses the bundled
    sample with an empty model cache (``SAMPLE_DATA``, emptied). The log goes to ``log_path``.
    """

    def __init__(self, folder: Path, scratch: Path, log_path: Path):
        self.folder, self.scratch, self.log_path = folder, scratch, log_path
        self.figures_log = scratch / "figures.jsonl"  # what the kernels' figure recorder writes
        self.port, self.token = _free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = None
        self._log = None

    def environment(self) -> dict:
        env = dict(os.environ)
        env.pop("MPLBACKEND", None)  # tests set Agg; a student's kernel draws inline figures
        for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                     "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
            folder = self.scratch / name.lower()
            folder.mkdir(parents=True, exist_ok=True)
            env[name] = str(folder)
        shutil.rmtree(SAMPLE_DATA, ignore_errors=True)  # empty: the notebooks train in the browser
        SAMPLE_DATA.mkdir(parents=True)
        env["AEHELPERS_DATA"] = str(SAMPLE_DATA)
        news = self.scratch / "jupyterlab_settings_dir" / "@jupyterlab" / "apputils-extension"
        news.mkdir(parents=True, exist_ok=True)  # no "get notified about Jupyter news?" toast
        (news / "notification.jupyterlab-settings").write_text('{"fetchNews": "false"}')
        # No autosave: a Run All longer than its 2-minute interval would write the outputs into the
        # repository's notebooks (committed without outputs); the tabs are closed without saving.
        docmanager = self.scratch / "jupyterlab_settings_dir" / "@jupyterlab" / "docmanager-extension"
        docmanager.mkdir(parents=True, exist_ok=True)
        (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
        startup = self.scratch / "ipython" / "profile_default" / "startup"  # run by every kernel it starts
        startup.mkdir(parents=True, exist_ok=True)
        (startup / "00-record-figures.py").write_text(figure_recorder(self.figures_log))
        env["IPYTHONDIR"] = str(self.scratch / "ipython")
        env["AEHELPERS_DATASET"] = "sample"
        env.pop("AEHELPERS_RETRAIN", None)
        env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + [p for p in [env.get("PYTHONPATH")] if p])
        return env

    def start(self) -> "LabServer":
        jupyter = Path(sys.executable).parent / "jupyter"  # the entry point `make lab` runs
        assert jupyter.exists(), f"{jupyter} not found: install the project (make lab / pip install -e '.[test]')"
        command = [str(jupyter), "lab", str(self.folder), "--no-browser", "--allow-root",
                   "--ip=127.0.0.1", f"--port={self.port}", "--ServerApp.port_retries=0",
                   f"--IdentityProvider.token={self.token}",
                   "--LabApp.expose_app_in_browser=True",  # lets the test read the notebook model
                   "--LabApp.news_url=None",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "w")
        self._log.write("$ " + " ".join(command).replace(self.token, "<token>") + "\n")
        self._log.flush()
        self.process = subprocess.Popen(command, cwd=ROOT, env=self.environment(), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode} "
                                   f"before it answered; see its log {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/status?token={self.token}", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not answer within {SERVER_START_S} s; see {self.log_path}")
            time.sleep(0.5)

    def stop(self) -> None:
        """Shut the server down (SIGTERM: it stops its kernels); then kill what is left of its session."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)  # only what this server started in its session
            except ProcessLookupError:
                pass
        if self._log is not None:
            self._log.close()


# --------------------------------------------------------------------------- in the page

# The notebook as JupyterLab holds it: kernel status and, per cell, its prompt and outputs.
STATE_JS = """
(path) => {
  const app = window.jupyterapp;
  if (!app) return null;
  const panel = Array.from(app.shell.widgets('main')).find(w => w.context && w.context.path === path);
  if (!panel || !panel.sessionContext) return null;
  const cells = panel.content.widgets.map((cell, index) => {
    const code = cell.model.type === 'code';
    const prompt = code ? cell.node.querySelector('.jp-InputPrompt') : null;
    return {
      index, type: cell.model.type,
      source: cell.model.sharedModel.getSource(),
      prompt: prompt ? prompt.textContent : '',
      count: code ? cell.model.executionCount : null,
      outputs: code ? cell.model.outputs.toJSON().map(o => ({
        type: o.output_type, ename: o.ename || '', evalue: o.evalue || '',
        mimes: Object.keys(o.data || {})})) : [],
    };
  });
  return {status: panel.sessionContext.kernelDisplayStatus, cells};
}
"""

# What the student sees in one cell's output area (rendered DOM).
CELL_VIEW_JS = """
(cell) => {
  const area = cell.querySelector('.jp-Cell-outputArea');
  const top = area ? Array.from(area.querySelectorAll(':scope > .jp-OutputArea-child > .jp-OutputArea-output')) : [];
  const images = area ? Array.from(area.querySelectorAll('.jp-RenderedImage img')) : [];
  const widgetStderr = area ? Array.from(area.querySelectorAll(
      '.jupyter-widgets .jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')) : [];
  return {
    top: top.map(o => ({mime: o.getAttribute('data-mime-type') || '',
                        text: (o.textContent || '').slice(0, 300),
                        rendered: o.querySelector('.jupyter-widgets[class*="widget-"]') !== null})),
    images: images.map(i => i.getAttribute('src') || ''),
    fresh: images.filter(i => !i.dataset.testShownBefore).length,  // drawn since the test marked the old ones
    sliders: area ? area.querySelectorAll('.widget-slider .noUi-handle').length : 0,
    controls: area ? area.querySelectorAll('.widget-interact, .widget-slider, .widget-dropdown').length : 0,
    widgetErrors: area ? area.querySelectorAll('.jupyter-widgets-error-widget').length : 0,
    widgetStderr: widgetStderr.map(o => (o.textContent || '').slice(-800)),
    text: area ? (area.textContent || '') : '',
  };
}
"""


class BrowserCheckFailed(AssertionError):
    """What the student would see is wrong; the message says where and what."""


def expect(condition, message: str) -> None:
    """Fail with ``message`` alone (no assertion rewriting that prints whole images)."""
    if not condition:
        raise BrowserCheckFailed(message)


def _cell(page, index):
    return page.locator(f'.jp-NotebookPanel .jp-Cell[data-windowed-list-index="{index}"]')


def _state(page, path):
    return page.evaluate(STATE_JS, path)


def _view(page, index):
    return _cell(page, index).evaluate(CELL_VIEW_JS)


def _wait(what, timeout, poll, check):
    """Call ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise BrowserCheckFailed(f"timed out after {timeout} s waiting for {what}")
        poll()


def _settled_view(page, index, wait_ms=300, stable=3, timeout=30):
    """The cell's view once its images and outputs stopped changing (renderers are asynchronous)."""
    last, same = None, 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = _view(page, index)
        key = (len(view["images"]), tuple(o["mime"] for o in view["top"]), view["text"][:2000])
        same = same + 1 if key == last else 0
        if same >= stable and "Loading widget..." not in view["text"]:
            return view
        last = key
        page.wait_for_timeout(wait_ms)
    return _view(page, index)


def _code_label(cell):
    first = cell["source"].strip().splitlines()[0] if cell["source"].strip() else ""
    return f"cell {cell['index']} ({first[:60]!r})"


def run_all_and_check(page, server: LabServer, notebook: Path) -> tuple[list[str], list[dict]]:
    """Open ``notebook`` in JupyterLab, Run All Cells from the menu, check what the student sees.

    Returns a list of short notes of what was checked (for the test's output) and the records
    of the figures that Run All showed (``recorded_run.read_figures``), before any slider moved.
    """
    path = notebook.relative_to(server.folder).as_posix()
    server.figures_log.unlink(missing_ok=True)  # one notebook at a time: its records only
    # One workspace per notebook: JupyterLab redirects a second tab that opens a workspace in use.
    page.goto(f"{server.url}/lab/workspaces/test-{notebook.stem}/tree/{path}?token={server.token}")
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
    page.evaluate("async () => { await window.jupyterapp.started; await window.jupyterapp.restored; }")

    def kernel_idle():
        state = _state(page, path)
        return state if state and state["status"] == "idle" else None
    _wait(f"the kernel of {path} to start (status bar 'Idle')", KERNEL_START_S,
          lambda: page.wait_for_timeout(250), kernel_idle)

    # Run > Run All Cells, as a student does (galata's menu selectors).
    page.locator('li:has(div.lm-MenuBar-itemLabel:text-is("Run"))').click()
    page.locator('.lm-Menu li:has(div.lm-Menu-itemLabel:text-is("Run All Cells"))').click()

    def finished():
        state = _state(page, path)
        code = [c for c in state["cells"] if c["type"] == "code"]
        pending = any("*" in c["prompt"] for c in code)
        errored = any(o["type"] == "error" for c in code for o in c["outputs"])
        all_ran = all(c["count"] is not None for c in code)
        return state if state["status"] == "idle" and not pending and (all_ran or errored) else None
    state = _wait(f"Run All Cells of {path} to finish", RUN_ALL_S, lambda: page.wait_for_timeout(500), finished)
    code = [c for c in state["cells"] if c["type"] == "code"]

    errors = [f"{_code_label(c)}: {o['ename']}: {o['evalue']}" for c in code for o in c["outputs"]
              if o["type"] == "error"]
    if errors:  # in view for the screenshot
        _cell(page, next(c["index"] for c in code if c["count"] is None or
                         any(o["type"] == "error" for o in c["outputs"]))).scroll_into_view_if_needed()
    expect(not errors, f"{path}: cells raised errors:\n  " + "\n  ".join(errors))
    not_run = [_code_label(c) for c in code if c["count"] is None]
    expect(not not_run, f"{path}: cells did not run: {not_run}")
    figures = read_figures(server.figures_log)  # written as each figure was shown, before the idle status
    expect(figures, f"{path}: no figure was recorded in {server.figures_log} (the figure recorder, an IPython "
                    "startup file, did not run in the kernel, or the notebook shows no figure)")

    notes, moved = [], 0
    for cell in code:
        widget_outputs = sum(WIDGET_MIME in o["mimes"] for o in cell["outputs"])
        if not widget_outputs and not is_interactive(cell["source"]):
            continue
        label = f"{path} {_code_label(cell)}"
        _cell(page, cell["index"]).scroll_into_view_if_needed()  # what a failure's screenshot shows
        view = _settled_view(page, cell["index"])
        for bad in ("Error displaying widget", "Loading widget...", "Javascript Error"):
            expect(bad not in view["text"], f"{label} shows {bad!r}: {view['text'][:300]!r}")
        expect(view["widgetErrors"] == 0, f"{label}: a widget failed to load: {view['text'][:300]!r}")
        shown = [o for o in view["top"] if o["rendered"]]  # (the widget renderer sets no data-mime-type)
        expect(len(shown) == widget_outputs,
               f"{label}: {widget_outputs} widget output(s) in the notebook, {len(shown)} rendered as "
               f"widgets; the page shows {[(o['mime'], o['text'][:80]) for o in view['top']]}")
        expect(not view["widgetStderr"], f"{label}: the widget's callback wrote an error:\n{''.join(view['widgetStderr'][:1])}")
        if not (is_interactive(cell["source"]) or view["controls"]):
            continue  # e.g. a training progress bar
        expect(widget_outputs, f"{label} builds a widget but shows none")
        expect(len(view["images"]) == 1,
               f"{label}: its figure appears {len(view['images'])} times (expected once: the widget's "
               "figure, no second static copy in the same cell)")
        if view["sliders"]:
            moved += 1
            notes.append(move_slider_and_check(page, path, cell, view, label))
        else:
            notes.append(f"{label}: figure shown once (no slider to move)")
    expect(moved, f"{path} uses ipywidgets but has no interactive cell with a slider to move")
    return notes, figures


def move_slider_and_check(page, path, cell, before, label) -> str:
    """Press an arrow key on the cell's first slider handle; the figure must be redrawn, once."""
    handle = _cell(page, cell["index"]).locator(".widget-slider .noUi-handle").first
    handle.scroll_into_view_if_needed()
    at_max = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    key = "ArrowLeft" if at_max else "ArrowRight"
    value_before = handle.get_attribute("aria-valuenow")
    _cell(page, cell["index"]).evaluate(  # mark the figure shown now: a redraw makes a new <img>
        "c => c.querySelectorAll('.jp-RenderedImage img').forEach(i => i.dataset.testShownBefore = '1')")
    handle.focus()
    handle.press(key)

    seen_busy = False

    def redrawn_or_failed():
        nonlocal seen_busy
        view = _view(page, cell["index"])
        idle = _state(page, path)["status"] == "idle"
        seen_busy = seen_busy or not idle
        return view["fresh"] or view["widgetStderr"] or (seen_busy and idle)
    _wait(f"{label} to redraw its figure after {key} on its slider (value {value_before})", REDRAW_S,
          lambda: page.wait_for_timeout(250), redrawn_or_failed)
    _wait(f"the kernel to be idle after the slider move in {label}", REDRAW_S,
          lambda: page.wait_for_timeout(250), lambda: _state(page, path)["status"] == "idle")
    after = _settled_view(page, cell["index"])
    value_after = handle.get_attribute("aria-valuenow")
    expect(value_after != value_before, f"{label}: {key} did not move the slider (value {value_before})")
    expect(not after["widgetStderr"], f"{label}: moving the slider raised:\n{''.join(after['widgetStderr'][:1])}")
    expect(len(after["images"]) == 1, f"{label}: after the slider move its figure appears {len(after['images'])} times")
    expect(after["images"] != before["images"], f"{label}: the slider moved but the figure did not change")
    return f"{label}: slider {value_before} -> {value_after}, figure redrawn once"


# --------------------------------------------------------------------------- pytest

WIDGET_NOTEBOOKS = widget_notebooks()


def test_widget_notebooks_are_the_ones_whose_code_uses_ipywidgets(tmp_path):
    """Found by their code: an import of ipywidgets counts, a mention in prose does not."""
    import nbformat

    def notebook(name, *cells):
        nb = nbformat.v4.new_notebook(cells=list(cells))
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    uses = notebook("01-uses.ipynb", nbformat.v4.new_code_cell("import ipywidgets as widgets"))
    mentions = notebook("02-mentions.ipynb", nbformat.v4.new_markdown_cell("Sliders come from ipywidgets."),
                        nbformat.v4.new_code_cell("print('no widget')"))
    assert widget_notebooks([uses, mentions]) == [uses]
    assert WIDGET_NOTEBOOKS, "no notebook uses ipywidgets: the browser test would check nothing"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    """Headless Debian Chromium with a fresh profile, driven by Playwright; skip if unavailable."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="Playwright for Python is not installed: pip install -e '.[test]' (browser test skipped)")
    chromium = find_chromium()
    if chromium is None:
        pytest.skip("Chromium not found (no `chromium` on PATH, no /usr/bin/chromium, or AEHELPERS_CHROMIUM=none): "
                    "install Debian's package with `apt-get install -y chromium` (.ci/run does); "
                    "browser test skipped")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_api.sync_playwright() as playwright:
        try:
            context = playwright.chromium.launch_persistent_context(
                str(profile), executable_path=chromium, headless=True, args=FLAGS,
                viewport={"width": 1400, "height": 1600})
        except Exception as err:  # noqa: BLE001 - any launch failure means "no usable browser"
            pytest.skip(f"Chromium at {chromium} could not be started by Playwright ({err}); browser test skipped")
        context.set_default_timeout(90_000)  # JupyterLab's scripts load slowly on a busy CI machine
        context.set_default_navigation_timeout(90_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def lab(browser, tmp_path_factory):
    """JupyterLab on the notebooks/ folder, stopped at the end (also when a test fails)."""
    shutil.rmtree(ARTEFACTS, ignore_errors=True)
    server = LabServer(NOTEBOOK_DIR, tmp_path_factory.mktemp("jupyterlab"), ARTEFACTS / "jupyterlab-server.log")
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.mark.slow
@pytest.mark.parametrize("notebook", WIDGET_NOTEBOOKS, ids=lambda p: p.name)
def test_widgets_work_in_jupyterlab(notebook, browser, lab, browser_figures):
    page = browser.new_page()
    console = []
    page.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
    page.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
    started, failure, original = time.monotonic(), None, notebook.read_bytes()
    try:
        notes, figures = run_all_and_check(page, lab, notebook)
    except Exception as err:  # noqa: BLE001 - keep the evidence, then fail with its location
        failure = f"{type(err).__name__}: {err}" if not isinstance(err, BrowserCheckFailed) else str(err)
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(ARTEFACTS / f"{notebook.stem}.png"))
        except Exception as shot_err:  # noqa: BLE001
            console.append(f"[test] screenshot failed: {shot_err}")
        (ARTEFACTS / f"{notebook.stem}-console.log").write_text("\n".join(console) + "\n")
    finally:
        page.close()
    if notebook.read_bytes() != original:  # the repository's notebook must stay as committed
        notebook.write_bytes(original)
        failure = failure or "JupyterLab saved the notebook while the test ran (restored it)"
    if failure:
        pytest.fail(f"{notebook.name} in JupyterLab: {failure}\n"
                    f"Artefacts (screenshot, browser console, server log): {ARTEFACTS}", pytrace=False)
    browser_figures[notebook.resolve()] = figures
    print(f"{notebook.name}: ran and checked in {time.monotonic() - started:.1f} s; {len(figures)} figures recorded")
    for note in notes:
        print("  " + note)
