"""Tests for aehelpers.transforms (notebook 01): pixel-space moves and latent directions."""

import pytest
import torch

import aehelpers as ae


def _blob(row=14, col=20):
    """A black image with one white pixel at (row, col), shape (784,)."""
    img = torch.full((28, 28), -1.0)
    img[row, col] = 1.0
    return img.reshape(784)


def _where(x):
    return divmod(int(x.reshape(28, 28).argmax()), 28)


def _digits(n, seed=0):
    g = torch.Generator().manual_seed(seed)
    return torch.rand(n, 784, generator=g) * 2 - 1


def test_fast_grid_matches_affine_grid():
    theta = torch.randn(5, 2, 3)
    expected = torch.nn.functional.affine_grid(theta, (5, 1, 28, 28), align_corners=False)
    got = torch.einsum("pk,nck->npc", ae.transforms._base_grid(), theta).reshape(5, 28, 28, 2)
    assert torch.allclose(got, expected, atol=1e-5)


def test_identity_amounts_change_nothing():
    x = _digits(4)
    for out in (ae.shift(x, 0, 0), ae.zoom(x, 1), ae.rotate(x, 0), ae.brightness(x, 1)):
        assert out.shape == x.shape
        assert torch.allclose(out, x, atol=1e-5)


def test_shift_moves_ink_right_and_down():
    x = _blob(14, 20)
    assert _where(ae.shift(x, dx=2)) == (14, 22)
    assert _where(ae.shift(x, dy=3)) == (17, 20)
    assert _where(ae.shift(x, dx=-4, dy=-5)) == (9, 16)
    gone = ae.shift(x, dx=10)  # pushed out of the frame: only background left
    assert torch.allclose(gone, torch.full_like(gone, -1.0))


def test_rotate_is_counter_clockwise_on_screen():
    x = _blob(14, 20)  # right of the centre
    assert _where(ae.rotate(x, 90)) == (7, 14)     # -> above the centre
    assert _where(ae.rotate(x, -90)) == (20, 13)   # -> below the centre
    assert _where(ae.rotate(ae.rotate(x, 90), -90)) == (14, 20)  # and back


def test_zoom_moves_ink_towards_or_away_from_the_centre():
    x = _blob(14, 20)
    assert _where(ae.zoom(x, 0.5)) == (14, 17)
    img = torch.full((28, 28), -1.0)
    img[10:18, 10:18] = 1.0
    square = img.reshape(784)
    ink = lambda v: ((v + 1) / 2).sum()  # noqa: E731
    assert ink(ae.zoom(square, 1.5)) > 1.5 * ink(square)
    assert ink(ae.zoom(square, 0.5)) < 0.5 * ink(square)


def test_geometric_outputs_stay_in_range_and_background_stays_black():
    x = _digits(8).reshape(8, 28, 28)
    x[:, :4], x[:, -4:], x[:, :, :4], x[:, :, -4:] = -1.0, -1.0, -1.0, -1.0  # digit-like black border
    x = x.reshape(8, 784)
    for out in (ae.shift(x, 2.5, -1.5), ae.zoom(x, 0.7), ae.rotate(x, 33)):
        assert out.min() >= -1 and out.max() <= 1
        assert torch.allclose(out.reshape(-1, 28, 28)[:, 0, 0], torch.tensor(-1.0))  # corner


def test_per_digit_amounts():
    x = torch.stack([_blob(), _blob()])
    out = ae.shift(x, dx=torch.tensor([1.0, 3.0]))
    assert _where(out[0]) == (14, 21) and _where(out[1]) == (14, 23)
    with pytest.raises(ValueError, match="shape"):
        ae.shift(x, dx=torch.tensor([1.0, 2.0, 3.0]))


def test_brightness():
    x = _digits(3, 1)
    dim = ae.brightness(x, 0.5)
    assert torch.allclose((dim + 1) / 2, (x + 1) / 4, atol=1e-6)
    assert torch.allclose(ae.brightness(x, 0), torch.full_like(x, -1.0))
    bright = ae.brightness(x, 3)
    assert bright.max() <= 1 and bright.min() >= -1
    bg = torch.full((784,), -1.0)
    assert torch.equal(ae.brightness(bg, 2), bg)  # background stays black


def test_bad_inputs_get_clear_errors():
    x = _digits(2)
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        ae.shift(x * 3, 1)
    with pytest.raises(ValueError, match="784"):
        ae.rotate(x.reshape(2, 28, 28), 10)
    with pytest.raises(TypeError, match="float"):
        ae.zoom((x > 0).long(), 1.2)
    with pytest.raises(ValueError, match="factor"):
        ae.zoom(x, 0)
    with pytest.raises(ValueError, match="factor"):
        ae.brightness(x, -0.5)
    with pytest.raises(ValueError, match="finite"):
        ae.rotate(x, float("inf"))
    with pytest.raises(TypeError, match="number"):
        ae.shift(x, "3")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return ae.Autoencoder(784, 6).eval()


def test_latent_direction_and_move(model):
    x = _digits(20, 2)
    d = ae.latent_direction(model, x, lambda v: ae.shift(v, dx=2))
    assert d.shape == (6,)
    with torch.no_grad():
        expected = (model.encode(ae.shift(x, dx=2)) - model.encode(x)).mean(0)
    assert torch.allclose(d, expected, atol=1e-6)
    assert torch.allclose(ae.latent_direction(model, x, lambda v: v), torch.zeros(6))
    # the transformed digits may be passed instead of the function
    assert torch.equal(ae.latent_direction(model, x, ae.shift(x, dx=2)), d)
    new = _digits(3, 3)
    with torch.no_grad():
        assert torch.allclose(ae.move_in_latent(model, new, d, 0), model(new), atol=1e-6)
        manual = model.decode(model.encode(new) + 1.5 * d)
    moved = ae.move_in_latent(model, new, d, 1.5)
    assert moved.shape == (3, 784) and torch.allclose(moved, manual, atol=1e-6)
    assert ae.move_in_latent(model, new[0], d).shape == (784,)


def test_latent_bad_arguments(model):
    x = _digits(4)
    with pytest.raises(TypeError, match="encode"):
        ae.latent_direction(torch.nn.Linear(784, 6), x, lambda v: v)
    with pytest.raises(TypeError, match="function"):
        ae.latent_direction(model, x, 3)
    with pytest.raises(ValueError, match="shape"):
        ae.latent_direction(model, x, lambda v: v[:2])
    with pytest.raises(ValueError, match="shape"):
        ae.latent_direction(model, x, x[:2])
    with pytest.raises(ValueError, match="same model"):
        ae.move_in_latent(model, x, torch.zeros(7))
    with pytest.raises(ValueError, match="1-D"):
        ae.move_in_latent(model, x, torch.zeros(2, 6))
