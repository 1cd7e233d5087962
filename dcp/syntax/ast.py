"""Immutable expression and statement nodes.

Nodes are frozen, slotted dataclasses. Their source ``span`` is kept off equality and
hashing, so structurally equal expressions compare and hash equal wherever they were
written (the analysis relies on this to analyse a shared subexpression once).

Equality and hashing never recurse: a node's hash is computed once from its children's
cached hashes when it is built, and ``==`` walks both trees with an explicit stack. So a
10,000-deep expression can be hashed, compared and used as a dict key.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from decimal import Decimal, InvalidOperation, localcontext
from fractions import Fraction
from typing import Callable, NamedTuple

from ..errors import ArgumentError, Span
from ..facts.interval import MAX_FLOAT

__all__ = [
    "Node", "Expr", "Number", "Name", "Unary", "Binary", "Call", "Transpose", "Index",
    "Vector", "Ref", "Statement", "Assignment", "Assume", "Condition", "ShapeDecl",
    "Define", "CertifyStatement", "ExpressionStatement", "Constraint", "ConstraintSet",
    "CONSTRAINT_OPS", "walk_postorder", "fold_constant", "replace", "format_constant", "constant_node",
]

#: Indices past this are refused: the numeric check instantiates arrays that large.
MAX_INDEX = 10_000

_SKIP = ("span", "_hash", "_head")
_KEY_FIELDS: dict[type, tuple[str, ...]] = {}


@dataclass(frozen=True, slots=True, eq=False)
class Node:
    """Base of every node. ``span`` locates it in the source; it is not part of identity."""

    span: Span | None = field(default=None, kw_only=True, repr=False)
    _hash: int = field(default=0, init=False, repr=False)
    #: The first characters of the printed text, cached by the printer (see
    #: :func:`dcp.syntax.printer.to_text`): printing every step of a proof stays linear.
    _head: str | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_hash", hash((type(self).__name__, *self.key())))

    def key(self) -> tuple:
        """The fields that make up the node's identity (children by reference)."""
        names = _KEY_FIELDS.get(type(self))
        if names is None:
            names = _KEY_FIELDS[type(self)] = tuple(
                f.name for f in fields(self) if f.name not in _SKIP)
        return tuple(getattr(self, name) for name in names)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if not isinstance(other, Node):
            return NotImplemented
        if type(self) is Name:
            # A shared name (`w` in every term of a wide sum) is the commonest equal pair
            # a dict lookup meets; it needs no walk.
            return type(other) is Name and self.id == other.id
        stack: list[tuple[object, object]] = [(self, other)]
        while stack:
            a, b = stack.pop()
            if a is b:
                continue
            if isinstance(a, Node):
                if type(a) is not type(b) or a._hash != b._hash:
                    return False
                stack.extend(zip(a.key(), b.key()))
            elif isinstance(a, tuple):
                if not isinstance(b, tuple) or len(a) != len(b):
                    return False
                stack.extend(zip(a, b))
            elif a != b:
                return False
        return True

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def with_span(self, span: Span | None) -> Node:
        """The same node located at ``span``."""
        clone = object.__new__(type(self))
        for f in fields(self):
            object.__setattr__(clone, f.name, getattr(self, f.name))
        object.__setattr__(clone, "span", span)
        return clone


class Expr(Node):
    """Marker base for expression nodes."""

    __slots__ = ()

    def children(self) -> tuple[Expr, ...]:
        return ()

    def __repr__(self) -> str:
        from .printer import to_text
        return f"{type(self).__name__}({to_text(self, limit=80)!r})"

    def __str__(self) -> str:
        """The expression as dcp text: ``relu(W @ x + b)``."""
        from .printer import to_text
        return to_text(self)


#: Literals longer than this many digits, or whose exponent lies further than this from
#: zero, are not converted exactly: 10**9999999 alone would take minutes to build.
MAX_DIGITS = 400
MIN_SUBNORMAL = math.ulp(0.0)


