"""The atoms of sorted entries (dotsort, sum_largest, sum_smallest): verdicts (CVXPY's
own cases among them), their declared facts against brute-force evaluation at random
points, their ball evaluation against exact rational values, the referee alike, and the
kernel on their proofs."""
from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest

from dcp import ArgumentError, ShapeError, certify, check_proof
from dcp.atoms import lookup
from dcp.facts import REALS, Curvature, Interval, Monotonicity
from dcp.facts.balls import precision
from dcp.ops import ARB, FLOAT

CVXPY_SHAPES = {"x": (5,), "P": (2,)}


# ---- verdicts --------------------------------------------------------------------------


@pytest.mark.parametrize("expr,assume,verdict", [
    ("dotsort(square(x), P)", ["P > 0"], "convex"),
    ("dotsort(exp(x), P)", ["P >= 0"], "convex"),
    ("dotsort(-square(x), P)", ["P < 0"], "convex"),
    ("dotsort(square(x), P)", ["P < 0"], "nonconvex"),
    ("dotsort(square(x), P)", [], "nonconvex"),
])
def test_cvxpys_dotsort_cases(expr, assume, verdict):
    """CVXPY's test_parameter: dotsort is nondecreasing in X for W >= 0 and nonincreasing
    for W <= 0; otherwise the rules break at dotsort and the check refutes convexity."""
    result = certify(expr, wrt="x", assume=assume, shapes=CVXPY_SHAPES)
    assert result.verdict == verdict, result.explain()
    if verdict == "convex":
        check_proof(result.proof)
    else:
        assert [b.text for b in result.breaks] == [expr]
        assert result.is_convex is False and result.witness is not None


def test_dotsort_without_an_assumption_hints_the_sign_of_the_weights():
    result = certify("dotsort(square(x), P)", wrt="x", shapes=CVXPY_SHAPES, check=False)
    assert result.verdict == "unknown"
    assert ("P >= 0",) in [hint.assumptions for hint in result.hints]


@pytest.mark.parametrize("expr,verdict", [
    ("sum_largest(A @ x + b, 2)", "convex"),
    ("sum_largest(exp(x), k=3)", "convex"),
    ("sum_largest(-exp(x), 2)", "unknown"),
    ("-sum_largest(-x, 2)", "concave"),
    ("sum_smallest(A @ x + b, 2)", "concave"),
    ("sum_smallest(log(x), k=3)", "concave"),
    ("sum_smallest(exp(x), 2)", "unknown"),
    ("sum_largest(x, 2) - sum_smallest(x, 2)", "convex"),
])
def test_sum_largest_and_smallest_of_affine_convex_and_concave_arguments(expr, verdict):
    shapes = {name: shape for name, shape in (("x", (4,)), ("A", (4, 4)), ("b", (4,)))
              if name in expr}
    result = certify(expr, wrt="x", shapes=shapes, check=False)
    assert result.verdict == verdict, result.explain()
    if verdict != "unknown":
        check_proof(result.proof)


def test_a_variable_weight_is_not_constant_so_no_rule_applies():
    """dotsort(x, w) of two scalars is x*w: jointly neither convex nor concave."""
    result = certify("dotsort(x, w)", wrt=["x", "w"], check=False)
    assert result.verdict == "unknown"
    (brk,) = result.breaks
    assert "only for a constant `w`" in brk.reason and "product" in brk.reason
    refuted = certify("dotsort(x, w)", wrt=["x", "w"], shapes={"x": (3,), "w": (2,)})
    assert refuted.is_convex is False


def test_the_kernel_refuses_a_dotsort_with_a_moving_weight_claimed_convex():
    from conftest import tamper

    from dcp import ProofCheckError
    proof = certify("dotsort(x, w)", wrt=["x", "w"], check=False).proof
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only unknown"):
        check_proof(tamper(proof, "dotsort(x, w)", curvature=Curvature.CONVEX, reason=None))
    # W <= 0 makes dotsort nonincreasing in x: of a convex x it is not convex.
    proof = certify("dotsort(exp(x), W)", wrt="x", assume=["W <= 0"], check=False).proof
    with pytest.raises(ProofCheckError, match="claims convex"):
        check_proof(tamper(proof, "dotsort(exp(x), W)", curvature=Curvature.CONVEX, reason=None))
    # sum_largest(x, 2) of x in [1, 2] is at least 1 (one entry) and at most 4.
    proof = certify("sum_largest(x, 2)", wrt="x", assume=["1 <= x <= 2"], check=False).proof
    check_proof(proof)
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(tamper(proof, "sum_largest(x, 2)", range=Interval(2, 4)))


@pytest.mark.parametrize("expr,error,match", [
    ("sum_largest(x, 0)", ArgumentError, "whole number >= 1, got k=0"),
    ("sum_largest(x, k=1.5)", ArgumentError, "got k=1.5"),
    ("sum_smallest(x)", ArgumentError, "needs k, a whole number >= 1, got nothing"),
    ("sum_largest(x, k=-2)", ArgumentError, "got k=-2"),
    ("sum_largest(x, 2, k=3)", ArgumentError, None),
    ("dotsort(x)", ArgumentError, None),
])
def test_bad_k_and_arity_are_refused(expr, error, match):
    with pytest.raises(error, match=match):
        certify(expr, wrt="x", check=False)


