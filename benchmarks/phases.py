#!/usr/bin/env python3
"""Where a rules-only certification spends its time, phase by phase. Prints; asserts nothing.

    python benchmarks/phases.py                # MLP L = 1000 and a wide sum K = 1000
    python benchmarks/phases.py --size 100

It profiles ``certify(..., check=False)`` itself (it does not re-create the pipeline, so it
cannot drift from it) and adds up the cumulative time of each phase's entry point. The
profiler slows pure-Python code about twice, evenly enough for the shares to hold; the
absolute figures are in ``scale.py``.
"""
from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale import dcp_rules, mlp_text, wide_text  # noqa: E402

#: Each phase of Session.certify, by the module and name of the function that runs it.
PHASES = (
    ("parse the expression to a tape", "syntax/reader.py", "read_into"),
    ("parse the assumptions", "assumptions.py", "parse_assumption_list"),
    ("intersect the bounds", "assumptions.py", "bounds_from"),
    ("analyse (the rules)", "analysis.py", "analyse"),
    ("check the proof (kernel)", "kernel.py", "check_proof"),
    ("infer shapes", "check/shapes.py", "infer_shapes"),
)
#: Work inside a phase above, shown beneath it: the kernel is the first to ask for the
#: proof's steps in order, so it pays for the walk that puts them in order.
INNER = (("check the proof (kernel)", "of which order the steps", "tape.py", "postorder"),)


def shares(text: str, wrt: str, assume: list[str]) -> tuple[float, dict[str, float]]:
    """The profiled total in seconds, and the cumulative seconds of each phase and of the
    work inside one listed in INNER."""
    dcp_rules(text, wrt, assume)                     # warm the caches, as a session would
    profile = cProfile.Profile()
    profile.runcall(dcp_rules, text, wrt, assume)
    stats = pstats.Stats(profile).stats              # {(file, line, name): (cc, nc, tt, ct, callers)}
    total = max(ct for (_, _, name), (_, _, _, ct, _) in stats.items() if name == "dcp_rules")
    found = {}
    for label, module, function in PHASES + tuple(inner[1:] for inner in INNER):
        times = [ct for (file, _, name), (_, _, _, ct, _) in stats.items()
                 if name == function and file.replace("\\", "/").endswith("dcp/" + module)]
        if not times:
            raise SystemExit(f"dcp/{module} no longer runs {function}(): bring PHASES up to date")
        found[label] = sum(times)
    return total, found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="layers L and terms K (default 1000)")
    args = parser.parse_args()
    mlp, assume = mlp_text(args.size)
    for case, call in ((f"MLP L {args.size}", (mlp, "W1", assume)),
                       (f"wide sum K {args.size}", (wide_text(args.size), "w", []))):
        total, found = shares(*call)
        print(f"{case}: {total * 1000:.0f} ms under the profiler")
        for label, _, _ in PHASES:
            print(f"  {label:<31}{found[label] * 1000:8.1f} ms  {found[label] / total:6.1%}")
            for outer, inner, _, _ in INNER:
                if outer == label:
                    print(f"    {inner:<29}{found[inner] * 1000:8.1f} ms  {found[inner] / total:6.1%}")
        rest = total - sum(found[label] for label, _, _ in PHASES)
        print(f"  {'everything else':<31}{rest * 1000:8.1f} ms  {rest / total:6.1%}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
