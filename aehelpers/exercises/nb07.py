"""Checks of notebook 07's exercises: the ROC AUC counted pair by pair, and the quantiser behind the
byte counts of section 2."""

from __future__ import annotations

import math

import torch

from .registry import as_tensor, exercise

AUC_TOL = 2e-6
# Why 2e-6: the smallest difference a miscount makes is half a pair, 1 / (2 P Q) >= 1.3e-5 for the
# largest case here (about 160 x 240 pairs); float32 rounding of a mean over that many pairs stays
# below 1e-6, so an answer computed in float32 passes and one that miscounts a single tie fails.


def _reference_auc(scores: torch.Tensor, labels: torch.Tensor) -> float:
    """For each positive, the negatives it beats plus half those it ties, by binary search in the sorted
    negatives; divided by the number of pairs. Independent of ``ae.roc_auc``'s average ranks."""
    s, pos = scores.double(), labels.bool()
    neg = s[~pos].sort().values
    below = torch.searchsorted(neg, s[pos], right=False)
    not_above = torch.searchsorted(neg, s[pos], right=True)
    wins = below.double() + 0.5 * (not_above - below).double()
    return float(wins.sum() / (len(neg) * int(pos.sum())))


def _auc_cases(gen: torch.Generator) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
    """(description, scores (N,), labels (N,) bool): overlapping scores, heavy ties, all tied,
    a 3-in-500 imbalance, perfect and reversed separation."""
    cases = []
    y = torch.rand(400, generator=gen) < 0.4
    cases.append(("overlapping scores, 400 examples", torch.randn(400, generator=gen) + y.double(), y))
    y = torch.rand(300, generator=gen) < 0.5
    cases.append(("scores with many ties (integers 0..4)",
                  (torch.randint(0, 4, (300,), generator=gen) + y.long()).double(), y))
    y = torch.arange(50) % 5 == 0
    cases.append(("all 50 scores equal", torch.full((50,), 0.3, dtype=torch.float64), y))
    y = torch.zeros(503, dtype=torch.bool)
    y[torch.randperm(503, generator=gen)[:3]] = True
    cases.append(("3 anomalies among 500 normal examples", torch.randn(503, generator=gen) + 1.5 * y.double(), y))
    y = torch.arange(40) >= 30
    cases.append(("perfectly separated scores", torch.arange(40, dtype=torch.float64), y))
    cases.append(("reversed scores (anomalies score lowest)", -torch.arange(40, dtype=torch.float64), y))
    return cases


def _number(out, r, what: str) -> float:
    if isinstance(out, torch.Tensor) and out.numel() == 1:
        out = out.item()
    if isinstance(out, bool) or not isinstance(out, (int, float)) or not math.isfinite(out):
        shape = f" of shape {tuple(out.shape)}" if isinstance(out, torch.Tensor) else ""
        r.fail(f"{what} returned {type(out).__name__}{shape} {out if not shape else ''}".rstrip()
               + ", not one finite number",
               "return one number for the whole set of scores (a fraction of pairs), not one per example")
    return float(out)


@exercise("07.1", "the ROC AUC as a probability over pairs")
def _check_07_1(answer, r):
    r.require_function(answer, "check('07.1', auc_by_pairs)")
    gen = torch.Generator().manual_seed(707)
    hints = {
        "scores with many ties (integers 0..4)": "a tie is neither a win nor a loss: it counts one half "
        "of a pair ranked right",
        "all 50 scores equal": "when every score ties, every pair counts one half: the AUC is 0.5",
        "3 anomalies among 500 normal examples": "average over the pairs, not over the examples: "
        "P anomalies and Q normal digits make P * Q pairs",
    }
    for where, scores, labels in _auc_cases(gen):
        out = _number(r.call(answer, scores.clone(), labels.clone(), what="auc_by_pairs(scores, labels)"),
                      r, "auc_by_pairs(scores, labels)")
        ref = _reference_auc(scores, labels)
        if abs(out - ref) > AUC_TOL:
            r.fail(f"{where}: your AUC is {out:.4f}, the fraction of (anomaly, normal) pairs ranked right is "
                   f"{ref:.4f} (ae.roc_auc agrees)",
                   hints.get(where, "compare every anomaly's score with every normal example's score, "
                             "every pair once; the labels say which is which (True / 1 = anomaly), and a "
                             "higher score means more anomalous"))
        r.ok(f"{where}: AUC {out:.4f}, as the rank statistic and ae.roc_auc")
    where, scores, labels = _auc_cases(torch.Generator().manual_seed(708))[0]
    flipped = _number(r.call(answer, -scores, labels.clone(), what="auc_by_pairs(-scores, labels)"), r,
                      "auc_by_pairs(-scores, labels)")
    stretched = _number(r.call(answer, scores.exp(), labels.clone(), what="auc_by_pairs(scores.exp(), labels)"),
                        r, "auc_by_pairs(scores.exp(), labels)")
    base = _reference_auc(scores, labels)
    r.require(abs(flipped - (1 - base)) < AUC_TOL and abs(stretched - base) < AUC_TOL,
              f"only the order of the scores counts: flipping their sign gives 1 - AUC ({flipped:.4f}), "
              f"exp(scores) the same AUC ({stretched:.4f})",
              f"flipping the scores' sign gives {flipped:.4f} (expected {1 - base:.4f}), exp(scores) gives "
              f"{stretched:.4f} (expected {base:.4f})",
              "the AUC compares scores pair by pair: use the scores you are given, nothing else")


# 07.2
RANGE_TOL = 0.01
# Why 0.01 of a step: float32 rounding of low + (k + 1/2) * step is about 1e-7 of |low| <= 1.5, at
# most 3e-4 of the smallest step here (a range of 0.2 at 8 bits); a wrong answer is off by half a
# step (an edge for a centre) or a whole one (another level).


