"""The Chinese edition (scripts/i18n.py): every unit of prose translated and current, the translation
faithful to the English's formulas, links, inline code and images, the glossary followed, and the
Chinese notebooks what the catalogs make of the English ones, their code byte for byte.

Fast: no notebook runs, no Sphinx build (the catalogs' msgids are Sphinx's; the first test proves
that scripts/i18n.py cuts the notebooks' markdown into the same units). When the English prose
changes, these tests fail until `make i18n-update`, the translation of what it reports, and
`make i18n-notebooks`. The Chinese site is checked by docs/book/test_site.py.
"""

import difflib
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import i18n  # scripts/ is on pytest's pythonpath (pyproject.toml)
import nbformat
import pytest
from notebook_list import NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
IDS = {"ids": lambda p: p.name}

# Catalog entries that justifiably lack a glossary term's Chinese: (notebook, English form, the
# start of the msgid) -> why.
GLOSSARY_EXCEPTIONS = {
    ("07-applications.ipynb", "tied", "Write `auc_by_pairs"):
        '"tied pairs" are pairs whose scores tie (平局), not tied weights (绑定权重)',
}


def _entries(path: Path):
    """The catalog's live entries (not obsolete), in order."""
    return [e for e in i18n.load_catalog(path) if not e.obsolete]


def test_the_issue_s_terms_are_in_the_glossary():
    terms = {row["English"]: row["中文"] for row in glossary()}
    for english, chinese in {"autoencoder": "自动编码器", "denoising autoencoder": "降噪自动编码器",
                             "contractive": "压缩式", "manifold": "流形", "latent space": "潜在空间",
                             "hidden layer": "隐藏层", "reconstruct / reconstruction": "重建",
                             "encoder": "编码器", "decoder": "解码器"}.items():
        assert terms.get(english) == chinese, f"glossary: {english} -> {terms.get(english)}, the notes say {chinese}"
    assert any(english.startswith("interpolation") and chinese == "插值" for english, chinese in terms.items())


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_the_catalog_holds_exactly_the_units_of_the_english_notebook(path):
    """The catalog (Sphinx's gettext extraction, merged by sphinx-intl) and scripts/i18n.py's cut of
    the English notebook's markdown agree unit for unit: an English change shows up here until
    `make i18n-update` has merged it."""
    catalog = [e.msgid for e in _entries(path)]
    units = i18n.msgids(nbformat.read(path, as_version=4))
    new = [m for m in units if m not in catalog]
    gone = [m for m in catalog if m not in units]
    report = []
    for m in new:
        was = difflib.get_close_matches(m, gone, n=1, cutoff=0.6)
        report.append(f"  changed: {i18n.difference(m, was[0])}" if was else f"  new: {m[:100]!r}")
    report += [f"  removed: {m[:100]!r}" for m in gone
               if not any(difflib.get_close_matches(n, [m], n=1, cutoff=0.6) for n in new)]
    assert not new and not gone, (
        f"{path.name}: the English prose changed; run `make i18n-update`, translate what it reports, "
        "then `make i18n-notebooks`.\n" + "\n".join(report))


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_every_unit_has_a_current_translation(path):
    """No entry empty, none fuzzy (an English change that the Chinese has not followed yet)."""
    empty = [e.msgid for e in _entries(path) if not e.msgstr]
    fuzzy = [e for e in _entries(path) if e.fuzzy]
    assert not empty and not fuzzy, (
        f"{i18n.catalog_path(path).relative_to(ROOT)}: {len(empty)} untranslated, {len(fuzzy)} fuzzy "
        "(the English changed: check the Chinese, then remove the fuzzy flag)\n"
        + "".join(f"  untranslated: {m[:100]!r}\n" for m in empty)
        + "".join(f"  fuzzy: {i18n.difference(e.msgid, e.previous_msgid) if e.previous_msgid else repr(e.msgid[:100])}\n"
                  for e in fuzzy))


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="no msgfmt (GNU gettext): the catalogs are "
                    "checked with polib only; on Debian `apt-get install gettext`")
