"""The quasi-curvature lattice of DQCP (SPEC section 10), elementwise like curvature.

    quasilinear ⊂ quasiconvex, quasiconcave ⊂ unknown

f is quasiconvex when its domain is convex and every sublevel set ``{f <= t}`` is convex,
quasiconcave when every superlevel set ``{f >= t}`` is, quasilinear when both. A
vector-valued expression claims it of each entry: an entry's claim says nothing of a sum
of entries.
"""
from __future__ import annotations

from enum import Enum

from .curvature import Curvature

__all__ = ["Quasi", "QUASILINEAR", "QUASICONVEX", "QUASICONCAVE", "QUASI_UNKNOWN", "from_curvature"]


class Quasi(Enum):
    """What the DQCP rules proved about a node, entrywise."""

    QUASILINEAR = "quasilinear"
    QUASICONVEX = "quasiconvex"
    QUASICONCAVE = "quasiconcave"
    UNKNOWN = "unknown"

    __hash__ = object.__hash__

    #: Whether every sublevel set is convex (quasilinear or quasiconvex).
    is_quasiconvex: bool
    #: Whether every superlevel set is convex (quasilinear or quasiconcave).
    is_quasiconcave: bool

    def __str__(self) -> str:
        return self.value

    @property
    def is_known(self) -> bool:
        return self is not Quasi.UNKNOWN

    def flip(self) -> Quasi:
        """The claim for ``-f``, or for a nonincreasing function of f: the sublevel sets
        of one are the superlevel sets of the other."""
        return Quasi.of(self.is_quasiconcave, self.is_quasiconvex)

    def __le__(self, other: Quasi) -> bool:
        """``self`` is at least as strong a claim as ``other``."""
        return (self.is_quasiconvex or not other.is_quasiconvex) and \
            (self.is_quasiconcave or not other.is_quasiconcave)

    @staticmethod
    def of(quasiconvex: bool, quasiconcave: bool) -> Quasi:
        """The member with exactly these two properties."""
        return _MEMBERS[quasiconvex, quasiconcave]


QUASILINEAR, QUASICONVEX, QUASICONCAVE, QUASI_UNKNOWN = \
    Quasi.QUASILINEAR, Quasi.QUASICONVEX, Quasi.QUASICONCAVE, Quasi.UNKNOWN
_MEMBERS = {(True, True): QUASILINEAR, (True, False): QUASICONVEX,
            (False, True): QUASICONCAVE, (False, False): QUASI_UNKNOWN}
for _member in Quasi:
    _member.is_quasiconvex = _member in (QUASILINEAR, QUASICONVEX)
    _member.is_quasiconcave = _member in (QUASILINEAR, QUASICONCAVE)


def from_curvature(curvature: Curvature) -> Quasi:
    """Convex is quasiconvex (a sublevel set of a convex function is convex), concave is
    quasiconcave, affine (and constant) both."""
    return Quasi.of(curvature.is_convex, curvature.is_concave)
