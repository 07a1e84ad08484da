"""Tests for aehelpers.interpolation (notebook 01): paths, nearest neighbours, energy, widget."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

import aehelpers as ae  # noqa: E402


def _digits(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 784, generator=g) * 2 - 1


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ae.Autoencoder(784, 8).eval()


def test_alphas():
    assert torch.equal(ae.alphas(3), torch.tensor([0.0, 0.5, 1.0]))
    assert torch.equal(ae.alphas([0.25]), torch.tensor([0.25]))
    for bad in (1, 0, True, 0.5, [1.5], [-0.1], [], "abc", torch.tensor(0.5)):
        with pytest.raises((ValueError, TypeError)):
            ae.alphas(bad)


def test_pixel_path_endpoints_and_midpoint():
    a, b = _digits(2)
    path = ae.interpolate(a, b, 5)
    assert path.shape == (5, 784)
    assert torch.equal(path[0], a) and torch.allclose(path[-1], b, atol=1e-7)
    assert torch.allclose(path[2], (a + b) / 2, atol=1e-6)
    # every step lies on the segment: equal increments
    steps = path.diff(dim=0)
    assert torch.allclose(steps, steps[:1].expand_as(steps), atol=1e-6)


def test_pixel_path_batched():
    a, b = _digits(3, 1), _digits(3, 2)
    path = ae.interpolate(a, b, 4)
    assert path.shape == (3, 4, 784)
    assert torch.allclose(path[:, 0], a) and torch.allclose(path[:, -1], b, atol=1e-7)
    assert torch.allclose(path[1], ae.interpolate(a[1], b[1], 4))
    assert path.min() >= -1 and path.max() <= 1  # convex combinations stay in range


def test_latent_path(model):
    a, b = _digits(2, 3)
    path = ae.interpolate(a, b, 6, space="latent", model=model)
    assert path.shape == (6, 784)
    with torch.no_grad():
        assert torch.allclose(path[0], model(a[None])[0], atol=1e-6)
        assert torch.allclose(path[-1], model(b[None])[0], atol=1e-6)
        mid = model.decode((model.encode(a[None]) + model.encode(b[None])) / 2)[0]
    assert torch.allclose(ae.interpolate(a, b, [0.5], space="latent", model=model)[0], mid, atol=1e-6)
    assert path.abs().max() < 1  # tanh output
    assert not path.requires_grad
    batched = ae.interpolate(_digits(4, 4), _digits(4, 5), 3, space="latent", model=model)
    assert batched.shape == (4, 3, 784)


def test_latent_path_is_not_the_cross_fade(model):
    a, b = _digits(2, 6)
    assert not torch.allclose(ae.interpolate(a, b, 5, space="latent", model=model),
                              ae.interpolate(a, b, 5))


def test_interpolate_bad_arguments(model):
    a, b = _digits(2)
    with pytest.raises(ValueError, match="space"):
        ae.interpolate(a, b, 3, space="both")
    with pytest.raises(TypeError, match="model must be an ae.EncoderDecoder"):
        ae.interpolate(a, b, 3, space="latent")
    with pytest.raises(ValueError, match="model"):
        ae.interpolate(a, b, 3, model=model)
    with pytest.raises(ValueError, match="same shape"):
        ae.interpolate(a, _digits(2), 3)
    with pytest.raises(ValueError, match="at least 2"):
        ae.interpolate(a, b, 1)
    with pytest.raises(TypeError):
        ae.interpolate(a.numpy(), b, 3)
    with pytest.raises(ValueError, match="features"):
        ae.interpolate(a[:100], b[:100], 3, space="latent", model=model)
    with pytest.raises(ValueError, match="NaN"):
        ae.interpolate(a * float("nan"), b, 3)


def test_nearest_neighbour_matches_brute_force():
    ref = _digits(300, 7)
    q = torch.cat([_digits(37, 8), ref[[5, 123]]])
    dist, idx = ae.nearest_neighbour(q, ref, chunk_size=10)
    full = torch.cdist(q.double(), ref.double())
    assert dist.shape == (39,) and idx.shape == (39,) and idx.dtype == torch.int64
    assert torch.equal(idx, full.argmin(1))
    assert torch.allclose(dist.double(), full.min(1).values, atol=1e-4)
    assert idx[-2] == 5 and idx[-1] == 123 and dist[-2:].max() < 1e-5  # a reference image is its own NN
    # the chunk size does not change the answer
    d2, i2 = ae.nearest_neighbour(q, ref, chunk_size=1000)
    assert torch.equal(i2, idx) and torch.equal(d2, dist)


def test_nearest_neighbour_bad_arguments():
    with pytest.raises(ValueError, match="features"):
        ae.nearest_neighbour(_digits(3), _digits(4)[:, :100])
    with pytest.raises(ValueError, match="chunk_size"):
        ae.nearest_neighbour(_digits(3), _digits(4), chunk_size=0)
    with pytest.raises(ValueError, match="shape"):
        ae.nearest_neighbour(_digits(1)[0], _digits(4))


def test_reconstruction_energy(model):
    x = _digits(5, 9)
    e = ae.reconstruction_energy(model, x)
    with torch.no_grad():
        expected = (x - model(x)).square().sum(1)
    assert e.shape == (5,) and (e >= 0).all()
    assert torch.allclose(e, expected, rtol=1e-5)
    assert ae.reconstruction_energy(model, x[0]).shape == (1,)
    with pytest.raises(ValueError, match="features"):
        ae.reconstruction_energy(model, x[:, :10])


def test_show_interpolation_is_a_plain_callback(model):
    a, b = _digits(2, 10)
    fig = ae.show_interpolation(a, b, 0.3, {"AE": model, "deep AE": model})
    assert len(fig.axes) == 5
    titles = [ax.get_title() for ax in fig.axes]
    assert all(titles) and "0.30" in titles[1]
    # the pixel panel shows the cross-fade itself, on the fixed [-1, 1] range
    shown = torch.tensor(fig.axes[1].images[0].get_array().data).reshape(-1)
    assert torch.allclose(shown.float(), 0.7 * a + 0.3 * b, atol=1e-6)
    assert fig.axes[1].images[0].get_clim() == (-1, 1)
    plt.close(fig)
    fig = ae.show_interpolation(a, b, 1)  # no model: pixel path only
    assert len(fig.axes) == 3
    plt.close(fig)
    for bad in (-0.1, 1.5, float("nan"), "0.5"):
        with pytest.raises(ValueError, match="alpha"):
            ae.show_interpolation(a, b, bad)
    with pytest.raises(ValueError, match="one digit"):
        ae.show_interpolation(_digits(2), _digits(2), 0.5)


def test_random_pairs():
    labels = torch.arange(50) % 5
    i, j = ae.random_pairs(labels, 40, seed=3)
    assert i.shape == j.shape == (40,) and i.dtype == torch.int64
    assert (labels[i] != labels[j]).all() and (i != j).all()
    i2, j2 = ae.random_pairs(labels, 40, seed=3)
    assert torch.equal(i, i2) and torch.equal(j, j2)
    assert not torch.equal(i, ae.random_pairs(labels, 40, seed=4)[0])
    same_allowed = ae.random_pairs(labels, 200, seed=0, different_class=False)
    assert (labels[same_allowed[0]] == labels[same_allowed[1]]).any()
    with pytest.raises(ValueError, match="two different classes"):
        ae.random_pairs(torch.zeros(10, dtype=torch.int64), 3)
    with pytest.raises(ValueError, match="positive int"):
        ae.random_pairs(labels, 0)
    with pytest.raises(ValueError, match="integer"):
        ae.random_pairs(labels.float(), 3)
