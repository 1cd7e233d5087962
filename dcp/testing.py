"""Random well-formed problems over the atom registry, for soundness fuzzing.

Used by the test suite (a fast profile) and by ``benchmarks/fuzz_soundness.py`` (a long
run). The property: whenever the rules certify convex or concave, the numeric check finds
no confirmed violation (``certify`` would raise :class:`~dcp.SoundnessError`).
"""
from __future__ import annotations

import random
import re

from .atoms import ScalarAtom, all_atoms

__all__ = ["random_problem"]

VARIABLES = ("x", "y")
PARAMETERS = ("c", "d")
ASSUMPTIONS = ("{} >= 0", "{} <= 0", "0 <= {} <= 1", "{} >= 1", "{} > 0", "-2 <= {} <= -1")
NUMBERS = ("0", "1", "2", "0.5", "3")


def _scalar_atoms() -> list[str]:
    calls = [f"{atom.name}({{}})" for atom in all_atoms()
             if isinstance(atom, ScalarAtom) and atom.name not in ("power",)]
    calls += ["leaky_relu({}, alpha=2)", "leaky_relu({}, alpha=-0.5)", "elu({}, alpha=2)",
              "huber({}, M=0.5)", "{} ^ 2", "{} ^ 3", "{} ^ 0.5", "{} ^ 1.5", "{} ^ -1",
              "power({}, 4)", "-{}", "max({})", "min({})", "sum({})", "mean({})",
              "logsumexp({})", "norm2({})", "norm1({})", "norm_inf({})", "sum_squares({})",
              "log_softmax({})"]
    return calls


def _expression(rng: random.Random, depth: int, unary: list[str]) -> str:
    if depth == 0 or rng.random() < 0.2:
        pick = rng.random()
        if pick < 0.5:
            return rng.choice(VARIABLES)
        if pick < 0.8:
            return rng.choice(PARAMETERS)
        return rng.choice(NUMBERS)
    shape = rng.random()
    inner = _expression(rng, depth - 1, unary)
    if shape < 0.45:
        return rng.choice(unary).format(inner)
    other = _expression(rng, depth - 1, unary)
    if shape < 0.6:
        return f"({inner} + {other})"
    if shape < 0.7:
        return f"({inner} - {other})"
    if shape < 0.8:
        return f"({rng.choice(PARAMETERS + NUMBERS)} * {inner})"
    if shape < 0.85:
        return f"({inner} / {rng.choice(PARAMETERS + ('2', '0.5'))})"
    if shape < 0.9:
        return f"({rng.choice(('1', '2', 'c'))} / {inner})"
    if shape < 0.95:
        return f"{rng.choice(('maximum', 'minimum'))}({inner}, {other})"
    return f"(A @ {inner})"


def _mentions(expression: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])", expression) is not None


def random_problem(rng: random.Random, depth: int = 4) -> tuple[str, list[str], list[str]]:
    """``(expression, wrt, assumptions)``, drawn from ``rng``."""
    expression = _expression(rng, depth, _scalar_atoms())
    while not any(_mentions(expression, v) for v in VARIABLES):
        expression = f"({expression} + {rng.choice(VARIABLES)})"
    present = [v for v in VARIABLES if _mentions(expression, v)]
    wrt = rng.sample(present, rng.randint(1, len(present)))
    names = [n for n in VARIABLES + PARAMETERS + ("A",) if _mentions(expression, n)]
    assume = [rng.choice(ASSUMPTIONS).format(n) for n in names if rng.random() < 0.5]
    return expression, wrt, assume
