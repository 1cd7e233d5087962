"""Assumptions read without Lark agree with the grammar, condition for condition.

``parse_assumptions`` reads ``NAME op c``, ``c op NAME``, ``c op NAME op d`` and comma
lists of them with two regular expressions and hands anything else to Lark. Whatever it
returns or raises must be what the grammar gives: the same names, exact bounds (type and
sign of zero included), strictness, spans, and the same error with the same caret. The
strings come from the grammar's assumption forms, spaced and numbered oddly, and from
token soups and mutations of them.
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dcp
from dcp import AssumptionError, DcpError
from dcp.assumptions import bounds_from, parse_assumption_list
from dcp.syntax import parser
from dcp.syntax.parser import _parse, _read_conditions, parse_assumptions


def _bound(value) -> tuple | None:
    """A bound with what ``==`` hides: its type, and the sign of a zero."""
    if value is None:
        return None
    return (type(value).__name__, value, math.copysign(1.0, value) if value == 0 else None)


def _facts(conditions, text: str) -> list[tuple]:
    for condition in conditions:
        assert condition.span.source is text
    return [(c.name, _bound(c.lower), _bound(c.upper), c.strict_lower, c.strict_upper,
             c.span.start, c.span.end) for c in conditions]


def _outcome(parse, text: str) -> tuple:
    """The conditions, or the error as the user sees it (message, caret and all)."""
    try:
        return ("conditions", _facts(parse(text), text))
    except DcpError as error:
        return (type(error).__name__, error.message, error.span, error.source is text, str(error))


def _agree(text: str) -> None:
    fast = _outcome(parse_assumptions, text)
    slow = _outcome(lambda t: _parse(t, "assumption_input", newlines_are_spaces=True), text)
    assert fast == slow, text


# ---- the forms users send are read without Lark -----------------------------------------

COMMON = ["W1 >= 0", "x <= 1", "y > 0", "z < -2.5", "0 <= x", "1 > y", "0 <= p <= 1",
          "-2 <= y <= -1", "5 >= x >= 1", "0 < p < 1", "x >= 0, y <= 1",
          "0 <= p <= 1, W1 >= 0, z < 3", " x>=0 ", "x >= 0,\n y <= 1", "x >= - 1",
          "x >= +5", "x >= .5", "x >= 5.", "x >= -0", "x >= 1e-9999999", "x<=1E+3",
          "assume >= 0"]


@pytest.mark.parametrize("text", COMMON)
def test_common_forms_skip_the_parser_and_agree(text):
    assert _read_conditions(text) is not None, text
    _agree(text)


@pytest.mark.parametrize("text", ["x >= 0 # note", "x >= 1,", "x >= 0.T", "x\v>= 0",
                                  "x\xa0>= 0", "x > = 0", "x >= --1", "x >= 1e", ", x >= 0",
                                  "x >= 0,, y <= 1", "x >= 0; y <= 1", "(x) >= 0", ""])
def test_anything_else_is_left_to_the_grammar(text):
    assert _read_conditions(text) is None, text
    _agree(text)


def test_values_spans_and_strictness():
    (p,) = parse_assumptions("5 >= p > -0.1")
    assert p.key() == ("p", Fraction(-1, 10), 5.0, True, False)
    assert (p.span.start, p.span.end) == (0, 13)
    tiny, = parse_assumptions("x <= 1e-9999999")        # the floats below it are those <= 0
    assert tiny.key() == ("x", None, 5e-324, False, True)
    zero, = parse_assumptions("x >= -0")
    assert math.copysign(1.0, zero.lower) == 1.0         # a zero endpoint stays exactly zero


def test_refused_bounds_keep_their_errors():
    with pytest.raises(AssumptionError) as caught:
        parse_assumptions("x >= 0, y <= +1e400")
    assert caught.value.message.startswith("the bound 1e400 is too large")   # as the grammar writes it
    assert (caught.value.span.start, caught.value.span.end) == (13, 19)      # the sign and the number
    assert caught.value.source == "x >= 0, y <= +1e400"
    with pytest.raises(DcpError, match="a two-sided assumption reads"):
        parse_assumptions("1 <= x >= 0")


# ---- the two readers agree on generated strings ------------------------------------------

SPACE = st.sampled_from(["", " ", "  ", "\n", "\t", "\r\n", "\f"])
NAMES = st.sampled_from(["x", "W1", "p_2", "_", "wrt", "assume", "certify", "shapes", "E", "e5"])
COMPARE = st.sampled_from([">=", "<=", ">", "<"])
DIGITS = st.sampled_from(["0", "1", "00", "5", "0.1", ".5", "5.", "2.50", "1e3", "1E+3", "5.e-3",
                          "1e-9999999", "1e400", str(2 ** 1024), "17976931348623157" + "0" * 292,
                          "0.30000000000000000000000000001", "\u0663", "123456789012345678"])
NUMBERS = st.tuples(st.sampled_from(["", "", "-", "+", "- "]), DIGITS).map("".join)


def _join(*parts):
    return st.tuples(*parts).map("".join)


CONDITION = st.one_of(
    _join(NAMES, SPACE, COMPARE, SPACE, NUMBERS),
    _join(NUMBERS, SPACE, COMPARE, SPACE, NAMES),
    _join(NUMBERS, SPACE, COMPARE, SPACE, NAMES, SPACE, COMPARE, SPACE, NUMBERS),
)
ASSUMPTIONS = _join(SPACE, st.lists(CONDITION, min_size=1, max_size=3).map(",".join), SPACE)


@settings(max_examples=800, deadline=None)
@given(ASSUMPTIONS)
def test_grammar_shaped_assumptions(text):
    _agree(text)


TOKENS = ["x", "W1", "wrt", ">=", "<=", ">", "<", "=", "0", "-1", "+2", ".5", "5.", "1e-9999999",
          "1e400", "-0", "-", "+", ",", " ", "\n", "\t", "\v", "\xa0", "#", ".T", "(", "e", "1"]


@settings(max_examples=600, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=12).map("".join))
def test_token_soup(text):
    _agree(text)


@settings(max_examples=400, deadline=None)
@given(ASSUMPTIONS, st.data())
def test_mutations(text, data):
    """One character deleted, doubled or replaced: mostly errors, which must agree too."""
    at = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(["delete", "double", "replace"]))
    char = data.draw(st.sampled_from(list("x0.-+,<>=e \n#;") + ["\v"]))
    if edit == "delete":
        text = text[:at] + text[at + 1:]
    elif edit == "double":
        text = text[:at] + text[at:at + 1] * 2 + text[at + 1:]
    else:
        text = text[:at] + char + text[at + 1:]
    _agree(text)


# ---- the errors users see are unchanged --------------------------------------------------

ERRORS = [["x >= 1", "x <= 0"], ["1 <= x <= 0"], ["1 <= x >= 0"], ["x >= 1e400"],
          ["0 <= p <= 1", "p >= 2"], ["x > 1, x < 1"], ["x >= "], ["x >= 0, y"], ["W1 > 0 0"]]


@pytest.mark.parametrize("assume", ERRORS)
def test_errors_are_the_grammars(assume, monkeypatch):
    def seen():
        try:
            bounds_from(parse_assumption_list(assume))
        except DcpError as error:
            return type(error).__name__, str(error)
        pytest.fail(f"{assume} was accepted")
    fast = seen()
    monkeypatch.setattr(parser, "_read_conditions", lambda text: None)
    assert fast == seen()


def test_contradiction_message_and_caret():
    with pytest.raises(AssumptionError) as caught:
        dcp.certify("x", wrt="x", assume=["x >= 0, 1 <= x <= 0"], check=False)
    assert str(caught.value) == (
        "the assumption on `x` allows no value (lower bound 1, upper bound 0)\n"
        "  --> line 1, column 9\n"
        "  |\n"
        "1 | x >= 0, 1 <= x <= 0\n"
        "  |         ^^^^^^^^^^^")


@pytest.mark.parametrize("text", ["x >=" + " " * 50_000 + "y", "x >=" + " " * 50_000 + "- 1",
                                  "0 <=" + " \n" * 25_000 + "x"])
def test_long_runs_of_space(text):
    """Read in one pass: with two space runs side by side around the optional sign, the
    patterns backtracked quadratically: this test took 18 s instead of 0.2 s."""
    _agree(text)