def decimal_value(text: str) -> float | Fraction | None:
    """The exact value of the decimal ``text``: the float that equals it (``0.5``, ``2``),
    else a Fraction (``0.1`` is 1/10); ``None`` when the literal has more than
    ``MAX_DIGITS`` digits or its exponent lies far outside the floats (``1e-9999999``).

    >>> decimal_value("0.1"), decimal_value("0.5"), decimal_value("1e-9999999")
    (Fraction(1, 10), 0.5, None)
    """
    if len(text) <= 15 and (text.isdigit() or text[:1] in ("-", "+") and text[1:].isdigit()):
        return float(text) or 0.0          # the commonest literals; "-0" is 0, as below
    short = _short_decimal(text)
    if short is not None:
        return short
    decimal = _decimal(text)
    if decimal is None or not decimal.is_finite():
        return None
    _, digits, exponent = decimal.as_tuple()
    if not any(digits):
        return 0.0
    if len(digits) > MAX_DIGITS or abs(exponent + len(digits)) > MAX_DIGITS:
        return None
    exact = Fraction(decimal)
    if exact.denominator & (exact.denominator - 1) == 0 and abs(exact) <= MAX_FLOAT:
        nearest = exact.numerator / exact.denominator     # correctly rounded
        if nearest == exact:
            return nearest
    return exact


