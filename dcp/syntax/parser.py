"""Text to AST: Lark's LALR parser with an inline transformer.

The transformer runs inside the parser's reduce steps, so the AST is built bottom-up
without any recursive walk and a 10,000-deep expression parses. Lark does not pass
positions to an inline transformer; every named terminal carries its own, and each node's
span runs from its first token to its last (brackets included, since they are named
terminals in the grammar).
"""
from __future__ import annotations

import difflib
import math
import re
import threading
from fractions import Fraction
from functools import lru_cache
from importlib import resources
from typing import Iterator

from lark import Lark, Token, Transformer
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    VisitError,
)

from ..errors import ArgumentError, AssumptionError, DcpError, ParseError, Span, option
from .ast import (
    MAX_FLOAT,
    MAX_INDEX,
    Assignment,
    Assume,
    Binary,
    Call,
    CONSTRAINT_OPS,
    CertifyStatement,
    Condition,
    Constraint,
    ConstraintSet,
    Define,
    Expr,
    ExpressionStatement,
    Index,
    Name,
    Number,
    ShapeDecl,
    Statement,
    Transpose,
    Unary,
    Vector,
)
from .reader import read_expression

__all__ = ["parse_expression", "parse_assumptions", "parse_constraints", "is_constraint_text",
           "parse_script", "iter_script", "grammar_text"]


def grammar_text() -> str:
    """The grammar, read from the package (a checkout links it to ``grammar/dcp.lark``)."""
    return resources.files("dcp").joinpath("dcp.lark").read_text(encoding="utf-8")


_CURRENT = threading.local()


def _new_span(start: int, end: int) -> Span:
    return Span(start, end, getattr(_CURRENT, "text", None))


class _Entries(list):
    """The entries of a tuple written as a call's argument, to pass in its place."""


def _span(first: object, last: object) -> Span:
    return _new_span(_start(first), _end(last))


def _start(item: object) -> int:
    return item.start_pos if isinstance(item, Token) else item.span.start


def _end(item: object) -> int:
    return item.end_pos if isinstance(item, Token) else item.span.end


def _number(token: Token, negative: bool = False) -> Number:
    text = ("-" if negative else "") + str(token)
    return Number(float(text), text)


