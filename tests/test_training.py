"""aehelpers.training: fit's recipe, determinism, progress, NaN detection, bad input."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import aehelpers as ae


@pytest.fixture
def digits(sample_digits):
    return sample_digits[0][:512]


def _model(seed=0, d=8):
    torch.manual_seed(seed)
    return ae.Autoencoder(784, d)


def test_fit_learns_and_returns_one_loss_per_epoch(digits):
    losses = ae.fit(_model(), digits, epochs=4, batch_size=64, lr=1e-2, progress=False, device="cpu")
    assert len(losses) == 4 and all(isinstance(v, float) for v in losses)
    assert losses[-1] < 0.8 * losses[0]


def test_fit_loss_is_the_mean_mse_over_the_epoch(digits):
    """With lr=0 nothing changes: the epoch loss must equal the model's full-data MSE."""
    model = _model()
    expected = F.mse_loss(model(digits), digits).item()
    losses = ae.fit(model, digits, epochs=2, batch_size=100, lr=0.0, progress=False, device="cpu")
    assert losses == pytest.approx([expected, expected], rel=1e-5)


def test_same_seed_same_losses_other_seed_other_losses(digits):
    a = ae.fit(_model(), digits, epochs=2, batch_size=64, seed=3, progress=False, device="cpu")
    b = ae.fit(_model(), digits, epochs=2, batch_size=64, seed=3, progress=False, device="cpu")
    c = ae.fit(_model(), digits, epochs=2, batch_size=64, seed=4, progress=False, device="cpu")
    assert a == b and a != c


def test_denoise_feeds_corrupted_input_and_targets_clean(digits):
    seen = []
    model = _model()
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    ae.fit(model, digits, epochs=1, batch_size=512, lr=0.0, denoise=True, p=0.5, progress=False, device="cpu")
    x = seen[0]
    ratio = x / digits[torch.randperm(512, generator=torch.Generator().manual_seed(0))]
    zeros = (x == 0).float().mean().item()
    assert 0.45 < zeros < 0.75, "about half the pixels (plus the exact zeros of the data) are dropped"
    kept = ratio[(x != 0)]
    assert torch.allclose(kept, torch.full_like(kept, 2.0)), "kept pixels are doubled, as by nn.Dropout"


def test_nan_loss_stops_training_with_a_clear_error(digits):
    nan_loss = lambda out, target: F.mse_loss(out, target) * float("nan")  # noqa: E731
    with pytest.raises(ae.TrainingDivergedError, match="smaller learning rate"):
        ae.fit(_model(), digits, epochs=3, criterion=nan_loss, progress=False, device="cpu")


def test_diverging_training_is_caught(digits):
    model = nn.Sequential(nn.Linear(784, 784))
    with pytest.raises(ae.TrainingDivergedError, match="epoch"):
        ae.fit(model, digits * 1e20, epochs=2, lr=1e3, progress=False, device="cpu")