def _decimal(text: str) -> Decimal | None:
    """The decimal literal ``text`` as a Decimal; None when its exponent lies beyond even
    Decimal's range (``1e99999999999999999999``): a number no float comes near."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _short_decimal(text: str) -> float | Fraction | None:
    """:func:`decimal_value` of a short plain decimal such as ``0.5`` or ``-2.25`` (no
    exponent), in integers: it is the float when that float's exact ratio is the decimal's.
    None for any other text."""
    whole, point, fraction = text.partition(".")
    digits = whole.lstrip("+-") + fraction
    if not point or len(text) > 17 or not digits.isdigit() or len(whole) - len(whole.lstrip("+-")) > 1:
        return None
    numerator, denominator = int(digits), 10 ** len(fraction)
    if whole.startswith("-"):
        numerator = -numerator
    if numerator == 0:
        return 0.0
    nearest = float(text)
    top, bottom = nearest.as_integer_ratio()
    if top * denominator == numerator * bottom:
        return nearest
    return Fraction(numerator, denominator)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Number(Expr):
    """A numeric literal: the decimal ``text`` as written, its ``exact`` value (see
    :func:`decimal_value`), and ``value``, the nearest float (``inf`` past the floats),
    which is what float evaluation uses. A Number built from a float alone (no ``text``)
    means exactly that float, and its text is that float's exact decimal (see
    :func:`_float_text`), so printing and parsing it again gives the same number."""

    value: float
    text: str = field(default="", compare=False)
    exact: float | Fraction | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        if self.text:
            exact = decimal_value(self.text)
        else:       # built from a float: it means that float exactly (0.1 is not 1/10)
            object.__setattr__(self, "text", _float_text(self.value))
            exact = float(self.value) if math.isfinite(self.value) else None
        object.__setattr__(self, "exact", exact)
        Expr.__post_init__(self)

    def key(self) -> tuple:
        return (self.exact,) if self.exact is not None else (self.value, self.text)

    def enclosure(self) -> tuple[float | Fraction, float | Fraction, bool, bool]:
        """``(lo, hi, lo_open, hi_open)``: the exact value as a point, or, for a literal
        not kept exactly, the open gap between the two adjacent floats it lies strictly
        between (found by an exact decimal comparison): ``(0, 5e-324)`` for a tiny positive
        one, ``(1.8e308, inf)`` for a huge one. Open ends matter for an assumption's bound:
        the floats in ``x <= 1e-9999999`` are those ``<= 0``.

        >>> Number(0.0, "1e-9999999").enclosure()
        (0.0, 5e-324, True, True)
        """
        if self.exact is not None:
            return self.exact, self.exact, False, False
        v = self.value
        if math.isinf(v):
            return (MAX_FLOAT, v, True, True) if v > 0 else (v, -MAX_FLOAT, True, True)
        written = _decimal(self.text)
        if written is None:             # an exponent past Decimal's range: v is 0, the literal not
            tiny = MIN_SUBNORMAL
            return (-tiny, 0.0, True, True) if self.text.startswith("-") else (0.0, tiny, True, True)
        nearest = Decimal(v)
        if written == nearest:
            return v, v, False, False
        if written < nearest:
            return math.nextafter(v, -math.inf), v, True, True
        return v, math.nextafter(v, math.inf), True, True


def _float_text(value: float) -> str:
    """The decimal that is exactly the float ``value``: its short form when that is exact
    (``0.5``, ``2``), else every digit (the float 0.1 is
    ``0.1000000000000000055511151231257827021181583404541015625``), else, past
    ``MAX_DIGITS`` digits (below about 1e-150), :func:`format_constant`'s ``~`` text.

    >>> _float_text(0.5), _float_text(2.0 ** 70), _float_text(0.1)[:24]
    ('0.5', '1180591620717411303424', '0.1000000000000000055511')
    """
    if not math.isfinite(value):
        return repr(value)
    for text in (repr(value), str(Decimal(value)).lower()):
        if decimal_value(text) == value:
            return text.removesuffix(".0")
    return format_constant(value)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Name(Expr):
    """A variable or parameter (which one depends on ``wrt``)."""

    id: str

    def key(self) -> tuple:
        return (self.id,)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Unary(Expr):
    """``-a`` or ``+a``."""

    op: str
    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def key(self) -> tuple:
        return (self.op, self.operand)

    def with_children(self, kids: tuple[Expr, ...]) -> Unary:
        return Unary(self.op, kids[0], span=self.span)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Binary(Expr):
    """``a op b`` for op in ``+ - * / @ ^`` (``**`` is read as ``^``)."""

    op: str
    left: Expr
    right: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)

    def key(self) -> tuple:
        return (self.op, self.left, self.right)

    def with_children(self, kids: tuple[Expr, ...]) -> Binary:
        return Binary(self.op, kids[0], kids[1], span=self.span)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Call(Expr):
    """``f(a, b, key=value)``; keyword values are expressions checked to be constants later."""

    func: str
    args: tuple[Expr, ...]
    kwargs: tuple[tuple[str, Expr], ...] = ()
    func_span: Span | None = field(default=None, compare=False)

    def key(self) -> tuple:
        return (self.func, self.args, self.kwargs)

    def children(self) -> tuple[Expr, ...]:
        return self.args + tuple(value for _, value in self.kwargs)

    def with_children(self, kids: tuple[Expr, ...]) -> Call:
        count = len(self.args)
        kwargs = tuple((key, value) for (key, _), value in zip(self.kwargs, kids[count:]))
        return Call(self.func, kids[:count], kwargs, self.func_span, span=self.span)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Transpose(Expr):
    """``a.T``."""

    operand: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def key(self) -> tuple:
        return (self.operand,)

    def with_children(self, kids: tuple[Expr, ...]) -> Transpose:
        return Transpose(kids[0], span=self.span)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Index(Expr):
    """``a[i]`` or ``a[i, j]`` with integer constants."""

    operand: Expr
    indices: tuple[int, ...]

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def key(self) -> tuple:
        return (self.operand, self.indices)

    def with_children(self, kids: tuple[Expr, ...]) -> Index:
        return Index(kids[0], self.indices, span=self.span)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Vector(Expr):
    """``[e1, e2, ...]``: the entries stacked into a vector."""

    items: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.items

    def key(self) -> tuple:
        return (self.items,)

    def with_children(self, kids: tuple[Expr, ...]) -> Vector:
        return Vector(kids, span=self.span)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Ref(Expr):
    """A use of a bound name (``h`` after ``h = relu(W1 @ x)``), carrying its value.

    Bindings expand into the expression, but the trace shows the name.
    """

    id: str
    value: Expr

    def children(self) -> tuple[Expr, ...]:
        return (self.value,)

    def key(self) -> tuple:
        return (self.id, self.value)


# ---- statements ------------------------------------------------------------------------


class Statement(Node):
    """Marker base for statements of a script or a REPL line."""

    __slots__ = ()


@dataclass(frozen=True, slots=True, eq=False)
class Assignment(Statement):
    """``name = expr``."""

    name: str
    value: Expr


class _ConditionFields(NamedTuple):
    name: str
    lower: float | Fraction | None = None
    upper: float | Fraction | None = None
    strict_lower: bool = False
    strict_upper: bool = False
    span: Span | None = None
    structure: str | None = None


class Condition(_ConditionFields):
    """One elementwise bound ``lower <= name <= upper`` (either side may be missing);
    ``strict_lower``/``strict_upper`` for ``<`` and ``>``. A bound is exact: a Fraction
    where no float equals it (``c >= -0.001``). Or, with ``structure`` (``"psd"``,
    ``"nsd"``, ``"symmetric"``) and no bound, a fact about a matrix: ``P psd``.

    A named tuple, not a node: a network's assumptions hold one per layer, and a frozen
    dataclass cost three times as much to build. Like a node's, its ``span`` is kept off
    equality and hashing (though, a tuple, it is its sixth item: read the fields by name).
    """

    __slots__ = ()

    def key(self) -> tuple:
        """The fields that make the condition (not its span); a bound's five."""
        return self[:5] if self.structure is None else (*self[:5], self.structure)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Condition):
            return self.key() == other.key()
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash(self.key())

    def __repr__(self) -> str:
        return (f"Condition(name={self.name!r}, lower={self.lower!r}, upper={self.upper!r}, "
                f"strict_lower={self.strict_lower!r}, strict_upper={self.strict_upper!r}"
                + (f", structure={self.structure!r})" if self.structure else ")"))


