"""The lecture's training loop against ``aehelpers.fit``, side by side, same recipe.

Both train the 784 -> d -> 784 tanh autoencoder with Adam (lr 1e-3), MSE, batches
of 256 and the same initial weights (seed), on full MNIST:

* lecture: ``MNIST(transform=Compose([ToTensor(), Normalize((0.5,), (0.5,))]))``
  through a ``DataLoader(batch_size=256, shuffle=True)``, i.e. a PIL image and two
  transforms per sample, then the five steps of the lecture's loop;
* fit: ``aehelpers.fit`` as the notebooks call it: the same five steps with
  public PyTorch only (``torch.optim.Adam(fused=True)``, ``loss.backward()``) on the
  digits converted once to a tensor, batches gathered with ``index_select``.

Both run on the CPU (``AEHELPERS_DEVICE=cpu`` is set for ``fit``). Prints one table row
per model: seconds per epoch of each loop (mean over the epochs, data loading included;
CPU seconds in brackets), the speed ratio of ``fit`` against the lecture loop, and the
test MSE of both models on the 10,000 test digits.
``--profile`` adds where ``fit``'s time goes (``torch.profiler``, one epoch).
Run from the repository root:

    .venv/bin/python benchmarks/bench_training.py                # d=30, 20 epochs
    .venv/bin/python benchmarks/bench_training.py --d 30 500 --epochs 20
    .venv/bin/python benchmarks/bench_training.py --skip-lecture --profile
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import torch
from torch import nn

import aehelpers as ae
import aehelpers.data


def lecture_loop(d: int, epochs: int, seed: int):
    """The lecture's notebook loop, verbatim apart from the seed and timing."""
    from torch.utils.data import DataLoader
    from torchvision import transforms
    from torchvision.datasets import MNIST

    img_transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
    dataset = MNIST(str(aehelpers.data.data_dir()), transform=img_transform, download=False)
    g = torch.Generator().manual_seed(seed)
    dataloader = DataLoader(dataset, batch_size=256, shuffle=True, generator=g)
    torch.manual_seed(seed)
    model = ae.Autoencoder(784, d)
    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    start, cpu = time.perf_counter(), time.process_time()
    for epoch in range(epochs):
        for data in dataloader:
            img, _ = data
            img = img.view(img.size(0), -1)
            output = model(img)
            loss = criterion(output, img.data)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model, (time.perf_counter() - start) / epochs, (time.process_time() - cpu) / epochs


def fit_loop(d: int, epochs: int, seed: int):
    torch.manual_seed(seed)
    model = ae.Autoencoder(784, d)
    images = ae.load_mnist(train=True)[0]
    start, cpu = time.perf_counter(), time.process_time()
    ae.fit(model, images, epochs=epochs, seed=seed, progress=False)
    return model, (time.perf_counter() - start) / epochs, (time.process_time() - cpu) / epochs


def profile_fit(d: int, seed: int, rows: int = 12) -> None:
    """One epoch of ``fit`` under ``torch.profiler``: the operators that take the time."""
    from torch.profiler import ProfilerActivity, profile

    torch.manual_seed(seed)
    model = ae.Autoencoder(784, d)
    images = ae.load_mnist(train=True)[0]
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        ae.fit(model, images, epochs=1, seed=seed, progress=False)
    print(f"\n# where one epoch of fit goes, d = {d} (torch.profiler, self CPU time)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=rows))


def test_mse(model) -> float:
    x = ae.load_mnist(train=False)[0]
    return ae.masked_mse(ae.reconstruct(model, x), x)


def main() -> None:
    ap = argparse.ArgumentParser(description="lecture loop vs aehelpers.fit")
    ap.add_argument("--d", type=int, nargs="+", default=[30], help="hidden sizes (default 30)")
    ap.add_argument("--epochs", type=int, default=20, help="epochs, the lecture's 20 by default")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--skip-lecture", action="store_true", help="time fit alone")
    ap.add_argument("--profile", action="store_true", help="also profile one epoch of fit per d")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch threads for both loops (default: torch's choice); with 1, CPU time "
                         "per epoch is a fair measure even on a busy machine")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    # Both loops on the CPU, side by side: fit trains on ae.device(), which would pick a GPU if there is one.
    os.environ["AEHELPERS_DEVICE"] = "cpu"
    if aehelpers.data.data_source() != "full":
        raise SystemExit("this benchmark needs full MNIST in data/MNIST/raw (see README, 'Offline')")

    print(f"# torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, "
          f"{platform.processor() or platform.machine()}; full MNIST, {args.epochs} epochs, batch 256, Adam 1e-3")
    print("| d | lecture loop s/epoch (CPU s) | fit s/epoch (CPU s) | speed-up (CPU) "
          "| lecture test MSE | fit test MSE | MSE diff |")
    print("|---|---|---|---|---|---|---|")
    for d in args.d:
        fit_model, fit_s, fit_cpu = fit_loop(d, args.epochs, args.seed)
        fit_mse = test_mse(fit_model)
        if args.skip_lecture:
            print(f"| {d} | - | {fit_s:.3f} ({fit_cpu:.3f}) | - | - | {fit_mse:.4f} | - |", flush=True)
        else:
            lec_model, lec_s, lec_cpu = lecture_loop(d, args.epochs, args.seed)
            lec_mse = test_mse(lec_model)
            print(f"| {d} | {lec_s:.2f} ({lec_cpu:.2f}) | {fit_s:.3f} ({fit_cpu:.3f}) "
                  f"| {lec_s / fit_s:.1f}x ({lec_cpu / fit_cpu:.1f}x) "
                  f"| {lec_mse:.4f} | {fit_mse:.4f} | {100 * (fit_mse - lec_mse) / lec_mse:+.1f} % |", flush=True)
    if args.profile:
        for d in args.d:
            profile_fit(d, args.seed)


if __name__ == "__main__":
    main()
