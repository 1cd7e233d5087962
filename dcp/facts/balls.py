"""Arb balls (python-flint) for sound values of atoms, without numpy.

An Arb ball ``[m +/- r]`` contains the exact real result of every operation on balls that
contain the exact inputs, so a property read off a ball (``gap > 0`` for every point of
it) holds for the exact value. Comparisons of balls are True only when they hold for
every point of both balls.

These helpers serve two stages: the rules, where an atom's range ends at the enclosure
of its value at a finite point (part of the trusted base), and the numeric check, which
proves a witness in balls (:mod:`dcp.ops`). ``flint`` is imported inside each function,
so that a rules-only call that needs no transcendental value never loads it.
"""
from __future__ import annotations

import contextlib
import math
from fractions import Fraction

from .interval import round_down, round_up

__all__ = ["to_arb", "literal_ball", "monotone", "arb_power", "precision", "float_down",
           "float_up", "ball_inside"]


def to_arb(value):
    """An Arb ball holding ``value`` (a float, exactly; a Fraction, as a tight ball)."""
    from flint import arb, fmpq
    if isinstance(value, Fraction):
        return arb(fmpq(value.numerator, value.denominator))
    return arb(value)


def literal_ball(number):
    """A ball holding the literal ``number`` (a ``Number`` node) as the rules read it: its
    exact value, or, when it is not kept exactly, the ball spanning its enclosure."""
    if number.exact is not None:
        return to_arb(number.exact)
    lo, hi, _, _ = number.enclosure()
    return to_arb(lo).union(to_arb(hi))


def monotone(function, x):
    """``function`` (monotone on the ball ``x``) on the ball: the union of its values at
    the ball's exact ends. Evaluating at exact points keeps functions like ``erfc`` at
    far arguments accurate, where the ball's width would blur the result."""
    from flint import arb
    lo, hi = arb(x.lower()), arb(x.upper())
    return function(lo).union(function(hi))


def arb_power(x, p: float | Fraction):
    """x^p on the ball ``x`` for the exact constant p (a float or a Fraction): for an
    integer p >= 0 any x (|x|^p for even p, so a ball across 0 keeps its sign); otherwise
    x >= 0 (x > 0 when p < 0), else NaN. Monotone in x on each of those sets, so computed
    from the ends of the ball; a p that is not a float (1/10) enters as a tight ball."""
    from flint import arb
    if p == math.floor(p) and p >= 0:
        n = int(p)
        if n == 0:
            return arb(1)
        return monotone(lambda t: t ** n, abs(x) if n % 2 == 0 else x)
    if not (x > 0 if p < 0 else x >= 0):
        return arb.nan()
    if p == math.floor(p):
        return 1 / monotone(lambda t: t ** -int(p), x)
    exponent = to_arb(p)
    return monotone(lambda t: t ** exponent if t != 0 else t, x)


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
    """The exact end ``end`` (an arb with zero radius) rounded to a float toward ``+inf``
    (``up``) or ``-inf``."""
    if end.is_nan():
        return math.inf if up else -math.inf
    if not end.is_finite():
        return math.inf if end > 0 else -math.inf
    mantissa, exponent = (int(v) for v in end.man_exp())
    bits = exponent + mantissa.bit_length()
    if bits > _HUGE or bits < _TINY:         # a stand-in of the same sign that rounds alike
        sign = (mantissa > 0) - (mantissa < 0)
        exact = sign * Fraction(2) ** (_HUGE if bits > _HUGE else _TINY)
    else:
        exact = Fraction(mantissa) * Fraction(2) ** exponent
    return round_up(exact) if up else round_down(exact)


def ball_inside(v, interval) -> bool:
    """Whether the ball ``v`` lies wholly in ``interval`` (ends floats or Fractions), and
    is finite."""
    lo, hi = interval.lo, interval.hi
    above = lo == -math.inf or ((v > to_arb(lo)) if interval.lo_open else (v >= to_arb(lo)))
    below = hi == math.inf or ((v < to_arb(hi)) if interval.hi_open else (v <= to_arb(hi)))
    return bool(above and below and v.is_finite())
