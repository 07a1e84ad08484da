"""aehelpers.data: normalisation, sources, offline fallback, corrupt files."""

import os
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image
from torchvision import transforms

import aehelpers as ae
import aehelpers.data as data_mod
from aehelpers.data import MnistDataError

LECTURE_TRANSFORM = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.5,), (0.5,))])
FULL_RAW = data_mod.REPO_ROOT / "data" / "MNIST" / "raw"
needs_full = pytest.mark.skipif(not data_mod._full_available(data_mod.REPO_ROOT / "data"),
                                reason="full MNIST not in data/MNIST/raw (see README, 'Offline')")


def test_normalize_is_bitwise_the_lectures_transform():
    pixels, _ = data_mod._load_sample(train=True)
    ours = data_mod.normalize(pixels[:200])
    theirs = torch.stack([LECTURE_TRANSFORM(Image.fromarray(p.reshape(28, 28).numpy(), mode="L")).reshape(-1)
                          for p in pixels[:200]])
    assert torch.equal(ours, theirs)
    assert ours.min() == -1 and ours.max() == 1


def test_normalize_rejects_float():
    with pytest.raises(TypeError, match="uint8"):
        data_mod.normalize(torch.zeros(3, 784))


@pytest.mark.slow
@needs_full
def test_full_mnist_matches_torchvision_pipeline(monkeypatch):
    from torchvision.datasets import MNIST

    monkeypatch.delenv("AEHELPERS_DATA", raising=False)
    monkeypatch.setenv("AEHELPERS_DATASET", "full")
    for train, n in ((True, 60_000), (False, 10_000)):
        images, labels = ae.load_mnist(train=train)
        assert images.shape == (n, 784) and images.dtype == torch.float32
        assert labels.shape == (n,) and labels.dtype == torch.int64
        assert set(labels.unique().tolist()) == set(range(10))
        ds = MNIST(str(data_mod.REPO_ROOT / "data"), train=train, transform=LECTURE_TRANSFORM)
        for i in (0, 1, 12345 % n, n - 1):
            img, label = ds[i]
            assert torch.equal(images[i], img.reshape(-1)) and labels[i] == label
    assert ae.load_mnist()[0] is ae.load_mnist()[0], "loaded once per process"


def test_forced_sample(fresh_data):
    fresh_data("sample")
    (xtr, ytr), (xte, yte) = ae.load_mnist(True), ae.load_mnist(False)
    assert data_mod.data_source() == "sample"
    assert xtr.shape == (4000, 784) and xte.shape == (1000, 784)
    assert xtr.min() >= -1 and xtr.max() <= 1 and xtr.dtype == torch.float32
    assert torch.bincount(yte).tolist() == [100] * 10, "class-balanced held-out part"
    assert torch.bincount(ytr).tolist() == [400] * 10
    train_rows = {bytes(r.numpy().tobytes()) for r in xtr}
    assert not any(bytes(r.numpy().tobytes()) in train_rows for r in xte), "train and test overlap"
    assert "sample" in ae.describe_data() and "4,000" in ae.describe_data()


def test_offline_falls_back_to_sample_with_one_notice(fresh_data, capsys):
    fresh_data("auto")
    images, _ = ae.load_mnist()
    ae.load_mnist(train=False)
    out = capsys.readouterr().out
    assert len(images) == 4000 and data_mod.data_source() == "sample"
    assert out.count("using the bundled sample") == 1
    assert "MNIST/raw" in out, "the notice says how to get the full set"


def test_full_forced_offline_is_a_clear_error(fresh_data):
    root = fresh_data("full")
    with pytest.raises(MnistDataError, match="could not be downloaded") as err:
        ae.load_mnist()
    assert str(root / "MNIST" / "raw") in str(err.value)
    assert "AEHELPERS_DATASET" in str(err.value)


@pytest.mark.parametrize("bad", ["False", "training", 0, 1, None])
def test_train_flag_accepts_only_bools_and_split_names(fresh_data, bad):
    """load_mnist(train="test") used to return the training digits, since bool("test") is True."""
    fresh_data("sample")
    assert ae.load_mnist(train="test")[0] is ae.load_mnist(train=False)[0]
    assert ae.load_mnist(train="train")[0] is ae.load_mnist(train=True)[0]
    with pytest.raises(TypeError, match="train must be True"):
        ae.load_mnist(train=bad)


