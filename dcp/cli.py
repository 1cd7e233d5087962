"""The command line: ``dcp certify``, ``certify-model``, ``run``, ``atoms``, ``atom``, ``repl``, ``batch``.

The exit statuses are listed in :data:`EXIT_STATUS` (``dcp batch``: :data:`BATCH_EXIT_STATUS`),
which ``--help`` prints.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Iterable, NamedTuple

from . import __version__
from .api import Session, certify
from .errors import DcpBug, DcpError, words_for
from .render import RENDERERS, render
from .result import VERDICTS, Result, SetResult

EXAMPLES = """\
examples:
  dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1
      not convex: the rules break at W2 @ relu(W1 @ x) (the sign of W2 is unknown),
      the hint W2 >= 0 repairs it, and a witness shows the failure
  dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1 --assume "W2 >= 0"
      convex, with the proof
  dcp certify @layer.txt --wrt W1      the expression in a file (- reads standard input)
  dcp certify "sum_squares(U @ V - M)" --wrt U --wrt V --format json
      joint convexity in U and V, as JSON (schema: dcp/result.schema.json)
  dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1 --plot w.png
      draw the counterexample: f from a to b, and the chord below it
  dcp certify-model icnn.onnx --wrt y
      a trained model from its ONNX file, its weights at their values
  dcp run net.dcp            run a script of bindings, assumptions and certify lines
  dcp atoms                  list every atom and its facts
  dcp atom sigmoid --plot s.png
      why is the sigmoid not convex? its convex and concave intervals, drawn
  dcp batch cases.jsonl --jobs 4
      one JSON result per line for {"expr": ..., "wrt": [...], "assume": [...]} lines
  dcp repl                   an interactive session (plain `dcp` on a terminal too)

Every name not given with --wrt is a parameter: fixed, arbitrary, and subject to the
assumptions. Verdicts: constant, affine, convex, concave, nonconvex, unknown.
"""

MODEL_EXAMPLES = """\
examples:
  dcp certify-model icnn.onnx --wrt y
      is the input-convex network convex in its input y? the proof reads like the
      network (z1 = relu(...)); a break names the layer, the node and the weights
  dcp certify-model icnn.onnx --wrt y --assume "-1 <= y <= 1" --plot w.png
      the numeric check draws y in that box; draw the witness if there is one
  dcp certify-model mlp.onnx --wrt fc2_weight --assume "y >= 0"
      convex in the last layer's weights (names as dcp writes them: fc2.weight is
      fc2_weight; an unknown name lists the model's names)
  dcp certify-model icnn.onnx --wrt y --symbolic
      a verdict for every network with these weights' signs, not only these values
"""

EXIT_STATUS = """\
exit status:
  0    success
  1    --expect named a verdict other than the one found
  2    a mistake in the input or the options (the message says where and why)
  3    a bug in dcp (please report it)
  130  interrupted (Ctrl-C)
dcp batch exits with its worst line's status (dcp batch --help).
"""

BATCH_EXIT_STATUS = """\
exit status:
  0    every case was certified
  2    some line was refused (not JSON, a bad case, a mistake in its expression): its
       record says why, and every other line is still written; or CASES cannot be read
  3    a bug in dcp on some line (its record says so; the other lines are still written)
  130  interrupted (Ctrl-C)
