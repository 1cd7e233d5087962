"""Sound rewrites of common spellings into the atom that states them best.

``log(1 + exp(t))`` analysed literally is log of a convex expression, which the rules
cannot certify; read as ``softplus(t)`` it is convex. Each rewrite here is an identity
(proved equal by SymPy in the tests), applied only where it matches exactly, and shown as
a ``rewrite`` step in the trace. The kernel re-applies the named rewrite to check it.
"""
from __future__ import annotations

from typing import Callable, NamedTuple

from .syntax.ast import Binary, Call, Expr, Number, Unary

__all__ = ["IDIOMS", "rewrite"]


def _is_one(node: Expr) -> bool:
    return isinstance(node, Number) and node.exact == 1


def _is_zero(node: Expr) -> bool:
    return isinstance(node, Number) and node.exact == 0


def _call(node: Expr, func: str, count: int = 1) -> tuple[Expr, ...] | None:
    """The arguments of ``func(...)`` with ``count`` arguments and no keywords, or None."""
    if isinstance(node, Call) and node.func == func and len(node.args) == count and not node.kwargs:
        return node.args
    return None


def _one_plus(node: Expr) -> Expr | None:
    """``t`` when ``node`` is ``1 + t`` or ``t + 1``."""
    if isinstance(node, Binary) and node.op == "+":
        if _is_one(node.left):
            return node.right
        if _is_one(node.right):
            return node.left
    return None


def _softplus(node: Expr) -> Expr | None:
    """log(1 + exp(t)) = softplus(t)."""
    inner = _call(node, "log")
    rest = _one_plus(inner[0]) if inner else None
    t = _call(rest, "exp") if rest is not None else None
    return Call("softplus", t, span=node.span) if t else None


def _logsumexp(node: Expr) -> Expr | None:
    """log(sum(exp(z))) = logsumexp(z)."""
    inner = _call(node, "log")
    total = _call(inner[0], "sum") if inner else None
    z = _call(total[0], "exp") if total else None
    return Call("logsumexp", z, span=node.span) if z else None


def _norm2(node: Expr) -> Expr | None:
    """sqrt(sum(square(x))) = sqrt(sum_squares(x)) = norm2(x)."""
    inner = _call(node, "sqrt")
    if not inner:
        return None
    total = _call(inner[0], "sum")
    x = _call(total[0], "square") if total else _call(inner[0], "sum_squares")
    return Call("norm2", x, span=node.span) if x else None


def _sigmoid(node: Expr) -> Expr | None:
    """1 / (1 + exp(-t)) = sigmoid(t)."""
    if not (isinstance(node, Binary) and node.op == "/" and _is_one(node.left)):
        return None
    rest = _one_plus(node.right)
    inner = _call(rest, "exp") if rest is not None else None
    if inner and isinstance(inner[0], Unary) and inner[0].op == "-":
        return Call("sigmoid", (inner[0].operand,), span=node.span)
    return None


def _relu(node: Expr) -> Expr | None:
    """max(t, 0) = maximum(t, 0) = relu(t), either order."""
    args = _call(node, "max", 2) or _call(node, "maximum", 2)
    if not args:
        return None
    if _is_zero(args[1]):
        return Call("relu", (args[0],), span=node.span)
    if _is_zero(args[0]):
        return Call("relu", (args[1],), span=node.span)
    return None


def _square(node: Expr) -> Expr | None:
    """x * x = square(x)."""
    if isinstance(node, Binary) and node.op == "*" and node.left == node.right:
        return Call("square", (node.left,), span=node.span)
    return None


class Idiom(NamedTuple):
    """A rewrite, the identity it uses, and the heads (function names or operators) of
    the nodes it can match: the engine tries an idiom only on those."""

    apply: Callable[[Expr], Expr | None]
    identity: str
    heads: tuple[str, ...]


#: name -> idiom. Tried in order; the first match wins.
IDIOMS: dict[str, Idiom] = {
    "softplus": Idiom(_softplus, "log(1 + exp(t)) = softplus(t)", ("log",)),
    "logsumexp": Idiom(_logsumexp, "log(sum(exp(z))) = logsumexp(z)", ("log",)),
    "norm2": Idiom(_norm2, "sqrt(sum(square(x))) = norm2(x)", ("sqrt",)),
    "sigmoid": Idiom(_sigmoid, "1 / (1 + exp(-t)) = sigmoid(t)", ("/",)),
    "relu": Idiom(_relu, "max(t, 0) = relu(t)", ("max", "maximum")),
    "square": Idiom(_square, "x * x = square(x)", ("*",)),
}

_BY_HEAD: dict[str, list[tuple[str, Idiom]]] = {}
for _name, _idiom in IDIOMS.items():
    for _head in _idiom.heads:
        _BY_HEAD.setdefault(_head, []).append((_name, _idiom))


def rewrite(node: Expr) -> tuple[str, Expr] | None:
    """``(idiom name, rewritten node)`` for the first idiom that matches, else None."""
    kind = type(node)
    head = node.func if kind is Call else node.op if kind is Binary else None
    for name, idiom in _BY_HEAD.get(head, ()):
        result = idiom.apply(node)
        if result is not None:
            return name, result
    return None
