"""The rules: the only place where curvature is decided.

* **Composition** (Grant, Boyd and Ye): ``f(g1, ..., gk)`` is convex when f is convex on
  the arguments' ranges and each gi is affine, or f is nondecreasing in argument i and
  gi is convex, or f is nonincreasing in argument i and gi is concave. Concave is the
  mirror image; affine needs f affine and every gi affine; constant arguments give a
  constant.
* **Products** (``*``, ``@``, ``dot``): a constant side scales the other, and its range
  decides the direction; two non-constant sides break, even when both are nonnegative
  (x*y is not convex).
* **Division**: ``g / c`` scales by ``1/c``; ``c / g`` is ``c * inv_pos(g)`` when g is
  positive; otherwise the rules break.

Each rule returns an :class:`Outcome`: the curvature, and, when the rule cannot conclude
although every premise was known, the reason in plain words and a fix where one exists.
Unknown premises give an unknown conclusion with no reason: the break is lower down.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable, NamedTuple, Sequence

from .facts import Curvature, Interval, Monotonicity
from .facts.curvature import AFFINE, CONCAVE, CONSTANT, CONVEX, UNKNOWN
from .facts.valued import Valued

__all__ = ["Outcome", "Operand", "compose", "composed", "product_curvature", "scale", "product",
           "quotient_curvature", "quotient", "reciprocal_curvature", "reciprocal"]

UP, DOWN = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING


class Outcome(NamedTuple):
    """What a rule concluded; ``reason`` is set only where the rule itself broke."""

    curvature: Curvature
    reason: str | None = None
    fix: str | None = None


class Operand(NamedTuple):
    """What the rules know of one premise: its curvature and range, and ``source``, an
    object whose ``text`` names it (read only to word a reason, so printing stays off
    the hot path). A proof :class:`~dcp.proof.Step` has the same attributes and is
    passed as it is where its range needs no narrowing."""

    curvature: Curvature
    range: Interval
    source: object
    parameter: str | None = None        # the name, when the operand is a bare parameter

    @property
    def text(self) -> str:
        return self.source.text


def _unknown_premise(operands: Sequence[Operand]) -> bool:
    return any(not o.curvature.is_known for o in operands)


def _article(curvature: Curvature) -> str:
    return "an affine" if curvature is AFFINE else f"a {curvature}"


# ---- composition ---------------------------------------------------------------------


def _fits(direction: Curvature, mono: Monotonicity, arg: Curvature) -> bool:
    """Whether argument curvature ``arg`` keeps ``direction`` (convex or concave) through
    an atom with monotonicity ``mono`` in that argument."""
    if arg.is_affine:
        return True
    if direction is CONVEX:
        return (mono is UP and arg is CONVEX) or (mono is DOWN and arg is CONCAVE)
    return (mono is UP and arg is CONCAVE) or (mono is DOWN and arg is CONVEX)


_PLAIN = {c: Outcome(c) for c in Curvature}


@lru_cache(maxsize=4096)     # a pure function of a few enums, asked at every node
def composed(curvature: Curvature, monotonicity: tuple[Monotonicity, ...],
             args: tuple[Curvature, ...], fixed: tuple[int, ...] = ()) -> Curvature:
    """The curvature the composition rule gives (see :func:`compose`, which also words
    why it breaks). ``fixed``: the arguments the atom's facts hold for only when they are
    constant (its ``fixed_arguments``, dotsort's weights): it is convex in the others for
    each fixed value there, not jointly, so a non-constant one gives unknown."""
    if all(a.is_constant for a in args):
        return CONSTANT
    if not all(a.is_known for a in args):
        return UNKNOWN
    if fixed and not all(args[i].is_constant for i in fixed):
        return UNKNOWN
    if curvature.is_affine and all(a.is_affine for a in args):
        return AFFINE
    for direction, holds in ((CONVEX, curvature.is_convex), (CONCAVE, curvature.is_concave)):
        if holds and all(_fits(direction, m, a) for m, a in zip(monotonicity, args)):
            return direction
    return UNKNOWN


def compose(name: str, curvature: Curvature, monotonicity: tuple[Monotonicity, ...],
            args: Sequence[Operand], note: Callable[[], str] = str,
            fixed: tuple[int, ...] = ()) -> Outcome:
    """The DCP composition rule for atom ``name`` with the given facts on ``args``
    (``fixed``: see :func:`composed`).

    ``note()`` words where the atom is convex or concave, for a break's reason; it is
    called only when the rule breaks."""
    curvatures = tuple([a.curvature for a in args])
    best = composed(curvature, monotonicity, curvatures, fixed)
    if best is not UNKNOWN or UNKNOWN in curvatures:
        return _PLAIN[best]
    moving = [args[i] for i in fixed if not args[i].curvature.is_constant]
    if moving:
        return Outcome(UNKNOWN,
                       f"{name} is convex in its other arguments only for a constant "
                       f"`{moving[0].text}`, but `{moving[0].text}` is {moving[0].curvature}: "
                       f"like a product of two non-constant factors, it is not convex in general",
                       "make it constant: certify with respect to fewer variables")
    return Outcome(UNKNOWN, _composition_reason(name, curvature, monotonicity, args, note()))


def _composition_reason(name: str, curvature: Curvature, monotonicity: Sequence[Monotonicity],
                        args: Sequence[Operand], note: str) -> str:
    if not curvature.is_known:
        where = args[0].range if len(args) == 1 else None
        detail = f" (it is {note})" if note else ""
        span = f" on {where}, the range of `{args[0].text}`" if where is not None else ""
        return f"{name} is neither convex nor concave{span}{detail}"
    if curvature.is_affine:
        return _mixed_terms_reason(name, monotonicity, args)
    direction = CONVEX if curvature.is_convex else CONCAVE
    for mono, arg in zip(monotonicity, args):
        if _fits(direction, mono, arg.curvature):
            continue
        if mono is UP:
            need = direction
        elif mono is DOWN:
            need = direction.negate()
        else:
            where = f" on {arg.range}" if len(args) == 1 else ""
            return (f"{name} is {direction} but not monotone{where}, so its argument must be "
                    f"affine, but `{arg.text}` is {arg.curvature}")
        return (f"{name} is {direction} and {mono}, so it needs {_article(need)} argument, "
                f"but `{arg.text}` is {arg.curvature}")
    return f"{name} does not compose here"  # unreachable when compose() failed


def _mixed_terms_reason(name: str, monotonicity: Sequence[Monotonicity],
                        args: Sequence[Operand]) -> str:
    """An affine combination of terms that pull in opposite directions."""
    effects = []
    for mono, arg in zip(monotonicity, args):
        if arg.curvature.is_affine:
            continue
        effect = arg.curvature if mono is UP else arg.curvature.negate()
        effects.append((effect, arg))
    convex = next((a for e, a in effects if e is CONVEX), None)
    concave = next((a for e, a in effects if e is CONCAVE), None)
    if name == "+" and convex and concave:
        return (f"the sum of a convex term `{convex.text}` and a concave term "
                f"`{concave.text}` is neither convex nor concave in general")
    if name == "-" and convex and concave:
        return (f"`{args[0].text}` is {args[0].curvature} and `{args[1].text}` is "
                f"{args[1].curvature}, so the difference is the sum of a convex and a concave "
                f"term, which is neither convex nor concave in general")
    return f"{name} combines convex and concave terms, which is neither convex nor concave in general"


# ---- scaling, products, division --------------------------------------------------------


def scale(curvature: Curvature, factor: Interval) -> Curvature:
    """Curvature of ``c * g`` for a constant ``c`` in ``factor`` (unknown if its sign is)."""
    if curvature.is_constant or factor.is_zero:
        return CONSTANT
    if curvature.is_affine:
        return AFFINE
    if factor.is_nonneg:
        return curvature
    if factor.is_nonpos:
        return curvature.negate()
    return UNKNOWN


def _sign_fix(constant: Operand, wanted: Curvature) -> str | None:
    """``W2 >= 0 would make it convex``, when the constant is a bare parameter."""
    if constant.parameter is None:
        return None
    name = constant.parameter
    if constant.range.__class__ is Valued:      # a weight: its values say what it is
        negative, positive = ("negative", "positive") if wanted is CONVEX else ("positive", "negative")
        return (f"with no {negative} entry {name} would make it convex; with no {positive} "
                f"entry, concave")
    if wanted is CONVEX:
        return f"{name} >= 0 would make it convex; {name} <= 0 would make it concave"
    return f"{name} >= 0 would make it concave; {name} <= 0 would make it convex"


def product_curvature(left: Curvature, right: Curvature, left_range: Interval,
                      right_range: Interval) -> Curvature:
    """The curvature the product rule gives (see :func:`product`, which also words why it
    breaks)."""
    if left is CONSTANT:
        return CONSTANT if right is CONSTANT else UNKNOWN if right is UNKNOWN else scale(right, left_range)
    if right is CONSTANT:
        return UNKNOWN if left is UNKNOWN else scale(left, right_range)
    return UNKNOWN


def product(symbol: str, left: Operand, right: Operand) -> Outcome:
    """The product rule for ``left symbol right`` (``*``, ``@`` or ``dot``)."""
    curvature = product_curvature(left.curvature, right.curvature, left.range, right.range)
    if curvature is not UNKNOWN or _unknown_premise((left, right)):
        return _PLAIN[curvature]
    if not left.curvature.is_constant and not right.curvature.is_constant:
        return Outcome(UNKNOWN,
                       f"product of two non-constant factors `{left.text}` and `{right.text}`: "
                       f"a product of expressions that both depend on the variables is not "
                       f"convex in general (x*y is not), whatever their signs",
                       "make one factor constant: certify with respect to fewer variables")
    constant, other = (left, right) if left.curvature.is_constant else (right, left)
    return Outcome(UNKNOWN,
                   f"a constant of unknown sign (`{constant.text}` ranges over {constant.range}) "
                   f"times {_article(other.curvature)} expression `{other.text}`",
                   _sign_fix(constant, other.curvature))


def quotient_curvature(numerator: Curvature, denominator: Curvature, factor: Interval) -> Curvature:
    """The curvature the quotient rule gives for ``g / c`` with ``1/c`` in ``factor``, ``c``
    not zero (see :func:`quotient`, which also words why it breaks)."""
    if numerator.is_constant and denominator.is_constant:
        return CONSTANT
    if not (numerator.is_known and denominator.is_known):
        return UNKNOWN
    return scale(numerator, factor)


def quotient(numerator: Operand, denominator: Operand) -> Outcome:
    """``g / c`` with a constant ``c``: scale by ``1/c``."""
    if numerator.curvature.is_constant and denominator.curvature.is_constant:
        return Outcome(CONSTANT)
    if _unknown_premise((numerator, denominator)):
        return Outcome(UNKNOWN)
    if denominator.range.is_zero:
        return Outcome(UNKNOWN, f"division by `{denominator.text}`, which is zero")
    curvature = quotient_curvature(numerator.curvature, denominator.curvature,
                                   denominator.range.reciprocal())
    if curvature.is_known:
        return Outcome(curvature)
    return Outcome(UNKNOWN,
                   f"{_article(numerator.curvature)} expression `{numerator.text}` divided by a "
                   f"constant of unknown sign (`{denominator.text}` ranges over {denominator.range})",
                   _sign_fix(denominator, numerator.curvature))


def reciprocal_curvature(numerator: Curvature, denominator: Curvature, numerator_range: Interval,
                         denominator_range: Interval) -> Curvature:
    """The curvature the reciprocal rule gives for ``c / g`` (see :func:`reciprocal`, which
    also words why it breaks)."""
    if not (numerator.is_known and denominator.is_known) or not numerator.is_constant:
        return UNKNOWN
    inner = _inverse(denominator_range)
    if inner is None:
        return UNKNOWN
    inner = composed(inner, (DOWN,), (denominator,))           # 1/g, where g keeps its sign
    return scale(inner, numerator_range) if inner.is_known else UNKNOWN


def _inverse(denominator_range: Interval) -> Curvature | None:
    """The curvature of ``1/g`` on the range of ``g``: convex where g > 0 (inv_pos), concave
    where g < 0 (both nonincreasing); None where g may take either sign."""
    if denominator_range.is_positive:
        return CONVEX
    if denominator_range.is_negative:
        return CONCAVE
    return None


def reciprocal(numerator: Operand, denominator: Operand) -> Outcome:
    """``c / g`` with a constant ``c`` and ``g > 0``: ``c * inv_pos(g)``, where inv_pos is
    convex and nonincreasing; with ``g < 0``, ``1/g`` is concave and nonincreasing there.
    (A nonnegative ``g`` is positive wherever ``c / g`` is defined; the engine lists
    ``g > 0`` as a domain condition and passes its range restricted to that domain.)"""
    curvature = reciprocal_curvature(numerator.curvature, denominator.curvature, numerator.range,
                                     denominator.range)
    if curvature is not UNKNOWN or _unknown_premise((numerator, denominator)):
        return _PLAIN[curvature]
    if not numerator.curvature.is_constant:
        return Outcome(UNKNOWN,
                       f"quotient of two non-constant expressions `{numerator.text}` and "
                       f"`{denominator.text}` is not convex in general")
    inverse = _inverse(denominator.range)
    if inverse is None:
        return Outcome(UNKNOWN,
                       f"the divisor `{denominator.text}` may be negative (it ranges over "
                       f"{denominator.range}); c / g is convex only where g > 0",
                       f"write inv_pos({denominator.text}) to restrict to where it is positive")
    inner = compose("inv_pos" if inverse is CONVEX else "1 / g", inverse, (DOWN,), [denominator])
    if not inner.curvature.is_known:
        return Outcome(UNKNOWN, inner.reason.replace("inv_pos is", "1 / g is", 1))
    curvature = scale(inner.curvature, numerator.range)
    if curvature.is_known:
        return Outcome(curvature)
    return Outcome(UNKNOWN,
                   f"a constant of unknown sign (`{numerator.text}` ranges over {numerator.range}) "
                   f"divided by {_article(inner.curvature.negate())} expression `{denominator.text}`",
                   _sign_fix(numerator, inner.curvature))
