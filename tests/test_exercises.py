"""Exercises: every check rejects the student's stub and trivial answers with a clear message,
the master notebooks hold one nbgrader solution cell per registered exercise, and the student
version generates. (That every check accepts its solution is proven by `make test` executing the
master notebooks; the model-free solutions are also checked here.)"""

import json
import re
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import aehelpers as ae
import aehelpers.data as data_mod
from aehelpers.exercises import ExerciseNotPassed, check, list_exercises

import make_student_version as student  # scripts/ is on pytest's pythonpath (pyproject.toml)
from notebook_list import NOTEBOOKS as _NOTEBOOKS

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = {p.name[:2]: p for p in _NOTEBOOKS}
WITH_EXERCISES = ("01", "02", "03", "04", "05", "06", "07")



def _cells(nb_id):
    return json.loads(NOTEBOOKS[nb_id].read_text(encoding="utf-8"))["cells"]


def _solution_cells(nb_id):
    return [c for c in _cells(nb_id) if "### BEGIN SOLUTION" in "".join(c["source"])]


def _exercise_id(cell):
    return student.exercise_id(cell, "test")


# ------------------------------------------------------------------ the registry and the notebooks

@pytest.mark.parametrize("nb_id", WITH_EXERCISES)
def test_each_notebook_has_two_to_four_exercises_with_one_solution_cell_each(nb_id):
    registered = [e.id for e in list_exercises(nb_id)]
    assert 2 <= len(registered) <= 4
    in_notebook = [_exercise_id(c) for c in _solution_cells(nb_id)]
    assert in_notebook == registered, "one nbgrader solution cell per registered exercise, in order"
    sources = ["".join(c["source"]) for c in _cells(nb_id)]
    first_ex = next(i for i, s in enumerate(sources) if s.startswith("## Exercises"))
    assert all("BEGIN SOLUTION" not in s for s in sources[:first_ex]), "exercises come at the end"
    for ex_id in registered:
        sol = next(i for i, c in enumerate(_cells(nb_id)) if c in _solution_cells(nb_id)
                   and _exercise_id(c) == ex_id)
        assert any(f'ae.exercises.check("{ex_id}"' in s for s in sources[sol + 1:]), \
            f"a cell after the solution of {ex_id} runs its check"


@pytest.mark.parametrize("nb_id", WITH_EXERCISES)
def test_solution_cells_carry_nbgrader_metadata_and_markers_on_their_own_lines(nb_id):
    for cell in _solution_cells(nb_id):
        meta = cell["metadata"]["nbgrader"]
        assert meta == {"grade": False, "grade_id": meta["grade_id"], "locked": False,
                        "schema_version": 3, "solution": True}
        assert re.fullmatch(r"[a-zA-Z0-9_\-]+", meta["grade_id"]), "nbgrader's grade_id pattern"
        lines = "".join(cell["source"]).splitlines()
        for line in lines:
            if "SOLUTION" in line:
                assert line.strip() in ("### BEGIN SOLUTION", "### END SOLUTION"), line
        assert sum(line.strip() == "### BEGIN SOLUTION" for line in lines) == \
            sum(line.strip() == "### END SOLUTION" for line in lines)


def test_unknown_id_and_wrong_givens_are_clear_errors():
    with pytest.raises(ValueError, match=r"unknown exercise '9\.9'.*02\.1"):
        check("9.9", 1)
    with pytest.raises(TypeError, match=r"check\('03\.1', answer, model=\.\.\.\): missing model"):
        check("03.1", lambda *a: None)
    with pytest.raises(TypeError, match="unexpected model"):
        check("02.2", lambda *a: None, model=None)
    with pytest.raises(TypeError, match="ae.EncoderDecoder"):
        check("03.1", lambda *a: None, model="not a model")


# ------------------------------------------------------------------ the student version

