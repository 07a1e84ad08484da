"""``python -m aehelpers``: the report a bug report needs, and nothing written or changed."""

import os
import platform
import re
import subprocess
import sys
from importlib import metadata

import pytest
import torch

from aehelpers.__main__ import find_chromium


def _report(tmp_path, **env) -> tuple[dict, str]:
    """Run ``python -m aehelpers`` on an empty data folder holding two cached models; returns its
    lines as {what: value} and the whole output."""
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "autoencoder-0123456789ab.pt").write_bytes(b"\0" * 2**20)
    (tmp_path / "models" / "upsampler-ba9876543210.pt").write_bytes(b"\0" * 2**19)
    env = {**os.environ, "AEHELPERS_DATA": str(tmp_path), "AEHELPERS_DATASET": "sample",
           "AEHELPERS_DEVICE": "cpu", **env}
    run = subprocess.run([sys.executable, "-m", "aehelpers"], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = dict(re.fullmatch(r"(.+?)\s{2,}(.*)", line).groups() for line in run.stdout.splitlines()[2:])
    return lines, run.stdout


@pytest.mark.slow
def test_the_report_says_what_a_bug_report_needs(tmp_path):
    lines, out = _report(tmp_path, AEHELPERS_CHROMIUM="none")
    assert out.startswith("Paste this into your bug report:")
    assert lines["Python"].startswith(platform.python_version())
    assert lines["PyTorch"] == torch.__version__
    assert lines["device"].startswith("cpu")
    assert lines["data"].startswith("bundled MNIST sample: 4,000 training / 1,000 test digits")
    assert lines["model cache"] == f"2 models, 1.5 MiB, in {tmp_path / 'models'}"
    for what, distribution in (("JupyterLab", "jupyterlab"), ("ipywidgets", "ipywidgets"),
                               ("matplotlib", "matplotlib")):
        assert lines[what] == metadata.version(distribution)
    assert lines["OpenCV"] == __import__("cv2").__version__
    assert lines["Chromium"].startswith("not found") and "skipped" in lines["Chromium"]
    assert "AEHELPERS_DATASET=sample" in lines["settings"] and "AEHELPERS_CHROMIUM=none" in lines["settings"]
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["autoencoder-0123456789ab.pt", "models",
                                                           "upsampler-ba9876543210.pt"], "it wrote nothing"


@pytest.mark.slow
def test_a_setting_that_fails_is_reported_not_raised(tmp_path):
    lines, _ = _report(tmp_path, AEHELPERS_DEVICE="gpu0")
    assert lines["device"].startswith("none: AEHELPERS_DEVICE='gpu0' is not a torch device")


def test_chromium_is_what_aehelpers_chromium_says(tmp_path, monkeypatch):
    fake = tmp_path / "chromium"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("AEHELPERS_CHROMIUM", str(fake))
    assert find_chromium() == str(fake)
    monkeypatch.setenv("AEHELPERS_CHROMIUM", "none")
    assert find_chromium() is None
    monkeypatch.setenv("AEHELPERS_CHROMIUM", str(tmp_path / "missing"))
    assert find_chromium() is None
    monkeypatch.delenv("AEHELPERS_CHROMIUM")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert find_chromium() == str(fake), "else chromium on the PATH"
