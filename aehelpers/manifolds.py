"""Toy data manifolds: curves whose true shape is known, to see what an autoencoder learns.

The lecture explains denoising and contractive autoencoders with pictures of a
one-dimensional training set curled up in a higher-dimensional space (fig 15-19).
Notebook 06 rebuilds them:

* ``TwoBranchCurve``: a hairpin in the plane, an upper and a lower branch a small
  ``gap`` apart, joined by a half circle on the right (fig 15-17, 18);
* ``CurledCurve``: a spiral that climbs and falls while it turns, a 1-D curve curled
  up in 3-D (fig 19).

Both live inside (-1, 1), so the lecture's tanh autoencoder (``ae.Autoencoder(n=2)``
or ``n=3``) can reproduce them, and both are parametrised by ``t`` in [0, 1]:
``curve.sample(n, seed=...)`` returns ``(points, t)``, seeded, with the true
parameter of every point, ``curve.at(t)`` the points at given parameters and
``curve.tangent(t)`` the unit tangents and ``curve.distance(points)`` the distance from any
point to the curve (exact for ``TwoBranchCurve``).

Also here: ``grid`` (a regular grid of the plane) and ``show_denoising_field`` (arrows
from inputs to outputs, fig 16, and each input coloured by how far it moved, fig 17).
Used by notebook 06.
"""

from __future__ import annotations

import math

import torch

from .checks import check_positive_int, check_positive_real

__all__ = ["TwoBranchCurve", "CurledCurve", "grid", "show_denoising_field"]


def _check_t(t) -> torch.Tensor:
    if not isinstance(t, torch.Tensor) or t.ndim != 1 or not t.is_floating_point():
        raise TypeError(f"t must be a 1-D float tensor of curve parameters in [0, 1], got "
                        f"{getattr(t, 'shape', type(t).__name__)}")
    if len(t) and (t.min() < 0 or t.max() > 1):
        raise ValueError(f"t must lie in [0, 1] (0 = one end of the curve, 1 = the other), got values in "
                         f"[{float(t.min()):.3g}, {float(t.max()):.3g}]")
    return t.float()


def _check_points(points, dim: int) -> torch.Tensor:
    if (not isinstance(points, torch.Tensor) or not points.is_floating_point() or points.ndim != 2
            or points.shape[1] != dim):
        raise TypeError(f"points must be a float tensor of shape (N, {dim}), got "
                        f"{getattr(points, 'shape', type(points).__name__)}")
    return points.float()


