"""Rewrites to a canonical form (the ``identity`` rule): what they prove, the step with
both sides in the trace, the table of transcendental identities proved by SymPy, and the
kernel refusing every tampered step."""
from __future__ import annotations

import random

import pytest
import sympy

from dcp import DcpError, ProofCheckError, certify, check_proof
from dcp.atoms import lookup
from dcp.check import Budget
from dcp.facts import Interval
from dcp.facts.curvature import CONVEX
from dcp.identities import FIXED, RATIONAL, TABLE
from dcp.methods.rewrites import MAX_NESTING
from dcp.proof import Note, Proof
from dcp.syntax import parse_expression
from dcp.tape import Tape
from dcp.testing import ATTACKS

FAST = Budget(presearch_points=256, examples=5)


def _identities(result) -> list:
    return [step for step in result.proof.steps() if step.rule == "identity"]


# ---- verdicts ----------------------------------------------------------------------------
@pytest.mark.parametrize("expression,wrt,assume,verdict", [
    ("u/(1 + u)", "u", ["u >= 0"], "concave"),
    # MINLPLib sssd08-04 (12 constraints of this form)
    ("-x45/(1 + x45) + x49", ["x45", "x49"], ["x45 >= 0"], "convex"),
    ("(2*x + 3)/(x + 1)", "x", ["x >= 0"], "convex"),
    ("x/(x + c)", "x", ["x >= 0", "c > 0"], "concave"),
    ("(x + 1)/(x - 1)", "x", ["x >= 2"], "convex"),
    ("(x + 1)/(x - 1)", "x", ["x <= 0.5"], "concave"),
    ("(x/3 + 1)/(7*x + 2)", "x", ["x >= 0"], "convex"),
    ("(x + y)/(x + y + 1e-06)", ["x", "y"], ["x >= 0", "y >= 0"], "concave"),
    ("(c*x + 1)/(x + 2)", "x", ["x >= 0", "0 <= c <= 0.4"], "convex"),
    ("log(sigmoid(t))", "t", [], "concave"),
    ("exp(a) * exp(b) * exp(2*a - 1)", ["a", "b"], [], "convex"),
    ("-(exp(x) * exp(y))", ["x", "y"], [], "concave"),
    ("x*log(x)", "x", ["x >= 0"], "convex"),
    ("log(x)*x + y", ["x", "y"], ["x > 0"], "convex"),
    ("x*log(x/y)", ["x", "y"], ["x >= 0", "y > 0"], "convex"),
    ("log(x*y)", ["x", "y"], ["x >= 1", "y >= 1"], "concave"),
    ("log(x*y*z)", ["x", "y", "z"], ["x >= 1", "y >= 1", "z >= 1"], "concave"),
    ("exp(x*y)", ["x", "y"], ["254 <= x <= 254"], "convex"),
    ("log(x*y + 1)", ["x", "y"], ["0.1 <= x <= 0.1", "y >= 0"], "concave"),   # 1/10 exactly
    ("y/(x + y)", ["x", "y"], ["2 <= x <= 2", "y >= 0"], "concave"),
    ("x*exp(y) + y", ["x", "y"], ["-0.5 <= x <= -0.5"], "concave"),
])
def test_rewrites_certify(expression, wrt, assume, verdict):
    result = certify(expression, wrt=wrt, assume=assume, check_budget=FAST)
    assert result.verdict == verdict
    assert _identities(result)


