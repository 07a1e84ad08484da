"""Inpainting: filling in missing pixels, by the denoiser, by OpenCV, by energy minimisation.

The lecture ends by comparing its denoising autoencoder with OpenCV's two classical
inpainting methods (Telea's fast marching and Navier-Stokes, fig 24-27). OpenCV
works on uint8 images and wants a uint8 mask that is non-zero where pixels are
missing; the digits here are float32 in [-1, 1] and the corruption is the dropout
mask ``noise`` (0 = dropped, ``1 / (1 - p)`` = kept). This module does that
conversion explicitly and correctly for any drop rate, runs OpenCV over a batch,
and adds the energy-minimisation inpainter the lecture describes for fig 11
(search the decoder's output space for the image closest to the known pixels).

Conventions: images are (N, 784) float tensors in [-1, 1]; ``missing`` masks are
bool tensors of the same shape, True where a pixel is unknown (``ae.dropped(noise)``).
Used by notebook 05. ``cv2`` is imported only when OpenCV is actually called.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch
from torch import nn

from ._checks import check_digits, check_mask, check_noise, check_positive_int, check_positive_real
from .data import load_mnist, normalize
from .metrics import masked_mse, psnr_of_mse
from .model import encode, reconstruct

__all__ = [
    "OPENCV_METHODS",
    "INPAINTERS",
    "lecture_opencv_inputs",
    "to_opencv",
    "from_opencv",
    "opencv_inpaint",
    "fill_missing",
    "square_mask",
    "energy_inpaint",
    "start_codes",
    "compare_inpainters",
    "inpainting_rows",
    "inpainting_scores",
]

#: The two OpenCV inpainting methods by the names ``opencv_inpaint`` accepts.
OPENCV_METHODS = ("telea", "ns")

_GREY = 128  # uint8 value written under the mask: mid-grey, i.e. 0 in [-1, 1]

#: Display names of the methods ``compare_inpainters`` runs (its keys).
INPAINTERS = {"denoiser": "denoiser", "energy": "energy min.", "telea": "Telea", "ns": "Navier-Stokes",
              "mean digit": "mean digit", "grey": "grey (0)"}


def _check_images(images: torch.Tensor, name: str = "images") -> None:
    check_digits(images, name, n=784, unit_range=True, range_hint=(
        ". A corrupted batch img_bad = img * noise holds kept pixels scaled by 1/(1-p) (2 for p = 0.5): "
        "pass the clean digits (or img_bad * (1 - p)) together with the mask ae.dropped(noise)."))


def _check_mask(mask, images: torch.Tensor, name: str) -> None:
    check_mask(mask, name, shape=images.shape, nonempty=False)


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
    _check_images(clean)
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
    _check_images(images)
    _check_mask(mask, images, "mask")
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


def fill_missing(images: torch.Tensor, fill: torch.Tensor, missing: torch.Tensor) -> torch.Tensor:
    """``images`` with the ``missing`` pixels taken from ``fill`` (all (N, 784)).

    Turns any whole-image reconstruction (the denoiser's output, a decoded code)
    into an inpainting that keeps every known pixel as it was.
    """
    check_digits(images, "images", n=784)
    if fill.shape != images.shape:
        raise ValueError(f"fill has shape {tuple(fill.shape)}, images {tuple(images.shape)}")
    _check_mask(missing, images, "missing")
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


def energy_inpaint(model: nn.Module, images: torch.Tensor, known_mask: torch.Tensor, *,
                   steps: int = 50, lr: float = 0.05, init: torch.Tensor | None = None,
                   batch_size: int = 10_000, callback=None) -> torch.Tensor:
    """Inpainting by energy minimisation: the decoder's image closest to the known pixels.

    Keeps ``model.decoder`` frozen and, for every image at once, optimises a code
    ``z`` so that the energy ``E(z) = sum over known pixels (decode(z) - x)^2`` is
    minimal (Adam, ``steps`` steps of rate ``lr``); returns ``decode(z)``, the
    whole decoded image (N, 784) in (-1, 1). Read the missing pixels from it, or use
    ``fill_missing``. Values of ``images`` outside ``known_mask`` are never used.

    The code is parameterised as ``z = tanh(u)`` so it stays in (-1, 1), the range
    of the encoder's tanh codes. ``init``: starting codes (N, d) in (-1, 1), e.g.
    ``model.encode(corrupted)``; default zeros (the centre of the code space).
    Each image's code only affects its own energy and Adam acts elementwise, so the
    result does not depend on ``batch_size`` (chunks, to bound memory).
    ``callback(step, decoded)``, if given, is called before every step and after the
    last one with the chunk's current decoded images (to watch the optimisation).
    """
    _check_images(images)
    _check_mask(known_mask, images, "known_mask")
    steps = check_positive_int(steps, "steps", allow_zero=True)
    lr = check_positive_real(lr, "lr")
    if not known_mask.any(dim=1).all():
        raise ValueError("every image needs at least one known pixel (known_mask is all False for some row)")
    decoder = getattr(model, "decoder", None)
    if not isinstance(decoder, nn.Sequential) or not isinstance(decoder[0], nn.Linear):
        raise TypeError("model must have a .decoder starting with a Linear layer, like ae.Autoencoder")
    dev = next(decoder.parameters()).device
    d = decoder[0].in_features
    if init is not None:
        if init.shape != (len(images), d):
            raise ValueError(f"init must have shape (N, d) = {(len(images), d)}, got {tuple(init.shape)}")
        if init.abs().max() >= 1:
            raise ValueError("init codes must lie strictly inside (-1, 1) (tanh codes)")
    flags = [p.requires_grad for p in decoder.parameters()]
    was_training = decoder.training
    decoder.eval().requires_grad_(False)
    try:
        out = []
        for start in range(0, len(images), batch_size):
            x = images[start:start + batch_size].to(dev)
            known = known_mask[start:start + batch_size].to(dev)
            u0 = (torch.zeros(len(x), d, device=dev) if init is None
                  else torch.atanh(init[start:start + batch_size].to(dev).float()))
            u = u0.clone().requires_grad_(True)
            opt = torch.optim.Adam([u], lr=lr)
            for step in range(steps):
                decoded = decoder(torch.tanh(u))
                if callback is not None:
                    callback(step, decoded.detach().cpu())
                loss = ((decoded - x).square() * known).sum()  # the energy: known pixels only
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            with torch.no_grad():
                out.append(decoder(torch.tanh(u)).cpu())
            if callback is not None:
                callback(steps, out[-1])
    finally:
        for p, f in zip(decoder.parameters(), flags):
            p.requires_grad_(f)
        decoder.train(was_training)
    return torch.cat(out) if out else images.new_empty(0, 784)


def start_codes(model: nn.Module, corrupted: torch.Tensor) -> torch.Tensor:
    """The encoder's codes (N, d) of ``corrupted`` (N, 784), clipped to [-0.999, 0.999].

    ``energy_inpaint``'s starting point in notebook 05: decoding them gives the
    model's direct output (exactly, unless a code was clipped; the clipping keeps
    ``atanh`` finite).
    """

    check_digits(corrupted, "corrupted", n=784)
    return encode(model, corrupted).clamp(-0.999, 0.999)


def compare_inpainters(model: nn.Module, images: torch.Tensor, noise: torch.Tensor, *,
                       radius: int = 3, energy_steps: int = 50,
                       methods=("denoiser", "energy", "telea", "ns", "mean digit", "grey")) -> dict:
    """Every inpainter of notebook 05 on the same corrupted digits: {name: (N, 784) in [-1, 1]}.

    ``images``: the clean digits (N, 784) in [-1, 1]; ``noise``: the dropout-style
    mask (0 = missing, kept pixels scaled as ``ae.dropout_noise`` does, e.g. 2 for
    p = 0.5). Methods: ``"denoiser"`` = ``model(images * noise)``, the whole output
    image; ``"energy"`` = ``energy_inpaint`` with ``model``'s decoder, started from
    the denoiser's code; ``"telea"``, ``"ns"`` = ``opencv_inpaint`` (radius
    ``radius``); trivial baselines: ``"mean digit"`` fills the missing pixels with
    the mean training digit, ``"grey"`` leaves them at 0 (mid-grey, what the
    corrupted input shows there). Every method but the denoiser and the energy
    keeps the known pixels; those two output a whole image. Only the denoiser (and
    the energy's starting code) sees the dropout scaling of the kept pixels.
    """

    _check_images(images)
    check_noise(noise, shape=images.shape)
    unknown = [m for m in methods if m not in INPAINTERS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}: choose from {', '.join(INPAINTERS)}")
    missing = noise == 0
    corrupted = images * noise
    out = {}
    for m in methods:
        if m == "denoiser":
            out[m] = reconstruct(model, corrupted)
        elif m == "energy":
            out[m] = energy_inpaint(model, images, ~missing, steps=energy_steps,
                                    init=start_codes(model, corrupted))
        elif m in OPENCV_METHODS:
            out[m] = opencv_inpaint(images, missing, m, radius)
        elif m == "mean digit":
            mean = load_mnist(train=True)[0].mean(0).expand_as(images)
            out[m] = fill_missing(images, mean, missing)
        else:
            out[m] = fill_missing(images, torch.zeros_like(images), missing)
    return out


def inpainting_rows(images: torch.Tensor, missing: torch.Tensor, outputs: dict) -> dict:
    """Rows for ``ae.show_rows``: mask, corrupted, original, then every output (all (N, 784)).

    The "mask" row is white (+1) where a pixel is missing and black (-1) where it is
    known; the "corrupted" row shows the missing pixels as mid-grey 0. ``outputs``:
    {method: (N, 784)} as ``compare_inpainters`` returns (keys are shown through
    ``INPAINTERS``). Everything is in [-1, 1], for ``vmin=-1, vmax=1``.
    """
    _check_images(images)
    _check_mask(missing, images, "missing")
    rows = {"mask": missing.float() * 2 - 1,
            "corrupted": fill_missing(images, torch.zeros_like(images), missing),
            "original": images}
    for name, out in outputs.items():
        if out.shape != images.shape:
            raise ValueError(f"output {name!r} has shape {tuple(out.shape)}, images {tuple(images.shape)}")
        rows[INPAINTERS.get(name, name)] = out
    return rows


def inpainting_scores(outputs: dict, images: torch.Tensor, missing: torch.Tensor) -> dict:
    """MSE and PSNR of every output, on the missing pixels and on the whole image.

    ``outputs``: {name: (N, 784) in [-1, 1]}; ``images``: the clean digits;
    ``missing``: bool (N, 784). Returns {name: {"mse missing", "psnr missing",
    "mse whole", "psnr whole"}}; MSE in [0, 1] intensity units (the [-1, 1] MSE / 4),
    PSNR in dB (``ae.psnr``: intensities in [0, 1]).
    """

    _check_mask(missing, images, "missing")
    scores = {}
    for name, out in outputs.items():
        on_missing, whole = masked_mse(out, images, missing) / 4, masked_mse(out, images) / 4
        scores[name] = {"mse missing": on_missing, "psnr missing": psnr_of_mse(on_missing),
                        "mse whole": whole, "psnr whole": psnr_of_mse(whole)}
    return scores
