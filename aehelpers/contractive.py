"""The contractive autoencoder: penalise how much the code moves when the input moves.

The lecture (section 7, fig 18) adds to the reconstruction loss the squared norm of
the gradient of the hidden representation with respect to the input, the Jacobian
``J = dh/dx`` (d x n). For the lecture's encoder, one linear layer and a tanh,
``h = tanh(W x + b)``, row j of ``J`` is ``(1 - h_j^2) w_j`` (``w_j``: row j of ``W``), so

    ||J||_F^2 = sum_j (1 - h_j^2)^2 ||w_j||^2

costs one extra (N, d) x (d,) product per batch instead of d backward passes.
``contractive_penalty`` computes it; ``encoder_jacobian`` is the slow reference with
``torch.autograd.functional.jacobian``; ``sensitivity`` measures ``||J u||`` along
chosen directions ``u`` (any encoder); ``fit_regularised`` trains with the
lecture's five steps, Adam, MSE, plus the penalty and/or Gaussian input noise (a
denoiser for 2-D points). Used by notebook 06.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from . import runtime
from ._checks import check_digits, check_flag, check_positive_int, check_positive_real
from .training import TrainingDivergedError, _generator, batches

__all__ = ["contractive_penalty", "encoder_jacobian", "sensitivity", "fit_regularised"]

_REDUCTIONS = ("mean", "sum", "none")


def _tanh_encoder_layer(model: nn.Module) -> nn.Linear:
    """The Linear layer of ``model.encoder`` if it is exactly Linear + Tanh; a TypeError otherwise."""
    encoder = getattr(model, "encoder", None)
    layers = list(encoder) if isinstance(encoder, nn.Sequential) else None
    if not (layers is not None and len(layers) == 2 and isinstance(layers[0], nn.Linear)
            and isinstance(layers[1], nn.Tanh)):
        got = type(model).__name__ if encoder is None else repr(encoder).replace("\n", " ")
        raise TypeError("contractive_penalty needs the lecture's encoder: model.encoder = "
                        "nn.Sequential(nn.Linear(n, d), nn.Tanh()), as in ae.Autoencoder(n, d) without "
                        f"hidden layers; got {got}. For other encoders use ae.encoder_jacobian.")
    return layers[0]


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
    linear = _tanh_encoder_layer(model)
    check_digits(x, "x", n=linear.in_features, expected_by="the encoder")
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

    check_digits(x, "x")
    params = list(model.parameters())
    dev = params[0].device if params else x.device
    return torch.stack([jacobian(model.encode, xi.to(dev)).cpu() for xi in x])


def sensitivity(model: nn.Module, x: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """How fast the code moves when input i moves along ``directions[i]``: ``||J(x_i) u_i||``, (N,).

    ``x``: (N, n) inputs; ``directions``: (N, n) directions, normalised to unit length
    here (e.g. a curve's tangents or normals). A Jacobian-vector product
    (``torch.autograd.functional.jvp``), so any encoder works. CPU float tensor.
    """
    from torch.autograd.functional import jvp

    check_digits(x, "x")
    check_digits(directions, "directions", n=x.shape[1], expected_by="x")
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
        _, moved = jvp(model.encode, x.to(dev), (directions / norms).to(dev))
    finally:
        model.train(was_training)
    return moved.norm(dim=1).detach().cpu()


def fit_regularised(model: nn.Module, data: torch.Tensor, *, lam: float = 0.0, noise: float = 0.0,
                    epochs: int = 20, batch_size: int = 256, lr: float = 1e-3, seed: int = 0,
                    progress: bool = True, device: torch.device | str | None = None) -> list[float]:
    """Train ``model`` to reconstruct ``data`` with the lecture's five steps, plus two options.

    Loss per batch: ``MSE(model(x), clean) + lam * contractive_penalty(model, x)``, where
    ``x = clean + noise * N(0, 1)`` (fresh Gaussian noise every batch: a denoiser, as on
    the lecture's 2-D toy) or ``x = clean`` when ``noise = 0``. ``lam > 0`` needs the
    lecture's one-layer tanh encoder (see ``contractive_penalty``). Otherwise the recipe
    of ``ae.fit``: ``torch.optim.Adam(lr)``, shuffled batches of ``batch_size`` from a
    generator seeded with ``seed``, each through ``output = model(x)``, ``loss``,
    ``zero_grad``, ``backward``, ``step``. ``data``: float (N, n), in (-1, 1) for a tanh
    output. Returns the mean loss of each epoch (reconstruction + penalty); the model is
    trained in place on ``device`` (default ``ae.device()``) and left there in eval mode.
    """
    check_digits(data, "data", n=getattr(model, "n", None), expected_by="the model")
    lam = check_positive_real(lam, "lam (the weight of the contractive penalty)", allow_zero=True)
    noise = check_positive_real(noise, "noise (the standard deviation of the input noise)", allow_zero=True)
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_real(lr, "lr")
    seed = check_positive_int(seed, "seed", allow_zero=True)
    progress = check_flag(progress, "progress")
    if lam > 0:
        _tanh_encoder_layer(model)  # refuse an encoder the penalty cannot handle before training
    dev = torch.device(device) if device is not None else runtime.device()
    model.to(dev).train()
    clean_all = data.to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    gen = _generator(dev, seed)  # the generator fit shuffles with
    criterion = nn.MSELoss()
    losses: list[float] = []
    bar = tqdm(range(epochs), desc="training", unit="epoch", disable=not progress)
    for epoch in bar:
        total = 0.0
        for idx in batches(len(clean_all), batch_size, gen):
            clean = clean_all.index_select(0, idx.to(dev))  # a shuffled batch (faster than clean_all[idx])
            if noise:
                x = clean + noise * torch.randn(clean.shape, generator=gen, device=gen.device).to(dev)
            else:
                x = clean
            output = model(x)                                   # 1. forward
            loss = criterion(output, clean)                     # 2. loss against the clean input ...
            if lam:
                loss = loss + lam * contractive_penalty(model, x)  # ... plus the contraction
            optimizer.zero_grad()                               # 3. clear old gradients
            loss.backward()                                     # 4. backpropagate
            optimizer.step()                                    # 5. update the weights
            total += loss.item() * len(idx)
        mean = total / len(clean_all)
        if not math.isfinite(mean):
            raise TrainingDivergedError(f"the training loss became {mean} in epoch {epoch + 1}: "
                                        f"try a smaller learning rate (lr={lr}) or penalty (lam={lam})")
        losses.append(mean)
        bar.set_postfix(loss=f"{mean:.4f}")
    model.eval()
    return losses
