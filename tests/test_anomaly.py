"""Leave-one-class-out PCA against pca_fit; random strokes; ink."""

import pytest
import torch

import aehelpers as ae


@pytest.mark.slow
def test_leave_one_out_pcas_are_pca_fit_without_each_class(sample_digits):
    x, y = sample_digits
    pcas = ae.leave_one_out_pcas(x, y, k=10)
    assert len(pcas) == 10
    for c in (0, 7):
        want = ae.pca_fit(x[y != c], k=10, precise=True)
        assert torch.allclose(pcas[c].mean, want.mean, atol=1e-10)
        assert torch.allclose(pcas[c].eigenvalues, want.eigenvalues, rtol=1e-6, atol=1e-9)
        # the same reconstructions (components are defined up to sign; the sign rule is the same)
        assert torch.allclose(ae.pca_reconstruct(pcas[c], x[:50]), ae.pca_reconstruct(want, x[:50]), atol=1e-4)


def test_leave_one_out_pcas_refuse_bad_labels(sample_digits):
    x, _ = sample_digits
    with pytest.raises(ValueError, match="labels must lie in 0..9"):
        ae.leave_one_out_pcas(x[:3], torch.tensor([0, 1, 12]))
    with pytest.raises(ValueError, match="one class per image"):
        ae.leave_one_out_pcas(x[:3], torch.tensor([0, 1]))
    with pytest.raises(ValueError, match="all but class 0 hold 1"):
        ae.leave_one_out_pcas(x[:2], torch.tensor([0, 1]))


def test_random_strokes_are_seeded_digit_like_images():
    a, b = ae.random_strokes(5, seed=3), ae.random_strokes(5, seed=3)
    assert a.shape == (5, 784) and torch.equal(a, b)
    assert a.min() >= -1 and a.max() <= 1 and (a > 0).any(dim=1).all()  # some ink in every image
    assert not torch.equal(a, ae.random_strokes(5, seed=4))
    with pytest.raises(ValueError, match="positive int"):
        ae.random_strokes(0)


def test_ink_counts_white_pixels():
    x = -torch.ones(2, 784)
    x[1, :10] = 1.0
    assert ae.ink(x).tolist() == [0.0, 10.0]
