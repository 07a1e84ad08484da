"""Training: the lecture's recipe (Adam, MSE, batches of 256) without the slow part.

Notebook 02 writes the training loop out step by step, as the lecture teaches it;
every later notebook calls ``fit``, which runs the same five steps (forward, loss,
zero_grad, backward, step) over batches that stay tensors in memory instead of
going through per-sample PIL transforms (see ``benchmarks/bench_training.py``).
For the lecture's own model with MSE, ``fit`` computes the forward pass, the loss
and the backward pass with the chain rule written out (``_lecture_step``, the
same gradients as ``loss.backward()``); every other model goes through autograd.
"""

from __future__ import annotations

import math
import os

import torch
from torch import nn

from ._checks import check_digits
from .noise import check_p

__all__ = ["device", "fit", "TrainingDivergedError", "batches", "training_noise", "BCELoss"]


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


def training_noise(shape, p: float, generator: torch.Generator) -> torch.Tensor:
    """The dropout mask of ``dropout_noise`` -- 0 with probability ``p``, else ``1 / (1 - p)``
    -- drawn from ``torch.rand`` instead of ``bernoulli_``.

    Same distribution, a different (seeded) random stream, and about 3x faster on
    the CPU: ``bernoulli_`` takes 3.4 ms for a 256 x 784 batch, a third of a d = 500
    training step. ``fit(..., denoise=True)`` uses it; notebooks that show the
    lecture's exact line use ``dropout_noise``.
    """
    p = check_p(p)
    keep = torch.rand(shape, generator=generator, device=generator.device) >= p
    return keep.to(torch.float32).mul_(1.0 / (1.0 - p))


class _BinaryCrossEntropy(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x_hat, target):
        ctx.save_for_backward(x_hat, target)
        log_p = torch.log(x_hat).clamp_(min=-100)     # nn.BCELoss clamps the logs at -100
        log_q = torch.log1p(-x_hat).clamp_(min=-100)  # log(1 - x_hat)
        # -mean(y log p + (1 - y) log q) = -mean(log q + y (log p - log q))
        return log_p.sub_(log_q).mul_(target).add_(log_q).mean().neg()

    @staticmethod
    def backward(ctx, grad):
        x_hat, target = ctx.saved_tensors
        # nn.BCELoss's own gradient kernel: (x_hat - y) / max(x_hat (1 - x_hat), 1e-12) / numel
        return torch.ops.aten.binary_cross_entropy_backward(grad, x_hat, target, None, 1), None


