"""A contract over every registered atom, and the declared facts of every scalar atom
checked densely in high precision (mpmath, 40 digits) on each declared interval."""
from __future__ import annotations

import math

import mpmath
import pytest
import sympy

from dcp.atoms import REGISTRY, ScalarAtom, all_atoms, lookup
from dcp.facts import REALS, Curvature, Interval

mpmath.mp.dps = 40

# Keyword settings to check for atoms whose facts depend on them.
VARIANTS = {
    "leaky_relu": [{"alpha": a} for a in (0.01, 0.5, 1.0, 2.0, -1.0, 0.0)],
    "elu": [{"alpha": a} for a in (1.0, 0.5, 2.0, 0.0)],
    "huber": [{"M": m} for m in (1.0, 2.0, 0.25)],
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
        assert atom.kind in ("composition", "product", "expansion")
        assert atom.min_args >= 1 and (atom.max_args is None or atom.max_args >= atom.min_args)
        assert lookup(atom.name, atom.min_args) is atom
        for alias in atom.aliases:
            assert atom in REGISTRY[alias]
        if isinstance(atom, ScalarAtom):
            assert atom.formula, f"{atom.name} needs a formula"
            sympy.sympify(atom.formula, locals={"x": sympy.Symbol("x")})


def _formula(atom, kw):
    x = sympy.Symbol("x", real=True)
    # Keyword values are the floats dcp computes with, taken exactly.
    symbols = {"x": x, **{k: sympy.Rational(v) for k, v in kw.items()}}
    return x, sympy.sympify(atom.formula, locals=symbols)


def _inside(interval: Interval, value) -> bool:
    """Membership tested in high precision (a float would round -0.99999... to -1)."""
    lo, hi = mpmath.mpf(interval.lo), mpmath.mpf(interval.hi)
    return (lo < value or (lo == value and not interval.lo_open)) and \
        (value < hi or (value == hi and not interval.hi_open))


def _value(f, t: float):
    """f(t) in high precision; None where the formula is singular (0 log 0)."""
    value = f(mpmath.mpf(t))
    return None if mpmath.isnan(value) else value


def _grid(interval: Interval, count: int = 60) -> list[float]:
    lo = max(interval.lo, -30.0)
    hi = min(interval.hi, 30.0)
    if interval.lo_open or lo == -30.0:
        lo = lo + 1e-9 if lo != -30.0 else lo
    if interval.hi_open or hi == 30.0:
        hi = hi - 1e-9 if hi != 30.0 else hi
    if hi <= lo:
        return [lo]
    return [lo + (hi - lo) * i / count for i in range(count + 1)]


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
        assert _inside(image, value), (piece, value)
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
            assert value is None or _inside(enclosure, value), (region, t, value, enclosure)


def test_curvature_reads_the_range():
    sigmoid = lookup("sigmoid", 1)
    assert sigmoid.curvature([Interval(-math.inf, 0)], {}) is Curvature.CONVEX
    assert sigmoid.curvature([Interval(0, math.inf)], {}) is Curvature.CONCAVE
    assert sigmoid.curvature([REALS], {}) is Curvature.UNKNOWN
    square = lookup("square", 1)
    assert str(square.monotonicity(0, [Interval(0, 1)], {})) == "nondecreasing"
    assert str(square.monotonicity(0, [Interval(-1, 0)], {})) == "nonincreasing"
    assert str(square.monotonicity(0, [REALS], {})) == "not monotone"
