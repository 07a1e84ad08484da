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
from aehelpers.exercises import nb02

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
    """The notebooks' own models on the bundled sample (the checks load the sample too), through the
    model cache: notebook 01's d = 30 autoencoder, notebooks 03-05's denoiser (d = 500), notebook 02's
    d = 2 model, which check 02.1 loads itself, and notebook 06's 2-D toy denoiser. Trained once (a
    few minutes on a laptop's CPU), loaded afterwards; tests/test_cache.py covers the cache itself."""
    mp = pytest.MonkeyPatch()
    mp.setenv("AEHELPERS_DATASET", "sample")
    mp.setenv("AEHELPERS_DEVICE", "cpu")
    mp.delenv("AEHELPERS_SEED", raising=False)
    data_mod._resolve.cache_clear(), data_mod._load.cache_clear()
    model = ae.trained_autoencoder(30, seed=0, progress=False)
    denoiser = ae.trained_autoencoder(500, denoise=True, seed=0, progress=False)
    d2 = ae.trained_autoencoder(2, seed=0, progress=False)
    toy_points, _ = ae.TwoBranchCurve().sample(2000, seed=0)  # notebook 06's 2-D toy denoiser, its recipe
    torch.manual_seed(0)
    toy = ae.Autoencoder(2, 64, hidden=(64,))
    ae.fit(toy, toy_points, epochs=100, lr=3e-3, corrupt=ae.gaussian_corruption(0.2), progress=False)
    yield {"model": model, "denoiser": denoiser, "toy": toy, "d2": d2}
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


ANSWER_NAMES = {"01.1": "thickness_direction", "05.2": "inpaint_with_prior"}  # where a cell defines two functions


@pytest.mark.slow
@pytest.mark.parametrize("ex_id", [e.id for e in list_exercises()])
def test_checks_reject_the_student_stub(ex_id, sample_models):
    stubs = _student_functions(ex_id[:2])[ex_id]
    answer = next(f for f in stubs if f.__name__ == ANSWER_NAMES.get(ex_id, f.__name__))
    _rejects(ex_id, answer, sample_models, "still raises NotImplementedError", f"Exercise {ex_id}: your code here")


@pytest.mark.slow
def test_checks_reject_none(sample_models):
    # check() refuses None before any exercise's own check runs: one exercise shows it for all
    _rejects(list_exercises()[0].id, None, sample_models, "None")


@pytest.mark.slow
def test_trivial_answers_are_rejected_with_what_is_wrong(sample_models):
    x = ae.load_mnist(train=False)[0]
    d = 30
    _rejects("01.1", torch.zeros(d), sample_models, "not a function")
    _rejects("01.1", lambda m, im: torch.zeros(d), sample_models, "zero")
    _rejects("01.1", lambda m, im: torch.randn(d + 1), sample_models, "shape")
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
    _rejects("04.2", lambda m, im: (ae.load_mnist(train=False)[0][-256:] == -1).all(0), sample_models,
             "saturates every hidden unit")
    _rejects("04.3", {"prediction": 0.2, "flatness": {0.2: 0.0, 0.8: 0.0}}, sample_models, "not a function")
    _rejects("04.3", lambda models: {"prediction": 0.5, "flatness": {0.2: 1.0, 0.8: 1.0}}, sample_models, "prediction")
    _rejects("04.3", lambda models: {"prediction": 0.2, "flatness": {0.2: 0.0, 0.8: 0.0}}, sample_models,
             "the check measures")
    _rejects("05.1", lambda m, im, known, steps: im * known, sample_models, "dropped pixels")
    _rejects("05.1", lambda m, im, known, steps: ae.reconstruct(m, im * known * 2), sample_models, "known pixels")
    _rejects("05.1", lambda m, im, known, steps: im, sample_models, "reads pixels that are not known")
    _rejects("05.2", lambda m, im, known: im * known, sample_models, "inside the hole")
    _rejects("05.2", lambda m, im, known: im, sample_models, "reads pixels that are not known")
    _rejects("05.2", lambda im, known: im, sample_models, "raised TypeError")


def _one_layer_penalty(encoder, x):
    """Section 4's formula, right for one tanh layer only."""
    h = torch.tanh(encoder[0](x))
    return (1 - h ** 2).square() @ encoder[0].weight.square().sum(dim=1)


@pytest.mark.slow
def test_trivial_answers_of_notebook_06_are_rejected_with_what_is_wrong(sample_models):
    from torch.autograd.functional import jacobian
    _rejects("06.1", lambda enc, x: torch.zeros(len(x)), sample_models, "differs from autograd's")
    _rejects("06.1", lambda enc, x: _one_layer_penalty(enc, x).mean(), sample_models, "shape ()",
             "one number per input")
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


def _master_solution(nb_id, ex_id, name, **notebook_globals):
    """A solution function, exec'd from its master notebook cell (with the notebook's variables it reads)."""
    cell = next(c for c in _solution_cells(nb_id) if _exercise_id(c) == ex_id)
    namespace = {"ae": ae, "torch": torch, "nn": nn, "F": F, **notebook_globals}
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


# ------------------------------------------------------------------ the bugs students write, and other right answers
# One function per bug: each wrong answer is one a student plausibly writes, and must be rejected with
# what is wrong; each correct alternative takes another road than the solution, and must pass.

def _accepts(ex_id, answer, models):
    assert check(ex_id, answer, **_givens(ex_id, models))


def _ink(x):
    return (x.reshape(-1, 1, 28, 28) + 1) / 2


def _dilate(x):  # the solution's thickening: a 3x3 max-pool of the ink
    return (F.max_pool2d(_ink(x), 3, stride=1, padding=1) * 2 - 1).reshape(x.shape)


