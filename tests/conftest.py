"""Shared fixtures. Tests never train a full model: they use small data or the sample."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # headless figures in tests

import pytest
import torch

import aehelpers.data as data_mod


def clear_data_caches():
    data_mod._resolve.cache_clear()
    data_mod._load.cache_clear()


@pytest.fixture
def fresh_data(monkeypatch, tmp_path):
    """An empty data folder (no full MNIST, no cached models) and clean data caches.

    Returns a function ``use(mode)`` that sets AEHELPERS_DATASET. torchvision's
    download is replaced by one that fails as it does offline, so no test touches
    the network.
    """
    from torchvision.datasets import MNIST

    def offline_download(self):
        raise RuntimeError("Error downloading train-images-idx3-ubyte.gz (simulated offline)")

    monkeypatch.setattr(MNIST, "download", offline_download)
    monkeypatch.setenv("AEHELPERS_DATA", str(tmp_path))
    monkeypatch.delenv("AEHELPERS_RETRAIN", raising=False)
    clear_data_caches()

    def use(mode="sample"):
        monkeypatch.setenv("AEHELPERS_DATASET", mode)
        clear_data_caches()
        return tmp_path

    yield use
    clear_data_caches()


@pytest.fixture
def sample_digits():
    """(images, labels) of the bundled sample's test part: 1,000 real digits in [-1, 1]."""
    pixels, labels = data_mod._load_sample(train=False)
    return data_mod.normalize(pixels), labels


@pytest.fixture(autouse=True)
def _seed_and_cpu(monkeypatch):
    """Every test starts from the same global seed and trains on the CPU (bitwise reproducible)."""
    torch.manual_seed(0)
    monkeypatch.setenv("AEHELPERS_DEVICE", "cpu")