@pytest.mark.parametrize("expression,wrt,assume", [
    ("x^2/(1 + x)", "x", ["x >= 0"]),                 # not affine: quad_over_lin's business
    ("y/(1 + x)", ["x", "y"], ["x >= 0"]),            # no alpha with y = alpha*(1 + x) + beta
    ("(x + y)/(2*x + y + 1)", ["x", "y"], ["x >= 0", "y >= 0"]),
    ("x/(x + c)", "x", ["x >= 0"]),                   # c of unknown sign: 1/(x + c) unknown
    ("(x + 1)/(x - 1)", "x", []),                     # the denominator changes sign
    ("log(x)/(1 + x)", "x", ["x >= 0"]),              # log(x) is not affine in x
    ("exp(x) * log(x)", "x", ["x >= 1"]),
    ("exp(x*y)", ["x", "y"], ["254 <= x <= 255"]),        # not fixed
    ("x*log(y)", ["x", "y"], ["x >= 1", "y >= 1"]),        # not x*log(x)
])
def test_refused_on_purpose(expression, wrt, assume):
    result = certify(expression, wrt=wrt, assume=assume, check=False)
    # Not convex nor concave by any rewrite; the DQCP rules (SPEC section 10) may still see
    # a ratio or a product: y/(1 + x) is linear-fractional, so quasilinear.
    assert result.curvature.value == "unknown"
    assert result.verdict == {"x^2/(1 + x)": "quasiconvex", "y/(1 + x)": "quasilinear",
                              "(x + y)/(2*x + y + 1)": "quasilinear", "log(x)/(1 + x)": "quasiconcave",
                              "x*log(y)": "quasiconcave"}.get(expression, "unknown")
    assert not _identities(result)


@pytest.mark.parametrize("expression,assume,rule", [
    ("1/(1 + x)", ["x >= 0"], "reciprocal"),
    ("log(sigmoid(x))", ["x >= 0"], "composition"),   # concave by the plain rules
    ("exp(x) * 2", [], "product"),
])
def test_certified_proofs_stay_as_they_are(expression, assume, rule):
    result = certify(expression, wrt="x", assume=assume, check=False)
    assert result.proof.root.rule == rule
    assert not _identities(result)


# ---- the step in the trace ----------------------------------------------------------------
def test_the_rewrite_step_shows_both_sides():
    result = certify("u/(1 + u)", wrt="u", assume=["u >= 0"], check=False)
    root = result.proof.root
    assert (root.rule, root.curvature) == ("identity", result.curvature)
    assert [p.text for p in root.premises] == ["1 - 1 / (1 + u)"]
    assert root.facts == ("u / (1 + u) = 1 - 1 / (1 + u)",)
    assert result.proof.facts.notes[root.id].detail == RATIONAL
    assert root.premises[0].premises[1].rule == "reciprocal"
    text = result.explain()
    assert "identity (u / (1 + u) = 1 - 1 / (1 + u))" in text
    assert "1 - 1 / (1 + u)" in text


def test_a_table_step_names_its_identity():
    result = certify("log(sigmoid(t))", wrt="t", check=False)
    root = result.proof.root
    assert root.rule == "identity" and root.premises[0].text == "-softplus(-t)"
    assert root.facts == ("log(sigmoid(t)) = -softplus(-t)",
                          "log_sigmoid: log(sigmoid(t)) = -softplus(-t)")


def test_a_fixed_name_is_its_value_and_stays_in_the_proof():
    result = certify("exp(x*y)", wrt=["x", "y"], assume=["254 <= x <= 254"], check_budget=FAST)
    root = result.proof.root
    assert root.rule == "identity" and root.premises[0].text == "exp((254 + 0 * x) * y)"
    assert root.facts == ("exp(x * y) = exp((254 + 0 * x) * y)", "x = 254 by the bounds")
    assert result.proof.facts.notes[root.id].detail == FIXED
    assert result.is_convex is True and result.is_concave is False


def test_the_numeric_check_reads_the_rewritten_side():
    result = certify("-x45/(1 + x45) + x49", wrt=["x45", "x49"], assume=["x45 >= 0"],
                     check_budget=FAST)
    assert result.verdict == "convex" and result.is_convex is True


def _nest(depth: int) -> str:
    expression = "x"
    for _ in range(depth):
        expression = f"exp({expression}) * exp(y)"
    return expression


def test_nested_rewrites_are_proved_to_a_depth_and_then_end():
    assert certify(_nest(MAX_NESTING), wrt=["x", "y"], check=False).verdict == "convex"
    # Deeper, the method gives up (no recursion past the stack, no cubic retrying).
    assert certify(_nest(400), wrt=["x", "y"], check=False).verdict == "unknown"


