"""Constants are exact (SPEC 2): literals are the decimals written, assumption bounds are
the numbers written, interval ends stay exact rationals while they are small, and a zero
end stays exactly zero. Hostile literals finish fast, a division by a zero constant is an
error with a caret, and malformed shapes and definitions are DcpErrors (issue 12)."""
from __future__ import annotations

import dataclasses
import math
import sys
import time
from fractions import Fraction

import pytest
from conftest import tamper
from hypothesis import given
from hypothesis import strategies as st

from dcp import (
    ArgumentError,
    AssumptionError,
    DcpError,
    ProofCheckError,
    Session,
    certify,
    check_proof,
)
from dcp.facts import Interval
from dcp.facts.interval import MAX_BITS, round_down, round_up
from dcp.repl import Repl
from dcp.syntax.ast import Number, decimal_value

MAX_FLOAT = sys.float_info.max
TINY = math.ulp(0.0)


def _rules(expr, wrt="x", assume=()):
    return certify(expr, wrt=wrt, assume=assume, check=False)


def _step(result, text):
    """The proof step printed as ``text`` (or the one number step, for ``"number"``)."""
    return next(s for s in result.proof.steps() if s.text == text or s.rule == text)


# ---- interval arithmetic on exact ends --------------------------------------------------

SMALL = st.fractions(min_value=-10**6, max_value=10**6, max_denominator=10**6)
# Big enough that products pass MAX_BITS and take the outward-rounding path.
BIG = st.fractions(min_value=-10**40, max_value=10**40, max_denominator=2**170 + 1)
FLOATS = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False).map(lambda x: x + 0.0)
ENDS = st.one_of(SMALL, BIG, FLOATS)


@st.composite
def intervals(draw):
    """An interval with exact, float or infinite ends, and exact members (its finite ends
    and a point inside)."""
    a, b = sorted((draw(ENDS), draw(ENDS)))
    lo = -math.inf if draw(st.integers(0, 4)) == 0 else a
    hi = math.inf if draw(st.integers(0, 4)) == 0 else b
    interval = Interval(lo, hi)
    ends = [Fraction(e) for e in (interval.lo, interval.hi) if math.isfinite(e)]
    if len(ends) == 2:
        inner = (ends[0] + ends[1]) / 2
    else:
        inner = ends[0] + (1 if interval.hi == math.inf else -1) if ends else Fraction(0)
    return interval, (*ends, inner)


def _encloses(interval: Interval, value: Fraction) -> bool:
    return (interval.lo == -math.inf or interval.lo <= value) and \
           (interval.hi == math.inf or value <= interval.hi)


def _well_formed(interval: Interval) -> bool:
    """Ends are floats or Fractions; a Fraction end is never one a float equals, and is
    small (under the cap)."""
    for end in (interval.lo, interval.hi):
        if end.__class__ is Fraction:
            if Fraction(float(end)) == end or \
                    max(end.numerator.bit_length(), end.denominator.bit_length()) > MAX_BITS:
                return False
        elif end.__class__ is not float:
            return False
    return True


@given(intervals(), intervals())
def test_arithmetic_encloses_the_exact_rational_result(first, second):
    (x, xs), (y, ys) = first, second
    for a in xs:
        assert _encloses(-x, -a) and _encloses(abs(x), abs(a)) and _encloses(x.square(), a * a)
        if a != 0:
            assert _encloses(x.reciprocal(), 1 / a)
        for b in ys:
            assert _encloses(x + y, a + b) and _encloses(x - y, a - b) and _encloses(x * y, a * b)
    for result in (x + y, x - y, x * y, x.square(), abs(x), x.reciprocal(), Interval.hull([x, y])):
        assert _well_formed(result)


@given(intervals(), intervals())
def test_containment_and_intersection_compare_exactly(first, second):
    (x, xs), (y, ys) = first, second
    both = x.intersect(y)
    for a in xs + ys:
        assert (both is not None and a in both) == (a in x and a in y)
    if x.contains(y):
        assert all(b in x for b in ys)


@given(st.fractions(max_denominator=10**30))
def test_round_outward_is_tight(q):
    down, up = round_down(q), round_up(q)
    assert down.__class__ is float and up.__class__ is float
    assert down <= q <= up
    assert math.nextafter(down, math.inf) > q or down == q
    assert math.nextafter(up, -math.inf) < q or up == q


