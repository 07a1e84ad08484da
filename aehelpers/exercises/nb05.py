"""Checks of notebook 05's exercises: energy minimisation written by hand, and with a prior on the code."""

from __future__ import annotations

import contextlib

import torch

from ..energy import energy_inpaint, start_codes
from ..inpainting import fill_missing, square_mask
from ..metrics import psnr
from ..model import check_model, decode, reconstruct
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


def _with_junk(x: torch.Tensor, known: torch.Tensor, seed: int = 551) -> torch.Tensor:
    """``x`` with every unknown pixel replaced by junk, uniform in [-1, 1] (seeded): the answers see only
    this, so the clean digits under the holes are never handed to them. The references never read
    those pixels."""
    junk = torch.rand(x.shape, generator=torch.Generator().manual_seed(seed)) * 2 - 1
    return torch.where(known, x, junk)


@contextlib.contextmanager
def _weights_kept(r, model):
    """Run an answer on ``model``; fail if it changed the model's weights (they are put back first)."""
    before = {k: v.detach().clone() for k, v in model.state_dict().items()}
    flags = [p.requires_grad for p in model.parameters()]
    try:
        yield
    finally:
        changed = [k for k, v in model.state_dict().items() if not torch.equal(v, before[k])]
        model.load_state_dict(before)
        for p, f in zip(model.parameters(), flags):
            p.requires_grad_(f)
    if changed:
        r.fail(f"your function changed the model's weights ({', '.join(changed[:4])}): it trained the model "
               "instead of searching for codes (the check has put them back)",
               "the optimiser's parameters are the codes, one per image; the decoder stays as it is")


JUNK_TOL = 0.01
# Why 0.01 (root mean square change of the result, pixels in [-1, 1]): the same computation run twice
# from the same random state differs by nothing on a CPU and by float rounding on a GPU, which 50 or
# 100 Adam steps do not blow up to 1e-2; an energy that reads the unknown pixels follows the junk there,
# a change of tenths.


def _junk_blind(r, answer, model, x, known, *args, what: str) -> torch.Tensor:
    """Call ``answer(model, images, known, *args)`` twice, the unknown pixels holding two different junks
    and the random state the same: a result that changes read pixels that are not known. Returns the
    first result (checked to be digits)."""
    outs = []
    for seed in (551, 552):
        with torch.random.fork_rng(devices=[]), _weights_kept(r, model):
            torch.manual_seed(0)  # an answer that starts from random codes starts from the same ones
            out = r.call(answer, model, _with_junk(x, known, seed), known.clone(), *args, what=what)
        outs.append(_output(out, r, len(x), "the inpainted digits"))
    change = float((outs[0] - outs[1]).square().mean().sqrt())
    if change > JUNK_TOL:
        r.fail(f"given the same known pixels with other random values in the unknown ones, your result changes "
               f"(by {change:.3f}, root mean square): it reads pixels that are not known",
               "the energy compares the decoded image with the images on the known pixels only: the others "
               "hold junk")
    r.ok("its result does not change when only the unknown pixels do (the check filled them with random "
         "values, twice)")
    return outs[0]


FIT_TOL = 1.0
# Why 1 dB (about 26 % more squared error): answers minimise the same energy for the same number of
# steps, but from other starting codes or another parametrisation of the code; they land within a
# fraction of a dB of the reference. An answer that did not minimise it stays at its starting point.


def _fit_progress(r, got: float, ref: float, direct: float, what: str) -> None:
    """Known-pixel fit of an answer against the reference energy minimisation and one pass through the
    denoiser: it must come within FIT_TOL of the reference and at least half-way from the one pass."""
    halfway = direct + 0.5 * max(ref - direct, 0.0)
    r.require(got >= ref - FIT_TOL and got >= halfway,
              f"it fits the known pixels with {got:.2f} dB: it minimised the energy (ae.energy_inpaint "
              f"with the same steps: {ref:.2f} dB; one pass through the denoiser: {direct:.2f} dB)",
              f"it fits the known pixels with {got:.2f} dB, against {ref:.2f} dB for ae.energy_inpaint with the "
              f"same steps (one pass through the denoiser: {direct:.2f} dB): {what}",
              "the optimiser must move the codes towards a lower energy over the known pixels: check which "
              "tensor it updates, that the energy is computed from the current code at every step and "
              "counts no other pixel (mask both sides of the difference), that the gradients are cleared "
              "between steps, and the learning rate (Adam's steps are about lr in size)")


