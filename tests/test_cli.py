"""The command line, run as a user runs it: in a subprocess."""
from __future__ import annotations

import subprocess
import sys


def dcp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "dcp", *args], capture_output=True, text=True,
                          timeout=120)


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
    assert run.returncode == 2 and "did you mean `sigmoid`?" in run.stderr


def test_expect_sets_the_exit_status():
    assert dcp("certify", "sigmoid(x)", "--wrt", "x", "--assume", "x <= 0", "--expect", "convex").returncode == 0
    failed = dcp("certify", "sigmoid(x)", "--wrt", "x", "--expect", "convex")
    assert failed.returncode == 1 and "expected convex, got nonconvex" in failed.stderr


def test_help_teaches_with_examples():
    run = dcp("certify", "--help")
    assert run.returncode == 0
    assert 'dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1 --assume "W2 >= 0"' in run.stdout


def test_missing_wrt_is_a_usage_error():
    run = dcp("certify", "relu(x)")
    assert run.returncode == 2 and "--wrt" in run.stderr
