"""Tests for notebook 06's helpers: toy curves, Spearman, the contractive penalty, tied weights.

Small data only: every test runs in well under a second on a CPU.
"""

import math

import pytest
import torch
from torch import nn

import aehelpers as ae


# ---------------------------------------------------------------- curves
@pytest.mark.parametrize("curve", [ae.TwoBranchCurve(), ae.CurledCurve()], ids=repr)
def test_sample_is_seeded_shaped_and_returns_the_parameter(curve):
    points, t = curve.sample(300, seed=4)
    assert points.shape == (300, curve.dim) and t.shape == (300,)
    assert points.dtype == torch.float32 and t.dtype == torch.float32
    assert 0 <= float(t.min()) and float(t.max()) <= 1
    again, t_again = curve.sample(300, seed=4)
    assert torch.equal(points, again) and torch.equal(t, t_again)
    other, _ = curve.sample(300, seed=5)
    assert not torch.equal(points, other)
    torch.testing.assert_close(points, curve.at(t))  # the returned parameter is the point's own
    assert points.abs().max() < 0.95, "inside (-1, 1), where a tanh output can reach it"


def test_two_branch_points_lie_on_their_curve():
    curve = ae.TwoBranchCurve(gap=0.5, left=-0.75, right=0.35)
    points, t = curve.sample(2000, seed=0)
    assert curve.distance(points).max() < 1e-6
    s = t * curve.length
    upper, lower = s < curve.branch, s > curve.branch + math.pi * curve.radius
    arc = ~upper & ~lower
    torch.testing.assert_close(points[upper, 1], torch.full((int(upper.sum()),), 0.25))
    torch.testing.assert_close(points[lower, 1], torch.full((int(lower.sum()),), -0.25))
    centre = torch.tensor([0.35, 0.0])
    torch.testing.assert_close((points[arc] - centre).norm(dim=1), torch.full((int(arc.sum()),), 0.25))
    assert (points[arc, 0] >= 0.35 - 1e-6).all()


def test_two_branch_is_parametrised_by_arc_length_from_end_to_end():
    curve = ae.TwoBranchCurve()
    t = torch.linspace(0, 1, 20001)
    p = curve.at(t).double()
    assert p.diff(dim=0).norm(dim=1).sum() == pytest.approx(curve.length, rel=1e-4)
    torch.testing.assert_close(curve.at(torch.tensor([0.0, 1.0])), torch.tensor([[-0.75, 0.25], [-0.75, -0.25]]))


def test_two_branch_distance_is_exact():
    curve = ae.TwoBranchCurve()
    q = torch.tensor([[0.0, 0.0],      # between the branches: gap / 2 from both
                      [0.0, 1.0],      # above the upper branch
                      [1.0, 0.0],      # right of the arc: |(0.65, 0)| - 0.25
                      [-1.0, 0.25],    # left of the upper branch's end
                      [0.35, 0.0]])    # the arc's centre
    expected = torch.tensor([0.25, 0.75, 0.40, 0.25, 0.25])
    torch.testing.assert_close(curve.distance(q), expected)
    # against brute force: the nearest of many points on the curve
    g = torch.Generator().manual_seed(0)
    q = torch.rand(200, 2, generator=g) * 2 - 1
    dense = curve.at(torch.linspace(0, 1, 30001))  # 1e-4 apart: the nearest is within 5e-5
    brute = torch.cdist(q, dense).min(dim=1).values
    torch.testing.assert_close(curve.distance(q), brute, atol=1e-4, rtol=0)


def test_between_selects_the_inside_of_the_hairpin():
    curve = ae.TwoBranchCurve()
    q = torch.tensor([[0.0, 0.0], [0.0, 0.5], [0.6, 0.0], [-0.74, 0.0]])
    assert curve.between(q).tolist() == [True, False, False, False]


@pytest.mark.parametrize("curve", [ae.TwoBranchCurve(), ae.CurledCurve()], ids=repr)
def test_tangents_are_unit_and_along_the_curve(curve):
    t = torch.linspace(0.01, 0.99, 50)
    tangent = curve.tangent(t)
    torch.testing.assert_close(tangent.norm(dim=1), torch.ones(50))
    step = curve.at(t + 1e-3).double() - curve.at(t).double()
    cos = (step / step.norm(dim=1, keepdim=True) * tangent.double()).sum(1)
    assert cos.min() > 0.99


