"""aehelpers.noise and aehelpers.model: the lecture's mask and autoencoder."""

import pytest
import torch
from torch import nn

import aehelpers as ae


@pytest.mark.parametrize("p", [0.5, 0.2, 0.8])
def test_dropout_noise_is_bitwise_the_lectures_line(p):
    torch.manual_seed(123)
    lecture = nn.Dropout(p)(torch.ones(64, 784))
    torch.manual_seed(123)
    ours = ae.dropout_noise((64, 784), p)
    assert torch.equal(ours, lecture)


@pytest.mark.parametrize("p", [0.5, 0.1, 0.9])
def test_dropout_noise_statistics(p):
    g = torch.Generator().manual_seed(0)
    noise = ae.dropout_noise((1000, 784), p, generator=g)
    values = noise.unique()
    assert len(values) == 2 and values[0] == 0
    assert values[1].item() == pytest.approx(1 / (1 - p), rel=1e-6)
    n = noise.numel()
    frac = ae.dropped(noise).float().mean().item()
    assert abs(frac - p) < 5 * (p * (1 - p) / n) ** 0.5
    assert abs(noise.mean().item() - 1) < 0.01, "dropout keeps the mean at 1"


def test_dropout_noise_default_values_are_0_and_2():
    assert set(ae.dropout_noise((10, 784)).unique().tolist()) == {0.0, 2.0}


def test_dropout_noise_generator_is_deterministic():
    a = ae.dropout_noise((5, 784), generator=torch.Generator().manual_seed(7))
    b = ae.dropout_noise((5, 784), generator=torch.Generator().manual_seed(7))
    c = ae.dropout_noise((5, 784), generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)


@pytest.mark.parametrize("p", [-0.1, 1.0, 1.5, "0.5", True, float("nan")])
def test_dropout_noise_rejects_bad_p(p):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ae.dropout_noise((2, 2), p)


def test_autoencoder_is_the_lectures_model():
    m = ae.Autoencoder()
    assert [type(layer) for layer in m.encoder] == [nn.Linear, nn.Tanh]
    assert [type(layer) for layer in m.decoder] == [nn.Linear, nn.Tanh]
    assert m.encoder[0].weight.shape == (30, 784)  # W_h
    assert m.decoder[0].weight.shape == (784, 30)  # W_x
    x = torch.randn(7, 784) * 100
    assert m(x).shape == (7, 784) and m.encode(x).shape == (7, 30)
    assert m(x).abs().max() <= 1, "tanh bounds the output to [-1, 1]"
    assert torch.equal(m.decode(m.encode(x)), m(x))


def test_deeper_and_sigmoid_variants():
    m = ae.Autoencoder(784, 10, hidden=(64, 32), output="sigmoid")
    sizes = [layer.out_features for layer in m.encoder if isinstance(layer, nn.Linear)]
    assert sizes == [64, 32, 10]
    assert [layer.out_features for layer in m.decoder if isinstance(layer, nn.Linear)] == [32, 64, 784]
    out = m(torch.randn(3, 784))
    assert out.min() >= 0 and out.max() <= 1 and isinstance(m.decoder[-1], nn.Sigmoid)


@pytest.mark.parametrize("kwargs, match", [
    (dict(d=0), "d must be"), (dict(n=-3), "n must be"), (dict(hidden=(10, 0)), r"hidden\[1\]"),
    (dict(output="relu"), "output must be"), (dict(d=2.5), "d must be"),
])
def test_autoencoder_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        ae.Autoencoder(**kwargs)


@pytest.mark.parametrize("p", [0.5, 0.1, 0.9])
def test_dropout_corruption_has_the_dropout_masks_distribution(p):
    corrupt = ae.dropout_corruption(p)
    ones = torch.ones(1000, 784)
    noise = corrupt(ones, torch.Generator().manual_seed(0))  # the mask itself
    assert noise.dtype == torch.float32 and noise.shape == (1000, 784)
    values = noise.unique()
    assert values[0] == 0 and values[1].item() == pytest.approx(1 / (1 - p), rel=1e-6) and len(values) == 2
    frac = ae.dropped(noise).float().mean().item()
    assert abs(frac - p) < 5 * (p * (1 - p) / noise.numel()) ** 0.5
    assert torch.equal(noise, corrupt(ones, torch.Generator().manual_seed(0)))
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ae.dropout_corruption(1.0)
