"""Figures for the notebooks: digits in grayscale with explicit value ranges.

Digits are shown with ``vmin=-1, vmax=1`` (the lecture's normalisation) unless told
otherwise, so a mid-grey pixel means 0, never an automatic rescaling. ``mosaic``
tiles images into one array (one Axes per figure row instead of one per digit);
encoder kernels are drawn by ``aehelpers.kernels``. Nothing here runs on import:
``set_style()`` changes matplotlib's settings only when called.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["set_style", "log_axis", "show_images", "show_rows", "mosaic", "as_digits", "interactive_figure"]


def set_style(presentation: bool = False) -> None:
    """Matplotlib settings for the notebooks (called in each setup cell).

    ``presentation=True``: large fonts, thick lines and high contrast, for a
    projector in a lecture hall. Either way figures use matplotlib's constrained
    layout, so that titles, labels and tick labels do not run into each other.
    ``tests_live/test_live.py`` renders every notebook's figures in both
    modes and checks the text size on screen and that no two texts overlap.
    """
    import matplotlib as mpl

    mpl.rcParams.update({
        "figure.dpi": 120 if presentation else 80,  # presentation: every figure 1.5x larger on screen
        "figure.constrained_layout.use": True,
        "figure.constrained_layout.h_pad": 0.06,  # inches around each panel (default 0.04)
        "figure.constrained_layout.w_pad": 0.06,
        "font.size": 14 if presentation else 10,  # what "small", "large", ... are relative to
        "image.cmap": "gray",
        "image.interpolation": "nearest",
        "axes.grid": False,
        "axes.titlesize": 16 if presentation else 10,
        "axes.labelsize": 16 if presentation else 10,
        "xtick.labelsize": 14 if presentation else 9,
        "ytick.labelsize": 14 if presentation else 9,
        "legend.fontsize": 14 if presentation else 9,
        "figure.titlesize": 18 if presentation else 12,
        "lines.linewidth": 3 if presentation else 1.5,
        "font.weight": "bold" if presentation else "normal",
        "figure.facecolor": "white",
        "axes.facecolor": "white",
    })


def log_axis(ax, which: str = "y") -> None:
    """Put ``ax``'s x or y axis (``which``) on a log scale whose labels cannot collide.

    Matplotlib labels the minor ticks of a log axis that spans less than about a decade
    (``3×10⁻²``, ``4×10⁻²``, ... a few pixels apart in presentation mode). Here only the
    major ticks get a label, as a plain number (0.02): 1, 2 and 5 times a power of ten (only
    the powers of ten on a range of more than two decades), or, on a range too narrow to hold
    two of them, matplotlib's few linear ticks. Used by notebooks 02 (rate-distortion) and 03 (loss curves).
    """
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    if which not in ("x", "y"):
        raise ValueError(f"which must be 'x' or 'y', got {which!r}")
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))

    def label(value, _):
        low, high = sorted(axis.get_view_interval())
        mantissa = value / 10 ** math.floor(math.log10(value) + 1e-9)
        if high / low > 100 and round(mantissa, 6) != 1:  # over two decades: powers of ten only
            return ""
        return f"{value:g}"

    axis.set_major_formatter(FuncFormatter(label))
    axis.set_minor_formatter(NullFormatter())


def as_digits(images) -> np.ndarray:
    """Tensor/array of shape (N, 784), (N, 28, 28), (784,) or (28, 28) -> (N, 28, 28) numpy."""
    if isinstance(images, torch.Tensor):
        images = images.detach().cpu().numpy()
    arr = np.asarray(images, dtype=np.float32)
    if arr.ndim in (1, 2) and arr.shape[-1] == 784:
        arr = arr.reshape(-1, 28, 28)
    elif arr.ndim == 2 and arr.shape == (28, 28):
        arr = arr[None]
    if arr.ndim != 3 or arr.shape[1:] != (28, 28):
        raise ValueError(f"expected digits of shape (N, 784) or (N, 28, 28), got {arr.shape}")
    return arr


def show_images(images, titles=None, ncols: int = 10, vmin: float = -1.0, vmax: float = 1.0,
                suptitle: str | None = None, size: float = 1.2, cmap: str = "gray"):
    """Grid of digits (N, 784) or (N, 28, 28); returns the figure.

    Values are drawn on the fixed range [vmin, vmax] ([-1, 1] by default; use
    ``vmin=0`` for [0, 1] data). ``titles``: one string per digit, or None.
    """
    import matplotlib.pyplot as plt

    digits = as_digits(images)
    n = len(digits)
    if titles is not None and len(titles) != n:
        raise ValueError(f"got {len(titles)} titles for {n} images")
    ncols = max(1, min(ncols, n))
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + (0.4 if suptitle else 0)),
                             squeeze=False, layout="constrained")
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(digits[i], cmap=cmap, vmin=vmin, vmax=vmax)
            if titles is not None:
                ax.set_title(titles[i], fontsize="medium")
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def mosaic(tiles: np.ndarray, ncols: int, pad: int = 1) -> np.ndarray:
    """Tiles (N, h, w) laid out ``ncols`` to a row in one 2-D float array, ``pad`` NaN
    pixels between them (``imshow`` leaves NaN blank, or draws a colormap's "bad" colour).

    Returns shape (rows (h + pad) - pad, ncols (w + pad) - pad). Used by ``show_rows``
    (one row of digits) and ``kernel_mosaic`` (grids of encoder kernels).
    """
    n, h, w = tiles.shape
    if n == 0 or ncols < 1 or pad < 0:
        raise ValueError(f"need at least one tile, ncols >= 1 and pad >= 0; got {n}, {ncols}, {pad}")
    ncols = min(ncols, n)
    nrows = math.ceil(n / ncols)
    out = np.full((nrows * (h + pad) - pad, ncols * (w + pad) - pad), np.nan)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, ncols)
        out[r * (h + pad):r * (h + pad) + h, c * (w + pad):c * (w + pad) + w] = tile
    return out


def show_rows(rows: dict, vmin: float = -1.0, vmax: float = 1.0, size: float = 1.2,
              suptitle: str | None = None):
    """One titled panel per entry of ``rows`` ({label: (N, 784) digits}); returns the figure.

    For comparisons such as [corrupted, denoised, original]: every row has the same
    number of digits, so column j of every panel is the same test digit; values use
    the fixed range [vmin, vmax]. Each row is one image with white gaps between the
    digits (one Axes per row, not per digit: ten times faster to draw, which an
    instructor's Restart & Run All notices). Used by notebooks 01-05.
    """
    import matplotlib.pyplot as plt

    data = {label: as_digits(v) for label, v in rows.items()}
    lengths = {len(v) for v in data.values()}
    if len(lengths) != 1:
        raise ValueError(f"all rows need the same number of digits, got {sorted(lengths)}")
    ncols = lengths.pop()
    cmap = plt.get_cmap("gray").with_extremes(bad="white")
    fig, axes = plt.subplots(len(data), 1, figsize=(size * ncols, (size + 0.15) * len(data) + 0.3),
                             squeeze=False, layout="constrained")
    for ax, (label, digits) in zip(axes[:, 0], data.items()):
        ax.imshow(mosaic(digits, ncols=ncols, pad=2), cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_frame_on(False)
        ax.set_title(label)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def _figures_as_png(callback, values: dict) -> bytes:
    """Run ``callback(**values)`` without showing anything; return the figure it drew as PNG bytes."""
    import io
    from unittest import mock

    import matplotlib.pyplot as plt

    before = set(plt.get_fignums())
    with mock.patch.object(plt, "show", lambda *a, **k: None):
        callback(**values)
    new = [plt.figure(n) for n in plt.get_fignums() if n not in before]
    if not new:
        raise ValueError(f"{getattr(callback, '__name__', 'callback')} drew no matplotlib figure")
    buffer = io.BytesIO()
    new[-1].savefig(buffer, format="png", bbox_inches="tight")
    for fig in new:
        plt.close(fig)
    return buffer.getvalue()


def interactive_figure(callback, **controls):
    """A widget that redraws ``callback(**values)`` whenever a control moves, shown once.

    ``callback``: a plain function that draws one matplotlib figure and ends with
    ``plt.show()`` (tests call it directly); ``controls``: its keyword arguments as
    ipywidgets controls (``IntSlider``, ``Dropdown``, ...), as for ``ipywidgets.interact``.
    Displays one output that carries two representations: the live widget, which
    JupyterLab renders (the figure appears once, inside it), and a static PNG of the
    first figure, which headless runs (nbval, the static site, GitHub) show instead.
    Returns the ``ipywidgets.interactive`` object. Used by notebooks 01 and 04-07.
    """
    import ipywidgets as widgets
    from IPython.display import display

    if not callable(callback):
        raise TypeError(f"callback must be a function that draws a figure, got {type(callback).__name__}")
    for name, control in controls.items():
        if not isinstance(control, widgets.ValueWidget):
            raise TypeError(f"control {name!r} must be an ipywidgets control (e.g. widgets.IntSlider), "
                            f"got {type(control).__name__}")
    png = _figures_as_png(callback, {name: control.value for name, control in controls.items()})
    ui = widgets.interactive(callback, **controls)
    bundle = {"application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                           "model_id": ui.model_id},
              "image/png": png,
              "text/plain": f"interactive figure: {getattr(callback, '__name__', 'callback')}"}
    display(bundle, raw=True)
    return ui
