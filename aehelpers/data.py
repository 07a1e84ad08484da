"""MNIST as the lecture uses it, loaded once and kept in memory as tensors.

The lecture builds its dataset with
``transforms.Compose([ToTensor(), Normalize((0.5,), (0.5,))])``, i.e. every pixel
``v`` in 0..255 becomes ``(v / 255 - 0.5) / 0.5`` in [-1, 1]. Applying that per
sample through PIL is what makes the lecture's loop slow; here the whole split
is converted in one tensor operation with the very same arithmetic.

Where the digits come from (``data_source()`` says which is in use):

* ``"full"``: torchvision's ``MNIST`` files in ``<data dir>/MNIST/raw`` (60,000 /
  10,000 digits), downloaded by torchvision if missing and the network allows.
* ``"sample"``: 4,000 / 1,000 real MNIST digits shipped inside the package
  (``aehelpers/mnist-sample.npz``, see ``data/README.md``), used when the full set
  cannot be had (offline, no files); it travels with ``pip install .`` too.

Environment variables:

* ``AEHELPERS_DATA``: folder holding ``MNIST/raw`` and the model cache (default: the
  repository's ``data/`` in a checkout, ``~/.cache/aehelpers`` for a non-editable install).
* ``AEHELPERS_DATASET``: ``auto`` (default), ``full`` (never fall back) or ``sample``.

Used by every notebook (setup cell).
"""

from __future__ import annotations

import functools
import os
import struct
from pathlib import Path

import numpy as np
import torch

__all__ = [
    "MnistDataError",
    "load_mnist",
    "data_dir",
    "data_source",
    "describe_data",
    "sample_path",
    "normalize",
]

#: Root of the repository (the folder that holds ``aehelpers/`` and ``data/``).
REPO_ROOT = Path(__file__).resolve().parent.parent

#: The bundled sample of real MNIST digits, package data (see ``data/README.md``).
SAMPLE_FILE = "mnist-sample.npz"

_RAW_FILES = {
    # file name: (magic number, expected item shape)
    "train-images-idx3-ubyte": (2051, (28, 28)),
    "train-labels-idx1-ubyte": (2049, ()),
    "t10k-images-idx3-ubyte": (2051, (28, 28)),
    "t10k-labels-idx1-ubyte": (2049, ()),
}
_FULL_SIZES = {"train": 60_000, "t10k": 10_000}


class MnistDataError(RuntimeError):
    """MNIST could not be loaded; the message says which file and how to fix it."""


def data_dir() -> Path:
    """The folder that holds ``MNIST/raw`` and the model cache.

    ``$AEHELPERS_DATA`` if set; else the repository's ``data/`` folder when aehelpers
    runs from a checkout (whatever the current working directory is: notebooks run
    from ``notebooks/``); else, for a non-editable install, ``~/.cache/aehelpers``.
    """
    env = os.environ.get("AEHELPERS_DATA")
    if env:
        return Path(env).expanduser().resolve()
    if (REPO_ROOT / "pyproject.toml").exists() and (REPO_ROOT / "notebooks").is_dir():
        return REPO_ROOT / "data"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "aehelpers"


def sample_path() -> Path:
    """Path of the bundled sample: package data, next to this module (checkout or install alike)."""
    return Path(__file__).resolve().parent / SAMPLE_FILE


def _requested_source() -> str:
    mode = os.environ.get("AEHELPERS_DATASET", "auto").strip().lower() or "auto"
    if mode not in ("auto", "full", "sample"):
        raise ValueError(
            f"AEHELPERS_DATASET={mode!r} is not understood: use 'auto' (full MNIST if "
            "available, else the bundled sample), 'full' or 'sample'."
        )
    return mode


def normalize(pixels: torch.Tensor) -> torch.Tensor:
    """uint8 pixels (any shape, values 0..255) -> float32 in [-1, 1].

    Exactly the arithmetic of ``ToTensor()`` (``x.float().div(255)``) followed by
    ``Normalize((0.5,), (0.5,))`` (``sub(0.5).div(0.5)``), so results are bitwise
    identical to the lecture's pipeline.
    """
    if pixels.dtype != torch.uint8:
        raise TypeError(f"normalize expects uint8 pixels (0..255), got {pixels.dtype}")
    return pixels.to(torch.float32).div(255).sub(0.5).div(0.5)


def _check_raw_file(path: Path, magic: int, item_shape: tuple, count: int) -> None:
    """Validate an IDX file's header and length; raise MnistDataError naming it."""
    fix = (
        f"Delete it (rm '{path}') and run again: torchvision re-downloads it, or "
        "copy a good copy into that folder (see README, 'Offline')."
    )
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            header = fh.read(4 + 4 * (1 + len(item_shape)))
    except OSError as err:
        raise MnistDataError(f"Cannot read MNIST file {path}: {err}. {fix}") from err
    if len(header) < 8:
        raise MnistDataError(f"MNIST file {path} is truncated ({size} bytes). {fix}")
    got_magic, n = struct.unpack(">II", header[:8])
    if got_magic != magic:
        raise MnistDataError(
            f"MNIST file {path} is not an IDX file of the expected kind (magic number "
            f"{got_magic}, expected {magic}); it may be corrupt or still gzipped. {fix}"
        )
    dims = struct.unpack(">" + "I" * len(item_shape), header[8:]) if item_shape else ()
    expected = len(header) + n * int(np.prod(item_shape, dtype=np.int64))
    if n != count or tuple(dims) != item_shape or size != expected:
        raise MnistDataError(
            f"MNIST file {path} is truncated or corrupt: {size} bytes for a header "
            f"of {n} items of shape {tuple(dims)}, expected {count} items of shape "
            f"{item_shape} in {len(header) + count * int(np.prod(item_shape, dtype=np.int64))} bytes. {fix}"
        )


