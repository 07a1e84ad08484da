#!/usr/bin/env python3
"""The Chinese (Simplified) edition: the notebooks' prose in gettext catalogs, the notebooks made from them.

    python scripts/i18n.py update      # make i18n-update: re-extract the English prose, merge it into the catalogs
    python scripts/i18n.py notebooks   # make i18n-notebooks: write notebooks/zh_CN/ from the English + the catalogs
    python scripts/i18n.py check       # what is missing, fuzzy or out of date (exit status 1 if anything is)

The English notebooks (``notebooks/NN-*.ipynb``) are the one source. Their markdown is cut into
the units Sphinx's gettext builder extracts from them (one per paragraph, list item, heading and
table cell, with ``$…$``, bold and inline code kept inside; display math as it is, its entry's
translation the formula itself; code blocks are not extracted), and each unit's Chinese lives in ``docs/locales/zh_CN/LC_MESSAGES/notebooks/NN-name.po``,
one catalog per notebook. The same catalogs serve the Chinese site (Sphinx ``language = "zh_CN"``,
``docs/book/build.py``) and the Chinese notebooks:

* ``update`` copies the English notebooks (outputs stripped: an executed copy would also yield
  its markdown outputs) into ``build/i18n/src/``, runs Sphinx's gettext builder on them with
  ``docs/book/conf.py`` (``gettext_compact = False``: a catalog per notebook) and then
  ``sphinx-intl update -l zh_CN``: a new English unit gets an empty entry, a changed one keeps
  its old Chinese marked *fuzzy*, with the English it was translated from as its previous msgid
  (``#| msgid``), a removed one becomes obsolete (``#~``). Translate what it reports, remove the
  ``fuzzy`` flag, then run ``notebooks``.
* ``notebooks`` writes ``notebooks/zh_CN/NN-name.ipynb``: each English notebook with every
  markdown unit replaced by its translation and every code cell as it is, byte for byte (code,
  printed messages and figure labels stay English). A unit without a current translation
  stays English and is reported.

The segmentation is myst-parser's own markdown-it parser, configured from docs/book/conf.py
exactly as Sphinx's myst-nb parses the notebooks, so a unit's text is Sphinx's msgid
(``tests/test_i18n.py`` proves it against the catalogs). A translation must be a single
paragraph in MyST: one starting with "1. " would be parsed as a list and silently ignored by
Sphinx, so it is written ``1\\. `` (``check`` reports it).
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import re
import shutil
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from notebook_list import NOTEBOOKS, ROOT  # noqa: E402

LANGUAGE = "zh_CN"
LOCALES = ROOT / "docs" / "locales"
CATALOGS = LOCALES / LANGUAGE / "LC_MESSAGES" / "notebooks"
GLOSSARY = LOCALES / LANGUAGE / "GLOSSARY.md"
OUT = ROOT / "notebooks" / LANGUAGE
WORK = ROOT / "build" / "i18n"
CONF = ROOT / "docs" / "book" / "conf.py"
LIST_START = re.compile(r"^\s*(\d{1,9}[.)]|[-+*])(\s|$)")  # what MyST reads as the start of a list
HEADING_START = re.compile(r"^\s*#{1,6}(\s|$)")


# ---------------------------------------------------------------------------------------------
# The units of a markdown cell, as Sphinx extracts them


@dataclasses.dataclass
class Unit:
    """One translatable unit of a markdown cell.

    ``kind``: "text" (a paragraph, list item or heading: its msgid is its inline markdown, lines
    joined by spaces), "cell" (a table cell, in row ``lines[0]``, column ``column``) or "literal"
    (display math or a code block: its msgid is its content, line breaks kept; it stays as it is).
    ``lines``: the cell's lines it spans, [start, end). ``first``: its text on its first line.
    """

    msgid: str
    kind: str
    lines: tuple[int, int]
    column: int = -1
    first: str = ""


def _conf() -> dict:
    """The MyST settings of docs/book/conf.py (the site's, so the same parse as Sphinx's)."""
    spec = importlib.util.spec_from_file_location("book_conf", CONF)
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    return {name: getattr(conf, name) for name in dir(conf) if name.startswith(("myst_", "gettext_"))}


@lru_cache(maxsize=1)
def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser

    conf = _conf()
    settings = {name.removeprefix("myst_"): value for name, value in conf.items() if name.startswith("myst_")}
    settings["enable_extensions"] = set(settings.get("enable_extensions", ()))
    return create_md_parser(MdParserConfig(**settings), RendererHTML)


def segment(source: str) -> list[Unit]:
    """The translatable units of one markdown cell, in order."""
    tokens = _parser().parse(source)
    units, row, column = [], None, 0
    for i, tok in enumerate(tokens):
        if tok.type == "tr_open":
            row, column = tok.map, 0
        elif tok.type in ("th_open", "td_open"):
            inline = tokens[i + 1]
            text = inline.content if inline.type == "inline" else ""
            units.append(Unit(text.replace("\n", " ").strip(), "cell", tuple(row), column))
            column += 1
        elif tok.type == "inline" and tokens[i - 1].type in ("paragraph_open", "heading_open"):
            block = tokens[i - 1]
            units.append(Unit(tok.content.replace("\n", " ").strip(), "text", tuple(block.map),
                              first=tok.content.split("\n", 1)[0].strip()))
        elif tok.type in ("math_block", "math_block_label", "amsmath"):
            # display math is extracted as it is (code blocks are not: gettext_additional_targets)
            units.append(Unit(_myst_strip_blank_lines(tok.content), "literal", tuple(tok.map)))
    return [u for u in units if u.msgid.strip()]


def _myst_strip_blank_lines(text: str) -> str:
    from myst_parser.mdit_to_docutils.base import strip_blank_lines

    return strip_blank_lines(text)


def msgids(nb: nbformat.NotebookNode) -> list[str]:
    """Every unit's msgid in the notebook's markdown cells, in order, each once."""
    seen = {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for unit in segment(cell.source):
                seen.setdefault(unit.msgid, None)
    return list(seen)


# ---------------------------------------------------------------------------------------------
# Catalogs


def catalog_path(notebook: Path) -> Path:
    return CATALOGS / f"{notebook.stem}.po"


def load_catalog(notebook: Path):
    import polib

    return polib.pofile(str(catalog_path(notebook)), wrapwidth=0)


def current(po) -> dict[str, str]:
    """``{msgid: msgstr}`` of the entries with a current translation (not fuzzy, not obsolete, not empty)."""
    return {e.msgid: e.msgstr for e in po if e.msgstr and not e.fuzzy and not e.obsolete}


def difference(new: str, old: str, context: int = 40) -> str:
    """The two texts from a little before their first difference: what an editor changed."""
    at = next((i for i, (a, b) in enumerate(zip(new, old)) if a != b), min(len(new), len(old)))
    start = max(0, at - context)
    return f"now  ...{new[start:start + 2 * context + 40]!r}\n    was  ...{old[start:start + 2 * context + 40]!r}"


def unescaped_list_start(msgstr: str) -> bool:
    """True when MyST would read the translation as a list or a heading, not a paragraph
    ("1. …", "- …"): Sphinx then ignores it and shows the English. Write "1\\. …"."""
    return bool(LIST_START.match(msgstr) or HEADING_START.match(msgstr))


# ---------------------------------------------------------------------------------------------
# The Chinese notebooks


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cells) + " |"


def translate_markdown(source: str, table: dict[str, str]) -> tuple[str, list[str]]:
    """``source`` with each unit replaced by its translation in ``table``; and the msgids that had none.

    A paragraph, list item or heading keeps its first line's markers ("## ", "* ", "1. ") and
    becomes that line plus its translation, on one line; a table row is written again from its
    cells; display math, code blocks and the lines between units stay as they are.
    """
    lines = source.split("\n")
    new: dict[int, str | None] = {}
    rows: dict[int, list[str]] = {}
    missing = []
    for unit in segment(source):
        if unit.kind == "literal":
            continue
        text = table.get(unit.msgid)
        if text is None:
            missing.append(unit.msgid)
            text = unit.msgid
        start, end = unit.lines
        if unit.kind == "cell":
            rows.setdefault(start, []).append(text)
            continue
        line = lines[start]
        at = line.find(unit.first)
        if at < 0:
            raise ValueError(f"cannot find {unit.first!r} on its line {line!r}")
        new[start] = line[:at] + text
        for k in range(start + 1, end):
            new[k] = None
    for start, cells in rows.items():
        new[start] = _row(cells)
    out = [new.get(k, line) for k, line in enumerate(lines)]
    return "\n".join(line for line in out if line is not None), missing


def translated_notebook(path: Path, table: dict[str, str] | None = None
                        ) -> tuple[nbformat.NotebookNode, list[str]]:
    """The Chinese notebook made from the English one at ``path`` and its catalog (or ``table``);
    and the msgids left in English for want of a current translation."""
    nb = nbformat.read(path, as_version=4)
    if table is None:
        table = current(load_catalog(path)) if catalog_path(path).is_file() else {}
    missing = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source, left = translate_markdown(cell.source, table)
            missing += left
        elif cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.metadata["language_info"] = nb.metadata.get("language_info", {"name": "python"})
    nb.metadata["i18n"] = {
        "language": LANGUAGE,
        "source": f"../{path.name}",
        "generated_by": "python scripts/i18n.py notebooks (do not edit: edit the catalog "
                        f"docs/locales/{LANGUAGE}/LC_MESSAGES/notebooks/{path.stem}.po)",
    }
    return nb, list(dict.fromkeys(missing))


def notebook_text(nb: nbformat.NotebookNode) -> str:
    """The file's text as nbformat writes it (what is committed)."""
    return nbformat.writes(nb) + "\n"


