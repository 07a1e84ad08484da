"""Checks of notebook 05's exercises: energy minimisation written by hand, and with a prior on the code."""

from __future__ import annotations

import torch

from ..energy import energy_inpaint, start_codes
from ..inpainting import fill_missing, square_mask
from ..metrics import psnr
from ..model import check_model, reconstruct
from ..noise import dropout_noise
from .registry import as_tensor, exercise, held_out_digits

N_DIGITS = 100  # held-out test digits the checks inpaint
STEPS = 50      # Adam steps, as notebook 05's ENERGY_STEPS


def _psnr(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> float:
    """ae.psnr on ``mask`` for digits in [-1, 1], capped at 100 dB: an exact match still compares and subtracts."""
    return min(psnr(pred, target, mask, value_range=(-1, 1)), 100.0)


def _output(out, r, n: int, what: str) -> torch.Tensor:
    out = as_tensor(out, r, what, shape=(n, 784))
    if out.abs().max() > 1 + 1e-4:
        r.fail(f"{what} has values up to {float(out.abs().max()):.3g}, outside [-1, 1]",
               "return the decoded images, decode(z), which the tanh keeps inside (-1, 1)")
    return out


@exercise("05.1", "energy minimisation, written by hand", needs=("model",))
def _check_05_1(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('05.1', energy_inpaint_by_hand, model=denoiser)")
    x = held_out_digits(N_DIGITS)
    noise = dropout_noise(x.shape, 0.5, generator=torch.Generator().manual_seed(1234))
    known = noise != 0
    out = _output(r.call(answer, model, x.clone(), known.clone(), STEPS,
                         what="energy_inpaint_by_hand(model, images, known, steps)"),
                  r, N_DIGITS, "the inpainted digits")
    if torch.equal(out.float(), x):
        r.fail("it returns the clean digits it was given", "the pixels under ~known are unknown: "
               "only the known ones may be used")
    ref = energy_inpaint(model, x, known, steps=STEPS)  # from the centre of the code space
    direct = reconstruct(model, x * noise)              # one pass through the denoiser
    fit = {"yours": _psnr(out, x, known), "reference": _psnr(ref, x, known), "denoiser": _psnr(direct, x, known)}
    r.require(fit["yours"] > fit["denoiser"] + 1,
              f"it fits the known pixels ({fit['yours']:.1f} dB) far better than one pass through the "
              f"denoiser ({fit['denoiser']:.1f} dB): it minimised the energy",
              f"it fits the known pixels with {fit['yours']:.1f} dB, no better than one pass through the "
              f"denoiser ({fit['denoiser']:.1f} dB): the energy was not minimised",
              "optimise a code z (e.g. z = tanh(u), u a leaf tensor with requires_grad) with "
              "torch.optim.Adam([u], lr=0.05) on E = sum over known pixels of (decode(z) - x)^2, with the "
              "decoder frozen")
    hole = {"yours": _psnr(out, x, ~known), "reference": _psnr(ref, x, ~known)}
    r.require(hole["yours"] > hole["reference"] - 1,
              f"on the dropped pixels, which it never saw, it reaches {hole['yours']:.2f} dB "
              f"(ae.energy_inpaint: {hole['reference']:.2f} dB) on {N_DIGITS} held-out digits",
              f"on the dropped pixels it reaches {hole['yours']:.2f} dB, against {hole['reference']:.2f} dB "
              "for ae.energy_inpaint with the same number of steps",
              "start from a sensible code (zeros, or the encoder's code of the corrupted digit) and use "
              "Adam with lr around 0.05; the energy must sum over the known pixels only")


@exercise("05.2", "a square hole, and a prior on the code", needs=("model",))
def _check_05_2(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('05.2', inpaint_with_prior, model=denoiser)")
    x = held_out_digits(N_DIGITS)
    hole = square_mask(N_DIGITS, size=10)
    known = ~hole
    out = _output(r.call(answer, x.clone(), known.clone(), what="inpaint_with_prior(images, known)"),
                  r, N_DIGITS, "the inpainted digits")
    if torch.equal(out.float(), x):
        r.fail("it returns the clean digits it was given", "only the known pixels may be used")
    corrupted = fill_missing(x, torch.zeros_like(x), hole)
    ref = energy_inpaint(model, x, known, steps=STEPS, init=start_codes(model, corrupted))  # notebook 05's
    got = {"hole": _psnr(out, x, hole), "known": _psnr(out, x, known)}
    base = {"hole": _psnr(ref, x, hole), "known": _psnr(ref, x, known)}
    r.require(got["known"] > 15,
              f"it still fits the known pixels ({got['known']:.1f} dB; without a prior {base['known']:.1f} dB)",
              f"it fits the known pixels with only {got['known']:.1f} dB (without a prior: {base['known']:.1f} "
              "dB): the prior overrules the data",
              "make the prior's weight smaller: the energy is the data term plus lambda times the prior")
    gain = got["hole"] - base["hole"]
    r.require(gain > 0.15,
              f"inside the 10x10 hole it reaches {got['hole']:.2f} dB, {gain:+.2f} dB over the energy "
              f"without a prior ({base['hole']:.2f} dB) on {N_DIGITS} held-out digits",
              f"inside the hole it reaches {got['hole']:.2f} dB, {gain:+.2f} dB against the energy without a "
              f"prior ({base['hole']:.2f} dB); the prior should add at least 0.15 dB",
              "fit a Gaussian to the codes of the training digits (mean and full covariance: the code "
              "units are correlated) and add lambda (z - mu)^T Sigma^-1 (z - mu) to the energy; try "
              "lambda between 0.01 and 0.3")
