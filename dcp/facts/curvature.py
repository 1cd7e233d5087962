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

    # Members are singletons compared by identity, so the identity hash (in C) will do;
    # Enum's own hashes the name in Python, and curvatures key the rules' memo tables.
    __hash__ = object.__hash__

    # Set on each member below, as plain attributes: the rules read them at every step.
    #: Whether the claim is constant (independent of the variables).
    is_constant: bool
    #: Whether the claim implies affine (constant or affine).
    is_affine: bool
    #: Whether the claim implies convex (constant, affine or convex).
    is_convex: bool
    #: Whether the claim implies concave (constant, affine or concave).
    is_concave: bool
    #: Whether anything was proved (not unknown).
    is_known: bool

    def negate(self) -> Curvature:
        """Curvature of `-f`: convex and concave swap."""
        return _NEGATED.get(self, self)

    def __le__(self, other: Curvature) -> bool:
        """Lattice order: ``self`` is at least as strong a claim as ``other``."""
        return other is UNKNOWN or self is other or self is CONSTANT or (
            self is AFFINE and (other is CONVEX or other is CONCAVE))

    def join(self, other: Curvature) -> Curvature:
        """The strongest claim both satisfy (least upper bound)."""
        if self <= other:
            return other
        if other <= self:
            return self
        return Curvature.UNKNOWN


# The members as module constants: looking a member up on an Enum class costs about
# 0.25 us in Python 3.11, and the rules do it at every step.
CONSTANT, AFFINE, CONVEX, CONCAVE, UNKNOWN = (
    Curvature.CONSTANT, Curvature.AFFINE, Curvature.CONVEX, Curvature.CONCAVE, Curvature.UNKNOWN)

_NEGATED = {Curvature.CONVEX: Curvature.CONCAVE, Curvature.CONCAVE: Curvature.CONVEX}

for _member in Curvature:
    _member.is_constant = _member is Curvature.CONSTANT
    _member.is_affine = _member in (Curvature.CONSTANT, Curvature.AFFINE)
    _member.is_convex = _member.is_affine or _member is Curvature.CONVEX
    _member.is_concave = _member.is_affine or _member is Curvature.CONCAVE
    _member.is_known = _member is not Curvature.UNKNOWN


class Monotonicity(Enum):
    """How a function moves with one argument, over that argument's range."""

    NONDECREASING = "nondecreasing"
    NONINCREASING = "nonincreasing"
    NONE = "not monotone"

    __hash__ = object.__hash__          # as for Curvature

    def __str__(self) -> str:
        return self.value

    def negate(self) -> Monotonicity:
        return {Monotonicity.NONDECREASING: Monotonicity.NONINCREASING,
                Monotonicity.NONINCREASING: Monotonicity.NONDECREASING}.get(self, self)

    @property
    def arrow(self) -> str:
        return {"nondecreasing": "↑", "nonincreasing": "↓"}.get(self.value, "·")
