#!/usr/bin/env python3
"""dcp beside CVXPY on the work users send: random and small expressions, MINLPLib
constraints. Prints its figures and the targets of issue 15; asserts nothing.

    python benchmarks/mix.py                  # 200 expressions a bucket, 5 repetitions each
    python benchmarks/mix.py --quick          # 40 a bucket, 3 repetitions
    python benchmarks/mix.py --n 500 --seed 7

Rows:
(1) the mix: random expressions of 21-200 nodes (counted as dcp's parser counts distinct
    subexpressions), drawn with a seeded generator over the atoms CVXPY also has: trees
    built by the DCP rules, half of them with subtrees of the wrong curvature (a slip at
    10% of the subtrees), under random sign assumptions, so that most are certified and
    some not;
(2) small expressions of at most 20 nodes, drawn the same way;
(3) the constraint functions of the MINLPLib sample (``--minlplib``; skipped when the
    file is absent).

For each expression, times are the median of ``--repeat`` runs after one warm-up run,
with the cyclic garbage collector off for both tools (collected between expressions):
- dcp: ``certify(text, wrt, assume, check=False)``, from text to verdict with its proof
  (re-checked by the kernel); the hints are not read (they are searched lazily);
- dcp+hints: the same, then ``result.hints`` is read, as the REPL and the CLI do;
- dcp first: the first certification of the expression, once, in a process that has
  certified the expressions drawn before it: what dcp remembers across calls (an atom's
  facts on some ranges, a built-in call's resolution, a composition's conclusion) helps
  only as far as other expressions asked the same, not from the timed repetitions;
- cvxpy: build the same expression afresh from Python objects (a variable per name in
  ``wrt``, a ``cvxpy.Parameter`` per other name, with the sign its assumptions give and
  the shape dcp infers, free dimensions of size 3) and call ``is_dcp()``.
The CVXPY code is generated as Python source once, before timing, so its time is only
what a user's own script would spend. An expression using an atom CVXPY lacks (sigmoid,
tanh, ...) or one CVXPY refuses to build is skipped and counted, never mistranslated.

The ratio columns are medians over the expressions of the per-expression ratio
cvxpy time / dcp time, by dcp's outcome (certified or not) and overall; the targets are
judged on both dcp columns. Without CVXPY installed its columns print '-'.
"""
from __future__ import annotations

import argparse
import gc
import json
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {"mix": 2.0, "small": 1.0}      # issue 15: cvxpy/dcp at least this, as medians
FREE_SIZE = 3                             # the size of a dimension dcp leaves free
#: The MINLPLib sample beside the repository (``../shared``), or beside the checkout that
#: holds it when the repository is a worktree in a subfolder.
MINLPLIB = next((folder / "shared" / "corpus" / "minlplib_public.jsonl" for folder in ROOT.parents
                 if (folder / "shared" / "corpus" / "minlplib_public.jsonl").exists()),
                ROOT.parent / "shared" / "corpus" / "minlplib_public.jsonl")

# ---- the generator -----------------------------------------------------------------------

VARIABLES = ("x", "y")
PARAMETERS = ("c", "d")
ASSUMPTIONS = ("{} >= 0", "{} <= 0", "0 <= {} <= 1", "{} >= 1", "{} > 0", "-2 <= {} <= -1")
NUMBERS = ("0", "1", "2", "0.5", "3")
POSITIVE = ("2", "0.5", "3")
#: Templates by the curvature they build from arguments of the curvature named in
#: ``{...}``: an expression a user writes is mostly built by the rules, so most are
#: certified; a subtree of the wrong curvature now and then (a slip) makes the rest.
BUILD = {
    "affine": ("({affine} + {affine})", "({affine} - {affine})", "(c * {affine})",
               "({affine} / 2)", "sum({affine})", "mean({affine})", "-{affine}"),
    "convex": ("({convex} + {convex})", "({convex} - {concave})", "({positive} * {convex})",
               "maximum({convex}, {convex})", "max({convex})", "sum({convex})",
               "square({affine})", "abs({affine})", "exp({convex})", "relu({convex})",
               "softplus({convex})", "logsumexp({convex})", "norm2({affine})",
               "norm1({affine})", "norm_inf({affine})", "sum_squares({affine})",
               "huber({affine}, M=0.5)", "quad_over_lin({affine}, 2)", "inv_pos({concave})",
               "{affine} ^ 2", "power({affine}, 4)", "norm({affine}, p=3)", "-{concave}"),
    "concave": ("({concave} + {concave})", "({concave} - {convex})", "({positive} * {concave})",
                "minimum({concave}, {concave})", "min({concave})", "sum({concave})",
                "log({concave})", "sqrt({concave})", "log1p({concave})", "entr({affine})",
                "{concave} ^ 0.5", "-{convex}"),
}
CURVATURES = tuple(BUILD)