@exercise("05.1", "energy minimisation, written by hand", needs=("model",))
def _check_05_1(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('05.1', energy_inpaint_by_hand, model=denoiser)")
    x = held_out_digits(N_DIGITS)
    noise = dropout_noise(x.shape, 0.5, generator=torch.Generator().manual_seed(1234))
    known = noise != 0
    out = _junk_blind(r, answer, model, x, known, STEPS, what="energy_inpaint_by_hand(model, images, known, steps)")
    given = _with_junk(x, known)
    ref = energy_inpaint(model, given, known, steps=STEPS)  # from the centre of the code space
    direct = reconstruct(model, x * noise)                  # one pass through the denoiser
    _fit_progress(r, _psnr(out, x, known), _psnr(ref, x, known), _psnr(direct, x, known),
                  "the energy was not minimised, or not over the known pixels alone")
    hole = {"yours": _psnr(out, x, ~known), "reference": _psnr(ref, x, ~known)}
    r.require(hole["yours"] > hole["reference"] - FIT_TOL,
              f"on the dropped pixels, which it never saw, it reaches {hole['yours']:.2f} dB "
              f"(ae.energy_inpaint: {hole['reference']:.2f} dB) on {N_DIGITS} held-out digits",
              f"on the dropped pixels it reaches {hole['yours']:.2f} dB, against {hole['reference']:.2f} dB "
              "for ae.energy_inpaint with the same number of steps; the check fills the unknown pixels of "
              "the images it passes with random values",
              "the energy must sum over the known pixels only: the unknown ones hold junk")


PRIOR_GAIN = 0.15
# Why 0.15 dB (3.5 % less squared error in the hole): without a prior, the energy's hole PSNR moves by a
# few hundredths of a dB between 50 and 100 steps or with another learning rate, so a gain above the
# better of the two references is the prior's, not the step count's.


@exercise("05.2", "a square hole, and a prior on the code", needs=("model",))
def _check_05_2(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('05.2', inpaint_with_prior, model=denoiser)")
    x = held_out_digits(N_DIGITS)
    hole = square_mask(N_DIGITS, size=10)
    known = ~hole
    out = _junk_blind(r, answer, model, x, known, what="inpaint_with_prior(model, images, known)")
    given = _with_junk(x, known)
    start = start_codes(model, fill_missing(given, torch.zeros_like(given), hole))  # notebook 05's start
    no_prior = {steps: energy_inpaint(model, given, known, steps=steps, init=start) for steps in (STEPS, 2 * STEPS)}
    base = max(no_prior.values(), key=lambda out: _psnr(out, x, hole))
    direct = decode(model, start)
    got = {"hole": _psnr(out, x, hole), "known": _psnr(out, x, known)}
    ref = {"hole": _psnr(base, x, hole), "known": _psnr(base, x, known)}
    r.require(got["known"] > _psnr(direct, x, known),
              f"it still fits the known pixels ({got['known']:.1f} dB; without a prior {ref['known']:.1f} dB)",
              f"it fits the known pixels with only {got['known']:.1f} dB, worse than one pass through the "
              f"denoiser ({_psnr(direct, x, known):.1f} dB): the prior overrules the data",
              "the prior should only break the ties between codes that fit the known pixels equally well: "
              "weigh it less")
    gain = got["hole"] - ref["hole"]
    r.require(gain > PRIOR_GAIN,
              f"inside the 10x10 hole it reaches {got['hole']:.2f} dB, {gain:+.2f} dB over the energy "
              f"without a prior ({ref['hole']:.2f} dB, the better of {STEPS} and {2 * STEPS} steps) on "
              f"{N_DIGITS} held-out digits",
              f"inside the hole it reaches {got['hole']:.2f} dB, {gain:+.2f} dB against the energy without a "
              f"prior ({ref['hole']:.2f} dB); the prior should add at least {PRIOR_GAIN} dB. (The check fills "
              "the hole of the images it passes with random values)",
              "the energy sums over the known pixels only (the hole holds junk); the prior prefers the codes "
              "that real digits have, in every direction of the code space, as much as its spread says "
              "(the code units are correlated); try a few weights for it, between 0.01 and 0.3 for the "
              "quadratic form")
