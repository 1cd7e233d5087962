"""Adversary findings against issue 14 (convex sets), target: dcp/sets.py, dcp/check/sets.py,
the set rules and check_set_proof in dcp/kernel.py.

Each test asserts the CORRECT behaviour, and failed before the fixes of the same commit.
Exact verification of every counterexample: see verify_exact() at the bottom (sympy,
run this file with python).
"""
import dataclasses

import pytest

from dcp import Session, certify
from dcp.errors import ProofCheckError
from dcp.kernel import check_set_proof


# ---- Finding 1 (HIGH, soundness): the "whole box" rule ignores division by an expression
# that may be 0. `1 / x` with x of unknown sign gets no domain condition (the plain rules
# break at it and record none), so `function.domain` is empty and the range of
# sigmoid(...) in (0, 1) makes the rule claim "every admissible point is feasible".
# But 1/x is undefined at x = 0 (dcp's own referee and set witnesses treat a division by 0
# as undefined / infeasible: `1/x <= 1` is refuted with a mix near 0), so the feasible set
# is R \ {0}: a = -1 and b = 1 are feasible (sigmoid(-1) = 1/(1+e) > 0, sigmoid(1) > 0),
# the mix at theta = 1/2 is x = 0 where g - h is undefined, so outside the set.

@pytest.mark.parametrize("constraint, wrt, assume", [
    ("sigmoid(1/x) >= 0", ["x"], []),                      # set R \ {0}
    ("sigmoid(1/x) <= 1", ["x"], []),                      # set R \ {0}
    ("exp(1/x) >= 0", ["x"], []),                          # set R \ {0}
    ("abs(1/x) >= 0", ["x"], []),                          # set R \ {0}
    ("max(x, sigmoid(1/x)) >= 0", ["x"], []),              # set R \ {0}
    ("x^2 + square(1/x) >= 0", ["x"], []),                 # set R \ {0}
    ("0*(1/x) == 0", ["x"], []),                           # set R \ {0}, an equality
    ("square(x/y) >= 0", ["x", "y"], []),                  # {y != 0}: (0,-1),(0,1) -> (0,0)
    ("sigmoid(x/y) <= 1", ["x", "y"], []),                 # {y != 0}
    ("tanh(1/(x*y)) <= 1", ["x", "y"], []),                # {xy != 0}: (1,-1),(1,1) -> (1,0)
    ("sigmoid(1/(x - 1)) >= 0", ["x"], ["x >= 0"]),        # [0,1) u (1,inf): 0, 2 -> 1
    ("sigmoid(x / (y - 1)) >= 0", ["x", "y"], []),         # {y != 1}: (0,0),(0,2) -> (0,1)
])
def test_whole_box_ignores_a_division_by_zero(constraint, wrt, assume):
    result = certify(constraint, wrt=wrt, assume=assume, check=False)
    assert result.is_convex is not True, (constraint, result.verdict,
                                          [p.rule for p in result.proof.parts])


# ---- Finding 1b (HIGH, soundness, same rule): matrix_frac and log_det are undefined where
# S(P) (S(X)) is not positive definite (dcp/atoms/matrix.py), but they record no domain
# condition (certify("matrix_frac(1, x)", wrt="x").domain == []), so the "whole box" rule
# again sees an empty `function.domain`. With a non-affine argument the hidden domain is
# not convex:
#   matrix_frac(1, square(x)) (scalars: 1/x^2) is defined iff x^2 > 0 iff x != 0;
#   a = -1, b = 1: matrix_frac = 1, sigmoid(1) > 0; mix 0: P = 0 is not PD, undefined.
#   matrix_frac(1, x^2 - 1) is defined iff x^2 > 1 (two rays); a = -2, b = 2 (P = 3 > 0),
#   mix 0: P = -1, undefined.
#   log_det(square(X)) with X (1, 1): defined iff X[0,0] != 0; same points as above.
@pytest.mark.parametrize("constraint, shapes", [
    ("sigmoid(matrix_frac(1, square(x))) >= 0", None),
    ("exp(-matrix_frac(1, x^2 - 1)) >= 0", None),
    ("sigmoid(log_det(square(x))) >= 0", {"x": (1, 1)}),
])
def test_whole_box_ignores_a_hidden_matrix_domain(constraint, shapes):
    result = certify(constraint, wrt=["x"], shapes=shapes, check=False)
    assert result.is_convex is not True, (constraint, result.verdict,
                                          [p.rule for p in result.proof.parts])


