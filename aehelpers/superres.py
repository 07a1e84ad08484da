"""Super-resolution: down-sampled digits brought back to 28 x 28, by OpenCV and by a network.

The lecture's fig 9 up-samples 16 x 16 faces with bicubic interpolation and with a
network, next to the real face. Here the digits are shrunk to ``size x size`` (14 or
7) by averaging blocks of pixels, and brought back in two ways:

* ``downsample``: the mean of each 2x2 or 4x4 block (``avg_pool2d``; what OpenCV's
  ``INTER_AREA`` gives, tested); ``upsample_bicubic``: OpenCV's bicubic interpolation
  (``cv2.resize`` with ``INTER_CUBIC``), digit by digit;
* ``Upsampler``: an autoencoder-shaped network, ``size^2 -> hidden -> 784``, a linear
  layer and a tanh on each side like the lecture's model. It takes *full-resolution*
  digits and its encoder sees only their block means, so ``ae.fit(upsampler, x_train)``
  trains it to give back the full digit from the small one, with the lecture's recipe
  unchanged, and ``ae.reconstruct`` runs it;
* ``linear_upsampler``: the best *linear* map from the small digit to the full one, fitted
  on the same training digits by least squares: what learning from data gives without a
  non-linearity.

Images are (N, 784) in [-1, 1] at full resolution, (N, size^2) when small. cv2 is
imported inside ``upsample_bicubic``. Used by notebook 07.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from .cache import cached_model
from .checks import check_digits, check_labels, check_positive_int
from .data import load_mnist
from .model import EncoderDecoder
from .training import fit

__all__ = ["SIZES", "downsample", "upsample_bicubic", "Upsampler", "linear_upsampler", "skewed_subset",
           "trained_upsampler"]

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
    """(N, 784) digits -> (N, size^2): the mean of each (28 / size) x (28 / size) block of pixels."""
    size = _check_size(size)
    check_digits(images, "images", n=784, expected_by="downsample (28 x 28 digits)", finite=False)
    return nn.functional.avg_pool2d(images.reshape(-1, 1, 28, 28), 28 // size).flatten(1)


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


class Upsampler(EncoderDecoder):
    """``size^2 -> hidden -> 784``, a Linear + Tanh on each side, fed the block means of a digit.

    ``forward(x)``: (N, 784) full digits -> (N, 784) up-sampled from their ``size x size``
    block means (so ``ae.fit(model, x_train)`` trains it to restore the digit and
    ``ae.reconstruct(model, x_test)`` evaluates it). ``upsample(low)``: (N, size^2) -> (N, 784).
    ``n = 784`` (what it takes and gives), ``d = hidden``.
    """

    output_range = (-1.0, 1.0)

    def __init__(self, size: int = 14, hidden: int = 100):
        super().__init__()
        self.size = _check_size(size)
        self.n, self.d = 784, check_positive_int(hidden, "hidden")
        self.encoder = nn.Sequential(nn.Linear(size * size, hidden), nn.Tanh())
        self.decoder = nn.Sequential(nn.Linear(hidden, 784), nn.Tanh())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """(N, 784) full digits -> codes (N, hidden), from their block means only."""
        return self.encoder(downsample(x, self.size))

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        """codes (N, hidden) -> (N, 784) digits in (-1, 1)."""
        return self.decoder(h)

    def upsample(self, low: torch.Tensor) -> torch.Tensor:
        """(N, size^2) small digits -> (N, 784)."""
        return self.decoder(self.encoder(low))

    def extra_repr(self) -> str:
        return f"size={self.size}, hidden={self.d}"


def linear_upsampler(size: int, images: torch.Tensor, ridge: float = 1e-3):
    """The least-squares linear map from ``size x size`` block means to the full digit, fitted on ``images``.

    ``images``: (N, 784) training digits in [-1, 1]. Solves for ``W`` (784, size^2) and ``b`` (784,)
    minimising ``sum_i ||W low_i + b - x_i||^2 + ridge N ||W||^2`` (normal equations in float64; the
    small ridge keeps them well posed), ``low_i = downsample(x_i, size)``. Returns a function: (N, 784)
    full digits -> (N, 784) up-sampled from their block means, clipped to [-1, 1]. Notebook 07's
    learnt linear baseline for super-resolution.
    """
    size = _check_size(size)
    check_digits(images, "images", n=784, unit_range=True)
    low = downsample(images, size).double()
    inputs = torch.cat([low, torch.ones(len(low), 1, dtype=torch.float64)], dim=1)  # a column of 1s: the bias
    gram = inputs.T @ inputs
    gram[:-1, :-1] += ridge * len(low) * torch.eye(size * size, dtype=torch.float64)
    weights = torch.linalg.solve(gram, inputs.T @ images.double()).float()  # (size^2 + 1, 784)

    def upsample(x: torch.Tensor) -> torch.Tensor:
        return (downsample(x, size) @ weights[:-1] + weights[-1]).clamp(-1, 1)

    return upsample


def skewed_subset(labels: torch.Tensor, rare: int, kept: int, seed: int = 0) -> torch.Tensor:
    """A bool mask (N,) over a training set that keeps every digit but only ``kept`` of class ``rare``.

    The ``kept`` digits of the rare class are drawn at random (seeded by ``seed``); a
    class-skewed training set for the lecture's warning about training-set bias (fig 9).
    """
    check_labels(labels)
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


def trained_upsampler(size: int, hidden: int = 100, rare: int | None = None, kept: int = 0, seed: int = 0,
                      progress: bool = True) -> Upsampler:
    """``Upsampler(size, hidden)`` trained with the lecture's recipe on the training digits; cached.

    20 epochs, batches of 256, Adam 1e-3, MSE against the full digit, by ``ae.fit``, the first
    time; loaded from the cache afterwards. With ``rare`` (a class), the training set is skewed:
    every digit but only ``kept`` of class ``rare`` (``skewed_subset``, seeded), the set of
    notebook 07's bias experiment.
    """
    size, hidden = _check_size(size), check_positive_int(hidden, "hidden")
    x, y = load_mnist(train=True)
    subset = None if rare is None else skewed_subset(y, rare, kept, seed)

    def train(model):
        if progress:
            skew = "" if rare is None else f", only {kept} digits of class {rare}"
            print(f"Training the {size}x{size} up-sampler (hidden {hidden}{skew}); cached for later runs.")
        return fit(model, x if subset is None else x[subset], seed=seed, progress=progress)

    config = {"size": size, "hidden": hidden, "epochs": 20, "batch_size": 256, "lr": 1e-3, "rare": rare,
              "kept": kept if rare is not None else None}
    return cached_model("upsampler", config, lambda: Upsampler(size, hidden), train, seed=seed)
