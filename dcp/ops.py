"""The two number systems atoms are evaluated in by the numeric check: float64 numpy
arrays (the search), and numpy object arrays of Arb balls (python-flint) that prove a
witness.

Atoms write their ``evaluate`` once against this small interface (and import this module
inside it: the rules never load numpy). Every value carries a leading batch axis: an
array of shape ``(B, *shape)``.

The balls are those of :mod:`dcp.facts.balls`; ``max``/``min`` of balls go through
``arb.max``/``arb.min``, never Python's ``max`` (which compares).
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from .facts.balls import arb_power, ball_inside, literal_ball, monotone, to_arb
from .facts.interval import round_down, round_up

__all__ = ["FloatOps", "ArbOps", "FLOAT", "ARB", "align", "entries", "inside", "divide"]


class FloatOps:
    """float64 numpy arrays."""

    name = "float"
    nan = np.nan
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)

    def literal(self, number, batch: int) -> np.ndarray:
        """A numeric literal (a ``Number`` node): its float value."""
        return np.full(batch, float(number.value))

    def array(self, values) -> np.ndarray:
        return np.asarray(values, dtype=float)

    def scalar_function(self, atom, keys: tuple[str, ...]):
        function = _lambdified(atom.name, atom.formula, keys)
        if not keys:
            return function
        # Keyword constants arrive exact (floats or Fractions); the search uses their
        # nearest numpy floats, which overflow to inf like the rest (huber's M * M at
        # M=1e308) where Python floats would raise.
        return lambda x, *constants: function(x, *map(np.float64, constants))

    def finite(self, value: np.ndarray) -> np.ndarray:
        """Per batch element: every entry finite."""
        return np.isfinite(value).reshape(value.shape[0], -1).all(axis=1)

    def largest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return x.max(axis=axis)

    @staticmethod
    def power(x: np.ndarray, p: float | Fraction) -> np.ndarray:
        return x ** float(p)

    def smallest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return x.min(axis=axis)

    @staticmethod
    def sort(rows: np.ndarray) -> np.ndarray:
        """Each row's entries in nondecreasing order."""
        return np.sort(rows, axis=1)


class ArbOps:
    """Object arrays of ``flint.arb`` balls, at the working precision of :func:`~dcp.facts.balls.precision`.

    Every value encloses the exact real value at the exact inputs; a NaN ball marks a
    point where an atom is not certainly defined (the point is then invalid).
    """

    name = "arb"

    @property
    def nan(self):
        from flint import arb
        return arb.nan()

    @staticmethod
    def exp(x: np.ndarray) -> np.ndarray:
        return _each(lambda v: v.exp(), x)

    @staticmethod
    def log(x: np.ndarray) -> np.ndarray:
        return _each(lambda v: v.log() if v > 0 else v.nan(), x)

    @staticmethod
    def sqrt(x: np.ndarray) -> np.ndarray:
        return _each(lambda v: monotone(lambda e: e.sqrt(), v) if v >= 0 else v.nan(), x)

    def literal(self, number, batch: int) -> np.ndarray:
        """A numeric literal as the rules read it (``0.1`` is one tenth)."""
        return _filled(literal_ball(number), batch)

    def array(self, values) -> np.ndarray:
        data = np.asarray(values, dtype=float)
        out = np.empty(data.shape, dtype=object)
        out.flat[:] = [to_arb(float(v)) for v in data.flat]
        return out

    def scalar_function(self, atom, keys: tuple[str, ...]):
        """The atom's ``enclose`` entrywise, keywords given positionally after ``x``."""
        return np.frompyfunc(lambda x, *constants: atom.enclose(x, dict(zip(keys, constants))),
                             1 + len(keys), 1)

    def finite(self, value: np.ndarray) -> np.ndarray:
        flat = value.reshape(value.shape[0], -1)
        return np.array([all(v.is_finite() for v in row) for row in flat], dtype=bool)

    def largest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return np.frompyfunc(lambda p, q: p.max(q), 2, 1).reduce(x, axis=axis)

    @staticmethod
    def power(x: np.ndarray, p: float | Fraction) -> np.ndarray:
        """x^p for the exact p."""
        return _each(lambda v: arb_power(v, p), x)

    def smallest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return np.frompyfunc(lambda p, q: p.min(q), 2, 1).reduce(x, axis=axis)

    @staticmethod
    def sort(rows: np.ndarray) -> np.ndarray:
        """Each row's order statistics: column j encloses the (j+1)-th smallest entry.

        An odd-even transposition network (n rounds of compare-exchange on neighbours)
        sorts any n reals, each comparator putting min(a, b) before max(a, b). Run on
        balls with Arb's min and max, which enclose min(s, t) and max(s, t) for every s in
        a and t in b, each comparator's outputs enclose the exact outputs; by induction
        over the rounds, so do the network's: the exact sorted entries of every point in
        the balls. (The j-th order statistic is nondecreasing in each entry, so its
        enclosure is at most [j-th smallest lower end, j-th smallest upper end].)"""
        out = rows.copy()
        n = out.shape[1]
        low = np.frompyfunc(lambda p, q: p.min(q), 2, 1)
        high = np.frompyfunc(lambda p, q: p.max(q), 2, 1)
        for round_ in range(n):
            for j in range(round_ % 2, n - 1, 2):
                a, b = out[:, j], out[:, j + 1]
                out[:, j], out[:, j + 1] = low(a, b), high(a, b)
        return out