@pytest.mark.parametrize("bad, match", [
    (lambda d: d.reshape(-1, 28, 28), "shape"),
    (lambda d: d[:, :100], "the model expects 784"),
    (lambda d: d.to(torch.int64), "float"),
    (lambda d: d.numpy(), "torch.Tensor"),
    (lambda d: torch.where(d > 0.9, float("nan"), d), "NaN"),
])
def test_bad_images_are_rejected(digits, bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ae.fit(_model(), bad(digits), epochs=1, progress=False, device="cpu")


def test_bad_epochs_rejected(digits):
    with pytest.raises(ValueError, match="positive"):
        ae.fit(_model(), digits, epochs=0, progress=False)


def test_progress_bar_only_when_asked(digits, capsys):
    ae.fit(_model(), digits[:64], epochs=2, progress=False, device="cpu")
    assert capsys.readouterr().err == ""
    ae.fit(_model(), digits[:64], epochs=2, progress=True, device="cpu")
    err = capsys.readouterr().err
    assert "training" in err and "2/2" in err and "loss=" in err


def test_inf_images_are_rejected(digits):
    bad = digits.clone()
    bad[3, 5] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        ae.fit(_model(), bad, epochs=1, progress=False, device="cpu")


def test_fit_with_bce_trains_a_sigmoid_model(digits):
    torch.manual_seed(0)
    model = ae.Autoencoder(784, 8, output="sigmoid")
    losses = ae.fit(model, (digits + 1) / 2, epochs=3, batch_size=64, lr=1e-2, criterion=nn.BCELoss(),
                    progress=False, device="cpu")
    assert losses[-1] < 0.9 * losses[0]


def test_targets_are_what_the_output_is_compared_with(digits):
    """targets=: the model sees images, the loss compares with targets (lr=0: nothing moves)."""
    model = ae.Autoencoder(784, 8, output="sigmoid")
    targets = (digits + 1) / 2
    expected = nn.BCELoss()(model(digits), targets).item()
    losses = ae.fit(model, digits, targets=targets, epochs=1, batch_size=100, lr=0.0,
                    criterion=nn.BCELoss(), progress=False, device="cpu")
    assert losses == pytest.approx([expected], rel=1e-5)


def test_targets_follow_the_shuffle_row_by_row(digits):
    """Each input row is compared with its own target row, whatever the batch order."""
    torch.manual_seed(0)
    model = ae.Autoencoder(784, 8, output="sigmoid")
    pairs = []
    model.register_forward_hook(lambda m, args, out: pairs.append(args[0].detach().clone()))
    crit_seen = []

    def criterion(output, target):
        crit_seen.append(target.detach().clone())
        return F.mse_loss(output, target)

    ae.fit(model, digits, targets=(digits + 1) / 2, epochs=1, batch_size=64, lr=0.0, criterion=criterion,
           progress=False, device="cpu")
    for x, target in zip(pairs, crit_seen):
        assert torch.equal(target, (x + 1) / 2)


def test_targets_equal_to_images_change_nothing(digits):
    a = ae.fit(_model(), digits, epochs=2, batch_size=64, progress=False, device="cpu")
    b = ae.fit(_model(), digits, targets=digits.clone(), epochs=2, batch_size=64, progress=False, device="cpu")
    assert a == b


@pytest.mark.parametrize("targets, match", [
    (lambda d: d[:10], "give one target row per input digit"),
    (lambda d: d[:, :100], "targets has 100 features per image"),
    (lambda d: d.long(), "targets must be a float tensor"),
    (lambda d: (d + 1) * 127.5, "targets lie in"),
])
def test_bad_targets_get_clear_errors(digits, targets, match):
    with pytest.raises((TypeError, ValueError), match=match):
        ae.fit(_model(), digits, targets=targets(digits), epochs=1, progress=False, device="cpu")


def _reference_loop(model, data, *, epochs, batch_size, lr, seed, denoise=False, p=0.5):
    """The five steps written out with torch.optim.Adam(fused=True): what fit promises to run."""
    from aehelpers.training import batches

    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in batches(len(data), batch_size, gen):
            img = data.index_select(0, idx)
            x = img * ae.training_noise(img.shape, p, gen) if denoise else img
            loss = criterion(model(x), img)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


@pytest.mark.parametrize("denoise", [False, True])
def test_fit_is_the_five_steps_with_torch_adam(digits, denoise):
    """fit == the lecture's loop with torch.optim.Adam (and, denoising, the training_noise mask)."""
    kw = dict(epochs=2, batch_size=64, lr=1e-3, seed=5, denoise=denoise)
    fitted = _model()
    ae.fit(fitted, digits, progress=False, device="cpu", **kw)
    reference = _reference_loop(_model(), digits, **kw)
    for a, b in zip(fitted.parameters(), reference.parameters()):
        assert torch.equal(a, b)


def test_denoising_changes_what_is_learnt(digits):
    plain, noisy = _model(), _model()
    ae.fit(plain, digits, epochs=1, batch_size=64, progress=False, device="cpu")
    ae.fit(noisy, digits, epochs=1, batch_size=64, denoise=True, progress=False, device="cpu")
    assert not torch.equal(plain.encoder[0].weight, noisy.encoder[0].weight)


@pytest.mark.parametrize("make, data, criterion, match", [
    (lambda: ae.Autoencoder(784, 8), lambda d: (d + 1) * 127.5, None, "tanh"),
    (lambda: ae.Autoencoder(784, 8, output="sigmoid"), lambda d: d, None, "sigmoid"),
    (lambda: nn.Sequential(nn.Linear(784, 8), nn.Linear(8, 784), nn.Sigmoid()), lambda d: d, nn.BCELoss(),
     "BCELoss needs targets in"),
])
def test_data_the_model_cannot_reach_is_refused(digits, make, data, criterion, match):
    with pytest.raises(ValueError, match=match):
        ae.fit(make(), data(digits), epochs=1, criterion=criterion, progress=False, device="cpu")


@pytest.mark.parametrize("kw, match", [
    (dict(denoise="False"), "denoise must be True or False"),
    (dict(progress="yes"), "progress must be True or False"),
    (dict(batch_size=2.5), "batch_size must be a positive int"),
    (dict(lr=-1e-3), "lr must be a finite number >= 0"),
    (dict(lr=float("nan")), "lr must be a finite number >= 0"),
    (dict(seed=-1), "seed must be a non-negative int"),
])
def test_bad_arguments_get_clear_errors(digits, kw, match):
    with pytest.raises((TypeError, ValueError), match=match):
        ae.fit(_model(), digits, epochs=1, device="cpu", **kw)


def test_numpy_integers_are_accepted(digits):
    import numpy as np

    losses = ae.fit(_model(), digits[:128], epochs=np.int64(1), batch_size=np.int32(64), progress=False,
                    device="cpu")
    assert len(losses) == 1


TRAIN_IN_A_NEW_PROCESS = """
import sys, torch, aehelpers as ae
from aehelpers.data import _load_sample, normalize
x = normalize(_load_sample(train=False)[0])[:512]
torch.manual_seed(0)
model = ae.Autoencoder(784, 8)
ae.fit(model, x, epochs=2, batch_size=64, denoise=True, seed=7, progress=False, device="cpu")
torch.save(model.state_dict(), sys.argv[1])
"""


def test_training_is_deterministic_across_processes(tmp_path):
    """Train the same model in two fresh processes: bitwise the same weights on the CPU."""
    import subprocess
    import sys

    paths = [tmp_path / "a.pt", tmp_path / "b.pt"]
    for path in paths:
        subprocess.run([sys.executable, "-c", TRAIN_IN_A_NEW_PROCESS, str(path)], check=True, timeout=300)
    a, b = (torch.load(p, weights_only=True) for p in paths)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_bad_p_rejected_when_denoising(digits):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ae.fit(_model(), digits, epochs=1, denoise=True, p=1.0, progress=False, device="cpu")