def _code_change(model, images, transform):
    return (ae.encode(model, transform(images)) - ae.encode(model, images)).mean(0)


# 01.1: a latent direction for thickness

def test_01_1_rejects_the_direction_reversed(sample_models):
    _rejects("01.1", lambda m, im: -_code_change(m, im, _dilate), sample_models, "thinner")


def test_01_1_rejects_thinning_by_erosion(sample_models):
    def erode(x):
        return (-F.max_pool2d(-_ink(x), 3, stride=1, padding=1) * 2 - 1).reshape(x.shape)
    _rejects("01.1", lambda m, im: _code_change(m, im, erode), sample_models, "ink area")


def test_01_1_rejects_a_sum_over_the_digits_instead_of_a_mean(sample_models):
    _rejects("01.1", lambda m, im: _code_change(m, im, _dilate) * len(im), sample_models,
             "not closer to thickened digits", "not a sum")


def test_01_1_rejects_the_mean_code_of_the_thickened_digits(sample_models):
    _rejects("01.1", lambda m, im: ae.encode(m, _dilate(im)).mean(0), sample_models, "thickened digits")


def test_01_1_rejects_brightening_for_thickening(sample_models):
    _rejects("01.1", lambda m, im: _code_change(m, im, lambda x: x * 0.5 + 0.5), sample_models,
             "not closer to thickened digits")


def test_01_1_accepts_a_cross_shaped_dilation_averaged_by_hand(sample_models):
    def cross(x):  # each pixel takes the brightest of itself and its 4 neighbours
        img = F.pad(x.reshape(-1, 28, 28), (1, 1, 1, 1), value=-1)
        shifted = [img[:, 1:-1, 1:-1], img[:, :-2, 1:-1], img[:, 2:, 1:-1], img[:, 1:-1, :-2], img[:, 1:-1, 2:]]
        return torch.stack(shifted).amax(0).reshape(x.shape)
    _accepts("01.1", lambda m, im: _code_change(m, im, cross), sample_models)


def test_01_1_accepts_the_solution(sample_models):
    _accepts("01.1", _master_solution("01", "01.1", "thickness_direction"), sample_models)


# 01.2: one direction per class

def test_01_2_rejects_one_direction_for_every_class(sample_models):
    _rejects("01.2", lambda m, im, lab, t: ae.latent_direction(m, im, t).expand(10, -1).clone(), sample_models,
             "differ from the check's own")


def test_01_2_rejects_a_sum_over_the_class_instead_of_a_mean(sample_models):
    def summed(m, im, lab, t):
        return torch.stack([(ae.encode(m, t(im[lab == c])) - ae.encode(m, im[lab == c])).sum(0) for c in range(10)])
    _rejects("01.2", summed, sample_models, "differ from the check's own")


def test_01_2_rejects_the_change_taken_backwards(sample_models):
    def backwards(m, im, lab, t):
        return torch.stack([-ae.latent_direction(m, im[lab == c], t) for c in range(10)])
    _rejects("01.2", backwards, sample_models, "differ from the check's own")


def test_01_2_accepts_class_means_by_one_hot_matrix_product(sample_models):
    def one_hot_means(m, im, lab, t):
        change = ae.encode(m, t(im)) - ae.encode(m, im)          # (N, d)
        member = F.one_hot(lab.long(), 10).float().T            # (10, N)
        return member @ change / member.sum(1, keepdim=True)
    _accepts("01.2", one_hot_means, sample_models)


# 02.1: the d = 2 autoencoder's codes and PCA-2

@pytest.fixture(scope="module")
def pca(sample_models):
    return ae.pca_fit(ae.load_mnist(train=True)[0])


def _with(models, fitted, **parts):
    """codes_2d with the right codes (``fitted``: the training digits' PCA) except ``parts``, functions
    of the images."""
    top = fitted.truncate(2)

    def codes_2d(images):
        out = {"ae": ae.encode(models["d2"], images), "pca": (images.double() - top.mean) @ top.components.T}
        return {**out, **{k: f(images) for k, f in parts.items()}}
    return codes_2d


def test_02_1_rejects_an_untrained_encoder(sample_models, pca):
    untrained = ae.Autoencoder(784, 2)
    _rejects("02.1", _with(sample_models, pca, ae=lambda im: ae.encode(untrained, im)), sample_models,
             "section 5's d = 2 autoencoder")


def test_02_1_rejects_two_units_of_the_d30_model(sample_models, pca):
    _rejects("02.1", _with(sample_models, pca, ae=lambda im: ae.encode(sample_models["model"], im)[:, :2]),
             sample_models, "section 5's d = 2 autoencoder")


def test_02_1_rejects_the_pre_activations_for_codes(sample_models, pca):
    enc = sample_models["d2"].encoder[0]
    _rejects("02.1", _with(sample_models, pca, ae=lambda im: (im @ enc.weight.T + enc.bias).detach()), sample_models,
             "the 'ae' codes")


def test_02_1_rejects_pca_without_centring(sample_models, pca):
    top = pca.truncate(2)
    _rejects("02.1", _with(sample_models, pca, pca=lambda im: im.double() @ top.components.T), sample_models,
             "principal components")


def test_02_1_rejects_whitened_pca_projections(sample_models, pca):
    top = pca.truncate(2)
    whitened = lambda im: (im.double() - top.mean) @ top.components.T / top.eigenvalues.sqrt()
    _rejects("02.1", _with(sample_models, pca, pca=whitened), sample_models,
             "principal components")


def test_02_1_rejects_columns_of_the_components_for_rows(sample_models, pca):
    _rejects("02.1", _with(sample_models, pca, pca=lambda im: (im.double() - pca.mean) @ pca.components[:, :2]),
             sample_models, "principal components")


