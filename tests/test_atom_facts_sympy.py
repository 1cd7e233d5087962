"""Every scalar atom's declared facts, derived from its SymPy formula.

For each interval where an atom declares itself convex, concave, nondecreasing or
nonincreasing, SymPy is asked for the points of that interval where the second (or
first) derivative has the wrong sign; the answer must be the empty set. Where SymPy
cannot decide, or the formula has kinks (no derivative there), the argument is stated
here and the fact is checked densely at 40 digits (tests/test_atoms.py).
"""
from __future__ import annotations

from fractions import Fraction

import pytest
import sympy

from dcp.atoms import ScalarAtom, all_atoms
from dcp.facts import REALS, Interval

x = sympy.Symbol("x", real=True)

VARIANTS = {"power": [{"p": p} for p in (2.0, 3.0, 4.0, 1.5, 0.5, 0.25, -1.0, -0.5)]}

# Atoms made of pieces: each fact follows from the pieces and the slopes at the kinks.
KINKS = {
    "relu": "max of the affine pieces 0 and x: convex; both pieces nondecreasing.",
    "abs": "max of x and -x: convex; -x on x <= 0, x on x >= 0.",
    "hardtanh": "min(max(x, min_val), max_val), min_val < max_val: max(x, min_val) is convex, "
                "and equals hardtanh for x <= max_val; min(x, max_val) is concave and equals it "
                "for x >= min_val; every piece is nondecreasing.",
    "hard_sigmoid": "max(0, min(1, alpha x + beta)), alpha > 0: max(0, alpha x + beta) (convex) "
                    "for x <= (1 - beta)/alpha, min(1, alpha x + beta) (concave) for x >= "
                    "-beta/alpha; every piece is nondecreasing "
                    "(test_hard_sigmoid_is_a_max_then_a_min_of_affine_pieces).",
    "celu": "x for x >= 0; alpha (e^(x/alpha) - 1) for x < 0, with f'' > 0 there and slope 1 "
            "at 0 from both sides: convex for every alpha > 0 (test_celu_is_convex_for_every_alpha).",
    "relu6": "as hardtanh, with the knees at 0 and 6.",
    "softsign": "x/(1+|x|) is smooth except at 0; its second derivative is 2/(1-x)^3 > 0 "
                "for x < 0 and -2/(1+x)^3 < 0 for x > 0; the derivative 1/(1+|x|)^2 > 0.",
    "leaky_relu": "max(x, alpha x) (alpha <= 1, convex) or min(x, alpha x) (alpha >= 1, "
                  "concave) of two affine pieces; slopes 1 and alpha give the monotonicity.",
    "elu": "x for x >= 0; alpha (e^x - 1) for x < 0, convex for alpha >= 0; the slopes meet "
           "at 0 as alpha and 1, so it is convex across 0 exactly when alpha <= 1.",
    "selu": "scale * elu(x, alpha) with alpha > 1: convex on each side, affine for x >= 0.",
    "huber": "x^2 on |x| <= M and 2M|x| - M^2 beyond, with matching value and slope at "
             "+-M: convex; the slope 2x (inside) and 2M sign(x) (outside) give monotonicity.",
}

