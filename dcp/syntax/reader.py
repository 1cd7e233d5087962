"""A fast reader for well-formed expressions; the Lark grammar stays the definition.

Lark's LALR parser spends about 25 us a token in pure Python (its lexer alone about 7 us;
lark-cython halves the total), which made parsing a third of a rules-only
certification. This reader is an operator-precedence parser over one regular expression:
a few microseconds a token. It accepts a subset of the language on purpose: whenever it
meets anything unusual (a comment, a keyword, an error of any kind) it returns ``None``
and :func:`dcp.syntax.parser.parse_expression` hands the text to Lark, which gives the
tree or the error message. So every error still comes from the grammar, and the reader
only has to agree with it on input it accepts; ``tests/test_reader.py`` checks that
agreement on strings generated from the grammar itself.

The levels are the grammar's (``grammar/dcp.lark``): sum < product < unary < power <
postfix. Nothing recurses: operators and open brackets wait on explicit stacks.
"""
from __future__ import annotations

import re

from ..errors import Span
from .ast import (
    MAX_INDEX,
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Number,
    Transpose,
    Unary,
    Vector,
)

__all__ = ["KEYWORDS", "read_expression"]

_WORD = r"(?![A-Za-z0-9_])"
_TOKEN = re.compile("|".join((
    r"(?P<space>[ \t\f\r\n]+)",
    r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)",
    rf"(?P<number>(?:\d+(?:\.(?!T{_WORD})\d*)?|\.\d+)(?:[eE][+-]?\d+)?)",
    rf"(?P<op>\*\*|\.T{_WORD}|[-+*/@^(),\[\]=])",
    r"(?P<other>.)",
)), re.DOTALL)

#: The grammar's keywords: never names.
KEYWORDS = frozenset({"assume", "shape", "define", "certify", "wrt"})
#: Binding power of binary operators; ``^`` is right-associative. Prefix signs sit at 3:
#: ``-x^2`` is ``-(x^2)``, ``-x*y`` is ``(-x)*y``.
_BINARY = {"+": 1, "-": 1, "*": 2, "/": 2, "@": 2, "^": 4, "**": 4}
_PREFIX = 3
_OPEN = -1                      # precedence of a bracket on the operator stack


class _Bail(Exception):
    """The reader will not decide this input; Lark will."""


def read_expression(text: str) -> Expr | None:
    """The expression tree of ``text`` (line breaks count as spaces), or ``None`` when the
    reader leaves the text to the grammar's parser.

    >>> read_expression("relu(W2 @ relu(W1 @ x))")
    Call('relu(W2 @ relu(W1 @ x))')
    >>> read_expression("x +") is None      # an error: Lark will say what is wrong
    True
    """
    try:
        return _Reader(text).run()
    except _Bail:
        return None


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    found = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        if kind == "space":
            continue
        value = match.group()
        if kind == "other" or (kind == "name" and value in KEYWORDS):
            raise _Bail
        found.append((value if kind == "op" else kind, value, match.start(), match.end()))
    found.append(("end", "", len(text), len(text)))
    return found


class _Frame:
    """An open bracket: ``(`` of a group, of a call, or ``[`` of a vector."""

    __slots__ = ("kind", "start", "name", "name_end", "items", "keywords", "key")

    def __init__(self, kind: str, start: int, name: str = "", name_end: int = 0):
        self.kind, self.start, self.name, self.name_end = kind, start, name, name_end
        self.items: list[Expr] = []
        self.keywords: list[tuple[str, Expr]] = []
        self.key: str | None = None


