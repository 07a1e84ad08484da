"""The exercise registry: ``check("02.1", answer)`` says what is right, what is wrong and a hint.

Each exercise has an id, ``"NN.k"`` (notebook NN, exercise k), and a check registered here
by the modules ``nb01`` ... ``nb07``; this module imports none of them. ``check`` prints a
list of ✓ lines (what the answer got right, with the numbers measured) or raises
``ExerciseNotPassed`` saying what is wrong, what is already right, and a hint. Checks test *properties* of an answer (shapes, ranges, agreement with a reference
computation within a tolerance, a measured effect), so many correct answers pass and
trivial ones (None, zeros, the input unchanged, a wrong shape, a stub that still raises
``NotImplementedError``) do not. Most answers are functions: the check calls them on its
own held-out digits, so an answer cannot be tuned to the digits the notebook shows.

Adding an exercise (e.g. for notebook 08): write ``def _check_08_1(answer, r, ...)`` in a
module ``nb08.py`` (imported by the package's ``__init__``), decorate it with ``@exercise("08.1", "title", needs=(...))``, use ``r.ok(...)`` for what is
right and ``r.require(condition, right, wrong, hint)`` / ``r.fail(wrong, hint)`` for the
rest (``r.require_function``, ``r.require_keys`` and ``r.call`` cover the usual preambles), and
append the exercise cells at the end of the notebook (see README, "Exercises").

``list_exercises()`` lists them. Used by the exercise sections of notebooks 01-07.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch

from ..data import load_mnist
from ..model import Autoencoder

__all__ = ["check", "exercise", "list_exercises", "ExerciseNotPassed", "Exercise", "EXERCISES", "Report",
           "as_tensor", "test_digits", "held_out_digits", "seeded_autoencoder"]

_ID = re.compile(r"^\d\d\.\d+$")


class ExerciseNotPassed(AssertionError):
    """An exercise's answer does not pass its check; the message says what is wrong and gives a hint."""


@dataclass
class Exercise:
    """One registered exercise: its id ("02.1"), title, what the check needs besides the answer."""

    id: str
    title: str
    needs: tuple[str, ...]
    fn: Callable = field(repr=False)

    @property
    def notebook(self) -> str:
        return self.id.split(".")[0]


#: Every registered exercise, by id.
EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, title: str, needs: tuple[str, ...] = ()):
    """Register ``fn(answer, report, **needs)`` as the check of ``exercise_id`` ("NN.k")."""
    if not _ID.match(exercise_id):
        raise ValueError(f"exercise ids look like '02.1' (notebook 02, exercise 1), got {exercise_id!r}")

    def register(fn):
        if exercise_id in EXERCISES:
            raise ValueError(f"exercise {exercise_id} is registered twice")
        EXERCISES[exercise_id] = Exercise(exercise_id, title, tuple(needs), fn)
        return fn

    return register


def list_exercises(notebook: str | None = None) -> list[Exercise]:
    """The registered exercises (of one notebook, e.g. ``"02"``), in order."""
    found = [e for _, e in sorted(EXERCISES.items(), key=lambda kv: tuple(map(int, kv[0].split("."))))]
    return [e for e in found if notebook is None or e.notebook == notebook]


class Report:
    """What a check found so far; ``fail`` raises ExerciseNotPassed with all of it."""

    def __init__(self, ex: Exercise):
        self.ex = ex
        self.right: list[str] = []

    def ok(self, what: str) -> None:
        self.right.append(what)

    def fail(self, wrong: str, hint: str):
        lines = [f"Exercise {self.ex.id} ({self.ex.title}): not yet.", f"  ✗ {wrong}"]
        lines += [f"  ✓ {r}" for r in self.right]
        lines.append(f"  hint: {hint}")
        raise ExerciseNotPassed("\n".join(lines))

    def require(self, condition: bool, right: str, wrong: str, hint: str) -> None:
        if condition:
            self.ok(right)
        else:
            self.fail(wrong, hint)

    def require_function(self, answer, usage: str) -> None:
        """Fail unless ``answer`` is callable (not its result); ``usage``: the right call, shown in the hint,
        e.g. ``"check('02.2', backward_by_hand)"``."""
        if not callable(answer):
            self.fail(f"the answer is a {type(answer).__name__}, not a function",
                      f"pass the function itself: {usage}")

    def require_keys(self, out, keys: tuple, wrong: str, hint: str) -> None:
        """Fail unless ``out`` is a dict with exactly ``keys``; ``wrong`` starts the message, e.g.
        ``"codes_2d must return"``, which goes on "a dict with the keys 'ae' and 'pca', got ..."."""
        if not isinstance(out, dict) or set(out) != set(keys):
            got = sorted(out, key=repr) if isinstance(out, dict) else type(out).__name__
            names = [repr(k) for k in keys]
            listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
            self.fail(f"{wrong} a dict with the keys {listed}, got {got}", hint)

    def call(self, fn, *args, what: str = "your function", no_grad: bool = False, **kwargs):
        """Call the student's function; its errors become a clear ExerciseNotPassed.

        ``no_grad``: run it under ``torch.no_grad()``, so that an answer that should
        compute gradients by hand cannot use autograd (a clear failure if it tries).
        """
        try:
            if no_grad:
                with torch.no_grad():
                    return fn(*args, **kwargs)
            return fn(*args, **kwargs)
        except NotImplementedError as err:
            self.fail(f"{what} still raises NotImplementedError ({err}): it has not been written yet",
                      "replace the line `raise NotImplementedError(...)` with your code, run that cell, "
                      "then run this check again")
        except ExerciseNotPassed:
            raise
        except RuntimeError as err:
            if no_grad and "grad" in str(err):
                self.fail(f"{what} uses autograd ({err})",
                          "compute the gradients by the chain rule with tensor operations only: the check "
                          "runs your function under torch.no_grad(), so loss.backward() cannot work")
            self.fail(f"calling {what} raised RuntimeError: {err}",
                      "read the traceback above this message; the exercise's text says what the "
                      "function receives and must return")
        except Exception as err:  # the student's code failed: say how, keep the traceback
            self.fail(f"calling {what} raised {type(err).__name__}: {err}",
                      "read the traceback above this message; the exercise's text says what the "
                      "function receives and must return")


