"""The one input check behind every helper that takes digits.

A batch of digits is a float tensor of shape (N, n) -- n = 784 for MNIST -- with
finite values, in [-1, 1] where a helper needs load_mnist's normalisation. Each
helper calls ``check_digits`` with its own argument name, so the error says which
argument was wrong, what it should be and how to fix it.
"""

from __future__ import annotations

import torch

_TOL = 1e-4  # float rounding allowed outside [-1, 1]


def check_digits(x, name: str = "images", *, n: int | None = None, single: bool = False,
                 expected_by: str | None = None, finite: bool = True, unit_range: bool = False,
                 range_hint: str = "") -> torch.Tensor:
    """Return ``x`` if it is a batch of digits; raise TypeError/ValueError otherwise.

    ``x`` must be a float tensor of shape (N, n), or (n,) too when ``single``; ``n``
    features when given (``expected_by`` names who expects them, e.g. "the model");
    finite unless ``finite=False``; within [-1, 1] when ``unit_range`` (``range_hint``
    is appended to that error).
    """
    features = n if n is not None else "features"
    shapes = f"(N, {features})" + (f" or ({features},)" if single else "")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor of shape {shapes}, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name} must be a float tensor (digits in [-1, 1] as ae.load_mnist gives them), "
                        f"got dtype {x.dtype}")
    if x.numel() == 0:
        raise ValueError(f"{name} is empty (shape {tuple(x.shape)}): pass at least one digit; "
                         "a selection such as x[y == c] is empty when no label equals c")
    if x.ndim not in ((1, 2) if single else (2,)):
        raise ValueError(f"{name} must have shape {shapes}, e.g. load_mnist()[0] of shape (60000, 784); "
                         f"got shape {tuple(x.shape)}. Flatten 28x28 digits with x.reshape(len(x), -1).")
    if n is not None and x.shape[-1] != n:
        who = expected_by or "this function"
        raise ValueError(f"{name} has {x.shape[-1]} features per image, but {who} expects {n}")
    if finite and not torch.isfinite(x.sum()) and not torch.isfinite(x).all():  # a finite sum proves it
        raise ValueError(f"{name} contains NaN or infinite values: every pixel must be a finite number")
    if unit_range:
        lo, hi = torch.aminmax(x.detach())
        if lo < -1 - _TOL or hi > 1 + _TOL:
            raise ValueError(f"{name} must lie in [-1, 1] (ae.load_mnist's normalisation), got values in "
                             f"[{float(lo):.3g}, {float(hi):.3g}]{range_hint}")
    return x