class _Builder(Transformer):
    """One method per grammar alias; each returns an AST node with its span."""

    # ---- expressions ----
    def number(self, children):
        (token,) = children
        return _number(token).with_span(_new_span(token.start_pos, token.end_pos))

    def name(self, children):
        (token,) = children
        return Name(str(token), span=_new_span(token.start_pos, token.end_pos))

    def binary(self, children):
        left, op, right = children
        symbol = "^" if op == "**" else str(op)
        return Binary(symbol, left, right, span=_span(left, right))

    def unary(self, children):
        op, operand = children
        return Unary(str(op), operand, span=_span(op, operand))

    def transpose(self, children):
        operand, dot_t = children
        return Transpose(operand, span=_span(operand, dot_t))

    def index(self, children):
        operand, _lsqb, indices, rsqb = children
        return Index(operand, indices, span=_span(operand, rsqb))

    def index_list(self, children):
        values = []
        for number in children:
            if isinstance(number, Token):   # a comma
                continue
            if number.exact != number.value or not number.value.is_integer():
                raise ArgumentError(f"an index must be an integer constant, not {number.text}",
                                    span=number.span)
            if abs(number.value) > MAX_INDEX:
                raise ArgumentError(f"index {number.text} is beyond the sizes dcp works with "
                                    f"(at most {MAX_INDEX})", span=number.span)
            values.append(int(number.value))
        return tuple(values)

    def signed_number(self, children):
        sign = children[0] if len(children) == 2 else None
        token = children[-1]
        number = _number(token, negative=sign == "-")
        return number.with_span(_span(sign or token, token))

    def call(self, children):
        name, _lpar, *arguments, rpar = children
        args, kwargs = [], []
        spread = []
        for argument in arguments:
            spread.extend(argument if isinstance(argument, _Entries) else [argument])
        for argument in spread:
            if argument is None or isinstance(argument, Token):
                continue
            if isinstance(argument, tuple):
                key, value, key_token = argument
                if any(key == seen for seen, _ in kwargs):
                    raise ArgumentError(f"keyword `{key}` given twice",
                                        span=_new_span(key_token.start_pos, key_token.end_pos))
                kwargs.append((key, value))
            elif kwargs:
                raise ArgumentError("a positional argument cannot follow a keyword argument",
                                    span=argument.span)
            else:
                args.append(argument)
        return Call(str(name), tuple(args), tuple(kwargs),
                    _new_span(name.start_pos, name.end_pos), span=_span(name, rpar))

    def keyword(self, children):
        key, _equal, value = children
        return (str(key), value, key)

    def tuple_argument(self, children):
        """``(m, n)`` as an argument: CVXPY's shape tuple, ``reshape(X, (m, n))``, passed
        as its entries (``reshape(X, m, n)``)."""
        return _Entries([item for item in children if item is not None and not isinstance(item, Token)])

    def group(self, children):
        lpar, inner, rpar = children
        return inner.with_span(_span(lpar, rpar))

    def vector(self, children):
        lsqb, *items, rsqb = children
        items = tuple(item for item in items if not isinstance(item, Token))
        return Vector(items, span=_span(lsqb, rsqb))

    # ---- assumptions ----
    def bound(self, children):
        name, op, number = children
        return _condition(str(name), str(op), number, _span(name, number))

    def bound_reversed(self, children):
        number, op, name = children
        return _condition(str(name), _flip(op), number, _span(number, name))

    def between(self, children):
        low, op1, name, op2, high = children
        return _between(low, str(op1), str(name), str(op2), high, _span(low, high))

    def structure(self, children):
        name, word = children
        return Condition(name=str(name), structure=str(word), span=_span(name, word))

    # ---- constraints ----
    def constraint(self, children):
        left, op, right = children
        if str(op) not in CONSTRAINT_OPS:
            raise ParseError(f"a constraint compares with <=, >= or ==, not {op} (a strict "
                             f"inequality makes an open set; write {'<=' if op == '<' else '>='})",
                             span=_new_span(op.start_pos, op.end_pos))
        return Constraint(str(op), left, right, span=_span(left, right))

    def chained_constraint(self, children):
        first, _op, middle, op, _last = children
        raise ParseError(f"a constraint compares two sides; write a chain as two constraints "
                         f"joined by `,` (`a <= b, b <= c`)",
                         span=_new_span(op.start_pos, op.end_pos))

    def constraints(self, children):
        items = tuple(c for c in children if isinstance(c, Constraint))
        return ConstraintSet(items, span=_span(items[0], items[-1]))

    def constraint_input(self, children):
        return children[0]

    # ---- statements ----
    def assignment(self, children):
        name, _equal, value = children
        return Assignment(str(name), value, span=_span(name, value))

    def assume_statement(self, children):
        keyword, *rest = children
        conditions = tuple(c for c in rest if isinstance(c, Condition))
        return Assume(conditions, span=_span(keyword, conditions[-1]))

    def shape_statement(self, children):
        keyword, name, *rest = children
        dims: list[int | str] = []
        for item in rest:
            if isinstance(item, Token) and item.type == "NAME":
                dims.append(str(item))          # a dimension of any size: `shape u = (n,)`
            elif isinstance(item, Token) and item.type == "NUMBER":
                if not float(item).is_integer() or float(item) < 1:
                    raise ArgumentError(f"a dimension must be a positive integer or a letter "
                                        f"(any size), not {item}",
                                        span=_new_span(item.start_pos, item.end_pos))
                dims.append(int(float(item)))
        if len(dims) > 2:
            raise ArgumentError("values have rank 0, 1 or 2: a shape has at most two dimensions",
                                span=_span(keyword, rest[-1]))
        return ShapeDecl(str(name), tuple(dims), span=_span(keyword, rest[-1]))

    def define_statement(self, children):
        keyword, name, *rest = children
        body = rest[-1]
        tokens = [t for t in rest[:-1] if isinstance(t, Token) and t.type == "NAME"]
        params = tuple(str(t) for t in tokens)
        check_parameters(str(name), params, [_new_span(t.start_pos, t.end_pos) for t in tokens])
        return Define(str(name), params, body, span=_span(keyword, body))

    def certify_statement(self, children):
        keyword, expr, _wrt, *names = children     # expr: an expression or a ConstraintSet
        wrt = tuple(str(t) for t in names if t.type == "NAME")
        return CertifyStatement(expr, wrt, span=_span(keyword, names[-1]))

    def expression_statement(self, children):
        (expr,) = children
        return ExpressionStatement(expr, span=expr.span)

    # ---- entry points ----
    def expression_input(self, children):
        return children[0]

    def assumption_input(self, children):
        return tuple(c for c in children if isinstance(c, Condition))

    def script(self, children):
        return tuple(c for c in children if isinstance(c, Statement))


