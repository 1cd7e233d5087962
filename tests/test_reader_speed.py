"""The reader's fast paths give what the grammar gives.

The token scan takes a call's ``(`` and a keyword's ``=`` with the name before them (so
the reader needs no look-ahead), keeps the grammar's keywords out of names inside the
pattern, and ends with an empty match; a tape shares numeric literals by spelling. Each
of these must be invisible: the same trees, the same rows, the same refusals.
"""
from __future__ import annotations

import pytest
from test_reader import _agree
from test_reader_tape import _same_tape

from dcp.syntax.ast import Number
from dcp.syntax.parser import parse_expression
from dcp.syntax.reader import read_expression, read_into
from dcp.tape import Tape


@pytest.mark.parametrize("text", [
    "f (x)", "f\n(x)", "f\t( x )", "norm(x, p = 2)", "norm(x, p=\n2)", "norm(x,p=2)",
    "f()", "f( )", "f ()", "x  ", "x\n", "  x", " (x) ", "relu(x)  \n  ", "wrt2 + shape_",
    "x .T", "x[ - 2 ]", "x [0]", "2.T", "3. + .5", "1e-3*x",
])
def test_spacing_around_names_and_brackets_reads_as_the_grammar_does(text):
    assert read_expression(text) is not None, text
    _agree(text)
    _same_tape(text)


@pytest.mark.parametrize("text", [
    "wrt", "x + wrt", "shape(x)", "f(wrt=1)", "f(x, assume = 2)", "p = 1", "(p=1)",
    "f(p=q=1)", "f(x, )", "f(,)", "f(p=)", "x y", "f (x) (y)", "x == 1", "x\v", "x.Tx",
    "\u0663", "x ^ \u0663", "exp(x) * \u0663", "x\u0663",       # digits of another script
    "x ^ \uff12", "\u0661.5 * x", "x + \u0661e5", "huber(x, M=\u0661)",
])
def test_what_the_reader_leaves_to_the_grammar(text):
    assert read_expression(text) is None, text
    assert read_into(text, Tape()) is None, text


def test_long_trailing_spaces_read():
    # (The spaces are matched possessively, so this is linear: 200,000 of them would take
    # minutes if each were retried.)
    text = "x" + " " * 200_000
    assert read_into(text, Tape()) == 0
    assert read_expression(text + "y") is None


def test_a_digit_of_another_script_is_the_grammars_number():
    # The reader's scan is ASCII; Lark reads U+0663 (Arabic-Indic three) as 3, as before.
    from dcp import certify
    assert certify("exp(x) * \u0663 - \u0663 * x", wrt="x", check=False).verdict == "convex"
    assert certify("x ^ \uff12", wrt="x", check=False).verdict == "convex"      # fullwidth 2
    assert certify("\u0661.5 * x", wrt="x", check=False).shapes == {"x": ("a",)}   # not a name


def test_a_literal_shared_between_tapes_means_what_it_says_in_each():
    first, second = Tape(), Tape()
    read_into("0.1 * x + 2", first)
    read_into("y ^ 2 - 0.1 + 2.0", second)
    for tape in (first, second):
        for i, op in enumerate(tape.op):
            if op == "number":
                text = tape.data[i].text
                written = Number(float(text), text)
                assert (tape.data[i], tape.data[i].exact, tape.data[i].value) == \
                    (written, written.exact, written.value)
    assert [second.data[i].text for i, op in enumerate(second.op) if op == "number"] == \
        ["2", "0.1", "2.0"]                               # a row per spelling, as before
    rows = len(first)
    assert first.add_number("2") == first.op.index("number", 2) and len(first) == rows


def test_a_tree_literal_is_keyed_by_its_spelling_and_only_found_while_reading():
    tape = Tape()
    tape.add_expr(parse_expression("1 + 1.0"))
    assert [tape.data[i].text for i, op in enumerate(tape.op) if op == "number"] == ["1", "1.0"]
    with tape.reading():
        assert tape.add_number("1.0") == tape.find("number", Number(1.0, "1.0")) == 1
        assert tape.add_number("2") is None and tape.add_expr(parse_expression("1.0 + 1")) is None
    assert len(tape) == 3
    assert tape.add_expr(Number(0.5)) == tape.add_number("0.5") == 3    # built from a float
