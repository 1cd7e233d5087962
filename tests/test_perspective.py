"""The perspective (SPEC section 9): ``t * f(v1/t, ..., vk/t)`` with t affine and positive
and each vi affine is convex (concave) where f is, f analysed with a stand-in variable
for each quotient; over a sum, ``(p + r) * t`` is first rewritten ``p * t + r * t``.
The kernel re-checks both steps and refuses every tampered one."""
from __future__ import annotations

import dataclasses
import random

import pytest
from conftest import tamper
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import Curvature, DcpError, ProofCheckError, Session, certify, check_proof
from dcp.analysis import Analyzer, _set
from dcp.assumptions import bounds_from, parse_assumption_list
from dcp.check import Budget
from dcp.facts import Interval
from dcp.hints import Reanalysis
from dcp.kernel import substituted
from dcp.methods import perspective as method
from dcp.proof import Note, Proof
from dcp.syntax import parse_expression
from dcp.syntax.ast import Binary, Name
from dcp.tape import Tape
from dcp.testing import ATTACKS

SYN = "(x21/(1e-06 + b39) - log(1 + x17/(1e-06 + b39))) * (1e-06 + b39)"
SYN_WRT = ["b39", "x17", "x21"]
SYN_ASSUME = ["0 <= b39 <= 1", "x17 >= 0", "x21 >= 0"]
T = "1e-06 + b39"
X21 = "⟨x21 / (1e-06 + b39)⟩"
#: MINLPLib syn05h and syn10h (hull reformulations), copied from the public sample.
SYN_CASES = [
    ("(x23/(1e-06 + b40) - 1.2 * log(1 + x19/(1e-06 + b40))) * (1e-06 + b40)", "b40", "x19", "x23"),
    ("(x35/(1e-06 + b42) - 1.5 * log(1 + x27/(1e-06 + b42))) * (1e-06 + b42)", "b42", "x27", "x35"),
    ("(x59/(1e-06 + b74) - 1.25 * log(1 + x51/(1e-06 + b74))) * (1e-06 + b74)", "b74", "x51", "x59"),
    ("(x61/(1e-06 + b75) - 0.9 * log(1 + x53/(1e-06 + b75))) * (1e-06 + b75)", "b75", "x53", "x61"),
]
#: MINLPLib clay0203h e107: a perspective plus terms outside the quotients.
CLAY = ("((x55/(1e-06 + b79))^2 - 35 * x55/(1e-06 + b79) + 306.25 * b79 + (x61/(1e-06 + b79))^2"
        " - 14 * x61/(1e-06 + b79) + 49 * b79 - 36 * b79) * (1e-06 + b79)")


def _syn(check=False):
    return certify(SYN, wrt=SYN_WRT, assume=SYN_ASSUME, check=check)


def _rules(result) -> set[str]:
    return {result.proof.facts.rule[i] for i in result.proof.ids()}


def _id(proof, text: str) -> int:
    return next(i for i in proof.ids() if proof.tape.text(i, None) == text)


# ---- what it proves ------------------------------------------------------------------------

def test_the_spec_example_is_convex_by_a_perspective_step():
    result = _syn()
    assert result.verdict == "convex"
    root = result.proof.root
    assert root.rule == "perspective"
    assert [p.text for p in root.premises] == [T, "x21", "x17",
                                               f"{X21} - log(1 + ⟨x17 / (1e-06 + b39)⟩)"]
    stand_ins = [s for s in result.proof.steps() if s.rule == "stand-in"]
    assert [(s.text, s.curvature, s.range) for s in stand_ins] == [
        (X21, Curvature.AFFINE, Interval(0, float("inf"))),
        ("⟨x17 / (1e-06 + b39)⟩", Curvature.AFFINE, Interval(0, float("inf")))]
    explained = result.explain()
    assert "perspective (t = 1e-06 + b39 affine and positive, f convex in its stand-ins)" in explained
    assert "stand-in" in explained


def test_the_numeric_check_evaluates_the_perspective_and_finds_nothing_against_it():
    result = _syn(check=True)               # a SoundnessError would be raised
    assert result.is_convex is True
    assert result.check.outcome == "refuted" and result.is_concave is False


