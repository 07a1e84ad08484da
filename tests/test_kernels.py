"""Tests for aehelpers.kernels (notebook 04): small synthetic weights, no training."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import aehelpers as ae  # noqa: E402
from aehelpers.kernels import kernel_mosaic  # noqa: E402


def _digits():
    # 3 "digits": background -1 everywhere except a central 10x10 square with ink in some of them
    x = torch.full((100, 784), -1.0)
    square = torch.zeros(28, 28, dtype=torch.bool)
    square[9:19, 9:19] = True
    x[:, square.flatten()] = torch.rand(100, 100, generator=torch.Generator().manual_seed(0)) * 2 - 1
    x[0, 0] = 1.0  # one stray ink pixel in 1 % of the digits
    return x, square.flatten()


def test_outside_mask_from_data():
    x, square = _digits()
    out = ae.outside_mask(x)
    assert out.shape == (784,) and out.dtype == torch.bool
    assert torch.equal(out, ~square)  # pixel 0 is background in 99 % -> still outside
    strict = ae.outside_mask(x, fraction=1.0)
    assert not strict[0] and strict[1]


def test_spread_random_vs_constant_outside():
    _, square = _digits()
    outside = ~square
    g = torch.Generator().manual_seed(0)
    random_w = torch.randn(50, 784, generator=g)
    ratio = ae.outside_inside_spread(random_w, outside)
    assert ratio.shape == (50,) and ratio.dtype == torch.float64
    assert 0.7 < float(ratio.median()) < 1.3  # random weights: about the same spread both sides
    constant = random_w.clone()
    constant[:, outside] = 0.3  # constant (not zero) outside
    assert float(ae.outside_inside_spread(constant, outside).max()) < 1e-12
    scaled = random_w.clone()
    scaled[:, outside] *= 0.1
    torch.testing.assert_close(ae.outside_inside_spread(scaled, outside), ratio * 0.1)


def test_spread_accepts_model_weight_and_numpy():
    model = ae.Autoencoder(784, 7)
    outside = torch.zeros(784, dtype=torch.bool)
    outside[:300] = True
    a = ae.outside_inside_spread(model.encoder[0].weight, outside)
    b = ae.outside_inside_spread(model.encoder[0].weight.detach().numpy(), outside)
    torch.testing.assert_close(a, b)


def test_spread_errors():
    w = torch.randn(3, 784)
    with pytest.raises(TypeError, match="bool"):
        ae.outside_inside_spread(w, torch.zeros(784))
    with pytest.raises(ValueError, match="at least 2 pixels"):
        ae.outside_inside_spread(w, torch.zeros(784, dtype=torch.bool))
    with pytest.raises(ValueError, match=r"shape \(d, 784\)"):
        ae.outside_inside_spread(torch.randn(3, 100), torch.ones(784, dtype=torch.bool))
    with pytest.raises(ValueError, match="fraction"):
        ae.outside_mask(torch.zeros(3, 784), fraction=0)
    with pytest.raises(ValueError, match=r"shape \(N, features\)"):
        ae.outside_mask(torch.zeros(784))


def test_kernel_mosaic_layout():
    w = torch.arange(5, dtype=torch.float32)[:, None].repeat(1, 784)  # kernel k is constant k
    m = kernel_mosaic(w, n=5, ncols=3, pad=1)
    assert m.shape == (2 * 29 - 1, 3 * 29 - 1)
    assert m[0, 0] == 0 and m[0, 29] == 1 and m[29, 29] == 4
    assert np.isnan(m[28, 0]) and np.isnan(m[0, 28])  # gaps
    assert np.isnan(m[29, 58])  # unused tile
    ordered = kernel_mosaic(w, n=2, ncols=2, order=[4, 2])
    assert ordered[0, 0] == 4 and ordered[0, 29] == 2
    with pytest.raises(IndexError):
        kernel_mosaic(w, order=[7])
    with pytest.raises(ValueError, match="784"):
        kernel_mosaic(torch.zeros(3, 10))


def test_show_kernel_grids_draws_one_panel_per_model():
    import matplotlib.pyplot as plt

    fig = ae.show_kernel_grids({"a": torch.randn(12, 784), "b": torch.randn(30, 784)}, n=12, ncols=4)
    images = [ax for ax in fig.axes if ax.images and ax.get_title()]
    assert len(images) == 2 and images[0].get_title().startswith("a")
    lo, hi = images[0].images[0].get_clim()
    assert lo == -hi  # symmetric around 0
    plt.close(fig)
    fig = ae.show_kernel_grids({"c": torch.randn(30, 784)}, quantile=0.5)
    lo, hi = [ax for ax in fig.axes if ax.images][0].images[0].get_clim()
    assert hi < 2.0  # the median |weight| of a standard normal is about 0.67, not the maximum
    plt.close(fig)
    with pytest.raises(ValueError, match="empty"):
        ae.show_kernel_grids({})
    with pytest.raises(ValueError, match="quantile"):
        ae.show_kernel_grids({"a": torch.randn(3, 784)}, quantile=0)
