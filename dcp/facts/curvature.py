"""The curvature lattice and monotonicity, with their tiny algebra.

    constant ⊂ affine ⊂ convex, concave ⊂ unknown

Curvature here is always *in the variables named by wrt*; "constant" means the value
does not depend on them at all.
"""
from __future__ import annotations

from enum import Enum

__all__ = ["Curvature", "Monotonicity"]


class Curvature(Enum):
    """What the rules proved about a node, elementwise."""

    CONSTANT = "constant"
    AFFINE = "affine"
    CONVEX = "convex"
    CONCAVE = "concave"
    UNKNOWN = "unknown"

    def __str__(self) -> str:
        return self.value

    @property
    def is_constant(self) -> bool:
        return self is Curvature.CONSTANT

    @property
    def is_affine(self) -> bool:
        return self in (Curvature.CONSTANT, Curvature.AFFINE)

    @property
    def is_convex(self) -> bool:
        return self in (Curvature.CONSTANT, Curvature.AFFINE, Curvature.CONVEX)

    @property
    def is_concave(self) -> bool:
        return self in (Curvature.CONSTANT, Curvature.AFFINE, Curvature.CONCAVE)

    @property
    def is_known(self) -> bool:
        return self is not Curvature.UNKNOWN

    def negate(self) -> Curvature:
        """Curvature of ``-f``: convex and concave swap."""
        return _NEGATED.get(self, self)

    def __le__(self, other: Curvature) -> bool:
        """Lattice order: ``self`` is at least as strong a claim as ``other``."""
        return other is Curvature.UNKNOWN or self is other or (
            self is Curvature.CONSTANT) or (
            self is Curvature.AFFINE and other in (Curvature.CONVEX, Curvature.CONCAVE))

    def join(self, other: Curvature) -> Curvature:
        """The strongest claim both satisfy (least upper bound)."""
        if self <= other:
            return other
        if other <= self:
            return self
        return Curvature.UNKNOWN


_NEGATED = {Curvature.CONVEX: Curvature.CONCAVE, Curvature.CONCAVE: Curvature.CONVEX}


class Monotonicity(Enum):
    """How a function moves with one argument, over that argument's range."""

    NONDECREASING = "nondecreasing"
    NONINCREASING = "nonincreasing"
    NONE = "not monotone"

    def __str__(self) -> str:
        return self.value

    def negate(self) -> Monotonicity:
        return {Monotonicity.NONDECREASING: Monotonicity.NONINCREASING,
                Monotonicity.NONINCREASING: Monotonicity.NONDECREASING}.get(self, self)

    @property
    def arrow(self) -> str:
        return {"nondecreasing": "↑", "nonincreasing": "↓"}.get(self.value, "·")