# The same hole through a user atom whose body divides (the Session API, as in scripts).
#   g(t) = 1/t:              sigmoid(g(x)) >= 0 is R \ {0} (a = -1, b = 1, mix 0);
#   h(t) = sigmoid(1/t):     h(x^2 - 1) >= 0 is R \ {-1, 1} (a = 0, b = 2, mix 1: 1/0).
@pytest.mark.parametrize("name, body, constraint", [
    ("g", "1/t", "sigmoid(g(x)) >= 0"),
    ("h", "sigmoid(1/t)", "h(x^2 - 1) >= 0"),
])
def test_whole_box_ignores_a_division_in_a_user_atom(name, body, constraint):
    session = Session()
    session.define(name, "t", body)
    result = session.certify(constraint, wrt="x", check=False)
    assert result.is_convex is not True, (constraint, result.verdict)


def test_whole_box_division_intersection():
    # The intersection is certified as well ("whole box" + "sublevel set"): {x != 0, x <= 5}.
    result = certify("sigmoid(1/x) >= 0, x <= 5", wrt=["x"], check=False)
    assert result.is_convex is not True


# ---- Finding 2 (LOW/MEDIUM, kernel): check_set_proof never compares a part's operator
# (or the list of parts) with the constraints the set's tape and source hold. The tape
# stores only `g - h`; `op` lives on the SetStep alone. So a proof of the NONCONVEX set
# `x*y <= 1` (x, y >= 0; exact witness (0, 4), (4, 0) feasible, mix (2, 2): 4 > 1)
# whose step is rewritten to op ">=" with rule "DQCP level set" passes the kernel, and the
# SetProof (still with source "x*y <= 1") claims convex. Likewise dropping the
# non-convex part of an intersection passes. The function kernel binds its claim to the
# tape; the set kernel should bind each part to its constraint (the "-" node's span in
# `source` says which operator was written) and require one part per constraint.

def _tampered(proof, parts):
    return dataclasses.replace(proof, parts=tuple(parts))


def test_kernel_rejects_a_flipped_operator_that_happens_to_prove():
    result = certify("x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    part = result.proof.parts[0]
    assert not part.convex
    bad = _tampered(result.proof, [dataclasses.replace(part, op=">=", convex=True,
                                                       rule="DQCP level set")])
    assert bad.convex and bad.source == "x*y <= 1"
    with pytest.raises(ProofCheckError):
        check_set_proof(bad)


def test_kernel_rejects_a_dropped_constraint():
    result = certify("x <= 1, x*y <= 1", wrt=["x", "y"], assume=["x >= 0", "y >= 0"], check=False)
    bad = _tampered(result.proof, result.proof.parts[:1])
    assert bad.convex
    with pytest.raises(ProofCheckError):
        check_set_proof(bad)


def verify_exact():
    """The counterexample points, in exact arithmetic."""
    import sympy as sp
    s = lambda t: 1 / (1 + sp.exp(-t))                         # noqa: E731
    half = sp.Rational(1, 2)
    a, b = sp.Integer(-1), sp.Integer(1)
    assert s(1 / a) > 0 and s(1 / b) > 0 and s(1 / a) < 1 and s(1 / b) < 1
    mix = half * a + (1 - half) * b
    assert mix == 0 and (1 / mix) is sp.zoo                  # 1/0: undefined
    a, b = sp.Integer(0), sp.Integer(2)                      # sigmoid(1/(x - 1)), x >= 0
    assert s(1 / (a - 1)) > 0 and s(1 / (b - 1)) > 0
    assert half * a + half * b - 1 == 0
    x0, y0, x1, y1 = 0, 4, 4, 0                              # x*y <= 1 is not convex
    assert x0 * y0 <= 1 and x1 * y1 <= 1
    assert sp.Rational(x0 + x1, 2) * sp.Rational(y0 + y1, 2) > 1
    P = lambda v: v**2                                       # noqa: E731  matrix_frac(1, x^2)
    assert P(-1) > 0 and P(1) > 0 and not P(0) > 0
    Q = lambda v: v**2 - 1                                   # noqa: E731  matrix_frac(1, x^2 - 1)
    assert Q(-2) > 0 and Q(2) > 0 and not Q(0) > 0
    print("exact checks hold")


if __name__ == "__main__":
    verify_exact()
