"""The command line: ``dcp certify``, ``run``, ``atoms``, ``atom``, ``repl``, ``batch``.

Exit status: 0 on success; 2 when the input is wrong (the message says where and why);
1 when ``--expect`` names a verdict other than the one found; 3 for a bug in dcp.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from . import __version__
from .api import Session, certify
from .errors import DcpBug, DcpError, command_line_words
from .render import RENDERERS, render
from .result import VERDICTS

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


def _add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=sorted(RENDERERS), default="text",
                        help="output format (default text)")
    parser.add_argument("--no-check", action="store_true", help="skip the numeric cross-check")
    parser.add_argument("--seed", type=int, default=0, help="seed of the numeric check (default 0)")
    parser.add_argument("--max-nodes", type=int, metavar="N",
                        help="refuse expressions with more than N distinct subexpressions "
                             "(one written twice counts once)")


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="dcp", formatter_class=formatter, epilog=EXAMPLES,
        description="dcp: certify that an expression is convex (or concave, affine, "
                    "constant) in the variables you name, see why, and see a "
                    "counterexample when it is not.")
    parser.add_argument("--version", action="version", version=f"dcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    cert = commands.add_parser("certify", help="certify one expression", epilog=EXAMPLES,
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

    batch = commands.add_parser("batch", help="certify many cases in parallel, JSON lines out",
                                description="Read JSON lines {\"expr\", \"wrt\", \"assume\", \"shapes\", "
                                            "\"id\"} and write one JSON result per line, in order.")
    batch.add_argument("file", metavar="CASES.jsonl", help="the cases (- for standard input)")
    batch.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    _add_common(batch)
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
            from .repl import run_repl
            return run_repl()
        parser.print_help()
        return 0
    try:
        with command_line_words():
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
    if argument == "-":
        return sys.stdin.read()
    if argument.startswith("@"):
        if not argument[1:].strip():
            raise DcpError("@ reads the expression from a file: give its path, e.g. @net.txt")
        return _read_text(argument[1:])
    return argument


def _read_text(path: str) -> str:
    """The text of the file at ``path``; a file that cannot be read is the user's mistake."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise DcpError(f"cannot read {path}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise DcpError(f"cannot read {path}: it is not UTF-8 text") from None


def _certify(args) -> int:
    wrt = [name for names in args.wrt for name in names.split(",") if name.strip()]   # --wrt x,y
    result = certify(_expression(args.expression), wrt=wrt, assume=args.assume, shapes=_shapes(args.shape),
                     check=False if args.no_check else None, seed=args.seed,
                     max_nodes=args.max_nodes)
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


def _batch_one(job) -> str:
    line_number, case, check, seed, max_nodes = job
    try:
        if not isinstance(case, dict):
            raise DcpError(f"bad case: a case is a JSON object with \"expr\" and \"wrt\", not {case!r}")
        if not isinstance(case.get("shapes") or {}, dict):
            raise DcpError("bad case: \"shapes\" must be an object such as {\"W\": [4, 3]}")
        with command_line_words():      # a worker process: its own context
            result = certify(case["expr"], wrt=case["wrt"], assume=case.get("assume", []),
                             shapes=case.get("shapes"), check=check, seed=seed, max_nodes=max_nodes)
        data = result.to_json()
    except (DcpError, KeyError, TypeError) as error:
        message = error.message if isinstance(error, DcpError) else f"bad case: missing or wrong {error}"
        data = {"error": type(error).__name__, "message": message}
    if isinstance(case, dict) and "id" in case:
        data = {"id": case["id"], **data}
    data["line"] = line_number
    return json.dumps(data, allow_nan=False)


def _batch(args) -> int:
    import multiprocessing
    try:
        stream = sys.stdin if args.file == "-" else open(args.file, encoding="utf-8")
    except OSError as error:
        raise DcpError(f"cannot read {args.file}: {error.strerror}") from None
    jobs = []
    with stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
            except json.JSONDecodeError as error:
                raise DcpError(f"{args.file}:{number}: not JSON: {error.msg}") from None
            jobs.append((number, case, False if args.no_check else None, args.seed, args.max_nodes))
    if args.jobs <= 1 or len(jobs) <= 1:
        for output in map(_batch_one, jobs):
            print(output, flush=True)
        return 0
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        for output in pool.imap(_batch_one, jobs):
            print(output, flush=True)
    return 0


COMMANDS = {"certify": _certify, "run": _run, "atoms": _atoms, "atom": _atom, "repl": _repl,
            "batch": _batch}


if __name__ == "__main__":
    sys.exit(main())
