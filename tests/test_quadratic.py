"""Quadratic forms decided exactly (SPEC section 9): the `quadratic` rule, its kernel
check, and the exact witness of an indefinite form."""
from __future__ import annotations

import random
from fractions import Fraction

import pytest
import sympy
from conftest import tamper

from dcp import ProofCheckError, certify, check_proof
from dcp.facts.algebra import polynomial
from dcp.facts.quadratic import Factorisation, direction, factor, is_factorisation, quadratic_value, rows_of
from dcp.syntax.reader import read_into
from dcp.tape import Tape


def _verdict(expr: str, wrt, assume=()) -> str:
    return certify(expr, wrt=wrt, assume=list(assume), check=False).verdict


@pytest.mark.parametrize("expr,verdict", [
    ("x^2 + x*y + y^2", "convex"),
    ("(3*x)*x - 2*x*y + y*y", "convex"),
    ("x*(x + y) + y*(y + x)", "convex"),                # the plain rules see two products
    ("-(x*x) + x*y - y^2 + 7*x", "concave"),
    ("x*y - y*x + x", "affine"),
    ("x^2 + 2*x*y + y^2", "convex"),                      # (x + y)^2: semidefinite, singular
    ("(0.1*x)^2 - 0.2*x*y + 0.1*y^2 + 0.9*y^2", "convex"),    # 0.01 (x - 10 y)^2 exactly
    ("(0.1*x)^2 - 0.2*x*y + 0.1*y^2 + 0.9000001*y^2", "convex"),
    ("(0.1*x)^2 - 0.2*x*y + 0.1*y^2 + 0.8999999*y^2", "nonconvex"),
])
def test_polynomials_of_degree_two_are_decided_exactly(expr, verdict):
    result = certify(expr, wrt=["x", "y"], check=False)
    assert result.verdict == verdict, result.explain()
    if verdict != "nonconvex":
        assert result.proof.root.rule == "quadratic"


def test_minlplib_alan_is_convex_by_its_hessian():
    expr = ("x1 * (4 * x1 + 3 * x2 - x3) + x2 * (3 * x1 + 6 * x2 + x3) + x3 * (x2 - x1 + 10 * x3)"
            " - objvar")
    result = certify(expr, wrt=["x1", "x2", "x3", "objvar"], check=False)
    assert result.verdict == "convex"
    assert result.proof.root.facts == (
        "quadratic form: its 3x3 Hessian is positive semidefinite (exact LDLᵀ, D >= 0), convex",)


def test_a_parameter_in_a_term_of_degree_two_is_no_number():
    assert _verdict("a*x*y + x^2 + y^2", ["x", "y"]) == "unknown"
    # ... but where the parameter only scales the linear part, the form is decided.
    assert _verdict("x^2 + y^2 + a*x + b", ["x", "y"]) == "convex"


def test_a_name_fixed_by_its_bounds_is_a_constant():
    assert _verdict("x*y", ["x", "y"], ["2 <= y <= 2"]) == "affine"
    assert _verdict("x*y*y", ["x", "y"], ["-1 <= y <= -1"]) == "affine"


def test_a_quadratic_inside_a_composition():
    result = certify("exp(x^2 + x*y + y^2)", wrt=["x", "y"], check=False)
    assert result.verdict == "convex"
    assert [s.rule for s in result.proof.steps()][-2] == "quadratic"


def test_an_indefinite_form_is_nonconvex_with_an_exact_witness_and_no_search():
    result = certify("x^2 + 3*x*y + y^2", wrt=["x", "y"], check=False)
    assert result.verdict == "nonconvex"
    assert result.check.outcome != "refuted"        # the check did not run
    assert set(result.witnesses) == {"convex", "concave"}
    x, y = sympy.symbols("x y")
    f = x**2 + 3*x*y + y**2
    for kind, witness in result.witnesses.items():
        assert witness.exact and witness.theta == 0.5
        a = {x: sympy.Rational(witness.a["x"]), y: sympy.Rational(witness.a["y"])}
        b = {x: sympy.Rational(witness.b["x"]), y: sympy.Rational(witness.b["y"])}
        mid = {s: (a[s] + b[s]) / 2 for s in (x, y)}
        gap = f.subs(mid) - (f.subs(a) + f.subs(b)) / 2
        assert (gap > 0) if kind == "convex" else (gap < 0)
        assert "proved exactly" in result.explain()


def test_the_exact_witness_stays_inside_the_assumptions():
    result = certify("x*y + a*x", wrt=["x", "y"], assume=["0 <= x <= 0.1", "y >= 3", "a <= -1"],
                     check=False)
    assert result.verdict == "nonconvex"
    for witness in result.witnesses.values():
        for point in (witness.a, witness.b):
            assert 0 <= point["x"] <= 0.1 and point["y"] >= 3
        assert witness.params["a"] <= -1


