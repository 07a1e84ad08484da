"""Every claim of every notebook, on several seeds: the value measured, the threshold, the margin.

Executes each notebook cold (its own empty model cache, as in bench_notebooks.py) once per
seed with ``AEHELPERS_SEED`` set, so every model, mask and random draw changes, and collects
each ``ae.check_claim`` through ``AEHELPERS_CLAIMS_LOG``. A claim that fails on a seed stops
that notebook there (on full MNIST ``check_claim`` raises): the table marks it FAILS and the
notebook's later claims are missing for that seed; ``--keep-going`` reports it and runs on.
``--cache DIR`` keeps one model cache per seed in DIR (DIR/seed-N) shared by the notebooks and
by later runs, so a model several notebooks use is trained once per seed. Prints one markdown table: claim, notebook,
lecture's claim or own finding, the value per seed, the threshold, and the smallest margin
(how far inside the threshold, relative to it). Run from the repository root on an idle
machine (each seed retrains every model: about the cold time of every notebook, per seed):

    .venv/bin/python benchmarks/bench_claims.py                  # every notebook, seeds 0 1 2
    .venv/bin/python benchmarks/bench_claims.py 03 05 --seeds 0 1
    .venv/bin/python benchmarks/bench_claims.py --seeds 5 6 --cache /tmp/claims --keep-going
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

import nbformat
from nbclient.exceptions import CellExecutionError

from bench_notebooks import empty_cache, execute_notebook, notebooks_on_full_mnist  # (benchmarks/ is on sys.path)


def run(path: Path, seed: int, data: Path, log: Path) -> str | None:
    """Execute the notebook with this seed; return the error's last line if it stopped."""
    os.environ.update(AEHELPERS_SEED=str(seed), AEHELPERS_DATA=str(data), AEHELPERS_CLAIMS_LOG=str(log))
    nb = nbformat.read(path, as_version=4)
    try:
        execute_notebook(nb, path.parent, timeout=3600)
    except CellExecutionError as err:
        return str(err).strip().splitlines()[-1][:200]
    return None


def fmt_threshold(op: str, threshold) -> str:
    return f"in ({threshold[0]:.3g}, {threshold[1]:.3g})" if op == "in" else f"{op} {threshold:.3g}"


def main() -> None:
    ap = argparse.ArgumentParser(description="every notebook claim on several seeds")
    ap.add_argument("only", nargs="*", help="notebook number prefixes, e.g. 02 05")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--cache", type=Path, help="one model cache per seed in this folder, kept between runs")
    ap.add_argument("--keep-going", action="store_true", help="report a failed claim and run on")
    args = ap.parse_args()
    if args.keep_going:
        os.environ["AEHELPERS_CLAIMS_KEEP_GOING"] = "1"
    paths, raw = notebooks_on_full_mnist(args.only)
    rows: dict[tuple[str, str], dict] = {}
    stops = []
    with tempfile.TemporaryDirectory() as tmp:
        for path in paths:
            for seed in args.seeds:
                if args.cache:
                    data = args.cache / f"seed-{seed}"
                    if not data.exists():
                        empty_cache(data, raw)
                else:
                    data = empty_cache(Path(tmp) / f"{path.stem}-{seed}", raw)
                log = Path(tmp) / f"{path.stem}-{seed}.jsonl"
                log.unlink(missing_ok=True)
                stopped = run(path, seed, data, log)
                if stopped:
                    stops.append(f"{path.name}, seed {seed}: {stopped}")
                for line in (log.read_text().splitlines() if log.exists() else []):
                    c = json.loads(line)
                    row = rows.setdefault((path.name[:2], c["claim"]), dict(c, values={}))
                    row["values"][seed] = (c["value"], c["holds"], c["margin"])
                print(f"# {path.name} seed {seed}: {'stopped: ' + stopped if stopped else 'ran to the end'}",
                      flush=True)
    print("\n| notebook | claim | kind | " + " | ".join(f"seed {s}" for s in args.seeds)
          + " | threshold | smallest margin |")
    print("|---|---|---|" + "---:|" * len(args.seeds) + "---|---:|")
    for (nb, claim), row in rows.items():
        cells = []
        for s in args.seeds:
            if s not in row["values"]:
                cells.append("—")
                continue
            value, holds, _ = row["values"][s]
            cells.append(f"{value:.4g}" + ("" if holds else " FAILS"))
        margin = min(m for _, _, m in row["values"].values())
        kind = "lecture" if row["lecture"] else "finding"
        print(f"| {nb} | {claim.replace('|', '&#124;')} | {kind} | " + " | ".join(cells)
              + f" | {fmt_threshold(row['op'], row['threshold'])} | {margin:+.0%} |")
    for stop in stops:
        print(f"\nstopped early: {stop}")


if __name__ == "__main__":
    main()