def test_02_1_accepts_pca_by_svd_and_codes_by_hand(sample_models):
    x = ae.load_mnist(train=True)[0]
    mean = x.mean(0)
    _, _, vh = torch.linalg.svd(x - mean, full_matrices=False)
    enc = sample_models["d2"].encoder[0]

    def codes_2d(images):
        with torch.no_grad():
            return {"ae": torch.tanh(images @ enc.weight.T + enc.bias), "pca": (images - mean) @ vh[:2].T}
    _accepts("02.1", codes_2d, sample_models)


def test_02_1_accepts_the_solution(sample_models, pca):
    _accepts("02.1", _master_solution("02", "02.1", "codes_2d", pca=pca, sweep={2: sample_models["d2"]}),
             sample_models)


def test_02_1_loads_the_notebooks_d2_model_with_the_notebooks_seed(monkeypatch):
    calls = []
    monkeypatch.setattr(nb02, "trained_autoencoder", lambda *args, **kwargs: calls.append((args, kwargs)))
    monkeypatch.setenv("AEHELPERS_SEED", "3")
    nb02._notebook_d2_model()
    assert calls == [((2,), {"seed": 3, "progress": False})]  # what notebook 02's sweep[2] is


# 02.2: the backward pass by hand

def _forward(m, x):
    (W_h, b_h), (W_x, b_x) = (m.encoder[0].weight, m.encoder[0].bias), (m.decoder[0].weight, m.decoder[0].bias)
    h = torch.tanh(x @ W_h.T + b_h)
    return W_h, W_x, h, torch.tanh(h @ W_x.T + b_x)


def test_02_2_rejects_autograd_switched_back_on(sample_models):
    def with_autograd(m, x):
        with torch.enable_grad():
            params = [m.encoder[0].weight, m.encoder[0].bias, m.decoder[0].weight, m.decoder[0].bias]
            grads = torch.autograd.grad(nn.MSELoss()(m(x), x), params)
        return dict(zip(["W_h", "b_h", "W_x", "b_x"], grads))
    _rejects("02.2", with_autograd, sample_models, "uses autograd")


def test_02_2_rejects_the_mean_over_the_batch_only(sample_models):
    def per_batch(m, x):
        W_h, W_x, h, x_hat = _forward(m, x)
        d_ax = 2 * (x_hat - x) / len(x) * (1 - x_hat ** 2)   # should divide by N * n
        d_ah = d_ax @ W_x * (1 - h ** 2)
        return {"W_x": d_ax.T @ h, "b_x": d_ax.sum(0), "W_h": d_ah.T @ x, "b_h": d_ah.sum(0)}
    _rejects("02.2", per_batch, sample_models, "the gradient b_x differs")


def test_02_2_rejects_the_decoders_tanh_forgotten(sample_models):
    def no_tanh_derivative(m, x):
        W_h, W_x, h, x_hat = _forward(m, x)
        d_ax = 2 * (x_hat - x) / x.numel()
        d_ah = d_ax @ W_x * (1 - h ** 2)
        return {"W_x": d_ax.T @ h, "b_x": d_ax.sum(0), "W_h": d_ah.T @ x, "b_h": d_ah.sum(0)}
    _rejects("02.2", no_tanh_derivative, sample_models, "the gradient b_x differs", "tanh")


def test_02_2_rejects_a_weight_gradient_transposed(sample_models):
    def transposed(m, x):
        W_h, W_x, h, x_hat = _forward(m, x)
        d_ax = 2 * (x_hat - x) / x.numel() * (1 - x_hat ** 2)
        d_ah = d_ax @ W_x * (1 - h ** 2)
        return {"W_x": h.T @ d_ax, "b_x": d_ax.sum(0), "W_h": d_ah.T @ x, "b_h": d_ah.sum(0)}
    _rejects("02.2", transposed, sample_models, "the gradient W_x", "shape")


def test_02_2_accepts_per_example_outer_products(sample_models):
    def outer_products(m, x):
        W_h, W_x, h, x_hat = _forward(m, x)
        d_out = (x_hat - x) * 2 / x.numel()
        d_ax = d_out * (1 - x_hat.square())
        d_ah = torch.einsum("bn,nd->bd", d_ax, W_x) * (1 - h.square())
        return {"W_x": torch.einsum("bn,bd->nd", d_ax, h), "b_x": d_ax.sum(0),
                "W_h": torch.einsum("bd,bn->dn", d_ah, x), "b_h": d_ah.sum(0)}
    _accepts("02.2", outer_products, sample_models)


# 03.1: the denoiser fed unscaled pixels

def _hole_errors_with(pixels, target):
    def hole_errors(m, im, noise):
        def error(inp):
            out = ae.reconstruct(m, inp)
            return ae.masked_mse(out, target(im, noise), pixels(noise))
        return {"scaled": error(im * noise), "unscaled": error(im * (noise > 0).float())}
    return hole_errors


def test_03_1_rejects_the_error_over_all_pixels(sample_models):
    _rejects("03.1", _hole_errors_with(lambda n: torch.ones_like(n, dtype=torch.bool), lambda im, n: im),
             sample_models, "where the check measures")


def test_03_1_rejects_the_error_on_the_kept_pixels(sample_models):
    _rejects("03.1", _hole_errors_with(lambda n: n > 0, lambda im, n: im), sample_models, "where the check measures")


def test_03_1_rejects_the_corrupted_input_as_target(sample_models):
    _rejects("03.1", _hole_errors_with(lambda n: n == 0, lambda im, n: im * n), sample_models,
             "where the check measures")


def test_03_1_rejects_the_clean_digits_as_unscaled_input(sample_models):
    def clean_input(m, im, noise):
        holes = noise == 0
        return {"scaled": ae.masked_mse(ae.reconstruct(m, im * noise), im, holes),
                "unscaled": ae.masked_mse(ae.reconstruct(m, im), im, holes)}
    _rejects("03.1", clean_input, sample_models, "'unscaled' error")


