"""Interval arithmetic is sound: every exact result lies in the computed interval, and
zero endpoints stay exactly zero."""
from __future__ import annotations

import math
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dcp.facts import NONNEG, POS, REALS, Interval, literal_range
from dcp.syntax.ast import Number

FINITE = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)


@st.composite
def intervals_with_member(draw):
    a, b = sorted((draw(FINITE) + 0.0, draw(FINITE) + 0.0))    # + 0.0: no -0.0 ends
    lo = -math.inf if draw(st.booleans()) and draw(st.booleans()) else a
    hi = math.inf if draw(st.booleans()) and draw(st.booleans()) else b
    member = draw(st.floats(min_value=max(lo, -1e300) + 0.0, max_value=min(hi, 1e300) + 0.0,
                            allow_nan=False))
    return Interval(lo, hi), member


def _contains_exact(interval: Interval, value: Fraction) -> bool:
    lo_ok = interval.lo == -math.inf or Fraction(interval.lo) <= value
    hi_ok = interval.hi == math.inf or value <= Fraction(interval.hi)
    return lo_ok and hi_ok


@settings(max_examples=500)
@given(intervals_with_member(), intervals_with_member())
def test_add_and_multiply_enclose_the_exact_result(left, right):
    (a, x), (b, y) = left, right
    assert _contains_exact(a + b, Fraction(x) + Fraction(y))
    assert _contains_exact(a - b, Fraction(x) - Fraction(y))
    assert _contains_exact(a * b, Fraction(x) * Fraction(y))


@settings(max_examples=300)
@given(intervals_with_member())
def test_unary_operations_enclose_the_exact_result(pair):
    a, x = pair
    assert _contains_exact(a.square(), Fraction(x) ** 2)
    assert _contains_exact(abs(a), abs(Fraction(x)))
    assert _contains_exact(-a, -Fraction(x))
    assume(x != 0)
    assert _contains_exact(a.reciprocal(), 1 / Fraction(x))


def test_zero_endpoints_stay_exact():
    assert (NONNEG * NONNEG).lo == 0 and not (NONNEG * NONNEG).lo_open
    assert (NONNEG + NONNEG) == NONNEG
    assert (Interval(1, 1) - NONNEG) == Interval(-math.inf, 1)
    assert (POS * POS) == POS
    assert (Interval(0, 1, lo_open=True) * Interval(1, math.inf)) == POS
    assert NONNEG.sum_of_terms() == NONNEG and REALS.sum_of_terms() == REALS


def test_points_are_exact():
    assert literal_range(Number(0.5, "0.5")) == Interval(0.5, 0.5)
    assert literal_range(Number(0.0, "1e-9999999")) == Interval(0.0, 5e-324, lo_open=True, hi_open=True)
    tenth = Interval(Fraction("0.1"), Fraction("0.1"))
    assert tenth.lo == tenth.hi == Fraction(1, 10) and tenth.lo.__class__ is Fraction


def test_open_and_closed_ends_are_kept_apart():
    assert POS.is_positive and not NONNEG.is_positive
    assert NONNEG.contains(POS) and not POS.contains(NONNEG)
    assert POS.intersect(Interval(-math.inf, 0)) is None
    assert str(Interval.parse("(-inf, 0]")) == "(-inf, 0]"


# ---- the exact rounding tests in floats agree with rationals ------------------------------

_FINITE = st.floats(allow_nan=False, allow_infinity=False).filter(lambda v: v != 0)


@given(_FINITE, _FINITE)
@settings(max_examples=3000)
def test_float_product_and_quotient_errors_have_the_exact_sign(a, b):
    """Dekker's product and the division remainder decide the rounding direction; each
    must give the sign of the exact error (a rational is the referee)."""
    from fractions import Fraction

    from dcp.facts.interval import _product_error_sign, _quotient_error_sign
    for rounded, exact, sign in ((a * b, Fraction(a) * Fraction(b), _product_error_sign),
                                 (a / b, Fraction(a) / Fraction(b), _quotient_error_sign)):
        if rounded != 0 and math.isfinite(rounded):
            error = exact - Fraction(rounded)
            assert sign(a, b, rounded) == (error > 0) - (error < 0), (a, b)


def test_float_errors_near_the_edges_of_the_fast_path():
    from fractions import Fraction

    from dcp.facts.interval import _product_error_sign, _quotient_error_sign
    edge = 2.0 ** 450
    for a in (edge, math.nextafter(edge, 0), 1 / edge, math.nextafter(1 / edge, 1), 3.0, 0.1):
        for b in (math.nextafter(edge, 0), 1 / 3, 7.0, math.nextafter(1 / edge, 1), -0.7):
            p, q = a * b, a / b
            for rounded, exact, sign in ((p, Fraction(a) * Fraction(b), _product_error_sign),
                                         (q, Fraction(a) / Fraction(b), _quotient_error_sign)):
                if rounded != 0 and math.isfinite(rounded):
                    error = exact - Fraction(rounded)
                    assert sign(a, b, rounded) == (error > 0) - (error < 0), (a, b)
