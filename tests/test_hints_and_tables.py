"""Hints (sign assumptions that repair a break) and per-variable tables."""
from __future__ import annotations

import pytest

from dcp import Session, certify, certify_each


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
    import dcp.hints
    calls = []
    real = dcp.hints.find_hints
    monkeypatch.setattr(dcp.hints, "find_hints", lambda *a: calls.append(1) or real(*a))
    result = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check=False)
    assert calls == []
    assert [str(h) for h in result.hints] == ["W2 >= 0 -> convex"]
    assert result.hints is result.hints and calls == [1]


def test_a_rerun_reuses_the_steps_that_do_not_depend_on_the_changed_names():
    from dcp.facts import NONNEG
    from dcp.hints import Reanalysis
    proof = certify("relu(W2 @ relu(W1 @ x))", wrt="W1", check=False).proof
    tape = proof.tape
    inner = tape.find("call", ("relu", ()), (tape.find("@", None, (tape.find("name", "W1"),
                                                                     tape.find("name", "x"))),))
    seen = []
    analyzer = _Spy(proof, seen)
    again = Reanalysis(proof, analyzer)({"W2": NONNEG}, frozenset({"W2"}))
    assert inner not in seen[0] and proof.root_id in seen[0] and tape.find("name", "W2") in seen[0]
    assert again.facts.range[inner] is proof.facts.range[inner]
    assert again.curvature.value == "convex" and proof.curvature.value == "unknown"


class _Spy:
    """An analyzer that records which ids it is asked to analyse again."""

    def __init__(self, proof, seen):
        from dcp.analysis import Analyzer
        self.real, self.seen = Analyzer(proof.tape, proof.wrt, proof.atoms), seen

    def analyse(self, bounds, root, facts=None, ids=None):
        self.seen.append(list(ids))
        return self.real.analyse(bounds, root, facts, ids)

    def premises(self, index):
        return self.real.premises(index)


def test_incremental_hints_equal_hints_from_a_fresh_analysis():
    """The reuse is sound only if every dependence on the bounds flows through premises:
    compare with re-running the whole analysis, on random problems."""
    import random

    from dcp import DcpError
    from dcp.analysis import Analyzer
    from dcp.hints import Reanalysis, find_hints
    from dcp.proof import Proof
    from dcp.testing import random_problem
    rng, compared = random.Random(7), 0
    while compared < 60:
        expression, wrt, assume = random_problem(rng)
        try:
            result = certify(expression, wrt=wrt, assume=assume, check=False)
        except DcpError:
            continue
        if result.curvature.is_known:
            continue
        proof = result.proof

        def fresh(bounds, changed):
            facts = Analyzer(proof.tape, proof.wrt, proof.atoms).analyse(bounds, proof.root_id)
            return Proof(proof.tape, facts, proof.root_id, proof.wrt, bounds)
        incremental = Reanalysis(proof, Analyzer(proof.tape, proof.wrt, proof.atoms))
        assert find_hints(proof, incremental) == find_hints(proof, fresh), expression
        compared += 1


def test_a_later_define_does_not_change_a_result_s_hints():
    session = Session()
    session.define("f", "t", "exp(t)")
    result = session.certify("f(W * square(x))", wrt="x", check=False)
    session.define("f", "t", "-exp(t)")
    assert [str(h) for h in result.hints] == ["W >= 0 -> convex"]


def test_a_choice_that_leaves_the_expression_undefined_is_no_hint():
    # W >= 0 pins relu(-W) at 0, a division by zero: skipped, not raised; W <= 0 works.
    result = certify("W * square(x) + x / relu(-W)", wrt="x", check=False)
    assert [str(h) for h in result.hints] == ["W <= 0 -> concave"]
    assert "assume W <= 0 -> concave" in result.explain()


def test_suspects_come_in_source_order():
    result = certify("W10 * relu(x) + W2 * relu(x)", wrt="x", check=False)
    assert [str(h) for h in result.hints] == ["W10 >= 0, W2 >= 0 -> convex",
                                              "W10 <= 0, W2 <= 0 -> concave"]


