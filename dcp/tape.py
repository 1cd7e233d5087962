"""The expression arena the rules work on: one row per distinct subexpression.

A :class:`Tape` stores an expression the way a compiler's IR does (think of a jaxpr, or
an e-graph without the equivalences): node ``i`` is the ``i``-th entry of a few columns,

=========  ==============================================================================
``op``     what the node is: ``"name"``, ``"number"``, ``"call"``, ``"ref"`` (a bound
           name), a binary operator (``+ - * / @ ^``), ``"neg"``, ``"pos"``, ``".T"``,
           ``"[]"`` (indexing) or ``"[...]"`` (a vector literal)
``data``   the name, the :class:`~dcp.syntax.ast.Number`, the call's
           ``(function, keyword names)``, or the indices; None otherwise
``args``   the children's ids; a call's positional arguments come first, then the
           values of its keywords
``start``  where it was written (``end`` and ``source`` too; ``start`` is -1 for a node
           with no location)
=========  ==============================================================================

Children always come before their parents (postorder), so a loop over ids in order sees
every premise before its conclusion, with no recursion and no stack. Structurally equal
subexpressions are stored once (hash-consing): "the same subexpression" is "the same
id", which is how the analysis does a shared subexpression's work once. (A number is
told apart by its spelling, so that ``1.0`` prints as written beside ``1``.) A node keeps
the location where it was first written: a break in ``x*y + x*y`` points at the first.

The tree form (:mod:`dcp.syntax.ast`) is what users, scripts and renderers hold; a tape
converts both ways (:meth:`Tape.add_expr`, :meth:`Tape.expr`), building tree nodes only
for the ids somebody reads.
"""
from __future__ import annotations

from array import array
from contextlib import contextmanager
from fractions import Fraction
from typing import Callable, Iterator, Mapping, Sequence

from .errors import Span
from .memo import Memo
from .syntax.ast import (
    Binary,
    Call,
    Expr,
    Index,
    Name,
    Number,
    Ref,
    Transpose,
    Unary,
    Vector,
    fold_constant,
    walk_postorder,
)

__all__ = ["Tape", "Column", "BINARY", "UNARY", "node_of", "postorder"]

#: The binary operators, as ``op`` spells them.
BINARY = frozenset("+-*/@^")
#: The rows hash-consed by their data alone.
_LEAVES = frozenset(("name", "number"))
_EMPTY: dict = {}
#: The prefix signs, and the ``op`` each is stored as.
UNARY = {"-": "neg", "+": "pos"}
_SIGN = {"neg": "-", "pos": "+"}


#: Numeric literals by spelling, shared by every tape: building one works out its exact
#: value, an input's literals are few and repeat across inputs, and a Number is immutable.
_NUMBERS = Memo(size=1024)


def postorder(root: int, children: Sequence[Sequence[int]]) -> list[int]:
    """Every id reachable from ``root`` through ``children`` (the children of each id, by
    id: a column), children before parents and left to right, each once: the order of
    :func:`~dcp.syntax.ast.walk_postorder`.

    Every proof is walked this way once (:meth:`dcp.proof.Proof.ids`), so it is specialised
    to ids: a node is entered when it is popped (its children pushed rightmost first, so
    the leftmost is entered first) and emitted when its marker ``~id`` (negative) comes
    back up, which visits in the same order as the general walk's lazy child iterators,
    with no iterator, key or function call per node (one or two children, the commonest,
    are pushed one by one).
    """
    found: list[int] = []
    entered: set[int] = set()
    stack = [root]
    pop, push, enter, emit = stack.pop, stack.append, entered.add, found.append
    while stack:
        node = pop()
        if node < 0:
            emit(~node)
        elif node not in entered:
            enter(node)
            push(~node)
            kids = children[node]
            if len(kids) == 1:
                push(kids[0])
            elif len(kids) == 2:
                push(kids[1])
                push(kids[0])
            elif kids:
                stack.extend(reversed(kids))
    return found


class Column:
    """A children column computed on demand, for :func:`postorder`: ``Column(f)[i]`` is
    ``f(i)`` (a walk over the nodes a method opens, not over every argument)."""

    __slots__ = ("function",)

    def __init__(self, function: Callable[[int], Sequence[int]]):
        self.function = function

    def __getitem__(self, index: int) -> Sequence[int]:
        return self.function(index)