def _expression(rng: random.Random, depth: int, want: str, slips: float) -> str:
    """A random tree meant to be ``want`` (one of :data:`CURVATURES`); each subtree is
    meant for a random curvature instead with probability ``slips``."""
    if rng.random() < slips:
        want = rng.choice(CURVATURES)
    if depth == 0 or rng.random() < 0.15:
        pick = rng.random()
        return rng.choice(VARIABLES if pick < 0.6 else PARAMETERS if pick < 0.85 else NUMBERS)
    template = rng.choice(BUILD[want])
    return template.format_map(_Arguments(rng, depth - 1, slips))


class _Arguments(dict):
    """Fills a template's ``{curvature}`` slots with fresh subtrees."""

    def __init__(self, rng, depth, slips):
        super().__init__()
        self.rng, self.depth, self.slips = rng, depth, slips

    def __missing__(self, want):
        if want == "positive":
            return self.rng.choice(POSITIVE)
        return _expression(self.rng, self.depth, want, self.slips)


def random_case(rng: random.Random, depth: int) -> tuple[str, list[str], list[str]]:
    """``(expression, wrt, assume)`` with at least one variable; each name bounded or not.
    Half the cases are built without a slip; the others slip at 10% of the subtrees."""
    import re
    slips = 0.0 if rng.random() < 0.5 else 0.1
    text = _expression(rng, depth, rng.choice(CURVATURES), slips)

    def mentions(name):
        return re.search(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])", text) is not None
    while not any(mentions(v) for v in VARIABLES):
        text = f"({text} + {rng.choice(VARIABLES)})"
    present = [v for v in VARIABLES if mentions(v)]
    wrt = rng.sample(present, rng.randint(1, len(present)))
    assume = [rng.choice(ASSUMPTIONS).format(n) for n in VARIABLES + PARAMETERS
              if mentions(n) and rng.random() < 0.6]
    return text, wrt, assume


# ---- the translation to CVXPY ------------------------------------------------------------


class NoTranslation(Exception):
    """The expression uses something CVXPY does not have."""


CALLS = {"relu": "cp.pos", "abs": "cp.abs", "square": "cp.square", "exp": "cp.exp",
         "log": "cp.log", "log1p": "cp.log1p", "sqrt": "cp.sqrt", "inv_pos": "cp.inv_pos",
         "softplus": "cp.logistic", "entr": "cp.entr", "maximum": "cp.maximum",
         "minimum": "cp.minimum", "max": "cp.max", "min": "cp.min", "sum": "cp.sum",
         "mean": "cp.mean", "trace": "cp.trace", "logsumexp": "cp.log_sum_exp",
         "norm1": "cp.norm1", "norm2": "cp.norm2", "norm_inf": "cp.norm_inf",
         "sum_squares": "cp.sum_squares", "quad_over_lin": "cp.quad_over_lin",
         "dot": "cp.vdot"}
#: Atoms whose keyword becomes CVXPY's positional argument, with dcp's default.
WITH_NUMBER = {"huber": ("cp.huber", "M", 1.0), "power": ("cp.power", "p", None),
               "norm": ("cp.norm", "p", 2.0)}


def _statements(root) -> list[str]:
    """CVXPY code for a dcp expression tree: one assignment ``t<k> = ...`` per operation,
    children first, the last one the whole expression (names are prefixed ``v_``; numeric
    constants are folded). Flat, because Python refuses to compile a few hundred nested
    parentheses, which a long sum of MINLPLib terms is."""
    from dcp.syntax.ast import Name, walk_postorder
    code, lines = {}, []
    for node in walk_postorder(root):
        value = _constant(node)
        if value is not None or type(node) is Name:
            code[id(node)] = _literal(value) if value is not None else f"v_{node.id}"
            continue
        text = _operation(node, lambda child: code[id(child)])
        code[id(node)] = f"t{len(lines)}"
        lines.append(f"t{len(lines)} = {text}")
    if not lines:                   # a lone name or number
        whole = code[id(root)]
        lines.append(f"t0 = {whole}" if type(root) is Name else f"t0 = cp.Constant({whole})")
    return lines


