"""Checks of notebook 04's exercises: kernels that respond to a stroke, the pixels tied to the bias,
and the drop rate against the flatness of the kernels outside the digit area."""

from __future__ import annotations

import copy
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
                   "return the k kernel indices (row numbers of weight) as a 1-D integer tensor, not the "
                   "responses themselves")
        out = out.tolist()
    if not isinstance(out, (list, tuple)) or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool)
                                                     for i in out):
        r.fail(f"{what} returned {type(out).__name__}, not a list of kernel indices",
               "return the k kernel indices (row numbers of weight) as a 1-D integer tensor")
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
              "a kernel's response is the change of its pre-activation between two images, the stroke and "
              "the black background: only the pixels where they differ count, and the bias cancels")
    w = seeded_autoencoder(784, 500, seed=0).encoder[0].weight.detach()
    # kernels of different lengths, as after training (a kernel's norm is part of its response)
    w = w * torch.logspace(-0.6, 0.6, 500)[torch.randperm(500, generator=gen)][:, None]
    stroke = bar("vertical", length=10)
    response = w @ (stroke + 1)
    k = 10
    found = _indices(r.call(answer, w.clone(), stroke.clone(), k, what="responsive_kernels(weight, stroke, 10)"),
                     r, 500, k, "responsive_kernels(weight, stroke, 10)")
    best = float(response.topk(k).values.mean())
    got = float(response[found].mean())
    r.require(got >= 0.95 * best,
              f"on 500 kernels of different lengths it picks {k} whose mean response to a vertical bar is "
              f"{got / best:.0%} of the largest possible",
              f"on 500 kernels of different lengths its {k} kernels respond to a vertical bar with "
              f"{got / best:.0%} of the largest possible mean response",
              "the response is a change between two images (the stroke and the black background), not "
              "the response to the stroke alone; keep the k largest increases (positive: the unit is "
              "excited), not the largest in size")


def _pixel_mask(mask, r, where: str) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool or mask.shape != (784,):
        r.fail(f"bias_tied_pixels must return a bool tensor of shape (784,), got "
               f"{getattr(mask, 'dtype', type(mask).__name__)} {tuple(getattr(mask, 'shape', ()))} ({where})",
               "one True/False per pixel: a comparison gives bools; reduce over the hidden units (rows of "
               "W_h), not over the pixels")
    return mask.cpu()


TIE_TOL = 1e-5
# Why 1e-5 of the largest bias gradient (the check's reference): for a pixel black in every image the two
# gradients are the same sum, computed by two float32 kernels: they differ by about 1e-7 of it. A pixel
# that one image inks by the smallest step of MNIST (2/255) is off by about 4e-5 of it or more. Answers
# that pick another tolerance in that gap mark the same pixels; MATCH leaves room for a few at its edge.
MATCH = 0.95  # overlap (intersection / union) of the answer's tied pixels with the reference's


