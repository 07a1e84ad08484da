"""Checks of notebook 02's exercises: the d = 2 codes against PCA-2, the backward pass by hand."""

from __future__ import annotations

import torch
from torch import nn

from ..data import load_mnist
from ..pca import pca_fit
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
    pca = pca_fit(load_mnist(train=True)[0]).truncate(2)
    return (images.double() - pca.mean.double()) @ pca.components.double().T


@exercise("02.1", "two numbers per digit: the d = 2 autoencoder against PCA-2")
def _check_02_1(answer, r):
    r.require_function(answer, "check('02.1', codes_2d), not codes_2d(x_test)")
    x, y = test_digits()
    x, y = x[:N_CODES], y[:N_CODES]
    out = r.call(answer, x.clone(), what="codes_2d(images)")
    r.require_keys(out, ("ae", "pca"), "codes_2d must return",
                   "return {'ae': codes of the d = 2 autoencoder, 'pca': projections on the first 2 components}")
    codes = {k: as_tensor(out[k], r, f"the '{k}' codes", shape=(len(x), 2)) for k in ("ae", "pca")}
    for k, c in codes.items():
        r.require(bool((c.std(0) > 1e-6).all()), f"the '{k}' codes vary from digit to digit",
                  f"one of the two '{k}' coordinates is the same for every digit",
                  "encode the images you are given (the argument), not a fixed tensor")
    r.require(bool(codes["ae"].abs().max() <= 1 + 1e-5),
              "the autoencoder's codes lie in [-1, 1], the range of its tanh",
              f"the 'ae' codes reach {float(codes['ae'].abs().max()):.3g}: they are not tanh codes",
              "use the encoder of ae.trained_autoencoder(2): ae.encode(model, images)")
    ref = _pca2(x)
    corr = [abs(float(torch.corrcoef(torch.stack([codes["pca"][:, j], ref[:, j]]))[0, 1])) for j in range(2)]
    r.require(min(corr) > 0.99, f"the 'pca' codes are the projections on the first two principal "
              f"components (correlation {min(corr):.3f} or more with the reference, up to sign)",
              f"the 'pca' codes correlate only {corr[0]:.2f} and {corr[1]:.2f} with the projections on the "
              "first two principal components",
              "fit PCA on the training digits (ae.pca_fit(x_train)), then project the centred images "
              "on pca.components[:2] (first component first)")
    same = torch.corrcoef(torch.cat([codes["ae"], ref], 1).T)[:2, 2:].abs().max()
    r.require(float(same) < 0.999, "the autoencoder's codes are not PCA's",
              "the 'ae' codes are PCA's projections again", "encode with the d = 2 autoencoder")
    acc = {k: _knn_accuracy(c.float(), y) for k, c in codes.items()}
    r.require(acc["ae"] > 0.2, f"the classes are visible in the autoencoder's codes: a {KNN}-nearest-"
              f"neighbour vote in the 2-D code recovers the class of {acc['ae']:.0%} of {len(x)} test digits "
              f"(chance: 10 %), against {acc['pca']:.0%} with PCA-2",
              f"a {KNN}-nearest-neighbour vote in your 2-D codes recovers the class of only {acc['ae']:.0%} "
              "of the test digits (chance: 10 %)",
              "the codes must come from the trained d = 2 autoencoder (ae.trained_autoencoder(2)), "
              "applied to the images passed in")


def _reference_grads(model: nn.Module, x: torch.Tensor) -> dict:
    model.zero_grad(set_to_none=True)
    with torch.enable_grad():
        nn.MSELoss()(model(x), x).backward()
    enc, dec = model.encoder[0], model.decoder[0]
    grads = {"W_h": enc.weight.grad, "b_h": enc.bias.grad, "W_x": dec.weight.grad, "b_x": dec.bias.grad}
    grads = {k: g.detach().clone() for k, g in grads.items()}
    model.zero_grad(set_to_none=True)
    return grads


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
        for k, g_ref in ref.items():
            g = as_tensor(out[k], r, f"the gradient {k} (n = {n}, d = {d}, batch of {batch})",
                           shape=tuple(g_ref.shape))
            err = float((g - g_ref).norm() / g_ref.norm().clamp_min(1e-12))
            if err > 1e-6:
                hint = {"b_x": "start at the output: dL/dx_hat = 2 (x_hat - x) / (N n) for nn.MSELoss's "
                               "mean over all N n entries, then through the tanh: times (1 - x_hat^2)",
                        "W_x": "dL/dW_x = (dL/da_x)^T h, with a_x = h W_x^T + b_x the decoder's pre-activation",
                        "b_h": "back through the decoder's linear map (dL/dh = dL/da_x W_x), then the "
                               "encoder's tanh: times (1 - h^2)",
                        "W_h": "dL/dW_h = (dL/da_h)^T x, with a_h the encoder's pre-activation"}[k]
                r.fail(f"the gradient {k} differs from loss.backward()'s by {err:.1%} (relative error, "
                       f"n = {n}, d = {d}, batch of {batch})", hint)
        r.ok(f"all four gradients agree with loss.backward() (relative error < 1e-6) for n = {n}, d = {d}, "
             f"a batch of {batch}")
