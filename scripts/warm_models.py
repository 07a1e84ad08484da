"""Train every model the notebooks use, once, so that class starts with a warm cache.

Executes each notebook top to bottom in a fresh kernel (as "Restart & Run All" does, with
nbclient; nothing is written back into the notebooks), which trains and caches the models
it needs in data/models/. Prints each notebook's time. Run from the repository root:

    make models                                   # the same as:
    .venv/bin/python scripts/warm_models.py       # every notebook
    .venv/bin/python scripts/warm_models.py 05    # some of them (number prefixes)

Afterwards each notebook runs in seconds; `make clean-models` forgets the cache.
"""

from __future__ import annotations

import argparse
import time

import nbformat
from notebook_client import NOTEBOOKS, execute_notebook  # (scripts/ is on sys.path)


def main() -> None:
    ap = argparse.ArgumentParser(description="train and cache every model the notebooks use")
    ap.add_argument("only", nargs="*", help="notebook number prefixes, e.g. 02 05")
    args = ap.parse_args()
    paths = NOTEBOOKS
    if args.only:
        paths = [p for p in paths if p.name[:2] in args.only]
    for path in paths:
        start = time.perf_counter()
        print(f"{path.name}: running ...", end=" ", flush=True)
        nb = nbformat.read(path, as_version=4)
        execute_notebook(nb, path.parent, timeout=3600)
        print(f"done in {time.perf_counter() - start:.0f} s", flush=True)
    print("Every model is cached: each notebook now loads its models instead of training them.")


if __name__ == "__main__":
    main()
