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
