"""The proof kernel: re-checks every step of a certificate.

Small on purpose, and separate from the engine (:mod:`dcp.analysis`, :mod:`dcp.rules`)
that searches for proofs: it imports neither. For each step it checks that the premises
are the node's own subexpressions, that the claimed range encloses what the atom's
declared range gives on the premises' ranges, that every domain the ranges cannot
discharge is listed, and that the claimed curvature follows from the premises by the
named rule. The trusted base is the interval arithmetic, the atoms' declared facts
(each verified against SymPy in the tests; a user atom's proved by SymPy when it is
defined), the Arb enclosures (python-flint) that end an atom's range at a finite point
(:mod:`dcp.facts.balls`, rounded outward to floats), and the idioms' identities.

It reads the proof as it is stored: a loop over the step ids, the claims from the columns
of its :class:`~dcp.proof.Facts`, the node each step is about from the columns of its
:class:`~dcp.tape.Tape`. "The premise is the subexpression" is "the premise's id is the
argument's id" (the tape stores equal subexpressions once). A call's atom, keywords and
expansion, and an idiom's rewrite, are derived again from the tape, only finding nodes
(:meth:`~dcp.tape.Tape.reading`): checking a proof never changes it. A step's text is
printed only to word a failure.

What a rule concludes from an atom's facts and its premises' claims is remembered across
checks, keyed by everything it reads (the atom, its keywords, the premises' ranges and
curvatures): the atoms' facts never change, so a remembered answer is the one the rule
would give again. Each step's own checks (its node, premises, keywords, listed domains
and claims) are made every time.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache
from typing import Callable, Iterator, Mapping

from .atoms import Atom, lookup, operator
from .atoms.base import NO_KEYWORDS
from .atoms.calls import expand_at, resolve_at
from .atoms.structural import index_keywords
from .facts.valued import zero_entry
from .errors import DcpError, ProofCheckError
from .facts import NEG, POS, REALS, Curvature, Interval, Monotonicity, literal_range
from .facts.algebra import enclose, inner, node_ranks, opens, polynomial, substitute, same_function
from .facts.quadratic import hessian, is_factorisation, negated
from .facts.structure import STRUCTURES, Structured, exact_structure, literal_matrix, structure_of
from .facts.curvature import AFFINE, CONCAVE, CONSTANT, CONVEX, UNKNOWN
from .identities import (FIXED, QUADRATIC_FORM, RATIONAL, away_from_zero, fixed_names, fixed_value,
                         quadratic_form, rational_fault, substitution_fault)
from .identities import TABLE as IDENTITIES
from .idioms import IDIOMS
from .memo import Memo
from .facts.quasi import QUASI_UNKNOWN, QUASICONCAVE, QUASICONVEX, QUASILINEAR, Quasi
from .proof import (QUASI_LEVEL_NEEDS, Note, Proof, Step, nonconvex_domain, quasi_level_holds, square_terms,
                    squared_argument)
from .tape import Column, Tape, postorder

__all__ = ["check_proof", "check_set_proof", "stand_in_name", "is_stand_in", "substituted", "leak", "distributed", "terms_of", "over",
           "names_outside", "Stopping"]

UP, DOWN = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING

#: The operators that apply an atom by composition, with their atoms (``x ^ p`` is
#: ``power``; ``*``, ``@`` and ``/`` have rules of their own).
_OPERATOR_ATOMS = {symbol: operator(symbol) for symbol in ("+", "-", "neg", ".T", "[]", "[...]")}
#: The operators that apply a product atom.
_PRODUCT_ATOMS = {symbol: operator(symbol) for symbol in ("*", "@")}
_NOT_PREMISES = "its premises are not the subexpressions of its node"
_NO_NOTE = Note()

#: The composition rule's answers, remembered across checks: a deep or wide expression
#: asks the same few questions at every layer or term, and so do similar expressions. Each
#: is a pure function of its key (see :meth:`_Kernel._composition`).
_COMPOSED = Memo()
#: What a call that names no atom taking its arguments resolves to.
_NO_CALL = (None, (), NO_KEYWORDS)


def check_proof(proof: Proof) -> None:
    """Check every step of `proof`; raise `ProofCheckError` at the first that does
    not follow. Returns None when the proof is valid.

    >>> from dcp import certify, check_proof
    >>> check_proof(certify("relu(W @ x)", wrt="W", check=False).proof)
    """
    _Kernel(proof).check()


class _Kernel:
    """One check of one proof, its columns at hand."""

    __slots__ = ("proof", "tape", "facts", "wrt", "_outside")

    def __init__(self, proof: Proof):
        self.proof, self.tape, self.facts = proof, proof.tape, proof.facts
        self.wrt = frozenset(proof.wrt)

    def check(self) -> None:
        """Every ``+a`` step first (the others' premises are resolved through them), then
        every step the root depends on, premises before conclusions."""
        self._check_plus_steps()
        rule, checkers = self.facts.rule, _CHECKERS
        for index in self.proof.ids():
            checker = checkers.get(rule[index])
            if checker is None:
                self._fail(index, f"unknown rule {rule[index]!r}")
            checker(self, index)
        if self.facts.quasi:                        # (the commonest: no DQCP step)
            _check_quasi(self)

    # ---- what every step needs ---------------------------------------------------------
    def _fail(self, index: int, why: str) -> None:
        """Raise the failure of the step of node ``index``, named by its text."""
        proof = self.proof
        step = Step(proof, index) if self.facts.rule[index] == "same" else proof.step(index)
        raise ProofCheckError(f"proof step `{step.text}` ({step.rule}) does not check: {why}", step)

    def _require(self, index: int, best: Curvature, expected_range: Interval | None) -> None:
        """The claims of node ``index`` are no stronger than ``best`` and the range
        ``expected_range`` (None: any range). Unknown is implied by everything; else the
        claim must be implied by ``best`` in the lattice. (A range equal to the one
        expected encloses it: comparing the tuples, in C, spares the commonest case the
        interval arithmetic.)"""
        facts = self.facts
        claim = facts.curvature[index]
        if claim is not best and claim is not UNKNOWN and not best <= claim:
            self._fail(index, f"claims {claim}, the rule gives only {best}")
        if expected_range is not None:
            claimed = facts.range[index]
            if claimed != expected_range and not claimed.contains(expected_range):
                self._fail(index, f"range {claimed} does not enclose {expected_range}")

    def _check_plus_steps(self) -> None:
        """A ``"same"`` step must be a ``+a`` whose premise is ``a``, claiming no more than
        ``a`` does. Checked for every such step before any premise is resolved through it
        (so resolving always ends, at the node the tape says)."""
        facts, tape = self.facts, self.tape
        if "same" not in facts.rule:                # the commonest: no + at all
            return
        for index in [i for i, rule in enumerate(facts.rule) if rule == "same"]:
            if tape.op[index] != "pos" or facts.premises[index] != tape.args[index]:
                self._fail(index, "it is not a unary plus of its premise")
            self._same_as(index, tape.args[index][0])

    def _premises(self, index: int, expected: tuple[int, ...]) -> tuple[int, ...]:
        """The premises of node ``index`` (resolved: the step of ``+b`` is ``b``'s), after
        checking that they are the subexpressions ``expected``.

        A premise is never itself a ``+b`` step: such a step would be in the proof before
        this one, and refused there (only the root may be a ``+``, and the proof starts
        from what it stands for)."""
        premises, op, plain = self.facts.premises[index], self.tape.op, self.tape.plain
        if premises == expected:                # the very ids written: the commonest case
            return premises
        if len(premises) != len(expected):
            self._fail(index, _NOT_PREMISES)
        for premise, node in zip(premises, expected):
            if premise != (plain(node) if op[node] == "pos" else node):
                self._fail(index, _NOT_PREMISES)
        return premises

    def _listed(self, index: int, domain: Interval, premise: int) -> bool:
        """Whether node ``index`` lists the condition that ``premise`` lies in ``domain``."""
        strip, requires = self.tape.plain, self.facts.notes.get(index, _NO_NOTE).requires
        return any(d == domain and strip(p) == premise for p, d in requires)

    def _call(self, index: int) -> tuple[Atom, tuple[int, ...], dict] | None:
        """The atom a call names, its argument ids and its keyword constants, as the call
        is resolved for the analysis (None when it names no atom that takes them)."""
        try:
            return resolve_at(self.tape, index, self.proof.atoms)
        except DcpError:
            return None

    def _keywords_are(self, index: int, kw: dict, why: str = "the keywords do not match the node"
                      ) -> None:
        """The keyword constants node ``index`` claims are ``kw``, those written."""
        claimed = self.facts.kwargs[index]
        if (claimed or kw) and dict(claimed) != kw:
            self._fail(index, why)

    # ---- leaves ------------------------------------------------------------------------
    def _number(self, index: int) -> None:
        """A literal is constant, and its range holds the decimal written."""
        if self.tape.op[index] != "number" or self.facts.premises[index]:
            self._fail(index, "not a number")
        self._require(index, CONSTANT, literal_range(self.tape.data[index]))

    def _name(self, index: int) -> None:
        """A name in wrt is a variable, affine; any other a parameter, constant; its range
        is what was assumed."""
        tape, facts = self.tape, self.facts
        if tape.op[index] != "name" or facts.premises[index]:
            self._fail(index, "wrong kind of name")
        name = tape.data[index]
        variable = name in self.wrt
        if variable != (facts.rule[index] == "variable"):
            self._fail(index, "wrong kind of name")
        assumed = self.proof.bounds.get(name, REALS)
        if variable and assumed.__class__ is not Interval and {"psd", "nsd"} & structure_of(assumed):
            self._fail(index, "a variable cannot be assumed psd or nsd")
        self._require(index, AFFINE if variable else CONSTANT, assumed)

    def _binding(self, index: int) -> None:
        """A bound name is the expression bound to it."""
        if self.tape.op[index] != "ref":
            self._fail(index, "not a bound name")
        self._same_as(index, self._premises(index, self.tape.args[index])[0])

    def _same_as(self, index: int, premise: int) -> None:
        """Node ``index`` claims no more than ``premise`` does (it is that premise)."""
        self._require(index, self.facts.curvature[premise], self.facts.range[premise])

    # ---- composition -------------------------------------------------------------------
    def _power(self, index: int) -> tuple[Atom, tuple[int, ...], dict]:
        """The atom, argument ids and keywords of the power ``x ^ p`` at node ``index``."""
        tape = self.tape
        if tape.op[index] != "^":
            self._fail(index, "not an atom application")
        base, exponent = tape.args[index]
        return lookup("power", 1), (base,), {"p": tape.constant(exponent)}

    def _composition(self, index: int) -> None:
        """``f(g1, ..., gk)`` is convex when f is convex on the arguments' ranges and each
        gi is affine, or convex where f is nondecreasing in it, or concave where f is
        nonincreasing (concave alike); its range is f's on the arguments' ranges, each
        narrowed to f's domain only where the step lists that condition.

        What the rule gives is remembered (:data:`_COMPOSED`), keyed by the atom, its
        keywords and the premises' ranges and curvatures: the conditions to list, the
        narrowed ranges, the atom's facts on them and the rule's conclusion are functions
        of exactly these. A remembered answer spares no check of the step itself: its
        atom, keywords, premises and listed conditions are checked at every step."""
        facts, tape = self.facts, self.tape
        op = tape.op[index]
        atom = _OPERATOR_ATOMS.get(op)
        if atom is not None:                # + - neg .T [] [...]: the commonest
            args, kw = tape.args[index], (index_keywords(tape, index) if op == "[]" else NO_KEYWORDS)
        elif op == "call":
            atom, args, kw = self._call(index) or _NO_CALL
        else:
            atom, args, kw = self._power(index)
        if atom is None or atom is not facts.atom[index]:
            self._fail(index, "the atom does not match the node")
        if kw or facts.kwargs[index]:       # (the commonest: no keywords at all)
            self._keywords_are(index, kw, "the exponent does not match the node" if op == "^"
                               else "the keywords do not match the node")
        premises = facts.premises[index]
        if premises != args:                # (else the very ids written: see _premises)
            premises = self._premises(index, args)
        ranges, curvatures = _facts_of(premises, facts.range, facts.curvature)
        key = (atom, tuple(kw.items()) if kw else (), ranges, curvatures)
        known = _COMPOSED.get(key)
        if known is None:
            conditions, regions = _narrowed(atom.domains(len(ranges), kw), ranges)
        else:
            conditions = known[0]
        for position, domain in conditions:     # (the commonest: none)
            if not self._listed(index, domain, facts.resolve(premises[position])):
                self._fail(index, f"domain {domain} of argument {position + 1} is not listed")
        if known is None:
            if regions is None:             # an argument lies wholly outside f's domain
                known = (conditions, UNKNOWN, None)
            else:
                found = atom.facts_on(regions, kw)
                known = (conditions, _dcp_best(found.curvature, found.monotonicity, curvatures,
                                                     atom.fixed_arguments), found.range)
            _COMPOSED.put(key, known)
        self._require(index, known[1], known[2])

    # ---- products and division ---------------------------------------------------------
    def _product(self, index: int) -> None:
        """``c * g`` (``@``, ``dot``) with c constant is g scaled: its curvature kept where
        c >= 0, negated where c <= 0; two non-constant sides give unknown."""
        tape, facts = self.tape, self.facts
        claimed, op = facts.atom[index], tape.op[index]
        atom = _PRODUCT_ATOMS.get(op)
        if atom is not None:                # * and @: the commonest
            args = tape.args[index]
        else:
            call = self._call(index) if op == "call" else None
            if call is None or call[0] is not claimed or claimed.kind != "product":
                self._fail(index, "not a product")
            atom, args = claimed, call[1]
        if atom is not claimed:
            self._fail(index, "the product atom does not match the node")
        left, right = self._premises(index, args)
        ranges, curvatures = facts.range, facts.curvature
        if curvatures[left] is CONSTANT:
            best = _scaled(curvatures[right], ranges[left])
        elif curvatures[right] is CONSTANT:
            best = _scaled(curvatures[left], ranges[right])
        else:
            best = UNKNOWN
        self._require(index, best, atom.facts_on((ranges[left], ranges[right]), NO_KEYWORDS).range)

    def _quotient(self, index: int) -> None:
        """``g / c``: see :meth:`_division`."""
        self._division(index, reciprocal=False)

    def _reciprocal(self, index: int) -> None:
        """``c / g``: see :meth:`_division`."""
        self._division(index, reciprocal=True)

    def _division(self, index: int, reciprocal: bool) -> None:
        """``g / c`` is g scaled by 1/c; ``c / g`` is ``c * inv_pos(g)`` where g > 0 (inv_pos
        is convex and nonincreasing) and c times ``1/g`` where g < 0 (concave and
        nonincreasing there), so it needs a constant c and a g of one sign."""
        tape = self.tape
        if tape.op[index] != "/":
            self._fail(index, "not a quotient")
        top, bottom = self._premises(index, tape.args[index])
        ranges, curvatures = self.facts.range, self.facts.curvature
        region = ranges[bottom]
        if region.is_zero or zero_entry(region) is not None:
            self._fail(index, "it divides by zero")
        if reciprocal and not (region.is_positive or region.is_negative):
            for strict in (POS, NEG):       # g > 0 (or g < 0) where the step lists it
                if self._listed(index, strict, bottom):
                    region = region.intersect(strict) or region
                    break
        factor = region.reciprocal()
        if not reciprocal:
            best = _scaled(curvatures[top], factor) if curvatures[bottom] is CONSTANT else UNKNOWN
        elif curvatures[top] is not CONSTANT or not (region.is_positive or region.is_negative):
            best = UNKNOWN
        else:                               # 1/g: convex for g > 0, concave for g < 0
            inverse = _dcp_best(CONVEX if region.is_positive else CONCAVE, (DOWN,), (curvatures[bottom],))
            best = _scaled(inverse, ranges[top]) if inverse is not UNKNOWN else UNKNOWN
        self._require(index, best, ranges[top] * factor)

    # ---- definitions -------------------------------------------------------------------
    def _expansion(self, index: int) -> None:
        """A loss or a user atom is its definition: the premise must be its body with the
        call's arguments put in."""
        tape, atom = self.tape, self.facts.atom[index]
        call = self._call(index) if tape.op[index] == "call" else None
        if atom is None or atom.kind not in ("expansion", "user") or call is None or call[0] is not atom:
            self._fail(index, "not an expansion of its node")
        _, args, kw = call
        self._keywords_are(index, kw)
        args = tuple([tape.plain(a) for a in args])     # a +a put in is a (as analysed)
        with tape.reading():
            body = expand_at(tape, index, atom, args, kw)
        if body is None:                      # not on the tape: no step can be about it
            self._fail(index, _NOT_PREMISES)
        self._same_as(index, self._premises(index, (body,))[0])

    def _rewrite(self, index: int) -> None:
        """An idiom's identity: the premise is the node the named idiom rewrites it to."""
        tape = self.tape
        idiom = self.facts.notes.get(index, _NO_NOTE).idiom
        found = IDIOMS.get(idiom) if isinstance(idiom, str) else None
        with tape.reading():
            rewritten = found.apply(tape, index) if found else None
        if rewritten is None:
            self._fail(index, f"idiom {idiom!r} does not apply")
        self._same_as(index, self._premises(index, (rewritten,))[0])

    # ---- methods beyond the composition rule (SPEC section 9) --------------------------
    def _quadratic(self, index: int) -> None:
        """A polynomial of degree two in its premises (names, and constant subexpressions
        the algebra does not open), read again from the tape exactly: convex when its
        Hessian in the varying premises is ``L D Lᵀ`` with ``D >= 0`` (the certificate the
        step records), concave when its negation is, affine with no term of degree two;
        its range encloses the polynomial's on the premises' ranges."""
        tape, facts = self.tape, self.facts
        premises = facts.premises[index]
        symbols = frozenset(premises)
        ranks = node_ranks(tape, index, self.proof.ranks) if self.proof.ranks else None
        for premise in premises:
            if tape.op[premise] != "name" and (opens(tape, premise, ranks) or facts.curvature[premise] is not CONSTANT):
                self._fail(index, f"premise `{tape.text(premise)}` is not a symbol of a polynomial")
        reached: set[int] = set()

        def symbol(node: int) -> int | None:
            if node in symbols:
                reached.add(node)
                return node
            return None
        poly = polynomial(tape, index, symbol, ranks)
        if poly is None or reached != symbols:
            self._fail(index, "it is not a polynomial of its premises")
        # A variable its bounds fix is that number (its range, checked at its own step).
        poly = substitute(poly, {p: value for p in premises if facts.rule[p] == "variable"
                                 and (value := fixed_value(facts.range[p])) is not None})
        varying = {p for p in premises if facts.rule[p] in ("variable", "stand-in")
                   and not facts.range[p].is_point}
        varying |= {inner(p) for p in varying}      # a vector inside an inner product
        try:
            order, sign, certificate = facts.notes[index].detail
            order = tuple(order)
        except (KeyError, TypeError, ValueError):
            self._fail(index, "it records no factorisation")
        found = hessian(poly, varying, order) if all(type(v) is int for v in order) else None
        if found is None:
            self._fail(index, "its degree or variables do not match the node")
        if certificate is None:
            if found.variables:
                self._fail(index, "a term of degree two has no factorisation")
            best = AFFINE if any(s in varying for m in poly for s in m) else CONSTANT
        else:
            matrix = found.matrix if sign == 1 else negated(found.matrix)
            if sign not in (1, -1) or not is_factorisation(matrix, certificate):
                self._fail(index, "the factorisation does not show the Hessian semidefinite")
            best = CONVEX if sign == 1 else CONCAVE
        self._require(index, best, enclose(poly, {p: facts.range[p] for p in premises}))

    # ---- monomials -------------------------------------------------------------------
    def _monomial(self, index: int) -> None:
        """``c * x1^a1 * ... * xk^ak`` with every ``xi >= 0`` (``> 0`` where reached under a
        negative exponent): convex when every ``ai <= 0``, concave when every ``ai >= 0``
        and their sum is at most 1 (a weighted geometric mean), mirrored when ``c <= 0``;
        one variable has the power atom's facts on its range.

        Read again from the tape, apart from the engine's reading: the node is opened
        through ``*``, ``/``, unary signs, bound names, numeric powers, ``power``,
        ``sqrt``, ``inv_pos`` and ``square`` down to the step's premises, which must be
        exactly the factors reached, each a variable or a constant step (each checked on
        its own). A factor's sign is its range's (a variable's range must be >= 0); a
        negative sign goes through a power only for a nonnegative integer exponent. Each
        factor's exponent is summed over the ways it is reached; the detail must list
        the constant factors and each variable's exponent exactly so. The range must
        enclose the constant part's (its sign, then each constant factor's power) times
        each variable's power, as the power atom gives them."""
        facts, tape = self.facts, self.tape
        premises = facts.premises[index]
        stops = frozenset(premises)
        if index in stops or len(stops) != len(premises):
            self._fail(index, _NOT_PREMISES)
        openings: dict[int, tuple[tuple[tuple[int, Fraction], ...], bool]] = {}
        order = postorder(index, _Opened(self, index, stops, openings))
        if tuple([n for n in order if n in stops]) != premises:
            self._fail(index, _NOT_PREMISES)
        variables = {p for p in premises if facts.rule[p] == "variable"}
        if any(p not in variables and facts.curvature[p] is not CONSTANT for p in premises):
            self._fail(index, "a factor is neither a variable nor a constant")
        signs = _monomial_signs(order, openings, variables, facts.range)
        if signs is None:
            self._fail(index, "a factor's sign is not known, or not defined through a power")
        exponents, inverted = _monomial_exponents(order, openings)
        detail = (tuple([p for p in premises if p not in variables]),
                  tuple([(p, exponents[p]) for p in premises if p in variables]))
        if facts.notes.get(index, _NO_NOTE).detail != detail:
            self._fail(index, "its detail (the constant factors and the exponents) does not "
                              "match the node")
        power = lookup("power", 1)
        constant, moving = Interval(signs[index], signs[index]), []
        for p in premises:
            magnitude = facts.range[p] if signs[p] > 0 else -facts.range[p]
            kw = {"p": exponents[p]}
            domain = power.domains(1, kw)
            if not magnitude.is_nonneg or (p in inverted and not magnitude.is_positive) or \
                    (domain is not None and not domain[0].contains(magnitude)):
                self._fail(index, f"the factor `{tape.text(p)}` may be 0 or negative")
            if p not in variables:
                constant = constant * power.facts_on((magnitude,), kw).range
            elif exponents[p]:
                moving.append((magnitude, kw))
        value_range = constant
        for magnitude, kw in moving:
            value_range = value_range * power.facts_on((magnitude,), kw).range
        self._require(index, _scaled(_monomial_curvature(power, moving), constant), value_range)

    # ---- rewrites to a canonical form (the identity rule, dcp.methods.rewrites) --------
    def _identity(self, index: int) -> None:
        """Node N is its one premise N' by the identity ``Note.detail`` names: a rational
        identity checked exactly (same rational function, same subexpressions, no
        denominator dropped that the ranges do not keep from 0), N with the names the
        proof's bounds fix written as their values, or a transcendental identity found
        again on the tape from its table. N claims no more than N' does, and N' may
        not rest on N (a circle of rewrites would prove anything)."""
        tape, facts = self.tape, self.facts
        kind = facts.notes.get(index, _NO_NOTE).detail
        premises = facts.premises[index]
        if len(premises) != 1:
            self._fail(index, "a rewrite has one premise, its other side")
        right = premises[0]
        if kind == RATIONAL:
            # (Only a checked step's range is evidence; asked only of a denominator one
            # side drops, which the method never does.)
            fault = rational_fault(tape, index, right, lambda node: (
                self._checked_range(node) is not None and away_from_zero(self._checked_range(node))))
            if fault is not None:
                self._fail(index, fault)
        elif kind == FIXED:
            fault = substitution_fault(tape, index, right, fixed_names(self.proof.bounds))
            if fault is not None:
                self._fail(index, fault)
        elif kind == QUADRATIC_FORM:
            vectors = frozenset(name for name, rank in self.proof.ranks.items() if rank == 1)
            with tape.reading():
                found = quadratic_form(tape, index, vectors)
            if found is None or found != right:
                self._fail(index, "it is not x.T @ P @ x of a vector x declared so, as quad_form(x, P)")
        elif isinstance(kind, str) and kind in IDENTITIES:
            with tape.reading():
                found = IDENTITIES[kind].apply(tape, index)
            if found is None or found != right:
                self._fail(index, f"the identity {kind!r} does not give its premise")
            same_domain = IDENTITIES[kind].same_domain
            if same_domain is not None and not same_domain(tape, right, self._checked_range):
                self._fail(index, "its other side is defined on less than it, and the ranges "
                                  "do not show the two the same")
        else:
            self._fail(index, f"unknown kind of rewrite {kind!r}")
        if index in postorder(right, facts.premises):
            self._fail(index, "its premise rests on it (a circle)")
        self._same_as(index, right)

    def _checked_range(self, node: int) -> Interval | None:
        """The range of node ``node`` when a step of the proof claims it (so it is checked),
        else None."""
        node = self.facts.resolve(node)
        return self.facts.range[node] if node in self.proof.ids() else None


class _Opened:
    """The children column of a monomial's reading (:meth:`_Kernel._monomial`): a premise
    has none; any other node is opened, its ``(child, exponent)`` pairs and whether it
    negates kept in ``openings``, or the step fails."""

    __slots__ = ("kernel", "index", "stops", "openings")

    def __init__(self, kernel: _Kernel, index: int, stops: frozenset, openings: dict):
        self.kernel, self.index, self.stops, self.openings = kernel, index, stops, openings

    def __getitem__(self, node: int) -> tuple[int, ...]:
        if node in self.stops:
            return ()
        found = self.openings.get(node)
        if found is None:
            found = self.openings[node] = self._open(node)
        return tuple([child for child, _ in found[0]])

    def _open(self, node: int) -> tuple[tuple[tuple[int, Fraction], ...], bool]:
        tape, one = self.kernel.tape, Fraction(1)
        op, args = tape.op[node], tape.args[node]
        if op in ("*", "/"):
            return ((args[0], one), (args[1], one if op == "*" else -one)), False
        if op in ("neg", "pos", "ref"):
            return ((args[0], one),), op == "neg"
        exponent, argument = None, None
        if op == "^":
            try:
                exponent, argument = tape.constant(args[1]), args[0]
            except DcpError:
                pass
        elif op == "call":
            atom, given, kw = self.kernel._call(node) or _NO_CALL
            if atom is not None and len(given) == 1:
                if atom is lookup("power", 1):
                    exponent, argument = kw["p"], given[0]
                elif atom.name in _MONOMIAL_POWERS and atom is lookup(atom.name, 1):
                    exponent, argument = _MONOMIAL_POWERS[atom.name], given[0]
        if exponent is None:
            self.kernel._fail(self.index, f"`{tape.text(node)}` is neither a factor nor a node a "
                                          "monomial is read through")
        return ((argument, Fraction(exponent)),), False


#: The calls a monomial is read through as a power of their argument (``power`` gives its).
_MONOMIAL_POWERS = {"sqrt": Fraction(1, 2), "inv_pos": Fraction(-1), "square": Fraction(2)}


def _monomial_signs(order: list[int], openings: dict, variables: set, ranges: list
                    ) -> dict[int, int] | None:
    """The sign of each node of a monomial, factors first: +1 for a variable, a constant's
    range's; through a unary minus flipped, through a product or quotient multiplied,
    through a power with a nonnegative integer exponent raised to it; None for a constant
    of unknown sign or a negative sign under any other power."""
    signs: dict[int, int] = {}
    for node in order:
        if node not in openings:            # a factor
            region = ranges[node]
            if node in variables or region.is_nonneg:
                signs[node] = 1
            elif region.is_nonpos:
                signs[node] = -1
            else:
                return None
            continue
        children, negates = openings[node]
        sign = -1 if negates else 1
        if len(children) == 1:                  # a unary sign, a bound name or a power
            child, exponent = children[0]
            if signs[child] < 0 and exponent != 1:
                if exponent < 0 or exponent.denominator != 1:
                    return None
                sign *= 1 if exponent.numerator % 2 == 0 else -1
            else:
                sign *= signs[child]
        else:                                   # x * y, x / y
            sign = signs[children[0][0]] * signs[children[1][0]]
        signs[node] = sign
    return signs


def _monomial_exponents(order: list[int], openings: dict) -> tuple[dict[int, Fraction], set[int]]:
    """Each node's exponent in the monomial, summed over the ways it is reached, and the
    nodes reached under a negative exponent anywhere above them."""
    exponents: dict[int, Fraction] = {order[-1]: Fraction(1)}
    inverted: set[int] = set()
    for node in reversed(order):            # parents before children
        if node in openings:
            for child, exponent in openings[node][0]:
                exponents[child] = exponents.get(child, 0) + exponents[node] * exponent
                if exponent < 0 or node in inverted:
                    inverted.add(child)
    return exponents, inverted


def _monomial_curvature(power: Atom, moving: list[tuple[Interval, dict]]) -> Curvature:
    """The curvature of ``prod xi^ai`` over the variables of nonzero exponent (each its
    magnitude range and ``{"p": ai}``)."""
    if len(moving) == 1:
        return power.facts_on((moving[0][0],), moving[0][1]).curvature
    exponents = [kw["p"] for _, kw in moving]
    if exponents and all(e < 0 for e in exponents):
        return CONVEX
    if exponents and all(e > 0 for e in exponents) and sum(exponents) <= 1:
        return CONCAVE
    return UNKNOWN

def _facts_of(premises, ranges: list, curvatures: list) -> tuple[tuple, tuple]:
    """The premises' ranges and curvatures, read off those columns (one and two premises,
    the commonest, without a comprehension: each costs a frame)."""
    if len(premises) == 1:
        (only,) = premises
        return (ranges[only],), (curvatures[only],)
    if len(premises) == 2:
        left, right = premises
        return (ranges[left], ranges[right]), (curvatures[left], curvatures[right])
    return tuple([ranges[p] for p in premises]), tuple([curvatures[p] for p in premises])


def _narrowed(domains: tuple[Interval, ...] | None, ranges: tuple[Interval, ...]
              ) -> tuple[tuple[tuple[int, Interval], ...], tuple[Interval, ...] | None]:
    """The conditions a step must list, as (argument position, domain), for each argument
    whose range is not inside its domain (up to the first that lies wholly outside it), and
    the ``ranges`` narrowed to the domains (None when one lies wholly outside: the step then
    claims nothing). ``domains`` None: defined everywhere."""
    if domains is None:
        return (), ranges
    conditions, regions = [], []
    for position, (region, domain) in enumerate(zip(ranges, domains)):
        if domain is not REALS and not domain.contains(region):
            conditions.append((position, domain))
            region = region.intersect(domain)
            if region is None:
                return tuple(conditions), None
        regions.append(region)
    return tuple(conditions), tuple(regions)


def _keeps(direction: Curvature, mono: Monotonicity, arg: Curvature) -> bool:
    """Whether an argument of curvature ``arg`` keeps ``direction`` through an atom
    with monotonicity ``mono`` in it."""
    if arg.is_affine:
        return True
    return (arg is direction and mono is UP) or (arg is direction.negate() and mono is DOWN)


@lru_cache(maxsize=4096)
def _dcp_best(f: Curvature, monos: tuple, args: tuple[Curvature, ...],
              fixed: tuple[int, ...] = ()) -> Curvature:
    """The strongest curvature the composition rule allows (memoised: a pure function
    of a few enums, asked at every step). The arguments at ``fixed`` (an atom's
    ``fixed_arguments``) must be constant: the atom is convex in the others only for
    each fixed value there."""
    if all(a is CONSTANT for a in args):
        return CONSTANT
    if any(args[i] is not CONSTANT for i in fixed):
        return UNKNOWN
    if f.is_affine and all(a.is_affine for a in args):
        return AFFINE
    if f.is_convex and all(_keeps(CONVEX, m, a) for m, a in zip(monos, args)):
        return CONVEX
    if f.is_concave and all(_keeps(CONCAVE, m, a) for m, a in zip(monos, args)):
        return CONCAVE
    return UNKNOWN


def _scaled(curvature: Curvature, factor: Interval) -> Curvature:
    """The curvature of ``c * g`` for ``g`` of ``curvature`` and ``c`` in ``factor``."""
    if curvature is CONSTANT or factor.is_zero:
        return CONSTANT
    if curvature.is_affine:
        return AFFINE
    if factor.lo >= 0:
        return curvature
    if factor.hi <= 0:
        return curvature.negate()
    return UNKNOWN


_CHECKERS: Mapping[str, Callable[[_Kernel, int], None]] = {
    "number": _Kernel._number,
    "parameter": _Kernel._name,
    "variable": _Kernel._name,
    "binding": _Kernel._binding,
    "composition": _Kernel._composition,
    "product": _Kernel._product,
    "quotient": _Kernel._quotient,
    "reciprocal": _Kernel._reciprocal,
    "expansion": _Kernel._expansion,
    "rewrite": _Kernel._rewrite,
    "quadratic": _Kernel._quadratic,
    "monomial": _Kernel._monomial,
    "identity": _Kernel._identity,
}


# ---- the perspective (SPEC section 9) ------------------------------------------------------
# ``t * f(v1/t, ..., vk/t)``, t affine and positive, each vi affine, is convex (concave)
# jointly where f is: g(t, v) = t f(v/t) is convex on {t > 0, v/t in a box where f is
# convex}, and (t, v) is an affine image of the variables. f is the *function* of the
# step: the node's other factor with each quotient vi/t replaced by a *stand-in*, a name
# the grammar cannot read (``⟨x/t⟩``), analysed as a variable ranging over the quotient's
# range. The step's premises are (t, v1, ..., vk, f): the numerators before the function,
# so that the numeric check values each stand-in as vi/t before it evaluates f.
#
# Why a stand-in cannot lend its range to anything but its perspective's function: the
# rules' premises are their nodes' arguments (or what a rewrite or a definition makes of
# them), so a stand-in reaches the proof only through a perspective's function or through
# the expression itself, where only a tree built by hand could have put it. The stand-in
# checker refuses every stand-in the proof reaches other than through a function, and a
# perspective's checker every step of its function that depends on a variable, or on a
# stand-in not its own (a nested perspective's function answers for its own).


def stand_in_name(tape: Tape, quotient: int) -> str:
    """The name of the stand-in for node ``quotient``: its text in angle brackets."""
    return f"⟨{tape.text(quotient, None)}⟩"


def is_stand_in(name: object) -> bool:
    """Whether ``name`` is spelled as a stand-in (no name the grammar reads is)."""
    return isinstance(name, str) and name.startswith("⟨") and name.endswith("⟩")


def substituted(tape: Tape, root: int, replace: Mapping[int, int]) -> int | None:
    """Node ``root`` with each node in ``replace`` replaced by its value there: the nodes
    above them made again where they were written, a bound name whose value changes being
    that value. While reading (:meth:`Tape.reading`), None when a node is not stored."""
    made: dict[int, int | None] = {}
    for index in postorder(root, Stopping(tape.args, replace)):
        if index in replace:
            made[index] = replace[index]
            continue
        args = tape.args[index]
        kids = tuple([made[a] for a in args])
        if kids == args:
            made[index] = index
        elif None in kids:
            made[index] = None
        elif tape.op[index] == "ref":
            made[index] = kids[0]
        else:
            made[index] = tape.add_like(index, tape.op[index], tape.data[index], kids)
    return made[root]


class Stopping:
    """A children column (for :func:`~dcp.tape.postorder`) that stops at the nodes of
    ``stops`` (any container of ids)."""

    __slots__ = ("children", "stops")

    def __init__(self, children, stops):
        self.children, self.stops = children, stops

    def __getitem__(self, index: int) -> tuple[int, ...]:
        return () if index in self.stops else self.children[index]


def _without_functions(facts) -> Column:
    """The premises column of a proof, without each perspective's function (its last
    premise): what a walk that must not enter a function follows."""
    def premises(index: int) -> tuple[int, ...]:
        found = facts.premises[index]
        return found[:-1] if facts.rule[index] == "perspective" else found
    return Column(premises)


def _perspective(kernel: _Kernel, index: int) -> None:
    """``t * A``: t's step claims affine and positive, each listed quotient of A is a
    ``vi / t`` with vi affine, its stand-in's range encloses vi's range over t's, the
    function is A with the stand-ins put in, and the function's proof depends on nothing
    but its own stand-ins and parameters, with no domain condition (its convexity is then
    on the whole box of the stand-ins). The claim is no stronger than the function's and
    its range encloses t's times the function's."""
    tape, facts, fail = kernel.tape, kernel.facts, kernel._fail
    detail = facts.notes.get(index, _NO_NOTE).detail
    premises = facts.premises[index]
    if tape.op[index] != "*" or not isinstance(detail, tuple) or not detail \
            or len(premises) != len(detail) + 2:
        fail(index, "it is not a perspective of its node")
    t, numerators, function = premises[0], premises[1:-1], premises[-1]
    left, right = (tape.plain(a) for a in tape.args[index])
    if t not in (left, right):
        fail(index, "its t is not a factor of its node")
    ranges, curvatures = facts.range, facts.curvature
    if not curvatures[t].is_affine or not ranges[t].is_positive:
        fail(index, f"its t must be affine and positive, it is {curvatures[t]} in {ranges[t]}")
    stand_ins: dict[int, int] = {}
    for pair, numerator in zip(detail, numerators):
        quotient, stand_in = pair if isinstance(pair, tuple) and len(pair) == 2 else (None, None)
        if not isinstance(quotient, int) or not 0 <= quotient < len(tape) or not over(tape, quotient, t) \
                or tape.plain(tape.args[quotient][0]) != numerator:
            fail(index, "a quotient it lists is not a premise over its t")
        if not curvatures[numerator].is_affine:
            fail(index, f"the numerator `{tape.text(numerator)}` is not affine")
        if not isinstance(stand_in, int) or not 0 <= stand_in < len(tape) or tape.op[stand_in] != "name" \
                or tape.data[stand_in] != stand_in_name(tape, quotient) or facts.rule[stand_in] != "stand-in":
            fail(index, f"`{tape.text(quotient)}` has no stand-in")
        if not ranges[stand_in].contains(ranges[numerator] * ranges[t].reciprocal()):
            fail(index, f"the stand-in for `{tape.text(quotient)}` does not range over the quotient's range")
        stand_ins[quotient] = stand_in
    own = set(stand_ins.values())
    if len(own) != len(detail):
        fail(index, "two quotients share a stand-in")
    with tape.reading():
        made = substituted(tape, right if t == left else left, stand_ins)
    if made != function:
        fail(index, "its function is not its node's with the stand-ins put in")
    why = leak(tape, facts, function, own)
    if why is not None:
        fail(index, why)
    best = AFFINE if curvatures[function].is_affine else curvatures[function]
    kernel._require(index, best, ranges[t] * ranges[function])


def leak(tape: Tape, facts, function: int, own: set[int]) -> str | None:
    """Why the proof of a perspective's ``function`` is not one of a function of its own
    stand-ins ``own`` on their whole box (None when it is): a step of it (a nested
    perspective's function aside, which answers for itself) is a variable, or a stand-in
    not its own, or holds under a domain condition."""
    notes, rules = facts.notes, facts.rule
    for step in postorder(function, _without_functions(facts)):
        if rules[step] == "variable" or (rules[step] == "stand-in" and step not in own):
            return f"its function depends on `{tape.text(step)}`, not a quotient of its own"
        if step in notes and notes[step].requires:
            return "its function holds only under a domain condition"
    return None


def _stand_in(kernel: _Kernel, index: int) -> None:
    """A stand-in is a variable (affine) spelled as one; its range is checked by the
    perspective whose function it is in, and the proof may reach it through such a
    function only."""
    tape, facts = kernel.tape, kernel.facts
    if tape.op[index] != "name" or facts.premises[index] or not is_stand_in(tape.data[index]):
        kernel._fail(index, "it is not a stand-in")
    kernel._require(index, AFFINE, None)
    outside = getattr(kernel, "_outside", None)
    if outside is None:                     # (once per check: a walk of the whole proof)
        outside = kernel._outside = frozenset(postorder(facts.resolve(kernel.proof.root_id),
                                                        _without_functions(facts)))
    if index in outside:
        kernel._fail(index, "a stand-in is used outside a perspective's function")


#: The operators a sum's terms are read through, with the sign each gives its operands.
_SIGNS = {"+": (1, 1), "-": (1, -1), "neg": (-1,), "pos": (1,)}
#: The operators :func:`_distribution` opens to compare both sides; any other node is a
#: symbol.
_OPENED = frozenset(("+", "-", "*", "neg", "pos", "ref"))


def distributed(tape: Tape, index: int, t: int, wrt) -> int | None:
    """Node ``index``, ``A * t`` (or ``t * A``), as ``P * t + R * t`` in the order written:
    P the terms of the sum A (through ``+ - neg pos`` and bound names) that name no
    variable of ``wrt`` but inside a quotient over t, R the others; None when either is
    empty (or, while reading, not stored). A function of the node alone, so the step
    can be re-derived, and its premise is never a node the step could be cited by."""
    left, right = (tape.plain(a) for a in tape.args[index])
    outer = left if right == t else right
    terms = terms_of(tape, outer)
    pure = [_pure(tape, term, t, wrt) for _, term in terms]
    if all(pure) or not any(pure):
        return None
    parts = [_signed_sum(tape, index, [term for term, p in zip(terms, pure) if p is keep])
             for keep in (True, False)]
    if None in parts:
        return None
    products = [tape.add_like(index, "*", None, (part, t) if right == t else (t, part)) for part in parts]
    return None if None in products else tape.add_like(index, "+", None, tuple(products))


def terms_of(tape: Tape, root: int) -> list[tuple[int, int]]:
    """The signed terms of the sum ``root``: ``(sign, node)`` in the order written."""
    found, pending = [], [(1, root)]
    while pending:
        sign, node = pending.pop()
        op = tape.op[node]
        if op == "ref":
            pending.append((sign, tape.args[node][0]))
        elif op in _SIGNS:
            pending.extend(reversed([(sign * s, a) for s, a in zip(_SIGNS[op], tape.args[node])]))
        else:
            found.append((sign, node))
    return found


def _pure(tape: Tape, term: int, t: int, wrt) -> bool:
    """Whether ``term`` names no variable (nor any stand-in) but inside a quotient over t."""
    return not any(tape.data[i] in wrt or is_stand_in(tape.data[i])
                   for i in names_outside(tape, term, _OverT(tape, t)))


def names_outside(tape: Tape, root: int, stops) -> Iterator[int]:
    """The names under ``root`` but inside none of the nodes of ``stops``, lazily (a
    question about the first one found asks no walk of the rest)."""
    stack, seen = [root], set()
    while stack:
        index = stack.pop()
        if index in seen or index in stops:
            continue
        seen.add(index)
        if tape.op[index] == "name":
            yield index
        else:
            stack.extend(reversed(tape.args[index]))


class _OverT:
    """The quotients over ``t`` (:func:`over`), as a container of ids."""

    __slots__ = ("tape", "t")

    def __init__(self, tape: Tape, t: int):
        self.tape, self.t = tape, t

    def __contains__(self, index: int) -> bool:
        return over(self.tape, index, self.t)


def over(tape: Tape, quotient: int, t: int) -> bool:
    """Whether node ``quotient`` is a ``v / d`` with d the node t, or the same polynomial
    in the same names, exactly (``x/(b + 1e-06)`` is over ``1e-06 + b``: equal everywhere,
    so the same function of the variables)."""
    if tape.op[quotient] != "/":
        return False
    d = tape.plain(tape.args[quotient][1])
    if d == t:
        return True
    names = _Names(tape)
    found = polynomial(tape, d, names)
    return found is not None and found == polynomial(tape, t, names)


class _Names:
    """The symbol chooser of :func:`over`: names only (a call is no polynomial)."""

    __slots__ = ("op",)

    def __init__(self, tape: Tape):
        self.op = tape.op

    def __call__(self, index: int) -> int | None:
        return index if self.op[index] == "name" else None


def _signed_sum(tape: Tape, at: int, terms: list[tuple[int, int]]) -> int | None:
    """The sum of the signed ``terms``, located where node ``at`` was written."""
    sign, total = terms[0]
    if sign < 0:
        total = tape.add_like(at, "neg", None, (total,))
    for sign, term in terms[1:]:
        if total is None:
            return None
        total = tape.add_like(at, "+" if sign > 0 else "-", None, (total, term))
    return total


def _distribution(kernel: _Kernel, index: int) -> None:
    """``A * t`` is ``P * t + R * t`` (:func:`distributed`, re-derived here), and the two
    are the same polynomial in their symbols (a check of that construction)."""
    tape, facts = kernel.tape, kernel.facts
    premises = facts.premises[index]
    if tape.op[index] != "*" or len(premises) != 1:
        kernel._fail(index, "it is not a distribution of its node")
    with tape.reading():
        forms = {distributed(tape, index, tape.plain(a), kernel.wrt) for a in tape.args[index]}
    if premises[0] not in forms or not same_function(
            tape, index, premises[0], lambda i: None if tape.op[i] in _OPENED else i):
        kernel._fail(index, "its premise is not its node distributed over its terms")
    kernel._same_as(index, premises[0])


_CHECKERS.update({"perspective": _perspective, "stand-in": _stand_in, "distribution": _distribution})


# ---- matrix literals (issue 13, matrix atoms) ---------------------------------------------
def _literal_structure(self: _Kernel, index: int) -> None:
    """A call of an atom that reads a matrix argument's structure, with a numeric matrix
    written out there: the literal is read again from the tape and decided exactly; it
    must have the structure the step records (``detail``: position, structure); then the
    composition rule with that structured range, as :meth:`_Kernel._composition`."""
    tape, facts = self.tape, self.facts
    call = self._call(index) if tape.op[index] == "call" else None
    atom = facts.atom[index]
    if call is None or call[0] is not atom:
        self._fail(index, "the atom does not match the node")
    _, args, kw = call
    self._keywords_are(index, kw)
    premises = self._premises(index, args)
    try:
        position, claimed = facts.notes[index].detail
    except (KeyError, TypeError, ValueError):
        self._fail(index, "it records no structure")
    if position != getattr(atom, "structured_argument", None) or atom.domains(len(args), kw) is not None:
        self._fail(index, "the atom reads no structure there")
    matrix = literal_matrix(tape, premises[position])
    found = None if matrix is None else exact_structure(matrix)
    if claimed not in STRUCTURES or found is None or not STRUCTURES[claimed] <= STRUCTURES[found]:
        self._fail(index, f"`{tape.text(premises[position])}` is not a {claimed} matrix written out")
    ranges, curvatures = _facts_of(premises, facts.range, facts.curvature)
    regions = list(ranges)
    regions[position] = Structured(*regions[position], structure=claimed)
    facts_on = atom.facts_on(tuple(regions), kw)
    self._require(index, _dcp_best(facts_on.curvature, facts_on.monotonicity, curvatures,
                                   atom.fixed_arguments), facts_on.range)


_CHECKERS["literal structure"] = _literal_structure


# ---- quasiconvexity (DQCP, SPEC section 10) -----------------------------------------------
# A DQCP step sits above the plain step of the same node, checked before it: the quasi
# checkers read that step's atom, keywords, premises and ranges as verified there, and
# re-derive the quasi-curvature by their own rule.

#: The plain rules whose node is its one premise.
_EQUAL_RULES = frozenset({"rewrite", "expansion", "binding", "same"})
_QUASI_MAXIMA, _QUASI_MINIMA = frozenset({"max", "maximum"}), frozenset({"min", "minimum"})


def _check_quasi(kernel: _Kernel) -> None:
    """Every DQCP step the root's claim depends on: its premises are its plain step's,
    and its claim follows from theirs by its rule."""
    facts = kernel.facts
    steps = facts.quasi
    root = facts.resolve(kernel.proof.root_id)
    reach = Column(lambda i: steps[i].premises if i in steps else ())
    for index in postorder(root, reach):
        step = steps.get(index)
        if step is not None and not isinstance(step.quasi, Quasi):
            kernel._fail(index, f"its DQCP claim {step.quasi!r} is no quasi-curvature")
        if step is None or not step.quasi.is_known:     # (unknown claims nothing)
            continue
        if step.premises != facts.premises[index]:
            kernel._fail(index, "its DQCP premises are not its step's premises")
        checker = _QUASI_CHECKERS.get(step.rule)
        if checker is None:
            kernel._fail(index, f"unknown DQCP rule {step.rule!r}")
        best = checker(kernel, index)
        if not best <= step.quasi:
            kernel._fail(index, f"claims {step.quasi}, the rule gives only {best}")


def _quasi_same(kernel: _Kernel, index: int) -> Quasi:
    """A rewrite, expansion or binding has its premise's quasi-curvature."""
    facts = kernel.facts
    if facts.rule[index] not in _EQUAL_RULES:
        kernel._fail(index, "its plain step does not make it its premise")
    return facts.quasi_at(facts.premises[index][0])


def _quasi_maximum(kernel: _Kernel, index: int) -> Quasi:
    """max (maximum) of quasiconvex arguments, min (minimum) of quasiconcave ones."""
    facts = kernel.facts
    atom = facts.atom[index]
    if facts.rule[index] != "composition" or atom is None or atom.name not in _QUASI_MAXIMA | _QUASI_MINIMA:
        kernel._fail(index, "not a max or a min")
    quasis = [facts.quasi_at(p) for p in facts.premises[index]]
    if atom.name in _QUASI_MAXIMA:
        return QUASICONVEX if all(q.is_quasiconvex for q in quasis) else QUASI_UNKNOWN
    return QUASICONCAVE if all(q.is_quasiconcave for q in quasis) else QUASI_UNKNOWN


def _quasi_scaled(quasi: Quasi, factor: Interval) -> Quasi:
    """g times a constant in ``factor``."""
    if factor.is_nonneg:
        return quasi
    return quasi.flip() if factor.is_nonpos else QUASI_UNKNOWN


def _quasi_argument(kernel: _Kernel, index: int) -> tuple[int, Quasi, object]:
    """For an elementwise composition of one non-constant argument: its position, its
    quasi-curvature and the atom's facts on the ranges narrowed to the atom's domain,
    each narrowing listed by the step and keeping the domain convex."""
    facts, tape = kernel.facts, kernel.tape
    atom, premises = facts.atom[index], facts.premises[index]
    if facts.rule[index] != "composition" or atom is None or not (
            atom.elementwise or tape.op[index] in (".T", "[]")):
        kernel._fail(index, "not an elementwise function")
    moving = [j for j, p in enumerate(premises) if not facts.curvature[p].is_constant]
    if len(moving) != 1:
        kernel._fail(index, "not a function of one non-constant argument")
    j = moving[0]
    quasi = facts.quasi_at(premises[j])
    kw = dict(facts.kwargs[index])
    regions = [facts.range[p] for p in premises]
    domains = atom.domains(len(premises), kw) or ()
    listed = facts.quasi[index].requires
    for position, domain in enumerate(domains):
        if domain is REALS or domain.contains(regions[position]):
            continue
        common = regions[position].intersect(domain)
        kept = (domain.hi == float("inf") or quasi.is_quasiconvex) and \
            (domain.lo == float("-inf") or quasi.is_quasiconcave)
        if position != j or common is None or not kept or (premises[position], domain) not in listed:
            kernel._fail(index, f"domain {domain} of argument {position + 1} is not kept convex and listed")
        regions[position] = common
    return j, quasi, atom.facts_on(tuple(regions), kw)


def _quasi_monotone(kernel: _Kernel, index: int) -> Quasi:
    """A monotone elementwise function of one non-constant argument: f(g) keeps g's
    quasi-curvature where f is nondecreasing on g's range, flips it where nonincreasing.
    A constant factor or divisor, and c / g for g of one strict sign, are such functions."""
    facts = kernel.facts
    rule, premises = facts.rule[index], facts.premises[index]
    curvatures, ranges = facts.curvature, facts.range
    if rule == "composition":
        j, quasi, found = _quasi_argument(kernel, index)
        mono = found.monotonicity[j]
        if mono is UP:
            return quasi
        return quasi.flip() if mono is DOWN else QUASI_UNKNOWN
    if rule == "product" and facts.atom[index] is not None and facts.atom[index].elementwise:
        left, right = premises
        if curvatures[left].is_constant:
            return _quasi_scaled(facts.quasi_at(right), ranges[left])
        if curvatures[right].is_constant:
            return _quasi_scaled(facts.quasi_at(left), ranges[right])
    if rule == "quotient" and curvatures[premises[1]].is_constant:
        return _quasi_scaled(facts.quasi_at(premises[0]), ranges[premises[1]].reciprocal())
    if rule == "reciprocal" and curvatures[premises[0]].is_constant:
        bottom = ranges[premises[1]]
        if bottom.is_positive or bottom.is_negative:    # 1/g is nonincreasing on each side of 0
            return _quasi_scaled(facts.quasi_at(premises[1]).flip(), ranges[premises[0]])
    kernel._fail(index, "not a monotone function of one non-constant argument")


def _quasi_unimodal(kernel: _Kernel, index: int) -> Quasi:
    """An elementwise f of one quasilinear argument, convex (concave) on its range."""
    j, quasi, found = _quasi_argument(kernel, index)
    if quasi is not QUASILINEAR:
        return QUASI_UNKNOWN
    return Quasi.of(found.curvature.is_convex, found.curvature.is_concave)


def _quasi_ratio(kernel: _Kernel, index: int) -> Quasi:
    """f / g with g of one strict sign (as (-f)/(-g) when g < 0): quasiconvex when f is
    convex and g affine, or f >= 0 and g concave; quasiconcave mirrored."""
    facts = kernel.facts
    if facts.rule[index] != "reciprocal":
        kernel._fail(index, "not a quotient of two non-constant sides")
    top, bottom = facts.premises[index]
    f, g = facts.curvature[top], facts.curvature[bottom]
    f_range, g_range = facts.range[top], facts.range[bottom]
    if g_range.is_negative:
        f, g, f_range = f.negate(), g.negate(), -f_range
    elif not g_range.is_positive:
        return QUASI_UNKNOWN
    convex = f.is_convex and (g.is_affine or (g.is_concave and f_range.is_nonneg))
    concave = f.is_concave and (g.is_affine or (g.is_convex and f_range.is_nonneg))
    return Quasi.of(convex, concave)


def _quasi_product(kernel: _Kernel, index: int) -> Quasi:
    """x * y entrywise: log-concave, so quasiconcave, for x, y concave and >= 0; a factor
    convex and <= 0 is minus a concave nonnegative one."""
    facts = kernel.facts
    atom = facts.atom[index]
    if facts.rule[index] != "product" or atom is None or not atom.elementwise:
        kernel._fail(index, "not an entrywise product")
    signs = []
    for premise in facts.premises[index]:
        curvature, region = facts.curvature[premise], facts.range[premise]
        if curvature.is_concave and region.is_nonneg:
            signs.append(1)
        elif curvature.is_convex and region.is_nonpos:
            signs.append(-1)
        else:
            return QUASI_UNKNOWN
    return QUASICONCAVE if signs[0] == signs[1] else QUASICONVEX


#: The DQCP rules (:data:`dcp.proof.QUASI_RULES`): each gives the strongest claim it allows.
_QUASI_CHECKERS: Mapping[str, Callable[[_Kernel, int], Quasi]] = {
    "quasi same": _quasi_same,
    "quasi maximum": _quasi_maximum,
    "quasi monotone": _quasi_monotone,
    "quasi unimodal": _quasi_unimodal,
    "quasi ratio": _quasi_ratio,
    "quasi product": _quasi_product,
}


# ---- sets (SPEC section 10) -----------------------------------------------------------

def check_set_proof(proof) -> None:
    """Check a `SetProof`: each constraint that claims a convex set, by its rule from its
    function proofs (each checked whole by `check_proof`, on the set's tape, variables
    and bounds), and that every domain condition they rely on cuts a convex set; the
    intersection is claimed convex only when every part is. Raises `ProofCheckError` at
    the first that does not follow."""
    _check_parts_are_the_constraints(proof)
    for part in proof.parts:
        for role, function in part.proofs.items():
            if function.tape is not proof.tape or tuple(function.wrt) != tuple(proof.wrt) \
                    or dict(function.bounds) != dict(proof.bounds):
                _set_fail(part, f"its proof of {role} is about another expression, other "
                                f"variables or other assumptions")
            check_proof(function)
        tape = proof.tape
        if tape.op[part.node] != "-" or tape.args[part.node] != (part.left, part.right) or \
                part.proofs.get("g - h") is None or part.proofs["g - h"].root_id != part.node:
            _set_fail(part, "its g - h is not the difference of its two sides")
        if not part.convex:
            continue
        checker = _SET_CHECKERS.get(part.rule)
        if checker is None:
            _set_fail(part, f"unknown set rule {part.rule!r}")
        checker(tape, part)
        for function in part.proofs.values():
            why = nonconvex_domain(function)
            if why is not None:
                _set_fail(part, why)


def _check_parts_are_the_constraints(proof) -> None:
    """The claim is about the constraints as written (`proof.source`, when the set was
    given as text): one part per constraint, in order, each with the operator written. A
    part dropped or its operator flipped proves another set. (Which sides a part holds is
    not compared: equal constraints share their nodes on the tape, and the printers of
    the tape and of the source differ in spelling.)"""
    if not proof.source:
        return
    from .syntax.parser import parse_constraints
    written = parse_constraints(proof.source).items
    if len(written) != len(proof.parts):
        raise ProofCheckError(f"the set proof has {len(proof.parts)} parts for "
                              f"{len(written)} constraints written")
    for number, (constraint, part) in enumerate(zip(written, proof.parts), start=1):
        if part.op != constraint.op:
            _set_fail(part, f"constraint {number} is written with {constraint.op}, not {part.op}")


def _set_fail(part, why: str) -> None:
    raise ProofCheckError(f"set step `{part.text}` ({part.rule}) does not check: {why}", part)


def _level_set(tape: Tape, part) -> None:
    """``g - h`` proved convex for ``<=``, concave for ``>=``, affine for ``==``."""
    from .proof import LEVEL_SET_RULES
    rule, needed = LEVEL_SET_RULES[part.op]
    curvature = part.proofs["g - h"].curvature
    if part.rule != rule or not getattr(curvature, f"is_{needed}"):
        _set_fail(part, f"{part.op} needs g - h {needed} under {rule}; its proof gives {curvature}")


def _whole_box(tape: Tape, part) -> None:
    """``g - h`` has no domain condition and its proved range satisfies the constraint."""
    from .proof import always_holds
    function = part.proofs["g - h"]
    if function.domain or not always_holds(part.op, function.facts.range[part.node]):
        _set_fail(part, f"the range of g - h, {function.facts.range[part.node]}, does not show "
                        f"{part.op} everywhere on the box (or g - h has domain conditions)")


def _rotated_cone(tape: Tape, part) -> None:
    """``s <= a * b`` (``a * b >= s``): ``a * b`` a product node whose factors are proved
    affine with ranges >= 0; ``s`` proved constant (role ``s``), or a sum whose term
    number i is ``sum_squares(u)``, ``square(u)`` or ``u ^ 2`` (exactly 2) with ``u``
    proved affine (role ``ui``), or is proved constant and >= 0 (role ``ci``)."""
    if part.op == "==":
        _set_fail(part, "an equality is no cone")
    small, big = (part.left, part.right) if part.op == "<=" else (part.right, part.left)
    if tape.op[big] != "*":
        _set_fail(part, "its larger side is not a product a * b")
    proofs = part.proofs
    for role, node in zip("ab", tape.args[big]):
        found = proofs.get(role)
        if found is None or found.root_id != node or not found.curvature.is_affine \
                or not found.facts.range[node].is_nonneg:
            _set_fail(part, f"factor {role} is not proved affine and >= 0 on the whole box")
    if "s" in proofs:
        if proofs["s"].root_id != small or not proofs["s"].curvature.is_constant:
            _set_fail(part, "its smaller side is not proved constant")
        return
    terms = square_terms(tape, small)
    if len(proofs) != 3 + len(terms):
        _set_fail(part, "its proofs are not one per term of the smaller side")
    for number, term in enumerate(terms, 1):
        square, constant = proofs.get(f"u{number}"), proofs.get(f"c{number}")
        if square is not None:
            if square.root_id != squared_argument(tape, term) or not square.curvature.is_affine:
                _set_fail(part, f"term {number} is not the square of a proved affine u")
        elif constant is None or constant.root_id != term or not constant.curvature.is_constant \
                or not constant.facts.range[term].is_nonneg:
            _set_fail(part, f"term {number} is neither a square nor a constant proved >= 0")


def _quasi_level_set(tape: Tape, part) -> None:
    """``g - h`` proved quasiconvex for ``<=``, quasiconcave for ``>=``, quasilinear for
    ``==`` by its DQCP steps. Those steps are re-checked here by the kernel's quasi
    checkers (:func:`_check_quasi`, on the plain steps ``check_proof`` has checked), then
    the root's claim must give the set."""
    function = part.proofs["g - h"]
    _check_quasi(_Kernel(function))
    if not quasi_level_holds(part.op, function.quasi):
        _set_fail(part, f"{part.op} needs g - h {QUASI_LEVEL_NEEDS[part.op]}; its DQCP proof gives "
                        f"{function.quasi}")


_SET_CHECKERS: Mapping[str, Callable] = {
    "sublevel set": _level_set, "superlevel set": _level_set, "level set": _level_set,
    "rotated cone": _rotated_cone, "whole box": _whole_box, "DQCP level set": _quasi_level_set,
}
