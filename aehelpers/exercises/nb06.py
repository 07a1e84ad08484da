"""Checks of notebook 06's exercises: the contractive penalty of a deep tanh encoder by the chain rule,
and the posterior mean that the 2-D toy's denoiser learns."""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.autograd.functional import jacobian

from ..manifolds import TwoBranchCurve, grid
from ..model import check_model, reconstruct
from .registry import as_tensor, exercise

# 06.1: (inputs n, the encoder's tanh layers, batch): the lecture's encoder, an over-complete one,
# then two and three layers, where the one-layer formula no longer applies
ENCODERS = [(784, (30,), 16), (6, (10,), 5), (10, (20, 4), 8), (3, (6, 6, 2), 7)]
JACOBIAN_TOL = 1e-4  # relative error per input: float32 rounding (the notebook's own check uses the same)


def _tanh_encoder(sizes: tuple[int, ...], seed: int) -> nn.Sequential:
    """Linear + Tanh layers n -> ... -> d, seeded, with weights 3x PyTorch's default: many units
    saturate, so the factors (1 - h^2) range from about 0 to 1 and a formula that drops them fails."""
    layers = []
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        for n_in, n_out in zip(sizes[:-1], sizes[1:]):
            layers += [nn.Linear(n_in, n_out), nn.Tanh()]
        encoder = nn.Sequential(*layers)
        for p in encoder.parameters():
            p.data.mul_(3)
    return encoder


