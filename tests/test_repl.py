"""The REPL: its logic, prompt_toolkit's pipe input, and a real pseudo-terminal."""
from __future__ import annotations

import os
import sys

import pytest

from dcp.repl import Repl, _read_entry, run_repl


def test_session_from_the_issue():
    repl = Repl()
    assert repl.execute("h = relu(W1 @ x)") == "h bound"
    assert repl.execute(":wrt W1") == "variables: W1"
    assert repl.execute(":check off") == "numeric check: off"
    broken = repl.execute("relu(W2 @ h)")
    assert "verdict: unknown" in broken
    assert "  1 | relu(W2 @ h)\n    |      ^^^^^^\n" in broken
    assert repl.execute(":assume W2 >= 0") == "assuming W2 >= 0"
    assert "verdict: convex" in repl.execute("relu(W2 @ h)")


def test_mistakes_show_a_caret_and_the_session_goes_on():
    repl = Repl()
    repl.execute(":wrt x")
    error = repl.execute("relu(x +)")
    assert error.startswith("error: unexpected `)`; expected an expression")
    assert "1 | relu(x +)\n  |         ^" in error
    assert repl.execute("sigmod(x)").startswith("error: unknown function `sigmod`; did you mean `sigmoid`?")
    assert "verdict: affine" in repl.execute("x + 1")


def test_commands():
    repl = Repl()
    assert repl.execute("x").startswith("error: no variables yet: say which with :wrt")
    assert ":atom NAME" in repl.execute(":help")
    assert "sigmoid" in repl.execute(":atoms")
    assert "convex on: (-inf, 0]" in repl.execute(":atom sigmoid")
    assert repl.execute(":format json") == "format: json"
    repl.execute(":wrt x")
    assert '"verdict": "convex"' in repl.execute("relu(x)")
    assert repl.execute(":format yaml").startswith("error: formats are")
    assert "variables: x" in repl.execute(":vars")
    assert "sq" in repl.execute("define sq(t) = square(t - 1)") and "sq" in repl.words()
    repl.execute(":quit")
    assert repl.done


@pytest.mark.parametrize("word", ["quit", "exit", " quit "])
def test_quit_and_exit_alone_leave(word):
    repl = Repl()
    assert repl.execute(word) == "" and repl.done


def test_help_alone_helps_and_the_words_stay_names_elsewhere():
    repl = Repl()
    assert repl.execute("help").startswith("Type an expression")
    assert repl.execute("quit = relu(x)") == "quit bound" and not repl.done
    repl.execute(":wrt x")
    assert "verdict: convex" in repl.execute("quit + exp(x)")


def test_ctrl_c_during_a_certification_returns_to_the_session(monkeypatch):
    repl = Repl()
    repl.execute(":wrt x")

    def interrupted(statement):
        raise KeyboardInterrupt
    monkeypatch.setattr(repl.session, "_execute", interrupted)
    assert repl.execute("exp(x)") == "interrupted"
    monkeypatch.undo()
    assert repl.execute(":check off") == "numeric check: off"
    assert "verdict: convex" in repl.execute("exp(x)")


def _reader(*lines):
    """A prompt that answers with ``lines``; an exception class among them is raised."""
    answers = iter(lines)

    def read(prompt):
        answer = next(answers)
        if isinstance(answer, type):
            raise answer
        return answer
    return read


def test_an_entry_goes_on_while_a_bracket_is_open():
    assert _read_entry(_reader("relu(", "x", ")")) == "relu( x )"


@pytest.mark.parametrize("key", [EOFError, KeyboardInterrupt])
def test_ctrl_d_or_ctrl_c_at_a_continuation_prompt_cancels_the_entry(key):
    assert _read_entry(_reader("relu(", "x +", key)) is None
    with pytest.raises(EOFError):                  # at the first prompt Ctrl-D leaves
        _read_entry(_reader(EOFError))


def test_pipe_input_with_a_multiline_expression(capsys, tmp_path, monkeypatch):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    monkeypatch.setenv("DCP_STATE_DIR", str(tmp_path))
    shown = []
    with create_pipe_input() as pipe:
        pipe.send_text(":wrt x\r:check off\rrelu(\r  x)\r:quit\r")
        assert run_repl(input=pipe, output=DummyOutput(), write=shown.append) == 0
    assert "variables: x" in shown
    assert any("relu(   x)  wrt x" in text and "verdict: convex" in text for text in shown)
    assert (tmp_path / "history").exists()


pexpect = pytest.importorskip("pexpect")


def _spawn(tmp_path):
    env = {**os.environ, "DCP_STATE_DIR": str(tmp_path), "NO_COLOR": "1", "TERM": "xterm",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    return pexpect.spawn(sys.executable, ["-m", "dcp", "repl"], env=env, encoding="utf-8",
                         timeout=60, dimensions=(40, 200))


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_real_terminal_history_and_completion(tmp_path):
    child = _spawn(tmp_path)
    child.expect("dcp>")
    child.sendline("h = relu(W1 @ x)")
    child.expect("h bound")
    child.sendline(":wrt W1")
    child.expect("variables: W1")
    child.sendline(":check off")
    child.expect("numeric check: off")
    child.sendline("relu(W2 @ h)")
    child.expect(r"\^\^\^\^\^\^")
    child.expect("dcp>")
    child.sendline(":assume W2 >= 0")
    child.expect("assuming W2 >= 0")
    child.sendline("relu(W2 @ h)")
    child.expect("verdict: convex")
    child.sendline(":quit")
    child.expect(pexpect.EOF)

    again = _spawn(tmp_path)                       # history survives a restart
    again.expect("dcp>")
    again.send("\x1b[A")                           # up arrow
    again.expect(":quit")
    again.send("\x15")                             # clear the line
    again.send(":wrt x\r")
    again.expect("variables: x")
    again.send(":check off\r")
    again.expect("numeric check: off")
    again.send("sigmo\t")                          # Tab completes sigmo to sigmoid
    # The terminal may draw the completion apart from what was typed, escape codes between.
    # (sigm is a prefix of sigma_max too.)
    again.expect("id")
    again.send("(x)\r")
    again.expect("verdict: unknown")                # sigmo(x) would be an unknown function
    again.sendline(":quit")
    again.expect(pexpect.EOF)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_real_terminal_help_and_quit_alone(tmp_path):
    child = _spawn(tmp_path)
    child.expect("dcp>")
    child.sendline("help")
    child.expect(":atom NAME")
    child.expect("dcp>")
    child.sendline("quit")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_real_terminal_ctrl_c_clears_the_line_and_ctrl_d_cancels_an_entry(tmp_path):
    child = _spawn(tmp_path)
    child.expect("dcp>")
    child.send("relu(x")
    child.send("\x03")                             # Ctrl-C: the line is dropped
    child.expect("dcp>")
    child.send(":wrt x\r")
    child.expect("variables: x\r\n")
    child.send("relu(\r")
    child.expect(r"\.\.\.")                        # the continuation prompt
    child.send("\x04")                             # Ctrl-D there: the entry goes, not the session
    child.expect("dcp>")
    child.send(":wrt y\r")
    child.expect("variables: y")
    child.sendline(":quit")
    child.expect(pexpect.EOF)
