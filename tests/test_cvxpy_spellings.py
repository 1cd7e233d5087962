"""CVXPY's spellings of atoms dcp has (SPEC section 9): ``log_sum_exp`` for ``logsumexp``
and ``norm(x, 1)`` with ``p`` by position; a keyword given both ways is refused."""
from __future__ import annotations

import pytest

from dcp import ArgumentError, DcpError, certify


@pytest.mark.parametrize("cvxpy, dcp", [
    ("log_sum_exp(W @ x)", "logsumexp(W @ x)"),
    ("norm(x - y, 1)", "norm(x - y, p=1)"),
    ("norm(x, 2) + norm(x, 1.5)", "norm(x, p=2) + norm(x, p=1.5)"),
])
def test_a_cvxpy_spelling_is_the_same_atom(cvxpy, dcp):
    ours, theirs = certify(dcp, wrt="x", check=False), certify(cvxpy, wrt="x", check=False)
    assert theirs.verdict == ours.verdict == "convex"
    assert [s.facts for s in theirs.proof.steps()] == [s.facts for s in ours.proof.steps()]


@pytest.mark.parametrize("text, column", [("power(x, 2, p=3)", 14), ("norm(x, 1, p=2)", 13)])
def test_a_keyword_given_by_position_and_by_name_is_refused(text, column):
    with pytest.raises(ArgumentError, match="`p` of .* is given twice") as info:
        certify(text, wrt="x", check=False)
    assert info.value.span.start == column


def test_a_norm_below_one_is_refused_by_position_too():
    with pytest.raises(ArgumentError, match="only for p >= 1"):
        certify("norm(x, 0.5)", wrt="x", check=False)


@pytest.mark.parametrize("expr,verdict", [
    ("logsumexp(X, axis=0)", "convex"), ("log_sum_exp(X, axis=1)", "convex"),
    ("log_softmax(X, axis=0)", "concave"), ("-sum(log_softmax(X, axis=1))", "convex"),
    ("softmax(X, axis=1)", "nonconvex"),
])
def test_axis_on_logsumexp_softmax_and_log_softmax(expr, verdict):
    result = certify(expr, wrt="X", shapes={"X": (2, 3)})
    assert result.verdict == verdict


def test_axis_shapes_and_values():
    import numpy as np
    from dcp.check import infer_shapes
    from dcp.check.evaluate import evaluate
    from dcp.ops import FLOAT
    result = certify("logsumexp(X, axis=0)", wrt="X", shapes={"X": (2, 3)}, check=False)
    solution = infer_shapes(result.proof, {"X": (2, 3)})[0]
    assert len(solution.steps[result.proof.root_id]) == 1           # one per column
    X = np.arange(6.0).reshape(1, 2, 3)
    value, _ = evaluate(result.proof, {"X": X}, FLOAT, 1)
    assert np.allclose(value[0], np.log(np.exp(X[0]).sum(axis=0)))
    softmax = certify("softmax(X, axis=1)", wrt="X", shapes={"X": (2, 3)}, check=False)
    value, _ = evaluate(softmax.proof, {"X": X}, FLOAT, 1)
    assert np.allclose(value[0].sum(axis=1), 1.0)


def test_an_axis_the_value_does_not_have_is_refused():
    with pytest.raises(DcpError, match="axis=1 of a value of rank 1"):
        certify("logsumexp(x, axis=1)", wrt="x", shapes={"x": (3,)})
    with pytest.raises(DcpError, match="takes axis=0 or axis=1"):
        certify("softmax(X, axis=2)", wrt="X")


def test_norm_takes_p_inf_as_cvxpy_does():
    assert certify("norm(x, p=inf)", wrt="x", check=False).verdict == "convex"
    assert certify("norm(x, inf)", wrt="x", check=False).verdict == "convex"
    with pytest.raises(DcpError, match=r"must be a numeric constant \(or inf\), e.g. p=2"):
        certify("norm(x, p=y)", wrt="x")
