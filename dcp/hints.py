"""Hints: sign assumptions that would make the rules succeed.

When the rules break, the parameters in the broken subexpressions are the suspects. The
search tries ``p >= 0`` and ``p <= 0`` for each, re-runs the rules under each choice, and
follows the proof upward: a choice that repairs the lowest breaks but leaves a break
higher up is extended with the suspects of the new breaks (so a deep network in its first
layer gets ``W2 >= 0, W3 >= 0``, not a hint that does not repair it). It keeps the
smallest choices that certify, each without a part that certifies on its own, and never
names a sign already assumed; every hint reported was verified by a re-run:
``W2 >= 0 -> convex``.

Bounded: at most :data:`MAX_TRIES` re-runs (and ``MAX_SIZE - 1`` more to make the last
hint found minimal) and choices of at most :data:`MAX_SIZE` assumptions. Each re-run is incremental: only the steps that depend on the names whose
bounds changed are analysed again (see :class:`Reanalysis`). A choice under which the
expression is not defined (a denominator pinned at 0) is no hint, and is skipped.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from .analysis import Analyzer
from .errors import DcpError
from .facts import NONNEG, NONPOS, Interval
from .facts.valued import entries_of
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
    analyzer holds as they were). A node a method settled depends on its step's premises
    too (a rewritten side no plan names), and a node a method added but the proof does
    not use (an attempt that failed) holds facts for the proof's bounds only: it is
    analysed again every time.
    """

    def __init__(self, proof: Proof, analyzer: Analyzer):
        self.proof, self.analyzer = proof, analyzer
        self.order: list[int] | None = None
        #: The nodes that depend on each name, found once per name (a search tries the
        #: same few names in many combinations).
        self._reached: dict[str, set[int]] = {}
        #: The nodes analysed that no step of the proof rests on.
        self._aside: list[int] = []

    def __call__(self, bounds: Mapping[str, Interval], changed: frozenset) -> Proof:
        proof, analyzer = self.proof, self.analyzer
        if self.order is None:
            # (The premises, planned as they are asked for: the general walk.)
            self.order = walk_postorder(proof.root_id, self._premises, int)
            used, curvatures = set(self.order), proof.facts.curvature
            self._aside = [i for i, c in enumerate(curvatures) if c is not None and i not in used]
        dirty: set[int] = set()
        for name in changed:
            if name not in self._reached:
                self._reached[name] = set(depends_on(proof, self.order, self._premises,
                                                     frozenset((name,))))
            dirty |= self._reached[name]
        facts = analyzer.analyse(bounds, proof.root_id, proof.facts.copy(), dirty.union(self._aside))
        return Proof(proof.tape, facts, proof.root_id, proof.wrt, bounds, proof.source, proof.atoms,
                     proof.ranks)

    def _premises(self, index: int) -> tuple[int, ...]:
        """The premises of node ``index``'s plan, and those of its step in the proof where
        a method settled it (a rewritten side, which no plan names, depends on the bounds
        too)."""
        planned, used = self.analyzer.premises(index), self.proof.facts.premises[index]
        return planned if not used or used == planned else planned + used


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


def _suspects(proof: Proof, wrt: frozenset, room: int) -> list[str]:
    """Parameters in the lowest breaks of ``proof``, in source order, that have no sign
    yet (one assumed, or chosen by the search, leaves nothing for a sign to add: the
    same sign again says nothing new, the other pins the name at 0); none when no
    ``room`` more assumptions can repair every break.

    A break is repaired only by an assumption on a name below it, so breaks whose
    suspects are pairwise disjoint need one assumption each: more such breaks than
    ``room`` (or a break with no suspect at all) means no hint down this path.
    """
    bounds = proof.bounds
    found: list[str] = []
    used: set[str] = set()
    separate = 0
    for step in proof.breaks:
        mine = [n for n in proof.tape.names(step.id) if n not in wrt and not _signed(bounds.get(n))
                and not _given(bounds.get(n))]
        if not mine:
            return []
        if used.isdisjoint(mine):
            separate += 1
            if separate > room:
                return []
        used.update(mine)
        found.extend(n for n in mine if n not in found)
    return found[:MAX_SUSPECTS]


