"""Rigorous numbers (issue 12): atom ranges are enclosures, and a witness is a proof.

Ranges are checked against values computed independently of the atoms' hand-written
``enclose``: the atom's SymPy formula evaluated in Arb balls, with the precision raised
until the ball is narrow. Witnesses are re-checked the same way.
"""
from __future__ import annotations

import math
from fractions import Fraction
from functools import lru_cache, reduce
from types import SimpleNamespace

import pytest
from flint import arb, ctx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dcp import certify
from dcp.atoms import ScalarAtom, all_atoms
from dcp.facts import Interval
from dcp.facts.balls import precision, to_arb
from dcp.ops import ARB, inside
from dcp.syntax.ast import Number

VARIANTS = {"power": [{"p": p} for p in (2.0, 3.0, 1.5, 0.5, -1.0, -2.0, 0.0)],
            "elu": [{"alpha": a} for a in (1.0, 0.0, 2.0, -0.5)],
            "leaky_relu": [{"alpha": a} for a in (0.01, 2.0, -1.0)],
            "huber": [{"M": 1.0}, {"M": 1e-3}],
            "celu": [{"alpha": a} for a in (1.0, Fraction(1, 10), 3.0)],
            "hard_sigmoid": [{"alpha": Fraction(1, 5), "beta": 0.5}, {"alpha": Fraction(1, 6), "beta": 0.5},
                             {"alpha": 3.0, "beta": Fraction(-7, 10)}],
            "hardtanh": [{"min_val": -1.0, "max_val": 1.0}, {"min_val": Fraction(1, 10), "max_val": Fraction(7, 3)}]}


# ---- an independent reference: the atom's SymPy formula evaluated in balls ----------------


@lru_cache(maxsize=None)
def arb_formula(formula: str, keys: tuple[str, ...]):
    """A formula (SymPy syntax, argument ``x``) as a function of an Arb ball and its
    keywords, and the branch tests it contains (each a function whose ball must not
    straddle 0: a ``Piecewise`` takes one branch, and a ball across a branch boundary would
    take the wrong one for part of it)."""
    import sympy
    x = sympy.Symbol("x", real=True)
    symbols = {"x": x, **{k: sympy.Symbol(k, real=True) for k in keys}}
    expression = sympy.sympify(formula, locals=symbols)
    arguments = [x, *[symbols[k] for k in keys]]
    names = {name: (lambda method: lambda v: getattr(_as_arb(v), method)())(name)
             for name in ("exp", "log", "sqrt", "log1p", "expm1", "erf", "erfc", "tanh", "cosh",
                                  "sinh", "asinh", "atanh")}
    names.update({"abs": abs, "max": lambda *v: reduce(lambda p, q: _as_arb(p).max(q), v),
                  "min": lambda *v: reduce(lambda p, q: _as_arb(p).min(q), v),
                  "mpf": _mpf, "pi": _as_arb(0).pi(), "e": _as_arb(1).exp()})
    # The mpmath printer writes numbers as mpf((sign, mantissa, exponent, bits)): exact.
    function = sympy.lambdify(arguments, expression, modules=[names, "mpmath"])
    tests = [sympy.lambdify(arguments, r.lhs - r.rhs, modules=[names, "mpmath"])
             for r in expression.atoms(sympy.core.relational.Relational)]
    return function, tests


def _mpf(value):
    """An mpmath number as SymPy's printer writes it (an int, or a (sign, mantissa,
    exponent, bits) tuple) as an Arb ball."""
    from flint import arb, fmpz
    if isinstance(value, tuple):
        sign, mantissa, exponent, _ = value
        return (-1) ** sign * arb(fmpz(mantissa)) * arb(2) ** exponent
    return arb(value)


def _as_arb(value):
    from flint import arb
    return value if isinstance(value, arb) else arb(value)


def _scalar_cases():
    for atom in all_atoms():
        if isinstance(atom, ScalarAtom):
            for kw in VARIANTS.get(atom.name, [dict(atom.keywords)]):
                yield pytest.param(atom, kw, id=f"{atom.name}{kw or ''}")


def _reference(atom, kw, t):
    """f(t) from the atom's formula in Arb, at rising precision until the ball is narrow
    (None if it never is, or t is outside the domain); a keyword enters as a ball holding
    its exact value."""
    if t not in atom.domain(0, kw):
        return None
    keys = tuple(sorted(kw))
    function, _ = arb_formula(atom.formula, keys)
    for bits in (256, 1024, 4096):
        with precision(bits):
            try:
                ball = to_arb(function(to_arb(t), *[to_arb(kw[k]) for k in keys]))
            except (ZeroDivisionError, ValueError):
                return None
            if ball.is_finite() and (ball.rel_accuracy_bits() > 60 or ball.is_exact()):
                return ball
    return None


