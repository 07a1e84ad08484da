"""The static site's build (docs/book/build.py): student version, offline check, a tiny site.

The real site, from every notebook, is built and checked by docs/book/test_site.py, which
runs after the notebooks. These tests use throwaway notebooks and pages and take seconds
(the tiny site starts one kernel and runs Sphinx once per edition).
"""

import importlib.util
import shutil
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("book_build", ROOT / "docs" / "book" / "build.py")
book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book)

student = book.student  # scripts/make_student_version.py, as the build uses it
SOLUTION = {"nbgrader": {"solution": True, "grade": False, "locked": False, "grade_id": "ex99_1",
                         "schema_version": 3}}
STUB = student.stub("99.1")  # raise NotImplementedError("Exercise 99.1: your code here")


# --- the student version (strip_solutions itself is tested in tests/test_exercises.py) --------

def _output(mime, value="x"):
    return nbformat.v4.new_output("display_data", data={mime: value, "text/plain": "fallback"})


def test_site_version_drops_solution_outputs_and_live_widgets_only():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("### BEGIN SOLUTION\nsecret = 42\nprint(secret)\n### END SOLUTION",
                                          outputs=[nbformat.v4.new_output("stream", text="42\n")],
                                          execution_count=1, metadata=SOLUTION),
                nbformat.v4.new_code_cell("show()", outputs=[_output("image/png", "iVBORw0KGgo="),
                                                             _output(book.WIDGET_MIME, {"model_id": "m"})],
                                          execution_count=2),
                nbformat.v4.new_code_cell("ae.interactive_figure(draw, k=slider)", outputs=[
                    nbformat.v4.new_output("display_data", data={book.WIDGET_MIME: {"model_id": "m"},
                                                                 "image/png": "iVBORw0KGgo=",
                                                                 "text/plain": "interactive figure"})]),
                nbformat.v4.new_markdown_cell("### BEGIN SOLUTION is how exercises are marked")]
    nb.metadata["widgets"] = {"state": {}}
    book.site_version(nb)
    assert nb.cells[0].source == STUB and nb.cells[0].outputs == [] and nb.cells[0].execution_count is None
    assert [list(o.data) for o in nb.cells[1].outputs] == [["image/png", "text/plain"]]
    assert [sorted(o.data) for o in nb.cells[2].outputs] == [["image/png", "text/plain"]], \
        "a widget's static figure stays"
    assert nb.cells[3].source.startswith("### BEGIN SOLUTION"), "markdown is left alone"
    assert "widgets" not in nb.metadata


def test_site_version_shows_paths_inside_the_repository_relative_to_it():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(where)", outputs=[
        nbformat.v4.new_output("stream", text="digits from /home/me/ae/data/MNIST/raw\n"),
        nbformat.v4.new_output("execute_result", data={"text/plain": "'/home/me/ae/data/models'"}),
        nbformat.v4.new_output("stream", text="/home/me/other/file\n")])]
    book.site_version(nb, root=Path("/home/me/ae"))
    outputs = nb.cells[0].outputs
    assert outputs[0].text == "digits from data/MNIST/raw\n"
    assert outputs[1].data["text/plain"] == "'data/models'"
    assert outputs[2].text == "/home/me/other/file\n", "paths elsewhere are left alone"


@pytest.mark.parametrize("source, metadata, message", [
    ("### BEGIN SOLUTION\nx = 2", SOLUTION, "07-x.ipynb, cell 1: ### BEGIN SOLUTION without ### END SOLUTION"),
    ("### BEGIN SOLUTION\nx = 2\n### END SOLUTION", {}, "07-x.ipynb, cell 1: .*needs nbgrader metadata"),
])
def test_site_version_names_the_notebook_and_cell_of_a_broken_region(source, metadata, message):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell(source, metadata=metadata)]
    with pytest.raises(student.MarkerError, match=message):
        book.site_version(nb, name="07-x.ipynb")


# --- the offline check ----------------------------------------------------------------------

