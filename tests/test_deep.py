"""Nothing recursive: deep and large input parses, certifies, prints and renders."""
from __future__ import annotations

from dcp import certify
from dcp.syntax import parse_expression, to_text

DEPTH = 10_000


def _chain(depth: int) -> str:
    return "relu(W @ " * depth + "x" + ")" * depth


def test_ten_thousand_deep_relu_chain_certifies():
    result = certify(_chain(DEPTH), wrt="x", assume=["W >= 0"], check=False)
    assert result.verdict == "convex"
    assert len(result.proof) == 2 * DEPTH + 2   # relu and @ per level; W and x shared


def test_ten_thousand_deep_chain_breaks_once_at_the_bottom():
    result = certify(_chain(DEPTH), wrt="W", check=False)
    assert result.verdict == "unknown"
    assert [step.text for step in result.breaks] == ["W @ relu(W @ x)"]
    assert result.breaks[0].span.start == len("relu(W @ ") * (DEPTH - 2) + len("relu(")


def test_deep_trace_renders_with_bounded_indentation():
    text = certify(_chain(2_000), wrt="x", assume=["W >= 0"], check=False).explain()
    assert max(len(line) for line in text.splitlines()) < 400


def test_deep_unary_parentheses_and_powers():
    assert certify("-" * DEPTH + "x", wrt="x", check=False).verdict == "affine"
    assert certify("(" * DEPTH + "x" + ")" * DEPTH, wrt="x", check=False).verdict == "affine"
    assert certify("x" + "^1" * 2_000, wrt="x", check=False).verdict == "affine"


def test_deep_expressions_compare_hash_and_print():
    a, b = parse_expression(_chain(DEPTH)), parse_expression(" " + _chain(DEPTH))
    assert a == b and hash(a) == hash(b)
    assert to_text(a) == _chain(DEPTH).replace("relu(W @ ", "relu(W @ ")
    assert to_text(a, limit=20) == "relu(W @ relu(W @ re..."


def test_wide_sum_of_many_terms():
    expr = " + ".join(f"square(a{i} @ w - b{i})" for i in range(2_000))
    assert certify(expr, wrt="w", check=False).verdict == "convex"


def test_break_in_a_huge_line_shows_a_window_with_carets():
    text = certify(_chain(DEPTH), wrt="W", check=False).explain()
    block = text.split("break at `W @ relu(W @ x)`", 1)[1].splitlines()
    source_line = next(line for line in block if line.strip().startswith("1 |"))
    caret_line = block[block.index(source_line) + 1]
    assert len(source_line) < 140
    start = caret_line.index("^")
    assert source_line[start:start + len("W @ relu(W @ x)")] == "W @ relu(W @ x)"
    assert caret_line.count("^") == len("W @ relu(W @ x)")