@dataclass(frozen=True, slots=True, eq=False)
class Assume(Statement):
    """``assume c1, c2, ...``."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True, slots=True, eq=False)
class ShapeDecl(Statement):
    """``shape W = (4, 3)``."""

    name: str
    dims: tuple[int, ...]


@dataclass(frozen=True, slots=True, eq=False)
class Define(Statement):
    """``define name(params) = body``: a user atom."""

    name: str
    params: tuple[str, ...]
    body: Expr


#: The comparisons a constraint may use (a strict one would make an open set).
CONSTRAINT_OPS = ("<=", ">=", "==")


@dataclass(frozen=True, slots=True, eq=False)
class Constraint(Node):
    """``left op right`` with ``op`` one of :data:`CONSTRAINT_OPS`: the points where it
    holds (SPEC section 10)."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True, slots=True, eq=False)
class ConstraintSet(Node):
    """Constraints joined by ``,``: the intersection of their feasible sets."""

    items: tuple[Constraint, ...]


@dataclass(frozen=True, slots=True, eq=False)
class CertifyStatement(Statement):
    """``certify expr wrt a, b`` (``expr`` may be a :class:`ConstraintSet`)."""

    expr: Expr | ConstraintSet
    wrt: tuple[str, ...]


@dataclass(frozen=True, slots=True, eq=False)
class ExpressionStatement(Statement):
    """A bare expression or constraint set (certified against the session's current
    ``wrt``)."""

    expr: Expr | ConstraintSet


def walk_postorder(root, children=None, key=id) -> list:
    """Every distinct node under ``root``, children before parents, left to right;
    distinct by ``key`` (identity by default; a tape's integer ids pass ``key=int``).

    ``children`` gives a node's children (default: an expression's subexpressions).
    Iterative, so depth is limited only by memory.
    """
    children = children or _children
    seen = {key(root)}
    found = []
    # Each entry is a node and an iterator over the children not yet entered.
    stack = [(root, iter(children(root)))]
    while stack:
        node, pending = stack[-1]
        for child in pending:
            if key(child) not in seen:
                seen.add(key(child))
                stack.append((child, iter(children(child))))
                break
        else:
            stack.pop()
            found.append(node)
    return found


def _children(node: Expr) -> tuple[Expr, ...]:
    return node.children()


def fold_constant(node: Expr, memo: dict[int, Fraction | None] | None = None) -> float | Fraction | None:
    """The exact value of a numeric constant expression (``2``, ``-1``, ``1/2``, ``0.1``),
    for an exponent or a keyword value: a float when it is one, else a Fraction (like an
    interval end); None when ``node`` is not one.

    Literals are the decimals written and ``+ - * /`` are exact on rationals, so
    ``1 - 1e-17`` is not 1; ``a ^ (n/d)`` is kept when it is rational (``4 ^ 0.5`` is 2,
    ``1e300 ^ 0.1`` is 1e30) and refused when it is not (``2 ^ 0.5``): a value dcp cannot
    hold exactly would make the facts, the ranges and the check disagree with what was
    written. Iterative, like everything that walks user input.

    ``memo`` (keyed by ``id`` of nodes the caller keeps alive) holds the values of
    subexpressions folded before, which are not walked again: folding every exponent of
    ``x ^ 1 ^ 1 ^ ...`` stays linear. It holds the refusals too, so that folding every
    exponent of a tower refused low down (``x ^ 2 ^ 2 ^ ... ^ 2``) stays linear as well.
    """
    if type(node) is Number and node.exact.__class__ is float:     # the commonest: x ^ 2
        return node.exact
    values: dict[int, Fraction | None | _Refused] = {} if memo is None else memo
    for item in walk_postorder(node, lambda n: () if id(n) in values else n.children()):
        if id(item) in values:
            continue
        try:
            value = _fold_one(item, values)
            if value is not None and _bits(value) > MAX_CONSTANT_BITS:
                raise ArgumentError(f"the constant {_text(item)} has too many digits to compute "
                                    f"exactly; write its value as a shorter decimal", span=item.span)
        except ArgumentError as error:
            values[id(item)] = _Refused(error)
            raise
        values[id(item)] = value
    value = _folded(values, node)
    return None if value is None else _exact(value, node)


