"""The lecture's autoencoder, h = f(W_h x + b_h), x_hat = g(W_x h + b_x), and running it.

``EncoderDecoder`` is the contract every model of this package keeps, written down once:
``n`` inputs per example, a code of ``d`` numbers, ``encode``, ``decode``, and the range
its outputs lie in. ``ae.fit`` checks its targets against that range, the cache stores any
such model, ``reconstruct`` / ``encode`` / ``decode`` run it over a whole set.

``Autoencoder(n=784, d=30)`` is exactly the lecture's model: a linear layer and a tanh in
the encoder, a linear layer and a tanh in the decoder, so the output lies in (-1, 1) like
the normalised digits. ``model.encoder[0].weight`` is W_h (d x n) and
``model.decoder[0].weight`` is W_x (n x d). Notebooks 01-07 use it.

``reconstruct``, ``encode`` and ``decode`` run a model over a whole set of digits: eval
mode, no gradients, in chunks, on the model's device, returning CPU tensors. They are what
``model(x)``, ``model.encode(x)`` and ``model.decode(h)`` compute, for 10,000 digits at once.
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import check_digits, check_positive_int

__all__ = ["EncoderDecoder", "Autoencoder", "check_model", "reconstruct", "encode", "decode"]

_OUTPUTS = {"tanh": (nn.Tanh, (-1.0, 1.0)), "sigmoid": (nn.Sigmoid, (0.0, 1.0)), "linear": (nn.Identity, None)}


class EncoderDecoder(nn.Module):
    """What ``fit``, the cache and the helpers need of a model; subclass it for a new one.

    Attributes: ``n`` (inputs per example), ``d`` (numbers in the code) and ``output_range``,
    the ``(low, high)`` interval ``decode``'s values lie in (``None``: unbounded).
    Methods: ``encode(x)``, (N, n) -> codes (N, d); ``decode(h)``, codes (N, d) -> outputs;
    ``forward(x) = decode(encode(x))``. ``ae.Autoencoder``, ``ae.TiedAutoencoder`` and
    ``ae.Upsampler`` are the models of the notebooks.
    """

    n: int
    d: int
    output_range: tuple[float, float] | None = None

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define encode(x) -> codes (N, d)")

    def decode(self, h: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} must define decode(h) -> outputs")

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def check_model(model, name: str = "model") -> EncoderDecoder:
    """Return ``model`` if it keeps the contract (an ``ae.EncoderDecoder``); a TypeError otherwise."""
    if not isinstance(model, EncoderDecoder):
        raise TypeError(f"{name} must be an ae.EncoderDecoder, such as ae.Autoencoder(784, 30), got "
                        f"{type(model).__name__}. For a model of your own, subclass ae.EncoderDecoder: set "
                        "n, d and output_range and define encode and decode")
    return model


def _mlp(sizes, hidden: type[nn.Module], last: type[nn.Module]) -> nn.Sequential:
    """Linear layers through ``sizes``, each followed by ``hidden()`` (the last one by ``last()``)."""
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers += [nn.Linear(a, b), last() if i == len(sizes) - 2 else hidden()]
    return nn.Sequential(*layers)


class Autoencoder(EncoderDecoder):
    """Encoder ``n -> d`` and decoder ``d -> n``, each Linear + Tanh: the lecture's model.

    ``hidden=(h1, h2, ...)`` inserts tanh layers n -> h1 -> h2 -> ... -> d in the encoder
    and mirrors them in the decoder (a deeper autoencoder, notebooks 01 and 06).
    ``output="sigmoid"`` ends the decoder in a sigmoid for data in [0, 1] (binary
    cross-entropy, notebook 02); ``code="linear"`` drops the tanh of the code (notebook 02's
    linear encoder). Input and output: (batch, n) float tensors.
    """

    def __init__(self, n: int = 784, d: int = 30, hidden: tuple[int, ...] = (), output: str = "tanh",
                 code: str = "tanh"):
        super().__init__()
        if output not in ("tanh", "sigmoid"):
            raise ValueError(f"output must be 'tanh' (data in [-1, 1]) or 'sigmoid' (data in [0, 1]), got {output!r}")
        if code not in ("tanh", "linear"):
            raise ValueError(f"code must be 'tanh' (the lecture's) or 'linear' (no squashing), got {code!r}")
        self.n, self.d = check_positive_int(n, "n"), check_positive_int(d, "d")
        self.hidden = tuple(check_positive_int(h, f"hidden[{i}]") for i, h in enumerate(hidden))
        self.output, self.code = output, code
        self.output_range = _OUTPUTS[output][1]
        sizes = (self.n, *self.hidden, self.d)
        self.encoder = _mlp(sizes, nn.Tanh, _OUTPUTS[code][0])
        self.decoder = _mlp(sizes[::-1], nn.Tanh, _OUTPUTS[output][0])

    def encode(self, x):
        """(batch, n) -> codes (batch, d), in (-1, 1) unless ``code="linear"``."""
        return self.encoder(x)

    def decode(self, h):
        """codes (batch, d) -> images (batch, n)."""
        return self.decoder(h)

    def extra_repr(self) -> str:
        return f"n={self.n}, d={self.d}, hidden={self.hidden}, output={self.output!r}, code={self.code!r}"


@torch.no_grad()
def _run(model: EncoderDecoder, fn, x: torch.Tensor, batch_size: int) -> torch.Tensor:
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


def reconstruct(model: EncoderDecoder, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``model(images)`` for a whole set: (N, n) digits -> (N, n) reconstructions on the CPU.

    Eval mode, no gradients, in chunks of ``batch_size``, on the model's device. Notebooks 01-07.
    """
    check_digits(images, "images", n=check_model(model).n, expected_by="the model")
    return _run(model, model, images, batch_size)


def encode(model: EncoderDecoder, images: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``model.encode(images)`` for a whole set: (N, n) digits -> codes (N, d) on the CPU."""
    check_digits(images, "images", n=check_model(model).n, expected_by="the model")
    return _run(model, model.encode, images, batch_size)


def decode(model: EncoderDecoder, codes: torch.Tensor, batch_size: int = 4096) -> torch.Tensor:
    """``model.decode(codes)`` for a whole set: codes (N, d) -> outputs (N, n) on the CPU."""
    check_digits(codes, "codes", n=check_model(model).d, expected_by="the model's code size d")
    return _run(model, model.decode, codes, batch_size)