def _full_raw_dir(root: Path) -> Path:
    return root / "MNIST" / "raw"


def _full_available(root: Path) -> bool:
    raw = _full_raw_dir(root)
    return all((raw / name).exists() for name in _RAW_FILES)


def _read_idx(path: Path, header: int) -> torch.Tensor:
    """The payload of a validated IDX file as a uint8 tensor."""
    return torch.from_numpy(np.fromfile(path, dtype=np.uint8, offset=header))


def _load_full(root: Path, train: bool, download: bool):
    split = "train" if train else "t10k"
    if download and not _full_available(root):
        from torchvision.datasets import MNIST  # lazily: only a download needs torchvision

        MNIST(str(root), train=train, download=True)  # raises if offline
    for name, (magic, shape) in _RAW_FILES.items():
        if name.startswith(split):
            path = _full_raw_dir(root) / name
            if not path.exists():
                raise MnistDataError(
                    f"MNIST file {path} is missing. Run with network access (torchvision "
                    "downloads it), or decompress the four MNIST .gz files into "
                    f"{_full_raw_dir(root)} (see README, 'Offline')."
                )
            _check_raw_file(path, magic, shape, _FULL_SIZES[split])
    # The files are validated: read them directly (the same bytes torchvision's MNIST
    # reads, without importing torchvision, which costs seconds in every notebook).
    raw = _full_raw_dir(root)
    pixels = _read_idx(raw / f"{split}-images-idx3-ubyte", 16).reshape(-1, 784)
    labels = _read_idx(raw / f"{split}-labels-idx1-ubyte", 8).to(torch.int64)
    return pixels, labels


def _load_sample(train: bool):
    path = sample_path()
    try:
        with np.load(path) as npz:
            split = "train" if train else "test"
            pixels = torch.from_numpy(npz[f"{split}_images"].copy())
            labels = torch.from_numpy(npz[f"{split}_labels"].astype(np.int64))
    except (OSError, KeyError, ValueError) as err:
        raise MnistDataError(
            f"The bundled MNIST sample {path} is missing or corrupt ({err}). Restore it "
            "with `git checkout -- aehelpers/mnist-sample.npz` (or reinstall aehelpers), or rebuild it with "
            "scripts/make_sample.py."
        ) from err
    if pixels.dtype != torch.uint8 or pixels.ndim != 2 or pixels.shape[1] != 784:
        raise MnistDataError(f"The bundled MNIST sample {path} has an unexpected layout.")
    return pixels, labels


@functools.lru_cache(maxsize=None)
def _resolve(root: Path, mode: str) -> str:
    """Decide (once per process, folder and mode) which source is used."""
    if mode == "sample":
        return "sample"
    if _full_available(root):
        return "full"
    try:
        _load_full(root, train=True, download=True)
        _load_full(root, train=False, download=True)
        return "full"
    except MnistDataError:
        raise
    except Exception as err:  # offline: URLError, RuntimeError from torchvision, ...
        if mode == "full":
            raise MnistDataError(
                f"Full MNIST is not in {_full_raw_dir(root)} and could not be downloaded "
                f"({type(err).__name__}: {err}). Connect to the network, or decompress "
                "the four MNIST .gz files into that folder (see README, 'Offline'), or "
                "unset AEHELPERS_DATASET=full to allow the bundled sample."
            ) from err
        print(
            "aehelpers: full MNIST is not available offline "
            f"({type(err).__name__}); using the bundled sample of 4,000 training and "
            "1,000 test digits. For the full set, run once with network access or put "
            f"the MNIST files into {_full_raw_dir(root)} (see README, 'Offline')."
        )
        return "sample"


@functools.lru_cache(maxsize=None)
def _load(root: Path, mode: str, train: bool):
    source = _resolve(root, mode)
    pixels, labels = _load_full(root, train, False) if source == "full" else _load_sample(train)
    images = normalize(pixels)
    images.requires_grad_(False)
    return images, labels


def data_source() -> str:
    """``"full"`` or ``"sample"``: which MNIST ``load_mnist`` returns in this process."""
    return _resolve(data_dir(), _requested_source())


def load_mnist(train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST digits as the lecture normalises them.

    Returns ``(images, labels)``: ``images`` float32 of shape (N, 784), values in
    [-1, 1] (bitwise what ``ToTensor()`` + ``Normalize((0.5,), (0.5,))`` give);
    ``labels`` int64 of shape (N,). N is 60,000 / 10,000 for the full set and
    4,000 / 1,000 for the bundled sample. The same tensors are returned on every
    call (loaded once per process): do not modify them in place. ``train``: True (or
    ``"train"``) for the training split, False (or ``"test"``) for the held-out test digits.
    """
    return _load(data_dir(), _requested_source(), _split(train))


def _split(train) -> bool:
    if train in ("train", "test"):
        return train == "train"
    if isinstance(train, bool) or type(train).__name__ == "bool_":
        return bool(train)
    raise TypeError(f"train must be True (training digits) or False (test digits), or the names 'train' / "
                    f"'test'; got {train!r}")


def describe_data() -> str:
    """One line for a notebook's setup cell: which digits are in use and where from."""
    n_train = len(load_mnist(True)[0])
    n_test = len(load_mnist(False)[0])
    where = _full_raw_dir(data_dir()) if data_source() == "full" else sample_path()
    name = "full MNIST" if data_source() == "full" else "bundled MNIST sample"
    return f"{name}: {n_train:,} training / {n_test:,} test digits from {where}"