def test_03_1_accepts_boolean_indexing_and_torch_where(sample_models):
    def by_hand(m, im, noise):
        holes = noise == 0
        def error(inp):
            return float((ae.reconstruct(m, inp) - im).square()[holes].mean())
        return {"scaled": error(im * noise), "unscaled": error(torch.where(holes, torch.zeros_like(im), im))}
    _accepts("03.1", by_hand, sample_models)


# 03.2: the denoiser applied again and again

def _passes(m, im, k):
    ys = [im]
    for _ in range(k):
        ys.append(ae.reconstruct(m, ys[-1]))
    return ys


def test_03_2_rejects_distances_from_the_first_input(sample_models):
    _rejects("03.2", lambda m, im, k: torch.stack([(y - im).norm(dim=1) for y in _passes(m, im, k)[1:]]),
             sample_models, "differ from the check's own")


def test_03_2_rejects_the_output_not_fed_back(sample_models):
    _rejects("03.2", lambda m, im, k: (ae.reconstruct(m, im) - im).norm(dim=1).expand(k, -1).clone(), sample_models,
             "differ from the check's own")


def test_03_2_rejects_the_mean_squared_error_for_a_distance(sample_models):
    def mse(m, im, k):
        ys = _passes(m, im, k)
        return torch.stack([(b - a).square().mean(1) for a, b in zip(ys, ys[1:])])
    _rejects("03.2", mse, sample_models, "differ from the check's own")


def test_03_2_rejects_squared_distances(sample_models):
    def squared(m, im, k):
        ys = _passes(m, im, k)
        return torch.stack([(b - a).square().sum(1) for a, b in zip(ys, ys[1:])])
    _rejects("03.2", squared, sample_models, "squared")


def test_03_2_accepts_the_differences_of_the_stacked_passes(sample_models):
    _accepts("03.2", lambda m, im, k: torch.linalg.vector_norm(torch.stack(_passes(m, im, k)).diff(dim=0), dim=2),
             sample_models)


# 04.1: the kernels that respond to a stroke

def test_04_1_rejects_the_response_to_the_stroke_alone(sample_models):
    _rejects("04.1", lambda w, s, k: (w @ s).topk(k).indices, sample_models, "it picks")


def test_04_1_rejects_the_largest_response_in_size(sample_models):
    _rejects("04.1", lambda w, s, k: (w @ (s + 1)).abs().topk(k).indices, sample_models, "largest possible")


def test_04_1_rejects_the_cosine_between_kernel_and_stroke(sample_models):
    cosine = lambda w, s, k: F.cosine_similarity(w, (s + 1)[None], dim=1).topk(k).indices
    _rejects("04.1", cosine, sample_models, "kernels of different lengths")


def test_04_1_rejects_the_least_responsive_kernels(sample_models):
    _rejects("04.1", lambda w, s, k: (w @ (s + 1)).argsort()[:k], sample_models, "it picks")


def test_04_1_accepts_the_sum_of_the_weights_under_the_stroke(sample_models):
    _accepts("04.1", lambda w, s, k: w[:, s > 0].sum(1).argsort(descending=True)[:k].tolist(), sample_models)


# 04.2: the pixels tied to the bias

def _encoder_grads(m, im):
    m.zero_grad()
    nn.MSELoss()(m(im), im).backward()
    return m.encoder[0].weight.grad.clone(), m.encoder[0].bias.grad.clone()


def _tied_by(rule, clear=True):
    def bias_tied_pixels(m, im):
        grad_w, grad_b = _encoder_grads(m, im)
        if clear:
            m.zero_grad()
        return rule(grad_w, grad_b)
    return bias_tied_pixels


def test_04_2_rejects_the_pixel_values_instead_of_the_gradients(sample_models):
    _rejects("04.2", lambda m, im: (im == -1).all(0), sample_models, "saturates every hidden unit")


def test_04_2_rejects_the_weight_gradient_equal_to_plus_the_bias_gradient(sample_models):
    _rejects("04.2", _tied_by(lambda gw, gb: (gw - gb[:, None]).abs().amax(0) <= 1e-5 * gb.abs().max()),
             sample_models, "on a batch of 256 clean digits it marks 0 pixels")


def test_04_2_rejects_a_pixel_tied_in_one_unit_only(sample_models):
    _rejects("04.2", _tied_by(lambda gw, gb: (gw + gb[:, None]).abs().amin(0) <= 1e-5 * gb.abs().max()),
             sample_models, "overlap")


def test_04_2_rejects_exact_float_equality(sample_models):
    _rejects("04.2", _tied_by(lambda gw, gb: (gw == -gb[:, None]).all(0)), sample_models, "marks 0 pixels")


def test_04_2_rejects_an_absolute_tolerance_far_above_the_gradients(sample_models):
    _rejects("04.2", _tied_by(lambda gw, gb: (gw + gb[:, None]).abs().amax(0) <= 1e-3), sample_models, "overlap")


def test_04_2_rejects_gradients_left_behind_in_the_model(sample_models):
    _rejects("04.2", _tied_by(lambda gw, gb: (gw + gb[:, None]).abs().amax(0) <= 1e-5 * gb.abs().max(), clear=False),
             sample_models, "left gradients")


def test_04_2_accepts_autograd_grad_and_isclose(sample_models):
    def bias_tied_pixels(m, im):
        W, b = m.encoder[0].weight, m.encoder[0].bias
        grad_w, grad_b = torch.autograd.grad(nn.MSELoss()(m(im), im), [W, b])  # leaves no .grad behind
        minus_b = (-grad_b)[:, None].expand_as(grad_w)
        return torch.isclose(grad_w, minus_b, rtol=1e-4, atol=1e-6 * float(grad_b.abs().max())).all(dim=0)
    _accepts("04.2", bias_tied_pixels, sample_models)


