"""Super-resolution: down-sampled digits brought back to 28 x 28, by OpenCV and by a network.

The lecture's fig 9 up-samples 16 x 16 faces with bicubic interpolation and with a
network, next to the real face. Here the digits are shrunk to ``size x size`` (14 or
7) by averaging blocks of pixels, and brought back in two ways:

* ``downsample`` / ``upsample_bicubic``: OpenCV's ``cv2.resize`` with ``INTER_AREA``
  (the mean of each block: with 28 / size an integer, exactly 2x2 or 4x4 averages)
  and ``INTER_CUBIC`` (bicubic interpolation), digit by digit;
* ``Upsampler``: an autoencoder-shaped network, ``size^2 -> hidden -> 784``, a linear
  layer and a tanh on each side like the lecture's model. Its ``forward`` takes
  *full-resolution* digits and down-samples them first (the same block means, in
  torch), so ``ae.fit(upsampler, x_train)`` trains it to give back the full digit
  from the small one, with the lecture's recipe unchanged, and ``ae.reconstruct``
  runs it. ``upsampler.upsample(low)`` maps given low-resolution digits.

Images are (N, 784) in [-1, 1] at full resolution, (N, size^2) when small. cv2 is
imported inside the functions. Used by notebook 07.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ._checks import check_digits, check_positive_int
from .data import load_mnist
from .stacked import trained_together

__all__ = ["SIZES", "downsample", "upsample_bicubic", "block_mean", "Upsampler", "skewed_subset",
           "trained_upsamplers"]

#: The low resolutions the helpers accept: sizes that divide 28 (whole blocks of pixels).
SIZES = (14, 7, 4, 2)


def _check_size(size) -> int:
    if isinstance(size, bool) or not isinstance(size, int) or size not in SIZES:
        raise ValueError(f"size must be one of {SIZES} (a side that divides 28, so each small pixel "
                         f"is the mean of a whole block), got {size!r}")
    return size


def _side(images: torch.Tensor, name: str) -> int:
    side = int(round(images.shape[1] ** 0.5))
    if side * side != images.shape[1]:
        raise ValueError(f"{name} must hold square digits, (N, side^2) pixels, got shape {tuple(images.shape)}")
    return side


def downsample(images: torch.Tensor, size: int) -> torch.Tensor:
    """(N, 784) digits -> (N, size^2): OpenCV ``INTER_AREA``, the mean of each block of pixels."""
    import cv2

    size = _check_size(size)
    check_digits(images, "images", n=784, expected_by="downsample (28 x 28 digits)")
    pixels = images.detach().cpu().float().numpy().reshape(-1, 28, 28)
    small = np.stack([cv2.resize(p, (size, size), interpolation=cv2.INTER_AREA) for p in pixels])
    return torch.from_numpy(small.reshape(len(small), -1))


def upsample_bicubic(low: torch.Tensor, clip: bool = True) -> torch.Tensor:
    """(N, s^2) small digits -> (N, 784): OpenCV bicubic interpolation (``INTER_CUBIC``).

    Bicubic interpolation overshoots near sharp edges, beyond [-1, 1]; ``clip=True``
    (the default) clips the result to [-1, 1], which only brings it closer to any digit.
    """
    import cv2

    check_digits(low, "low")
    side = _side(low, "low")
    if side >= 28:
        raise ValueError(f"low must be smaller than 28 x 28, got {side} x {side}")
    pixels = low.detach().cpu().float().numpy().reshape(-1, side, side)
    big = np.stack([cv2.resize(p, (28, 28), interpolation=cv2.INTER_CUBIC) for p in pixels])
    out = torch.from_numpy(big.reshape(len(big), 784))
    return out.clamp(-1.0, 1.0) if clip else out


def block_mean(images: torch.Tensor, size: int) -> torch.Tensor:
    """``downsample`` in torch (``avg_pool2d``, differentiable, any device): (N, 784) -> (N, size^2)."""
    size = _check_size(size)
    factor = 28 // size
    return nn.functional.avg_pool2d(images.reshape(-1, 1, 28, 28), factor).flatten(1)


class Upsampler(nn.Module):
    """``size^2 -> hidden -> 784``, a Linear + Tanh on each side, fed block means of the digit.

    ``forward(x)``: (N, 784) full digits -> (N, 784) up-sampled from their ``size x size``
    block means (so ``ae.fit(model, x_train)`` trains it to restore the digit and
    ``ae.reconstruct(model, x_test)`` evaluates it). ``upsample(low)``: (N, size^2) -> (N, 784).
    ``n = 784`` (what it takes and gives), ``d = hidden``.
    """

    def __init__(self, size: int = 14, hidden: int = 100):
        super().__init__()
        self.size = _check_size(size)
        self.n, self.d = 784, check_positive_int(hidden, "hidden")
        self.encoder = nn.Sequential(nn.Linear(size * size, hidden), nn.Tanh())
        self.decoder = nn.Sequential(nn.Linear(hidden, 784), nn.Tanh())

    def encoder_input(self, images: torch.Tensor) -> torch.Tensor:
        """What the encoder sees of full digits: their block means, (N, size^2)."""
        return block_mean(images, self.size)

    def upsample(self, low: torch.Tensor) -> torch.Tensor:
        """(N, size^2) small digits -> (N, 784)."""
        return self.decoder(self.encoder(low))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.upsample(self.encoder_input(x))

    def extra_repr(self) -> str:
        return f"size={self.size}, hidden={self.d}"


def skewed_subset(labels: torch.Tensor, rare: int, kept: int, seed: int = 0) -> torch.Tensor:
    """A bool mask (N,) over a training set that keeps every digit but only ``kept`` of class ``rare``.

    The ``kept`` digits of the rare class are drawn at random (seeded by ``seed``); a
    class-skewed training set for the lecture's warning about training-set bias (fig 9).
    """
    if not isinstance(labels, torch.Tensor) or labels.ndim != 1 or labels.is_floating_point():
        raise ValueError("labels must be a 1-D integer tensor of classes, e.g. load_mnist()[1]")
    if isinstance(rare, bool) or not isinstance(rare, int) or not (labels == rare).any():
        raise ValueError(f"rare must be a class present in labels, got {rare!r}")
    kept = check_positive_int(kept, "kept", allow_zero=True)
    members = (labels == rare).nonzero().squeeze(1)
    if kept > len(members):
        raise ValueError(f"kept={kept}, but class {rare} has only {len(members)} digits")
    order = torch.randperm(len(members), generator=torch.Generator().manual_seed(seed))
    mask = labels != rare
    mask[members[order[:kept]]] = True
    return mask


def trained_upsamplers(hidden: int = 100, rare: int = 4, kept: int = 60, seed: int = 0,
                       progress: bool = True) -> dict[str, Upsampler]:
    """Three up-samplers trained with the lecture's recipe on the training digits; cached.

    ``"14"``: 14 x 14 -> 28 x 28 and ``"7"``: 7 x 7 -> 28 x 28, on all 60,000 digits;
    ``"7 skewed"``: 7 x 7 -> 28 x 28 on a class-skewed set, every digit but only ``kept``
    of class ``rare`` (``skewed_subset``). Each is ``Upsampler(size, hidden)`` trained as
    ``ae.fit`` would train it (20 epochs, batches of 256, Adam 1e-3, MSE against the full
    digit); the three are trained together with ``ae.fit_together`` and cached as one file.
    """

    hidden = check_positive_int(hidden, "hidden")
    x, y = load_mnist(train=True)
    everything = torch.ones_like(y, dtype=torch.bool)
    subsets = [everything, everything, skewed_subset(y, rare, kept, seed)]
    message = (f"Training 3 up-samplers together (14x14, 7x7, 7x7 with only {kept} digits of class {rare}); "
               "cached for later runs.")
    models = trained_together("upsamplers", {"sizes": [14, 7, 7], "hidden": hidden, "rare": rare, "kept": kept},
                              lambda: [Upsampler(14, hidden), Upsampler(7, hidden), Upsampler(7, hidden)],
                              x, subsets, seed=seed, progress=progress, message=message)
    return dict(zip(["14", "7", "7 skewed"], models))