def test_weights_longer_than_x_are_refused():
    with pytest.raises(ShapeError, match="at most as many entries"):
        certify("dotsort(x, P)", wrt="x", shapes={"x": (2,), "P": (3,)})
    certify("dotsort(x, P)", wrt="x", shapes={"x": (2, 2), "P": (2, 2)})
    # A vector x of a free size is drawn at least as long as W (else nothing is defined).
    checked = certify("dotsort(x, [1, 2, 3])", wrt="x", shapes={"x": ("n",)})
    assert checked.verdict == "convex" and checked.check.outcome != "inconclusive"


# ---- facts against brute force ------------------------------------------------------------

#: name -> (keywords, draws the extra arguments for an x of n entries).
def _value(name, x, w=None, k=2):
    """The atom's float value at a batch of x (and weights w)."""
    atom = lookup(name, 2 if name == "dotsort" else 1)
    args = [x] if w is None else [x, w]
    kw = {} if name == "dotsort" else {"k": float(k)}
    return atom.evaluate(FLOAT, args, kw, None)


def _exact(name, x, w=None, k=2):
    """The exact rational value at one point (lists of Fractions): the definition."""
    if name == "dotsort":
        padded = list(w) + [Fraction(0)] * (len(x) - len(w))
        return sum(a * b for a, b in zip(sorted(x), sorted(padded)))
    count = min(k, len(x))
    ordered = sorted(x, reverse=(name == "sum_largest"))
    return sum(ordered[:count])


CASES = [("sum_largest", 1), ("sum_largest", 2), ("sum_largest", 7), ("sum_smallest", 1),
         ("sum_smallest", 3), ("dotsort", None)]


@pytest.mark.parametrize("name,k", CASES)
def test_declared_facts_hold_at_random_points(name, k):
    """Jensen's inequality on random segments (the declared curvature), the value never
    moving against the declared monotonicity when one entry grows, and every value inside
    the declared range on the box of the entries (and of the weights)."""
    rng = np.random.default_rng(11)
    atom = lookup(name, 2 if name == "dotsort" else 1)
    kw = {} if name == "dotsort" else {"k": float(k)}
    for n in (1, 2, 3, 5):
        for weights in ([None] if name != "dotsort" else
                        [rng.normal(size=m).round(1) for m in range(1, n + 1)] +
                        [np.abs(rng.normal(size=n)), -np.abs(rng.normal(size=min(n, 2)))]):
            x_range = Interval(-3.0, 3.0) if rng.random() < 0.5 else Interval(0.5, 4.0)
            a = rng.uniform(x_range.lo, x_range.hi, size=(400, n))
            b = rng.uniform(x_range.lo, x_range.hi, size=(400, n))
            theta = rng.uniform(size=(400, 1))
            w = None if weights is None else np.tile(weights, (400, 1))
            ranges = [x_range] if w is None else [x_range, Interval(float(weights.min()), float(weights.max()))]

            def f(x):
                return atom.evaluate(FLOAT, [x] if w is None else [x, w], kw, None)
            curvature = atom.curvature(ranges, kw)
            mix, chord = f(theta * a + (1 - theta) * b), theta[:, 0] * f(a) + (1 - theta[:, 0]) * f(b)
            if curvature.is_convex:
                assert (mix <= chord + 1e-9).all()
            if curvature.is_concave:
                assert (mix >= chord - 1e-9).all()
            mono = atom.monotonicity(0, ranges, kw)
            bumped = a.copy()
            bumped[:, rng.integers(n)] += rng.uniform(0, 1, size=400)
            if mono is Monotonicity.NONDECREASING:
                assert (f(bumped) >= f(a) - 1e-9).all()
            if mono is Monotonicity.NONINCREASING:
                assert (f(bumped) <= f(a) + 1e-9).all()
            declared = atom.range(ranges, kw)
            assert all(declared.contains_value(float(v)) for v in f(a))


def test_monotonicity_and_curvature_read_the_weights_range():
    atom = lookup("dotsort", 2)
    up, down, none = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING, Monotonicity.NONE
    assert atom.monotonicity(0, [REALS, Interval(0, 2)], {}) is up
    assert atom.monotonicity(0, [REALS, Interval(-2, 0)], {}) is down
    assert atom.monotonicity(0, [REALS, Interval(-1, 2)], {}) is none
    assert atom.monotonicity(1, [REALS, Interval(0, 2)], {}) is none
    assert atom.curvature([REALS, REALS], {}) is Curvature.CONVEX and atom.fixed_arguments == (1,)
    for name in ("sum_largest", "sum_smallest"):
        assert lookup(name, 1).monotonicity(0, [REALS], {"k": 2.0}) is up
    assert lookup("sum_largest", 1).curvature([REALS], {"k": 2.0}) is Curvature.CONVEX
    assert lookup("sum_smallest", 1).curvature([REALS], {"k": 2.0}) is Curvature.CONCAVE


