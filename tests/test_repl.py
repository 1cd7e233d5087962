"""The REPL: its logic, prompt_toolkit's pipe input, and a real pseudo-terminal."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dcp.repl import Repl, _read_entry, run_repl

ROOT = Path(__file__).resolve().parents[1]


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
    assert repl.execute("sigmod(x)").startswith("error: unknown function `sigmod`; did you mean `sigmoid` or `hard_sigmoid`?")
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


def test_wrt_takes_names_only():
    repl = Repl()
    assert repl.execute(":wrt x; exp(x)") == "error: :wrt takes names, e.g. :wrt W2; got 'x;'"
    assert repl.execute(":wrt") == "variables: none yet"
    assert repl.execute(":wrt W1, W2") == "variables: W1, W2"


def test_unassume_drops_the_assumptions_on_one_name():
    repl = Repl()
    repl.execute(":assume W2 >= 0, x >= 0")
    repl.execute("assume W2 <= 3")
    assert repl.execute(":unassume W2") == "dropped W2 >= 0, W2 <= 3; assuming x >= 0"
    assert repl.execute(":unassume x") == "dropped x >= 0; assuming nothing"
    assert repl.execute(":unassume W2") == "error: no assumption on `W2` to drop"
    assert repl.execute(":unassume") == "error: :unassume takes names, e.g. :unassume W2"
    assert repl.execute(":unassume a b") == "error: :unassume takes names, e.g. :unassume W2; got 'a b'"
    repl.execute(":assume W2 >= 0")
    assert repl.execute(":unassume w2") == "error: no assumption on `w2` to drop; did you mean `W2`?"


def test_a_dropped_assumption_no_longer_applies():
    repl = Repl()
    repl.execute(":check off")
    repl.execute("h = relu(W1 @ x)")
    repl.execute(":wrt W1")
    repl.execute(":assume W2 >= 0")
    assert "verdict: convex" in repl.execute("relu(W2 @ h)")
    repl.execute(":unassume W2")
    assert "verdict: unknown" in repl.execute("relu(W2 @ h)")


def test_unbind_makes_a_name_free_again():
    repl = Repl()
    repl.execute(":check off")
    repl.execute("h = exp(x)")
    assert repl.execute(":unbind h") == "h unbound"
    assert repl.execute(":unbind h") == "error: `h` is not bound"
    assert "verdict: affine" in repl.execute("certify h wrt h")
    repl.execute("g = x")
    assert repl.execute(":unbind G") == "error: `G` is not bound; did you mean `g`?"


@pytest.mark.parametrize("entry", [":shape W1 = 4, 3", ":shape W1 4 3", ":shape W1 = (4, 3)",
                                   ":shape W1=4,3", "shape W1 = (4, 3)"])
def test_shape_is_written_as_in_scripts_and_the_cli(entry):
    repl = Repl()
    assert repl.execute(entry) == "shape of W1: (4, 3)"
    assert repl.session.shapes == {"W1": (4, 3)}


def test_shape_lists_shows_and_refuses():
    repl = Repl()
    assert repl.execute(":shape") == "no shapes declared (they are inferred)"
    assert repl.execute(":shape u = n") == "shape of u: (n,)"          # a letter: any size
    assert repl.execute(":shape s = ()") == "shape of s: ()"
    assert repl.execute(":shape") == "shape of u: (n,)\nshape of s: ()"
    assert repl.execute(":shape u") == "shape of u: (n,)"
    assert repl.execute(":shape q") == "no shape declared for q (it is inferred)"
    assert repl.execute(":shape W 0 3").startswith("error: shape of `W` must be () or (n,) or (m, n)")
    assert repl.execute(":shape 3 = 4").startswith("error: :shape takes a name and its dimensions")
    assert "shapes: u=(n,), s=()" in repl.execute(":vars")


def test_reset_starts_a_fresh_session_and_keeps_the_settings():
    repl = Repl()
    for entry in [":wrt x", ":check off", ":format json", "h = relu(x)", "assume W >= 0",
                  "shape W = (2, 2)", "define sq(t) = square(t)"]:
        assert not repl.execute(entry).startswith("error")
    assert repl.execute(":reset").startswith("a fresh session")
    assert repl.execute(":vars") == ("variables: none yet\nassumptions: none\nbindings: none\n"
                                     "user atoms: none\nshapes: inferred")
    assert repl.session.check is False and repl.format == "json"


def test_run_a_script_into_the_session(tmp_path):
    script = tmp_path / "net.dcp"
    script.write_text("h = relu(W1 @ x)\nassume W2 >= 0\ncertify relu(W2 @\n  h) wrt W1\n"
                      "certify exp(x) wrt x\ncertify sigmod(x) wrt x\n")
    repl = Repl()
    repl.execute(":check off")
    shown = list(repl.outputs(f":run {script}"))
    assert len(shown) == 3
    assert "verdict: convex" in shown[0] and "verdict: convex" in shown[1]
    assert shown[2].startswith(f"error: unknown function `sigmod`; did you mean `sigmoid` or `hard_sigmoid`?\n"
                               f"  --> {script}:6:9\n")
    assert "h" in repl.session.bindings and repl.session.assumption_texts == ["W2 >= 0"]
    assert repl.execute(":run /no/such/file.dcp") == \
        "error: cannot read /no/such/file.dcp: No such file or directory"
    assert repl.execute(":run") == "error: :run takes a file, e.g. :run net.dcp"


def test_history_numbers_the_entries_of_the_session():
    repl = Repl()
    repl.execute(":wrt x")
    repl.execute("relu(\n  x)")
    repl.execute("   ")
    assert repl.execute(":history") == "1  :wrt x\n2  relu(\n     x)\n3  :history"


def test_every_command_has_a_help_line():
    repl = Repl()
    shown = repl.execute(":help")
    for command in [":reset", ":unassume NAME", ":unbind NAME", ":shape [NAME = DIMS]",
                    ":run FILE", ":history"]:
        assert f"  {command} " in shown
        assert not repl.execute(command.split()[0] + " x").startswith("error: unknown command")


@pytest.mark.parametrize("line, word, offered", [
    (":format ", "", ["html", "json", "latex", "markdown", "text"]),
    (":format m", "m", ["markdown"]),
    (":check o", "o", ["off", "on"]),
    (":atom sigm", "sigm", ["sigma_max", "sigmoid"]),
    (":unassume ", "", ["W2"]),                    # only the names that apply
    (":unbind ", "", ["h"]),
    (":wrt ", "", []),                             # free text: nothing to guess
    (":un", ":un", [":unassume", ":unbind"]),
    ("cer", "cer", ["certify"]),
    ("certify relu(W2 @ h) w", "w", ["wrt"]),
    ("relu(W2 @ h", "h", ["h", "hard_sigmoid", "hardtanh", "harmonic_mean", "hinge_loss", "hstack",
                          "huber", "huber_loss"]),
])
def test_completion_knows_the_context(line, word, offered):
    repl = Repl()
    repl.execute("h = relu(W1 @ x)")
    repl.execute(":assume W2 >= 0")
    assert repl.completions(line) == (word, offered)


def test_completion_after_run_offers_files(tmp_path, monkeypatch):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "deep.dcp").write_text("")
    (tmp_path / "net.dcp").write_text("")
    (tmp_path / ".hidden.dcp").write_text("")
    monkeypatch.chdir(tmp_path)
    repl = Repl()
    assert repl.completions(":run ne") == ("ne", ["net.dcp", "nets/"])
    assert repl.completions(":run nets/") == ("nets/", ["nets/deep.dcp"])
    assert repl.completions(f":run {tmp_path}/.h") == (f"{tmp_path}/.h", [f"{tmp_path}/.hidden.dcp"])
    assert repl.completions(":run /no/such/") == ("/no/such/", [])


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
    assert _read_entry(_reader("relu(", "x", ")")) == "relu(\nx\n)"
    # A bracket in a comment opens nothing.
    assert _read_entry(_reader("relu(x) # (", "never read")) == "relu(x) # ("


@pytest.mark.parametrize("key", [EOFError, KeyboardInterrupt])
def test_ctrl_d_or_ctrl_c_at_a_continuation_prompt_cancels_the_entry(key):
    assert _read_entry(_reader("relu(", "x +", key)) is None
    with pytest.raises(EOFError):                  # at the first prompt Ctrl-D leaves
        _read_entry(_reader(EOFError))


def test_a_multiline_entry_is_one_history_item_joined_by_new_lines(tmp_path, monkeypatch):
    from prompt_toolkit.history import FileHistory
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput
    monkeypatch.setenv("DCP_STATE_DIR", str(tmp_path))
    shown = []
    with create_pipe_input() as pipe:
        pipe.send_text(":wrt x\r:check off\rrelu(\r  x)\rrelu(\r  sigmod(x))\r:quit\r")
        assert run_repl(input=pipe, output=DummyOutput(), write=shown.append) == 0
    assert "variables: x" in shown
    assert any(text.startswith("relu(\n  x)  wrt x\n") and "verdict: convex" in text
               for text in shown)
    error = next(text for text in shown if text.startswith("error: unknown function `sigmod`"))
    assert "--> line 2, column 3\n" in error and "2 |   sigmod(x))\n  |   ^^^^^^" in error
    entries = list(FileHistory(str(tmp_path / "history")).load_history_strings())
    assert entries == [":quit", "relu(\n  sigmod(x))", "relu(\n  x)", ":check off", ":wrt x"]


def _piped(text: str, tmp_path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DCP_STATE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    return subprocess.run([sys.executable, "-m", "dcp", "repl"], input=text, capture_output=True,
                          text=True, timeout=120, env=env)


def test_piped_input_runs_plainly(tmp_path):
    run = _piped(":wrt x\n:check off\nrelu(\n  x)\nquit\nexp(x)\n", tmp_path)
    assert run.returncode == 0 and run.stderr == ""
    assert run.stdout.startswith("variables: x\n\nnumeric check: off\n\nrelu(\n  x)  wrt x\n")
    assert "verdict: convex" in run.stdout and "exp(x)" not in run.stdout     # quit stopped it
    assert "\x1b" not in run.stdout and "dcp>" not in run.stdout and "..." not in run.stdout
    assert not (tmp_path / "history").exists()


def test_piped_input_shows_errors_in_place_goes_on_and_exits_2(tmp_path):
    run = _piped(":wrt x\n:check off\nsigmod(x)\nexp(x)\nrelu(x +\n", tmp_path)
    assert run.returncode == 2 and run.stderr == ""
    parts = run.stdout.split("\n\n")
    assert parts[2].startswith("error: unknown function `sigmod`; did you mean `sigmoid` or `hard_sigmoid`?")
    assert parts[3] == "exp(x)  wrt x"                                 # the session went on
    assert parts[-1].startswith("error: unexpected end of input")      # left open at the end


pexpect = pytest.importorskip("pexpect")


def _spawn(tmp_path):
    env = {**os.environ, "DCP_STATE_DIR": str(tmp_path), "NO_COLOR": "1", "TERM": "xterm",
           "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)}
    # Ctrl-C must reach the REPL as at a user's terminal, even when the suite itself runs
    # in the background (`nohup ... &`), which ignores SIGINT for its children.
    return pexpect.spawn(sys.executable, ["-m", "dcp", "repl"], env=env, encoding="utf-8",
                         timeout=60, dimensions=(40, 200),
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))


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
    again.expect("verdict: quasilinear")            # sigmo(x) would be an unknown function
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


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_real_terminal_ctrl_c_stops_a_long_run_and_the_session_goes_on(tmp_path):
    script = tmp_path / "long.dcp"          # hours of work: Ctrl-C must come first
    script.write_text("certify relu(W2 @ relu(W1 @ x)) wrt W1\n" * 20_000)
    child = _spawn(tmp_path)
    child.expect("dcp>")
    child.sendline(f":run {script}")
    child.expect("verdict: nonconvex")                # the first result, as it is made
    child.sendintr()
    child.expect("interrupted")
    child.expect("dcp>")
    child.sendline(":history")
    child.expect(f"1  :run {script}")
    child.expect("2  :history")
    child.sendline(":reset")
    child.expect("a fresh session")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_real_terminal_completes_a_command_argument(tmp_path):
    child = _spawn(tmp_path)
    child.expect("dcp>")
    child.send(":format \t")                       # Tab: the formats, in a menu
    child.expect("latex")
    child.expect("markdown")
    child.send("\x15")                             # clear the line
    child.send(":format ma\t")                     # one fits: it is inserted
    child.expect("rkdown")
    child.send("\r")
    child.expect("format: markdown")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_real_terminal_multiline_entry_errors_on_its_line_and_comes_back_whole(tmp_path):
    child = _spawn(tmp_path)
    child.expect("dcp>")
    child.send(":wrt x\r")
    child.expect("variables: x")
    child.send("relu(\r")
    child.expect(r"\.\.\.")
    child.send("  sigmod(x))\r")
    child.expect("--> line 2, column 3")
    child.expect(r"2 \|   sigmod\(x\)\)")
    child.expect("dcp>")
    child.send("\x1b[A")                           # up arrow: the whole entry comes back
    child.send("\r")                               # and runs again, as one
    child.expect("--> line 2, column 3")
    child.expect("dcp>")
    child.sendline(":quit")
    child.expect(pexpect.EOF)
