"""Where and how a notebook runs: the device and the seed its setup cell prints.

``device()`` picks CUDA, then Apple's MPS, then the CPU (``$AEHELPERS_DEVICE``
overrides it); ``notebook_seed()`` reads ``$AEHELPERS_SEED`` (default 0), so the same
notebook can be run on several seeds (``benchmarks/bench_claims.py``); ``generator(device,
seed)`` is the seeded random stream ``ae.fit`` shuffles and corrupts with. Used by the setup
cell of every notebook.
"""

from __future__ import annotations

import os

import torch

__all__ = ["device", "notebook_seed", "generator"]


def device() -> torch.device:
    """The fastest available device: CUDA, then Apple's MPS, then the CPU.

    ``$AEHELPERS_DEVICE`` (e.g. ``cpu`` or ``cuda:1``) overrides the choice; a name
    torch does not know is a ValueError that says what to set instead.
    """
    forced = os.environ.get("AEHELPERS_DEVICE", "").strip()
    if forced:
        try:
            return torch.device(forced)
        except RuntimeError as err:
            raise ValueError(f"AEHELPERS_DEVICE={forced!r} is not a torch device: use e.g. 'cpu', "
                             f"'cuda' or 'mps', or unset it ({err})") from None
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def notebook_seed() -> int:
    """The seed of a notebook run: ``$AEHELPERS_SEED`` as a non-negative int, default 0.

    Every model a notebook trains or loads, every mask and every random pair it draws
    uses this seed, so ``AEHELPERS_SEED=1`` reruns the whole notebook on another draw.
    """
    raw = os.environ.get("AEHELPERS_SEED", "0").strip() or "0"
    try:
        seed = int(raw)
    except ValueError:
        seed = -1
    if seed < 0:
        raise ValueError(f"AEHELPERS_SEED={raw!r} is not a seed: use a non-negative integer such as 0, 1 or 2")
    return seed


def generator(dev: torch.device, seed: int) -> torch.Generator:
    """A ``torch.Generator`` on ``dev`` seeded with ``seed`` (on the CPU for a backend without
    device generators): ``ae.fit``'s batches and corruptions, reproducible seed by seed."""
    try:
        g = torch.Generator(device=dev)
    except RuntimeError:
        g = torch.Generator()
    return g.manual_seed(seed)
