"""Training several small autoencoders at once, each exactly as ``fit`` would train it alone.

Notebook 07 needs ten autoencoders that differ only in their training data (all digits
but one class, for each class) and a few up-samplers. Trained one after another, each
with ``fit``, they take ten times as long as one model; on a 2-core CPU the small
matrix products of one model also leave the second core half idle. ``fit_together``
stacks the K models' weights into tensors of shape (K, ...) and runs all K forward
and backward passes as batched matrix products (``torch.baddbmm``): one big operation
per step instead of K small ones, which keeps both cores busy.

Nothing about the recipe changes. Each model

* draws its own shuffled batches of its own digits, with its own generator seeded
  ``seed`` (the very batches ``fit(model, images[subset], seed=seed)`` draws);
* is scored by its own mean squared error on its own batch; the total loss is the
  *sum* of the K means, so the gradient reaching model k is exactly the gradient of
  its own loss (the other terms do not depend on its weights);
* is updated by Adam, which works element by element with per-tensor state: one
  ``torch.optim.Adam`` over all K models' parameters updates each exactly as K
  separate optimizers would. A model whose training sets are smaller runs out of
  batches first; from then on it is left out of the step (its parameters get no
  gradient, so Adam skips them).

So model k ends up with the weights ``fit`` gives it alone, up to float rounding
(batched products add in another order); ``tests/test_stacked.py`` checks this
against ``fit``. Models must have the lecture's shape: ``encoder = Linear + Tanh``,
``decoder = Linear + Tanh``, one hidden size ``d`` and one output size for all of
them (input sizes may differ: shorter inputs are zero-padded, which changes nothing).
A model may define ``encoder_input(images)``, a fixed map applied to its digits
before the encoder (``aehelpers.superres.Upsampler`` down-samples there); without
it the encoder sees the digits themselves. Used by notebook 07.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from tqdm.auto import tqdm

from . import runtime
from ._checks import check_digits, check_flag, check_positive_int, check_positive_real
from .cache import cached_model
from .training import TrainingDivergedError, _generator, batches  # the generator fit shuffles with

__all__ = ["fit_together", "trained_together"]


def _linear_tanh(block, what: str, k: int) -> nn.Linear:
    ok = (isinstance(block, nn.Sequential) and len(block) == 2 and isinstance(block[0], nn.Linear)
          and isinstance(block[1], nn.Tanh) and block[0].bias is not None)
    if not ok:
        raise ValueError(f"models[{k}].{what} must be nn.Sequential(nn.Linear, nn.Tanh), the lecture's "
                         f"one-layer shape (ae.Autoencoder(n, d) or ae.Upsampler); got {block!r}. "
                         "Train other models one by one with ae.fit.")
    return block[0]


def _check_models(models) -> list[tuple[nn.Linear, nn.Linear]]:
    if not isinstance(models, (list, tuple, nn.ModuleList)) or len(models) == 0:
        raise TypeError("models must be a non-empty list of autoencoders (e.g. [ae.Autoencoder(784, 30), ...])")
    layers = []
    for k, m in enumerate(models):
        if not isinstance(m, nn.Module):
            raise TypeError(f"models[{k}] must be an nn.Module, got {type(m).__name__}")
        layers.append((_linear_tanh(getattr(m, "encoder", None), "encoder", k),
                       _linear_tanh(getattr(m, "decoder", None), "decoder", k)))
    d, n_out = layers[0][1].in_features, layers[0][1].out_features
    for k, (enc, dec) in enumerate(layers):
        if enc.out_features != d or dec.in_features != d or dec.out_features != n_out:
            raise ValueError(f"models[{k}] has sizes {enc.in_features} -> {enc.out_features} -> "
                             f"{dec.out_features}, but models[0] has hidden size {d} and {n_out} outputs: "
                             "models trained together need the same hidden and output sizes")
    return layers


def _check_subsets(subsets, n_models: int, n_images: int) -> list[torch.Tensor]:
    if subsets is None:
        return [torch.arange(n_images)] * n_models
    if not isinstance(subsets, (list, tuple)) or len(subsets) != n_models:
        got = len(subsets) if isinstance(subsets, (list, tuple)) else type(subsets).__name__
        raise ValueError(f"subsets must be a list with one entry per model ({n_models}), got {got}")
    out = []
    for k, s in enumerate(subsets):
        if not isinstance(s, torch.Tensor) or s.ndim != 1:
            raise TypeError(f"subsets[{k}] must be a 1-D tensor: a bool mask over the {n_images} images "
                            "(e.g. labels != 3) or the indices of the images model k trains on")
        if s.dtype == torch.bool:
            if len(s) != n_images:
                raise ValueError(f"subsets[{k}] is a mask of length {len(s)}, but there are {n_images} images")
            s = s.nonzero().squeeze(1)
        elif s.is_floating_point():
            raise TypeError(f"subsets[{k}] must be a bool mask or integer indices, got dtype {s.dtype}")
        if len(s) == 0:
            raise ValueError(f"subsets[{k}] selects no image: model {k} would have nothing to train on")
        if s.min() < 0 or s.max() >= n_images:
            raise ValueError(f"subsets[{k}] holds indices outside 0..{n_images - 1}")
        out.append(s.long())
    return out


def _inputs(model: nn.Module, images: torch.Tensor) -> torch.Tensor:
    prepare = getattr(model, "encoder_input", None)
    return prepare(images) if prepare is not None else images


def fit_together(models, images: torch.Tensor, subsets=None, *, epochs: int = 20, batch_size: int = 256,
                 lr: float = 1e-3, seed: int = 0, progress: bool = True,
                 device: torch.device | str | None = None) -> list[list[float]]:
    """Train ``models`` at once, model k on ``images[subsets[k]]``; return each one's per-epoch losses.

    ``images``: float tensor (N, n), the digits in [-1, 1] (every model's target is its
    digits, as in ``fit``). ``subsets``: one bool mask (N,) or index tensor per model,
    or None (every model trains on all images). The recipe is ``fit``'s: ``epochs``
    passes over its own subset in shuffled batches of ``batch_size`` (the last one
    short), MSE, ``torch.optim.Adam(lr)``, shuffling seeded ``seed``. Each model ends
    with the weights ``fit(model, images[subsets[k]], ...)`` would give it (up to float
    rounding; see the module's docstring). The models are trained in place, left on
    ``device`` (default ``ae.device()``) in eval mode. Returns a list of K lists of
    ``epochs`` floats. Raises ``TrainingDivergedError`` if a loss becomes NaN or inf.
    """
    layers = _check_models(models)
    check_digits(images, "images", n=layers[0][1].out_features, expected_by="the models' outputs")
    epochs = check_positive_int(epochs, "epochs")
    batch_size = check_positive_int(batch_size, "batch_size")
    lr = check_positive_real(lr, "lr")
    seed = check_positive_int(seed, "seed", allow_zero=True)
    progress = check_flag(progress, "progress")
    lo, hi = (float(v) for v in torch.aminmax(images))
    if lo < -1.0001 or hi > 1.0001:
        raise ValueError(f"images lie in [{lo:.3g}, {hi:.3g}], but the models end in a tanh, whose outputs "
                         "lie in (-1, 1): use ae.load_mnist's digits in [-1, 1]")
    subsets = _check_subsets(subsets, len(layers), len(images))
    dev = torch.device(device) if device is not None else runtime.device()
    for m in models:
        m.to(dev).train()
    data = images.to(dev)
    subsets = [s.to(dev) for s in subsets]
    n_in = max(enc.in_features for enc, _ in layers)
    params = [p for enc, dec in layers for p in (*enc.parameters(), *dec.parameters())]
    optimizer = torch.optim.Adam(params, lr=lr, fused=dev.type in ("cpu", "cuda"))  # as fit's

    # Model k's batches: `epochs` shuffled passes over its subset, drawn with its own generator.
    plans = [_plan(len(s), batch_size, epochs, _generator(dev, seed)) for s in subsets]
    steps = [epochs * math.ceil(len(s) / batch_size) for s in subsets]
    sums = [[0.0] * epochs for _ in layers]  # per model and epoch: sum of batch loss x batch size
    bar = tqdm(range(max(steps)), desc=f"training {len(layers)} models together", unit="step",
               disable=not progress, mininterval=0.5)
    for t in bar:
        active = [k for k in range(len(layers)) if t < steps[k]]  # models with batches left
        drawn = [next(plans[k]) for k in active]
        batch = [subsets[k].index_select(0, idx) for k, (_, idx, _) in zip(active, drawn)]
        per_model = _step([models[k] for k in active], [layers[k] for k in active], data, batch,
                          n_in, optimizer)
        for k, (epoch, idx, last), loss in zip(active, drawn, per_model.tolist()):
            sums[k][epoch] += loss * len(idx)
            if last and not math.isfinite(sums[k][epoch]):
                raise TrainingDivergedError(
                    f"the training loss of models[{k}] became {sums[k][epoch]} in epoch {epoch + 1}: "
                    f"training stopped. Try a smaller learning rate (lr={lr}).")
    losses = [[v / len(s) for v in per_model] for per_model, s in zip(sums, subsets)]
    for m in models:
        m.eval()
    return losses


def _plan(n: int, batch_size: int, epochs: int, gen: torch.Generator):
    """Yield (epoch, positions in the subset, last of the epoch?) for every batch, in order:
    one shuffle per epoch from ``gen``, exactly the batches ``fit`` draws."""
    for epoch in range(epochs):
        parts = batches(n, batch_size, gen)
        for i, idx in enumerate(parts):
            yield epoch, idx, i == len(parts) - 1


def _step(models, layers, data, batch, n_in, optimizer) -> torch.Tensor:
    """One Adam step for the given models, model j on the digits ``data[batch[j]]``.

    The batches are padded to one length with zero rows that weigh 0 in the loss, the
    inputs with zero columns (a zero input adds nothing to a product). Returns each
    model's mean squared error on its own batch (K,), before the step.
    """
    K, longest = len(models), max(len(idx) for idx in batch)
    n_out = layers[0][1].out_features
    x = data.new_zeros(K, longest, n_in)
    target = data.new_zeros(K, longest, n_out)
    weight = data.new_zeros(K, longest)  # 1 / (rows x pixels) of model j on its rows, 0 on padding
    for j, (model, idx) in enumerate(zip(models, batch)):
        img = data.index_select(0, idx)
        inp = _inputs(model, img)
        x[j, :len(idx), :inp.shape[1]] = inp
        target[j, :len(idx)] = img
        weight[j, :len(idx)] = 1.0 / (len(idx) * n_out)
    W_h = torch.stack([nn.functional.pad(enc.weight, (0, n_in - enc.in_features)) for enc, _ in layers])
    b_h = torch.stack([enc.bias for enc, _ in layers]).unsqueeze(1)
    W_x = torch.stack([dec.weight for _, dec in layers])
    b_x = torch.stack([dec.bias for _, dec in layers]).unsqueeze(1)
    h = torch.tanh(torch.baddbmm(b_h, x, W_h.transpose(1, 2)))           # 1. forward: (K, B, d)
    output = torch.tanh(torch.baddbmm(b_x, h, W_x.transpose(1, 2)))      #    (K, B, n_out)
    squared = nn.functional.mse_loss(output, target, reduction="none")   # 2. each model's own MSE
    per_model = (squared.sum(2) * weight).sum(1)
    optimizer.zero_grad()                                                # 3. (models left out keep None)
    per_model.sum().backward()                                           # 4. each gets its own gradient
    optimizer.step()                                                     # 5. Adam skips None gradients
    return per_model.detach()


def trained_together(name: str, config: dict, build, images: torch.Tensor, subsets=None, *, seed: int = 0,
                     epochs: int = 20, batch_size: int = 256, lr: float = 1e-3,
                     progress: bool = True, message: str | None = None) -> list[nn.Module]:
    """``fit_together`` through ``ae.cached_model``: train the K models once, load them afterwards.

    ``build()``: returns the list of K untrained models (called under
    ``torch.manual_seed(seed)``); ``images``, ``subsets``: as in ``fit_together``;
    ``config``: JSON-serialisable settings that describe the models and their subsets
    (e.g. ``{"left_out": [0, 1, ..., 9]}``): with ``name``, the recipe and ``seed`` it
    keys the cache file, so say in it everything that changes the weights. Returns the
    K models on the CPU in eval mode, each with its per-epoch losses in ``.losses``.
    ``message`` is printed (with ``progress``) when the models are trained, not when loaded.
    """
    epochs = check_positive_int(epochs, "epochs")

    def train(stack: nn.ModuleList) -> list[float]:
        if progress and message:
            print(message)
        losses = fit_together(list(stack), images, subsets, epochs=epochs, batch_size=batch_size,
                              lr=lr, seed=seed, progress=progress)
        return [v for per_model in losses for v in per_model]  # flat, model by model

    recipe = dict(epochs=epochs, batch_size=batch_size, lr=lr)
    stack = cached_model(name, {**config, **recipe}, lambda: nn.ModuleList(build()), train, seed=seed)
    models = list(stack)
    for k, m in enumerate(models):
        m.losses = stack.losses[k * epochs:(k + 1) * epochs]
    return models
