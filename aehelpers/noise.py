"""The lecture's corruption: a dropout mask multiplied into the image.

The lecture writes ``do = nn.Dropout()``, ``noise = do(torch.ones(img.shape))`` and
``img_bad = img * noise``. Dropout zeroes each entry with probability ``p`` and
scales the survivors by ``1 / (1 - p)`` so the mean stays 1: with the default
``p = 0.5`` the mask holds 0s and 2s. ``dropout_noise`` is that line; ``training_noise``
draws the same distribution faster for ``fit(..., denoise=True)``. Used by notebooks 03
(denoising) and 05 (inpainting).
"""

from __future__ import annotations

import torch

from ._checks import check_fraction

__all__ = ["dropout_noise", "training_noise", "dropped", "check_p"]


def check_p(p) -> float:
    """``p`` as a float, or a ValueError saying why it is not a dropout probability."""
    return check_fraction(p, "dropout probability p", hint=": p is the chance a pixel is dropped "
                          "(the lecture uses nn.Dropout's default, 0.5)")


def dropout_noise(shape, p: float = 0.5, generator: torch.Generator | None = None,
                  device=None) -> torch.Tensor:
    """The mask ``nn.Dropout(p)(torch.ones(shape))`` returns, as float32.

    Entries are 0 (dropped, probability ``p``) or ``1 / (1 - p)`` (kept). With the
    global RNG (``generator=None``) and the same seed, the mask is bitwise the one
    ``nn.Dropout`` draws; pass a ``torch.Generator`` for a private, seeded stream.
    Corrupt an image batch with ``img * dropout_noise(img.shape)``.
    """
    p = check_p(p)
    if generator is not None and device is None:
        device = generator.device
    mask = torch.empty(shape, dtype=torch.float32, device=device)
    # nn.Dropout's own arithmetic: Bernoulli(1 - p) keep-mask, then divide by (1 - p).
    return mask.bernoulli_(1.0 - p, generator=generator).div_(1.0 - p)


def training_noise(shape, p: float, generator: torch.Generator) -> torch.Tensor:
    """The mask of ``dropout_noise`` -- 0 with probability ``p``, else ``1 / (1 - p)`` --
    drawn by comparing ``torch.rand`` with ``p``.

    The same distribution as ``nn.Dropout``'s mask from a different (seeded) random
    stream, about 2.5x faster on the CPU than ``bernoulli_`` (see benchmarks/README.md).
    ``fit(..., denoise=True)`` uses it; notebooks that show the lecture's exact line
    use ``dropout_noise``. Shape ``shape``, float32, on the generator's device.
    """
    p = check_p(p)
    keep = torch.rand(shape, generator=generator, device=generator.device) >= p
    return keep.to(torch.float32).mul_(1.0 / (1.0 - p))


def dropped(noise: torch.Tensor) -> torch.Tensor:
    """Boolean mask of the dropped pixels (``noise == 0``), same shape as ``noise``."""
    return noise == 0
