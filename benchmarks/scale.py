#!/usr/bin/env python3
"""Speed and memory at scale, side by side with CVXPY. Prints its figures; asserts nothing.

    python benchmarks/scale.py                 # everything (CVXPY rows if it is installed)
    python benchmarks/scale.py --quick         # smaller sizes
    python benchmarks/scale.py --corpus ../shared/corpus/public.jsonl

(a) rules-only certification from text of an MLP ``sum(relu(W_L @ ... relu(W1 @ x)))``
    with ``W2..W_L >= 0`` in W1, and of a wide sum ``square(a_1 @ w - b_1) + ...``, each
    beside CVXPY building the same expression from Python objects and calling is_dcp();
(b) time per node from 10^2 to 10^5 nodes; (c) peak memory at 10^5 nodes;
(d) certify with the numeric check over a case file: the distribution of time per case;
(e) the fixed costs a user feels: ``import dcp`` (``python -X importtime``), the command
    line end to end with ``--no-check``, and rendering the proof of a 10,000-term sum.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.setrecursionlimit(1_000_000)     # CVXPY's tree walks recurse (see cvxpy_row)


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


def timed(function, *args, repeat: int = 1):
    """The best of ``repeat`` runs (the machine's noise only ever adds), and the value."""
    best, value = float("inf"), None
    for _ in range(repeat):
        value = None                    # the last run's value is freed before the clock starts
        started = time.perf_counter()
        value = function(*args)
        best = min(best, time.perf_counter() - started)
    return best, value


def dcp_rules(text: str, wrt: str, assume: list[str]):
    from dcp import certify
    return certify(text, wrt=wrt, assume=assume, check=False)


def cvxpy_build_and_check(builder, size):
    try:
        expression = builder(size)
        return expression.is_dcp()
    except RecursionError:
        return "RecursionError"


def cvxpy_row(kind: str, size: int, repeat: int) -> tuple[float | None, str]:
    """CVXPY's best time and answer, measured in a child process: its tree walks recurse,
    and at 10,000 levels they overflow the C stack of an ordinary thread."""
    import subprocess
    run = subprocess.run([sys.executable, __file__, "--cvxpy-row", kind, str(size), str(repeat)],
                         capture_output=True, text=True)
    if run.returncode != 0:
        return None, f"cvxpy crashed (exit {run.returncode})"
    answer = json.loads(run.stdout.strip().splitlines()[-1])
    return answer["seconds"], f"cvxpy dcp={answer['dcp']}"


def _cvxpy_child(kind: str, size: int, repeat: int) -> None:
    import threading
    builder = mlp_cvxpy if kind == "mlp" else wide_cvxpy
    cvxpy_build_and_check(builder, 2)                  # imports, outside the timing
    answer = {}

    def measure():
        answer["seconds"], answer["dcp"] = timed(cvxpy_build_and_check, builder, size, repeat=repeat)

    threading.stack_size(1 << 29)                      # room for deep recursion
    thread = threading.Thread(target=measure)
    thread.start()
    thread.join()
    print(json.dumps({"seconds": answer["seconds"], "dcp": str(answer["dcp"])}))


TARGET_RATIO = 5.0          # at least 5x faster than CVXPY from L = 100 and K = 100
TARGET_GROWTH = 1.3         # time per node at 10^5 nodes over that at 10^3
TARGET_MIB = 60             # peak memory at 10^5 nodes
TARGET_IMPORT_MS = 150      # import dcp
TARGET_CLI_S = 0.3          # dcp certify ... --no-check, end to end
TARGET_RENDER_S = 1.0       # the rendered proof of a 10,000-term sum


def table_a(sizes_l, sizes_k, with_cvxpy: bool) -> list[float]:
    """Returns the ratios of the rows the target applies to."""
    print("(a) rules-only certification from text, beside CVXPY build + is_dcp() "
          "(best of 3 each)")
    print(f"{'case':<18}{'dcp s':>10}{'cvxpy s':>10}{'cvxpy/dcp':>11}  verdicts")
    ratios = []
    for kind, sizes in (("MLP L", sizes_l), ("wide sum K", sizes_k)):
        for size in sizes:
            repeat = 3 if size <= 1000 else 1
            if kind == "MLP L":
                text, assume = mlp_text(size)
                seconds, result = timed(dcp_rules, text, "W1", assume, repeat=repeat)
            else:
                seconds, result = timed(dcp_rules, wide_text(size), "w", [], repeat=repeat)
            other, ratio, verdict = "-", "-", ""
            if with_cvxpy:
                other_seconds, verdict = cvxpy_row("mlp" if kind == "MLP L" else "wide", size, repeat)
                if other_seconds is not None:
                    other = f"{other_seconds:.3f}"
                    ratio = f"{other_seconds / seconds:.2f}x"
                    if size >= 100:
                        ratios.append(other_seconds / seconds)
            print(f"{kind + ' ' + str(size):<18}{seconds:>10.3f}{other:>10}{ratio:>11}  "
                  f"dcp {result.verdict}; {verdict}")
    return ratios


def _relu_sum(nodes: int) -> str:
    terms = max(1, nodes // 5)          # relu(a_i @ w) + ...: five nodes a term
    return " + ".join(f"relu(a{i} @ w)" for i in range(terms))


def table_b(node_counts) -> float:
    """Returns time per node at the largest size over that at 10^3."""
    print("\n(b) time per node (rules only, a wide sum of relu terms)")
    per_node = {}
    for nodes in node_counts:
        seconds, result = timed(dcp_rules, _relu_sum(nodes), "w", [], repeat=3)
        per_node[nodes] = seconds / nodes * 1e6
        print(f"  {nodes:>7} nodes  {len(result.proof):>7} steps  {seconds:8.3f} s  "
              f"{per_node[nodes]:6.1f} us/node")
    largest = max(node_counts)
    growth = per_node[largest] / per_node.get(1000, per_node[min(node_counts)])
    print(f"  time per node at {largest} nodes is {growth:.2f}x that at 1000 (target at most {TARGET_GROWTH}x)")
    return growth


def table_c(nodes: int) -> float:
    text = _relu_sum(nodes)
    tracemalloc.start()
    dcp_rules(text, "w", [])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    mib = peak / 2**20
    print(f"\n(c) peak memory certifying {nodes} nodes: {mib:.0f} MiB (tracemalloc; target at most "
          f"{TARGET_MIB} MiB at 10^5 nodes)")
    return mib


def _cases(path: Path):
    if path.suffix == ".jsonl":
        cases = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return [(c["expr"], c["wrt"], c.get("assume", [])) for c in cases]
    cases = []
    for line in path.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            expr, wrt, assume, *_ = [f.strip() for f in line.split(";")]
            cases.append((expr, [w.strip() for w in wrt.split(",") if w.strip()],
                          [a.strip() for a in assume.split(",") if a.strip()]))
    return cases


def table_d(path: Path) -> float:
    from dcp import DcpError, certify
    certify("relu(x)", wrt="x")                 # warm up imports
    times = []
    for expr, wrt, assume in _cases(path):
        started = time.perf_counter()
        try:
            certify(expr, wrt, assume)
        except DcpError:
            pass                                # error cases are timed too
        times.append(time.perf_counter() - started)
    quantiles = statistics.quantiles(times, n=10)
    median = statistics.median(times)
    print(f"\n(d) certify with the numeric check over {len(times)} cases from {path.name}:")
    print(f"  median {median * 1000:.0f} ms (target at most 500 ms), p10 {quantiles[0] * 1000:.0f} ms, "
          f"p90 {quantiles[-1] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms, total {sum(times):.1f} s")
    return median


def table_e() -> tuple[float, float, float]:
    """``import dcp`` in ms (the median of 5 fresh interpreters), the command line end to
    end in seconds (median of 5), and rendering a 10,000-term proof in seconds."""
    import subprocess
    root = Path(__file__).resolve().parent.parent
    imports, runs = [], []
    for _ in range(5):
        run = subprocess.run([sys.executable, "-X", "importtime", "-c", "import dcp"], cwd=root,
                             capture_output=True, text=True, check=True)
        line = next(l for l in run.stderr.splitlines() if l.rstrip().endswith("| dcp"))
        imports.append(int(line.split("|")[1]) / 1000)          # cumulative microseconds
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "dcp", "certify", "relu(W2 @ relu(W1 @ x))", "--wrt", "W2",
                        "--no-check"], cwd=root, capture_output=True, check=True)
        runs.append(time.perf_counter() - started)
    from dcp import certify
    result = certify(" + ".join(["x"] * 10_000), wrt="x", check=False)
    started = time.perf_counter()
    result.explain()
    render = time.perf_counter() - started
    print(f"\n(e) import dcp {statistics.median(imports):.0f} ms; `dcp certify ... --no-check` end to end "
          f"{statistics.median(runs):.2f} s; the proof of a 10,000-term sum rendered in {render:.2f} s")
    return statistics.median(imports), statistics.median(runs), render