class _Refused(NamedTuple):
    """A subexpression that could not be folded, and why (kept in a fold's memo)."""

    error: ArgumentError


def _folded(values: dict, node: Expr) -> Fraction | None:
    """The value folded for ``node``, or its refusal raised again."""
    value = values[id(node)]
    if value.__class__ is _Refused:
        raise value.error.with_traceback(None)
    return value


#: A folded constant (each step of it) is computed when its numerator and denominator
#: have at most this many bits (a decimal literal has at most about 1400); beyond, it is
#: refused: a chain of long literals would otherwise cost unbounded work.
MAX_CONSTANT_BITS = 4096


def _bits(value: Fraction) -> int:
    """The larger bit length of the numerator and denominator of ``value``."""
    return max(value.numerator.bit_length(), value.denominator.bit_length())


def _fold_one(node: Expr, values: dict) -> Fraction | None:
    """The exact value of ``node`` from its children's, as a Fraction."""
    if isinstance(node, Number):
        if node.exact is None:
            raise ArgumentError(f"the number {node.text} is too large for a float" if math.isinf(node.value)
                                else f"the constant {node.text} has too many digits, or an exponent too far "
                                     f"outside the floats, to use here", span=node.span)
        return Fraction(node.exact)
    if isinstance(node, Unary):
        inner = _folded(values, node.operand)
        return None if inner is None else (-inner if node.op == "-" else inner)
    if isinstance(node, Binary) and node.op != "@":
        left, right = _folded(values, node.left), _folded(values, node.right)
        if left is None or right is None:
            return None
        if node.op == "^":
            return _power(left, right, node)
        if node.op == "/" and right == 0:
            return None
        return {"+": left.__add__, "-": left.__sub__, "*": left.__mul__,
                "/": left.__truediv__}[node.op](right)
    return None


def _power(base: Fraction, exponent: Fraction, node: Expr) -> Fraction | None:
    """``base ^ exponent`` exactly; None when it is not a real number (``0 ^ -1``,
    ``(-1) ^ 0.5``) or, like the power atom's x^p, not defined: a fractional exponent
    takes a base >= 0 only, so ``(-8) ^ (1/3)`` is not -2 (a constant must mean the same
    as the atom applied to it). With ``exponent = n/d`` in lowest terms it is ``(base^(1/d))^n``,
    rational exactly when the numerator and denominator of ``base`` are perfect d-th
    powers; otherwise (or when the result would be huge) it is refused."""
    n, d = exponent.numerator, exponent.denominator
    if base == 0:
        return None if n < 0 else Fraction(n == 0)
    if base < 0 and d > 1:
        return None
    top, bottom = _root(abs(base.numerator), d), _root(base.denominator, d)
    if top is None or bottom is None:
        raise ArgumentError(f"the constant {_text(node)} is not a rational number, so dcp cannot "
                            f"hold it exactly; write its value as a decimal", span=node.span)
    if abs(n) * max(top.bit_length(), bottom.bit_length(), 2) > MAX_CONSTANT_BITS and top * bottom != 1:
        raise ArgumentError(f"the constant {_text(node)} is too large or too small to use here",
                            span=node.span)
    root = Fraction(top if base > 0 else -top, bottom)
    return root ** n


