"""Symbolic array dimensions: the algebra shape rules are written in.

A shape is a tuple of dimension variables (``Sym``); :class:`Dims` unifies them, fixes
sizes and tracks minimum sizes. Atoms state their shape rule with it
(``Atom.shape``); :mod:`dcp.check.shapes` runs the inference.

A dimension the user declared with a letter (``shape u = (n,)``) is a size of its own:
a verdict about ``u`` must hold for every ``n``. Equating it with another letter or a
number (or tying it to other sizes by a sum or a product) would narrow the verdict to the
sizes that satisfy the equation while saying it as if general, so :class:`Dims` refuses
it, in the few places sizes are equated (:meth:`Dims.unify`, :meth:`Dims._fix` and the
solver), whichever atom asks. An inferred size may be equated with anything.
"""
from __future__ import annotations

from typing import Mapping, Sequence

__all__ = ["Sym", "Dims", "ShapeMismatch"]

Sym = tuple[int, ...]          # a shape: one dimension variable per axis
#: A size as a linear form in free dimension classes: (class -> coefficient, constant).
Form = tuple[dict[int, int], int]

#: Why elementwise operands must agree (the default for broadcasting).
_SAME_SHAPE = "elementwise operands must have the same shape"


class ShapeMismatch(Exception):
    """Shapes that cannot agree at ``step`` (internal; becomes a ShapeError)."""

    def __init__(self, message: str, step=None):
        super().__init__(message)
        self.message, self.step = message, step
        #: ``(text, shape)`` of the step's first two premises, once the step is known.
        self.sides: list[tuple[str, str]] = []
        #: For a sum or product that failed when solved (after every step was read): the
        #: number of dimensions there were when it was made, so that the step that made it
        #: is the first whose shape has a dimension from there on.
        self.made: int | None = None


#: The constraints of a Dims that has none (the commonest): shared, never changed (the
#: first constraint of each kind makes the Dims its own list).
_NONE: list = []
_NO_FORMS: dict = {}
_NO_LETTERS: dict = {}


def _apart(why: str, equation: str, letters: Sequence[str]) -> ShapeMismatch:
    """The mismatch of a size equation that would tie declared letters: ``why``, the
    letters, and the ``equation`` that the shapes would need."""
    letters = list(dict.fromkeys(letters))
    if len(letters) == 1:
        who = f"{letters[0]} is declared as a size of its own"
    else:
        who = f"{', '.join(letters[:-1])} and {letters[-1]} are declared as sizes of their own"
    return ShapeMismatch(f"{why}: {who}, and the shapes agree only if {equation}")