def _given(bound: Interval | None) -> bool:
    """Whether the name is a constant given its values: no assumption applies to it (the
    per-entry verdicts say which of its entries spoil the proof)."""
    return bound is not None and entries_of(bound) is not None


def _signed(bound: Interval | None) -> bool:
    return bound is not None and (bound.is_nonneg or bound.is_nonpos)


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


class _Tries:
    """The re-runs of one search: each choice's proof (None where the choice leaves the
    expression undefined), counted against :data:`MAX_TRIES`."""

    def __init__(self, proof: Proof, reanalyse: Reanalyse):
        self.proof, self.reanalyse = proof, reanalyse
        self.count = 0

    def __call__(self, choice: Choice) -> Proof | None:
        bounds = _bounds(self.proof, choice)
        if bounds is None:
            return None
        self.count += 1
        try:
            return self.reanalyse(bounds, frozenset(n for n, _ in choice))
        except DcpError:
            return None                     # undefined under this choice: no hint


def _certified(proof: Proof | None) -> str | None:
    """The verdict of ``proof`` (a re-run's), if the rules certify one that is no constant."""
    if proof is not None and proof.curvature.is_known and not proof.curvature.is_constant:
        return proof.curvature.value
    return None


def _minimal(choice: Choice, verdict: str, tries: _Tries,
             failed: set[frozenset]) -> tuple[Choice, str]:
    """``choice`` (which certifies ``verdict``) without each assumption the rest certify
    without, one at a time (an assumption more never undoes a verdict, so what is left has
    no part that certifies: ``x >= 0, y <= 0`` is only ``y <= 0`` where that suffices).
    ``failed``: the choices tried before, not run again: none of those within ``choice``
    certified (one that did holds a hint, and no choice holding a hint is tried)."""
    for pair in choice:
        rest = tuple(c for c in choice if c != pair)
        if not rest or frozenset(rest) in failed:       # (none: the proof itself, broken)
            continue
        smaller = _certified(tries(rest))
        if smaller is not None:
            choice, verdict = rest, smaller
    return choice, verdict


def find_hints(proof: Proof, reanalyse: Reanalyse) -> list[Hint]:
    """Hints for a proof that broke (none for a certified one): the smallest choices of
    signs that certify, each with no part that certifies on its own, none of them assumed
    already.

    Breadth first, so smaller choices come first; but only :data:`MAX_SUSPECTS` names of
    a break are tried at once, so a choice found at one size may hold a name that was not
    needed (the one that was came later in the source): each hint found is made minimal
    (at most ``MAX_SIZE - 1`` re-runs beyond :data:`MAX_TRIES`), and a choice containing
    a hint is not tried.
    """
    if proof.curvature.is_known:
        return []
    wrt = frozenset(proof.wrt)
    order: dict[str, int] = {}                 # names in the order they became suspects
    frontier: list[tuple[Choice, Proof]] = [((), proof)]
    seen: set[frozenset] = set()
    hints: list[Hint] = []
    found: list[frozenset] = []                # the hints' choices
    tries = _Tries(proof, reanalyse)
    for _ in range(MAX_SIZE):
        grown: list[tuple[Choice, Proof]] = []
        for choice, current in frontier:
            for name in _suspects(current, wrt, MAX_SIZE - len(choice)):
                order.setdefault(name, len(order))
                for sign in SIGNS:
                    wider = tuple(sorted(choice + ((name, sign),), key=lambda c: order[c[0]]))
                    key = frozenset(wider)
                    if key in seen or any(f <= key for f in found):
                        continue
                    seen.add(key)
                    if tries.count >= MAX_TRIES:
                        return hints
                    result = tries(wider)
                    if result is None:
                        continue
                    verdict = _certified(result)
                    if verdict is not None:
                        least, verdict = _minimal(wider, verdict, tries, seen)
                        hints.append(Hint(tuple(f"{n} {s}" for n, s in least), verdict))
                        found.append(frozenset(least))
                    elif not result.curvature.is_known:
                        grown.append((wider, result))
        if hints or not grown:
            return hints
        frontier = grown
    return hints
