"""Assumptions: elementwise bounds on names, as intervals.

``"W2 >= 0"``, ``"0 <= y <= 1"``, ``"x < 3"``. Bounds are exact (``c >= -0.001`` bounds
``c`` by -1/1000, not by a float near it). Several bounds on one name intersect;
bounds that leave nothing are contradictory and raise :class:`AssumptionError`.
"""
from __future__ import annotations

import math
from typing import Iterable

from .errors import AssumptionError, DcpError
from .facts import Interval
from .syntax.ast import Condition
from .syntax.parser import parse_assumptions

__all__ = ["condition_interval", "parse_assumption_list", "bounds_from"]


def condition_interval(condition: Condition) -> Interval:
    """The interval a condition allows; raises :class:`AssumptionError` if it is empty."""
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
        both = allowed if current is None else current.intersect(allowed)
        if both is None:
            raise AssumptionError(
                f"contradictory assumptions on `{condition.name}`: {current} and {allowed} "
                f"have nothing in common", source=text or None, span=condition.span)
        bounds[condition.name] = both
    return bounds
