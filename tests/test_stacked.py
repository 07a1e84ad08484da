"""fit_together: K models trained at once end where fit leaves each of them alone."""

import copy

import pytest
import torch
from torch import nn

import aehelpers as ae
from aehelpers import stacked
from aehelpers.stacked import fit_together, trained_together
from aehelpers.superres import Upsampler


def _models(seed=0):
    torch.manual_seed(seed)
    return [ae.Autoencoder(784, 6), ae.Autoencoder(784, 6), Upsampler(7, hidden=6), Upsampler(14, hidden=6)]


def _max_diff(a: nn.Module, b: nn.Module) -> float:
    return max(float((p - q).detach().abs().max()) for p, q in zip(a.parameters(), b.parameters()))


@pytest.fixture
def digits(sample_digits):
    """The sample's test digits in a fixed random order (the file is sorted by class)."""
    x, y = sample_digits
    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    return x[order], y[order]


def test_each_model_gets_what_fit_gives_it_alone(digits):
    x, y = digits
    x = x[:300]
    # subsets of different sizes: different numbers of batches and short last batches
    subsets = [y[:300] != 3, torch.arange(0, 300, 2), torch.arange(77), y[:300] != 1]
    together = _models()
    alone = copy.deepcopy(together)
    start = copy.deepcopy(together)
    losses = fit_together(together, x, subsets, epochs=3, batch_size=32, seed=5, progress=False, device="cpu")
    for k, (m, s) in enumerate(zip(alone, subsets)):
        expected = ae.fit(m, x[s], epochs=3, batch_size=32, seed=5, progress=False, device="cpu")
        assert losses[k] == pytest.approx(expected, rel=1e-4), k
        moved = _max_diff(m, start[k])
        assert moved > 1e-3, "training must move the weights for the comparison to mean anything"
        assert _max_diff(together[k], m) < 1e-4 * moved + 1e-6, k


def test_a_model_that_ran_out_of_batches_is_not_updated(digits):
    # Control: if the short model were still stepped (Adam's momentum moves weights even
    # with a zero gradient), it would differ from fit's result, which stops after its batches.
    x, _ = digits
    x = x[:200]
    models = _models()[:2]
    alone = copy.deepcopy(models[1])
    fit_together(models, x, [torch.arange(200), torch.arange(20)], epochs=2, batch_size=16,
                 progress=False, device="cpu")
    ae.fit(alone, x[:20], epochs=2, batch_size=16, progress=False, device="cpu")
    assert _max_diff(models[1], alone) < 1e-6
    extra = copy.deepcopy(alone)
    ae.fit(extra, x[:20], epochs=1, batch_size=16, progress=False, device="cpu")
    assert _max_diff(extra, alone) > 1e-4  # one more epoch is visible at this tolerance


def test_upsampler_forward_is_its_block_means_through_the_network(digits):
    x, _ = digits
    m = Upsampler(7, hidden=5)
    low = ae.downsample(x[:10], 7)
    assert torch.allclose(m(x[:10]), m.upsample(low), atol=1e-6)


def test_trained_together_caches_and_returns_losses(fresh_data, monkeypatch):
    fresh_data("sample")
    x, y = ae.load_mnist(train=True)
    trainings = []
    fit = stacked.fit_together
    monkeypatch.setattr(stacked, "fit_together", lambda *a, **k: trainings.append(1) or fit(*a, **k))

    def build():
        return [ae.Autoencoder(784, 3), ae.Autoencoder(784, 3)]

    kw = dict(seed=1, epochs=2, progress=False)
    first = trained_together("pair", {"left_out": [0, 1]}, build, x, [y != 0, y != 1], **kw)
    second = trained_together("pair", {"left_out": [0, 1]}, build, x, [y != 0, y != 1], **kw)
    assert len(trainings) == 1, "the second call loads the cached models instead of training them"
    assert len(first) == 2 and all(len(m.losses) == 2 for m in first)
    assert [m.losses for m in first] == [m.losses for m in second]
    assert _max_diff(first[0], second[0]) == 0 and _max_diff(first[0], first[1]) > 0
    assert all(not m.training for m in second)


@pytest.mark.parametrize("models, match", [
    ([], "non-empty list"),
    ([nn.Linear(784, 3)], "encoder must be nn.Sequential"),
    ([ae.Autoencoder(784, 3, hidden=(8,))], "encoder must be nn.Sequential"),
    ([ae.Autoencoder(784, 3), ae.Autoencoder(784, 4)], "same hidden and output sizes"),
])
def test_models_of_another_shape_are_refused(models, match, digits):
    x, _ = digits
    with pytest.raises((TypeError, ValueError), match=match):
        fit_together(models, x[:50], epochs=1, progress=False)


def test_bad_subsets_are_refused(digits):
    x, y = digits
    x, y = x[:50], y[:50]
    two = [ae.Autoencoder(784, 3), ae.Autoencoder(784, 3)]
    for subsets, match in [([y != 0], "one entry per model"),
                           ([y != 0, (y != 1)[:10]], "mask of length 10"),
                           ([y != 0, torch.tensor([0, 99])], "outside 0..49"),
                           ([y != 0, y > 20], "selects no image"),
                           ([y != 0, torch.tensor([0.0, 1.0])], "bool mask or integer")]:
        with pytest.raises((TypeError, ValueError), match=match):
            fit_together(two, x, subsets, epochs=1, progress=False)
    with pytest.raises(ValueError, match="tanh"):
        fit_together(two, x * 3, epochs=1, progress=False)
