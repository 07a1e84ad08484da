"""aehelpers.runtime: the device and the seed a notebook's setup cell uses, forced through the environment."""

import pytest
import torch

import aehelpers as ae


def test_device_override_from_the_environment(monkeypatch):
    monkeypatch.setenv("AEHELPERS_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # even with a GPU present
    assert ae.device() == torch.device("cpu")


def test_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("AEHELPERS_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert ae.device().type == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert ae.device().type == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert ae.device().type == "cpu"


def test_unknown_device_name_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("AEHELPERS_DEVICE", "gpu please")
    with pytest.raises(ValueError, match="AEHELPERS_DEVICE='gpu please' is not a torch device"):
        ae.device()


@pytest.mark.parametrize("raw, seed", [(None, 0), ("", 0), ("2", 2), (" 17 ", 17)])
def test_notebook_seed_reads_the_environment(monkeypatch, raw, seed):
    if raw is None:
        monkeypatch.delenv("AEHELPERS_SEED", raising=False)
    else:
        monkeypatch.setenv("AEHELPERS_SEED", raw)
    assert ae.notebook_seed() == seed


@pytest.mark.parametrize("raw", ["-1", "one", "1.5"])
def test_bad_seed_is_a_clear_error(monkeypatch, raw):
    monkeypatch.setenv("AEHELPERS_SEED", raw)
    with pytest.raises(ValueError, match="non-negative integer"):
        ae.notebook_seed()