def test_04_2_accepts_gradients_zeroed_rather_than_removed(sample_models):
    def bias_tied_pixels(m, im):
        grad_w, grad_b = _encoder_grads(m, im)
        m.zero_grad(set_to_none=False)
        return (grad_w + grad_b[:, None]).abs().amax(0) <= 1e-5 * grad_b.abs().max()
    _accepts("04.2", bias_tied_pixels, sample_models)


# 04.3: the drop rate and the kernels

@pytest.fixture(scope="module")
def outside(sample_models):
    return ae.outside_mask(ae.load_mnist(train=True)[0], fraction=0.99)


def _flatness_by(statistic, prediction=0.8):
    def flatness_by_rate(models):
        return {"prediction": prediction, "flatness": {p: float(statistic(m)) for p, m in models.items()}}
    return flatness_by_rate


def test_04_3_rejects_the_mean_over_kernels(sample_models, outside):
    _rejects("04.3", _flatness_by(lambda m: ae.outside_inside_spread(m.encoder[0].weight, outside).mean()),
             sample_models, "the check damped")


def test_04_3_rejects_the_decoders_weights(sample_models, outside):
    _rejects("04.3", _flatness_by(lambda m: ae.outside_inside_spread(m.decoder[0].weight.T, outside).median()),
             sample_models, "the check damped")


def test_04_3_rejects_the_ratio_upside_down(sample_models, outside):
    _rejects("04.3", _flatness_by(lambda m: (1 / ae.outside_inside_spread(m.encoder[0].weight, outside)).median()),
             sample_models, "the check damped")


def test_04_3_rejects_the_pixels_black_in_every_digit_as_outside(sample_models):
    always_black = (ae.load_mnist(train=True)[0] == -1).all(0)
    _rejects("04.3", _flatness_by(lambda m: ae.outside_inside_spread(m.encoder[0].weight, always_black).median()),
             sample_models, "the check damped")


def test_04_3_rejects_a_prediction_computed_from_the_measurement(sample_models, outside):
    def after_the_fact(models):
        flat = {p: float(ae.outside_inside_spread(m.encoder[0].weight, outside).median()) for p, m in models.items()}
        return {"prediction": min(flat, key=flat.get), "flatness": flat}
    _rejects("04.3", after_the_fact, sample_models, "prediction changes")


def test_04_3_rejects_numbers_measured_once_and_typed_in(sample_models, outside):
    measured = _flatness_by(lambda m: ae.outside_inside_spread(m.encoder[0].weight, outside).median())(
        _givens("04.3", sample_models)["models"])
    _rejects("04.3", lambda models: measured, sample_models, "the check damped")


def test_04_3_accepts_the_spreads_by_hand_and_torch_quantile(sample_models, outside):
    def by_hand(m):
        w = m.encoder[0].weight.detach()
        return torch.quantile(w[:, outside].std(1, correction=0) / w[:, ~outside].std(1, correction=0), 0.5)
    _accepts("04.3", _flatness_by(by_hand, prediction=0.2), sample_models)


# 05.1: energy minimisation by hand

def _energy_inpaint(model, images, known, steps, *, lr=0.05, masked=True, target=None, code=torch.tanh,
                    start=None, params=None):
    """energy_inpaint_by_hand, with the knobs students get wrong."""
    decoder = model.decoder
    u = (torch.zeros(len(images), model.d) if start is None else start).clone().requires_grad_(True)
    opt = torch.optim.Adam([u] if params is None else params(model), lr=lr)
    target = images if target is None else target(images, known)
    for _ in range(steps):
        err = (decoder(code(u)) - target) ** 2
        energy = (err * known).sum() if masked else err.sum()
        opt.zero_grad()
        energy.backward()
        opt.step()
    model.zero_grad(set_to_none=True)
    with torch.no_grad():
        return decoder(code(u))


def test_05_1_rejects_an_energy_over_every_pixel(sample_models):
    _rejects("05.1", lambda m, im, known, steps: _energy_inpaint(m, im, known, steps, masked=False), sample_models,
             "reads pixels that are not known")


def test_05_1_rejects_the_decoded_image_left_unmasked(sample_models):
    # the target is masked, the decoded image is not: the energy pulls the holes to grey (0), whatever they hold
    _rejects("05.1", lambda m, im, known, steps: _energy_inpaint(m, im, known, steps, masked=False,
                                                                target=lambda x, k: x * k),
             sample_models, "not over the known pixels alone")


def test_05_1_rejects_training_the_decoder_instead_of_the_codes(sample_models):
    def trains_the_model(m, im, known, steps):
        return _energy_inpaint(m, im, known, steps, params=lambda model: list(model.decoder.parameters()))
    _rejects("05.1", trains_the_model, sample_models, "changed the model's weights")


def test_05_1_rejects_a_learning_rate_too_small_to_move(sample_models):
    _rejects("05.1", lambda m, im, known, steps: _energy_inpaint(m, im, known, steps, lr=1e-4), sample_models,
             "the energy was not minimised")


def test_05_1_accepts_an_unsquashed_code_from_the_encoders_start(sample_models):
    def plain_code(m, im, known, steps):
        start = ae.encode(m, torch.where(known, im, torch.zeros_like(im)))
        return _energy_inpaint(m, im, known, steps, code=lambda u: u, start=start)
    _accepts("05.1", plain_code, sample_models)


