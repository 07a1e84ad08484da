"""scripts/recorded_run.py: one execution records each figure's layout and what it shows."""

import nbformat
import pytest
from recorded_run import RecordedRun, attach_alt_text, png_sha256  # scripts/ is on pytest's pythonpath

SETUP = "import matplotlib.pyplot as plt\nPRESENTATION = False\nprint('presentation:', PRESENTATION)"
TWO_PANELS = ("fig, axes = plt.subplots(1, 2)\nfig.suptitle('$d$ = 30 against PCA')\n"
              "axes[0].set_title('the autoencoder')\naxes[1].set_title('PCA-30')\nplt.show()")
NO_TITLE = "plt.plot([1, 2])\nplt.xlabel('epoch')\nplt.ylabel('test MSE')\nplt.show()"


def _notebook(tmp_path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# 99 · Throwaway")] + [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, tmp_path / "99-throwaway.ipynb")
    return tmp_path / "99-throwaway.ipynb"


@pytest.mark.slow
def test_each_figure_is_measured_and_described_and_the_prelude_is_not_in_the_copy(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")  # as tests set it: the kernel still draws inline
    path = _notebook(tmp_path, SETUP, TWO_PANELS, NO_TITLE)
    with RecordedRun(path, presentation=True) as run:
        assert run.code_cells == [1, 2, 3], "cells numbered as in the file"
        run.run_all()
        figures, nb = run.figures(), run.executed()
    assert [c.source for c in nb.cells[1:]] == [SETUP.replace("= False", "= True"), TWO_PANELS, NO_TITLE]
    assert nb.cells[1].outputs[0].text == "presentation: True\n"
    assert [c.execution_count for c in nb.cells[1:]] == [1, 2, 3], "the prelude takes no prompt number"
    assert len(figures) == 2 and figures[0]["width"] > 0
    assert {"d = 30 against PCA", "the autoencoder", "PCA-30"} <= {t["text"].replace("$", "") for t in figures[0]["texts"]}
    alts = [out.metadata["image/png"]["alt"] for cell in nb.cells[2:] for out in cell.outputs]
    assert alts == ["d = 30 against PCA. Panels: the autoencoder; PCA-30", "test MSE against epoch"]


@pytest.mark.slow
def test_figures_are_kept_on_request_and_a_missing_setup_switch_is_an_error(tmp_path):
    path = _notebook(tmp_path, "import matplotlib.pyplot as plt", NO_TITLE)
    with RecordedRun(path, save_figures=tmp_path / "kept") as run:
        run.run_all()
    assert [p.name for p in (tmp_path / "kept").iterdir()] == ["01.png"]
    with pytest.raises(ValueError, match="no setup cell with 'PRESENTATION = False'"):
        RecordedRun(path, presentation=True)


def test_alt_text_goes_to_the_png_with_that_hash():
    png = "iVBORw0KGgo="  # the PNG signature, base64
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("show()", outputs=[
        nbformat.v4.new_output("display_data", data={"image/png": png, "text/plain": "<Figure>"}),
        nbformat.v4.new_output("stream", text="done\n")])]
    attach_alt_text(nb, {png_sha256(nb.cells[0].outputs[0]): "a line"})
    assert nb.cells[0].outputs[0].metadata == {"image/png": {"alt": "a line"}}
    assert "metadata" not in nb.cells[0].outputs[1]
    nbformat.validate(nb)


@pytest.mark.slow
def test_the_rerun_presenting_draws_what_a_fresh_presentation_run_draws(tmp_path):
    setup = SETUP + "\nplt.rcParams['font.size'] = 16 if PRESENTATION else 10  # as ae.set_style does"
    path = _notebook(tmp_path, setup, TWO_PANELS, NO_TITLE)
    with RecordedRun(path, presentation=True) as run:
        run.run_all()
        fresh = run.figures()
    with RecordedRun(path, save_figures=tmp_path / "normal") as run:
        run.run_all()
        normal = run.figures()
        presented, failure = run.rerun_presenting(tmp_path / "presented")
        setup_output = run.nb.cells[2].outputs[0].text  # cell 1 of the file; the prelude comes first
    assert failure is None and setup_output == "presentation: True\n"
    assert presented == fresh != normal, "the switch in the same kernel draws the fresh run's figures"
    assert sorted(p.name for p in (tmp_path / "presented").iterdir()) == ["01.png", "02.png"]


@pytest.mark.slow
def test_the_rerun_presenting_names_the_cell_that_fails_a_second_time(tmp_path):
    once = "runs = globals().get('runs', 0) + 1\nassert runs == 1, 'this cell ran twice'"
    path = _notebook(tmp_path, SETUP, once, NO_TITLE)
    with RecordedRun(path) as run:
        run.run_all()
        presented, failure = run.rerun_presenting()
    assert presented == [], "the pass stopped before the figure"
    assert failure.startswith("cell 2 (\"runs = globals()") and "this cell ran twice" in failure
