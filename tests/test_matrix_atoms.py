"""Matrix atoms (quad_form, log_det, lambda_max, lambda_min, sigma_max, norm_nuc,
matrix_frac) and the assumption forms ``P psd``, ``P nsd``, ``P symmetric``."""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
import sympy
from conftest import tamper

from dcp import (
    AssumptionError,
    Curvature,
    ProofCheckError,
    Session,
    ShapeError,
    certify,
    check_proof,
)
from dcp.check.search import Box, MatrixBox
from dcp.facts import REALS, Interval
from dcp.facts.balls import precision
from dcp.facts.structure import Structured, meet
from dcp.ops import ARB, FLOAT
from dcp.atoms import lookup

SQUARE = {"X": (3, 3)}


def _verdict(expr, wrt, assume=(), shapes=None):
    return certify(expr, wrt=wrt, assume=assume, shapes=shapes, check=False).verdict


# ---- verdicts -------------------------------------------------------------------------
@pytest.mark.parametrize("expr,wrt,assume,verdict", [
    ("quad_form(x, P)", "x", ["P psd"], "convex"),
    ("quad_form(x, P)", "x", ["P nsd"], "concave"),
    ("quad_form(x, P)", "x", ["P psd", "P nsd"], "affine"),          # only 0 is both
    ("quad_form(x, P)", "x", ["P symmetric"], "unknown"),
    ("quad_form(x, P)", "x", [], "unknown"),
    ("quad_form(A @ x + b, P)", "x", ["P psd"], "convex"),
    ("-quad_form(x, P)", "x", ["P nsd"], "convex"),
    ("quad_form(x, 2 * P)", "x", ["P psd"], "unknown"),              # the structure is P's
    ("quad_form(x, min(P))", "x", ["P psd"], "unknown"),             # min(P) may be < 0
    ("quad_form(relu(x), P)", "x", ["P psd", "P >= 0"], "convex"),   # nondecreasing on x >= 0
    ("quad_form(relu(x), P)", "x", ["P psd"], "unknown"),
    ("quad_form(-relu(x), P)", "x", ["P psd", "P >= 0"], "convex"),  # nonincreasing on x <= 0
    ("log_det(X)", "X", [], "concave"),
    ("-log_det(X)", "X", [], "convex"),
    ("log_det(A @ x @ A.T)", "x", [], "concave"),                    # affine in x
    ("log_det(X @ X)", "X", [], "unknown"),
    ("lambda_max(X)", "X", [], "convex"),
    ("lambda_min(X)", "X", [], "concave"),
    ("lambda_max(X) - lambda_min(X)", "X", [], "convex"),
    ("lambda_max(X) + lambda_min(X)", "X", [], "unknown"),
    ("sigma_max(X) + norm_nuc(X)", "X", [], "convex"),
    ("norm_nuc(A @ X + B)", "X", [], "convex"),
    ("relu(sigma_max(X))", "X", [], "convex"),
    ("sigma_max(relu(X))", "X", [], "unknown"),                      # not monotone entrywise
    ("log_det(exp(X))", "X", [], "unknown"),
    ("matrix_frac(x, P)", ["x", "P"], [], "convex"),
    ("-lambda_max(X)", "X", [], "concave"),
])
def test_verdicts(expr, wrt, assume, verdict):
    assert _verdict(expr, wrt, assume) == verdict


def test_the_trace_shows_the_composition_and_the_assumed_structure():
    text = certify("quad_form(x, P)", wrt="x", assume=["P psd"], check=False).explain()
    assert "composition (quad_form: convex" in text
    assert "(-inf, inf) psd  parameter" in text


def test_quad_form_ranges():
    proof = certify("quad_form(x, P)", wrt="x", assume=["P psd"], check=False).proof
    assert proof.facts.range[proof.root_id] == Interval(0, math.inf)
    proof = certify("quad_form(x, P)", wrt="x", assume=["P <= 0", "x >= 0"], check=False).proof
    assert proof.facts.range[proof.root_id] == Interval(-math.inf, 0)
    proof = certify("quad_form(x, P)", wrt="x", check=False).proof
    assert proof.facts.range[proof.root_id] == REALS


def test_eigenvalue_ranges_follow_the_diagonal():
    proof = certify("lambda_max(X)", wrt="X", assume=["1 <= X <= 2"], check=False).proof
    assert proof.facts.range[proof.root_id] == Interval(1, math.inf)
    proof = certify("lambda_min(X)", wrt="X", assume=["1 <= X <= 2"], check=False).proof
    assert proof.facts.range[proof.root_id] == Interval(-math.inf, 2)