# Facts SymPy's solveset leaves as a ConditionSet, with the argument that settles them.
ARGUMENTS = {
    ("gelu", "increasing_on"): "f'(x) = Phi(x) + x phi(x) and f''(x) = phi(x)(2 - x^2): f' "
        "increases on [-sqrt(2), sqrt(2)], is positive at the declared left end (checked at "
        "40 digits) and for x >= 0 is a sum of nonnegative terms; beyond sqrt(2), f' > 0.",
    ("gelu", "decreasing_on"): "f' increases on [-sqrt(2), sqrt(2)] and is negative at the "
        "declared right end; for x < -sqrt(2), Phi(x) < phi(x)/|x| (the Mills ratio bound) so "
        "f'(x) = Phi(x) - |x| phi(x) < 0.",
    ("silu", "convex_on"): "f''(x) = s(1-s)(2 + x(1 - 2s)) with s = sigmoid(x); 2 + x(1-2s) "
        "= 2 - x tanh(x/2) is even and decreasing in |x|, zero at the declared ends (rounded "
        "inward).",
    ("silu", "concave_on"): "f''(x) = s(1-s)(2 - x tanh(x/2)); x tanh(x/2) is even and, for "
        "x >= 0, a product of nonnegative increasing factors, so 2 - x tanh(x/2) <= 0 for "
        "|x| at least the declared ends (test_silu_curvature_changes_only_at_the_declared_ends).",
    ("silu", "increasing_on"): "f'(x) = s(1 + x(1 - s)) with s = sigmoid(x); 1 + x(1-s) "
        "increases for x >= -2.39... (its derivative is (1-s)(1 - x s) > 0 there) and is "
        "positive at the declared left end; it is positive for x >= 0.",
    ("silu", "decreasing_on"): "1 + x(1 - s) is negative at the declared right end and, "
        "for x <= -1.27..., stays negative: x(1-s) <= x / 2 ... <= -1 there (checked densely).",
    ("gelu_tanh", "convex_on"): "f''(x) = sech(u)^2 (c (1 + 6k x^2) - x u'^2 tanh u), even, and "
        "for x > 0 of the sign of (1 + 6k x^2)/(x (1 + 3k x^2)^2) - c tanh u, decreasing minus "
        "increasing: positive up to the declared end "
        "(test_gelu_tanh_curvature_changes_only_at_the_declared_ends).",
    ("gelu_tanh", "concave_on"): "the same factor is negative from the declared end on, and f'' "
        "is even (test_gelu_tanh_curvature_changes_only_at_the_declared_ends).",
    ("gelu_tanh", "increasing_on"): "f' = (1 + tanh u)/2 + x u' sech(u)^2/2 > 0 for x >= 0; f' "
        "increases on [-r, 0] (f'' > 0) and is positive at the declared left end "
        "(test_gelu_tanh_slope_changes_sign_once).",
    ("gelu_tanh", "decreasing_on"): "f' tends to 0 at -inf and decreases on (-inf, -r] (f'' < 0), "
        "so it is negative there; it increases on [-r, 0] and is negative at the declared "
        "right end (test_gelu_tanh_slope_changes_sign_once).",
}


def _interval(interval):
    lo = -sympy.oo if interval.lo == float("-inf") else sympy.Rational(interval.lo)
    hi = sympy.oo if interval.hi == float("inf") else sympy.Rational(interval.hi)
    return sympy.Interval(lo, hi, interval.lo_open, interval.hi_open)


def _cases():
    for atom in all_atoms():
        if not isinstance(atom, ScalarAtom):
            continue
        for kw in VARIANTS.get(atom.name, [dict(atom.keywords)]):
            yield pytest.param(atom, kw, id=f"{atom.name}{kw or ''}")


WRONG_SIGN = {"convex_on": (2, lambda d: d < 0), "concave_on": (2, lambda d: d > 0),
              "increasing_on": (1, lambda d: d < 0), "decreasing_on": (1, lambda d: d > 0)}


@pytest.mark.parametrize("atom,kw", list(_cases()))
def test_declared_facts_follow_from_the_formula(atom, kw):
    symbols = {"x": x, **{k: sympy.Rational(v) for k, v in kw.items()}}
    formula = sympy.sympify(atom.formula, locals=symbols)
    if formula.has(sympy.Piecewise, sympy.Max, sympy.Min, sympy.Abs):
        assert atom.name in KINKS, f"{atom.name} has kinks: state its argument in KINKS"
        return
    facts = atom.pieces(kw)
    for fact, (order, wrong) in WRONG_SIGN.items():
        derivative = sympy.diff(formula, x, order)
        if (atom.name, fact) in ARGUMENTS and facts[fact]:
            # Its proof is the argument stated (and its own test); SymPy's solveset only
            # says it cannot decide, after seconds. A dense sample keeps a safety net.
            _no_wrong_sign_sampled(atom.name, fact, derivative, wrong, facts[fact])
            continue
        derivative = sympy.simplify(derivative)
        for interval in facts[fact]:
            region = _interval(interval).intersect(_interval(facts["domain"][0]))
            violations = sympy.solveset(wrong(derivative), x, region)
            if violations is sympy.S.EmptySet:
                continue
            assert isinstance(violations, sympy.ConditionSet), (
                f"{atom.name} is not {fact} {interval}: SymPy finds {violations}")
            assert (atom.name, fact) in ARGUMENTS, (
                f"SymPy cannot decide {atom.name} {fact} {interval}: state the argument")


