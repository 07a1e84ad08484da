"""aehelpers: the small helper package behind the autoencoder notebooks.

One module per idea of the lecture (NYU Deep Learning, week 7, "Introduction to
autoencoders"):

* the core: ``data`` (MNIST in [-1, 1]), ``runtime`` (device and seed), ``model`` (the
  784 -> d -> 784 tanh autoencoder, the contract every model keeps, running a model over a
  set), ``noise`` (the dropout mask and other corruptions), ``training`` (``fit``, the one
  training loop), ``cache`` (load-or-train), ``metrics`` (MSE, PSNR, ROC AUC, Spearman),
  ``claims`` (checking a notebook's claims), ``plotting``, ``checks`` (argument checks);
* one module per notebook idea: ``interpolation`` and ``transforms`` (01), ``pca`` (02),
  ``kernels`` (04), ``inpainting``, ``energy`` and ``inpainting_comparison`` (05),
  ``manifolds``, ``tied`` and ``contractive`` (06), ``anomaly``, ``compression`` and
  ``superres`` (07);
* ``exercises``: the checks of the exercises that end every notebook.

Importing it has no side effects: no downloads, no style changes, no seeding.
Type ``ae.fit??`` in a notebook to read any helper.
"""

from . import exercises  # ae.exercises.check("02.1", answer)
from .anomaly import ink, leave_one_out_autoencoders, random_strokes
from .cache import cached_model, trained_autoencoder
from .claims import ClaimNotReproduced, check_claim
from .compression import (allocate_bits, break_even, code_bytes, code_range, dequantise, opencv_codec, quantise,
                          rate_at_psnr)
from .contractive import contractive_penalty, encoder_jacobian, sensitivity
from .data import MnistDataError, describe_data, load_mnist
from .energy import energy_inpaint, start_codes
from .inpainting import (fill_missing, from_opencv, lecture_opencv_inputs, opencv_inpaint, pca_inpaint, square_mask,
                         to_opencv)
from .inpainting_comparison import INPAINTERS, compare_inpainters, inpainting_rows, inpainting_scores
from .interpolation import (alphas, interpolate, nearest_neighbour, random_pairs, reconstruction_energy,
                            show_interpolation)
from .kernels import outside_inside_spread, outside_mask, show_kernel_grids
from .manifolds import CurledCurve, TwoBranchCurve, grid, show_denoising_field
from .metrics import masked_mse, psnr, roc_auc, spearman
from .model import Autoencoder, EncoderDecoder, decode, encode, reconstruct
from .noise import dropout_corruption, dropout_noise, dropped, gaussian_corruption
from .pca import leave_one_out_pcas, pca_error_curve, pca_fit, pca_reconstruct, subspace_angles
from .plotting import interactive_figure, log_axis, set_style, show_images, show_rows
from .runtime import device, notebook_seed
from .superres import downsample, linear_upsampler, trained_upsampler, upsample_bicubic
from .tied import TiedAutoencoder
from .training import TrainingDivergedError, fit
from .transforms import blur, brightness, latent_direction, move_in_latent, rotate, shift, zoom

__all__ = [
    "exercises",
    # the core: data, device, the model, training, caching, measuring, claims, figures
    "load_mnist", "describe_data", "MnistDataError", "device", "notebook_seed",
    "Autoencoder", "EncoderDecoder", "reconstruct", "encode", "decode",
    "dropout_noise", "dropped", "dropout_corruption", "gaussian_corruption",
    "fit", "TrainingDivergedError", "cached_model", "trained_autoencoder",
    "masked_mse", "psnr", "roc_auc", "spearman", "check_claim", "ClaimNotReproduced",
    "set_style", "log_axis", "show_images", "show_rows", "interactive_figure",
    # notebook 01
    "alphas", "interpolate", "random_pairs", "nearest_neighbour", "reconstruction_energy", "show_interpolation",
    "shift", "zoom", "rotate", "brightness", "blur", "latent_direction", "move_in_latent",
    # notebook 02
    "pca_fit", "pca_reconstruct", "pca_error_curve", "subspace_angles",
    # notebook 04
    "outside_mask", "outside_inside_spread", "show_kernel_grids",
    # notebook 05
    "lecture_opencv_inputs", "to_opencv", "from_opencv", "opencv_inpaint", "pca_inpaint", "fill_missing", "square_mask",
    "energy_inpaint", "start_codes", "INPAINTERS", "compare_inpainters", "inpainting_rows", "inpainting_scores",
    # notebook 06
    "TwoBranchCurve", "CurledCurve", "grid", "show_denoising_field", "TiedAutoencoder",
    "contractive_penalty", "encoder_jacobian", "sensitivity",
    # notebook 07
    "leave_one_out_autoencoders", "leave_one_out_pcas", "ink", "random_strokes",
    "code_range", "quantise", "dequantise", "allocate_bits", "code_bytes", "opencv_codec", "rate_at_psnr", "break_even",
    "downsample", "upsample_bicubic", "linear_upsampler", "trained_upsampler",
]

__version__ = "0.1.0"