def _default_corpus() -> Path:
    root = Path(__file__).resolve().parent.parent
    public = root.parent / "shared" / "corpus" / "public.jsonl"
    return public if public.exists() else root / "tests" / "fixtures" / "verdicts.txt"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes")
    parser.add_argument("--corpus", type=Path, default=_default_corpus(),
                        help="cases for (d): a .jsonl corpus or a verdicts fixture file")
    parser.add_argument("--cvxpy-row", nargs=3, metavar=("KIND", "SIZE", "REPEAT"),
                        help=argparse.SUPPRESS)       # the child process of cvxpy_row()
    args = parser.parse_args()
    if args.cvxpy_row:
        kind, size, repeat = args.cvxpy_row
        _cvxpy_child(kind, int(size), int(repeat))
        return 0
    try:
        import cvxpy  # noqa: F401
        with_cvxpy = True
    except ImportError:
        print("CVXPY is not installed (pip install cvxpy): its columns are left empty\n")
        with_cvxpy = False
    dcp_rules("relu(x)", "x", [])               # imports and first use, outside the timings
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10000]
    ratios = table_a(sizes, sizes, with_cvxpy)
    growth = table_b([100, 1000, 10000] if args.quick else [100, 1000, 10000, 100000])
    memory = table_c(10000 if args.quick else 100000)
    median = table_d(args.corpus)
    import_ms, cli_s, render_s = table_e()
    print("\ntargets:")
    if ratios:
        print(f"  >= {TARGET_RATIO:g}x CVXPY from L, K = 100: worst row {min(ratios):.2f}x "
              f"({'met' if min(ratios) >= TARGET_RATIO else 'not met'})")
    print(f"  time per node growth <= {TARGET_GROWTH}x: {growth:.2f}x "
          f"({'met' if growth <= TARGET_GROWTH else 'not met'})")
    print(f"  peak memory <= {TARGET_MIB} MiB: {memory:.0f} MiB ({'met' if memory <= TARGET_MIB else 'not met'})")
    print(f"  median certify with the check <= 0.5 s: {median:.3f} s "
          f"({'met' if median <= 0.5 else 'not met'})")
    for label, value, target, unit in (("import dcp", import_ms, TARGET_IMPORT_MS, " ms"),
                                       ("command line --no-check", cli_s, TARGET_CLI_S, " s"),
                                       ("render a 10,000-term proof", render_s, TARGET_RENDER_S, " s")):
        print(f"  {label} <= {target:g}{unit}: {value:.3g}{unit} ({'met' if value <= target else 'not met'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