def test_strip_solutions_keeps_indentation_and_refuses_malformed_markers():
    src = "def f(x):\n    # doc\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION\n\ny = 1"
    assert student.strip_solutions(src, "02.1") == \
        'def f(x):\n    # doc\n    raise NotImplementedError("Exercise 02.1: your code here")\n\ny = 1'
    for bad in ["### BEGIN SOLUTION\nx = 1", "x = 1\n### END SOLUTION", "x = 1  ### BEGIN SOLUTION\n### END SOLUTION",
                "### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION\n### END SOLUTION"]:
        with pytest.raises(student.MarkerError):
            student.strip_solutions(bad, "02.1")
    with pytest.raises(student.MarkerError, match="nbgrader metadata"):
        student.student_notebook({"cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "source":
                                             "### BEGIN SOLUTION\n### END SOLUTION"}]})


def test_make_student_version_writes_every_notebook(tmp_path):
    assert student.main(["--out", str(tmp_path)]) == 0
    for nb_id, path in NOTEBOOKS.items():
        nb = json.loads((tmp_path / path.name).read_text(encoding="utf-8"))
        text = "\n".join("".join(c["source"]) for c in nb["cells"])
        assert "### BEGIN SOLUTION" not in text and "### END SOLUTION" not in text
        for ex in list_exercises(nb_id):
            assert f'raise NotImplementedError("Exercise {ex.id}: your code here")' in text
        assert all(c.get("outputs", []) == [] for c in nb["cells"] if c["cell_type"] == "code")


def _student_functions(nb_id):
    """{exercise id: [the functions its student cell defines]}, each cell exec'd on its own."""
    nb, _ = student.student_notebook(json.loads(NOTEBOOKS[nb_id].read_text(encoding="utf-8")))
    found = {}
    for cell in nb["cells"]:
        if cell["metadata"].get("nbgrader", {}).get("solution"):
            namespace = {"ae": ae, "torch": torch, "nn": nn, "F": F}
            exec(compile("".join(cell["source"]), "<student cell>", "exec"), namespace)
            found[_exercise_id(cell)] = [v for k, v in namespace.items()
                                         if callable(v) and getattr(v, "__module__", None) is None
                                         and k not in ("ae", "torch", "nn", "F")]
    return found


@pytest.mark.parametrize("nb_id", WITH_EXERCISES)
def test_every_student_stub_raises_the_clear_error(nb_id):
    for ex_id, functions in _student_functions(nb_id).items():
        assert functions, f"the student cell of {ex_id} defines a function to write"
        for fn in functions:
            n_args = fn.__code__.co_argcount
            with pytest.raises(NotImplementedError, match=rf"^Exercise {re.escape(ex_id)}: your code here$"):
                fn(*[None] * n_args)


# ------------------------------------------------------------------ checks reject stubs and trivial answers