# ---- the assumption forms -------------------------------------------------------------
def test_structures_combine_with_bounds_in_one_range():
    s = Session()
    s.assume("P symmetric", "P psd", "P <= 2")
    assert s.bounds["P"] == Structured(-math.inf, 2, structure="psd")
    s.assume("P nsd")
    assert s.bounds["P"] == Structured(0, 0, structure="zero")


def test_a_structured_range_is_not_a_plain_one():
    psd = Structured(*REALS, structure="psd")
    assert psd != REALS and hash(psd) != hash(REALS)
    assert not psd.contains(REALS) and REALS.contains(psd)
    assert Structured(*REALS, structure="symmetric").contains(psd)
    assert meet(psd, Interval(-1, 1)) == Structured(-1, 1, structure="psd")


@pytest.mark.parametrize("assume,message,caret", [
    (["P psd", "P <= -1"], "a psd matrix has nonnegative diagonal entries, and the entries "
                           "of `P` lie in (-inf, -1]", "P <= -1"),
    (["P <= -1", "P psd"], "a psd matrix has nonnegative diagonal entries", "P psd"),
    (["P nsd", "P > 0"], "an nsd matrix has nonpositive diagonal entries", "P > 0"),
    (["P psd", "P nsd", "P >= 1"], "only the zero matrix is both psd and nsd", "P >= 1"),
    (["P >= 1", "P psd, P nsd"], "only the zero matrix is both psd and nsd", "P nsd"),
])
def test_contradictions_are_clear_errors_with_a_caret(assume, message, caret):
    with pytest.raises(AssumptionError, match="contradictory assumptions on `P`") as info:
        certify("quad_form(x, P)", wrt="x", assume=assume, check=False)
    assert message in str(info.value)
    lines = str(info.value).splitlines()
    source, marks = lines[-2].split("| ", 1)[1], lines[-1].split("| ", 1)[1]
    start = source.index(caret)
    assert marks == " " * start + "^" * len(caret)


def test_a_variable_cannot_be_psd_but_may_be_symmetric():
    with pytest.raises(AssumptionError, match=r"`P psd` is an assumption about a parameter"):
        certify("quad_form(x, P)", wrt=["x", "P"], assume=["P psd"], check=False)
    with pytest.raises(AssumptionError, match=r"`P nsd` is an assumption about a parameter"):
        certify("log_det(P)", wrt="P", assume=["P nsd"], check=False)
    # cvt-236 of the CVXPY corpus: X restricted to the symmetric matrices.
    result = certify("log_det(X)", wrt="X", assume=["X symmetric"], shapes={"X": (2, 2)})
    assert result.verdict == "concave" and result.check.trials > 0
    assert result.is_convex is False
    a = np.array(result.witnesses["convex"].a["X"])
    assert (a == a.T).all()


def test_a_misspelt_structure_is_a_parse_error_with_a_caret():
    with pytest.raises(AssumptionError, match="expected `psd`, `nsd` or `symmetric`") as info:
        certify("quad_form(x, P)", wrt="x", assume=["P pds"], check=False)
    assert str(info.value).splitlines()[-1].endswith("  ^^^")


def test_the_words_stay_names_elsewhere():
    assert _verdict("psd * x + symmetric", "x", ["psd >= 0"]) == "affine"


def test_scripts_and_the_repl_read_the_forms():
    results = Session().run("assume P psd, x >= 0\ncertify quad_form(x, P) wrt x")
    assert results[0].verdict == "convex"
    from dcp.repl import Repl
    repl = Repl()
    repl.execute(":check off")
    repl.execute(":assume P nsd")
    repl.execute(":wrt x")
    assert "verdict: concave" in repl.execute("quad_form(x, P)")
    assert "error: contradictory assumptions on `P`" in repl.execute(":assume P > 0")


# ---- shapes ---------------------------------------------------------------------------
@pytest.mark.parametrize("expr,shapes", [
    ("quad_form(x, P)", {"x": (3,), "P": (2, 2)}),
    ("quad_form(x, P)", {"x": (2,), "P": (2, 3)}),
    ("quad_form(X, P)", {"X": (2, 2), "P": (2, 2)}),
    ("log_det(x)", {"x": (3,)}),
    ("lambda_max(X)", {"X": (2, 3)}),
    ("sigma_max(x)", {"x": (3,)}),
    ("matrix_frac(x, P)", {"x": (3,), "P": (2, 2)}),
])
def test_shapes_that_cannot_agree(expr, shapes):
    wrt = sorted(shapes)[0]
    with pytest.raises(ShapeError):
        certify(expr, wrt=wrt, shapes=shapes)