def test_an_exact_result_that_is_a_float_is_stored_as_one():
    tenth = Interval(Fraction(1, 10), Fraction(1, 10))
    assert tenth.lo.__class__ is Fraction
    half = tenth * Interval(5.0, 5.0)
    assert half == Interval(0.5, 0.5) and half.lo.__class__ is float
    zero = Interval(Fraction(-1, 1000), Fraction(-1, 1000)) + Interval(Fraction(1, 1000), Fraction(1, 1000))
    assert zero.is_zero and zero.lo.__class__ is float
    # An integer or a dyadic value that no float equals stays exact.
    assert Interval(Fraction(10 ** 30), Fraction(10 ** 30)).lo == 10 ** 30 and Interval(Fraction(2 ** 60 + 1, 2 ** 60), Fraction(2 ** 60 + 1, 2 ** 60)).is_point


def test_past_the_cap_results_round_outward_to_floats():
    """Arithmetic caps the size of exact ends; a given end (an assumption's bound such as
    `x <= 5e-324`) is kept as it is, so the box it states never grows."""
    third = Fraction(1, 3 ** 400)                      # a denominator of 634 bits
    assert Interval(third, third).lo == third
    shifted = Interval(third, third) + Interval(1.0, 1.0)
    assert shifted.lo.__class__ is float and shifted.hi.__class__ is float
    assert shifted.lo < 1 + third < shifted.hi and math.nextafter(shifted.lo, math.inf) == shifted.hi
    product = Interval(Fraction(1, 3 ** 100), Fraction(1, 3 ** 100)) * Interval(Fraction(1, 3 ** 100), Fraction(1, 3 ** 100))   # 2 x 159 bits
    assert product.lo <= Fraction(1, 3 ** 200) <= product.hi and product.lo.__class__ is float
    huge = Interval(Fraction(10 ** 400), Fraction(10 ** 400)) * Interval(1.0, 1.0)    # beyond the floats
    assert huge == Interval(MAX_FLOAT, math.inf)
    assert Interval(Fraction(-10 ** 400), Fraction(-10 ** 400)) * Interval(1.0, 1.0) == Interval(-math.inf, -MAX_FLOAT)


def test_mixed_ends_compare_exactly():
    # The float 0.1 is a little more than 1/10.
    assert Interval(Fraction(1, 10), 1.0).contains(Interval(0.1, 1.0))
    assert not Interval(0.1, 1.0).contains(Interval(Fraction(1, 10), 1.0))
    assert str(Interval(Fraction(-1, 1000), math.inf)) == "[-0.001, inf)"


# ---- literals and bounds are the decimals written ----------------------------------------


def test_decimal_values():
    assert decimal_value("0.1") == Fraction(1, 10)
    assert decimal_value("0.5").__class__ is float and decimal_value("2").__class__ is float
    assert decimal_value("1e30") == 10 ** 30 and decimal_value("1e30").__class__ is Fraction
    assert decimal_value("0e-9999999") == 0.0
    assert decimal_value("1e-9999999") is None and decimal_value("1e9999999") is None


def test_a_shifted_parameter_keeps_an_exact_zero_end():
    result = _rules("(c + 0.001) * square(x)", assume=["c >= -0.001"])
    assert result.verdict == "convex"
    factor = _step(result, "c + 0.001").range
    assert factor == Interval(0.0, math.inf) and factor.lo.__class__ is float
    assert _step(result, "c").range.lo == Fraction(-1, 1000)


def test_a_shifted_parameter_with_the_check_on():
    result = certify("(c + 0.001) * square(x)", wrt="x", assume=["c >= -0.001"])
    assert result.verdict == "convex" and result.is_convex is True


def test_big_integers_cancel_exactly():
    result = _rules("(1e30 + 1 - 1e30 - 1) * square(x)")
    assert result.verdict == "constant" and result.proof.root.range.is_zero


def test_decimal_literals_cancel_exactly():
    result = _rules("(0.3 - 0.1 - 0.2) * 1e30 * square(x)")
    assert result.verdict == "constant"
    assert _step(result, "0.3 - 0.1 - 0.2").range == Interval(0.0, 0.0)
    assert result.proof.root.range == Interval(0.0, 0.0)
    assert _step(result, "0.1").range.lo == Fraction(1, 10)