def test_unknown_dataset_mode(fresh_data):
    fresh_data("everything")
    with pytest.raises(ValueError, match="AEHELPERS_DATASET"):
        ae.load_mnist()


def _idx_header(magic, n, item_shape):
    import struct

    return struct.pack(">II", magic, n) + struct.pack(">" + "I" * len(item_shape), *item_shape)


def _fake_full(root, images_bytes):
    """A data folder with four small hand-made IDX files, the training images replaced by ``images_bytes``.

    Runs on every machine: no full MNIST needed (the loader checks the training images first).
    """
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for name, (magic, shape) in data_mod._RAW_FILES.items():
        (raw / name).write_bytes(_idx_header(magic, 3, shape) + bytes(3 * int(np.prod(shape, dtype=np.int64))))
    (raw / "train-images-idx3-ubyte").write_bytes(images_bytes)
    return raw / "train-images-idx3-ubyte"


def test_truncated_file_names_the_file_and_the_fix(fresh_data):
    root = fresh_data("auto")
    header = _idx_header(2051, 60_000, (28, 28))  # a header that promises 60,000 digits ...
    bad = _fake_full(root, header + bytes(784 * 1000))  # ... and a file cut after 1,000
    with pytest.raises(MnistDataError, match="truncated or corrupt") as err:
        ae.load_mnist()
    assert str(bad) in str(err.value) and "Delete it" in str(err.value)


def test_short_header_is_reported(fresh_data):
    root = fresh_data("auto")
    bad = _fake_full(root, b"\x00\x00")
    with pytest.raises(MnistDataError, match="truncated") as err:
        ae.load_mnist()
    assert str(bad) in str(err.value)


def test_gzipped_or_garbage_file_is_reported(fresh_data):
    root = fresh_data("auto")
    bad = _fake_full(root, b"\x1f\x8b\x08\x00" + bytes(100))
    with pytest.raises(MnistDataError, match="magic number") as err:
        ae.load_mnist()
    assert str(bad) in str(err.value)


def test_missing_or_corrupt_sample(fresh_data, monkeypatch, tmp_path):
    fresh_data("sample")
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip file")
    monkeypatch.setattr(data_mod, "sample_path", lambda: broken)
    with pytest.raises(MnistDataError, match="bundled MNIST sample"):
        ae.load_mnist()


def test_non_editable_install_keeps_the_sample_and_uses_a_user_folder(monkeypatch, tmp_path):
    """Installed into site-packages there is no repository around the package: data goes to the user's cache."""
    monkeypatch.delenv("AEHELPERS_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(data_mod, "REPO_ROOT", tmp_path / "site-packages")
    assert data_mod.data_dir() == tmp_path / "cache" / "aehelpers"
    assert data_mod.sample_path().parent == Path(data_mod.__file__).resolve().parent, "package data"


def test_the_sample_is_declared_as_package_data():
    import tomllib

    meta = tomllib.loads((data_mod.REPO_ROOT / "pyproject.toml").read_text())
    assert data_mod.SAMPLE_FILE in meta["tool"]["setuptools"]["package-data"]["aehelpers"]


def test_data_dir_is_the_repository_folder_from_any_cwd(monkeypatch):
    monkeypatch.delenv("AEHELPERS_DATA", raising=False)
    monkeypatch.chdir(data_mod.REPO_ROOT / "notebooks")
    assert data_mod.data_dir() == data_mod.REPO_ROOT / "data"
    monkeypatch.setenv("AEHELPERS_DATA", "/tmp/elsewhere")
    assert data_mod.data_dir() == Path("/tmp/elsewhere").resolve()


def test_sample_file_is_small_and_committed():
    assert data_mod.sample_path().stat().st_size <= 2 * 1024 * 1024
    with np.load(data_mod.sample_path()) as npz:
        assert sorted(npz.files) == ["test_images", "test_labels", "train_images", "train_labels"]
        assert npz["train_images"].dtype == np.uint8