def test_shapes_are_inferred_from_the_vector():
    result = certify("quad_form(x, P)", wrt="x", assume=["P psd"], shapes={"x": (4,)})
    assert result.witness.shapes == {"x": (4,), "P": (4, 4)}


# ---- the kernel ---------------------------------------------------------------------------
def test_the_kernel_refuses_a_structure_that_was_not_assumed():
    proof = certify("quad_form(x, P)", wrt="x", check=False).proof
    psd = Structured(*REALS, structure="psd")
    bad = tamper(proof, "P", range=psd)
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(bad)
    bad = tamper(bad, "quad_form(x, P)", curvature=Curvature.CONVEX, range=Interval(0, math.inf))
    with pytest.raises(ProofCheckError):
        check_proof(bad)


def test_the_kernel_refuses_a_convex_claim_without_the_structure():
    proof = certify("quad_form(x, P)", wrt="x", assume=["P symmetric"], check=False).proof
    bad = tamper(proof, "quad_form(x, P)", curvature=Curvature.CONVEX, reason=None)
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only unknown"):
        check_proof(bad)


def test_the_kernel_refuses_a_structured_variable():
    proof = certify("quad_form(x, P)", wrt="x", assume=["P psd"], check=False).proof
    check_proof(proof)
    bad = dataclasses.replace(proof, bounds={**proof.bounds, "x": proof.bounds["P"]},
                              _steps={})
    bad.facts.range[bad.tape.find("name", "x")] = proof.bounds["P"]
    with pytest.raises(ProofCheckError, match="a variable cannot be assumed psd or nsd"):
        check_proof(bad)


def test_the_kernel_refuses_a_wrong_premise():
    proof = certify("quad_form(x, P) + quad_form(y, P)", wrt=["x", "y"], assume=["P psd"],
                    check=False).proof
    node = next(i for i in proof.ids() if proof.tape.text(i, 60) == "quad_form(x, P)")
    x, p = proof.facts.premises[node]
    bad = tamper(proof, index=node, premises=(p, p))
    with pytest.raises(ProofCheckError, match="premises are not the subexpressions"):
        check_proof(bad)


# ---- the numeric check ------------------------------------------------------------------
@pytest.mark.parametrize("expr,wrt,assume,kind", [
    ("quad_form(x, P)", "x", ["P psd"], "convex"),
    ("quad_form(x, P)", "x", ["P nsd", "-1 <= P <= 1"], "concave"),
    ("-log_det(X)", "X", [], "convex"),
    ("lambda_max(X) - lambda_min(X)", "X", [], "convex"),
    ("sigma_max(X) + norm_nuc(X)", "X", [], "convex"),
    ("matrix_frac(x, P)", ["x", "P"], [], "convex"),
])
def test_the_check_passes_on_certified_cases(expr, wrt, assume, kind):
    result = certify(expr, wrt=wrt, assume=assume, seed=1)
    assert result.verdict == kind
    assert result.check.trials > 0
    assert kind not in result.witnesses                    # (a witness would have raised)


def test_the_check_proves_what_quad_form_is_not():
    result = certify("quad_form(x, P)", wrt="x", assume=["P psd"])
    assert result.is_concave is False
    params = np.array(result.witness.params["P"])
    assert MatrixBox(structure="psd").holds(params)


def test_an_unassumed_matrix_is_refuted():
    assert certify("quad_form(x, P)", wrt="x").verdict == "nonconvex"


def test_the_structured_box_draws_and_decides_exactly():
    rng = np.random.default_rng(0)
    for structure, lo, hi in (("psd", -1.0, 2.0), ("psd", 0.5, 3.0), ("nsd", -4.0, 0.0),
                              ("symmetric", -1.0, 1.0), ("zero", -1.0, 1.0)):
        box = MatrixBox(lo, hi, structure)
        draws = box.sample(rng, (64, 3, 3), 1.0, False)
        held = [box.contains(d) for d in draws]
        assert sum(held) >= 60, (structure, sum(held))
    assert not MatrixBox(structure="symmetric").holds(np.array([[1.0, 2.0], [0.0, 1.0]]))
    assert not MatrixBox(structure="psd").holds(np.array([[1.0, 2.0], [2.0, 1.0]]))
    assert MatrixBox(structure="psd").holds(np.array([[1.0, 1.0], [1.0, 1.0]]))   # singular
    assert not MatrixBox(structure="nsd").holds(np.array([[1.0, 1.0], [1.0, 1.0]]))
    assert not MatrixBox(structure="psd").holds(np.zeros(3))                       # a vector
    assert MatrixBox(structure="psd").holds(np.float64(2.0))                       # 1 x 1
    assert Box.of(Structured(0, 1, True, structure="psd")) == MatrixBox(5e-324, 1.0, "psd")


