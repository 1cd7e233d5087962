"""The two number systems atoms are evaluated in by the numeric check: float64 numpy
arrays (the search), and numpy object arrays of Arb balls (python-flint) that prove a
witness.

Atoms write their ``evaluate`` once against this small interface. Every value carries a
leading batch axis: an array of shape ``(B, *shape)``.

An Arb ball ``[m +/- r]`` contains the exact real result of every operation on balls
that contain the exact inputs, so a property read off a ball (``gap > 0`` for every point
of it) holds for the exact value. Comparisons of balls are True only when they hold for
every point of both balls; ``max``/``min`` go through ``arb.max``/``arb.min``, never
Python's ``max`` (which compares).
"""
from __future__ import annotations

import contextlib
import math
import re
from fractions import Fraction
from functools import lru_cache

import numpy as np

__all__ = ["FloatOps", "ArbOps", "FLOAT", "ARB", "precision", "to_arb", "float_down", "float_up",
           "monotone", "arb_power", "ball_inside",
           "align", "entries", "inside", "divide"]


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
        # Keyword constants arrive as Python floats, whose ** raises on overflow
        # (huber's M * M at M=1e308); as numpy floats they overflow to inf like the rest.
        return lambda x, *constants: function(x, *map(np.float64, constants))

    def finite(self, value: np.ndarray) -> np.ndarray:
        """Per batch element: every entry finite."""
        return np.isfinite(value).reshape(value.shape[0], -1).all(axis=1)

    def largest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return x.max(axis=axis)

    @staticmethod
    def power(x: np.ndarray, p: float) -> np.ndarray:
        return x ** p

    def smallest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return x.min(axis=axis)


class ArbOps:
    """Object arrays of ``flint.arb`` balls, at the working precision of :func:`precision`.

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
        """A numeric literal as the exact decimal written (``0.1`` is one tenth)."""
        return _filled(_decimal_ball(number.text, float(number.value)), batch)

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
    def power(x: np.ndarray, p: float) -> np.ndarray:
        return _each(lambda v: arb_power(v, p), x)

    def smallest(self, x: np.ndarray, axis: int) -> np.ndarray:
        return np.frompyfunc(lambda p, q: p.min(q), 2, 1).reduce(x, axis=axis)


def _each(function, x: np.ndarray) -> np.ndarray:
    return np.frompyfunc(function, 1, 1)(x)


def _filled(value, batch: int) -> np.ndarray:
    out = np.empty(batch, dtype=object)
    out[:] = [value] * batch
    return out


#: Decimal exponents beyond this are not expanded (10^9999999 would take minutes);
#: such a literal gets the outward ball around its float instead.
MAX_DECIMAL_EXPONENT = 100_000
_DECIMAL = re.compile(r"\s*(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?\s*")


def _decimal_ball(text: str, value: float):
    """A ball around the decimal ``text``; the outward ball around ``value`` (its float)
    when the text is not a plain decimal or its exponent is too large to expand."""
    from flint import arb
    match = _DECIMAL.fullmatch(text or "")
    if match and (match.group(1) or match.group(2)) and \
            abs(int(match.group(3) or 0)) - len(match.group(1)) <= MAX_DECIMAL_EXPONENT:
        return arb(text.strip())
    if math.isinf(value) or math.isnan(value):
        return arb.nan()
    low, high = math.nextafter(value, -math.inf), math.nextafter(value, math.inf)
    return to_arb(low).union(to_arb(high))


def to_arb(value):
    """An Arb ball holding ``value`` (a float, exactly; a Fraction, as a tight ball)."""
    from flint import arb, fmpq
    if isinstance(value, Fraction):
        return arb(fmpq(value.numerator, value.denominator))
    return arb(value)


def monotone(function, x):
    """``function`` (monotone on the ball ``x``) on the ball: the union of its values at
    the ball's exact ends. Evaluating at exact points keeps functions like ``erfc`` at
    far arguments accurate, where the ball's width would blur the result."""
    from flint import arb
    lo, hi = arb(x.lower()), arb(x.upper())
    return function(lo).union(function(hi))


