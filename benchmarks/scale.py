#!/usr/bin/env python3
"""Speed and memory at scale, side by side with CVXPY. Prints its figures; asserts nothing.

    python benchmarks/scale.py                 # everything (CVXPY rows if it is installed)
    python benchmarks/scale.py --quick         # smaller sizes
    python benchmarks/scale.py --corpus ../shared/corpus/public.jsonl

(a) rules-only certification from text of an MLP ``sum(relu(W_L @ ... relu(W1 @ x)))``
    with ``W2..W_L >= 0`` in W1, and of a wide sum ``square(a_1 @ w - b_1) + ...``, each
    beside CVXPY building the same expression from Python objects and calling is_dcp();
(b) time per node from 10^2 to 10^5 nodes; (c) peak memory at 10^5 nodes;
(d) certify with the numeric check over a case file: the distribution of time per case.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.setrecursionlimit(1_000_000)     # CVXPY's tree walks recurse


def mlp_text(layers: int) -> tuple[str, list[str]]:
    text = "W1 @ x"
    for i in range(2, layers + 1):
        text = f"W{i} @ relu({text})"
    return f"sum(relu({text}))", [f"W{i} >= 0" for i in range(2, layers + 1)]


def wide_text(terms: int) -> str:
    return " + ".join(f"square(a{i} @ w - b{i})" for i in range(1, terms + 1))


def mlp_cvxpy(layers: int, n: int = 3):
    import cvxpy as cp
    import numpy as np
    expression = cp.Variable((n, n)) @ np.ones(n)
    for _ in range(2, layers + 1):
        expression = cp.Parameter((n, n), nonneg=True) @ cp.pos(expression)
    return cp.sum(cp.pos(expression))


def wide_cvxpy(terms: int, n: int = 3):
    import cvxpy as cp
    w = cp.Variable(n)
    total = 0
    for _ in range(terms):
        total = total + cp.square(cp.Parameter(n) @ w - cp.Parameter())
    return total


def timed(function, *args):
    started = time.perf_counter()
    value = function(*args)
    return time.perf_counter() - started, value


def dcp_rules(text: str, wrt: str, assume: list[str]):
    from dcp import certify
    return certify(text, wrt=wrt, assume=assume, check=False)


def cvxpy_build_and_check(builder, size):
    try:
        expression = builder(size)
        return expression.is_dcp()
    except RecursionError:
        return "RecursionError"


def table_a(sizes_l, sizes_k, with_cvxpy: bool) -> None:
    print("(a) rules-only certification from text, beside CVXPY build + is_dcp()")
    print(f"{'case':<18}{'dcp s':>10}{'cvxpy s':>10}{'cvxpy/dcp':>11}  verdicts")
    for kind, sizes in (("MLP L", sizes_l), ("wide sum K", sizes_k)):
        for size in sizes:
            if kind == "MLP L":
                text, assume = mlp_text(size)
                seconds, result = timed(dcp_rules, text, "W1", assume)
                builder = mlp_cvxpy
            else:
                seconds, result = timed(dcp_rules, wide_text(size), "w", [])
                builder = wide_cvxpy
            other, ratio, verdict = "-", "-", ""
            if with_cvxpy:
                other_seconds, ok = timed(cvxpy_build_and_check, builder, size)
                other = f"{other_seconds:.3f}"
                ratio = f"{other_seconds / seconds:.2f}x"
                verdict = f"cvxpy dcp={ok}"
            print(f"{kind + ' ' + str(size):<18}{seconds:>10.3f}{other:>10}{ratio:>11}  "
                  f"dcp {result.verdict}; {verdict}")


def table_b(node_counts) -> None:
    print("\n(b) time per node (rules only, a wide sum of relu terms)")
    base = None
    for nodes in node_counts:
        terms = max(1, nodes // 5)          # relu(a_i @ w) + ...: about 5 nodes a term
        text = " + ".join(f"relu(a{i} @ w)" for i in range(terms))
        seconds, result = timed(dcp_rules, text, "w", [])
        count = len(result.proof)
        per = seconds / count * 1e6
        base = base or per
        print(f"  {count:>7} steps  {seconds:8.3f} s  {per:7.1f} us/step  ({per / base:.2f}x the first row)")


def table_c(nodes: int) -> None:
    terms = nodes // 5
    text = " + ".join(f"relu(a{i} @ w)" for i in range(terms))
    tracemalloc.start()
    dcp_rules(text, "w", [])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"\n(c) peak memory certifying {nodes} nodes: {peak / 2**20:.0f} MiB (tracemalloc)")


def table_d(path: Path) -> None:
    from dcp import certify
    cases = []
    if path.suffix == ".jsonl":
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        cases = [(c["expr"], c["wrt"], c.get("assume", [])) for c in cases]
    else:
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                expr, wrt, assume, *_ = [f.strip() for f in line.split(";")]
                cases.append((expr, [w.strip() for w in wrt.split(",") if w.strip()],
                              [a.strip() for a in assume.split(",") if a.strip()]))
    certify("relu(x)", wrt="x")                 # warm up imports
    times = []
    for expr, wrt, assume in cases:
        seconds, _ = timed(certify, expr, wrt, assume)
        times.append(seconds)
    quantiles = statistics.quantiles(times, n=10)
    print(f"\n(d) certify with the numeric check over {len(times)} cases from {path.name}:")
    print(f"  median {statistics.median(times) * 1000:.0f} ms, p10 {quantiles[0] * 1000:.0f} ms, "
          f"p90 {quantiles[-1] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, total {sum(times):.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--corpus", type=Path,
                        default=Path(__file__).parent.parent / "tests" / "fixtures" / "verdicts.txt")
    args = parser.parse_args()
    try:
        import cvxpy  # noqa: F401
        with_cvxpy = True
    except ImportError:
        print("CVXPY is not installed (pip install cvxpy): its columns are left empty\n")
        with_cvxpy = False
    dcp_rules("relu(x)", "x", [])               # build the parser once, outside the timings
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10000]
    table_a(sizes, sizes, with_cvxpy)
    table_b([100, 1000, 10000] if args.quick else [100, 1000, 10000, 100000])
    table_c(10000 if args.quick else 100000)
    table_d(args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
