#!/usr/bin/env python3
"""Write the student version of the notebooks: every solution replaced by a stub that raises.

    python3 scripts/make_student_version.py                 # all notebooks -> build/student/
    python3 scripts/make_student_version.py --out DIR notebooks/02-autoencoder.ipynb

In the master notebooks each exercise's solution sits in a code cell between nbgrader's
markers, each on its own line::

    ### BEGIN SOLUTION
    ...
    ### END SOLUTION

and the cell carries nbgrader's metadata (``"solution": true``, ``"grade_id": "ex02_1"``),
so ``nbgrader generate_assignment`` strips the same cells (with its own stub) for a course that uses
nbgrader. This script needs nothing but Python's standard library: it replaces every
region (markers included) by one line, at the indentation of its BEGIN marker,
``raise NotImplementedError("Exercise 02.1: your code here")``, clears all outputs, and
writes the notebooks to ``--out`` (default ``build/student/``, git-ignored). Exercise
ids come from the grade_id (``ex02_1`` -> ``02.1``). Malformed markers are an error
naming the notebook and cell.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from notebook_list import NOTEBOOKS, ROOT
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
GRADE_ID = re.compile(r"^ex(\d\d)_(\d+)$")


class MarkerError(ValueError):
    """A solution region is malformed (unbalanced markers, markers not on their own line, no metadata)."""


def stub(exercise_id: str, indent: str = "") -> str:
    """The line that replaces a solution region."""
    return f'{indent}raise NotImplementedError("Exercise {exercise_id}: your code here")'


def exercise_id(cell: dict, where: str) -> str:
    """``"02.1"`` from the cell's nbgrader grade_id ``"ex02_1"``; MarkerError if it is missing."""
    meta = cell.get("metadata", {}).get("nbgrader", {})
    gid = meta.get("grade_id", "")
    m = GRADE_ID.match(gid)
    if not meta.get("solution") or not m:
        raise MarkerError(f"{where}: a cell with solution markers needs nbgrader metadata "
                          f'{{"solution": true, "grade_id": "exNN_k", ...}}, got {meta or "none"}')
    return f"{m.group(1)}.{int(m.group(2))}"


def strip_solutions(source: str, ex_id: str, where: str = "cell") -> str:
    """``source`` with every BEGIN/END SOLUTION region replaced by the stub line."""
    out, inside = [], False
    for n, line in enumerate(source.split("\n"), 1):
        stripped = line.strip()
        if (BEGIN in line or END in line) and stripped not in (BEGIN, END):
            raise MarkerError(f"{where}, line {n}: a solution marker must be alone on its line: {line!r}")
        if stripped == BEGIN:
            if inside:
                raise MarkerError(f"{where}, line {n}: {BEGIN} inside another solution region")
            inside = True
            out.append(stub(ex_id, line[: len(line) - len(line.lstrip())]))
        elif stripped == END:
            if not inside:
                raise MarkerError(f"{where}, line {n}: {END} without {BEGIN}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise MarkerError(f"{where}: {BEGIN} without {END}")
    return "\n".join(out)


def _text(source) -> str:
    return "".join(source) if isinstance(source, list) else source


def student_cell(cell, where: str) -> str | None:
    """Replace the solution regions of one code cell by their stub, in place, and clear its
    outputs; return its exercise id, or None for a cell without markers (left as it is).
    ``cell``: a dict as in the .ipynb file or an nbformat node (source a list or a string).
    Used by ``student_notebook`` and by the site build (docs/book/build.py)."""
    text = _text(cell["source"])
    if BEGIN not in text and END not in text:
        return None
    ex_id = exercise_id(cell, where)
    text = strip_solutions(text, ex_id, where)
    cell["source"] = text.splitlines(keepends=True) if isinstance(cell["source"], list) else text
    cell["outputs"], cell["execution_count"] = [], None
    return ex_id


def student_notebook(nb: dict, name: str = "notebook") -> tuple[dict, list[str]]:
    """The student version of a notebook (a dict as in the .ipynb file) and its exercise ids."""
    nb = json.loads(json.dumps(nb))  # a deep copy
    ids = []
    for i, cell in enumerate(nb["cells"]):
        text = _text(cell["source"])
        where = f"{name}, cell {i}"
        if cell["cell_type"] != "code":
            if BEGIN in text or END in text:
                raise MarkerError(f"{where}: solution markers belong in code cells, not {cell['cell_type']} cells")
            continue
        cell["outputs"], cell["execution_count"] = [], None
        ex_id = student_cell(cell, where)
        if ex_id is not None:
            ids.append(ex_id)
    return nb, ids


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every notebooks/NN-*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "student", help="default: build/student/")
    args = parser.parse_args(argv)
    paths = args.notebooks or NOTEBOOKS
    args.out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        nb = json.loads(path.read_text(encoding="utf-8"))
        try:
            student, ids = student_notebook(nb, path.name)
        except MarkerError as err:
            print(f"error: {err}", file=sys.stderr)
            return 1
        target = args.out / path.name
        target.write_text(json.dumps(student, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{path.name} -> {target}: {len(ids)} solution cell(s) replaced" + (f" ({', '.join(ids)})" if ids else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
