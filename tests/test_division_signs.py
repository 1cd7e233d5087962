"""``c / g`` where ``g`` keeps one sign: ``c * inv_pos(g)`` for g > 0 and, for g < 0, c
times ``1/g``, concave and nonincreasing there (SPEC section 9: division by a denominator
of known negative sign). The kernel re-checks both; the numeric check never refutes them."""
from __future__ import annotations

import pytest
from conftest import tamper
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import Curvature, ProofCheckError, certify, check_proof


@pytest.mark.parametrize("text, assume, verdict, domain", [
    ("1 / x", ["x <= -1"], "concave", []),
    ("-1 / x", ["x <= -1"], "convex", []),
    ("1 / x", ["x < 0"], "concave", []),
    ("1 / x", ["x <= 0"], "concave", ["x < 0"]),        # defined only where x < 0
    ("1 / x", ["x >= 0"], "convex", ["x > 0"]),
    ("-2 / (x - 1)", ["x <= 1"], "convex", ["x - 1 < 0"]),
    ("1 / (exp(x) - 10)", ["x <= 0"], "concave", []),    # a convex g < 0
])
def test_a_constant_over_an_expression_of_one_sign(text, assume, verdict, domain):
    result = certify(text, wrt="x", assume=assume)
    assert result.verdict == verdict
    assert [str(c) for c in result.domain] == domain
    assert result.proof.root.rule == "reciprocal"
    check_proof(result.proof)


@pytest.mark.parametrize("text, reason", [
    ("1 / (-exp(x))", "1 / g is concave and nonincreasing, so it needs a convex argument, "
                      "but `-exp(x)` is concave"),
    ("1 / x", "the divisor `x` may be negative (it ranges over (-inf, inf)); c / g is convex "
              "only where g > 0"),
])
def test_a_reciprocal_the_rules_cannot_conclude_says_why(text, reason):
    (step,) = certify(text, wrt="x", check=False).breaks
    assert step.reason == reason


def test_the_kernel_refuses_a_reciprocal_of_a_negative_denominator_claimed_convex():
    proof = certify("1 / x", wrt="x", assume=["x <= -1"], check=False).proof
    check_proof(proof)
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only concave"):
        check_proof(tamper(proof, "1 / x", curvature=Curvature.CONVEX))


def test_the_kernel_refuses_a_negative_region_the_step_does_not_list():
    # 1/x on x <= 0 is concave only where x < 0, which the step must list.
    proof = certify("1 / x", wrt="x", assume=["x <= 0"], check=False).proof
    with pytest.raises(ProofCheckError, match="claims concave, the rule gives only unknown"):
        check_proof(tamper(proof, "1 / x", requires=()))


@settings(max_examples=25, deadline=None)
@given(c=st.sampled_from(["1", "-3", "0.5"]), top=st.sampled_from(["-1", "-0.001", "-1e6"]),
       inner=st.sampled_from(["x", "exp(x) - 2", "x - square(x)", "-relu(x)", "2 * x"]))
def test_no_reciprocal_of_a_negative_expression_is_refuted(c, top, inner):
    # The numeric check (its witnesses proved) runs on every verdict: a refuted certificate
    # would raise SoundnessError. The affine and convex denominators certify; the concave
    # ones break.
    result = certify(f"{c} / ({inner} + {top})", wrt="x", assume=["x <= 0"], seed=1,
                     check_budget=40)
    assert result.curvature.is_known == (inner in ("x", "exp(x) - 2", "2 * x"))
