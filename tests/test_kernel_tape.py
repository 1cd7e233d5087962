"""The kernel reads a proof as stored (ids on a tape, claims in columns): a tampered id,
rule, keyword or domain condition must not slip through, and checking changes nothing."""
from __future__ import annotations

import dataclasses

import pytest
from conftest import tamper

from dcp import Curvature, ProofCheckError, Session, certify, check_proof
from dcp.facts import POS, Interval


def _proof(expr, wrt="x", assume=()):
    return certify(expr, wrt=wrt, assume=assume, check=False).proof


def _id(proof, text):
    return next(i for i in range(len(proof.tape)) if proof.tape.text(i, 60) == text)


def test_a_premise_from_elsewhere_on_the_tape_is_refused():
    # relu(y) resting on x: x is on the tape, but it is not relu(y)'s argument.
    proof = _proof("relu(x) + relu(y)", ["x", "y"])
    bad = tamper(proof, "relu(y)", premises=(_id(proof, "x"),))
    with pytest.raises(ProofCheckError, match="relu\\(y\\)` .* premises are not the subexpressions"):
        check_proof(bad)


def test_a_same_step_must_be_a_unary_plus():
    # The root passed off as "the same as relu(x)": its own claim, convex, would be the verdict.
    proof = _proof("relu(x) - relu(y)", ["x", "y"])
    assert proof.curvature is Curvature.UNKNOWN
    left = _id(proof, "relu(x)")
    bad = tamper(proof, index=proof.root_id, rule="same", premises=(left,), curvature=Curvature.CONVEX)
    with pytest.raises(ProofCheckError, match=r"`relu\(x\) - relu\(y\)` \(same\) does not check: "
                                              "it is not a unary plus of its premise"):
        check_proof(bad)


def test_a_unary_plus_claims_no_more_than_its_operand():
    # The verdict is the root's own claim, so the root `+a` is checked too.
    proof = _proof("+(relu(x) - relu(y))", ["x", "y"])
    bad = tamper(proof, index=proof.root_id, curvature=Curvature.CONVEX)
    assert bad.curvature is Curvature.CONVEX
    with pytest.raises(ProofCheckError, match=r"\(same\) does not check: claims convex, "
                                              "the rule gives only unknown"):
        check_proof(bad)


def test_a_unary_plus_resting_on_itself_is_refused_not_followed_forever():
    proof = _proof("+relu(x)")
    plus = proof.root_id
    with pytest.raises(ProofCheckError, match="not a unary plus"):
        check_proof(tamper(proof, index=plus, premises=(plus,)))


def test_a_domain_condition_on_the_wrong_premise_is_refused():
    proof = _proof("log(x) + log(y)", ["x", "y"])
    bad = tamper(proof, "log(x)", requires=((_id(proof, "y"), POS),))
    with pytest.raises(ProofCheckError, match="domain \\(0, inf\\) of argument 1 is not listed"):
        check_proof(bad)


def test_a_reciprocal_listing_the_wrong_premise_gets_no_positive_divisor():
    proof = _proof("1 / x + 1 / y", ["x", "y"], ["x >= 0", "y >= 0"])
    check_proof(proof)
    bad = tamper(proof, "1 / x", requires=((_id(proof, "y"), POS),))
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only unknown"):
        check_proof(bad)


@pytest.mark.parametrize("expr,condition", [("log(+x)", "x > 0"), ("log(+(+x))", "x > 0"),
                                            ("inv_pos(+x)", "x > 0")])
def test_a_condition_on_a_unary_plus_is_the_condition_on_its_operand(expr, condition):
    # `+x` is x: the step's premise, and so the condition, is x's (as the numeric check
    # needs, to keep its points inside the domain).
    from dcp.check.evaluate import domain_checks
    result = certify(expr, wrt="x", check=False)
    assert [str(c) for c in result.domain] == [condition]
    check_proof(result.proof)
    assert [(step.text, str(domain)) for step, domain in domain_checks(result.proof)] == \
        [("x", "(0, inf)")]


@pytest.mark.parametrize("expr,changes,message", [
    ("power(x, 3)", {"kwargs": (("p", 2),)}, "the keywords do not match the node"),
    ("x ^ 3", {"kwargs": (("p", 2),)}, "the exponent does not match the node"),
    ("leaky_relu(x, alpha=2)", {"kwargs": (("alpha", 0.5),)}, "the keywords do not match the node"),
    ("huber(x, M=2)", {"kwargs": (("M", 1),)}, "the keywords do not match the node"),
    ("x + 1", {"kwargs": (("p", 2),)}, "the keywords do not match the node"),
])
def test_claimed_keywords_are_the_ones_written(expr, changes, message):
    proof = _proof(expr)
    check_proof(proof)
    with pytest.raises(ProofCheckError, match=message):
        check_proof(tamper(proof, index=proof.root_id, **changes))


def test_a_claim_about_another_definition_is_refused_and_adds_nothing_to_the_tape():
    session = Session()
    session.define("f", "t", "abs(t) - t")
    proof = session.certify("f(x)", wrt="x", check=False).proof
    other = Session().define("f", "t", "square(t)")
    size = len(proof.tape)
    # f's atom swapped for one whose body was never put on the tape.
    bad = dataclasses.replace(tamper(proof, index=proof.root_id, atom=other), atoms={"f": other})
    with pytest.raises(ProofCheckError, match="premises are not the subexpressions"):
        check_proof(bad)
    assert len(proof.tape) == size


def test_checking_leaves_the_tape_as_it_was():
    proof = _proof("log(1 + exp(x)) + mse(x, y) + relu(+x) / 2", ["x", "y"])
    before = (len(proof.tape), dict(proof.tape.func_name))
    check_proof(proof)
    assert (len(proof.tape), dict(proof.tape.func_name)) == before


def test_a_step_is_named_by_its_text_when_it_fails():
    proof = _proof("sqrt(relu(x))")
    bad = tamper(proof, "relu(x)", range=Interval(1, 2))
    with pytest.raises(ProofCheckError) as info:
        check_proof(bad)
    assert str(info.value).startswith("proof step `relu(x)` (composition) does not check: range [1, 2]")
    assert info.value.step is bad.step(_id(bad, "relu(x)"))


@pytest.mark.parametrize("text", ["mse(+x, 1)", "mae(y, +x)", "hinge_loss(+x, 1)",
                                  "huber_loss(++x, 1)", "f(+x, 2)", "h(+x)"])
def test_an_expansion_with_an_argument_written_plus_a_checks(text):
    # The body is expanded with `a` put in for `+a`, by the analysis and the kernel alike
    # (it was refused as "not the subexpressions of its node").
    session = Session()
    session.define("f", ["t", "s"], "t * s")
    session.define("h", ["t"], "abs(t)")
    proof = session.certify(text, wrt="x", check=False).proof
    check_proof(proof)
    (expansion,) = [i for i in proof.ids() if proof.facts.rule[i] == "expansion"]
    with pytest.raises(ProofCheckError, match="not the subexpressions"):
        check_proof(tamper(proof, index=expansion, premises=(proof.tape.find("name", "x"),)))
