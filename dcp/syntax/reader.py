"""A fast reader for well-formed expressions; the Lark grammar stays the definition.

Lark's LALR parser spends about 25 us a token in pure Python (its lexer alone about 7 us;
lark-cython halves the total), which made parsing a third of a rules-only
certification. This reader is an operator-precedence parser over one regular expression:
well under a microsecond a token. It accepts a subset of the language on purpose: whenever
it meets anything unusual (a comment, a keyword, an error of any kind) it returns ``None``
and :func:`dcp.syntax.parser.parse_expression` hands the text to Lark, which gives the
tree or the error message. So every error still comes from the grammar, and the reader
only has to agree with it on input it accepts; ``tests/test_reader.py`` checks that
agreement on strings generated from the grammar itself.

One pass has two outputs. :func:`read_into` appends the expression to a
:class:`~dcp.tape.Tape`, one row per new subexpression as it is reduced (postorder, the
tape's order), with no tree node at all: that is what a certification reads.
:func:`read_expression` builds the tree, for bindings, definitions and scripts. The pass
speaks the tape's building calls (``add``, ``add_name``, ``add_number``, ``add_call``);
for a tree, :class:`_Trees` answers them with nodes instead of ids.
``tests/test_reader_tape.py`` checks that the tape is the one ``Tape.add_expr`` makes of
the tree, row for row and location for location.

The levels are the grammar's (``grammar/dcp.lark``): sum < product < unary < power <
postfix. Nothing recurses: operators and open brackets wait on explicit stacks.
"""
from __future__ import annotations

import re
from typing import Callable, Mapping

from ..errors import Span
from ..tape import UNARY, Tape, node_of
from .ast import MAX_INDEX, Call, Expr, Name, Number

__all__ = ["KEYWORDS", "read_expression", "read_into"]

#: The grammar's keywords: never names.
KEYWORDS = frozenset({"assume", "shape", "define", "certify", "wrt"})

_SPACE = r"[ \t\f\r\n]"
_WORD = r"(?![A-Za-z0-9_])"
# One match per token, with the spaces before it: ``(spaces, symbol, word)``. A symbol is
# an operator, any character that starts no word, or nothing at the end of the text (the
# last match). A word is a name, with the "(" of a call or the "=" of a keyword when one
# follows (so the reader needs no look-ahead), or a number (it starts with a digit or
# "."). The grammar's keywords are no names: their first letter is a symbol. Every
# character falls in some token, so a token's offset is the sum of the lengths before it.
# (``findall`` is faster than a match object per token, each group costs, and the
# commonest tokens, operators and brackets, are tried first. The spaces are possessive:
# trailing ones must not be retried one by one. ASCII: a digit of another script is no
# digit here, so the reader declines it and the grammar reads it, as it always has.)
_TOKEN = re.compile(
    rf"({_SPACE}*+)(?:("
    rf"\*\*|[-+*/@^(),\[\]]|\.T{_WORD}|\Z"
    rf"|(?![A-Za-z_\d]|\.\d)[^ \t\f\r\n]"
    rf"|(?=(?:{'|'.join(sorted(KEYWORDS))}){_WORD})[a-z]"
    rf")|([A-Za-z_][A-Za-z0-9_]*(?:{_SPACE}*[(=])?"
    rf"|(?:\d+(?:\.(?!T{_WORD})\d*)?|\.\d+)(?:[eE][+-]?\d+)?))", re.ASCII)

#: What a symbol after an operand does, as ``(floor, power, op, width)``: it applies the
#: waiting operators whose precedence is at least ``floor``; a binary operator then waits
#: itself, at precedence ``power``, to make the tape's ``op``; ``width`` is its length.
#: ``^`` is right-associative and binds tightest, so it applies none. Prefix signs sit at
#: 3: ``-x^2`` is ``-(x^2)``, ``-x*y`` is ``(-x)*y``. A closing bracket, a comma and the
#: end of the text (``""``) apply every operator and wait for nothing.
_AFTER_OPERAND = {
    "+": (1, 1, "+", 1), "-": (1, 1, "-", 1),
    "*": (2, 2, "*", 1), "/": (2, 2, "/", 1), "@": (2, 2, "@", 1),
    "^": (5, 4, "^", 1), "**": (5, 4, "^", 2),
    ")": (1, 0, None, 1), ",": (1, 0, None, 1), "]": (1, 0, None, 1), "": (1, 0, None, 0),
}
_PREFIX = 3
#: The precedence of an open bracket on the operator stack, and of the bottom of that
#: stack: below every operator, so applying operators stops there.
_OPEN = -1
_BOTTOM = -2


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
    trees = _Trees(text)
    try:
        return _read(text, None, trees.add, trees.add_name, trees.add_number, trees.add_call,
                     trees)
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
        return _read(text, bindings, tape.add, tape.add_name, tape.add_number, tape.add_call,
                     tape)
    except _Bail:
        return None


