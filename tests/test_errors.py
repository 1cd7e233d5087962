"""Every mistake a user can make is a DcpError with a one-line message and, where there
is source text, the line, the column and a caret under the spot."""
from __future__ import annotations

import pytest

from dcp import (
    ArgumentError,
    AssumptionError,
    DcpError,
    ParseError,
    UnknownNameError,
    certify,
)
from dcp.syntax import parse_expression


def _raise(kind, expr, wrt="x", assume=()):
    with pytest.raises(kind) as info:
        certify(expr, wrt=wrt, assume=assume, check=False)
    return info.value


def _caret_column(error) -> int:
    """1-based column of the first caret in the rendered error."""
    caret_line = [line for line in str(error).splitlines() if line.strip().endswith("^")
                  or "^" in line.split("|")[-1]][-1]
    return caret_line.split("|", 1)[1].index("^")


@pytest.mark.parametrize("expr,message,column", [
    ("relu(x", "unexpected end of input; expected an operator, `)` or `,`", 7),
    ("x +* y", "unexpected `*`; expected an expression", 4),
    ("x $ y", "unexpected character `$`", 3),
    ("", "unexpected end of input; expected an expression", 1),
    ("relu(x))", "unexpected `)`; expected the end of the input", 8),
    ("f(,)", "unexpected `,`; expected an expression or `)`", 3),
])
def test_parse_errors_say_what_and_where(expr, message, column):
    error = _raise(ParseError, expr)
    assert error.message == message
    assert (error.line, error.column) == (1, column)
    assert _caret_column(error) == column
    assert str(error).splitlines()[0] == message


def test_parse_error_on_a_later_line_of_a_script():
    from dcp import Session
    with pytest.raises(ParseError) as info:
        Session().run("h = relu(x)\nassume W >= 0\ncertify relu(W @ h wrt x\n")
    assert (info.value.line, info.value.column) == (3, 20)
    assert "3 | certify relu(W @ h wrt x" in str(info.value)


def test_unknown_function_suggests_close_names():
    error = _raise(UnknownNameError, "sigmod(w @ x)")
    assert error.message == "unknown function `sigmod`; did you mean `sigmoid` or `hard_sigmoid`?"
    assert (error.line, error.column) == (1, 1)
    assert "| ^^^^^^" in str(error)


def test_unknown_wrt_name_suggests_the_names_in_the_expression():
    error = _raise(UnknownNameError, "relu(W1 @ x)", wrt="w1")
    assert error.message == "`w1` in wrt does not appear in the expression; did you mean `W1`?"


def test_assumption_on_a_name_not_in_the_expression():
    error = _raise(UnknownNameError, "relu(W2 @ x)", wrt="x", assume=["w2 >= 0"])
    assert "did you mean `W2`?" in error.message


@pytest.mark.parametrize("expr,message,column", [
    ("relu(x, y)", "relu takes 1 argument, got 2", 1),
    ("maximum(x)", "maximum takes at least 2 arguments, got 1", 1),
    ("leaky_relu(x, alpah=0.1)", "leaky_relu has no keyword `alpah`; did you mean `alpha`? (it takes alpha)", 21),
    ("leaky_relu(x, alpha=y)", "`alpha` of leaky_relu must be a numeric constant (or inf), e.g. alpha=0.01", 21),
    ("relu(x, alpha=1)", "relu takes no keyword arguments, got `alpha`", 15),
    ("x ^ y", "the exponent must be a numeric constant (x ^ 2, x ^ -1, x ^ 0.5); for other powers write exp(a * log(x))", 5),
    ("norm(x, p=0.5)", "norm(x, p) is a norm only for p >= 1, got p=0.5", 1),
    ("huber(x, M=-1)", "huber needs M > 0, got M=-1", 1),
    ("celu(x, alpha=0)", "celu needs a finite alpha > 0, got alpha=0", 1),
    ("celu(x, alpha=inf)", "celu needs a finite alpha > 0, got alpha=inf", 1),
    ("hard_sigmoid(x, alpha=-0.2)",
     "hard_sigmoid needs a finite alpha > 0 and a finite beta, got alpha=-0.2, beta=0.5", 1),
    ("hardtanh(x, min_val=1, max_val=-1)", "hardtanh needs finite min_val < max_val, got min_val=1, max_val=-1", 1),
    ("hardtanh(x, min_val=1)", "hardtanh needs finite min_val < max_val, got min_val=1, max_val=1", 1),
    ("hardtanh(x, max_val=inf)", "hardtanh needs finite min_val < max_val, got min_val=-1, max_val=inf", 1),
    ("gelu_tanh(x, approximate=1)", "gelu_tanh takes no keyword arguments, got `approximate`", 26),
    ("x[1.5]", "an index must be an integer constant, not 1.5", 3),
    ("f(a=1, x)", "a positional argument cannot follow a keyword argument", 8),
    ("sum(x, axis=2)", "sum takes axis=0 or axis=1, got axis=2", 1),
])
def test_argument_errors(expr, message, column):
    error = _raise(ArgumentError, expr)
    assert error.message == message
    assert error.column == column


