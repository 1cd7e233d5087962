"""Sound interval arithmetic over the extended reals.

An :class:`Interval` encloses every value a node can take. Each end may be open or closed
(infinite ones are always open), so that "positive" (``(0, inf)``) and "nonnegative"
(``[0, inf)``) stay apart, as ``log`` and ``inv_pos`` need.

An end is a ``float``, or a :class:`~fractions.Fraction` for an exact value that no float
equals: the literal ``0.1`` is 1/10, the bound in ``c >= -0.001`` is -1/1000, and exact
arithmetic on those stays exact, so ``(c + 0.001)`` is ``[0, inf)`` with a zero end that is
exactly zero. A value that equals a float, whatever its origin, is always stored as that
float, and infinities are floats; so most intervals hold floats only and take the float
path, which costs one type check more than plain float arithmetic.

Soundness: every operation returns an interval that contains the exact real result.

- On floats, where a float operation is inexact the end is rounded outward by one step;
  where it is exact (detected with an error-free transformation) it is kept.
- On Fractions the result is the exact rational while its numerator and denominator stay
  under ``MAX_BITS`` bits. Past that, or beyond the floats, it is rounded outward to a
  float: a lower end down, an upper end up (``x`` in ``[round_down(q), round_up(q)]``).

Code that needs floats (sampling, printing, JSON) converts an end explicitly with
:func:`round_down` or :func:`round_up`, in the direction that keeps its enclosure sound.
"""
from __future__ import annotations

import math
import numbers
import sys
from fractions import Fraction
from typing import NamedTuple, Union

__all__ = ["Interval", "REALS", "NONNEG", "POS", "NONPOS", "NEG", "literal_range", "round_down", "round_up"]

INF = math.inf
#: The largest float; its one home (the syntax stage imports it too).
MAX_FLOAT = sys.float_info.max
#: An exact end whose numerator or denominator has more bits than this is rounded outward
#: to a float, so exact arithmetic stays cheap however long a chain of constants is.
MAX_BITS = 300

Real = Union[float, Fraction]


def next_down(x: float) -> float:
    return math.nextafter(x, -INF)


def next_up(x: float) -> float:
    return math.nextafter(x, INF)


def round_down(x: Real) -> float:
    """The largest float ``<= x`` (``-inf`` below the floats)."""
    return x if x.__class__ is float else _round(x, up=False)


def round_up(x: Real) -> float:
    """The smallest float ``>= x`` (``inf`` above the floats)."""
    return x if x.__class__ is float else _round(x, up=True)


def _round(q: Fraction, up: bool) -> float:
    """``q`` rounded to a float toward ``+inf`` (``up``) or ``-inf``."""
    try:
        f = q.numerator / q.denominator          # int / int is correctly rounded
    except OverflowError:                        # beyond the floats
        if q > 0:
            return INF if up else MAX_FLOAT
        return -MAX_FLOAT if up else -INF
    if up and f < q:
        f = next_up(f)
    elif not up and f > q:
        f = next_down(f)
    return f + 0.0                               # no negative zero


def _end(q: Fraction, up: bool) -> Real:
    """How the exact value ``q`` is stored as an upper (``up``) or lower end: rounded
    outward to a float past ``MAX_BITS`` bits, otherwise as :func:`_coerce` stores it."""
    if q.denominator.bit_length() > MAX_BITS or q.numerator.bit_length() > MAX_BITS:
        return _round(q, up)
    return _coerce(q)


def _coerce(x) -> Real:
    """An end given as any real number, in its stored form: the float that equals it, else
    the exact rational however long (an assumption's bound such as ``x <= 5e-324`` must not
    grow; arithmetic results are capped by :func:`_end` before they get here).

    Only a dyadic rational (denominator a power of two, integers included) can equal a
    float; one that does not (``10**30``, ``1 + 2**-60``) stays exact like any other.
    """
    if isinstance(x, float):
        return float(x)
    if x.__class__ is int and -2 ** 53 <= x <= 2 ** 53:     # the commonest: Interval(0, INF)
        return float(x)
    if isinstance(x, numbers.Rational):          # int, Fraction
        q = Fraction(x)
        if q.denominator & (q.denominator - 1) == 0:
            nearest = _round(q, up=False)
            if nearest == q:
                return nearest
        return q
    return float(x)


def _exact(x: Real) -> Fraction:
    return x if x.__class__ is Fraction else Fraction(x)


def _infinite(x: Real) -> bool:
    return x.__class__ is float and math.isinf(x)


def _sum(a: Real, b: Real, up: bool) -> Real:
    """An end for the exact ``a + b`` when one of them is a Fraction."""
    if _infinite(a):                              # the infinite end wins (an enclosure's
        return a                                  # ends are never -inf + inf)
    if _infinite(b):
        return b
    return _end(_exact(a) + _exact(b), up)


