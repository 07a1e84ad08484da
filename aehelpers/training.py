"""Training: the lecture's recipe (Adam, MSE, batches of 256) without the slow part.

Notebook 02 writes the training loop out step by step, as the lecture teaches it;
every later notebook calls ``fit``, which runs the same five steps (forward, loss,
zero_grad, backward, step) over batches that stay tensors in memory instead of
going through per-sample PIL transforms (see ``benchmarks/bench_training.py``).
"""

from __future__ import annotations

import math
import os

import torch
from torch import nn

from .noise import dropout_noise

__all__ = ["device", "fit", "TrainingDivergedError", "batches"]


class TrainingDivergedError(FloatingPointError):
    """The training loss became NaN or infinite."""


def device() -> torch.device:
    """The fastest available device: CUDA, then Apple's MPS, then the CPU.

    ``$AEHELPERS_DEVICE`` (e.g. ``cpu``) overrides the choice.
    """
    forced = os.environ.get("AEHELPERS_DEVICE")
    if forced:
        return torch.device(forced)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


_auto_device = device  # `fit` has a parameter named `device`


def _generator(dev: torch.device, seed: int) -> torch.Generator:
    try:
        g = torch.Generator(device=dev)
    except RuntimeError:  # a backend without device generators
        g = torch.Generator()
    return g.manual_seed(seed)


class _FusedAdam:
    """Adam (no weight decay) through torch's fused kernel, called directly.

    The same arithmetic as ``torch.optim.Adam(params, lr, fused=True)`` (tested to
    be bitwise equal), without the optimiser's per-step Python bookkeeping, which
    costs about 0.2 ms a step: 5 % of a whole d = 30 training step on two cores.
    """

    def __init__(self, params, lr: float, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = [p for p in params if p.requires_grad]
        self.exp_avg = [torch.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [torch.zeros_like(p) for p in self.params]
        self.steps = [torch.zeros((), dtype=torch.float32, device=p.device) for p in self.params]
        self.lr, self.betas, self.eps = lr, betas, eps

    @staticmethod
    def available(dev: torch.device) -> bool:
        return hasattr(torch, "_fused_adam_") and dev.type in ("cpu", "cuda")

    def zero_grad(self) -> None:
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        with_grad = [i for i, p in enumerate(self.params) if p.grad is not None]
        pick = lambda xs: [xs[i] for i in with_grad]  # noqa: E731
        steps = pick(self.steps)
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(pick(self.params), [self.params[i].grad for i in with_grad], pick(self.exp_avg),
                           pick(self.exp_avg_sq), [], steps, lr=self.lr, beta1=self.betas[0],
                           beta2=self.betas[1], weight_decay=0.0, eps=self.eps, amsgrad=False,
                           maximize=False)


def _adam(model: nn.Module, lr: float, dev: torch.device):
    if _FusedAdam.available(dev):
        return _FusedAdam(model.parameters(), lr)
    return torch.optim.Adam(model.parameters(), lr=lr)


def batches(n: int, batch_size: int, generator: torch.Generator | None = None):
    """Shuffled index batches covering ``range(n)`` once (the last may be short)."""
    perm = torch.randperm(n, generator=generator, device=generator.device if generator else "cpu")
    return perm.split(batch_size)


def _check_images(model: nn.Module, images) -> None:
    if not isinstance(images, torch.Tensor):
        raise TypeError(f"images must be a torch.Tensor of shape (N, features), got {type(images).__name__}")
    if images.ndim != 2 or not images.is_floating_point():
        raise ValueError(
            f"images must be a float tensor of shape (N, features), e.g. load_mnist()[0] "
            f"of shape (60000, 784); got dtype {images.dtype} and shape {tuple(images.shape)}. "
            "Flatten 28x28 digits with images.reshape(len(images), -1)."
        )
    n_in = getattr(model, "n", None)
    if n_in is not None and images.shape[1] != n_in:
        raise ValueError(f"the model expects {n_in} features per image, the images have {images.shape[1]}")
    if not torch.isfinite(images).all():
        raise ValueError("images contain NaN or infinite values: clean the data before training")


def fit(model: nn.Module, images: torch.Tensor, *, epochs: int = 20, batch_size: int = 256,
        lr: float = 1e-3, denoise: bool = False, p: float = 0.5, seed: int = 0,
        criterion: nn.Module | None = None, progress: bool = True,
        device: torch.device | str | None = None) -> list[float]:
    """Train ``model`` to reconstruct ``images``; return the mean training loss per epoch.

    ``images``: float tensor (N, n) -- [-1, 1] digits from ``load_mnist`` (or [0, 1]
    with a sigmoid model and ``criterion=nn.BCELoss()``). The lecture's recipe:
    Adam(lr), ``criterion`` = MSE by default, shuffled batches of ``batch_size``.
    ``denoise=True`` feeds ``img * dropout_noise(img.shape, p)`` and targets ``img``
    (the denoising AE, notebook 03). ``seed`` fixes the shuffling and the noise:
    the same seed and initial weights give the same losses on the CPU. The model is
    trained in place on ``device`` (default ``aehelpers.device()``) and left there.
    Raises ``TrainingDivergedError`` as soon as an epoch's loss is NaN or infinite.
    """
    from tqdm.auto import tqdm

    _check_images(model, images)
    if not (isinstance(epochs, int) and epochs >= 1 and isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"epochs and batch_size must be positive ints, got {epochs!r}, {batch_size!r}")
    dev = torch.device(device) if device is not None else _auto_device()
    criterion = criterion if criterion is not None else nn.MSELoss()
    model.to(dev).train()
    data = images.to(dev)
    opt = _adam(model, lr, dev)
    gen = _generator(dev, seed)
    n = len(data)
    losses: list[float] = []
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        total = torch.zeros((), device=dev)
        for idx in batches(n, batch_size, gen):
            img = data.index_select(0, idx)     # (index_select: 6x faster than data[idx])
            x = img * dropout_noise(img.shape, p, generator=gen) if denoise else img
            output = model(x)                    # 1. forward
            loss = criterion(output, img)        # 2. loss against the clean image
            opt.zero_grad()                      # 3. clear old gradients
            loss.backward()                      # 4. backpropagate
            opt.step()                           # 5. update the weights
            total += loss.detach() * len(idx)
        mean = total.item() / n
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
