"""The lecture's notebooks, in order: the one list every script, test and build uses.

Standard library only, so that ``scripts/make_student_version.py`` (``make student``, run by any
Python 3) can use it too. ``notebook_client.NOTEBOOKS`` is this list.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def notebooks_in(folder: Path) -> list[Path]:
    """The notebooks ``NN-name.ipynb`` in ``folder``, in the order of their numbers."""
    return sorted(Path(folder).glob("[0-9][0-9]-*.ipynb"))


NOTEBOOKS = notebooks_in(ROOT / "notebooks")
