"""aehelpers.cache: load-or-train, keyed, atomic, robust to stale and corrupt files."""

import os
import subprocess
import sys

import pytest
import torch

import aehelpers as ae
from aehelpers import cache


class Recorder:
    """A tiny training function that counts its calls."""

    def __init__(self):
        self.calls = 0

    def __call__(self, model):
        self.calls += 1
        with torch.no_grad():
            for p in model.parameters():
                p.add_(1.0)
        return [0.5, 0.25]


def build():
    return ae.Autoencoder(784, 4)


def test_miss_then_hit(fresh_data):
    root = fresh_data("sample")
    train = Recorder()
    a = ae.cached_model("tiny", {"d": 4}, build, train)
    path = cache.model_path("tiny", {"d": 4, "seed": 0})
    assert train.calls == 1 and path.exists() and path.parent == root / "models"
    b = ae.cached_model("tiny", {"d": 4}, build, train)
    assert train.calls == 1, "second call loads instead of training"
    assert a.losses == b.losses == [0.5, 0.25]
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)
    assert not b.training and next(b.parameters()).device.type == "cpu"
    assert [p.name for p in path.parent.iterdir()] == [path.name], "no temporary files left"


def test_key_includes_every_setting_and_the_data_source(fresh_data):
    fresh_data("sample")
    p1 = cache.model_path("tiny", {"d": 4, "seed": 0})
    assert p1 != cache.model_path("tiny", {"d": 5, "seed": 0})
    assert p1 != cache.model_path("tiny", {"d": 4, "seed": 1})
    assert p1 != cache.model_path("other", {"d": 4, "seed": 0})
    key = cache._key("tiny", {"d": 4})
    assert key["data"] == "sample" and key["n_train"] == 4000


def test_seeded_initialisation_without_touching_global_rng(fresh_data):
    fresh_data("sample")
    torch.manual_seed(99)
    before = torch.rand(1)
    torch.manual_seed(99)
    untrained = lambda model: []  # noqa: E731
    m1 = ae.cached_model("init", {}, build, untrained, seed=5)
    after = torch.rand(1)
    assert torch.equal(before, after), "global RNG untouched"
    torch.manual_seed(5)
    assert torch.equal(m1.encoder[0].weight, build().encoder[0].weight)


@pytest.mark.parametrize("content", [b"garbage", b""])
def test_corrupt_file_is_retrained_with_a_notice(fresh_data, capsys, content):
    fresh_data("sample")
    train = Recorder()
    ae.cached_model("tiny", {"d": 4}, build, train)
    path = cache.model_path("tiny", {"d": 4, "seed": 0})
    path.write_bytes(content)
    ae.cached_model("tiny", {"d": 4}, build, train)
    assert train.calls == 2 and "unreadable" in capsys.readouterr().out
    ae.cached_model("tiny", {"d": 4}, build, train)
    assert train.calls == 2, "the retrained file was written back"


def test_stale_file_is_retrained_with_a_notice(fresh_data, capsys):
    fresh_data("sample")
    path = cache.model_path("tiny", {"d": 4, "seed": 0})
    path.parent.mkdir(parents=True)
    torch.save({"key": {"format": 0}, "state_dict": build().state_dict(), "losses": [1.0]}, path)
    train = Recorder()
    ae.cached_model("tiny", {"d": 4}, build, train)
    assert train.calls == 1 and "other settings" in capsys.readouterr().out


def test_wrong_shapes_are_retrained(fresh_data, capsys):
    fresh_data("sample")
    train = Recorder()
    ae.cached_model("tiny", {"d": 4}, build, train)
    ae.cached_model("tiny", {"d": 4}, lambda: ae.Autoencoder(784, 6), train)  # same key, other shapes
    assert train.calls == 2 and "unreadable" in capsys.readouterr().out


def test_retrain_env_forces_training(fresh_data, monkeypatch):
    fresh_data("sample")
    train = Recorder()
    ae.cached_model("tiny", {"d": 4}, build, train)
    monkeypatch.setenv("AEHELPERS_RETRAIN", "1")
    ae.cached_model("tiny", {"d": 4}, build, train)
    assert train.calls == 2


def test_failed_training_leaves_no_file(fresh_data):
    fresh_data("sample")

    def boom(model):
        raise ae.TrainingDivergedError("nan")

    with pytest.raises(ae.TrainingDivergedError):
        ae.cached_model("tiny", {"d": 4}, build, boom)
    assert not cache.model_path("tiny", {"d": 4, "seed": 0}).exists()


OFFLINE_SCRIPT = """
import aehelpers as ae
model = ae.trained_autoencoder(d=30, progress=False)
x = ae.load_mnist(train=False)[0]
mse = ae.masked_mse(ae.reconstruct(model, x), x)
baseline = ae.masked_mse(ae.load_mnist()[0].mean(0).expand_as(x), x)
print(ae.describe_data())
print(f"epochs={len(model.losses)} mse={mse:.4f} baseline={baseline:.4f}")
assert len(model.losses) == 20 and model.losses[-1] < model.losses[0]
assert mse < 0.75 * baseline  # measured 0.171 vs 0.271: 320 steps on 4,000 digits
again = ae.trained_autoencoder(d=30, progress=False)
assert again.losses == model.losses
"""


@pytest.mark.slow
def test_lecture_recipe_runs_offline_on_the_bundled_sample(tmp_path):
    """The offline path end to end, in a fresh process: sample forced, empty data folder."""
    env = {**os.environ, "AEHELPERS_DATASET": "sample", "AEHELPERS_DATA": str(tmp_path),
           "AEHELPERS_DEVICE": "cpu"}
    env.pop("AEHELPERS_RETRAIN", None)
    run = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT], env=env, capture_output=True, text=True,
                         timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "bundled MNIST sample: 4,000 training / 1,000 test" in run.stdout
    assert len(list((tmp_path / "models").glob("autoencoder-*.pt"))) == 1


def test_a_load_that_fails_half_way_retrains_from_fresh_weights(fresh_data, capsys):
    """load_state_dict copies the tensors that fit before it fails; retraining must not start from them."""
    fresh_data("sample")
    path = cache.model_path("tiny", {"d": 4, "seed": 0})
    path.parent.mkdir(parents=True)
    state = build().state_dict()
    state["encoder.0.weight"] = torch.full_like(state["encoder.0.weight"], 7.0)  # loads ...
    state["decoder.0.weight"] = torch.zeros(3, 3)                                 # ... then fails
    torch.save({"key": cache._key("tiny", {"d": 4, "seed": 0}), "state_dict": state, "losses": [1.0]}, path)
    seen = []

    def train(model):
        seen.append(model.encoder[0].weight.detach().clone())
        return [0.1]

    ae.cached_model("tiny", {"d": 4}, build, train)
    assert "unreadable" in capsys.readouterr().out
    torch.manual_seed(0)
    assert torch.equal(seen[0], build().encoder[0].weight), "training starts from the seeded initial weights"


@pytest.mark.parametrize("config", [{"loss": lambda x: x}, {"w": torch.ones(2)}, {"lr": float("nan")}, ["d", 4]])
def test_config_must_be_plain_json(fresh_data, config):
    """str() of a lambda or tensor holds a memory address: such a key would retrain in every session."""
    fresh_data("sample")
    with pytest.raises(TypeError, match="JSON values|must be a dict"):
        ae.cached_model("tiny", config, build, Recorder())