def test_breaks_that_no_few_assumptions_can_repair_end_the_search_at_once(monkeypatch):
    """Each term breaks on its own weight: 1,000 separate breaks need 1,000 assumptions,
    more than a hint may hold, so the rules are not re-run at all."""
    import dcp.hints
    reruns = []
    real = dcp.hints.Reanalysis.__call__
    monkeypatch.setattr(dcp.hints.Reanalysis, "__call__",
                        lambda self, *a: reruns.append(1) or real(self, *a))
    result = certify(" + ".join(f"W{i} * square(x)" for i in range(1000)), wrt="x", check=False)
    assert result.hints == () and reruns == []


# ---- hints say nothing assumed, and no more than is needed ------------------------------

NET = "relu(W3 @ relu(W2 @ relu(W1 @ x + b1) + b2) + b3)"


@pytest.mark.parametrize("expression, wrt, assume, hints", [
    # Assumed W2, W3 took two of the six suspects' places and came back as hints, and y,
    # left out, came in only beside another name: seven hints like `x >= 0, y <= 0`.
    (f"mse({NET}, y)", "W1", ["W2 >= 0", "W3 >= 0"], ["y <= 0 -> convex"]),
    (f"mse({NET}, y)", "W1", ["W2 >= 0"], ["W3 >= 0, y <= 0 -> convex"]),
    (f"mse({NET}, y)", "W1", [], ["W2 >= 0, W3 >= 0, y <= 0 -> convex"]),
    ("mse(W3 @ relu(W2 @ relu(W1 @ x + b1) + b2) + b3, y)", "W1", ["W2 >= 0", "W3 >= 0"],
     ["b3 >= 0, y <= 0 -> convex"]),
    # Any bound with a sign leaves nothing for a sign to add; one without, both signs.
    (f"mse({NET}, y)", "W1", ["W2 >= 1", "W3 >= 1"], ["y <= 0 -> convex"]),
    ("c * relu(x) + d * square(x)", "x", ["c <= -1"], ["d <= 0 -> concave"]),
    ("c * relu(x) + d * square(x)", "x", ["-1 <= c <= 1"],
     ["c >= 0, d >= 0 -> convex", "c <= 0, d <= 0 -> concave"]),
])
def test_hints_never_repeat_an_assumption(expression, wrt, assume, hints):
    result = certify(expression, wrt=wrt, assume=assume, check=False)
    assert [str(h) for h in result.hints] == hints


def test_a_hint_holds_only_what_is_needed_though_its_name_comes_late():
    """y is the seventh suspect of the break, past the six tried alone: it is first tried
    beside another, and the hint found is made minimal (it was `a >= 0, y >= 0`, ...)."""
    result = certify("square(a + b + c + d + e + f + x) * y", wrt="x", check=False)
    assert [str(h) for h in result.hints] == ["y >= 0 -> convex", "y <= 0 -> concave"]


def test_hints_certify_and_have_no_part_that_does_on_random_problems():
    import random

    from dcp import DcpError
    from dcp.testing import random_problem
    rng, checked = random.Random(11), 0
    while checked < 25:
        expression, wrt, assume = random_problem(rng)
        try:
            result = certify(expression, wrt=wrt, assume=assume, check=False)
        except DcpError:
            continue
        if not result.hints:
            continue
        bounds = result.proof.bounds
        choices = [set(h.assumptions) for h in result.hints]
        for hint, choice in zip(result.hints, choices):
            for name in (a.split()[0] for a in choice):     # no sign is assumed already
                assert name not in bounds or not (bounds[name].is_nonneg or bounds[name].is_nonpos)
            assert not any(other < choice for other in choices), (expression, hint)
            again = certify(expression, wrt=wrt, assume=[*assume, *choice], check=False)
            assert again.verdict == hint.verdict, (expression, assume, hint)
            for dropped in choice if len(choice) > 1 else ():
                fewer = certify(expression, wrt=wrt, assume=[*assume, *(choice - {dropped})], check=False)
                assert not fewer.curvature.is_known, (expression, assume, hint, dropped)
        checked += 1
