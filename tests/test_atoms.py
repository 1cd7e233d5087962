"""A contract over every registered atom, and the declared facts of every scalar atom
checked densely in high precision (mpmath, 40 digits) on each declared interval."""
from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest
import sympy

from dcp.atoms import REGISTRY, ScalarAtom, all_atoms, lookup
from dcp.facts import REALS, Curvature, Interval
from dcp.facts.interval import round_down, round_up

mpmath.mp.dps = 40

# Keyword settings to check for atoms whose facts depend on them.
VARIANTS = {
    "leaky_relu": [{"alpha": a} for a in (0.01, 0.5, 1.0, 2.0, -1.0, 0.0)],
    "elu": [{"alpha": a} for a in (1.0, 0.5, 2.0, 0.0)],
    "huber": [{"M": m} for m in (1.0, 2.0, 0.25)],
    "celu": [{"alpha": a} for a in (1.0, 0.5, 3.0, 0.1)],
    # Floats, which mpmath holds exactly (the default alpha is the decimal 1/5).
    "hard_sigmoid": [{"alpha": a, "beta": b} for a, b in ((0.2, 0.5), (1 / 6, 0.5), (3.0, -0.75), (0.5, 2.0))],
    "hardtanh": [{"min_val": lo, "max_val": hi} for lo, hi in ((-1.0, 1.0), (0.0, 6.0), (-0.5, 0.25), (2.0, 3.0))],
    "power": [{"p": p} for p in (0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 1.5, 0.5, 0.25, -1.0, -0.5, -2.0)],
}


def _scalar_cases():
    for atom in all_atoms():
        if isinstance(atom, ScalarAtom):
            for kw in VARIANTS.get(atom.name, [dict(atom.keywords)]):
                yield pytest.param(atom, kw, id=f"{atom.name}{kw or ''}")


def test_every_atom_is_completely_declared():
    for atom in all_atoms():
        assert atom.name and atom.summary, f"{atom.name} needs a docstring"
        # The summary (--help, the docs' table) is the first line: a whole sentence.
        assert atom.summary.endswith("."), f"{atom.name}: {atom.summary!r} is cut short"
        assert atom.kind in ("composition", "product", "expansion")
        assert atom.min_args >= 1 and (atom.max_args is None or atom.max_args >= atom.min_args)
        assert lookup(atom.name, atom.min_args) is atom
        for alias in atom.aliases:
            assert atom in REGISTRY[alias]
        if isinstance(atom, ScalarAtom):
            assert atom.formula, f"{atom.name} needs a formula"
            # (A keyword may share a name with a SymPy function: hard_sigmoid's beta.)
            names = {"x": sympy.Symbol("x"), **{k: sympy.Symbol(k) for k in atom.keywords}}
            assert sympy.sympify(atom.formula, locals=names).free_symbols <= set(names.values())


def _formula(atom, kw):
    x = sympy.Symbol("x", real=True)
    # Keyword values are the floats dcp computes with, taken exactly.
    symbols = {"x": x, **{k: sympy.Rational(v) for k, v in kw.items()}}
    return x, sympy.sympify(atom.formula, locals=symbols)


def _mp(end):
    """An interval end (a float or an exact Fraction) in high precision."""
    if isinstance(end, Fraction):
        return mpmath.mpf(end.numerator) / end.denominator
    return mpmath.mpf(end)


def _inside(interval: Interval, value) -> bool:
    """Membership tested in high precision (a float would round -0.99999... to -1)."""
    lo, hi = _mp(interval.lo), _mp(interval.hi)
    return (lo < value or (lo == value and not interval.lo_open)) and \
        (value < hi or (value == hi and not interval.hi_open))


def _value(f, t: float):
    """f(t) in high precision; None where the formula is singular (0 log 0)."""
    value = f(mpmath.mpf(t))
    return None if mpmath.isnan(value) else value


def _inside_at(interval: Interval, f, t: float, value) -> bool:
    """Whether f(t) (``value`` at 40 digits) lies in the interval; a value that rounds onto
    an end is computed again at 1000 digits (erf(-30) is -1 + 2.6e-393, not -1)."""
    if _inside(interval, value):
        return True
    with mpmath.workdps(1000):
        return _inside(interval, f(mpmath.mpf(t)))


def _grid(interval: Interval, count: int = 60) -> list[float]:
    """Floats inside the interval (an exact Fraction end rounded inward), from -30 to 30."""
    lo = max(round_up(interval.lo), -30.0)
    hi = min(round_down(interval.hi), 30.0)
    if interval.lo_open or lo == -30.0:
        lo = lo + 1e-9 if lo != -30.0 else lo
    if interval.hi_open or hi == 30.0:
        hi = hi - 1e-9 if hi != 30.0 else hi
    if hi <= lo:
        return [lo]
    return [min(lo + (hi - lo) * i / count, hi) for i in range(count + 1)]