def _no_wrong_sign_sampled(name, fact, derivative, wrong, intervals) -> None:
    """The derivative has the fact's sign at 200 points of each interval (its infinite
    ends cut at +-50), evaluated at 30 digits."""
    import mpmath
    slope = sympy.lambdify(x, derivative, modules="mpmath")
    with mpmath.workdps(30):
        for interval in intervals:
            lo, hi = max(float(interval.lo), -50.0), min(float(interval.hi), 50.0)
            for point in mpmath.linspace(lo, hi, 200)[1:-1]:
                assert not wrong(slope(point)), f"{name} is not {fact} {interval}: see x = {point}"


def test_every_stated_argument_is_used():
    names = {atom.name for atom in all_atoms()}
    assert set(KINKS) <= names
    assert {name for name, _ in ARGUMENTS} <= names


@pytest.mark.parametrize("name", ["gelu", "silu", "entr", "gelu_tanh"])
def test_turning_points_lie_between_the_monotone_pieces(name):
    """f' changes sign inside the declared turning interval (checked at 40 digits), so the
    pieces on either side, rounded inward, are where the monotonicity holds."""
    import mpmath

    from dcp.atoms import lookup
    atom = lookup(name, 1)
    formula = sympy.sympify(atom.formula, locals={"x": x})
    slope = sympy.lambdify(x, sympy.diff(formula, x), modules="mpmath")
    facts = atom.pieces({})
    with mpmath.workdps(40):
        left = facts["decreasing_on"][0].hi if atom.turning[1] == "min" else facts["increasing_on"][0].hi
        right = facts["increasing_on"][0].lo if atom.turning[1] == "min" else facts["decreasing_on"][0].lo
        sign = 1 if atom.turning[1] == "min" else -1
        assert sign * slope(mpmath.mpf(left)) < 0 < sign * slope(mpmath.mpf(right))
        value = sympy.lambdify(x, formula, modules="mpmath")
        extreme = value(mpmath.findroot(slope, (mpmath.mpf(left) + mpmath.mpf(right)) / 2))
        image = facts["image"][0]
        assert (image.lo <= extreme) if sign > 0 else (extreme <= image.hi)


def test_silu_curvature_changes_only_at_the_declared_ends():
    """silu'' = s(1-s)(2 - x tanh(x/2)) (SymPy proves the identity), and 2 - x tanh(x/2)
    is even and decreasing in |x|: its sign at the declared ends (proved with Arb balls)
    decides convexity inside and concavity outside."""
    from flint import arb, ctx

    from dcp.atoms import lookup
    atom = lookup("silu", 1)
    formula = sympy.sympify(atom.formula, locals={"x": x})
    s = 1 / (1 + sympy.exp(-x))
    factor = 2 - x * sympy.tanh(x / 2)
    identity = sympy.diff(formula, x, 2) - s * (1 - s) * factor
    assert sympy.simplify(identity.rewrite(sympy.exp)) == 0
    assert sympy.simplify(factor.subs(x, -x) - factor) == 0
    facts = atom.pieces({})
    ctx.prec = 256
    try:
        def g(t):
            return 2 - arb(t) * (arb(t) / 2).tanh()
        (convex,) = facts["convex_on"]
        assert g(convex.hi) >= 0 and g(-convex.lo) >= 0
        left, right = facts["concave_on"]
        assert left.lo == float("-inf") and right.hi == float("inf")
        assert g(-left.hi) <= 0 and g(right.lo) <= 0
    finally:
        ctx.prec = 53


