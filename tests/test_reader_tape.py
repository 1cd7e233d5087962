"""The reader writes a tape directly, and it is the tape the tree would give.

``read_into(text, tape, bindings)`` must append exactly the rows
``tape.add_expr(read_expression(text), bindings)`` appends: same ids, ops, data, children
and locations. Locations are the delicate part: a tape keeps a subexpression's first
location, and a bracketed group ``(e)`` is located at its brackets, so which occurrence
comes first, and whether it was bracketed, must be decided as the tree decides it.
Certification reads strings this way, so its results must not depend on the route.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_reader import LEAVES, TOKENS, _fixture_expressions, _grow

from dcp import DcpError, Session
from dcp.syntax.parser import parse_expression
from dcp.syntax.reader import read_expression, read_into
from dcp.tape import Tape

#: Bound names, as a session holds them (their trees located in their own text).
BINDINGS = {"h": parse_expression("relu(W1 @ x)"), "y": parse_expression("x"),
            "g": parse_expression("h2 + (1)")}


def _rows(tape: Tape) -> list[tuple]:
    """Every column of every row; a number compared by its value and its written text."""
    return [(tape.op[i], (data.key(), data.text) if tape.op[i] == "number" else data,
             tape.args[i], tape.start[i], tape.end[i], tape.source[i], tape.func_name.get(i))
            for i, data in enumerate(tape.data)]


def _same_tape(text: str, bindings=None) -> Tape | None:
    """Read ``text`` both ways and insist on the same tape; return it (None: both bail)."""
    fast = Tape()
    root = read_into(text, fast, bindings)
    tree = read_expression(text)
    if root is None:
        assert tree is None, f"read_into left {text!r} to the grammar, read_expression did not"
        return None
    assert tree is not None, text
    slow = Tape()
    assert root == slow.add_expr(tree, bindings), text
    assert _rows(fast) == _rows(slow), text
    return fast


@settings(max_examples=600, deadline=None)
@given(st.recursive(LEAVES, _grow, max_leaves=12))
def test_grammar_shaped_text(text):
    _same_tape(text)


#: Few leaves, so that subexpressions repeat, bracketed and not, before and after.
REPEATING = st.sampled_from(["x", "y", "h", "1", "1.0", "f(x)", "(x)", "W1 @ x"])


@settings(max_examples=600, deadline=None)
@given(st.recursive(REPEATING, _grow, max_leaves=10))
def test_repeated_subexpressions_keep_their_first_location(text):
    _same_tape(text)


@settings(max_examples=300, deadline=None)
@given(st.recursive(REPEATING, _grow, max_leaves=10))
def test_bound_names_become_refs_at_the_same_place(text):
    _same_tape(text, BINDINGS)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soups(text):
    _same_tape(text)


@pytest.mark.parametrize("text", sorted(set(_fixture_expressions())))
def test_every_fixture_is_read_into_a_tape(text):
    assert _same_tape(text) is not None


@pytest.mark.parametrize("text, row, first", [
    ("x + (x)", 0, (0, 1)),            # met bare first: stays there
    ("(x) + x", 0, (0, 3)),            # met bracketed first: located at the brackets
    ("((x))", 0, (0, 5)),              # the outer brackets win
    ("(x + y) * (x + y)", 2, (0, 7)),
    ("(-x) + -x", 1, (0, 4)),
    ("(f(x)) + f(x)", 1, (0, 6)),
    ("x + (x + (x))", 0, (0, 1)),
])
def test_a_group_locates_the_row_it_first_made(text, row, first):
    tape = _same_tape(text)
    assert (tape.start[row], tape.end[row]) == first


def test_a_bracketed_call_keeps_where_its_name_is():
    tape = _same_tape("(f(x)) + f(x)")
    call = tape.op.index("call")
    span = tape.func_span(call)
    assert (span.start, span.end) == (1, 2)         # the name, as the tree's Call has it


def test_a_number_is_a_row_per_spelling_so_each_prints_as_written():
    tape = _same_tape("1.0 + 1 + 1.0")
    assert [tape.data[i].text for i in range(len(tape)) if tape.op[i] == "number"] == ["1.0", "1"]
    assert tape.text(len(tape) - 1) == "1.0 + 1 + 1.0"


def test_a_bound_name_is_a_ref_to_its_value():
    tape = _same_tape("h + relu(W1 @ x)", BINDINGS)
    ref = tape.op.index("ref")
    value = tape.args[ref][0]
    assert tape.data[ref] == "h" and tape.args[-1] == (ref, value)
    assert tape.source[value] is not tape.source[ref]       # the value is located in its own text


def test_deep_input_does_not_recurse():
    depth = 20_000
    tape = Tape()
    assert read_into("(" * depth + "x" + ")" * depth, tape) == 0
    assert (tape.start[0], tape.end[0]) == (0, 2 * depth + 1)
    chain = Tape()
    assert read_into("relu(" * depth + "x" + ")" * depth, chain) == depth
    assert chain.args[depth] == (depth - 1,)


@pytest.mark.parametrize("text", [
    "relu(W2 @ relu(W1 @ x))", "(x - 1) + (x - 1)^2 + h", "norm(W @ x - b, p=2) + (y)",
    "relu(x) # a comment, left to the grammar",
])
def test_a_string_certifies_as_its_tree_does(text):
    session = Session()
    session.bind("h", "relu(W1 @ x)")
    from_text = session.certify(text, wrt="x", check=False)
    from_tree = session.certify(parse_expression(text), wrt="x", check=False)
    # The first line names the input, which for a tree is its repr.
    assert from_text.explain().splitlines()[1:] == from_tree.explain().splitlines()[1:]
    assert [(s.span.start, s.span.end) for s in from_text.proof.steps() if s.span] == \
        [(s.span.start, s.span.end) for s in from_tree.proof.steps() if s.span]


# (`x >= 0` given to certify is a constraint, a set: tests/test_sets.py.)
@pytest.mark.parametrize("text", ["x +", "relu(x", "f(x, p=1, 2)", "x[0.5]", "f(p=1, p=2)"])
def test_an_error_is_worded_by_the_grammar(text):
    assert read_into(text, Tape()) is None
    with pytest.raises(DcpError) as expected:
        parse_expression(text)
    with pytest.raises(DcpError) as got:
        Session().certify(text, wrt="x", check=False)
    assert str(got.value) == str(expected.value)
