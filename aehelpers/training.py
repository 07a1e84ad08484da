"""Training: the lecture's recipe (Adam, MSE, batches of 256), the one training loop of aehelpers.

Notebooks 02 and 03 write the lecture's training loop out step by step; every other model
of the notebooks is trained by ``fit``, which runs the same five steps over batches that
are slices of one tensor held in memory, instead of a ``DataLoader`` that turns every digit
into a PIL image and back (``benchmarks/bench_training.py`` measures the difference). A
denoiser (``corrupt=``) and a contractive autoencoder (``penalty=``) are the same loop.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from . import runtime
from .checks import check_digits, check_flag, check_positive_int, check_positive_real
from .model import check_model

__all__ = ["fit", "TrainingDivergedError", "batches"]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


def batches(n: int, batch_size: int, generator: torch.Generator) -> tuple[torch.Tensor, ...]:
    """Shuffled index batches covering ``range(n)`` once (the last one may be short)."""
    return torch.randperm(n, generator=generator, device=generator.device).split(batch_size)


def fit(model, images, *, targets=None, epochs=20, batch_size=256, lr=1e-3, criterion=None,
        corrupt=None, penalty=None, seed=0, progress=True) -> list[float]:
    """Train ``model`` to reconstruct ``images`` (N, n); return the mean training loss of each epoch.

    The lecture's recipe: ``torch.optim.Adam(lr)``, ``criterion`` (default ``nn.MSELoss()``),
    shuffled batches of ``batch_size``, ``epochs`` passes. Digits in [-1, 1] for a tanh output
    (``ae.load_mnist``), in [0, 1] for a sigmoid with ``nn.BCELoss()``. ``targets``: what each
    output is compared with, if not its input (notebook 02). ``corrupt(img, generator)``: what
    the model sees instead of ``img`` (a denoiser, notebooks 03 and 06, e.g.
    ``ae.dropout_corruption(0.5)``); the target stays clean. ``penalty(model, x)``: a term
    added to the loss (notebook 06: ``lambda m, x: lam * ae.contractive_penalty(m, x)``).
    ``seed`` fixes the batches and the corruption. Trains in place on ``ae.device()``, leaves
    the model in eval mode; ``TrainingDivergedError`` as soon as an epoch's loss is not finite.
    """
    criterion, epochs, batch_size = _check_arguments(model, images, targets, epochs, batch_size, lr,
                                                     criterion, corrupt, penalty, seed, progress)
    dev = runtime.device()
    data = images.to(dev)
    wanted = data if targets is None else targets.to(dev)
    model.to(dev).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=dev.type in ("cpu", "cuda"))
    generator = runtime.generator(dev, seed)
    losses, bar = [], tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        total = torch.zeros((), device=dev)
        for idx in batches(len(data), batch_size, generator):
            img = data.index_select(0, idx)   # a shuffled batch (6x faster than data[idx])
            target = img if targets is None else wanted.index_select(0, idx)
            x = img if corrupt is None else corrupt(img, generator)
            output = model(x)                   # 1. forward
            loss = criterion(output, target)    # 2. compare with the clean image (or its target)
            if penalty is not None:
                loss = loss + penalty(model, x)
            optimizer.zero_grad()               # 3. clear the old gradients
            loss.backward()                     # 4. backpropagate
            optimizer.step()                    # 5. update the weights
            total += loss.detach() * len(idx)
        losses.append(total.item() / len(data))
        bar.set_postfix(loss=f"{losses[-1]:.4f}")
        if not math.isfinite(losses[-1]):
            raise TrainingDivergedError(
                f"the training loss became {losses[-1]} in epoch {epoch + 1}: training stopped. Try a smaller "
                f"learning rate (lr={lr}), and check that the inputs are finite and scaled as the model expects.")
    model.eval()
    return losses


def _check_arguments(model, images, targets, epochs, batch_size, lr, criterion, corrupt, penalty, seed,
                     progress) -> tuple[nn.Module, int, int]:
    """Every check ``fit`` makes before training, each with a message that says how to fix it;
    returns the criterion to use, ``epochs`` and ``batch_size`` as ints."""
    n = check_model(model).n
    check_digits(images, "images", n=n, expected_by="the model")
    if targets is not None:
        check_digits(targets, "targets", n=n, expected_by="the model")
        if targets.shape != images.shape:
            raise ValueError(f"targets has shape {tuple(targets.shape)}, but images has shape "
                             f"{tuple(images.shape)}: give one target row per input digit")
    epochs, batch_size = check_positive_int(epochs, "epochs"), check_positive_int(batch_size, "batch_size")
    check_positive_real(lr, "lr", allow_zero=True)  # lr=0: measure the loss without learning
    check_positive_int(seed, "seed", allow_zero=True), check_flag(progress, "progress")
    for name, fn in (("criterion", criterion), ("corrupt", corrupt), ("penalty", penalty)):
        if fn is not None and not callable(fn):
            raise TypeError(f"{name} must be a function (or None), got {type(fn).__name__}")
    criterion = criterion if criterion is not None else nn.MSELoss()
    _check_range(model, images if targets is None else targets, criterion, "images" if targets is None else "targets")
    return criterion, epochs, batch_size


def _check_range(model, wanted: torch.Tensor, criterion, name: str) -> None:
    """Refuse targets whose range the model's output cannot reach (``model.output_range``)."""
    lo, hi = (float(v) for v in torch.aminmax(wanted))
    out = model.output_range
    if out is not None and (lo < out[0] - 1e-4 or hi > out[1] + 1e-4):
        fix = ("use ae.load_mnist's digits in [-1, 1] (for 0..255 pixels: x / 127.5 - 1)" if out[0] < 0
               else "scale [-1, 1] digits to [0, 1] with (x + 1) / 2")
        raise ValueError(f"{name} lie in [{lo:.3g}, {hi:.3g}], but the model's outputs lie in {out}: it can "
                         f"never reproduce them; {fix}")
    if isinstance(criterion, nn.BCELoss) and (lo < -1e-4 or hi > 1 + 1e-4):
        raise ValueError(f"nn.BCELoss needs targets in [0, 1], but {name} lie in [{lo:.3g}, {hi:.3g}]: "
                         "scale [-1, 1] digits with (x + 1) / 2")