# ---- evaluation -----------------------------------------------------------------------
X = np.array([[[2.0, 1.0, 0.0], [0.5, 3.0, -1.0], [0.0, -1.0, 4.0]]])
v = np.array([[1.0, -2.0, 0.5]])


@pytest.mark.parametrize("name,args,expected", [
    ("log_det", (X,), math.log(np.linalg.det((X[0] + X[0].T) / 2))),
    ("lambda_max", (X,), np.linalg.eigvalsh((X[0] + X[0].T) / 2)[-1]),
    ("lambda_min", (X,), np.linalg.eigvalsh((X[0] + X[0].T) / 2)[0]),
    ("sigma_max", (X,), np.linalg.svd(X[0], compute_uv=False)[0]),
    ("norm_nuc", (X,), np.linalg.svd(X[0], compute_uv=False).sum()),
    ("quad_form", (v, X), v[0] @ X[0] @ v[0]),
    ("matrix_frac", (v, X), v[0] @ np.linalg.solve((X[0] + X[0].T) / 2, v[0])),
])
def test_floats_and_balls_agree(name, args, expected):
    atom = lookup(name, len(args))
    assert atom.evaluate(FLOAT, list(args), {}, None)[0] == pytest.approx(expected, rel=1e-12)
    with precision(128):
        ball = atom.evaluate(ARB, [ARB.array(a) for a in args], {}, None)[0]
    assert ball.is_finite() and ball.rad() < 1e-20
    assert abs(float(ball.mid()) - expected) < 1e-12


def test_outside_the_positive_definite_matrices_there_is_no_value():
    indefinite = np.array([[[1.0, 2.0], [2.0, 1.0]]])
    negative = -np.eye(2)[None]                      # det > 0, yet not definite
    for m in (indefinite, negative):
        assert np.isnan(lookup("log_det", 1).evaluate(FLOAT, [m], {}, None)[0])
        with precision(128):
            assert not lookup("log_det", 1).evaluate(ARB, [ARB.array(m)], {}, None)[0].is_finite()
        assert np.isnan(lookup("matrix_frac", 2).evaluate(FLOAT, [np.ones((1, 2)), m], {}, None)[0])


def test_repeated_eigenvalues_are_enclosed():
    with precision(128):
        ball = lookup("lambda_max", 1).evaluate(ARB, [ARB.array(np.eye(3)[None])], {}, None)[0]
    assert ball.contains(1) and ball.rad() < 1e-20


# ---- the facts, by SymPy ----------------------------------------------------------------
def test_facts_by_sympy():
    """quad_form's Hessian in x is P + Pᵀ (psd when P is); along any line X + tV of
    symmetric 2 x 2 matrices, d²/dt² log det = -tr((X⁻¹V)²) <= 0 (concave); the
    scalar matrix_frac x²/p has a psd Hessian for p > 0 (convex jointly)."""
    x = sympy.symbols("x0:2")
    P = sympy.Matrix(2, 2, sympy.symbols("p0:4"))
    form = (sympy.Matrix([x]) * P * sympy.Matrix(x))[0]
    assert sympy.simplify(sympy.hessian(form, x) - (P + P.T)) == sympy.zeros(2, 2)
    a, b, c, d, e, f, t = sympy.symbols("a b c d e f t", real=True)
    Xs, V = sympy.Matrix([[a, b], [b, c]]), sympy.Matrix([[d, e], [e, f]])
    second = sympy.diff(sympy.log((Xs + t * V).det()), t, 2).subs(t, 0)
    M = Xs.inv() * V
    assert sympy.simplify(second + (M * M).trace()) == 0
    # tr((X⁻¹V)²) = tr((X^{-1/2} V X^{-1/2})²) >= 0: a sum of squares of a symmetric matrix.
    xs, p = sympy.symbols("x p", positive=True)
    h = sympy.hessian(xs ** 2 / p, (xs, p))
    assert sympy.simplify(h.det()) == 0 and sympy.simplify(h[0, 0] - 2 / p) == 0


