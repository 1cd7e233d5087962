"""Parsing and printing are inverse: parse(to_text(e)) == e for generated expressions."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dcp.syntax import parse_expression, to_text
from dcp.syntax.ast import Binary, Call, Index, Name, Number, Transpose, Unary, Vector

NAMES = st.sampled_from(["x", "y", "W1", "h_2", "relu", "_z"])
NUMBERS = st.one_of(st.integers(0, 1000).map(str),
                    st.sampled_from(["0.5", ".5", "1e-3", "2.5E+2", "3."]))


def _number(text: str) -> Number:
    return Number(float(text), text)


def _extend(children):
    binary = st.builds(Binary, st.sampled_from(["+", "-", "*", "/", "@", "^"]), children, children)
    unary = st.builds(Unary, st.sampled_from(["-", "+"]), children)
    call = st.builds(Call, st.sampled_from(["relu", "max", "f"]),
                     st.lists(children, min_size=1, max_size=3).map(tuple),
                     st.lists(st.tuples(st.sampled_from(["alpha", "p"]), children),
                              max_size=1, unique_by=lambda kv: kv[0]).map(tuple))
    index = st.builds(Index, children, st.lists(st.integers(-3, 3), min_size=1, max_size=2).map(tuple))
    vector = st.builds(Vector, st.lists(children, min_size=1, max_size=3).map(tuple))
    return st.one_of(binary, unary, call, index, vector, st.builds(Transpose, children))


EXPRESSIONS = st.recursive(st.one_of(st.builds(Name, NAMES), NUMBERS.map(_number)),
                           _extend, max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_print_then_parse_gives_the_same_tree(expr):
    text = to_text(expr)
    assert parse_expression(text) == expr, text


@settings(max_examples=100, deadline=None)
@given(EXPRESSIONS)
def test_printing_is_stable(expr):
    text = to_text(expr)
    assert to_text(parse_expression(text)) == text


def test_spans_cover_the_source_of_each_node():
    source = "relu(W2 @ (h + 1)).T[0] - x ^ -1"
    expr = parse_expression(source)
    assert source[expr.left.span.start:expr.left.span.end] == "relu(W2 @ (h + 1)).T[0]"
    call = expr.left.operand.operand
    assert source[call.args[0].right.span.start:call.args[0].right.span.end] == "(h + 1)"
    assert source[expr.right.span.start:expr.right.span.end] == "x ^ -1"


def test_precedence_follows_the_spec():
    assert to_text(parse_expression("-x^2")) == "-x^2"
    assert parse_expression("-x^2") == Unary("-", Binary("^", Name("x"), _number("2")))
    assert parse_expression("a^b^c") == Binary("^", Name("a"), Binary("^", Name("b"), Name("c")))
    assert parse_expression("a - b - c") == Binary("-", Binary("-", Name("a"), Name("b")), Name("c"))
    assert parse_expression("a * b @ c") == Binary("@", Binary("*", Name("a"), Name("b")), Name("c"))
    assert parse_expression("x ** 2") == parse_expression("x ^ 2")
    assert parse_expression("x  # a comment") == Name("x")


def test_nodes_compare_by_structure_not_by_place():
    from dcp.errors import Span
    here, there = Name("w", span=Span(0, 1, "w")), Name("w", span=Span(4, 5, "x + w"))
    assert here == there and hash(here) == hash(there)
    assert Name("w") != Name("v")
    assert Name("x") != _number("1") and _number("1") != Name("x")
    assert Name("x") != "x" and (Name("x") == "x") is False
    steps = {parse_expression("square(a @ w)"): "first"}
    assert steps[parse_expression("square(a  @  w)")] == "first"
    assert parse_expression("square(a @ v)") not in steps


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS, st.integers(1, 70))
def test_a_short_text_is_the_full_text_cut(expr, limit):
    """Trace lines are built from the children's cached first characters; they must read
    exactly like the whole text cut at ``limit``."""
    full = to_text(expr)
    assert to_text(expr, limit=limit) == (full if len(full) <= limit else full[:limit] + "...")


def test_printing_every_prefix_of_a_long_sum_is_linear(monkeypatch):
    """Each prefix of a left-deep sum starts at the bottom of the tree; with the cached heads
    printing all 20,000 of them looks at each node a bounded number of times (counted, not
    timed: a quadratic printer would look about 10^8 times)."""
    from dcp.syntax import printer
    tree = parse_expression(" + ".join(["x"] * 20_000))
    prefixes, node = [], tree
    while isinstance(node, Binary):
        prefixes.append(node)
        node = node.left
    looks = []
    real = printer._parts
    monkeypatch.setattr(printer, "_parts", lambda n: looks.append(1) or real(n))
    texts = [to_text(p, limit=60) for p in prefixes]
    assert texts[0] == ("x + " * 15)[:60] + "..." and texts[-1] == "x + x"
    assert len(looks) <= 4 * 40_000
