"""Corruptions: the lecture's dropout mask, and the Gaussian noise of notebook 06's toy.

The lecture writes ``do = nn.Dropout()``, ``noise = do(torch.ones(img.shape))`` and
``img_bad = img * noise``. Dropout zeroes each entry with probability ``p`` and scales
the survivors by ``1 / (1 - p)`` so the mean stays 1: with the default ``p = 0.5`` the
mask holds 0s and 2s. ``dropout_noise`` is that line; ``dropped`` marks the holes.

``ae.fit(..., corrupt=...)`` trains a denoiser: it feeds ``corrupt(img, generator)`` to
the model and still compares the output with the clean ``img``. ``dropout_corruption(p)``
is the lecture's mask (notebooks 02-07), ``gaussian_corruption(sigma)`` adds Gaussian noise
(notebook 06's 2-D toy); both draw from fit's seeded generator.
"""

from __future__ import annotations

import torch

from .checks import check_fraction, check_positive_real

__all__ = ["dropout_noise", "dropped", "dropout_corruption", "gaussian_corruption"]


def _check_p(p) -> float:
    return check_fraction(p, "dropout probability p", hint=": p is the chance a pixel is dropped "
                          "(the lecture uses nn.Dropout's default, 0.5)")


def dropout_noise(shape, p: float = 0.5, generator: torch.Generator | None = None,
                  device=None) -> torch.Tensor:
    """The mask ``nn.Dropout(p)(torch.ones(shape))`` returns, as float32.

    Entries are 0 (dropped, probability ``p``) or ``1 / (1 - p)`` (kept). With the
    global RNG (``generator=None``) and the same seed, the mask is bitwise the one
    ``nn.Dropout`` draws; pass a ``torch.Generator`` for a private, seeded stream.
    Corrupt an image batch with ``img * dropout_noise(img.shape)``. Notebooks 02, 03, 05, 06.
    """
    p = _check_p(p)
    if generator is not None and device is None:
        device = generator.device
    mask = torch.empty(shape, dtype=torch.float32, device=device)
    # nn.Dropout's own arithmetic: Bernoulli(1 - p) keep-mask, then divide by (1 - p).
    return mask.bernoulli_(1.0 - p, generator=generator).div_(1.0 - p)


def dropped(noise: torch.Tensor) -> torch.Tensor:
    """Boolean mask of the dropped pixels (``noise == 0``), same shape as ``noise``."""
    return noise == 0


def dropout_corruption(p: float = 0.5):
    """For ``ae.fit(corrupt=...)``: ``img -> img * mask``, the mask of ``dropout_noise``.

    The mask -- 0 with probability ``p``, else ``1 / (1 - p)`` -- has ``nn.Dropout``'s
    distribution but is drawn by comparing ``torch.rand`` with ``p``, from fit's generator:
    2.5x faster on a CPU than ``bernoulli_`` (benchmarks/README.md). A fresh mask for every
    batch of every epoch. Notebook 03's denoiser (``ae.trained_autoencoder(denoise=True)``).
    """
    p = _check_p(p)

    def corrupt(img: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        keep = torch.rand(img.shape, generator=generator, device=generator.device) >= p
        return img * keep.to(img.device, img.dtype).mul_(1.0 / (1.0 - p))

    corrupt.__qualname__ = f"dropout_corruption(p={p})"
    return corrupt


def gaussian_corruption(sigma: float):
    """For ``ae.fit(corrupt=...)``: ``x -> x + sigma * N(0, 1)``, fresh noise every batch.

    The corruption of notebook 06's 2-D denoiser (the lecture's fig 15-17), drawn from fit's
    generator. ``sigma``: the noise's standard deviation, > 0.
    """
    sigma = check_positive_real(sigma, "sigma (the noise's standard deviation)")

    def corrupt(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return x + sigma * torch.randn(x.shape, generator=generator, device=generator.device).to(x.device)

    corrupt.__qualname__ = f"gaussian_corruption(sigma={sigma})"
    return corrupt