def _holds(range_, ball) -> bool:
    """Whether the ball is not certainly outside the interval (ends float or Fraction)."""
    lo, hi = to_arb(range_.lo), to_arb(range_.hi)
    below = (ball <= lo) if range_.lo_open else (ball < lo)
    above = (ball >= hi) if range_.hi_open else (ball > hi)
    return range_.lo == -math.inf or not below, range_.hi == math.inf or not above


_FAR = [(-40.0, -3.0), (1e10, 1e300), (-1e-300, 1e-300), (-1e300, -1e10), (-3.0, 3.0),
        (0.0, 1e-200), (2.0, 3.0)]


@st.composite
def _regions(draw):
    lo_bound, hi_bound = draw(st.sampled_from(_FAR))
    ends = sorted(draw(st.lists(st.floats(lo_bound, hi_bound), min_size=2, max_size=2)))
    lo, hi = ends
    if draw(st.booleans()):                   # an exact non-dyadic end (contract 1)
        lo = Fraction(lo).limit_denominator(10**6) - Fraction(1, 3)
    if draw(st.booleans()):
        hi = math.inf if draw(st.booleans()) else hi
    return lo, hi, draw(st.booleans()), draw(st.booleans())


@pytest.mark.parametrize("atom,kw", list(_scalar_cases()))
@settings(max_examples=25, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(region=_regions(), fractions=st.lists(st.floats(0, 1), min_size=3, max_size=3))
def test_ranges_enclose_values_at_high_precision(atom, kw, region, fractions):
    lo, hi, lo_open, hi_open = region
    if not lo <= hi or (lo == hi and (lo_open or hi_open)):
        return
    try:
        whole = Interval(lo, hi, lo_open, hi_open)
    except ValueError:
        return
    part = whole.intersect(atom.domain(0, kw))
    if part is None:
        return
    enclosure = atom.range([part], kw)
    points = [part.lo] if not part.lo_open else []
    points += [part.hi] if not part.hi_open and math.isfinite(part.hi) else []
    if math.isfinite(part.hi):
        points += [float(part.lo) + f * (float(part.hi) - float(part.lo)) for f in fractions]
    else:
        points += [float(part.lo) + f * 10.0 ** (300 * f) for f in fractions]
    for t in points:
        if not (math.isfinite(t) and t in part):
            continue
        value = _reference(atom, kw, t)
        if value is not None:
            assert _holds(enclosure, value) == (True, True), (part, t, value, enclosure)


@pytest.mark.parametrize("atom,kw", list(_scalar_cases()))
def test_bounds_at_fraction_ends_enclose_the_exact_value(atom, kw):
    for t in (Fraction(1, 3), Fraction(-7, 3), Fraction(10**6 + 1, 10**5)):
        if t not in atom.domain(0, kw):
            continue
        value = _reference(atom, kw, t)
        if value is not None:
            assert not value < to_arb(atom._bound(t, kw, down=True))
            assert not value > to_arb(atom._bound(t, kw, down=False))


def test_enclose_is_nan_outside_the_domain_and_for_balls_across_its_edge():
    from dcp.atoms import lookup
    with precision(128):
        assert lookup("log", 1).enclose(arb("[0 +/- 1e-10]"), {}).is_nan()
        assert lookup("sqrt", 1).enclose(arb(-1), {}).is_nan()
        assert lookup("power", 2).enclose(arb("[0 +/- 1]"), {"p": 0.5}).is_nan()
        # Integer powers of a ball across 0 keep their sign; odd ones their order.
        assert lookup("power", 2).enclose(arb("[0 +/- 1]"), {"p": 2.0}) >= 0
        assert lookup("square", 1).enclose(arb("[0 +/- 1]"), {}) >= 0


def _gelu_float(t: float) -> float:
    """gelu as dcp once computed its range ends: in floats, widened by 2 ulps."""
    return t * 0.5 * math.erfc(-t / math.sqrt(2))


def test_gelu_constant_with_a_float_misleading_sign_gets_the_true_verdict():
    # K sits between the float value of gelu(-5) and the true one: floats give
    # gelu(-5) + K one sign (with 2 ulps either side), the truth the other.
    g = _gelu_float(-5.0)
    with precision(256):
        true = arb(-5) * (arb(5) / arb(2).sqrt()).erfc() / 2
    middle = (g + float(true.mid())) / 2
    text = repr(-middle)
    with precision(256):
        exact = true + arb(text)
    float_lo = math.nextafter(math.nextafter(g, -math.inf), -math.inf) + float(text)
    float_hi = math.nextafter(math.nextafter(g, math.inf), math.inf) + float(text)
    assert (float_hi < 0 and exact > 0) or (float_lo > 0 and exact < 0)   # the attack is real
    result = certify(f"1e20 * (gelu(-5) + {text}) * square(x)", wrt="x", check=False)
    assert result.verdict == ("convex" if exact > 0 else "concave")


@pytest.mark.parametrize("expr,assume", [
    ("log1p(x)/x", ["x > 0", "x <= 1"]),
    ("(exp(x) - 1)/x", ["x > 0"]),
])
def test_convex_functions_that_cancel_are_never_disproved(expr, assume):
    result = certify(expr, wrt="x", assume=assume)
    assert result.verdict != "nonconvex"
    assert result.is_convex is not False
    witness = result.witness
    assert witness is None or witness.kind == "concave"


def test_cancellation_near_zero_is_not_a_witness():
    """The attack itself: points near 1e-213, where the float gap is all rounding."""
    result = certify("(exp(x) - 1)/x", wrt="x", assume=["x > 0"], check=False)
    search = _search(result)
    a, b = 1e-213, 3e-213
    assert search.confirm("convex", {"x": ()}, {}, {"x": _scalar(a)}, {"x": _scalar(b)}, 0.5, ()) is None


def _scalar(value):
    import numpy as np
    return np.array(value)


def _search(result):
    from dcp.check import Budget, Search, infer_shapes
    proof = result.proof
    solutions = infer_shapes(proof)
    return Search(proof, solutions, proof.wrt, proof.bounds, Budget(), 0)


def test_a_certified_concave_scaled_log1p_raises_no_soundness_error():
    assert certify("1e100 * log1p(x)", wrt="x").verdict == "concave"


def test_literals_are_the_decimals_written():
    result = certify("(0.3 - 0.1 - 0.2) * 1e30 * square(x)", wrt="x")
    assert result.witness is None and result.verdict != "nonconvex"
    with precision(128):
        (tenth,) = ARB.literal(Number(0.1, "0.1"), 1)
        assert (tenth * 10).contains(1) and not tenth.contains(arb(0.1))


def test_huge_decimal_exponents_are_not_expanded():
    import time
    started = time.perf_counter()
    with precision(128):
        # The literal as the parser hands it over (its text and its float).
        (tiny,) = ARB.literal(Number(0.0, "1e-9999999"), 1)
        (huge,) = ARB.literal(Number(math.inf, "1e9999999"), 1)
    assert time.perf_counter() - started < 1
    assert tiny.contains(arb("1e-9999999")) and tiny.rad() < 1e-320 and not huge.is_finite()


@pytest.mark.parametrize("expr,wrt", [("sigmoid(x)", "x"), ("square(x) - 2*square(y)", ["x", "y"])])
def test_true_violations_get_a_witness_whose_gap_is_proved(expr, wrt):
    result = certify(expr, wrt=wrt)
    witness = result.witness
    # (sigmoid is monotone: quasilinear, SPEC section 10, and not convex)
    assert result.is_convex is False and witness is not None
    assert arb(witness.gap_ball) > 0
    assert witness.gap > 0 and witness.lhs > witness.rhs


def test_a_sigmoid_witness_holds_when_recomputed_from_its_numbers():
    import numpy as np
    witness = certify("sigmoid(x)", wrt="x").witness
    with precision(256):
        def f(t):
            return 1 / (1 + (-t).exp())
        theta = arb(witness.theta)
        a = arb(float(np.asarray(witness.a["x"])[witness.entry]))
        b = arb(float(np.asarray(witness.b["x"])[witness.entry]))
        gap = f(theta * a + (1 - theta) * b) - (theta * f(a) + (1 - theta) * f(b))
    assert gap > 0


def test_range_ends_need_no_arb_at_infinite_ends():
    # Limits at +-inf are exact: exp on the reals is (0, inf), not a rounded ball.
    from dcp.atoms import lookup
    from dcp.facts import REALS
    assert lookup("exp", 1).range([REALS], {}) == Interval(0.0, math.inf, lo_open=True)
    assert lookup("sigmoid", 1).range([REALS], {}) == Interval(0.0, 1.0, True, True)
    assert ctx.prec == 53                          # precision() restores Arb's setting


def test_a_rules_only_call_imports_arb_only_for_a_value_at_a_finite_point():
    import subprocess
    import sys
    code = ("import sys; from dcp import certify; "
            "certify('sigmoid(x) + exp(x) - log(x)', wrt='x', check=False); print('flint' in sys.modules); "
            "certify('gelu(x)', wrt='x', assume=['x >= 3'], check=False); print('flint' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


def test_limits_at_infinite_ends_are_not_rounded_inward():
    from dcp.atoms import lookup
    from dcp.facts import REALS
    from dcp.atoms.elementwise import SELU_ALPHA, SELU_SCALE
    low = lookup("selu", 1).range([REALS], {}).lo
    assert Fraction(low) <= -Fraction(SELU_SCALE) * Fraction(SELU_ALPHA)


def test_inside_takes_fraction_ends_and_balls_only_when_wholly_inside():
    import numpy as np
    # Ends as the exact engineer's Interval keeps them (a Fraction for 1/3).
    third = SimpleNamespace(lo=Fraction(1, 3), hi=1.0, lo_open=True, hi_open=False)
    floats = np.array([0.3333333333333333, 0.33333333333333337, 1.0, 1.5])
    assert inside(floats, third).tolist() == [False, True, True, False]
    with precision(128):
        balls = np.array([arb(1) / 3, arb("[0.5 +/- 0.1]"), arb("[1 +/- 1e-30]")], dtype=object)
        assert inside(balls, third).tolist() == [False, True, False]


def test_ball_max_and_min_enclose_the_true_extremes():
    import numpy as np
    with precision(128):
        rows = np.array([[arb("[1 +/- 0.5]"), arb("[1.2 +/- 0.1]"), arb(-3)]], dtype=object)
        (top,) = ARB.largest(rows, axis=1)
        (bottom,) = ARB.smallest(rows, axis=1)
    assert top.contains(1.5) and top.contains(1.1) and not top.contains(1.0)
    assert bottom.contains(-3) and bottom.is_exact()


# ---- elementwise atoms of two arguments: ranges on random boxes -----------------------------

def _two_argument_atoms():
    from dcp.atoms.relative import Elementwise2
    return [pytest.param(atom, id=atom.name) for atom in all_atoms() if isinstance(atom, Elementwise2)]


@lru_cache(maxsize=None)
def _mpmath_formula(formula: str):
    import sympy
    x, y = sympy.symbols("x y", positive=True)
    return sympy.lambdify((x, y), sympy.sympify(formula, locals={"x": x, "y": y}), modules="mpmath")


def _reference2(atom, s, t):
    """f(s, t) from the atom's formula in mpmath at 60 digits, as a ball a little wider
    than its error (None at x = 0, where the formula is the limit)."""
    import mpmath
    if s == 0:
        return None
    with mpmath.workdps(60):
        value = _mpmath_formula(atom.formula)(mpmath.mpf(Fraction(s).numerator) / Fraction(s).denominator,
                                              mpmath.mpf(Fraction(t).numerator) / Fraction(t).denominator)
        text = mpmath.nstr(value, 55)
    with precision(256):
        middle = arb(text)
        return middle + arb(0, abs(middle) * arb("1e-50") + arb("1e-300"))


@pytest.mark.parametrize("atom", _two_argument_atoms())
@settings(max_examples=60, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(first=_regions(), second=_regions(), fractions=st.lists(st.floats(0, 1), min_size=4, max_size=4))
def test_two_argument_ranges_enclose_values_on_random_boxes(atom, first, second, fractions):
    """Boxes far out, tiny, with exact non-dyadic ends, open and closed: the declared range
    holds the formula's value at the box's corners and inside."""
    parts = []
    for index, (lo, hi, lo_open, hi_open) in enumerate((first, second)):
        if not lo <= hi or (lo == hi and (lo_open or hi_open)):
            return
        try:
            part = Interval(lo, hi, lo_open, hi_open).intersect(atom.domain(index, {}))
        except ValueError:
            return
        if part is None:
            return
        parts.append(part)
    enclosure = atom.range(parts, {})

    def points(part, f, g):
        ends = [e for e, is_open in ((part.lo, part.lo_open), (part.hi, part.hi_open))
                if not is_open and math.isfinite(e)]
        hi = float(part.hi) if math.isfinite(part.hi) else float(part.lo) + 10.0 ** (300 * g)
        return ends + [float(part.lo) + f * (hi - float(part.lo))]
    for s in points(parts[0], fractions[0], fractions[1]):
        for t in points(parts[1], fractions[2], fractions[3]):
            if not (math.isfinite(s) and math.isfinite(t) and s in parts[0] and t in parts[1]):
                continue
            value = _reference2(atom, s, t)
            if value is not None and value.is_finite():
                assert _holds(enclosure, value) == (True, True), (parts, s, t, value, enclosure)
