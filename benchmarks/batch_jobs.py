#!/usr/bin/env python3
"""`dcp batch` with one worker against several, on a few dozen cases. Prints; asserts nothing.

    python benchmarks/batch_jobs.py                    # 48 cases, --jobs 1 against --jobs 2
    python benchmarks/batch_jobs.py --cases 24 --jobs 4 --no-check

Each run is the real command line in a child process, timed from its start to its last
line, so the figures include what a user waits for: starting the workers, their imports
and warm-up, and writing the records. The cases cycle through networks, losses and
products, with the numeric check on unless --no-check; the outputs of the two runs are
compared, since more workers must not change a record.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

#: Cases of the kinds a batch holds, cycled to the requested count.
KINDS = (
    {"expr": "relu(W2 @ relu(W1 @ x))", "wrt": ["W1"], "assume": ["W2 >= 0"]},
    {"expr": "relu(W2 @ relu(W1 @ x))", "wrt": ["W1"]},
    {"expr": "sum_squares(U @ V - M)", "wrt": ["U", "V"]},
    {"expr": "logsumexp(W @ x) - y @ (W @ x)", "wrt": ["W"]},
    {"expr": "sigmoid(x)", "wrt": ["x"], "assume": ["x <= 0"]},
    {"expr": "x * y", "wrt": ["x", "y"]},
    {"expr": "huber(A @ x - b, M=1) + norm(x, p=1)", "wrt": ["x"]},
    {"expr": "exp(a * x) / (1 + exp(a * x))", "wrt": ["x"], "assume": ["a >= 0"]},
)


def cases(count: int) -> list[dict]:
    """``count`` cases, each with its number as its id."""
    return [{"id": i, **KINDS[i % len(KINDS)]} for i in range(count)]


def run_batch(path: Path, jobs: int, no_check: bool) -> tuple[float, str]:
    """Seconds the command line took, and what it wrote."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    command = [sys.executable, "-m", "dcp", "batch", str(path), "--jobs", str(jobs)]
    start = time.perf_counter()
    out = subprocess.run(command + (["--no-check"] if no_check else []), capture_output=True,
                         text=True, env=env, check=False)
    seconds = time.perf_counter() - start
    if out.returncode != 0:
        sys.exit(f"dcp batch --jobs {jobs} failed with status {out.returncode}:\n{out.stderr}")
    return seconds, out.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=48, help="how many cases (default 48)")
    parser.add_argument("--jobs", type=int, default=2, help="workers to compare with one (default 2)")
    parser.add_argument("--no-check", action="store_true", help="rules only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.jsonl"
        path.write_text("".join(json.dumps(case) + "\n" for case in cases(args.cases)))
        one, serial = run_batch(path, 1, args.no_check)
        many, parallel = run_batch(path, args.jobs, args.no_check)
    same = "the same records" if serial == parallel else "DIFFERENT records"
    print(f"dcp batch, {args.cases} cases, check {'off' if args.no_check else 'on'}, "
          f"{os.cpu_count()} CPUs")
    print(f"  --jobs 1    {one:7.2f} s   {one / args.cases * 1000:7.1f} ms a case")
    print(f"  --jobs {args.jobs:<4} {many:7.2f} s   {many / args.cases * 1000:7.1f} ms a case"
          f"   speed-up {one / many:.2f}x   ({same})")


if __name__ == "__main__":
    main()
