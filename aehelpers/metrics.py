"""The numbers the notebooks assert on: reconstruction errors, and two rank statistics.

``masked_mse`` and ``psnr`` take tensors of the same shape -- (N, 784) digits, usually --
and return Python floats, computed over every selected pixel of every image at once
(not an average of per-image scores). NaN or infinite inputs are refused, never
averaged into a NaN. Used by notebooks 01-07.

``roc_auc`` (how well an anomaly score separates two groups, notebook 07) and ``spearman``
(how monotone one quantity is in another, notebook 06) both work on ranks: ``ranks`` gives
tied values their average rank.
"""

from __future__ import annotations

import math

import torch

from .checks import check_mask

__all__ = ["masked_mse", "psnr", "psnr_of_mse", "ranks", "roc_auc", "spearman"]


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


def ranks(values: torch.Tensor) -> torch.Tensor:
    """Ranks 1..N of a 1-D tensor's values (float64, (N,)); tied values share their average rank."""
    _, inverse, counts = torch.unique(values.detach().double().cpu(), sorted=True, return_inverse=True,
                                      return_counts=True)
    last = counts.cumsum(0).double()                         # the highest rank of each distinct value
    return (last - (counts.double() - 1) / 2)[inverse]       # ties: the mean of their ranks


def roc_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """Area under the ROC curve of ``scores`` (higher = more anomalous) for ``labels`` (1 = anomaly).

    ``scores``: 1-D float tensor (N,), finite; ``labels``: 1-D tensor (N,) of 0/1 (bool or
    int), both classes present. The fraction of (positive, negative) pairs in which the
    positive scores higher, a tie counting one half, computed from ranks (Mann-Whitney):
    AUC = (sum of the positives' ranks - P (P + 1) / 2) / (P Q) for P positives and Q
    negatives. A float in [0, 1]; 0.5 is chance. Notebook 07.
    """
    if not isinstance(scores, torch.Tensor) or not isinstance(labels, torch.Tensor):
        raise TypeError("roc_auc needs two torch tensors: scores (N,) and labels (N,); got "
                        f"{type(scores).__name__} and {type(labels).__name__} (use torch.as_tensor)")
    if scores.ndim != 1 or labels.ndim != 1 or len(scores) != len(labels):
        raise ValueError(f"scores and labels must be 1-D, one number per example, of one length; got shapes "
                         f"{tuple(scores.shape)} and {tuple(labels.shape)}")
    if not torch.isfinite(scores.double()).all():
        raise ValueError("scores contain NaN or infinite values: every example needs a finite score")
    if labels.is_floating_point() or labels.is_complex():
        raise TypeError(f"labels must be bool or integer 0/1 (1 = anomaly), got dtype {labels.dtype}")
    positive = labels.long().cpu()
    if ((positive != 0) & (positive != 1)).any():
        raise ValueError(f"labels must be 0 (normal) or 1 (anomaly), got values {positive.unique().tolist()}")
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        which = "anomalies (1)" if n_pos == 0 else "normal examples (0)"
        raise ValueError(f"labels hold a single class: no {which}, so no pair to rank; an AUC needs both")
    rank_sum = ranks(scores)[positive.bool()].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
    """Spearman's rank correlation of two 1-D tensors of equal length, in [-1, 1].

    The Pearson correlation of the ranks; tied values share their average rank (a
    saturated tanh code can repeat a value exactly). +1: ``b`` grows whenever ``a``
    grows (a perfectly monotone correspondence), -1: whenever it shrinks. Notebook 06.
    """
    for name, v in (("a", a), ("b", b)):
        if not isinstance(v, torch.Tensor) or v.ndim != 1:
            raise TypeError(f"{name} must be a 1-D tensor, got {getattr(v, 'shape', type(v).__name__)}")
        if len(v) < 2:
            raise ValueError(f"{name} needs at least 2 values to rank, got {len(v)}")
    if len(a) != len(b):
        raise ValueError(f"a and b must have the same length, got {len(a)} and {len(b)}")
    ra, rb = (r - r.mean() for r in (ranks(a), ranks(b)))
    denom = ra.norm() * rb.norm()
    if denom == 0:
        raise ValueError("a or b is constant: a rank correlation needs values that differ")
    return float(ra @ rb / denom)
