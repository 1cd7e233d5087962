"""CVXPY's spellings of atoms dcp has (SPEC section 9): ``log_sum_exp`` for ``logsumexp``
and ``norm(x, 1)`` with ``p`` by position; a keyword given both ways is refused."""
from __future__ import annotations

import pytest

from dcp import ArgumentError, certify


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
