"""Checks of notebook 03's exercises: undoing dropout's rescaling, the denoiser applied twice."""

from __future__ import annotations

import numbers

import torch

from ..metrics import masked_mse
from ..model import EncoderDecoder, check_model, reconstruct
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
        r.fail(f"{what} is {v!r}, not a number", "return plain numbers (float(...) of a one-element tensor)")
    return float(v)


class _Copier(EncoderDecoder):
    """A "denoiser" that repairs nothing: its output is its input clipped to [-1, 1] (n = d = 784).

    03.1's second model: on it the error on the dropped pixels is the same for both inputs (they
    are 0 there), while the error on the kept pixels is 0 for the unscaled input only, so an error
    taken over the wrong pixels cannot match by chance, however good or bad the notebook's model is.
    """

    n = d = 784
    output_range = (-1.0, 1.0)

    def encode(self, x):
        return x

    def decode(self, h):
        return h.clamp(-1, 1)


REL_TOL = 1e-3
# Why 1e-3: the same recipe computed another way (a mask of noise == 0, a sum over a count, float32
# or float64) differs by float rounding, about 1e-6 of a mean over 50,000 pixels; the error over all
# pixels, over the kept ones or against the corrupted input instead of the clean one is off by tens of %.


def _hole_errors(model, x, noise) -> dict:
    dropped = noise == 0
    return {"scaled": masked_mse(reconstruct(model, x * noise), x, dropped),
            "unscaled": masked_mse(reconstruct(model, x * (noise > 0).float()), x, dropped)}


def _compare_hole_errors(r, answer, model, x, noise, which: str) -> dict:
    out = r.call(answer, model, x.clone(), noise.clone(), what="hole_errors(model, images, noise)")
    r.require_keys(out, ("scaled", "unscaled"), "hole_errors must return",
                   "return a dict of two numbers: 'scaled' for the lecture's input, 'unscaled' for the input "
                   "whose kept pixels keep their true value")
    got = {k: _as_number(out[k], r, f"the '{k}' error") for k in ("scaled", "unscaled")}
    ref = _hole_errors(model, x, noise)
    if got == {"scaled": ref["unscaled"], "unscaled": ref["scaled"]} and ref["scaled"] != ref["unscaled"]:
        r.fail(f"with {which}, the two errors are swapped",
               "'scaled' is for the lecture's input, the digits times the mask (kept pixels doubled at "
               "p = 0.5); 'unscaled' keeps the kept pixels at their true value")
    bad = [k for k in ("scaled", "unscaled") if abs(got[k] - ref[k]) > REL_TOL * ref[k]]
    r.require(not bad, f"with {which}, both errors match the check's own computation on {len(x)} held-out "
              f"digits with another mask ({ref['scaled']:.4f} and {ref['unscaled']:.4f})",
              f"with {which}, the " + " and the ".join(f"'{k}' error is {got[k]:.4g} where the check measures "
                                                      f"{ref[k]:.4f}" for k in bad),
              "the error compares the model's output with the clean digits, on the dropped pixels only "
              "(where the mask is 0), averaged over those pixels; the 'unscaled' input keeps every kept "
              "pixel at its true value and the dropped ones at 0")
    return ref


@exercise("03.1", "feeding the denoiser unscaled pixels", needs=("model",))
def _check_03_1(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('03.1', hole_errors, model=denoiser)")
    x, noise = _corrupted()
    ref = _compare_hole_errors(r, answer, model, x, noise, "the denoiser")
    _compare_hole_errors(r, answer, _Copier(), x, noise, "a model that copies its input (clipped to [-1, 1])")
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
        r.fail("your distances are squared", "a distance is the Euclidean norm of the difference, not its square")
    r.require(err < 1e-3, f"the distances moved at each of the {passes} passes match the check's own "
              f"computation on {len(x)} corrupted held-out digits",
              f"the distances differ from the check's own computation by up to {err:.1%} of their size",
              "row k compares pass k's output with pass k's input (not with the first input), per image, "
              "over all 784 pixels; and each pass takes the previous pass's output as its input")
    med = ref.median(dim=1).values
    r.ok(f"measured (median over digits): the first pass moves a corrupted digit {med[0]:.2f}, the second "
         f"{med[1]:.2f} ({med[1] / med[0]:.0%} of the first), the third {med[2]:.2f}: once on the manifold, "
         "a point barely moves, like a projection")
