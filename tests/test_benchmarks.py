"""The benchmark scripts still run against the code they measure (their figures are
printed, never asserted: see benchmarks/)."""
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


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