class _Reader:
    """One pass over the tokens: operands wait on one stack, operators and open brackets
    on another, and an operator is applied once a weaker one (or a closing bracket)
    follows it."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.operands: list[Expr] = []
        # Entries: (precedence, symbol, start, frame); brackets have precedence _OPEN.
        self.operators: list[tuple[int, str, int, _Frame | None]] = []

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.text)

    def run(self) -> Expr:
        tokens, position, expect_operand = self.tokens, 0, True
        while True:
            kind, value, start, end = tokens[position]
            position += 1
            if expect_operand:
                position, expect_operand = self.operand(kind, value, start, end, position)
            elif kind in _BINARY:
                self.binary(kind, start)
                expect_operand = True
            elif kind == ".T":
                inner = self.operands.pop()
                self.operands.append(Transpose(inner, span=self.span(inner.span.start, end)))
            elif kind == "[":
                position = self.index(position)
            elif kind in (")", "]", ","):
                expect_operand = self.close(kind, end)
                if expect_operand and self.operators[-1][3].kind == "call":
                    position = self.keyword(position)
            elif kind == "end":
                return self.finish()
            else:
                raise _Bail

    # ---- operands ----
    def operand(self, kind: str, value: str, start: int, end: int, position: int) -> tuple[int, bool]:
        if kind == "number":
            self.operands.append(Number(float(value), value, span=self.span(start, end)))
            return position, False
        if kind == "name":
            if self.tokens[position][0] != "(":
                self.operands.append(Name(value, span=self.span(start, end)))
                return position, False
            closing = self.tokens[position + 1]
            if closing[0] == ")":                                   # f()
                self.operands.append(Call(value, (), (), self.span(start, end),
                                          span=self.span(start, closing[3])))
                return position + 2, False
            self.operators.append((_OPEN, "(", start, _Frame("call", start, value, end)))
            return self.keyword(position + 1), True
        if kind in ("(", "["):
            self.operators.append((_OPEN, kind, start, _Frame("group" if kind == "(" else "vector", start)))
            return position, True
        if kind in ("-", "+"):
            self.operators.append((_PREFIX, kind, start, None))
            return position, True
        raise _Bail

    def keyword(self, position: int) -> int:
        """At the start of a call argument: ``key = value`` records the key."""
        tokens = self.tokens
        if tokens[position][0] == "name" and tokens[position + 1][0] == "=":
            frame = self.operators[-1][3]
            key = tokens[position][1]
            if any(key == seen for seen, _ in frame.keywords):
                raise _Bail
            frame.key = key
            return position + 2
        return position

    def index(self, position: int) -> int:
        """``a[i, j]``: signed integer constants, read straight off the tokens."""
        tokens, values = self.tokens, []
        while True:
            sign = 1.0
            if tokens[position][0] in ("-", "+"):
                sign = -1.0 if tokens[position][0] == "-" else 1.0
                position += 1
            kind, value, _, _ = tokens[position]
            if kind != "number" or not value.isdigit():
                raise _Bail                     # the grammar's builder words any error
            number = sign * float(value)
            if abs(number) > MAX_INDEX:
                raise _Bail
            values.append(int(number))
            kind, _, _, end = tokens[position + 1]
            position += 2
            if kind == "]":
                inner = self.operands.pop()
                self.operands.append(Index(inner, tuple(values), span=self.span(inner.span.start, end)))
                return position
            if kind != ",":
                raise _Bail

    # ---- operators ----
    def binary(self, symbol: str, start: int) -> None:
        power = _BINARY[symbol]
        right_assoc = power == 4
        operators = self.operators
        while operators:
            top = operators[-1][0]
            if top == _OPEN or top < power or (top == power and right_assoc):
                break
            self.reduce()
        operators.append((power, symbol, start, None))

    def reduce(self) -> None:
        precedence, symbol, start, _ = self.operators.pop()
        operands = self.operands
        if precedence == _PREFIX:
            inner = operands.pop()
            operands.append(Unary(symbol, inner, span=self.span(start, inner.span.end)))
            return
        right = operands.pop()
        left = operands.pop()
        operands.append(Binary("^" if symbol == "**" else symbol, left, right,
                               span=self.span(left.span.start, right.span.end)))

    def reduce_to_bracket(self) -> _Frame:
        operators = self.operators
        while operators and operators[-1][0] != _OPEN:
            self.reduce()
        if not operators:
            raise _Bail
        return operators[-1][3]

    def close(self, kind: str, end: int) -> bool:
        """``)``, ``]`` or ``,``: finish the bracket's current item. Returns whether an
        operand is expected next (after a comma)."""
        frame = self.reduce_to_bracket()
        item = self.operands.pop()
        if frame.key is not None:
            frame.keywords.append((frame.key, item))
            frame.key = None
        elif frame.keywords:
            raise _Bail                         # a positional argument after a keyword
        else:
            frame.items.append(item)
        if kind == ",":
            if frame.kind == "group":
                raise _Bail
            return True
        self.operators.pop()
        if frame.kind == "vector":
            if kind != "]":
                raise _Bail
            node = Vector(tuple(frame.items), span=self.span(frame.start, end))
        elif kind != ")":
            raise _Bail
        elif frame.kind == "group":
            node = frame.items[0].with_span(self.span(frame.start, end))
        else:
            node = Call(frame.name, tuple(frame.items), tuple(frame.keywords),
                        self.span(frame.start, frame.name_end), span=self.span(frame.start, end))
        self.operands.append(node)
        return False

    def finish(self) -> Expr:
        operators = self.operators
        while operators:
            if operators[-1][0] == _OPEN:
                raise _Bail                     # an unclosed bracket
            self.reduce()
        if len(self.operands) != 1:
            raise _Bail
        return self.operands[0]
