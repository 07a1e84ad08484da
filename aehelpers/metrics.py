"""Measuring reconstructions: the numbers the notebooks assert on.

``masked_mse`` and ``psnr`` take tensors of the same shape -- (N, 784) digits, usually --
and return Python floats, computed over every selected pixel of every image at once
(not an average of per-image scores). NaN or infinite inputs are refused, never
averaged into a NaN. Used by notebooks 01-07.
"""

from __future__ import annotations

import math

import torch

from ._checks import check_mask

__all__ = ["masked_mse", "psnr", "psnr_of_mse"]


def _check(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None) -> None:
    for name, t in (("pred", pred), ("target", target)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor, got {type(t).__name__}")
        if t.numel() == 0:
            raise ValueError(f"{name} is empty (shape {tuple(t.shape)}): nothing to measure")
    if pred.shape != target.shape:
        raise ValueError(f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}")
    if mask is not None:
        check_mask(mask, "mask", shape=pred.shape)


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None) -> float:
    """Mean squared error over the pixels where ``mask`` is True (all pixels if None).

    ``pred``, ``target``: tensors of one shape; ``mask``: bool tensor of that shape.
    Values are compared in whatever units they come in ([-1, 1] for normalised digits).
    A NaN or infinite value anywhere in ``pred`` or ``target`` is a ValueError.
    """
    _check(pred, target, mask)
    diff = (pred.float() - target.float()).square_()
    total = diff.sum()
    if not torch.isfinite(total):
        bad = "pred" if not torch.isfinite(pred).all() else "target"
        raise ValueError(f"masked_mse: {bad} contains NaN or infinite values; a model that produces "
                         "them has diverged (retrain it, e.g. with a smaller learning rate)")
    if mask is None:
        return float(total / diff.numel())
    return float(diff.mul_(mask).sum() / mask.sum())  # (cheaper than diff[mask] for big batches)


def psnr(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None, *,
         value_range: tuple[float, float]) -> float:
    """Peak signal-to-noise ratio in dB, with intensities rescaled to [0, 1].

    ``value_range``: the range the images live in, ``(-1, 1)`` for ae.load_mnist's digits,
    ``(0, 1)`` for intensities -- required, because the same images scored on the wrong
    range gain or lose 6 dB; a ``target`` outside it is a ValueError. PSNR =
    10 log10(1 / MSE) on [0, 1] intensities over the masked pixels; higher is better,
    +inf for a perfect match.
    """
    if not (isinstance(value_range, tuple) and len(value_range) == 2):
        raise TypeError(f"value_range must be a (low, high) tuple such as (-1, 1), got {value_range!r}")
    lo, hi = (float(v) for v in value_range)
    if not hi > lo:
        raise ValueError(f"value_range must be (low, high) with high > low, got {value_range}")
    _check(pred, target, mask)
    t_lo, t_hi = (float(v) for v in torch.aminmax(target.detach()))
    span = 1e-4 * (hi - lo)
    if t_lo < lo - span or t_hi > hi + span:
        raise ValueError(f"target has values in [{t_lo:.3g}, {t_hi:.3g}], outside value_range={value_range}: "
                         "pass the range the images live in, (-1, 1) for ae.load_mnist's digits")
    return psnr_of_mse(masked_mse(pred, target, mask) / (hi - lo) ** 2)


def psnr_of_mse(mse01: float) -> float:
    """PSNR in dB of a mean squared error measured on [0, 1] intensities: 10 log10(1 / mse01)."""
    if not mse01 >= 0:
        raise ValueError(f"an MSE must be a number >= 0, got {mse01!r}")
    return math.inf if mse01 == 0 else 10.0 * math.log10(1.0 / mse01)