def test_05_1_accepts_a_mean_energy_with_torch_where(sample_models):
    def mean_energy(m, im, known, steps):
        z = torch.zeros(len(im), m.d, requires_grad=True)
        opt = torch.optim.Adam([z], lr=0.05)
        for _ in range(steps):
            diff = torch.where(known, m.decode(z.tanh()) - im, torch.zeros_like(im))
            opt.zero_grad()
            diff.square().mean().backward()
            opt.step()
        m.zero_grad(set_to_none=True)
        return ae.decode(m, z.detach().tanh())
    _accepts("05.1", mean_energy, sample_models)


def test_05_1_accepts_the_solution(sample_models):
    _accepts("05.1", _master_solution("05", "05.1", "energy_inpaint_by_hand"), sample_models)


# 05.2: a prior on the code

def _gaussian_prior(model):
    codes = ae.encode(model, ae.load_mnist(train=True)[0]).double()
    cov = torch.cov(codes.T) + 1e-4 * torch.eye(codes.shape[1], dtype=torch.float64)
    return codes.mean(0).float(), cov


def _with_prior(lam, penalty, *, masked=True, steps=50):
    """inpaint_with_prior from the denoiser's code with ``lam * penalty(z, mu, cov)`` added to the energy."""
    def inpaint_with_prior(model, images, known):
        mu, cov = _gaussian_prior(model)
        start = ae.start_codes(model, torch.where(known, images, torch.zeros_like(images)))
        u = torch.atanh(start).requires_grad_(True)
        opt = torch.optim.Adam([u], lr=0.05)
        for _ in range(steps):
            z = torch.tanh(u)
            err = (model.decode(z) - images) ** 2
            energy = (err * known).sum() if masked else err.sum()
            opt.zero_grad()
            (energy + lam * penalty(z, mu, cov)).backward()
            opt.step()
        model.zero_grad(set_to_none=True)
        return ae.decode(model, torch.tanh(u.detach()))
    return inpaint_with_prior


def _mahalanobis(z, mu, cov):
    return torch.einsum("ni,ij,nj->", z - mu, torch.linalg.inv(cov).float(), z - mu)


def test_05_2_rejects_an_energy_over_every_pixel(sample_models):
    _rejects("05.2", _with_prior(0.05, _mahalanobis, masked=False), sample_models, "reads pixels that are not known")


def test_05_2_rejects_no_prior_at_all(sample_models):
    _rejects("05.2", _with_prior(0.0, _mahalanobis), sample_models, "inside the hole")


def test_05_2_rejects_a_prior_that_overrules_the_data(sample_models):
    _rejects("05.2", _with_prior(1e4, _mahalanobis), sample_models, "overrules the data")


def test_05_2_rejects_the_covariance_not_inverted(sample_models):
    _rejects("05.2", _with_prior(0.05, lambda z, mu, cov: torch.einsum("ni,ij,nj->", z - mu, cov.float(), z - mu)),
             sample_models, "inside the hole")


def test_05_2_accepts_the_negative_log_density_of_a_gaussian(sample_models):
    # -log N(z; mu, cov) = (z - mu)^T cov^-1 (z - mu) / 2 + const, by torch.distributions (weighed 0.2:
    # lambda = 0.1 on the quadratic form, the middle of the range the hint suggests)
    def neg_log_density(z, mu, cov):
        return -torch.distributions.MultivariateNormal(mu.double(), covariance_matrix=cov).log_prob(z.double()).sum()
    _accepts("05.2", _with_prior(0.2, neg_log_density), sample_models)


def test_05_2_accepts_the_solution(sample_models):
    _accepts("05.2", _master_solution("05", "05.2", "inpaint_with_prior"), sample_models)


# 06.1: the contractive penalty of a deep encoder by the chain rule

def _layers(encoder, x):
    """[(W_k, h_k)] for every Linear + Tanh pair, h_k at each input."""
    out, h = [], x
    for linear in encoder[0::2]:
        h = torch.tanh(linear(h))
        out.append((linear.weight, h))
    return out


def test_06_1_rejects_the_weights_without_the_tanh_factors(sample_models):
    def weights_only(enc, x):
        jac = None
        for w, _ in _layers(enc, x):
            jac = w if jac is None else w @ jac
        return jac.square().sum().expand(len(x)).clone()
    _rejects("06.1", weights_only, sample_models, "differs from autograd's")


def test_06_1_rejects_the_factors_taken_at_the_pre_activation(sample_models):
    def at_pre_activation(enc, x):
        jac, h = None, x
        for linear in enc[0::2]:
            a = linear(h)
            step = (1 - a ** 2)[:, :, None] * linear.weight   # should be 1 - tanh(a)^2
            jac = step if jac is None else step @ jac
            h = torch.tanh(a)
        return jac.square().sum(dim=(1, 2))
    _rejects("06.1", at_pre_activation, sample_models, "differs from autograd's")


def test_06_1_rejects_autograd_jacobian(sample_models):
    from torch.autograd.functional import jacobian
    _rejects("06.1", lambda enc, x: torch.stack([jacobian(enc, xi).square().sum() for xi in x]), sample_models,
             "uses autograd")


def test_06_1_accepts_the_product_taken_from_the_output_side(sample_models):
    def from_the_output(enc, x):
        layers = _layers(enc, x)
        jac = None
        for w, h in reversed(layers):  # J = (...((D_L W_L) D_{L-1}) W_{L-1} ...) D_1 W_1
            step = torch.diag_embed(1 - h ** 2) @ w
            jac = step if jac is None else jac @ step
        return torch.linalg.matrix_norm(jac) ** 2
    _accepts("06.1", from_the_output, sample_models)


# 06.2: the posterior mean

def test_06_2_rejects_weights_not_normalised(sample_models):
    _rejects("06.2", lambda n, c, s: torch.exp(-torch.cdist(n, c).square() / (2 * s ** 2)) @ c, sample_models,
             "from the posterior mean")


