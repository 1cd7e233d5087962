"""Parameters given their values: a trained model's weights.

A weight matrix read from a model file is not an arbitrary parameter: its entries are
known numbers. Its range is the hull of its entries, which is all the composition rule
needs (a hidden-to-hidden matrix clamped at 0 has range ``[0, max]`` and scales a convex
layer into a convex one), and an entry written ``W[2, 0]`` has the entry's exact value,
a row ``W[2]`` its row's hull, which is what per-entry verdicts need.

Like :class:`~dcp.facts.structure.Structured`, the values live in the range itself: a
:class:`Valued` interval is the hull and the :class:`Entries` together. It is the name's
bound, so the leaf's range is it, the index atom reads it where it reads any range (and
the kernel re-checks that step from the same range), and the numeric check's box for the
name is built from it (it draws the values instead of sampling). An operation on the range
(``2 * W``, ``W + V``) gives a plain interval: the values are dropped, which only forgets.

In the *symbolic* mode each entry is replaced by a parameter with its value's sign: the
entry's range is ``[0, inf)``, ``(-inf, 0]`` or ``[0, 0]``, so a certificate covers every
network with that architecture and sign pattern.

>>> import numpy as np
>>> W = Valued(Entries.of(np.array([[0.5, -0.25], [0.0, 2.0]])))
>>> W, W.entry((0, 1)), W.entry((1,))
([-0.25, 2], {-0.25}, [0, 2])
>>> Valued(Entries.of(np.array([[0.5, -0.25]]), symbolic=True)).entry((0, 1))
(-inf, 0]
"""
from __future__ import annotations

import math

from .interval import INF, Interval

__all__ = ["Entries", "Valued", "entries_of", "zero_entry"]


class Entries:
    """The entries of a parameter given values: ``lo`` and ``hi`` arrays of floats, one
    interval per entry (equal ends: the values; in the symbolic mode, the signs' boxes).

    Compared and hashed by identity: a session's constant is one object, and a range that
    holds it is a memo key (hashing a large array each time would cost more than the rule).
    """

    __slots__ = ("lo", "hi", "values", "symbolic")

    def __init__(self, lo, hi, values, symbolic: bool) -> None:
        self.lo, self.hi, self.values, self.symbolic = lo, hi, values, symbolic

    @classmethod
    def of(cls, values, symbolic: bool = False) -> Entries:
        """The entries of ``values`` (an array of finite reals, rank 0 to 2), as they are
        or (``symbolic``) as their signs. Raises ValueError for a NaN or infinite entry."""
        import numpy as np
        array = np.array(values, dtype=float)      # a copy: the caller's array may change
        if array.ndim > 2:
            raise ValueError(f"a constant has rank 0, 1 or 2, not {array.ndim}")
        if not np.isfinite(array).all():
            raise ValueError("a constant's entries must be finite numbers (no NaN or inf)")
        array = array + 0.0                        # no negative zeros
        array.setflags(write=False)
        if not symbolic:
            return cls(array, array, array, False)
        lo = np.where(array < 0, -INF, 0.0)
        hi = np.where(array > 0, INF, 0.0)
        lo.setflags(write=False)
        hi.setflags(write=False)
        return cls(lo, hi, array, True)

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.values.shape)

    def hull(self, selection=Ellipsis) -> Interval:
        """The interval of the entries ``selection`` picks (all by default)."""
        lo, hi = float(self.lo[selection].min()), float(self.hi[selection].max())
        return Interval(lo, hi, math.isinf(lo), math.isinf(hi))

    def signs(self):
        """-1, 0 or 1 per entry: the sign of each value."""
        import numpy as np
        return np.sign(self.values)

    def __repr__(self) -> str:
        kind = "signs" if self.symbolic else "values"
        return f"<{' x '.join(map(str, self.shape)) or 'scalar'} {kind}>"


class Valued(Interval):
    """The range of a parameter given its values: the hull of its entries, with the
    :class:`Entries` kept (a tuple of five, so a memo keyed by ranges keeps it apart from
    the plain hull). Printed as the hull."""

    __slots__ = ()

    def __new__(cls, entries: Entries) -> Valued:
        return tuple.__new__(cls, (*entries.hull(), entries))

    @property
    def entries(self) -> Entries:
        return self[4]

    @property
    def hull(self) -> Interval:
        """The entries' interval, without the entries."""
        return Interval(*self[:4])

    def entry(self, indices: tuple[int, ...]) -> Interval:
        """The range of ``name[indices]``: an entry's, or a row's hull for one index into a
        matrix. An index out of range (the shape check reports it) gets the whole hull."""
        entries = self.entries
        shape = entries.shape
        if len(indices) > len(shape) or any(
                not -size <= i < size for i, size in zip(indices, shape)):
            return self.hull
        return entries.hull(tuple(indices))

    def __str__(self) -> str:
        return Interval.__str__(self)

    def __repr__(self) -> str:
        return Interval.__str__(self)


def entries_of(region: Interval) -> Entries | None:
    """The entries a range holds (None for any range but a :class:`Valued` one)."""
    return region[4] if region.__class__ is Valued else None


def zero_entry(region: Interval) -> tuple[int, ...] | None:
    """The indices of an entry that is exactly 0 (a value 0, or in the symbolic mode the
    sign of 0) of a range holding entries; None when there is none (or no entries). A
    division by it divides by 0."""
    entries = entries_of(region)
    if entries is None or not (region.lo <= 0 <= region.hi):
        return None
    import numpy as np
    found = np.argwhere((entries.lo == 0) & (entries.hi == 0))
    return tuple(int(i) for i in found[0]) if len(found) else None