@pytest.mark.parametrize("expr, t, v, w", SYN_CASES)
def test_the_syn_hull_constraints_are_convex(expr, t, v, w):
    result = certify(expr, wrt=[t, v, w], assume=[f"0 <= {t} <= 1", f"{v} >= 0", f"{w} >= 0"],
                     shapes={t: (), v: (), w: ()})
    assert result.verdict == "convex" and result.proof.root.rule == "perspective"
    assert result.is_convex is True


@pytest.mark.parametrize("expr, verdict", [
    ("(1 + b) * exp(x/(1 + b))", "convex"),                     # t on the left
    ("sqrt(x/(1 + b)) * (1 + b)", "concave"),
    ("-(x/(1 + b))^2 * (1 + b)", "concave"),
    ("(3*x/(1 + b) - x/(1 + b) + 2) * (1 + b)", "affine"),      # affine f: a . v + b t
    ("(1 + b) * (exp(x/(1 + b)) - 2 + p)", "convex"),          # a parameter inside f
    ("(1 + b) * inv_pos(1/(1 + b))", "convex"),                 # a constant numerator
    ("(x/(1 + b))^4 * (1 + b)", "convex"),
])
def test_perspectives_of_other_functions(expr, verdict):
    wrt = ["b", "x"] if "x" in expr else ["b"]
    result = certify(expr, wrt=wrt, assume=["0 <= b <= 1", "x >= 0"][:len(wrt)], shapes={"b": ()})
    assert result.verdict == verdict
    assert "perspective" in _rules(result)


def test_a_quotient_over_t_written_otherwise():
    # x21/(b39 + 1e-06) is over 1e-06 + b39: the same polynomial, so the same function.
    result = certify("(x21/(b39 + 1e-06) - log(1 + x17/(1e-06 + b39))) * (1e-06 + b39)",
                     wrt=SYN_WRT, assume=SYN_ASSUME, shapes={n: () for n in SYN_WRT})
    assert result.verdict == "convex" and result.proof.root.rule == "perspective"
    assert result.is_convex is True
    # Over 2 * t, or over a denominator that is t only where b != 0, it is not.
    for expr in ("(x/(2*b + 2))^2 * (b + 1)", "(x/(b*b/b + 1))^2 * (b + 1)"):
        assert certify(expr, wrt=["b", "x"], assume=["0 <= b <= 1"], check=False).verdict == "unknown"


def test_rejects_a_quotient_over_another_denominator():
    proof = certify("(x/(1 + b))^2 * (1 + b) + x/(2 + b)", wrt=["b", "x"], assume=["0 <= b <= 1"],
                    check=False).proof
    perspective = _id(proof, "(x / (1 + b))^2 * (1 + b)")
    ((_, stand_in),) = proof.facts.notes[perspective].detail
    bad = tamper(proof, index=perspective, detail=((_id(proof, "x / (2 + b)"), stand_in),))
    with pytest.raises(ProofCheckError, match="a quotient it lists is not a premise over its t"):
        check_proof(bad)


def test_a_vector_numerator_over_a_scalar_t():
    result = certify("(1 + b) * sum_squares(x/(1 + b))", wrt=["b", "x"], assume=["0 <= b <= 1"],
                     shapes={"b": (), "x": (3,)})
    assert result.verdict == "convex" and result.proof.root.rule == "perspective"
    assert result.is_convex is True


def test_a_vector_t_is_a_perspective_entry_by_entry_only():
    # Entry i is (1 + b_i) exp(x_i / (1 + b_i)): a perspective of its own.
    result = certify("(1 + b) * exp(x/(1 + b))", wrt=["b", "x"], assume=["0 <= b <= 1"],
                     shapes={"b": (3,), "x": (3,)})
    assert result.verdict == "convex" and result.proof.root.rule == "perspective"
    # A function that sums over the entries mixes them: no perspective (and no error).
    mixed = certify("t*sum_squares(x/t)", wrt=["t", "x"], assume=["t >= 1"], shapes={"t": (2,), "x": (2,)})
    assert mixed.proof.root.rule != "perspective"
    with pytest.raises(DcpError, match="a perspective's t must be a scalar when its function mixes"):
        certify("t*sum_squares(x/t) + t[1]", wrt=["t", "x"], assume=["t >= 1"])


