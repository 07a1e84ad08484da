"""Anomaly detection with an autoencoder: scores, ROC AUC, and anomalies that are not digits.

An autoencoder trained on the data manifold reconstructs inputs on it well and inputs off
it badly (lecture, section 3), so its reconstruction error is an anomaly *score*: higher
means more anomalous. How well a score separates anomalies from normal data is measured by
the ROC AUC: the probability that a random anomaly scores higher than a random normal
input (1 = perfect, 0.5 = chance, below 0.5 = the score points the wrong way).

* ``roc_auc(scores, labels)``: the AUC as a rank statistic (Mann-Whitney), ties count 1/2;
* ``leave_one_out_autoencoders``: the lecture's 784 -> d -> 784 autoencoder trained on all
  digits but one class, for every class, plus one on all digits (one cached stack);
* ``class_moments`` / ``pca_of_classes``: PCA of any union of classes from per-class sums,
  so ten leave-one-class-out PCAs cost one pass over the data;
* ``random_strokes``: images of random pen strokes, an anomaly that is no digit at all;
* ``ink``: the amount of ink per digit, a trivial score every detector must beat.

Digits are (N, 784) in [-1, 1]. cv2 is imported inside ``random_strokes``. Used by notebook 07.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._checks import check_digits, check_positive_int
from .data import load_mnist, normalize
from .model import Autoencoder
from .pca import PCA, _check_k, _from_covariance
from .stacked import trained_together

__all__ = ["roc_auc", "leave_one_out_autoencoders", "ClassMoments", "class_moments", "pca_of_classes",
           "random_strokes", "ink"]


def roc_auc(scores, labels) -> float:
    """Area under the ROC curve of ``scores`` (higher = more anomalous) for ``labels`` (1 = anomaly).

    ``scores``: 1-D float tensor (N,), finite; ``labels``: 1-D tensor (N,) of 0/1 (bool or
    int), both classes present. Computed as a rank statistic: with the scores ranked
    1..N (tied scores share their average rank), AUC = (sum of the positives' ranks -
    P (P + 1) / 2) / (P Q) for P positives and Q negatives, i.e. the fraction of
    (positive, negative) pairs in which the positive scores higher, a tie counting one
    half. Returns a float in [0, 1]; 0.5 is chance.
    """
    if not isinstance(scores, torch.Tensor) or not isinstance(labels, torch.Tensor):
        raise TypeError("roc_auc needs two torch tensors: scores (N,) and labels (N,); got "
                        f"{type(scores).__name__} and {type(labels).__name__} (use torch.as_tensor)")
    if scores.ndim != 1 or labels.ndim != 1:
        raise ValueError(f"scores and labels must be 1-D (one number per example), got shapes "
                         f"{tuple(scores.shape)} and {tuple(labels.shape)}")
    if len(scores) != len(labels):
        raise ValueError(f"scores and labels have different lengths: {len(scores)} vs {len(labels)}")
    if not scores.is_floating_point():
        scores = scores.double()
    if not torch.isfinite(scores).all():
        raise ValueError("scores contain NaN or infinite values: every example needs a finite score")
    if labels.is_floating_point() or labels.is_complex():
        raise TypeError(f"labels must be bool or integer 0/1 (1 = anomaly), got dtype {labels.dtype}")
    positive = labels.long()
    if ((positive != 0) & (positive != 1)).any():
        raise ValueError(f"labels must be 0 (normal) or 1 (anomaly), got values {positive.unique().tolist()}")
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    if n_pos == 0 or n_neg == 0:
        which = "anomalies (1)" if n_pos == 0 else "normal examples (0)"
        raise ValueError(f"labels hold a single class: no {which}, so no pair to rank; "
                         "an AUC needs both")
    s = scores.detach().double().cpu()
    _, inverse, counts = torch.unique(s, sorted=True, return_inverse=True, return_counts=True)
    last = counts.cumsum(0).double()             # the highest rank of each distinct value
    mean_rank = last - (counts.double() - 1) / 2  # ties share the average of their ranks
    rank_sum = mean_rank[inverse][positive.cpu().bool()].sum()
    return float((rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def leave_one_out_autoencoders(d: int = 30, seed: int = 0, progress: bool = True) -> list[Autoencoder]:
    """11 lecture autoencoders 784 -> d -> 784: model c trained on every training digit but class c
    (c = 0..9), model 10 on all of them; cached.

    The recipe is the lecture's for each model (full training set minus one class, 20
    epochs, batches of 256, Adam 1e-3, MSE). The 11 models are trained together with
    ``ae.fit_together`` (each gets exactly what ``ae.fit`` would give it alone, tested)
    and cached as one file with ``ae.cached_model``. Returns them on the CPU in eval mode.
    """

    d = check_positive_int(d, "d")
    x, y = load_mnist(train=True)
    subsets = [y != c for c in range(10)] + [torch.ones_like(y, dtype=torch.bool)]
    message = f"Training 11 autoencoders d={d} together (all digits but 0, ..., but 9, all); cached for later runs."
    return trained_together("leave-one-out", {"d": d, "left_out": list(range(10)) + [None]},
                            lambda: [Autoencoder(784, d) for _ in range(11)], x, subsets,
                            seed=seed, progress=progress, message=message)


@dataclass(frozen=True)
class ClassMoments:
    """Per-class sums of a data set: ``count`` (C,), ``total`` (C, n) and ``outer`` (C, n, n),
    the sum of x, and of x x^T, over the digits of each class (float64)."""

    count: torch.Tensor
    total: torch.Tensor
    outer: torch.Tensor


def class_moments(images: torch.Tensor, labels: torch.Tensor, classes: int = 10,
                  chunk: int = 10_000) -> ClassMoments:
    """One pass over ``images`` (N, n) with ``labels`` (N,) in 0..classes-1: the sums that
    ``pca_of_classes`` needs. Products in float32 per chunk, accumulated in float64
    (as ``ae.pca_fit`` does)."""
    check_digits(images)
    if not isinstance(labels, torch.Tensor) or labels.ndim != 1 or len(labels) != len(images) \
            or labels.is_floating_point():
        raise ValueError(f"labels must be a 1-D integer tensor with one class per image ({len(images)})")
    classes = check_positive_int(classes, "classes")
    if labels.min() < 0 or labels.max() >= classes:
        raise ValueError(f"labels must lie in 0..{classes - 1}, got {labels.min()}..{labels.max()}")
    n = images.shape[1]
    count = torch.bincount(labels, minlength=classes).double()
    total = torch.zeros(classes, n, dtype=torch.float64)
    outer = torch.zeros(classes, n, n, dtype=torch.float64)
    for c in range(classes):
        xc = images[labels == c]
        total[c] = xc.double().sum(0)
        for part in xc.split(chunk):
            outer[c] += (part.T @ part).double()
    return ClassMoments(count, total, outer)


def pca_of_classes(moments: ClassMoments, classes, k: int | None = None) -> PCA:
    """The PCA ``ae.pca_fit`` would fit on the digits of ``classes`` (a list of class numbers).

    Mean and covariance of the union come from the per-class sums (covariance = E[x x^T] -
    mean mean^T, divided by N as ``pca_fit`` does); then the same eigendecomposition and sign
    convention. Keeps the top ``k`` components (all if None).
    """
    classes = sorted(set(int(c) for c in classes))
    n_classes = len(moments.count)
    if not classes or classes[0] < 0 or classes[-1] >= n_classes:
        raise ValueError(f"classes must be a non-empty list of class numbers in 0..{n_classes - 1}, got {classes}")
    idx = torch.tensor(classes)
    n = float(moments.count[idx].sum())
    if n < 2:
        raise ValueError(f"PCA needs at least 2 images, the classes {classes} hold {int(n)}")
    dim = moments.total.shape[1]
    k = dim if k is None else k
    _check_k(k, dim)
    mean = moments.total[idx].sum(0) / n
    cov = moments.outer[idx].sum(0) / n - torch.outer(mean, mean)
    return _from_covariance(mean, cov, k)


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
