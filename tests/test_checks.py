"""aehelpers.checks.check_digits: the one input check behind every helper that takes digits."""

import pytest
import torch

from aehelpers.checks import check_digits


def test_accepts_digits_and_returns_them():
    x = torch.rand(3, 784) * 2 - 1
    assert check_digits(x, n=784, unit_range=True) is x
    one = x[0]
    assert check_digits(one, single=True) is one


@pytest.mark.parametrize("bad, kwargs, error, match", [
    ([[0.0] * 784], {}, TypeError, "x must be a torch.Tensor of shape \\(N, features\\)"),
    (torch.zeros(2, 784, dtype=torch.uint8), {}, TypeError, "float tensor"),
    (torch.zeros(2, 28, 28), {}, ValueError, "Flatten 28x28 digits"),
    (torch.zeros(784), {}, ValueError, "shape \\(N, features\\)"),
    (torch.zeros(0, 784), {}, ValueError, "x is empty"),
    (torch.zeros(2, 100), {"n": 784, "expected_by": "the model"}, ValueError,
     "x has 100 features per image, but the model expects 784"),
    (torch.tensor([[0.0, float("nan")]]), {}, ValueError, "NaN or infinite"),
    (torch.tensor([[0.0, float("inf")]]), {}, ValueError, "NaN or infinite"),
    (torch.tensor([[0.0, 2.0]]), {"unit_range": True, "range_hint": "; try 2 * x - 1"}, ValueError,
     r"must lie in \[-1, 1\].*\[0, 2\]; try 2 \* x - 1"),
])
def test_rejects_with_a_message_that_names_the_argument_and_the_fix(bad, kwargs, error, match):
    with pytest.raises(error, match=match):
        check_digits(bad, "x", **kwargs)


def test_huge_finite_values_are_not_mistaken_for_infinite():
    x = torch.full((4, 784), 3e38)  # the sum overflows, every entry is finite
    assert check_digits(x) is x