def _gelu_tanh_parts():
    """gelu_tanh's formula, and its c = sqrt(2/pi), k = 0.044715 and u = c (x + k x^3)."""
    from dcp.atoms import lookup
    c, k = sympy.sqrt(2 / sympy.pi), sympy.Rational(44715, 10 ** 6)
    return sympy.sympify(lookup("gelu_tanh", 1).formula, locals={"x": x}), c, k, c * (x + k * x ** 3)


def _gelu_tanh_balls():
    """In Arb balls at the working precision: the factor whose sign is that of
    gelu_tanh'' for x > 0, and f'."""
    from flint import arb
    c, k = (2 / arb.pi()).sqrt(), arb(44715) / 10 ** 6

    def factor(t):
        t = arb(t)
        return (1 + 6 * k * t * t) / (t * (1 + 3 * k * t * t) ** 2) - c * (c * (t + k * t * t * t)).tanh()

    def slope(t):
        t = arb(t)
        u = c * (t + k * t * t * t)
        return (1 + u.tanh()) / 2 + t * c * (1 + 3 * k * t * t) / (2 * u.cosh() ** 2)
    return factor, slope


def test_gelu_tanh_curvature_changes_only_at_the_declared_ends():
    """f'' = sech(u)^2 (c (1 + 6k x^2) - x u'^2 tanh u) and f'' is even (SymPy proves both).
    For x > 0, f'' has the sign of (1 + 6k x^2)/(x (1 + 3k x^2)^2) - c tanh u: its first
    term decreases (SymPy: its derivative is never >= 0) and tanh u increases (u' > 0),
    so the factor has one root r; its signs at the declared ends (Arb balls) put r between
    them: convex on [-r, r], concave outside."""
    from dcp.atoms import lookup
    from dcp.facts.balls import precision
    formula, c, k, u = _gelu_tanh_parts()
    du = sympy.diff(u, x)
    second = sympy.diff(formula, x, 2)
    claimed = sympy.sech(u) ** 2 * (c * (1 + 6 * k * x ** 2) - x * du ** 2 * sympy.tanh(u))
    assert sympy.simplify((second - claimed).rewrite(sympy.exp)) == 0
    assert sympy.simplify((second.subs(x, -x) - second).rewrite(sympy.exp)) == 0
    t = sympy.Symbol("t", positive=True)
    first_term = (1 + 6 * k * t ** 2) / (t * (1 + 3 * k * t ** 2) ** 2)
    assert sympy.solveset(sympy.diff(first_term, t) >= 0, t, sympy.Interval.open(0, sympy.oo)) is sympy.S.EmptySet
    assert du.is_positive
    facts = lookup("gelu_tanh", 1).pieces({})
    (convex,) = facts["convex_on"]
    left, right = facts["concave_on"]
    assert convex.lo == -convex.hi and left.hi == -right.lo
    assert left.lo == float("-inf") and right.hi == float("inf")
    with precision(256):
        factor, _ = _gelu_tanh_balls()
        assert factor(convex.hi) > 0 and factor(right.lo) < 0


