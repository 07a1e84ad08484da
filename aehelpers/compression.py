"""Compression in bytes: quantised codes against JPEG and PNG.

An under-complete autoencoder stores a digit as d numbers (lecture, section 3). To count
bytes, the code must be stored with a finite number of bits:

* ``code_range`` / ``quantise`` / ``dequantise``: a uniform quantiser, ``bits`` bits per
  value (one number for every dimension, or one per dimension), each code dimension between
  the low and high seen on the *training* codes (2^bits levels, each value replaced by the
  centre of its level);
* ``allocate_bits``: a budget of bits shared out between the dimensions by their variance,
  the textbook transform coder (a dimension that varies more gets more bits);
* ``code_bytes``: the bytes per digit of d values at ``bits`` bits, packed;
* ``opencv_codec``: every digit through OpenCV's ``cv2.imencode`` / ``cv2.imdecode``
  (JPEG at a quality, or lossless PNG), one file per digit or one mosaic of all digits;
* ``rate_at_psnr``: the bytes a codec needs for a given PSNR, interpolated on its curve;
* ``break_even``: over how many digits a decoder of a given size pays for itself.

Digits are (N, 784) in [-1, 1]; codes (N, d). cv2 is imported inside ``opencv_codec``.
Used by notebook 07.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from .checks import check_digits, check_positive_int
from .data import normalize

__all__ = ["code_range", "quantise", "dequantise", "allocate_bits", "code_bytes", "opencv_codec",
           "rate_at_psnr", "break_even"]


def _check_bits(bits, d: int | None = None):
    """``bits`` as an int from 1 to 16, or as a (d,) int64 tensor of bits from 0 to 16 per dimension."""
    if isinstance(bits, torch.Tensor) and bits.ndim == 1 and not bits.is_floating_point():
        if (d is not None and len(bits) != d) or bits.min() < 0 or bits.max() > 16:
            raise ValueError(f"bits per dimension must be a ({d},) tensor of ints from 0 to 16, got "
                             f"{tuple(bits.shape)} from {int(bits.min())} to {int(bits.max())}")
        return bits.long()
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"bits must be an int from 1 to 16 (bits per code value), or one int per dimension "
                         f"(ae.allocate_bits), got {bits!r}")
    return bits


def code_range(train_codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(low, high), each (d,): the smallest and largest value of each code dimension on the
    training codes (N, d). Stored with the decoder: 2 d numbers, whatever the number of digits."""
    codes = check_digits(train_codes, "train_codes")
    low, high = codes.min(0).values, codes.max(0).values
    same = high <= low
    return low, torch.where(same, low + 1e-6, high)  # a constant dimension still gets a valid range


def _check_range(codes: torch.Tensor, low, high) -> tuple[torch.Tensor, torch.Tensor]:
    low = torch.as_tensor(low, dtype=codes.dtype)
    high = torch.as_tensor(high, dtype=codes.dtype)
    for name, v in (("low", low), ("high", high)):
        if v.ndim > 1 or (v.ndim == 1 and len(v) != codes.shape[1]):
            raise ValueError(f"{name} must be a number or a (d,) tensor with d = {codes.shape[1]} "
                             f"(one per code dimension), got shape {tuple(v.shape)}")
    if not torch.isfinite(low).all() or not torch.isfinite(high).all() or not (high > low).all():
        raise ValueError("low and high must be finite with high > low in every code dimension "
                         "(ae.code_range gives them from the training codes)")
    return low, high


def quantise(codes: torch.Tensor, bits: int, low, high) -> torch.Tensor:
    """Codes (N, d) -> level numbers (N, d), int64 in 0 .. 2^bits - 1.

    The range [low, high] of each dimension (numbers or (d,) tensors) is cut into 2^bits
    equal levels; a value outside it is clipped to the first or last level.
    """
    codes = check_digits(codes, "codes")
    bits = _check_bits(bits, codes.shape[1])
    low, high = _check_range(codes, low, high)
    levels = 2 ** bits
    step = (high - low) / levels
    return torch.minimum(torch.floor((codes - low) / step).clamp_(min=0), torch.as_tensor(levels - 1)).long()


def dequantise(levels: torch.Tensor, bits: int, low, high) -> torch.Tensor:
    """Level numbers (N, d) -> codes (N, d) float32: the centre of each level (of the whole range,
    for a dimension given 0 bits)."""
    if not isinstance(levels, torch.Tensor) or levels.ndim != 2 or levels.is_floating_point():
        raise ValueError("levels must be an integer tensor (N, d) as ae.quantise returns it")
    bits = _check_bits(bits, levels.shape[1])
    if levels.min() < 0 or (levels >= 2 ** bits).any():
        raise ValueError("levels must lie in 0 .. 2^bits - 1 for the bits given, as ae.quantise returns them")
    low, high = _check_range(levels.float(), low, high)
    return (low + (levels.float() + 0.5) * (high - low) / 2 ** bits).float()


def allocate_bits(variances: torch.Tensor, total: int, max_bits: int = 16) -> torch.Tensor:
    """``total`` bits shared out between d dimensions: (d,) int64, each 0 .. ``max_bits``.

    Greedy, one bit at a time, to the dimension whose quantisation error it lowers most: with b
    bits, a uniform quantiser's error on a dimension of variance v is about v 4^-b, so the next
    bit goes where ``v 4^-b`` is largest (the classic reverse water-filling of transform coding).
    ``variances``: (d,) of the training codes. A dimension given 0 bits is not stored.
    """
    v = check_digits(variances.reshape(1, -1), "variances")[0].double()
    total = check_positive_int(total, "total (bits)")
    bits = torch.zeros(len(v), dtype=torch.long)
    for _ in range(min(total, max_bits * len(v))):
        gain = torch.where(bits < max_bits, v * 4.0 ** -bits.double(), torch.tensor(-1.0, dtype=torch.float64))
        bits[int(gain.argmax())] += 1
    return bits


