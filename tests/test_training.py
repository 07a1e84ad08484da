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


def test_device_choice_and_override(monkeypatch):
    monkeypatch.setenv("AEHELPERS_DEVICE", "cpu")
    assert ae.device() == torch.device("cpu")
    monkeypatch.delenv("AEHELPERS_DEVICE")
    expected = "cuda" if torch.cuda.is_available() else ("mps" if torch.backends.mps.is_available() else "cpu")
    assert ae.device().type == expected


def test_lean_fused_adam_matches_torch_adam():
    from aehelpers.training import _FusedAdam

    def run(make_opt):
        torch.manual_seed(0)
        model = ae.Autoencoder(784, 6)
        opt = make_opt(model)
        x = torch.rand(32, 784, generator=torch.Generator().manual_seed(1)) * 2 - 1
        for _ in range(5):
            loss = F.mse_loss(model(x), x)
            opt.zero_grad()
            loss.backward()
            opt.step()
        return torch.cat([p.detach().flatten() for p in model.parameters()])

    assert _FusedAdam.available(torch.device("cpu"))
    lean = run(lambda m: _FusedAdam(m.parameters(), lr=1e-3))
    assert torch.equal(lean, run(lambda m: torch.optim.Adam(m.parameters(), lr=1e-3, fused=True)))
    assert torch.allclose(lean, run(lambda m: torch.optim.Adam(m.parameters(), lr=1e-3)), atol=1e-6)


def test_lecture_step_gives_autograd_gradients(digits):
    """The chain rule written out for the lecture's model equals loss.backward()."""
    from aehelpers.training import _lecture_step

    model = _model(d=12)
    x = digits[:100] * ae.dropout_noise((100, 784), generator=torch.Generator().manual_seed(2))
    img = digits[:100]
    loss = _lecture_step(model, x, img)
    by_hand = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    expected = F.mse_loss(model(x), img)
    expected.backward()
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)
    for name, mine, ref in zip(["W_h", "b_h", "W_x", "b_x"], by_hand, [p.grad for p in model.parameters()]):
        assert mine.shape == ref.shape
        assert torch.allclose(mine, ref, rtol=1e-5, atol=1e-8), name


@pytest.mark.parametrize("denoise", [False, True])
def test_by_hand_and_autograd_training_agree(digits, denoise):
    kw = dict(epochs=2, batch_size=64, denoise=denoise, progress=False, device="cpu")
    auto, grad = _model(), _model()
    a = ae.fit(auto, digits, backward="auto", **kw)
    b = ae.fit(grad, digits, backward="autograd", **kw)
    assert a == pytest.approx(b, rel=1e-4)
    for p, q in zip(auto.parameters(), grad.parameters()):
        assert torch.allclose(p, q, atol=1e-5)


@pytest.mark.parametrize("make, criterion", [
    (lambda: ae.Autoencoder(784, 8, hidden=(16,)), None),
    (lambda: ae.Autoencoder(784, 8, output="sigmoid"), nn.BCELoss()),
    (lambda: ae.Autoencoder(784, 8), nn.L1Loss()),
    (lambda: ae.Autoencoder(784, 8), nn.MSELoss(reduction="sum")),
    (lambda: nn.Sequential(nn.Linear(784, 8), nn.Tanh(), nn.Linear(8, 784), nn.Tanh()), None),
])
def test_only_the_lecture_model_with_mse_takes_the_by_hand_path(make, criterion):
    from aehelpers.training import _is_lecture_model

    assert _is_lecture_model(ae.Autoencoder(784, 8), None)
    assert _is_lecture_model(ae.Autoencoder(784, 8), nn.MSELoss())
    assert not _is_lecture_model(make(), criterion)
    watched = ae.Autoencoder(784, 8)
    watched.decoder.register_forward_hook(lambda *a: None)
    assert not _is_lecture_model(watched, None)
    frozen = ae.Autoencoder(784, 8)
    frozen.encoder.requires_grad_(False)
    assert not _is_lecture_model(frozen, None)


def test_bad_backward_choice_rejected(digits):
    with pytest.raises(ValueError, match="'auto' or 'autograd'"):
        ae.fit(_model(), digits, epochs=1, backward="manual", progress=False)


def test_inf_images_are_rejected(digits):
    bad = digits.clone()
    bad[3, 5] = float("inf")
    with pytest.raises(ValueError, match="NaN or infinite"):
        ae.fit(_model(), bad, epochs=1, progress=False, device="cpu")


def test_bce_loss_equals_torch_bce_in_value_and_gradient():
    g = torch.Generator().manual_seed(0)
    z = torch.randn(64, 784, generator=g) * 8  # includes saturated sigmoid outputs
    z[0, :4] = torch.tensor([100.0, -100.0, 0.0, 20.0])
    target = torch.rand(64, 784, generator=g)
    target[1] = (target[1] > 0.5).float()  # binary targets too
    values, grads = [], []
    for loss_fn in (ae.BCELoss(), nn.BCELoss()):
        zz = z.clone().requires_grad_(True)
        loss = loss_fn(torch.sigmoid(zz), target)
        loss.backward()
        values.append(loss.item())
        grads.append(zz.grad)
    assert values[0] == pytest.approx(values[1], rel=1e-6)
    assert torch.allclose(grads[0], grads[1], rtol=1e-5, atol=1e-10)
    assert torch.isfinite(grads[0]).all()


@pytest.mark.parametrize("x_hat, match", [
    (torch.full((2, 3), 1.5), "probabilities in"),
    (torch.full((2, 3), -0.1), "probabilities in"),
    (torch.full((2, 3), float("nan")), "probabilities in"),
    (torch.full((3, 2), 0.5), "same shape"),
])
def test_bce_loss_rejects_bad_predictions(x_hat, match):
    with pytest.raises(ValueError, match=match):
        ae.BCELoss()(x_hat, torch.zeros(2, 3))


def test_fit_with_bce_trains_a_sigmoid_model(digits):
    torch.manual_seed(0)
    model = ae.Autoencoder(784, 8, output="sigmoid")
    losses = ae.fit(model, (digits + 1) / 2, epochs=3, batch_size=64, lr=1e-2, criterion=ae.BCELoss(),
                    progress=False, device="cpu")
    assert losses[-1] < 0.9 * losses[0]


def test_bad_p_rejected_when_denoising(digits):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ae.fit(_model(), digits, epochs=1, denoise=True, p=1.0, progress=False, device="cpu")
