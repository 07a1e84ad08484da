"""Sphinx configuration of the companion's static site (`make book`).

`docs/book/build.py` copies this file into the assembled source folder
(build/book/src) next to the executed notebooks, the landing page and MathJax, so
every path below is relative to that folder. The notebooks arrive executed:
myst-nb only renders them (nb_execution_mode = "off"). Nothing here is fetched from
the network, at build time or when a page is viewed.
"""

project = "Autoencoders — a course companion"
author = "NYU Deep Learning, week 7"
copyright = "2026 The autoencoders course companion authors (MIT licence)"

extensions = ["myst_nb"]  # myst-nb brings myst-parser (Markdown) with it

# The notebooks are executed by build.py (fresh kernel each, model cache warm), not by Sphinx.
nb_execution_mode = "off"
# The notebooks' prose writes math as $...$ and $$...$$; \begin{align} blocks too.
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
# Markdown that a cell displays (notebook 05's result tables) is MyST too: tables and math.
nb_render_markdown_format = "myst"
nb_merge_streams = True  # consecutive prints of a cell in one block, as in JupyterLab
# Widget outputs are dropped by build.py (each widget notebook shows a static figure first);
# never let myst-nb add its CDN scripts for ipywidgets.
nb_ipywidgets_js = {}

# The theme ships every asset in its wheel and uses the system's fonts.
html_theme = "furo"
html_title = "Autoencoders — a course companion"
html_static_path = ["_static"]
html_js_files = ["keyboard.js"]  # code blocks that scroll sideways take the keyboard focus
html_css_files = ["language.css"]  # the language switch
templates_path = ["_templates"]
# Furo's sidebar with the language switch (_templates/sidebar/language.html) under the site's name.
html_sidebars = {"**": ["sidebar/brand.html", "sidebar/language.html", "sidebar/search.html",
                        "sidebar/scroll-start.html", "sidebar/navigation.html", "sidebar/scroll-end.html"]}
html_copy_source = False  # no second copy of every notebook (outputs included) in _sources/
html_show_sourcelink = False

# MathJax 3 from the npm package `mathjax`, copied into _static/mathjax by build.py.
# tex-svg-full.js holds every TeX extension and draws math as SVG, so it loads no
# further files (no fonts, no extensions) and works from file://.
mathjax_path = "mathjax/tex-svg-full.js"

exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The editions built side by side (build.py writes editions.json: [[code, name], ...]); the language
# switch links each page to the same page in the others. Absent (a lone build), there is no switch.
def _editions():
    import json
    from pathlib import Path

    listed = Path(__file__).with_name("editions.json")
    return json.loads(listed.read_text(encoding="utf-8")) if listed.is_file() else []


html_context = {"site_languages": _editions()}

# The Chinese edition (build.py builds it with -D language=zh_CN): the notebooks' prose comes from
# the gettext catalogs in docs/locales, which build.py copies to locales/ here (Sphinx writes the
# compiled .mo files next to them). One catalog per notebook; scripts/i18n.py extracts and merges
# them (Sphinx's gettext builder, then sphinx-intl) and writes the Chinese notebooks from them.
locale_dirs = ["locales/"]
gettext_compact = False
gettext_uuid = False
gettext_additional_targets = []  # display math and code blocks are extracted as they are, never changed


# Alt text of the notebooks' figures. myst-nb names each image file after the SHA-256 of its
# bytes and gives it no alt text (Sphinx then writes the file name); build.py writes
# figure_alt.json, {SHA-256: the figure's title and panel titles}, recorded when the figure was
# drawn (scripts/recorded_run.py).
def _figure_alt_texts(app, doctree):
    import json
    from pathlib import Path

    from docutils import nodes

    table = Path(app.srcdir) / "figure_alt.json"
    alts = json.loads(table.read_text(encoding="utf-8")) if table.is_file() else {}
    for image in doctree.findall(nodes.image):
        alt = alts.get(Path(image["uri"]).stem)
        if alt and not image.get("alt"):
            image["alt"] = alt


def setup(app):
    app.connect("doctree-read", _figure_alt_texts)