def _flip(op) -> str:
    return {"<=": ">=", "<": ">", ">=": "<=", ">": "<"}[str(op)]


def _condition(name: str, op: str, number: Number | float, span: Span) -> Condition:
    """``NAME op number``: a lower bound for ``>``/``>=``, an upper one for ``<``/``<=``."""
    if op.startswith(">"):
        lower, strict = _bound_end(number, True, op == ">", span)
        return Condition(name=name, lower=lower, strict_lower=strict, span=span)
    upper, strict = _bound_end(number, False, op == "<", span)
    return Condition(name=name, upper=upper, strict_upper=strict, span=span)


def _between(low: Number | float, op1: str, name: str, op2: str, high: Number | float, span: Span
             ) -> Condition:
    """``low op1 NAME op2 high``, both comparisons pointing the same way: ``5 >= x >= 1``
    is ``1 <= x <= 5``. The lower bound is checked before the upper one."""
    if op1[0] != op2[0]:
        raise DcpError("a two-sided assumption reads `c <= NAME <= d` or `d >= NAME >= c`",
                       span=span)
    if op1[0] == ">":
        low, op1, op2, high = high, _flip(op2), _flip(op1), low
    lower, strict_lower = _bound_end(low, True, op1 == "<", span)
    upper, strict_upper = _bound_end(high, False, op2 == "<", span)
    return Condition(name=name, lower=lower, upper=upper, strict_lower=strict_lower,
                     strict_upper=strict_upper, span=span)


def _bound_end(number: Number | float, lower: bool, strict: bool, span: Span
               ) -> tuple[float | Fraction, bool]:
    """The end a literal gives a lower (or upper) bound, and whether it is open: the
    literal's exact value (a float given is one already), or for a literal not kept
    exactly the edge of the gap between floats it lies in (``x >= 1e-9999999`` is
    ``x > 0``: the box only grows). A literal beyond the floats is refused."""
    if number.__class__ is float:
        return number, strict
    if math.isinf(number.value):
        raise AssumptionError(f"the bound {number.text} is too large: it overflows a double "
                              f"(bounds are finite, at most {MAX_FLOAT:.4g} in size)",
                              span=number.span or span)
    lo, hi, lo_open, hi_open = number.enclosure()
    return (lo, strict or lo_open) if lower else (hi, strict or hi_open)


@lru_cache(maxsize=None)
def _parser() -> Lark:
    return Lark(grammar_text(), parser="lalr", lexer="contextual", transformer=_Builder(),
                start=["expression_input", "assumption_input", "constraint_input", "script"],
                maybe_placeholders=True, cache=False)


