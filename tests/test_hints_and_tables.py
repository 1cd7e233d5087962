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


def test_a_deep_network_gets_the_hint_that_repairs_it():
    """Assuming W2 >= 0 moves the break up to W3: the search follows it, and the hint it
    gives certifies (the old search suggested nothing that repaired it)."""
    expression = "relu(W3 @ relu(W2 @ relu(W1 @ x)))"
    result = certify(expression, wrt="W1", check=False)
    assert [str(h) for h in result.hints] == ["W2 >= 0, W3 >= 0 -> convex"]
    again = certify(expression, wrt="W1", assume=list(result.hints[0].assumptions), check=False)
    assert again.verdict == "convex"


def test_hints_are_searched_when_first_read(monkeypatch):
    import dcp.api
    calls = []
    real = dcp.api.find_hints
    monkeypatch.setattr(dcp.api, "find_hints", lambda *a: calls.append(1) or real(*a))
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check=False)
    assert calls == []
    assert [str(h) for h in result.hints] == ["W2 >= 0 -> convex"]
    assert result.hints is result.hints and calls == [1]


def test_a_rerun_reuses_the_steps_that_do_not_depend_on_the_changed_names():
    from dcp.analysis import Analyzer
    from dcp.facts import NONNEG
    from dcp.hints import names_of_steps
    from dcp.syntax import parse_expression
    tree = parse_expression("relu(W2 @ relu(W1 @ x))")
    first = Analyzer(frozenset({"W1"}), {}).analyse(tree)
    steps = [first.premises[0].premises[1]]            # relu(W1 @ x)
    names = names_of_steps(_postorder(first))
    assert names[id(steps[0])] == {"W1", "x"} and names[id(first)] == {"W1", "W2", "x"}
    again = Analyzer(frozenset({"W1"}), {"W2": NONNEG}).reuse(
        _postorder(first), lambda s: "W2" not in names[id(s)]).analyse(tree)
    assert again.premises[0].premises[1] is steps[0]
    assert again.curvature.value == "convex" and first.curvature.value == "unknown"


def _postorder(step):
    from dcp.syntax.ast import walk_postorder
    return walk_postorder(step, lambda s: s.premises)
