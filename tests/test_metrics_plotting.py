"""aehelpers.metrics and aehelpers.plotting."""

import itertools
import math

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

import aehelpers as ae
from aehelpers.plotting import as_digits


def test_masked_mse_and_psnr_known_values():
    target = torch.zeros(2, 784)
    pred = torch.zeros(2, 784)
    pred[0, :10] = 0.2  # in [-1, 1] units
    mask = torch.zeros(2, 784, dtype=torch.bool)
    mask[0, :10] = True
    assert ae.masked_mse(pred, target, mask) == pytest.approx(0.04)
    assert ae.masked_mse(pred, target) == pytest.approx(0.04 * 10 / 1568)
    # 0.2 in [-1, 1] is 0.1 in [0, 1]: MSE 0.01 -> 20 dB
    assert ae.psnr(pred, target, mask, value_range=(-1, 1)) == pytest.approx(20.0)
    assert ae.psnr(pred / 2, target / 2, mask, value_range=(0, 1)) == pytest.approx(20.0)
    assert ae.psnr(target, target, value_range=(-1, 1)) == math.inf


def test_psnr_needs_the_range_and_rejects_data_outside_it():
    digits01 = torch.rand(2, 784)
    with pytest.raises(TypeError):
        ae.psnr(digits01, digits01)  # no silent default: [0, 1] data would gain 6 dB on (-1, 1)
    with pytest.raises(ValueError, match="outside value_range"):
        ae.psnr(digits01, digits01 * 255, value_range=(0, 1))


@pytest.mark.parametrize("where", ["pred", "target"])
def test_masked_mse_refuses_nan_instead_of_returning_it(where):
    a, b = torch.zeros(2, 784), torch.zeros(2, 784)
    (a if where == "pred" else b)[1, 3] = float("nan")
    with pytest.raises(ValueError, match=f"{where} contains NaN"):
        ae.masked_mse(a, b)


def test_empty_inputs_are_clear_errors():
    with pytest.raises(ValueError, match="empty"):
        ae.masked_mse(torch.zeros(0, 784), torch.zeros(0, 784))
    with pytest.raises(ValueError, match="empty"):
        ae.reconstruct(ae.Autoencoder(784, 4), torch.zeros(0, 784))
    with pytest.raises(ValueError, match="784"):
        ae.encode(ae.Autoencoder(784, 4), torch.zeros(3, 100))
    with pytest.raises(ValueError, match="code size d"):
        ae.decode(ae.Autoencoder(784, 4), torch.zeros(3, 5))


@pytest.mark.parametrize("mask, err", [
    (torch.ones(2, 784), TypeError), (torch.ones(2, 10, dtype=torch.bool), ValueError),
    (torch.zeros(2, 784, dtype=torch.bool), ValueError),
])
def test_bad_masks(mask, err):
    with pytest.raises(err, match="mask"):
        ae.masked_mse(torch.zeros(2, 784), torch.zeros(2, 784), mask)


def test_shape_mismatch_and_bad_range():
    with pytest.raises(ValueError, match="shapes differ"):
        ae.masked_mse(torch.zeros(2, 784), torch.zeros(3, 784))
    with pytest.raises(ValueError, match="value_range"):
        ae.psnr(torch.zeros(1), torch.ones(1), value_range=(1, 1))
    with pytest.raises(ValueError, match="an MSE must be"):
        from aehelpers.metrics import psnr_of_mse
        psnr_of_mse(float("nan"))


def test_reconstruct_matches_model_and_restores_mode():
    model = ae.Autoencoder(784, 5).train()
    x = torch.randn(10, 784)
    out = ae.reconstruct(model, x, batch_size=3)
    assert torch.allclose(out, model(x), atol=1e-6) and not out.requires_grad and model.training
    codes = ae.encode(model, x, batch_size=3)
    assert codes.shape == (10, 5) and torch.allclose(codes, model.encode(x), atol=1e-6)
    assert torch.allclose(ae.decode(model, codes, batch_size=4), out, atol=1e-6)
    assert model.training and not codes.requires_grad