def test_distributed_over_a_sum_with_a_rest_the_plain_rules_certify():
    result = certify("((x/(1 + b))^2 + 0 * y) * (1 + b)", wrt=["b", "x", "y"],
                     assume=["0 <= b <= 1", "x >= 0"], shapes={"b": (), "x": (), "y": ()})
    assert result.verdict == "convex"
    root = result.proof.root
    assert root.rule == "distribution"
    assert root.premises[0].text == "(x / (1 + b))^2 * (1 + b) + 0 * y * (1 + b)"
    assert [p.rule for p in root.premises[0].premises] == ["perspective", "product"]
    assert result.is_convex is True


def test_distributed_with_t_written_first_keeps_the_order():
    result = certify("(1 + b) * (-log(x/(1 + b)) - 0 * y)", wrt=["b", "x", "y"],
                     assume=["0 <= b <= 1", "x >= 1"], check=False)
    assert result.verdict == "convex"
    assert result.proof.root.premises[0].text == "(1 + b) * -log(x / (1 + b)) + (1 + b) * -(0 * y)"


def test_a_clay_hull_constraint_is_a_perspective_plus_a_quadratic_form():
    result = certify(CLAY, wrt=["b79", "x55", "x61"], assume=["0 <= b79 <= 1", "x55 >= 0", "x61 >= 0"],
                     shapes={"b79": (), "x55": (), "x61": ()})
    assert result.verdict == "convex" and result.is_convex is True
    root = result.proof.root
    assert root.rule == "distribution"
    perspective, rest = root.premises[0].premises
    assert perspective.rule == "perspective"
    assert result.proof.tape.text(perspective.id, None) == (
        "((x55 / (1e-06 + b79))^2 - 35 * x55 / (1e-06 + b79) + (x61 / (1e-06 + b79))^2"
        " - 14 * x61 / (1e-06 + b79)) * (1e-06 + b79)")
    # 35 * x55/t is (35 * x55)/t: a quotient of its own, with its own stand-in.
    assert sorted(s.text for s in result.proof.steps() if s.rule == "stand-in") == [
        "⟨14 * x61 / (1e-06 + b79)⟩", "⟨35 * x55 / (1e-06 + b79)⟩", "⟨x55 / (1e-06 + b79)⟩",
        "⟨x61 / (1e-06 + b79)⟩"]
    assert (rest.rule, rest.text) == ("quadratic", "(306.25 * b79 + 49 * b79 - 36 * b79) * (1e-06 + b79)")


@pytest.mark.parametrize("expr, rule", [("((x/(1 + b))^2 * c) * (1 + b)", "perspective"),
                                        ("((x/(1 + b))^2 * c + 0 * y) * (1 + b)", "distribution")])
@pytest.mark.parametrize("same_analyzer", [True, False])
def test_a_re_analysis_under_other_bounds_proves_the_function_again(expr, rule, same_analyzer):
    # The hint search re-analyses only what depends on a changed bound; the nodes this
    # method made are not the expression's, and must not keep the old facts (a stand-in's
    # old range), nor rows another analyzer made (with no plan in this one).
    tape = Tape()
    root = tape.add_expr(parse_expression(expr))
    wrt = ["b", "x", "y"] if "y" in expr else ["b", "x"]
    analyzer = Analyzer(tape, wrt)
    bounds = bounds_from(parse_assumption_list(["0 <= b <= 1", "c >= 0"]), {})
    facts = analyzer.analyse(bounds, root)
    assert (facts.rule[root], facts.curvature[root]) == (rule, Curvature.CONVEX)
    proof = Proof(tape, facts, root, tuple(wrt), bounds)
    again = Reanalysis(proof, analyzer if same_analyzer else Analyzer(tape, wrt))
    flipped = again(bounds_from(parse_assumption_list(["0 <= b <= 1", "c <= 0"]), {}), frozenset({"c"}))
    assert (flipped.facts.rule[root], flipped.facts.curvature[root]) == (rule, Curvature.CONCAVE)
    check_proof(flipped)