# ---- the table, proved by SymPy ------------------------------------------------------------
def _sympy(text: str, positive: bool = False):
    """A side of a table identity in SymPy, each atom by the formula it declares; its
    arguments real, or positive."""
    x, y = sympy.symbols("x y", real=True)
    names = {name: sympy.Symbol(name, real=True, positive=positive or None)
             for name in ("t", "t1", "t2", "t3")}
    for atom in ("sigmoid", "softplus", "exp", "log", "entr"):
        names[atom] = sympy.Lambda(x, sympy.sympify(lookup(atom, 1).formula, locals={"x": x}))
    names["rel_entr"] = sympy.Lambda((x, y), sympy.sympify(lookup("rel_entr", 2).formula,
                                                           locals={"x": x, "y": y}))
    return sympy.sympify(text, locals=names)


@pytest.mark.parametrize("kind", TABLE)
def test_table_identities_are_proved_by_sympy(kind):
    identity = TABLE[kind]
    difference = _sympy(identity.left, identity.positive) - _sympy(identity.right, identity.positive)
    assert sympy.simplify(sympy.expand_log(difference, force=identity.positive)) == 0


def test_the_identities_of_logs_need_positive_arguments():
    """Where t1 and t2 are both negative, log(t1 * t2) is defined and log(t1) + log(t2) is
    not real (nor is log(t1 * t2) concave across both quadrants): the table says positive,
    and the rewrite is made only where a factor is known nonnegative, so that the two
    sides are defined at the same points."""
    assert TABLE["log_product"].positive and TABLE["entr"].positive
    assert not TABLE["exp_product"].positive and not TABLE["log_sigmoid"].positive
    t1, t2 = sympy.Rational(-2), sympy.Rational(-3)
    assert sympy.log(t1 * t2) != sympy.log(t1) + sympy.log(t2)
    result = certify("log(x*y)", wrt=["x", "y"], assume=["x >= 0"], check=False)
    assert result.verdict == "concave"
    assert sorted(str(c) for c in result.proof.domain) == ["x > 0", "y > 0"]
    for expression in ("log(x*y)", "x*log(x/y)"):
        result = certify(expression, wrt=["x", "y"], check=False)
        assert result.verdict == "unknown" and not _identities(result)


@pytest.mark.parametrize("assume,why", [
    ([], "defined on less than it"),
    (["x >= 0"], None),
])
def test_the_kernel_rejects_a_right_side_defined_on_less(assume, why):
    result = certify("log(x*y) + (log(x) + log(y))", wrt=["x", "y"], assume=assume, check=False)

    def narrower(facts, node):
        left, right = node("log(x * y)"), node("log(x) + log(y)")
        facts.rule[left], facts.premises[left] = "identity", (right,)
        facts.notes[left] = Note(detail="log_product")
        _claim(facts, left, right)
    proof = _tampered(result, narrower)
    if why is None:
        check_proof(proof)
    else:
        with pytest.raises(ProofCheckError, match=why):
            check_proof(proof)


@pytest.mark.parametrize("kind", TABLE)
def test_table_patterns_rewrite_their_left_side_to_their_right(kind):
    identity = TABLE[kind]
    tape = Tape()
    found = identity.apply(tape, tape.add_expr(parse_expression(identity.left)))
    assert tape.text(found) == tape.text(tape.add_expr(parse_expression(identity.right)))


def test_the_sympy_reading_can_fail():
    assert sympy.simplify(_sympy("log(sigmoid(t))") - _sympy("softplus(-t)")) != 0


# ---- the kernel refuses tampered steps ------------------------------------------------------
def _tampered(result, change) -> Proof:
    """The proof of ``result`` with its facts changed by ``change(facts, node)``, node
    giving the id of a subexpression by its text."""
    proof = result.proof
    facts = proof.facts.copy()
    by_text = {proof.tape.text(i): i for i in range(len(proof.tape))}
    change(facts, by_text.__getitem__)
    return Proof(proof.tape, facts, proof.root_id, proof.wrt, proof.bounds)


def _claim(facts, node: int, like: int) -> None:
    """Node ``node`` claims what node ``like`` does (so only the identity is wrong)."""
    facts.range[node], facts.curvature[node] = facts.range[like], facts.curvature[like]


def test_the_kernel_accepts_the_untampered_proof():
    result = certify("u/(1 + u) + (2 - 1/(1 + u))", wrt="u", assume=["u >= 0"], check=False)
    check_proof(_tampered(result, lambda facts, node: None))


