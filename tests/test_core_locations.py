"""The flat core stores each distinct subexpression once, located where it was first
written; what a user reads (carets, conditions, breaks, hints, errors) still points at the
place that concerns it, and names what was written, not a ``+a`` around it."""
from __future__ import annotations

from collections.abc import Mapping

import pytest

from dcp import DcpError, Session, certify
from dcp.syntax import parse_expression
from dcp.syntax.reader import read_into
from dcp.tape import Tape


def _error(text, wrt="x"):
    with pytest.raises(DcpError) as info:
        certify(text, wrt=wrt, check=False)
    return info.value


def test_a_domain_condition_points_at_the_argument_that_needs_it():
    # x is first written inside relu; the condition x > 0 comes from log's argument.
    result = certify("relu(x) + log(x)", wrt="x", check=False)
    (condition,) = result.domain
    assert str(condition) == "x > 0"
    assert (condition.span.start, condition.span.end) == (14, 15)


@pytest.mark.parametrize("text,message,where", [
    ("y + x^y", "the exponent must be a numeric constant", (6, 7)),
    ("y + huber(x, M=y)", "`M` of huber must be a numeric constant", (15, 16)),
    ("(foo(x))", "unknown function `foo`", (1, 4)),
])
def test_an_error_points_at_the_place_written_not_at_an_earlier_equal_one(text, message, where):
    error = _error(text)
    assert error.message.startswith(message)
    assert (error.span.start, error.span.end) == where


@pytest.mark.parametrize("text,message", [
    ("x^y + 1/0", "the exponent must be a numeric constant"),
    ("1/0 + x^y", "division by zero"),
])
def test_of_two_errors_the_first_written_is_reported(text, message):
    assert _error(text).message.startswith(message)


def test_a_unary_plus_is_its_operand_in_breaks_fixes_and_conditions():
    result = certify("(+W) * relu(x)", wrt="x", check=False)
    (step,) = result.breaks
    assert "`W` ranges over" in step.reason
    assert step.fix == "W >= 0 would make it convex; W <= 0 would make it concave"
    assert "`exp(x)` is convex" in certify("log(+exp(x))", wrt="x", check=False).breaks[0].reason


def test_what_no_proof_step_needs_is_not_analysed():
    session = Session()
    session.define("first", ["a", "b"], "a")
    assert session.certify("first(x, 1/0)", wrt="x", check=False).verdict == "affine"


def test_hint_suspects_come_in_the_order_written_inside_the_break():
    result = certify("b + relu(x) * (a + b)", wrt="x", check=False)
    assert [str(h) for h in result.hints] == ["a >= 0, b >= 0 -> convex", "a <= 0, b <= 0 -> concave"]


class _Fresh(Mapping):
    """Bindings whose values are built anew at each lookup (ids of dead trees get reused)."""

    def __init__(self, texts):
        self.texts = texts

    def __getitem__(self, name):
        return parse_expression(self.texts[name])

    def __iter__(self):
        return iter(self.texts)

    def __len__(self):
        return len(self.texts)


def test_bound_values_are_told_apart_even_when_python_reuses_their_ids():
    for _ in range(50):
        tape = Tape()
        root = read_into("h + g", tape, _Fresh({"h": "relu(a)", "g": "exp(b)"}))
        assert tape.text(root, None) == "h + g"
        assert [tape.text(tape.args[arg][0], None) for arg in tape.args[root]] == ["relu(a)", "exp(b)"]


# ---- found by an adversary of the flat core --------------------------------------------


def test_a_hint_is_what_the_rules_give_under_it_even_through_a_user_atom():
    # f composed at first; under a <= 0 its argument leaves log's domain and its body
    # must be analysed afresh: the hint search must not reuse the body's old facts.
    session = Session()
    session.define("f", "t", "log(t)")
    result = session.certify("f(a - square(x)) + a*square(x)", wrt="x", check=False)
    for hint in result.hints:
        again = session.certify("f(a - square(x)) + a*square(x)", wrt="x", check=False,
                                assume=list(hint.assumptions))
        assert again.verdict == hint.verdict


