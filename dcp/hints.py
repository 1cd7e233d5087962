"""Hints: sign assumptions that would make the rules succeed.

When the rules break, the parameters in the broken subexpressions are the suspects: a
bounded search tries ``p >= 0`` and ``p <= 0`` for each (then for pairs), re-runs the rules
under each choice, and keeps the smallest choices that certify. Every hint reported was
verified by that re-run: ``W2 >= 0 -> convex``.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable, Mapping

from .facts import NONNEG, NONPOS, Curvature, Interval
from .proof import Proof
from .syntax.ast import names_in

__all__ = ["Hint", "find_hints"]

SIGNS = {">= 0": NONNEG, "<= 0": NONPOS}
MAX_SUSPECTS = 6
MAX_TRIES = 64


@dataclass(frozen=True)
class Hint:
    """Assumptions (``("W2 >= 0",)``) under which the rules certify ``verdict``."""

    assumptions: tuple[str, ...]
    verdict: str

    def __str__(self) -> str:
        return f"{', '.join(self.assumptions)} -> {self.verdict}"


def _suspects(proof: Proof) -> list[str]:
    wrt = set(proof.wrt)
    found: list[str] = []
    for step in proof.breaks:
        for name in names_in(step.node):
            if name not in wrt and name not in found:
                found.append(name)
    return found[:MAX_SUSPECTS]


def find_hints(proof: Proof, analyse: Callable[[Mapping[str, Interval]], Curvature]) -> list[Hint]:
    """Hints for a proof that broke; ``analyse(bounds)`` re-runs the rules under new bounds."""
    if proof.root.curvature.is_known:
        return []
    suspects = _suspects(proof)
    hints: list[Hint] = []
    tries = 0
    for size in (1, 2):
        for names in itertools.combinations(suspects, size):
            for signs in itertools.product(SIGNS, repeat=size):
                if tries >= MAX_TRIES:
                    return hints
                choice = tuple(f"{n} {s}" for n, s in zip(names, signs))
                if any(set(h.assumptions) <= set(choice) for h in hints):
                    continue                          # a smaller hint already works
                bounds = dict(proof.bounds)
                feasible = True
                for name, sign in zip(names, signs):
                    both = bounds.get(name, SIGNS[sign]).intersect(SIGNS[sign])
                    if both is None or both.is_zero:
                        feasible = False
                        break
                    bounds[name] = both
                if not feasible:
                    continue
                tries += 1
                curvature = analyse(bounds)
                if curvature.is_known and not curvature.is_constant:
                    hints.append(Hint(choice, curvature.value))
        if hints:
            return hints
    return hints
