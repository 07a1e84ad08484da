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
    losses = ae.fit(_model(), digits, epochs=4, batch_size=64, lr=1e-2, progress=False)
    assert len(losses) == 4 and all(isinstance(v, float) for v in losses)
    assert losses[-1] < 0.8 * losses[0]


def test_fit_loss_is_the_mean_mse_over_the_epoch(digits):
    """With lr=0 nothing changes: the epoch loss must equal the model's full-data MSE."""
    model = _model()
    expected = F.mse_loss(model(digits), digits).item()
    losses = ae.fit(model, digits, epochs=2, batch_size=100, lr=0.0, progress=False)
    assert losses == pytest.approx([expected, expected], rel=1e-5)


@pytest.mark.slow
def test_same_seed_same_losses_other_seed_other_losses(digits):
    a = ae.fit(_model(), digits, epochs=2, batch_size=64, seed=3, progress=False)
    b = ae.fit(_model(), digits, epochs=2, batch_size=64, seed=3, progress=False)
    c = ae.fit(_model(), digits, epochs=2, batch_size=64, seed=4, progress=False)
    assert a == b and a != c


def test_corrupt_feeds_corrupted_input_and_targets_clean(digits):
    seen = []
    model = _model()
    model.register_forward_pre_hook(lambda m, args: seen.append(args[0].detach().clone()))
    ae.fit(model, digits, epochs=1, batch_size=512, lr=0.0, corrupt=ae.dropout_corruption(0.5), progress=False)
    x = seen[0]
    ratio = x / digits[torch.randperm(512, generator=torch.Generator().manual_seed(0))]
    zeros = (x == 0).float().mean().item()
    assert 0.45 < zeros < 0.75, "about half the pixels (plus the exact zeros of the data) are dropped"
    kept = ratio[(x != 0)]
    assert torch.allclose(kept, torch.full_like(kept, 2.0)), "kept pixels are doubled, as by nn.Dropout"


def test_nan_loss_stops_training_with_a_clear_error(digits):
    nan_loss = lambda out, target: F.mse_loss(out, target) * float("nan")  # noqa: E731
    with pytest.raises(ae.TrainingDivergedError, match="smaller learning rate"):
        ae.fit(_model(), digits, epochs=3, criterion=nan_loss, progress=False)


def test_diverging_training_is_caught(digits):
    model = ae.TiedAutoencoder(784, 784, linear=True)  # unbounded outputs: nothing stops the blow-up
    with pytest.raises(ae.TrainingDivergedError, match="epoch"):
        ae.fit(model, digits * 1e20, epochs=2, lr=1e3, progress=False)


def test_a_model_without_the_contract_is_refused_before_training(digits):
    with pytest.raises(TypeError, match="must be an ae.EncoderDecoder.*subclass ae.EncoderDecoder"):
        ae.fit(nn.Sequential(nn.Linear(784, 8), nn.Linear(8, 784)), digits, epochs=1, progress=False)


def test_penalty_is_added_to_the_loss(digits):
    """lr=0: the epoch loss is the MSE plus the penalty, both over the full data."""
    model = _model()
    expected = (F.mse_loss(model(digits), digits) + 0.3 * ae.contractive_penalty(model, digits)).item()
    losses = ae.fit(model, digits, epochs=1, batch_size=512, lr=0.0, progress=False,
                    penalty=lambda m, x: 0.3 * ae.contractive_penalty(m, x))
    assert losses == pytest.approx([expected], rel=1e-5)


@pytest.mark.slow
def test_the_contractive_penalty_contracts():
    points, _ = ae.TwoBranchCurve().sample(512, seed=0)
    penalties = []
    for lam in (0.0, 0.1):
        torch.manual_seed(0)
        model = ae.Autoencoder(2, 16)
        ae.fit(model, points, epochs=30, batch_size=64, lr=1e-2, progress=False,
               penalty=None if lam == 0 else lambda m, x, lam=lam: lam * ae.contractive_penalty(m, x))
        penalties.append(float(ae.contractive_penalty(model, points).detach()))
    assert penalties[1] < 0.5 * penalties[0]