def code_bytes(d: int, bits) -> int:
    """Bytes per digit of a code of ``d`` values at ``bits`` bits each (or one number of bits per
    dimension), packed: ceil(total bits / 8)."""
    bits = _check_bits(bits, check_positive_int(d, "d"))
    return math.ceil((int(bits.sum()) if isinstance(bits, torch.Tensor) else d * bits) / 8)


def opencv_codec(images: torch.Tensor, codec: str = "jpeg", quality: int = 75,
                 mosaic: bool = False) -> tuple[torch.Tensor, float]:
    """Encode and decode digits with OpenCV; return (decoded (N, 784) in [-1, 1], bytes per digit).

    ``codec``: ``"jpeg"`` (``quality`` 1..100, ``cv2.IMWRITE_JPEG_QUALITY``) or ``"png"``
    (lossless, the highest compression level, ``quality`` unused). Pixels are the MNIST
    bytes 0..255 (``(x + 1) * 127.5``, exact for MNIST). ``mosaic=False``: one file per
    digit, its header included, as storing digits one by one costs. ``mosaic=True``: all
    digits tiled into one image (100 to a row), so headers and tables are paid once.
    """
    import cv2

    x = check_digits(images, "images", n=784, expected_by="opencv_codec (28 x 28 digits)", unit_range=True)
    if codec not in ("jpeg", "png"):
        raise ValueError(f"codec must be 'jpeg' or 'png', got {codec!r}")
    if codec == "jpeg" and (isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100):
        raise ValueError(f"JPEG quality must be an int from 1 to 100, got {quality!r}")
    ext, params = (".jpg", [cv2.IMWRITE_JPEG_QUALITY, quality]) if codec == "jpeg" \
        else (".png", [cv2.IMWRITE_PNG_COMPRESSION, 9])
    pixels = ((x.detach().cpu() + 1) * 127.5).round().clamp(0, 255).to(torch.uint8).numpy().reshape(-1, 28, 28)

    def roundtrip(img: np.ndarray) -> tuple[np.ndarray, int]:
        ok, buf = cv2.imencode(ext, img, params)
        if not ok:
            raise RuntimeError(f"cv2.imencode failed for {ext}")
        return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE), len(buf)

    n = len(pixels)
    if mosaic:
        cols = min(100, n)
        rows = math.ceil(n / cols)
        tiles = np.zeros((rows * cols, 28, 28), dtype=np.uint8)
        tiles[:n] = pixels
        big = tiles.reshape(rows, cols, 28, 28).transpose(0, 2, 1, 3).reshape(rows * 28, cols * 28)
        back, size = roundtrip(big)
        decoded = back.reshape(rows, 28, cols, 28).transpose(0, 2, 1, 3).reshape(-1, 28, 28)[:n]
    else:
        results = [roundtrip(p) for p in pixels]
        decoded = np.stack([r[0] for r in results])
        size = sum(r[1] for r in results)
    out = normalize(torch.from_numpy(np.ascontiguousarray(decoded).reshape(n, 784)))  # load_mnist's arithmetic
    return out, size / n


def rate_at_psnr(rates, psnrs, target: float) -> float:
    """Bytes per digit a codec needs for PSNR ``target``, interpolated on its measured curve.

    ``rates``, ``psnrs``: the codec's (bytes per digit, PSNR) at several settings. The
    points are sorted by PSNR and ``target`` is interpolated linearly in log(bytes); a
    target outside the measured PSNRs is a ValueError (no extrapolation).
    """
    r = np.asarray(rates, dtype=float)
    p = np.asarray(psnrs, dtype=float)
    if r.ndim != 1 or r.shape != p.shape or len(r) < 2:
        raise ValueError("rates and psnrs must be two 1-D sequences of the same length (>= 2)")
    if not (np.isfinite(r).all() and np.isfinite(p).all() and (r > 0).all()):
        raise ValueError("rates must be positive and every PSNR finite (leave out lossless points)")
    order = np.argsort(p)
    p, r = p[order], r[order]
    if not p[0] <= target <= p[-1]:
        raise ValueError(f"target PSNR {target:.2f} dB is outside the measured {p[0]:.2f}..{p[-1]:.2f} dB: "
                         "measure more settings rather than extrapolate")
    return float(np.exp(np.interp(target, p, np.log(r))))


def break_even(decoder_bytes: float, code_bytes_per_digit: float, other_bytes_per_digit: float) -> float:
    """How many digits must be stored before ``decoder_bytes + N x code`` < ``N x other``.

    ``decoder_bytes / (other - code)``; ``math.inf`` if the code is not smaller than the
    other format per digit (the decoder never pays for itself).
    """
    for name, v in (("decoder_bytes", decoder_bytes), ("code_bytes_per_digit", code_bytes_per_digit),
                    ("other_bytes_per_digit", other_bytes_per_digit)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    saving = other_bytes_per_digit - code_bytes_per_digit
    return math.inf if saving <= 0 else decoder_bytes / saving
