"""The benchmark scripts still run against the code they measure (their figures are
printed, never asserted: see benchmarks/)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dcp import ArgumentError

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def _mix():
    """benchmarks/mix.py as a module (the folder is not a package)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import mix
    finally:
        sys.path.remove(str(BENCHMARKS))
    return mix


def test_phase_breakdown_names_every_phase_of_certify():
    # phases.py finds each phase by the function that runs it; a rename must not turn
    # a row silently into zero, so the script refuses to run instead.
    run = subprocess.run([sys.executable, str(BENCHMARKS / "phases.py"), "--size", "5"],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    for phase in ("parse the expression", "analyse (the rules)", "check the proof (kernel)",
                  "of which order the steps", "infer shapes"):
        assert run.stdout.count(phase) == 2, phase          # once for each case


def test_fuzz_soundness_prints_its_figures_and_fails_on_findings():
    run = subprocess.run([sys.executable, str(BENCHMARKS / "fuzz_soundness.py"), "--n", "12",
                          "--jobs", "1", "--seed", "5"], capture_output=True, text=True, timeout=300)
    assert run.returncode in (0, 1), run.stderr
    last = run.stdout.splitlines()[-2]
    for figure in ("soundness violations", "bogus witnesses", "kernel rejections", "crashes",
                   "referee skips"):
        assert figure in last
    counts = [int(word) for word in last.replace("(", " ").replace(")", " ").split() if word.isdigit()]
    # The exit status says whether anything was found, and the findings are listed.
    assert run.returncode == (1 if any(counts[i] for i in (0, 2, 3, 4)) else 0)
    assert "problems 12 (seeds 5..16)" in run.stdout


def test_mix_prints_every_row_and_the_targets_without_cvxpy(tmp_path):
    # CVXPY is hidden (a module that fails to import), so the suite passes without it:
    # its columns print '-', and the MINLPLib row says it is skipped when its file is absent.
    (tmp_path / "cvxpy.py").write_text("raise ImportError('hidden by the test')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(BENCHMARKS.parent)])}
    run = subprocess.run([sys.executable, str(BENCHMARKS / "mix.py"), "--n", "3", "--repeat", "1",
                          "--seed", "1", "--minlplib", str(tmp_path / "absent.jsonl")],
                         capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    assert "CVXPY is not installed" in run.stdout
    for label in ("(1) mix 21-200 nodes", "(2) small <= 20 nodes"):
        row = next(line for line in run.stdout.splitlines() if line.startswith(label + " all"))
        fields = row[len(label + " all"):].split()
        assert fields[0] == "3"                              # every expression timed by dcp
        assert all(float(ms) > 0 for ms in fields[1:4])     # dcp, +hints, first
        assert fields[4:] == ["-", "-", "-", "-"]            # the CVXPY columns
    assert "(3) MINLPLib: skipped" in run.stdout
    assert "(1) mix 21-200 nodes: >= 2x: dcp - (no CVXPY), dcp+hints - (no CVXPY)" in run.stdout
    assert "(2) small <= 20 nodes: >= 1x: dcp - (no CVXPY), dcp+hints - (no CVXPY)" in run.stdout


def test_mix_translates_to_cvxpy_or_says_it_cannot():
    # The CVXPY code is generated as text (no CVXPY needed); an atom CVXPY lacks is
    # refused, never replaced by something else.
    mix = _mix()
    source = mix.cvxpy_source("relu(W @ x) + huber(x, M=0.5) + mean(1 / 2) + y ^ 2", ["x"],
                              ["W >= 0", "y < 0"], {"W": ("a", "b"), "x": ("b",), "y": ()})
    assert "v_W = cp.Parameter((3, 3), nonneg=True)" in source
    assert "v_x = cp.Variable((3,))" in source
    assert "v_y = cp.Parameter((), neg=True)" in source
    steps = ["t0 = v_W @ v_x", "t1 = cp.pos(t0)", "t2 = cp.huber(v_x, 0.5)", "t3 = t1 + t2",
             "t4 = cp.mean(cp.Constant(0.5))", "t5 = t3 + t4", "t6 = cp.power(v_y, 2.0)",
             "t7 = t5 + t6", "return t7"]
    assert [line.strip() for line in source.splitlines()[4:]] == steps
    with pytest.raises(mix.NoTranslation, match="sigmoid"):
        mix.cvxpy_source("sigmoid(x) + relu(x)", ["x"], [], {"x": ()})


def test_mix_writes_an_exact_decimal_as_a_float_literal():
    # A non-dyadic decimal folds to a Fraction; the generated source must be plain Python
    # (it once held ``Fraction(1, 10)``, a NameError counted as "CVXPY refuses").
    mix = _mix()
    source = mix.cvxpy_source("0.1*x + y^0.3 + huber(x, M=0.7)", ["x", "y"], [], {"x": (), "y": ()})
    assert "cp.multiply(0.1, v_x)" in source and "cp.power(v_y, 0.3)" in source
    assert "cp.huber(v_x, 0.7)" in source and "Fraction" not in source
    with pytest.raises(ArgumentError, match="not a rational number"):   # dcp's, not CVXPY's
        mix.cvxpy_source("x ^ (2 ^ 0.5)", ["x"], [], {"x": ()})


def test_mix_judges_the_targets_with_and_without_hints():
    mix = _mix()
    timed = [(mix.Case("x", ["x"], [], True), (1.0, 2.0, 3.0, 6.0)),
             (mix.Case("y", ["y"], [], False), (1.0, 4.0, None, 2.0))]     # CVXPY skipped it
    assert mix.print_rows("t", timed) == (3.0, 1.5)
    assert mix._judge(2.5, 2.0, "dcp") == "dcp 2.50x (met)"
    assert mix._judge(1.5, 2.0, "dcp+hints") == "dcp+hints 1.50x (not met)"