def test_06_2_rejects_sigma_squared_without_the_factor_2(sample_models):
    _rejects("06.2", lambda n, c, s: torch.softmax(-torch.cdist(n, c).square() / s ** 2, dim=1) @ c, sample_models,
             "from the posterior mean")


def test_06_2_rejects_the_distance_not_squared(sample_models):
    _rejects("06.2", lambda n, c, s: torch.softmax(-torch.cdist(n, c) / (2 * s ** 2), dim=1) @ c, sample_models,
             "from the posterior mean")


def test_06_2_rejects_weights_normalised_over_the_noisy_points(sample_models):
    _rejects("06.2", lambda n, c, s: torch.softmax(-torch.cdist(n, c).square() / (2 * s ** 2), dim=0) @ c,
             sample_models, "from the posterior mean")


def test_06_2_accepts_the_largest_log_weight_subtracted_by_hand(sample_models):
    def shifted(noisy, clean, sigma):
        log_w = -((noisy[:, None, :] - clean[None, :, :]) ** 2).sum(-1) / (2 * sigma ** 2)
        w = torch.exp(log_w - log_w.amax(dim=1, keepdim=True))
        return (w @ clean) / w.sum(dim=1, keepdim=True)
    _accepts("06.2", shifted, sample_models)


# 07.1: the ROC AUC by pairs

def test_07_1_rejects_ties_counted_as_losses(sample_models):
    strict = lambda s, y: float((s[y.bool()][:, None] > s[~y.bool()][None, :]).double().mean())
    _rejects("07.1", strict, sample_models, "many ties", "one half")


def test_07_1_rejects_the_labels_read_the_other_way(sample_models):
    flipped = lambda s, y: _master_solution("07", "07.1", "auc_by_pairs")(s, ~y.bool())
    _rejects("07.1", flipped, sample_models, "ranked right")


def test_07_1_rejects_a_mean_over_examples_instead_of_pairs(sample_models):
    def per_example(s, y):  # the fraction of examples on the right side of the median score
        above = s > s.median()
        return float((above == y.bool()).double().mean())
    _rejects("07.1", per_example, sample_models, "ranked right")


def test_07_1_accepts_the_mean_over_anomalies_of_the_normal_digits_each_beats(sample_models):
    def per_anomaly(s, y):
        pos, neg = s[y.bool()], s[~y.bool()]
        return torch.stack([(p > neg).double().mean() + 0.5 * (p == neg).double().mean() for p in pos]).mean()
    _accepts("07.1", per_anomaly, sample_models)


# 07.2: the quantiser

def _step(b, lo, hi):
    return (hi - lo) / 2 ** b


def test_07_2_rejects_the_left_edge_of_the_level(sample_models):
    left = lambda c, b, lo, hi: lo + torch.floor((c - lo) / _step(b, lo, hi)).clamp(0, 2 ** b - 1) * _step(b, lo, hi)
    _rejects("07.2", left, sample_models, "not the centres")


def test_07_2_rejects_levels_that_include_both_ends(sample_models):
    ends = lambda c, b, lo, hi: lo + torch.round((c - lo) / ((hi - lo) / (2 ** b - 1))).clamp(0, 2 ** b - 1) \
        * (hi - lo) / (2 ** b - 1)
    _rejects("07.2", ends, sample_models, "not the centres")


def test_07_2_rejects_codes_outside_the_range_not_clipped(sample_models):
    no_clip = lambda c, b, lo, hi: lo + (torch.floor((c - lo) / _step(b, lo, hi)) + 0.5) * _step(b, lo, hi)
    _rejects("07.2", no_clip, sample_models, "are not clipped")


def test_07_2_rejects_one_range_for_every_dimension(sample_models):
    one_range = lambda c, b, lo, hi: _master_solution("07", "07.2", "quantise_roundtrip")(c, b, lo.min(), hi.max())
    _rejects("07.2", one_range, sample_models, "not the centres")


def test_07_2_accepts_bucketize_over_the_level_edges(sample_models):
    def bucketed(codes, bits, low, high):
        levels = 2 ** bits
        fractions = torch.arange(1, levels, dtype=torch.float64) / levels  # the inner edges, as fractions
        out = torch.empty_like(codes)
        for j in range(codes.shape[1]):
            edges = low[j] + fractions * (high[j] - low[j])
            k = torch.bucketize(codes[:, j].double(), edges, right=True)   # 0 .. levels - 1, clipped by design
            out[:, j] = (low[j] + (k + 0.5) * (high[j] - low[j]) / levels).float()
        return out
    _accepts("07.2", bucketed, sample_models)


# ------------------------------------------------------------------ a failing check reads like feedback

def test_a_failing_check_renders_as_its_message_alone():
    with pytest.raises(ExerciseNotPassed) as err:
        check("07.1", lambda s, y: 0.5)
    assert err.value._render_traceback_() == str(err.value).split("\n")


def test_an_error_in_the_students_code_shows_its_own_frames_then_the_message():
    def auc_by_pairs(scores, labels):
        return helper(scores)

    def helper(scores):
        return 1 / 0
    with pytest.raises(ExerciseNotPassed) as err:
        check("07.1", auc_by_pairs)
    lines = err.value._render_traceback_()
    text = "\n".join(lines)
    assert text.endswith(str(err.value)) and "raised ZeroDivisionError" in str(err.value)
    assert "in auc_by_pairs" in text and "in helper" in text and "ZeroDivisionError: division by zero" in text
    assert str(Path(ae.__file__).parent) not in text, "no frames of the checks' internals"


