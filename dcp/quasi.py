"""The DQCP pass (SPEC section 10): quasi-curvature where the curvature stays unknown.

Runs after the plain analysis, over the nodes of the proof whose curvature is unknown,
premises first; a node of known curvature is quasiconvex when convex, quasiconcave when
concave, quasilinear when affine, and needs no step. Each step reads the plain step of
the same node (its atom, keywords, premises and their ranges, all checked by the kernel)
and concludes by one rule of :data:`dcp.proof.QUASI_RULES`, which the kernel re-checks.

What the rules keep and what they do not: a monotone elementwise function of one
argument keeps its sublevel sets convex; ``max`` intersects them; a sum does not (two
quasiconvex terms may add up to a function with a nonconvex sublevel set), nor a matrix
product or a reduction other than max and min (they add entries).
"""
from __future__ import annotations

from .facts import REALS, Curvature, Interval, Monotonicity
from .facts.quasi import QUASI_UNKNOWN, QUASICONCAVE, QUASICONVEX, Quasi
from .proof import Facts, QuasiStep
from .tape import Column, Tape, postorder

__all__ = ["prove_quasi"]

UP, DOWN = Monotonicity.NONDECREASING, Monotonicity.NONINCREASING
#: The plain rules whose node equals its one premise (another spelling of it).
_EQUAL = frozenset({"rewrite", "expansion", "binding", "same"})
#: The operators that pick or move entries without changing them.
_MOVES = frozenset({".T", "[]"})
#: The reductions and elementwise extremes: max keeps quasiconvexity, min quasiconcavity.
_MAXIMA, _MINIMA = frozenset({"max", "maximum"}), frozenset({"min", "minimum"})
#: The DQCP rule tried at a node, by its plain rule (named on a step left unknown).
_RULE_OF = {"composition": "quasi monotone", "product": "quasi product",
            "quotient": "quasi monotone", "reciprocal": "quasi ratio"}


def prove_quasi(tape: Tape, facts: Facts, root: int) -> None:
    """Fill ``facts.quasi`` for the nodes under ``root`` whose curvature is unknown (none
    when the root's is known: its quasi-curvature follows)."""
    facts.quasi.clear()
    root = facts.resolve(root)
    curvatures = facts.curvature
    if curvatures[root].is_known:
        return
    unknown = Column(lambda i: facts.premises[i] if not curvatures[i].is_known else ())
    for index in postorder(root, unknown):
        if not curvatures[index].is_known:
            facts.quasi[index] = _step(tape, facts, index)


def _step(tape: Tape, facts: Facts, index: int) -> QuasiStep:
    """The DQCP step of one node of unknown curvature (its premises' steps are made)."""
    rule, premises = facts.rule[index], facts.premises[index]
    if rule in _EQUAL:
        return QuasiStep(facts.quasi_at(premises[0]), "quasi same", premises)
    if not all(facts.quasi_at(p).is_known for p in premises):
        return QuasiStep(QUASI_UNKNOWN, _RULE_OF.get(rule, "quasi monotone"), premises)
    if rule == "composition":
        return _composition(tape, facts, index)
    if rule == "product":
        return _product(facts, index)
    if rule in ("quotient", "reciprocal"):
        return _division(tape, facts, index)
    return QuasiStep(QUASI_UNKNOWN, "quasi monotone", premises,
                     reason=f"no DQCP rule applies to a step by {rule}")


def _domain_kept(quasi: Quasi, domain: Interval) -> bool:
    """Whether ``{g in domain}`` is convex for g of ``quasi``: a bound above is a
    sublevel set (convex for g quasiconvex), a bound below a superlevel set."""
    return (domain.hi == float("inf") or quasi.is_quasiconvex) and \
        (domain.lo == float("-inf") or quasi.is_quasiconcave)