class BCELoss(nn.Module):
    """Binary cross-entropy, the lecture's loss for data in [0, 1]: ``nn.BCELoss()``, faster.

    ``loss(x_hat, y) = -mean(y log x_hat + (1 - y) log(1 - x_hat))`` for predictions
    ``x_hat`` and targets ``y`` of the same shape, both in [0, 1] (e.g. a sigmoid
    output and ``(img + 1) / 2``), logs clamped at -100 as ``nn.BCELoss`` does. The
    value equals ``nn.BCELoss()``'s to float rounding and the gradient is computed by
    ``nn.BCELoss``'s own backward kernel (both tested). The difference is speed:
    ``nn.BCELoss``'s CPU forward kernel runs one element at a time (3.6 ms for a
    256 x 784 batch, more than the rest of a training step); this forward uses
    vectorised ``log`` and ``log1p`` (0.8 ms). Notebook 02 trains its BCE model with it.
    """

    def forward(self, x_hat: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if x_hat.shape != target.shape:
            raise ValueError(f"BCELoss: predictions {tuple(x_hat.shape)} and targets "
                             f"{tuple(target.shape)} must have the same shape")
        lo, hi = torch.aminmax(x_hat.detach())
        if lo < 0 or hi > 1 or not torch.isfinite(lo + hi):
            raise ValueError(f"BCELoss: predictions must be probabilities in [0, 1], got values in "
                             f"[{float(lo):.3g}, {float(hi):.3g}]: end the model in a sigmoid "
                             "(Autoencoder(output='sigmoid')) and scale the data to [0, 1]")
        return _BinaryCrossEntropy.apply(x_hat, target)


def batches(n: int, batch_size: int, generator: torch.Generator | None = None):
    """Shuffled index batches covering ``range(n)`` once (the last may be short)."""
    perm = torch.randperm(n, generator=generator, device=generator.device if generator else "cpu")
    return perm.split(batch_size)


def _lecture_step(model: nn.Module, x: torch.Tensor, img: torch.Tensor) -> torch.Tensor:
    """Forward and backward pass of the lecture's autoencoder with MSE, the chain rule by hand.

    The model is h = tanh(W_h x + b_h), x_hat = tanh(W_x h + b_x) and the loss is
    L = mean((x_hat - img)^2) over all B*n entries. Backpropagation gives::

        dL/dz_x = 2 (x_hat - img) / (B n) * (1 - x_hat^2)     z_x = W_x h + b_x   (B, n)
        dL/dW_x = dz_xᵀ h,   dL/db_x = column sums of dz_x
        dL/dz_h = (dz_x W_x) * (1 - h^2)                      z_h = W_h x + b_h   (B, d)
        dL/dW_h = dz_hᵀ x,   dL/db_h = column sums of dz_h

    These are the numbers ``loss.backward()`` computes (tested against autograd);
    writing them out skips autograd's bookkeeping and a few full-size temporaries
    (up to 15 % of a d = 30 training step on the CPU, see benchmarks/README.md). ``x``: the (B, n)
    input (corrupted for the denoiser), ``img``: the (B, n) target. Sets ``.grad``
    of the four parameters and returns the loss as a 0-dim tensor.
    """
    lin_h, lin_x = model.encoder[0], model.decoder[0]
    with torch.no_grad():
        h = torch.addmm(lin_h.bias, x, lin_h.weight.t()).tanh_()
        x_hat = torch.addmm(lin_x.bias, h, lin_x.weight.t()).tanh_()
        diff = x_hat - img
        flat = diff.view(-1)
        loss = torch.dot(flat, flat) / diff.numel()
        dz_x = torch.ops.aten.tanh_backward(diff.mul_(2.0 / diff.numel()), x_hat)
        lin_x.weight.grad = torch.mm(dz_x.t(), h)
        lin_x.bias.grad = dz_x.sum(0)
        dz_h = torch.ops.aten.tanh_backward(torch.mm(dz_x, lin_x.weight), h)
        lin_h.weight.grad = torch.mm(dz_h.t(), x)
        lin_h.bias.grad = dz_h.sum(0)
    return loss


def _is_lecture_model(model: nn.Module, criterion) -> bool:
    """True when ``_lecture_step`` computes exactly what autograd would for this model."""
    from .model import Autoencoder

    if type(model) is not Autoencoder or model.hidden or model.output != "tanh":
        return False
    if criterion is not None and not (type(criterion) is nn.MSELoss and criterion.reduction == "mean"):
        return False
    parts = [*model.encoder, *model.decoder]
    if [type(m) for m in parts] != [nn.Linear, nn.Tanh, nn.Linear, nn.Tanh]:
        return False
    if any(m._forward_hooks or m._forward_pre_hooks or m._backward_hooks for m in model.modules()):
        return False  # someone is watching the forward pass: let it run
    params = list(model.parameters())
    return len(params) == 4 and all(p.requires_grad for p in params)


def fit(model: nn.Module, images: torch.Tensor, *, epochs: int = 20, batch_size: int = 256,
        lr: float = 1e-3, denoise: bool = False, p: float = 0.5, seed: int = 0,
        criterion: nn.Module | None = None, progress: bool = True,
        device: torch.device | str | None = None, backward: str = "auto") -> list[float]:
    """Train ``model`` to reconstruct ``images``; return the mean training loss per epoch.

    ``images``: float tensor (N, n) -- [-1, 1] digits from ``load_mnist`` (or [0, 1]
    with a sigmoid model and ``criterion=aehelpers.BCELoss()``). The lecture's recipe:
    Adam(lr), ``criterion`` = MSE by default, shuffled batches of ``batch_size``.
    ``denoise=True`` feeds ``img * training_noise(img.shape, p)`` -- the lecture's
    dropout mask, 0 or ``1 / (1 - p)`` -- and targets ``img`` (notebook 03). ``seed``
    fixes the shuffling and the noise: the same seed and initial weights give the
    same losses on the CPU. The model is
    trained in place on ``device`` (default ``aehelpers.device()``) and left there.
    Raises ``TrainingDivergedError`` as soon as an epoch's loss is NaN or infinite.

    ``backward="auto"`` computes the gradients of the lecture's own model (one
    tanh layer each way, MSE) with the chain rule written out (``_lecture_step``),
    and of any other model with ``loss.backward()``; ``backward="autograd"`` always
    uses ``loss.backward()``. Both give the same gradients up to float rounding.
    """
    from tqdm.auto import tqdm

    check_digits(images, "images", n=getattr(model, "n", None), expected_by="the model")
    if not (isinstance(epochs, int) and epochs >= 1 and isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"epochs and batch_size must be positive ints, got {epochs!r}, {batch_size!r}")
    if backward not in ("auto", "autograd"):
        raise ValueError(f"backward must be 'auto' or 'autograd', got {backward!r}")
    if denoise:
        p = check_p(p)
    dev = torch.device(device) if device is not None else _auto_device()
    by_hand = backward == "auto" and _is_lecture_model(model, criterion)
    criterion = criterion if criterion is not None else nn.MSELoss()
    model.to(dev).train()
    data = images.to(dev)
    opt = _adam(model, lr, dev)
    gen = _generator(dev, seed)
    n = len(data)
    losses: list[float] = []
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        batch_losses = []
        for idx in batches(n, batch_size, gen):
            img = data.index_select(0, idx)     # (index_select: 6x faster than data[idx])
            x = img * training_noise(img.shape, p, gen) if denoise else img
            if by_hand:
                opt.zero_grad()
                loss = _lecture_step(model, x, img)  # forward, loss and backward in one
            else:
                output = model(x)                # 1. forward
                loss = criterion(output, img)    # 2. loss against the clean image
                opt.zero_grad()                  # 3. clear old gradients
                loss.backward()                  # 4. backpropagate
            opt.step()                           # 5. update the weights
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