def test_gaussian_corruption_is_fresh_every_batch_and_seeded():
    points, _ = ae.TwoBranchCurve().sample(256, seed=0)

    def noise_seen(seed):
        inputs, targets = [], []
        model = ae.Autoencoder(2, 8)
        model.register_forward_pre_hook(lambda m, args: inputs.append(args[0].detach().clone()))
        ae.fit(model, points, epochs=2, batch_size=128, lr=0.0, corrupt=ae.gaussian_corruption(0.3), seed=seed,
               criterion=lambda out, target: targets.append(target.clone()) or F.mse_loss(out, target),
               progress=False)
        return [x - t for x, t in zip(inputs, targets)]  # what was added to each clean batch

    noise = noise_seen(seed=1)
    assert len(noise) == 4 and all(0.25 < float(n.std()) < 0.35 for n in noise)
    assert not any(torch.allclose(noise[i], noise[j]) for i in range(4) for j in range(i))  # fresh every batch
    assert all(torch.equal(a, b) for a, b in zip(noise, noise_seen(seed=1)))                 # and seeded


def test_fit_reads_on_one_screen():
    """ae.fit?? shows the lecture's five steps within 60 lines, docstring included."""
    import inspect

    source = inspect.getsource(ae.fit)
    assert len(source.splitlines()) <= 60
    steps = ["output = model(x)", "loss = criterion(output, target)", "optimizer.zero_grad()", "loss.backward()",
             "optimizer.step()"]
    where = [source.index(step) for step in steps]
    assert where == sorted(where), "the five steps appear in the lecture's order"


@pytest.mark.parametrize("bad, match", [
    (lambda d: d.reshape(-1, 28, 28), "shape"),
    (lambda d: d[:, :100], "the model expects 784"),
    (lambda d: d.to(torch.int64), "float"),
    (lambda d: d.numpy(), "torch.Tensor"),
    (lambda d: torch.where(d > 0.9, float("nan"), d), "NaN"),
])
def test_bad_images_are_rejected(digits, bad, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ae.fit(_model(), bad(digits), epochs=1, progress=False)


def test_bad_epochs_rejected(digits):
    with pytest.raises(ValueError, match="positive"):
        ae.fit(_model(), digits, epochs=0, progress=False)


def test_progress_bar_only_when_asked(digits, capsys):
    ae.fit(_model(), digits[:64], epochs=2, progress=False)
    assert capsys.readouterr().err == ""
    ae.fit(_model(), digits[:64], epochs=2, progress=True)
    err = capsys.readouterr().err
    assert "training" in err and "2/2" in err and "loss=" in err


def test_inf_images_are_rejected(digits):
    bad = digits.clone()
    bad[3, 5] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        ae.fit(_model(), bad, epochs=1, progress=False)


def test_fit_with_bce_trains_a_sigmoid_model(digits):
    torch.manual_seed(0)
    model = ae.Autoencoder(784, 8, output="sigmoid")
    losses = ae.fit(model, (digits + 1) / 2, epochs=3, batch_size=64, lr=1e-2, criterion=nn.BCELoss(),
                    progress=False)
    assert losses[-1] < 0.9 * losses[0]


def test_targets_are_what_the_output_is_compared_with(digits):
    """targets=: the model sees images, the loss compares with targets (lr=0: nothing moves)."""
    model = ae.Autoencoder(784, 8, output="sigmoid")
    targets = (digits + 1) / 2
    expected = nn.BCELoss()(model(digits), targets).item()
    losses = ae.fit(model, digits, targets=targets, epochs=1, batch_size=100, lr=0.0,
                    criterion=nn.BCELoss(), progress=False)
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
           progress=False)
    for x, target in zip(pairs, crit_seen):
        assert torch.equal(target, (x + 1) / 2)


def test_targets_equal_to_images_change_nothing(digits):
    a = ae.fit(_model(), digits, epochs=2, batch_size=64, progress=False)
    b = ae.fit(_model(), digits, targets=digits.clone(), epochs=2, batch_size=64, progress=False)
    assert a == b


@pytest.mark.parametrize("targets, match", [
    (lambda d: d[:10], "give one target row per input digit"),
    (lambda d: d[:, :100], "targets has 100 features per image"),
    (lambda d: d.long(), "targets must be a float tensor"),
    (lambda d: (d + 1) * 127.5, "targets lie in"),
])
def test_bad_targets_get_clear_errors(digits, targets, match):
    with pytest.raises((TypeError, ValueError), match=match):
        ae.fit(_model(), digits, targets=targets(digits), epochs=1, progress=False)


