"""The static site, built by `make book` from every notebook, checked page by page.

pytest collects this folder last (pyproject's testpaths: tests, notebooks, tests_live,
docs/book). When the notebooks' own items (conftest.py) executed every notebook in this
session, the site is built from the executed copies they left in build/executed/
(``build.py --executed``), so no notebook runs again; run alone (``pytest docs/book``), the
build executes them itself. ``build()`` already fails on a missing page or figure, on a
figure without alt text, on a page not linked to its counterpart in the other language and on
anything loaded from the network (``site_problems``).

The site has two editions, ``html/en/`` and ``html/zh_CN/`` (the Chinese, its prose from the
catalogs in docs/locales): the checks below run on both, and the Chinese edition must render the
same executed notebooks (one execution each) with every translated unit of prose in place.

Two checks open the pages in headless Chromium (scripts/chromium.py): the math renders, and
every page passes an accessibility audit by axe-core (fetched with ``npm pack`` like MathJax,
cached in build/axe-core/) with no violation of serious or critical impact. Each is skipped,
saying why, without Chromium and Playwright, or (the audit) without axe-core. A screenshot of
a page that fails is kept in build/site-test/.
"""

import contextlib
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
import i18n  # scripts/ is on pytest's pythonpath (pyproject.toml)
import lanes
from chromium import FLAGS, find_chromium
from notebook_list import NOTEBOOKS

pytestmark = pytest.mark.slow

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = ROOT / "build" / "book"
SITE = OUT / "html"     # what is published: the entrance page and one folder per edition
HTML = SITE / "en"      # the English edition
ZH = SITE / "zh_CN"     # the Chinese edition
EDITIONS = {"en": HTML, "zh_CN": ZH}
MATH = 'class="math notranslate'  # each formula Sphinx leaves for MathJax
SERIOUS = ("serious", "critical")  # axe-core's impacts that fail the audit
FAILURES = ROOT / "build" / "site-test"

spec = importlib.util.spec_from_file_location("book_build", HERE / "build.py")
book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book)


@pytest.fixture(scope="module")
def site(executed_notebooks):
    """Run `make book`'s build (docs/book/build.py) once, from this session's executed copies of
    the notebooks when there is one of each (with ``make test``'s two processes, some from the
    other one: scripts/lanes.py); its output is shown on failure."""
    start = time.perf_counter()
    command = [sys.executable, str(HERE / "build.py")]
    copies = {path: executed_notebooks[path.resolve()].copy for path in NOTEBOOKS if path.resolve() in executed_notebooks}
    copies |= lanes.copies_from_the_other_lane([path for path in NOTEBOOKS if path not in copies])  # make test
    if len(copies) == len(NOTEBOOKS):
        command += ["--executed", str(copies[NOTEBOOKS[0]].parent)]
    run = subprocess.run(command, capture_output=True, text=True)
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


@pytest.mark.parametrize("edition", EDITIONS)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_figure_is_on_its_page_as_a_png(site, path, edition):
    page = EDITIONS[edition] / "notebooks" / f"{path.stem}.html"
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


def test_no_asset_is_stored_twice(site):
    """Across the whole published folder: the editions share MathJax, the theme and the figures."""
    seen = {}
    for path in sorted(SITE.rglob("*")):
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


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium driven by Playwright; the test is skipped, saying why, without them."""
    path = find_chromium()
    if path is None:
        pytest.skip("no Chromium (no `chromium` on the PATH, no /usr/bin/chromium, or AEHELPERS_CHROMIUM=none): "
                    "the pages are not checked in a browser; on Debian `apt-get install chromium`")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="Playwright for Python is not installed: the pages are not checked in a browser")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=FLAGS)
        yield browser
        browser.close()


@contextlib.contextmanager
def opened(browser, page_file: Path):
    """``page_file`` open in a fresh tab that cannot leave the machine, with MathJax done;
    yields (tab, requests made, JavaScript errors). A screenshot is kept if the block fails."""
    page = browser.new_page()
    requests, errors = [], []
    page.on("request", lambda request: requests.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route(re.compile(r"^(https?|wss?)://"), lambda route: route.abort())  # never leave the machine
    try:
        page.goto(page_file.as_uri())
        if MATH in page_file.read_text(encoding="utf-8"):
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                                   timeout=30_000)
            page.evaluate("() => MathJax.startup.promise")
        yield page, requests, errors
    except Exception:
        FAILURES.mkdir(parents=True, exist_ok=True)
        shot = FAILURES / f"{page_file.stem}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"screenshot of the failing page: {shot}")
        raise
    finally:
        page.close()


def test_math_renders_in_headless_chromium(site, chromium):
    page_file = _math_page(site)
    spans = page_file.read_text(encoding="utf-8").count(MATH)
    assert spans > 0, "no math on any notebook page"
    with opened(chromium, page_file) as (page, requests, errors):
        typeset = page.evaluate("() => document.querySelectorAll('mjx-container').length")
        failed = page.evaluate("() => document.querySelectorAll('mjx-merror').length")
        raw = re.findall(r"\$[^$\n]{1,80}\$|\\\(.{1,80}?\\\)|\\\[.{1,80}?\\\]", page.evaluate(PROSE))
        remote = [url for url in requests if not url.startswith(("file:", "data:", "blob:"))]
        assert typeset == spans, f"{spans} math elements, {typeset} typeset by MathJax"
        assert failed == 0, f"{failed} formulas with TeX errors"
        assert raw == [], f"raw TeX left in the text: {raw[:5]}"
        assert remote == [], f"requests to the network: {remote}"
        assert errors == [], f"JavaScript errors: {errors}"


@pytest.fixture(scope="module")
def axe():
    """axe-core's script (build/axe-core/axe.min.js, fetched with npm pack if missing)."""
    try:
        return book.ensure_axe().read_text(encoding="utf-8")
    except SystemExit as err:
        pytest.skip(f"axe-core is not available, so the pages are not audited: {err}")