def _constant(node) -> float | Fraction | None:
    """The exact value of a numeric constant subtree, or None: when it is not one, and when
    dcp refuses to fold it (an irrational ``2 ^ 0.5``), which CVXPY then computes from its
    parts."""
    from dcp import DcpError
    from dcp.syntax.ast import fold_constant
    try:
        return fold_constant(node)
    except DcpError:
        return None


def _literal(value: float | Fraction) -> str:
    """Python source for a constant: the nearest float (``Fraction(1, 10)`` is ``0.1``)."""
    value = float(value)
    return repr(value) if abs(value) != float("inf") else f"float('{value}')"


def _number(node) -> str:
    """An exponent or keyword value: a constant dcp folds (a refusal, :class:`DcpError`,
    propagates: it is dcp's, not a missing CVXPY atom)."""
    from dcp.syntax.ast import fold_constant
    value = fold_constant(node)
    if value is None:
        raise NoTranslation("an exponent or keyword that is not a number")
    return _literal(value)


def _operation(node, code) -> str:
    """One operation of ``node`` on its children's code (``code(child)``)."""
    from dcp.syntax import ast
    kind = type(node)
    if kind is ast.Unary:
        return f"{node.op}{code(node.operand)}"
    if kind is ast.Transpose:
        return f"{code(node.operand)}.T"
    if kind is ast.Index:
        return f"{code(node.operand)}[{', '.join(map(str, node.indices))}]"
    if kind is ast.Vector:
        return f"cp.hstack([{', '.join(code(item) for item in node.items)}])"
    if kind is ast.Binary and node.op == "^":
        return f"cp.power({code(node.left)}, {_number(node.right)})"
    if kind is ast.Binary and node.op == "*":
        return f"cp.multiply({code(node.left)}, {code(node.right)})"
    if kind is ast.Binary:
        return f"{code(node.left)} {node.op} {code(node.right)}"
    if kind is ast.Call:
        return _call(node, code)
    raise NoTranslation(kind.__name__)


def _call(node, code) -> str:
    """An atom; a number as its argument becomes a CVXPY constant (``cp.mean(0.5)`` fails)."""
    def argument(arg):
        return f"cp.Constant({code(arg)})" if _constant(arg) is not None else code(arg)
    if node.func in CALLS and not node.kwargs:
        return f"{CALLS[node.func]}({', '.join(argument(arg) for arg in node.args)})"
    if node.func in WITH_NUMBER:
        function, keyword, default = WITH_NUMBER[node.func]
        given = dict(node.kwargs).get(keyword, node.args[1] if len(node.args) > 1 else None)
        number = _number(given) if given is not None else repr(default)
        return f"{function}({argument(node.args[0])}, {number})"
    raise NoTranslation(node.func)


def _sign(interval) -> str:
    for flag in ("is_positive", "is_negative", "is_nonneg", "is_nonpos"):
        if getattr(interval, flag):
            return f", {flag[3:].replace('positive', 'pos').replace('negative', 'neg')}=True"
    return ""


def cvxpy_source(text: str, wrt, assume, shapes) -> str:
    """The source of ``build()``, which makes the CVXPY expression from scratch."""
    from dcp.assumptions import bounds_from, parse_assumption_list
    from dcp.syntax.parser import parse_expression
    body = _statements(parse_expression(text))
    bounds = bounds_from(parse_assumption_list(assume))
    lines = ["def build():"]
    for name, dims in shapes.items():
        size = tuple(int(d) if str(d).isdigit() else FREE_SIZE for d in dims)
        kind = "Variable" if name in wrt else "Parameter"
        sign = _sign(bounds[name]) if name in bounds else ""
        lines.append(f"    v_{name} = cp.{kind}({size!r}{sign})")
    lines += [f"    {line}" for line in body]
    lines.append(f"    return t{len(body) - 1}")
    return "\n".join(lines)


