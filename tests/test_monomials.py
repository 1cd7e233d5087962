"""Monomials (SPEC section 9): c * x1^a1 * ... * xk^ak with positive variables is convex
when every exponent is <= 0, concave when all are >= 0 summing to at most 1, mirrored for
c <= 0; the kernel reads the monomial again and rejects any tampered step."""
from __future__ import annotations

import json
from fractions import Fraction

import pytest
from conftest import tamper

from dcp import Curvature, ProofCheckError, certify, check_proof
from dcp.facts import Interval
from dcp.render import render
from dcp.render.json import load_schema

# ---- MINLPLib (copied from the public sample) ----------------------------------------------

NSIG20 = ("-0.2 * i1^0.065 * i2^0.004 * i3^0.084 * i4^0.093 * i5^0.06 * i6^0.075 * i7^0.074 * "
          "i8^0.039 * i9^0.065 * i10^0.017 * x11^0.07 * x12^0.03 * x13^0.028 * x14^0.005 * "
          "x15^0.01 * x16^0.082 * x17^0.069 * x18^0.032 * x19^0.095 * x20^0.003")
PSIG20 = ("20000 * i1^(-0.32) * i2^(-0.19) * i3^(-0.405) * i4^(-0.265) * i5^(-0.175) * "
          "i6^(-0.44) * i7^(-0.275) * i8^(-0.47) * i9^(-0.31) * i10^(-0.295) * x11^(-0.105) * "
          "x12^(-0.15) * x13^(-0.235) * x14^(-0.115) * x15^(-0.42) * x16^(-0.095) * "
          "x17^(-0.115) * x18^(-0.085) * x19^(-0.115) * x20^(-0.22) + i1 + i2 + i3 + i4 + i5 + "
          "i6 + i7 + i8 + i9 + i10 + x11 + x12 + x13 + x14 + x15 + x16 + x17 + x18 + x19 + x20 "
          "- objvar")
_I = [f"i{k}" for k in range(1, 11)]
_X = [f"x{k}" for k in range(11, 21)]
NSIG20_ASSUME = [f"1 <= {n} <= 10" for n in _I] + [f"1e-05 <= {n} <= 10" for n in _X]
PSIG20_ASSUME = [f"1 <= {n} <= 10" for n in _I + _X]
NVS05 = ["1 <= i1 <= 200", "1 <= i2 <= 200"]

MINLPLIB = [
    (NSIG20, _I + _X, NSIG20_ASSUME, "convex"),             # cvxnonsep_nsig20 e2
    (PSIG20, _I + _X + ["objvar"], PSIG20_ASSUME, "convex"),  # cvxnonsep_psig20 e1
    ("-504000/(i2 * i1^2)", ["i1", "i2"], NVS05, "concave"),  # nvs05 e6
    ("-0.21952/(i2 * i1^3)", ["i1", "i2"], NVS05, "concave"),  # nvs05 e9
]


def _result(expr, wrt, assume=(), check=False):
    return certify(expr, wrt=wrt, assume=assume, check=check)


def _monomial_steps(result):
    return [step for step in result.proof.steps() if step.rule == "monomial"]


@pytest.mark.parametrize("expr,wrt,assume,verdict", MINLPLIB)
def test_minlplib_monomials_certify(expr, wrt, assume, verdict):
    result = _result(expr, wrt, assume)
    assert result.verdict == verdict
    assert len(_monomial_steps(result)) == 1
    check_proof(result.proof)


def test_the_step_records_exact_exponents_and_its_constant():
    result = _result(NSIG20, _I + _X, NSIG20_ASSUME)
    (step,) = _monomial_steps(result)
    constants, exponents = result.proof.facts.notes[step.id].detail
    assert [result.proof.tape.text(c) for c in constants] == ["-0.2"]
    assert exponents[0][1] == Fraction(65, 1000) and exponents[-1][1] == Fraction(3, 1000)
    assert sum(e for _, e in exponents) == 1            # exactly: so the mirror of concave
    assert [result.proof.tape.text(v) for v, _ in exponents] == _I + _X
    assert step.facts == ("monomial: -0.2 * i1^0.065 * i2^0.004 * i3^0.084 * i4^0.093 * "
                          "i5^0.06 * ...: exponents >= 0 summing to 1 <= 1, mirrored by a "
                          "constant factor <= 0, convex",)


def test_the_trace_shows_the_step_with_its_facts():
    result = _result("-504000/(i2 * i1^2)", ["i1", "i2"], NVS05)
    (step,) = _monomial_steps(result)
    assert step.facts == ("monomial: -504000 * i2^-1 * i1^-2: all exponents <= 0, mirrored by a "
                          "constant factor <= 0, concave",)
    assert [p.text for p in step.premises] == ["-504000", "i2", "i1"]
    assert str(step.range) == "[-504000, -0.063]"
    text = result.explain()
    assert "monomial (monomial: -504000 * i2^-1 * i1^-2" in text and "verdict: concave" in text


# ---- what the method reads -----------------------------------------------------------------