@pytest.mark.parametrize("assume,message", [
    (["x >= 1", "x <= 0"], "contradictory assumptions on `x`: [1, inf) and (-inf, 0] have nothing in common"),
    (["2 <= x <= 1"], "the assumption on `x` allows no value (lower bound 2, upper bound 1)"),
    (["x > 1", "x < 1"], "contradictory assumptions on `x`: (1, inf) and (-inf, 1) have nothing in common"),
])
def test_contradictory_assumptions(assume, message):
    error = _raise(AssumptionError, "relu(x)", assume=assume)
    assert error.message == message


def test_malformed_assumption_points_at_the_spot():
    error = _raise(AssumptionError, "relu(x)", assume=["x >= y"])
    assert error.message.startswith("malformed assumption 'x >= y': unexpected `y`; expected a number;")
    assert error.column == 6


@pytest.mark.parametrize("wrt", [None, "", [], ["1x"]])
def test_bad_wrt(wrt):
    with pytest.raises(DcpError):
        certify("relu(x)", wrt=wrt, check=False)


def test_every_user_error_is_a_value_error():
    assert issubclass(DcpError, ValueError)
    for kind in (ParseError, UnknownNameError, ArgumentError, AssumptionError):
        assert issubclass(kind, DcpError)


def test_multiline_expression_reports_the_right_line():
    with pytest.raises(ParseError) as info:
        parse_expression("relu(W @ x)\n  + * y")
    assert (info.value.line, info.value.column) == (2, 5)


@pytest.mark.parametrize("expr,message", [
    ("x ^ 1e400", "the number 1e400 is too large for a float"),
    ("x[100000000000]", "index 100000000000 is beyond the sizes dcp works with (at most 10000)"),
])
def test_numbers_too_large(expr, message):
    error = _raise(ArgumentError, expr)
    assert error.message == message


@pytest.mark.parametrize("kwargs,message", [
    (dict(expr="relu(x)", wrt=5), "wrt must be a name or a list of names, got int"),
    (dict(expr=5, wrt="x"), "the expression must be a string such as 'relu(W @ x)', not int"),
    (dict(expr="relu(x)", wrt="x", seed="a"), "seed must be an integer, got 'a'"),
    (dict(expr="relu(x)", wrt="x", assume=5),
     "assume takes a string such as 'W2 >= 0' or a list of them, not int"),
    (dict(expr="relu(x)", wrt="x", shapes={"x": 3.5}),
     "shape of `x` must be () or (n,) or (m, n) with positive integers or letters (a dimension "
     "of any size), got (3.5,)"),
])
def test_wrong_argument_types_are_dcp_errors(kwargs, message):
    with pytest.raises(DcpError) as info:
        certify(**kwargs)
    assert info.value.message == message


@pytest.mark.parametrize("kwargs,message", [
    (dict(wrt=","), "wrt names no variable: give at least one, e.g. wrt='x'"),
    (dict(wrt="x", max_nodes=0), "max_nodes must be a positive integer, got 0"),
    (dict(wrt="w"), "`w` in wrt does not appear in the expression"),
    (dict(wrt="x", shapes=[("x", 3)]), "shapes must map names to shapes, such as {'x': (3,)}, not a list"),
])
def test_errors_name_options_as_python_writes_them(kwargs, message):
    """The same mistakes the command line words as --wrt and --max-nodes (tests/test_cli.py)."""
    with pytest.raises(DcpError) as info:
        certify("x", check=False, **kwargs)
    assert info.value.message == message