class _Curve:
    """A curve ``t -> point`` for t in [0, 1]: ``sample``, ``at`` and ``tangent``."""

    dim = 0

    def at(self, t: torch.Tensor) -> torch.Tensor:
        """Points (N, dim) at parameters ``t`` (N,) in [0, 1]."""
        return self._at64(_check_t(t)).float()

    def sample(self, n: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """``n`` points on the curve at parameters drawn uniformly in [0, 1] from ``seed``.

        Returns ``(points, t)``: float32 (n, dim) points and their (n,) true
        parameters, sorted by nothing (random order). Same seed, same points.
        """
        n = check_positive_int(n, "n (the number of points)")
        seed = check_positive_int(seed, "seed", allow_zero=True)
        t = torch.rand(n, generator=torch.Generator().manual_seed(seed))
        return self.at(t), t

    def tangent(self, t: torch.Tensor) -> torch.Tensor:
        """Unit tangent vectors (N, dim) at parameters ``t`` (N,), pointing towards larger ``t``
        (central differences of the curve in float64)."""
        t = _check_t(t).double()
        h = 1e-6
        diff = self._at64((t + h).clamp(max=1.0)) - self._at64((t - h).clamp(min=0.0))
        return (diff / diff.norm(dim=1, keepdim=True)).float()

    def distance(self, points: torch.Tensor) -> torch.Tensor:
        """Distance (N,) from each point (N, dim) to the curve: to the nearest of 20,001 points evenly
        spaced in ``t`` (within half their spacing of the exact distance, about 1e-4 here)."""
        p = _check_points(points, self.dim)
        dense = self.at(torch.linspace(0, 1, 20_001))
        return torch.cat([torch.cdist(chunk, dense).min(dim=1).values for chunk in p.split(1000)])

    def _at64(self, t: torch.Tensor) -> torch.Tensor:  # pragma: no cover - overridden
        raise NotImplementedError


class TwoBranchCurve(_Curve):
    """A hairpin in the plane: two parallel branches ``gap`` apart, joined on the right.

    Going along ``t`` from 0 to 1 at constant speed (``t`` is the fraction of the
    arc length): the upper branch ``y = +gap/2`` from ``x = left`` to ``x = right``,
    a half circle of radius ``gap/2`` around ``(right, 0)``, then the lower branch
    ``y = -gap/2`` back to ``x = left``. The default lies inside [-0.75, 0.6] x
    [-0.25, 0.25], so the square [-1, 1]^2 around it has corners about 0.8 to 0.9
    away from the curve. Points between the branches are ``gap/2`` from both.
    """

    dim = 2

    def __init__(self, gap: float = 0.5, left: float = -0.75, right: float = 0.35):
        self.gap = check_positive_real(gap, "gap")
        if not (isinstance(left, (int, float)) and isinstance(right, (int, float)) and left < right):
            raise ValueError(f"the branches run from x = left to x = right, so left < right is needed; "
                             f"got left={left!r}, right={right!r}")
        self.left, self.right = float(left), float(right)
        self.radius = self.gap / 2
        self.branch = self.right - self.left
        self.length = 2 * self.branch + math.pi * self.radius

    def _at64(self, t: torch.Tensor) -> torch.Tensor:
        s = t.double() * self.length
        r, b = self.radius, self.branch
        upper = torch.stack([self.left + s, torch.full_like(s, r)], dim=1)
        phi = math.pi / 2 - (s - b) / r  # from +90 degrees down to -90 degrees, clockwise
        arc = torch.stack([self.right + r * torch.cos(phi), r * torch.sin(phi)], dim=1)
        lower = torch.stack([self.right - (s - b - math.pi * r), torch.full_like(s, -r)], dim=1)
        on_arc = ((s > b) & (s < b + math.pi * r))[:, None]
        return torch.where((s <= b)[:, None], upper, torch.where(on_arc, arc, lower))

    def distance(self, points: torch.Tensor) -> torch.Tensor:
        """Exact Euclidean distance (N,) from each point (N, 2) of the plane to the curve."""
        p = _check_points(points, 2).double()
        x, y = p[:, 0], p[:, 1]
        dx = (x - x.clamp(self.left, self.right))  # 0 above/below a branch, else past its end
        to_upper = torch.hypot(dx, y - self.radius)
        to_lower = torch.hypot(dx, y + self.radius)
        to_arc = torch.where(x >= self.right, (torch.hypot(x - self.right, y) - self.radius).abs(),
                             torch.full_like(x, math.inf))  # left of the arc: its ends are the branches'
        return torch.minimum(torch.minimum(to_upper, to_lower), to_arc).float()

    def between(self, points: torch.Tensor, margin: float = 0.1) -> torch.Tensor:
        """Bool (N,): the point lies between the two branches, at least ``margin`` (a
        fraction of the branch length) from either end of them."""
        p = _check_points(points, 2)
        inset = margin * self.branch
        return ((p[:, 1].abs() < self.radius) & (p[:, 0] > self.left + inset)
                & (p[:, 0] < self.right - inset))

    def __repr__(self) -> str:
        return f"TwoBranchCurve(gap={self.gap:g}, left={self.left:g}, right={self.right:g})"


class CurledCurve(_Curve):
    """A 1-D curve curled up in 3-D: a widening spiral that rises and falls as it turns.

    ``x = r cos(theta)``, ``y = r sin(theta)``, ``z = height * sin(2 pi t)`` with
    ``theta = 2 pi turns t`` and ``r`` growing linearly from ``r0`` to ``r1``: no
    single straight direction unrolls it (unlike a helix, whose height alone gives
    ``t``). ``t`` is the fraction of the angle turned, not of the arc length. The
    default fits inside (-0.9, 0.9)^3.
    """

    dim = 3

    def __init__(self, turns: float = 1.5, r0: float = 0.25, r1: float = 0.85, height: float = 0.5):
        self.turns = check_positive_real(turns, "turns")
        self.r0 = check_positive_real(r0, "r0")
        self.r1 = check_positive_real(r1, "r1")
        self.height = check_positive_real(height, "height", allow_zero=True)

    def _at64(self, t: torch.Tensor) -> torch.Tensor:
        t = t.double()
        theta = 2 * math.pi * self.turns * t
        r = self.r0 + (self.r1 - self.r0) * t
        return torch.stack([r * torch.cos(theta), r * torch.sin(theta),
                            self.height * torch.sin(2 * math.pi * t)], dim=1)

    def __repr__(self) -> str:
        return f"CurledCurve(turns={self.turns:g}, r0={self.r0:g}, r1={self.r1:g}, height={self.height:g})"


def grid(steps: int = 21, low: float = -1.0, high: float = 1.0) -> torch.Tensor:
    """A regular ``steps`` x ``steps`` grid of the square [low, high]^2: float32 (steps^2, 2)."""
    steps = check_positive_int(steps, "steps")
    if not (isinstance(low, (int, float)) and isinstance(high, (int, float)) and low < high):
        raise ValueError(f"the grid needs low < high, got low={low!r}, high={high!r}")
    axis = torch.linspace(low, high, steps)
    gy, gx = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], dim=1)