# Plain words for the grammar's terminals, for "expected ..." messages.
_WORDS = {
    "NAME": "a name", "NUMBER": "a number", "PLUS": "`+`", "MINUS": "`-`", "STAR": "`*`",
    "SLASH": "`/`", "AT": "`@`", "CARET": "`^`", "DSTAR": "`**`", "DOT_T": "`.T`",
    "EQUAL": "`=`", "COMMA": "`,`", "SEMI": "`;`", "LPAR": "`(`", "RPAR": "`)`",
    "LSQB": "`[`", "RSQB": "`]`", "COMPARE": "a comparison (`>=`, `<=`, `>`, `<`)",
    "STRUCTURE": "`psd`, `nsd` or `symmetric`", "_NL": "a new line", "$END": "the end of the input", "ASSUME": "`assume`",
    "SHAPE": "`shape`", "DEFINE": "`define`", "CERTIFY": "`certify`", "WRT": "`wrt`",
    "EQEQ": "`==`",
}
# Terminals listed by what they start: an expression is summarised as one phrase.
_EXPRESSION_STARTS = {"NAME", "NUMBER", "MINUS", "PLUS", "LPAR", "LSQB"}


def _expected(names: set[str]) -> str:
    names = set(names)
    phrases = []
    if _EXPRESSION_STARTS <= names:
        phrases.append("an expression")
        names -= _EXPRESSION_STARTS
    if {"NUMBER", "MINUS", "PLUS"} <= names:
        phrases.append("a number")
        names -= {"NUMBER", "MINUS", "PLUS"}
    if {"PLUS", "MINUS", "STAR", "SLASH", "AT", "CARET"} <= names:
        phrases.append("an operator")
        # After a complete operand anything postfix could follow too; naming it all is noise.
        names -= {"PLUS", "MINUS", "STAR", "SLASH", "AT", "CARET", "DSTAR", "DOT_T", "LSQB",
                  "LPAR", "EQUAL"}
    phrases += sorted(_WORDS.get(n, n.lower()) for n in names)
    if not phrases:
        return ""
    if len(phrases) > 1:
        return "expected " + ", ".join(phrases[:-1]) + " or " + phrases[-1]
    return "expected " + phrases[0]


def _found(error: UnexpectedInput, text: str) -> str:
    if isinstance(error, UnexpectedCharacters):
        return f"unexpected character `{text[error.pos_in_stream]}`"
    token = getattr(error, "token", None)
    if isinstance(error, UnexpectedEOF) or token is None or token.type == "$END":
        return "unexpected end of input"
    if token.type == "_NL":
        return "unexpected end of line"
    return f"unexpected `{token}`"


def _parse(text: str, start: str, filename: str | None = None, newlines_are_spaces: bool = False):
    # Replacing keeps the length, so spans and error positions index the original text.
    parsed_text = text.replace("\n", " ") if newlines_are_spaces else _bracketed_lines_joined(text)
    _CURRENT.text = text
    try:
        return _parser().parse(parsed_text, start=start)
    except DcpError as error:                        # raised by the builder, e.g. a bad index
        raise error.locate(text, filename=filename) from None
    except VisitError as error:
        if isinstance(error.orig_exc, DcpError):
            raise error.orig_exc.locate(text, filename=filename) from None
        raise
    except UnexpectedInput as error:
        raise _parse_error(error, text, filename) from None


def _parse_error(error: UnexpectedInput, text: str, filename: str | None) -> ParseError:
    if isinstance(error, UnexpectedCharacters):
        allowed = error.allowed or set()
        position = error.pos_in_stream
        width = 1
    else:
        # `expected` is the LALR state's lookahead, which the entry points share (after
        # `x` in an expression it lists `wrt`, `;` and a new line); `accepts` tries each
        # terminal on a copy of the parser and keeps those this input could take.
        allowed = getattr(error, "accepts", None) or getattr(error, "expected", None) or set()
        token = getattr(error, "token", None)
        if isinstance(error, UnexpectedEOF) or token is None or token.type == "$END":
            position, width = len(text.rstrip()), 1
        else:
            position, width = token.start_pos, max(1, len(str(token)))
    message = _found(error, text)
    # The contextual lexer reports every terminal of the language for a stray character.
    expected = "" if isinstance(error, UnexpectedCharacters) else _expected(set(allowed))
    if expected:
        message += f"; {expected}"
    return ParseError(message, source=text, span=Span(position, position + width, text),
                      filename=filename)


