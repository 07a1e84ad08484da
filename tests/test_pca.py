"""Tests for aehelpers.pca (notebook 02): small random data, a few seconds in all."""

import pytest
import torch

import aehelpers as ae
from aehelpers.pca import PCA, pca_error_curve


def _low_rank(n=400, dim=20, rank=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    basis = torch.linalg.qr(torch.randn(dim, rank, generator=g, dtype=torch.float64))[0].T  # (rank, dim)
    scales = torch.tensor([3.0, 2.0, 1.0], dtype=torch.float64)[:rank]
    codes = torch.randn(n, rank, generator=g, dtype=torch.float64) * scales
    return (codes @ basis + 0.5).float(), basis


def test_fit_shapes_orthonormal_sorted():
    x, _ = _low_rank()
    p = ae.pca_fit(x)
    assert p.mean.shape == (20,) and p.components.shape == (20, 20) and p.eigenvalues.shape == (20,)
    assert p.components.dtype == torch.float64
    torch.testing.assert_close(p.components @ p.components.T, torch.eye(20, dtype=torch.float64))
    assert (p.eigenvalues[:-1] >= p.eigenvalues[1:]).all() and (p.eigenvalues >= 0).all()
    assert p.total_variance == pytest.approx(float(x.double().var(0, unbiased=False).sum()), rel=1e-6)
    assert p.explained_variance_ratio()[-1] == pytest.approx(1.0)


def test_matches_svd_and_recovers_subspace():
    x, basis = _low_rank()
    p = ae.pca_fit(x, k=3)
    centred = x.double() - x.double().mean(0)
    s = torch.linalg.svdvals(centred)
    torch.testing.assert_close(p.eigenvalues, s[:3] ** 2 / len(x), rtol=1e-6, atol=1e-9)
    angles = ae.subspace_angles(p.components, basis)
    assert angles.max() < 1e-2  # degrees: the exact generating subspace


def test_reconstruction_exact_at_rank_and_monotone():
    x, _ = _low_rank()
    p = ae.pca_fit(x)
    errs = [ae.masked_mse(ae.pca_reconstruct(p, x, k), x) for k in range(1, 6)]
    assert errs[2] < 1e-10 and errs[3] < 1e-10  # rank-3 data: 3 components suffice
    assert errs[0] > errs[1] > errs[2]
    out = ae.pca_reconstruct(p, x, 2)
    assert out.shape == x.shape and out.dtype == torch.float32


def test_pca_is_the_best_linear_projection():
    # A property that can fail: no other k-dim orthogonal projection does better on the fitting data.
    g = torch.Generator().manual_seed(1)
    x = torch.randn(300, 12, generator=g) @ torch.randn(12, 12, generator=g)
    p = ae.pca_fit(x)
    best = ae.masked_mse(ae.pca_reconstruct(p, x, 4), x)
    for _ in range(20):
        q = torch.linalg.qr(torch.randn(12, 4, generator=g, dtype=torch.float64))[0].T
        other = PCA(p.mean, q, torch.ones(4, dtype=torch.float64), p.total_variance)
        assert ae.masked_mse(ae.pca_reconstruct(other, x), x) >= best - 1e-6


def test_truncate_equals_fit_with_k_and_is_deterministic():
    x, _ = _low_rank(rank=3)
    full, again, small = ae.pca_fit(x), ae.pca_fit(x), ae.pca_fit(x, k=2)
    assert torch.equal(full.components, again.components)
    torch.testing.assert_close(full.truncate(2).components, small.components)
    assert full.truncate(2).k == 2
    torch.testing.assert_close(full.decode(full.encode(x)).float(), x, atol=1e-5, rtol=0)


def test_subspace_angles_basic():
    e = torch.eye(4)
    torch.testing.assert_close(ae.subspace_angles(e[:2], e[:2]), torch.zeros(2, dtype=torch.float64))
    torch.testing.assert_close(ae.subspace_angles(e[:2], e[2:]), torch.full((2,), 90.0, dtype=torch.float64))
    a = torch.tensor([[1.0, 0, 0, 0], [0, 1.0, 0, 0]])
    b = torch.tensor([[1.0, 1.0, 0, 0], [0, 0, 1.0, 0]]) * 5  # scaling and non-orthonormal rows are fine
    torch.testing.assert_close(ae.subspace_angles(a, b), torch.tensor([0.0, 90.0], dtype=torch.float64),
                               atol=1e-6, rtol=0)


@pytest.mark.parametrize("bad", [0, 21, 2.5, True])
def test_bad_k(bad):
    x, _ = _low_rank()
    with pytest.raises(ValueError, match="k must be"):
        ae.pca_fit(x, k=bad)
    with pytest.raises(ValueError, match="k must be"):
        ae.pca_fit(x, k=5).truncate(bad if bad != 21 else 6)


def test_bad_inputs():
    with pytest.raises(TypeError, match="torch.Tensor"):
        ae.pca_fit([[1.0, 2.0]])
    with pytest.raises(ValueError, match="Flatten"):
        ae.pca_fit(torch.zeros(5, 28, 28))
    with pytest.raises(ValueError, match="at least 2"):
        ae.pca_fit(torch.zeros(1, 4))
    p = ae.pca_fit(torch.randn(10, 4))
    with pytest.raises(ValueError, match="the PCA expects 4"):
        ae.pca_reconstruct(p, torch.zeros(3, 5))
    with pytest.raises(ValueError, match="same space"):
        ae.subspace_angles(torch.eye(3), torch.eye(4))
    with pytest.raises(ValueError, match="linearly dependent"):
        ae.subspace_angles(torch.tensor([[1.0, 0, 0], [2.0, 0, 0]]), torch.eye(3))
    with pytest.raises(ValueError, match="cannot be linearly independent"):
        ae.subspace_angles(torch.randn(5, 3), torch.eye(3))


def test_error_curve_matches_reconstruction():
    g = torch.Generator().manual_seed(2)
    train, test = torch.randn(200, 10, generator=g), torch.randn(50, 10, generator=g)
    p = ae.pca_fit(train)
    curve = pca_error_curve(p, test)
    assert curve.shape == (10,) and (curve[:-1] >= curve[1:] - 1e-12).all()
    for k in (1, 4, 10):
        assert float(curve[k - 1]) == pytest.approx(ae.masked_mse(ae.pca_reconstruct(p, test, k), test), rel=1e-5)
    assert float(curve[-1]) < 1e-10  # all components: exact


def test_fast_and_precise_fits_agree():
    g = torch.Generator().manual_seed(3)
    x = torch.randn(500, 16, generator=g) @ torch.randn(16, 16, generator=g)
    fast, precise = ae.pca_fit(x, chunk=128), ae.pca_fit(x, precise=True)
    torch.testing.assert_close(fast.eigenvalues, precise.eigenvalues, rtol=1e-5, atol=1e-8)
    assert ae.subspace_angles(fast.components[:8], precise.components[:8]).max() < 0.01  # degrees
