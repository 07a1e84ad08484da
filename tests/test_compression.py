"""The code quantiser, OpenCV round trips, rate interpolation and the decoder's break-even."""

import math

import pytest
import torch

import aehelpers as ae


def test_quantise_levels_and_centres_by_hand():
    codes = torch.tensor([[-1.0, 0.0], [0.99, -0.26], [5.0, -9.0]])
    q = ae.quantise(codes, 2, -1.0, 1.0)  # 4 levels of width 0.5 on [-1, 1]
    assert q.tolist() == [[0, 2], [3, 1], [3, 0]]  # out-of-range values are clipped
    back = ae.dequantise(q, 2, -1.0, 1.0)
    assert back.tolist() == [[-0.75, 0.25], [0.75, -0.25], [0.75, -0.75]]


def test_quantisation_error_is_at_most_half_a_level_and_shrinks_with_bits():
    g = torch.Generator().manual_seed(0)
    codes = torch.rand(500, 30, generator=g) * 2 - 1
    low, high = ae.code_range(codes)
    errors = {}
    for bits in (2, 4, 8):
        back = ae.dequantise(ae.quantise(codes, bits, low, high), bits, low, high)
        half_step = (high - low) / 2 ** bits / 2
        assert ((back - codes).abs() <= half_step + 1e-6).all()
        errors[bits] = float((back - codes).square().mean())
    assert errors[8] < errors[4] < errors[2]


def test_code_bytes_packs_bits():
    assert ae.code_bytes(30, 8) == 30 and ae.code_bytes(30, 4) == 15 and ae.code_bytes(30, 3) == 12


@pytest.mark.parametrize("call, match", [
    (lambda: ae.quantise(torch.zeros(2, 3), 0, -1, 1), "bits must be an int from 1 to 16"),
    (lambda: ae.quantise(torch.zeros(2, 3), 8, 1, -1), "high > low"),
    (lambda: ae.quantise(torch.zeros(2, 3), 8, torch.zeros(2), torch.ones(2)), "d = 3"),
    (lambda: ae.quantise(torch.zeros(3), 8, -1, 1), "shape"),
    (lambda: ae.dequantise(torch.tensor([[0, 300]]), 8, -1, 1), r"0 \.\. 2\^bits - 1"),
    (lambda: ae.dequantise(torch.zeros(2, 3), 8, -1, 1), "integer tensor"),
])
def test_quantiser_refuses_bad_input(call, match):
    with pytest.raises((TypeError, ValueError), match=match):
        call()


def test_png_is_lossless_and_jpeg_is_not(sample_digits):
    x, _ = sample_digits
    x = x[:20]
    png, png_bytes = ae.opencv_codec(x, "png")
    assert torch.equal(png, x) and png_bytes > 0  # bit for bit: the same arithmetic as load_mnist
    jpg, jpg_bytes = ae.opencv_codec(x, "jpeg", quality=20)
    assert ae.masked_mse(jpg, x) > 1e-4
    _, big = ae.opencv_codec(x, "jpeg", quality=95)
    assert big > jpg_bytes  # higher quality costs more bytes


def test_mosaic_pays_the_header_once(sample_digits):
    x, _ = sample_digits
    x = x[:200]
    one_by_one = ae.opencv_codec(x, "png")[1]
    together, per_digit = ae.opencv_codec(x, "png", mosaic=True)
    assert torch.equal(together, x)  # tiles come back in order
    assert per_digit < one_by_one


def test_opencv_codec_refuses_bad_input(sample_digits):
    x, _ = sample_digits
    with pytest.raises(ValueError, match="'jpeg' or 'png'"):
        ae.opencv_codec(x[:2], "webp")
    with pytest.raises(ValueError, match="quality"):
        ae.opencv_codec(x[:2], "jpeg", quality=0)
    with pytest.raises(ValueError, match="\\[-1, 1\\]"):
        ae.opencv_codec(x[:2] * 3, "png")


def test_rate_at_psnr_interpolates_in_log_bytes():
    assert ae.rate_at_psnr([10, 100], [20, 30], 25) == pytest.approx(math.sqrt(10 * 100))
    assert ae.rate_at_psnr([100, 10], [30, 20], 20) == pytest.approx(10)  # any order
    with pytest.raises(ValueError, match="outside the measured"):
        ae.rate_at_psnr([10, 100], [20, 30], 31)
    with pytest.raises(ValueError, match="same length"):
        ae.rate_at_psnr([10], [20, 30], 25)


def test_break_even():
    assert ae.break_even(1000, 30, 40) == 100
    assert ae.break_even(1000, 30, 30) == math.inf
    with pytest.raises(ValueError, match="decoder_bytes"):
        ae.break_even(-1, 30, 40)