def test_psnr_is_the_psnr_of_the_mse():
    from aehelpers.metrics import psnr_of_mse

    pred, target = torch.zeros(2, 784), torch.full((2, 784), 0.2)  # [-1, 1] units: MSE01 = 0.01
    assert ae.psnr(pred, target, value_range=(-1, 1)) == pytest.approx(psnr_of_mse(0.01)) == pytest.approx(20.0)
    assert psnr_of_mse(0.0) == float("inf")


def test_set_style_is_explicit():
    before = dict(matplotlib.rcParams)
    import importlib
    importlib.reload(ae.plotting)  # re-importing changes nothing
    assert dict(matplotlib.rcParams) == before
    ae.set_style(presentation=True)
    big = matplotlib.rcParams["axes.titlesize"]
    ae.set_style()
    assert big > matplotlib.rcParams["axes.titlesize"] and matplotlib.rcParams["image.cmap"] == "gray"


def test_show_images_grid_titles_and_fixed_range():
    x = torch.linspace(-0.5, 0.5, 5 * 784).reshape(5, 784)
    fig = ae.show_images(x, titles=list("abcde"), ncols=3, suptitle="five")
    axes = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 6 and len(axes) == 5
    assert [ax.get_title() for ax in axes] == list("abcde")
    assert all(ax.images[0].get_clim() == (-1.0, 1.0) for ax in axes), "no automatic rescaling"
    plt.close(fig)


def test_show_rows_and_kernels():
    noisy, clean = torch.zeros(4, 784), torch.linspace(-1, 1, 4 * 784).reshape(4, 28, 28)
    fig = ae.show_rows({"noisy": noisy, "clean": clean})
    assert [ax.get_title() for ax in fig.axes] == ["noisy", "clean"], "one titled panel per row"
    strip = fig.axes[1].images[0]
    assert strip.get_clim() == (-1.0, 1.0), "no automatic rescaling"
    pixels = strip.get_array()
    assert pixels.shape == (28, 4 * 28 + 3 * 2)
    assert np.array_equal(pixels[:, 30:58], clean[1].numpy()), "digit j is column j of the strip"
    assert np.isnan(np.ma.filled(pixels, np.nan)[:, 28:30]).all(), "blank gaps between digits"
    plt.close(fig)
    with pytest.raises(ValueError, match="same number"):
        ae.show_rows({"a": noisy, "b": noisy[:3]})
    w = torch.randn(30, 784)
    fig = ae.show_kernel_grids({"kernels": w}, n=12, ncols=6)
    im = [ax for ax in fig.axes if ax.images][0].images[0]
    lo, hi = im.get_clim()
    assert lo == -hi == pytest.approx(-w[:12].abs().max().item()), "symmetric around 0"
    plt.close(fig)


@pytest.mark.parametrize("bad", [np.zeros((3, 100)), np.zeros((2, 3, 4, 5))])
def test_as_digits_rejects_other_shapes(bad):
    with pytest.raises(ValueError, match="784"):
        as_digits(bad)
    with pytest.raises(ValueError, match="titles"):
        ae.show_images(np.zeros((2, 784)), titles=["one"])


def _draw(level=0.5):
    fig, ax = plt.subplots()
    ax.imshow(np.full((28, 28), level), vmin=-1, vmax=1)
    ax.set_title(f"level {level}")
    plt.show()


def test_interactive_figure_shows_the_widget_once_with_a_static_png_fallback(monkeypatch):
    import IPython.display
    import ipywidgets as widgets

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj, raw=False: shown.append((obj, raw)))
    before = plt.get_fignums()
    ui = ae.interactive_figure(_draw, level=widgets.FloatSlider(value=0.25, min=-1, max=1))
    assert len(shown) == 1, "one output: the widget, with the PNG as its fallback"
    bundle, raw = shown[0]
    assert raw and bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == ui.model_id
    assert bundle["image/png"].startswith(b"\x89PNG"), "headless runs and static pages get a picture"
    assert isinstance(ui.children[0], widgets.FloatSlider) and ui.children[0].value == 0.25


def test_the_static_fallback_figure_is_closed_not_shown_again():
    from aehelpers.plotting import _figures_as_png

    before = plt.get_fignums()
    png = _figures_as_png(_draw, {"level": 0.1})
    assert png.startswith(b"\x89PNG") and plt.get_fignums() == before


