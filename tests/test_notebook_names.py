"""No name is re-bound to a new meaning in another cell: a presenter can re-run cells out of order.

After "Run All", a presenter goes back and runs an earlier cell again. If a later cell re-bound
one of its names (``noise = ...`` in cell 4 for the lecture's mask, in cell 11 for another
rate), the earlier cell now computes with the later value and shows something else than the
first time, without an error. This test reads every notebook's code cells (``ast``, nothing is
executed) and fails for each name that is bound at the top level of more than one cell: by
``=``, ``+=`` and friends, ``for``, ``with ... as``, ``except ... as``, ``:=``, ``import``,
``def``, ``class`` (and ``global`` inside a function). Names bound only inside functions,
classes, lambdas and comprehensions are local and do not count.

Allowed, each for its reason: a name that every cell binds only as a loop variable
(``for name, model in ...``: each loop sets it before its body reads it), and ``ALLOWED``.
"""

import ast
import json
from collections import defaultdict

import pytest
from notebook_list import NOTEBOOKS  # scripts/ is on pytest's pythonpath (pyproject.toml)

ALLOWED = {
    # each plotting cell makes its own figure with plt.subplots and shows it in the same cell
    "fig": "the figure of the cell that creates it",
    "axes": "the axes of the cell's own figure",
    "ax": "an axes of the cell's own figure",
    "_": "Python's name for a value that is thrown away",
}

LOOP = "for"


class _TopLevelBindings(ast.NodeVisitor):
    """The names a cell binds at its top level, each with how (``"for"``, ``"="``, ...)."""

    def __init__(self):
        self.found: list[tuple[str, str]] = []

    def _targets(self, target, how):
        for node in ast.walk(target):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                self.found.append((node.id, how))

    def visit_Assign(self, node):
        for target in node.targets:
            self._targets(target, "=")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._targets(node.target, "augmented assignment")
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._targets(node.target, "=")
        self.generic_visit(node)

    def visit_NamedExpr(self, node):
        self._targets(node.target, ":=")
        self.generic_visit(node)

    def visit_For(self, node):
        self._targets(node.target, LOOP)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._targets(item.optional_vars, "with")
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node):
        if node.name:
            self.found.append((node.name, "except"))
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self.found.append(((alias.asname or alias.name).split(".")[0], "import"))

    visit_ImportFrom = visit_Import

    def _scope(self, node, name=None, how=None):
        """A function or class: its own name is bound here; inside, only ``global`` names count."""
        if name:
            self.found.append((name, how))
        declared = {n for sub in ast.walk(node) if isinstance(sub, ast.Global) for n in sub.names}
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store) and sub.id in declared:
                self.found.append((sub.id, "global"))

    def visit_FunctionDef(self, node):
        self._scope(node, node.name, "def")

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._scope(node, node.name, "class")

    def visit_Lambda(self, node):
        self._scope(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_Lambda


def top_level_bindings(source: str) -> list[tuple[str, str]]:
    """``(name, how)`` for every name that ``source`` binds at its top level."""
    visitor = _TopLevelBindings()
    visitor.visit(ast.parse(source))
    return visitor.found


def rebound_names(cells: list[tuple[int, str]]) -> dict[str, list[int]]:
    """``{name: the cells that bind it}`` for each name bound at the top level of more than one
    cell, except names that every cell binds only as a loop variable and names in ALLOWED.
    ``cells``: (cell index, source) of each code cell."""
    where: dict[str, dict[int, set[str]]] = defaultdict(dict)
    for index, source in cells:
        for name, how in top_level_bindings(source):
            where[name].setdefault(index, set()).add(how)
    return {name: sorted(by_cell) for name, by_cell in where.items()
            if len(by_cell) > 1 and name not in ALLOWED
            and not all(hows == {LOOP} for hows in by_cell.values())}


def _code_cells(path) -> list[tuple[int, str]]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [(i, "".join(c["source"])) for i, c in enumerate(cells) if c["cell_type"] == "code"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_name_is_bound_in_two_cells(path):
    """Cells are numbered as in the file (markdown cells count), as JupyterLab's cell index."""
    rebound = rebound_names(_code_cells(path))
    assert not rebound, f"{path.name}: names bound in more than one cell (rename one of them):\n" + "\n".join(
        f"  {name!r} in cells {', '.join(map(str, cells))}" for name, cells in sorted(rebound.items()))


def test_what_counts_as_a_rebinding():
    cells = [(1, "noise = 0.5\nfor name, model in models: pass\nfig, ax = 1, 2\ntotal = 0"),
             (2, "def show(x):\n    noise = x  # local\n    return [k for k in x]\n"
                 "for name in names: pass\nwith open(f) as fh: pass\nfig = 3"),
             (3, "noise = 0.2\ntotal += 1\nk = [k for k in range(3)]\nfh = None"),
             (4, "def bump():\n    global total\n    total = 9\nshow = print")]
    assert rebound_names(cells) == {"noise": [1, 3], "total": [1, 3, 4], "fh": [2, 3], "show": [2, 4]}
