"""Sound rewrites of common spellings into the atom that states them best.

``log(1 + exp(t))`` analysed literally is log of a convex expression, which the rules
cannot certify; read as ``softplus(t)`` it is convex. Each rewrite here is an identity
(proved equal by SymPy in the tests), applied only where it matches exactly, and shown as
a ``rewrite`` step in the trace. The kernel re-applies the named rewrite to check it.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from .tape import Tape

__all__ = ["IDIOMS", "HEADS", "rewrite"]


def _is_number(tape: Tape, node: int, value: int) -> bool:
    return tape.op[node] == "number" and tape.data[node].exact == value


def _call(tape: Tape, node: int | None, func: str, count: int = 1) -> tuple[int, ...] | None:
    """The argument ids of ``func(...)`` with ``count`` arguments and no keywords, or None."""
    if node is not None and tape.op[node] == "call" and tape.data[node] == (func, ()) and \
            len(tape.args[node]) == count:
        return tape.args[node]
    return None


def _one_plus(tape: Tape, node: int) -> int | None:
    """``t`` when ``node`` is ``1 + t`` or ``t + 1``."""
    if tape.op[node] == "+":
        left, right = tape.args[node]
        if _is_number(tape, left, 1):
            return right
        if _is_number(tape, right, 1):
            return left
    return None


def _atom(tape: Tape, node: int, func: str, args: tuple[int, ...] | None) -> int | None:
    """``func(args)`` written where ``node`` was, or None without arguments."""
    return tape.add_like(node, "call", (func, ()), args) if args else None


def _softplus(tape: Tape, node: int) -> int | None:
    """log(1 + exp(t)) = softplus(t)."""
    inner = _call(tape, node, "log")
    rest = _one_plus(tape, inner[0]) if inner else None
    return _atom(tape, node, "softplus", _call(tape, rest, "exp"))


def _logsumexp(tape: Tape, node: int) -> int | None:
    """log(sum(exp(z))) = logsumexp(z)."""
    inner = _call(tape, node, "log")
    total = _call(tape, inner[0], "sum") if inner else None
    return _atom(tape, node, "logsumexp", _call(tape, total[0], "exp") if total else None)


def _norm2(tape: Tape, node: int) -> int | None:
    """sqrt(sum(square(x))) = sqrt(sum_squares(x)) = norm2(x)."""
    inner = _call(tape, node, "sqrt")
    if not inner:
        return None
    total = _call(tape, inner[0], "sum")
    x = _call(tape, total[0], "square") if total else _call(tape, inner[0], "sum_squares")
    return _atom(tape, node, "norm2", x)


def _sigmoid(tape: Tape, node: int) -> int | None:
    """1 / (1 + exp(-t)) = sigmoid(t)."""
    if tape.op[node] != "/" or not _is_number(tape, tape.args[node][0], 1):
        return None
    rest = _one_plus(tape, tape.args[node][1])
    inner = _call(tape, rest, "exp")
    if inner and tape.op[inner[0]] == "neg":
        return _atom(tape, node, "sigmoid", tape.args[inner[0]])
    return None


def _softsign(tape: Tape, node: int) -> int | None:
    """t / (1 + abs(t)) = softsign(t) (PyTorch exports Softsign so)."""
    if tape.op[node] != "/":
        return None
    top, bottom = tape.args[node]
    rest = _one_plus(tape, bottom)
    inner = _call(tape, rest, "abs")
    return _atom(tape, node, "softsign", (top,)) if inner and inner[0] == top else None


def _relu(tape: Tape, node: int) -> int | None:
    """max(t, 0) = maximum(t, 0) = relu(t), either order."""
    args = _call(tape, node, "max", 2) or _call(tape, node, "maximum", 2)
    if not args:
        return None
    if _is_number(tape, args[1], 0):
        return _atom(tape, node, "relu", args[:1])
    if _is_number(tape, args[0], 0):
        return _atom(tape, node, "relu", args[1:])
    return None


def _square(tape: Tape, node: int) -> int | None:
    """x * x = square(x) (equal subexpressions have one id)."""
    if tape.op[node] != "*":
        return None
    left, right = tape.args[node]
    return _atom(tape, node, "square", (left,)) if left == right else None


class Idiom(NamedTuple):
    """A rewrite, the identity it uses, and the heads (function names or operators) of
    the nodes it can match: the engine tries an idiom only on those."""

    apply: Callable[[Tape, int], int | None]
    identity: str
    heads: tuple[str, ...]


#: name -> idiom. Tried in order; the first match wins.
IDIOMS: dict[str, Idiom] = {
    "softplus": Idiom(_softplus, "log(1 + exp(t)) = softplus(t)", ("log",)),
    "logsumexp": Idiom(_logsumexp, "log(sum(exp(z))) = logsumexp(z)", ("log",)),
    "norm2": Idiom(_norm2, "sqrt(sum(square(x))) = norm2(x)", ("sqrt",)),
    "sigmoid": Idiom(_sigmoid, "1 / (1 + exp(-t)) = sigmoid(t)", ("/",)),
    "softsign": Idiom(_softsign, "t / (1 + abs(t)) = softsign(t)", ("/",)),
    "relu": Idiom(_relu, "max(t, 0) = relu(t)", ("max", "maximum")),
    "square": Idiom(_square, "x * x = square(x)", ("*",)),
}

_BY_HEAD: dict[str, list[tuple[str, Idiom]]] = {}
for _name, _idiom in IDIOMS.items():
    for _head in _idiom.heads:
        _BY_HEAD.setdefault(_head, []).append((_name, _idiom))
#: Every head some idiom matches: a node with another one is never rewritten.
HEADS = frozenset(_BY_HEAD)


def rewrite(tape: Tape, node: int) -> tuple[str, int] | None:
    """``(idiom name, id of the rewritten node)`` for the first idiom that matches node
    ``node``, else None. The rewritten node is added to the tape."""
    op = tape.op[node]
    candidates = _BY_HEAD.get(tape.data[node][0] if op == "call" else op)
    if candidates is None:
        return None
    for name, idiom in candidates:
        result = idiom.apply(tape, node)
        if result is not None:
            return name, result
    return None