def write_notebooks(notebooks: list[Path] = NOTEBOOKS, out: Path = OUT) -> dict[str, list[str]]:
    """Write every Chinese notebook into ``out``; ``{name: msgids left in English}``."""
    out.mkdir(parents=True, exist_ok=True)
    left = {}
    for path in notebooks:
        nb, missing = translated_notebook(path)
        (out / path.name).write_text(notebook_text(nb), encoding="utf-8")
        left[path.name] = missing
        print(f"  {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}/{path.name}: "
              f"{len(msgids(nbformat.read(path, as_version=4))) - len(missing)} units translated"
              + (f", {len(missing)} left in English" if missing else ""))
    return left


# ---------------------------------------------------------------------------------------------
# Extraction (Sphinx gettext + sphinx-intl)


def stripped(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return nb


def extract(notebooks: list[Path] = NOTEBOOKS, work: Path = WORK) -> Path:
    """Sphinx's gettext builder on the stripped notebooks: a .pot per notebook in ``work/gettext``."""
    src, pot = work / "src", work / "gettext"
    for old in (src, pot):
        shutil.rmtree(old, ignore_errors=True)
    (src / "notebooks").mkdir(parents=True)
    shutil.copy2(CONF, src / "conf.py")
    for path in notebooks:
        nbformat.write(stripped(path), src / "notebooks" / path.name)
    (src / "index.md").write_text("# index\n\n```{toctree}\n:glob:\n\nnotebooks/*\n```\n", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "sphinx", "-b", "gettext", "-q", "-E", "-d",
                          str(work / "doctrees"), str(src), str(pot)], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"Sphinx's gettext builder failed:\n{run.stdout}{run.stderr}")
    (pot / "index.pot").unlink(missing_ok=True)  # the landing page has a template of its own per language
    return pot


