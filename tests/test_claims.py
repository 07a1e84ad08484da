"""aehelpers.claims: one measured value against one threshold, labelled, raised on full MNIST."""

import json

import pytest
import torch

import aehelpers as ae


@pytest.fixture
def full(monkeypatch):
    monkeypatch.setattr("aehelpers.data.data_source", lambda: "full")


def test_a_claim_that_holds_prints_value_threshold_margin_and_label(full, capsys):
    ae.check_claim("AE beats PCA", 0.8, "<", 1.0, lecture=True)
    out = capsys.readouterr().out
    assert "lecture's claim: AE beats PCA" in out and "measured 0.8 < 1" in out and "margin +20%" in out


@pytest.mark.parametrize("value, op, threshold", [(1.2, "<", 1.0), (0.5, ">", 0.6), (2.0, "in", (0.5, 1.5))])
def test_a_failed_claim_raises_an_explicit_exception_on_full_mnist(full, value, op, threshold):
    with pytest.raises(ae.ClaimNotReproduced, match="notebook's finding not reproduced on full MNIST: x -- measured"):
        ae.check_claim("x", value, op, threshold, lecture=False)


@pytest.mark.slow
def test_claims_survive_python_O(full):
    """ClaimNotReproduced is raised, not asserted: `python -O` cannot switch it off."""
    import subprocess
    import sys

    code = ("import aehelpers.data as d; d.data_source = lambda: 'full'\n"
            "import aehelpers as ae\nae.check_claim('x', 2.0, '<', 1.0, lecture=True)")
    run = subprocess.run([sys.executable, "-O", "-c", code], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "ClaimNotReproduced" in run.stderr


def test_on_the_sample_the_outcome_is_printed_not_raised(fresh_data, capsys):
    fresh_data("sample")
    ae.check_claim("x", 2.0, "<", 1.0, lecture=True)
    assert "not asserted on the bundled sample (does NOT hold here): x" in capsys.readouterr().out


def test_tensors_and_ranges(full, capsys):
    """A 0-d tensor is read as its number, and a range claim holds inside it, not outside."""
    ae.check_claim("t", torch.tensor(0.3), "in", (0.0, 1.0), lecture=False)
    assert "measured 0.3 in (0, 1) (margin +30%)" in capsys.readouterr().out
    with pytest.raises(ae.ClaimNotReproduced, match=r"measured 1.3 in \(0, 1\)"):
        ae.check_claim("t", torch.tensor(1.3), "in", (0.0, 1.0), lecture=False)


@pytest.mark.parametrize("args, kw, err, match", [
    (("x", 1.0, "<=", 2.0), dict(lecture=True), ValueError, "op must be one of"),
    (("x", float("nan"), "<", 2.0), dict(lecture=True), ValueError, "NaN"),
    (("x", True, "<", 2.0), dict(lecture=True), TypeError, "real number"),
    (("x", 1.0, "<", 2.0), dict(lecture="yes"), TypeError, "lecture must be True"),
    (("x", 1.0, "in", 2.0), dict(lecture=True), TypeError, r"needs threshold=\(low, high\)"),
    (("x", 1.0, "in", (2.0, 1.0)), dict(lecture=True), ValueError, "low < high"),
    (("", 1.0, "<", 2.0), dict(lecture=True), TypeError, "non-empty string"),
    (("x", torch.ones(3), "<", 2.0), dict(lecture=True), TypeError, "real number"),
])
def test_bad_arguments(full, args, kw, err, match):
    with pytest.raises(err, match=match):
        ae.check_claim(*args, **kw)


def test_claims_are_logged_for_bench_claims(full, tmp_path, monkeypatch):
    log = tmp_path / "claims.jsonl"
    monkeypatch.setenv("AEHELPERS_CLAIMS_LOG", str(log))
    monkeypatch.setenv("AEHELPERS_SEED", "2")
    ae.check_claim("a", 0.5, "<", 1.0, lecture=True)
    with pytest.raises(ae.ClaimNotReproduced):
        ae.check_claim("b", 3.0, "in", (0.0, 1.0), lecture=False)
    a, b = (json.loads(line) for line in log.read_text().splitlines())
    assert a == dict(claim="a", value=0.5, op="<", threshold=1.0, lecture=True, holds=True, margin=0.5,
                     data="full", seed="2")
    assert b["holds"] is False and b["threshold"] == [0.0, 1.0] and b["margin"] < 0