def test_curled_curve_is_the_spiral_it_says():
    curve = ae.CurledCurve(turns=1.5, r0=0.25, r1=0.85, height=0.5)
    points, t = curve.sample(500, seed=1)
    radius = points[:, :2].norm(dim=1)
    torch.testing.assert_close(radius, 0.25 + 0.6 * t)
    torch.testing.assert_close(points[:, 2], 0.5 * torch.sin(2 * math.pi * t))
    angle = torch.atan2(points[:, 1], points[:, 0])
    torch.testing.assert_close(torch.cos(angle), torch.cos(3 * math.pi * t), atol=1e-5, rtol=0)


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_sample_refuses_non_positive_or_non_integer_sizes(bad):
    with pytest.raises(ValueError, match="n \\(the number of points\\) must be a positive int"):
        ae.TwoBranchCurve().sample(bad)


def test_curves_refuse_bad_shapes_and_parameters():
    with pytest.raises(ValueError, match="gap must be a finite number > 0"):
        ae.TwoBranchCurve(gap=0)
    with pytest.raises(ValueError, match="left < right"):
        ae.TwoBranchCurve(left=0.5, right=0.1)
    with pytest.raises(ValueError, match="turns must be a finite number > 0"):
        ae.CurledCurve(turns=-1)
    with pytest.raises(ValueError, match="t must lie in \\[0, 1\\]"):
        ae.TwoBranchCurve().at(torch.tensor([0.5, 1.5]))
    with pytest.raises(TypeError, match="1-D float tensor"):
        ae.CurledCurve().at(torch.tensor([[0.5]]))
    with pytest.raises(TypeError, match="shape \\(N, 2\\)"):
        ae.TwoBranchCurve().distance(torch.zeros(4, 3))
    with pytest.raises(ValueError, match="seed must be a non-negative int"):
        ae.TwoBranchCurve().sample(10, seed=-1)


def test_grid_covers_the_square():
    g = ae.grid(5, -1, 1)
    assert g.shape == (25, 2)
    assert g.min() == -1 and g.max() == 1 and len(torch.unique(g[:, 0])) == 5
    with pytest.raises(ValueError, match="steps must be a positive int"):
        ae.grid(0)
    with pytest.raises(ValueError, match="low < high"):
        ae.grid(5, 1, -1)


# ---------------------------------------------------------------- contractive penalty
def _jacobian_norms(model, x):
    """Reference: ||dh/dx||_F^2 for each input, by torch.autograd.functional.jacobian."""
    return ae.encoder_jacobian(model, x).square().sum(dim=(1, 2))