@pytest.mark.parametrize("atom,kw", list(_scalar_cases()))
def test_scalar_facts_hold_densely(atom, kw):
    x, formula = _formula(atom, kw)
    f = sympy.lambdify(x, formula, modules="mpmath")
    facts = atom.pieces(kw)
    domain = facts["domain"][0]
    image = facts["image"][0]
    for piece in _grid(domain, 200):
        value = _value(f, piece)
        if value is None:
            continue
        assert _inside_at(image, f, piece, value), (piece, value)
        assert atom.value(piece, **kw) == pytest.approx(float(value), rel=1e-9, abs=1e-12)
    for name, sign in (("convex_on", 1), ("concave_on", -1)):
        for interval in facts[name]:
            points = _grid(interval)
            for a, b in zip(points, points[1:]):
                values = [_value(f, a), _value(f, b), _value(f, (mpmath.mpf(a) + mpmath.mpf(b)) / 2)]
                if None in values:
                    continue
                gap = (values[0] + values[1]) / 2 - values[2]
                assert sign * gap >= -mpmath.mpf("1e-25"), (name, interval, a, b)
    for name, sign in (("increasing_on", 1), ("decreasing_on", -1)):
        for interval in facts[name]:
            points = _grid(interval)
            for a, b in zip(points, points[1:]):
                fa, fb = _value(f, a), _value(f, b)
                if fa is not None and fb is not None:
                    assert sign * (fb - fa) >= -mpmath.mpf("1e-25"), (name, interval, a, b)


@pytest.mark.parametrize("atom,kw", list(_scalar_cases()))
def test_scalar_ranges_enclose_sampled_values(atom, kw):
    facts = atom.pieces(kw)
    domain = facts["domain"][0]
    regions = [domain] + [r for r in (Interval(-2, 3), Interval(0, 5), Interval(-7, -1),
                                      Interval(0.5, 0.75)) if domain.contains(r)]
    x, formula = _formula(atom, kw)
    f = sympy.lambdify(x, formula, modules="mpmath")
    for region in regions:
        enclosure = atom.range([region], kw)
        for t in _grid(region, 97):
            value = _value(f, t)
            assert value is None or _inside_at(enclosure, f, t, value), (region, t, value, enclosure)


def test_curvature_reads_the_range():
    sigmoid = lookup("sigmoid", 1)
    assert sigmoid.curvature([Interval(-math.inf, 0)], {}) is Curvature.CONVEX
    assert sigmoid.curvature([Interval(0, math.inf)], {}) is Curvature.CONCAVE
    assert sigmoid.curvature([REALS], {}) is Curvature.UNKNOWN
    square = lookup("square", 1)
    assert str(square.monotonicity(0, [Interval(0, 1)], {})) == "nondecreasing"
    assert str(square.monotonicity(0, [Interval(-1, 0)], {})) == "nonincreasing"
    assert str(square.monotonicity(0, [REALS], {})) == "not monotone"


# ---- elementwise atoms of two arguments: ranges and values on boxes ------------------------

def _two_argument_atoms():
    from dcp.atoms.relative import Elementwise2
    return [pytest.param(atom, id=atom.name) for atom in all_atoms() if isinstance(atom, Elementwise2)]


_BOXES = [("[0, 1]", "[1, 2]"), ("[1, 2]", "[3, 4]"), ("[3, 10]", "(0, inf)"), ("[0, inf)", "[5, 50]"),
          ("(0.5, 0.6]", "[0.1, 0.2]"), ("[0.25, 0.25]", "[1, 1]"), ("[0, 0]", "(0, 3]"),
          ("[1e-300, 1e-290]", "[1e-300, 1]"), ("[1e10, 1e12]", "[1, 1e20]"), ("[2, 3]", "[2, 3]")]


@pytest.mark.parametrize("atom", _two_argument_atoms())
def test_two_argument_ranges_and_values_hold_at_high_precision(atom):
    """On each box the declared range holds the formula's value (40 digits) at a grid of
    points, and the atom's Arb balls hold it there (its floats are near it)."""
    import numpy as np
    from flint import arb

    from dcp.facts.balls import precision
    x, y = sympy.symbols("x y", positive=True)
    f = sympy.lambdify((x, y), sympy.sympify(atom.formula, locals={"x": x, "y": y}), modules="mpmath")
    for texts in _BOXES:
        box = [Interval.parse(text) for text in texts]
        enclosure = atom.range(box, {})
        for s in map(float, _grid(box[0], 12)):
            for t in map(float, _grid(box[1], 12)):
                if not (box[0].contains_value(s) and box[1].contains_value(t)):
                    continue
                value = mpmath.mpf(0) if s == 0 and atom.name == "rel_entr" else (
                    mpmath.mpf(t) if s == 0 else f(mpmath.mpf(s), mpmath.mpf(t)))
                assert _inside(enclosure, value), (atom.name, texts, s, t, value, enclosure)
                # Floats (the search) to within the rounding of the terms, which cancel.
                assert atom.floats(np.array([s]), np.array([t]))[0] == pytest.approx(
                    float(value), rel=1e-9, abs=1e-12 * (s + t))
                with precision(128):          # the exact value is in both balls
                    ball = atom.enclose(arb(s), arb(t))
                    assert ball.overlaps(arb(mpmath.nstr(value, 40))), (atom.name, s, t, ball, value)


