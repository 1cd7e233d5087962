"""Adversary findings for issue 14, quasiconvexity (DQCP). Each test asserts the CORRECT
behaviour, and failed before the fixes of the same commit.

Finding 1 (medium, soundness of the quasi verdict): a quasi claim ignores the domain
conditions that its premises' *plain* steps carry. dcp's own definition (dcp/facts/quasi.py:
"f is quasiconvex when its domain is convex and every sublevel set {f <= t} is convex") and
SPEC section 2 ("a verdict holds on the set where the expression is defined") are both
broken: the domain `x^2 - 1 >= 0` is two rays, and a sublevel set restricted to it is not
convex. The DQCP pass refuses exactly this domain when the narrowing happens at a quasi
node (`sigmoid(sqrt(x^2 - 1))` stays unknown: "`x^2 - 1` may leave sqrt's domain [0, inf),
and the part inside it need not be convex"), and the set layer refuses it too
(`sigmoid((x^2-1)^1.5) <= 0.6` is reported *nonconvex*, with a witness), but
`sigmoid((x^2-1)^1.5)` itself is reported quasiconvex, `is_quasiconvex=True`. dcp thus
says f is quasiconvex and, in the same breath, that f's sublevel set {f <= 0.6} is not
convex.

Exact counterexample (f(x) = sigmoid((x^2 - 1)^(3/2))):
  x = -1: x^2 - 1 = 0, (0)^(3/2) = 0, f = 1/(1 + e^0) = 1/2 <= 3/5;
  x =  1: the same, f = 1/2 <= 3/5;
  x =  0 = (1/2)(-1) + (1/2)(1): x^2 - 1 = -1, (-1)^(3/2) is not real (dcp's own power
  atom has domain [0, inf) for p = 3/2), so 0 is not in dom f, hence not in {f <= 3/5}.
So {f <= 3/5} contains -1 and 1 but not their midpoint: not convex, f not quasiconvex.
(No f(mix) > max(f(a), f(b)) witness can exist, since the mixed point leaves the domain;
that is why the numeric check cannot catch it: only the domain rule can.)

The same hole reached through the other DQCP rules (same domain, same counterexample
points, the sublevel set {. <= 1} at y = 1 for the ratio; for the max, {max <= 1} holds at
x = -1 (max(0, -1) = 0) and x = 1 (max(0, 1) = 1) but not at x = 0, outside the domain).
"""
from fractions import Fraction

import sympy

from dcp import certify


def _exact_points_check():
    """The exact facts the comments rely on (SymPy, no floats)."""
    x = sympy.Symbol("x", real=True)
    inner = x**2 - 1
    f = 1 / (1 + sympy.exp(-inner ** sympy.Rational(3, 2)))
    assert f.subs(x, -1) == sympy.Rational(1, 2) and f.subs(x, 1) == sympy.Rational(1, 2)
    assert sympy.Rational(1, 2) <= Fraction(3, 5)
    assert inner.subs(x, 0) == -1                                 # outside [0, inf)
    assert not (sympy.Integer(-1) ** sympy.Rational(3, 2)).is_real   # (-1)^(3/2) = -i


def test_exact_counterexample_points():
    _exact_points_check()


def test_quasi_monotone_of_a_plain_premise_with_a_nonconvex_domain_is_not_quasiconvex():
    # dcp 0e55e61: verdict 'quasiconvex', is_quasiconvex True ("where x^2 - 1 >= 0").
    r = certify("sigmoid((x^2-1)^1.5)", wrt="x", check=False)
    assert r.is_quasiconvex is not True


def test_function_verdict_agrees_with_the_set_verdict_on_its_own_sublevel_set():
    # dcp refutes the sublevel set {f <= 0.6} as a set (nonconvex, with a witness) ...
    s = certify("sigmoid((x^2-1)^1.5) <= 0.6", wrt="x", check=True)
    assert s.is_convex is False
    # ... so f cannot be quasiconvex; today dcp says it is.
    f = certify("sigmoid((x^2-1)^1.5)", wrt="x", check=False)
    assert f.is_quasiconvex is not True


def test_the_same_domain_is_refused_at_a_quasi_node_and_must_be_refused_here_too():
    # Consistency: identical domain condition x^2 - 1 >= 0 (two rays).
    refused = certify("sigmoid(sqrt(x^2-1))", wrt="x", check=False)
    assert refused.is_quasiconvex is None                         # holds today
    accepted = certify("sigmoid((x^2-1)^1.5)", wrt="x", check=False)
    assert accepted.is_quasiconvex is None                        # fails today: True


def test_quasi_ratio_with_a_nonconvex_domain_numerator_is_not_quasiconvex():
    # (x^2-1)^1.5 / y, y > 0: {<= 1} at y = 1 holds at x = -1 and x = 1 (value 0), not at 0.
    r = certify("(x^2-1)^1.5 / y", wrt=["x", "y"], assume=["y > 0"], check=False)
    assert r.is_quasiconvex is not True


def test_quasi_maximum_with_a_nonconvex_domain_argument_is_not_quasiconvex():
    # max((x^2-1)^1.5, x^3): {<= 1} holds at x = -1 (max(0, -1) = 0) and x = 1 (max(0, 1)
    # = 1), not at x = 0 (outside the domain |x| >= 1).
    r = certify("max((x^2-1)^1.5, x^3)", wrt="x", check=False)
    assert r.is_quasiconvex is not True


def test_convex_where_defined_on_two_rays_is_not_reported_quasiconvex():
    # Finding 1b (low-medium, same root cause, on the new tri-state): Result.is_quasiconvex is
    # True whenever the curvature is convex, even "convex where x^2 - 1 >= 0" on two rays.
    # {(x^2-1)^1.5 <= 5} holds at x = -1 and x = 1 (value 0) but not at x = 0 (outside the
    # domain), and dcp itself refutes that set ('nonconvex', with a set witness). The plain
    # verdict 'convex ... where x^2 - 1 >= 0' may stay as SPEC section 2 words it; the claim
    # "every sublevel set is convex" may not.
    s = certify("(x^2-1)^1.5 <= 5", wrt="x", check=True)
    assert s.is_convex is False
    f = certify("(x^2-1)^1.5", wrt="x", check=False)
    assert f.is_quasiconvex is not True


def test_kernel_rejects_a_non_quasi_claim_instead_of_crashing():
    # Finding 2 (low, kernel robustness): a tampered DQCP step whose claim is not a Quasi
    # member makes check_proof crash with AttributeError ('str' object has no attribute
    # 'is_known') instead of raising ProofCheckError; the plain kernel rejects the analogous
    # tampering of a curvature claim (facts.curvature[root] = 'affine') with ProofCheckError.
    # `_check_quasi` decides "claims nothing" by `step.quasi.is_known` and consumers read
    # `is_quasiconvex`: an object with is_known False and is_quasiconvex True would pass the
    # kernel and make Result.is_quasiconvex True.
    import pytest

    from dcp import ProofCheckError, check_proof
    r = certify("square(sigmoid(x) - 0.5)", wrt="x", check=False)
    facts = r.proof.facts
    root = facts.resolve(r.proof.root_id)
    facts.quasi[root] = facts.quasi[root]._replace(quasi="quasilinear")
    with pytest.raises(ProofCheckError):
        check_proof(r.proof)
