"""Down- and up-sampling around OpenCV, and the up-sampler network's shapes."""

import numpy as np
import pytest
import torch

import aehelpers as ae
from aehelpers.superres import Upsampler, skewed_subset


def test_downsample_is_the_block_mean_and_opencvs_inter_area(sample_digits):
    import cv2

    x, _ = sample_digits
    x = x[:30]
    for size in (14, 7):
        low = ae.downsample(x, size)
        assert low.shape == (30, size * size)
        f = 28 // size
        by_hand = x.reshape(30, size, f, size, f).mean(dim=(2, 4)).reshape(30, -1)
        assert torch.allclose(low, by_hand, atol=1e-6)
        area = [cv2.resize(p, (size, size), interpolation=cv2.INTER_AREA) for p in x.numpy().reshape(-1, 28, 28)]
        assert torch.allclose(low, torch.from_numpy(np.stack(area)).reshape(30, -1), atol=1e-5)


def test_bicubic_keeps_a_constant_image_and_clips(sample_digits):
    flat = torch.full((2, 49), 0.3)
    assert torch.allclose(ae.upsample_bicubic(flat), torch.full((2, 784), 0.3), atol=1e-5)
    x, _ = sample_digits
    up = ae.upsample_bicubic(ae.downsample(x[:20], 7), clip=False)
    assert up.shape == (20, 784) and (up.abs() > 1).any()  # bicubic overshoots at sharp edges ...
    assert ae.upsample_bicubic(ae.downsample(x[:20], 7)).abs().max() <= 1  # ... unless clipped


def test_bicubic_is_closer_to_the_digit_than_nearest_neighbour(sample_digits):
    x, _ = sample_digits
    low = ae.downsample(x[:200], 14)
    nearest = low.reshape(-1, 14, 14).repeat_interleave(2, 1).repeat_interleave(2, 2).reshape(-1, 784)
    assert ae.masked_mse(ae.upsample_bicubic(low), x[:200]) < ae.masked_mse(nearest, x[:200])


@pytest.mark.parametrize("call, match", [
    (lambda x: ae.downsample(x, 10), "divides 28"),
    (lambda x: ae.downsample(x[:, :100], 7), "784"),
    (lambda x: ae.upsample_bicubic(x[:, :50]), "square"),
    (lambda x: ae.upsample_bicubic(x), "smaller than 28"),
    (lambda x: Upsampler(9), "divides 28"),
    (lambda x: skewed_subset(torch.tensor([0, 1]), 4, 1), "present"),
    (lambda x: skewed_subset(torch.tensor([0, 4]), 4, 2), "only 1"),
])
def test_bad_input_is_refused(call, match, sample_digits):
    x, _ = sample_digits
    with pytest.raises(ValueError, match=match):
        call(x[:3])


def test_upsampler_shapes_and_skewed_subset():
    m = Upsampler(7, hidden=5)
    assert m(torch.zeros(3, 784)).shape == (3, 784) and m.upsample(torch.zeros(3, 49)).shape == (3, 784)
    x = torch.rand(3, 784) * 2 - 1
    assert torch.equal(m.encode(x), m.encoder(ae.downsample(x, 7)))  # the encoder sees the small digit only
    y = torch.tensor([4, 1, 4, 4, 2, 4])
    mask = skewed_subset(y, rare=4, kept=1, seed=0)
    assert mask.tolist().count(True) == 3 and mask[1] and mask[4] and int((y[mask] == 4).sum()) == 1