def test_gelu_tanh_slope_changes_sign_once():
    """f' = (1 + tanh u)/2 + x u' sech(u)^2 / 2 (SymPy), a sum of a positive and a
    nonnegative term for x >= 0. f' tends to 0 at -inf (SymPy) and decreases on (-inf, -r]
    (f'' < 0 there), so it is negative there; on [-r, 0] it increases (f'' > 0): negative
    at the declared right end of the decreasing piece and positive at the left end of the
    increasing one (Arb balls), its one root lies between. The minimum, f at that root, is
    at least the declared lower end of the range: f(root) >= f(a) - (b - a) max |f'| on
    [a, b], the turning interval (mean value theorem, in balls)."""
    from flint import arb

    from dcp.atoms import lookup
    from dcp.facts.balls import precision, to_arb
    formula, c, k, u = _gelu_tanh_parts()
    first = sympy.diff(formula, x)
    split = (1 + sympy.tanh(u)) / 2 + x * sympy.diff(u, x) * sympy.sech(u) ** 2 / 2
    assert sympy.simplify((first - split).rewrite(sympy.exp)) == 0
    assert sympy.limit(first, x, -sympy.oo) == 0
    atom = lookup("gelu_tanh", 1)
    facts = atom.pieces({})
    (convex,) = facts["convex_on"]
    (down,), (up,) = facts["decreasing_on"], facts["increasing_on"]
    assert -convex.hi < down.hi < up.lo < 0 and atom.turning == (f"[{down.hi!r}, {up.lo!r}]", "min")
    with precision(256):
        _, slope = _gelu_tanh_balls()
        assert slope(down.hi) < 0 < slope(up.lo)
        a, b = to_arb(down.hi), to_arb(up.lo)
        at_a = a * (1 + ((2 / arb.pi()).sqrt() * (a + arb(44715) / 10 ** 6 * a ** 3)).tanh()) / 2
        steepest = abs(slope(a.union(b))).upper()
        assert at_a - (b - a) * steepest >= to_arb(facts["image"][0].lo)


def test_celu_is_convex_for_every_alpha():
    """Below 0, celu is alpha (e^(x/alpha) - 1): f'' = e^(x/alpha)/alpha > 0 and f' > 0 for
    every alpha > 0; at 0 it is 0 with slope 1, the value and slope of x above 0, so the
    slope never drops (convex on R) and it increases; it tends to -alpha at -inf and stays
    above (increasing), and is x >= 0 above 0: the range (-alpha, inf)."""
    from dcp.atoms import lookup
    alpha = sympy.Symbol("alpha", positive=True)
    formula = sympy.sympify(lookup("celu", 1).formula, locals={"x": x, "alpha": alpha})
    (right, right_where), (left, _) = formula.args
    assert right == x and right_where == (x >= 0)
    assert sympy.diff(left, x, 2).is_positive and sympy.diff(left, x).is_positive
    assert left.subs(x, 0) == 0 and sympy.diff(left, x).subs(x, 0) == 1
    assert sympy.limit(left, x, -sympy.oo) == -alpha
    for value in (0.5, 1.0, 3.0):
        facts = lookup("celu", 1).pieces({"alpha": value})
        assert facts["convex_on"] == (REALS,) and facts["increasing_on"] == (REALS,)
        assert facts["image"][0] == Interval(-value, float("inf"), lo_open=True)


def test_hard_sigmoid_is_a_max_then_a_min_of_affine_pieces():
    """Left of the declared right end of convexity, x = (1 - beta)/alpha - s with s >= 0,
    hard_sigmoid is max(0, 1 - alpha s): a max of affine functions, convex; right of the
    left end of concavity, x = -beta/alpha + s, it is min(1, alpha s), concave (SymPy
    simplifies both, for every alpha > 0 and beta). Each piece is nondecreasing in x."""
    from dcp.atoms import lookup
    alpha, beta = sympy.Symbol("alpha", positive=True), sympy.Symbol("beta", real=True)
    s = sympy.Symbol("s", nonnegative=True)
    atom = lookup("hard_sigmoid", 1)
    formula = sympy.sympify(atom.formula, locals={"x": x, "alpha": alpha, "beta": beta})
    assert sympy.simplify(formula.subs(x, (1 - beta) / alpha - s)) == sympy.Max(0, 1 - alpha * s)
    assert sympy.simplify(formula.subs(x, -beta / alpha + s)) == sympy.Min(1, alpha * s)
    for a, b in ((Fraction(1, 5), 0.5), (Fraction(1, 6), 0.5), (3.0, Fraction(-7, 10))):
        facts = atom.pieces({"alpha": a, "beta": b})
        (convex,), (concave,) = facts["convex_on"], facts["concave_on"]
        # The knees exactly: Fraction ends (or the floats that equal them).
        assert Fraction(convex.hi) == (1 - Fraction(b)) / Fraction(a)
        assert Fraction(concave.lo) == -Fraction(b) / Fraction(a)


