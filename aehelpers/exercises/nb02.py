"""Checks of notebook 02's exercises: the d = 2 codes against PCA-2, the backward pass by hand."""

from __future__ import annotations

import torch
from torch import nn

from ..cache import trained_autoencoder
from ..data import load_mnist
from ..model import encode
from ..pca import pca_fit
from ..runtime import notebook_seed
from .registry import as_tensor, exercise, seeded_autoencoder, test_digits

N_CODES = 2000  # test digits the 02.1 check encodes
KNN = 5


def _knn_accuracy(codes: torch.Tensor, labels: torch.Tensor, k: int = KNN) -> float:
    """Leave-one-out k-nearest-neighbour accuracy of the labels in the code space (majority vote)."""
    dist = torch.cdist(codes, codes)
    dist.fill_diagonal_(float("inf"))
    nearest = dist.topk(k, largest=False).indices
    votes = torch.nn.functional.one_hot(labels[nearest], 10).sum(1).double()
    votes += 1e-3 * torch.nn.functional.one_hot(labels[nearest[:, 0]], 10)  # ties: the nearest one wins
    return float((votes.argmax(1) == labels).double().mean())


def _pca2(images: torch.Tensor) -> torch.Tensor:
    """The check's reference: projections (N, 2) of the centred images on the first two principal
    components of the training digits, float64."""
    pca = pca_fit(load_mnist(train=True)[0]).truncate(2)
    return (images.double() - pca.mean.double()) @ pca.components.double().T


def _notebook_d2_model():
    """Section 5's d = 2 autoencoder, ``sweep[2]``: ``ae.trained_autoencoder(2, seed=SEED)`` with the
    notebook's seed, loaded from the model cache the notebook filled."""
    return trained_autoencoder(2, seed=notebook_seed(), progress=False)


CODE_TOL = 1e-3
# Why 1e-3 (largest difference from the reference codes, which lie in [-1, 1]): the same weights give
# the same codes up to float32 rounding of a 784-term sum, about 1e-6, however they are computed
# (ae.encode, tanh(x W^T + b) by hand, on a GPU); any other model (untrained, another seed, two units
# of a d = 30 model) differs by tenths.
PCA_TOL = 0.01
# Why 0.01 of each projection's standard deviation: an eigendecomposition or SVD of the centred training
# digits gives the components to about 1e-6 (float32 data, a well separated top-2 spectrum), whatever
# the routine; forgetting to centre shifts every projection by the mean digit's (a sizeable fraction of
# its spread), whitening divides it by the component's standard deviation, and columns for rows mixes
# all 784 components. (A randomised PCA with few power iterations, torch.pca_lowrank's default, can be
# off by more than 0.01: the check then says by how much.)


def _sign_aligned_error(got: torch.Tensor, ref: torch.Tensor) -> torch.Tensor:
    """Per column: max |got - s ref| / std(ref), with s = +-1 the better sign (a component's sign is arbitrary)."""
    scale = ref.std(0)
    plus = (got - ref).abs().amax(0) / scale
    minus = (got + ref).abs().amax(0) / scale
    return torch.minimum(plus, minus)


@exercise("02.1", "two numbers per digit: the d = 2 autoencoder against PCA-2")
def _check_02_1(answer, r):
    r.require_function(answer, "check('02.1', codes_2d), not codes_2d(x_test)")
    x, y = test_digits()
    x, y = x[:N_CODES], y[:N_CODES]
    out = r.call(answer, x.clone(), what="codes_2d(images)")
    r.require_keys(out, ("ae", "pca"), "codes_2d must return",
                   "return a dict: under 'ae' the d = 2 autoencoder's codes, under 'pca' the PCA-2 projections")
    codes = {k: as_tensor(out[k], r, f"the '{k}' codes", shape=(len(x), 2)) for k in ("ae", "pca")}
    for k, c in codes.items():
        r.require(bool((c.std(0) > 1e-6).all()), f"the '{k}' codes vary from digit to digit",
                  f"one of the two '{k}' coordinates is the same for every digit",
                  "encode the images you are given (the argument), not a fixed tensor")
    ref_ae = encode(_notebook_d2_model(), x).double()
    off = float((codes["ae"] - ref_ae).abs().max())
    if off > CODE_TOL and bool(codes["ae"].abs().max() > 1 + 1e-5):
        r.fail(f"the 'ae' codes reach {float(codes['ae'].abs().max()):.3g}: they are not the tanh codes of "
               "an autoencoder, which lie in [-1, 1]",
               "the code is the encoder's output, not a projection or a pre-activation")
    r.require(off <= CODE_TOL,
              f"the 'ae' codes are those of section 5's d = 2 autoencoder (within {max(off, 1e-9):.0e})",
              f"the 'ae' codes differ from those of section 5's d = 2 autoencoder by up to {off:.3g} "
              "(codes lie in [-1, 1])",
              "use the model that section 5 trained with d = 2 (in its sweep over d), trained as it is: not "
              "a fresh model, nor two units of a wider one; encode the images passed in")
    ref_pca = _pca2(x)
    err = _sign_aligned_error(codes["pca"], ref_pca)
    r.require(float(err.max()) < PCA_TOL,
              "the 'pca' codes are the projections of the centred digits on the first two principal "
              "components (up to each component's sign)",
              f"the 'pca' codes differ from the projections on the first two principal components by up to "
              f"{float(err[0]):.2g} and {float(err[1]):.2g} of their spread (up to sign)",
              "fit PCA on the training digits, subtract their mean from the images, and take the coordinates "
              "along the two components of largest variance (first column: the largest), in the units of "
              "the pixels (no rescaling)")
    acc = {k: _knn_accuracy(c.float(), y) for k, c in codes.items()}
    r.ok(f"measured: a {KNN}-nearest-neighbour vote in the 2-D code recovers the class of {acc['ae']:.0%} of "
         f"{len(x)} test digits with the autoencoder, {acc['pca']:.0%} with PCA-2 (chance: 10 %)")