def arb_power(x, p: float):
    """x^p on the ball ``x`` for a constant p: for an integer p >= 0 any x (|x|^p for even
    p, so a ball across 0 keeps its sign); otherwise x >= 0 (x > 0 when p < 0), else NaN.
    Monotone in x on each of those sets, so computed from the ends of the ball."""
    from flint import arb
    p = float(p)
    if p.is_integer() and p >= 0:
        n = int(p)
        if n == 0:
            return arb(1)
        return monotone(lambda t: t ** n, abs(x) if n % 2 == 0 else x)
    if not (x > 0 if p < 0 else x >= 0):
        return arb.nan()
    if p.is_integer():
        return 1 / monotone(lambda t: t ** -int(p), x)
    return monotone(lambda t: t ** arb(p) if t != 0 else t, x)


@contextlib.contextmanager
def precision(bits: int):
    """Arb's working precision set to ``bits`` inside the block."""
    from flint import ctx
    before = ctx.prec
    ctx.prec = bits
    try:
        yield
    finally:
        ctx.prec = before


def float_down(ball) -> float:
    """The largest float at or below every point of ``ball`` (exact: no rounding to
    nearest); ``-inf`` for a NaN or unbounded ball."""
    return _float_toward(ball.lower(), up=False)


def float_up(ball) -> float:
    """The smallest float at or above every point of ``ball``; ``inf`` when unbounded."""
    return _float_toward(ball.upper(), up=True)


#: Past these binary exponents an exact end is beyond the floats (or below the least
#: subnormal), and is rounded without building the exact rational.
_HUGE, _TINY = 1100, -1200


def _float_toward(end, up: bool) -> float:
    if end.is_nan():
        return math.inf if up else -math.inf
    if not end.is_finite():
        return math.inf if end > 0 else -math.inf
    mantissa, exponent = (int(v) for v in end.man_exp())
    if mantissa == 0:
        return 0.0
    bits = exponent + mantissa.bit_length()
    if bits > _HUGE:
        big = math.inf if (mantissa > 0) == up else math.nextafter(math.inf, 0)
        return big if mantissa > 0 else -big
    if bits < _TINY:
        return (math.ulp(0.0) if up else 0.0) if mantissa > 0 else (-0.0 if up else -math.ulp(0.0))
    exact = Fraction(mantissa) * Fraction(2) ** exponent
    return _round_fraction(exact, up)


def _round_fraction(exact: Fraction, up: bool) -> float:
    """The float next to ``exact`` on the side asked for (exact when it is a float)."""
    try:
        near = float(exact)
    except OverflowError:
        near = math.inf if exact > 0 else -math.inf
    if math.isinf(near):
        return near if (near > 0) == up else math.copysign(math.nextafter(math.inf, 0), near)
    if up and Fraction(near) < exact:
        return math.nextafter(near, math.inf)
    if not up and Fraction(near) > exact:
        return math.nextafter(near, -math.inf)
    return near


def _inward(end, up: bool) -> float:
    """An interval end as a float for comparing floats against it: a Fraction end is
    rounded inward (``up`` for a lower end), which decides ``x >= end`` exactly."""
    return _round_fraction(end, up) if isinstance(end, Fraction) else end


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
    lo, hi = _inward(interval.lo, up=True), _inward(interval.hi, up=False)
    # A Fraction end is not a float: x (a float) never equals it, so the rounded end is
    # closed; a float end keeps its openness.
    lo_open = interval.lo_open and not isinstance(interval.lo, Fraction)
    hi_open = interval.hi_open and not isinstance(interval.hi, Fraction)
    above = (x > lo) if lo_open else (x >= lo)
    below = (x < hi) if hi_open else (x <= hi)
    return np.asarray(above & below, dtype=bool)


def ball_inside(v, interval) -> bool:
    lo, hi = interval.lo, interval.hi
    above = lo == -math.inf or ((v > to_arb(lo)) if interval.lo_open else (v >= to_arb(lo)))
    below = hi == math.inf or ((v < to_arb(hi)) if interval.hi_open else (v <= to_arb(hi)))
    return bool(above and below and v.is_finite())


def divide(ops, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Entrywise ``a / b``; NaN where ``b`` is (or, for a ball, may be) zero."""
    if ops.name == "float":
        return a / b
    return np.frompyfunc(lambda p, q: p / q if not q.contains(0) else q.nan(), 2, 1)(a, b)