def _tied_by_gradients(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    """The reference: pixels whose every weight gradient equals minus its unit's bias gradient."""
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        nn.MSELoss()(model(images), images).backward()
    grad_w, grad_b = model.encoder[0].weight.grad, model.encoder[0].bias.grad
    tied = (grad_w + grad_b[:, None]).abs().amax(dim=0) <= TIE_TOL * grad_b.abs().max()
    model.zero_grad(set_to_none=True)
    return tied


def _saturating(model: nn.Module, stroke: torch.Tensor) -> tuple[nn.Module, torch.Tensor]:
    """A copy of ``model`` and an image that saturates every hidden unit of it (tanh at +-1 exactly,
    so that image contributes no gradient at all), while every image that is black at the stroke's
    first pixel goes through the copy exactly as through ``model``: that pixel's weights get 20 x a
    random sign and the bias the same amount, which cancel at -1 and add up to +-40 at +1."""
    twin = copy.deepcopy(model)
    j = int(stroke.nonzero()[0])
    signs = torch.randint(0, 2, (twin.d,), generator=torch.Generator().manual_seed(42)) * 2 - 1
    with torch.no_grad():
        twin.encoder[0].weight[:, j] += 20 * signs
        twin.encoder[0].bias += 20 * signs
    return twin, torch.where(stroke, 1.0, -1.0)


def _leaves_no_gradients(r, model) -> None:
    left = [p for p in model.parameters() if p.grad is not None and bool(p.grad.any())]
    model.zero_grad(set_to_none=True)
    if left:
        r.fail("your function left gradients in the model's .grad (the next training step would add them "
               "to its own)",
               "clear the gradients once you have read what you need from them")


def _bias_tied_case(r, answer, model, images, where: str) -> tuple[torch.Tensor, torch.Tensor, float]:
    mask = _pixel_mask(r.call(answer, model, images.clone(), what=f"bias_tied_pixels(model, {where})"), r, where)
    _leaves_no_gradients(r, model)
    ref = _tied_by_gradients(model, images)
    overlap = float((mask & ref).sum() / (mask | ref).sum().clamp_min(1))
    return mask, ref, overlap


@exercise("04.2", "the pixels whose weights are tied to the bias")
def _check_04_2(answer, r):
    r.require_function(answer, "check('04.2', bias_tied_pixels)")
    model = seeded_autoencoder(784, 40, seed=1)
    x = held_out_digits(256)
    hint = ("compute the loss's gradients for the encoder's weights W_h and bias b_h, then compare, for each "
            "pixel j, the column j of the weight gradient with the bias gradient, over every hidden unit; "
            "decide from the gradients themselves, not from the pixel values")
    mask, ref, overlap = _bias_tied_case(r, answer, model, x, "clean digits")
    r.require(overlap >= MATCH,
              f"on a batch of 256 clean test digits it finds the {int(ref.sum())} tied pixels (those black in "
              "every digit of the batch)",
              f"on a batch of 256 clean digits it marks {int(mask.sum())} pixels; the gradients tie "
              f"{int(ref.sum())}, and the two sets overlap by {overlap:.0%}", hint)
    stroke = torch.zeros(28, 28, dtype=torch.bool)
    stroke[0:3, 4:24] = True  # a bar along the top border, where no digit has ink
    stroke = stroke.reshape(784) & (x == -1).all(0)
    twin, bright = _saturating(model, stroke)
    mask, ref, overlap = _bias_tied_case(r, answer, twin, torch.cat([x, bright[None]]),
                                         "clean digits and one saturating image")
    r.require(overlap >= MATCH,
              f"with one more image in the batch, a bar that saturates every hidden unit (so it contributes no "
              f"gradient at all), it still marks the {int(ref.sum())} tied pixels, the bar's included: it "
              "decides from the gradients",
              f"with one more image in the batch, a bar of {int(stroke.sum())} pixels that saturates every "
              f"hidden unit (tanh at +-1, so that image contributes no gradient), the gradients tie "
              f"{int(ref.sum())} pixels, the bar's included; your function marks {int(mask.sum())} "
              f"(overlap {overlap:.0%})", hint)
    noisy = x * dropout_noise(x.shape, 0.5, generator=torch.Generator().manual_seed(1))
    mask, ref, overlap = _bias_tied_case(r, answer, model, noisy, "corrupted digits")
    r.require(int(mask.sum()) == int(ref.sum()) == 0,
              "on the same digits corrupted by the dropout mask, no pixel is tied any more: the denoiser can "
              "move every outside weight on its own",
              f"on corrupted digits (no pixel is constant over the batch) it still marks {int(mask.sum())} "
              "pixels as tied", hint)


def _flatness(model: nn.Module, outside: torch.Tensor) -> float:
    return float(outside_inside_spread(model.encoder[0].weight, outside).median())


FLAT_TOL = 0.02
# Why 2 %: the same statistic computed another way (the two standard deviations by hand, biased or
# unbiased, the interpolated median of torch.quantile) moves by well under 1 %; the mean over kernels
# instead of the median, the decoder's weights instead of the encoder's, the ratio upside down or
# another outside mask move it by more.


def _flatness_answer(r, answer, models: dict, where: str) -> tuple[float, dict]:
    out = r.call(answer, dict(models), what=f"flatness_by_rate(models) on {where}")
    r.require_keys(out, ("prediction", "flatness"), "flatness_by_rate must return",
                   "return a dict: under 'prediction' the rate you expect to give the flatter kernels outside "
                   "(0.2 or 0.8), under 'flatness' one number per rate")
    if out["prediction"] not in RATES:
        r.fail(f"the prediction is {out['prediction']!r}", "write down 0.2 or 0.8 before you measure")
    flat = out["flatness"]
    if not isinstance(flat, dict) or set(flat) != set(RATES):
        r.fail(f"'flatness' must be a dict with the keys 0.2 and 0.8, got {flat!r}", "one number per drop rate")
    values = {}
    for p in RATES:
        v = flat[p].item() if isinstance(flat[p], torch.Tensor) and flat[p].numel() == 1 else flat[p]
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            r.fail(f"the flatness at p = {p} is {v!r}, not a number", "one plain number per rate (float(...))")
        values[p] = float(v)
    return out["prediction"], values


def _damped_pair(outside: torch.Tensor) -> dict:
    """Two untrained models built by the check: under 0.2, every kernel's weights outside the digit area
    shrunk by its own factor (from 0.03 to 0.5, spread over the kernels), under 0.8 none. Their flatness
    is known whatever the notebook's models learnt, and the mean over kernels, another mask or the
    decoder's weights give other numbers on them. d = 101: an odd count has one median, which
    torch.median and torch.quantile(..., 0.5) agree on."""
    d = 101
    damped, plain = seeded_autoencoder(784, d, seed=43), seeded_autoencoder(784, d, seed=44)
    factors = torch.logspace(-1.5, -0.3, d)[torch.randperm(d, generator=torch.Generator().manual_seed(43))]
    with torch.no_grad():
        damped.encoder[0].weight[:, outside] *= factors[:, None]
    return {0.2: damped, 0.8: plain}


def _compare_flatness(r, answer, models: dict, outside, where: str) -> tuple[float, dict]:
    prediction, flat = _flatness_answer(r, answer, models, where)
    ref = {p: _flatness(models[p], outside) for p in RATES}
    bad = [p for p in RATES if abs(flat[p] - ref[p]) > FLAT_TOL * ref[p]]
    r.require(not bad, f"on {where}, the two medians of the outside/inside spread match the check's "
              f"({ref[0.2]:.3f} and {ref[0.8]:.3f})",
              f"on {where}, " + " and ".join(f"at p = {p} your flatness is {flat[p]:.4g} where the check measures "
                                             f"{ref[p]:.3f}" for p in bad),
              "section 2's statistic: for each kernel of the encoder, how much its weights vary outside the "
              "digit area relative to inside (section 2's outside mask); then the median over the kernels, "
              "one number per model, each model under its own key")
    return prediction, ref


@exercise("04.3", "the drop rate and the kernels: predict, then measure", needs=("models",))
def _check_04_3(answer, r, models):
    if not isinstance(models, dict) or set(models) != set(RATES):
        raise TypeError(f"models must be {{0.2: denoiser trained at p = 0.2, 0.8: ... at p = 0.8}}, "
                        f"got {models if not isinstance(models, dict) else sorted(models)}")
    for m in models.values():
        check_model(m, "every model")
    r.require_function(answer, "check('04.3', flatness_by_rate, models=RATE_MODELS)")
    outside = outside_mask(load_mnist(train=True)[0], fraction=0.99)  # section 2's
    pair = _damped_pair(outside)
    prediction, _ = _compare_flatness(r, answer, pair, outside, "two untrained models whose kernels the check "
                                      "damped outside the digit area")
    swapped, _ = _compare_flatness(r, answer, {0.2: pair[0.8], 0.8: pair[0.2]}, outside,
                                   "the same two models under each other's rate")
    if swapped != prediction:
        r.fail("your prediction changes with the models: it is computed from the measurement, not written "
               "down before it", "the prediction is a constant you choose before running anything")
    _, ref = _compare_flatness(r, answer, models, outside, "the denoisers trained at p = 0.2 and 0.8")
    flatter = min(RATES, key=ref.get)
    said = "right" if prediction == flatter else "not what happened"
    r.ok(f"measured: the kernels of the denoiser trained at p = {flatter} are the flatter ones outside the "
         f"digit area ({ref[flatter]:.2f} against {ref[max(RATES, key=ref.get)]:.2f}); your prediction "
         f"(p = {prediction}) was {said}")
