"""The lecture's corruption: a dropout mask multiplied into the image.

The lecture writes ``do = nn.Dropout()``, ``noise = do(torch.ones(img.shape))`` and
``img_bad = img * noise``. Dropout zeroes each entry with probability ``p`` and
scales the survivors by ``1 / (1 - p)`` so the mean stays 1: with the default
``p = 0.5`` the mask holds 0s and 2s. Used by notebooks 03 (denoising) and 05
(inpainting), and by ``fit(..., denoise=True)``.
"""

from __future__ import annotations

import torch

__all__ = ["dropout_noise", "dropped", "check_p"]


def check_p(p) -> float:
    """``p`` as a float, or a ValueError saying why it is not a dropout probability."""
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= float(p) < 1.0:
        raise ValueError(
            f"dropout probability p must be a number in [0, 1), got {p!r}: p is the "
            "chance a pixel is dropped (the lecture uses nn.Dropout's default, 0.5)."
        )
    return float(p)


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


def dropped(noise: torch.Tensor) -> torch.Tensor:
    """Boolean mask of the dropped pixels (``noise == 0``), same shape as ``noise``."""
    return noise == 0
