"""The command line: ``dcp certify EXPR --wrt NAME [--assume COND]...``.

Exit status: 0 on success; 2 when the input is wrong (the message says where and why);
1 when ``--expect`` names a verdict other than the one found.
"""
from __future__ import annotations

import argparse
import sys

from . import __version__
from .api import certify
from .errors import DcpBug, DcpError
from .result import VERDICTS

EXAMPLES = """\
examples:
  dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1
      the rules break at W2 @ relu(W1 @ x): the sign of W2 is unknown
  dcp certify "relu(W2 @ relu(W1 @ x))" --wrt W1 --assume "W2 >= 0"
      convex, with the proof
  dcp certify "sum_squares(U @ V - M)" --wrt U --wrt V
      joint convexity in U and V (it is not: the product of two variables breaks)
  dcp certify "sigmoid(x)" --wrt x --assume "x <= 0" --expect convex
      exit status 1 unless the verdict is convex

Every name not given with --wrt is a parameter: fixed, arbitrary, and subject to the
assumptions. Verdicts: constant, affine, convex, concave, nonconvex, unknown.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dcp", description="dcp: certify that an expression is convex (or concave, "
        "affine, constant) in the variables you name, and see why.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"dcp {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    cert = commands.add_parser(
        "certify", help="certify one expression and print the proof",
        description="Certify EXPR in the variables given with --wrt and print the verdict, "
        "each break with a caret under it, and the proof tree.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    cert.add_argument("expression", metavar="EXPR", help='an expression, e.g. "relu(W @ x)"')
    cert.add_argument("--wrt", action="append", required=True, metavar="NAME",
                      help="a variable (repeat for joint convexity: --wrt W1 --wrt W2)")
    cert.add_argument("--assume", action="append", default=[], metavar="COND",
                      help='an assumption such as "W2 >= 0" or "0 <= y <= 1" (repeatable)')
    cert.add_argument("--no-check", action="store_true",
                      help="skip the numeric cross-check")
    cert.add_argument("--seed", type=int, default=0, help="seed of the numeric check")
    cert.add_argument("--format", choices=["text"], default="text", help="output format")
    cert.add_argument("--expect", choices=VERDICTS, metavar="VERDICT",
                      help="exit with status 1 unless the verdict is this one")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        result = certify(args.expression, wrt=args.wrt, assume=args.assume,
                         check=False if args.no_check else None, seed=args.seed)
    except DcpError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except DcpBug as error:
        print(f"internal error (a bug in dcp, please report it): {error}", file=sys.stderr)
        return 3
    print(result.explain())
    if args.expect and result.verdict != args.expect:
        print(f"expected {args.expect}, got {result.verdict}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
