"""Regressions for an adversary's findings on the quadratic method (issue 13): inner
products of declared vectors, exact witnesses, the kernel's certificate check, the
elimination order."""
from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np
import pytest
import sympy

from dcp import DcpError, ProofCheckError, certify, check_proof
from dcp.facts.curvature import CONVEX
from dcp.facts.interval import Interval
from dcp.facts.quadratic import Factorisation
from dcp.methods.quadratic import QuadraticDetail
from dcp.proof import Note


def _verdict(expr, wrt, assume=(), shapes=None):
    return certify(expr, wrt=wrt, assume=list(assume), shapes=shapes, check=False).verdict


# ---- 1. unsound certificates: inner products of declared vectors -----------------------

def test_a_scalar_inside_an_inner_product_is_summed_n_times():
    # x^2 + sum_i (x + u_i) u_i = x^2 + x*sum(u) + |u|^2: indefinite once n >= 5.
    n = 5
    x, *u = sympy.symbols(f"x u0:{n}")
    hessian = sympy.hessian(x**2 + sum((x + ui) * ui for ui in u), (x, *u))
    assert min(hessian.eigenvals()) < 0
    assert _verdict("x^2 + (x + u) @ u", ["x", "u"], shapes={"u": ("n",), "x": ()}) != "convex"


@pytest.mark.parametrize("expr,wrong", [
    ("x^2 - (u^0 @ u^0)*x^2", ("constant", "affine")),      # (1 - n) x^2
    ("2*x^2 - (u^0 @ u^0)*x^2", ("convex",)),               # (2 - n) x^2
    ("2*x^2 - dot(u^0, u^0)*x^2", ("convex",)),
])
def test_a_constant_inside_an_inner_product_is_summed_n_times(expr, wrong):
    assert _verdict(expr, ["x"], shapes={"u": ("n",), "x": ()}) not in wrong


def test_the_range_of_an_inner_product_counts_its_constant_terms():
    # sum_i (1 - u_i)(1 + u_i) - 1 = n - 1 - |u|^2: 0.98 at n = 2, u = 0.1
    result = certify("(1 - u) @ (1 + u) - 1", wrt=["u"], assume=["0 <= u <= 0.1"],
                     shapes={"u": ("n",)}, check=False)
    assert result.proof.root.range.hi >= 1
    # ... which made square(.) of it "convex" (it is concave near 0 for n = 2)
    assert _verdict("square((1 - u) @ (1 + u) - 1)", ["u"], ["0 <= u <= 0.1"],
                    shapes={"u": ("n",)}) != "convex"
    f = lambda v: ((1 - v) @ (1 + v) - 1) ** 2                       # noqa: E731
    a, b = np.array([0.1, 0.1]), np.array([0.0, 0.0])
    assert f((a + b) / 2) > (f(a) + f(b)) / 2                       # not convex at n = 2


@pytest.mark.parametrize("expr,wrong", [
    ("u @ u - (u @ u^0)^2", ("constant", "affine")),       # |u|^2 - (sum u)^2
    ("-((u @ u^0)^2) + 2*(u @ u)", ("convex",)),           # 2|u|^2 - (sum u)^2, n = 3: -2
])
def test_a_product_of_inner_products_is_no_inner_product(expr, wrong):
    assert _verdict(expr, ["u"], shapes={"u": ("n",)}) not in wrong


# ---- 2. bogus witness: a point outside an open bound ----------------------------------

def test_an_exact_witness_stays_inside_strict_bounds():
    result = certify("x*y", wrt=["x", "y"], assume=["x > 0", "y > 0"], check=False)
    assert result.witnesses
    for witness in result.witnesses.values():
        for point in (witness.a, witness.b):
            assert point["x"] > 0 and point["y"] > 0, witness


# ---- 3. kernel accepts tampering: a certificate in floats ------------------------------

