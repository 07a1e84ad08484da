"""Wall-clock time of each notebook, cold (no cached models) and warm (cache filled).

Each notebook is executed twice in a fresh kernel with nbclient, as "Restart & Run
All" does, from the notebooks/ folder, with its own empty model cache (a temporary
AEHELPERS_DATA that links to the full MNIST files in data/MNIST/raw): the first run
trains every model the notebook needs (cold), the second loads them (warm). So
each cold time is that notebook alone, not helped by another notebook having run.
Run from the repository root on an otherwise idle machine:

    .venv/bin/python benchmarks/bench_notebooks.py                 # every notebook
    .venv/bin/python benchmarks/bench_notebooks.py 02 03           # some of them
    .venv/bin/python benchmarks/bench_notebooks.py 05 --cells 5    # + its 5 slowest warm cells
    .venv/bin/python benchmarks/bench_notebooks.py --warm-only     # warm runs on data/models (after make models)
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from notebook_client import NOTEBOOKS, execute_notebook  # noqa: E402  (scripts/notebook_client.py)


def execute(path: Path, data: Path) -> tuple[float, list[tuple[float, int, str]]]:
    """Run the notebook; return its wall time and (seconds, index, first line) per code cell."""
    nb = nbformat.read(path, as_version=4)
    os.environ["AEHELPERS_DATA"] = str(data)
    start = time.perf_counter()
    execute_notebook(nb, path.parent, timeout=1800, record_timing=True)
    wall = time.perf_counter() - start
    cells = []
    for i, cell in enumerate(nb.cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in stamps:
            began = datetime.fromisoformat(stamps["iopub.execute_input"].replace("Z", "+00:00"))
            ended = datetime.fromisoformat(stamps["shell.execute_reply"].replace("Z", "+00:00"))
            cells.append(((ended - began).total_seconds(), i, cell.source.split("\n")[0][:60]))
    return wall, cells


def notebooks_on_full_mnist(only: list[str]) -> tuple[list[Path], Path]:
    """The notebooks to run (all, or those whose number is in ``only``) and the full MNIST raw
    folder; exits with a message when full MNIST is missing. Sets the environment for full MNIST."""
    raw = ROOT / "data" / "MNIST" / "raw"
    if not (raw / "train-images-idx3-ubyte").exists():
        raise SystemExit("needs full MNIST in data/MNIST/raw (see data/README.md)")
    os.environ.pop("AEHELPERS_RETRAIN", None)
    os.environ["AEHELPERS_DATASET"] = "full"
    return [p for p in NOTEBOOKS if not only or p.name[:2] in only], raw


def empty_cache(folder: Path, raw: Path) -> Path:
    """``folder`` as an AEHELPERS_DATA with no cached models that links to full MNIST."""
    (folder / "MNIST").mkdir(parents=True)
    (folder / "MNIST" / "raw").symlink_to(raw)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description="cold and warm notebook times")
    ap.add_argument("only", nargs="*", help="notebook number prefixes, e.g. 02 05")
    ap.add_argument("--cells", type=int, default=0, metavar="K",
                    help="also list each notebook's K slowest cells in the warm run")
    ap.add_argument("--warm-only", action="store_true",
                    help="only the warm run, on the repository's own model cache (fill it with make models)")
    args = ap.parse_args()
    paths, raw = notebooks_on_full_mnist(args.only)
    if args.warm_only and not any((ROOT / "data" / "models").glob("*.pt")):
        raise SystemExit("--warm-only needs the repository's model cache: run `make models` first "
                         "(otherwise the 'warm' column would time training)")
    cache = "the repository's model cache (data/models)" if args.warm_only else "its own empty model cache"
    print(f"# {os.cpu_count()} CPUs; each notebook in a fresh kernel with {cache}")
    print("| notebook | cold (trains its models) | warm (cached models) |")
    print("|---|---|---|")
    for path in paths:
        if args.warm_only:
            cold = None
            warm, cells = execute(path, ROOT / "data")
        else:
            with tempfile.TemporaryDirectory() as tmp:
                data = empty_cache(Path(tmp) / "data", raw)
                cold, _ = execute(path, data)
                warm, cells = execute(path, data)
        print(f"| {path.name} | {'-' if cold is None else f'{cold:.0f} s'} | {warm:.0f} s |", flush=True)
        for seconds, i, first in sorted(cells, reverse=True)[:args.cells]:
            print(f"|   cell {i}: `{first}` | | {seconds:.1f} s |", flush=True)


if __name__ == "__main__":
    main()
