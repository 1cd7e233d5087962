"""Hints (sign assumptions that repair a break) and per-variable tables."""
from __future__ import annotations

from dcp import certify, certify_each


def test_relu_network_hint_is_a_nonnegative_second_layer():
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check=False)
    assert [str(h) for h in result.hints] == ["W2 >= 0 -> convex"]
    assert result.hints[0].verdict == "convex"
    assert "assume W2 >= 0 -> convex" in result.explain()


def test_each_hint_certifies_when_assumed():
    result = certify("c * relu(x) + d * square(x)", wrt="x", check=False)
    assert [str(h) for h in result.hints] == ["c >= 0, d >= 0 -> convex", "c <= 0, d <= 0 -> concave"]
    for hint in result.hints:
        again = certify("c * relu(x) + d * square(x)", wrt="x", assume=list(hint.assumptions), check=False)
        assert again.verdict == hint.verdict


def test_no_hint_when_no_sign_helps():
    assert certify("sigmoid(w @ x)", wrt="w", check=False).hints == ()
    assert certify("x.T @ A @ x", wrt="x", check=False).hints == ()


def test_certified_results_have_no_hints():
    assert certify("relu(W @ x)", wrt="W", check=False).hints == ()


def test_biconvex_but_not_jointly_convex():
    table = certify_each("sum_squares(U @ V - M)", ["U", "V"])
    assert (table["U"].verdict, table["V"].verdict, table.joint.verdict) == ("convex", "convex", "nonconvex")
    assert table.block_convex
    text = table.table()
    assert text.splitlines()[0].split() == ["wrt", "verdict", "rules", "numeric", "check"]
    assert "U, V (jointly)  nonconvex" in text
    assert text.endswith("convex in each variable separately (block convex), not jointly")