def test_the_kernel_rejects_a_factorisation_in_floats():
    third = 1 / 3                                     # a float just below 1/3
    half = Fraction(third) / 2
    literal = format(float(half), ".60g")
    assert Fraction(literal) == half
    # Hessian [[3, 1], [1, c]] with c = float(1/3) < 1/3: indefinite (det 3c - 1 < 0)
    proof = certify(f"1.5*x^2 + x*y + {literal}*y^2", wrt=["x", "y"], check=False).proof
    root = list(proof.ids())[-1]
    names = tuple(sorted((proof.tape.find("name", "x"), proof.tape.find("name", "y"))))
    facts = proof.facts.copy()
    facts.rule[root], facts.curvature[root], facts.premises[root] = "quadratic", CONVEX, names
    facts.range[root] = Interval(float("-inf"), float("inf"))
    # In floats, 3.0 * third rounds to 1.0 and 1.0 * third is c: L D L^T "matches".
    certificate = Factorisation([{}, {0: third}], [3.0, 0.0])
    facts.notes[root] = Note(words=("tampered",), detail=QuadraticDetail(names, 1, certificate))
    with pytest.raises(ProofCheckError):
        check_proof(dataclasses.replace(proof, facts=facts, _steps={}))


# ---- 4. crashes (Python tracebacks instead of a result or a DcpError) -----------------

@pytest.mark.parametrize("expr,shapes", [
    ("p @ p + x*y", {"p": ("n",)}),                 # KeyError: the witness meets ~p
    ("x*y + x*(p@p)", {"p": (3,)}),                  # KeyError
    ("x*y", {"x": ("n",)}),                          # TypeError: [v] * "n" in _filled
    ("1e309*x*y + 1e309*x^2", None),                 # OverflowError: float(lhs)
    ("1.0000000000000000000000000000001e-300*x*y"
     " + 1.0000000000000000000000000000001e-300*x^2", None),   # ValueError: log10(0.0)
])
def test_exact_witnesses_do_not_crash(expr, shapes):
    try:
        result = certify(expr, wrt=["x", "y"], shapes=shapes, check=False)
    except DcpError:
        return
    # (A vector parameter inside an inner product leaves the witness to the check.)
    assert result.verdict == ("unknown" if "p" in expr else "nonconvex")


# ---- 5. super-linear time ---------------------------------------------------------------

def test_a_hub_variable_does_not_make_the_elimination_cubic():
    # sum_i (x0 - xi)^2 written out: eliminated in the order written, the hub x0 fills the
    # whole Schur complement (n = 400 took two minutes); least coupled first, it goes last.
    from dcp.facts.quadratic import elimination_order, hessian
    n = 400
    expr = " + ".join(f"x0*x0 - 2*x0*x{i} + x{i}*x{i}" for i in range(1, n))
    result = certify(expr, wrt=[f"x{i}" for i in range(n)], check=False)
    assert result.verdict == "convex"
    order = result.proof.facts.notes[result.proof.root_id].detail.variables
    assert result.proof.tape.data[order[-1]] == "x0"
    assert elimination_order(hessian({(1, 1): Fraction(1)}, {1})) == (1,)


@pytest.mark.parametrize("mangle", [
    lambda d: d._replace(certificate=Factorisation(d.certificate.lower, ["a", "b"])),
    lambda d: d._replace(variables=5),
    lambda d: d._replace(certificate=Factorisation(None, d.certificate.diagonal)),
    lambda d: d._replace(certificate=Factorisation([{}, {"k": 1}], d.certificate.diagonal)),
    lambda d: d._replace(certificate=(1, 2, 3)),
])
def test_a_malformed_quadratic_detail_is_rejected_not_a_traceback(mangle):
    proof = certify("x^2 + x*y + y^2", wrt=["x", "y"], check=False).proof
    root = list(proof.ids())[-1]
    facts = proof.facts.copy()
    facts.notes[root] = Note(words=("tampered",), detail=mangle(facts.notes[root].detail))
    with pytest.raises(ProofCheckError):
        check_proof(dataclasses.replace(proof, facts=facts, _steps={}))
