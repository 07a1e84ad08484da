"""Interpolation between digits, in pixel space and in an autoencoder's latent space.

The lecture opens with two ways of going from one image to another (fig 3-4):

* in **pixel space**, ``(1 - alpha) * a + alpha * b`` is a cross-fade: one digit
  fades out while the other fades in, and half-way the image is two ghosts on
  top of each other -- not a digit;
* in **latent space**, ``decode((1 - alpha) * encode(a) + alpha * encode(b))``
  moves the code along a straight line and lets the decoder draw every step.

To measure how far a path strays from the data, ``nearest_neighbour`` finds the
closest training digit of many images at once (matrix products in chunks) and
``reconstruction_energy`` is an autoencoder's ``||x - AE(x)||^2`` per image;
``random_pairs`` draws seeded pairs of digits of different classes.
``show_interpolation`` draws one step of both paths side by side (the callback
of notebook 01's widget). Used by notebook 01.
"""

from __future__ import annotations

import math
import numbers
from typing import Mapping

import torch
from torch import nn

from .checks import check_digits, check_positive_int
from .model import check_model, decode, encode, reconstruct
from .plotting import show_images

__all__ = ["alphas", "interpolate", "random_pairs", "nearest_neighbour",
           "reconstruction_energy", "show_interpolation"]


def alphas(steps) -> torch.Tensor:
    """The mixing weights of a path: ``steps`` evenly spaced values from 0 to 1.

    ``steps``: an int >= 2 (``torch.linspace(0, 1, steps)``), or a 1-D sequence /
    tensor of weights in [0, 1] (e.g. ``[0.5]`` for the midpoint alone), as float32.
    """
    if isinstance(steps, bool):
        raise TypeError("steps must be an int >= 2 or a sequence of alphas in [0, 1], got a bool")
    if isinstance(steps, float):
        raise TypeError(f"steps must be an int >= 2 (the number of points) or a sequence of "
                        f"alphas such as [{steps}], got the float {steps}")
    if isinstance(steps, int):
        if steps < 2:
            raise ValueError(f"steps must be at least 2 (the two endpoints), got {steps}")
        return torch.linspace(0.0, 1.0, steps)
    try:
        if isinstance(steps, torch.Tensor):
            a = steps.detach().float().cpu()
        else:
            a = torch.as_tensor(steps, dtype=torch.float32)
    except (TypeError, ValueError, RuntimeError) as err:
        raise TypeError(f"steps must be an int >= 2 or a sequence of alphas in [0, 1], "
                        f"got {steps!r}") from err
    if a.ndim != 1 or len(a) == 0:
        raise ValueError(f"alphas must be a non-empty 1-D sequence, got shape {tuple(a.shape)}")
    if not torch.isfinite(a).all() or a.min() < 0 or a.max() > 1:
        raise ValueError(f"alphas must lie in [0, 1] (0 = first digit, 1 = second), got "
                         f"values from {a.min().item():g} to {a.max().item():g}")
    return a


