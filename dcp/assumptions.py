"""Assumptions: elementwise bounds on names, as intervals, and facts about matrices.

``"W2 >= 0"``, ``"0 <= y <= 1"``, ``"x < 3"``. Bounds are exact (``c >= -0.001`` bounds
``c`` by -1/1000, not by a float near it). Several bounds on one name intersect;
bounds that leave nothing are contradictory and raise :class:`AssumptionError`.

``"P psd"``, ``"P nsd"``, ``"P symmetric"`` state a matrix parameter's structure; it is
kept in the name's interval (:class:`~dcp.facts.structure.Structured`), so each name has
one range. Only a parameter may be psd or nsd (:func:`refuse_structured_variables`).
"""
from __future__ import annotations

import math
from collections import abc
from typing import Iterable, Mapping

from .errors import AssumptionError, DcpError, option
from .facts import REALS, Interval
from .facts.structure import Structured, admits, meet, structure_of
from .syntax.ast import Condition
from .syntax.parser import parse_assumptions

__all__ = ["condition_interval", "parse_assumption_list", "bounds_from",
           "refuse_structured_variables"]


def condition_interval(condition: Condition) -> Interval:
    """The interval a condition allows (all reals with the structure, for ``P psd``);
    raises :class:`AssumptionError` if it is empty."""
    if condition.structure is not None:
        return Structured(*REALS, structure=condition.structure)
    lo = -math.inf if condition.lower is None else condition.lower
    hi = math.inf if condition.upper is None else condition.upper
    try:
        return Interval(lo, hi, condition.strict_lower, condition.strict_upper)
    except ValueError:
        raise AssumptionError(f"the assumption on `{condition.name}` allows no value "
                              f"(lower bound {float(lo):g}, upper bound {float(hi):g})",
                              span=condition.span) from None


def parse_assumption_list(assume: Iterable[str] | str) -> list[tuple[Condition, str]]:
    """Parse each assumption string; each condition with the text it came from."""
    if isinstance(assume, str):
        assume = [assume]
    elif not isinstance(assume, (list, tuple)) and not isinstance(assume, abc.Iterable):
        # (the common list or tuple first: an ABC check costs a small call's 2%)
        raise AssumptionError(f"{option('assume')} takes a string such as 'W2 >= 0' or a list "
                              f"of them, not {type(assume).__name__}")
    parsed = []
    for text in assume:
        if isinstance(text, Condition):
            parsed.append((text, ""))
            continue
        try:
            conditions = parse_assumptions(text)
        except AssumptionError:                 # well formed, but a bound dcp cannot hold
            raise
        except DcpError as error:
            raise AssumptionError(f"malformed assumption {text!r}: {error.message}; write "
                                  f"e.g. 'W2 >= 0' or '0 <= p <= 1'",
                                  source=error.source, span=error.span) from None
        parsed.extend((c, text) for c in conditions)
    return parsed


def bounds_from(conditions: Iterable[tuple[Condition, str]],
                start: dict[str, Interval] | None = None) -> dict[str, Interval]:
    """Intersect the conditions per name (on top of ``start``)."""
    bounds = dict(start or {})
    for condition, text in conditions:
        allowed = condition_interval(condition)
        current = bounds.get(condition.name)
        both = allowed if current is None else meet(current, allowed)
        why = None
        if both is None and {"psd", "nsd"} <= structure_of(current) | structure_of(allowed):
            why = (f"only the zero matrix is both psd and nsd, and the entries of "
                   f"`{condition.name}` cannot be 0")
        elif both is None:
            why = f"{current} and {allowed} have nothing in common"
        elif not admits(both):
            sign = "nonnegative" if "psd" in structure_of(both) else "nonpositive"
            article = "an" if both.structure == "nsd" else "a"
            why = (f"{article} {both.structure} matrix has {sign} diagonal entries, and the "
                   f"entries of `{condition.name}` lie in {both.entries}")
        if why is not None:
            raise AssumptionError(f"contradictory assumptions on `{condition.name}`: {why}",
                                  source=text or None, span=condition.span)
        bounds[condition.name] = both
    return bounds


def refuse_structured_variables(bounds: Mapping[str, Interval], wrt: Iterable[str]) -> None:
    """Raise :class:`AssumptionError` when a name in ``wrt`` is assumed ``psd`` or
    ``nsd``: atoms read that as a fact about a fixed matrix (``quad_form(x, P)`` is convex
    in ``x`` for a fixed psd ``P``, not jointly in ``x`` and ``P``). ``X symmetric`` on a
    variable is allowed: it restricts X to the symmetric matrices, a convex set, and no
    atom's fact depends on it."""
    for name in wrt:
        assumed = bounds.get(name)
        if assumed is None or assumed.__class__ is not Structured:
            continue
        facts = structure_of(assumed)
        if "psd" in facts or "nsd" in facts:
            raise AssumptionError(f"`{name} {bounds[name].structure}` is an assumption about a "
                                  f"parameter, but `{name}` is a variable (in {option('wrt')}); "
                                  f"assume it of a name not in {option('wrt')}")