@pytest.fixture(scope="module")
def sample_models():
    """Small models trained for a few epochs on the bundled sample (the checks load the sample too)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AEHELPERS_DATASET", "sample")
    data_mod._resolve.cache_clear(), data_mod._load.cache_clear()
    x = ae.load_mnist(train=True)[0]
    torch.manual_seed(0)
    model = ae.Autoencoder(784, 30)
    ae.fit(model, x, epochs=3, progress=False)
    denoiser = ae.Autoencoder(784, 100)
    ae.fit(denoiser, x, epochs=3, corrupt=ae.dropout_corruption(0.5), progress=False)
    toy_points, _ = ae.TwoBranchCurve().sample(2000, seed=0)  # notebook 06's 2-D toy denoiser, its recipe
    toy = ae.Autoencoder(2, 64, hidden=(64,))
    ae.fit(toy, toy_points, epochs=100, lr=3e-3, corrupt=ae.gaussian_corruption(0.2), progress=False)
    yield {"model": model, "denoiser": denoiser, "toy": toy}
    mp.undo()
    data_mod._resolve.cache_clear(), data_mod._load.cache_clear()


def _givens(ex_id, models):
    need = {e.id: e.needs for e in list_exercises()}[ex_id]
    given = {}
    if "model" in need:
        given["model"] = {"03": models["denoiser"], "05": models["denoiser"], "06": models["toy"]}.get(
            ex_id[:2], models["model"])
    if "models" in need:
        given["models"] = {0.2: models["denoiser"], 0.8: models["model"]}
    return given


def _rejects(ex_id, answer, models, *expected):
    with pytest.raises(ExerciseNotPassed) as err:
        check(ex_id, answer, **_givens(ex_id, models))
    message = str(err.value)
    assert message.startswith(f"Exercise {ex_id} (") and "✗" in message and "hint:" in message
    for text in expected:
        assert text in message, message
    return message


STUB_ANSWERS = ("01.2", "02.1", "02.2", "03.1", "03.2", "04.1", "04.2", "05.1", "05.2", "06.1", "06.2", "07.1",
                "07.2")


@pytest.mark.slow
@pytest.mark.parametrize("ex_id", STUB_ANSWERS)
def test_checks_reject_the_student_stub(ex_id, sample_models):
    stubs = _student_functions(ex_id[:2])[ex_id]
    answer = next(f for f in stubs if f.__name__ != "fit_code_prior")
    _rejects(ex_id, answer, sample_models, "still raises NotImplementedError", f"Exercise {ex_id}: your code here")


@pytest.mark.slow
def test_checks_reject_none(sample_models):
    # check() refuses None before any exercise's own check runs: one exercise shows it for all
    _rejects(list_exercises()[0].id, None, sample_models, "None")


@pytest.mark.slow
def test_trivial_answers_are_rejected_with_what_is_wrong(sample_models):
    x = ae.load_mnist(train=False)[0]
    d = 30
    _rejects("01.1", torch.zeros(d), sample_models, "zero")
    _rejects("01.1", torch.randn(d + 1), sample_models, "shape")
    _rejects("01.1", -ae.latent_direction(sample_models["model"], x[:500],
                                          lambda im: (F.max_pool2d((im.reshape(-1, 1, 28, 28) + 1) / 2, 3, 1, 1)
                                                      * 2 - 1).reshape(im.shape)),
             sample_models, "ink")
    _rejects("01.2", lambda m, im, lab, t: torch.zeros(10, d), sample_models, "differ")
    _rejects("02.1", lambda im: {"ae": torch.zeros(len(im), 2), "pca": torch.zeros(len(im), 2)},
             sample_models, "same for every digit")
    _rejects("02.1", lambda im: im[:, :2], sample_models, "dict")
    _rejects("02.2", lambda m, x: {k: torch.zeros_like(p) for k, p in
                                   zip(["W_h", "b_h", "W_x", "b_x"], m.parameters())}, sample_models, "differs")

    def uses_autograd(m, x):
        nn.MSELoss()(m(x), x).backward()
        return {}
    _rejects("02.2", uses_autograd, sample_models, "autograd")
    _rejects("03.1", lambda m, im, n: {"scaled": 0.0, "unscaled": 0.0}, sample_models, "scaled")
    _rejects("03.2", lambda m, im, k: torch.zeros(k, len(im)), sample_models, "differ")
    _rejects("03.2", lambda m, im, k: torch.zeros(len(im), k), sample_models, "shape")
    _rejects("04.1", lambda w, s, k: torch.arange(k), sample_models, "picks")
    _rejects("04.1", lambda w, s, k: torch.zeros(k, dtype=torch.long), sample_models, "different indices")
    _rejects("04.2", lambda m, im: torch.zeros(784, dtype=torch.bool), sample_models, "overlap")
    _rejects("04.2", lambda m, im: (ae.load_mnist(train=False)[0][-256:] == -1).all(0), sample_models, "still marks")
    _rejects("04.3", {"prediction": 0.5, "flatness": {0.2: 1.0, 0.8: 1.0}}, sample_models, "prediction")
    _rejects("04.3", {"prediction": 0.2, "flatness": {0.2: 0.0, 0.8: 0.0}}, sample_models, "the check measures")
    _rejects("05.1", lambda m, im, known, steps: im * known, sample_models, "dropped pixels")
    _rejects("05.1", lambda m, im, known, steps: ae.reconstruct(m, im * known * 2), sample_models, "known pixels")
    _rejects("05.2", lambda im, known: im * known, sample_models, "inside the hole")
    _rejects("05.2", lambda im, known: im, sample_models, "clean digits")


def _one_layer_penalty(encoder, x):
    """Section 4's formula, right for one tanh layer only."""
    h = torch.tanh(encoder[0](x))
    return (1 - h ** 2).square() @ encoder[0].weight.square().sum(dim=1)


