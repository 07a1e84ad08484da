"""Draw docs/results.png, the README's figure, from the cached models.

Ten held-out test digits (one per class) through the lecture's models: the
784->30->784 autoencoder against PCA-30, and the lecture's dropout corruption
(p = 0.5) repaired by the d = 500 denoiser and by OpenCV's Telea inpainting.
Trains (and caches) any model that is missing. Run from the repository root:

    .venv/bin/python scripts/make_readme_figure.py
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

import aehelpers as ae  # noqa: E402
import aehelpers.data  # noqa: E402

OUT = Path(__file__).resolve().parent.parent / "docs" / "results.png"


def main() -> None:
    ae.set_style()
    x_train, _ = ae.load_mnist(train=True)
    x_test, y_test = ae.load_mnist(train=False)
    show = torch.stack([(y_test == c).nonzero()[0, 0] for c in range(10)])
    x = x_test[show]
    noise = ae.dropout_noise(x.shape, generator=torch.Generator().manual_seed(0))
    x_bad = x * noise
    rows = {
        "test digit": x,
        "AE d=30": ae.reconstruct(ae.trained_autoencoder(d=30), x),
        "PCA-30": ae.pca_reconstruct(ae.pca_fit(x_train), x, k=30).float(),
        "dropout p=0.5": x_bad,
        "denoiser d=500": ae.reconstruct(ae.trained_autoencoder(d=500, denoise=True), x_bad),
        "OpenCV Telea": ae.opencv_inpaint(x, ae.dropped(noise), method="telea"),
    }
    source = aehelpers.data.data_source()  # "full" or "sample"
    fig = ae.show_rows(rows, size=1.0, suptitle=f"held-out test digits, values in [-1, 1] ({source} MNIST)")
    OUT.parent.mkdir(exist_ok=True)
    fig.savefig(OUT, dpi=80)
    plt.close(fig)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