def _site(tmp_path, page, css="body { color: black; }", js="var x = 1;"):
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "style.css").write_text(css)
    (tmp_path / "_static" / "app.js").write_text(js)
    (tmp_path / "index.html").write_text(
        '<html><head><link rel="stylesheet" href="_static/style.css?v=1">'
        f'<script src="_static/app.js"></script></head><body>{page}</body></html>')
    return tmp_path


def test_a_clean_site_with_links_namespaces_and_data_uris_passes(tmp_path):
    page = ('<a href="https://pytorch.org/docs">PyTorch</a><img src="data:image/png;base64,AAAA">'
            '<svg xmlns="http://www.w3.org/2000/svg"></svg>')
    css = """.icon { background: url("data:image/svg+xml;charset=utf-8,<svg xmlns='http://www.w3.org/2000/svg'/>"); }"""
    js = 'el.setAttributeNS("http://www.w3.org/1999/xlink", "href", "#x"); // see https://github.com/a/b'
    assert book.remote_assets(_site(tmp_path, page, css, js)) == []


@pytest.mark.parametrize("page, css, js, found", [
    ('<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js"></script>', "", "",
     "loads https://cdn.jsdelivr.net"),
    ('<link rel="stylesheet" href="//fonts.googleapis.com/css?family=Lato">', "", "", "loads //fonts.googleapis"),
    ('<img srcset="data:image/png;base64,AAAA 1x, https://example.org/b.png 2x">', "", "", "loads https://example.org/b.png"),
    ('<div style="background: url(https://example.org/bg.png)"></div>', "", "", "CSS loads https://example.org"),
    ("", '@import url("https://fonts.googleapis.com/css2?family=Inter");', "", "style.css: CSS loads https://fonts"),
    ("", "@font-face { src: url(https://example.org/f.woff2); }", "", "CSS loads https://example.org/f.woff2"),
    ("", "", 's.src = "https://unpkg.com/lib@1/dist/lib.js";', "app.js: script refers to https://unpkg.com"),
    ('<script>require.config({paths: {x: "https://example.org/x.js"}})</script>', "", "",
     "inline script refers to https://example.org/x.js"),
    ('<img src="_images/missing.png">', "", "", "_images/missing.png is missing"),
])
def test_remote_or_missing_assets_are_reported(tmp_path, page, css, js, found):
    problems = book.remote_assets(_site(tmp_path, page, css, js))
    assert len(problems) == 1 and found in problems[0], problems


@pytest.mark.parametrize("img, problem", [
    ('<img src="_images/0a1b2c.png">', "has no alt text"),
    ('<img src="_images/0a1b2c.png" alt=" ">', "has no alt text"),
    ('<img src="_images/0a1b2c.png" alt="_images/0a1b2c.png">', "has its file name as alt text"),
    ('<img src="_images/0a1b2c.png" alt="0a1b2c">', "has its file name as alt text"),
    ('<img src="_images/0a1b2c.png" alt="encoder kernels. Panels: d=30; d=500">', None),
])
def test_an_image_needs_alt_text_that_is_not_its_file_name(tmp_path, img, problem):
    (tmp_path / "page.html").write_text(f"<html><body>{img}</body></html>")
    (src, alt), = book.image_alts(tmp_path / "page.html").items()
    found = book.alt_problem(src, alt)
    assert (found is None) if problem is None else found.startswith(problem)


# --- a whole (tiny) site --------------------------------------------------------------------

NPM_OR_CACHE = shutil.which("npm") or (book.MATHJAX_CACHE / book.MATHJAX_FILE).is_file()