@pytest.mark.parametrize("expr,wrt,assume,verdict", [
    ("(2 * x) * x^0.5", ["x"], ["x >= 0"], "convex"),                  # 2 x^1.5: power's facts
    ("i1 * i1^2 * i2", ["i1"], ["i1 >= 1", "i2 >= 1"], "convex"),      # i1^3 times i2 >= 1
    ("x^2 * x^-1.5", ["x"], ["x > 0"], "concave"),                     # x^0.5
    ("sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0"], "concave"),
    ("sqrt(x * y)", ["x", "y"], ["x >= 0", "y >= 0"], "concave"),
    ("2 * (x * y * z)^(1/3)", ["x", "y", "z"], ["x >= 0", "y >= 0", "z >= 0"], "concave"),
    ("x^0.4 * y^0.6", ["x", "y"], ["x >= 0", "y >= 0"], "concave"),  # the sum is exactly 1
    ("-x^0.3 * y^0.7", ["x", "y"], ["x >= 0", "y >= 0"], "convex"),
    ("x ^ -0.32 * y ^ (-0.19)", ["x", "y"], ["x > 0", "y > 0"], "convex"),
    ("1/(x*y)", ["x", "y"], ["x > 0", "y > 0"], "convex"),
    ("inv_pos(x) * inv_pos(y) * 3", ["x", "y"], ["x >= 1", "y >= 1"], "convex"),
    ("1 / (-x * y)", ["x", "y"], ["x > 0", "y > 0"], "concave"),
    ("square(x)^-1 * power(y, -1)", ["x", "y"], ["x > 0", "y > 0"], "convex"),
    ("c * sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0", "c >= 0"], "concave"),
    ("-(c * inv_pos(x) * y^-2)", ["x", "y"], ["x >= 1", "y >= 1", "c <= -1"], "convex"),
    ("sqrt(x * y) / (x * y)", ["x", "y"], ["x > 0", "y > 0"], "convex"),   # (xy)^-0.5, shared
    ("(-x)^2 * y^-1 * z^-1", ["y", "z"], ["y > 0", "z > 0"], "convex"),    # x a parameter
    ("(-x)^2 * x^-0.5", ["x"], ["x > 0"], "convex"),                  # x^1.5: the sign squared
    ("(x * x)^-0.5 * inv_pos(y)", ["x", "y"], ["x > 0", "y > 0"], "convex"),    # x*x is square
])
def test_monomials_certify(expr, wrt, assume, verdict):
    result = _result(expr, wrt, assume)
    assert result.verdict == verdict
    assert _monomial_steps(result)


@pytest.mark.parametrize("expr,wrt,assume", [
    ("x^0.6 * y^0.6", ["x", "y"], ["x >= 0", "y >= 0"]),                # the sum exceeds 1
    ("x^0.3333333333333333 * y^0.6666666666666668", ["x", "y"], ["x >= 0", "y >= 0"]),
    ("x^0.5 * y^-0.5", ["x", "y"], ["x > 0", "y > 0"]),                 # mixed signs
    ("x^-0.5 * y^-0.5", ["x", "y"], ["x >= 0", "y > 0"]),               # x reaches 0
    ("inv_pos(x) * inv_pos(y)", ["x", "y"], ["0 <= x <= 1", "y >= 1"]),
    ("(x + y)^0.5 * z^0.5", ["x", "y", "z"], ["x >= 0", "y >= 0", "z >= 0"]),   # an affine factor
    ("c * sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0"]),        # c of unknown sign
    ("sqrt(x) * sqrt(y)", ["x", "y"], ["y >= 0"]),                      # x may be negative
    ("(-x * y)^0.5", ["x", "y"], ["x > 0", "y > 0"]),                   # a root of a negative
    ("x * (1/x) * y^0.5", ["x", "y"], ["x >= 0", "y >= 0"]),            # 1/x at x = 0
])
def test_what_is_not_a_certified_monomial_stays_unknown(expr, wrt, assume):
    result = _result(expr, wrt, assume)
    # (a product of two concave nonnegative factors is quasiconcave: SPEC section 10)
    assert result.curvature.value == "unknown" and result.verdict in ("unknown", "quasiconcave")
    assert not _monomial_steps(result)


def test_a_shared_variable_adds_its_exponents():
    result = _result("i1 * i1^2 * i2^-1 * inv_pos(i1)", ["i1", "i2"], ["i1 >= 1", "i2 >= 1"])
    assert result.verdict == "unknown"          # i1^2 / i2: mixed signs, refused on purpose
    result = _result("i1^-1 * i1^-2 * i2^-1 * sqrt(i1)", ["i1", "i2"], ["i1 >= 1", "i2 >= 1"])
    (step,) = _monomial_steps(result)
    _, exponents = result.proof.facts.notes[step.id].detail
    assert dict((result.proof.tape.text(v), e) for v, e in exponents) == \
        {"i1": Fraction(-5, 2), "i2": Fraction(-1)}


def test_vector_variables_are_read_entrywise():
    result = certify("sqrt(u) * sqrt(v)", wrt=["u", "v"], assume=["u >= 0", "v >= 0"],
                     shapes={"u": (3,), "v": (3,)}, seed=1)
    assert result.verdict == "concave" and result.is_concave is True