@pytest.mark.slow
def test_trivial_answers_of_notebook_06_are_rejected_with_what_is_wrong(sample_models):
    from torch.autograd.functional import jacobian
    _rejects("06.1", lambda enc, x: torch.zeros(len(x)), sample_models, "differs from autograd's")
    _rejects("06.1", lambda enc, x: _one_layer_penalty(enc, x).mean(), sample_models, "shape ()", "one number per input")
    _rejects("06.1", lambda enc, x: torch.stack([jacobian(enc, xi).square().sum() for xi in x]), sample_models,
             "uses autograd")
    _rejects("06.1", lambda enc, x: torch.func.vmap(torch.func.jacrev(enc))(x).square().sum(dim=(1, 2)),
             sample_models, "uses autograd")

    def with_backward(enc, x):
        with torch.enable_grad():
            x = x.clone().requires_grad_()
            enc(x).sum().backward()
        return x.grad.square().sum(1)
    _rejects("06.1", with_backward, sample_models, "uses autograd")
    message = _rejects("06.1", _one_layer_penalty, sample_models, "two tanh layers", "chain rule")
    assert "✓ ||dh/dx||_F^2 agrees" in message and "one tanh layer, 784 -> 30" in message

    def naive_weights(noisy, clean, sigma):
        w = torch.exp(-torch.cdist(noisy, clean).square() / (2 * sigma ** 2))
        return w / w.sum(1, keepdim=True) @ clean
    _rejects("06.2", naive_weights, sample_models, "sigma = 0.05", "NaN", "softmax")
    _rejects("06.2", lambda noisy, clean, sigma: noisy, sample_models, "unchanged")
    _rejects("06.2", lambda noisy, clean, sigma: clean[torch.cdist(noisy, clean).argmin(1)], sample_models,
             "from the posterior mean")
    _rejects("06.2", lambda noisy, clean, sigma: torch.zeros(len(noisy), 3), sample_models, "shape")
    good = _master_solution("06", "06.2", "posterior_mean")
    untrained = {**sample_models, "toy": ae.Autoencoder(2, 64, hidden=(64,))}
    _rejects("06.2", good, untrained, "from the posterior mean at sigma = 0.2", "denoiser_2d")
    with pytest.raises(TypeError, match="2-D toy denoiser"):
        check("06.2", good, model=sample_models["model"])


def _master_solution(nb_id, ex_id, name):
    """A model-free solution function, exec'd from its master notebook cell."""
    cell = next(c for c in _solution_cells(nb_id) if _exercise_id(c) == ex_id)
    namespace = {"ae": ae, "torch": torch, "nn": nn, "F": F}
    exec(compile("".join(cell["source"]), "<master cell>", "exec"), namespace)
    return namespace[name]


@pytest.mark.slow
def test_model_free_solutions_pass_their_checks(sample_models, capsys):
    assert check("02.2", _master_solution("02", "02.2", "backward_by_hand"))
    assert check("04.1", _master_solution("04", "04.1", "responsive_kernels"))
    assert check("04.2", _master_solution("04", "04.2", "bias_tied_pixels"))
    assert check("06.1", _master_solution("06", "06.1", "jacobian_norm_by_hand"))
    assert check("06.2", _master_solution("06", "06.2", "posterior_mean"), model=sample_models["toy"])
    out = capsys.readouterr().out
    assert out.count("✓ Exercise") == 5 and "agree with loss.backward()" in out
    assert "three tanh layers" in out and "it learnt the posterior mean" in out