def test_the_exact_witness_takes_a_declared_shape():
    result = certify("x*y", wrt=["x", "y"], shapes={"x": (2, 3)}, check=False)
    witness = result.witnesses["convex"]
    assert witness.shapes == {"x": (2, 3), "y": ()} and witness.entry == (0, 0)
    assert len(witness.a["x"]) == 2 and len(witness.a["x"][0]) == 3


def test_the_numeric_check_agrees():
    result = certify("x^2 + x*y + y^2 - 3*x", wrt=["x", "y"])
    assert result.verdict == "convex" and set(result.witnesses) == {"concave"}


# ---- the kernel ----------------------------------------------------------------------
def _root(expr="x^2 + x*y + y^2", wrt=("x", "y")):
    proof = certify(expr, wrt=list(wrt), check=False).proof
    return proof, proof.root_id


def test_the_kernel_refuses_a_certificate_of_another_matrix():
    proof, root = _root()
    order, sign, (lower, diagonal) = proof.facts.notes[root].detail
    wrong = Factorisation(lower, [diagonal[0] + 1, *diagonal[1:]])
    with pytest.raises(ProofCheckError, match="factorisation"):
        check_proof(tamper(proof, index=root, detail=(order, sign, wrong)))


def test_the_kernel_refuses_a_negative_pivot():
    proof, root = _root("x^2 + 3*x*y + y^2 + 2*x*y - 2*x*y")
    tampered = tamper(proof, index=root, rule="quadratic", curvature=proof.facts.curvature[root],
                      premises=(proof.tape.find("name", "x"), proof.tape.find("name", "y")))
    matrix = rows_of([[2, 3], [3, 2]])
    lower = [{}, {0: Fraction(3, 2)}]
    assert not is_factorisation(matrix, Factorisation(lower, [Fraction(2), Fraction(-5, 2)]))
    from dcp.facts.curvature import CONVEX
    with pytest.raises(ProofCheckError):
        check_proof(tamper(tampered, index=root, curvature=CONVEX,
                           detail=(tuple(tampered.facts.premises[root]), 1,
                                   Factorisation(lower, [Fraction(2), Fraction(-5, 2)]))))


def test_the_kernel_refuses_a_convex_claim_for_a_concave_form():
    from dcp.facts.curvature import CONVEX
    proof, root = _root("-(x^2) - y^2 + x*y")
    with pytest.raises(ProofCheckError, match="claims convex"):
        check_proof(tamper(proof, index=root, curvature=CONVEX))


def test_the_kernel_refuses_missing_premises_and_a_narrow_range():
    from dcp.facts import Interval
    proof, root = _root()
    with pytest.raises(ProofCheckError, match="not a polynomial of its premises"):
        check_proof(tamper(proof, index=root, premises=proof.facts.premises[root][:1]))
    with pytest.raises(ProofCheckError, match="range"):
        check_proof(tamper(proof, index=root, range=Interval(0.0, 1.0)))


def test_the_kernel_refuses_a_variable_claimed_fixed():
    proof, root = _root("x*y", wrt=("x",))         # y is a parameter: x*y is affine
    assert proof.facts.rule[root] == "product"    # (the plain rules decide it)
    proof, root = _root()
    order, sign, certificate = proof.facts.notes[root].detail
    with pytest.raises(ProofCheckError, match="degree or variables"):
        check_proof(tamper(proof, index=root, detail=(order[:1], sign, certificate)))


# ---- the exact algebra and the elimination, against SymPy ------------------------------
def _random_polynomial(rng: random.Random, names: list[str]) -> str:
    terms = []
    for _ in range(rng.randint(1, 6)):
        factors = [rng.choice(names) for _ in range(rng.randint(0, 2))]
        coefficient = rng.choice(["1", "2", "0.5", "-3", "0.1", "-0.25", "7"])
        terms.append("*".join([coefficient, *factors]))
    text = " + ".join(terms)
    if rng.random() < 0.5:
        text = f"({text}) * ({rng.choice(names)} - {rng.choice(['1', '0.3'])})"
    return text


def test_the_algebra_expands_as_sympy_does():
    rng = random.Random(7)
    names = ["x", "y", "z"]
    symbols = sympy.symbols(names)
    for _ in range(200):
        text = _random_polynomial(rng, names)
        tape = Tape()
        root = read_into(text, tape)
        poly = polynomial(tape, root, lambda i: i if tape.op[i] == "name" else None)
        ours = sum((sympy.Rational(c.numerator, c.denominator)
                    * sympy.Mul(*[sympy.Symbol(tape.data[s]) for s in m]) for m, c in poly.items()),
                   sympy.Integer(0))
        theirs = sympy.expand(sympy.sympify(text.replace("^", "**"), rational=True))
        assert sympy.expand(ours - theirs) == 0, text
    assert symbols