def test_a_deep_nest_of_products_over_t_is_analysed_without_recursion():
    # Each level is a sum with a quotient over t and the level below: a distribution of
    # it would prove the level below inside it, at every level (a recursion as deep as the
    # nest, and each level explored again from every one above).
    expr = "x"
    for _ in range(400):
        expr = f"(1 + y) * ({expr} + x/(1 + y))"
    result = certify(expr, wrt=["x", "y"], assume=["y >= 0"], check=False)
    assert result.verdict == "unknown"


# ---- what it refuses -----------------------------------------------------------------------

@pytest.mark.parametrize("expr, assume", [
    ("(x/b)^2 * b", ["x >= 0"]),                              # t of unknown sign
    ("(x/b)^2 * b", ["0 <= b <= 1"]),                         # t may be 0
    ("(x/(b - 1))^2 * (b - 1)", ["0 <= b <= 1"]),             # t negative: no rule for it
    ("(x/(1 + b))^3 * (1 + b)", ["0 <= b <= 1"]),             # f nonconvex where v/t ranges
    ("(x/(1 + b) + x) * (1 + b)", ["0 <= b <= 1"]),           # a variable outside the quotients
    ("(square(x)/(1 + b))^2 * (1 + b)", ["0 <= b <= 1"]),     # a numerator that is not affine
    ("log(x/(1 + b)) * (1 + b)", ["0 <= b <= 1", "x >= 0"]),  # f holds under x/t > 0 only
    ("(x/(1 + b) - b/(1 + b)) * (2 + b)", ["0 <= b <= 1"]),   # quotients over another t
])
def test_refused(expr, assume):
    result = certify(expr, wrt=["b", "x"], assume=assume, check=False)
    assert result.verdict in ("unknown", "nonconvex") and "perspective" not in _rules(result)


def test_a_users_name_spelled_as_a_stand_in_is_no_stand_in():
    # The grammar cannot read such a name, but a tree built by hand can hold one.
    tree = Binary("+", parse_expression(SYN), Name(X21))
    result = Session().certify(tree, wrt=SYN_WRT, assume=SYN_ASSUME, check=False)
    assert "perspective" not in _rules(result)
    assert result.proof.step(_id(result.proof, X21)).rule == "parameter"


# ---- the kernel ----------------------------------------------------------------------------

def test_rejects_a_perspective_whose_t_may_be_negative():
    proof = _syn().proof
    bad = tamper(proof, "b39", range=Interval(-1, 1))
    bad = tamper(bad, T, range=Interval(-1, 2))
    with pytest.raises(ProofCheckError, match=r"\(perspective\) does not check: its t must be "
                                              r"affine and positive"):
        check_proof(bad)


def test_rejects_a_perspective_whose_t_is_not_affine():
    proof = _syn().proof
    bad = tamper(proof, T, curvature=Curvature.CONVEX)
    with pytest.raises(ProofCheckError, match="its t must be affine and positive"):
        check_proof(bad)


def test_rejects_a_function_that_is_not_the_nodes():
    proof = _syn().proof
    t, x21, x17, _ = proof.facts.premises[proof.root_id]
    other = _id(proof, "log(1 + ⟨x17 / (1e-06 + b39)⟩)")
    bad = tamper(proof, index=proof.root_id, premises=(t, x21, x17, other))
    with pytest.raises(ProofCheckError, match="its function is not its node's with the stand-ins put in"):
        check_proof(bad)


def test_rejects_stand_ins_swapped():
    proof = _syn().proof
    (q1, s1), (q2, s2) = proof.facts.notes[proof.root_id].detail
    bad = tamper(proof, index=proof.root_id, detail=((q1, s2), (q2, s1)))
    with pytest.raises(ProofCheckError, match="has no stand-in"):
        check_proof(bad)


def test_rejects_a_quotient_not_over_t():
    proof = _syn().proof
    (q1, s1), pair = proof.facts.notes[proof.root_id].detail
    bad = tamper(proof, index=proof.root_id, detail=((_id(proof, T), s1), pair))
    with pytest.raises(ProofCheckError, match="a quotient it lists is not a premise over its t"):
        check_proof(bad)


def test_rejects_a_stand_in_narrower_than_its_quotient():
    proof = _syn().proof
    bad = tamper(proof, X21, range=Interval(0, 1))
    with pytest.raises(ProofCheckError, match="does not range over the quotient's range"):
        check_proof(bad)


