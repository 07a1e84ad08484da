"""aehelpers.inpainting: OpenCV conversion and inpainting, fill_missing, square_mask, energy_inpaint."""

import numpy as np
import pytest
import torch

import aehelpers as ae
from aehelpers.inpainting import OPENCV_METHODS


@pytest.fixture
def digits(sample_digits):
    return sample_digits[0][:20]


def _noise(images, p, seed=0):
    return ae.dropout_noise(images.shape, p, generator=torch.Generator().manual_seed(seed))


# --- the uint8 conversion --------------------------------------------------------------

@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_to_opencv_recovers_the_clean_pixels_for_any_p(digits, p):
    noise = _noise(digits, p)
    images, masks = ae.to_opencv(digits * noise, noise)
    assert images.dtype == np.uint8 and masks.dtype == np.uint8 and images.shape == masks.shape == (20, 28, 28)
    kept = (noise != 0).numpy().reshape(-1, 28, 28)
    assert set(np.unique(masks)) <= {0, 255} and ((masks == 0) == kept).all()
    original = np.round((digits.numpy().reshape(-1, 28, 28) + 1) / 2 * 255)
    assert (images[kept] == original[kept]).all()          # MNIST's uint8 values, exactly
    assert (images[~kept] == 128).all()                      # dropped pixels: mid-grey
    assert torch.equal(ae.from_opencv(images)[torch.from_numpy(kept.reshape(20, 784))],
                       digits[noise != 0])


def test_lecture_conversion_is_right_only_at_p_one_half(digits):
    noise = _noise(digits, 0.5)
    lec_img, lec_mask = ae.lecture_opencv_inputs(digits * noise, noise)
    img, mask = ae.to_opencv(digits * noise, noise)
    assert ((lec_mask != 0) == (mask != 0)).all()            # same missing pixels at p = 0.5
    kept = mask == 0
    assert np.abs(lec_img[kept].astype(int) - img[kept]).max() <= 1  # byte() truncates instead of rounding
    noise = _noise(digits, 0.3)
    lec_img, lec_mask = ae.lecture_opencv_inputs(digits * noise, noise)
    assert (lec_mask != 0).all(), "at p = 0.3, 2 - noise.byte() is non-zero on kept pixels too"


def test_to_opencv_rejects_bad_input(digits):
    noise = _noise(digits, 0.5)
    with pytest.raises(ValueError, match="shape"):
        ae.to_opencv(digits * noise, noise[:, :100])
    with pytest.raises(TypeError, match="noise"):
        ae.to_opencv(digits * noise, noise != 0)
    with pytest.raises(ValueError, match="1/\\(1-p\\)"):
        ae.to_opencv(digits * noise, noise / 4)


# --- opencv_inpaint ----------------------------------------------------------------------

@pytest.mark.parametrize("method", OPENCV_METHODS)
def test_opencv_inpaint_shapes_range_and_known_pixels(digits, method):
    missing = ae.dropped(_noise(digits, 0.5))
    out = ae.opencv_inpaint(digits, missing, method=method, radius=3)
    assert out.shape == digits.shape and out.dtype == torch.float32
    assert out.min() >= -1 and out.max() <= 1
    assert torch.equal(out[~missing], digits[~missing])       # known pixels kept exactly
    # a useful fill: far closer to the truth at the dropped pixels than a constant grey
    assert ae.masked_mse(out, digits, missing) < 0.5 * ae.masked_mse(torch.zeros_like(digits), digits, missing)


@pytest.mark.parametrize("method", OPENCV_METHODS)
def test_opencv_inpaint_never_reads_the_missing_pixels(digits, method):
    missing = ae.dropped(_noise(digits, 0.5))
    scrambled = torch.where(missing, torch.rand_like(digits) * 2 - 1, digits)
    assert torch.equal(ae.opencv_inpaint(digits, missing, method),
                       ae.opencv_inpaint(scrambled, missing, method))


def test_opencv_inpaint_matches_cv2_on_the_lecture_inputs(digits):
    import cv2

    noise = _noise(digits, 0.5)
    images, masks = ae.to_opencv(digits * noise, noise)
    direct = np.stack([cv2.inpaint(i, m, 3, cv2.INPAINT_NS) for i, m in zip(images, masks)])
    assert torch.equal(ae.opencv_inpaint(digits, ae.dropped(noise), "ns"), ae.from_opencv(direct))


def test_opencv_inpaint_errors(digits):
    missing = ae.dropped(_noise(digits, 0.5))
    with pytest.raises(ValueError, match="unknown inpainting method 'bicubic'"):
        ae.opencv_inpaint(digits, missing, method="bicubic")
    with pytest.raises(TypeError, match="bool"):
        ae.opencv_inpaint(digits, missing.to(torch.uint8))
    with pytest.raises(ValueError, match="shape"):
        ae.opencv_inpaint(digits, missing[:5])
    with pytest.raises(ValueError, match="shape"):
        ae.opencv_inpaint(digits.reshape(-1, 28, 28), missing.reshape(-1, 28, 28))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        ae.opencv_inpaint(digits * 2, missing)               # img_bad at p = 0.5 is in [-2, 2]
    with pytest.raises(ValueError, match="radius"):
        ae.opencv_inpaint(digits, missing, radius=0)


# --- fill_missing, square_mask --------------------------------------------------------------