def test_the_kernel_rejects_a_wrong_right_hand_side():
    result = certify("u/(1 + u) + (2 - 1/(1 + u))", wrt="u", assume=["u >= 0"], check=False)

    def wrong(facts, node):
        left, right = node("u / (1 + u)"), node("2 - 1 / (1 + u)")
        facts.premises[left] = (right,)
        _claim(facts, left, right)
    with pytest.raises(ProofCheckError, match="not the same rational function"):
        check_proof(_tampered(result, wrong))


def test_the_kernel_rejects_a_stronger_claim_than_the_other_side():
    result = certify("u/(1 + u)", wrt="u", assume=["u >= 0"], check=False)
    proof = _tampered(result, lambda facts, node: facts.curvature.__setitem__(
        node("u / (1 + u)"), CONVEX))
    with pytest.raises(ProofCheckError, match="claims convex"):
        check_proof(proof)


def _drop_the_denominator(facts, node):
    """x*y/y is x + y - y as a rational function, but not where y = 0."""
    left, right = node("x * y / y"), node("x + y - y")
    facts.rule[left], facts.premises[left] = "identity", (right,)
    facts.notes[left] = Note(words=("x * y / y = x + y - y",), detail=RATIONAL)
    _claim(facts, left, right)


def test_the_kernel_rejects_a_dropped_denominator_that_may_be_zero():
    result = certify("x*y/y + (x + y - y)", wrt=["x", "y"], check=False)
    with pytest.raises(ProofCheckError, match="`y` is a denominator of one side only"):
        check_proof(_tampered(result, _drop_the_denominator))


def test_a_denominator_the_ranges_keep_from_zero_may_be_dropped():
    result = certify("x*y/y + (x + y - y)", wrt=["x", "y"], assume=["y >= 1"], check=False)
    check_proof(_tampered(result, _drop_the_denominator))


def test_the_kernel_rejects_a_dropped_subexpression():
    result = certify("(x + log(y) - log(y))/(1 + x) + x/(1 + x)", wrt="x", assume=["x >= 0"],
                     check=False)

    def drop(facts, node):
        left, right = node("(x + log(y) - log(y)) / (1 + x)"), node("x / (1 + x)")
        facts.rule[left], facts.premises[left] = "identity", (right,)
        facts.notes[left] = Note(detail=RATIONAL)
        _claim(facts, left, right)
    with pytest.raises(ProofCheckError, match="not made of the same subexpressions"):
        check_proof(_tampered(result, drop))


def test_the_kernel_rejects_a_circle_of_rewrites():
    result = certify("u/(1 + u)", wrt="u", assume=["u >= 0"], check=False)

    def circle(facts, node):
        left, right = node("u / (1 + u)"), node("1 - 1 / (1 + u)")
        facts.rule[right], facts.premises[right] = "identity", (left,)
        facts.notes[right] = Note(detail=RATIONAL)
        for index in (left, right):
            facts.curvature[index] = CONVEX
    with pytest.raises(ProofCheckError, match="rests on it"):
        check_proof(_tampered(result, circle))


@pytest.mark.parametrize("detail,why", [
    ("log_sigmoid", "does not give its premise"),
    ("exp_product", "does not give its premise"),
    ("square", "unknown kind of rewrite"),
    (None, "unknown kind of rewrite"),
])
def test_the_kernel_rejects_a_wrong_kind(detail, why):
    result = certify("u/(1 + u)", wrt="u", assume=["u >= 0"], check=False)
    proof = _tampered(result, lambda facts, node: facts.notes.__setitem__(
        node("u / (1 + u)"), Note(detail=detail)))
    with pytest.raises(ProofCheckError, match=why):
        check_proof(proof)


def test_the_kernel_rejects_a_table_step_with_another_premise():
    result = certify("log(sigmoid(t)) + softplus(t)", wrt="t", check=False)

    def other(facts, node):
        left, right = node("log(sigmoid(t))"), node("softplus(t)")
        facts.premises[left] = (right,)
    with pytest.raises(ProofCheckError, match="does not give its premise"):
        check_proof(_tampered(result, other))