@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_msgfmt_counts_every_message_translated(path):
    """GNU gettext's own count (``sphinx-intl stat`` would count fuzzy entries as translated). The
    header and domain are checked, not printf formats: Babel flags prose such as "20 % of" as
    python-format, which it is not."""
    run = subprocess.run(["msgfmt", "--check-header", "--check-domain", "--statistics", "-o", "/dev/null",
                          str(i18n.catalog_path(path))],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert re.fullmatch(rf"{len(_entries(path))} translated messages?\.", run.stderr.strip()), run.stderr


def _parts(markdown: str) -> dict[str, list[str]]:
    """The parts of a unit that a translation must keep as they are, each kind sorted: inline and
    display math, inline code, link targets and images (as MyST parses the unit)."""
    kinds = {"math": [], "code": [], "link": [], "image": []}

    def walk(tokens):
        for tok in tokens:
            if tok.type.startswith("math"):
                kinds["math"].append(tok.content)
            elif tok.type == "code_inline":
                kinds["code"].append(tok.content)
            elif tok.type == "link_open":
                kinds["link"].append(tok.attrGet("href"))
            elif tok.type == "image":
                kinds["image"].append(tok.attrGet("src"))
            walk(tok.children or [])

    walk(i18n._parser().parse(markdown))
    return {kind: sorted(found) for kind, found in kinds.items()}


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_translations_keep_formulas_links_inline_code_and_images(path):
    changed = []
    for e in _entries(path):
        if e.msgstr:
            english, chinese = _parts(e.msgid), _parts(e.msgstr)
            for kind in english:
                if english[kind] != chinese[kind]:
                    lost = Counter(english[kind]) - Counter(chinese[kind])
                    added = Counter(chinese[kind]) - Counter(english[kind])
                    changed.append(f"{e.msgid[:60]!r}: {kind} lost {list(lost)}, added {list(added)}")
    assert not changed, f"{path.name}:\n  " + "\n  ".join(changed)


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_every_translation_is_read_as_one_paragraph(path):
    """Sphinx applies a translation only if MyST parses it as a single paragraph: "1. …" (a list),
    "# …" (a heading) or a blank line would be ignored without a word. Write "1\\. …"."""
    bad = []
    for e in _entries(path):
        if not e.msgstr or e.msgstr == e.msgid:
            continue
        kinds = [tok.type for tok in i18n._parser().parse(e.msgstr) if tok.level == 0]
        if kinds != ["paragraph_open", "paragraph_close"] or i18n.unescaped_list_start(e.msgstr):
            bad.append(f"{e.msgstr[:50]!r} is read as {kinds[0] if kinds else 'nothing'}")
    assert not bad, f"{path.name}:\n  " + "\n  ".join(bad)


def glossary() -> list[dict[str, str]]:
    """The rows of docs/locales/zh_CN/GLOSSARY.md's table."""
    lines = [line for line in i18n.GLOSSARY.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    return [dict(zip(head, (c.strip() for c in line.strip("|").split("|")))) for line in lines[2:]]


def _prose(markdown: str) -> str:
    """The words of a unit, without inline code, math and link targets."""
    text = re.sub(r"`[^`]*`", " ", markdown)
    text = re.sub(r"\$\$.*?\$\$|\$[^$]*\$", " ", text)
    return re.sub(r"\]\([^)]*\)", "]", text)


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_translations_use_the_glossary_s_terms(path):
    """Each English entry that uses a glossary term (a form of it starts a word) has the term's
    Chinese in its translation, save the listed exceptions."""
    rows = [(row["English"], [f.strip() for f in row["English"].split(" / ")], row["中文"]) for row in glossary()]
    missing, used = [], set()
    for e in _entries(path):
        if not e.msgstr or e.msgstr == e.msgid:
            continue
        prose = _prose(e.msgid)
        for english, forms, chinese in rows:
            if not any(re.search(rf"(?<![\w-]){re.escape(form)}", prose, re.I) for form in forms):
                continue
            if chinese.lower() in e.msgstr.lower():
                continue
            key = next((k for k in GLOSSARY_EXCEPTIONS if k[0] == path.name and k[1] == english
                        and e.msgid.startswith(k[2])), None)
            if key:
                used.add(key)
            else:
                missing.append(f"{english} -> {chinese}: {e.msgid[:70]!r}\n      {e.msgstr[:70]!r}")
    assert not missing, f"{path.name}: the glossary's term is missing:\n  " + "\n  ".join(missing)


def test_every_glossary_exception_is_still_needed():
    for notebook, english, start in GLOSSARY_EXCEPTIONS:
        path = ROOT / "notebooks" / notebook
        assert path in NOTEBOOKS, notebook
        assert any(e.msgid.startswith(start) for e in _entries(path)), f"no entry {start!r} in {notebook} any more"


# --- the Chinese notebooks ------------------------------------------------------------------

@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_the_chinese_notebook_is_up_to_date(path):
    """notebooks/zh_CN/NN-name.ipynb is what `make i18n-notebooks` writes from the English notebook
    and its catalog now."""
    target = i18n.OUT / path.name
    assert target.is_file(), f"no {target.relative_to(ROOT)}: run `make i18n-notebooks`"
    nb, missing = i18n.translated_notebook(path)
    assert not missing, f"{path.name}: {len(missing)} units without a current translation"
    assert target.read_text(encoding="utf-8") == i18n.notebook_text(nb), \
        f"{target.relative_to(ROOT)} is out of date: run `make i18n-notebooks`"


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_the_chinese_notebook_has_the_english_code_and_the_translated_prose(path):
    english = nbformat.read(path, as_version=4)
    chinese = nbformat.read(i18n.OUT / path.name, as_version=4)
    assert chinese.metadata.kernelspec == english.metadata.kernelspec and chinese.metadata.kernelspec.name == "python3"
    assert [c.cell_type for c in chinese.cells] == [c.cell_type for c in english.cells]
    table = i18n.current(i18n.load_catalog(path))
    for index, (en, zh) in enumerate(zip(english.cells, chinese.cells)):
        assert zh.get("id") == en.get("id") and zh.metadata == en.metadata, f"cell {index}"
        if en.cell_type == "code":
            assert zh.source.encode() == en.source.encode(), f"cell {index}: the code is not the English, byte for byte"
            assert zh.outputs == [] and zh.execution_count is None, f"cell {index}: outputs"
        elif en.cell_type == "markdown":
            # parsed again, the Chinese cell has the English cell's units, each its translation
            en_units, zh_units = i18n.segment(en.source), i18n.segment(zh.source)
            assert [u.kind for u in zh_units] == [u.kind for u in en_units], f"cell {index}: structure changed"
            for a, b in zip(en_units, zh_units):
                expected = a.msgid if a.kind == "literal" else table.get(a.msgid, a.msgid).replace("\n", " ").strip()
                assert b.msgid == expected, (
                    f"cell {index}: the Chinese notebook does not hold the current translation of "
                    f"{a.msgid[:60]!r} (run `make i18n-update`, translate, then `make i18n-notebooks`)")


def test_the_chinese_notebooks_find_data_and_models_as_the_english_do():
    """They sit one folder deeper (notebooks/zh_CN/): nothing in them may depend on the folder they
    run from. aehelpers finds the data and the model cache from its own location (data_dir), and no
    notebook names a relative path."""
    import aehelpers.data as data

    assert data.REPO_ROOT == ROOT, "aehelpers is imported from this checkout"
    for path in NOTEBOOKS:
        code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code")
        assert not re.search(r"""["'](\.\.?/|data/|notebooks/)""", code), f"{path.name} uses a relative path"
        assert "os.chdir" not in code and "Path.cwd" not in code and "getcwd" not in code, path.name


def test_a_changed_english_sentence_fails_until_the_catalog_is_updated(tmp_path, monkeypatch):
    """The mechanism, on a copy: one English sentence edited -> its unit has no current translation,
    `check` reports it, and the Chinese notebook keeps that unit in English."""
    path = NOTEBOOKS[0]
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "markdown" and len(i18n.segment(c.source)) > 2)
    unit = next(u for u in i18n.segment(cell.source) if u.kind == "text" and " " in u.first)
    cell.source = cell.source.replace(unit.first, unit.first.replace(" ", " the ", 1), 1)
    edited = next(u.msgid for u in i18n.segment(cell.source) if u.lines == unit.lines)
    copy = tmp_path / path.name
    nbformat.write(nb, copy)
    monkeypatch.setattr(i18n, "catalog_path", lambda notebook: i18n.CATALOGS / f"{notebook.stem}.po")
    assert edited not in i18n.current(i18n.load_catalog(path))
    _, missing = i18n.translated_notebook(copy)
    assert edited in missing, "the edited unit stays English in the Chinese notebook"
    found = i18n.problems([copy], out=tmp_path / "zh_CN")
    assert any("not in the catalog" in line and edited[:40] in line for line in found), found


@pytest.mark.parametrize("path", NOTEBOOKS, **IDS)
def test_an_unusual_term_of_the_notes_comes_with_the_common_one(path):
    """Where the glossary says the notes' word is unusual (未完成 for under-complete), a notebook
    that uses it also gives the common term (欠完备), in parentheses where it introduces it."""
    texts = [e.msgstr for e in _entries(path) if e.msgstr and e.msgstr != e.msgid]
    missing = []
    for row in glossary():
        common = re.split(r"[（(、]", row["常用译法"])[0].strip()
        if common and any(row["中文"] in t for t in texts) and not any(common in t for t in texts):
            missing.append(f"{row['中文']} without {common}")
    assert not missing, f"{path.name}: " + "; ".join(missing)


def test_a_student_finds_the_chinese_edition():
    """README.md links README.zh-CN.md in its first lines; the Chinese README maps every Chinese
    notebook and gives the two commands; `make lab-zh` opens notebooks/zh_CN/."""
    first_lines = "\n".join((ROOT / "README.md").read_text(encoding="utf-8").splitlines()[:5])
    assert "(README.zh-CN.md)" in first_lines
    readme = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        assert f"(notebooks/zh_CN/{path.name})" in readme, f"README.zh-CN.md does not map {path.name}"
    assert "make lab-zh" in readme and "make test" in readme and "(README.md)" in readme
    assert "英文" in readme and "代码" in readme, "it says that code, messages and figure labels stay English"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert re.search(r"^lab-zh: .*\n\t\$\(BIN\)/jupyter lab notebooks/zh_CN/$", makefile, re.M)
    assert re.search(r"^i18n-update: .*\n\t.*scripts/i18n.py update$", makefile, re.M)
    assert re.search(r"^i18n-notebooks: .*\n\t.*scripts/i18n.py notebooks$", makefile, re.M)
