"""`make book`: execute every notebook and build the companion's static HTML site, offline.

Run from anywhere (the Makefile calls it with the project's virtual environment):

    .venv/bin/python docs/book/build.py                 # -> build/book/html/index.html
    .venv/bin/python docs/book/build.py --languages en  # the English edition only

The site has two editions side by side, ``build/book/html/en/`` and ``build/book/html/zh_CN/``
(the Chinese: Sphinx ``language = "zh_CN"``, the notebooks' prose from the gettext catalogs in
``docs/locales``), each page linking to its counterpart in the other (relative links, a small
sidebar template fed by ``html_context``); ``build/book/html/index.html`` leads to the English.
Both editions render the same executed notebooks: nothing is executed twice.

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
4. Sphinx + myst-nb render ``build/book/src`` (this folder's ``conf.py``, ``index.md``,
   ``keyboard.js`` and ``_templates/``, ``docs/results.png``, the notebooks, MathJax, the figures'
   alt texts) into ``build/book/html/en``; then ``build/book/src-zh_CN`` (the same, with
   ``index.zh_CN.md`` and the catalogs) with ``-D language=zh_CN`` into ``build/book/html/zh_CN``.
   The files the two editions share byte for byte (MathJax, the theme, every figure) are kept
   once, in ``en/``, and the Chinese pages point there (``share_assets``).
5. The site is checked (``site_problems``): a page per notebook in each edition, linked to its
   counterpart in the other, every figure present as an image with alt text that says what it
   shows, and no page loading anything from the network. Any problem fails the build.

``docs/book/test_site.py`` runs this build as part of ``make test`` and adds checks in
headless Chromium: the math renders, and an accessibility audit (axe-core) of every page.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import html.parser
import json
import os
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
LOCALES = ROOT / "docs" / "locales"  # the gettext catalogs of the Chinese edition (scripts/i18n.py)
# The editions of the site: language code -> (its name in its own language, html_title, README with
# the notebook map, landing-page template). The first one is the default (html/index.html leads to it).
LANGUAGES = {
    "en": ("English", "Autoencoders — a course companion", "README.md", "index.md"),
    "zh_CN": ("简体中文", "自动编码器 — 课程配套笔记本", "README.zh-CN.md", "index.zh_CN.md"),
}

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
                part = cache / f"{name}.{os.getpid()}.part"  # (two test processes may fetch at once)
                part.write_bytes(data)
                part.replace(cache / name)  # no half-written file in the cache
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
    """``{notebook file name: what it shows}`` from the README's notebook map (README.zh-CN.md's
    rows name ``notebooks/zh_CN/NN-name.ipynb``)."""
    if not readme.is_file():
        return {}
    rows = re.findall(r"^\|\s*\[`notebooks/(?:[A-Za-z_]+/)?([^`/]+\.ipynb)`\]\([^)]*\)\s*\|(.*)\|\s*$",
                      readme.read_text(encoding="utf-8"), re.M)
    return {name: text.strip() for name, text in rows}


def landing_page(template: str, notebooks: list[Path], data_note: str, language: str = "en") -> str:
    """index.md: the template with the notebook map (README's descriptions) and the data line."""
    about = readme_descriptions(ROOT / LANGUAGES[language][2])
    head = "| notebook | what it shows |" if language == "en" else "| 笔记本 | 内容 |"
    rows = [head, "|---|---|"]
    rows += [f"| {{doc}}`notebooks/{path.stem}` | {about.get(path.name, '')} |" for path in notebooks]
    return (template.replace("{{ notebook_map }}", "\n".join(rows))
            .replace("{{ data_note }}", data_note))


DATA_NOTES = {
    "en": ("The pages were built on full MNIST (60,000 training and 10,000 test digits), "
           "with the lecture's recipe.",
           "**These pages were built on the bundled sample of MNIST**, not on full MNIST, "
           "so their numbers differ from the README's; run `make book` with full MNIST in "
           "`data/MNIST/raw/` for the real ones."),
    "zh_CN": ("这些页面是在完整 MNIST（60,000 个训练数字和 10,000 个测试数字）上、按讲座的配方生成的。",
              "**这些页面是在内置的 MNIST 样本上生成的**，而不是在完整 MNIST 上，所以其中的数字与 "
              "README 中的不同；把完整 MNIST 放进 `data/MNIST/raw/` 后再运行 `make book`，即可得到真实的数字。"),
}


def data_note(notebooks: list[Path], language: str = "en") -> str:
    """One sentence on the digits the pages ran on, read from the setup cells' output."""
    seen = set()
    for path in notebooks:
        for cell in nbformat.read(path, as_version=4).cells:
            for out in cell.get("outputs", []):
                match = re.search(r"data: (full MNIST|bundled MNIST sample)", out.get("text", ""))
                if match:
                    seen.add(match.group(1))
    if seen == {"full MNIST"}:
        return DATA_NOTES[language][0]
    if seen:
        return DATA_NOTES[language][1]
    return ""


# ---------------------------------------------------------------------------------------------
# 4. Sphinx


def render(src: Path, html: Path, doctrees: Path | None = None, language: str = "en") -> None:
    """Sphinx (HTML builder) from ``src`` into a fresh ``html``, in ``language``; its warnings are printed."""
    doctrees = doctrees or html.parent / "doctrees"
    for old in (html, doctrees):
        shutil.rmtree(old, ignore_errors=True)
    options = [] if language == "en" else ["-D", f"language={language}", "-D", f"html_title={LANGUAGES[language][1]}",
                                           "-D", f"project={LANGUAGES[language][1]}"]
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(doctrees), *options,
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


LINKED = re.compile(r"""(\s(?:src|href)=")([^"]+)(")""")


def share_assets(site: Path, languages: list[str]) -> int:
    """Keep once what the editions share: every file of ``_static/`` and ``_images/`` that the
    first edition holds byte for byte is deleted from the others, whose pages then point to the
    first edition's copy (a relative link, e.g. ``../../en/_images/x.png``: it works from file://
    and on any static host). Returns the bytes saved."""
    import filecmp
    import os

    first, saved = site / languages[0], 0
    for language in languages[1:]:
        base = site / language
        shared = {}
        for folder in ("_static", "_images"):
            for path in (base / folder).rglob("*"):
                twin = first / path.relative_to(base)
                if path.is_file() and twin.is_file() and filecmp.cmp(path, twin, shallow=False):
                    shared[path.resolve()] = twin

        for page in base.rglob("*.html"):
            def relink(match, page=page):
                url = match.group(2)
                cut = min([i for i in (url.find("?"), url.find("#")) if i >= 0], default=len(url))
                local = _local(page, url[:cut])
                if local is None or is_remote(url) or local not in shared:
                    return match.group(0)
                new = Path(os.path.relpath(shared[local], page.parent)).as_posix()
                return match.group(1) + new + url[cut:] + match.group(3)

            text = page.read_text(encoding="utf-8")
            page.write_text(LINKED.sub(relink, text), encoding="utf-8")
        for path in shared:
            saved += path.stat().st_size
            path.unlink()
        for folder in sorted(base.rglob("*"), reverse=True):  # the folders left empty
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
    return saved


def write_entrance(site: Path, languages: list[str]) -> Path:
    """``site/index.html``: leads to the first edition (at once) and names every edition."""
    links = "\n".join(f'    <li><a href="{code}/index.html" hreflang="{code.replace("_", "-")}" '
                      f'lang="{code.replace("_", "-")}">{LANGUAGES[code][1]} ({LANGUAGES[code][0]})</a></li>'
                      for code in languages)
    page = site / "index.html"
    page.write_text(f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta http-equiv="refresh" content="0; url={languages[0]}/index.html">
  <title>{LANGUAGES[languages[0]][1]}</title>
</head>
<body>
  <main>
  <h1>{LANGUAGES[languages[0]][1]}</h1>
  <ul>
{links}
  </ul>
  </main>
</body>
</html>
""", encoding="utf-8")
    return page


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


def source_folder(out: Path, language: str) -> Path:
    """Where the site's source of an edition is assembled: ``out/src`` (English), ``out/src-zh_CN``."""
    return out / "src" if language == "en" else out / f"src-{language}"


def counterpart_links(page: Path) -> dict[str, str]:
    """``{language: href}`` of the language switch on a page (the sidebar's ``rel="alternate"`` links)."""
    text = page.read_text(encoding="utf-8")
    return {lang: href for href, lang in re.findall(
        r'<a [^>]*href="([^"]+)"[^>]*hreflang="([^"]+)"[^>]*rel="alternate"', text)}


def site_problems(out: Path) -> list[str]:
    """What is wrong with the site in ``out/html`` built from the notebooks in ``out/src`` (and
    ``out/src-zh_CN``).

    An entrance page; in each edition (``out/html/en``, ``out/html/zh_CN``, those built) a
    landing page and a page per notebook, each linked to the same page in every other edition;
    each figure present as an <img> whose file exists (as many images on the page as figures in
    the executed notebook, at least), with alt text that is not its file name (alt_problem); no
    solution markers left; no Markdown table left as text; no remote assets (remote_assets).
    """
    site, problems = out / "html", []
    editions = [language for language in LANGUAGES if (site / language).is_dir()]
    if not (site / "index.html").is_file():
        problems.append(f"no entrance page {site / 'index.html'}")
    if not editions:
        return problems + [f"no edition of the site in {site}/"]
    for language in editions:
        html_dir = site / language
        if not (html_dir / "index.html").is_file():
            problems.append(f"no landing page {html_dir / 'index.html'}")
            continue
        pages = [html_dir / "index.html"]
        for source in sorted((source_folder(out, language) / "notebooks").glob("*.ipynb")):
            page = html_dir / "notebooks" / f"{source.stem}.html"
            where = f"{language}/notebooks/{page.name}"
            if not page.is_file():
                problems.append(f"{source.name}: no page {page}")
                continue
            pages.append(page)
            nb = nbformat.read(source, as_version=4)
            text = page.read_text(encoding="utf-8")
            images = page_images(page)
            for src, alt in image_alts(page).items():
                if is_remote(src) or (_local(page, src) is not None and not _local(page, src).is_file()):
                    problems.append(f"{where}: image {src} is missing")
                if alt_problem(src, alt):
                    problems.append(f"{where}: image {src} {alt_problem(src, alt)}")
            figures = count_figures(nb)
            if len(images) < figures:
                problems.append(f"{where}: {figures} figures in the notebook, {len(images)} images on the page")
            if student.BEGIN in text or student.END in text:
                problems.append(f"{where}: a solution region is shown")
            prose = re.sub(r"<[^>]+>", "", re.sub(r"<pre[ >].*?</pre>", "", text, flags=re.S))
            if RAW_TABLE.search(prose):
                problems.append(f"{where}: a Markdown table shown as text: {RAW_TABLE.search(prose).group(0)!r}")
        for page in pages:
            links = counterpart_links(page)
            for other in editions:
                if other == language:
                    continue
                href = links.get(other.replace("_", "-"))
                target = page.relative_to(html_dir)
                if href is None:
                    problems.append(f"{language}/{target}: no link to the {LANGUAGES[other][0]} edition")
                elif _local(page, href) != (site / other / target).resolve():
                    problems.append(f"{language}/{target}: its {LANGUAGES[other][0]} link {href} is not "
                                    f"{other}/{target.as_posix()}")
                elif not (site / other / target).is_file():
                    problems.append(f"{language}/{target}: its {LANGUAGES[other][0]} counterpart is missing")
    return problems + remote_assets(site)


# ---------------------------------------------------------------------------------------------


def assemble(src: Path, language: str, mathjax: Path) -> None:
    """A fresh source folder for one edition: conf.py, the theme's extras, MathJax, the results
    figure, and for a translated edition its catalogs (Sphinx compiles them to .mo files there)."""
    shutil.rmtree(src, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    (src / "_static" / "mathjax").mkdir(parents=True)
    shutil.copy2(mathjax, src / "_static" / "mathjax" / MATHJAX_FILE)
    shutil.copy2(mathjax.parent / "LICENSE", src / "_static" / "mathjax" / "LICENSE")
    shutil.copy2(HERE / "conf.py", src / "conf.py")
    for name in ("keyboard.js", "language.css"):
        shutil.copy2(HERE / name, src / "_static" / name)
    shutil.copytree(HERE / "_templates", src / "_templates")
    shutil.copy2(ROOT / "docs" / "results.png", src / "results.png")
    if language != "en":
        shutil.copytree(LOCALES / language, src / "locales" / language,
                        ignore=shutil.ignore_patterns("*.mo", "*.md"))


def build(notebooks: list[Path], out: Path, executed: Path | None = None,
          languages: list[str] | None = None) -> Path:
    """Build the site of ``notebooks`` into ``out/html``, one edition per language (default: all
    of LANGUAGES) in ``out/html/<language>``; returns the entrance page, ``out/html/index.html``.

    Each notebook is executed, or, with ``executed``, its executed copy is read from that folder
    (``executed / path.name``, as conftest.py's notebook items leave them in build/executed/).
    Either way once: every edition renders the same executed copies.
    """
    start = time.perf_counter()
    languages = list(languages or LANGUAGES)
    mathjax = ensure_mathjax()
    for language in languages:
        assemble(source_folder(out, language), language, mathjax)
    src = source_folder(out, languages[0])

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
        for language in languages:
            nbformat.write(nb, source_folder(out, language) / "notebooks" / path.name)
        pages.append(src / "notebooks" / path.name)
        shown.append(nb)
        print(f"  {how} {path.name} in {time.perf_counter() - began:.0f} s", flush=True)

    alts = json.dumps(alt_texts(shown), indent=1, ensure_ascii=False)
    shutil.rmtree(out / "html", ignore_errors=True)
    for language in languages:
        folder = source_folder(out, language)
        (folder / ALT_TEXTS).write_text(alts, encoding="utf-8")
        (folder / "editions.json").write_text(json.dumps([[code, LANGUAGES[code][0]] for code in languages],
                                                         ensure_ascii=False), encoding="utf-8")
        template = (HERE / LANGUAGES[language][3]).read_text(encoding="utf-8")
        (folder / "index.md").write_text(landing_page(template, notebooks, data_note(pages, language), language),
                                         encoding="utf-8")
    # Sphinx renders each edition into out/sphinx/<language>/html, all at once (one process each, on
    # as many cores), then the edition moves into the site: myst-nb writes its jupyter_execute/ folder
    # next to Sphinx's output, which must stay unpublished.
    began = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(languages)) as pool:
        rendering = [pool.submit(render, source_folder(out, language), out / "sphinx" / language / "html",
                                 out / "sphinx" / language / "doctrees", language) for language in languages]
    for job in rendering:
        job.result()  # Sphinx's failure, if any
    for language in languages:
        shutil.move(out / "sphinx" / language / "html", out / "html" / language)
    print(f"  rendered {len(notebooks) + 1} pages in each of {len(languages)} editions in "
          f"{time.perf_counter() - began:.0f} s", flush=True)
    saved = share_assets(out / "html", languages)
    if saved:
        print(f"  {saved / 2**20:.1f} MiB the editions share kept once, in {languages[0]}/")
    entrance = write_entrance(out / "html", languages)

    problems = site_problems(out)
    if problems:
        raise SystemExit("The site has problems:\n  " + "\n  ".join(problems))
    size = sum(f.stat().st_size for f in (out / "html").rglob("*") if f.is_file())
    print(f"site built in {time.perf_counter() - start:.0f} s: {entrance} "
          f"({size / 2**20:.1f} MiB; editions: {', '.join(languages)}); open it in a browser, "
          f"or copy {out / 'html'}/ to any static host")
    return entrance


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description="execute every notebook and build the static site")
    ap.add_argument("--notebooks", type=Path, default=None,
                    help="folder of NN-*.ipynb notebooks (default: notebooks/)")
    ap.add_argument("--executed", type=Path, default=None,
                    help="folder with the notebooks' executed copies (e.g. build/executed): "
                         "render those instead of executing the notebooks")
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "book",
                    help="build folder; the site goes to OUT/html (default: build/book)")
    ap.add_argument("--languages", nargs="+", choices=list(LANGUAGES), default=list(LANGUAGES),
                    help="the editions to build (default: all; the first is the one html/index.html opens)")
    args = ap.parse_args(argv)
    notebooks = notebooks_in(args.notebooks.resolve()) if args.notebooks else NOTEBOOKS
    if not notebooks:
        raise SystemExit(f"no notebooks NN-*.ipynb in {args.notebooks}")
    if args.executed is not None:
        missing = [p.name for p in notebooks if not (args.executed / p.name).is_file()]
        if missing:
            raise SystemExit(f"no executed copy of {', '.join(missing)} in {args.executed}/")
    build(notebooks, args.out.resolve(), args.executed and args.executed.resolve(), args.languages)


if __name__ == "__main__":
    main()
