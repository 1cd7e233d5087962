"""Soundness, fuzzed: on random problems over the atom registry, whatever the rules
certify survives the numeric check (certify raises SoundnessError otherwise).

A long run: ``python benchmarks/fuzz_soundness.py --n 100000``.
"""
from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import DcpError, certify
from dcp.check import Budget
from dcp.testing import random_problem

FAST = Budget(presearch_points=256, examples=5)


# Inside a Hypothesis test, certify() runs the numpy pre-search only (Hypothesis cannot
# nest); benchmarks/fuzz_soundness.py runs the whole check. random_problem mixes in the
# attack classes of dcp/testing.py (tests/test_attacks.py runs each through the referee).
@settings(max_examples=200, deadline=None)
@given(st.randoms(use_true_random=False))
def test_certified_verdicts_survive_the_check(rng: random.Random):
    expression, wrt, assume = random_problem(rng)
    try:
        result = certify(expression, wrt=wrt, assume=assume, check_budget=FAST)
    except DcpError:
        return                     # e.g. contradictory shapes: not a soundness question
    if result.curvature.is_convex:
        assert result.is_convex is True
    if result.curvature.is_concave:
        assert result.is_concave is True
