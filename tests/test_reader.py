"""The fast expression reader agrees with the Lark grammar wherever it answers.

The reader (dcp/syntax/reader.py) may decline any input, and Lark then decides; but a
tree it does return must be Lark's tree, node for node and span for span. Strings come
from the grammar's productions, from token soups and from mutations of
valid expressions; the reader must also answer for every expression of the verdict
fixtures, or it would not be the fast path it is meant to be.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import DcpError
from dcp.syntax.ast import Call, walk_postorder
from dcp.syntax.parser import _parse
from dcp.syntax.reader import read_expression

FIXTURES = Path(__file__).parent / "fixtures" / "verdicts.txt"
TOKENS = ["relu", "W", "x", "(", ")", "[", "]", ",", "@", "*", "+", "-", "/", "^", "**", ".T",
          "0", "1", "2.5", "1e-3", ".5", "3.", "=", "alpha", "max", " ", "\n", "#", "wrt", "1e400",
          "[0]", "[1, -2]", "[0.5]", "x[99999]", "2.T", "f()", "p=1", "  "]


def _located(tree):
    return [(type(n).__name__, n.span.start, n.span.end,
             (n.func_span.start, n.func_span.end) if isinstance(n, Call) else None)
            for n in walk_postorder(tree)]


def _agree(text: str) -> None:
    fast = read_expression(text)
    if fast is None:
        return
    try:
        slow = _parse(text, "expression_input", newlines_are_spaces=True)
    except DcpError as error:
        pytest.fail(f"the reader accepted {text!r}, the grammar says: {error.message}")
    assert fast == slow, text
    assert _located(fast) == _located(slow), text
    assert fast.span.source is text


SPACE = st.sampled_from(["", " ", "  ", "\n"])
LEAVES = st.one_of(st.sampled_from(["x", "W1", "relu", "max", "alpha", "p", "h_2"]),
                   st.sampled_from(["0", "1", "2.5", ".5", "3.", "1e-3", "7E+2"]))


def _grow(parts):
    """Text shaped by the grammar's productions, spaced at random and nested without
    regard to precedence, so that the two parsers must agree on how it groups."""
    def join(*pieces):
        return st.tuples(*pieces).map("".join)
    operator = st.sampled_from(["+", "-", "*", "/", "@", "^", "**"])
    arguments = st.lists(parts, min_size=1, max_size=3).map(", ".join)
    keyword = join(st.sampled_from(["alpha", "p"]), SPACE, st.just("="), SPACE, parts)
    index = st.lists(st.sampled_from(["0", "1", "-2", "+3"]), min_size=1, max_size=2).map(", ".join)
    return st.one_of(
        join(parts, SPACE, operator, SPACE, parts),
        join(st.sampled_from(["-", "+", "- "]), parts),
        join(st.just("("), SPACE, parts, SPACE, st.just(")")),
        join(st.sampled_from(["relu", "max", "f"]), st.just("("), arguments, st.just(")")),
        join(st.sampled_from(["norm", "f"]), st.just("("), parts, st.just(", "), keyword, st.just(")")),
        join(st.just("["), arguments, st.just("]")),
        join(parts, st.just(".T")),
        join(parts, st.just("["), index, st.just("]")),
    )


@settings(max_examples=600, deadline=None)
@given(st.recursive(LEAVES, _grow, max_leaves=12))
def test_grammar_shaped_text(text):
    _agree(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soups(text):
    _agree(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="xW(),[]+-*/@^.T=0123 #\n", max_size=40))
def test_random_characters(text):
    _agree(text)


def _fixture_expressions():
    for line in FIXTURES.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            yield line.split(";")[0].strip()


@pytest.mark.parametrize("text", sorted(set(_fixture_expressions())))
def test_the_reader_answers_for_every_fixture(text):
    assert read_expression(text) is not None
    _agree(text)


@pytest.mark.parametrize("text, reason", [
    ("x +", "an error"), ("f(x, p=1, 2)", "a positional after a keyword"), ("x # note", "a comment"),
    ("wrt + 1", "a keyword"), ("x[1e0]", "an index not in digits"), ("x[0.5]", "a fractional index"),
    ("f(p=1, p=2)", "a repeated keyword"), ("(x", "an open bracket"), ("x >= 0", "a comparison"),
])
def test_the_reader_leaves_these_to_the_grammar(text, reason):
    assert read_expression(text) is None, reason


def test_deep_nesting_does_not_recurse():
    depth = 20_000
    tree = read_expression("(" * depth + "x" + ")" * depth)
    assert tree.id == "x" and tree.span.start == 0
    chain = read_expression("relu(" * depth + "x" + ")" * depth)
    assert sum(1 for _ in walk_postorder(chain)) == depth + 1
