"""Calls of atoms: which atom a call names, and the body a definition stands for.

These decide nothing about curvature; the engine (:mod:`dcp.analysis`), the kernel and
user atoms' derivations (:mod:`dcp.atoms.user`) share them.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Mapping, Sequence, TypeVar

from ..errors import ArgumentError, UnknownNameError
from ..memo import Memo
from ..syntax.ast import Call, Expr, Name, constant_node, fold_constant, format_constant, replace
from ..syntax.parser import close_matches
from ..tape import Tape
from .base import REGISTRY, Atom, keyword_error, lookup

__all__ = ["resolve_call", "resolve_at", "resolves_once", "expand", "expand_at"]

Arg = TypeVar("Arg")


def resolve_call(node: Call, atoms: Mapping[str, Atom] | None = None
                 ) -> tuple[Atom, tuple[Expr, ...], dict[str, float | Fraction]]:
    """The atom a call names (a session's user atoms first), its expression arguments and
    its keyword constants, exact (see :func:`~dcp.syntax.ast.fold_constant`).

    Raises :class:`UnknownNameError` or :class:`ArgumentError`, located at the call.
    """
    children = node.args + tuple(value for _, value in node.kwargs)

    def constant(value: Expr):
        return math.inf if type(value) is Name and value.id == "inf" else fold_constant(value)
    return _resolve(node.func, node.args, node.kwargs, node.span, node.func_span, atoms, constant,
                    lambda position: children[position].span)


def resolve_at(tape: Tape, index: int, atoms: Mapping[str, Atom] | None = None
               ) -> tuple[Atom, tuple[int, ...], dict[str, float | Fraction]]:
    """:func:`resolve_call` for the call stored at ``index`` in ``tape``: the argument ids.

    A call of a built-in atom that passes only its arguments (``relu(...)`` at every
    layer) is resolved once per process: the built-ins never change. The keywords dict
    returned is then shared: read it, do not change it.
    """
    func, keys = tape.data[index]
    args = tape.args[index]
    remember = resolves_once(func, keys, atoms)
    if remember:
        known = _BUILTIN_CALLS.get((func, len(args)))
        if known is not None:
            return known[0], args, known[1]
    positional, keywords = tape.call_args(index)

    def constant(value: int):
        return math.inf if tape.op[value] == "name" and tape.data[value] == "inf" else tape.constant(value)
    atom, given, kw = _resolve(func, positional, keywords, tape.span(index), tape.func_span(index),
                               atoms, constant, lambda position: tape.arg_span(index, position))
    if remember and len(given) == len(args):        # (no keyword given by position)
        _BUILTIN_CALLS.put((func, len(args)), (atom, kw))
    return atom, given, kw


def resolves_once(func: str, keys: tuple[str, ...], atoms: Mapping | None) -> bool:
    """Whether a call of ``func`` with the keywords ``keys`` always resolves alike, given
    its argument count: a built-in (no user atom of that name) called without keywords.
    (Its arguments must also all be positional ones: a keyword given by position is
    refused from what is remembered.)"""
    return not keys and not (atoms and func in atoms)


#: Built-in calls without keywords, resolved: (function, argument count) -> (atom,
#: keywords).
_BUILTIN_CALLS = Memo()


def _resolve(func: str, positional: Sequence[Arg], keywords, span, func_span, atoms, constant, where
             ) -> tuple[Atom, tuple[Arg, ...], dict[str, float | Fraction]]:
    """The resolution of ``func(*positional, **keywords)``; ``constant`` folds an argument
    (a keyword's value: see :func:`~dcp.syntax.ast.fold_constant`), ``where(position)``
    gives where the argument at that position (keywords' values after the positional
    ones) is written, to locate an error."""
    atom = (atoms or {}).get(func) or lookup(func, len(positional))
    if atom is None:
        known = list(REGISTRY) + list(atoms or {})
        raise UnknownNameError(f"unknown function `{func}`{close_matches(func, known)}",
                               span=func_span or span)
    if not atom.accepts(len(positional)):
        raise ArgumentError(f"{func} takes {atom.arity_text()}, got {len(positional)}", span=span)
    count = atom.max_args if atom.max_args is not None else len(positional)
    args, extra = tuple(positional[:count]), positional[count:]
    kw: dict[str, float | Fraction] = dict(atom.keywords)
    if extra or keywords:
        given = [(key, value, count + i) for i, (key, value) in
                 enumerate(zip(atom.positional_keywords, extra))]
        given += [(key, value, len(positional) + i) for i, (key, value) in enumerate(keywords)]
        seen: set[str] = set()
        for key, value, position in given:
            if key not in atom.keywords:
                error = keyword_error(atom, key)
                error.span = where(position)
                raise error
            if key in seen:                 # power(x, 2, p=3): by position and by name
                raise ArgumentError(f"`{key}` of {func} is given twice", span=where(position))
            seen.add(key)
            folded = constant(value)             # (a keyword's value may be `inf`: norm(x, p=inf))
            if folded is None:
                default = atom.keywords[key]
                example = format_constant(default) if default is not None else "2"
                raise ArgumentError(f"`{key}` of {func} must be a numeric constant (or inf), "
                                    f"e.g. {key}={example}", span=where(position))
            kw[key] = folded
    if kw:
        try:
            atom.validate(kw)
        except ArgumentError as error:
            error.span = error.span or span
            raise
    return atom, args, kw


def _substitute(template: Expr, values: Mapping[str, Expr], span) -> Expr:
    """``template`` with its names replaced by ``values``, every new node at ``span``.

    Iterative, as a user atom's body may be long; the substituted values are not walked.
    """
    def put(node: Expr) -> Expr:
        if isinstance(node, Name) and node.id in values:
            return values[node.id]
        if isinstance(node, Call):
            return Call(node.func, node.args, node.kwargs, span, span=span)
        return node.with_span(span)
    return replace(template, put)


def expand(atom: Atom, args: tuple[Expr, ...], kw: Mapping[str, float | Fraction], span) -> Expr:
    """The expansion of a call of a loss or a user atom: its body with the arguments put
    in."""
    values: dict[str, Expr] = dict(zip(atom.params, args))
    values.update({key: constant_node(value) for key, value in kw.items()})
    return _substitute(atom.body, values, span)


def expand_at(tape: Tape, index: int, atom: Atom, args: tuple[int, ...],
              kw: Mapping[str, float | Fraction]) -> int:
    """:func:`expand` for the call at ``index`` in ``tape``, whose arguments are the ids
    ``args``: the id of the body with them put in, written where the call was."""
    constants = {key: constant_node(value) for key, value in kw.items()}
    body = _substitute(atom.body, constants, tape.span(index))
    return tape.add_expr(body, given=dict(zip(atom.params, args)))