def test_rejects_a_claim_stronger_than_the_functions():
    proof = _syn().proof
    bad = tamper(proof, index=proof.root_id, curvature=Curvature.AFFINE)
    with pytest.raises(ProofCheckError, match="claims affine, the rule gives only convex"):
        check_proof(bad)
    bad = tamper(proof, index=proof.root_id, range=Interval(0, 1))
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(bad)


def test_rejects_a_stand_in_claimed_constant():
    proof = _syn().proof
    bad = tamper(proof, X21, curvature=Curvature.CONSTANT)
    with pytest.raises(ProofCheckError, match="claims constant, the rule gives only affine"):
        check_proof(bad)


def test_rejects_a_stand_in_used_outside_its_function():
    proof = _syn().proof
    tape, facts = proof.tape, proof.facts.copy()
    stand_in = _id(proof, X21)
    # The root plus the stand-in, as if the user had written the stand-in's name: each
    # step of the sum checks, but the stand-in's range would hold for the user's name.
    root = tape.add("+", None, (proof.root_id, stand_in))
    facts.grow(len(tape))
    plus = next(facts.atom[i] for i in proof.ids() if tape.op[i] == "+" and facts.atom[i])
    facts.range[root], facts.curvature[root], facts.rule[root] = Interval(-float("inf"), float("inf")), \
        Curvature.CONVEX, "composition"
    facts.premises[root], facts.atom[root] = (proof.root_id, stand_in), plus
    bad = dataclasses.replace(proof, facts=facts, root_id=root, _steps={})
    with pytest.raises(ProofCheckError, match="a stand-in is used outside a perspective's function"):
        check_proof(bad)


def test_rejects_a_function_that_depends_on_a_variable():
    # (x/(1 + b) + x) * (1 + b) is no perspective: forge one, its function x's stand-in + x.
    tape = Tape()
    root = tape.add_expr(parse_expression("(x/(1 + b) + x) * (1 + b)"))
    analyzer = Analyzer(tape, ["b", "x"])
    bounds = bounds_from(parse_assumption_list(["0 <= b <= 1"]), {})
    facts = analyzer.analyse(bounds, root)
    t, outer = (tape.plain(a) for a in tape.args[root][::-1])
    quotient = [i for i in range(len(tape)) if tape.op[i] == "/"]
    stand_ins = method._stand_ins(analyzer, quotient, t, facts)
    function = substituted(tape, outer, stand_ins)
    analyzer.prove(function, bounds, facts)
    _set(facts, root, Interval(-float("inf"), float("inf")), Curvature.AFFINE, "perspective",
         (t, tape.args[quotient[0]][0], function))
    facts.notes[root] = Note(detail=tuple(stand_ins.items()))
    with pytest.raises(ProofCheckError, match="its function depends on `x`, not a quotient of its own"):
        check_proof(Proof(tape, facts, root, ("b", "x"), bounds))


@pytest.mark.parametrize("premise", ["(x / (1 + b))^2 * (1 + b)",                # the rest dropped
                                     "((x / (1 + b))^2 + 0 * y) * (1 + b)"])      # itself
def test_rejects_a_distribution_to_another_node(premise):
    result = certify("((x/(1 + b))^2 + 0 * y) * (1 + b)", wrt=["b", "x", "y"],
                     assume=["0 <= b <= 1", "x >= 0"], check=False)
    proof = result.proof
    bad = tamper(proof, index=proof.root_id, premises=(_id(proof, premise),))
    with pytest.raises(ProofCheckError, match="its premise is not its node distributed over its terms"):
        check_proof(bad)


# ---- fuzz ----------------------------------------------------------------------------------

FAST = Budget(presearch_points=256, examples=5)


@settings(max_examples=60, deadline=None)
@given(st.randoms(use_true_random=False))
def test_certified_perspectives_survive_the_check(rng: random.Random):
    problem = ATTACKS["perspectives"][1](rng, 4)
    try:
        result = problem.certify(check_budget=FAST)
    except DcpError:
        return                     # e.g. a t the shapes make a vector: an error, no verdict
    if result.curvature.is_convex:
        assert result.is_convex is True
    if result.curvature.is_concave:
        assert result.is_concave is True
