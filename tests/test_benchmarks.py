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
