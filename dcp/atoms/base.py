"""What an atom is, and the registry that finds atoms by name.

An atom declares everything about itself in one class: name and aliases, arity and
keywords, its formula, its domain, its range, and its curvature and monotonicity as
functions of its arguments' ranges. Declaring the class registers it; nothing else needs
to change to add an atom (the docs' table, completion and the contract test read the
registry).

Facts are three-valued in spirit: an atom that cannot promise convexity on a range says
``Curvature.UNKNOWN`` and the rules report it honestly.

Four kinds of atom reach the rules differently:

* ``composition`` (the default): the DCP composition rule applies, using ``curvature``
  and ``monotonicity`` evaluated on the arguments' ranges;
* ``product``: bilinear (``*``, ``@``, ``dot``), handled by the product rule;
* ``expansion``: defined as another expression (``mse``), analysed through it;
* ``user``: a user atom with proved facts, composed where those facts decide the
  curvature and otherwise expanded like an ``expansion``.

A scalar atom's range ends at the Arb enclosure (python-flint) of its value at a finite
point, rounded outward: Arb is part of the rules' trusted base, imported only when such a
value is needed (:mod:`dcp.facts.balls`).
"""
from __future__ import annotations

import math
from fractions import Fraction
from types import MappingProxyType
from typing import Callable, ClassVar, Mapping, NamedTuple, Sequence

from ..errors import ArgumentError
from ..facts import REALS, Curvature, Interval, Monotonicity
from ..facts.balls import float_down, float_up, precision, to_arb
from ..facts.dims import Dims, ShapeMismatch, Sym
from ..facts.structure import plain
from ..memo import Memo

__all__ = ["Atom", "AtomFacts", "ScalarAtom", "REGISTRY", "lookup", "all_atoms", "safe",
           "ShapeMismatch"]

Ranges = Sequence[Interval]
#: Keyword constants, exact: a float when the value is one, else a Fraction (``alpha=0.1``
#: is 1/10), as :func:`~dcp.syntax.ast.fold_constant` folds them.
Keywords = dict[str, float | Fraction]

#: Arb precision (bits) of the values that end an atom's range.
RANGE_BITS = 128

#: The keywords of a call that gives none (read only: one, shared).
NO_KEYWORDS: Mapping[str, float | Fraction] = MappingProxyType({})


class AtomFacts(NamedTuple):
    """What an atom is on a box of argument ranges: the rules' premises about it."""

    curvature: Curvature
    monotonicity: tuple[Monotonicity, ...]
    range: Interval


# name or alias -> the atoms spelled that way (several when they differ by arity).
REGISTRY: dict[str, list[Atom]] = {}
_OPERATORS: dict[str, Atom] = {}


