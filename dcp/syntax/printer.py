"""Expressions back to source text, with the fewest parentheses that keep the meaning.

``parse(to_text(e)) == e`` for every expression ``e`` (tested with Hypothesis). The
printer is iterative, and ``limit`` stops it early, so a trace line for a subexpression
of a huge expression costs O(limit), not O(size).
"""
from __future__ import annotations

from .ast import Binary, Call, Expr, Index, Name, Number, Ref, Transpose, Unary, Vector

__all__ = ["to_text", "PRECEDENCE"]

# Binding strength of each level of the grammar; a child printed where a tighter level
# is expected gets parentheses.
SUM, PRODUCT, UNARY, POWER, POSTFIX, ATOM = 1, 2, 3, 4, 5, 6
PRECEDENCE = {"+": SUM, "-": SUM, "*": PRODUCT, "/": PRODUCT, "@": PRODUCT, "^": POWER}


def _level(node: Expr) -> int:
    if isinstance(node, Binary):
        return PRECEDENCE[node.op]
    if isinstance(node, Unary):
        return UNARY
    if isinstance(node, Number) and node.value < 0:
        return UNARY
    if isinstance(node, (Transpose, Index)):
        return POSTFIX
    return ATOM


def _operand_levels(node: Binary) -> tuple[int, int]:
    """The weakest level each side may have without parentheses."""
    level = PRECEDENCE[node.op]
    if node.op == "^":
        return POSTFIX, UNARY          # base is postfix; exponent may be -1 or a^b (right-assoc)
    return level, level + 1            # left-associative


def to_text(root: Expr, limit: int | None = None) -> str:
    """Source text for ``root``; with ``limit``, cut at about that many characters and
    end with ``...``."""
    out: list[str] = []
    size = 0
    # Work items: a string to emit, or (node, weakest level allowed here).
    stack: list[object] = [(root, 0)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            size += len(item)
            if limit is not None and size > limit:
                return "".join(out)[:limit] + "..."
            continue
        node, allowed = item
        parts: list[object] = []
        if _level(node) < allowed:
            parts.append("(")
        parts.extend(_parts(node))
        if _level(node) < allowed:
            parts.append(")")
        stack.extend(reversed(parts))
    return "".join(out)


def _parts(node: Expr) -> list[object]:
    if isinstance(node, Number):
        return [node.text if node.value >= 0 else f"-{node.text.lstrip('-')}"]
    if isinstance(node, (Name, Ref)):
        return [node.id]
    if isinstance(node, Unary):
        return [node.op, (node.operand, UNARY)]
    if isinstance(node, Binary):
        left, right = _operand_levels(node)
        op = "^" if node.op == "^" else f" {node.op} "
        return [(node.left, left), op, (node.right, right)]
    if isinstance(node, Transpose):
        return [(node.operand, POSTFIX), ".T"]
    if isinstance(node, Index):
        return [(node.operand, POSTFIX), "[" + ", ".join(map(str, node.indices)) + "]"]
    if isinstance(node, Vector):
        return ["[", *_comma_separated([(item, 0) for item in node.items]), "]"]
    if isinstance(node, Call):
        args: list[object] = [(arg, 0) for arg in node.args]
        args += [[f"{key}=", (value, 0)] for key, value in node.kwargs]
        return [f"{node.func}(", *_comma_separated(args), ")"]
    raise TypeError(f"cannot print {type(node).__name__}")


def _comma_separated(items: list[object]) -> list[object]:
    parts: list[object] = []
    for i, item in enumerate(items):
        if i:
            parts.append(", ")
        parts.extend(item if isinstance(item, list) else [item])
    return parts
