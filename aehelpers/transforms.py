"""Transformations of digits in pixel space, and the same moves made in latent space.

The lecture shows zoom, shift, brightness and rotation carried out by moving an
image's code in latent space (fig 5-8). On MNIST: ``shift``, ``zoom``, ``rotate``,
``brightness`` and ``blur`` transform digits in pixel space; ``latent_direction`` estimates,
for one transformation, the mean change of an autoencoder's code over many
training digits; ``move_in_latent`` adds ``t`` times that direction to new digits'
codes and decodes them. Notebook 01 compares the result with the truly
transformed digit.

All functions take digits as float tensors of shape (N, 784) or (784,) in [-1, 1]
(-1 = black background, +1 = white ink, as ``load_mnist`` gives them) and return
the same shape on the CPU, still in [-1, 1]. Geometric transformations resample
bilinearly (``torch.nn.functional.grid_sample``); whatever comes in from outside
the 28x28 frame is background (-1). Amounts are one number for every digit or a
tensor of shape (N,) with one amount per digit.
"""

from __future__ import annotations

import numbers

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from .checks import check_digits
from .model import check_model, decode, encode

__all__ = ["shift", "zoom", "rotate", "brightness", "blur", "latent_direction", "move_in_latent"]


def _digits(x, what: str = "x") -> tuple[torch.Tensor, bool]:
    """Validate digits; return them as (N, 784) float32 CPU and whether one digit came in."""
    check_digits(x, what, n=784, single=True, unit_range=True,
                 range_hint="; for [0, 1] images pass 2 * x - 1")
    single = x.ndim == 1
    return (x[None] if single else x).detach().float().cpu(), single


def _amount(value, n: int, name: str, low: float | None = None, strict: bool = False) -> torch.Tensor:
    """One amount per digit: a number or a tensor of shape (n,); validated, float32 (n,)."""
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a number or a tensor of shape ({n},), got a bool")
    if isinstance(value, numbers.Real):
        t = torch.full((n,), float(value))
    elif isinstance(value, torch.Tensor):
        t = value.detach().float().cpu()
        if t.ndim == 0:
            t = t.expand(n).clone()
        if t.shape != (n,):
            raise ValueError(f"{name} must be one number or a tensor of shape ({n},) (one per "
                             f"digit), got shape {tuple(value.shape)}")
    else:
        raise TypeError(f"{name} must be a number or a tensor of shape ({n},), got {type(value).__name__}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite, got {value!r}")
    if low is not None and ((t <= low).any() if strict else (t < low).any()):
        raise ValueError(f"{name} must be {'>' if strict else '>='} {low}, got {t.min().item():g}")
    return t


def _base_grid() -> torch.Tensor:
    """Pixel centres of a 28x28 image in normalised coordinates, as rows (x, y, 1): (784, 3)."""
    lin = (torch.arange(28, dtype=torch.float32) * 2 + 1) / 28 - 1
    yy, xx = torch.meshgrid(lin, lin, indexing="ij")
    return torch.stack([xx, yy, torch.ones_like(xx)], -1).reshape(784, 3)