# ---- measuring ---------------------------------------------------------------------------


@dataclass
class Case:
    text: str
    wrt: list
    assume: list
    certified: bool
    first: float = 0.0              # seconds, dcp's first certification of it
    build: object = None            # the CVXPY builder, or None when skipped


def median_time(function, repeat: int) -> float:
    """The median of ``repeat`` runs after a warm-up run."""
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def prepare(text, wrt, assume, shapes, with_cvxpy: bool, skipped: Counter) -> Case | None:
    """The case, or None when dcp refuses it (a shape or domain error: drawn again)."""
    from dcp import DcpError, certify
    gc.disable()                    # (no collection first: it would leave the caches cold)
    try:
        started = time.perf_counter()
        result = certify(text, wrt, assume, check=False)
        first = time.perf_counter() - started
    except DcpError:
        return None
    finally:
        gc.enable()
    certified = result.verdict in ("constant", "affine", "convex", "concave")
    case = Case(text, wrt, assume, certified, first)
    if not with_cvxpy:
        return case
    import cvxpy as cp
    namespace = {"cp": cp}
    try:
        exec(cvxpy_source(text, wrt, assume, shapes or result.shapes), namespace)
        namespace["build"]().is_dcp()
        case.build = namespace["build"]
    except NoTranslation as missing:
        skipped[f"no CVXPY atom: {missing}"] += 1
    except DcpError:                            # a constant dcp refuses to fold
        skipped["dcp refuses a constant"] += 1
    except Exception as error:                  # CVXPY refuses to build it
        skipped[f"CVXPY refuses: {type(error).__name__}"] += 1
    return case


def measure(case: Case, repeat: int) -> tuple[float, float, float | None, float]:
    """(dcp, dcp+hints, cvxpy) median seconds for one case, and dcp's first time."""
    from dcp import certify

    def rules():
        certify(case.text, case.wrt, case.assume, check=False)

    def with_hints():
        certify(case.text, case.wrt, case.assume, check=False).hints

    def cvxpy():
        case.build().is_dcp()
    gc.collect()
    gc.disable()
    try:
        return (median_time(rules, repeat), median_time(with_hints, repeat),
                median_time(cvxpy, repeat) if case.build else None, case.first)
    finally:
        gc.enable()


def draw(rng: random.Random, n: int, smallest: int, largest: int, with_cvxpy: bool,
         skipped: Counter) -> tuple[list[Case], int]:
    """``n`` cases of ``smallest..largest`` nodes, and how many dcp refused (drawn again)."""
    from dcp.syntax.ast import walk_postorder
    from dcp.syntax.parser import parse_expression
    cases, refused = [], 0
    while len(cases) < n:
        text, wrt, assume = random_case(rng, rng.randint(2, 4) if largest <= 20 else rng.randint(4, 8))
        if not smallest <= len(walk_postorder(parse_expression(text))) <= largest:
            continue
        case = prepare(text, wrt, assume, None, with_cvxpy, skipped)
        if case is None:
            refused += 1
        else:
            cases.append(case)
    return cases, refused


# ---- the table ---------------------------------------------------------------------------

HEADER = (f"{'row':<34}{'n':>5}{'dcp ms':>9}{'+hints ms':>11}{'first ms':>10}{'cvxpy ms':>10}"
          f"{'cvxpy/dcp':>11}{'cvxpy/(+hints)':>16}{'cvxpy/first':>13}")


def _ms(values) -> str:
    return f"{statistics.median(values) * 1000:.3f}" if values else "-"


def _ratio(values) -> str:
    return f"{statistics.median(values):.2f}x" if values else "-"


