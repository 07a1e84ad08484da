"""Tied weights: an autoencoder whose decoder is the transpose of its encoder, W_x = W_h^T.

The lecture remarks (section 2) that tying, or nearly tying, the weights relates the
autoencoder to PCA: projecting onto orthonormal directions and back uses one matrix
and its transpose. ``TiedAutoencoder(n, d)`` is the lecture's tanh model with that
constraint,

    h = tanh(W x + b_h),    x_hat = tanh(W^T h + b_x),

and ``TiedAutoencoder(n, d, linear=True)`` drops both tanh: ``h = W x + b_h``,
``x_hat = W^T h + b_x``, a linear autoencoder whose best weights span the PCA subspace.
It keeps the model contract (``ae.EncoderDecoder``), trains with ``ae.fit`` like
``ae.Autoencoder``, and its encoder is ``nn.Sequential(nn.Linear, nn.Tanh)``, so
``ae.contractive_penalty`` accepts the tanh version (a tied contractive autoencoder, as
Rifai et al. 2011 train it). Used by notebook 06.
"""

from __future__ import annotations

import torch
from torch import nn

from .checks import check_flag, check_positive_int
from .model import EncoderDecoder

__all__ = ["TiedAutoencoder"]


class TiedAutoencoder(EncoderDecoder):
    """Encoder ``n -> d`` with weight ``W`` (d, n); the decoder reuses ``W`` transposed.

    Parameters: ``W`` and ``b_h`` (in ``encoder[0]``) and the decoder's own bias ``b_x``
    (n,): about half the parameters of ``ae.Autoencoder(n, d)``. ``linear=True``: no
    tanh anywhere (data of any range); otherwise tanh on both sides (data in [-1, 1]).
    Input and output: (batch, n) float tensors.
    """

    def __init__(self, n: int = 784, d: int = 30, linear: bool = False):
        super().__init__()
        n, d = check_positive_int(n, "n"), check_positive_int(d, "d")
        self.n, self.d, self.linear = n, d, check_flag(linear, "linear")
        self.output_range = None if self.linear else (-1.0, 1.0)  # what ae.fit checks the targets against
        layers = [nn.Linear(n, d)] + ([] if self.linear else [nn.Tanh()])
        self.encoder = nn.Sequential(*layers)
        self.decoder_bias = nn.Parameter(torch.zeros(n))

    @property
    def weight(self) -> torch.Tensor:
        """The one weight matrix W (d, n): rows are the encoder's kernels, columns the decoder's."""
        return self.encoder[0].weight

    def encode(self, x):
        """(batch, n) -> codes (batch, d)."""
        return self.encoder(x)

    def decode(self, h):
        """codes (batch, d) -> (batch, n): ``W^T h + b_x``, through a tanh unless linear."""
        out = nn.functional.linear(h, self.weight.T, self.decoder_bias)
        return out if self.linear else torch.tanh(out)

    def extra_repr(self) -> str:
        return f"n={self.n}, d={self.d}, linear={self.linear}, decoder = W^T (tied)"