def test_two_argument_atoms_are_nan_outside_their_domain():
    from flint import arb
    for name in ("rel_entr", "kl_div"):
        atom = lookup(name, 2)
        assert atom.enclose(arb(-1), arb(1)).is_nan()
        assert atom.enclose(arb(1), arb(0)).is_nan()
        assert atom.enclose(arb("[0 +/- 1e-10]"), arb(1)).is_nan()
        assert atom.enclose(arb(1), arb("[0 +/- 1e-10]")).is_nan()


@pytest.mark.parametrize("name", ["geo_mean", "harmonic_mean", "inv_prod"])
def test_vector_reductions_evaluate_their_formula_and_stay_in_their_range(name):
    """At vectors of 1 to 4 entries (an entry 0 for geo_mean, tiny and huge entries) the
    floats are near the formula's value (40 digits), the Arb balls hold it, and so does
    the declared range on the box of the entries; NaN outside the domain."""
    import numpy as np

    from dcp.facts.balls import precision
    from dcp.ops import ARB, FLOAT
    atom = lookup(name, 1)
    indexed, i, n = sympy.IndexedBase("x"), sympy.Symbol("i", integer=True), sympy.Symbol("n", integer=True)
    template = sympy.sympify(atom.formula, locals={"x": indexed, "i": i, "n": n})
    vectors = [[2.0], [1.0, 4.0], [0.5, 3.0, 7.0], [1e-200, 1e200, 3.0, 0.25], [1.0, 1.0, 1.0],
               [0.0, 2.0, 5.0]]
    for vector in vectors:
        if 0.0 in vector and atom.domain(0, {}).lo_open:
            continue
        formula = template.subs(n, len(vector)).doit().subs(
            {indexed[j]: sympy.Rational(v) for j, v in enumerate(vector)})
        value = mpmath.mpf(sympy.N(formula, 50))
        floats = atom.evaluate(FLOAT, [np.array([vector])], {}, None)[0]
        assert floats == pytest.approx(float(value), rel=1e-12)
        with precision(128):
            ball = atom.evaluate(ARB, [ARB.array([vector])], {}, None)[0]
            assert ball.overlaps(arb_of(value)), (vector, ball, value)
        box = Interval(min(vector), max(vector))
        assert _inside(atom.range([box], {}), value), (vector, atom.range([box], {}))
    outside = [[-1.0, 2.0]] + ([[0.0, 2.0]] if atom.domain(0, {}).lo_open else [])
    for vector in outside:
        assert math.isnan(atom.evaluate(FLOAT, [np.array([vector])], {}, None)[0])
        with precision(128):
            assert atom.evaluate(ARB, [ARB.array([vector])], {}, None)[0].is_nan()


def arb_of(value):
    """An mpmath number (40 digits) as an Arb ball at the working precision."""
    from flint import arb
    return arb(mpmath.nstr(value, 40))


# ---- the kernel re-checks the new atoms' steps ---------------------------------------------

def _proof(expression, wrt, assume=()):
    from dcp import certify
    return certify(expression, wrt=wrt, assume=list(assume), check=False).proof


def test_the_kernel_rejects_tampered_steps_of_the_new_atoms():
    from conftest import tamper

    from dcp import Curvature, ProofCheckError, check_proof
    # rel_entr is nonincreasing in y: composed with a convex y, the rule gives unknown.
    proof = _proof("rel_entr(x, exp(y))", ["y"])
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only unknown"):
        check_proof(tamper(proof, "rel_entr(x, exp(y))", curvature=Curvature.CONVEX, reason=None))
    # Its values on 1 <= x <= 2, 3 <= y <= 4 reach 2 log(2/3) = -0.81...
    proof = _proof("rel_entr(x, y)", ["x", "y"], ["1 <= x <= 2", "3 <= y <= 4"])
    check_proof(proof)
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(tamper(proof, "rel_entr(x, y)", range=Interval(-1.5, -0.9)))
    # geo_mean needs x >= 0, a condition the step must list.
    proof = _proof("geo_mean(x)", ["x"])
    with pytest.raises(ProofCheckError, match="is not listed"):
        check_proof(tamper(proof, "geo_mean(x)", requires=()))
    # The entries of diff(x) may have any sign, and of diff(x, k=3) any size.
    proof = _proof("sqrt(diff(x, k=3))", ["x"], ["0 <= x <= 1"])
    check_proof(proof)
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(tamper(proof, "diff(x, k=3)", range=Interval(0, 1)))