def show_denoising_field(inputs: torch.Tensor, outputs: torch.Tensor, curve: torch.Tensor | None = None,
                         *, suptitle: str | None = None, vmax: float | None = None):
    """Two panels: arrows from each input to its output (fig 16), and each input
    coloured by the distance it moved, lighter = further (fig 17). Returns the figure.

    ``inputs``, ``outputs``: (N, 2) points (e.g. a ``grid`` and a denoiser's outputs);
    ``curve``: (M, 2) points of the training manifold, drawn as a line underneath;
    ``vmax``: top of the colour scale (default: the largest move).
    """
    import matplotlib.pyplot as plt

    inputs, outputs = _check_points(inputs, 2), _check_points(outputs, 2)
    if inputs.shape != outputs.shape:
        raise ValueError(f"inputs and outputs differ in shape: {tuple(inputs.shape)} vs {tuple(outputs.shape)}")
    move = outputs - inputs
    moved = move.norm(dim=1)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.8), layout="constrained")
    for ax in axes:
        if curve is not None:
            c = _check_points(curve, 2)
            ax.plot(c[:, 0], c[:, 1], color="tab:red", lw=2, label="training manifold", zorder=3)
        ax.set(aspect="equal", xlim=(-1.05, 1.05), ylim=(-1.05, 1.05), xlabel="$x_1$", ylabel="$x_2$")
    axes[0].quiver(inputs[:, 0], inputs[:, 1], move[:, 0], move[:, 1], angles="xy", scale_units="xy",
                   scale=1, width=0.004, color="0.25")
    axes[0].set_title("input -> output\nof the denoiser (fig 16)")
    dots = axes[1].scatter(inputs[:, 0], inputs[:, 1], c=moved, cmap="magma", vmin=0,
                           vmax=vmax if vmax is not None else float(moved.max()), s=30)
    fig.colorbar(dots, ax=axes[1], label="distance moved\n||f(x) - x||")
    axes[1].set_title("inputs coloured by\nthe distance moved (fig 17)")
    if curve is not None:
        axes[0].legend(loc="lower left")
    if suptitle:
        fig.suptitle(suptitle)
    return fig
