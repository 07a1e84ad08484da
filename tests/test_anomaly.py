"""roc_auc against hand-worked cases and brute force; leave-one-class-out PCA against pca_fit."""

import itertools

import pytest
import torch

import aehelpers as ae


def test_roc_auc_hand_worked_case():
    # positives score 0.35 and 0.8, negatives 0.1 and 0.4: of the 4 (positive, negative)
    # pairs the positive wins 3 (0.35 > 0.1, 0.8 > 0.1, 0.8 > 0.4), loses 1 -> 3/4
    assert ae.roc_auc(torch.tensor([0.1, 0.4, 0.35, 0.8]), torch.tensor([0, 0, 1, 1])) == 0.75


def test_roc_auc_ties_count_one_half():
    # positives {2, 3}, negatives {1, 2}: wins 2 > 1, 3 > 1, 3 > 2, one tie 2 = 2 -> (3 + 0.5) / 4
    assert ae.roc_auc(torch.tensor([1.0, 2.0, 2.0, 3.0]), torch.tensor([0, 1, 0, 1])) == 0.875
    assert ae.roc_auc(torch.full((6,), 0.3), torch.tensor([0, 1, 0, 1, 1, 0])) == 0.5


def test_roc_auc_extremes_and_bool_labels():
    s = torch.arange(6.0)
    assert ae.roc_auc(s, torch.tensor([0, 0, 0, 1, 1, 1]).bool()) == 1.0
    assert ae.roc_auc(-s, torch.tensor([0, 0, 0, 1, 1, 1])) == 0.0


def test_roc_auc_matches_brute_force_with_many_ties():
    g = torch.Generator().manual_seed(0)
    scores = torch.randint(0, 7, (60,), generator=g).float()  # many ties
    labels = torch.randint(0, 2, (60,), generator=g)
    pos, neg = scores[labels == 1], scores[labels == 0]
    pairs = [(1.0 if p > q else 0.5 if p == q else 0.0) for p, q in itertools.product(pos, neg)]
    assert ae.roc_auc(scores, labels) == pytest.approx(sum(pairs) / len(pairs), abs=1e-12)


@pytest.mark.parametrize("scores, labels, error, match", [
    (torch.rand(4), torch.tensor([0, 1, 0]), ValueError, "different lengths"),
    (torch.rand(4), torch.tensor([1, 1, 1, 1]), ValueError, "single class"),
    (torch.rand(4), torch.tensor([0, 0, 0, 0]), ValueError, "single class"),
    (torch.rand(2, 2), torch.tensor([0, 1, 0, 1]), ValueError, "1-D"),
    (torch.rand(4), torch.tensor([0, 1, 2, 1]), ValueError, "0 \\(normal\\) or 1"),
    (torch.rand(4), torch.tensor([0.0, 1.0, 0.0, 1.0]), TypeError, "bool or integer"),
    (torch.tensor([0.1, float("nan"), 0.2, 0.3]), torch.tensor([0, 1, 0, 1]), ValueError, "NaN"),
    ([0.1, 0.2], [0, 1], TypeError, "torch tensors"),
])
def test_roc_auc_refuses_bad_input(scores, labels, error, match):
    with pytest.raises(error, match=match):
        ae.roc_auc(scores, labels)


def test_pca_of_classes_is_pca_fit_on_those_classes(sample_digits):
    x, y = sample_digits
    moments = ae.class_moments(x, y)
    for classes in ([0, 2, 3, 4, 5, 6, 7, 8, 9], [1, 7]):
        mask = torch.isin(y, torch.tensor(classes))
        got = ae.pca_of_classes(moments, classes, k=10)
        want = ae.pca_fit(x[mask], k=10, precise=True)
        assert torch.allclose(got.mean, want.mean, atol=1e-10)
        assert torch.allclose(got.eigenvalues, want.eigenvalues, rtol=1e-6, atol=1e-9)
        # the same reconstructions (components are defined up to sign; the sign rule is the same)
        assert torch.allclose(ae.pca_reconstruct(got, x[:50]), ae.pca_reconstruct(want, x[:50]), atol=1e-4)


def test_pca_of_classes_refuses_bad_classes(sample_digits):
    x, y = sample_digits
    moments = ae.class_moments(x[:200], y[:200])
    with pytest.raises(ValueError, match="class numbers"):
        ae.pca_of_classes(moments, [10])
    with pytest.raises(ValueError, match="class numbers"):
        ae.pca_of_classes(moments, [])
    with pytest.raises(ValueError, match="labels must lie"):
        ae.class_moments(x[:3], torch.tensor([0, 1, 12]))
    with pytest.raises(ValueError, match="one class per image"):
        ae.class_moments(x[:3], torch.tensor([0, 1]))


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
