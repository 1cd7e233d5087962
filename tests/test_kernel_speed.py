"""The kernel's fast paths agree with its general ones: the rules' answers it remembers
across checks spare none of a step's own checks, and premises taken as written conclude
no more than resolved ones."""
from __future__ import annotations

import pytest
from conftest import tamper

from dcp import Curvature, ProofCheckError, certify, check_proof, kernel
from dcp.facts import Interval
from dcp.memo import Memo


def _proof(expr, wrt="x", assume=()):
    return certify(expr, wrt=wrt, assume=assume, check=False).proof


def _id(proof, text):
    return next(i for i in range(len(proof.tape)) if proof.tape.text(i, 60) == text)


@pytest.fixture
def empty_tables(monkeypatch):
    """The kernel's table of answers, emptied for one test."""
    monkeypatch.setattr(kernel, "_COMPOSED", Memo())


def test_a_remembered_composition_still_needs_its_condition_listed(empty_tables):
    proof = _proof("log(x)")
    check_proof(proof)                      # remembers log on (-inf, inf), listing x > 0
    assert kernel._COMPOSED
    with pytest.raises(ProofCheckError, match=r"domain \(0, inf\) of argument 1 is not listed"):
        check_proof(tamper(proof, "log(x)", requires=()))


def test_a_refused_step_does_not_teach_the_tables_a_wrong_answer(empty_tables):
    proof = _proof("log(x)")
    with pytest.raises(ProofCheckError, match="not listed"):
        check_proof(tamper(proof, "log(x)", requires=()))
    check_proof(proof)                      # the honest proof, after the refused one
    with pytest.raises(ProofCheckError, match="not listed"):
        check_proof(tamper(proof, "log(x)", requires=()))


def test_a_remembered_answer_is_asked_again_for_other_ranges(empty_tables):
    # sqrt(x) with x >= 0 and with x free ask about different ranges: the second must
    # still list its condition, which the first did not need.
    check_proof(_proof("sqrt(x)", assume=["x >= 0"]))
    free = _proof("sqrt(x)")
    check_proof(free)
    with pytest.raises(ProofCheckError, match="not listed"):
        check_proof(tamper(free, "sqrt(x)", requires=()))


@pytest.mark.parametrize("expr, wrt, step, claim", [
    ("relu(x) + relu(y)", ["x", "y"], "relu(x) + relu(y)", {"curvature": Curvature.AFFINE}),
    ("relu(x) + relu(y)", ["x", "y"], "relu(x)", {"range": Interval(1.0, float("inf"))}),
    ("W @ relu(x)", "x", "W @ relu(x)", {"curvature": Curvature.CONVEX}),
    ("x / 2 + y / 2", ["x", "y"], "y / 2", {"range": Interval(0.0, 1.0)}),
    ("1 / x", "x", "1 / x", {"curvature": Curvature.CONCAVE}),
])
def test_a_remembered_answer_spares_no_claim_its_check(empty_tables, expr, wrt, step, claim):
    proof = _proof(expr, wrt, assume=["x >= 1"] if expr == "1 / x" else ())
    check_proof(proof)
    check_proof(proof)                      # answered from the tables now
    with pytest.raises(ProofCheckError, match="does not check"):
        check_proof(tamper(proof, step, **claim))


def test_the_table_starts_afresh_past_its_size(monkeypatch):
    # Bounded within one check too: this one asks seven questions of a table of three.
    monkeypatch.setattr(kernel, "_COMPOSED", Memo(size=3))
    check_proof(_proof("relu(x) + exp(x) + square(x) + abs(x)"))
    assert 0 < len(kernel._COMPOSED) <= 3


def test_a_premise_written_as_its_unary_plus_is_refused():
    # relu(+x)'s premise is x. Named as the `+x` written (the ids of the node's arguments,
    # the path that takes premises as they are), the `+x` becomes a step of the proof,
    # which only the root may be: refused before relu(+x) is reached.
    proof = _proof("relu(+x)")
    check_proof(proof)
    with pytest.raises(ProofCheckError, match=r"`\+x` \(same\) does not check"):
        check_proof(tamper(proof, "relu(+x)", premises=(_id(proof, "+x"),)))