class Dims:
    """Dimension variables with union-find; each class may be fixed to a size and has a
    minimum size (an index ``a[2]`` needs at least 3 entries). ``parent`` links each
    variable towards its class's root; a root's is ``None``.

    A class may carry the letter the user declared it with (``letters``, by root): such a
    class stays free, and is never equated with another letter, fixed, or solved for.

    Sizes may also be tied by constraints that are not equalities: a dimension that is the
    sum of others plus a constant (``hstack``, ``diff``: :meth:`total`), and dimensions
    whose product is a given number (``reshape``: :meth:`product_is`). :meth:`settle`
    solves them once every equality is known: it fixes what they determine, and leaves
    each remaining sum a linear form in free classes (``forms``), so that choosing the
    free sizes (:meth:`size_of`) gives sizes that satisfy every constraint.
    """

    __slots__ = ("parent", "size", "minimum", "sums", "products", "forms", "letters")

    def __init__(self, count: int = 0, fixed: Mapping[int, int] | None = None,
                 letters: Mapping[int, str] | None = None) -> None:
        """``count`` classes to start with (the names' axes, made at once rather than one
        :meth:`new` each), free but for the sizes ``fixed`` gives some of them; ``letters``
        names those declared with a letter (each such axis is its own class until
        unified, so two axes of one letter are unified by the caller)."""
        self.parent: list[int | None] = [None] * count
        self.size: list[int | None] = [None] * count
        self.minimum: list[int] = [1] * count
        #: (result, parts, offset, why): size(result) = sum of size(parts) + offset.
        self.sums: list[tuple[int, tuple[int, ...], int, str]] = _NONE
        #: (parts, count, why, made): the product of size(parts) is count; ``made`` is the
        #: number of dimensions when it was required (see ShapeMismatch.made).
        self.products: list[tuple[tuple[int, ...], int, str, int]] = _NONE
        #: After :meth:`settle`: each class that the sums determine, as a form in free ones.
        self.forms: dict[int, Form] = _NO_FORMS
        #: The declared letter of each class that has one, by root.
        self.letters: dict[int, str] = dict(letters) if letters else _NO_LETTERS
        if fixed:
            for d, n in fixed.items():
                self.size[d], self.minimum[d] = n, n or 1

    def new(self, size: int | None = None) -> int:
        self.parent.append(None)
        self.size.append(size)
        self.minimum.append(size or 1)
        return len(self.parent) - 1

    def find(self, d: int) -> int:
        """The root of ``d``'s class (compressing the path to it)."""
        parent = self.parent
        root = d
        while parent[root] is not None:
            root = parent[root]
        while d != root:
            up = parent[d]
            parent[d] = root
            d = up
        return root

    def unify(self, a: int, b: int, why: str = "dimensions must agree") -> None:
        """Put ``a`` and ``b`` in one class (``a``'s root stays the root)."""
        parent = self.parent
        if parent[a] is not None:           # most dimensions are their own root: no call
            a = self.find(a)
        if parent[b] is not None:
            b = self.find(b)
        if a == b:
            return
        letters = self.letters
        if letters and (a in letters or b in letters):
            self._keep_letter(a, b, why)
        size, minimum = self.size, self.minimum
        if size[a] is None:
            size[a] = size[b]
        elif size[b] is not None and size[a] != size[b]:
            raise ShapeMismatch(f"{why}: {size[a]} and {size[b]}")
        parent[b] = a
        if minimum[b] > minimum[a]:
            minimum[a] = minimum[b]
        if size[a] is not None and size[a] < minimum[a]:
            raise ShapeMismatch(f"a dimension of size {size[a]} is indexed past its end")

    def _keep_letter(self, a: int, b: int, why: str) -> None:
        """Before roots ``a`` and ``b`` are joined: refuse to equate a declared letter with
        another letter or a fixed size; else the joined class (rooted at ``a``) keeps the
        letter."""
        letters = self.letters
        mine, theirs = letters.get(a), letters.get(b)
        if mine is not None and theirs is not None and mine != theirs:
            raise _apart(why, f"{mine} = {theirs}", (mine, theirs))
        letter, other = (mine, b) if mine is not None else (theirs, a)
        if self.size[other] is not None:
            raise _apart(why, f"{letter} = {self.size[other]}", (letter,))
        if theirs is not None:
            letters[a] = letters.pop(b)

    def letter(self, d: int) -> str | None:
        """The letter ``d``'s class was declared with, if any."""
        return self.letters.get(self.find(d)) if self.letters else None

    def at_least(self, d: int, n: int) -> None:
        d = self.find(d)
        self.minimum[d] = max(self.minimum[d], n)
        if self.size[d] is not None and self.size[d] < n:
            raise ShapeMismatch(f"index {n - 1} is out of range for a dimension of size {self.size[d]}")

    def same(self, a: Sym, b: Sym, why: str) -> Sym:
        if len(a) != len(b):
            raise ShapeMismatch(why)
        unify = self.unify
        for x, y in zip(a, b):
            unify(x, y, why)
        return a

    def broadcast(self, shapes: Sequence[Sym], why: str = _SAME_SHAPE) -> Sym:
        """Scalars broadcast to anything; a vector broadcasts along a matrix's rows."""
        result: Sym = ()
        for shape in shapes:
            result = self.both(result, shape, why)
        return result

    def both(self, a: Sym, b: Sym, why: str = _SAME_SHAPE) -> Sym:
        """The longer of ``a`` and ``b``, its last axes made the other's (the broadcast
        of two shapes)."""
        if len(b) > len(a):
            a, b = b, a
        if b and a != b:                    # the same dimensions already agree
            if len(a) == len(b):            # the commonest: unified axis by axis
                unify = self.unify
                for x, y in zip(a, b):
                    unify(x, y, why)
            else:
                self.same(a[len(a) - len(b):], b, why)
        return a

    def classes(self) -> list[int]:
        return sorted({self.find(d) for d in range(len(self.parent))})

    # ---- constraints other than equality ----------------------------------------------
    def total(self, parts: Sequence[int], offset: int = 0,
              why: str = "the sizes of joined values must agree") -> int:
        """A new dimension whose size is the sum of the sizes of ``parts`` plus ``offset``
        (``hstack`` of vectors of sizes m and n is m + n; ``diff`` of n entries, n - 1);
        ``why`` words the failure when the sizes cannot agree."""
        d = self.new()
        if self.sums is _NONE:
            self.sums = []
        self.sums.append((d, tuple(parts), offset, why))
        return d

    def product_is(self, parts: Sequence[int], count: int, why: str) -> None:
        """Require the sizes of ``parts`` to multiply to ``count`` (a reshape's)."""
        if self.products is _NONE:
            self.products = []
        self.products.append((tuple(parts), count, why, len(self.parent)))

    def settle(self) -> None:
        """Solve the sums and products, once every equality is known.

        A sum whose result is still free defines it (a form in the free classes); one whose
        result is known or defined otherwise is an equation, solved for one free class
        after the others are set to their minimums (a choice: the numeric check then tries
        fewer sizes, never a wrong one). Products are solved alike. Raises
        :class:`ShapeMismatch` when the sizes cannot agree.
        """
        if self.forms is _NO_FORMS:
            self.forms = {}
        changed = True
        while changed:
            changed = False
            for result, parts, offset, why in self.sums:
                try:
                    changed |= self._settle_sum(result, parts, offset, why)
                except ShapeMismatch as mismatch:
                    mismatch.made = result          # the sum's own, newest dimension
                    raise
            for parts, count, why, made in self.products:
                try:
                    changed |= self._settle_product(parts, count, why)
                except ShapeMismatch as mismatch:
                    mismatch.made = made
                    raise
        self._raise_minimums()

    def size_of(self, d: int, free: Mapping[int, int]) -> int:
        """The size of ``d`` given a size for each free class (after :meth:`settle`)."""
        root = self.find(d)
        if self.size[root] is not None:
            return self.size[root]
        if root in self.forms:
            coefficients, constant = self.forms[root]
            return constant + sum(c * free[v] for v, c in coefficients.items())
        return free[root]

    def _form(self, d: int) -> Form:
        """The size of ``d`` as a form in free classes."""
        root = self.find(d)
        if self.size[root] is not None:
            return {}, self.size[root]
        if root in self.forms:
            coefficients, constant = self.forms[root]
            return self._substituted(coefficients, constant)
        return {root: 1}, 0

    def _substituted(self, coefficients: Mapping[int, int], constant: int) -> Form:
        """A form with the classes fixed or defined since it was made put in."""
        out: dict[int, int] = {}
        for v, c in coefficients.items():
            inner, value = self._form(v)        # (a free class is itself)
            constant += c * value
            for w, k in inner.items():
                out[w] = out.get(w, 0) + c * k
        return {v: c for v, c in out.items() if c}, constant

    def _settle_sum(self, result: int, parts: tuple[int, ...], offset: int, why: str) -> bool:
        coefficients: dict[int, int] = {}
        constant = offset
        for part in parts:
            inner, value = self._form(part)
            constant += value
            for v, c in inner.items():
                coefficients[v] = coefficients.get(v, 0) + c
        root = self.find(result)
        if self.size[root] is None and root not in self.forms and root not in coefficients \
                and root not in self.letters:
            if coefficients:
                self.forms[root] = (coefficients, constant)
            else:
                self._fix(root, constant, why)
            return True
        have, value = self._form(root)
        for v, c in have.items():
            coefficients[v] = coefficients.get(v, 0) - c
        return self._solve({v: c for v, c in coefficients.items() if c}, constant - value, why)

    def _solve(self, coefficients: dict[int, int], constant: int, why: str) -> bool:
        """Make ``sum(c * size(v)) + constant`` zero: every class but the last at its
        minimum, the last solved for (it must be a whole size); where that is below the
        last's minimum, the first class whose growth raises it (a coefficient of the other
        sign: a + b = c + d) is made larger by what it lacks."""
        if not coefficients:
            if constant != 0:
                raise ShapeMismatch(why)
            return False
        lettered = [self.letters[v] for v in coefficients if v in self.letters]
        if lettered:
            if self._define(coefficients, constant):
                return True
            raise _apart(why, self._equation(coefficients, constant), lettered)
        *rest, (last, c) = coefficients.items()
        sizes = {v: self.minimum[v] for v, _ in rest}
        short = self.minimum[last] * c + constant + sum(k * sizes[v] for v, k in rest)
        helper = next((v for v, k in rest if (k > 0) != (c > 0)), None)
        if helper is not None and (short > 0) == (c > 0) and short != 0:
            # c * last = -(constant + ...): growing the helper by ceil(|short| / |k|) gives
            # room for last at its minimum.
            sizes[helper] += -(-abs(short) // abs(coefficients[helper]))
        for v, k in rest:
            self._fix(v, sizes[v], why)
            constant += k * sizes[v]
        if constant % c != 0:
            raise ShapeMismatch(why)
        self._fix(last, -constant // c, why)
        return True

    def _define(self, coefficients: Mapping[int, int], constant: int) -> bool:
        """Solve ``sum(c * size(v)) + constant = 0`` for an inferred class, as a form
        that grows with the others (``x = k + 1`` for ``diff(x)`` of a declared length
        ``k``), so that every declared size keeps its freedom; False when there is none
        (``x = k - n`` would hold only for ``k > n``)."""
        for v, c in coefficients.items():
            if v in self.letters or abs(c) != 1:
                continue
            others = {w: -k * c for w, k in coefficients.items() if w != v}
            if all(k > 0 for k in others.values()):
                self.forms[v] = (others, -constant * c)
                return True
        return False

    def _settle_product(self, parts: tuple[int, ...], count: int, why: str) -> bool:
        known, unknown = 1, []
        for part in parts:
            form = self._form(part)
            if form[0]:
                unknown.append((self.find(part), form))
            else:
                known *= form[1]
        if count % known != 0:
            raise ShapeMismatch(f"{why}: {known} entries, not {count}" if not unknown
                                else f"{why}: {known} does not divide {count}")
        left = count // known
        if not unknown:
            if known != count:
                raise ShapeMismatch(f"{why}: {known} entries, not {count}")
            return False
        if len(unknown) == 1:                   # one size, maybe a sum: an equation
            coefficients, constant = unknown[0][1]
            return self._solve(dict(coefficients), constant - left, why)
        if any(form != ({root: 1}, 0) for root, form in unknown):
            raise ShapeMismatch(f"{why}: the sizes cannot be found here")
        free = [root for root, _ in unknown]
        if len(set(free)) == 1:                 # one class, several times: a root of left
            size = round(left ** (1 / len(free)))
            if size ** len(free) != left:
                raise ShapeMismatch(f"{why}: {left} is no power of {len(free)}")
            self._fix(free[0], size, why)
            return True
        lettered = [self.letters[v] for v in free if v in self.letters]
        if lettered:
            product = " * ".join(self.letters.get(v, "?") for v in free)
            raise _apart(why, f"{product} = {left}", lettered)
        # Several free classes: the first one as small as it may be, of those dividing.
        first = free[0]
        divisor = next((k for k in range(self.minimum[first], left + 1) if left % k == 0), None)
        if divisor is None:
            raise ShapeMismatch(f"{why}: no size fits")
        self._fix(first, divisor, why)
        return True

    def _fix(self, d: int, size: int, why: str) -> None:
        root = self.find(d)
        if root in self.letters:
            raise _apart(why, f"{self.letters[root]} = {size}", (self.letters[root],))
        if size < max(self.minimum[root], 1) or (self.size[root] is not None and self.size[root] != size):
            raise ShapeMismatch(f"{why}: a dimension would have size {size}")
        self.size[root] = size
        self.forms.pop(root, None)

    def _equation(self, coefficients: Mapping[int, int], constant: int) -> str:
        """``sum(c * size(v)) + constant = 0`` as text, each side's terms positive
        (``n + m = k``), a class by its letter (``?`` for an inferred size)."""
        sides: tuple[list[str], list[str]] = ([], [])
        for v, c in coefficients.items():
            name = self.letters.get(v, "?")
            sides[c < 0].append(name if abs(c) == 1 else f"{abs(c)}{name}")
        if constant:
            sides[constant < 0].append(str(abs(constant)))
        return " = ".join(" + ".join(side) or "0" for side in sides)

    def _raise_minimums(self) -> None:
        """Raise the free classes' minimums until each form is at least its class's
        minimum at them (the forms' coefficients are positive, so larger sizes keep it)."""
        for root, (coefficients, constant) in list(self.forms.items()):
            coefficients, constant = self._substituted(coefficients, constant)
            if not coefficients:                # its classes were all fixed since
                self._fix(root, constant, "the sizes of joined values must agree")
                continue
            self.forms[root] = (coefficients, constant)
            lowest = constant + sum(c * self.minimum[v] for v, c in coefficients.items())
            if lowest < self.minimum[root]:
                first, c = next(iter(coefficients.items()))
                self.minimum[first] += -(-(self.minimum[root] - lowest) // c)