def node_of(op: str, data: object, kids: tuple[Expr, ...], span: Span | None,
            func_span: Span | None = None) -> Expr:
    """The tree node of the row ``op(data; kids)``, its children given as trees, located at
    ``span`` (a call's name at ``func_span``): how :meth:`Tape.expr` and the reader's tree
    output (:func:`~dcp.syntax.reader.read_expression`) spell a row as a node."""
    if op == "name":
        return Name(data, span=span)
    if op in BINARY:
        return Binary(op, kids[0], kids[1], span=span)
    if op == "call":
        keys = data[1]
        count = len(kids) - len(keys)
        return Call(data[0], kids[:count], tuple(zip(keys, kids[count:])), func_span, span=span)
    if op == "number":
        return data if data.span == span else data.with_span(span)
    if op in _SIGN:
        return Unary(_SIGN[op], kids[0], span=span)
    if op == ".T":
        return Transpose(kids[0], span=span)
    if op == "[]":
        return Index(kids[0], data, span=span)
    if op == "[...]":
        return Vector(kids, span=span)
    if op == "ref":
        return Ref(data, kids[0], span=span)
    raise TypeError(f"unknown op {op!r}")


class Tape:
    """An append-only arena of expression nodes addressed by integer ids (see the module
    docstring for the columns).

    >>> from dcp.syntax import parse_expression
    >>> tape = Tape()
    >>> root = tape.add_expr(parse_expression("relu(W @ x) + relu(W @ x)"))
    >>> print(tape)
    %0 = W
    %1 = x
    %2 = %0 @ %1
    %3 = relu(%2)
    %4 = %3 + %3
    """

    __slots__ = ("op", "data", "args", "start", "end", "source", "func_name", "_rows", "_calls", "_exprs",
                 "_folded", "_converted", "_reading")

    def __init__(self) -> None:
        self.op: list[str] = []
        self.data: list[object] = []
        self.args: list[tuple[int, ...]] = []
        self.start = array("q")
        self.end = array("q")
        self.source: list[str | None] = []
        #: Where a call's function name is written (the caret of "unknown function"), by
        #: id: kept apart from the row's location, which brackets around the call move.
        #: Where the name is written as such (the commonest), its start alone: it ends its
        #: length later (an int per call, not a pair).
        self.func_name: dict[int, int | tuple[int, int]] = {}
        #: The hash-consing tables, by op. A leaf (a name, a number) is found by its data;
        #: any other row by its data (when it has some: a call's function and keywords, an
        #: index's indices) and then by its args. Keyed by what the row holds anyway, so no
        #: key is made per row (at 10^5 rows a tuple each was a fifth of the objects).
        self._rows: dict[str, dict] = {}
        #: Each call's (function, keywords), stored once: the rows of ``relu`` share one.
        self._calls: dict[tuple, tuple] = {}
        self._exprs: dict[int, Expr] = {}          # the trees built so far, by id
        self._folded: dict[int, object] = {}       # fold_constant's values, by id() of those trees
        #: id() of a bound tree -> (the tree, its id here); the tree is held so that its
        #: id() cannot be reused by another one.
        self._converted: dict[int, tuple[Expr, int]] = {}
        self._reading = False

    def __len__(self) -> int:
        return len(self.op)

    # ---- building ------------------------------------------------------------------------
    def add(self, op: str, data: object = None, args: tuple[int, ...] = (), start: int = -1,
            end: int = -1, source: str | None = None) -> int:
        """The id of the node ``op(data; args)``: a new row, or the existing one when an
        equal node is already stored (its location is kept). While :meth:`reading`, None
        instead of a new row. (A numeric literal is added by :meth:`add_number`.)"""
        if self._reading:
            return self.find(op, data, args)
        table = self._rows.get(op)
        if table is None:
            table = self._rows[op] = {}
        if op in _LEAVES:
            key = data
        else:
            key = args
            if data is not None:
                inner = table.get(data)
                if inner is None:
                    inner = table[data] = {}
                table = inner
        index = len(self.op)
        found = table.setdefault(key, index)            # one hash of the key, new or not
        if found != index:
            return found
        self.op.append(op)
        self.data.append(data)
        self.args.append(args)
        self.start.append(start)
        self.end.append(end)
        self.source.append(source)
        return index

    def find(self, op: str, data: object = None, args: tuple[int, ...] = ()) -> int | None:
        """The id of ``op(data; args)`` when it is stored, else None (adds nothing)."""
        if op == "number":
            data = data.text
        table = self._rows.get(op)
        if table is not None and data is not None and op not in _LEAVES:
            table = table.get(data)
        return None if table is None else table.get(data if op in _LEAVES else args)

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Within, building only finds: :meth:`add` (and so :meth:`add_expr`, an idiom's
        rewrite, a definition's expansion) gives the id of a node already stored, or None
        for one that is not, and the tape does not change. The kernel re-derives
        expansions and rewrites this way: checking a proof never adds to it.

        >>> from dcp.syntax import parse_expression
        >>> tape = Tape()
        >>> root = tape.add_expr(parse_expression("relu(x)"))
        >>> with tape.reading():
        ...     tape.add_expr(parse_expression("relu(x)")), tape.add_expr(parse_expression("relu(y)"))
        (1, None)
        >>> len(tape)
        2
        """
        before, self._reading = self._reading, True
        try:
            yield
        finally:
            self._reading = before

    def add_like(self, index: int, op: str, data: object = None, args: tuple[int, ...] = ()) -> int:
        """:meth:`add`, located where node ``index`` was written (a rewrite of it). Not for
        a number, which :meth:`add_number` keys by its spelling."""
        if op == "number":
            raise TypeError("a number is added by add_number, keyed by its spelling")
        return self.add(op, data, args, self.start[index], self.end[index], self.source[index])

    def add_name(self, name: str, bindings: Mapping[str, Expr] | None = None, start: int = -1,
                 end: int = -1, source: str | None = None) -> int:
        """The id of the name ``name``: a ``ref`` to its stored value when ``bindings``
        binds it (as :class:`Ref` is), else a free name."""
        if bindings and name in bindings:
            return self.add("ref", name, (self._bound(bindings[name]),), start, end, source)
        return self.add("name", name, (), start, end, source)

    def add_number(self, text: str, start: int = -1, end: int = -1, source: str | None = None,
                   number: Number | None = None) -> int:
        """The id of the numeric literal written ``text``: the node ``number``, by default
        ``Number(float(text), text)`` (built only for a spelling the tape does not hold
        yet). Literals are told apart by their spelling, so the row is keyed by it: it is
        added with the text as its data, which the Number then replaces."""
        found = self._rows.get("number", _EMPTY).get(text)
        if found is not None or self._reading:
            return found
        if number is None:
            number = _NUMBERS.get(text)
            if number is None:
                number = _NUMBERS.put(text, Number(float(text), text))
        index = self.add("number", text, (), start, end, source)
        self.data[index] = number
        return index

    def add_call(self, func: str, keys: tuple[str, ...], args: tuple[int, ...],
                 name_at: tuple[int, int] | None, start: int = -1, end: int = -1,
                 source: str | None = None) -> int:
        """The id of the call ``func(args)``, whose last ``len(keys)`` arguments are the
        values of those keywords. ``name_at`` is where its function name is (None when
        not written); a call written twice keeps the first."""
        data = (func, keys)
        data = self._calls.setdefault(data, data)
        index = self.add("call", data, args, start, end, source)
        if name_at is not None and not self._reading:
            first, last = name_at
            self.func_name.setdefault(index, first if last - first == len(func) else name_at)
        return index

    def add_expr(self, root: Expr, bindings: Mapping[str, Expr] | None = None,
                 given: Mapping[str, int] | None = None) -> int:
        """Store the tree ``root`` (each subexpression once); return its id. A name bound
        in ``bindings`` becomes a ``ref`` to its stored value, as :class:`Ref` does; a name
        in ``given`` is the node with that id (a definition's parameter, put in).
        Iterative, so a tree of any depth converts; a bound value converted before (a
        session's chain of bindings) is not walked again."""
        ids: dict[int, int] = {}
        for node in walk_postorder(root, self._unconverted):
            if given and type(node) is Name and node.id in given:
                ids[id(node)] = given[node.id]
            else:
                ids[id(node)] = self._add_node(node, ids, bindings)
        return ids[id(root)]

    def _add_node(self, node: Expr, ids: Mapping[int, int], bindings) -> int:
        span = node.span
        where = (span.start, span.end, span.source) if span is not None else (-1, -1, None)
        kind = type(node)
        if kind is Name:
            return self.add_name(node.id, bindings, *where)
        if kind is Number:
            return self.add_number(node.text, *where, number=node)
        if kind is Call:
            args = tuple(ids[id(a)] for a in node.args) + tuple(ids[id(v)] for _, v in node.kwargs)
            name = node.func_span
            return self.add_call(node.func, tuple(k for k, _ in node.kwargs), args,
                                 None if name is None else (name.start, name.end), *where)
        if kind is Binary:
            return self.add(node.op, None, (ids[id(node.left)], ids[id(node.right)]), *where)
        if kind is Unary:
            return self.add(UNARY[node.op], None, (ids[id(node.operand)],), *where)
        if kind is Transpose:
            return self.add(".T", None, (ids[id(node.operand)],), *where)
        if kind is Index:
            return self.add("[]", node.indices, (ids[id(node.operand)],), *where)
        if kind is Vector:
            return self.add("[...]", None, tuple(ids[id(i)] for i in node.items), *where)
        if kind is Ref:
            value = ids.get(id(node.value))
            if value is None:
                value = self._bound(node.value)                 # converted before
            else:
                self._remember(node.value, value)
            return self.add("ref", node.id, (value,), *where)
        raise TypeError(f"cannot store {kind.__name__} in a tape")

    def _unconverted(self, node: Expr) -> tuple[Expr, ...]:
        """A node's children, but none for a bound name whose value is stored already."""
        if type(node) is Ref:
            known = self._converted.get(id(node.value))
            return () if known is not None and known[0] is node.value else (node.value,)
        return node.children()

    def _bound(self, value: Expr) -> int:
        """The id of a bound name's value (converted once per tape)."""
        known = self._converted.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        found = self.add_expr(value)
        self._remember(value, found)
        return found

    def _remember(self, value: Expr, index: int | None) -> None:
        """Note that the bound tree ``value`` is stored at ``index`` (not while reading:
        nothing was stored)."""
        if index is not None and not self._reading:
            self._converted[id(value)] = (value, index)

    # ---- reading -------------------------------------------------------------------------
    def span(self, index: int) -> Span | None:
        start = self.start[index]
        return None if start < 0 else Span(start, self.end[index], self.source[index])

    def func_span(self, index: int) -> Span | None:
        """A call's function name, where it was written (else the call's span)."""
        where = self.func_name.get(index)
        if where is None:
            return self.span(index)
        if where.__class__ is int:
            return Span(where, where + len(self.data[index][0]), self.source[index])
        return Span(*where, self.source[index])

    def plain(self, index: int) -> int:
        """The node ``index`` stands for: itself, or for ``+a`` (``++a``, ...) that ``a``."""
        op, args = self.op, self.args
        while op[index] == "pos":
            index = args[index][0]
        return index

    def call_args(self, index: int) -> tuple[tuple[int, ...], tuple[tuple[str, int], ...]]:
        """A call's positional argument ids and its ``(keyword, value id)`` pairs."""
        keys = self.data[index][1]
        args = self.args[index]
        if not keys:
            return args, ()
        count = len(args) - len(keys)
        return args[:count], tuple(zip(keys, args[count:]))

    def names(self, root: int | None = None) -> dict[str, int]:
        """The free names under ``root`` (all, without it), looking through bound names:
        each with its id, in the order written (left to right)."""
        ids = range(len(self.op)) if root is None else postorder(root, self.args)
        found: dict[str, int] = {}
        for i in ids:
            if self.op[i] == "name":
                found.setdefault(self.data[i], i)
        return found

    def constant(self, index: int) -> float | Fraction | None:
        """The exact value of node ``index`` when it is a numeric constant (an exponent, a
        keyword's value), else None: see :func:`~dcp.syntax.ast.fold_constant`."""
        if self.op[index] == "number" and self.data[index].exact.__class__ is float:
            return self.data[index].exact                   # the commonest: x ^ 2
        return fold_constant(self.expr(index), self._folded)

    def arg_span(self, index: int, position: int) -> Span | None:
        """Where argument ``position`` of node ``index`` was written inside that node. A
        row keeps the location where it was first written, which for an argument written
        earlier elsewhere (the ``y`` of ``y + x ^ y``) is not inside this node: the node's
        own text is read again to find it (only to word an error or a condition)."""
        argument = self.args[index][position]
        source, start = self.source[index], self.start[index]
        if source is None or start < 0:
            return self.span(argument)
        if self._first_written_here(index, argument):
            return self.span(argument)
        return self._arg_span_read(index, position)

    def _first_written_here(self, index: int, argument: int) -> bool:
        """Whether argument ``argument`` of node ``index`` was first written as that
        argument: its first place lies inside the node and inside no other argument's first
        place. (A first place is the leftmost. Were the argument's inside this node yet not
        where it is the argument, it would lie in an earlier argument, whose own first
        place would then be that argument as written here, and so contain it.) Linear
        in the arguments: a deep nest of conditions (``log(log(...))``) is worded in linear
        time, where reading each node's text again was quadratic."""
        starts, ends, sources = self.start, self.end, self.source
        first, last = starts[argument], ends[argument]
        if sources[argument] is not sources[index] or not starts[index] <= first <= last <= ends[index]:
            return False
        return not any(other != argument and sources[other] is sources[index]
                       and starts[other] <= first and last <= ends[other]
                       for other in self.args[index]) and self.args[index].count(argument) == 1

    def _arg_span_read(self, index: int, position: int) -> Span | None:
        """:meth:`arg_span` by reading the node's own text again."""
        argument = self.args[index][position]
        source, start = self.source[index], self.start[index]
        from .syntax.reader import read_into
        local = Tape()
        root = read_into(source[start:self.end[index]], local)
        if root is None or local.op[root] != self.op[index] or \
                len(local.args[root]) != len(self.args[index]):
            return self.span(argument)                      # e.g. a row made by a rewrite
        inner = local.args[root][position]
        return Span(start + local.start[inner], start + local.end[inner], source)

    def expr(self, index: int) -> Expr:
        """The tree of node ``index`` (built once per id, only for what is asked)."""
        exprs, args = self._exprs, self.args
        if index not in exprs:
            for row in walk_postorder(index, lambda i: () if i in exprs else args[i], int):
                if row not in exprs:
                    exprs[row] = self._build(row)
        return exprs[index]

    def _build(self, index: int) -> Expr:
        exprs = self._exprs
        return node_of(self.op[index], self.data[index], tuple(exprs[a] for a in self.args[index]),
                       self.span(index),
                       self.func_span(index) if index in self.func_name else None)

    def text(self, index: int, limit: int | None = 60) -> str:
        """Node ``index`` as source text, cut at about ``limit`` characters."""
        from .syntax.printer import to_text
        return to_text(self.expr(index), limit=limit)

    # ---- the printer ---------------------------------------------------------------------
    def lines(self) -> Iterator[str]:
        """One line per node: ``%3 = relu(%2)``."""
        for index, op in enumerate(self.op):
            args = [f"%{a}" for a in self.args[index]]
            data = self.data[index]
            if op == "name" or op == "number":
                body = data if op == "name" else data.text
            elif op == "call":
                positional, keywords = self.call_args(index)
                parts = [f"%{a}" for a in positional] + [f"{k}=%{v}" for k, v in keywords]
                body = f"{data[0]}({', '.join(parts)})"
            elif op in BINARY:
                body = f"{args[0]} {op} {args[1]}"
            elif op == "[]":
                body = f"{args[0]}[{', '.join(map(str, data))}]"
            elif op == "ref":
                body = f"{data} := {args[0]}"
            else:
                body = f"{op}({', '.join(args)})"
            yield f"%{index} = {body}"

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def __repr__(self) -> str:
        return f"<Tape of {len(self)} nodes>"
