"""The two number systems atoms are evaluated in (by the numeric check): float64 numpy arrays, and numpy object
arrays of mpmath numbers (50 digits) to confirm a witness.

Atoms write their ``evaluate`` once against this small interface. Every value carries a
leading batch axis: an array of shape ``(B, *shape)``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import mpmath
import numpy as np

__all__ = ["FloatOps", "MpOps", "FLOAT", "MP", "DIGITS", "align", "entries", "inside", "divide"]

DIGITS = 50


class FloatOps:
    """float64 numpy arrays."""

    name = "float"
    nan = np.nan
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    sqrt = staticmethod(np.sqrt)

    def number(self, value: float, batch: int) -> np.ndarray:
        return np.full(batch, float(value))

    def array(self, values) -> np.ndarray:
        return np.asarray(values, dtype=float)

    def scalar_function(self, atom, keys: tuple[str, ...]):
        function = _lambdified(atom.name, atom.formula, keys, "numpy")
        if not keys:
            return function
        # Keyword constants arrive as Python floats, whose ** raises on overflow
        # (huber's M * M at M=1e308); as numpy floats they overflow to inf like the rest.
        return lambda x, *constants: function(x, *map(np.float64, constants))

    def finite(self, value: np.ndarray) -> np.ndarray:
        """Per batch element: every entry finite."""
        return np.isfinite(value).reshape(value.shape[0], -1).all(axis=1)


class MpOps(FloatOps):
    """Object arrays of ``mpmath.mpf`` at :data:`DIGITS` digits."""

    name = "mp"
    nan = mpmath.mpf("nan")
    exp = staticmethod(np.frompyfunc(mpmath.exp, 1, 1))
    log = staticmethod(np.frompyfunc(lambda v: mpmath.log(v) if v > 0 else (
        mpmath.mpf("-inf") if v == 0 else mpmath.mpf("nan")), 1, 1))
    sqrt = staticmethod(np.frompyfunc(lambda v: mpmath.sqrt(v) if v >= 0 else mpmath.mpf("nan"), 1, 1))

    def number(self, value: float, batch: int) -> np.ndarray:
        out = np.empty(batch, dtype=object)
        out[:] = mpmath.mpf(value)
        return out

    def array(self, values) -> np.ndarray:
        data = np.asarray(values, dtype=float)
        out = np.empty(data.shape, dtype=object)
        out.flat[:] = [mpmath.mpf(float(v)) for v in data.flat]
        return out

    def scalar_function(self, atom, keys: tuple[str, ...]):
        function = _lambdified(atom.name, atom.formula, keys, "mpmath")
        return np.frompyfunc(lambda *args: _mp_safe(function, *args), 1 + len(keys), 1)

    def finite(self, value: np.ndarray) -> np.ndarray:
        flat = value.reshape(value.shape[0], -1)
        return np.array([all(mpmath.isfinite(v) for v in row) for row in flat], dtype=bool)


def _mp_safe(function, *args):
    try:
        value = function(*args)
        return mpmath.mpf(value) if not isinstance(value, mpmath.mpc) else mpmath.mpf("nan")
    except (ValueError, ZeroDivisionError, TypeError):
        return mpmath.mpf("nan")


@lru_cache(maxsize=None)
def _lambdified(name: str, formula: str, keys: tuple[str, ...], module: str):
    """The atom's formula as a function of ``x`` and its keywords (SymPy's lambdify)."""
    import sympy
    x = sympy.Symbol("x", real=True)
    symbols = {"x": x, **{k: sympy.Symbol(k, real=True) for k in keys}}
    expression = sympy.sympify(formula, locals=symbols)
    # numpy has no erf (lambdify would reach for scipy, which dcp does not need).
    modules = [{"erf": _numpy_erf}, "numpy"] if module == "numpy" else module
    return sympy.lambdify([x, *[symbols[k] for k in keys]], expression, modules=modules)


_numpy_erf = np.vectorize(math.erf, otypes=[float])


FLOAT = FloatOps()
MP = MpOps()


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
    """Elementwise: whether ``x`` lies in ``interval`` (False for NaN)."""
    lo, hi = interval.lo, interval.hi
    above = (x > lo) if interval.lo_open else (x >= lo)
    below = (x < hi) if interval.hi_open else (x <= hi)
    return np.asarray(above & below, dtype=bool)


def divide(ops, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Entrywise ``a / b``, NaN where ``b`` is zero (mpmath would raise)."""
    if ops.name == "float":
        return a / b
    quotient = np.frompyfunc(lambda p, q: p / q if q != 0 else mpmath.mpf("nan"), 2, 1)
    return quotient(a, b)
