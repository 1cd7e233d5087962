#!/usr/bin/env python3
"""Soundness fuzzing of convex sets (SPEC section 10), the long run.

Each seed draws random polynomial constraints (dcp/testing.py: random_set_case) with
random boxes and certifies them with the check on. The exact referee (judge_set:
rational arithmetic, nothing shared with dcp) re-checks every set witness and, for each
certified set, searches on its own for two feasible points whose mix is infeasible.
Findings: a failing referee check, a SoundnessError, a kernel rejection, a crash. The exit
status is 1 on any of them. Deterministic for a seed.

    python benchmarks/fuzz_sets.py --n 5000
"""
from __future__ import annotations

import argparse
import collections
import random
import sys


def run_one(seed: int) -> tuple[str, list[str]]:
    """``(dcp's outcome with the rules used, findings)`` for one seed."""
    from dcp import DcpError, ProofCheckError, SoundnessError
    from dcp.check import Budget
    from dcp.testing import judge_set, random_set_case

    problem = random_set_case(random.Random(seed))
    try:
        result = problem.certify(check_budget=Budget(presearch_points=512), seed=seed)
    except (SoundnessError, ProofCheckError) as error:
        return type(error).__name__, [f"seed {seed} {problem}: {type(error).__name__}: {error}"]
    except DcpError:
        return "input error", []
    except Exception as error:  # noqa: BLE001 - every crash is a finding
        return "crash", [f"seed {seed} {problem}: {type(error).__name__}: {error}"]
    rules = "+".join(sorted({part.rule or "-" for part in result.constraints}))
    findings = judge_set(problem, result, random.Random(seed))
    return f"{result.verdict} ({rules})", [f"seed {seed} {problem}: {f}" for f in findings]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="how many seeds")
    parser.add_argument("--start", type=int, default=0, help="the first seed")
    args = parser.parse_args()
    outcomes, findings = collections.Counter(), []
    for seed in range(args.start, args.start + args.n):
        outcome, found = run_one(seed)
        outcomes[outcome] += 1
        findings += found
    for outcome, count in outcomes.most_common():
        print(f"{count:6}  {outcome}")
    for finding in findings:
        print("FINDING", finding)
    print(f"{args.n} seeds, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