def _reference_loop(model, data, *, epochs, batch_size, lr, seed, denoise=False, p=0.5):
    """The five steps written out with torch.optim.Adam(fused=True): what fit promises to run
    (denoising: a mask drawn as ``torch.rand(...) >= p``, kept pixels scaled by 1 / (1 - p))."""
    from aehelpers.training import batches

    criterion = nn.MSELoss()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, fused=True)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in batches(len(data), batch_size, gen):
            img = data.index_select(0, idx)
            x = img * (torch.rand(img.shape, generator=gen) >= p).float() / (1 - p) if denoise else img
            loss = criterion(model(x), img)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


@pytest.mark.slow
@pytest.mark.parametrize("denoise", [False, True])
def test_fit_is_the_five_steps_with_torch_adam(digits, denoise):
    """fit == the lecture's loop with torch.optim.Adam (and, denoising, the dropout mask)."""
    kw = dict(epochs=2, batch_size=64, lr=1e-3, seed=5)
    fitted = _model()
    ae.fit(fitted, digits, progress=False, corrupt=ae.dropout_corruption(0.5) if denoise else None, **kw)
    reference = _reference_loop(_model(), digits, denoise=denoise, **kw)
    for a, b in zip(fitted.parameters(), reference.parameters()):
        assert torch.equal(a, b)


def test_denoising_changes_what_is_learnt(digits):
    plain, noisy = _model(), _model()
    ae.fit(plain, digits, epochs=1, batch_size=64, progress=False)
    ae.fit(noisy, digits, epochs=1, batch_size=64, corrupt=ae.dropout_corruption(0.5), progress=False)
    assert not torch.equal(plain.encoder[0].weight, noisy.encoder[0].weight)


@pytest.mark.parametrize("make, data, criterion, match", [
    (lambda: ae.Autoencoder(784, 8), lambda d: (d + 1) * 127.5, None, r"outputs lie in \(-1.0, 1.0\).*x / 127.5 - 1"),
    (lambda: ae.Autoencoder(784, 8, output="sigmoid"), lambda d: d, None, r"outputs lie in \(0.0, 1.0\).*\(x \+ 1\) / 2"),
    (lambda: ae.TiedAutoencoder(784, 8, linear=True), lambda d: d, nn.BCELoss(), "BCELoss needs targets in"),
])
def test_data_the_model_cannot_reach_is_refused(digits, make, data, criterion, match):
    with pytest.raises(ValueError, match=match):
        ae.fit(make(), data(digits), epochs=1, criterion=criterion, progress=False)


@pytest.mark.parametrize("kw, match", [
    (dict(corrupt="dropout"), "corrupt must be a function"),
    (dict(penalty=0.1), "penalty must be a function"),
    (dict(progress="yes"), "progress must be True or False"),
    (dict(batch_size=2.5), "batch_size must be a positive int"),
    (dict(lr=-1e-3), "lr must be a finite number >= 0"),
    (dict(lr=float("nan")), "lr must be a finite number >= 0"),
    (dict(seed=-1), "seed must be a non-negative int"),
])
def test_bad_arguments_get_clear_errors(digits, kw, match):
    with pytest.raises((TypeError, ValueError), match=match):
        ae.fit(_model(), digits, epochs=1, **kw)


def test_numpy_integers_are_accepted(digits):
    import numpy as np

    losses = ae.fit(_model(), digits[:128], epochs=np.int64(1), batch_size=np.int32(64), progress=False)
    assert len(losses) == 1


TRAIN_IN_A_NEW_PROCESS = """
import sys, torch, aehelpers as ae
from aehelpers.data import _load_sample, normalize
x = normalize(_load_sample(train=False)[0])[:512]
torch.manual_seed(0)
model = ae.Autoencoder(784, 8)
ae.fit(model, x, epochs=2, batch_size=64, corrupt=ae.dropout_corruption(0.5), seed=7, progress=False)
torch.save(model.state_dict(), sys.argv[1])
"""


@pytest.mark.slow
def test_training_is_deterministic_across_processes(tmp_path):
    """Train the same model in two fresh processes: bitwise the same weights on the CPU."""
    import subprocess
    import sys

    paths = [tmp_path / "a.pt", tmp_path / "b.pt"]
    for path in paths:
        subprocess.run([sys.executable, "-c", TRAIN_IN_A_NEW_PROCESS, str(path)], check=True, timeout=300)
    a, b = (torch.load(p, weights_only=True) for p in paths)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_bad_p_rejected_when_denoising():
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ae.dropout_corruption(1.0)
