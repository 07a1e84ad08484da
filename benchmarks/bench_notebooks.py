"""Wall-clock time of each notebook, cold (no cached models) and warm (cache filled).

Each notebook is executed twice in a fresh kernel with nbclient, as "Restart & Run
All" does, from the notebooks/ folder, with its own empty model cache (a temporary
AEHELPERS_DATA that links to the full MNIST files in data/MNIST/raw): the first run
trains every model the notebook needs (cold), the second loads them (warm). So
each cold time is that notebook alone, not helped by another notebook having run.
Run from the repository root on an otherwise idle machine:

    .venv/bin/python benchmarks/bench_notebooks.py                 # every notebook
    .venv/bin/python benchmarks/bench_notebooks.py 02 03           # some of them
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


def execute(path: Path, data: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    os.environ["AEHELPERS_DATA"] = str(data)
    start = time.perf_counter()
    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description="cold and warm notebook times")
    ap.add_argument("only", nargs="*", help="notebook number prefixes, e.g. 02 05")
    args = ap.parse_args()
    raw = ROOT / "data" / "MNIST" / "raw"
    if not (raw / "train-images-idx3-ubyte").exists():
        raise SystemExit("needs full MNIST in data/MNIST/raw (see data/README.md)")
    os.environ.pop("AEHELPERS_RETRAIN", None)
    os.environ["AEHELPERS_DATASET"] = "full"
    paths = sorted((ROOT / "notebooks").glob("*.ipynb"))
    if args.only:
        paths = [p for p in paths if p.name[:2] in args.only]
    print(f"# {os.cpu_count()} CPUs; each notebook in a fresh kernel with its own empty model cache")
    print("| notebook | cold (trains its models) | warm (cached models) |")
    print("|---|---|---|")
    for path in paths:
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "MNIST").mkdir()
            (Path(tmp) / "MNIST" / "raw").symlink_to(raw)
            cold = execute(path, Path(tmp))
            warm = execute(path, Path(tmp))
        print(f"| {path.name} | {cold:.0f} s | {warm:.0f} s |", flush=True)


if __name__ == "__main__":
    main()