def _product(a: Real, b: Real, up: bool) -> Real:
    """An end for the exact ``a * b`` (``0 * inf = 0``) when one of them is a Fraction."""
    if a == 0 or b == 0:
        return 0.0
    if _infinite(a) or _infinite(b):
        return INF if (a > 0) == (b > 0) else -INF
    return _end(_exact(a) * _exact(b), up)


def _quotient(a: Real, b: Real, up: bool) -> Real:
    """An end for the exact ``a / b`` (``b != 0``; ``x / inf = 0``) when one of them is a
    Fraction."""
    if _infinite(a):
        return a if b > 0 else -a
    if a == 0 or _infinite(b):
        return 0.0
    return _end(_exact(a) / _exact(b), up)


def add_down(a: Real, b: Real) -> Real:
    """A lower bound of the exact ``a + b``."""
    if a.__class__ is not float or b.__class__ is not float:
        return _sum(a, b, up=False)
    s = a + b
    if math.isinf(a) or math.isinf(b):
        return s
    if math.isinf(s):                        # overflow: the exact value is finite
        return math.nextafter(s, 0) if s > 0 else s
    bb = s - a
    error = (a - (s - bb)) + (b - bb)        # TwoSum: exact a + b - s
    return next_down(s) if error < 0 else s


def add_up(a: Real, b: Real) -> Real:
    """An upper bound of the exact ``a + b``."""
    return -add_down(-a, -b)


#: Dekker's exact product needs every partial product normal and finite: both factors
#: (and so the rounded product) at most this far from 1 in magnitude.
_DEKKER_LIMIT = 2.0 ** 450
_SPLITTER = 134217729.0                      # 2 ** 27 + 1 (Veltkamp's split of a double)


def _two_product(a: float, b: float, p: float) -> float | None:
    """The exact ``a * b - p`` for ``p = fl(a * b)`` (Dekker's TwoProduct, exact in binary64
    when no partial product under- or overflows), or None when ``a`` or ``b`` lies too far
    from 1 for that to be certain."""
    limit = _DEKKER_LIMIT
    if not (1 / limit < abs(a) < limit and 1 / limit < abs(b) < limit):
        return None
    c = _SPLITTER * a
    a_hi = c - (c - a)
    a_lo = a - a_hi
    c = _SPLITTER * b
    b_hi = c - (c - b)
    b_lo = b - b_hi
    return a_lo * b_lo - (((p - a_hi * b_hi) - a_lo * b_hi) - a_hi * b_lo)


def _product_error_sign(a: float, b: float, p: float) -> int:
    """The sign of the exact ``a * b - p``: exactly, in floats where Dekker's product is
    exact, else with rationals."""
    error = _two_product(a, b, p)
    if error is None:
        exact, rounded = Fraction(a) * Fraction(b), Fraction(p)
        return (exact > rounded) - (exact < rounded)
    return (error > 0) - (error < 0)


def _quotient_error_sign(a: float, b: float, q: float) -> int:
    """The sign of the exact ``a / b - q`` for ``q = fl(a / b)``: that of the remainder
    ``a - q * b`` (exact in floats: ``q * b`` is within a factor 2 of ``a``, so ``a - hi``
    is exact by Sterbenz's lemma, and the remainder of a correctly rounded quotient is a
    float) times the sign of ``b``; with rationals where Dekker's product is not exact."""
    product = q * b
    low = _two_product(q, b, product)
    if low is None:
        exact, rounded = Fraction(a) / Fraction(b), Fraction(q)
        return (exact > rounded) - (exact < rounded)
    remainder = (a - product) - low
    sign = (remainder > 0) - (remainder < 0)
    return sign if b > 0 else -sign


def mul_down(a: Real, b: Real) -> Real:
    """A lower bound of the exact ``a * b``, with ``0 * inf = 0``."""
    if a.__class__ is not float or b.__class__ is not float:
        return _product(a, b, up=False)
    if a == 0 or b == 0:
        return 0.0
    p = a * b
    if math.isinf(a) or math.isinf(b):
        return p
    if math.isinf(p):                        # overflow: the exact value is finite
        return math.nextafter(p, 0) if p > 0 else p
    if p == 0:                               # underflow
        return 0.0 if (a > 0) == (b > 0) else -math.ulp(0.0)
    return next_down(p) if _product_error_sign(a, b, p) < 0 else p


def mul_up(a: Real, b: Real) -> Real:
    """An upper bound of the exact ``a * b``."""
    return -mul_down(-a, b)