@pytest.mark.parametrize("n, d", [(784, 30), (2, 16)])
def test_closed_form_penalty_equals_autograds_jacobian_norm(n, d):
    torch.manual_seed(0)
    model = ae.Autoencoder(n, d)
    with torch.no_grad():  # a trained-looking encoder: some units saturated
        model.encoder[0].weight.mul_(5)
    x = torch.rand(12, n) * 2 - 1
    reference = _jacobian_norms(model, x)
    per_input = ae.contractive_penalty(model, x, reduction="none")
    torch.testing.assert_close(per_input, reference, rtol=1e-5, atol=1e-6)
    # documented reductions: the mean over the batch by default, or the sum
    torch.testing.assert_close(ae.contractive_penalty(model, x), reference.mean(), rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(ae.contractive_penalty(model, x, reduction="sum"), reference.sum(), rtol=1e-5, atol=1e-5)


def test_penalty_is_differentiable_and_works_for_the_tied_model():
    torch.manual_seed(0)
    model = ae.TiedAutoencoder(10, 4)
    x = torch.rand(6, 10) * 2 - 1
    torch.testing.assert_close(ae.contractive_penalty(model, x, reduction="none"), _jacobian_norms(model, x),
                               rtol=1e-5, atol=1e-6)
    ae.contractive_penalty(model, x).backward()
    assert model.encoder[0].weight.grad is not None and model.encoder[0].weight.grad.abs().sum() > 0


@pytest.mark.parametrize("model", [ae.Autoencoder(784, 8, hidden=(16,)), ae.TiedAutoencoder(784, 8, linear=True),
                                   nn.Linear(784, 8)], ids=["deep encoder", "linear encoder", "no encoder"])
def test_penalty_refuses_an_encoder_that_is_not_one_tanh_layer(model):
    with pytest.raises(TypeError, match="one-layer|nn.Sequential\\(nn.Linear\\(n, d\\), nn.Tanh\\(\\)\\)"):
        ae.contractive_penalty(model, torch.zeros(2, 784))


def test_penalty_refuses_bad_inputs_and_reductions():
    model = ae.Autoencoder(784, 8)
    with pytest.raises(ValueError, match="reduction must be one of"):
        ae.contractive_penalty(model, torch.zeros(2, 784), reduction="max")
    with pytest.raises(ValueError, match="x has 10 features per image, but the encoder expects 784"):
        ae.contractive_penalty(model, torch.zeros(2, 10))


def test_sensitivity_is_the_jacobian_times_the_unit_direction():
    torch.manual_seed(0)
    model = ae.Autoencoder(2, 16, hidden=(8,))  # any encoder: a jvp, not the closed form
    x = torch.rand(5, 2) * 2 - 1
    u = torch.randn(5, 2)
    jac = ae.encoder_jacobian(model, x)  # (5, 16, 2)
    expected = (jac @ (u / u.norm(dim=1, keepdim=True))[:, :, None]).squeeze(-1).norm(dim=1)
    torch.testing.assert_close(ae.sensitivity(model, x, u), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="zero vector"):
        ae.sensitivity(model, x, torch.zeros(5, 2))


def test_a_penalty_on_a_deep_encoder_is_refused_before_training():
    points, _ = ae.TwoBranchCurve().sample(16, seed=0)
    with pytest.raises(TypeError, match="nn.Sequential\\(nn.Linear\\(n, d\\), nn.Tanh\\(\\)\\)"):
        ae.fit(ae.Autoencoder(2, 4, hidden=(8,)), points, progress=False,
               penalty=lambda m, x: ae.contractive_penalty(m, x))


# ---------------------------------------------------------------- tied weights
def test_tied_autoencoder_decodes_with_the_transposed_encoder():
    torch.manual_seed(0)
    model = ae.TiedAutoencoder(20, 5)
    x = torch.rand(3, 20) * 2 - 1
    W, b = model.encoder[0].weight, model.encoder[0].bias
    h = torch.tanh(x @ W.T + b)
    torch.testing.assert_close(model.encode(x), h)
    torch.testing.assert_close(model(x), torch.tanh(h @ W + model.decoder_bias))
    assert sum(p.numel() for p in model.parameters()) == 20 * 5 + 5 + 20
    linear = ae.TiedAutoencoder(20, 5, linear=True)
    W = linear.weight
    torch.testing.assert_close(linear(x), (x @ W.T + linear.encoder[0].bias) @ W + linear.decoder_bias)


@pytest.mark.slow
def test_linear_tied_autoencoder_trained_by_fit_finds_the_pca_subspace():
    g = torch.Generator().manual_seed(0)
    basis = torch.linalg.qr(torch.randn(12, 2, generator=g))[0].T  # a 2-D subspace of R^12
    data = (torch.randn(2000, 2, generator=g) * torch.tensor([0.5, 0.3])) @ basis
    data = data + 0.01 * torch.randn(2000, 12, generator=g)
    torch.manual_seed(0)
    model = ae.TiedAutoencoder(12, 2, linear=True)
    ae.fit(model, data, epochs=60, batch_size=64, lr=1e-2, progress=False)
    assert ae.subspace_angles(model.weight.detach(), basis).max() < 5  # degrees


def test_tied_autoencoder_refuses_bad_arguments():
    with pytest.raises(ValueError, match="d must be a positive int"):
        ae.TiedAutoencoder(784, 0)
    with pytest.raises(TypeError, match="linear must be True or False"):
        ae.TiedAutoencoder(784, 30, linear="yes")


def test_show_denoising_field_draws_two_titled_panels():
    import matplotlib.pyplot as plt

    inputs = ae.grid(5)
    fig = ae.show_denoising_field(inputs, inputs * 0.5, ae.TwoBranchCurve().at(torch.linspace(0, 1, 50)))
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 2
    plt.close(fig)
    with pytest.raises(ValueError, match="differ in shape"):
        ae.show_denoising_field(inputs, inputs[:3])