# ---- elementwise atoms of two arguments ------------------------------------------------------

def _two_argument_atoms():
    from dcp.atoms.relative import Elementwise2
    return [pytest.param(atom, id=atom.name) for atom in all_atoms() if isinstance(atom, Elementwise2)]


def _positive_formula(atom):
    """The atom's formula in positive symbols x, y (its domain's interior)."""
    xp, yp = sympy.symbols("x y", positive=True)
    return xp, yp, sympy.sympify(atom.formula, locals={"x": xp, "y": yp})


@pytest.mark.parametrize("atom", _two_argument_atoms())
def test_two_argument_atoms_are_jointly_convex_on_their_domain(atom):
    """The Hessian is PSD where x > 0 and y > 0: both diagonal entries and the
    determinant are nonnegative (SymPy decides each sign); the boundary x = 0 follows by
    continuity (0 log 0 = 0)."""
    from dcp.facts import REALS, Curvature, Interval
    xp, yp, formula = _positive_formula(atom)
    hessian = sympy.hessian(formula, (xp, yp))
    for entry in (hessian[0, 0], hessian[1, 1], hessian.det()):
        assert sympy.simplify(entry).is_nonnegative, (atom.name, entry)
    assert atom.domain(0, {}) == Interval(0, float("inf")) and atom.domain(1, {}).is_positive
    assert atom.curvature([REALS, REALS], {}) is Curvature.CONVEX
    # At x = 0 the atom takes the limit (0 log 0 = 0), so it is continuous there.
    import numpy as np
    from flint import arb
    edge = sympy.limit(formula, xp, 0, "+").subs(yp, 3)
    assert atom.floats(np.array([0.0]), np.array([3.0]))[0] == float(edge)
    assert atom.enclose(arb(0), arb(3)) == arb(int(edge))


# Boxes (x, y), each a pair of interval texts, where the facts are asked for.
BOXES = [(a, b) for a in ("[0, 1]", "[1, 2]", "[3, 10]", "[0, inf)", "(0.5, 0.6]", "[10, 20]",
                          "[0.25, 0.25]", "[0.3, 0.4]", "[0.35, 0.36]", "[0.37, 0.38]")
         for b in ("(0, inf)", "[1, 2]", "[0.1, 0.2]", "[3, 3]", "[5, 50]", "[0.5, 0.9]", "[1, 1]")]


def _ratio_range(xs, ys):
    """The closed range of t = x / y over the box (x >= 0, y > 0)."""
    to = lambda v: sympy.oo if v == float("inf") else sympy.Rational(v)  # noqa: E731
    lo = 0 if ys.hi == float("inf") else to(xs.lo) / to(ys.hi)
    hi = sympy.oo if xs.hi == float("inf") or ys.lo == 0 else to(xs.hi) / to(ys.lo)
    return sympy.Interval(lo, hi)


@pytest.mark.parametrize("atom", _two_argument_atoms())
def test_two_argument_monotonicity_follows_from_the_partial_derivatives(atom):
    """Each partial derivative is a function of t = x/y alone (checked); on every box
    where a monotonicity is declared, SymPy finds no t of the box's ratio range where the
    derivative has the wrong sign. Every box-free claim (rel_entr nonincreasing in y) is
    among them."""
    from dcp.facts import Interval, Monotonicity
    xp, yp, formula = _positive_formula(atom)
    t = sympy.Symbol("t", positive=True)
    claims = 0
    for texts in BOXES:
        box = [Interval.parse(text) for text in texts]
        for index, variable in enumerate((xp, yp)):
            declared = atom.monotonicity(index, box, {})
            if declared is Monotonicity.NONE:
                continue
            claims += 1
            slope = sympy.simplify(sympy.diff(formula, variable).subs(xp, t * yp))
            assert slope.free_symbols == {t}, (atom.name, slope)
            wrong = slope < 0 if declared is Monotonicity.NONDECREASING else slope > 0
            region = _ratio_range(*box).intersect(sympy.Interval.open(0, sympy.oo))
            assert sympy.solveset(wrong, t, region) is sympy.S.EmptySet, (atom.name, texts, index)
    assert claims >= 20