class Atom:
    """Base of every atom. Subclasses fill in the class attributes and override the
    fact methods; see :class:`ScalarAtom` for elementwise functions of one argument."""

    name: ClassVar[str]
    aliases: ClassVar[tuple[str, ...]] = ()
    #: An operator spelling (``"+"``, ``".T"``) for atoms that are not called by name.
    operator: ClassVar[str | None] = None
    kind: ClassVar[str] = "composition"
    min_args: ClassVar[int] = 1
    max_args: ClassVar[int | None] = 1
    #: Keyword arguments and their defaults, exact as :data:`Keywords` (the default 0.01
    #: is ``Fraction(1, 100)``, not the float 0.01, so that writing it changes nothing).
    keywords: ClassVar[dict[str, float | Fraction | None]] = {}
    #: Keywords that may also be given positionally after the arguments: power(x, 2).
    positional_keywords: ClassVar[tuple[str, ...]] = ()
    #: The formula in the expression language, for docs and SymPy (``x`` is the argument).
    formula: ClassVar[str] = ""
    #: Whether the value is a scalar (a reduction) or has the shape of its argument.
    reduces: ClassVar[bool] = False
    #: Arguments the facts hold for only when they are fixed: the atom is convex (or
    #: concave) in the others for each constant value there, not jointly (dotsort's
    #: weights W: dotsort(x, w) of scalars is x*w). The composition rule gives unknown
    #: unless every one of them is constant, as the product rule does for two
    #: non-constant factors.
    fixed_arguments: ClassVar[tuple[int, ...]] = ()
    #: The arguments that must be positive definite (read through their symmetric part),
    #: a domain no interval can say and the analysis does not list: a set rule relies on
    #: it being convex only where the argument is affine (`dcp.proof.nonconvex_domain`).
    definite_arguments: ClassVar[tuple[int, ...]] = ()

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "name" not in cls.__dict__:
            return                                   # an abstract family, not an atom
        atom = cls()
        if cls.operator is not None:
            _OPERATORS[cls.operator] = atom
            return
        for spelling in (cls.name, *cls.aliases):
            REGISTRY.setdefault(spelling, []).append(atom)

    # ---- facts: override in subclasses --------------------------------------------
    def validate(self, kw: Keywords) -> None:
        """Raise :class:`ArgumentError` for keyword values the atom does not accept."""

    def domain(self, index: int, kw: Keywords) -> Interval:
        """Where argument ``index`` must lie for the atom to be defined."""
        return REALS

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        """An interval enclosing the atom's value when each argument lies in its range."""
        return REALS

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        """The atom's curvature as a function, on the box given by the argument ranges."""
        return Curvature.UNKNOWN

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        """How the atom moves with argument ``index`` on that box."""
        return Monotonicity.NONE

    def shape(self, shapes: Sequence[Sym], kw: Keywords, data: object, dims: Dims) -> Sym:
        """The value's shape from the arguments' shapes: a scalar for reductions,
        otherwise the arguments broadcast together (elementwise). ``data`` is the node's
        entry in the tape's ``data`` column (an index's indices), so no tree is built."""
        if self.reduces:
            return ()
        return dims.broadcast(list(shapes))

    @property
    def elementwise(self) -> bool:
        """Whether each entry of the value is the atom of the arguments' entries there
        (the shape rule it inherits, and no reduction)."""
        if self.kind == "product":
            return getattr(self, "sums", True) is False     # a * b, not a @ b or dot(a, b)
        return type(self).shape is Atom.shape and not self.reduces

    def evaluate(self, ops, args: Sequence, kw: Keywords, node):
        """The value, from the arguments' values. Arrays carry a leading batch axis and
        ``ops`` is the number system (floats, or Arb balls; see dcp.ops)."""
        raise NotImplementedError(f"{self.spelling} cannot be evaluated")

    # ---- derived ------------------------------------------------------------------
    def domains(self, count: int, kw: Keywords) -> tuple[Interval, ...] | None:
        """The domain of each of ``count`` arguments, or None when the atom is defined
        everywhere (the commonest case). Memoised, like :meth:`facts_on`."""
        key = (count, tuple(kw.items())) if kw else count       # (an int is never a pair)
        memo = self.__dict__.get("_domains_memo")
        if memo is None:
            memo = self.__dict__["_domains_memo"] = Memo()
        try:
            return memo[key]
        except KeyError:
            pass
        found = tuple(self.domain(position, kw) for position in range(count))
        return memo.put(key, None if all(d is REALS for d in found) else found)

    def facts_on(self, ranges: tuple[Interval, ...], kw: Keywords) -> AtomFacts:
        """Curvature, monotonicity in each argument and range on the box ``ranges``.

        Memoised: the facts are pure functions of the ranges and keywords, and a deep
        network asks the same question at every layer.
        """
        # Without keywords the ranges are the key. It never equals a (ranges, keywords)
        # pair: that pair's first item, a tuple of intervals, never equals an interval
        # (whose items are numbers).
        key = (ranges, tuple(kw.items())) if kw else ranges
        memo = self.__dict__.get("_facts_memo")
        if memo is None:
            memo = self.__dict__["_facts_memo"] = Memo()
        found = memo.get(key)
        if found is None:
            value_range = self.range(ranges, kw)
            if value_range.__class__ is not Interval:
                # A matrix's structure (P psd) is a fact about that matrix, not about what
                # an atom makes of it (min(P), P[0, 1]): an atom's value has entries only.
                value_range = plain(value_range)
            found = memo.put(key, AtomFacts(
                self.curvature(ranges, kw),
                tuple(self.monotonicity(i, ranges, kw) for i in range(len(ranges))),
                value_range))
        return found

    @property
    def spelling(self) -> str:
        return self.operator or self.name

    @property
    def summary(self) -> str:
        """The first line of the docstring."""
        return (self.__doc__ or "").strip().splitlines()[0] if self.__doc__ else ""

    def describe(self, args: Ranges, kw: Keywords) -> str:
        """The facts used, in words: ``relu: convex, nondecreasing``."""
        curvature = self.curvature(args, kw)
        words = [str(curvature) if curvature.is_known else "neither convex nor concave"]
        monos = [self.monotonicity(i, args, kw) for i in range(len(args))]
        if len(monos) == 1:
            words.append(str(monos[0]))
        elif monos:
            words.append("(" + ", ".join(m.arrow for m in monos) + ")")
        where = f" on {args[0]}" if len(args) == 1 and args[0] != REALS else ""
        return f"{self.spelling}: {', '.join(words)}{where}"

    def accepts(self, count: int) -> bool:
        most = None if self.max_args is None else self.max_args + len(self.positional_keywords)
        return count >= self.min_args and (most is None or count <= most)

    def arity_text(self) -> str:
        if self.positional_keywords:
            return f"{self.min_args} argument" + ("s" if self.min_args != 1 else "") + \
                " and " + ", ".join(self.positional_keywords)
        if self.max_args == self.min_args:
            n = self.min_args
            return f"{n} argument" + ("s" if n != 1 else "")
        if self.max_args is None:
            return f"at least {self.min_args} arguments"
        return f"{self.min_args} to {self.max_args} arguments"

    def __repr__(self) -> str:
        return f"<atom {self.spelling}>"