def test_long_chains_of_powers_and_of_bindings_certify():
    # Each was quadratic once: minutes at these sizes (milliseconds now).
    assert certify("x" + "^1" * 20000, wrt="x", check=False).verdict == "affine"
    session = Session()
    session.bind("h0", "x")
    for i in range(1, 6000):
        session.bind(f"h{i}", f"h{i - 1} + 1")
    assert session.certify("h5999", wrt="x", check=False).verdict == "affine"


def test_a_rewrite_claimed_for_a_node_it_cannot_match_is_refused_not_a_crash():
    from conftest import tamper

    from dcp import ProofCheckError, check_proof
    proof = certify("relu(x)", wrt="x", check=False).proof
    for idiom in ("square", ["square"]):
        with pytest.raises(ProofCheckError, match="does not apply"):
            check_proof(tamper(proof, index=proof.root_id, rule="rewrite", idiom=idiom))


def test_numbers_print_as_written():
    result = certify("x*1 + x*1.0 + x*0.10", wrt="x", check=False)
    assert result.proof.root.text == "x * 1 + x * 1.0 + x * 0.10"


def test_a_definition_that_calls_itself_is_refused():
    session = Session()
    with pytest.raises(DcpError, match="calls `f` itself"):
        session.define("f", ["a", "b"], "f(a, b) + 1")


def test_a_range_beyond_the_floats_prints():
    text = certify("log(x) * 1e310", wrt="x", check=False).explain()
    assert "{1e+310}" in text


def _random_text(rng, depth: int) -> str:
    """Expressions full of repeats and brackets: where a row's first place and its place
    as an argument part."""
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "a", "1", "2.0", "(x)", "((y))", "+x", "-a"])
    kind = rng.randint(0, 5)
    if kind == 0:
        return f"{rng.choice(['log', 'exp', 'relu', 'sqrt'])}({_random_text(rng, depth - 1)})"
    if kind == 1:
        return f"({_random_text(rng, depth - 1)} {rng.choice('+-*/')} {_random_text(rng, depth - 1)})"
    if kind == 2:
        return f"{_random_text(rng, depth - 1)} {rng.choice('+-*')} {_random_text(rng, depth - 1)}"
    if kind == 3:
        return f"max({_random_text(rng, depth - 1)}, {_random_text(rng, depth - 1)})"
    if kind == 4:
        return f"huber({_random_text(rng, depth - 1)}, M = 2)"
    return f"{_random_text(rng, depth - 1)} ^ 2"


def test_an_argument_first_written_in_place_is_located_as_reading_the_node_again_would():
    # arg_span answers from the rows' first places when they are the argument's own, and
    # reads the node's text again otherwise: both ways must agree everywhere.
    import random

    from dcp.syntax.reader import read_into
    rng = random.Random(7)
    fast = 0
    for _ in range(1500):
        tape = Tape()
        if read_into(_random_text(rng, rng.randint(1, 6)), tape) is None:
            continue
        for index in range(len(tape)):
            for position, argument in enumerate(tape.args[index]):
                fast += tape._first_written_here(index, argument)
                assert tape.arg_span(index, position) == tape._arg_span_read(index, position)
    assert fast > 1000                      # the shortcut is taken, and agrees


def test_conditions_of_a_nest_are_located_where_each_argument_is_written():
    text = "log(log(x)) + log(log(log(x)))"
    proof = certify(text, wrt="x", check=False).proof
    located = [(str(c), text[c.span.start:c.span.end], c.span.start) for c in proof.domain]
    assert located == [("x > 0", "x", 8), ("log(x) > 0", "log(x)", 4),
                       ("log(log(x)) > 0", "log(log(x))", 18)]


def test_a_call_s_name_is_located_by_its_start_or_its_span_as_given():
    # Written, a name ends its length after its start (kept as an int); a tree may give
    # another span for it (a definition's body put in at a call: the call's span).
    tape = Tape()
    root = read_into("2 * (relu (x))", tape)
    call = tape.args[root][1]
    assert tape.func_name[call] == 5
    assert (tape.func_span(call).start, tape.func_span(call).end) == (5, 9)
    from dcp.errors import Span
    from dcp.syntax.ast import Call, Name
    other = Tape()
    node = Call("relu", (Name("x", span=Span(5, 6, "relu(x)")),), (), Span(0, 7, "relu(x)"),
                span=Span(0, 7, "relu(x)"))
    index = other.add_expr(node)
    assert (other.func_span(index).start, other.func_span(index).end) == (0, 7)