# ---- a matrix written out, decided exactly ----------------------------------------------
@pytest.mark.parametrize("expr,wrt,assume,verdict", [
    # cvt-378 .. cvt-381 of the CVXPY corpus
    ("quad_form(x, [[-1, 0, 0], [0, -1, 0], [0, 0, -1]])", "x", [], "concave"),
    ("quad_form(x, [[1, 0, 0], [0, 1, 0], [0, 0, 1]])", "x", [], "convex"),
    ("quad_form(square(z), [[2.0, 0.5], [0.5, 1.0]])", "z", ["z >= 0"], "convex"),
    ("quad_form(square(z) - 1, [[2.0, 0.5], [0.5, 1.0]])", "z", ["z >= 0"], "nonconvex"),
    ("quad_form(x, [[1, 2], [2, 1]])", "x", [], "nonconvex"),            # indefinite
    ("quad_form(x, [[1, 1], [1, 1]])", "x", [], "convex"),               # singular psd
    ("quad_form(x, [[1, 0.1], [0.1, 0.01]])", "x", [], "convex"),        # det 0 exactly
    ("quad_form(x, [[1, 0.1], [0.1, 0.0099]])", "x", [], "nonconvex"),   # det < 0 by 1e-4
    ("quad_form(x, [[1, 2], [0, 1]])", "x", [], "unknown"),              # not symmetric
    ("quad_form(x, [[0, 0], [0, 0]])", "x", [], "affine"),
    ("quad_form(t, 3)", "t", [], "convex"),                               # 1 x 1
    ("quad_form(t, -0.5)", "t", [], "concave"),
    ("-quad_form(x, [[2, 1], [1, 2]]) + 1", "x", [], "concave"),
])
def test_a_literal_matrix_is_decided_exactly(expr, wrt, assume, verdict):
    result = certify(expr, wrt=wrt, assume=assume)
    assert result.verdict == verdict
    rules = [step.rule for step in result.proof.steps()]
    assert ("literal structure" in rules) == (verdict in ("convex", "concave", "affine"))


def test_the_literal_step_shows_in_the_trace():
    text = certify("quad_form(x, [[2, 1], [1, 2]])", wrt="x", check=False).explain()
    assert "literal structure (`[[2, 1], [1, 2]]` is psd (decided exactly); quad_form: convex" in text


def _literal_proof():
    proof = certify("quad_form(x, [[2, 1], [1, 2]])", wrt="x", check=False).proof
    check_proof(proof)
    return proof


def test_the_kernel_refuses_a_wrong_structure_claimed_of_a_literal():
    proof = certify("quad_form(x, [[1, 2], [2, 1]])", wrt="x", check=False).proof
    bad = tamper(proof, index=proof.root_id, rule="literal structure", reason=None,
                 curvature=Curvature.CONVEX, range=Interval(0, math.inf), detail=(1, "psd"))
    with pytest.raises(ProofCheckError, match=r"is not a psd matrix written out"):
        check_proof(bad)


def test_the_kernel_refuses_a_tampered_literal_step():
    proof = _literal_proof()
    root = proof.root_id
    with pytest.raises(ProofCheckError, match="is not a nsd matrix written out"):
        check_proof(tamper(proof, index=root, detail=(1, "nsd"), curvature=Curvature.CONCAVE))
    with pytest.raises(ProofCheckError, match="claims concave, the rule gives only convex"):
        check_proof(tamper(proof, index=root, curvature=Curvature.CONCAVE))
    with pytest.raises(ProofCheckError, match="the atom reads no structure there"):
        check_proof(tamper(proof, index=root, detail=(0, "psd")))
    with pytest.raises(ProofCheckError, match="records no structure"):
        check_proof(tamper(proof, index=root, detail=None))
    x, p = proof.facts.premises[root]
    with pytest.raises(ProofCheckError, match="premises are not the subexpressions"):
        check_proof(tamper(proof, index=root, premises=(x, x)))
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(tamper(proof, index=root, range=Interval(1, math.inf)))


def test_nearly_singular_and_non_finite_matrices_never_crash_the_check():
    # fuzz seed 2120: a positive definite S too close to singular for numpy's solve
    p = np.array([[[1.0, 0, 0], [0, 1e-300, 0], [0, 0, 1]], [[1.0, 0, 0], [0, np.inf, 0], [0, 0, 1]]])
    values = lookup("matrix_frac", 2).evaluate(FLOAT, [np.ones((2, 3)), p], {}, None)
    assert values[0] == pytest.approx(2 + 1e300) and np.isnan(values[1])
    for atom in ("log_det", "lambda_max", "sigma_max", "norm_nuc"):
        assert np.isnan(lookup(atom, 1).evaluate(FLOAT, [p[1:]], {}, None)[0])
    assert certify("matrix_frac(-relu(u), X - Y)", wrt="Y").verdict == "convex"