BITS = (1, 2, 4, 8)


def _need(r, condition: bool, wrong: str, hint: str, done: list[int]) -> None:
    """Fail unless ``condition``, saying which bit depths (``done``) passed already; on success what
    holds is reported once, for all the bit depths, after the loop."""
    if not condition:
        if done:
            r.ok(f"every property holds at {', '.join(map(str, done))} bit{'s' * (done != [1])}")
        r.fail(wrong, hint)


def _reference_roundtrip(codes, bits, low, high) -> torch.Tensor:
    step = (high.double() - low.double()) / 2 ** bits
    level = torch.floor((codes.double() - low.double()) / step).clamp(0, 2 ** bits - 1)
    return low.double() + (level + 0.5) * step


def _roundtrip(r, answer, codes, bits, low, high, where: str) -> torch.Tensor:
    out = r.call(answer, codes.clone(), bits, low.clone(), high.clone(),
                 what=f"quantise_roundtrip(codes, {bits}, low, high)")
    return as_tensor(out, r, f"the result ({where})", shape=tuple(codes.shape))


@exercise("07.2", "a code quantised to b bits per value, and back")
def _check_07_2(answer, r):
    r.require_function(answer, "check('07.2', quantise_roundtrip)")
    gen = torch.Generator().manual_seed(727)
    d = 6
    low = torch.rand(d, generator=gen) * 2 - 1.5   # a different range per code dimension, as ae.code_range
    high = low + 0.2 + torch.rand(d, generator=gen) * 2
    width = (high - low).double()
    rms, worst, done = {}, 0.0, []
    for bits in BITS:
        step = width / 2 ** bits
        where = f"{bits} bit{'s' * (bits > 1)}"
        inside = low + torch.rand(4000, d, generator=gen) * (high - low)
        out = _roundtrip(r, answer, inside, bits, low, high, f"{where}, codes inside the range")
        err = ((out - inside.double()).abs() / step).max()
        level = (out - low.double()) / step - 0.5        # a level number, if out is a level's centre
        on_centre = bool(((level - level.round()).abs() < RANGE_TOL).all()) and \
            bool((level.round() >= 0).all() and (level.round() <= 2 ** bits - 1).all())
        _need(r, on_centre, f"{where}: your values are not the centres of the 2^{bits} = {2 ** bits} levels "
              "(low + (k + 1/2) * step, k = 0 .. 2^bits - 1)",
              "every value of one level must come back as the same number, that level's centre: half a "
              "step above the level's lower edge (the level number is what is stored)", done)
        _need(r, float(err) <= 0.5 + RANGE_TOL,
              f"{where}: a value moves by {float(err):.2f} steps: more than half a step",
              "each value belongs to the level it falls in (rounding down, counted from low): replace it "
              "by that level's centre, not its edge, and not the nearest of 2^bits evenly spaced values "
              "that include low and high", done)
        worst = max(worst, float(err))
        ref = _reference_roundtrip(inside, bits, low, high)
        _need(r, bool(((out - ref).abs() / step < RANGE_TOL).all()),
              f"{where}: {int(((out - ref).abs() / step >= RANGE_TOL).any(1).sum())} of {len(inside)} codes "
              "land in a different level than ae.quantise puts them",
              "cut [low, high] into 2**bits equal levels of width (high - low) / 2**bits, per code dimension", done)
        used = min(len(out[:, j].unique()) for j in range(d))
        _need(r, used == 2 ** bits,
              f"{where}: only {used} distinct values in some code dimension, for 2^{bits} = {2 ** bits} levels",
              "each dimension has its own range: use low[j] and high[j] for dimension j (broadcasting does it)", done)
        centres = low.double() + (torch.arange(2 ** bits).double()[:, None] + 0.5) * step
        back = _roundtrip(r, answer, centres.float(), bits, low, high, f"{where}, the level centres")
        _need(r, bool(((back - centres).abs() / step < RANGE_TOL).all()),
              f"{where}: the level centres do not come back unchanged",
              "quantising a stored value again must change nothing: the centre of level k lies in level k", done)
        outside = torch.stack([low - 0.7 * (high - low), high + 3 * (high - low)])
        clipped = _roundtrip(r, answer, outside, bits, low, high, f"{where}, codes outside the range")
        ends = low.double() + torch.tensor([0.5, 2 ** bits - 0.5]).double()[:, None] * step
        _need(r, bool(((clipped - ends).abs() / step < RANGE_TOL).all()),
              f"{where}: codes outside [low, high] are not clipped to the first / last level's centre",
              "test digits may have codes outside the training range: the level number must stay "
              "between the first and the last level", done)
        rms[bits] = float(((out - inside.double()) / width).square().mean().sqrt())
        done.append(bits)
    tried = f"at {', '.join(map(str, BITS[:-1]))} and {BITS[-1]} bits"
    r.ok(f"{tried}, every value is replaced by the centre of its level, as ae.dequantise(ae.quantise(...)) does")
    r.ok(f"values inside [low, high] move by at most half a step ({worst:.3f} steps at most), and every level is used")
    r.ok("a level's centre comes back unchanged; codes outside [low, high] go to the first or the last level")
    gain = 20 * math.log10(rms[4] / rms[8]) / 4
    r.require(5.5 < gain < 6.5,
              f"each extra bit halves the error: {gain:.2f} dB of PSNR per bit from 4 to 8 bits (20 log10 2 = 6.02)",
              f"from 4 to 8 bits the error shrinks by {gain:.2f} dB per bit instead of about 6",
              "the error of a uniform quantiser is uniform within half a step: check your step")