def lookup(name: str, count: int) -> Atom | None:
    """The atom called ``name`` that takes ``count`` positional arguments; if none takes
    that many, the first one of that name (so the arity error can name it)."""
    atoms = REGISTRY.get(name)
    if not atoms:
        return None
    for atom in atoms:
        if atom.accepts(count):
            return atom
    return atoms[0]


def operator(symbol: str) -> Atom:
    """The atom behind an operator spelling: ``+``, ``-``, ``neg``, ``.T``, ``[]``..."""
    return _OPERATORS[symbol]


def all_atoms() -> list[Atom]:
    """Every callable atom once, by name."""
    seen: dict[str, Atom] = {}
    for atoms in REGISTRY.values():
        for atom in atoms:
            seen.setdefault(f"{atom.name}/{atom.min_args}", atom)
    return sorted(seen.values(), key=lambda a: (a.name, a.min_args))


def safe(function: Callable[[float], float]) -> Callable[[float], float]:
    """``function`` with overflow read as infinity."""
    def wrapped(x: float) -> float:
        try:
            return function(x)
        except OverflowError:
            return math.inf
    wrapped.__name__ = getattr(function, "__name__", "f")
    return wrapped


def _covered(pieces: Sequence[Interval], region: Interval) -> bool:
    return any(piece.contains(region) for piece in pieces)


