"""Facts about a matrix parameter that an interval cannot hold: ``P psd``, ``P nsd``,
``P symmetric``.

Such a fact lives next to the parameter's elementwise bounds, in one value: a
:class:`Structured` interval is the entries' interval and the structure together. It is
the parameter's range, so an atom reads it where it reads any range (``quad_form(x, P)``
is convex when ``P``'s range is ``psd``), and the kernel re-checks that step from the
same range: nothing else carries it. An operation on the range (``2 * P``, ``P + Q``)
gives a plain interval: the structure is dropped, which only forgets.

As in CVXPY, ``psd`` and ``nsd`` are symmetric matrices: ``P psd`` means ``P = Pᵀ`` and
``vᵀ P v >= 0`` for every ``v``. Both at once leave only the zero matrix. A 1 x 1 matrix is
psd when its entry is nonnegative.

>>> Structured(0.0, 1.0, structure="psd")
[0, 1] psd
"""
from __future__ import annotations

import math
from fractions import Fraction

from .interval import Interval
from .quadratic import Factorisation, factor, negated, rows_of

__all__ = ["Structured", "STRUCTURES", "structure_of", "meet", "admits", "plain",
           "exact_structure", "literal_matrix"]

#: The structures, each with the ones it implies (itself included).
STRUCTURES: dict[str, frozenset[str]] = {
    "symmetric": frozenset({"symmetric"}),
    "psd": frozenset({"psd", "symmetric"}),
    "nsd": frozenset({"nsd", "symmetric"}),
    "zero": frozenset({"zero", "psd", "nsd", "symmetric"}),
}
_ZERO = Interval(0.0, 0.0)


class Structured(Interval):
    """An interval of entries and a structure (a key of :data:`STRUCTURES`): the range of
    a matrix parameter assumed ``psd``, ``nsd`` or ``symmetric`` (``zero``: both psd and
    nsd). Equal only to a Structured interval with the same ends and structure (a tuple of
    five), so memos keyed by ranges keep the two apart."""

    __slots__ = ()

    def __new__(cls, lo, hi, lo_open: bool = False, hi_open: bool = False,
                structure: str = "symmetric") -> Structured:
        if structure not in STRUCTURES:
            raise ValueError(f"unknown structure {structure!r}")
        ends = Interval(lo, hi, lo_open, hi_open)
        return tuple.__new__(cls, (*ends, structure))

    @property
    def structure(self) -> str:
        return self[4]

    @property
    def entries(self) -> Interval:
        """The entries' interval, without the structure."""
        return Interval(*self[:4])

    def intersect(self, other: Interval) -> Interval | None:
        """The common part, keeping both structures (None when there is none)."""
        return meet(self, other)

    def contains(self, other: Interval) -> bool:
        """Whether every value ``other`` allows is one this allows: its entries lie in
        these ends and its structure implies this one (a plain range, which allows any
        matrix, is never inside a structured one)."""
        return Interval.contains(self, other) and STRUCTURES[self[4]] <= structure_of(other)

    def __str__(self) -> str:
        return f"{Interval.__str__(self)} {self.structure}"

    def __repr__(self) -> str:
        return str(self)


def structure_of(region: Interval) -> frozenset[str]:
    """What a range says of the matrix: the structures it implies (none for a plain one)."""
    return STRUCTURES[region[4]] if isinstance(region, Structured) else frozenset()


def meet(a: Interval, b: Interval) -> Interval | None:
    """The values both ranges allow (None when none): the entries' intervals intersect,
    the structures combine (psd and nsd is zero, whose entries are 0)."""
    entries = Interval.intersect(plain(a), plain(b))
    facts = structure_of(a) | structure_of(b)
    if entries is None or not facts:
        return entries
    name = "zero" if {"psd", "nsd"} <= facts else next(
        s for s in ("psd", "nsd", "symmetric") if s in facts)
    if name == "zero":
        entries = entries.intersect(_ZERO)
        if entries is None:
            return None
    return Structured(*entries, structure=name)


def admits(region: Interval) -> bool:
    """Whether some matrix has entries in ``region`` and its structure: a psd one needs a
    nonnegative entry (its diagonal; ``c·11ᵀ`` for ``c >= 0`` in the interval is one), an
    nsd one a nonpositive entry; a symmetric one any entry."""
    if region.__class__ is not Structured:
        return True                                 # (the commonest: a plain interval)
    facts, entries = structure_of(region), plain(region)
    if "psd" in facts and entries.intersect(Interval(0.0, math.inf)) is None:
        return False
    if "nsd" in facts and entries.intersect(Interval(-math.inf, 0.0)) is None:
        return False
    return True


def plain(region: Interval) -> Interval:
    """The entries' interval of ``region``, without any structure."""
    return region.entries if isinstance(region, Structured) else region


def exact_structure(matrix: list[list[Fraction]]) -> str | None:
    """The strongest structure of the exact square ``matrix``: ``"zero"``, ``"psd"``,
    ``"nsd"``, ``"symmetric"``, or None when it is not symmetric. Semidefiniteness is
    decided by an LDLᵀ factorisation over the rationals (:func:`~dcp.facts.quadratic.factor`)."""
    n = len(matrix)
    if any(len(row) != n for row in matrix) or \
            any(matrix[i][j] != matrix[j][i] for i in range(n) for j in range(i)):
        return None
    rows = rows_of(matrix)
    psd = isinstance(factor(rows), Factorisation)
    nsd = isinstance(factor(negated(rows)), Factorisation)
    return "zero" if psd and nsd else "psd" if psd else "nsd" if nsd else "symmetric"


def literal_matrix(tape, index: int) -> list[list[Fraction]] | None:
    """The exact entries of node ``index`` when it is a numeric matrix written out
    (``[[2, 1], [1, 2]]``, rows of numeric constants) or a numeric scalar (a 1 x 1
    matrix); else None. Finds nodes only: the tape is not changed."""
    value = tape.constant(index)
    if value is not None:
        return [[Fraction(value)]]
    if tape.op[index] != "[...]":
        return None
    rows = []
    for row in tape.args[index]:
        if tape.op[row] != "[...]":
            return None
        entries = [tape.constant(entry) for entry in tape.args[row]]
        if any(entry is None for entry in entries):
            return None
        rows.append([Fraction(entry) for entry in entries])
    return rows