def test_psd_decisions_agree_with_sympy_and_directions_descend():
    rng = random.Random(11)
    for _ in range(300):
        n = rng.randint(1, 5)
        rank = rng.randint(0, n)
        # A sum of `rank` squares of integer vectors, minus sometimes one more: every kind.
        matrix = sympy.zeros(n, n)
        for _ in range(rank):
            v = sympy.Matrix([rng.randint(-3, 3) for _ in range(n)])
            matrix += v * v.T
        if rng.random() < 0.4:
            v = sympy.Matrix([rng.randint(-2, 2) for _ in range(n)])
            matrix -= v * v.T * rng.choice([1, sympy.Rational(1, 3)])
        exact = rows_of([[Fraction(int(sympy.numer(e)), int(sympy.denom(e))) for e in row]
                         for row in matrix.tolist()])
        found = factor(exact)
        psd = matrix.is_positive_semidefinite
        assert isinstance(found, Factorisation) == psd, matrix
        if psd:
            assert is_factorisation(exact, found)
        else:
            assert quadratic_value(exact, direction(exact, found)) < 0


# ---- vectors: inner products under declared shapes (symbolic dimensions) ---------------
def test_an_inner_product_of_a_declared_vector_is_a_sum_of_squares():
    for shapes in ({"u": ("n",)}, {"u": (4,)}):
        result = certify("u.T @ u", wrt="u", shapes=shapes, check=False)
        assert result.verdict == "convex" and result.proof.root.rule == "quadratic"
        assert result.proof.root.range.lo == 0
    from dcp import Session
    assert [r.verdict for r in Session().run("shape u = (n,)\ncertify u.T @ u wrt u")] == ["convex"]


def test_inner_products_of_several_vectors_are_decided_by_their_coefficients():
    shapes = {"u": ("n",), "v": ("n",)}
    assert _verdict_shaped("(u - v).T @ (u - v) + x^2", ["u", "v", "x"], shapes) == "convex"
    assert _verdict_shaped("u.T @ u - 2 * u.T @ v + v.T @ v", ["u", "v"], shapes) == "convex"
    assert _verdict_shaped("-(u @ u) + 2*u", ["u"], {"u": ("n",)}) == "concave"
    assert _verdict_shaped("dot(u, v)", ["u", "v"], shapes) == "unknown"


def test_an_inner_product_is_kept_apart_from_the_same_vector_used_elementwise():
    # Entry i of 2*u*u - u.T @ u is 2 u_i^2 - sum_k u_k^2: not convex for n >= 2, though
    # merging the two readings of u would give the coefficient 2 - 1 >= 0.
    result = certify("2*u*u - u.T @ u", wrt="u", shapes={"u": (3,)})
    assert result.verdict == "nonconvex" and "convex" in result.witnesses


def test_without_a_declared_shape_a_product_of_a_name_with_itself_may_be_a_matrix_product():
    result = certify("u @ u", wrt="u")
    assert result.verdict == "nonconvex"
    assert len(result.covers["u"]) == 2
    assert "shapes were free: declare one, e.g. `shape u = (n,)`" in result.explain()
    assert certify("relu(W2 @ relu(W1 @ x))", wrt="W1").covers == {}


def _verdict_shaped(expr, wrt, shapes):
    return certify(expr, wrt=wrt, shapes=shapes, check=False).verdict


# ---- x.T @ P @ x: a quadratic form written with matrix products ------------------------
@pytest.mark.parametrize("expr,assume,verdict", [
    ("x.T @ P @ x", ["P psd"], "convex"),
    ("x.T @ (P @ x)", ["P nsd"], "concave"),
    ("x.T @ [[2, 1], [1, 2]] @ x", [], "convex"),
    ("x.T @ P @ x", [], "unknown"),
])
def test_a_quadratic_form_of_a_declared_vector_is_quad_form(expr, assume, verdict):
    result = certify(expr, wrt="x", assume=assume, shapes={"x": (2,)}, check=False)
    assert result.verdict == verdict
    if verdict != "unknown":
        assert result.proof.root.rule == "identity"
        assert result.proof.root.premises[0].text.startswith("quad_form(x, ")


def test_a_quadratic_form_of_a_free_shape_is_no_quad_form():
    # X.T @ P @ X of a matrix X is a matrix, whose off-diagonal entries are not convex.
    result = certify("x.T @ P @ x", wrt="x", assume=["P psd"])
    assert result.verdict == "nonconvex" and len(result.covers["x"]) == 2


def test_the_kernel_refuses_a_quadratic_form_of_a_name_not_declared_a_vector():
    import dataclasses
    proof = certify("x.T @ P @ x", wrt="x", assume=["P psd"], shapes={"x": ("n",)}, check=False).proof
    check_proof(proof)
    with pytest.raises(ProofCheckError, match="declared so"):
        check_proof(dataclasses.replace(proof, ranks={}, _steps={}))