def _affine(x: torch.Tensor, single: bool, theta: torch.Tensor) -> torch.Tensor:
    """Resample digits through ``theta`` (N, 2, 3): output coords -> input coords."""
    n = len(x)
    ink = (x.reshape(n, 1, 28, 28) + 1) / 2          # [0, 1], background 0 = grid_sample's padding
    # what F.affine_grid(theta, (n, 1, 28, 28), align_corners=False) computes, several times faster
    grid = torch.einsum("pk,nck->npc", _base_grid(), theta).reshape(n, 28, 28, 2)
    out = F.grid_sample(ink, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    out = (out * 2 - 1).clamp(-1, 1).reshape(n, 784)
    return out[0] if single else out


def shift(x: torch.Tensor, dx=0.0, dy=0.0) -> torch.Tensor:
    """Move digits by ``dx`` pixels to the right and ``dy`` pixels down (fractions allowed).

    ``x``: (N, 784) or (784,) in [-1, 1]; ``dx``, ``dy``: numbers or (N,) tensors.
    Ink pushed out of the frame is lost; the uncovered border is background (-1).
    """
    x, single = _digits(x)
    dx, dy = _amount(dx, len(x), "dx"), _amount(dy, len(x), "dy")
    theta = torch.zeros(len(x), 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2] = -2 * dx / 28   # normalised coords: the 28 pixels span a width of 2
    theta[:, 1, 2] = -2 * dy / 28
    return _affine(x, single, theta)


def zoom(x: torch.Tensor, factor=1.2) -> torch.Tensor:
    """Scale digits about the image centre by ``factor`` (> 1 enlarges, < 1 shrinks).

    ``x``: (N, 784) or (784,) in [-1, 1]; ``factor``: a positive number or (N,) tensor.
    """
    x, single = _digits(x)
    s = _amount(factor, len(x), "factor", low=0.0, strict=True)
    theta = torch.zeros(len(x), 2, 3)
    theta[:, 0, 0] = theta[:, 1, 1] = 1 / s
    return _affine(x, single, theta)


def rotate(x: torch.Tensor, degrees=15.0) -> torch.Tensor:
    """Rotate digits about the image centre by ``degrees``, counter-clockwise as displayed.

    ``x``: (N, 784) or (784,) in [-1, 1]; ``degrees``: a number or (N,) tensor
    (negative = clockwise). Corners brought in from outside the frame are background.
    """
    x, single = _digits(x)
    rad = _amount(degrees, len(x), "degrees") * (math.pi / 180)
    c, s = torch.cos(rad), torch.sin(rad)
    # Image rows grow downwards, so a counter-clockwise turn on screen samples the
    # input at [[c, -s], [s, c]] applied to the output position (x right, y down).
    theta = torch.zeros(len(x), 2, 3)
    theta[:, 0, 0], theta[:, 0, 1] = c, -s
    theta[:, 1, 0], theta[:, 1, 1] = s, c
    return _affine(x, single, theta)


def brightness(x: torch.Tensor, factor=0.5) -> torch.Tensor:
    """Scale the ink's intensity by ``factor``; the black background stays black.

    With intensity ``u = (x + 1) / 2`` in [0, 1], the result is
    ``clamp(factor * u, 0, 1)`` mapped back to [-1, 1]: ``factor < 1`` dims the
    strokes (towards a faint digit, 0 gives an all-black image), ``factor > 1``
    brightens grey pixels until they saturate at white. ``x``: (N, 784) or (784,)
    in [-1, 1]; ``factor``: a number >= 0 or (N,) tensor.
    """
    x, single = _digits(x)
    f = _amount(factor, len(x), "factor", low=0.0)
    out = ((x + 1) / 2 * f[:, None]).clamp(0, 1) * 2 - 1
    return out[0] if single else out


def blur(x: torch.Tensor, sigma=1.0) -> torch.Tensor:
    """Gaussian blur of the ink with standard deviation ``sigma`` pixels (0: unchanged).

    ``x``: (N, 784) or (784,) in [-1, 1]; ``sigma``: a number >= 0. The ink ``(x + 1) / 2`` is
    convolved with a normalised Gaussian (radius 3 sigma, background beyond the frame), so a blurred
    digit keeps its amount of ink, spread out. Notebook 07 (a digit made blurrier, as a control).
    """
    x, single = _digits(x)
    s = float(_amount(sigma, 1, "sigma", low=0.0)[0])
    if s == 0:
        return x[0] if single else x
    r = max(1, math.ceil(3 * s))
    g = torch.exp(-torch.arange(-r, r + 1, dtype=torch.float32).square() / (2 * s * s))
    g = g / g.sum()
    ink = (x.reshape(-1, 1, 28, 28) + 1) / 2
    ink = F.conv2d(F.conv2d(ink, g.view(1, 1, 1, -1), padding=(0, r)), g.view(1, 1, -1, 1), padding=(r, 0))
    out = (ink * 2 - 1).clamp(-1, 1).reshape(-1, 784)
    return out[0] if single else out


@torch.no_grad()
def latent_direction(model: nn.Module, images: torch.Tensor,
                     transform: Callable[[torch.Tensor], torch.Tensor] | torch.Tensor) -> torch.Tensor:
    """The mean change of the code when a transformation is applied: one latent direction.

    ``mean_i [encode(T(x_i)) - encode(x_i)]`` over ``images`` (N, 784) in [-1, 1]
    (training digits, so test digits stay unseen). ``transform``: a function of a
    (N, 784) batch, e.g. ``lambda x: shift(x, dx=3)``, or the transformed images
    themselves (N, 784) when they are already computed. Returns a CPU float32 tensor
    of shape (d,), the code size of ``model``.
    """
    check_model(model)
    x, _ = _digits(images, "images")
    if isinstance(transform, torch.Tensor):
        moved = transform
    elif callable(transform):
        moved = transform(x)
    else:
        raise TypeError(f"transform must be a function of a (N, 784) batch, e.g. "
                        f"lambda x: ae.shift(x, dx=3), or the transformed images; "
                        f"got {type(transform).__name__}")
    if not isinstance(moved, torch.Tensor) or moved.shape != x.shape:
        raise ValueError(f"the transformed digits must have the shape of images {tuple(x.shape)}, "
                         f"got {getattr(moved, 'shape', type(moved).__name__)}")
    moved, _ = _digits(moved, "the transformed digits")
    return (encode(model, moved) - encode(model, x)).mean(0)


@torch.no_grad()
def move_in_latent(model: nn.Module, x: torch.Tensor, direction: torch.Tensor, t=1.0) -> torch.Tensor:
    """``decode(encode(x) + t * direction)``: a transformation carried out in latent space.

    ``x``: (N, 784) or (784,) digits in [-1, 1]; ``direction``: (d,) from
    ``latent_direction``; ``t``: a number (or (N,) tensor) scaling the move
    (``t = 0`` is the plain reconstruction). Returns the decoded digits, same shape
    as ``x``, on the CPU.
    """
    check_model(model)
    xs, single = _digits(x)
    if not isinstance(direction, torch.Tensor) or direction.ndim != 1:
        raise ValueError(f"direction must be a 1-D tensor (d,) from latent_direction, got "
                         f"{getattr(direction, 'shape', type(direction).__name__)}")
    codes = encode(model, xs)
    if direction.shape[0] != codes.shape[1]:
        raise ValueError(f"direction has {direction.shape[0]} entries but the model's codes have "
                         f"{codes.shape[1]}: estimate it with the same model")
    tt = _amount(t, len(xs), "t")
    out = decode(model, codes + tt[:, None] * direction.detach().float().cpu()[None])
    return out[0] if single else out