def test_interactive_figure_bad_arguments():
    import ipywidgets as widgets

    with pytest.raises(TypeError, match="ipywidgets control"):
        ae.interactive_figure(_draw, level=0.5)
    with pytest.raises(TypeError, match="callback must be a function"):
        ae.interactive_figure("draw", level=widgets.FloatSlider())
    with pytest.raises(ValueError, match="drew no matplotlib figure"):
        ae.interactive_figure(lambda level: None, level=widgets.FloatSlider())


# ---------------------------------------------------------------- ROC AUC
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
    (torch.rand(4), torch.tensor([0, 1, 0]), ValueError, "of one length"),
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


# ---------------------------------------------------------------- Spearman
def test_spearman_is_one_for_any_increasing_map_and_minus_one_for_decreasing():
    a = torch.randn(200)
    assert ae.spearman(a, a.exp()) == pytest.approx(1.0)
    assert ae.spearman(a, -a ** 3) == pytest.approx(-1.0)


def test_spearman_matches_the_textbook_formula_and_averages_ties():
    a = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0])
    b = torch.tensor([2.0, 1.0, 4.0, 3.0, 5.0])
    # no ties: 1 - 6 sum d^2 / (n (n^2 - 1)), with d = (1, -1, 1, -1, 0)
    assert ae.spearman(a, b) == pytest.approx(1 - 6 * 4 / (5 * 24))
    # ties share their average rank: b's ranks (1.5, 1.5, 3, 4, 5)
    tied = torch.tensor([1.0, 1.0, 2.0, 3.0, 4.0])
    ranks = torch.tensor([1.5, 1.5, 3.0, 4.0, 5.0])
    expected = torch.corrcoef(torch.stack([a, ranks]))[0, 1]
    assert ae.spearman(a, tied) == pytest.approx(float(expected))


def test_spearman_refuses_bad_input():
    with pytest.raises(ValueError, match="same length"):
        ae.spearman(torch.arange(3.0), torch.arange(4.0))
    with pytest.raises(ValueError, match="constant"):
        ae.spearman(torch.arange(3.0), torch.ones(3))
    with pytest.raises(TypeError, match="1-D tensor"):
        ae.spearman(torch.zeros(3, 2), torch.zeros(3))


@pytest.mark.parametrize("low, high", [(0.03, 0.045), (0.02, 0.5), (1e-4, 0.5), (3.0, 700.0)])
def test_log_axis_labels_few_plain_numbers(low, high):
    """Within a decade matplotlib's own log axis labels every minor tick (3e-2, 4e-2, ... colliding
    in presentation mode); log_axis labels only major ticks, in plain numbers: 1, 2 and 5 times a
    power of ten where the range holds two of them, a few linear ticks where it does not."""
    fig, ax = plt.subplots()
    ax.plot([1, 2], [low, high])
    ae.log_axis(ax, "y")
    fig.canvas.draw()
    lo, hi = ax.get_ylim()
    labelled = [t for t in ax.yaxis.get_ticklabels() if t.get_text() and lo <= t.get_position()[1] <= hi]
    assert ax.get_yscale() == "log"
    assert not [t for t in ax.yaxis.get_ticklabels(minor=True) if t.get_text()]
    assert 2 <= len(labelled) <= 10, [t.get_text() for t in labelled]
    assert all("times" not in t.get_text() and "^" not in t.get_text() for t in labelled)
    mantissas = {round(t.get_position()[1] / 10 ** math.floor(math.log10(t.get_position()[1]) + 1e-9), 6)
                 for t in labelled}
    if hi / lo > 100:
        assert mantissas == {1.0}, [t.get_text() for t in labelled]
    elif high / low > 10:
        assert mantissas <= {1.0, 2.0, 5.0}, [t.get_text() for t in labelled]
    plt.close(fig)


def test_log_axis_refuses_another_axis_name():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="'x' or 'y'"):
        ae.log_axis(ax, "z")
    plt.close(fig)


def test_set_style_switches_modes_in_one_session():
    """A presenter switches PRESENTATION and re-runs the notebook in the same kernel (tests_live
    relies on it): every setting that one mode makes, the other makes too."""
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        ae.set_style(presentation=True)
        fresh = dict(matplotlib.rcParams)
        matplotlib.rcdefaults()
        ae.set_style()
        ae.set_style(presentation=True)
        assert dict(matplotlib.rcParams) == fresh