def test_uses_turns_an_unwritten_answer_into_a_message_and_lets_other_errors_through():
    def stub():
        raise NotImplementedError("Exercise 02.1: your code here")
    with pytest.raises(ExerciseNotPassed, match=r"(?s)^Exercise 02\.1 \(.*not written yet.*hint:") as err:
        with ae.exercises.uses("02.1"):
            stub()
    assert err.value._render_traceback_() == str(err.value).split("\n")
    with pytest.raises(ZeroDivisionError):
        with ae.exercises.uses("02.1"):
            1 / 0
    with pytest.raises(ValueError, match="unknown exercise"):
        with ae.exercises.uses("2.1"):
            pass


# What the student version's exercise sections read from the notebooks' bodies: the smallest stand-ins
# (untrained models, the sample), so that every exercise cell runs, and fails only on its stub.
BODIES = {
    "01": """SEED = 0
train_x, train_y = ae.load_mnist(train=True)
test_x, test_y = ae.load_mnist(train=False)
MODELS = {"shallow": ae.Autoencoder(784, 30)}
fit_x = train_x[:200]
TRANSFORMS = {"shift 3 px right": lambda x, t=1.0: ae.shift(x, dx=3 * t)}""",
    "02": """x_test, y_test = ae.load_mnist(train=False)""",
    "03": """x_test, y_test = ae.load_mnist(train=False)
denoiser = ae.Autoencoder(784, 100)
noise = ae.dropout_noise(x_test.shape, generator=torch.Generator().manual_seed(0))
x_bad, SHOW = x_test * noise, torch.arange(10)""",
    "04": """from torch import nn
SEED = 0
x_train, _ = ae.load_mnist(train=True)
weights = {"untrained": ae.Autoencoder(784, 50).encoder[0].weight.detach()}
ae.trained_autoencoder = lambda d, **settings: ae.Autoencoder(784, d)  # no training in this test""",
    "05": """x_test, _ = ae.load_mnist(train=False)
SHOW, ENERGY_STEPS = torch.arange(10), 50
denoiser = ae.Autoencoder(784, 100)""",
    "06": """x_test, _ = ae.load_mnist(train=False)
control = ae.Autoencoder(784, 2, hidden=(64, 64))
denoiser_2d = ae.Autoencoder(2, 64, hidden=(64,))
curve = ae.TwoBranchCurve()
toy_points, _ = curve.sample(200, seed=0)
ARROWS, curve_line, NOISE = ae.grid(21), curve.at(torch.linspace(0, 1, 50)), 0.2""",
    "07": """_, y_test = ae.load_mnist(train=False)
scores, auc = {1: {"AE": torch.rand(len(y_test))}}, {"AE": {1: 0.5}}
codes_test, D = torch.rand(100, 30), 30
low, high = codes_test.amin(0), codes_test.amax(0)""",
}
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _exercise_sections(nb_ids):
    """One notebook: for each notebook, a cell standing in for its body, then its student version's
    exercise cells (from '## Exercises' on)."""
    import nbformat
    cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nimport torch\nimport aehelpers as ae")]
    for nb_id in nb_ids:
        nb, _ = student.student_notebook(json.loads(NOTEBOOKS[nb_id].read_text(encoding="utf-8")))
        nb = nbformat.reads(json.dumps(nb), as_version=4)
        first = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Exercises"))
        cells.append(nbformat.v4.new_code_cell(BODIES[nb_id]))
        cells += nb.cells[first:]
    return nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "language": "python",
                                                                          "display_name": "Python 3"}})


def _kernel_env(tmp_path):
    import os
    return {**os.environ, "AEHELPERS_DATASET": "sample", "AEHELPERS_DATA": str(tmp_path), "AEHELPERS_DEVICE": "cpu",
            "MPLBACKEND": "Agg", "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}


def test_the_student_version_reports_every_unwritten_exercise_by_its_check_message(tmp_path):
    """Every exercise section of the student version, run with errors allowed: each check cell and
    each cell that uses an answer fails with the check's message alone (no frames, no bare
    NotImplementedError); every other cell runs."""
    from notebook_client import execute_notebook
    nb = execute_notebook(_exercise_sections(WITH_EXERCISES), tmp_path, timeout=600, env=_kernel_env(tmp_path),
                          allow_errors=True)
    checked, used = set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        uses = re.search(r'ae\.exercises\.uses\("(\d\d\.\d)"\)', cell.source)
        checks = re.search(r'ae\.exercises\.check\("(\d\d\.\d)"', cell.source)
        if not (uses or checks):
            assert not errors, f"{cell.source[:200]}\n{errors}"
            continue
        assert len(errors) == 1, f"this cell must stop with the check's message:\n{cell.source[:200]}"
        error = errors[0]
        lines = [ANSI.sub("", line) for line in error.traceback]
        ex_id = (uses or checks).group(1)
        assert error.ename == "ExerciseNotPassed", (error.ename, error.evalue)
        assert lines == error.evalue.split("\n"), "the message alone, no traceback"
        assert lines[0].startswith(f"Exercise {ex_id} (") and lines[-1].startswith("  hint: ")
        assert ("not written yet" if uses else "still raises NotImplementedError") in lines[1]
        assert not any("aehelpers" in line and "File" in line for line in lines)
        (used if uses else checked).add(ex_id)
    assert checked == {e.id for e in list_exercises()}, "every exercise's check ran and reported its stub"
    assert used, "the cells that use an answer ran too"


def test_run_all_stops_at_the_first_unwritten_exercise(tmp_path):
    from nbclient.exceptions import CellExecutionError
    from notebook_client import execute_notebook
    nb = _exercise_sections(["07"])
    with pytest.raises(CellExecutionError, match="Exercise 07.1"):
        execute_notebook(nb, tmp_path, timeout=300, env=_kernel_env(tmp_path))
    first_check = next(i for i, c in enumerate(nb.cells) if 'ae.exercises.check("07.1"' in c.source)
    assert all(c.get("execution_count") is None for c in nb.cells[first_check + 1:] if c.cell_type == "code")