def _read(text: str, bindings: Mapping[str, Expr] | None, add: Callable, add_name: Callable,
          add_number: Callable, add_call: Callable, out: Tape | _Trees) -> object:
    """One pass over the tokens of ``text``: operands wait on one stack, operators and
    open brackets on another, and an operator is applied once a weaker one (or a closing
    bracket) follows it. ``add*`` are the building calls of ``out``, a tape or a
    :class:`_Trees`.

    An operand is ``(node, start, end)``: what the ``add*`` made of it, and where its
    text lies. An operator is ``(precedence, op, start)``; an open bracket is
    ``(_OPEN, kind, start, base)``, where ``base`` is how many operands lay below it (a
    call's and a vector's items stay on the operand stack above it until it closes) or,
    for a group, the tape's length at its ``(``; a call's adds ``name, name end, keys,
    positional count``.

    A group ``(e)`` is, in a tree, the node of ``e`` relocated at the brackets. A tape
    keeps a row's first location: so there a row first made inside the brackets (its id
    is at least the length at the ``(``) moves to them, and an older one stays."""
    operands: list[tuple] = []
    operators: list = [(_BOTTOM, "", 0)]
    push, pop = operands.append, operands.pop
    rows, starts, ends = (out.op, out.start, out.end) if type(out) is Tape else ((), None, None)
    expect_operand = True
    position = 0                    # where the last token ended
    argument_at = -1                # where the latest call argument began
    tokens = iter(_TOKEN.findall(text))
    for space, symbol, word in tokens:
        start = position + len(space)
        if expect_operand:
            if word:
                position = end = start + len(word)
                last = word[-1]
                if last == "(":                             # f( ... : a call opens
                    argument_at = end
                    name = word[:-1].rstrip()
                    operators.append([_OPEN, "call", start, len(operands), name,
                                      start + len(name), None, 0])
                    continue
                if last == "=":                             # p= : a keyword argument
                    _keyword(operators, operands, word[:-1].rstrip(),
                             start - len(space) == argument_at)
                    continue
                if word[0] > "9":               # a name (a number starts with a digit or ".")
                    if bindings and word in bindings:
                        push((add_name(word, bindings, start, end, text), start, end))
                    else:                       # add_name's free name, without its call
                        push((add("name", word, (), start, end, text), start, end))
                else:
                    push((add_number(word, start, end, text), start, end))
                expect_operand = False
            elif symbol == "(":
                position = start + 1
                operators.append((_OPEN, "group", start, len(rows)))
            elif symbol == "-" or symbol == "+":
                position = start + 1
                operators.append((_PREFIX, UNARY[symbol], start))
            elif symbol == "[":
                position = start + 1
                operators.append((_OPEN, "vector", start, len(operands)))
            elif symbol == ")" and argument_at == position and operators[-1][1] == "call" \
                    and operators[-1][3] == len(operands):   # f()
                position = end = start + 1
                _, _, first, _, func, func_end, _, _ = operators.pop()
                push((add_call(func, (), (), (first, func_end), first, end, text), first, end))
                expect_operand = False
            else:
                raise _Bail
            continue
        action = _AFTER_OPERAND.get(symbol)
        if action is None:
            if symbol == ".T":
                inner, first, _ = pop()
                position = end = start + 2
                push((add(".T", None, (inner,), first, end, text), first, end))
            elif symbol == "[":
                inner, first, _ = pop()
                indices, position = _indices(tokens, start + 1)
                push((add("[]", indices, (inner,), first, position, text), first, position))
            else:
                raise _Bail
            continue
        floor, power, op, width = action
        while operators[-1][0] >= floor:                    # apply what binds as tightly
            precedence, waiting, first = operators.pop()
            if precedence == _PREFIX:
                inner, _, end = pop()
                push((add(waiting, None, (inner,), first, end, text), first, end))
            else:
                right, _, end = pop()
                left, first, _ = pop()
                push((add(waiting, None, (left, right), first, end, text), first, end))
        if power:
            position = start + width
            operators.append((power, op, start))
            expect_operand = True
            continue
        bracket = operators[-1]
        kind = bracket[1]
        position = end = start + 1
        if kind == "call":
            if bracket[6] is not None:
                _check_keywords(bracket, len(operands))
            if symbol == ",":
                argument_at = end
                expect_operand = True
                continue
            if symbol != ")":
                raise _Bail
            operators.pop()
            _, _, first, base, func, func_end, keys, _ = bracket
            if base == len(operands) - 1:                   # the commonest: f(x)
                items = (pop()[0],)
            else:
                items = tuple([item[0] for item in operands[base:]])
                del operands[base:]
            push((add_call(func, tuple(keys) if keys else (), items, (first, func_end),
                           first, end, text), first, end))
        elif kind == "group":
            if symbol != ")":
                raise _Bail
            operators.pop()
            first = bracket[2]
            inner = pop()[0]
            if starts is None:
                inner = out.group(inner, first, end)
            elif inner >= bracket[3]:
                starts[inner] = first
                ends[inner] = end
            push((inner, first, end))
        elif kind == "vector":
            if symbol == ",":
                expect_operand = True
                continue
            if symbol != "]":
                raise _Bail
            operators.pop()
            first, base = bracket[2], bracket[3]
            items = tuple([item[0] for item in operands[base:]])
            del operands[base:]
            push((add("[...]", None, items, first, end, text), first, end))
        elif symbol or word:                        # a closing bracket with none open
            raise _Bail
        elif len(operands) == 1:                    # the end of the text
            return operands[0][0]
        else:
            raise _Bail
    raise _Bail