The worst line decides: 3 over 2 over 0.
"""


def _add_common(parser: argparse.ArgumentParser, format: str = "text") -> None:
    parser.add_argument("--format", choices=sorted(RENDERERS), default=format,
                        help=f"output format (default {format})")
    parser.add_argument("--no-check", action="store_true", help="skip the numeric cross-check")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numeric check (default 0)")
    parser.add_argument("--max-nodes", type=int, metavar="N",
                        help="refuse expressions with more than N distinct subexpressions "
                             "(one written twice counts once)")


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="dcp", formatter_class=formatter, epilog=EXAMPLES + "\n" + EXIT_STATUS,
        description="dcp: certify that an expression is convex (or concave, affine, "
                    "constant) in the variables you name, see why, and see a "
                    "counterexample when it is not.")
    parser.add_argument("--version", action="version", version=f"dcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    cert = commands.add_parser("certify", help="certify one expression",
                               epilog=EXAMPLES + "\n" + EXIT_STATUS,
                               formatter_class=formatter,
                               description="Certify EXPR in the variables given with --wrt and "
                                           "print the verdict, each break with a caret under it, "
                                           "hints, the numeric check and the proof.")
    cert.add_argument("expression", metavar="EXPR",
                      help='an expression, e.g. "relu(W @ x)"; - reads it from standard input, '
                           '@FILE from a file')
    cert.add_argument("--wrt", action="append", required=True, metavar="NAME",
                      help="a variable (repeat for joint convexity: --wrt W1 --wrt W2)")
    cert.add_argument("--assume", action="append", default=[], metavar="COND",
                      help='an assumption such as "W2 >= 0" or "0 <= y <= 1" (repeatable)')
    cert.add_argument("--shape", action="append", default=[], metavar="NAME=DIMS",
                      help="a shape, e.g. W1=4,3 or u=n (a letter: any size; repeatable)")
    cert.add_argument("--expect", choices=VERDICTS, metavar="VERDICT",
                      help="exit with status 1 unless the verdict is this one")
    cert.add_argument("--plot", metavar="FILE", help="draw the witness slice to FILE (needs matplotlib)")
    _add_common(cert)

    model = commands.add_parser(
        "certify-model", help="certify a trained model from its ONNX file",
        formatter_class=formatter, epilog=MODEL_EXAMPLES + "\n" + EXIT_STATUS,
        description="Read MODEL.onnx (its weights as constants at their values, its layers as "
                    "bindings,\nread on one sample) and certify its output in the input or "
                    "weight given with --wrt.\nNeeds the onnx package: pip install \"dcp[onnx]\".")
    model.add_argument("model", metavar="MODEL.onnx")
    model.add_argument("--wrt", action="append", required=True, metavar="NAME",
                       help="an input or a weight of the model, as dcp names it (repeatable)")
    model.add_argument("--assume", action="append", default=[], metavar="COND",
                       help='an assumption on an input, e.g. "0 <= y <= 1": the box the check '
                            'draws from (repeatable)')
    model.add_argument("--output", metavar="NAME",
                       help="the graph output to certify, for a model with several")
    model.add_argument("--symbolic", action="store_true",
                       help="each weight stands for any number of its value's sign: the verdict "
                            "covers every network of this architecture and sign pattern")
    model.add_argument("--expect", choices=VERDICTS, metavar="VERDICT",
                       help="exit with status 1 unless the verdict is this one")
    model.add_argument("--plot", metavar="FILE", help="draw the witness slice to FILE (needs matplotlib)")
    _add_common(model)

    run = commands.add_parser("run", help="run a .dcp script", formatter_class=formatter,
                              description="Run a script: bindings (h = ...), assume, shape, define "
                                          "and certify ... wrt ... lines, one per line or separated by ;")
    run.add_argument("file", metavar="FILE.dcp")
    _add_common(run)

    commands.add_parser("atoms", help="list the atoms and their facts")
    atom = commands.add_parser("atom", help="one atom: its facts and their SymPy derivation")
    atom.add_argument("name", metavar="NAME")
    atom.add_argument("--plot", metavar="FILE", help="draw where it is convex and concave")

    commands.add_parser("repl", help="an interactive session")

    batch = commands.add_parser(
        "batch", help="certify many cases in parallel, JSON lines out",
        formatter_class=formatter, epilog=BATCH_EXIT_STATUS,
        description="Read JSON lines {\"expr\", \"wrt\", \"assume\", \"shapes\", \"id\"} and write one\n"
                    "record per line, in order. In JSON (the default) a record is one line: the\n"
                    "result's fields, or \"error\" and \"message\", with \"id\" and \"line\". In text,\n"
                    "markdown or latex each result is rendered under a heading that names its line.")
    batch.add_argument("file", metavar="CASES.jsonl", help="the cases (- for standard input)")
    batch.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                       help="worker processes (default: one per CPU)")
    _add_common(batch, format="json")
    return parser


def _shapes(items: list[str]) -> dict[str, tuple[int, ...]]:
    shapes = {}
    for item in items:
        name, equals, dims = item.partition("=")
        if not equals:
            raise DcpError(f"--shape takes NAME=DIMS such as W1=4,3 or u=n (x= for a scalar), got {item!r}")
        try:
            shapes[name.strip()] = tuple(int(d) if d.strip().isdigit() else d.strip()
                                         for d in dims.replace("(", "").replace(")", "").split(",") if d.strip())
        except ValueError:
            raise DcpError(f"--shape takes NAME=DIMS such as W1=4,3, got {item!r}") from None
    return shapes


def _expressions_as_written(argv: list[str]) -> list[str]:
    """``dcp certify "-x^2" --wrt x``: an expression that starts with a minus is no option
    (the commands have no short option but -h); a leading space makes argparse read it as
    the argument it is (:func:`_as_given` takes the space off again). An argument with a
    space in it (``--assume "-1 <= x"``) argparse reads as a value already."""
    return [" " + arg if len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and arg != "-h"
            and " " not in arg else arg for arg in argv]


def _as_given(args: argparse.Namespace) -> argparse.Namespace:
    """The arguments as typed: without the space :func:`_expressions_as_written` added,
    so that an error's columns count from the user's first character."""
    def undo(value):
        if isinstance(value, list):
            return [undo(item) for item in value]
        return value[1:] if isinstance(value, str) and value.startswith(" -") else value
    for key, value in vars(args).items():
        setattr(args, key, undo(value))
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = _as_given(parser.parse_args(_expressions_as_written(sys.argv[1:] if argv is None else argv)))
    if args.command is None:
        if sys.stdin.isatty() and sys.stdout.isatty():
            return _repl(args)
        parser.print_help()
        return 0
    try:
        with words_for("command line"):
            return COMMANDS[args.command](args)
    except KeyboardInterrupt:          # Ctrl-C: stop quietly, as a shell command does
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:            # `dcp atoms | head`: the reader left; not an error
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except DcpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DcpBug as error:
        print(f"internal error (a bug in dcp, please report it): {error}", file=sys.stderr)
        return 3


def _expression(argument: str) -> str:
    """EXPR as given: the text itself, ``-`` for standard input, or ``@`` and a path (an
    expression never starts with ``@``, the matrix product)."""
    # A file's or a pipe's last new line ends the text, not the expression: stripped,
    # so the result's heading is the expression alone (positions before it are kept).
    if argument == "-":
        return sys.stdin.read().rstrip()
    if argument.startswith("@"):
        if not argument[1:].strip():
            raise DcpError("@ reads the expression from a file: give its path, e.g. @net.txt")
        return read_script(argument[1:]).rstrip()
    return argument


def _certify(args) -> int:
    wrt = [name for names in args.wrt for name in names.split(",") if name.strip()]   # --wrt x,y
    result = certify(_expression(args.expression), wrt=wrt, assume=args.assume, shapes=_shapes(args.shape),
                     check=False if args.no_check else None, seed=args.seed,
                     max_nodes=args.max_nodes)
    return _report(result, args)


def _certify_model(args) -> int:
    from .models import from_onnx
    wrt = [name.strip() for names in args.wrt for name in names.split(",") if name.strip()]
    session = from_onnx(args.model, symbolic=args.symbolic, output=args.output)
    result = session.certify(wrt=wrt, assume=args.assume, check=False if args.no_check else None,
                             seed=args.seed, max_nodes=args.max_nodes)
    return _report(result, args)


def _report(result: Result, args) -> int:
    """Print a certification's result as asked, draw its witness, compare with --expect."""
    print(render(result, args.format))
    if args.plot:
        result.plot(args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    if args.expect and result.verdict != args.expect:
        print(f"expected {args.expect}, got {result.verdict}", file=sys.stderr)
        return 1
    return 0


def read_script(file: str) -> str:
    """The text of a script file, or a DcpError that says why it cannot be read."""
    try:
        return Path(file).expanduser().read_text(encoding="utf-8")
    except OSError as error:
        raise DcpError(f"cannot read {file}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise DcpError(f"cannot read {file}: it is not UTF-8 text") from None


def _run(args) -> int:
    text = read_script(args.file)
    session = Session(max_nodes=args.max_nodes)
    session.check = False if args.no_check else None
    # Each result as it comes: a mistake on a later line keeps what came before.
    for result in session.iter_run(text, filename=args.file):
        print(render(result, args.format) + "\n", flush=True)
    return 0


def _atoms(args) -> int:
    from .atoms import all_atoms
    print(atoms_table(all_atoms()))
    return 0


def atoms_table(atoms) -> str:
    """One line per atom: name, aliases, the facts in words."""
    rows = [("atom", "aliases", "summary")]
    for atom in atoms:
        rows.append((atom.name, ", ".join(atom.aliases), atom.summary))
    width = [max(len(r[i]) for r in rows) for i in range(2)]
    return "\n".join(f"{r[0]:<{width[0]}}  {r[1]:<{width[1]}}  {r[2]}".rstrip() for r in rows)


def describe_atom(name: str, atoms: dict | None = None) -> str:
    """An atom's facts, formula and, for elementwise atoms, its SymPy derivatives."""
    from .atoms import REGISTRY, ScalarAtom
    from .syntax.ast import format_constant
    from .syntax.parser import close_matches
    found = (atoms or {}).get(name) or (REGISTRY.get(name) or [None])[0]
    if found is None:
        from .errors import UnknownNameError
        raise UnknownNameError(f"unknown atom `{name}`{close_matches(name, list(REGISTRY) + list(atoms or {}))}")
    lines = [f"{found.name}: {found.summary}"]
    if found.aliases:
        lines.append(f"  aliases: {', '.join(found.aliases)}")
    if found.keywords:
        lines.append("  keywords: " + ", ".join(f"{k}={format_constant(v)}" if v is not None else k for k, v in found.keywords.items()))
    if getattr(found, "derivation", None):
        lines += ["  derivation (SymPy):"] + [f"    {line}" for line in found.derivation]
    elif isinstance(found, ScalarAtom):
        import sympy
        x = sympy.Symbol("x", real=True)
        kw = {k: sympy.Rational(v) for k, v in found.keywords.items() if v is not None}
        formula = sympy.sympify(found.formula, locals={"x": x, **{k: sympy.Symbol(k) for k in kw}})
        facts = found.pieces({k: float(v) for k, v in kw.items()}) if "p" not in found.keywords else None
        lines.append(f"  formula: {sympy.sstr(formula)}")
        lines.append(f"  f'  = {sympy.sstr(sympy.simplify(sympy.diff(formula, x)))}")
        lines.append(f"  f'' = {sympy.sstr(sympy.simplify(sympy.diff(formula, x, 2)))}")
        if facts is not None:
            for key, word in (("domain", "domain"), ("image", "range"), ("convex_on", "convex on"),
                              ("concave_on", "concave on"), ("increasing_on", "nondecreasing on"),
                              ("decreasing_on", "nonincreasing on")):
                lines.append(f"  {word}: {', '.join(map(str, facts[key])) or 'no interval'}")
    elif found.formula:
        lines.append(f"  definition: {found.formula}")
    return "\n".join(lines)


def _atom(args) -> int:
    print(describe_atom(args.name))
    if args.plot:
        from .atoms import REGISTRY, ScalarAtom
        from .render.plot import plot_atom
        atom = REGISTRY[args.name][0]
        if not isinstance(atom, ScalarAtom):
            raise DcpError(f"only elementwise atoms of one argument can be drawn, not {args.name}")
        plot_atom(atom, args.plot)
        print(f"wrote {args.plot}", file=sys.stderr)
    return 0


def _repl(args) -> int:
    from .repl import run_repl
    return run_repl()


class _Options(NamedTuple):
    """What every case of a batch shares: immutable, so workers share nothing that changes."""
    format: str
    check: bool | None
    seed: int
    max_nodes: int | None


def _case_arguments(case: object) -> dict:
    """The keyword arguments of ``certify`` for one case, or a DcpError saying what is wrong
    with the case (``5`` and ``null`` are lines too)."""
    if not isinstance(case, dict):
        raise DcpError(f"bad case: a case is a JSON object with \"expr\" and \"wrt\", "
                       f"not {json.dumps(case)}")
    missing = [key for key in ("expr", "wrt") if key not in case]
    if missing:
        raise DcpError(f"bad case: \"{missing[0]}\" is missing (a case has \"expr\" and \"wrt\")")
    if not isinstance(case.get("shapes") or {}, dict):
        raise DcpError("bad case: \"shapes\" must be an object such as {\"W\": [4, 3]}")
    return {"expr": case["expr"], "wrt": case["wrt"], "assume": case.get("assume", []),
            "shapes": case.get("shapes")}


def _batch_one(job: tuple[int, object, _Options]) -> tuple[int, str]:
    """One case certified and rendered: its exit status (0, 2 refused, 3 a bug in dcp)
    and its record."""
    number, case, options = job
    try:
        # A case's keys; the options are the command line's (said again: a spawned
        # worker does not inherit the words of the process that started it).
        with words_for("command line"), words_for("batch"):
            if isinstance(case, DcpError):                    # the line was not JSON
                raise case
            result = certify(**_case_arguments(case), check=options.check, seed=options.seed,
                             max_nodes=options.max_nodes)
        status, record = 0, result
    except DcpError as error:
        status, record = 2, error
    except DcpBug as error:
        status, record = 3, error
    case_id = case.get("id") if isinstance(case, dict) else None
    return status, _record(number, case_id, record, options.format)


def _record(number: int, case_id: object, record: Result | SetResult | Exception, format: str) -> str:
    """One line's record: in JSON a line of its own (the result's fields or ``error`` and
    ``message``, with ``id`` and ``line``); otherwise a heading that names the line and
    the id, then the rendered result or the error."""
    if format == "json":
        data = (record.to_json() if isinstance(record, (Result, SetResult))
                else {"error": type(record).__name__,
                      "message": record.message if isinstance(record, DcpError) else str(record)})
        data = {**({"id": case_id} if case_id is not None else {}), **data, "line": number}
        return json.dumps(data, allow_nan=False)
    label = f"line {number}" + (f" (id {json.dumps(case_id)})" if case_id is not None else "")
    if isinstance(record, (Result, SetResult)):
        body = render(record, format)
    else:
        kind = "internal error (a bug in dcp, please report it)" if isinstance(record, DcpBug) else "error"
        body = f"{kind}: {record}"
        if format == "markdown":
            body = f"```text\n{body}\n```"
        elif format == "latex":
            body = "\n".join(f"% {line}" for line in body.splitlines())
    heading = {"text": f"=== {label} ===", "markdown": f"## {label[0].upper()}{label[1:]}",
               "latex": f"% ==== {label} ===="}[format]
    return f"{heading}\n\n{body}\n"


def _warm_up(check: bool | None) -> None:
    """A worker's start: import dcp and certify a tiny case, so that the imports and the
    first-use set-up (numpy, Hypothesis, mpmath when the check runs) are paid once per
    worker, not on its first case."""
    certify("exp(x)", wrt="x", check=check)


def _read_cases(path: str) -> list[tuple[int, object]]:
    """Each nonblank line's number and case; a line that is not JSON is, in its place,
    the DcpError that says so (its record will be that error)."""
    try:
        stream = sys.stdin if path == "-" else open(path, encoding="utf-8")
    except OSError as error:
        raise DcpError(f"cannot read {path}: {error.strerror}") from None
    cases: list[tuple[int, object]] = []
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                cases.append((number, json.loads(line)))
            except json.JSONDecodeError as error:
                cases.append((number, DcpError(f"bad case: not JSON: {error.msg} "
                                               f"(column {error.colno})")))
    return cases


def _batch(args) -> int:
    options = _Options(args.format, False if args.no_check else None, args.seed, args.max_nodes)
    jobs = [(number, case, options) for number, case in _read_cases(args.file)]
    if args.jobs <= 1 or len(jobs) <= 1:
        return _write(map(_batch_one, jobs))
    import multiprocessing
    # Spawned workers (no state inherited from this process), each warmed up once; chunks
    # of a few cases mean fewer round trips while every worker still gets work.
    with multiprocessing.get_context("spawn").Pool(
            min(args.jobs, len(jobs)), initializer=_warm_up, initargs=(options.check,)) as pool:
        return _write(pool.imap(_batch_one, jobs, chunksize=max(1, len(jobs) // (4 * args.jobs))))


def _write(outputs: Iterable[tuple[int, str]]) -> int:
    """Print each record as it comes, in order; the batch's status is the worst line's
    (3, a bug in dcp, over 2, a refused case, over 0)."""
    status = 0
    for line_status, record in outputs:
        print(record, flush=True)
        status = max(status, line_status)
    return status


COMMANDS = {"certify": _certify, "run": _run, "atoms": _atoms, "atom": _atom, "repl": _repl,
            "batch": _batch, "certify-model": _certify_model}


if __name__ == "__main__":
    sys.exit(main())
