"""Nothing but a DcpError escapes, whatever is typed: random bytes, token soups and
mutated valid expressions, fed to the parser and to certify()."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import DcpError, certify
from dcp.syntax import parse_assumptions, parse_expression, parse_script

TOKENS = ["relu", "W", "x", "y", "(", ")", "[", "]", ",", "@", "*", "+", "-", "/", "^", "**",
          ".T", "0", "1", "2.5", "1e-3", ".5", "=", ">=", "<=", "alpha", "sum", "axis", "max",
          "log", "sqrt", "cross_entropy", "mse", "define", "assume", "certify", "wrt", ";", "\n",
          " ", "#", "power", "norm", "p", "quad_over_lin", "[0]", "x[1, 2]", "huber", "M",
          "1e400", "x[9999]", "[99999999999]", "1e-400", "0"]
VALID = ["relu(W2 @ relu(W1 @ x))", "cross_entropy(W @ x + b, y)", "log(1 + exp(x - y))",
         "sum(relu(W @ X), axis=0)", "x.T @ A @ x", "norm(x, p=3) + huber(x, M=2)",
         "[x, y, 0] @ w", "power(x, 1.5) - sqrt(y)", "(W @ x)[1] - (W @ x)[0]"]

FAST = {"presearch_points": 128, "examples": 2, "seconds": 0.05}


def _certify(text: str, wrt) -> None:
    from dcp.check import Budget
    try:
        certify(text, wrt=wrt, check_budget=Budget(**FAST))
    except DcpError as error:
        assert error.message and "\n" not in error.message
        str(error)                                 # renders, caret and all


def _parse_every_way(text) -> None:
    for parse in (parse_expression, parse_assumptions, parse_script):
        try:
            parse(text)
        except DcpError:
            pass


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_random_text(text):
    _parse_every_way(text)
    _certify(text, "x")


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=60))
def test_random_bytes(data):
    # Raw bytes are refused with a DcpError; decoded any way, they are just text.
    _parse_every_way(data)
    _certify(data.decode("utf-8", errors="replace"), "x")
    _certify(data.decode("latin-1"), "x")


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25).map("".join), st.sampled_from(["x", "W", ["x", "y"]]))
def test_token_soups(text, wrt):
    _certify(text, wrt)


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(VALID))
    for _ in range(draw(st.integers(1, 4))):
        position = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace"]))
        token = draw(st.sampled_from(TOKENS))
        if action == "insert":
            text = text[:position] + token + text[position:]
        elif action == "delete":
            text = text[:position] + text[position + 1:]
        else:
            text = text[:position] + token + text[position + len(token):]
    return text


@settings(max_examples=300, deadline=None)
@given(mutated(), st.sampled_from(["x", "W", "W1", ["x", "y"], "b"]))
def test_mutated_valid_expressions(text, wrt):
    _certify(text, wrt)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from(["x >= 0", "0 <= y <= 1", "x > ", "1 <= x", "x >= y", "z < -1",
                                 "x >= 1e400", "nan <= x", "x >= -inf", "2 <= x <= 1"]), max_size=3))
def test_random_assumptions(assume):
    from dcp.check import Budget
    try:
        certify("relu(x) + y", wrt="x", assume=assume, check_budget=Budget(**FAST))
    except DcpError:
        pass


def test_an_optional_size_limit_refuses_large_input_with_a_clear_error():
    import pytest
    text = " + ".join(f"relu(a{i} @ w)" for i in range(10))
    with pytest.raises(DcpError) as info:
        certify(text, wrt="w", check=False, max_nodes=30)
    assert info.value.message == ("the expression has 40 distinct subexpressions, more than the "
                                  "limit of 30 (max_nodes); raise the limit to certify it")
    assert certify(text, wrt="w", check=False, max_nodes=49).verdict == "convex"
    with pytest.raises(DcpError, match="max_nodes must be a positive integer"):
        certify(text, wrt="w", check=False, max_nodes=0)


def test_a_hundred_thousand_nodes_certify():
    # relu(a_i @ w) + ...: five nodes a term (a_i, w, @, relu, +).
    terms = 20_000
    result = certify(" + ".join(f"relu(a{i} @ w)" for i in range(terms)), wrt="w", check=False)
    assert result.verdict == "convex"
    assert len(result.proof) == 4 * terms             # the name w is one step, shared


def test_ranges_that_overflow_stay_sound_and_do_not_crash():
    # exp(22026.5...) is a finite real beyond the floats: its lower bound is the largest
    # float, not infinity (which once made an empty interval and a crash). One level up,
    # exp(1.8e308) is beyond what Arb encloses: the range falls back to exp's image.
    import sys
    result = certify("exp(exp(x))", wrt="x", assume=["x >= 10"], check=False)
    assert result.proof.root.range.lo == sys.float_info.max
    result = certify("exp(exp(exp(x)))", wrt="x", assume=["x >= 10"], check=False)
    assert result.verdict == "convex" and result.proof.root.range.is_positive
    assert certify("exp(" * 500 + "x" + ")" * 500, wrt="x", check=False).verdict == "convex"
