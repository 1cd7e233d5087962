"""Scripts: ``dcp run`` (in a subprocess, as a user runs it) and ``Session.iter_run``.

A script's results arrive as they are made, so a mistake on a later line keeps the
results before it; a statement may go on over lines while a bracket is open.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

from dcp import ParseError, Session, UnknownNameError
from dcp.syntax import parse_script

ROOT = Path(__file__).resolve().parents[1]


def dcp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcp", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT)})


GOOD_LINES = "certify exp(x) wrt x\ncertify log(x) wrt x\n"


@pytest.mark.parametrize("bad_line, message, column", [
    ("certify relu(x +) wrt x", "unexpected `)`; expected an expression", 17),    # parsing
    ("certify sigmod(x) wrt x", "unknown function `sigmod`; did you mean `sigmoid` or `hard_sigmoid`?", 9),
])
def test_dcp_run_prints_the_results_before_a_bad_line(tmp_path, bad_line, message, column):
    script = tmp_path / "net.dcp"
    script.write_text(GOOD_LINES + bad_line + "\ncertify square(x) wrt x\n")
    run = dcp("run", str(script), "--no-check")
    assert run.returncode == 2
    assert run.stdout.count("verdict: ") == 2, run.stdout          # lines 1 and 2, not 4
    assert "verdict: convex" in run.stdout and "verdict: concave" in run.stdout
    assert run.stderr.startswith(f"error: {message}\n  --> {script}:3:{column}\n")
    assert f"3 | {bad_line}\n  | {' ' * (column - 1)}^" in run.stderr
    assert "Traceback" not in run.stderr


def test_dcp_run_reads_a_statement_over_lines_inside_brackets(tmp_path):
    script = tmp_path / "net.dcp"
    script.write_text("assume W2 >= 0\n"
                      "certify relu(W2 @     # the second layer\n"
                      "    relu(W1 @ x)) wrt W1\n")
    run = dcp("run", str(script), "--no-check")
    assert run.returncode == 0, run.stderr
    assert "verdict: convex" in run.stdout
    script.write_text("certify relu(W2 @\n    relu(W1 @@ x)) wrt W1\n")
    run = dcp("run", str(script), "--no-check")
    assert run.returncode == 2
    assert f"--> {script}:2:14\n" in run.stderr
    assert "2 |     relu(W1 @@ x)) wrt W1\n  |              ^\n" in run.stderr


def test_iter_run_yields_each_result_before_the_next_statement_runs():
    results = Session().iter_run("certify exp(x) wrt x\nh = sigmod(x)\ncertify h wrt x")
    assert next(results).verdict == "convex"
    with pytest.raises(UnknownNameError) as info:
        next(results)
    assert (info.value.line, info.value.column) == (2, 5)


def test_run_still_returns_a_list():
    assert [r.verdict for r in Session().run(GOOD_LINES)] == ["convex", "concave"]


def test_new_lines_inside_brackets_do_not_end_a_statement():
    (statement,) = parse_script("h = relu([x,   # a comment ( that opens nothing\n"
                                "          y])")
    assert statement.name == "h" and repr(statement.value) == "Call('relu([x, y])')"
    # Outside brackets a new line still ends the statement.
    with pytest.raises(ParseError) as info:
        parse_script("h = x +\n  y")
    assert info.value.message.startswith("unexpected end of line")
    assert (info.value.line, info.value.column) == (1, 8)


def test_an_unclosed_bracket_is_reported_at_the_end():
    with pytest.raises(ParseError) as info:
        Session().run("certify exp(x) wrt x\nh = relu(x +\n\n")
    assert info.value.message.startswith("unexpected end of input")
    assert info.value.line == 2


def test_statements_before_a_mistake_on_the_same_line_run_first():
    session = Session()
    results = session.iter_run("certify exp(x) wrt x; h = x  # a comment; with ( and ;\n"
                               "g = h; certify relu(g +) wrt x")
    assert next(results).verdict == "convex"
    with pytest.raises(ParseError) as info:
        next(results)
    assert (info.value.line, info.value.column) == (2, 24)
    assert set(session.bindings) == {"h", "g"}          # g = h ran, before the bad statement


_STATEMENT = "certify relu(W2 @ relu(W1 @ [x, y])) + norm(x, p=1) wrt W1, W2"
_BREAKS = [i + 1 for i, char in enumerate(_STATEMENT) if char in "([,@+" and
           _STATEMENT[:i + 1].count("(") + _STATEMENT[:i + 1].count("[") >
           _STATEMENT[:i + 1].count(")") + _STATEMENT[:i + 1].count("]")]


@given(st.sets(st.sampled_from(_BREAKS)), st.booleans())
def test_a_statement_broken_over_lines_inside_brackets_means_the_same(breaks, comments):
    text = "".join(char + ("  # note\n    " if comments else "\n    ") * (i + 1 in breaks)
                   for i, char in enumerate(_STATEMENT))
    assert parse_script(text) == parse_script(_STATEMENT)


def test_a_script_is_told_in_its_own_words(tmp_path):
    """A script names its variables with `certify ... wrt`, not with --wrt (the command
    that ran it) nor wrt= (Python's keyword)."""
    script = tmp_path / "bare.dcp"
    script.write_text("exp(x)\n")
    run = dcp("run", str(script))
    assert run.returncode == 2
    assert run.stderr.splitlines()[0] == ("error: say which variables to certify in: "
                                          "`certify ... wrt W1` or `certify ... wrt W1, W2`")
    with pytest.raises(UnknownNameError, match=r"^`q` in wrt does not appear"):
        Session().run("certify exp(x) wrt x, q")
    # Outside the script, Python's words again (the generator left no context behind).
    from dcp import DcpError, certify
    with pytest.raises(DcpError, match=r"e\.g\. wrt='x'$"):
        certify("exp(x)", wrt=[])


def test_the_check_is_said_off_in_the_words_of_whoever_turned_it_off(tmp_path):
    """A script has no word for the numeric check: its runner's is used (dcp run's
    --no-check, the REPL's :check off, Python's check=False)."""
    from dcp.repl import Repl
    script = tmp_path / "one.dcp"
    script.write_text("certify exp(x) wrt x\n")
    assert "numeric check: not run (--no-check)" in dcp("run", str(script), "--no-check").stdout
    repl = Repl()
    repl.execute(":check off")
    assert "numeric check: not run (:check off)" in repl.execute(f":run {script}")
    assert "numeric check: not run (:check off)" in repl.execute("certify exp(x) wrt x")
    session = Session()
    session.check = False
    assert session.run("certify exp(x) wrt x")[0].check_summary == "not run (check=False)"
