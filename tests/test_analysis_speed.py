"""The analysis's fast paths agree with the general ones: plans taken from the tables made
once per process, memoised quotients, breaks worded only when read."""
from __future__ import annotations

import pytest

from dcp import DcpError, Session, certify
from dcp.analysis import Analyzer
from dcp.facts import Interval
from dcp.syntax.reader import read_into
from dcp.tape import Tape


def _analysed(text: str, wrt: str, bounds: dict | None = None):
    tape = Tape()
    root = read_into(text, tape)
    return tape, root, Analyzer(tape, (wrt,), {}).analyse(bounds or {}, root)


def test_a_call_planned_from_the_table_is_the_call_resolved_afresh():
    # The first sum fills the table; the second takes its plan from it.
    tape, root, facts = _analysed("sum(x) + sum(exp(x))", "x")
    first, second = (i for i, op in enumerate(tape.op) if op == "call" and tape.data[i][0] == "sum")
    assert facts.atom[first] is facts.atom[second]
    assert facts.premises[second] == tape.args[second]
    assert str(facts.curvature[root]) == "convex"


def test_a_keyword_given_by_position_is_never_taken_from_the_table():
    # power(x, 2) and power(x, 3) share (function, argument count) but not their p.
    tape, _, facts = _analysed("power(x, 2) + power(x, 3)", "x", {"x": Interval(0.0, float("inf"))})
    calls = [i for i, op in enumerate(tape.op) if op == "call"]
    assert [dict(facts.kwargs[i])["p"] for i in calls] == [2, 3]
    assert all(facts.premises[i] == (tape.args[i][0],) for i in calls)


def test_a_user_atom_s_call_is_never_kept_in_the_table_of_built_in_calls():
    session = Session()
    session.define("f", "t", "-exp(t)")
    assert str(session.certify("f(x)", wrt="x", check=False).curvature) == "concave"
    with pytest.raises(DcpError, match="unknown function `f`"):
        certify("f(x)", wrt="x", check=False)        # another session has no f


@pytest.mark.parametrize("text, assume, reason, fix", [
    ("square(x) / c", [], "a convex expression `square(x)` divided by a constant of unknown "
     "sign (`c` ranges over (-inf, inf))", "c >= 0 would make it convex; c <= 0 would make it concave"),
    ("c / x", [], "the divisor `x` may be negative (it ranges over (-inf, inf)); c / g is convex "
     "only where g > 0", "write inv_pos(x) to restrict to where it is positive"),
    ("c / square(x)", ["c >= 0"], "1 / g is convex and nonincreasing, so it needs a concave "
     "argument, but `square(x)` is convex", None),
    ("log(-1 - square(x))", [], "log is defined for arguments in (0, inf), but `-1 - square(x)` "
     "always lies in (-inf, -1]", None),
])
def test_a_break_worded_when_read_says_what_it_said_when_worded_at_once(text, assume, reason, fix):
    (step,) = certify(text, wrt="x", assume=assume, check=False).proof.breaks
    assert (step.reason, step.fix) == (reason, fix)


@pytest.mark.parametrize("text, assume", [
    ("square(x) / c", []), ("c / x", []), ("c / square(x)", ["c >= 0"]), ("x / 2", []),
    ("c / x", ["c >= 0", "x >= 1"]), ("log(-1 - square(x))", []), ("log(x)", []),
    ("W @ relu(x)", []), ("relu(x) * relu(x)", []), ("sqrt(x) + x / c", ["c >= 1"]),
])
def test_a_step_with_a_reason_is_a_break_and_only_that(text, assume):
    # A reason may be worded when read; whether there is one never waits for that.
    proof = certify(text, wrt="x", assume=assume, check=False).proof
    for step in proof.steps():
        assert bool(step.reason) == step.is_break, step.text
        assert (step in proof.breaks) == step.is_break, step.text


def test_a_memoised_quotient_is_the_quotient():
    # The second division asks the memo the first filled.
    for _ in range(2):
        tape, root, facts = _analysed("(x + 1) / 3", "x", {"x": Interval(0.0, 1.0)})
        top, bottom = tape.args[root]
        assert facts.range[root] == facts.range[top] * facts.range[bottom].reciprocal()
        assert facts.rule[root] == "quotient" and str(facts.curvature[root]) == "affine"


def test_facts_with_and_without_keywords_are_memoised_apart():
    from dcp.atoms import lookup
    huber, region = lookup("huber", 1), (Interval(-3.0, 3.0),)
    assert huber.facts_on(region, {"M": 1.0}).range != huber.facts_on(region, {"M": 2.0}).range
    plain = lookup("exp", 1)
    assert plain.facts_on(region, {}) is plain.facts_on(region, {})


@pytest.mark.parametrize("text", [
    "square(a1 @ w - b1) + square(a2 @ w - b2) + square(a3 @ w - b3)",
    "log(w) + log(w + 1) - exp(w) + huber(w, M=2) + huber(w)",
    "entr(w) + sqrt(-w) - exp(w) * 2 + c * w * d",
])
def test_a_conclusion_is_the_rule_applied_to_the_atom_s_facts(text):
    from dcp import rules
    for _ in range(2):                                  # the second run reads the memos
        tape, _, facts = _analysed(text, "w")
        for i, rule in enumerate(facts.rule):
            premises, note = facts.premises[i], facts.notes.get(i)
            args = tuple(facts.curvature[p] for p in premises)
            ranges = tuple(facts.range[p] for p in premises)
            if rule == "product":
                assert facts.range[i] == facts.atom[i].facts_on(ranges, {}).range
                assert facts.curvature[i] is rules.product_curvature(*args, *ranges)
            if rule != "composition" or note is not None and note.regions == ():
                continue
            regions = note.regions if note is not None and note.regions else ranges
            found = facts.atom[i].facts_on(regions, dict(facts.kwargs[i]))
            assert facts.range[i] == found.range
            assert facts.curvature[i] is rules.composed(found.curvature, found.monotonicity, args)
