"""Training: the lecture's recipe (Adam, MSE, batches of 256), with tensor batches.

Notebook 02 writes the lecture's training loop out step by step; every later notebook
calls ``fit``, which runs the same five steps over batches that are slices of one
tensor held in memory, instead of a ``DataLoader`` that turns every digit into a PIL
image and back (``benchmarks/bench_training.py`` measures the difference).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from . import runtime
from ._checks import check_digits, check_flag, check_positive_int, check_positive_real
from .noise import check_p, training_noise

__all__ = ["fit", "TrainingDivergedError", "batches"]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


def batches(n: int, batch_size: int, generator: torch.Generator | None = None):
    """Shuffled index batches covering ``range(n)`` once (the last one may be short)."""
    perm = torch.randperm(n, generator=generator, device=generator.device if generator else "cpu")
    return perm.split(batch_size)


def _generator(dev: torch.device, seed: int) -> torch.Generator:
    try:
        g = torch.Generator(device=dev)
    except RuntimeError:  # a backend without device generators
        g = torch.Generator()
    return g.manual_seed(seed)


def _adam(model: nn.Module, lr: float, dev: torch.device) -> torch.optim.Adam:
    """``torch.optim.Adam``, with its fused kernel where the device has one (CPU, CUDA)."""
    fused = dev.type in ("cpu", "cuda")
    return torch.optim.Adam(model.parameters(), lr=lr, fused=fused)


def _check_range(model: nn.Module, images: torch.Tensor, criterion, name: str = "images") -> None:
    """Refuse targets (``name``) whose range cannot match what the model outputs."""
    lo, hi = (float(v) for v in torch.aminmax(images))
    output = getattr(model, "output", None)
    if output == "tanh" and (lo < -1.0001 or hi > 1.0001):
        raise ValueError(f"{name} lie in [{lo:.3g}, {hi:.3g}], but the model ends in a tanh, whose "
                         "outputs lie in (-1, 1): it can never reproduce them. Use ae.load_mnist's "
                         "digits in [-1, 1] (for 0..255 pixels: x / 127.5 - 1).")
    if output == "sigmoid" and (lo < -0.0001 or hi > 1.0001):
        raise ValueError(f"{name} lie in [{lo:.3g}, {hi:.3g}], but the model ends in a sigmoid, whose "
                         "outputs lie in (0, 1): it can never reproduce them. Scale [-1, 1] digits "
                         "to [0, 1] with (x + 1) / 2.")
    if isinstance(criterion, nn.BCELoss) and (lo < -0.0001 or hi > 1.0001):
        raise ValueError(f"nn.BCELoss needs targets in [0, 1], but {name} lie in [{lo:.3g}, {hi:.3g}]: "
                         "scale [-1, 1] digits with (x + 1) / 2.")


def fit(model: nn.Module, images: torch.Tensor, *, targets: torch.Tensor | None = None, epochs: int = 20,
        batch_size: int = 256, lr: float = 1e-3, denoise: bool = False, p: float = 0.5, seed: int = 0,
        criterion: nn.Module | None = None, progress: bool = True,
        device: torch.device | str | None = None) -> list[float]:
    """Train ``model`` to reconstruct ``images``; return the mean training loss of each epoch.

    ``images``: float tensor (N, n), the digits of ``ae.load_mnist`` in [-1, 1] for the
    lecture's tanh model (or [0, 1] for a sigmoid model with ``criterion=nn.BCELoss()``).
    ``targets``: what the output is compared with, row by row, if not the input itself
    (default ``images``): notebook 02 feeds [-1, 1] digits to a sigmoid model and
    compares with the same digits in [0, 1]. Targets that the model's output cannot
    reach are refused with a ValueError. The
    lecture's recipe: ``torch.optim.Adam(lr)`` (its fused kernel on CPU and CUDA),
    ``criterion`` = ``nn.MSELoss()`` by default, shuffled batches of ``batch_size``.
    Each batch goes through the lecture's five steps: ``output = model(x)``,
    ``loss = criterion(output, img)``, ``zero_grad``, ``loss.backward()``, ``step``.

    ``denoise=True`` feeds ``x = img * ae.training_noise(img.shape, p)`` -- the lecture's
    dropout mask, 0 or ``1 / (1 - p)`` -- and still targets the clean ``img`` (notebook 03).
    ``seed`` fixes the shuffling and the noise: the same seed and initial weights give
    the same losses on the CPU. The model is trained in place on ``device`` (default
    ``ae.device()``) and left there in eval mode. Raises ``TrainingDivergedError`` as soon
    as an epoch's loss is NaN or infinite. Used by ``ae.trained_autoencoder`` and
    notebooks 02-07.
    """
    check_digits(images, "images", n=getattr(model, "n", None), expected_by="the model")
    if targets is None:
        targets = images
    else:
        check_digits(targets, "targets", n=getattr(model, "n", None), expected_by="the model")
        if targets.shape != images.shape:
            raise ValueError(f"targets has shape {tuple(targets.shape)}, but images has shape "
                             f"{tuple(images.shape)}: give one target row per input digit")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_real(lr, "lr", allow_zero=True)  # lr=0: measure the loss without learning
    denoise = check_flag(denoise, "denoise")
    progress = check_flag(progress, "progress")
    seed = check_positive_int(seed, "seed", allow_zero=True)
    p = check_p(p) if denoise else p
    criterion = criterion if criterion is not None else nn.MSELoss()
    _check_range(model, targets, criterion, "images" if targets is images else "targets")
    dev = torch.device(device) if device is not None else runtime.device()
    model.to(dev).train()
    data = images.to(dev)
    wanted = data if targets is images else targets.to(dev)
    optimizer = _adam(model, lr, dev)
    gen = _generator(dev, seed)
    n = len(data)
    losses: list[float] = []
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        batch_losses = []
        for idx in batches(n, batch_size, gen):
            img = data.index_select(0, idx)     # a shuffled batch (index_select: 6x faster than data[idx])
            target = img if wanted is data else wanted.index_select(0, idx)
            x = img * training_noise(img.shape, p, gen) if denoise else img
            output = model(x)                   # 1. forward
            loss = criterion(output, target)    # 2. loss against the clean image (or its target)
            optimizer.zero_grad()               # 3. clear old gradients
            loss.backward()                     # 4. backpropagate
            optimizer.step()                    # 5. update the weights
            batch_losses.append(loss.detach() * len(idx))
        mean = torch.stack(batch_losses).sum().item() / n
        if not math.isfinite(mean):
            raise TrainingDivergedError(
                f"the training loss became {mean} in epoch {epoch + 1}: training stopped. "
                f"Try a smaller learning rate (lr={lr}), and check that the inputs are "
                "finite and scaled as the model expects ([-1, 1] for tanh, [0, 1] for BCE)."
            )
        losses.append(mean)
        bar.set_postfix(loss=f"{mean:.4f}")
    model.eval()
    return losses