def describe_violations(violations: list[dict]) -> list[str]:
    """One line per axe-core violation: rule, impact, what it asks for, where (the first 3 nodes)."""
    lines = []
    for v in violations:
        where = "; ".join(" ".join(node["target"]) if isinstance(node["target"], list) else str(node["target"])
                          for node in v["nodes"][:3])
        lines.append(f"{v['id']} ({v['impact']}, {len(v['nodes'])} elements): {v['help']} -- e.g. {where}")
    return lines


PAGES = [f"{edition}/{name}" for edition in EDITIONS
         for name in ["index"] + [f"notebooks/{path.stem}" for path in NOTEBOOKS]]


@pytest.mark.parametrize("name", PAGES)
def test_every_page_passes_an_accessibility_audit(site, chromium, axe, name):
    """axe-core (WCAG 2 A and AA, and its best practices) finds nothing serious or critical."""
    with opened(chromium, SITE / f"{name}.html") as (page, _, _):
        page.add_script_tag(content=axe)
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        serious = [v for v in result["violations"] if v["impact"] in SERIOUS]
        assert not serious, f"{name}.html:\n  " + "\n  ".join(describe_violations(serious))


# --- the Chinese edition ---------------------------------------------------------------------

def _text(page: Path) -> str:
    """A page's text, tags removed, entities decoded, white space collapsed."""
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page.read_text(encoding="utf-8"))))


def _links_to(page: Path, language: str) -> Path | None:
    """The file the page's language switch points to for ``language`` ("en", "zh-CN")."""
    href = book.counterpart_links(page).get(language)
    return None if href is None else (page.parent / href).resolve()


def test_the_chinese_edition_has_a_page_per_notebook_linked_both_ways(site):
    assert (SITE / "index.html").is_file(), "the entrance page"
    assert 'lang="zh-CN"' in (ZH / "index.html").read_text(encoding="utf-8")
    landing = (ZH / "index.html").read_text(encoding="utf-8")
    positions = []
    for path in NOTEBOOKS:
        en, zh = HTML / "notebooks" / f"{path.stem}.html", ZH / "notebooks" / f"{path.stem}.html"
        assert zh.is_file(), f"no Chinese page for {path.name}"
        assert _links_to(zh, "en") == en.resolve(), f"{zh.name}: no link to its English page"
        assert _links_to(en, "zh-CN") == zh.resolve(), f"{en.name}: no link to its Chinese page"
        title = _title(path)
        chinese = i18n.current(i18n.load_catalog(path))[title]
        h1 = re.search(r"<h1>(.*?)</h1>", zh.read_text(encoding="utf-8"), re.S).group(1)
        assert chinese in html.unescape(re.sub(r"<[^>]+>", "", h1)), f"{zh.name} is not titled {chinese!r}"
        link = f'href="notebooks/{path.stem}.html"'
        assert link in landing, f"the Chinese landing page does not link {path.name}"
        positions.append(landing.index(link))
    assert positions == sorted(positions), "the Chinese landing page lists the notebooks in their order"
    assert _links_to(ZH / "index.html", "en") == (HTML / "index.html").resolve()
    assert _links_to(HTML / "index.html", "zh-CN") == (ZH / "index.html").resolve()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_chinese_page_renders_the_same_execution_with_the_translated_prose(site, path):
    """The Chinese page is the same executed notebook (code, printed output, figures: the same
    <pre> blocks and images as the English page), and every translated unit is on it (its longest
    run of Chinese characters; a translation Sphinx ignored, such as an unescaped "1. ", leaves the
    English instead)."""
    assert (OUT / "src-zh_CN" / "notebooks" / path.name).read_bytes() == \
        (OUT / "src" / "notebooks" / path.name).read_bytes(), "both editions render the one executed copy"
    en, zh = HTML / "notebooks" / f"{path.stem}.html", ZH / "notebooks" / f"{path.stem}.html"
    blocks = [re.findall(r"<pre>.*?</pre>", page.read_text(encoding="utf-8"), re.S) for page in (en, zh)]
    assert blocks[0] == blocks[1], "the code and its outputs differ between the editions"
    images = [[Path(src).name for src in book.page_images(page) if "_images/" in src] for page in (en, zh)]
    assert images[0] == images[1], "the figures differ between the editions"
    text, missing = _text(zh), []
    for entry in i18n.load_catalog(path):
        runs = re.findall(r"[\u4e00-\u9fff，。：；、（）“”]+", entry.msgstr) if not entry.obsolete else []
        if runs and max(runs, key=len) not in text:
            missing.append(entry.msgstr[:60])
    assert not missing, f"{zh.name}: translations not shown:\n  " + "\n  ".join(missing)
