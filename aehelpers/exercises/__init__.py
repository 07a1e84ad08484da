"""Exercises that check themselves: ``ae.exercises.check("02.1", answer)``.

Every notebook ends with a few exercises. Each has an id, ``"NN.k"`` (notebook NN, exercise
k), and a check: ``registry`` holds the mechanism (``check``, the ``exercise`` decorator that
registers a check, the report a check fills in), and ``nb01`` ... ``nb07`` hold the checks of
each notebook's exercises, which register themselves when imported here. A student calls ::

    ae.exercises.check("02.2", backward_by_hand)            # the answer alone
    ae.exercises.check("03.1", hole_errors, model=denoiser)  # plus what the exercise names

and gets ✓ lines (what the answer got right, with the numbers measured) or an
``ExerciseNotPassed`` error that says what is wrong, what is already right and gives a hint
(in Jupyter: the message alone, not a traceback). A cell that only uses an answer runs inside
``with ae.exercises.uses("02.1"):``, so that an unwritten answer is reported the same way.
Adding an exercise: see ``registry``'s docstring.
"""

from . import nb01, nb02, nb03, nb04, nb05, nb06, nb07  # noqa: F401  (each registers its checks)
from .registry import EXERCISES, Exercise, ExerciseNotPassed, check, exercise, list_exercises, uses

__all__ = ["check", "uses", "list_exercises", "exercise", "ExerciseNotPassed", "Exercise", "EXERCISES"]
