"""Notebook 05's comparison: every inpainter on the same corrupted digits, scored the same way.

``compare_inpainters`` runs the denoiser, energy minimisation, OpenCV's two methods and
trivial fills on one set of corrupted digits; ``inpainting_scores`` scores them on the
missing pixels and on the whole image; ``inpainting_rows`` lays them out for
``ae.show_rows``; ``INPAINTERS`` names them. Images are (N, 784) in [-1, 1]. Used by
notebook 05.
"""

from __future__ import annotations

import torch

from .checks import check_mask, check_noise
from .data import load_mnist
from .energy import energy_inpaint, start_codes
from .inpainting import OPENCV_METHODS, check_images, fill_missing, opencv_inpaint, pca_inpaint
from .metrics import masked_mse, psnr_of_mse
from .model import EncoderDecoder, reconstruct
from .pca import PCA

__all__ = ["INPAINTERS", "compare_inpainters", "inpainting_rows", "inpainting_scores"]

#: Display names of the methods ``compare_inpainters`` runs (its keys).
INPAINTERS = {"denoiser": "denoiser", "energy": "energy min.", "pca": "PCA-k (linear, learnt)", "telea": "Telea",
              "ns": "Navier-Stokes", "mean digit": "mean digit", "grey": "grey (0)"}


def compare_inpainters(model: EncoderDecoder, images: torch.Tensor, noise: torch.Tensor, *,
                       radius: int = 3, energy_steps: int = 50, pca: PCA | None = None, pca_k: int | None = None,
                       methods=("denoiser", "energy", "telea", "ns", "mean digit", "grey")) -> dict:
    """Every inpainter of notebook 05 on the same corrupted digits: {name: (N, 784) in [-1, 1]}.

    ``images``: the clean digits (N, 784) in [-1, 1]; ``noise``: the dropout-style
    mask (0 = missing, kept pixels scaled as ``ae.dropout_noise`` does, e.g. 2 for
    p = 0.5). Methods: ``"denoiser"`` = ``model(images * noise)``, the whole output
    image; ``"energy"`` = ``energy_inpaint`` with ``model``'s decoder, started from
    the denoiser's code; ``"pca"`` = ``pca_inpaint(pca, images, known, pca_k)``, the
    learnt linear inpainter; ``"telea"``, ``"ns"`` = ``opencv_inpaint`` (radius
    ``radius``); trivial baselines: ``"mean digit"`` fills the missing pixels with
    the mean training digit, ``"grey"`` leaves them at 0 (mid-grey, what the
    corrupted input shows there). Every method but the denoiser and the energy
    keeps the known pixels; those two output a whole image. Only the denoiser (and
    the energy's starting code) sees the dropout scaling of the kept pixels.
    """
    check_images(images)
    check_noise(noise, shape=images.shape)
    unknown = [m for m in methods if m not in INPAINTERS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}: choose from {', '.join(INPAINTERS)}")
    if "pca" in methods and (pca is None or pca_k is None):
        raise ValueError("method 'pca' needs pca= (ae.pca_fit on training digits) and pca_k= (its components)")
    missing = noise == 0
    corrupted = images * noise
    out = {}
    for m in methods:
        if m == "denoiser":
            out[m] = reconstruct(model, corrupted)
        elif m == "energy":
            out[m] = energy_inpaint(model, images, ~missing, steps=energy_steps,
                                    init=start_codes(model, corrupted))
        elif m == "pca":
            out[m] = pca_inpaint(pca, images, ~missing, pca_k)
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
    check_images(images)
    check_mask(missing, "missing", shape=images.shape, nonempty=False)
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
    check_mask(missing, "missing", shape=images.shape, nonempty=False)
    scores = {}
    for name, out in outputs.items():
        on_missing, whole = masked_mse(out, images, missing) / 4, masked_mse(out, images) / 4
        scores[name] = {"mse missing": on_missing, "psnr missing": psnr_of_mse(on_missing),
                        "mse whole": whole, "psnr whole": psnr_of_mse(whole)}
    return scores