@pytest.mark.slow
@pytest.mark.skipif(not NPM_OR_CACHE, reason="MathJax needs npm or a cached copy in build/mathjax/")
def test_a_throwaway_notebook_becomes_a_page_with_its_figure_math_and_student_version(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        nbformat.v4.new_markdown_cell("# 01 · Throwaway\n\nThe code $h = f(W_h x + b_h)$."),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\n\nplt.plot([0, 1], [1, 0])\n"
                                  "plt.title('a line')\nplt.show()"),
        nbformat.v4.new_markdown_cell("## Exercise\n\nWrite `double`."),
        nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    kept_secret = 2 * x\n"
                                  "    return kept_secret\n    ### END SOLUTION\n\n\n"
                                  "plt.plot([1, 2])\nplt.title('drawn by the solution')\nplt.show()",
                                  metadata=SOLUTION),
        nbformat.v4.new_code_cell("assert double(4) == 8\nprint('check passed')"),
        nbformat.v4.new_code_cell("from IPython.display import Markdown, display\n\n"
                                  "display(Markdown('| method | $d$ |\\n|---|---:|\\n| AE | 30 |'))"),
    ]
    (tmp_path / "nb").mkdir()
    nbformat.write(nb, tmp_path / "nb" / "01-throwaway.ipynb")
    entrance = book.build(sorted((tmp_path / "nb").glob("*.ipynb")), tmp_path / "out")

    assert entrance == tmp_path / "out" / "html" / "index.html" and 'url=en/index.html' in entrance.read_text()
    html = tmp_path / "out" / "html" / "en"
    zh = tmp_path / "out" / "html" / "zh_CN" / "notebooks" / "01-throwaway.html"
    assert zh.is_file() and 'href="../../en/notebooks/01-throwaway.html"' in zh.read_text(), \
        "the Chinese edition (no catalog for this notebook: its prose stays English) links back"
    page = (html / "notebooks" / "01-throwaway.html").read_text()
    assert "01 · Throwaway" in (html / "index.html").read_text(), "the landing page links the notebook"
    assert "kept_secret" not in page and "Exercise 99.1: your code here" in page, "student version only"
    assert "check passed" in page, "the check's output stays"
    images = book.page_images(html / "notebooks" / "01-throwaway.html")
    assert len(images) == 1, "the figure, not the one drawn by the solution"
    assert (html / "notebooks" / images[0]).resolve().read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert book.image_alts(html / "notebooks" / "01-throwaway.html") == {images[0]: "a line"}, \
        "the figure's title is its alt text"
    assert r"\(h = f(W_h x + b_h)\)" in page, "math is left for MathJax"
    assert "<table" in page and r"\(d\)" in page, "displayed Markdown is rendered, math included"
    assert book.site_problems(tmp_path / "out") == []
    assert not (html / "_sources").exists(), "no second copy of the notebooks"


def test_missing_npm_and_cache_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(book.shutil, "which", lambda name: None)
    with pytest.raises(SystemExit, match="found neither npm nor a cached copy"):
        book.ensure_mathjax(tmp_path / "mathjax")


# --- two editions ----------------------------------------------------------------------------

def _edition(root: Path, language: str, other: str, png: bytes) -> Path:
    (root / language / "_images").mkdir(parents=True)
    (root / language / "_static").mkdir()
    (root / language / "_images" / "fig.png").write_bytes(png)
    (root / language / "_static" / "theme.css").write_text("body { color: black; }")
    (root / language / "index.html").write_text(
        f'<html><head><link rel="stylesheet" href="_static/theme.css?v=1"></head><body>'
        f'<a href="../{other}/index.html" hreflang="{other.replace("_", "-")}" rel="alternate">other</a>'
        f'<img src="_images/fig.png" alt="a figure"></body></html>')
    return root / language


def test_the_editions_share_identical_assets_once_and_link_to_them(tmp_path):
    site = tmp_path / "html"
    _edition(site, "en", "zh_CN", b"\x89PNG same")
    zh = _edition(site, "zh_CN", "en", b"\x89PNG same")
    (zh / "_static" / "only-here.js").write_text("var x = 1;")
    saved = book.share_assets(site, ["en", "zh_CN"])
    assert saved > 0 and not (zh / "_images").exists() and not (zh / "_static" / "theme.css").exists()
    assert (zh / "_static" / "only-here.js").is_file(), "what only one edition has stays there"
    page = (zh / "index.html").read_text()
    assert 'href="../en/_static/theme.css?v=1"' in page and 'src="../en/_images/fig.png"' in page
    assert 'href="../en/index.html"' in page, "links to pages are left alone"
    assert book.remote_assets(site) == [], "every relinked asset exists"
