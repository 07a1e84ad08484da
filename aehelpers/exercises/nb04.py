"""Checks of notebook 04's exercises: kernels that respond to a stroke, the pixels tied to the bias,
and the drop rate against the flatness of the kernels outside the digit area."""

from __future__ import annotations

import numbers

import torch
from torch import nn

from ..data import load_mnist
from ..kernels import outside_inside_spread, outside_mask
from ..model import check_model
from ..noise import dropout_noise
from .registry import exercise, held_out_digits, seeded_autoencoder

RATES = (0.2, 0.8)


def bar(orientation: str = "horizontal", length: int = 14, width: int = 2) -> torch.Tensor:
    """A white bar on the black background, centred: (784,) in [-1, 1] (the stroke of exercise 04.1)."""
    img = -torch.ones(28, 28)
    lo, w0 = 14 - length // 2, 14 - width // 2
    if orientation == "horizontal":
        img[w0:w0 + width, lo:lo + length] = 1
    elif orientation == "vertical":
        img[lo:lo + length, w0:w0 + width] = 1
    else:
        raise ValueError(f"orientation must be 'horizontal' or 'vertical', got {orientation!r}")
    return img.reshape(784)


def _indices(out, r, d: int, k: int, what: str) -> list[int]:
    if isinstance(out, torch.Tensor):
        if out.is_floating_point() or out.ndim != 1:
            r.fail(f"{what} returned a tensor of dtype {out.dtype} and shape {tuple(out.shape)}",
                   "return the k kernel indices as a 1-D integer tensor, e.g. scores.topk(k).indices")
        out = out.tolist()
    if not isinstance(out, (list, tuple)) or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool)
                                                     for i in out):
        r.fail(f"{what} returned {type(out).__name__}, not a list of kernel indices",
               "return the k kernel indices as a 1-D integer tensor, e.g. scores.topk(k).indices")
    out = [int(i) for i in out]
    if len(out) != k or len(set(out)) != k or min(out) < 0 or max(out) >= d:
        r.fail(f"{what} must return {k} different indices in [0, {d}), got {out[:12]}",
               "one index per kernel (row of W_h), no repeats")
    return out


@exercise("04.1", "the kernels that respond to a stroke")
def _check_04_1(answer, r):
    r.require_function(answer, "check('04.1', responsive_kernels)")
    gen = torch.Generator().manual_seed(1234)
    stroke = bar("horizontal")
    ink = (stroke + 1) / 2
    weight = 0.02 * torch.randn(60, 784, generator=gen)
    planted = [7, 23, 41]
    weight[planted] += 0.05 * ink  # three kernels shaped like the stroke
    weight[[3, 30]] += 0.05 * (bar("vertical") + 1) / 2  # and two shaped like another one
    found = _indices(r.call(answer, weight.clone(), stroke.clone(), 3, what="responsive_kernels(weight, stroke, 3)"),
                     r, 60, 3, "responsive_kernels(weight, stroke, 3)")
    r.require(sorted(found) == planted,
              "among 60 random kernels it finds the three planted ones shaped like the stroke",
              f"among 60 random kernels, three of which (7, 23, 41) are shaped like the stroke, it picks {found}",
              "a kernel's response to a stroke is how much its pre-activation w . x changes when the stroke "
              "is drawn on the black background: w . (stroke - background), the sum of its weights under "
              "the stroke (times 2)")
    w = seeded_autoencoder(784, 500, seed=0).encoder[0].weight.detach()
    stroke = bar("vertical", length=10)
    response = w @ (stroke + 1)
    k = 10
    found = _indices(r.call(answer, w.clone(), stroke.clone(), k, what="responsive_kernels(weight, stroke, 10)"),
                     r, 500, k, "responsive_kernels(weight, stroke, 10)")
    best = float(response.topk(k).values.mean())
    got = float(response[found].mean())
    r.require(got >= 0.95 * best,
              f"on 500 kernels it picks {k} whose mean response to a vertical bar is {got / best:.0%} of the "
              "largest possible",
              f"on 500 kernels its {k} kernels respond to a vertical bar with {got / best:.0%} of the largest "
              "possible mean response",
              "rank every kernel by w . (stroke - background) and keep the k largest (positive = excited)")


def _pixel_mask(mask, r) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (784,):
        r.fail(f"bias_tied_pixels must return a bool tensor of shape (784,), got "
               f"{getattr(mask, 'dtype', type(mask).__name__)} {tuple(getattr(mask, 'shape', ()))}",
               "one True/False per pixel, e.g. (grad_W + grad_b[:, None]).abs().amax(0) < tolerance")
    return mask


