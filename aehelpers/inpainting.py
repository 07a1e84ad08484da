"""Inpainting: filling in missing pixels, by OpenCV and by keeping what is known.

The lecture ends by comparing its denoising autoencoder with OpenCV's two classical
inpainting methods (Telea's fast marching and Navier-Stokes, fig 24-27). OpenCV works on
uint8 images and wants a uint8 mask that is non-zero where pixels are missing; the digits
here are float32 in [-1, 1] and the corruption is the dropout mask ``noise`` (0 = dropped,
``1 / (1 - p)`` = kept). This module does that conversion explicitly and correctly for any
drop rate (``to_opencv``; the lecture's own, right at p = 0.5 only, is
``lecture_opencv_inputs``) and runs OpenCV over a batch (``opencv_inpaint``).
``pca_inpaint`` is the learnt *linear* inpainter, the baseline that separates "learnt from
data" from "non-linear": the PCA-k image that best fits the known pixels. ``fill_missing``
keeps the known pixels of any whole-image repair; ``square_mask`` is a structured hole. Inpainting by energy minimisation is in ``energy``; notebook 05's
comparison of every method in ``inpainting_comparison``.

Conventions: images are (N, 784) float tensors in [-1, 1]; ``missing`` masks are bool
tensors of the same shape, True where a pixel is unknown (``ae.dropped(noise)``). Used by
notebook 05. ``cv2`` is imported only when OpenCV is actually called.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

from .checks import check_digits, check_mask, check_noise, check_positive_int
from .data import normalize
from .pca import PCA

__all__ = ["OPENCV_METHODS", "lecture_opencv_inputs", "to_opencv", "from_opencv", "opencv_inpaint",
           "pca_inpaint", "fill_missing", "square_mask", "check_images"]

#: The two OpenCV inpainting methods by the names ``opencv_inpaint`` accepts.
OPENCV_METHODS = ("telea", "ns")

_GREY = 128  # uint8 value written under the mask: mid-grey, i.e. 0 in [-1, 1]


def check_images(images: torch.Tensor, name: str = "images") -> None:
    """Digits (N, 784) in [-1, 1], as every inpainter needs them (the clean digits, not ``img_bad``)."""
    check_digits(images, name, n=784, unit_range=True, range_hint=(
        ". A corrupted batch img_bad = img * noise holds kept pixels scaled by 1/(1-p) (2 for p = 0.5): "
        "pass the clean digits (or img_bad * (1 - p)) together with the mask ae.dropped(noise)."))


def lecture_opencv_inputs(img_bad: torch.Tensor, noise: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """The lecture's conversion for OpenCV, verbatim: ``((img_bad / 4 + 0.5) * 255).byte()``, ``2 - noise.byte()``.

    ``img_bad = img * noise`` and ``noise`` are (N, 784) float tensors. Returns
    uint8 arrays (N, 28, 28): the corrupted images and the masks. Kept for
    comparison only -- it is right for p = 0.5 alone (see notebook 05): kept pixels
    are ``2 * img`` in [-2, 2], so ``/ 4 + 0.5`` maps them to [0, 1] and dropped
    ones (0) to grey 0.5; the mask ``2 - {0, 2}`` is 2 where dropped, 0 where kept.
    For another p the kept pixels are ``img / (1 - p)`` (wrong contrast) and
    ``noise.byte()`` is ``int(1 / (1 - p))``, so the mask is non-zero on kept pixels
    too. Use ``to_opencv`` instead.
    """
    check_digits(img_bad, "img_bad", n=784)
    if not isinstance(noise, torch.Tensor) or noise.shape != img_bad.shape:
        raise ValueError(f"noise must be a tensor shaped like img_bad {tuple(img_bad.shape)}")
    images = ((img_bad.detach().cpu() / 4 + 0.5) * 255).byte().numpy().reshape(-1, 28, 28)
    masks = 2 - noise.detach().cpu().byte().numpy().reshape(-1, 28, 28)  # uint8 arithmetic, as numpy does it
    return images, masks


def _to_uint8(images: torch.Tensor, missing: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    grey = torch.where(missing, torch.zeros((), dtype=images.dtype), images.detach())
    u8 = ((grey.cpu().double() + 1) / 2 * 255).round().clamp(0, 255).to(torch.uint8)
    u8[missing.cpu()] = _GREY
    masks = missing.cpu().to(torch.uint8) * 255
    return u8.numpy().reshape(-1, 28, 28), masks.numpy().reshape(-1, 28, 28)


def to_opencv(img_bad: torch.Tensor, noise: torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
    """Corrupted digits -> what ``cv2.inpaint`` needs, correctly for any drop rate p.

    ``img_bad = img * noise`` (N, 784) with ``noise`` the dropout mask (0 dropped,
    ``1 / (1 - p)`` kept). Kept pixels are divided by their noise value (undoing
    dropout's rescaling, so they are the clean ``img`` again), mapped from [-1, 1]
    to 0..255 with rounding (``v -> round((v + 1) / 2 * 255)``, exact for MNIST's
    uint8 pixels); dropped pixels are set to mid-grey 128. The mask is 255 where a
    pixel was dropped and 0 elsewhere. Returns uint8 arrays (N, 28, 28): images, masks.
    """
    check_digits(img_bad, "img_bad", n=784)
    check_noise(noise, shape=img_bad.shape)
    kept = noise != 0
    clean = torch.where(kept, img_bad / torch.where(kept, noise, torch.ones_like(noise)), torch.zeros_like(img_bad))
    check_images(clean)
    return _to_uint8(clean, ~kept)


def from_opencv(pixels: np.ndarray) -> torch.Tensor:
    """uint8 images (N, 28, 28) from OpenCV -> float32 (N, 784) in [-1, 1] (the data's arithmetic)."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8:
        raise TypeError(f"expected uint8 pixels, got {pixels.dtype}")
    return normalize(torch.from_numpy(np.ascontiguousarray(pixels)).reshape(len(pixels), -1))


def opencv_inpaint(images: torch.Tensor, mask: torch.Tensor, method: str = "telea",
                   radius: int = 3) -> torch.Tensor:
    """OpenCV inpainting of a batch of digits; (N, 784) in [-1, 1] -> (N, 784) float32 in [-1, 1].

    ``mask``: bool (N, 784), True where a pixel is missing (``ae.dropped(noise)``).
    Values of ``images`` under the mask are never used: they are replaced by
    mid-grey before OpenCV sees them (OpenCV's Navier-Stokes method otherwise
    reads them), so passing the clean digits is safe. ``method``: ``"telea"``
    (``cv2.INPAINT_TELEA``, fast marching) or ``"ns"`` (``cv2.INPAINT_NS``,
    Navier-Stokes); ``radius``: the neighbourhood in pixels (3, as in the lecture).
    Known pixels come back unchanged up to uint8 rounding (exactly, for MNIST digits).
    Each digit is inpainted on its own (about 0.6 ms per digit on one CPU core), in
    parallel threads over the CPU's cores; the result does not depend on the threads.
    """
    import cv2  # lazily: importing aehelpers stays cheap

    flags = {"telea": cv2.INPAINT_TELEA, "ns": cv2.INPAINT_NS}
    if method not in flags:
        raise ValueError(f"unknown inpainting method {method!r}: use 'telea' (Telea's fast marching) "
                         "or 'ns' (Navier-Stokes)")
    radius = check_positive_int(radius, "radius (pixels)")
    check_images(images)
    check_mask(mask, "mask", shape=images.shape, nonempty=False)
    src, m8 = _to_uint8(images, mask)
    out = np.empty_like(src)

    def work(chunk: range) -> None:  # cv2 releases the GIL: chunks run in parallel threads
        for i in chunk:
            out[i] = cv2.inpaint(src[i], m8[i], int(radius), flags[method])

    workers = max(1, min(os.cpu_count() or 1, len(src) // 256))
    bounds = np.linspace(0, len(src), workers + 1).astype(int)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, [range(a, b) for a, b in zip(bounds[:-1], bounds[1:])]))
    return from_opencv(out)


def pca_inpaint(pca: PCA, images: torch.Tensor, known: torch.Tensor, k: int, chunk: int = 1000) -> torch.Tensor:
    """The learnt linear inpainter: fill the unknown pixels from the PCA-``k`` image closest to the known ones.

    For each image, the ``k`` coefficients ``c`` that minimise the squared error on the known
    pixels, ``sum over known j of (mean_j + (c @ components[:k])_j - x_j)^2`` (least squares, the
    normal equations with a tiny ridge, 1e-6 of their scale, so a digit with fewer known pixels than
    ``k`` still gets an answer); the unknown pixels are read from ``mean + c @ components[:k]``,
    clipped to [-1, 1], and the known ones kept. ``pca``: from ``ae.pca_fit`` on training digits;
    ``images``: (N, 784) in [-1, 1], values under ``~known`` never used; ``known``: bool (N, 784).
    Returns (N, 784) float32. Notebook 05.
    """
    check_images(images)
    check_mask(known, "known", shape=images.shape, nonempty=False)
    k = check_positive_int(k, "k (the number of principal components)")
    if k > pca.k:
        raise ValueError(f"k={k}, but the PCA has only {pca.k} components: fit it with more (ae.pca_fit(x, k=...))")
    comps, mean = pca.components[:k].float(), pca.mean.float()
    outer = (comps.T[:, :, None] * comps.T[:, None, :]).reshape(len(mean), k * k)  # c_j c_j^T for each pixel j
    ridge = 1e-6 * torch.eye(k)
    out = []
    for x, m in zip(images.split(chunk), known.float().split(chunk)):
        gram = (m @ outer).reshape(-1, k, k)                  # sum over the known pixels of c_j c_j^T: (b, k, k)
        gram += ridge * gram.diagonal(dim1=1, dim2=2).mean(1)[:, None, None]
        coeffs = torch.linalg.solve(gram, ((x - mean) * m) @ comps.T)
        out.append((mean + coeffs @ comps).clamp(-1, 1))
    return fill_missing(images, torch.cat(out), ~known)


def fill_missing(images: torch.Tensor, fill: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
    """``images`` with the ``missing`` pixels taken from ``fill`` (all (N, 784)).

    Turns any whole-image reconstruction (the denoiser's output, a decoded code)
    into an inpainting that keeps every known pixel as it was.
    """
    check_digits(images, "images", n=784)
    if fill.shape != images.shape:
        raise ValueError(f"fill has shape {tuple(fill.shape)}, images {tuple(images.shape)}")
    check_mask(missing, "missing", shape=images.shape, nonempty=False)
    return torch.where(missing.to(images.device), fill.to(images.device, images.dtype), images)


def square_mask(n: int, size: int = 10, top: int = 9, left: int = 9) -> torch.Tensor:
    """Bool (n, 784) mask that is True on a ``size`` x ``size`` block of every 28x28 digit.

    The block's top-left corner is at row ``top``, column ``left`` (the default
    10x10 block sits in the centre, over the strokes). A structured hole, like the
    lecture's grey patch on a face (fig 10).
    """
    n = check_positive_int(n, "n (the number of digits)", allow_zero=True)
    size = check_positive_int(size, "size")
    top, left = check_positive_int(top, "top", allow_zero=True), check_positive_int(left, "left", allow_zero=True)
    if not (0 <= top and 0 <= left
            and top + size <= 28 and left + size <= 28):
        raise ValueError(f"the block ({size}x{size} at row {top}, column {left}) must lie inside 28x28")
    block = torch.zeros(28, 28, dtype=torch.bool)
    block[top:top + size, left:left + size] = True
    return block.reshape(1, 784).expand(n, 784).clone()