def _composition(tape: Tape, facts: Facts, index: int) -> QuasiStep:
    """max/min of quasiconvex/quasiconcave arguments; else an elementwise atom of one
    non-constant argument, monotone or convex/concave on its range."""
    atom, premises = facts.atom[index], facts.premises[index]
    quasis = [facts.quasi_at(p) for p in premises]
    if atom.name in _MAXIMA or atom.name in _MINIMA:
        maximum = atom.name in _MAXIMA
        keeps = all(q.is_quasiconvex if maximum else q.is_quasiconcave for q in quasis)
        if keeps:
            return QuasiStep(QUASICONVEX if maximum else QUASICONCAVE, "quasi maximum", premises)
        return QuasiStep(QUASI_UNKNOWN, "quasi maximum", premises, reason=(
            f"{atom.name} keeps quasi{'convexity' if maximum else 'concavity'} only when every "
            f"argument has it"))
    moving = [j for j, p in enumerate(premises) if not facts.curvature[p].is_constant]
    if not (atom.elementwise or tape.op[index] in _MOVES):
        return QuasiStep(QUASI_UNKNOWN, "quasi monotone", premises, reason=(
            f"{atom.spelling} combines entries (a sum of quasiconvex terms is not quasiconvex)"))
    if len(moving) != 1:
        return QuasiStep(QUASI_UNKNOWN, "quasi monotone", premises, reason=(
            "a sum of two non-constant terms is neither quasiconvex nor quasiconcave in general"
            if atom.spelling in ("+", "-") else
            f"{atom.spelling} of {len(moving)} non-constant arguments: the DQCP rules compose "
            f"through one argument only (or max, min)"))
    j = moving[0]
    quasi = quasis[j]
    regions = [facts.range[p] for p in premises]
    requires = ()
    domains = atom.domains(len(premises), dict(facts.kwargs[index]))
    if domains is not None:
        for position, domain in enumerate(domains):
            if domain is REALS or domain.contains(regions[position]):
                continue
            common = regions[position].intersect(domain)
            if position != j or common is None or not _domain_kept(quasi, domain):
                return QuasiStep(QUASI_UNKNOWN, "quasi monotone", premises, reason=(
                    f"`{tape.text(premises[position])}` may leave {atom.spelling}'s domain "
                    f"{domain}, and the part inside it need not be convex"))
            regions[position], requires = common, ((premises[position], domain),)
    found = atom.facts_on(tuple(regions), dict(facts.kwargs[index]))
    return _monotone_or_unimodal(found.monotonicity[j], found.curvature, quasi, premises, requires,
                                 atom.spelling)


def _monotone_or_unimodal(mono: Monotonicity, curvature: Curvature, quasi: Quasi,
                          premises: tuple[int, ...], requires: tuple, name: str) -> QuasiStep:
    """f(g) for f monotone (or convex/concave) on g's range, g of ``quasi``."""
    if mono is UP or mono is DOWN:
        result = quasi if mono is UP else quasi.flip()
        if result.is_known:
            return QuasiStep(result, "quasi monotone", premises, requires)
    if quasi.is_quasiconvex and quasi.is_quasiconcave and (curvature.is_convex or curvature.is_concave):
        result = Quasi.of(curvature.is_convex, curvature.is_concave)
        return QuasiStep(result, "quasi unimodal", premises, requires)
    return QuasiStep(QUASI_UNKNOWN, "quasi monotone", premises, requires, reason=(
        f"{name} is {mono} on the argument's range, which is {quasi}: a function that is "
        f"neither monotone nor convex or concave keeps no level set convex"
        if mono is Monotonicity.NONE else
        f"{name} is {mono} but its argument is only {quasi}"))


def _scaled(quasi: Quasi, factor: Interval) -> Quasi:
    """g scaled by a constant in ``factor``: kept when it is >= 0, flipped when <= 0."""
    if factor.is_nonneg:
        return quasi
    if factor.is_nonpos:
        return quasi.flip()
    return QUASI_UNKNOWN


