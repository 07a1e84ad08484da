"""The lecture's autoencoder: h = f(W_h x + b_h), x_hat = g(W_x h + b_x).

``Autoencoder(n=784, d=30)`` is exactly the lecture's model: a linear layer and a
tanh in the encoder, a linear layer and a tanh in the decoder, so the output lies
in (-1, 1) like the normalised digits. ``model.encoder[0].weight`` is W_h (d x n)
and ``model.decoder[0].weight`` is W_x (n x d). Notebooks 02-05 use it; notebook 01
also builds a deeper variant with ``hidden=``.
"""

from __future__ import annotations

from torch import nn

__all__ = ["Autoencoder"]


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
        for name, v in (("n", n), ("d", d), *((f"hidden[{i}]", h) for i, h in enumerate(hidden))):
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                raise ValueError(f"{name} must be a positive int, got {v!r}")
        self.n, self.d, self.hidden, self.output = n, d, tuple(hidden), output
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
