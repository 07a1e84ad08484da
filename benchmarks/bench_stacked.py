"""Training notebook 07's models one by one with ``fit`` vs all at once with ``fit_together``.

Notebook 07 trains ten leave-one-class-out autoencoders plus one on every digit
(784 -> 30 -> 784) and three up-samplers (size^2 -> 100 -> 784), each with the
lecture's recipe. This script times, on full MNIST:

* ``fit`` on one leave-one-out autoencoder (all digits but 0), per epoch;
* ``fit_together`` on the 11 autoencoders, per epoch, and per model-epoch;
* ``fit`` on one up-sampler (14 x 14) and ``fit_together`` on the three up-samplers;

wall-clock and CPU seconds (torch's default threads unless ``--threads``). Run from the
repository root on an otherwise idle machine:

    .venv/bin/python benchmarks/bench_stacked.py              # 2 epochs of each
    .venv/bin/python benchmarks/bench_stacked.py --epochs 20  # the notebook's full cost
"""

from __future__ import annotations

import argparse
import time

import torch

import aehelpers as ae


def timed(fn):
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    x, y = ae.load_mnist(train=True)
    assert ae.data_source() == "full", "needs full MNIST in data/MNIST/raw"
    E = args.epochs
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {E} epochs, device cpu")
    rows = []
    torch.manual_seed(0)
    one = ae.Autoencoder(784, 30)
    rows.append(("fit, 1 autoencoder (all but 0)", 1,
                 timed(lambda: ae.fit(one, x[y != 0], epochs=E, progress=False, device="cpu"))))
    torch.manual_seed(0)
    eleven = [ae.Autoencoder(784, 30) for _ in range(11)]
    subsets = [y != c for c in range(10)] + [torch.ones_like(y, dtype=torch.bool)]
    rows.append(("fit_together, 11 autoencoders", 11,
                 timed(lambda: ae.fit_together(eleven, x, subsets, epochs=E, progress=False, device="cpu"))))
    torch.manual_seed(0)
    up = ae.Upsampler(14, 100)
    rows.append(("fit, 1 up-sampler (14x14)", 1, timed(lambda: ae.fit(up, x, epochs=E, progress=False, device="cpu"))))
    torch.manual_seed(0)
    three = [ae.Upsampler(14, 100), ae.Upsampler(7, 100), ae.Upsampler(7, 100)]
    rows.append(("fit_together, 3 up-samplers", 3,
                 timed(lambda: ae.fit_together(three, x, epochs=E, progress=False, device="cpu"))))
    print("| what | models | s/epoch (CPU s) | s per model-epoch | 20 epochs, all models |")
    print("|---|---|---|---|---|")
    for what, k, (wall, cpu) in rows:
        print(f"| {what} | {k} | {wall / E:.2f} ({cpu / E:.2f}) | {wall / E / k:.2f} | {wall / E * 20:.0f} s |")


if __name__ == "__main__":
    main()
