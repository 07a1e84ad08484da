"""Anomaly detection with an autoencoder: the detectors, and anomalies that are not digits.

An autoencoder trained on the data manifold reconstructs inputs on it well and inputs off
it badly (lecture, "Why autoencoders"), so its reconstruction error is an anomaly *score*:
higher means more anomalous. ``ae.roc_auc`` (in ``metrics``) says how well a score
separates anomalies from normal data.

* ``leave_one_out_autoencoders``: the lecture's 784 -> d -> 784 autoencoder trained on all
  digits but one class, for every class, plus the one trained on all digits (cached);
* ``random_strokes``: images of random pen strokes, an anomaly that is no digit at all;
* ``ink``: the amount of ink per digit, a trivial score every detector must beat.

Digits are (N, 784) in [-1, 1]. cv2 is imported inside ``random_strokes``. Used by notebook 07.
"""

from __future__ import annotations

import numpy as np
import torch

from .cache import cached_model, trained_autoencoder
from .checks import check_digits, check_positive_int
from .data import load_mnist, normalize
from .model import Autoencoder
from .training import fit

__all__ = ["leave_one_out_autoencoders", "random_strokes", "ink"]


def leave_one_out_autoencoders(d: int = 30, seed: int = 0, progress: bool = True) -> list[Autoencoder]:
    """11 lecture autoencoders 784 -> d -> 784: model c trained on every training digit but class c
    (c = 0..9), model 10 on all of them (``ae.trained_autoencoder(d)``, shared with notebooks 01-06).

    Each is trained with ``ae.fit`` and the lecture's recipe (20 epochs, batches of 256, Adam
    1e-3, MSE) the first time and cached; afterwards loaded. Returns them on the CPU in eval mode.
    """
    d = check_positive_int(d, "d")
    x, y = load_mnist(train=True)
    models = []
    for c in range(10):
        def train(model, c=c):
            if progress:
                print(f"Training the autoencoder d={d} on every digit but the {c}s; cached for later runs.")
            return fit(model, x[y != c], seed=seed, progress=progress)

        models.append(cached_model("autoencoder-without-class", {"d": d, "left_out": c, "epochs": 20,
                                                                 "batch_size": 256, "lr": 1e-3},
                                   lambda: Autoencoder(784, d), train, seed=seed))
    return models + [trained_autoencoder(d, seed=seed, progress=progress)]


def random_strokes(n: int, strokes: int = 3, thickness: int = 2, seed: int = 0) -> torch.Tensor:
    """``n`` images (n, 784) in [-1, 1] of ``strokes`` random straight pen strokes each.

    Each stroke joins two random points of the central 20 x 20 region (where digits are
    drawn), ``thickness`` pixels wide, anti-aliased with OpenCV; white ink on black, like
    MNIST. Seeded: the same ``seed`` gives the same images.
    """
    import cv2

    n = check_positive_int(n, "n")
    strokes = check_positive_int(strokes, "strokes")
    thickness = check_positive_int(thickness, "thickness")
    g = torch.Generator().manual_seed(seed)
    ends = torch.randint(4, 24, (n, strokes, 4), generator=g).tolist()
    out = np.zeros((n, 28, 28), dtype=np.uint8)
    for img, lines in zip(out, ends):
        for x0, y0, x1, y1 in lines:
            cv2.line(img, (x0, y0), (x1, y1), 255, thickness, cv2.LINE_AA)
    return normalize(torch.from_numpy(out.reshape(n, 784)))  # load_mnist's arithmetic


def ink(images: torch.Tensor) -> torch.Tensor:
    """Amount of ink per digit: the sum of its intensities (x + 1) / 2, (N,), in pixels."""
    check_digits(images)
    return (images + 1).sum(1) / 2