# ---- the numeric check agrees --------------------------------------------------------------

@pytest.mark.parametrize("expr,wrt,assume,verdict", MINLPLIB[1:] + [
    ("(2 * x) * x^0.5", ["x"], ["x >= 0"], "convex"),
    ("sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0"], "concave"),
    ("1 / (-x * y)", ["x", "y"], ["x > 0", "y > 0"], "concave"),
])
def test_the_numeric_check_confirms_the_verdict(expr, wrt, assume, verdict):
    result = _result(expr, wrt, assume, check=True)       # a SoundnessError would raise
    assert result.verdict == verdict
    assert (result.is_convex if verdict == "convex" else result.is_concave) is True


def test_the_numeric_check_refutes_a_refused_one():
    result = _result("x^0.6 * y^0.6", ["x", "y"], ["x >= 0", "y >= 0"], check=True)
    assert result.verdict == "quasiconcave" and result.is_concave is False


# ---- the kernel ----------------------------------------------------------------------------

def _nvs05():
    result = _result("-504000/(i2 * i1^2)", ["i1", "i2"], NVS05)
    (step,) = _monomial_steps(result)
    return result.proof, step


def test_kernel_rejects_a_tampered_exponent():
    proof, step = _nvs05()
    constants, exponents = proof.facts.notes[step.id].detail
    (i2, a2), (i1, a1) = exponents
    bad = tamper(proof, index=step.id, detail=(constants, ((i2, a2), (i1, Fraction(-1)))))
    with pytest.raises(ProofCheckError, match="detail .* does not match"):
        check_proof(bad)


def test_kernel_rejects_convex_claimed_for_a_concave_monomial():
    proof, step = _nvs05()
    bad = tamper(proof, index=step.id, curvature=Curvature.CONVEX)
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only concave"):
        check_proof(bad)
    result = _result("sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0"])
    (step,) = _monomial_steps(result)
    bad = tamper(result.proof, index=step.id, curvature=Curvature.CONVEX)
    with pytest.raises(ProofCheckError, match="claims convex, the rule gives only concave"):
        check_proof(bad)


def test_kernel_rejects_a_premise_range_that_reaches_zero():
    proof, step = _nvs05()
    bad = tamper(proof, "i1", range=Interval(0, 200))        # wider than assumed: valid alone
    with pytest.raises(ProofCheckError, match="`i1` may be 0 or negative"):
        check_proof(bad)


def test_kernel_rejects_a_narrower_range():
    proof, step = _nvs05()
    bad = tamper(proof, index=step.id, range=Interval(-1, -0.063))
    with pytest.raises(ProofCheckError, match="does not enclose"):
        check_proof(bad)


def test_kernel_rejects_premises_that_are_not_the_factors():
    proof, step = _nvs05()
    constant, i2, i1 = proof.facts.premises[step.id]
    bad = tamper(proof, index=step.id, premises=(constant, i2))
    with pytest.raises(ProofCheckError, match="neither a factor nor a node"):
        check_proof(bad)
    bad = tamper(proof, index=step.id, premises=(constant, i1, i2))
    with pytest.raises(ProofCheckError, match="premises are not the subexpressions"):
        check_proof(bad)


def test_kernel_rejects_a_factor_that_is_neither_variable_nor_constant():
    result = _result("x^0.5 * y^0.5", ["x", "y"], ["x >= 0", "y >= 0"])
    (step,) = _monomial_steps(result)
    tape = result.proof.tape
    x, y = result.proof.facts.premises[step.id]
    power = next(i for i in range(len(tape)) if tape.op[i] == "^" and tape.args[i][0] == x)
    bad = tamper(result.proof, index=step.id, premises=(power, y),
                 detail=((), ((y, Fraction(1, 2)),)))
    with pytest.raises(ProofCheckError, match="neither a variable nor a constant"):
        check_proof(bad)


def test_kernel_rejects_a_constant_of_unknown_sign():
    result = _result("c * sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0", "c >= 0"])
    (step,) = _monomial_steps(result)
    bad = tamper(result.proof, "c", range=Interval(-1, float("inf")))
    with pytest.raises(ProofCheckError, match="sign is not known"):
        check_proof(bad)


# ---- around the step -----------------------------------------------------------------------

def test_hints_find_the_sign_a_monomial_needs():
    result = _result("c * sqrt(x) * sqrt(y)", ["x", "y"], ["x >= 0", "y >= 0"])
    assert [(h.assumptions, h.verdict) for h in result.hints] == \
        [(("c >= 0",), "concave"), (("c <= 0",), "convex")]


def test_json_output_with_a_monomial_step_validates_against_the_schema():
    jsonschema = pytest.importorskip("jsonschema")
    schema = load_schema()
    data = json.loads(render(_result("-504000/(i2 * i1^2)", ["i1", "i2"], NVS05), "json"))
    jsonschema.validate(data, schema)
    assert "monomial" in [step["rule"] for step in data["proof"]["steps"]]
