"""The contractive autoencoder: penalise how much the code moves when the input moves.

The lecture (section 7, fig 18) adds to the reconstruction loss the squared norm of
the gradient of the hidden representation with respect to the input, the Jacobian
``J = dh/dx`` (d x n). For the lecture's encoder, one linear layer and a tanh,
``h = tanh(W x + b)``, row j of ``J`` is ``(1 - h_j^2) w_j`` (``w_j``: row j of ``W``), so

    ||J||_F^2 = sum_j (1 - h_j^2)^2 ||w_j||^2

costs one extra (N, d) x (d,) product per batch instead of d backward passes.
``contractive_penalty`` computes it (``ae.fit(..., penalty=lambda m, x: lam *
ae.contractive_penalty(m, x))`` trains a contractive autoencoder); ``encoder_jacobian`` is
the slow reference with ``torch.autograd.functional.jacobian``; ``sensitivity`` measures
``||J u||`` along chosen directions ``u`` (any encoder). Used by notebook 06.
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import check_digits, check_tanh_encoder
from .model import check_model

__all__ = ["contractive_penalty", "encoder_jacobian", "sensitivity"]

_REDUCTIONS = ("mean", "sum", "none")


def contractive_penalty(model: nn.Module, x: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """``||dh/dx||_F^2`` of the encoder ``h = tanh(W x + b)`` at each input, in closed form.

    ``model``: an autoencoder whose ``encoder`` is ``nn.Sequential(nn.Linear(n, d),
    nn.Tanh())`` (``ae.Autoencoder(n, d)``, ``ae.TiedAutoencoder(n, d)``); any other
    encoder is a TypeError. ``x``: (N, n) float inputs. Returns the **mean over the
    batch** of ``sum_j (1 - h_j^2)^2 ||w_j||^2`` (``reduction="mean"``, what training
    adds to the mean squared error), the sum (``"sum"``) or one value per input
    (``"none"``, shape (N,)). Differentiable: gradients flow to ``W``, ``b`` and ``x``.
    """
    if reduction not in _REDUCTIONS:
        raise ValueError(f"reduction must be one of {_REDUCTIONS}, got {reduction!r}")
    linear = check_tanh_encoder(model, "contractive_penalty (for other encoders use ae.encoder_jacobian)")
    check_digits(x, "x", n=linear.in_features, expected_by="the encoder", finite=False)  # no sync: fit calls it
    h = torch.tanh(nn.functional.linear(x, linear.weight, linear.bias))
    per_input = (1 - h * h).square() @ linear.weight.square().sum(dim=1)
    if reduction == "none":
        return per_input
    return per_input.mean() if reduction == "mean" else per_input.sum()


def encoder_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The Jacobian ``dh/dx`` of ``model.encode`` at each input, by autograd: (N, d, n).

    ``torch.autograd.functional.jacobian`` of the encoder at each input in turn, so
    it works for any encoder (and is the reference ``contractive_penalty`` is tested
    against); slow for many inputs. ``x``: (N, n) float inputs.
    """
    from torch.autograd.functional import jacobian

    check_digits(x, "x", n=check_model(model).n, expected_by="the model")
    params = list(model.parameters())
    dev = params[0].device if params else x.device
    return torch.stack([jacobian(model.encode, xi.to(dev)).cpu() for xi in x])


def sensitivity(model: nn.Module, x: torch.Tensor, directions: torch.Tensor, of: str = "code") -> torch.Tensor:
    """How fast the code moves when input i moves along ``directions[i]``: ``||J(x_i) u_i||``, (N,).

    ``x``: (N, n) inputs; ``directions``: (N, n) directions, normalised to unit length
    here (e.g. a curve's tangents or normals). ``of="code"``: ``J`` is the encoder's Jacobian;
    ``of="output"``: the whole model's, how fast the reconstruction moves (immune to a model
    that shrinks its codes and decodes them with larger weights). A Jacobian-vector product
    (``torch.autograd.functional.jvp``), so any model works. CPU float tensor. Notebook 06.
    """
    from torch.autograd.functional import jvp

    check_digits(x, "x", n=check_model(model).n, expected_by="the model")
    check_digits(directions, "directions", n=x.shape[1], expected_by="x")
    if of not in ("code", "output"):
        raise ValueError(f"of must be 'code' (the encoder's Jacobian) or 'output' (the whole model's), got {of!r}")
    if directions.shape != x.shape:
        raise ValueError(f"directions must have the shape of x {tuple(x.shape)}, got {tuple(directions.shape)}")
    norms = directions.norm(dim=1, keepdim=True)
    if (norms == 0).any():
        raise ValueError("directions contains a zero vector: every direction needs a length")
    params = list(model.parameters())
    dev = params[0].device if params else x.device
    was_training = model.training
    model.eval()
    try:
        # the code of input i depends on input i only, so one batched jvp gives every J(x_i) u_i
        _, moved = jvp(model.encode if of == "code" else model, x.to(dev), (directions / norms).to(dev))
    finally:
        model.train(was_training)
    return moved.norm(dim=1).detach().cpu()
