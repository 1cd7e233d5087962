"""Soundness fuzzing of convex sets, the fast profile (benchmarks/fuzz_sets.py runs long):
random polynomial constraints and boxes, each result judged by an exact referee."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from fuzz_sets import run_one  # noqa: E402


def test_random_constraint_sets_are_sound():
    outcomes, findings = set(), []
    for seed in range(120):
        outcome, found = run_one(seed)
        outcomes.add(outcome.split(" ")[0])
        findings += found
    assert findings == []
    assert {"convex", "nonconvex", "unknown"} <= outcomes     # every verdict is reached


def test_the_cone_and_the_dqcp_level_set_are_reached_and_judged():
    outcomes = {run_one(seed)[0] for seed in range(120)}
    assert any("rotated cone" in outcome for outcome in outcomes)
    assert any("convex (DQCP level set" in outcome for outcome in outcomes)
