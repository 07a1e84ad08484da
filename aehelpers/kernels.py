"""Encoder kernels: the rows of W_h seen as 28x28 images, and a statistic on them.

The lecture (fig 22-23) says that a standard autoencoder leaves the weights on
pixels outside the digit area random, while the denoiser's kernels become
constant there. ``outside_mask`` defines "outside" from the data (pixels that are
background in almost every training digit), ``outside_inside_spread`` measures,
kernel by kernel, how much the weights vary outside relative to inside, and
``kernel_mosaic`` / ``show_kernel_grids`` draw many kernels of several models side
by side. Used by notebook 04.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .checks import check_digits
from .plotting import mosaic

__all__ = ["outside_mask", "outside_inside_spread", "kernel_mosaic", "show_kernel_grids"]


def _weight_matrix(weight, n: int = 784) -> torch.Tensor:
    if isinstance(weight, np.ndarray):
        weight = torch.from_numpy(weight)
    if not isinstance(weight, torch.Tensor) or weight.ndim != 2 or weight.shape[1] != n:
        raise ValueError(f"expected an encoder weight W_h of shape (d, {n}) "
                         f"(e.g. model.encoder[0].weight), got {getattr(weight, 'shape', type(weight).__name__)}")
    return weight.detach().cpu().double()


def outside_mask(images: torch.Tensor, fraction: float = 0.99, background: float = -1.0) -> torch.Tensor:
    """Pixels outside the digit area: bool (n,), True where a pixel equals ``background``
    in at least ``fraction`` of ``images`` (N, n).

    With the lecture's [-1, 1] normalisation the background is -1 (black). Use the
    training digits, so the definition does not peek at the test set.
    """
    check_digits(images)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"fraction must be in (0, 1], got {fraction!r} (e.g. 0.99: background in 99 % of digits)")
    return (images == background).double().mean(0) >= fraction


def outside_inside_spread(weight, outside: torch.Tensor) -> torch.Tensor:
    """Per kernel: std of its weights on ``outside`` pixels / std of its weights on the others.

    ``weight``: W_h (d, n); ``outside``: bool (n,) from ``outside_mask`` (needs at
    least 2 pixels on each side). Returns float64 (d,), values >= 0. Near 1 for
    random weights (e.g. at initialisation); near 0 when a kernel is (nearly)
    constant outside the digit area while it varies inside. It is blind to a
    constant offset outside: "constant" is what the lecture claims, not "zero".
    """
    if not isinstance(outside, torch.Tensor) or outside.dtype != torch.bool or outside.ndim != 1:
        raise TypeError("outside must be a 1-D bool tensor of length n (True = outside the digit area), "
                        "e.g. outside_mask(train_images)")
    w = _weight_matrix(weight, n=len(outside))
    n_out = int(outside.sum())
    if n_out < 2 or len(outside) - n_out < 2:
        raise ValueError(f"need at least 2 pixels outside and 2 inside, got {n_out} outside and "
                         f"{len(outside) - n_out} inside: check the mask's fraction")
    spread_out = w[:, outside].std(dim=1)
    spread_in = w[:, ~outside].std(dim=1)
    return spread_out / spread_in.clamp_min(1e-300)


def kernel_mosaic(weight, n: int = 100, ncols: int = 10, order=None, pad: int = 1) -> np.ndarray:
    """The first ``n`` kernels (or those listed in ``order``) tiled into one 2-D array.

    ``weight`` (d, 784) -> float array (rows*(28+pad)-pad, ncols*(28+pad)-pad) holding
    each kernel as a 28x28 tile, separated by ``pad`` NaN pixels (drawn as blank
    by ``imshow``). Handy to put the kernels of several models side by side.
    """
    w = _weight_matrix(weight).numpy()
    idx = np.arange(min(n, len(w))) if order is None else np.asarray(order, dtype=np.int64)[:n]
    if len(idx) == 0:
        raise ValueError("no kernel to draw: n must be >= 1 and order non-empty")
    if idx.min() < 0 or idx.max() >= len(w):
        raise IndexError(f"kernel indices must be in [0, {len(w)}), got {idx.min()}..{idx.max()}")
    return mosaic(w[idx].reshape(-1, 28, 28), ncols=ncols, pad=pad)


def show_kernel_grids(weights: dict, n: int = 100, ncols: int | None = None, order: dict | None = None,
                      size: float = 4.0, quantile: float = 1.0, suptitle: str | None = None):
    """One kernel mosaic per model, side by side; returns the figure.

    ``weights``: {label: W_h (d, 784)}. Each panel uses a diverging colormap
    symmetric around 0 (blue negative, white 0, red positive) with its own colour
    bar, because the models' weight scales differ. The colour limit is the
    ``quantile`` of the absolute weights shown (1.0: the largest; e.g. 0.99 keeps a
    few extreme weights from washing out the rest: they saturate). ``ncols``: kernels
    per row (default: a square-ish grid). ``order``: optional {label: kernel
    indices} to choose and sort the kernels (e.g. by norm). The lecture's fig 22-23.
    """
    import matplotlib.pyplot as plt

    if not weights:
        raise ValueError("weights is empty: pass {label: W_h}")
    if not 0.0 < quantile <= 1.0:
        raise ValueError(f"quantile must be in (0, 1], got {quantile!r}")
    order = order or {}
    fig, axes = plt.subplots(1, len(weights), figsize=(size * len(weights), size * 0.85 + 0.6), squeeze=False,
                             layout="constrained")
    for ax, (label, w) in zip(axes[0], weights.items()):
        count = min(n, len(w)) if order.get(label) is None else min(n, len(order[label]))
        cols = ncols if ncols is not None else math.ceil(math.sqrt(count))
        mosaic = kernel_mosaic(w, n=n, ncols=cols, order=order.get(label))
        lim = float(np.nanquantile(np.abs(mosaic), quantile))
        im = ax.imshow(mosaic, cmap="RdBu_r", vmin=-lim, vmax=lim)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"{label}\n(colour range [{-lim:.2f}, {lim:.2f}])")
        fig.colorbar(im, ax=ax, shrink=0.7, extend="neither" if quantile == 1.0 else "both")
    if suptitle:
        fig.suptitle(suptitle)
    return fig