@pytest.mark.slow
def test_trivial_answers_of_notebook_07_are_rejected_with_what_is_wrong(sample_models):
    _rejects("07.1", lambda s, y: 0.5, sample_models, "overlapping scores", "ranked right")
    _rejects("07.1", lambda s, y: torch.zeros(len(s)), sample_models, "not one finite number")
    strict = lambda s, y: float((s[y.bool()][:, None] > s[~y.bool()][None, :]).double().mean())
    _rejects("07.1", strict, sample_models, "many ties", "one half")
    flipped_labels = lambda s, y: _master_solution("07", "07.1", "auc_by_pairs")(s, ~y.bool())
    _rejects("07.1", flipped_labels, sample_models, "ranked right")

    _rejects("07.2", lambda c, b, lo, hi: c, sample_models, "not the centres")
    _rejects("07.2", lambda c, b, lo, hi: torch.zeros_like(c), sample_models, "not the centres")
    _rejects("07.2", lambda c, b, lo, hi: c[:, :1], sample_models, "shape")
    left_edge = lambda c, b, lo, hi: lo + torch.floor((c - lo) / ((hi - lo) / 2 ** b)).clamp(0, 2 ** b - 1) \
        * (hi - lo) / 2 ** b
    _rejects("07.2", left_edge, sample_models, "not the centres")
    no_clip = lambda c, b, lo, hi: lo + (torch.floor((c - lo) / ((hi - lo) / 2 ** b)) + 0.5) * (hi - lo) / 2 ** b
    _rejects("07.2", no_clip, sample_models, "are not clipped")
    one_range = lambda c, b, lo, hi: _master_solution("07", "07.2", "quantise_roundtrip")(c, b, lo.min(), hi.max())
    _rejects("07.2", one_range, sample_models, "not the centres")
    with_ends = lambda c, b, lo, hi: lo + torch.round((c - lo) / ((hi - lo) / (2 ** b - 1))).clamp(0, 2 ** b - 1) \
        * (hi - lo) / (2 ** b - 1)
    _rejects("07.2", with_ends, sample_models, "not the centres")
    at_most_4 = lambda c, b, lo, hi: ae.dequantise(ae.quantise(c, min(b, 4), lo, hi), min(b, 4), lo, hi)
    _rejects("07.2", at_most_4, sample_models, "8 bits", "every property holds at 1, 2, 4 bits")


def test_solutions_of_notebook_07_and_other_correct_answers_pass_their_checks(capsys):
    assert check("07.1", _master_solution("07", "07.1", "auc_by_pairs"))
    assert check("07.2", _master_solution("07", "07.2", "quantise_roundtrip"))

    def auc_per_anomaly(s, y):  # the mean over anomalies of the fraction each one beats: the same number
        pos, neg = s[y.bool()], s[~y.bool()]
        return torch.stack([(p > neg).double().mean() + 0.5 * (p == neg).double().mean() for p in pos]).mean()
    assert check("07.1", auc_per_anomaly)
    assert check("07.1", lambda s, y: ae.roc_auc(s, y))
    assert check("07.2", lambda c, b, lo, hi: ae.dequantise(ae.quantise(c, b, lo, hi), b, lo, hi))
    out = capsys.readouterr().out
    assert out.count("✓ Exercise") == 5 and "all 50 scores equal: AUC 0.5000" in out and "dB of PSNR per bit" in out


def test_the_07_checks_references_agree_with_the_library():
    """07.1 and 07.2 grade against references written independently of ae.roc_auc and
    ae.quantise / ae.dequantise: on every case the checks use, both must give the same answer."""
    from aehelpers.exercises import nb07 as ex

    for where, scores, labels in ex._auc_cases(torch.Generator().manual_seed(7)):
        assert abs(ex._reference_auc(scores, labels) - ae.roc_auc(scores, labels)) < 1e-12, where
    gen = torch.Generator().manual_seed(727)
    low = torch.rand(6, generator=gen) * 2 - 1.5
    high = low + 0.2 + torch.rand(6, generator=gen) * 2
    for bits in ex.BITS:
        codes = low + torch.rand(4000, 6, generator=gen) * (high - low)
        library = ae.dequantise(ae.quantise(codes, bits, low, high), bits, low, high)
        step = (high - low) / 2 ** bits
        off = ((ex._reference_roundtrip(codes, bits, low, high).float() - library).abs() / step).max()
        assert off < ex.RANGE_TOL, f"{bits} bits: the references differ by {float(off):.3g} steps"