def div_down(a: Real, b: Real) -> Real:
    """A lower bound of the exact ``a / b`` for ``b != 0``; ``x / inf = 0``."""
    if a.__class__ is not float or b.__class__ is not float:
        return _quotient(a, b, up=False)
    if a == 0 or math.isinf(b):
        return 0.0 if not math.isinf(a) else (a / (1.0 if b > 0 else -1.0))
    if math.isinf(a):
        return a if b > 0 else -a
    q = a / b
    if math.isinf(q):
        return math.nextafter(q, 0) if q > 0 else q
    if q == 0:
        return 0.0 if (a > 0) == (b > 0) else -math.ulp(0.0)
    return next_down(q) if _quotient_error_sign(a, b, q) < 0 else q


def div_up(a: Real, b: Real) -> Real:
    """An upper bound of the exact ``a / b``."""
    return -div_down(-a, b)


class _Ends(NamedTuple):
    lo: Real
    hi: Real
    lo_open: bool
    hi_open: bool


class Interval(_Ends):
    """The set of reals between `lo` and `hi`; `lo_open`/`hi_open` exclude an end.

    Immutable and hashable (a tuple underneath: the engine builds one per proof step and
    uses them as memo keys, so they must be cheap). `x in interval` asks whether the
    number `x` lies in it.

    >>> Interval(0, INF)
    [0, inf)
    >>> Interval(0, INF, lo_open=True).is_positive
    True
    """

    __slots__ = ()

    def __new__(cls, lo: Real, hi: Real, lo_open: bool = False, hi_open: bool = False) -> Interval:
        if lo.__class__ is not float or hi.__class__ is not float:
            lo, hi = _coerce(lo), _coerce(hi)
        if not lo <= hi:                                  # also refuses NaN
            raise ValueError(f"not an interval: {lo}, {hi}")
        lo_open = bool(lo_open) or lo == INF or lo == -INF       # infinite ends are open
        hi_open = bool(hi_open) or hi == INF or hi == -INF
        if lo == hi and (lo_open or hi_open):
            raise ValueError(f"empty interval at {lo}")
        return tuple.__new__(cls, (lo, hi, lo_open, hi_open))

    # ---- construction ----
    @staticmethod
    def parse(text: str) -> Interval:
        """`"(-inf, 0]"`, `"[0, 1)"`, `"[-1.4142, 1.4142]"`."""
        text = text.strip()
        lo_text, hi_text = text[1:-1].split(",")
        return Interval(float(lo_text), float(hi_text), text[0] == "(", text[-1] == ")")

    @staticmethod
    def hull(intervals) -> Interval:
        """The smallest interval containing all of `intervals` (at least one)."""
        items = list(intervals)
        lo = min(i.lo for i in items)
        hi = max(i.hi for i in items)
        lo_open = all(i.lo_open for i in items if i.lo == lo)
        hi_open = all(i.hi_open for i in items if i.hi == hi)
        return Interval(lo, hi, lo_open, hi_open)

    def intersect(self, other: Interval) -> Interval | None:
        """The common part, or `None` when there is none."""
        if self.lo > other.lo or (self.lo == other.lo and self.lo_open):
            lo, lo_open = self.lo, self.lo_open
        else:
            lo, lo_open = other.lo, other.lo_open
        if self.hi < other.hi or (self.hi == other.hi and self.hi_open):
            hi, hi_open = self.hi, self.hi_open
        else:
            hi, hi_open = other.hi, other.hi_open
        if lo > hi or (lo == hi and (lo_open or hi_open)):
            return None
        return Interval(lo, hi, lo_open, hi_open)

    # ---- questions ----
    def contains(self, other: Interval) -> bool:
        """Whether `other` is a subset of this interval."""
        lo_ok = self.lo < other.lo or (self.lo == other.lo and (not self.lo_open or other.lo_open))
        hi_ok = self.hi > other.hi or (self.hi == other.hi and (not self.hi_open or other.hi_open))
        return lo_ok and hi_ok

    def contains_value(self, x: float) -> bool:
        """Whether the number `x` lies in the interval (also spelled `x in interval`).

        >>> 0.0 in Interval(0, 1, lo_open=True), 0.5 in Interval(0, 1, lo_open=True)
        (False, True)
        """
        return (self.lo < x or (self.lo == x and not self.lo_open)) and \
               (x < self.hi or (x == self.hi and not self.hi_open))

    # Membership of a number, not of a tuple entry (an Interval is a tuple underneath).
    __contains__ = contains_value

    @property
    def is_nonneg(self) -> bool:
        return self.lo >= 0

    @property
    def is_nonpos(self) -> bool:
        return self.hi <= 0

    @property
    def is_positive(self) -> bool:
        return self.lo > 0 or (self.lo == 0 and self.lo_open)

    @property
    def is_negative(self) -> bool:
        return self.hi < 0 or (self.hi == 0 and self.hi_open)

    @property
    def is_zero(self) -> bool:
        return self.lo == 0 and self.hi == 0

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    @property
    def sign(self) -> str:
        """`"+"`, `"-"`, `"0"` or `"±"`, as read off the range."""
        if self.is_zero:
            return "0"
        if self.is_nonneg:
            return "+"
        if self.is_nonpos:
            return "-"
        return "±"

    def __str__(self) -> str:
        if self.is_point:
            return f"{{{_fmt(self.lo)}}}"
        return f"{'(' if self.lo_open else '['}{_fmt(self.lo)}, {_fmt(self.hi)}{')' if self.hi_open else ']'}"

    __repr__ = __str__

    # ---- arithmetic ----
    def __neg__(self) -> Interval:
        return Interval(-self.hi, -self.lo, self.hi_open, self.lo_open)

    def __add__(self, other: Interval) -> Interval:
        return Interval(add_down(self.lo, other.lo), add_up(self.hi, other.hi),
                        self.lo_open or other.lo_open, self.hi_open or other.hi_open)

    def __sub__(self, other: Interval) -> Interval:
        return self + (-other)

    def __mul__(self, other: Interval) -> Interval:
        candidates = []
        for x, x_open in ((self.lo, self.lo_open), (self.hi, self.hi_open)):
            for y, y_open in ((other.lo, other.lo_open), (other.hi, other.hi_open)):
                # A closed zero factor attains 0 whatever the other factor is.
                attained_zero = (x == 0 and not x_open) or (y == 0 and not y_open)
                is_open = (x_open or y_open) and not attained_zero
                candidates.append((mul_down(x, y), mul_up(x, y), is_open))
        lo = min(c[0] for c in candidates)
        hi = max(c[1] for c in candidates)
        lo_open = all(c[2] for c in candidates if c[0] == lo)
        hi_open = all(c[2] for c in candidates if c[1] == hi)
        return Interval(lo, hi, lo_open, hi_open)

    def reciprocal(self) -> Interval:
        """`{1/x : x in self, x != 0}`; all reals when the interval straddles zero."""
        if self.is_zero or (self.lo < 0 < self.hi):
            return REALS
        if self.lo >= 0:
            lo = div_down(1.0, self.hi) if self.hi != INF else 0.0
            hi = div_up(1.0, self.lo) if self.lo != 0 else INF
            return Interval(lo, hi, self.hi_open, self.lo_open)
        return -(-self).reciprocal()

    def square(self) -> Interval:
        """`{x^2 : x in self}`: tighter than `self * self`."""
        a = abs(self)
        return Interval(mul_down(a.lo, a.lo), mul_up(a.hi, a.hi), a.lo_open, a.hi_open)

    def __abs__(self) -> Interval:
        if self.is_nonneg:
            return self
        if self.is_nonpos:
            return -self
        hi, hi_open = (self.hi, self.hi_open) if self.hi > -self.lo else (-self.lo, self.lo_open)
        if self.hi == -self.lo:
            hi_open = self.hi_open and self.lo_open
        return Interval(0.0, hi, False, hi_open)

    def sum_of_terms(self) -> Interval:
        """All sums of one or more terms each in this interval (entries of an unknown count):
        `sum`, and the entries of `@` and `dot`."""
        lo, lo_open = (self.lo, self.lo_open) if self.lo >= 0 else (-INF, True)
        hi, hi_open = (self.hi, self.hi_open) if self.hi <= 0 else (INF, True)
        return Interval(lo, hi, lo_open, hi_open)


def _fmt(x: Real) -> str:
    """An end for reading: six significant digits (an exact Fraction end prints as the
    nearest float; the JSON renderer gives the outward-rounded floats)."""
    if x.__class__ is not float:
        try:
            x = float(x)
        except OverflowError:                   # an exact end beyond the floats: 1e310
            from decimal import Decimal, localcontext
            with localcontext() as context:
                context.prec = 6
                return f"{(Decimal(x.numerator) / Decimal(x.denominator)).normalize():g}".lower()
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


def literal_range(number) -> Interval:
    """The range of a numeric literal (a ``Number`` node): its exact value, or the gap
    between floats it lies in when it is not kept exactly (``Number.enclosure``)."""
    return Interval(*number.enclosure())


REALS = Interval(-INF, INF)
NONNEG = Interval(0.0, INF)
POS = Interval(0.0, INF, lo_open=True)
NONPOS = Interval(-INF, 0.0)
NEG = Interval(-INF, 0.0, hi_open=True)