def update(notebooks: list[Path] = NOTEBOOKS) -> None:
    """Re-extract the English and merge it into the catalogs (sphinx-intl update)."""
    pot = extract(notebooks)
    before = {path: [e.msgid for e in load_catalog(path) if not e.obsolete]
              for path in notebooks if catalog_path(path).is_file()}
    run = subprocess.run([sys.executable, "-m", "sphinx_intl", "update", "-p", str(pot), "-d", str(LOCALES),
                          "-l", LANGUAGE, "-w", "0", "-j", "1"], capture_output=True, text=True)
    if run.returncode != 0:
        raise SystemExit(f"sphinx-intl update failed:\n{run.stdout}{run.stderr}")
    print(run.stdout.rstrip())
    for path in notebooks:
        tidy(path, before.get(path, []))


def tidy(path: Path, before: list[str]) -> None:
    """After sphinx-intl: each fuzzy entry gets the English it was translated from as its previous
    msgid (``#| msgid``, as ``msgmerge --previous`` writes it), so a translator sees what changed;
    display math is extracted but never translated: its entry's msgstr is its msgid (Sphinx counts
    that as translated), also when the formula changed (no fuzzy entry to review)."""
    import difflib

    po = load_catalog(path)
    formulas = {u.msgid for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "markdown"
                for u in segment(cell.source) if u.kind == "literal"}
    live = {e.msgid for e in po if not e.obsolete}
    gone = [m for m in before if m not in live]
    changed = False
    for entry in po:
        if entry.fuzzy and not entry.obsolete and not entry.previous_msgid and entry.msgid not in formulas:
            was = difflib.get_close_matches(entry.msgid, gone, n=1, cutoff=0.5)
            if was:
                entry.previous_msgid, changed = was[0], True
        if entry.msgid in formulas and not entry.obsolete and (entry.msgstr != entry.msgid or entry.fuzzy):
            entry.msgstr = entry.msgid
            if entry.fuzzy:
                entry.flags.remove("fuzzy")
            entry.previous_msgid = None
            changed = True
    if changed:
        po.save()


