#!/usr/bin/env python3
"""Soundness fuzzing, the long run, judged by an independent referee.

Each seed draws one problem (a random tree or an attack class, see dcp/testing.py) and
certifies it with the numeric check on. Then the referee (dcp/testing_referee.py, which
shares nothing with dcp's check) re-verifies every witness dcp reports with arb ball
arithmetic, and searches on its own for a proved violation of every certified claim.

Findings, each listed: soundness violations (dcp's SoundnessError whose witness the
referee proves, and violations the referee finds itself), bogus witnesses (including a
SoundnessError whose witness does not hold), kernel rejections, crashes (exceptions
other than DcpError, in dcp or in the referee). The exit status is 1 on any of them.
Deterministic for a seed.

    python benchmarks/fuzz_soundness.py --n 10000 --jobs 2
"""
from __future__ import annotations

import argparse
import collections
import multiprocessing
import random
import sys
import time

#: dcp's own check, kept small (the referee searches too), and counted in trials, not
#: seconds, so that a run is the same for a seed.
BUDGET = dict(presearch_points=512, examples=10)
BAD = ("soundness violation", "bogus witness", "kernel rejection", "crash")


def run_one(seed: int) -> tuple[str, str, list[tuple[str, str]], bool]:
    """``(attack, dcp's outcome, findings, referee skipped)`` for one seed."""
    from dcp import DcpError, ProofCheckError, SoundnessError
    from dcp.check import Budget
    from dcp.testing import random_case

    problem = random_case(random.Random(seed))
    where = f"seed {seed} {problem}"
    result, witnesses, findings = None, [], []
    try:
        result = problem.certify(check_budget=Budget(**BUDGET), seed=seed)
        outcome = (f"certified {result.curvature}" if result.curvature.is_known else
                   f"certified {result.proof.quasi}" if result.proof.quasi.is_known else
                   "refuted" if result.is_convex is False else "unknown")
    except SoundnessError as error:
        outcome, witnesses = "SoundnessError", [error.witness]
    except ProofCheckError as error:
        return problem.attack, "kernel rejection", [("kernel rejection", f"{where}: {error}")], False
    except DcpError:
        return problem.attack, "input error", [], False
    except Exception as error:  # noqa: BLE001 - every crash is a finding
        return problem.attack, "crash", [("crash", f"{where}: {type(error).__name__}: {error}")], False
    try:
        judged = _judge(problem, result, witnesses, seed)
    except Exception as error:  # noqa: BLE001 - the referee's own crash is a finding too
        return problem.attack, outcome, [("crash", f"referee on {where}: {type(error).__name__}: {error}")], False
    if outcome == "SoundnessError" and not judged.bogus:
        # Never silent: unless its witness is bogus, a SoundnessError is a violation.
        how = "witness proved" if judged.skipped is None else f"referee skipped: {judged.skipped}"
        findings.append(("soundness violation", f"{where}: dcp's SoundnessError, {how}"))
    findings += [("soundness violation", f"{where}: referee: {v}") for v in judged.violations]
    findings += [("bogus witness", f"{where}: {w}") for w in judged.bogus]
    return problem.attack, outcome, findings, judged.skipped is not None


def _judge(problem, result, witnesses, seed):
    from dcp.testing_referee import audit
    return audit(problem.expression, problem.wrt, problem.assume, problem.defines,
                 result=result, witnesses=witnesses, seed=seed)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=1000, help="number of random problems")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--show", type=int, default=50, help="findings listed per kind")
    args = parser.parse_args()

    started = time.perf_counter()
    outcomes: collections.Counter = collections.Counter()
    attacks: collections.Counter = collections.Counter()
    found: dict[str, list[str]] = collections.defaultdict(list)
    troubled: collections.Counter = collections.Counter()       # problems with findings, by class
    skipped = 0
    seeds = range(args.seed, args.seed + args.n)
    with multiprocessing.Pool(args.jobs) as pool:
        # imap (ordered), so the listing is the same for a seed whatever the timing.
        for attack, outcome, findings, skip in pool.imap(run_one, seeds, chunksize=10):
            outcomes[outcome] += 1
            attacks[attack] += 1
            skipped += skip
            troubled[attack] += bool(findings)
            for kind, detail in findings:
                found[kind].append(detail)
    elapsed = time.perf_counter() - started
    for kind in BAD:
        for detail in found[kind][:args.show]:
            print(f"{kind}: {detail}")
    print(f"problems {args.n} (seeds {args.seed}..{args.seed + args.n - 1})")
    print("attack classes: " + ", ".join(f"{k} {v}" for k, v in sorted(attacks.items())))
    print("dcp outcomes:   " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    print("with findings:  " + (", ".join(f"{k} {v}" for k, v in sorted(troubled.items()) if v) or "none"))
    print(f"soundness violations {len(found['soundness violation'])} (dcp's SoundnessError "
          f"{outcomes['SoundnessError']})  bogus witnesses {len(found['bogus witness'])}  "
          f"kernel rejections {len(found['kernel rejection'])}  crashes {len(found['crash'])}  "
          f"referee skips {skipped}")
    print(f"time {elapsed:.0f}s ({elapsed / max(args.n, 1) * 1000:.0f} ms per problem, {args.jobs} jobs)")
    return 1 if any(found[kind] for kind in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
