"""Elementwise functions of two arguments: the relative entropy and the KL divergence.

Both are perspectives of convex functions of one variable (``y * g(x / y)`` with
``g(t) = t log t``, and ``t log t - t + 1``), hence jointly convex on ``x >= 0, y > 0``.
Their derivatives depend on ``x / y`` only, so each monotonicity holds on a box when
the ratio stays on one side of a threshold; the thresholds involving ``e`` are compared
with rational bounds of ``e`` (exactly, as Fractions), never with a float.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import ClassVar

from ..facts import NONNEG, POS, Curvature, Interval, Monotonicity
from ..facts.balls import float_up, precision, to_arb
from .base import RANGE_BITS, Atom, Keywords, Ranges

__all__ = ["Elementwise2", "RelEntr", "KlDiv"]

_UP, _DOWN, _NONE = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING, Monotonicity.NONE
#: Rational bounds of e: E_LOW < e < E_HIGH (and 1/e < 1/E_LOW).
E_LOW, E_HIGH = Fraction(2718, 1000), Fraction(2719, 1000)


def _exact(end) -> Fraction | None:
    """A finite interval end as an exact Fraction; None for an infinite one."""
    if isinstance(end, Fraction):
        return end
    return None if math.isinf(end) else Fraction(end)


class Elementwise2(Atom):
    """An elementwise function ``f(x, y)`` of two arguments of one shape (or a scalar
    broadcast against the other), declared by its formula in ``x`` and ``y`` (for docs and
    SymPy), its domain per argument, its facts on boxes of argument ranges, and its
    values: numpy floats (:meth:`floats`) and Arb balls (:meth:`enclose`)."""

    min_args = max_args = 2
    #: The domain of each argument.
    domains_of: ClassVar[tuple[Interval, Interval]] = (NONNEG, POS)

    def domain(self, index: int, kw: Keywords) -> Interval:
        return self.domains_of[index]

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        return Curvature.CONVEX

    @staticmethod
    def floats(x, y):
        """f at float arrays ``x``, ``y`` inside the domain (any value elsewhere)."""
        raise NotImplementedError

    @staticmethod
    def enclose(x, y):
        """A ``flint.arb`` ball holding f(s, t) for every s in ``x`` and t in ``y``; a NaN
        ball unless both balls lie wholly in the domain."""
        raise NotImplementedError

    def evaluate(self, ops, args, kw, node):
        """f entrywise, and NaN outside the domain."""
        import numpy as np

        from ..ops import align, inside
        x, y = np.broadcast_arrays(*align(*args))
        if ops.name == "float":
            value = self.floats(x, y)
        else:
            value = np.frompyfunc(self.enclose, 2, 1)(x, y)
        held = inside(x, self.domain(0, kw)) & inside(y, self.domain(1, kw))
        return np.where(held, value, ops.nan)

    def upper(self, x, y) -> float:
        """A float at or above f(x, y), for exact ends ``x`` >= 0 and ``y`` >= 0 of a box
        (the limit where ``y`` is 0: +inf unless ``x`` is 0 too)."""
        if y == 0:
            return 0.0 if x == 0 else math.inf
        if math.isinf(x) or math.isinf(y):
            return math.inf
        with precision(RANGE_BITS):
            return float_up(self.enclose(to_arb(x), to_arb(y)))


def _float_xlog(x, y):
    """x log(x / y) in floats, 0 where x is 0; log x - log y where x / y overflows."""
    import numpy as np
    with np.errstate(all="ignore"):
        ratio = x / y
        usable = np.isfinite(ratio) & (ratio > 0)
        logs = np.where(usable, np.log(np.where(usable, ratio, 1.0)), np.log(x) - np.log(y))
        return np.where(x == 0, 0.0, x * logs)


def _arb_xlog(x, y):
    """x log(x / y) on balls: exactly 0 at x = 0; NaN unless x >= 0 and y > 0 wholly."""
    if not y > 0:
        return y.nan()
    if x.is_exact() and x.is_zero():
        return x
    return x * (x / y).log() if x > 0 else x.nan()


class RelEntr(Elementwise2):
    """rel_entr(x, y) = x log(x/y), elementwise, for x >= 0 and y > 0 (0 where x is 0).

    Jointly convex (the perspective of t log t); nonincreasing in y; nondecreasing in x
    where x >= y/e and nonincreasing where x <= y/e. At least x - y (as log t >= 1 - 1/t)
    and at least -y/e (the minimum of x log(x/y) over x).
    """

    name = "rel_entr"
    formula = "x*log(x/y)"
    floats = staticmethod(_float_xlog)
    enclose = staticmethod(_arb_xlog)

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        x, y = args
        if index == 1:
            return _DOWN                        # d/dy = -x/y <= 0
        # d/dx = log(x/y) + 1, of the sign of x - y/e: e*x >= y where E_LOW*x.lo >= y.hi,
        # and e*x <= y where E_HIGH*x.hi <= y.lo.
        low, high, y_low, y_high = _exact(x.lo), _exact(x.hi), _exact(y.lo), _exact(y.hi)
        if low is not None and y_high is not None and low * E_LOW >= y_high:
            return _UP
        if high is not None and y_low is not None and high * E_HIGH <= y_low:
            return _DOWN
        return _NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        x, y = args
        # Lower: x - y, and -y/e >= -y / E_LOW; both over the whole box.
        lo = max((x - y).lo, (-(y * Interval(1 / E_LOW, 1 / E_LOW))).lo)
        # Upper: nonincreasing in y, so the largest values are at y.lo; convex in x, so
        # at an end of x.
        hi = max(self.upper(x.lo, y.lo), self.upper(x.hi, y.lo))
        return Interval(lo, hi)


def _float_kl(x, y):
    return _float_xlog(x, y) - x + y


def _arb_kl(x, y):
    return _arb_xlog(x, y) - x + y


class KlDiv(Elementwise2):
    """kl_div(x, y) = x log(x/y) - x + y, elementwise, for x >= 0 and y > 0: nonnegative.

    Jointly convex (the perspective of t log t - t + 1); in x nondecreasing where x >= y
    and nonincreasing where x <= y; in y nondecreasing where y >= x and nonincreasing
    where y <= x.
    """

    name = "kl_div"
    formula = "x*log(x/y) - x + y"
    floats = staticmethod(_float_kl)
    enclose = staticmethod(_arb_kl)

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        # d/dx = log(x/y), of the sign of x - y; d/dy = 1 - x/y, of the sign of y - x.
        mine, other = args[index], args[1 - index]
        if mine.lo >= other.hi:             # (floats and Fractions compare exactly)
            return _UP
        if mine.hi <= other.lo:
            return _DOWN
        return _NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        x, y = args
        # Jointly convex: the largest values are at the corners of the box.
        hi = max(self.upper(a, b) for a in (x.lo, x.hi) for b in (y.lo, y.hi))
        return Interval(0.0, hi)