def _jacobian_norms(encoder: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Reference: ``||dh/dx||_F^2`` (N,) by autograd, one input at a time, in float64."""
    enc64 = copy.deepcopy(encoder).double()
    return torch.stack([jacobian(enc64, xi).square().sum() for xi in x.double()])


def _describe(n: int, hidden: tuple[int, ...], batch: int) -> str:
    layers = {1: "one tanh layer", 2: "two tanh layers", 3: "three tanh layers"}[len(hidden)]
    return f"{layers}, {' -> '.join(map(str, (n, *hidden)))}, a batch of {batch}"


@exercise("06.1", "the contractive penalty of a deep tanh encoder, by the chain rule")
def _check_06_1(answer, r):
    r.require_function(answer, "check('06.1', jacobian_norm_by_hand)")
    gen = torch.Generator().manual_seed(606)
    for n, hidden, batch in ENCODERS:
        encoder = _tanh_encoder((n, *hidden), int(torch.randint(1 << 30, (1,), generator=gen)))
        x = torch.rand(batch, n, generator=gen) * 2 - 1
        ref = _jacobian_norms(encoder, x)
        where = _describe(n, hidden, batch)
        out = r.call(answer, encoder, x.clone(), what="jacobian_norm_by_hand(encoder, x)", no_autograd=True)
        if any(p.grad is not None for p in encoder.parameters()):
            r.fail("your function filled the parameters' .grad: it used autograd",
                   "compute the Jacobian from the weights and the tanh outputs, with tensor operations only")
        out = as_tensor(out, r, f"the result ({where})")
        if out.shape != (batch,):
            r.fail(f"the result has shape {tuple(out.shape)} for a batch of {batch} ({where}), expected ({batch},)",
                   "return one number per input, ||dh/dx||_F^2 summed over the code units and the input "
                   "pixels: not the mean over the batch, not one value per unit")
        err = float(((out - ref).abs() / ref).max())
        if err > JACOBIAN_TOL:
            hint = ("row j of the Jacobian is (1 - h_j^2) w_j, so ||J||_F^2 = sum over j of (1 - h_j^2)^2 ||w_j||^2, "
                    "with h = tanh(W x + b) at each input" if len(hidden) == 1 else
                    "the chain rule: J = D_L W_L ... D_2 W_2 D_1 W_1, with D_k = diag(1 - h_k^2) and h_k the "
                    "output of tanh layer k at this input. Start from D_1 W_1, shape (N, d_1, n), and multiply "
                    "by D_k W_k layer by layer (broadcasting and @ work batched), then sum the squares. "
                    "The one-layer formula is the special case L = 1: it does not apply to deeper encoders")
            r.fail(f"||dh/dx||_F^2 differs from autograd's by up to {err:.1%} (relative error, {where})", hint)
        r.ok(f"||dh/dx||_F^2 agrees with torch.autograd.functional.jacobian within {max(err, 1e-9):.0e} "
             f"(relative) for {where}")


# 06.2
SIGMAS = (0.2, 0.05)  # the notebook's noise, and a small one whose weights underflow in float32 far away
NEAR = 0.3            # grid points this close to the curve: where the denoiser saw noisy training points
FAR = 0.5             # grid points further than this: where no noisy training input landed (2.5 sigma)
GAP_TOL = 0.3
# Why 0.3 (root mean square of the gap to the posterior mean / that of the move, near the curve): the
# notebook's denoiser is 0.15-0.21 from it on seeds 0-2, while what learnt something else stays above
# 0.33: a denoiser trained at sigma = 0.1 or 0.3 (0.36-0.44 against the sigma = 0.2 posterior mean), the
# posterior mean at sigma = 0.05, 0.1 or 0.3 (0.34-0.53), the projection on the nearest curve point
# (0.62), an untrained model (about 0.8), the identity (1).


def _reference_posterior_mean(noisy: torch.Tensor, clean: torch.Tensor, sigma: float) -> torch.Tensor:
    d2 = torch.cdist(noisy.double(), clean.double()).square()
    return torch.softmax(-d2 / (2 * sigma ** 2), dim=1) @ clean.double()


def _means(r, answer, noisy, clean, sigma) -> torch.Tensor:
    out = r.call(answer, noisy.clone(), clean.clone(), sigma, what="posterior_mean(noisy, clean, sigma)")
    if isinstance(out, torch.Tensor) and out.is_floating_point() and not torch.isfinite(out).all():
        r.fail(f"at sigma = {sigma} the result contains NaN or infinite values "
               f"({int((~torch.isfinite(out)).any(1).sum())} of {len(noisy)} points)",
               "far from every clean point, exp(-d^2 / (2 sigma^2)) underflows to 0 in float32 and the "
               "normalisation divides 0 by 0: only the ratios of the weights matter, so shift every log-weight "
               "of a noisy point by the same amount before exponentiating (what a softmax does)")
    return as_tensor(out, r, f"the result at sigma = {sigma}", shape=(len(noisy), 2))


@exercise("06.2", "the denoiser learns the posterior mean", needs=("model",))
def _check_06_2(answer, r, model):
    check_model(model)
    if getattr(model, "n", None) != 2:
        raise TypeError(f"model must be the 2-D toy denoiser of section 3 (denoiser_2d, ae.Autoencoder(2, ...)), "
                        f"got a model of {getattr(model, 'n', 'unknown')} inputs")
    r.require_function(answer, "check('06.2', posterior_mean, model=denoiser_2d)")
    curve = TwoBranchCurve()
    gen = torch.Generator().manual_seed(6062)
    clean, _ = curve.sample(300, seed=6062)
    noisy = torch.cat([grid(9), clean[:100] + 0.2 * torch.randn(100, 2, generator=gen)])  # corners: 0.9 away
    cases = [(noisy, clean, s, f"sigma = {s}, clean points on the curve") for s in SIGMAS]
    scattered = torch.rand(40, 2, generator=gen) * 2 - 1  # clean points that are no curve at all
    cases.append((torch.rand(50, 2, generator=gen) * 2 - 1, scattered, 0.3, "sigma = 0.3, 40 scattered clean points"))
    for x, c, s, where in cases:
        out = _means(r, answer, x, c, s)
        if torch.allclose(out, x.double()):
            r.fail(f"it returns the noisy points unchanged ({where})",
                   "return the weighted mean of the clean points, one per noisy point")
        err = float((out - _reference_posterior_mean(x, c, s)).norm(dim=1).max())
        r.require(err < 1e-3, f"your means agree with the posterior mean ({where}: within {max(err, 1e-9):.0e})",
                  f"{where}: your means are up to {err:.3g} from the posterior mean",
                  "check the three steps against the formula: the squared distance in the exponent, divided "
                  "by 2 sigma^2; weights that sum to 1 over the clean points (for each noisy point); the "
                  "weighted mean of the clean points")
    # the measured effect: the notebook's trained denoiser against the posterior mean of its noise level
    curve_points, _ = curve.sample(2000, seed=6063)
    inputs = grid(41)
    dist = curve.distance(inputs)
    near = dist < NEAR
    outputs = reconstruct(model, inputs).double()
    means = _means(r, answer, inputs, curve_points, SIGMAS[0])
    gap = float((outputs - means).square().sum(dim=1)[near].mean().sqrt())   # root mean square
    move = float((outputs - inputs.double()).square().sum(dim=1)[near].mean().sqrt())
    r.require(gap < GAP_TOL * move,
              f"the trained denoiser lands {gap:.3f} from the posterior mean at sigma = 0.2 (root mean square "
              f"over the {int(near.sum())} grid points within {NEAR} of the curve), a fraction {gap / move:.2f} "
              f"of the {move:.3f} it moves them: it learnt the posterior mean",
              f"the model's outputs are {gap:.3f} from the posterior mean at sigma = 0.2 (root mean square near "
              f"the curve), a fraction {gap / move:.2f} of how far it moves the points (expected under {GAP_TOL})",
              "pass the denoiser of section 3, trained with sigma = 0.2: model=denoiser_2d")
    # what the prediction was about: the corners, where no noisy training input ever landed
    far = dist > FAR
    nearest = curve_points[torch.cdist(inputs, curve_points).argmin(dim=1)].double()  # the projection
    off_curve = curve.distance(means.float())[far].median()
    to_projection = (means - nearest).norm(dim=1)[far].median()
    far_gap = float((outputs - means).square().sum(dim=1)[far].mean().sqrt())
    r.ok(f"measured in the corners ({int(far.sum())} grid points over {FAR} from the curve): your posterior mean "
         f"puts them {off_curve:.3f} from the curve, {to_projection:.3f} from the nearest curve point (far "
         f"away the weights pick the nearest clean points: a projection); the trained denoiser lands "
         f"{far_gap:.3f} from it there (root mean square), against {gap:.3f} near the curve")