def test_ranges_are_the_sums_of_one_to_k_entries():
    """sum_largest(x, 3) of x in [1, 2]: one to three entries (x may have fewer than 3),
    so [1, 6]; of x in [-2, -1], [-6, -1]; dotsort's is a sum of products, 0 included
    where W may be padded."""
    largest = lookup("sum_largest", 1)
    assert largest.range([Interval(1, 2)], {"k": 3.0}) == Interval(1, 6)
    assert largest.range([Interval(-2, -1)], {"k": 3.0}) == Interval(-6, -1)
    assert largest.range([Interval(-2, 1)], {"k": 3.0}) == Interval(-6, 3)
    dotsort = lookup("dotsort", 2)
    assert dotsort.range([Interval(1, 2), Interval(1, 3)], {}).is_nonneg
    assert dotsort.range([Interval(1, 2), Interval(-3, -1)], {}).is_nonpos
    assert dotsort.range([Interval(-1, 2), Interval(1, 3)], {}) == REALS


# ---- balls enclose the exact value; floats and the referee agree -----------------------------


@pytest.mark.parametrize("name,k", CASES)
def test_balls_enclose_the_exact_value_and_floats_are_near_it(name, k):
    """At random points of 1 to 6 entries (ties included), the Arb evaluation holds the
    exact rational value of the definition; and at wide balls, it holds the value at
    every corner and random point of the box they span."""
    from flint import arb
    rng = np.random.default_rng(3)
    atom = lookup(name, 2 if name == "dotsort" else 1)
    kw = {} if name == "dotsort" else {"k": float(k)}
    for _ in range(60):
        n = int(rng.integers(1, 7))
        x = rng.integers(-4, 5, size=n) / 4 if rng.random() < 0.3 else rng.normal(size=n).round(3)
        w = None if name != "dotsort" else rng.normal(size=int(rng.integers(1, n + 1))).round(2)
        exact = _exact(name, [Fraction(v) for v in x], None if w is None else [Fraction(v) for v in w],
                       k or 0)
        args = [x[None, :]] if w is None else [x[None, :], w[None, :]]
        assert float(atom.evaluate(FLOAT, args, kw, None)[0]) == pytest.approx(float(exact), abs=1e-12)
        with precision(128):
            ball = atom.evaluate(ARB, [ARB.array(a) for a in args], kw, None)[0]
            assert ball.contains(arb(exact.numerator) / exact.denominator), (x, w, ball, exact)
            # Wide balls: x[i] +/- r[i].
            radius = rng.uniform(0, 0.5, size=n)
            wide = np.empty((1, n), dtype=object)
            wide[0, :] = [arb(float(c), float(r)) for c, r in zip(x, radius)]
            wide_ball = atom.evaluate(ARB, [wide] + [ARB.array(a) for a in args[1:]], kw, None)[0]
            corners = itertools.islice(itertools.product(*[(c - r, c + r) for c, r in zip(x, radius)]), 64)
            inner = [x + rng.uniform(-1, 1, size=n) * radius for _ in range(20)]
            for point in [np.array(c) for c in corners] + inner:
                value = _exact(name, [Fraction(float(v)) for v in point],
                               None if w is None else [Fraction(v) for v in w], k or 0)
                assert wide_ball.contains(arb(value.numerator) / value.denominator), (point, wide_ball)


def test_dotsort_with_longer_weights_is_undefined_in_floats_and_balls():
    atom = lookup("dotsort", 2)
    x, w = np.ones((2, 2)), np.ones((2, 3))
    assert np.isnan(atom.evaluate(FLOAT, [x, w], {}, None)).all()
    with precision(64):
        assert all(v.is_nan() for v in atom.evaluate(ARB, [ARB.array(x), ARB.array(w)], {}, None))


@pytest.mark.parametrize("text,shapes", [
    ("dotsort(x, w)", {"x": (5,), "w": (2,)}),
    ("dotsort(X, w)", {"X": (2, 3), "w": (3,)}),
    ("dotsort(x, w)", {"x": (3,), "w": (3,)}),
    ("sum_largest(x, 2)", {"x": (4,)}),
    ("sum_largest(X, k=4)", {"X": (2, 3)}),
    ("sum_smallest(x, 9)", {"x": (3,)}),
])
def test_dcp_and_the_referee_evaluate_alike(text, shapes):
    from dcp.check.evaluate import evaluate
    from dcp.testing_referee import Balls, Floats, Precision, Referee
    rng = np.random.default_rng(9)
    result = certify(text, wrt=list(shapes), shapes=shapes, check=False)
    values = {n: rng.normal(size=(4,) + s).round(3) for n, s in shapes.items()}
    mine, valid = evaluate(result.proof, values, FLOAT, 4)
    referee = Referee(text, list(shapes))
    theirs, _ = referee.evaluate(Floats(), values, 4)
    assert valid.all() and np.allclose(mine, theirs, rtol=0, atol=1e-12)
    balls = Balls()
    with Precision(128):
        enclosed, _ = referee.evaluate(balls, {n: balls.array(v) for n, v in values.items()}, 4)
        assert all(abs(float(b.mid()) - m) < 1e-12 for b, m in zip(enclosed, mine))