def parse_expression(text: str, filename: str | None = None) -> Expr:
    """Parse one expression. Line breaks count as spaces.

    >>> parse_expression("relu(W @ x)")
    Call('relu(W @ x)')
    """
    if not isinstance(text, str):
        raise DcpError(f"an expression must be a string, not {type(text).__name__}")
    tree = read_expression(text)
    if tree is not None:
        return tree
    try:
        return _parse(text, "expression_input", filename, newlines_are_spaces=True)
    except ParseError as error:
        raise _statements_error(text, filename) or error from None


def is_constraint_text(text: object) -> bool:
    """Whether ``text`` is written as constraints (it compares: ``<=``, ``>=``, ``==``,
    ``<``, ``>`` outside comments), not as a function.

    >>> is_constraint_text("x^2 <= y*z"), is_constraint_text("norm(x, p=1)")
    (True, False)
    """
    if not isinstance(text, str) or not ("<" in text or ">" in text or "==" in text):
        return False
    return bool(_COMPARISON.search(_COMMENT.sub("", text)))


_COMPARISON = re.compile(r"[<>]|==")
_COMMENT = re.compile(r"#[^\n]*")


def parse_constraints(text: str, filename: str | None = None) -> ConstraintSet:
    """Parse constraints joined by ``,`` (SPEC section 10). Line breaks count as spaces.

    >>> [c.op for c in parse_constraints("x^2 <= y*z, y >= 0").items]
    ['<=', '>=']
    """
    if not isinstance(text, str):
        raise DcpError(f"constraints must be a string, not {type(text).__name__}")
    try:
        return _parse(text, "constraint_input", filename, newlines_are_spaces=True)
    except ParseError as error:
        raise _statements_error(text, filename) or error from None


# What a script's statement is called, in an error that says it is not an expression.
_STATEMENT_KINDS = {Assignment: "a binding (`h = ...`)", Assume: "an assumption (`assume ...`)",
                    ShapeDecl: "a shape (`shape ...`)", Define: "a definition (`define ...`)",
                    CertifyStatement: "a certify statement (`certify ... wrt ...`)"}


def _statements_error(text: str, filename: str | None) -> ParseError | None:
    """When ``text`` is no expression but a script's statements (``h = relu(x)``,
    ``assume x >= 0``, two lines, ``a; b``), the error that says where those belong, with a
    caret under the statement (the second one, of several); otherwise None."""
    try:
        statements = parse_script(text, filename)
    except DcpError:
        return None
    if len(statements) > 1:
        what, span = "several statements (lines, or parts split by `;`)", statements[1].span
    elif statements and not isinstance(statements[0], ExpressionStatement):
        what, span = _STATEMENT_KINDS.get(type(statements[0]), "a statement"), statements[0].span
    else:
        return None
    return ParseError(f"expected one expression, got {what}: statements belong in a script "
                      f"(`{option('Session.run')}`) or the REPL", source=text,
                      span=Span(span.start, span.end, text), filename=filename)


# Assumptions come mostly as `NAME op c`, `c op NAME`, `c <= NAME <= d` and lists of them
# (a network with hundreds of layers has hundreds). These patterns read those forms
# without the parser, token for token as the grammar would; anything else (a comment, a
# stray character, a missing number: any error) goes to Lark, which gives the conditions
# or the error. Both build through `_condition` and `_between`, and
# tests/test_assume_fast.py checks that they agree on generated strings.
_SPACE = r"[ \t\f\r\n]*"            # the grammar's ignored spaces (a line break counts as one)
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_COMPARE = r">=|<=|>|<"
# NUMBER, signed as in `signed_number`. The grammar's `.T` look-ahead is not needed: a
# number here is followed only by a space, a comparison, a comma or the end.
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
# Spaces may follow a sign only: two space runs side by side would backtrack in O(n^2).
_SIGNED = r"(?:(?P<{0}_sign>[-+])" + _SPACE + r")?(?P<{0}>" + _NUMBER + ")"
_NEXT = _SPACE + r"(?:(?P<comma>,)|\Z)"                 # the next condition, or the end
_BOUND = re.compile(                                      # NAME op c
    rf"{_SPACE}(?P<name>{_NAME}){_SPACE}(?P<op>{_COMPARE}){_SPACE}{_SIGNED.format('number')}{_NEXT}")