def _keyword(operators: list, operands: list, key: str, at_argument: bool) -> None:
    """``key =`` where a call's argument begins: note the key (its value is the item that
    follows). Anywhere else, or a key given twice, is left to the grammar."""
    if not at_argument:
        raise _Bail
    bracket = operators[-1]
    keys = bracket[6]
    if keys is None:
        bracket[6] = keys = []
        bracket[7] = len(operands) - bracket[3]            # the positional arguments
    elif key in keys:
        raise _Bail
    keys.append(key)


def _check_keywords(bracket: list, count: int) -> None:
    """At the end of a call's item, once it has keywords: the item must be the value of
    the latest one (a positional argument may not follow a keyword)."""
    if count - bracket[3] != bracket[7] + len(bracket[6]):
        raise _Bail


def _indices(tokens, position: int) -> tuple[tuple[int, ...], int]:
    """The signed integer constants of ``a[i, j]``, read straight off the tokens after the
    ``[``, and where the ``]`` ends."""
    values = []
    while True:
        space, symbol, word = next(tokens)
        position += len(space)
        sign = 1.0
        if symbol == "-" or symbol == "+":
            sign = -1.0 if symbol == "-" else 1.0
            space, symbol, word = next(tokens)
            position += 1 + len(space)
        if not word.isdigit():
            raise _Bail                         # the grammar's builder words any error
        value = sign * float(word)
        if abs(value) > MAX_INDEX:
            raise _Bail
        values.append(int(value))
        position += len(word)
        space, symbol, word = next(tokens)
        position += len(space) + 1
        if symbol == "]":
            return tuple(values), position
        if symbol != ",":
            raise _Bail


class _Trees:
    """The tape's building calls, answered with tree nodes (:mod:`dcp.syntax.ast`), each
    located where it is written in ``text``."""

    def __init__(self, text: str):
        self.text = text

    def add(self, op: str, data: object, args: tuple, start: int, end: int, source: str) -> Expr:
        return node_of(op, data, args, Span(start, end, source))

    def add_name(self, name: str, bindings, start: int, end: int, source: str) -> Expr:
        return Name(name, span=Span(start, end, source))

    def add_number(self, text: str, start: int, end: int, source: str) -> Expr:
        return Number(float(text), text, span=Span(start, end, source))

    def add_call(self, func: str, keys: tuple[str, ...], args: tuple, name_at: tuple[int, int],
                 start: int, end: int, source: str) -> Expr:
        count = len(args) - len(keys)
        return Call(func, args[:count], tuple(zip(keys, args[count:])),
                    Span(*name_at, source), span=Span(start, end, source))

    def group(self, inner: Expr, start: int, end: int) -> Expr:
        """``(e)``: the node of ``e``, located at the brackets."""
        return inner.with_span(Span(start, end, self.text))