def print_rows(label: str, timed: list[tuple[Case, tuple]]) -> tuple[float | None, float | None]:
    """Rows by dcp's outcome and overall; returns the overall median ratios cvxpy/dcp
    and cvxpy/(dcp+hints), None without CVXPY."""
    overall = None, None
    for name, keep in (("certified", lambda c: c.certified), ("not certified", lambda c: not c.certified),
                       ("all", lambda c: True)):
        rows = [(c, t) for c, t in timed if keep(c)]
        both = [t for c, t in rows if t[2] is not None]
        ratios, with_hints = [t[2] / t[0] for t in both], [t[2] / t[1] for t in both]
        first = [t[2] / t[3] for t in both]
        print(f"{label + ' ' + name:<34}{len(rows):>5}{_ms([t[0] for _, t in rows]):>9}"
              f"{_ms([t[1] for _, t in rows]):>11}{_ms([t[3] for _, t in rows]):>10}"
              f"{_ms([t[2] for t in both]):>10}{_ratio(ratios):>11}{_ratio(with_hints):>16}"
              f"{_ratio(first):>13}")
        if name == "all" and both:
            overall = statistics.median(ratios), statistics.median(with_hints)
    return overall


def bucket(label, cases, repeat) -> tuple[float | None, float | None]:
    return print_rows(label, [(case, measure(case, repeat)) for case in cases])


def minlplib_cases(path: Path, with_cvxpy: bool, skipped: Counter) -> tuple[list[Case], int]:
    records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    cases, refused = [], 0
    for record in records:
        case = prepare(record["expr"], record["wrt"], record.get("assume", []),
                       record.get("shapes"), with_cvxpy, skipped)
        if case is None:
            refused += 1
        else:
            cases.append(case)
    return cases, refused


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=None,
                        help="expressions in each random bucket (default 200, 40 with --quick)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the generator (default 0)")
    parser.add_argument("--repeat", type=int, default=None,
                        help="timed runs per expression and tool, after a warm-up (default 5, 3 with --quick)")
    parser.add_argument("--quick", action="store_true", help="fewer expressions and repetitions")
    parser.add_argument("--minlplib", type=Path, default=MINLPLIB,
                        help="the MINLPLib sample (.jsonl with expr, wrt, assume); row (3) is "
                             "skipped when it is absent")
    args = parser.parse_args()
    n = args.n or (40 if args.quick else 200)
    repeat = args.repeat or (3 if args.quick else 5)
    sys.setrecursionlimit(100_000)              # CVXPY's tree walks recurse
    try:
        import cvxpy  # noqa: F401
        with_cvxpy = True
    except ImportError:
        print("CVXPY is not installed (pip install cvxpy): its columns print '-'\n")
        with_cvxpy = False
    rng = random.Random(args.seed)
    print(f"dcp certify(check=False) beside CVXPY build + is_dcp(); medians over expressions "
          f"of the median of {repeat} runs each (seed {args.seed})\n")
    print(HEADER)
    ratios = {}
    for label, smallest, largest in (("(1) mix 21-200 nodes", 21, 200), ("(2) small <= 20 nodes", 1, 20)):
        skipped = Counter()
        cases, refused = draw(rng, n, smallest, largest, with_cvxpy, skipped)
        ratios[label] = bucket(label, cases, repeat)
        _footnote(skipped, refused, "drawn again")
    if args.minlplib.exists():
        skipped = Counter()
        cases, refused = minlplib_cases(args.minlplib, with_cvxpy, skipped)
        bucket("(3) MINLPLib", cases, repeat)
        _footnote(skipped, refused, "left out")
    else:
        print(f"(3) MINLPLib: skipped ({args.minlplib} not found)")
    print("\ntargets (issue 15, median cvxpy/dcp), without and with the hints that the CLI "
          "and the REPL read:")
    for label, key in (("(1) mix 21-200 nodes", "mix"), ("(2) small <= 20 nodes", "small")):
        judged = ", ".join(_judge(ratio, TARGETS[key], column)
                           for ratio, column in zip(ratios[label], ("dcp", "dcp+hints")))
        print(f"  {label}: >= {TARGETS[key]:g}x: {judged}")
    return 0


def _judge(ratio: float | None, target: float, column: str) -> str:
    if ratio is None:
        return f"{column} - (no CVXPY)"
    return f"{column} {ratio:.2f}x ({'met' if ratio >= target else 'not met'})"


def _footnote(skipped: Counter, refused: int, what: str) -> None:
    notes = [f"{count} skipped ({reason})" for reason, count in sorted(skipped.items())]
    notes.append(f"{sum(skipped.values())} skipped in all")
    if refused:
        notes.append(f"{refused} refused by dcp ({what})")
    print(f"{'':<4}{'; '.join(notes)}")


if __name__ == "__main__":
    sys.exit(main())
