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

One pass has two outputs. :func:`read_into` appends the expression to a
:class:`~dcp.tape.Tape`, one row per new subexpression as it is reduced (postorder, the
tape's order), with no tree node at all: that is what a certification reads.
:func:`read_expression` builds the tree, for bindings, definitions and scripts. The two
differ only in what a reduction makes (the ``make_*`` methods);
``tests/test_reader_tape.py`` checks that the tape is the one ``Tape.add_expr`` makes of
the tree, row for row and location for location.

The levels are the grammar's (``grammar/dcp.lark``): sum < product < unary < power <
postfix. Nothing recurses: operators and open brackets wait on explicit stacks.
"""
from __future__ import annotations

import re
from typing import Mapping

from ..errors import Span
from ..tape import UNARY, Tape
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

__all__ = ["KEYWORDS", "read_expression", "read_into"]

_WORD = r"(?![A-Za-z0-9_])"
# One group per kind of token; every character falls in one, so a token's offset is the
# sum of the lengths before it (``findall`` is faster than a match object per token).
_TOKEN = re.compile("|".join((
    r"([ \t\f\r\n]+)",                                                  # space
    r"([A-Za-z_][A-Za-z0-9_]*)",                                        # name
    rf"((?:\d+(?:\.(?!T{_WORD})\d*)?|\.\d+)(?:[eE][+-]?\d+)?)",         # number
    rf"(\*\*|\.T{_WORD}|[-+*/@^(),\[\]=])",                             # operator
    r"(.)",                                                             # anything else
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
        return _TreeReader(text).run()
    except _Bail:
        return None


def read_into(text: str, tape: Tape, bindings: Mapping[str, Expr] | None = None) -> int | None:
    """Append the expression ``text`` to ``tape`` and return its root id: the rows and
    locations ``tape.add_expr(read_expression(text), bindings)`` gives, without the tree.
    ``None`` when the reader leaves the text to the grammar's parser; the tape may then
    hold rows of what was read, so start again on a fresh one.

    >>> from dcp.tape import Tape
    >>> tape = Tape()
    >>> root = read_into("relu(W @ x) + (relu(W @ x))", tape)
    >>> tape.args[root], tape.text(root)             # the two calls are one row
    ((3, 3), 'relu(W @ x) + relu(W @ x)')
    >>> read_into("x +", Tape()) is None
    True
    """
    try:
        return _TapeReader(text, tape, bindings).run()
    except _Bail:
        return None


def _tokens(text: str) -> list[tuple[str, str, int, int]]:
    """``(kind, text, start, end)`` for each token (an operator's kind is itself), then
    an ``end`` token."""
    found, start = [], 0
    for space, name, number, operator, _ in _TOKEN.findall(text):
        if space:
            start += len(space)
            continue
        if name:
            if name in KEYWORDS:
                raise _Bail
            end = start + len(name)
            found.append(("name", name, start, end))
        elif number:
            end = start + len(number)
            found.append(("number", number, start, end))
        elif operator:
            end = start + len(operator)
            found.append((operator, operator, start, end))
        else:
            raise _Bail                         # a character the reader does not know
        start = end
    found.append(("end", "", len(text), len(text)))
    return found


class _Frame:
    """An open bracket: ``(`` of a group, of a call, or ``[`` of a vector."""

    __slots__ = ("kind", "start", "name", "name_end", "mark", "items", "keys", "key")

    def __init__(self, kind: str, start: int, name: str = "", name_end: int = 0, mark: int = 0):
        self.kind, self.start, self.name, self.name_end = kind, start, name, name_end
        self.mark = mark
        #: The items made so far: a call's positional arguments, then its keyword values.
        self.items: list = []
        self.keys: list[str] = []
        self.key: str | None = None


class _Reader:
    """One pass over the tokens: operands wait on one stack, operators and open brackets
    on another, and an operator is applied once a weaker one (or a closing bracket)
    follows it.

    An operand is ``(node, start, end)``: what a ``make_*`` method made of it, and where
    its text lies. A subclass says what a node is: a tree node, or a tape's row id."""

    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokens(text)
        self.operands: list[tuple[object, int, int]] = []
        # Entries: (precedence, symbol, start, frame); brackets have precedence _OPEN.
        self.operators: list[tuple[int, str, int, _Frame | None]] = []

    def run(self):
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
                inner, first, _ = self.operands.pop()
                self.operands.append((self.make_transpose(inner, first, end), first, end))
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
    def operand(self, kind: str, value: str, start: int, end: int,
                position: int) -> tuple[int, bool]:
        if kind == "number":
            self.operands.append((self.make_number(value, start, end), start, end))
            return position, False
        if kind == "name":
            if self.tokens[position][0] != "(":
                self.operands.append((self.make_name(value, start, end), start, end))
                return position, False
            closing = self.tokens[position + 1]
            if closing[0] == ")":                                   # f()
                last = closing[3]
                self.operands.append((self.make_call(value, [], (), end, start, last), start, last))
                return position + 2, False
            self.operators.append((_OPEN, "(", start, _Frame("call", start, value, end)))
            return self.keyword(position + 1), True
        if kind == "(":
            self.operators.append((_OPEN, kind, start, _Frame("group", start, mark=self.mark())))
            return position, True
        if kind == "[":
            self.operators.append((_OPEN, kind, start, _Frame("vector", start)))
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
            if key in frame.keys:
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
                inner, first, _ = self.operands.pop()
                node = self.make_index(inner, tuple(values), first, end)
                self.operands.append((node, first, end))
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
            inner, _, end = operands.pop()
            operands.append((self.make_unary(symbol, inner, start, end), start, end))
            return
        right, _, end = operands.pop()
        left, start, _ = operands.pop()
        symbol = "^" if symbol == "**" else symbol
        operands.append((self.make_binary(symbol, left, right, start, end), start, end))

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
        if frame.key is not None:
            frame.keys.append(frame.key)
            frame.key = None
        elif frame.keys:
            raise _Bail                         # a positional argument after a keyword
        frame.items.append(self.operands.pop()[0])
        if kind == ",":
            if frame.kind == "group":
                raise _Bail
            return True
        self.operators.pop()
        start = frame.start
        if frame.kind == "vector":
            if kind != "]":
                raise _Bail
            node = self.make_vector(frame.items, start, end)
        elif kind != ")":
            raise _Bail
        elif frame.kind == "group":
            node = self.make_group(frame.items[0], start, end, frame.mark)
        else:
            node = self.make_call(frame.name, frame.items, tuple(frame.keys), frame.name_end,
                                  start, end)
        self.operands.append((node, start, end))
        return False

    def finish(self):
        operators = self.operators
        while operators:
            if operators[-1][0] == _OPEN:
                raise _Bail                     # an unclosed bracket
            self.reduce()
        if len(self.operands) != 1:
            raise _Bail
        return self.operands[0][0]

    def mark(self) -> int:
        """Taken where a group opens, and handed to ``make_group`` at its close."""
        return 0


class _TreeReader(_Reader):
    """Makes tree nodes (:mod:`dcp.syntax.ast`), each with its span."""

    def span(self, start: int, end: int) -> Span:
        return Span(start, end, self.text)

    def make_name(self, name: str, start: int, end: int) -> Expr:
        return Name(name, span=self.span(start, end))

    def make_number(self, text: str, start: int, end: int) -> Expr:
        return Number(float(text), text, span=self.span(start, end))

    def make_unary(self, symbol: str, inner: Expr, start: int, end: int) -> Expr:
        return Unary(symbol, inner, span=self.span(start, end))

    def make_binary(self, symbol: str, left: Expr, right: Expr, start: int, end: int) -> Expr:
        return Binary(symbol, left, right, span=self.span(start, end))

    def make_transpose(self, inner: Expr, start: int, end: int) -> Expr:
        return Transpose(inner, span=self.span(start, end))

    def make_index(self, inner: Expr, indices: tuple[int, ...], start: int, end: int) -> Expr:
        return Index(inner, indices, span=self.span(start, end))

    def make_vector(self, items: list[Expr], start: int, end: int) -> Expr:
        return Vector(tuple(items), span=self.span(start, end))

    def make_call(self, func: str, items: list[Expr], keys: tuple[str, ...], func_end: int,
                  start: int, end: int) -> Expr:
        count = len(items) - len(keys)
        return Call(func, tuple(items[:count]), tuple(zip(keys, items[count:])),
                    self.span(start, func_end), span=self.span(start, end))

    def make_group(self, inner: Expr, start: int, end: int, mark: int) -> Expr:
        return inner.with_span(self.span(start, end))


class _TapeReader(_Reader):
    """Makes rows of a tape (equal subexpressions are one row, located where first
    written), exactly as :meth:`~dcp.tape.Tape.add_expr` stores the tree."""

    def __init__(self, text: str, tape: Tape, bindings: Mapping[str, Expr] | None):
        super().__init__(text)
        self.tape, self.bindings, self.add = tape, bindings, tape.add

    def make_name(self, name: str, start: int, end: int) -> int:
        return self.tape.add_name(name, self.bindings, start, end, self.text)

    def make_number(self, text: str, start: int, end: int) -> int:
        return self.add("number", Number(float(text), text), (), start, end, self.text)

    def make_unary(self, symbol: str, inner: int, start: int, end: int) -> int:
        return self.add(UNARY[symbol], None, (inner,), start, end, self.text)

    def make_binary(self, symbol: str, left: int, right: int, start: int, end: int) -> int:
        return self.add(symbol, None, (left, right), start, end, self.text)

    def make_transpose(self, inner: int, start: int, end: int) -> int:
        return self.add(".T", None, (inner,), start, end, self.text)

    def make_index(self, inner: int, indices: tuple[int, ...], start: int, end: int) -> int:
        return self.add("[]", indices, (inner,), start, end, self.text)

    def make_vector(self, items: list[int], start: int, end: int) -> int:
        return self.add("[...]", None, tuple(items), start, end, self.text)

    def make_call(self, func: str, items: list[int], keys: tuple[str, ...], func_end: int,
                  start: int, end: int) -> int:
        return self.tape.add_call(func, keys, tuple(items), (start, func_end), start, end, self.text)

    def mark(self) -> int:
        return len(self.tape)

    def make_group(self, inner: int, start: int, end: int, mark: int) -> int:
        """The tree's group is its item relocated at the brackets, and a tape keeps a
        node's first location: so a row first made inside the brackets (its id is past
        the ``mark`` taken at ``(``) moves to them, and an older one stays."""
        if inner >= mark:
            self.tape.start[inner], self.tape.end[inner] = start, end
        return inner