def test_option_words_follow_the_reader():
    from dcp.errors import option, words_for
    assert (option("check=False"), option("wrt", ["W1", "W2"])) == ("check=False", "wrt=['W1', 'W2']")
    with words_for("command line"):
        assert (option("check=False"), option("wrt", ["W1", "W2"])) == ("--no-check", "--wrt W1 --wrt W2")
        with words_for("batch"):
            assert (option("check=False"), option("wrt", ["W1"])) == ("--no-check", '"wrt": ["W1"]')
        with words_for("repl"):
            assert (option("check=False"), option("wrt", ["W1", "W2"])) == (":check off", ":wrt W1 W2")
    assert option("max_nodes") == "max_nodes"
    assert certify("x", wrt="x", check=False).check.note == "check=False"


def test_a_statement_is_not_an_expression():
    error = _raise(ParseError, "h = relu(x)")
    assert error.message == ("expected one expression, got a binding (`h = ...`): statements "
                             "belong in a script (`Session.run`) or the REPL")
    assert (error.line, error.column) == (1, 1)


_SCRIPT_WORDS = ("`wrt`", "a new line", "`;`", "`assume`", "`certify`", "`define`", "`shape`",
                 "comparison")


@pytest.mark.parametrize("expr,message", [
    ("x y", "unexpected `y`; expected an operator or the end of the input"),
    ("relu(x) exp(x)", "unexpected `exp`; expected an operator or the end of the input"),
    ("[x y]", "unexpected `y`; expected an operator, `,` or `]`"),
    ("relu(a=1 2)", "unexpected `2`; expected an operator, `)` or `,`"),
    ("relu(x) wrt x", "unexpected `wrt`; expected the end of the input"),
    ("x;", "unexpected `;`; expected the end of the input"),
])
def test_expression_errors_list_only_what_an_expression_could_take(expr, message):
    error = _raise(ParseError, expr)
    assert error.message == message
    assert not any(word in error.message.split("; expected")[1] for word in _SCRIPT_WORDS)


def _shown(error) -> tuple[str, int]:
    """The source line as the error shows it, and the index of the caret under it."""
    lines = str(error).splitlines()
    text = lines[-2].split(" | ", 1)[1]
    return text, lines[-1].split(" | ", 1)[1].index("^")


@pytest.mark.parametrize("column", [10, 150, 290])
def test_the_caret_stays_under_the_spot_on_a_shortened_line(column):
    text = list("x" + "+x" * 149 + " ")            # 300 characters
    text[column - 1] = "$"
    error = _raise(ParseError, "".join(text))
    assert error.column == column and len(error.source) == 300
    shown, caret = _shown(error)
    assert shown[caret] == "$" and len(shown) <= 106        # a window, ellipses included
    assert shown.startswith("...") == (column > 25)         # cut before the spot
    assert shown.endswith("...") == (column < 200)          # cut after the window


def test_the_caret_at_the_end_of_a_long_line_stays_visible():
    error = _raise(ParseError, "x+" * 150)
    assert error.message == "unexpected end of input; expected an expression"
    shown, caret = _shown(error)
    assert shown.startswith("...") and shown.endswith("x+") and caret == len(shown)


def test_a_script_bound_that_overflows_a_double_is_too_large():
    from dcp import Session
    with pytest.raises(AssumptionError) as info:
        Session().run("assume W2 >= 1e400\ncertify W2 * x wrt x")
    assert info.value.message.startswith("the bound 1e400 is too large: it overflows a double")
    assert (info.value.line, info.value.column) == (1, 14)


def test_a_span_over_lines_is_underlined_on_each_line_that_holds_it():
    """A statement broken inside brackets (a script, a REPL entry, @file) is marked on
    every line it covers, from its first character, and a blank line between is skipped."""
    from dcp.errors import Span, caret_block
    source = "relu(W2 @\n\n  relu(W1 @ x))"
    span = Span(5, source.index("x)") + 2)               # W2 @ ... relu(W1 @ x)
    assert caret_block(source, [span]) == (
        "  |\n"
        "1 | relu(W2 @\n"
        "  |      ^^^^\n"
        "3 |   relu(W1 @ x))\n"
        "  |   ^^^^^^^^^^^^")
    assert caret_block("relu(x", [Span(6, 6)]) == "  |\n1 | relu(x\n  |       ^"
