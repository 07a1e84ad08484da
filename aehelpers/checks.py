"""The input checks behind every helper: one validator per kind of argument.

* ``check_digits``: a batch of digits is a float tensor of shape (N, n) -- n = 784 for
  MNIST -- with finite values, in [-1, 1] where a helper needs load_mnist's normalisation;
* ``check_mask``: a bool tensor of the images' shape (True = a selected pixel);
* ``check_positive_int``, ``check_positive_real``, ``check_fraction``: sizes, rates, levels;
  numpy and Python numbers alike (``numbers.Integral``, ``numbers.Real``), never a bool;
* ``check_tanh_encoder``: the lecture's one-layer encoder, ``nn.Sequential(nn.Linear, nn.Tanh)``;
* ``check_labels``: a 1-D integer tensor of classes, one per image;
* ``check_flag``: a real bool (a string such as "False" is truthy, so it is refused).

Each helper passes its own argument name, so the error says which argument was wrong,
what it should be and how to fix it.
"""

from __future__ import annotations

import math
import numbers

import torch
from torch import nn

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


def check_mask(mask, name: str = "mask", *, shape: tuple | None = None, nonempty: bool = True) -> torch.Tensor:
    """Return ``mask`` if it is a bool tensor (of ``shape`` when given) that selects a pixel
    (or any bool tensor of that shape, with ``nonempty=False``)."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"{name} must be a bool tensor (True = pixel selected), got {got}; "
                        "e.g. ae.dropped(noise) or noise == 0 for the dropped pixels")
    if shape is not None and tuple(mask.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(mask.shape)}, but the images have shape {tuple(shape)}")
    if nonempty and not mask.any():
        raise ValueError(f"{name} selects no pixel: nothing to measure or fill")
    return mask


def check_noise(noise, name: str = "noise", *, shape: tuple | None = None) -> torch.Tensor:
    """Return ``noise`` if it is a dropout mask: a float tensor (of ``shape``) holding 0 (dropped)
    and values >= 1 (kept, ``1 / (1 - p)``), as ``ae.dropout_noise`` makes it."""
    if not isinstance(noise, torch.Tensor) or not noise.is_floating_point():
        raise TypeError(f"{name} must be the float dropout mask of ae.dropout_noise(shape, p), "
                        f"got {getattr(noise, 'dtype', type(noise).__name__)}")
    if shape is not None and tuple(noise.shape) != tuple(shape):
        raise ValueError(f"{name} has shape {tuple(noise.shape)}, but the images have shape {tuple(shape)}: "
                         "one mask entry per pixel is needed, e.g. ae.dropout_noise(images.shape, p)")
    kept = noise != 0
    if (noise < 0).any() or (kept & (noise < 1)).any() or not torch.isfinite(noise).all():
        raise ValueError(f"{name} must hold 0 (dropped) and 1/(1-p) >= 1 (kept), as ae.dropout_noise makes it")
    return noise


def check_flag(value, name: str) -> bool:
    """Return ``value`` if it is a bool (numpy's too); a TypeError otherwise (no truthy strings)."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def check_positive_int(value, name: str, *, allow_zero: bool = False) -> int:
    """Return ``value`` as an int if it is a positive (or, with ``allow_zero``, non-negative) integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < (0 if allow_zero else 1):
        need = "a non-negative int" if allow_zero else "a positive int"
        raise ValueError(f"{name} must be {need}, got {value!r}")
    return int(value)


def check_positive_real(value, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a float if it is a finite positive (or non-negative) number."""
    ok = (not isinstance(value, bool) and isinstance(value, numbers.Real) and math.isfinite(value)
          and (value >= 0 if allow_zero else value > 0))
    if not ok:
        need = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {need}, got {value!r}")
    return float(value)


def check_fraction(value, name: str, *, hint: str = "") -> float:
    """Return ``value`` as a float if it is a number in [0, 1)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{name} must be a number in [0, 1), got {value!r}{hint}")
    return float(value)


def check_tanh_encoder(model, why: str) -> nn.Linear:
    """The Linear layer of ``model.encoder`` if the encoder is the lecture's one layer,
    ``nn.Sequential(nn.Linear(n, d), nn.Tanh())``; a TypeError that says ``why`` it is needed otherwise."""
    encoder = getattr(model, "encoder", None)
    layers = list(encoder) if isinstance(encoder, nn.Sequential) else []
    if len(layers) == 2 and isinstance(layers[0], nn.Linear) and isinstance(layers[1], nn.Tanh):
        return layers[0]
    got = type(model).__name__ if encoder is None else repr(encoder).replace("\n", " ")
    raise TypeError(f"{why} needs the lecture's encoder: model.encoder = nn.Sequential(nn.Linear(n, d), "
                    f"nn.Tanh()), as in ae.Autoencoder(n, d) without hidden layers; got {got}")


def check_labels(labels, name: str = "labels", *, n: int | None = None, classes: int | None = None) -> torch.Tensor:
    """Return ``labels`` if it is a 1-D integer tensor of classes (``n`` of them, in 0..classes-1
    when given), as ``ae.load_mnist`` returns them; a ValueError that says what is wrong otherwise."""
    if not isinstance(labels, torch.Tensor) or labels.ndim != 1 or labels.is_floating_point() \
            or labels.dtype == torch.bool:
        raise ValueError(f"{name} must be a 1-D integer tensor of classes, e.g. ae.load_mnist()[1], got "
                         f"{getattr(labels, 'dtype', type(labels).__name__)} of shape {tuple(getattr(labels, 'shape', ()))}")
    if n is not None and len(labels) != n:
        raise ValueError(f"{name} must hold one class per image ({n}), got {len(labels)}")
    if classes is not None and len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"{name} must lie in 0..{classes - 1}, got {int(labels.min())}..{int(labels.max())}")
    return labels