def test_bounds_written_as_decimals_are_exact():
    result = _rules("c * x", assume=["0.1 <= c <= 0.3"])
    assert _step(result, "c").range == Interval(Fraction(1, 10), Fraction(3, 10))
    assert _step(_rules("c * x", assume=["c > 0.1"]), "c").range.lo_open


# ---- hostile literals ----------------------------------------------------------------------


@pytest.mark.parametrize("expr, text, expected", [
    ("x * 1e-9999999", "1e-9999999", Interval(0.0, TINY, lo_open=True, hi_open=True)),
    ("x * 1e9999999", "1e9999999", Interval(MAX_FLOAT, math.inf, lo_open=True)),
    ("x * 1e400", "1e400", Interval(MAX_FLOAT, math.inf, lo_open=True)),
    ("x * 0e-9999999", "0e-9999999", Interval(0.0, 0.0)),
    ("x * 1" + "0" * 5000, "1" + "0" * 5000, Interval(MAX_FLOAT, math.inf, lo_open=True)),
    # float(1/3) is below 1/3, and 5000 threes are within 1e-5000 of it: just above the float.
    ("x * 0." + "3" * 5000, "0." + "3" * 5000, Interval(1 / 3, math.nextafter(1 / 3, 1), True, True)),
])
def test_hostile_literals_finish_fast_with_sound_ranges(expr, text, expected):
    start = time.perf_counter()
    result = _rules(expr)
    assert time.perf_counter() - start < 2
    assert _step(result, "number").range == expected
    assert result.verdict == ("constant" if expected.is_zero else "affine")


def test_a_hostile_literal_with_the_check_on():
    start = time.perf_counter()
    result = certify("x * 1e-9999999 + square(x)", wrt="x")
    assert time.perf_counter() - start < 30
    assert result.verdict == "convex" and result.is_convex is True


def test_tiny_bounds_bound_by_the_gap_they_lie_in():
    # x >= 1e-9999999 means x > 0, so log(x) needs no domain condition.
    result = _rules("log(x)", assume=["x >= 1e-9999999"])
    assert _step(result, "x").range == Interval(0.0, math.inf, lo_open=True)
    assert result.verdict == "concave" and not result.domain


@pytest.mark.parametrize("bound, column", [("W >= 1e400", 6), ("W <= -1e9999999", 6),
                                           ("-1e9999999 <= W <= 1", 1)])
def test_bounds_beyond_the_floats_are_refused(bound, column):
    start = time.perf_counter()
    with pytest.raises(AssumptionError, match="^the bound -?1e[0-9]+ is too large") as info:
        _rules("W * x", assume=[bound])
    assert time.perf_counter() - start < 2
    assert info.value.column == column


def test_a_script_bound_beyond_the_floats_is_refused_with_a_caret():
    with pytest.raises(AssumptionError, match="the bound 1e400 is too large") as info:
        Session().run("assume W >= 1e400")
    assert (info.value.line, info.value.column) == (1, 13)


@pytest.mark.parametrize("expr, column, message", [
    ("leaky_relu(x, alpha=1e-9999999)", 21, "an exponent too far outside the floats"),
    ("x ^ 1e400", 5, "the number 1e400 is too large for a float"),
    ("x[1e-9999999]", 3, "an index must be an integer constant"),
    ("x ^ (2 ^ 0.5)", 5, "the constant 2\\^0.5 is not a rational number"),
])
def test_constants_dcp_cannot_hold_exactly_are_refused(expr, column, message):
    start = time.perf_counter()
    with pytest.raises(ArgumentError, match=message) as info:
        _rules(expr)
    assert time.perf_counter() - start < 2
    assert info.value.column == column


def test_constants_fold_exactly():
    assert _rules("huber(x, M=1e308)").verdict == "convex"      # an even integer, as its float
    result = _rules("x ^ (0.1 + 0.2)")
    assert dict(result.proof.root.kwargs)["p"] == Fraction(3, 10)  # not 0.30000000000000004
    assert dict(_rules("x ^ (2 ^ -1)").proof.root.kwargs)["p"] == 0.5


# ---- division by a zero constant ----------------------------------------------------------