class ScalarAtom(Atom):
    """An elementwise function of one argument, declared by intervals.

    ``convex_on``/``concave_on``/``increasing_on``/``decreasing_on`` list the intervals
    (as text, e.g. ``"(-inf, 0]"``) where each fact holds. The atom is convex on a range
    when one ``convex_on`` interval contains it, and so on. Its range is computed from the
    values at the ends of each monotone piece, clipped to ``image``: at a finite end the
    Arb enclosure of ``enclose`` rounded outward to a float (exactly ``value`` for
    ``exact`` atoms and 0 at the listed ``zeros``), at an infinite end the limit ``value``
    gives (exact).

    Irrational interval ends are written rounded inward (a fact is never claimed
    outside where it holds); irrational ends of ``image`` are rounded outward.
    """

    domain_text: ClassVar[str] = "(-inf, inf)"
    image: ClassVar[str] = "(-inf, inf)"
    convex_on: ClassVar[tuple[str, ...]] = ()
    concave_on: ClassVar[tuple[str, ...]] = ()
    increasing_on: ClassVar[tuple[str, ...]] = ()
    decreasing_on: ClassVar[tuple[str, ...]] = ()
    #: Points where the value is exactly zero (kept exact in ranges).
    zeros: ClassVar[tuple[float, ...]] = ()
    #: An interval (a few ulps wide) holding the function's only turning point, and
    #: whether it is a "min" or a "max": the monotone pieces stop on either side of it.
    turning: ClassVar[tuple[str, str] | None] = None
    #: Whether ``value`` is exact in floating point (piecewise linear with exact slopes).
    exact: ClassVar[bool] = False
    #: Whether the atom is strictly monotone on its monotone pieces (then open argument
    #: ends give open value ends); read from ``pieces(kw)["strict"]``, where atoms whose
    #: facts depend on a keyword give it.
    strict: ClassVar[bool] = True

    @staticmethod
    def value(x: float, **kw: float) -> float:
        """f(x) in floats, for plots; in ranges, for ``exact`` atoms (exact there) and for
        the limits at x = +-inf and at open ends of the domain, which it must give exactly
        or rounded outward."""
        raise NotImplementedError

    def enclose(self, x, kw: Keywords):
        """A ``flint.arb`` ball holding f(t) for every t in the ball ``x``; a NaN ball
        unless ``x`` lies wholly in the domain. Each atom writes it with formulations that
        stay accurate where its formula cancels (``log1p``, ``expm1``, ``erfc``); ranges
        and the rigorous confirmation of witnesses rest on it."""
        raise NotImplementedError(f"{self.spelling} has no ball enclosure")

    def evaluate(self, ops, args: Sequence, kw: Keywords, node):
        """The formula, evaluated entrywise (floats: SymPy's lambdify; balls:
        :meth:`enclose`), and NaN outside the domain."""
        import numpy as np

        from ..ops import inside
        keys = tuple(sorted(kw))
        function = ops.scalar_function(self, keys)
        x = args[0]
        value = function(x, *[kw[k] for k in keys])
        return np.where(inside(x, self.domain(0, kw)), value, ops.nan)

    def pieces(self, kw: Keywords) -> dict:
        """The declared intervals, parsed, and ``strict``; atoms with keyword-dependent
        facts override."""
        cache = self.__dict__.setdefault("_pieces", None)
        if cache is None:
            cache = {field: tuple(Interval.parse(t) for t in getattr(self, field))
                     for field in ("convex_on", "concave_on", "increasing_on", "decreasing_on")}
            domain = Interval.parse(self.domain_text)
            # The shared REALS object when it is all reals: the engine skips checking it.
            cache["domain"] = (REALS if domain == REALS else domain,)
            cache["image"] = (Interval.parse(self.image),)
            cache["strict"] = self.strict
            self.__dict__["_pieces"] = cache
        return cache

    def domain(self, index: int, kw: Keywords) -> Interval:
        return self.pieces(kw)["domain"][0]

    def curvature(self, args: Ranges, kw: Keywords) -> Curvature:
        facts = self.pieces(kw)
        convex = _covered(facts["convex_on"], args[0])
        concave = _covered(facts["concave_on"], args[0])
        if convex and concave:
            return Curvature.AFFINE
        if convex:
            return Curvature.CONVEX
        if concave:
            return Curvature.CONCAVE
        return Curvature.UNKNOWN

    def monotonicity(self, index: int, args: Ranges, kw: Keywords) -> Monotonicity:
        facts = self.pieces(kw)
        if _covered(facts["increasing_on"], args[0]):
            return Monotonicity.NONDECREASING
        if _covered(facts["decreasing_on"], args[0]):
            return Monotonicity.NONINCREASING
        return Monotonicity.NONE

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        facts = self.pieces(kw)
        image = facts["image"][0]
        region = args[0]
        parts, images = [], []
        for direction, pieces in ((1, facts["increasing_on"]), (-1, facts["decreasing_on"])):
            for piece in pieces:
                part = region.intersect(piece)
                if part is not None:
                    parts.append(part)
                    images.append(self._piece_image(direction, part, kw))
        if self.turning is not None:
            part = region.intersect(Interval.parse(self.turning[0]))
            if part is not None:
                parts.append(part)
                images.append(self._turning_image(part, image, kw))
        if not _union_covers(parts, region):
            return image
        clipped = Interval.hull(images).intersect(image)
        return clipped if clipped is not None else image

    def _turning_image(self, part: Interval, image: Interval, kw: Keywords) -> Interval:
        """Values on a piece holding the only turning point: a minimum is at least the
        image's lower end and at most the larger end value (and the mirror for a max)."""
        if self.turning[1] == "min":
            top = max(self._bound(part.lo, kw, down=False), self._bound(part.hi, kw, down=False))
            return Interval(image.lo, top, image.lo_open)
        bottom = min(self._bound(part.lo, kw, down=True), self._bound(part.hi, kw, down=True))
        return Interval(bottom, image.hi, False, image.hi_open)

    def _piece_image(self, direction: int, part: Interval, kw: Keywords) -> Interval:
        low_end = (part.lo, part.lo_open) if direction > 0 else (part.hi, part.hi_open)
        high_end = (part.hi, part.hi_open) if direction > 0 else (part.lo, part.lo_open)
        lo = self._bound(low_end[0], kw, down=True)
        hi = self._bound(high_end[0], kw, down=False)
        # Sound bounds of a monotone piece satisfy lo <= hi; Interval refuses otherwise.
        strict = self.pieces(kw)["strict"]
        return Interval(lo, hi, strict and low_end[1], strict and high_end[1])

    def _bound(self, x, kw: Keywords, down: bool):
        """A number at or below (``down``) or above f(x), for an end ``x`` of a piece (a
        float or a Fraction): the limit at an infinite end or an open end of the domain
        (``value`` gives it exactly: log at 0 is -inf), f(x) exactly for ``exact`` atoms
        and at the listed ``zeros``, and otherwise the end of f's Arb enclosure at
        :data:`RANGE_BITS` bits, rounded outward to a float."""
        limit = math.isinf(x) or x not in self.domain(0, kw)
        if limit or self.exact:
            y = self.value(float(x) if limit else x, **kw)
            return (-math.inf if down else math.inf) if math.isnan(y) else y
        if x in self.zeros:
            return 0.0
        with precision(RANGE_BITS):
            ball = self.enclose(to_arb(x), kw)
        return float_down(ball) if down else float_up(ball)


def _union_covers(parts: list[Interval], region: Interval) -> bool:
    """Whether the union of ``parts`` (pieces of ``region``) is all of ``region``."""
    if not parts:
        return False
    parts = sorted(parts, key=lambda p: (p.lo, not p.lo_open))
    if not (parts[0].lo == region.lo and (parts[0].lo_open <= region.lo_open)):
        return False
    hi, hi_open = parts[0].hi, parts[0].hi_open
    for part in parts[1:]:
        if part.lo > hi or (part.lo == hi and part.lo_open and hi_open):
            return False
        if part.hi > hi or (part.hi == hi and not part.hi_open):
            hi, hi_open = part.hi, part.hi_open
    return hi == region.hi and (hi_open >= region.hi_open)


def keyword_error(atom: Atom, key: str) -> ArgumentError:
    from ..syntax import close_matches
    known = list(atom.keywords)
    if not known:
        return ArgumentError(f"{atom.spelling} takes no keyword arguments, got `{key}`")
    return ArgumentError(f"{atom.spelling} has no keyword `{key}`{close_matches(key, known)}"
                         f" (it takes {', '.join(known)})")