def test_fill_missing_and_square_mask(digits):
    block = ae.square_mask(len(digits), size=10)
    assert block.shape == digits.shape and block.dtype == torch.bool
    assert block.sum(1).eq(100).all() and block.reshape(-1, 28, 28)[:, 9:19, 9:19].all()
    out = ae.fill_missing(digits, torch.ones_like(digits), block)
    assert torch.equal(out[block], torch.ones(int(block.sum()))) and torch.equal(out[~block], digits[~block])
    with pytest.raises(ValueError, match="inside 28x28"):
        ae.square_mask(3, size=10, top=20)
    with pytest.raises(TypeError, match="bool"):
        ae.fill_missing(digits, digits, block.float())


# --- energy_inpaint ---------------------------------------------------------------------------

@pytest.mark.slow
def test_energy_inpaint_recovers_a_decodable_image_from_its_known_pixels():
    torch.manual_seed(0)
    model = ae.Autoencoder(784, 5).eval()
    z_true = torch.rand(8, 5) * 1.2 - 0.6
    with torch.no_grad():
        x = model.decode(z_true)                               # images exactly on the decoder's manifold
    known = ~ae.dropped(_noise(x, 0.5))
    out = ae.energy_inpaint(model, x, known, steps=400, lr=0.05)
    assert out.shape == x.shape and out.abs().max() < 1
    start = ae.masked_mse(model.decode(torch.zeros(8, 5)).detach(), x, ~known)
    assert ae.masked_mse(out, x, ~known) < 0.01 * start       # the missing pixels come back


def test_energy_inpaint_ignores_unknown_pixels_and_batches_do_not_matter(digits):
    model = ae.Autoencoder(784, 8)
    known = ~ae.dropped(_noise(digits, 0.5))
    a = ae.energy_inpaint(model, digits, known, steps=20)
    b = ae.energy_inpaint(model, torch.where(known, digits, -digits), known, steps=20, batch_size=7)
    assert torch.allclose(a, b, atol=1e-5)
    assert all(p.requires_grad for p in model.parameters()), "decoder flags restored"


def test_energy_inpaint_errors(digits):
    model = ae.Autoencoder(784, 8)
    known = ~ae.dropped(_noise(digits, 0.5))
    with pytest.raises(TypeError, match="bool"):
        ae.energy_inpaint(model, digits, known.float())
    with pytest.raises(ValueError, match="at least one known pixel"):
        ae.energy_inpaint(model, digits, torch.zeros_like(known))
    with pytest.raises(ValueError, match="init"):
        ae.energy_inpaint(model, digits, known, init=torch.zeros(len(digits), 3))
    with pytest.raises(TypeError, match="ae.EncoderDecoder"):
        ae.energy_inpaint(torch.nn.Linear(784, 784), digits, known)


# --- the comparison helpers of notebook 05 -------------------------------------------------

def test_compare_inpainters_scores_and_rows(digits, fresh_data):
    fresh_data("sample")                                       # the mean digit comes from the bundled sample
    model = ae.Autoencoder(784, 8).eval()
    noise = _noise(digits, 0.5)
    missing = ae.dropped(noise)
    out = ae.compare_inpainters(model, digits, noise, energy_steps=3)
    assert list(out) == ["denoiser", "energy", "telea", "ns", "mean digit", "grey"]
    for name, o in out.items():
        assert o.shape == digits.shape and o.abs().max() <= 1, name
    assert torch.allclose(out["denoiser"], ae.reconstruct(model, digits * noise))
    for name in ("telea", "ns", "mean digit", "grey"):
        assert torch.equal(out[name][~missing], digits[~missing]), name
    assert (out["grey"][missing] == 0).all()

    scores = ae.inpainting_scores(out, digits, missing)
    assert scores["grey"]["mse missing"] == pytest.approx(ae.masked_mse(out["grey"], digits, missing) / 4)
    assert scores["telea"]["psnr missing"] == pytest.approx(ae.psnr(out["telea"], digits, missing, value_range=(-1, 1)))
    # known pixels exact -> whole-image MSE = missing MSE x fraction missing
    frac = missing.float().mean().item()
    assert scores["ns"]["mse whole"] == pytest.approx(scores["ns"]["mse missing"] * frac, rel=1e-4)

    rows = ae.inpainting_rows(digits[:3], missing[:3], {k: v[:3] for k, v in out.items()})
    assert list(rows)[:3] == ["mask", "corrupted", "original"] and "Telea" in rows
    assert torch.equal(rows["mask"] == 1, missing[:3])


def test_compare_inpainters_errors(digits):
    model = ae.Autoencoder(784, 8)
    noise = _noise(digits, 0.5)
    with pytest.raises(ValueError, match="unknown method"):
        ae.compare_inpainters(model, digits, noise, methods=("bicubic",))
    with pytest.raises(TypeError, match="noise"):
        ae.compare_inpainters(model, digits, noise == 0, methods=("telea",))


def test_start_codes_decode_to_the_models_output(digits):
    model = ae.Autoencoder(784, 8).eval()
    codes = ae.start_codes(model, digits * 2)
    assert codes.shape == (20, 8) and codes.abs().max() <= 0.999
    out = ae.energy_inpaint(model, digits, torch.ones_like(digits, dtype=torch.bool), steps=0, init=codes)
    assert torch.allclose(out, ae.reconstruct(model, digits * 2), atol=1e-2)