@torch.no_grad()
def interpolate(a: torch.Tensor, b: torch.Tensor, steps=11, space: str = "pixel",
                model: nn.Module | None = None) -> torch.Tensor:
    """The straight path from digit ``a`` to digit ``b`` in pixel or latent space.

    ``a``, ``b``: one digit each, shape (784,), or N pairs, shape (N, 784), values
    in [-1, 1]. ``steps``: the number of points (an int >= 2, alpha = 0, ..., 1) or
    a sequence of alphas in [0, 1] (see ``alphas``).

    * ``space="pixel"``: ``(1 - alpha) * a + alpha * b`` (the cross-fade); alpha = 0
      and 1 give ``a`` and ``b`` exactly. ``model`` must be None.
    * ``space="latent"``: ``model.decode((1 - alpha) * model.encode(a) + alpha *
      model.encode(b))`` with an ``Autoencoder``; the endpoints are the model's
      reconstructions of ``a`` and ``b``, not ``a`` and ``b`` themselves.

    Returns a CPU tensor of shape (steps, 784) for single digits, (N, steps, 784)
    for N pairs. No gradients are tracked.
    """
    check_digits(a, "a", single=True)
    check_digits(b, "b", single=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    if space not in ("pixel", "latent"):
        raise ValueError(f"space must be 'pixel' or 'latent', got {space!r}")
    w = alphas(steps)
    single = a.ndim == 1
    a2, b2 = (a[None], b[None]) if single else (a, b)
    if space == "pixel":
        if model is not None:
            raise ValueError("model is only used with space='latent'; pass model=None for the "
                             "pixel-space cross-fade")
        lo, hi = a2.float().cpu(), b2.float().cpu()
        w = w.to(lo.dtype)
    else:
        check_model(model)
        check_digits(a2, "a", n=check_model(model).n, expected_by="the model")
        lo, hi = encode(model, a2.float()), encode(model, b2.float())
        w = w.to(lo.dtype)
    # (N, 1, k) and (1, steps, 1) broadcast to (N, steps, k)
    path = (1 - w)[None, :, None] * lo[:, None, :] + w[None, :, None] * hi[:, None, :]
    if space == "latent":
        path = decode(model, path.reshape(-1, path.shape[-1])).reshape(len(lo), len(w), -1)
    path = path.cpu()
    return path[0] if single else path


def random_pairs(labels: torch.Tensor, n: int, seed: int = 0, different_class: bool = True
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random pairs of distinct images, as two index tensors ``(i, j)`` of shape (n,).

    ``labels``: int tensor (N,) of the images' classes (e.g. ``load_mnist(False)[1]``).
    With ``different_class=True`` every pair joins two different digits (like the
    lecture's dog and bird). Seeded: the same ``seed`` gives the same pairs.
    """
    if not isinstance(labels, torch.Tensor) or labels.ndim != 1 or labels.is_floating_point():
        raise ValueError("labels must be a 1-D integer tensor of classes, e.g. load_mnist(train=False)[1]")
    n = check_positive_int(n, "n (the number of pairs)")
    if len(labels) < 2 or (different_class and labels.unique().numel() < 2):
        raise ValueError("need at least two images (of two different classes with "
                         "different_class=True) to form pairs")
    g = torch.Generator().manual_seed(seed)
    i_out, j_out, have = [], [], 0
    while have < n:
        i = torch.randint(len(labels), (2 * n,), generator=g)
        j = torch.randint(len(labels), (2 * n,), generator=g)
        ok = (i != j) & ((labels[i] != labels[j]) if different_class else True)
        i_out.append(i[ok]), j_out.append(j[ok])
        have += int(ok.sum())
    return torch.cat(i_out)[:n], torch.cat(j_out)[:n]


@torch.no_grad()
def nearest_neighbour(queries: torch.Tensor, reference: torch.Tensor, chunk_size: int = 1024
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """Euclidean distance from each query image to its nearest reference image.

    ``queries`` (M, 784) and ``reference`` (R, 784): float tensors (e.g. interpolated
    digits and the 60,000 training digits of ``load_mnist()``). Candidates come from
    ``||q||^2 + ||r||^2 - 2 q.r`` -- one matrix product per chunk of ``chunk_size``
    queries, so 2,000 x 60,000 comparisons take seconds -- and the winner's distance
    is then recomputed exactly as ``||q - r||``. Returns ``(distance, index)``:
    float32 (M,) distances (in [-1, 1] pixel units: a distance of 2 is one pixel
    going from black to white) and int64 (M,) indices into ``reference``.
    """
    check_digits(queries, "queries")
    check_digits(reference, "reference", n=queries.shape[-1], expected_by="queries")
    chunk_size = check_positive_int(chunk_size, "chunk_size")
    q_all = queries.float().cpu()
    ref = reference.float().cpu()
    ref_sq = ref.square().sum(1)[None, :]
    idx = torch.empty(len(q_all), dtype=torch.int64)
    for start in range(0, len(q_all), chunk_size):
        q = q_all[start:start + chunk_size]
        # ||r||^2 - 2 q.r in one fused matrix product; ||q||^2 is the same for every
        # candidate of a query, so it does not change the argmin
        score = torch.addmm(ref_sq, q, ref.T, alpha=-2.0)
        idx[start:start + len(q)] = score.argmin(1)
    dist = (q_all - ref[idx]).norm(dim=1)
    return dist, idx


@torch.no_grad()
def reconstruction_energy(model: nn.Module, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """Per-image energy ``||x - AE(x)||^2`` (sum of squared pixel errors, [-1, 1] units).

    ``images``: (N, 784) float tensor. Low energy means the autoencoder reproduces the
    image, i.e. it treats it as lying on the data manifold it learned; returns a CPU
    float32 tensor of shape (N,). Used by notebook 01 to score interpolation paths.
    """
    check_digits(images, n=check_model(model).n, expected_by="the model", single=True)
    x = images if images.ndim == 2 else images[None]
    out = reconstruct(model, x.float(), batch_size=batch_size)
    return (x.float().cpu() - out).square().sum(1)


def show_interpolation(a: torch.Tensor, b: torch.Tensor, alpha: float,
                       models: Mapping[str, nn.Module] | None = None, size: float = 1.6):
    """One step of the pixel path and of each model's latent path, side by side.

    ``a``, ``b``: two digits of shape (784,) in [-1, 1]; ``alpha`` in [0, 1];
    ``models``: {label: autoencoder} for the latent paths (may be empty). Draws
    ``a``, the pixel mix, one latent mix per model and ``b`` in one row, every panel
    titled, on the fixed range [-1, 1]; returns the figure. This is the callback of
    notebook 01's widget (a plain function, so tests call it too).
    """
    models = dict(models or {})
    for name, v in (("a", a), ("b", b)):
        check_digits(v, name, single=True)
        if v.ndim != 1:
            raise ValueError(f"{name} must be one digit of shape (784,), got {tuple(v.shape)}; "
                             "index a batch with x[i]")
    if isinstance(alpha, bool) or not isinstance(alpha, numbers.Real) or not math.isfinite(alpha) \
            or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1] (0 = a, 1 = b), got {alpha!r}")
    alpha = float(alpha)
    panels = [("digit a", a.cpu()), (f"pixel mix\nα={alpha:.2f}", interpolate(a, b, [alpha])[0])]
    for label, model in models.items():
        panels.append((f"{label}:\nlatent α={alpha:.2f}",
                       interpolate(a, b, [alpha], space="latent", model=model)[0]))
    panels.append(("digit b", b.cpu()))
    titles, images = zip(*panels)
    return show_images(torch.stack(images), titles=list(titles), ncols=len(panels), size=size)
