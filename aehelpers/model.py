"""The lecture's autoencoder, h = f(W_h x + b_h), x_hat = g(W_x h + b_x), and running it.

``Autoencoder(n=784, d=30)`` is exactly the lecture's model: a linear layer and a
tanh in the encoder, a linear layer and a tanh in the decoder, so the output lies
in (-1, 1) like the normalised digits. ``model.encoder[0].weight`` is W_h (d x n)
and ``model.decoder[0].weight`` is W_x (n x d). Notebooks 02-05 use it; notebook 01
also builds a deeper variant with ``hidden=``.

``reconstruct``, ``encode`` and ``decode`` run any such model over a whole set of
digits: eval mode, no gradients, in chunks, on the model's device, returning CPU
tensors. They are what ``model(x)``, ``model.encode(x)`` and ``model.decode(h)``
compute, for 10,000 test digits at once.
"""

from __future__ import annotations

import torch
from torch import nn

from ._checks import check_digits, check_positive_int

__all__ = ["Autoencoder", "reconstruct", "encode", "decode"]


def _mlp(sizes, out_activation: nn.Module) -> nn.Sequential:
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        layers.append(out_activation if i == len(sizes) - 2 else nn.Tanh())
    return nn.Sequential(*layers)


class Autoencoder(nn.Module):
    """Encoder ``n -> d`` and decoder ``d -> n``, each Linear + Tanh.

    ``hidden=(h1, h2, ...)`` inserts tanh layers n -> h1 -> h2 -> ... -> d in the
    encoder and mirrors them in the decoder (a deeper autoencoder, notebook 01).
    ``output="sigmoid"`` makes the decoder end in a sigmoid for data in [0, 1]
    (binary cross-entropy, notebook 02). Input and output: (batch, n) float tensors.
    """

    def __init__(self, n: int = 784, d: int = 30, hidden: tuple[int, ...] = (),
                 output: str = "tanh"):
        super().__init__()
        if output not in ("tanh", "sigmoid"):
            raise ValueError(f"output must be 'tanh' (data in [-1, 1]) or 'sigmoid' "
                             f"(data in [0, 1]), got {output!r}")
        n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
        hidden = tuple(check_positive_int(h, f"hidden[{i}]") for i, h in enumerate(hidden))
        self.n, self.d, self.hidden, self.output = n, d, hidden, output
        sizes = (n, *hidden, d)
        self.encoder = _mlp(sizes, nn.Tanh())
        self.decoder = _mlp(sizes[::-1], nn.Tanh() if output == "tanh" else nn.Sigmoid())

    def encode(self, x):
        """(batch, n) -> codes (batch, d) in (-1, 1)."""
        return self.encoder(x)

    def decode(self, h):
        """codes (batch, d) -> images (batch, n)."""
        return self.decoder(h)

    def forward(self, x):
        return self.decoder(self.encoder(x))

    def extra_repr(self) -> str:
        return f"n={self.n}, d={self.d}, hidden={self.hidden}, output={self.output!r}"


@torch.no_grad()
def _run(model: nn.Module, fn, x: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``fn`` (the model or one of its methods) over ``x`` in chunks: eval mode, no
    gradients, on the model's device; the model's mode is restored; a CPU tensor."""
    batch_size = check_positive_int(batch_size, "batch_size")
    was_training = model.training
    model.eval()
    dev = next(iter(model.parameters()), torch.empty(0)).device
    try:
        return torch.cat([fn(chunk.to(dev)).cpu() for chunk in x.split(batch_size)])
    finally:
        model.train(was_training)


def _model_size(model: nn.Module, attr: str):
    return getattr(model, attr, None) if isinstance(getattr(model, attr, None), int) else None


def reconstruct(model: nn.Module, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``model(images)`` for a whole set: (N, n) digits -> (N, n) reconstructions on the CPU.

    Eval mode, no gradients, in chunks of ``batch_size``, on the model's device.
    Notebooks 01-07.
    """
    check_digits(images, "images", n=_model_size(model, "n"), expected_by="the model")
    return _run(model, model, images, batch_size)


def encode(model: nn.Module, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``model.encode(images)`` for a whole set: (N, n) digits -> codes (N, d) on the CPU."""
    check_digits(images, "images", n=_model_size(model, "n"), expected_by="the model")
    return _run(model, model.encode, images, batch_size)


def decode(model: nn.Module, codes: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``model.decode(codes)`` for a whole set: codes (N, d) -> images (N, n) on the CPU."""
    check_digits(codes, "codes", n=_model_size(model, "d"), expected_by="the model's code size d")
    return _run(model, model.decode, codes, batch_size)