_BETWEEN = re.compile(                                    # c op NAME, c op NAME op d
    rf"{_SPACE}{_SIGNED.format('low')}{_SPACE}(?P<op1>{_COMPARE}){_SPACE}(?P<name>{_NAME})"
    rf"(?:{_SPACE}(?P<op2>{_COMPARE}){_SPACE}{_SIGNED.format('high')})?{_NEXT}")


def parse_assumptions(text: str) -> tuple[Condition, ...]:
    """Parse ``"W2 >= 0"``, ``"0 <= p <= 1"``, or several separated by commas.

    >>> parse_assumptions("W2 >= 0, 0 < p <= 1")[1].key()
    ('p', 0.0, 1.0, True, False)
    """
    if not isinstance(text, str):
        raise DcpError(f"an assumption must be a string such as 'W2 >= 0', not {type(text).__name__}")
    conditions = _read_conditions(text)
    if conditions is not None:
        return conditions
    return _parse(text, "assumption_input", newlines_are_spaces=True)


def _read_conditions(text: str) -> tuple[Condition, ...] | None:
    """The conditions of ``text`` read with ``_BOUND`` and ``_BETWEEN``, or ``None`` to
    leave the text to the grammar. Each condition is built as soon as it is read, as the
    parser's reduce step builds it, so the first refused bound raises the same error."""
    conditions, position = [], 0
    while True:
        match = _BOUND.match(text, position)
        if match is not None:
            condition = _read_bound(match, text)
        else:
            match = _BETWEEN.match(text, position)
            if match is None:
                return None
            condition = _read_between(match, text)
        conditions.append(condition)
        if match["comma"] is None:
            return tuple(conditions)
        position = match.end()


def _read_bound(match: re.Match, text: str) -> Condition:
    """``NAME op c``, as the grammar's ``bound`` builds it."""
    name, op = match.group("name", "op")
    return _condition(name, op, _read_signed(match, "number", text),
                      Span(match.start("name"), match.end("number"), text))


def _read_between(match: re.Match, text: str) -> Condition:
    """``c op NAME`` or ``c op NAME op d``, as the grammar's ``bound_reversed`` or
    ``between`` builds it."""
    low, start = _read_signed(match, "low", text), _signed_start(match, "low")
    if match["op2"] is None:                                      # c op NAME
        return _condition(match["name"], _flip(match["op1"]), low,
                          Span(start, match.end("name"), text))
    high = _read_signed(match, "high", text)                      # c op NAME op d
    return _between(low, match["op1"], match["name"], match["op2"], high,
                    Span(start, match.end("high"), text))


def _read_signed(match: re.Match, group: str, text: str) -> Number | float:
    """The signed number in ``group``: a signed integer of at most 15 digits (``W >= 0``,
    ``0 <= p <= 1``, the commonest bounds) is a float exactly, so it needs no Number."""
    sign, digits = match.group(group + "_sign", group)
    if len(digits) <= 15 and digits.isdigit():
        return float(digits) if sign != "-" else (-float(digits) or 0.0)
    return _read_number(match, group, text)


def _signed_start(match: re.Match, group: str) -> int:
    """Where the signed number in ``group`` starts: at its sign, if it has one."""
    return match.start(group + "_sign") if match[group + "_sign"] else match.start(group)


