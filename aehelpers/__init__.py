"""aehelpers: the small helper package behind the autoencoder notebooks.

One module per idea of the lecture (NYU Deep Learning, week 7, "Introduction to
autoencoders"): ``data`` (MNIST in [-1, 1]), ``model`` (the 784 -> d -> 784 tanh
autoencoder), ``noise`` (the dropout mask), ``training`` (``fit``), ``cache``
(load-or-train), ``metrics``, ``plotting``, ``pca``, ``kernels``, ``inpainting``,
``interpolation`` and ``transforms``.

Importing it has no side effects: no downloads, no style changes, no seeding.
"""

from .data import MnistDataError, data_dir, data_source, describe_data, load_mnist
from .model import Autoencoder
from .noise import dropout_noise, dropped
from .training import BCELoss, TrainingDivergedError, device, fit
from .cache import cached_model, trained_autoencoder
from .metrics import check_claim, decode, encode, masked_mse, psnr, reconstruct
from .plotting import as_digits, set_style, show_images, show_rows
from .pca import *  # noqa: F401,F403  (notebook 02)
from .kernels import *  # noqa: F401,F403  (notebook 04)
from .inpainting import *  # noqa: F401,F403  (notebook 05)
from .interpolation import *  # noqa: F401,F403  (notebook 01)
from .transforms import *  # noqa: F401,F403  (notebook 01)

__version__ = "0.1.0"
