"""The exercise registry: ``check("02.1", answer)`` says what is right, what is wrong and a hint.

Each exercise has an id, ``"NN.k"`` (notebook NN, exercise k), and a check registered here
by the modules ``nb01`` ... ``nb07``; this module imports none of them. ``check`` prints a
list of ✓ lines (what the answer got right, with the numbers measured) or raises
``ExerciseNotPassed`` saying what is wrong, what is already right, and a hint. Checks test
*properties* of an answer (shapes, ranges, agreement with a reference computation within a
tolerance, a measured effect), so many correct answers pass and trivial ones (None, zeros,
the input unchanged, a wrong shape, a stub that still raises ``NotImplementedError``) do
not. Most answers are functions: the check calls them on its own held-out digits, so an
answer cannot be tuned to the digits the notebook shows.

In Jupyter a failing check reads like feedback, not a crash: ``ExerciseNotPassed`` tells
IPython (``_render_traceback_``) to show its message alone, preceded only by the frames of
the student's own code when that code raised; the cell still fails, so "Run All" stops at
the first exercise not passed. A cell that merely *uses* an answer runs inside
``with uses("02.1"):``, which turns the stub's ``NotImplementedError`` into the same kind of
message.

Adding an exercise (e.g. for notebook 08): write ``def _check_08_1(answer, r, ...)`` in a
module ``nb08.py`` (imported by the package's ``__init__``), decorate it with
``@exercise("08.1", "title", needs=(...))``, use ``r.ok(...)`` for what is right and
``r.require(condition, right, wrong, hint)`` / ``r.fail(wrong, hint)`` for the rest
(``r.require_function``, ``r.require_keys`` and ``r.call`` cover the usual preambles;
``r.call(..., no_autograd=True)`` refuses PyTorch's backward passes), and append the exercise
cells at the end of the notebook (see README, "Exercises"). A hint points at the idea (which
quantity, which shape, which step), never at the solution's code.

``list_exercises()`` lists them. Used by the exercise sections of notebooks 01-07.
"""

from __future__ import annotations

import contextlib
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from ..data import load_mnist
from ..model import Autoencoder

__all__ = ["check", "uses", "exercise", "list_exercises", "ExerciseNotPassed", "Exercise", "EXERCISES", "Report",
           "as_tensor", "test_digits", "held_out_digits", "seeded_autoencoder"]

_ID = re.compile(r"^\d\d\.\d+$")
_PACKAGE = Path(__file__).resolve().parent.parent  # aehelpers/: frames from here are the checks' internals


def _outside_package(tb) -> list[traceback.FrameSummary]:
    """The frames of a traceback that are not in aehelpers: the student's code (and what it called)."""
    return [f for f in traceback.extract_tb(tb) if not Path(f.filename).resolve().is_relative_to(_PACKAGE)]


class ExerciseNotPassed(AssertionError):
    """An exercise's answer does not pass its check; the message says what is wrong and gives a hint.

    When the student's code raised, that error is the ``__cause__``. In IPython and Jupyter,
    ``_render_traceback_`` shows the message alone (after the student's own frames, if their
    code raised), never the checks' internals.
    """

    def _render_traceback_(self) -> list[str]:
        """The lines IPython shows for this error instead of a traceback."""
        lines = []
        cause = self.__cause__
        if cause is not None:
            frames = _outside_package(cause.__traceback__)
            if frames:
                lines.append("Traceback of your code (most recent call last):")
                lines += "".join(traceback.format_list(frames)).rstrip("\n").split("\n")
            lines += traceback.format_exception_only(type(cause), cause)[-1].rstrip("\n").split("\n")
            lines.append("")
        return lines + str(self).split("\n")


class _AutogradUsed(RuntimeError):
    """Raised when autograd records an operation for a backward pass while an answer runs."""


def _refuse_to_save(_tensor):
    raise _AutogradUsed("autograd recorded an operation to differentiate later")