def _read_number(match: re.Match, group: str, text: str) -> Number:
    """The signed number in ``group``, as the grammar's ``signed_number`` builds it: a
    ``+`` is dropped from the text, and the span runs from the sign."""
    literal = "-" + match[group] if match[group + "_sign"] == "-" else match[group]
    return Number(float(literal), literal, span=Span(_signed_start(match, group), match.end(group), text))


def parse_script(text: str, filename: str | None = None) -> tuple[Statement, ...]:
    """Parse a script: statements separated by new lines or ``;``."""
    if not isinstance(text, str):
        raise DcpError(f"a script must be a string, not {type(text).__name__}")
    return _parse(text, "script", filename)


# What decides where a statement ends: brackets, new lines, `;`, and comments (which may
# hold any of these). The language has no strings, so nothing else can hide them.
_LAYOUT = re.compile(r"#[^\n]*|[][()\n;]")


def _layout(text: str, end: int | None = None) -> Iterator[tuple[str, int, int]]:
    """Each bracket, new line, ``;`` and comment of ``text`` before ``end``: its text,
    where it ends, and how many brackets are open after it."""
    depth = 0
    for match in _LAYOUT.finditer(text, 0, len(text) if end is None else end):
        lexeme = match[0]
        if lexeme in "([":
            depth += 1
        elif lexeme in ")]":
            depth -= 1
        yield lexeme, match.end(), depth


def _bracketed_lines_joined(text: str) -> str:
    """``text`` with the new lines and comments inside brackets made spaces, so that a
    statement goes on over lines while a bracket is open, as in Python. The length is
    kept, so positions (and carets) are those of the text as written."""
    if "\n" not in text:
        return text
    chars = None
    for lexeme, end, depth in _layout(text):
        if depth > 0 and lexeme[0] in "#\n":
            chars = chars or list(text)
            chars[end - len(lexeme):end] = " " * len(lexeme)
    return text if chars is None else "".join(chars)


def open_brackets(text: str) -> int:
    """How many brackets ``text`` leaves open (a REPL entry goes on while some are)."""
    depth = 0
    for _lexeme, _end, depth in _layout(text):
        pass
    return max(depth, 0)


def statement_start(text: str, position: int) -> int:
    """Where the statement holding ``position`` starts: just after the last new line or
    ``;`` outside brackets before it (0 in the first statement)."""
    start = 0
    for lexeme, end, depth in _layout(text, position):
        if lexeme in "\n;" and depth <= 0:
            start = end
    return start


def iter_script(text: str, filename: str | None = None) -> Iterator[Statement]:
    """The statements of a script, as :func:`parse_script` gives them; when the script has
    a mistake, first the statements before the one holding it, then its error (so a
    runner does what precedes a mistake, as a shell does)."""
    try:
        statements = parse_script(text, filename)
    except DcpError as error:
        if error.span is None or error.source is not text:
            raise
        # Lark read every token before the mistake, so the statements before it are whole.
        yield from parse_script(text[:statement_start(text, error.span.start)], filename)
        raise
    yield from statements


def check_parameters(name: str, params: tuple[str, ...], spans: list[Span] | None = None) -> None:
    """Refuse a parameter of ``name`` named twice, at its second use when ``spans`` locate
    the parameters (a script's ``define``; :func:`dcp.atoms.user.define_atom` checks again
    without them, for ``Session.define``)."""
    seen: set[str] = set()
    for index, param in enumerate(params):
        if param in seen:
            raise ArgumentError(f"parameter `{param}` of `{name}` is named twice",
                                span=spans[index] if spans else None)
        seen.add(param)


def close_matches(name: str, candidates) -> str:
    """``; did you mean `x`?`` for the closest candidates (ignoring case), or ``""``."""
    by_lower: dict[str, list[str]] = {}
    for candidate in sorted(set(candidates)):
        by_lower.setdefault(candidate.lower(), []).append(candidate)
    close = difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)
    matches = [m for lower in close for m in by_lower[lower] if m != name][:3]
    if not matches:
        return ""
    return "; did you mean " + " or ".join(f"`{m}`" for m in matches) + "?"
