"""The command line, run as a user runs it: in a subprocess."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# The tree under test comes first on the path, also when a test runs dcp in another folder.
_ROOT = Path(__file__).resolve().parent.parent
_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(
    [str(_ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}


def dcp(*args: str, stdin: str | None = None, cwd=None) -> subprocess.CompletedProcess:
    """Run ``python -m dcp ARGS`` as a user would, with ``stdin`` as its input."""
    return subprocess.run([sys.executable, "-m", "dcp", *args], capture_output=True, text=True,
                          input=stdin, cwd=cwd, env=_ENV, timeout=120)


def test_certify_prints_the_proof():
    run = dcp("certify", "relu(W2 @ relu(W1 @ x))", "--wrt", "W1", "--assume", "W2 >= 0")
    assert run.returncode == 0, run.stderr
    assert "verdict: convex" in run.stdout
    assert "└─ W2 @ relu(W1 @ x)" in run.stdout


def test_break_is_shown_with_a_caret():
    run = dcp("certify", "relu(W2 @ relu(W1 @ x))", "--wrt", "W1", "--no-check")
    assert run.returncode == 0
    assert "  1 | relu(W2 @ relu(W1 @ x))\n    |      ^^^^^^^^^^^^^^^^^\n" in run.stdout
    assert "fix: W2 >= 0 would make it convex" in run.stdout


def test_joint_wrt_is_repeatable():
    run = dcp("certify", "x * y", "--wrt", "x", "--wrt", "y")
    assert "verdict: nonconvex" in run.stdout and "product of two non-constant factors" in run.stdout
    assert "witness: not convex" in run.stdout


def test_bad_input_exits_2_with_a_caret_and_no_traceback():
    run = dcp("certify", "relu(W @@ x)", "--wrt", "W")
    assert run.returncode == 2
    assert run.stderr.startswith("error: unexpected `@`; expected an expression\n")
    assert "| relu(W @@ x)\n" in run.stderr and "Traceback" not in run.stderr


def test_unknown_function_exits_2():
    run = dcp("certify", "sigmod(x)", "--wrt", "x")
    assert run.returncode == 2 and "did you mean `sigmoid` or `hard_sigmoid`?" in run.stderr


def test_max_nodes_refuses_large_input_with_exit_2():
    run = dcp("certify", "relu(W @ x) + relu(V @ x)", "--wrt", "x", "--no-check", "--max-nodes", "5")
    assert run.returncode == 2
    assert run.stderr == ("error: the expression has 8 distinct subexpressions, more than the "
                          "limit of 5 (--max-nodes); raise the limit to certify it\n")


def test_max_nodes_counts_a_repeated_subexpression_once(tmp_path):
    # W, x, W @ x, relu(W @ x) and the sum: 5 distinct, 9 as written.
    twice = ("certify", "relu(W @ x) + relu(W @ x)", "--wrt", "x", "--no-check", "--max-nodes")
    assert dcp(*twice, "5").returncode == 0
    refused = dcp(*twice, "4")
    assert refused.returncode == 2 and "has 5 distinct subexpressions" in refused.stderr
    help_text = " ".join(dcp("certify", "--help").stdout.split())       # as argparse wraps it
    assert "N distinct subexpressions (one written twice counts once)" in help_text
    # A bound name is its body, not one more: W1, x, W1 @ x, relu(...), W2, W2 @ h, relu(...).
    script = tmp_path / "net.dcp"
    script.write_text("h = relu(W1 @ x)\ncertify relu(W2 @ h) wrt W1\n")
    assert dcp("run", str(script), "--no-check", "--max-nodes", "7").returncode == 0
    assert "has 7 distinct" in dcp("run", str(script), "--no-check", "--max-nodes", "6").stderr


def test_expect_sets_the_exit_status():
    assert dcp("certify", "sigmoid(x)", "--wrt", "x", "--assume", "x <= 0", "--expect", "convex").returncode == 0
    failed = dcp("certify", "sigmoid(x)", "--wrt", "x", "--expect", "convex")
    assert failed.returncode == 1 and "expected convex, got quasilinear" in failed.stderr


def test_help_teaches_with_examples():
    run = dcp("certify", "--help")
    assert run.returncode == 0
    assert 'dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1 --assume "W2 >= 0"' in run.stdout


def test_missing_wrt_is_a_usage_error():
    run = dcp("certify", "relu(x)")
    assert run.returncode == 2 and "--wrt" in run.stderr


def test_json_format_validates_against_the_schema():
    import json

    import pytest

    from dcp.render.json import load_schema
    jsonschema = pytest.importorskip("jsonschema")
    run = dcp("certify", "relu(W2 @ relu(W1 @ x))", "--wrt", "W1", "--format", "json")
    assert run.returncode == 0
    schema = load_schema()
    jsonschema.validate(json.loads(run.stdout), schema)


def test_plot_writes_the_witness_picture(tmp_path):
    path = tmp_path / "w.png"
    run = dcp("certify", "relu(W2 @ relu(W1 @ x))", "--wrt", "W1", "--plot", str(path))
    assert run.returncode == 0, run.stderr
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_run_a_script_and_its_errors(tmp_path):
    script = tmp_path / "net.dcp"
    script.write_text("h = relu(W1 @ x)\nassume W2 >= 0\ncertify relu(W2 @ h) wrt W1\n")
    run = dcp("run", str(script), "--no-check")
    assert run.returncode == 0 and "verdict: convex" in run.stdout
    script.write_text("h = relu(W1 @ x)\ncertify relu(W2 @@ h) wrt W1\n")
    run = dcp("run", str(script))
    assert run.returncode == 2
    assert f"--> {script}:2:18" in run.stderr and "2 | certify relu(W2 @@ h) wrt W1" in run.stderr


def test_atoms_and_atom(tmp_path):
    listing = dcp("atoms")
    assert listing.returncode == 0 and "sigmoid" in listing.stdout and "silu" in listing.stdout
    one = dcp("atom", "sigmoid", "--plot", str(tmp_path / "s.png"))
    assert one.returncode == 0
    assert "f'' = (1 - exp(x))*exp(x)/(exp(x) + 1)**3" in one.stdout
    assert "convex on: (-inf, 0]" in one.stdout and (tmp_path / "s.png").exists()
    assert dcp("atom", "sigmod").returncode == 2


def test_batch_writes_one_json_line_per_case_in_order(tmp_path):
    import json
    cases = tmp_path / "cases.jsonl"
    cases.write_text('{"id": "a", "expr": "relu(W @ x)", "wrt": ["W"]}\n'
                     '{"id": "b", "expr": "x *", "wrt": ["x"]}\n'
                     '{"id": "c", "expr": "relu(W2 @ relu(W1 @ x))", "wrt": ["W1"]}\n')
    run = dcp("batch", str(cases), "--jobs", "2")
    assert run.returncode == 2, run.stderr          # line 2 was refused; the others written
    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b", "c"]
    assert lines[0]["verdict"] == "convex" and lines[1]["error"] == "ParseError"
    assert lines[2]["verdict"] == "nonconvex"


def test_plain_dcp_without_a_terminal_prints_help():
    run = dcp()
    assert run.returncode == 0 and "usage: dcp" in run.stdout


# ---- edges a new user trips over (issue 16) --------------------------------------------
def test_an_expression_that_starts_with_a_minus_is_no_option():
    out = dcp("certify", "-x^2", "--wrt", "x", "--no-check")
    assert out.returncode == 0 and out.stdout.startswith("-x^2  wrt x")
    assert "verdict: concave" in out.stdout


def test_wrt_takes_names_separated_by_commas():
    out = dcp("certify", "x*y", "--wrt", "x,y", "--no-check")
    assert out.returncode == 0 and out.stdout.startswith("x*y  wrt x, y")


@pytest.mark.parametrize("args,message", [
    (("batch", "missing.jsonl"), "cannot read missing.jsonl: No such file or directory"),
    (("atom", "sigmoid", "--plot", "/no/such/dir/s.png"), "the folder /no/such/dir does not exist"),
    (("atom", "sigmoid", "--plot", "s.xyz"), "a picture is one of"),
    (("atom", "power", "--plot", "p.png"), "power has no default p"),
])
def test_mistakes_are_one_line_errors_with_exit_2(args, message, tmp_path):
    if "--plot" in args:
        pytest.importorskip("matplotlib")
    out = dcp(*args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    assert message in out.stderr and "Traceback" not in out.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(sys.platform == "win32", reason="SIGINT is a POSIX signal")
def test_ctrl_c_stops_the_command_line_quietly_with_exit_130():
    import signal
    # A certification that takes long: it says when it has started, then waits.
    child = ("import sys, time\n"
             "import dcp.cli\n"
             "def slow(*args, **kwargs):\n"
             "    print('started', flush=True)\n"
             "    time.sleep(60)\n"
             "dcp.cli.certify = slow\n"
             "sys.exit(dcp.cli.main(['certify', 'x', '--wrt', 'x']))")
    # A suite run in the background (`nohup ... &`) ignores SIGINT and a child inherits
    # that; a user's shell does not: the child starts with the default, as theirs does.
    process = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, env=_ENV,
                               stderr=subprocess.PIPE, text=True,
                               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdout.readline().strip() == "started"
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130 and "Traceback" not in err and "interrupted" in err


def test_under_a_certified_verdict_the_check_says_what_it_refuted():
    out = dcp("certify", "exp(x)", "--wrt", "x")
    assert "numeric check: no violation of convex in" in out.stdout
    assert "also not concave (witness below)" in out.stdout


def test_a_shape_without_dimensions_is_refused():
    out = dcp("certify", "x", "--wrt", "x", "--shape", "W")
    assert out.returncode == 2 and "--shape takes NAME=DIMS" in out.stderr


def test_the_package_says_it_is_typed():
    from importlib.resources import files
    assert files("dcp").joinpath("py.typed").is_file()


# ---- where the expression comes from ---------------------------------------------------
def test_certify_reads_the_expression_from_standard_input():
    out = dcp("certify", "-", "--wrt", "W1", "--assume", "W2 >= 0", "--no-check",
                         stdin="relu(W2 @\n  relu(W1 @ x))\n")
    assert out.returncode == 0, out.stderr
    assert "verdict: convex" in out.stdout


def test_certify_reads_the_expression_from_a_file(tmp_path):
    (tmp_path / "layer.txt").write_text("sigmoid(x)\n")
    out = dcp("certify", "@layer.txt", "--wrt", "x", "--no-check", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("sigmoid(x)") and "verdict: quasilinear" in out.stdout


def test_an_error_in_a_file_points_into_it(tmp_path):
    (tmp_path / "bad.txt").write_text("relu(x\n")
    out = dcp("certify", "@bad.txt", "--wrt", "x", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.startswith("error: unexpected end of input") and "1 | relu(x" in out.stderr


@pytest.mark.parametrize("argument,message", [
    ("@missing.txt", "error: cannot read missing.txt: No such file or directory\n"),
    ("@", "error: @ reads the expression from a file: give its path, e.g. @net.txt\n"),
])
def test_a_file_that_cannot_be_read_is_a_one_line_error(argument, message, tmp_path):
    out = dcp("certify", argument, "--wrt", "x", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr == message


# ---- messages in the command line's words ----------------------------------------------
@pytest.mark.parametrize("args,message", [
    (("x", "--wrt", ","), "error: --wrt names no variable: give at least one, e.g. --wrt x\n"),
    (("x", "--wrt", "1x"), "error: --wrt must name variables, got '1x'\n"),
    (("x", "--wrt", "x", "--max-nodes", "0"), "error: --max-nodes must be a positive integer, got 0\n"),
    (("relu(W1 @ x)", "--wrt", "w1"),
     "error: `w1` in --wrt does not appear in the expression; did you mean `W1`?\n"),
    (("quad_form(x, P)", "--wrt", "P", "--assume", "P psd"),
     "error: `P psd` is an assumption about a parameter, but `P` is a variable (in --wrt); "
     "assume it of a name not in --wrt\n"),
])
def test_errors_name_options_as_the_command_line_writes_them(args, message):
    out = dcp("certify", *args)
    assert out.returncode == 2 and out.stderr == message


def test_a_skipped_check_is_said_in_the_command_line_words():
    out = dcp("certify", "exp(x)", "--wrt", "x", "--no-check")
    assert "numeric check: not run (--no-check)\n" in out.stdout and "check=False" not in out.stdout


# ---- a statement is not an expression ---------------------------------------------------
@pytest.mark.parametrize("text,what,where", [
    ("h = relu(x)", "got a binding (`h = ...`)", "1 | h = relu(x)\n  | ^^^^^^^^^^^\n"),
    ("assume x >= 0", "got an assumption (`assume ...`)", "1 | assume x >= 0\n  | ^^^^^^^^^^^^^\n"),
    ("certify x wrt x", "got a certify statement", "1 | certify x wrt x\n  | ^^^^^^^^^^^^^^^\n"),
    ("relu(x)\nexp(x)", "got several statements", "2 | exp(x)\n  | ^^^^^^\n"),
    ("relu(x); exp(x)", "got several statements", "1 | relu(x); exp(x)\n  |          ^^^^^^\n"),
])
def test_a_statement_given_to_certify_says_where_statements_belong(text, what, where):
    out = dcp("certify", text, "--wrt", "x")
    assert out.returncode == 2
    first = out.stderr.splitlines()[0]
    assert first.startswith(f"error: expected one expression, {what}")
    assert first.endswith("statements belong in a script (`dcp run`) or the REPL")
    assert out.stderr.endswith(where) and "Traceback" not in out.stderr


# ---- bounds beyond the doubles -----------------------------------------------------------
@pytest.mark.parametrize("assumption,number,caret", [
    ("W2 >= 1e400", "1e400", "1 | W2 >= 1e400\n  |       ^^^^^\n"),
    ("W2 <= -1e400", "-1e400", "1 | W2 <= -1e400\n  |       ^^^^^^\n"),
    ("-1e400 <= W2 <= 1", "-1e400", "1 | -1e400 <= W2 <= 1\n  | ^^^^^^\n"),
])
def test_a_bound_that_overflows_a_double_is_too_large_not_empty(assumption, number, caret):
    out = dcp("certify", "W2 * square(x)", "--wrt", "x", "--assume", assumption)
    assert out.returncode == 2
    assert out.stderr.startswith(f"error: the bound {number} is too large: it overflows a double "
                                 f"(bounds are finite, at most 1.798e+308 in size)\n")
    assert out.stderr.endswith(caret) and "allows no value" not in out.stderr


@pytest.mark.parametrize("assumption,verdict", [
    ("W2 >= 1e-400", "convex"),           # a tiny positive number, exact: W2 > 0
    ("W2 >= -1e-400", "unknown"),         # not rounded to W2 >= 0: W2 may be negative
])
def test_a_tiny_bound_is_kept_exactly(assumption, verdict):
    out = dcp("certify", "W2 * square(x)", "--wrt", "x", "--assume", assumption, "--no-check")
    assert out.returncode == 0, out.stderr
    assert f"verdict: {verdict}" in out.stdout


# ---- batch: records, formats, exit status ----------------------------------------------
_CASES = ('{"id": "a", "expr": "relu(W @ x)", "wrt": ["W"]}\n'
          '5\n'
          '\n'
          'null\n'
          '{"id": "b", "expr": "x *", "wrt": ["x"]}\n'
          'not json\n'
          '{"expr": "x"}\n'
          '{"expr": "exp(x)", "wrt": "x", "assume": 5}\n'
          '{"id": 7, "expr": "sigmoid(x)", "wrt": "x", "assume": ["x <= 0"]}\n')


def test_every_line_of_a_batch_gets_a_record_and_a_refused_line_sets_status_2(tmp_path):
    import json
    (tmp_path / "cases.jsonl").write_text(_CASES)
    run = dcp("batch", "cases.jsonl", "--jobs", "1", "--no-check", cwd=tmp_path)
    assert run.returncode == 2 and run.stderr == ""
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [r["line"] for r in records] == [1, 2, 4, 5, 6, 7, 8, 9]      # line 3 is blank
    assert [r.get("verdict") for r in records] == ["convex"] + [None] * 6 + ["convex"]
    assert [r.get("id") for r in records] == ["a", None, None, "b", None, None, None, 7]
    messages = [r.get("message") for r in records[1:-1]]
    assert messages == [
        'bad case: a case is a JSON object with "expr" and "wrt", not 5',
        'bad case: a case is a JSON object with "expr" and "wrt", not null',
        "unexpected end of input; expected an expression",
        "bad case: not JSON: Expecting value (column 1)",
        'bad case: "wrt" is missing (a case has "expr" and "wrt")',
        "\"assume\" takes a string such as 'W2 >= 0' or a list of them, not int",   # the case's key
    ]
    assert records[1]["error"] == "DcpError" and records[3]["error"] == "ParseError"


def test_a_batch_whose_cases_all_certify_exits_0(tmp_path):
    (tmp_path / "ok.jsonl").write_text('{"expr": "exp(x)", "wrt": "x"}\n{"expr": "x * y", "wrt": ["x", "y"]}\n')
    run = dcp("batch", "ok.jsonl", "--jobs", "2", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert [line.count('"verdict"') for line in run.stdout.splitlines()] == [1, 1]


@pytest.mark.parametrize("format,heading,error", [
    ("text", '=== line 1 (id "a") ===\n\nrelu(W @ x)  wrt W\n', "=== line 5 (id \"b\") ===\n\nerror: unexpected end"),
    ("markdown", '## Line 1 (id "a")\n\n### `relu(W @ x)` with respect to `W`\n',
     '## Line 5 (id "b")\n\n```text\nerror: unexpected end'),
    ("latex", '% ==== line 1 (id "a") ====\n\n\\[ f(W) =', '% ==== line 5 (id "b") ====\n\n% error: unexpected end'),
])
def test_batch_renders_each_record_in_the_format_asked_for(format, heading, error, tmp_path):
    (tmp_path / "cases.jsonl").write_text(_CASES)
    serial = dcp("batch", "cases.jsonl", "--format", format, "--jobs", "1", "--no-check", cwd=tmp_path)
    assert serial.returncode == 2
    assert serial.stdout.startswith(heading) and error in serial.stdout
    assert serial.stdout.lower().count("line 9 (id 7)") == 1 and "verdict" in serial.stdout.lower()
    assert not serial.stdout.lstrip().startswith("{")                    # not JSON lines
    parallel = dcp("batch", "cases.jsonl", "--format", format, "--jobs", "2", "--no-check", cwd=tmp_path)
    assert parallel.stdout == serial.stdout and parallel.returncode == 2


def test_a_bug_on_one_line_is_its_record_and_exit_3_while_the_others_are_written(tmp_path):
    (tmp_path / "cases.jsonl").write_text('{"expr": "exp(x)", "wrt": "x"}\n{"expr": "bug(x)", "wrt": "x"}\n'
                                          '{"expr": "x", "wrt": "x"}\n')
    child = ("import sys\n"
             "import dcp.cli\n"
             "from dcp.errors import SoundnessError\n"
             "real = dcp.cli.certify\n"
             "def certify(expr, **kwargs):\n"
             "    if expr == 'bug(x)':\n"
             "        raise SoundnessError('a planted bug')\n"
             "    return real(expr, **kwargs)\n"
             "dcp.cli.certify = certify\n"
             "sys.exit(dcp.cli.main(['batch', 'cases.jsonl', '--jobs', '1', '--no-check']))")
    run = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True,
                         cwd=tmp_path, env=_ENV, timeout=120)
    assert run.returncode == 3, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 3 and '"error": "SoundnessError", "message": "a planted bug"' in lines[1]


@pytest.mark.parametrize("command,statuses", [
    ((), ("0    success", "1    --expect", "2    a mistake", "3    a bug in dcp", "130  interrupted")),
    (("batch",), ("0    every case was certified", "2    some line was refused",
                  "3    a bug in dcp on some line", "130  interrupted", "The worst line decides")),
])
def test_help_lists_the_exit_statuses(command, statuses):
    run = dcp(*command, "--help")
    assert run.returncode == 0 and "exit status:" in run.stdout
    for status in statuses:
        assert status in run.stdout


def test_the_batch_benchmark_prints_its_figures():
    script = _ROOT / "benchmarks" / "batch_jobs.py"
    run = subprocess.run([sys.executable, str(script), "--cases", "4", "--no-check"],
                         capture_output=True, text=True, env=_ENV, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "--jobs 1 " in run.stdout and "speed-up" in run.stdout and "(the same records)" in run.stdout


# ---- no raw markup in user text ---------------------------------------------------------
_RAW_MARKUP = ("``", ":class:", ":meth:", ":func:", ":mod:", ":attr:", ":data:", ":exc:")


def test_atom_summaries_hold_no_raw_markup():
    from dcp.atoms import all_atoms
    listing = dcp("atoms")
    assert listing.returncode == 0 and "(`p=inf` is allowed through norm_inf)" in listing.stdout
    assert not [markup for markup in _RAW_MARKUP if markup in listing.stdout]
    assert [atom.name for atom in all_atoms() if any(m in atom.summary for m in _RAW_MARKUP)] == []


def _public_docstrings():
    """The docstrings the docs' API page renders (markdown): dcp's exports, their public
    methods and properties, the check's Budget and Witness, and the modules dcp and
    dcp.errors."""
    import inspect

    import dcp
    import dcp.errors
    from dcp.check import Budget, Witness
    yield "dcp", dcp.__doc__
    yield "dcp.errors", dcp.errors.__doc__
    for owner in [getattr(dcp, name) for name in dcp.__all__ if name != "__version__"] + [Budget, Witness]:
        yield owner.__name__, inspect.getdoc(owner)
        for name, member in vars(owner).items() if isinstance(owner, type) else ():
            if not name.startswith("_"):
                yield f"{owner.__name__}.{name}", getattr(member, "__doc__", None)


def test_public_docstrings_are_markdown_not_rest():
    leaks = [(where, markup) for where, doc in _public_docstrings() for markup in _RAW_MARKUP
             if doc and markup in doc]
    assert leaks == []
    names = [where for where, _ in _public_docstrings()]
    assert {"certify", "Session.certify", "Result.covers", "DcpError.locate", "Witness"} <= set(names)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_the_repl_names_its_own_commands_in_messages(tmp_path):
    pexpect = pytest.importorskip("pexpect")
    env = {**_ENV, "DCP_STATE_DIR": str(tmp_path), "NO_COLOR": "1", "TERM": "xterm",
           "PROMPT_TOOLKIT_NO_CPR": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "dcp", "repl"], env=env, encoding="utf-8",
                          timeout=60, dimensions=(40, 200))
    child.expect("dcp>")
    child.sendline(":wrt x")
    child.expect("variables: x")
    child.sendline(":check off")
    child.expect("numeric check: off")
    child.sendline("exp(x)")
    child.expect(r"numeric check: not run \(:check off\)")
    child.sendline(":wrt w")
    child.expect("variables: w")
    child.sendline("relu(x)")
    child.expect("`w` in :wrt does not appear in the expression")
    child.sendline(":quit")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("flags,why", [
    (("--no-check",), "the numeric check did not run (--no-check)"),
    ((), "the check found no violation"),
])
def test_plot_without_a_witness_says_why(flags, why, tmp_path):
    pytest.importorskip("matplotlib")
    out = dcp("certify", "x + 1" if not flags else "relu(W2 @ relu(W1 @ x))", "--wrt",
              "x" if not flags else "W1", *flags, "--plot", "w.png", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr == f"error: there is no witness to draw: {why}\n"


def test_the_last_new_line_of_a_file_or_pipe_is_not_part_of_the_expression(tmp_path):
    (tmp_path / "layer.txt").write_text("relu(W2 @\n  relu(W1 @ x))\n")
    out = dcp("certify", "@layer.txt", "--wrt", "W1", "--no-check", cwd=tmp_path)
    assert out.returncode == 0
    assert out.stdout.startswith("relu(W2 @\n  relu(W1 @ x))  wrt W1\n\nverdict: unknown")
    # The break spans both lines, and both are underlined.
    assert "  1 | relu(W2 @\n    |      ^^^^\n  2 |   relu(W1 @ x))\n    |   ^^^^^^^^^^^^\n" in out.stdout
    piped = dcp("certify", "-", "--wrt", "x", "--no-check", stdin="exp(x)\n")
    assert piped.stdout.startswith("exp(x)  wrt x\n\nverdict: convex")
