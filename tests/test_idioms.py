"""Each idiom is an identity: proved equal by SymPy (scalar ones) or checked in high
precision (vector ones), and shown as a rewrite step in the trace."""
from __future__ import annotations

import mpmath
import pytest
import sympy

from dcp import certify
from dcp.idioms import IDIOMS, rewrite
from dcp.syntax import parse_expression
from dcp.tape import Tape

t = sympy.Symbol("t", real=True)

# Each scalar idiom's spelled form, against the formula its atom declares.
SCALAR = {
    "softplus": sympy.log(1 + sympy.exp(t)),
    "sigmoid": 1 / (1 + sympy.exp(-t)),
    "softsign": t / (1 + sympy.Abs(t)),
    "relu": sympy.Max(t, 0),
    "square": t * t,
}


@pytest.mark.parametrize("name", SCALAR)
def test_scalar_idioms_are_identities(name):
    from dcp.atoms import lookup
    declared = sympy.sympify(lookup(name, 1).formula, locals={"x": t})
    difference = (SCALAR[name] - declared).rewrite(sympy.Piecewise)
    assert sympy.simplify(difference) == 0


def test_vector_idioms_are_identities():
    z = [mpmath.mpf(v) for v in ("0.3", "-1.7", "2.25")]
    assert mpmath.log(sum(mpmath.exp(v) for v in z)) == mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))
    assert mpmath.sqrt(sum(v * v for v in z)) == mpmath.norm(z, 2)


@pytest.mark.parametrize("spelled,atom", [
    ("log(1 + exp(a - b))", "softplus(a - b)"),
    ("log(exp(a) + 1)", "softplus(a)"),
    ("log(sum(exp(z)))", "logsumexp(z)"),
    ("sqrt(sum(square(x)))", "norm2(x)"),
    ("sqrt(sum_squares(x))", "norm2(x)"),
    ("1 / (1 + exp(-t))", "sigmoid(t)"),
    ("(a - b) / (1 + abs(a - b))", "softsign(a - b)"),
    ("t / (abs(t) + 1)", "softsign(t)"),
    ("max(t, 0)", "relu(t)"),
    ("maximum(0, t)", "relu(t)"),
    ("(a + b) * (a + b)", "square(a + b)"),
])
def test_rewrites_match_exactly(spelled, atom):
    tape = Tape()
    name, result = rewrite(tape, tape.add_expr(parse_expression(spelled)))
    assert tape.text(result) == atom
    assert name in IDIOMS


@pytest.mark.parametrize("spelled", ["log(2 + exp(t))", "max(t, 1)", "x * y", "t / (1 + abs(s))", "log(sum(exp(z), axis=0))"])
def test_near_misses_are_not_rewritten(spelled):
    tape = Tape()
    assert rewrite(tape, tape.add_expr(parse_expression(spelled))) is None


def test_rewrite_is_a_visible_step():
    result = certify("log(1 + exp(z0 - z1))", wrt=["z0", "z1"], check=False)
    assert result.verdict == "convex"
    root = result.proof.root
    assert root.rule == "rewrite" and root.idiom == "softplus"
    assert root.premises[0].text == "softplus(z0 - z1)"
    assert "log(1 + exp(t)) = softplus(t)" in result.explain()