def _reference_grads(model: nn.Module, x: torch.Tensor) -> dict:
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        nn.MSELoss()(model(x), x).backward()
    enc, dec = model.encoder[0], model.decoder[0]
    grads = {"W_h": enc.weight.grad, "b_h": enc.bias.grad, "W_x": dec.weight.grad, "b_x": dec.bias.grad}
    grads = {k: g.detach().clone() for k, g in grads.items()}
    model.zero_grad(set_to_none=True)
    return grads


# Where to look when one gradient is off (the backward pass runs from the output to the input, so the
# first one that is wrong says which step is).
_HINTS_02_2 = {
    "b_x": "start at the output: how does a mean over all N * n entries change when one entry of x_hat "
           "changes? Then go back through the decoder's tanh (its derivative, written with its output)",
    "W_x": "a weight's gradient is a sum over the batch of (gradient at its layer's pre-activation) times "
           "(that layer's input); it has the shape of W_x, (n, d)",
    "b_h": "from the decoder's pre-activation back to h goes through W_x (which side? check the shapes: "
           "(N, n) to (N, d)), then through the encoder's tanh",
    "W_h": "like W_x, one layer further back: the encoder's pre-activation gradient and its input x; the "
           "shape of W_h, (d, n)",
}


@exercise("02.2", "the backward pass of the lecture's model, by hand")
def _check_02_2(answer, r):
    r.require_function(answer, "check('02.2', backward_by_hand)")
    gen = torch.Generator().manual_seed(1234)
    cases = [(784, 30, 16), (7, 3, 5), (20, 50, 1)]  # (n, d, batch): the lecture's size, small, over-complete
    for n, d, batch in cases:
        model = seeded_autoencoder(n, d, int(torch.randint(1 << 30, (1,), generator=gen))).double()
        for p in model.parameters():  # weights large enough that the tanh units are not all linear
            p.data.mul_(3)
        x = torch.rand(batch, n, generator=gen, dtype=torch.float64) * 2 - 1
        ref = _reference_grads(model, x)
        out = r.call(answer, model, x.clone(), what="backward_by_hand(model, x)", no_autograd=True)
        r.require_keys(out, tuple(ref), "backward_by_hand must return",
                       "one gradient per parameter: W_h = model.encoder[0].weight, b_h its bias, W_x = "
                       "model.decoder[0].weight, b_x its bias")
        if any(p.grad is not None for p in model.parameters()):
            r.fail("your function filled the parameters' .grad: it used autograd",
                   "compute the gradients by the chain rule with tensor operations only")
        for k in ("b_x", "W_x", "b_h", "W_h"):  # from the output back: the first one off says which step is
            g_ref = ref[k]
            g = as_tensor(out[k], r, f"the gradient {k} (n = {n}, d = {d}, batch of {batch})",
                           shape=tuple(g_ref.shape))
            err = float((g - g_ref).norm() / g_ref.norm().clamp_min(1e-12))
            if err > 1e-6:
                r.fail(f"the gradient {k} differs from loss.backward()'s by {err:.1%} (relative error, "
                       f"n = {n}, d = {d}, batch of {batch})", _HINTS_02_2[k])
        r.ok(f"all four gradients agree with loss.backward() (relative error < 1e-6) for n = {n}, d = {d}, "
             f"a batch of {batch}")