def _root(value: int, degree: int) -> int | None:
    """The integer r with r ** degree == value (value >= 1), or None when there is none:
    the integer part of the root by Newton's method, then an exact check."""
    if degree == 1 or value == 1:
        return value
    if degree >= value.bit_length():                # 2 ** degree > value > 1
        return None
    root = 1 << -(-value.bit_length() // degree)    # above the root
    while True:
        better = ((degree - 1) * root + value // root ** (degree - 1)) // degree
        if better >= root:
            break
        root = better
    return root if root ** degree == value else None


def _exact(value: Fraction, node: Expr) -> float | Fraction:
    """A folded constant as held: the float that equals it, else the Fraction; refused
    beyond the floats (the float search must be able to use it)."""
    if abs(value) > MAX_FLOAT:
        raise ArgumentError(f"the number {_text(node)} is too large for a float", span=node.span)
    nearest = float(value)
    return nearest if nearest == value else value


def constant_node(value: float | Fraction, span: Span | None = None) -> Expr:
    """An expression meaning exactly ``value`` (a keyword put into a body): a literal
    when a short decimal says it (``0.1``), else the quotient of two integer literals.

    >>> fold_constant(constant_node(Fraction(1, 3))), fold_constant(constant_node(Fraction(1, 10)))
    (Fraction(1, 3), Fraction(1, 10))
    """
    if isinstance(value, float):
        number = Number(value, span=span)
        if not number.text.startswith("~"):
            return number
        value = Fraction(value)
    text = format_constant(value)
    if not text.startswith("~") and "/" not in text:
        return Number(float(value), text, span=span)
    return Binary("/", _integer(value.numerator, span), _integer(value.denominator, span), span=span)


def _integer(n: int, span: Span | None) -> Number:
    """The literal ``n`` (its float is ``inf`` past the floats: ``2 ** 1074``)."""
    try:
        nearest = float(n)
    except OverflowError:
        nearest = math.inf
    return Number(nearest, str(n), span=span)


def format_constant(value: float | Fraction) -> str:
    """An exact constant as text: its decimal when that is exact and short (``0.1``,
    ``2``, up to 30 digits), else its fraction when short (``1/3``), else a rounded decimal
    marked ``~``. Never converts a long integer to text (Python refuses past 4300 digits).

    >>> format_constant(Fraction(1, 10)), format_constant(2.0), format_constant(Fraction(1, 3))
    ('0.1', '2', '1/3')
    """
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    exact = Fraction(value)
    if exact.denominator == 1 and abs(exact) < 10 ** 16:
        return str(exact.numerator)
    short = _short(exact)
    if Fraction(Decimal(short)) == exact:
        return short
    with localcontext() as context:
        context.prec = 30
        decimal = Decimal(exact.numerator) / Decimal(exact.denominator)
    if Fraction(decimal) == exact:
        return str(decimal.normalize()).lower()
    if _bits(exact) <= 80 and len(str(exact)) <= 24:       # 10 ** 24 < 2 ** 80
        return str(exact)
    return "~" + short


def _short(exact: Fraction) -> str:
    """The shortest decimal of the float nearest ``exact``, or 17 digits of ``exact``
    when no float is near (``1e-5000``, ``1e5000``)."""
    try:
        nearest = float(exact)
    except OverflowError:
        nearest = math.inf
    if math.isfinite(nearest) and (nearest != 0 or exact == 0):
        return repr(nearest)
    with localcontext() as context:
        context.prec = 17
        return str(Decimal(exact.numerator) / Decimal(exact.denominator)).lower()


def _text(node: Expr) -> str:
    if isinstance(node, Number):
        return node.text
    from .printer import to_text
    return to_text(node, limit=60)


def replace(root: Expr, replacement: Callable[[Expr], Expr | None]) -> Expr:
    """``root`` rebuilt bottom-up: each node is rebuilt on its children's results, then
    replaced by ``replacement(node)`` unless that is None.

    Iterative; subtrees with nothing replaced are shared, not copied, and a replacement is
    not walked again. The values of bound names (:class:`Ref`) are left alone: they were
    resolved when they were bound (``replacement`` still sees the :class:`Ref` itself).
    """
    new: dict[int, Expr] = {}
    for node in walk_postorder(root, _unbound_children):
        kids = _unbound_children(node)
        rebuilt = node
        if kids:
            replaced = tuple(new[id(k)] for k in kids)
            if any(a is not b for a, b in zip(kids, replaced)):
                rebuilt = node.with_children(replaced)
        found = replacement(rebuilt)
        new[id(node)] = rebuilt if found is None else found
    return new[id(root)]


def _unbound_children(node: Expr) -> tuple[Expr, ...]:
    return () if isinstance(node, Ref) else node.children()
