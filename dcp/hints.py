"""Hints: sign assumptions that would make the rules succeed.

When the rules break, the parameters in the broken subexpressions are the suspects. The
search tries ``p >= 0`` and ``p <= 0`` for each, re-runs the rules under each choice, and
follows the proof upward: a choice that repairs the lowest breaks but leaves a break
higher up is extended with the suspects of the new breaks (so a deep network in its first
layer gets ``W2 >= 0, W3 >= 0``, not a hint that does not repair it). It keeps the
smallest choices that certify; every hint reported was verified by that re-run:
``W2 >= 0 -> convex``.

Bounded: at most :data:`MAX_TRIES` re-runs and choices of at most :data:`MAX_SIZE`
assumptions. Each re-run is incremental: only the steps that depend on the names whose
bounds changed are analysed again (see :class:`Reanalysis`).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from .facts import NONNEG, NONPOS, Interval
from .proof import Proof, Step

__all__ = ["Hint", "find_hints", "names_of_steps"]

SIGNS = {">= 0": NONNEG, "<= 0": NONPOS}
#: Suspects taken from one proof's breaks.
MAX_SUSPECTS = 6
#: Re-runs of the rules per search.
MAX_TRIES = 64
#: Assumptions in one hint.
MAX_SIZE = 4

#: A choice of signs: ``(("W2", ">= 0"), ("W3", ">= 0"))``, names in the order found.
Choice = tuple[tuple[str, str], ...]
#: Re-runs the rules under new bounds; the names whose bounds changed are given so that
#: the rest of the proof can be reused.
Reanalyse = Callable[[Mapping[str, Interval], frozenset], Step]


@dataclass(frozen=True)
class Hint:
    """Assumptions (``("W2 >= 0",)``) under which the rules certify ``verdict``."""

    assumptions: tuple[str, ...]
    verdict: str

    def __str__(self) -> str:
        return f"{', '.join(self.assumptions)} -> {self.verdict}"


def names_of_steps(steps) -> dict[int, frozenset]:
    """The free names each step depends on, by ``id(step)`` (``steps`` in postorder)."""
    names: dict[int, frozenset] = {}
    for step in steps:
        if step.rule in ("variable", "parameter"):
            names[id(step)] = frozenset((step.node.id,))
        else:
            names[id(step)] = frozenset().union(*(names[id(p)] for p in step.premises))
    return names


def _suspects(root: Step, wrt: frozenset, taken: set[str]) -> list[str]:
    """Parameters in the lowest breaks under ``root``, in source order, not yet chosen."""
    found: list[str] = []
    for step in Proof(root, (), {}, "").breaks:
        for name in sorted(names_of_steps(_postorder(step))[id(step)]):
            if name not in wrt and name not in taken and name not in found:
                found.append(name)
    return found[:MAX_SUSPECTS]


def _postorder(step: Step) -> list[Step]:
    from .syntax.ast import walk_postorder
    return walk_postorder(step, lambda s: s.premises)


def _bounds(proof: Proof, choice: Choice) -> dict[str, Interval] | None:
    """The proof's bounds narrowed by ``choice``; None when a name would be pinned to 0 or
    to nothing (that would not be a hint worth giving)."""
    bounds = dict(proof.bounds)
    for name, sign in choice:
        both = bounds.get(name, SIGNS[sign]).intersect(SIGNS[sign])
        if both is None or both.is_zero:
            return None
        bounds[name] = both
    return bounds


def find_hints(proof: Proof, reanalyse: Reanalyse) -> list[Hint]:
    """Hints for a proof that broke (none for a certified one)."""
    if proof.root.curvature.is_known:
        return []
    wrt = frozenset(proof.wrt)
    order: dict[str, int] = {}                 # names in the order they became suspects
    frontier: list[tuple[Choice, Step]] = [((), proof.root)]
    seen: set[frozenset] = set()
    hints: list[Hint] = []
    found: list[frozenset] = []                # the hints' choices
    tries = 0
    for _ in range(MAX_SIZE):
        grown: list[tuple[Choice, Step]] = []
        for choice, root in frontier:
            taken = {name for name, _ in choice}
            for name in _suspects(root, wrt, taken):
                order.setdefault(name, len(order))
                for sign in SIGNS:
                    wider = tuple(sorted(choice + ((name, sign),), key=lambda c: order[c[0]]))
                    key = frozenset(wider)
                    if key in seen or any(f <= key for f in found):
                        continue
                    seen.add(key)
                    bounds = _bounds(proof, wider)
                    if bounds is None:
                        continue
                    if tries >= MAX_TRIES:
                        return hints
                    tries += 1
                    result = reanalyse(bounds, frozenset(n for n, _ in wider))
                    if result.curvature.is_known and not result.curvature.is_constant:
                        hints.append(Hint(tuple(f"{n} {s}" for n, s in wider), result.curvature.value))
                        found.append(key)
                    elif not result.curvature.is_known:
                        grown.append((wider, result))
        if hints or not grown:
            return hints
        frontier = grown
    return hints
