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
bounds changed are analysed again (see :class:`Reanalysis`). A choice under which the
expression is not defined (a denominator pinned at 0) is no hint, and is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from .analysis import Analyzer
from .errors import DcpError
from .facts import NONNEG, NONPOS, Interval
from .proof import Proof
from .syntax.ast import walk_postorder

__all__ = ["Hint", "find_hints", "hint_search", "Reanalysis"]

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
Reanalyse = Callable[[Mapping[str, Interval], frozenset], Proof]


@dataclass(frozen=True)
class Hint:
    """Assumptions (``("W2 >= 0",)``) under which the rules certify ``verdict``."""

    assumptions: tuple[str, ...]
    verdict: str

    def __str__(self) -> str:
        return f"{', '.join(self.assumptions)} -> {self.verdict}"


def hint_search(proof: Proof, analyzer: Analyzer) -> Callable[[], list[Hint]]:
    """The hint search for ``proof`` (made by ``analyzer``), to run when the hints are
    first read; it holds the proof and the analyzer, nothing else."""
    return lambda: find_hints(proof, Reanalysis(proof, analyzer))


class Reanalysis:
    """Re-runs the rules on the proof's expression under new bounds, analysing again only
    the nodes that depend on a name whose bound changed.

    Sound because every dependence on the bounds flows through the plans' premises: only
    the variable and parameter leaves read the bounds, and every other node's facts are a
    function of the facts of the nodes its plan names (and of the proof's atoms, which the
    analyzer holds as they were).
    """

    def __init__(self, proof: Proof, analyzer: Analyzer):
        self.proof, self.analyzer = proof, analyzer
        self.order: list[int] | None = None
        #: The nodes that depend on each name, found once per name (a search tries the
        #: same few names in many combinations).
        self._reached: dict[str, set[int]] = {}

    def __call__(self, bounds: Mapping[str, Interval], changed: frozenset) -> Proof:
        proof, analyzer = self.proof, self.analyzer
        if self.order is None:
            # (The analyzer's premises, planned as they are asked for: the general walk.)
            self.order = walk_postorder(proof.root_id, analyzer.premises, int)
        dirty: set[int] = set()
        for name in changed:
            if name not in self._reached:
                self._reached[name] = set(depends_on(proof, self.order, analyzer.premises,
                                                     frozenset((name,))))
            dirty |= self._reached[name]
        facts = analyzer.analyse(bounds, proof.root_id, proof.facts.copy(), dirty)
        return Proof(proof.tape, facts, proof.root_id, proof.wrt, bounds, proof.source, proof.atoms,
                     proof.ranks)


def depends_on(proof: Proof, order: list[int], premises: Callable[[int], tuple[int, ...]],
               names: frozenset) -> list[int]:
    """The ids among ``order`` (premises first) that depend on any of ``names``, through
    ``premises`` (the analysis plans': a user atom's body counts even where the atom was
    composed): one pass."""
    rules, data = proof.facts.rule, proof.tape.data
    dirty: set[int] = set()
    for index in order:
        if (data[index] in names if rules[index] in ("variable", "parameter")
                else any(p in dirty for p in premises(index))):
            dirty.add(index)
    return [index for index in order if index in dirty]


def _suspects(proof: Proof, wrt: frozenset, taken: set[str], room: int) -> list[str]:
    """Parameters in the lowest breaks of ``proof``, in source order, not yet chosen;
    none when no ``room`` more assumptions can repair every break.

    A break is repaired only by an assumption on a name below it, so breaks whose
    suspects are pairwise disjoint need one assumption each: more such breaks than
    ``room`` (or a break with no suspect at all) means no hint down this path.
    """
    found: list[str] = []
    used: set[str] = set()
    separate = 0
    for step in proof.breaks:
        mine = [n for n in proof.tape.names(step.id) if n not in wrt and n not in taken]
        if not mine:
            return []
        if used.isdisjoint(mine):
            separate += 1
            if separate > room:
                return []
        used.update(mine)
        found.extend(n for n in mine if n not in found)
    return found[:MAX_SUSPECTS]


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
    if proof.curvature.is_known:
        return []
    wrt = frozenset(proof.wrt)
    order: dict[str, int] = {}                 # names in the order they became suspects
    frontier: list[tuple[Choice, Proof]] = [((), proof)]
    seen: set[frozenset] = set()
    hints: list[Hint] = []
    found: list[frozenset] = []                # the hints' choices
    tries = 0
    for _ in range(MAX_SIZE):
        grown: list[tuple[Choice, Proof]] = []
        for choice, current in frontier:
            taken = {name for name, _ in choice}
            for name in _suspects(current, wrt, taken, MAX_SIZE - len(choice)):
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
                    try:
                        result = reanalyse(bounds, frozenset(n for n, _ in wider))
                    except DcpError:
                        continue                  # undefined under this choice: no hint
                    curvature = result.curvature
                    if curvature.is_known and not curvature.is_constant:
                        hints.append(Hint(tuple(f"{n} {s}" for n, s in wider), curvature.value))
                        found.append(key)
                    elif not curvature.is_known:
                        grown.append((wider, result))
        if hints or not grown:
            return hints
        frontier = grown
    return hints