def _each(function, x: np.ndarray) -> np.ndarray:
    return np.frompyfunc(function, 1, 1)(x)


def _filled(value, batch: int) -> np.ndarray:
    out = np.empty(batch, dtype=object)
    out[:] = [value] * batch
    return out


@lru_cache(maxsize=None)
def _lambdified(name: str, formula: str, keys: tuple[str, ...]):
    """The atom's formula as a numpy function of ``x`` and its keywords (SymPy's lambdify)."""
    import sympy
    x = sympy.Symbol("x", real=True)
    symbols = {"x": x, **{k: sympy.Symbol(k, real=True) for k in keys}}
    expression = sympy.sympify(formula, locals=symbols)
    # numpy has no erf (lambdify would reach for scipy, which dcp does not need).
    return sympy.lambdify([x, *[symbols[k] for k in keys]], expression,
                          modules=[{"erf": _numpy_erf}, "numpy"])


_numpy_erf = np.vectorize(math.erf, otypes=[float])


FLOAT = FloatOps()
ARB = ArbOps()


def align(*arrays: np.ndarray) -> list[np.ndarray]:
    """Arrays of different ranks made to broadcast entry by entry: singleton axes are put
    after the batch axis (numpy would align a scalar's batch axis with a vector's
    entries)."""
    most = max(a.ndim for a in arrays)
    return [a.reshape(a.shape[:1] + (1,) * (most - a.ndim) + a.shape[1:]) for a in arrays]


def entries(x: np.ndarray) -> np.ndarray:
    """Each batch element's entries in one row: shape ``(B, n)``."""
    return x.reshape(x.shape[0], -1)


def inside(x: np.ndarray, interval) -> np.ndarray:
    """Elementwise: whether ``x`` certainly lies in ``interval`` (False for NaN, and for a
    ball that is not wholly inside). Interval ends may be floats or Fractions."""
    if x.dtype == object:
        return _each(lambda v: ball_inside(v, interval), x).astype(bool)
    # A Fraction end is not a float: x (a float) never equals it, so the end rounded
    # inward is closed; a float end keeps its openness.
    lo, hi = round_up(interval.lo), round_down(interval.hi)
    lo_open = interval.lo_open and not isinstance(interval.lo, Fraction)
    hi_open = interval.hi_open and not isinstance(interval.hi, Fraction)
    above = (x > lo) if lo_open else (x >= lo)
    below = (x < hi) if hi_open else (x <= hi)
    return np.asarray(above & below, dtype=bool)


def divide(ops, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Entrywise ``a / b``; NaN where ``b`` is (or, for a ball, may be) zero."""
    if ops.name == "float":
        return a / b
    return np.frompyfunc(lambda p, q: p / q if not q.contains(0) else q.nan(), 2, 1)(a, b)