def test_the_range_bounds_of_relative_entropy_are_theorems():
    """rel_entr(x, y) = y g(x/y) with g(t) = t log t; kl_div = y (g(t) - t + 1). Both g and
    g(t) - t + 1 are convex on t > 0 (second derivative 1/t), so their minima are where the
    first derivative vanishes: g(t) - t + 1 >= 0 at t = 1 (so rel_entr >= x - y and
    kl_div >= 0) and g(t) >= -1/e at t = 1/e (so rel_entr >= -y/e); E_LOW < e < E_HIGH."""
    from dcp.atoms.relative import E_HIGH, E_LOW
    t = sympy.Symbol("t", positive=True)
    for g, at, least in ((t * sympy.log(t) - t + 1, 1, 0), (t * sympy.log(t), sympy.exp(-1), -sympy.exp(-1))):
        assert sympy.diff(g, t, 2).is_positive
        assert sympy.simplify(sympy.diff(g, t).subs(t, at)) == 0
        assert sympy.simplify(g.subs(t, at) - least) == 0
    assert sympy.Rational(E_LOW.numerator, E_LOW.denominator) < sympy.E < sympy.Rational(E_HIGH.numerator, E_HIGH.denominator)


# ---- reductions of a vector declared by a formula in its entries ------------------------------

MEANS = ("geo_mean", "harmonic_mean", "inv_prod")


def _entries_formula(atom, count: int):
    """The atom's formula (entries ``x[i]``, ``n`` of them) for ``count`` positive entries."""
    indexed, i, n = sympy.IndexedBase("x"), sympy.Symbol("i", integer=True), sympy.Symbol("n", integer=True)
    formula = sympy.sympify(atom.formula, locals={"x": indexed, "i": i, "n": n}).subs(n, count).doit()
    entries = sympy.symbols(f"x0:{count}", positive=True)
    return entries, formula.subs({indexed[j]: entries[j] for j in range(count)})


@pytest.mark.parametrize("name", MEANS)
@pytest.mark.parametrize("count", [1, 2, 3])
def test_vector_reductions_facts_follow_from_the_formula(name, count):
    """For n = 1, 2, 3 entries: every principal minor of the Hessian (negated for a
    concave atom) is nonnegative where the entries are positive (so it is PSD), and every
    partial derivative has the declared sign. The boundary (an entry 0, geo_mean) follows
    by continuity."""
    import itertools

    from dcp.atoms import lookup
    from dcp.facts import REALS, Curvature, Monotonicity
    atom = lookup(name, 1)
    entries, formula = _entries_formula(atom, count)
    curvature = atom.curvature([REALS], {})
    sign = {Curvature.CONVEX: 1, Curvature.CONCAVE: -1}[curvature]
    hessian = sympy.hessian(formula, entries) * sign
    for size in range(1, count + 1):
        for rows in itertools.combinations(range(count), size):
            minor = sympy.simplify(hessian.extract(list(rows), list(rows)).det())
            assert minor.is_nonnegative, (name, rows, minor)
    direction = {Monotonicity.NONDECREASING: 1, Monotonicity.NONINCREASING: -1}[atom.monotonicity(0, [REALS], {})]
    for entry in entries:
        assert sympy.simplify(direction * sympy.diff(formula, entry)).is_nonnegative


def test_means_lie_between_the_smallest_and_the_largest_entry():
    """The declared range of geo_mean and harmonic_mean is the entries' range: each is a
    mean, so min <= mean <= max; SymPy checks it at the extremes (all entries equal to
    either end gives exactly that end, and the mean is nondecreasing in each entry)."""
    from dcp.atoms import lookup
    for name in ("geo_mean", "harmonic_mean"):
        entries, formula = _entries_formula(lookup(name, 1), 3)
        c = sympy.Symbol("c", positive=True)
        assert sympy.simplify(formula.subs({e: c for e in entries})) == c