def check(exercise_id: str, answer, **given) -> bool:
    """Check ``answer`` to exercise ``exercise_id`` (e.g. ``"02.1"``); print what is right, or raise.

    ``given``: what the exercise says its check needs besides the answer (e.g.
    ``model=denoiser``). On success prints one ✓ line per property that holds (with the
    measured numbers) and returns True; otherwise raises ``ExerciseNotPassed`` saying
    what is wrong, what is already right, and a hint. An unknown id or missing or
    unexpected ``given`` is a ValueError / TypeError that lists what is expected.
    """
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(EXERCISES) or "none"
        raise ValueError(f"unknown exercise {exercise_id!r}: the exercises are {known} "
                         "(a string such as '02.1')")
    ex = EXERCISES[exercise_id]
    missing = [k for k in ex.needs if k not in given]
    extra = [k for k in given if k not in ex.needs]
    if missing or extra:
        call = ", ".join(["answer"] + [f"{k}=..." for k in ex.needs])
        problem = (f"missing {', '.join(missing)}" if missing else "") + \
                  ("; " if missing and extra else "") + (f"unexpected {', '.join(extra)}" if extra else "")
        raise TypeError(f"exercise {exercise_id}'s check is called as check({exercise_id!r}, {call}): {problem}")
    report = Report(ex)
    if answer is None:
        report.fail("the answer is None",
                    "pass what the exercise asks for (often your function itself, without calling it); "
                    "a function that ends without `return` gives None")
    ex.fn(answer, report, **given)
    print(f"✓ Exercise {ex.id} ({ex.title}): passed")
    for line in report.right:
        print(f"  ✓ {line}")
    return True


# ----------------------------------------------------------------------------- helpers of the checks

def as_tensor(x, r: Report, what: str, shape: tuple | None = None) -> torch.Tensor:
    """``x`` as a finite float64 CPU tensor of ``shape`` (None entries: any size), or a clear failure."""
    if isinstance(x, np.ndarray):
        x = torch.from_numpy(x)
    if not isinstance(x, torch.Tensor):
        r.fail(f"{what} is a {type(x).__name__}, not a tensor",
               "return a torch.Tensor (torch.tensor(...) or torch.stack(...) turn numbers into one)")
    x = x.detach().cpu()
    if x.is_complex() or x.dtype == torch.bool:
        r.fail(f"{what} has dtype {x.dtype}", "return real numbers (a float tensor)")
    x = x.double()
    if shape is not None:
        ok = x.ndim == len(shape) and all(s is None or s == n for s, n in zip(shape, x.shape))
        want = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        if not ok:
            r.fail(f"{what} has shape {tuple(x.shape)}, expected {want}",
                   "check which axis is which: digits are rows (N, 784), codes are (N, d)")
    if not torch.isfinite(x).all():
        r.fail(f"{what} contains NaN or infinite values", "look for a division by zero or a log of 0 in your code")
    return x


def test_digits():
    return load_mnist(train=False)


def held_out_digits(n: int) -> torch.Tensor:
    """The last ``n`` test digits: the notebooks' sections use the first ones."""
    return test_digits()[0][-n:]


def seeded_autoencoder(n: int, d: int, seed: int) -> Autoencoder:
    """A fresh ``Autoencoder(n, d)`` initialised from ``seed``, leaving the global random state as it was."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return Autoencoder(n, d)
