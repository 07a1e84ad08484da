"""``python -m aehelpers``: what a bug report needs, in a dozen lines to paste.

Prints the Python and PyTorch in use and the device the notebooks would train on, the MNIST in
use (full or the bundled sample, and where from), the model cache (how many models, their size,
the folder), the versions of JupyterLab, ipywidgets, matplotlib and OpenCV, whether the browser
test has a Chromium, and every ``AEHELPERS_*`` variable that is set. Reads only: it downloads
nothing, except what the notebooks' own first cell would (full MNIST, when it is missing and
may be fetched), and writes nothing.
"""

from __future__ import annotations

import os
import platform
import shutil
import sys
from importlib import metadata
from pathlib import Path

DEBIAN_CHROMIUM = Path("/usr/bin/chromium")


def find_chromium() -> str | None:
    """The Chromium the browser tests use, or None: ``$AEHELPERS_CHROMIUM`` if set (``none``: no
    Chromium), else ``chromium`` on the PATH, else Debian's ``/usr/bin/chromium``."""
    chosen = os.environ.get("AEHELPERS_CHROMIUM", "").strip()
    if chosen:
        return None if chosen.lower() == "none" or not Path(chosen).is_file() else chosen
    found = shutil.which("chromium")
    return found or (str(DEBIAN_CHROMIUM) if DEBIAN_CHROMIUM.is_file() else None)


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _opencv() -> str:
    try:
        import cv2
    except ImportError as err:
        return f"not importable ({err})"
    return cv2.__version__


def _device() -> str:
    import torch

    from aehelpers.runtime import device

    try:
        dev = device()
    except ValueError as err:
        return f"none: {err}"
    if dev.type == "cuda":
        return f"{dev} ({torch.cuda.get_device_name(dev)})"
    if dev.type == "cpu":
        return f"cpu ({torch.get_num_threads()} threads; no CUDA, no MPS)"
    return str(dev)


def _data() -> str:
    from aehelpers.data import describe_data

    try:
        return describe_data()
    except Exception as err:  # noqa: BLE001 - the report shows what the notebooks would raise
        return f"cannot be loaded: {type(err).__name__}: {err}"


def _model_cache() -> str:
    from aehelpers.data import data_dir

    folder = data_dir() / "models"
    models = sorted(folder.glob("*.pt")) if folder.is_dir() else []
    size = sum(p.stat().st_size for p in models)
    return f"{len(models)} model{'' if len(models) == 1 else 's'}, {size / 2**20:.1f} MiB, in {folder}"


def _chromium() -> str:
    found = find_chromium()
    if found is None:
        return ("not found (set AEHELPERS_CHROMIUM, or on Debian `apt-get install chromium`): "
                "the browser tests are skipped")
    playwright = _version("playwright")
    return f"{found} (Playwright {playwright})"


def report() -> list[tuple[str, str]]:
    """The report's lines, as (what, value) pairs."""
    import torch

    import aehelpers

    settings = ", ".join(f"{k}={v}" for k, v in sorted(os.environ.items()) if k.startswith("AEHELPERS_"))
    return [
        ("aehelpers", f"{_version('aehelpers')} from {Path(aehelpers.__file__).parent}"),
        ("Python", f"{platform.python_version()} ({sys.executable}) on {platform.platform()}"),
        ("PyTorch", torch.__version__),
        ("device", _device()),
        ("data", _data()),
        ("model cache", _model_cache()),
        ("JupyterLab", _version("jupyterlab")),
        ("ipywidgets", _version("ipywidgets")),
        ("matplotlib", _version("matplotlib")),
        ("OpenCV", _opencv()),
        ("Chromium", _chromium()),
        ("settings", settings or "no AEHELPERS_* variable set"),
    ]


def main() -> None:
    lines = report()
    width = max(len(what) for what, _ in lines)
    print("Paste this into your bug report:\n")
    for what, value in lines:
        print(f"{what:<{width}}  {value}")


if __name__ == "__main__":
    main()