@exercise("04.2", "the pixels whose weights are tied to the bias")
def _check_04_2(answer, r):
    r.require_function(answer, "check('04.2', bias_tied_pixels)")
    model = seeded_autoencoder(784, 40, seed=1)
    x = held_out_digits(256)
    always_black = (x == -1).all(0)
    mask = _pixel_mask(r.call(answer, model, x.clone(), what="bias_tied_pixels(model, clean digits)"), r)
    if any(p.grad is not None for p in model.parameters()):
        model.zero_grad(set_to_none=True)
    jac = float((mask & always_black).sum() / (mask | always_black).sum().clamp_min(1))
    r.require(jac > 0.95,
              f"on a batch of 256 clean test digits it finds the {int(always_black.sum())} pixels that are "
              "black in every digit of the batch (and only those)",
              f"on a batch of 256 clean digits it marks {int(mask.sum())} pixels; {int(always_black.sum())} "
              f"pixels are black in every digit of the batch, and the two sets overlap by {jac:.0%}",
              "compute the loss's gradients for W_h (model.encoder[0].weight) and b_h with backward(); a pixel "
              "is tied when its column of grad W_h equals -grad b_h (within a small tolerance, e.g. 1e-6 "
              "relative to the largest gradient)")
    noisy = x * dropout_noise(x.shape, 0.5, generator=torch.Generator().manual_seed(1))
    mask = _pixel_mask(r.call(answer, model, noisy, what="bias_tied_pixels(model, corrupted digits)"), r)
    model.zero_grad(set_to_none=True)
    r.require(int(mask.sum()) <= 8,
              "on the same digits corrupted by the dropout mask, no pixel is tied any more: the denoiser can "
              "move every outside weight on its own",
              f"on corrupted digits (no pixel is constant over the batch) it still marks {int(mask.sum())} "
              "pixels as tied",
              "decide from the gradients (or from the batch), not from a fixed list of border pixels")


def _flatness(model: nn.Module, outside: torch.Tensor) -> float:
    return float(outside_inside_spread(model.encoder[0].weight, outside).median())


@exercise("04.3", "the drop rate and the kernels: predict, then measure", needs=("models",))
def _check_04_3(answer, r, models):
    if not isinstance(models, dict) or set(models) != set(RATES):
        raise TypeError(f"models must be {{0.2: denoiser trained at p = 0.2, 0.8: ... at p = 0.8}}, "
                        f"got {models if not isinstance(models, dict) else sorted(models)}")
    for m in models.values():
        check_model(m, "every model")
    r.require_keys(answer, ("prediction", "flatness"), "the answer must be",
                   "{'prediction': the rate you expect to give the flatter kernels outside (0.2 or 0.8), "
                   "'flatness': {0.2: median ratio, 0.8: median ratio}}")
    if answer["prediction"] not in RATES:
        r.fail(f"the prediction is {answer['prediction']!r}", "write down 0.2 or 0.8 before you measure")
    flat = answer["flatness"]
    if not isinstance(flat, dict) or set(flat) != set(RATES):
        r.fail(f"'flatness' must be {{0.2: ..., 0.8: ...}}, got {flat!r}", "one number per drop rate")
    outside = outside_mask(load_mnist(train=True)[0], fraction=0.99)  # once for both models
    ref = {p: _flatness(models[p], outside) for p in RATES}
    for p in RATES:
        v = flat[p].item() if isinstance(flat[p], torch.Tensor) and flat[p].numel() == 1 else flat[p]
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            r.fail(f"the flatness at p = {p} is {v!r}, not a number", "use float(...median())")
        r.require(abs(v - ref[p]) < 0.05 * ref[p],
                  f"p = {p}: median outside/inside spread {v:.3f}, as the check measures it",
                  f"p = {p}: your flatness is {v:.4g}, the check measures {ref[p]:.3f}",
                  "the median over kernels of ae.outside_inside_spread(model.encoder[0].weight, outside), "
                  "with section 2's outside mask (black in >= 99 % of the training digits)")
    flatter = min(RATES, key=ref.get)
    said = "right" if answer["prediction"] == flatter else "not what happened"
    r.ok(f"measured: the kernels of the denoiser trained at p = {flatter} are the flatter ones outside the "
         f"digit area ({ref[flatter]:.2f} against {ref[max(RATES, key=ref.get)]:.2f}); your prediction "
         f"(p = {answer['prediction']}) was {said}")
