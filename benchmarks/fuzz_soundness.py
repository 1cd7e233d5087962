#!/usr/bin/env python3
"""Soundness fuzzing, the long run: random problems over the atom registry, each
certified with the numeric check on. Prints the counts; any soundness violation (a
certified verdict refuted by a confirmed witness) or kernel rejection is listed.

    python benchmarks/fuzz_soundness.py --n 100000 --jobs 2
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing
import random
import sys
import time


def run_one(seed: int):
    from dcp import DcpError, ProofCheckError, SoundnessError, certify
    from dcp.check import Budget
    from dcp.testing import random_problem

    expression, wrt, assume = random_problem(random.Random(seed))
    budget = Budget(presearch_points=512, examples=10, seconds=0.2)
    try:
        result = certify(expression, wrt=wrt, assume=assume, check_budget=budget, seed=seed)
    except SoundnessError as error:
        return "soundness violation", f"{seed}: {expression} wrt {wrt} {assume}: {error}"
    except ProofCheckError as error:
        return "kernel rejection", f"{seed}: {expression} wrt {wrt} {assume}: {error}"
    except DcpError:
        return "input error", None
    except Exception as error:  # noqa: BLE001 - every crash is a finding
        return "crash", f"{seed}: {expression} wrt {wrt} {assume}: {type(error).__name__}: {error}"
    if result.curvature.is_known:
        return f"certified {result.curvature}", None
    return ("refuted" if result.is_convex is False else "unknown"), None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="number of random problems")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    args = parser.parse_args()

    started = time.perf_counter()
    counts: collections.Counter = collections.Counter()
    findings = []
    seeds = range(args.seed, args.seed + args.n)
    with multiprocessing.Pool(args.jobs) as pool:
        for kind, detail in pool.imap_unordered(run_one, seeds, chunksize=20):
            counts[kind] += 1
            if detail:
                findings.append(detail)
    elapsed = time.perf_counter() - started
    for finding in findings[:50]:
        print(finding)
    print(f"problems {args.n}  " + "  ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    bad = counts["soundness violation"] + counts["kernel rejection"] + counts["crash"]
    print(f"soundness violations {counts['soundness violation']}  kernel rejections "
          f"{counts['kernel rejection']}  crashes {counts['crash']}  time {elapsed:.0f}s "
          f"({elapsed / max(args.n, 1) * 1000:.0f} ms per problem, {args.jobs} jobs)")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
