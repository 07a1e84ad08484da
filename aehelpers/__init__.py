"""aehelpers: the small helper package behind the autoencoder notebooks.

One module per idea of the lecture (NYU Deep Learning, week 7, "Introduction to
autoencoders"): ``data`` (MNIST in [-1, 1]), ``model`` (the 784 -> d -> 784 tanh
autoencoder and running it), ``noise`` (the dropout mask), ``training`` (``fit``),
``cache`` (load-or-train), ``metrics`` (MSE, PSNR), ``claims`` (checking a notebook's
claims), ``runtime`` (device and seed), ``plotting``, ``pca``, ``kernels``,
``inpainting``, ``interpolation``, ``transforms``, for notebook 06 ``manifolds``
(toy curves), ``contractive`` (the contractive penalty) and ``tied`` (tied weights), for
notebook 07 ``stacked`` (training several small models at once), ``anomaly``,
``compression`` and ``superres``; ``exercises`` checks the answers to the exercises that
end the notebooks.

Importing it has no side effects: no downloads, no style changes, no seeding.
Type ``ae.fit??`` in a notebook to read any helper.
"""

from .data import MnistDataError, data_dir, data_source, describe_data, load_mnist
from .runtime import device, notebook_seed
from .model import Autoencoder, decode, encode, reconstruct
from .noise import dropout_noise, dropped, training_noise
from .training import TrainingDivergedError, fit
from .cache import cached_model, trained_autoencoder
from .metrics import masked_mse, psnr
from .claims import ClaimNotReproduced, check_claim
from .plotting import as_digits, interactive_figure, set_style, show_images, show_rows
from .pca import PCA, pca_error_curve, pca_fit, pca_reconstruct, subspace_angles  # notebook 02
from .kernels import kernel_mosaic, outside_inside_spread, outside_mask, show_kernel_grids, show_kernels  # notebook 04
from .inpainting import (INPAINTERS, compare_inpainters, energy_inpaint, fill_missing,  # notebook 05
                         from_opencv, inpainting_rows, inpainting_scores, lecture_opencv_inputs,
                         opencv_inpaint, square_mask, start_codes, to_opencv)
from .interpolation import (alphas, interpolate, nearest_neighbour, random_pairs,  # notebook 01
                            reconstruction_energy, show_interpolation)
from .stacked import fit_together, trained_together  # notebook 07
from .anomaly import (ClassMoments, class_moments, ink, leave_one_out_autoencoders,  # notebook 07
                      pca_of_classes, random_strokes, roc_auc)
from .compression import (break_even, code_bytes, code_range, dequantise, opencv_codec,  # notebook 07
                          quantise, rate_at_psnr)
from .superres import (SIZES, Upsampler, block_mean, downsample, skewed_subset,  # notebook 07
                       trained_upsamplers, upsample_bicubic)
from .transforms import brightness, latent_direction, move_in_latent, rotate, shift, zoom  # notebook 01
from .manifolds import CurledCurve, TwoBranchCurve, grid, show_denoising_field, spearman  # notebook 06
from .contractive import contractive_penalty, encoder_jacobian, fit_regularised, sensitivity  # notebook 06
from .tied import TiedAutoencoder  # notebook 06
from . import exercises  # the exercises at the end of notebooks 01-05: ae.exercises.check("02.1", answer)

__all__ = [
    "MnistDataError", "data_dir", "data_source", "describe_data", "load_mnist",
    "device", "notebook_seed",
    "Autoencoder", "decode", "encode", "reconstruct",
    "dropout_noise", "dropped", "training_noise",
    "TrainingDivergedError", "fit",
    "cached_model", "trained_autoencoder",
    "masked_mse", "psnr",
    "ClaimNotReproduced", "check_claim",
    "as_digits", "interactive_figure", "set_style", "show_images", "show_rows",
    "PCA", "pca_error_curve", "pca_fit", "pca_reconstruct", "subspace_angles",
    "kernel_mosaic", "outside_inside_spread", "outside_mask", "show_kernel_grids", "show_kernels",
    "INPAINTERS", "compare_inpainters", "energy_inpaint", "fill_missing", "from_opencv",
    "inpainting_rows", "inpainting_scores", "lecture_opencv_inputs", "opencv_inpaint",
    "square_mask", "start_codes", "to_opencv",
    "alphas", "interpolate", "nearest_neighbour", "random_pairs", "reconstruction_energy",
    "show_interpolation",
    "brightness", "latent_direction", "move_in_latent", "rotate", "shift", "zoom",
    "CurledCurve", "TwoBranchCurve", "grid", "show_denoising_field", "spearman",
    "contractive_penalty", "encoder_jacobian", "fit_regularised", "sensitivity",
    "TiedAutoencoder",
    "fit_together", "trained_together",
    "ClassMoments", "class_moments", "ink", "leave_one_out_autoencoders", "pca_of_classes",
    "random_strokes", "roc_auc",
    "break_even", "code_bytes", "code_range", "dequantise", "opencv_codec", "quantise", "rate_at_psnr",
    "SIZES", "Upsampler", "block_mean", "downsample", "skewed_subset", "trained_upsamplers",
    "upsample_bicubic",
]

__version__ = "0.1.0"