@pytest.mark.parametrize("expr, denominator, start, end", [
    ("x + 1/0", "0", 4, 7),
    ("x/(1 - 1)", "1 - 1", 0, 9),
    ("x / (0.3 - 0.1 - 0.2) + 1", "0.3 - 0.1 - 0.2", 0, 21),
    ("square(x) + x / c", "c", 12, 17),
])
def test_division_by_a_zero_constant_is_an_error_with_a_caret(expr, denominator, start, end):
    with pytest.raises(ArgumentError) as info:
        _rules(expr, assume=["0 <= c <= 0"] if "c" in expr else [])
    error = info.value
    expected = "division by zero" if denominator == "0" else f"division by zero: `{denominator}` is 0"
    assert error.message == expected
    assert (error.span.start, error.span.end) == (start, end)
    assert error.column == start + 1 and "^" * (end - start) in str(error)


def test_division_by_a_nonzero_constant_is_fine():
    assert _rules("x / (0.3 - 0.1)").verdict == "affine"
    assert _rules("x / c", assume=["c > 0"]).verdict == "affine"


# ---- the kernel agrees with exact leaf ranges ------------------------------------------


def test_the_kernel_accepts_exact_literals_and_rejects_a_narrower_one():
    proof = _rules("0.1 * square(x)").proof
    check_proof(proof)
    # The float nearest 0.1 is not 1/10: a literal's range must hold the decimal itself.
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(tamper(proof, "0.1", range=Interval(0.1, 0.1)))


def test_the_kernel_rejects_a_division_by_zero():
    proof = _rules("x / c", assume=["c >= 1"]).proof
    # The analysis refuses such a division; a proof that claims one anyway must not check.
    bad = dataclasses.replace(tamper(proof, "c", range=Interval(0.0, 0.0)), bounds={"c": Interval(0.0, 0.0)})
    with pytest.raises(ProofCheckError, match="divides by zero"):
        check_proof(bad)


# ---- input validation ----------------------------------------------------------------------


@pytest.mark.parametrize("shape", [[True], True, (2, False)])
def test_a_bool_is_no_dimension(shape):
    with pytest.raises(DcpError, match="shape of `x`"):
        certify("x", wrt="x", shapes={"x": shape}, check=False)


def test_a_repeated_parameter_is_refused_with_a_caret():
    with pytest.raises(ArgumentError, match="parameter `t` of `f` is named twice") as info:
        Session().run("define f(t, t) = t")
    assert (info.value.line, info.value.column) == (1, 13)


@pytest.mark.parametrize("params, message", [
    (("t", "t"), "parameter `t` of `f` is named twice"),
    (("a", 1), "a parameter of `f` must be a name, got 1"),
])
def test_session_define_checks_its_parameters(params, message):
    with pytest.raises(DcpError, match=message):
        Session().define("f", params, "a")


def test_the_repl_reports_a_repeated_parameter_and_goes_on():
    repl = Repl()
    error = repl.execute("define f(t, t) = t")
    assert error.startswith("error: parameter `t` of `f` is named twice")
    assert "1 | define f(t, t) = t\n  |             ^" in error
    repl.execute(":wrt x")
    assert "verdict: affine" in repl.execute("x + 1")


def test_json_gives_exact_ends_rounded_outward():
    import json

    from dcp.render import render
    result = _rules("c * x + 0.1", assume=["c >= 0.001"])
    ranges = {step["text"]: step["range"] for step in json.loads(render(result, "json"))["proof"]["steps"]}
    assert ranges["0.1"]["lo"] <= Fraction(1, 10) <= ranges["0.1"]["hi"]
    assert ranges["0.1"]["lo"] < ranges["0.1"]["hi"] and ranges["0.1"]["text"] == "{0.1}"
    assert ranges["c"]["lo"] < Fraction(1, 1000) and ranges["c"]["hi"] == "inf"


@pytest.mark.parametrize("expr, rule", [
    ("1.00000000000000001 / (1 + exp(-x))", "reciprocal"),   # not sigmoid: 1 is not the 1 written
    ("1 / (1 + exp(-x))", "rewrite"),
    ("max(x, 1e-9999999)", "composition"),                  # not relu
    ("max(x, 0)", "rewrite"),
])
def test_idioms_match_the_exact_literal(expr, rule):
    assert _rules(expr).proof.root.rule == rule


