"""Checking a notebook's claims: measured on held-out digits, labelled, never silently skipped.

Every claim a notebook makes is a comparison of one measured number with a threshold,
``check_claim(claim, value, op, threshold, lecture=...)``:

* ``lecture=True``: the lecture says it (e.g. "the autoencoder beats PCA");
  ``lecture=False``: the notebook's own finding (e.g. "AE and PCA are within 10 %").
* ``op``: ``"<"`` or ``">"`` (value below / above ``threshold``), or ``"in"`` with
  ``threshold = (low, high)``.

On full MNIST a claim that does not hold raises ``ClaimNotReproduced`` (an explicit
exception, so ``python -O`` cannot switch it off and CI checks every claim on every
run). On the bundled 4,000-digit sample the lecture's recipe is not expected to reach
the same numbers: the outcome is printed instead. With ``$AEHELPERS_CLAIMS_LOG`` set to
a file, every claim is also appended to it as one JSON line (``benchmarks/bench_claims.py``
collects them across seeds); ``$AEHELPERS_CLAIMS_KEEP_GOING=1``, which only that benchmark sets,
reports a claim that fails on full MNIST instead of raising, so that one failure does not hide
the claims after it. Used by every notebook.
"""

from __future__ import annotations

import json
import math
import numbers
import os

from . import data

__all__ = ["check_claim", "ClaimNotReproduced"]

_OPS = ("<", ">", "in")


class ClaimNotReproduced(AssertionError):
    """A claim measured on full MNIST did not hold; the message says what was measured."""


def _margin(value: float, op: str, threshold) -> float:
    """How far ``value`` is inside the threshold, relative to it (negative: the claim fails)."""
    if op == "in":
        lo, hi = threshold
        return min(value - lo, hi - value) / (hi - lo)
    scale = abs(threshold) if threshold != 0 else 1.0
    return (threshold - value) / scale if op == "<" else (value - threshold) / scale


def _as_number(x, name: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        try:  # 0-dim tensors and numpy scalars
            x = x.item()
        except (AttributeError, ValueError, RuntimeError):
            raise TypeError(f"check_claim: {name} must be a real number, got {type(x).__name__}") from None
        if isinstance(x, bool) or not isinstance(x, numbers.Real):
            raise TypeError(f"check_claim: {name} must be a real number, got {type(x).__name__}")
    x = float(x)
    if math.isnan(x):
        raise ValueError(f"check_claim: {name} is NaN: the measurement itself failed")
    return x


def check_claim(claim: str, value, op: str, threshold, *, lecture: bool) -> None:
    """Check that ``value op threshold`` holds; raise (full MNIST) or print (sample) if not.

    ``claim``: the statement in words; ``value``: the measured number (a float, or a
    0-dim tensor); ``op``: ``"<"``, ``">"`` or ``"in"`` (``threshold = (low, high)``,
    exclusive); ``lecture``: True for the lecture's claim, False for the notebook's own
    finding. Prints one line with the value, the threshold and the margin (how far the
    value is inside the threshold, relative to it).
    """
    if not isinstance(claim, str) or not claim:
        raise TypeError("check_claim: claim must be a non-empty string saying what is claimed")
    if not isinstance(lecture, bool):
        raise TypeError(f"check_claim: lecture must be True (the lecture's claim) or False (the "
                        f"notebook's own finding), got {lecture!r}")
    if op not in _OPS:
        raise ValueError(f"check_claim: op must be one of {_OPS}, got {op!r}")
    value = _as_number(value, "value")
    if op == "in":
        if not (isinstance(threshold, tuple) and len(threshold) == 2):
            raise TypeError(f"check_claim: op 'in' needs threshold=(low, high), got {threshold!r}")
        threshold = (_as_number(threshold[0], "low"), _as_number(threshold[1], "high"))
        if not threshold[0] < threshold[1]:
            raise ValueError(f"check_claim: threshold (low, high) needs low < high, got {threshold}")
        holds = threshold[0] < value < threshold[1]
        shown = f"in ({threshold[0]:.4g}, {threshold[1]:.4g})"
    else:
        threshold = _as_number(threshold, "threshold")
        holds = value < threshold if op == "<" else value > threshold
        shown = f"{op} {threshold:.4g}"
    margin = _margin(value, op, threshold)
    kind = "lecture's claim" if lecture else "notebook's finding"
    measured = f"measured {value:.4g} {shown} (margin {margin:+.0%})"
    source = data.data_source()
    _log(claim, value, op, threshold, lecture, holds, margin, source)
    if source == "full":
        if not holds and os.environ.get("AEHELPERS_CLAIMS_KEEP_GOING") == "1":
            print(f"✗ {kind} NOT reproduced on full MNIST (AEHELPERS_CLAIMS_KEEP_GOING=1): {claim} -- {measured}")
        elif not holds:
            raise ClaimNotReproduced(f"{kind} not reproduced on full MNIST: {claim} -- {measured}")
        print(f"✓ {kind}: {claim} -- {measured}")
    else:
        verdict = "holds" if holds else "does NOT hold"
        print(f"{kind}, not asserted on the bundled sample ({verdict} here): {claim} -- {measured}")


def _log(claim, value, op, threshold, lecture, holds, margin, source) -> None:
    path = os.environ.get("AEHELPERS_CLAIMS_LOG")
    if not path:
        return
    record = dict(claim=claim, value=value, op=op, threshold=threshold, lecture=lecture, holds=holds,
                  margin=margin, data=source, seed=os.environ.get("AEHELPERS_SEED", "0"))
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