def _product(facts: Facts, index: int) -> QuasiStep:
    """c * g entrywise (a scaling), or x * y by the product rule."""
    atom, premises = facts.atom[index], facts.premises[index]
    if not atom.elementwise:
        return QuasiStep(QUASI_UNKNOWN, "quasi product", premises,
                         reason=f"{atom.spelling} sums products of entries")
    left, right = premises
    constant = [p for p in premises if facts.curvature[p].is_constant]
    if constant:
        other = right if constant[0] == left else left
        result = _scaled(facts.quasi_at(other), facts.range[constant[0]])
        return QuasiStep(result, "quasi monotone", premises, reason=None if result.is_known else
                         "a constant factor of unknown sign")
    result = product_quasi(*(facts.curvature[p] for p in premises), *(facts.range[p] for p in premises))
    return QuasiStep(result, "quasi product", premises, reason=None if result.is_known else
                     "x * y is quasiconcave for x, y concave and >= 0 (or convex and <= 0), "
                     "quasiconvex for one concave >= 0 and the other convex <= 0")


def product_quasi(left: Curvature, right: Curvature, left_range: Interval, right_range: Interval) -> Quasi:
    """The product rule: x * y with x = -x' for x convex <= 0 (x' concave >= 0) is
    -(x' * y); x' * y' for two concave nonnegative factors is log-concave, so
    quasiconcave."""
    sides = []
    for curvature, region in ((left, left_range), (right, right_range)):
        if curvature.is_concave and region.is_nonneg:
            sides.append(1)
        elif curvature.is_convex and region.is_nonpos:
            sides.append(-1)
        else:
            return QUASI_UNKNOWN
    return QUASICONCAVE if sides[0] == sides[1] else QUASICONVEX


def _division(tape: Tape, facts: Facts, index: int) -> QuasiStep:
    """g / c scales; c / g with g of one strict sign is monotone in g; f / g by the
    ratio rule."""
    top, bottom = premises = facts.premises[index]
    curvatures, ranges = facts.curvature, facts.range
    if curvatures[bottom].is_constant:
        result = _scaled(facts.quasi_at(top), ranges[bottom].reciprocal())
        return QuasiStep(result, "quasi monotone", premises,
                         reason=None if result.is_known else "a divisor of unknown sign")
    region = ranges[bottom]
    if not (region.is_positive or region.is_negative):
        return QuasiStep(QUASI_UNKNOWN, "quasi ratio", premises,
                         reason=f"the denominator `{tape.text(bottom)}` is not of one strict sign "
                                f"(it lies in {region})")
    if curvatures[top].is_constant:
        # c / g for g of one strict sign is nonincreasing in g when c >= 0.
        result = _scaled(facts.quasi_at(bottom).flip(), ranges[top])
        return QuasiStep(result, "quasi monotone", premises,
                         reason=None if result.is_known else "a numerator of unknown sign")
    result = ratio_quasi(curvatures[top], ranges[top], curvatures[bottom], region)
    return QuasiStep(result, "quasi ratio", premises, reason=None if result.is_known else
                     "f / g is quasiconvex for f convex and g affine > 0 (or f >= 0 and g "
                     "concave > 0), quasiconcave for f concave and g affine > 0 (or f >= 0 and g "
                     "convex > 0)")


def ratio_quasi(top: Curvature, top_range: Interval, bottom: Curvature, bottom_range: Interval) -> Quasi:
    """f / g for g > 0: ``{f/g <= t}`` is ``{f - t g <= 0}``, convex for every t when f is
    convex and g affine, and for every t >= 0 when g is concave (for t < 0 it is empty if
    f >= 0); superlevel sets alike. For g < 0, f / g is (-f) / (-g)."""
    if bottom_range.is_negative:
        top, top_range, bottom = top.negate(), -top_range, bottom.negate()
    convex = top.is_convex and (bottom.is_affine or (bottom.is_concave and top_range.is_nonneg))
    concave = top.is_concave and (bottom.is_affine or (bottom.is_convex and top_range.is_nonneg))
    return Quasi.of(convex, concave)