# ---------------------------------------------------------------------------------------------
# What is not done


def problems(notebooks: list[Path] = NOTEBOOKS, out: Path = OUT) -> list[str]:
    """Every unit without a current translation, every translation MyST would not read as a
    paragraph, every Chinese notebook not what ``notebooks`` would write now."""
    found = []
    for path in notebooks:
        if not catalog_path(path).is_file():
            found.append(f"{path.name}: no catalog {catalog_path(path).relative_to(ROOT)} (run: make i18n-update)")
            continue
        po = load_catalog(path)
        table = current(po)
        for msgid in msgids(nbformat.read(path, as_version=4)):
            entry = po.find(msgid)
            if entry is None or entry.obsolete:
                found.append(f"{path.name}: not in the catalog (run: make i18n-update): {msgid[:90]!r}")
            elif entry.fuzzy:
                found.append(f"{path.name}: fuzzy (the English changed; check the Chinese, then remove "
                             f"the fuzzy flag): {msgid[:90]!r}"
                             + (f"\n    {difference(msgid, entry.previous_msgid)}" if entry.previous_msgid else ""))
            elif msgid not in table:
                found.append(f"{path.name}: not translated: {msgid[:90]!r}")
            elif unescaped_list_start(table[msgid]) and not unescaped_list_start(msgid):
                found.append(f"{path.name}: the translation starts like a list or heading, write "
                             f"'1\\. ' (Sphinx would ignore it): {table[msgid][:60]!r}")
        target = out / path.name
        if not target.is_file() or target.read_text(encoding="utf-8") != notebook_text(translated_notebook(path)[0]):
            found.append(f"{path.name}: {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target} "
                         "is not up to date (run: make i18n-notebooks)")
    return found


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("command", choices=("update", "notebooks", "check"))
    args = ap.parse_args(argv)
    if args.command == "update":
        update()
        args.command = "check"
    elif args.command == "notebooks":
        left = write_notebooks()
        if any(left.values()):
            print("Left in English for want of a current translation (see `python scripts/i18n.py check`).")
        return
    found = problems()
    for line in found:
        print(line)
    print(f"{len(found)} problems" if found else "every unit has a current translation; notebooks/zh_CN/ is up to date")
    if args.command == "check" and found:
        sys.exit(1)


if __name__ == "__main__":
    main()
