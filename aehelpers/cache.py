"""Load-or-train: each trained model is computed once and reused by every notebook.

``cached_model`` is the general mechanism (any model, any training function);
``trained_autoencoder`` is the lecture's autoencoder through it. Files live in
``<data dir>/models/`` (git-ignored), named after the model and a hash of every
setting that affects the weights, including which MNIST is in use (full or
sample). A file whose recorded settings do not match, or that cannot be read, is
retrained with a notice; ``AEHELPERS_RETRAIN=1`` forces retraining.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Callable

import torch
from torch import nn

from .data import data_dir, data_source, load_mnist
from .model import Autoencoder, check_model
from .noise import dropout_corruption
from .training import fit

__all__ = ["cached_model", "trained_autoencoder", "model_path"]

_FORMAT = 3  # 3: fit is the five steps with torch.optim.Adam (2: training_noise for the denoiser)


def _key(name: str, config: dict) -> dict:
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of the settings that change the weights, got {type(config).__name__}")
    try:  # only plain JSON values: str() of a lambda or a tensor holds a memory address and never matches
        json.dumps(config, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise TypeError(f"config for {name!r} must hold only JSON values (numbers, strings, bools, None, "
                        f"lists, dicts): {err}. Describe a setting by its value, e.g. loss='BCE' rather "
                        "than the loss object.") from None
    n_train = len(load_mnist(train=True)[0])
    return {"format": _FORMAT, "name": name, "data": data_source(), "n_train": n_train,
            **{k: config[k] for k in sorted(config)}}


def model_path(name: str, config: dict) -> Path:
    """Where ``cached_model(name, config, ...)`` stores its weights."""
    blob = json.dumps(_key(name, config), sort_keys=True)
    digest = hashlib.sha256(blob.encode()).hexdigest()[:12]
    return data_dir() / "models" / f"{name}-{digest}.pt"


def _save_atomic(payload: dict, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
        os.replace(tmp, path)  # atomic: readers see the old file or the new one
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _try_load(path: Path, key: dict, model: nn.Module) -> list[float] | None:
    """Load weights into ``model``; None (with a notice) if the file is unusable."""
    if not path.exists():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
        if payload.get("key") != json.loads(json.dumps(key)):
            print(f"aehelpers: cached model {path.name} was trained with other settings; retraining.")
            return None
        model.load_state_dict(payload["state_dict"])
        return [float(v) for v in payload["losses"]]
    except Exception as err:  # truncated, corrupt, wrong shapes, not a dict, ...
        print(f"aehelpers: cached model {path.name} is unreadable ({type(err).__name__}); retraining.")
        return None


def cached_model(name: str, config: dict, build: Callable[[], nn.Module],
                 train: Callable[[nn.Module], list[float]], *, seed: int = 0) -> nn.Module:
    """Return ``build()`` with trained weights, training and caching them if needed.

    ``config``: every setting that changes the weights (JSON-serialisable); it keys
    the file together with ``name``, ``seed`` and the MNIST in use. ``build()``
    makes the untrained model (initialised under ``torch.manual_seed(seed)``
    without touching the global RNG); ``train(model)`` trains it in place and
    returns the per-epoch losses. The result is on the CPU in eval mode, with the
    losses in ``model.losses``. Notebooks 01-07.
    """
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict of the settings that change the weights, got {type(config).__name__}")
    config = {**config, "seed": seed}
    key = _key(name, config)
    path = model_path(name, config)

    def fresh() -> nn.Module:  # the initial weights, the same for every call with this seed
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return build()

    model = check_model(fresh(), "build()")
    losses = None if os.environ.get("AEHELPERS_RETRAIN") == "1" else _try_load(path, key, model)
    if losses is None:
        model = fresh()  # a load that failed half-way may have left some cached tensors behind
        losses = [float(v) for v in train(model)]
        model.cpu()
        _save_atomic({"key": json.loads(json.dumps(key)),
                      "state_dict": model.state_dict(), "losses": losses}, path)
    model.cpu().eval()
    model.losses = losses
    return model


def trained_autoencoder(d: int = 30, denoise: bool = False, epochs: int = 20, seed: int = 0, *,
                        hidden: tuple[int, ...] = (), code: str = "tanh", p: float = 0.5, batch_size: int = 256,
                        lr: float = 1e-3, progress: bool = True) -> Autoencoder:
    """The lecture's 784 -> d -> 784 tanh autoencoder trained on MNIST (cached).

    ``denoise=True`` trains the denoising AE (``ae.dropout_corruption(p)``); ``hidden`` adds
    tanh layers (a deeper AE); ``code="linear"`` drops the tanh of the code. Trained with
    ``fit`` and the lecture's recipe on the training split the first time, loaded from
    ``data/models/`` afterwards. Returns the model on the CPU in eval mode; ``model.losses``
    holds the per-epoch losses. Used by notebooks 01-07.
    """
    config = dict(d=d, denoise=denoise, epochs=epochs, hidden=list(hidden), code=code, p=p if denoise else None,
                  batch_size=batch_size, lr=lr)

    def train(model):
        what = ("denoising " if denoise else "") + ("linear-code " if code != "tanh" else "")
        if progress:
            print(f"Training the {what}autoencoder d={d} ({epochs} epochs); cached for later runs.")
        return fit(model, load_mnist(train=True)[0], epochs=epochs, batch_size=batch_size, lr=lr,
                   corrupt=dropout_corruption(p) if denoise else None, seed=seed, progress=progress)

    return cached_model("autoencoder", config, lambda: Autoencoder(784, d, hidden=tuple(hidden), code=code),
                        train, seed=seed)
