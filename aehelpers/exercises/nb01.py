"""Checks of notebook 01's exercises: a latent direction for thickness, one direction per class."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import load_mnist
from ..model import check_model, decode, encode, reconstruct
from ..transforms import latent_direction, shift
from .registry import as_tensor, exercise, held_out_digits

N_FIT = 2000   # training digits the 01.1 check passes to the answer (as many as the notebook's fit_x)
N_EVAL = 500   # held-out test digits the 01.1 check moves
N_CLASS_DIGITS = 3000  # training digits the 01.2 check splits by class


def _thicken(x: torch.Tensor) -> torch.Tensor:
    """The check's own thickening: every ink pixel spreads to its 3x3 neighbourhood (grey dilation)."""
    ink = (x.reshape(-1, 1, 28, 28) + 1) / 2
    return (F.max_pool2d(ink, 3, stride=1, padding=1) * 2 - 1).reshape(len(x), 784)


def _ink_area(x: torch.Tensor) -> torch.Tensor:
    """Pixels brighter than mid-grey, per digit."""
    return (x > 0).double().sum(1)


def _training_digits(n: int) -> torch.Tensor:
    """``n`` training digits drawn with the checks' own seed (not the notebook's draw)."""
    x, _ = load_mnist(train=True)
    return x[torch.randperm(len(x), generator=torch.Generator().manual_seed(1234))[:n]]


@exercise("01.1", "a latent direction for thickness", needs=("model",))
def _check_01_1(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('01.1', thickness_direction, model=MODELS['shallow'])")
    fit = _training_digits(N_FIT)
    x = held_out_digits(N_EVAL)
    codes = encode(model, x)
    d = codes.shape[1]
    direction = as_tensor(r.call(answer, model, fit.clone(), what="thickness_direction(model, images)"),
                          r, "thickness_direction(model, images)", shape=(d,))
    r.ok(f"on {len(fit)} training digits it returns a finite vector of the code size d = {d}")
    r.require(float(direction.norm()) > 1e-3, f"it is not zero (length {float(direction.norm()):.3f})",
              "the direction is (almost) zero: moving along it changes nothing",
              "a latent direction is how much the code changes, on average over the digits, when they are "
              "thickened in pixel space")
    recon = reconstruct(model, x)
    moved = decode(model, codes + direction.float()[None])
    gain = _ink_area(moved) - _ink_area(recon)
    rel = float(gain.mean() / _ink_area(recon).mean())
    share = float((gain > 0).double().mean())
    r.require(rel > 0.1 and share > 0.8,
              f"moving {N_EVAL} held-out test digits along it adds ink: +{rel:.0%} ink area on average, "
              f"more ink for {share:.0%} of them",
              f"moving held-out test digits along it changes their ink area by {rel:+.0%} on average "
              f"(more ink for {share:.0%} of them); a thickness direction adds at least 10 % for 80 % of them",
              "a negative change means the direction points to thinner digits: the change of the code is "
              "(code of the thickened digit) minus (code of the digit), and thickening must add ink "
              "around every stroke")
    target = _thicken(x)
    err_moved, err_recon = ((moved - target) ** 2).mean(1), ((recon - target) ** 2).mean(1)
    closed = float(1 - err_moved.mean() / err_recon.mean())
    r.require(closed > 0.1,
              f"the moved digits come {closed:.0%} closer (MSE) to the check's own thickened digits "
              "(a 3x3 dilation) than the plain reconstructions",
              f"the moved digits are not closer to thickened digits than the plain reconstructions "
              f"(MSE change {-closed:+.0%}): the direction adds ink, but not as thicker strokes",
              "thickening spreads every stroke sideways, by a pixel or so; brightening, or adding blobs, is "
              "not it. And the direction is a mean over the digits, not a sum: one step along it should "
              "move a digit by about one thickening")


def _mean_cosine(directions: torch.Tensor) -> float:
    """Mean cosine similarity over all pairs of rows (directions of different classes)."""
    unit = directions / directions.norm(dim=1, keepdim=True).clamp_min(1e-12)
    cos = unit @ unit.T
    k = len(unit)
    return float((cos.sum() - cos.diagonal().sum()) / (k * (k - 1)))


@exercise("01.2", "one direction for every class?", needs=("model",))
def _check_01_2(answer, r, model):
    check_model(model)
    r.require_function(answer, "check('01.2', class_directions, model=MODELS['shallow'])")
    x, y = load_mnist(train=True)
    pick = torch.randperm(len(x), generator=torch.Generator().manual_seed(1234))[:N_CLASS_DIGITS]
    x, y = x[pick], y[pick]
    moves = {"thicken (3x3 dilation)": _thicken, "shift 3 px right": lambda im: shift(im, dx=3)}
    consistency = {}
    for name, move in moves.items():
        got = as_tensor(r.call(answer, model, x.clone(), y.clone(), move,
                                what="class_directions(model, images, labels, transform)"),
                         r, "class_directions(...)", shape=(10, None))
        ref = torch.stack([latent_direction(model, x[y == c], move) for c in range(10)]).double()
        if got.shape != ref.shape:
            r.fail(f"class_directions returned shape {tuple(got.shape)}, expected (10, {ref.shape[1]})",
                   "one row per class 0..9, each a direction in the model's code space")
        err = float(((got - ref).norm(dim=1) / ref.norm(dim=1).clamp_min(1e-12)).max())
        r.require(err < 0.02, f"for '{name}' the ten class directions match the check's own "
                  f"(ae.latent_direction on each class's digits, {len(x)} training digits)",
                  f"for '{name}' the class directions differ from the check's own by up to {err:.0%}",
                  "row c is the latent direction of the transform estimated on the digits of class c alone "
                  "(the labels say which), rows in the order of the classes 0..9, each a mean over its class")
        consistency[name] = _mean_cosine(ref)
    (a, ca), (b, cb) = consistency.items()
    r.ok(f"measured: the classes agree on '{a}' (mean cosine between two classes' directions {ca:.2f}) "
         f"{'far more' if ca > cb + 0.2 else 'more' if ca > cb else 'less'} than on '{b}' ({cb:.2f}): "
         "where the classes disagree, one mean direction cannot move every digit")
