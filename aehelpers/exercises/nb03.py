"""Checks of notebook 03's exercises: undoing dropout's rescaling, the denoiser applied twice."""

from __future__ import annotations

import numbers

import torch

from ..metrics import masked_mse
from ..model import check_model, reconstruct
from ..noise import dropout_noise
from .registry import as_tensor, exercise, held_out_digits

N_DIGITS = 1000  # held-out test digits the checks corrupt
SEED = 1234      # the checks' own masks, independent of the notebook's


def _corrupted(n: int = N_DIGITS, p: float = 0.5):
    x = held_out_digits(n)
    noise = dropout_noise(x.shape, p, generator=torch.Generator().manual_seed(SEED))
    return x, noise


def _as_number(v, r, what: str) -> float:
    if isinstance(v, torch.Tensor) and v.numel() == 1:
        v = v.item()
    if isinstance(v, bool) or not isinstance(v, numbers.Real) or v != v:
        r.fail(f"{what} is {v!r}, not a number", "return plain numbers, e.g. float(ae.masked_mse(...))")
    return float(v)


@exercise("03.1", "feeding the denoiser unscaled pixels", needs=("model",))
def _check_03_1(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('03.1', hole_errors, model=denoiser)")
    x, noise = _corrupted()
    out = r.call(answer, model, x.clone(), noise.clone(), what="hole_errors(model, images, noise)")
    r.require_keys(out, ("scaled", "unscaled"), "hole_errors must return",
                   "return {'scaled': error with img * noise as input, 'unscaled': error with img * (noise > 0)}")
    got = {k: _as_number(out[k], r, f"the '{k}' error") for k in ("scaled", "unscaled")}
    dropped = noise == 0
    ref = {"scaled": masked_mse(reconstruct(model, x * noise), x, dropped),
           "unscaled": masked_mse(reconstruct(model, x * (noise > 0).float()), x, dropped)}
    for k in ("scaled", "unscaled"):
        rel = abs(got[k] - ref[k]) / ref[k]
        if got[k] == ref["unscaled" if k == "scaled" else "scaled"] and ref["scaled"] != ref["unscaled"]:
            r.fail(f"the '{k}' error is the other input's error: the two are swapped",
                   "'scaled' is the lecture's input img * noise (kept pixels doubled at p = 0.5), "
                   "'unscaled' keeps the kept pixels at their true value: img * (noise > 0)")
        r.require(rel < 0.03, f"the '{k}' error, {got[k]:.4f}, matches the check's own computation "
                  f"({ref[k]:.4f}) on {N_DIGITS} held-out digits with another mask",
                  f"the '{k}' error is {got[k]:.4g}, but the check measures {ref[k]:.4f} on other held-out "
                  "digits with the same recipe",
                  "the error is the MSE between the denoiser's output and the clean digit on the dropped "
                  "pixels only: ae.masked_mse(ae.reconstruct(model, corrupted), images, noise == 0)")
    ratio = ref["unscaled"] / ref["scaled"]
    verdict = "worse" if ratio > 1 else "better"
    why = ("it learnt the statistics of its training input, kept pixels at +-1 / (1 - p) included"
           if ratio > 1 else "the rescaling it was trained with does not help it at test time")
    r.ok(f"measured: without the rescaling the denoiser fills the holes {verdict} "
         f"({ratio:.2f} times the error with it): {why}")


@exercise("03.2", "the denoiser applied again and again", needs=("model",))
def _check_03_2(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('03.2', distances_moved, model=denoiser)")
    x, noise = _corrupted(500)
    start = x * noise
    passes = 3
    moved = as_tensor(r.call(answer, model, start.clone(), passes, what="distances_moved(model, images, 3)"),
                       r, "distances_moved(model, images, 3)", shape=(passes, len(x)))
    ref, current = [], start
    for _ in range(passes):
        nxt = reconstruct(model, current)
        ref.append((nxt - current).norm(dim=1))
        current = nxt
    ref = torch.stack(ref).double()
    err = float(((moved - ref).abs() / ref.clamp_min(1e-6)).max())
    if err > 1e-3 and torch.allclose(moved, ref ** 2, rtol=1e-3):
        r.fail("your distances are squared", "use the Euclidean norm, (a - b).norm(dim=1), not its square")
    r.require(err < 1e-3, f"the distances moved at each of the {passes} passes match the check's own "
              f"computation on {len(x)} corrupted held-out digits",
              f"the distances differ from the check's own computation by up to {err:.1%} of their size",
              "row k is ||f(y_k) - y_k|| for each image, where y_0 = images and y_{k+1} = f(y_k) = "
              "ae.reconstruct(model, y_k): feed each output back in")
    med = ref.median(dim=1).values
    r.ok(f"measured (median over digits): the first pass moves a corrupted digit {med[0]:.2f}, the second "
         f"{med[1]:.2f} ({med[1] / med[0]:.0%} of the first), the third {med[2]:.2f}: once on the manifold, "
         "a point barely moves, like a projection")