def test_a_user_atom_body_with_a_hostile_literal_is_refused_fast():
    start = time.perf_counter()
    with pytest.raises(DcpError, match="the constant 1e-9999999 has too many digits"):
        Session().define("f", "t", "t * 1e-9999999")
    assert time.perf_counter() - start < 5


def test_a_user_atom_keyword_must_be_a_constant():
    with pytest.raises(DcpError, match="`alpha` of leaky_relu must be a numeric constant"):
        Session().define("g", "t", "leaky_relu(t, alpha=t)")


@pytest.mark.parametrize("text, expected", [
    ("1e-9999999", (0.0, 5e-324, True, True)),
    ("-1e-9999999", (-5e-324, 0.0, True, True)),
    ("1e9999999", (MAX_FLOAT, math.inf, True, True)),
    ("0." + "3" * 500, None),            # 500 digits: not kept exactly; the gap is found
])
def test_a_literal_not_kept_exactly_lies_strictly_inside_its_float_gap(text, expected):
    from decimal import Decimal
    lo, hi, lo_open, hi_open = Number(float(text), text).enclosure()
    assert lo_open and hi_open and math.nextafter(lo, math.inf) == hi
    assert Decimal(lo) < Decimal(text) < Decimal(hi)
    if expected is not None:
        assert (lo, hi, lo_open, hi_open) == expected


@pytest.mark.parametrize("expr, verdict", [("x + 1e309", "affine"), ("exp(x) + 1e399", "convex"),
                                           ("x - 1e399", "affine"), ("log(x) + 1e309", "concave")])
def test_a_huge_constant_beside_an_infinite_end_is_fine(expr, verdict):
    assert certify(expr, wrt="x").verdict == verdict


@pytest.mark.parametrize("expr", ["-(1e308 * (1e308 * relu(x - 2e-324)))", "-(1e308 * (1e308 * abs(x)))"])
def test_no_witness_outside_a_bound_that_is_not_a_float(expr):
    """`|x| <= 1e-9999999` holds only x = 0 among the floats: no witness may use 5e-324."""
    result = certify(expr, wrt="x", assume=["-1e-9999999 <= x <= 1e-9999999"])
    assert result.witness is None and result.is_convex is not False


@given(st.sampled_from(["", "-", "+"]), st.text("0123456789", max_size=8),
       st.text("0123456789", max_size=8))
def test_short_decimals_read_in_integers_are_the_decimal_written(sign, whole, fraction):
    """The integer fast path of decimal_value agrees with the exact value of the decimal."""
    from decimal import Decimal

    from dcp.syntax.ast import decimal_value
    text = f"{sign}{whole}.{fraction}"
    if not (whole + fraction):
        return
    exact = Fraction(Decimal(text))
    value = decimal_value(text)
    assert value == exact
    assert isinstance(value, float) == (float(exact) == exact)


@pytest.mark.parametrize("exponent", ["9" * 300, "-" + "9" * 300])
def test_a_literal_whose_exponent_is_past_decimals_range_is_held_like_any_huge_or_tiny_one(exponent):
    """``1e999...9`` (300 digits) is past even Decimal's exponents: it is handled like
    ``1e400`` or ``1e-9999999`` (found by Hypothesis: it used to crash the reader)."""
    from dcp.syntax.ast import Number
    from dcp.syntax.parser import parse_assumptions
    text = "1e" + exponent
    lo, hi, lo_open, hi_open = Number(float(text), text).enclosure()
    assert lo_open and hi_open and (hi == math.inf if exponent[0] == "9" else (lo, hi) == (0.0, 5e-324))
    assert certify(f"x + {text}", wrt="x", check=False).verdict == "affine"
    if exponent[0] == "-":
        assert parse_assumptions(f"x <= {text}")[0].key() == ("x", None, 5e-324, False, True)


def test_a_tower_refused_low_down_is_refused_at_its_lowest_refused_power():
    # Every exponent of the tower is folded; the refusal of 2^2^2^2^2 is remembered, so the
    # folds above it refuse at once (they walked down to it again: quadratic), with the
    # same message and place.
    text = "x" + "^2" * 3000
    with pytest.raises(DcpError, match=r"the constant 2\^2\^2\^2\^2 is too large or too small") as info:
        certify(text, wrt="x", check=False)
    assert (info.value.span.start, info.value.span.end) == (len(text) - 9, len(text))