def test_the_kernel_rejects_two_premises():
    result = certify("u/(1 + u) + u", wrt="u", assume=["u >= 0"], check=False)

    def two(facts, node):
        left = node("u / (1 + u)")
        facts.premises[left] = facts.premises[left] + (node("u"),)
    with pytest.raises(ProofCheckError, match="one premise"):
        check_proof(_tampered(result, two))


def _fixed_at(result, written: str, bounds) -> Proof:
    """The proof of ``x*y + written`` with ``x * y`` rewritten to ``written`` as a fixed
    name's value, checked under ``bounds``."""
    def fixed(facts, node):
        left, right = node("x * y"), node(written)
        facts.rule[left], facts.premises[left] = "identity", (right,)
        facts.notes[left] = Note(detail=FIXED)
        _claim(facts, left, right)
    proof = _tampered(result, fixed)
    return Proof(proof.tape, proof.facts, proof.root_id, proof.wrt, bounds)


@pytest.mark.parametrize("value,bound,why", [
    ("254", 254, None),
    ("255", 254, "is not the value its bounds fix for `x`"),
    ("254", None, "is not `x` with the fixed names put in"),     # x is not fixed
    ("0.1", 0.1, "is not the value its bounds fix"),            # the float 0.1 is not 1/10
])
def test_the_kernel_checks_a_fixed_name_against_the_bounds(value, bound, why):
    written = f"({value} + 0 * x) * y"
    result = certify(f"x*y + {written}", wrt=["x", "y"], check=False)
    bounds = {} if bound is None else {"x": Interval(bound, bound)}
    proof = _fixed_at(result, written, bounds)
    if why is None:
        check_proof(proof)
    else:
        with pytest.raises(ProofCheckError, match=why):
            check_proof(proof)


# ---- soundness, fuzzed ---------------------------------------------------------------------
def test_the_fuzzer_reaches_the_rewrites():
    weight, generate = ATTACKS["rewrites"]
    reached = 0
    for seed in range(60):
        problem = generate(random.Random(seed), 4)
        try:
            result = problem.certify(check_budget=FAST, seed=seed)
        except DcpError:
            continue
        if result.curvature.is_convex:
            assert result.is_convex is not False, problem
        if result.curvature.is_concave:
            assert result.is_concave is not False, problem
        reached += bool(_identities(result))
    assert weight > 0 and reached >= 5


# ---- hints through a rewrite ---------------------------------------------------------------
@pytest.mark.parametrize("expression,assume,hint", [
    ("x/(x + c)", ["x >= 0"], "c >= 0 -> concave"),
    ("(c*x + 1)/(x + 2)", ["x >= 0"], "c <= 0 -> convex"),
    ("log(sigmoid(c * square(x)))", [], "c <= 0 -> concave"),
])
def test_hints_through_a_rewrite_equal_those_of_a_fresh_analysis(expression, assume, hint):
    """The rewritten side tried under the proof's bounds (and refused) is analysed again
    under a hint's: its old facts would be stale."""
    from dcp.analysis import Analyzer
    from dcp.hints import Reanalysis, find_hints
    result = certify(expression, wrt="x", assume=assume, check=False)
    proof = result.proof

    def fresh(bounds, changed):
        facts = Analyzer(proof.tape, proof.wrt, proof.atoms).analyse(bounds, proof.root_id)
        return Proof(proof.tape, facts, proof.root_id, proof.wrt, bounds)
    assert [str(h) for h in result.hints] == [hint]
    incremental = Reanalysis(proof, Analyzer(proof.tape, proof.wrt, proof.atoms))
    assert find_hints(proof, incremental) == find_hints(proof, fresh) == list(result.hints)


@pytest.mark.parametrize("expression,wrt,assume", [
    ("u/(1 + u)", "u", ["u >= 0"]),
    ("exp(x*y)", ["x", "y"], ["254 <= x <= 254"]),
    ("log(sigmoid(t))", "t", []),
])
def test_the_json_of_a_proof_with_a_rewrite_follows_the_schema(expression, wrt, assume):
    from dcp.render.json import load_schema
    jsonschema = pytest.importorskip("jsonschema")
    schema = load_schema()
    document = certify(expression, wrt=wrt, assume=assume, check=False).to_json()
    jsonschema.validate(document, schema)
    assert "identity" in [step["rule"] for step in document["proof"]["steps"]]
