"""Expressions back to source text, with the fewest parentheses that keep the meaning.

``parse(to_text(e)) == e`` for every expression ``e`` (tested with Hypothesis). The
printer is iterative. A short text (``limit`` under :data:`HEAD`, as every trace line asks)
is built from the children's first characters, cached on each node, so printing every
step of a proof costs O(size) in all, even for a 10,000-term left-deep sum whose every
prefix starts at the bottom of the tree.
"""
from __future__ import annotations

from .ast import Binary, Call, Expr, Index, Name, Number, Ref, Transpose, Unary, Vector

__all__ = ["to_text", "to_text_set", "PRECEDENCE"]

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


#: How many leading characters of its text each printed node keeps.
HEAD = 64


def to_text(root: Expr, limit: int | None = None) -> str:
    """Source text for ``root``; with ``limit``, cut at about that many characters and
    end with ``...``."""
    if limit is not None and limit < HEAD:
        head = _head(root)
        return head if len(head) <= limit else head[:limit] + "..."
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


def _head(root: Expr) -> str:
    """The first :data:`HEAD` characters of ``root``'s text (all of it when shorter), from
    its children's, which are computed first (iteratively) and cached on the nodes."""
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, ready = stack.pop()
        if node._head is not None:
            continue
        parts = _flat(_parts(node))
        if not ready:
            stack.append((node, True))
            stack.extend((part[0], False) for part in parts
                         if isinstance(part, tuple) and part[0]._head is None)
            continue
        text = ""
        for part in parts:
            if isinstance(part, tuple):
                child, allowed = part
                part = f"({child._head})" if _level(child) < allowed else child._head
            text += part
            if len(text) >= HEAD:
                break
        object.__setattr__(node, "_head", text[:HEAD])
    return root._head


def _flat(parts: list[object]) -> list[object]:
    """A call's keyword arguments come as nested lists; the head wants one sequence."""
    flat: list[object] = []
    for part in parts:
        flat.extend(part if isinstance(part, list) else [part])
    return flat


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


def to_text_set(constraints, limit: int | None = None) -> str:
    """Constraints as source text: ``x^2 <= y * z, x * y >= 1``."""
    return ", ".join(f"{to_text(c.left, limit)} {c.op} {to_text(c.right, limit)}"
                     for c in constraints.items)