@contextlib.contextmanager
def _no_autograd():
    """``torch.no_grad()``, and reverse-mode autograd switched back on inside (``torch.enable_grad``,
    ``torch.autograd.grad``, ``torch.autograd.functional.jacobian``, ``torch.func.jacrev``) refused:
    autograd's saved-tensor hooks fire whenever an operation is recorded for a backward pass, which
    plain tensor arithmetic under ``no_grad`` never does. Forward-mode differentiation
    (``torch.func.jacfwd``) records nothing for a backward pass and is not caught."""
    with torch.no_grad(), torch.autograd.graph.saved_tensors_hooks(_refuse_to_save, lambda t: t):
        yield


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

    def fail(self, wrong: str, hint: str, cause: BaseException | None = None):
        """Raise ExerciseNotPassed: what is wrong, what is right so far, the hint. ``cause``: the error
        the student's code raised, shown (its frames only) above the message."""
        lines = [f"Exercise {self.ex.id} ({self.ex.title}): not yet.", f"  ✗ {wrong}"]
        lines += [f"  ✓ {r}" for r in self.right]
        lines.append(f"  hint: {hint}")
        raise ExerciseNotPassed("\n".join(lines)) from cause

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

    def call(self, fn, *args, what: str = "your function", no_autograd: bool = False, **kwargs):
        """Call the student's function; its errors become a clear ExerciseNotPassed.

        ``no_autograd``: run it under ``torch.no_grad()`` with reverse-mode autograd refused even
        where it is switched back on (``torch.enable_grad``), so that an answer that should compute
        gradients by hand cannot use autograd (a clear failure if it tries).
        """
        try:
            with _no_autograd() if no_autograd else contextlib.nullcontext():
                return fn(*args, **kwargs)
        except NotImplementedError as err:
            self.fail(f"{what} still raises NotImplementedError ({err}): it has not been written yet",
                      "replace the line `raise NotImplementedError(...)` with your code, run that cell, "
                      "then run this check again")
        except ExerciseNotPassed:
            raise
        except RuntimeError as err:
            if no_autograd and (isinstance(err, _AutogradUsed) or "saved tensor hooks" in str(err)
                                or "does not require grad" in str(err)):
                self.fail(f"{what} uses autograd (a backward pass or a Jacobian computed by PyTorch)",
                          "the point is the chain rule by hand, with tensor operations only: the check runs "
                          "your function with PyTorch's backward passes switched off")
            self._raised(err, what)
        except Exception as err:  # the student's code failed: say how, show its frames
            self._raised(err, what)

    def _raised(self, err: Exception, what: str):
        self.fail(f"calling {what} raised {type(err).__name__}: {err}",
                  "the lines of your code above this message show where; the exercise's text says what "
                  "the function receives and must return", cause=err)


def _registered(exercise_id) -> Exercise:
    if not isinstance(exercise_id, str) or exercise_id not in EXERCISES:
        known = ", ".join(EXERCISES) or "none"
        raise ValueError(f"unknown exercise {exercise_id!r}: the exercises are {known} "
                         "(a string such as '02.1')")
    return EXERCISES[exercise_id]


def check(exercise_id: str, answer, **given) -> bool:
    """Check ``answer`` to exercise ``exercise_id`` (e.g. ``"02.1"``); print what is right, or raise.

    ``given``: what the exercise says its check needs besides the answer (e.g.
    ``model=denoiser``). On success prints one ✓ line per property that holds (with the
    measured numbers) and returns True; otherwise raises ``ExerciseNotPassed`` saying
    what is wrong, what is already right, and a hint. An unknown id or missing or
    unexpected ``given`` is a ValueError / TypeError that lists what is expected.
    """
    ex = _registered(exercise_id)
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


@contextlib.contextmanager
def uses(exercise_id: str):
    """For a cell that uses the answer to ``exercise_id``: ``with uses("02.1"): ...``.

    While that answer is unwritten (its stub raises ``NotImplementedError``), the cell stops
    with ExerciseNotPassed saying so, shown as a message rather than a traceback; any other
    error of the answer propagates as it is, with its traceback.
    """
    ex = _registered(exercise_id)
    try:
        yield
    except NotImplementedError as err:
        Report(ex).fail(f"this cell uses your answer, which is not written yet ({err})",
                        "write it in the cell marked \"your code here\" and pass its check, then run this cell again")


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
