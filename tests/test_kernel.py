"""The proof kernel accepts what the engine proves and rejects any step that does not
follow from its premises."""
from __future__ import annotations

import pytest
from conftest import read_cases, tamper

from dcp import Curvature, ProofCheckError, certify, check_proof
from dcp.facts import Interval


def _proof(expr, wrt, assume=()):
    return certify(expr, wrt=wrt, assume=assume, check=False).proof


def test_every_fixture_proof_checks():
    for _, (expr, wrt, assume, *_rest) in read_cases("verdicts.txt"):
        split = lambda f: [p.strip() for p in f.split(",") if p.strip()]
        check_proof(_proof(expr, split(wrt), split(assume)))


def test_rejects_a_stronger_curvature_than_the_rule_gives():
    proof = _proof("relu(W2 @ relu(W1 @ x))", "W1")
    bad = tamper(proof, "W2 @ relu(W1 @ x)", curvature=Curvature.CONVEX, reason=None)
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only unknown"):
        check_proof(bad)


def test_rejects_a_range_narrower_than_the_atom_gives():
    proof = _proof("sqrt(relu(x))", "x")
    bad = tamper(proof, "relu(x)", range=Interval(1, 2))
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(bad)


def test_rejects_a_parameter_sign_that_was_not_assumed():
    proof = _proof("W @ relu(x)", "x")
    bad = tamper(proof, "W", range=Interval(0, float("inf")))
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(bad)


def test_rejects_a_hidden_domain_condition():
    proof = _proof("log(W @ x)", "x")
    bad = tamper(proof, "log(W @ x)", requires=())
    with pytest.raises(ProofCheckError, match="is not listed"):
        check_proof(bad)


def test_rejects_premises_that_are_not_the_subexpressions():
    proof = _proof("relu(x) + relu(y)", ["x", "y"])
    left, right = proof.facts.premises[proof.root_id]
    bad = tamper(proof, index=proof.root_id, premises=(left, left))
    with pytest.raises(ProofCheckError, match="premises are not the subexpressions"):
        check_proof(bad)


def test_rejects_a_variable_passed_off_as_a_parameter():
    proof = _proof("x * y", "x")
    bad = tamper(proof, "x", curvature=Curvature.CONSTANT, rule="parameter")
    with pytest.raises(ProofCheckError, match="wrong kind of name"):
        check_proof(bad)


def test_rejects_an_unknown_rule():
    proof = _proof("relu(x)", "x")
    bad = tamper(proof, "relu(x)", rule="magic")
    with pytest.raises(ProofCheckError, match="unknown rule 'magic'"):
        check_proof(bad)


def test_rejects_a_rewrite_that_does_not_apply():
    proof = _proof("log(1 + exp(x))", "x")
    bad = tamper(proof, "log(1 + exp(x))", idiom="relu")
    with pytest.raises(ProofCheckError, match="does not apply"):
        check_proof(bad)


def test_weaker_claims_are_accepted():
    proof = _proof("relu(x)", "x")
    check_proof(tamper(proof, "relu(x)", curvature=Curvature.UNKNOWN))
    check_proof(tamper(proof, "x", range=Interval(float("-inf"), float("inf"))))
