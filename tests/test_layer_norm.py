"""layer_norm: its facts are "neither" (not convex, not concave, not monotone), and SymPy
says so; its value is torch's LayerNorm without the affine part."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from dcp import DcpError, certify
from dcp.atoms import lookup
from dcp.facts import REALS, Curvature, Monotonicity
from dcp.facts.balls import precision
from dcp.ops import ARB, FLOAT


def _formula(n: int, eps):
    xs = sympy.symbols(f"x0:{n}", real=True)
    mean = sum(xs) / n
    var = sum((x - mean) ** 2 for x in xs) / n
    return xs, [(x - mean) / sympy.sqrt(var + eps) for x in xs]


def test_its_facts_are_neither_and_sympy_agrees():
    atom = lookup("layer_norm", 1)
    assert atom.curvature((REALS,), {"eps": 1e-5}) is Curvature.UNKNOWN
    assert atom.monotonicity(0, (REALS,), {"eps": 1e-5}) is Monotonicity.NONE
    assert atom.range((REALS,), {"eps": 1e-5}) == REALS
    xs, entries = _formula(3, sympy.Rational(1, 100000))
    hessian = sympy.hessian(entries[0], xs)
    point = {xs[0]: 1, xs[1]: 0, xs[2]: -1}
    eigenvalues = [complex(v).real for v in hessian.subs(point).evalf().eigenvals()]
    assert min(eigenvalues) < 0 < max(eigenvalues)               # neither convex nor concave
    gradient = [sympy.diff(entries[0], x).subs(point) for x in xs]
    assert min(gradient) < 0 < max(gradient)                     # not monotone


def test_its_value_in_floats_and_balls():
    atom = lookup("layer_norm", 1)
    x = np.array([[1.0, 2.0, 4.0, -3.0]])
    expected = (x - x.mean()) / np.sqrt(x.var() + 1e-5)
    assert np.allclose(atom.evaluate(FLOAT, [x], {"eps": 1e-5}, None), expected)
    with precision(80):
        balls = atom.evaluate(ARB, [ARB.array(x)], {"eps": 1e-5}, None)
    assert np.allclose([float(b.mid()) for b in balls.flat], expected.flat)


def test_certified_and_refused():
    assert certify("layer_norm(x)", wrt="x", shapes={"x": (4,)}).verdict == "nonconvex"
    assert certify("relu(layer_norm(x)) + W", wrt="W", check=False).verdict == "affine"
    with pytest.raises(DcpError, match="eps > 0"):
        certify("layer_norm(x, eps=0)", wrt="x")
