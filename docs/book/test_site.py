"""The static site, built by `make book` from every notebook, checked page by page.

pytest collects this folder last (pyproject's testpaths: tests, notebooks, docs/book), so
the notebooks have already run and filled the model cache: the build executes each
notebook again with its models cached. The math check opens a page in headless Chromium
when Debian's chromium and Playwright for Python are installed, and is skipped (with the
reason) when they are not; a screenshot of a failing page is kept in build/site-test/.
"""

import hashlib
import html
import importlib.util
import re
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from notebook_client import NOTEBOOKS  # scripts/ is on pytest's pythonpath (pyproject.toml)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "build" / "book"
HTML = OUT / "html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run", "--disable-sync"]
MATH = 'class="math notranslate'  # each formula Sphinx leaves for MathJax
FAILURES = ROOT / "build" / "site-test"

spec = importlib.util.spec_from_file_location("book_build", HERE / "build.py")
book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book)


@pytest.fixture(scope="module")
def site():
    """Run `make book`'s build (docs/book/build.py) once; its output is shown on failure."""
    start = time.perf_counter()
    run = subprocess.run([sys.executable, str(HERE / "build.py")], capture_output=True, text=True)
    assert run.returncode == 0, f"the site build failed:\n{run.stdout}\n{run.stderr}"
    print(f"site built in {time.perf_counter() - start:.0f} s\n{run.stdout}")
    return HTML


def _executed(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(OUT / "src" / "notebooks" / path.name, as_version=4)


def _title(path: Path) -> str:
    first = nbformat.read(path, as_version=4).cells[0].source
    return re.match(r"#\s+(.+)", first).group(1).strip()


def test_a_page_per_notebook_linked_from_the_landing_page_in_order(site):
    landing = (site / "index.html").read_text(encoding="utf-8")
    positions = []
    for path in NOTEBOOKS:
        page = site / "notebooks" / f"{path.stem}.html"
        assert page.is_file(), f"no page for {path.name}"
        title = _title(path)
        h1 = re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"), re.S).group(1)
        assert re.sub(r"[*_`$]", "", title) in html.unescape(re.sub(r"<[^>]+>", "", h1)), \
            f"{page.name} does not open with the notebook's title {title!r}"
        link = f'href="notebooks/{path.stem}.html"'
        assert link in landing, f"the landing page does not link {path.name}"
        positions.append(landing.index(link))
    assert positions == sorted(positions), "the landing page lists the notebooks in their order"
    assert 'src="_images/results.png"' in landing, "the landing page shows the results figure"
    assert "were built on" in landing, "the landing page says which MNIST the pages ran on"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_is_on_its_page_as_a_png(site, path):
    page = site / "notebooks" / f"{path.stem}.html"
    figures = book.count_figures(_executed(path))
    images = [src for src in book.page_images(page) if "_images/" in src]
    assert figures > 0, f"{path.name} drew no figure when executed"
    assert len(images) == figures, f"{figures} figures in the executed notebook, {len(images)} on the page"
    for src in images:
        data = (page.parent / src).resolve().read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{src} is not a PNG"


def test_exercises_show_the_student_version(site):
    exercises = {path: [cell for cell in nbformat.read(path, as_version=4).cells
                        if cell.cell_type == "code" and book.student.BEGIN in cell.source]
                 for path in NOTEBOOKS}
    exercises = {path: cells for path, cells in exercises.items() if cells}
    if not exercises:
        pytest.skip("no notebook has an exercise with a solution region (### BEGIN SOLUTION)")
    for path, solutions in exercises.items():
        page = (site / "notebooks" / f"{path.stem}.html").read_text(encoding="utf-8")
        assert book.student.BEGIN not in page and book.student.END not in page, path.name
        assert page.count("NotImplementedError") >= len(solutions), f"{path.name}: each exercise shows its stub"
        text = html.unescape(re.sub(r"<[^>]+>", "", page))
        for cell in solutions:
            inside = cell.source.split(book.student.BEGIN, 1)[1].split(book.student.END, 1)[0]
            for line in inside.splitlines():
                if len(line.strip()) > 25:  # a line long enough to be the solution's own
                    assert line.strip() not in text, f"{path.name} shows a line of a solution: {line.strip()!r}"


def test_nothing_is_loaded_from_the_network(site):
    assert book.remote_assets(site) == []


def test_no_asset_is_stored_twice(site):
    seen = {}
    for path in sorted(site.rglob("*")):
        if path.is_file() and path.stat().st_size > 1024:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            assert digest not in seen, f"{path} duplicates {seen[digest]}"
            seen[digest] = path


def _math_page(site) -> Path:
    """The notebook page with the most math on it."""
    pages = [site / "notebooks" / f"{path.stem}.html" for path in NOTEBOOKS]
    return max(pages, key=lambda page: page.read_text(encoding="utf-8").count(MATH))


PROSE = """() => {
    // the page's text without code, program output and the typeset math itself
    const copy = document.querySelector("article").cloneNode(true);
    copy.querySelectorAll(".cell_input, pre, code, mjx-container, script, style").forEach(e => e.remove());
    return copy.textContent;
}"""


def test_math_renders_in_headless_chromium(site):
    if not CHROMIUM.is_file():
        pytest.skip(f"no {CHROMIUM} (Debian package chromium): the math is not checked in a browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright for Python is not installed: the math is not checked in a browser")
    page_file = _math_page(site)
    spans = page_file.read_text(encoding="utf-8").count(MATH)
    assert spans > 0, "no math on any notebook page"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        page = browser.new_page()
        requests, errors = [], []
        page.on("request", lambda request: requests.append(request.url))
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())  # never leave the machine
        try:
            page.goto(page_file.as_uri())
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=30_000)
            page.evaluate("() => MathJax.startup.promise")
            typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
            failed = page.evaluate("() => document.querySelectorAll('mjx-merror').length")
            raw = re.findall(r"\$[^$\n]{1,80}\$|\\\(.{1,80}?\\\)|\\\[.{1,80}?\\\]", page.evaluate(PROSE))
            remote = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
            assert typeset == spans, f"{spans} math elements, {typeset} typeset by MathJax"
            assert failed == 0, f"{failed} formulas with TeX errors"
            assert raw == [], f"raw TeX left in the text: {raw[:5]}"
            assert remote == [], f"requests to the network: {remote}"
            assert errors == [], f"JavaScript errors: {errors}"
        except Exception:
            FAILURES.mkdir(parents=True, exist_ok=True)
            shot = FAILURES / f"{page_file.stem}.png"
            page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failing page: {shot}")
            raise
        finally:
            browser.close()
