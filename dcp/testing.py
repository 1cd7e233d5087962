"""Random well-formed problems over the atom registry, for soundness fuzzing.

Used by the test suite (a fast profile) and by ``benchmarks/fuzz_soundness.py`` (a long
run). The property: whenever the rules certify convex or concave, the numeric check finds
no confirmed violation (``certify`` would raise :class:`~dcp.SoundnessError`), an
independent search (:mod:`dcp.testing_referee`) finds none either, and every witness dcp
reports is proved by the referee.

Besides plain random trees, :func:`random_case` mixes in *attack classes*, each aimed at a
way numbers deceive: extreme constants, literals whose float and decimal values differ,
functions that cancel, far tails, constants built from atoms at points, parameters at
tight bounds, tiny and huge boxes, and user atoms whose facts hide far out or between
close roots.
"""
from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass
from decimal import Decimal

from .atoms import ScalarAtom, all_atoms

__all__ = ["random_problem", "random_case", "Problem", "ATTACKS", "random_set_case", "judge_set",
           "exact_feasible"]

VARIABLES = ("x", "y")
PARAMETERS = ("c", "d")
ASSUMPTIONS = ("{} >= 0", "{} <= 0", "0 <= {} <= 1", "{} >= 1", "{} > 0", "-2 <= {} <= -1")
NUMBERS = ("0", "1", "2", "0.5", "3")


def _scalar_atoms() -> list[str]:
    calls = [f"{atom.name}({{}})" for atom in all_atoms()
             if isinstance(atom, ScalarAtom) and atom.name not in ("power",)]
    calls += ["leaky_relu({}, alpha=2)", "leaky_relu({}, alpha=-0.5)", "elu({}, alpha=2)",
              "celu({}, alpha=0.5)", "celu({}, alpha=3)", "hard_sigmoid({}, alpha=1/6, beta=0.5)",
              "hard_sigmoid({}, alpha=3, beta=-0.7)", "hardtanh({}, min_val=0.1, max_val=2)",
              "huber({}, M=0.5)", "{} ^ 2", "{} ^ 3", "{} ^ 0.5", "{} ^ 1.5", "{} ^ -1",
              "power({}, 4)", "-{}", "max({})", "min({})", "sum({})", "mean({})",
              "logsumexp({})", "norm2({})", "norm1({})", "norm_inf({})", "sum_squares({})",
              "log_softmax({})", "rel_entr({}, 2)", "rel_entr(1, {})", "rel_entr({}, y)",
              "kl_div({}, 0.5)", "kl_div(2, {})", "kl_div(x, {})", "geo_mean({})",
              "harmonic_mean({})", "inv_prod({})", "max(cumsum({}))", "norm1(diff(hstack({}, y)))",
              "min(vstack({}, 1))", "sum(diag({}))", "sum_squares(reshape({}, 1))",
              "sum_largest({}, 2)", "sum_smallest({}, k=2)", "dotsort({}, c)", "dotsort({}, -1)",
              "dotsort({}, y)"]
    return calls


def _expression(rng: random.Random, depth: int, unary: list[str]) -> str:
    if depth == 0 or rng.random() < 0.2:
        pick = rng.random()
        if pick < 0.5:
            return rng.choice(VARIABLES)
        if pick < 0.8:
            return rng.choice(PARAMETERS)
        return rng.choice(NUMBERS)
    shape = rng.random()
    inner = _expression(rng, depth - 1, unary)
    if shape < 0.45:
        return rng.choice(unary).format(inner)
    other = _expression(rng, depth - 1, unary)
    if shape < 0.6:
        return f"({inner} + {other})"
    if shape < 0.7:
        return f"({inner} - {other})"
    if shape < 0.8:
        return f"({rng.choice(PARAMETERS + NUMBERS)} * {inner})"
    if shape < 0.85:
        return f"({inner} / {rng.choice(PARAMETERS + ('2', '0.5'))})"
    if shape < 0.9:
        return f"({rng.choice(('1', '2', 'c'))} / {inner})"
    if shape < 0.95:
        return f"{rng.choice(('maximum', 'minimum'))}({inner}, {other})"
    return f"(A @ {inner})"


def _mentions(expression: str, name: str) -> bool:
    return re.search(rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_(])", expression) is not None


def _plain(rng: random.Random, depth: int = 4) -> tuple[str, list[str], list[str]]:
    expression = _expression(rng, depth, _scalar_atoms())
    while not any(_mentions(expression, v) for v in VARIABLES):
        expression = f"({expression} + {rng.choice(VARIABLES)})"
    present = [v for v in VARIABLES if _mentions(expression, v)]
    wrt = rng.sample(present, rng.randint(1, len(present)))
    names = [n for n in VARIABLES + PARAMETERS + ("A",) if _mentions(expression, n)]
    assume = [rng.choice(ASSUMPTIONS).format(n) for n in names if rng.random() < 0.5]
    return expression, wrt, assume


def random_problem(rng: random.Random, depth: int = 4) -> tuple[str, list[str], list[str]]:
    """``(expression, wrt, assumptions)``, drawn from ``rng``: a plain random tree or one
    of the attack classes that need no user atom."""
    case = random_case(rng, depth, user_atoms=False)
    return case.expression, list(case.wrt), list(case.assume)


@dataclass(frozen=True)
class Problem:
    """One fuzzing case: certify ``expression`` in ``wrt`` under ``assume``, after the
    user atoms ``defines`` (``"name(t) = body"``) are defined; ``attack`` names its class."""

    expression: str
    wrt: tuple[str, ...]
    assume: tuple[str, ...] = ()
    defines: tuple[str, ...] = ()
    attack: str = "random"

    def certify(self, **options):
        """dcp's answer (``options`` go to :meth:`dcp.Session.certify`)."""
        from .api import Session
        session = Session()
        for text in self.defines:
            head, body = text.split("=", 1)
            name, params = head.strip().rstrip(")").split("(")
            session.define(name.strip(), [p.strip() for p in params.split(",")], body.strip())
        return session.certify(self.expression, list(self.wrt), list(self.assume), **options)

    def __str__(self) -> str:
        defines = "".join(f"define {d}; " for d in self.defines)
        assume = f" assuming {', '.join(self.assume)}" if self.assume else ""
        return f"[{self.attack}] {defines}{self.expression} wrt {', '.join(self.wrt)}{assume}"


def random_case(rng: random.Random, depth: int = 4, user_atoms: bool = True) -> Problem:
    """A seeded choice of attack class, then a problem of that class."""
    names = [n for n in ATTACKS if user_atoms or n != "user atoms"]
    weights = [ATTACKS[n][0] for n in names]
    name = rng.choices(names, weights)[0]
    return ATTACKS[name][1](rng, depth)


def _random_tree(rng: random.Random, depth: int) -> Problem:
    expression, wrt, assume = _plain(rng, depth)
    return Problem(expression, tuple(wrt), tuple(assume))


_CONVEX_OF_X = ("square(x)", "exp(x)", "abs(x)", "softplus(x)", "relu(x)", "x ^ 4", "inv_pos(x)")
_CONCAVE_OF_X = ("log(x)", "sqrt(x)", "log1p(x)", "-square(x)", "entr(x)", "min(x, 1)")
EXTREMES = ("1e-300", "1e300", "1e-150", "1e150", "0.1", "0.3", "1e-9", "7e22", "-1e300",
            "-0.1", "1e-320", "-1e-300", "123456789.123456789")


def _extreme_constants(rng: random.Random, depth: int) -> Problem:
    base = _plain(rng, max(depth - 1, 1))
    k = rng.choice(EXTREMES)
    form = rng.choice(("({k} * {e})", "({e} + {k})", "({e} / {k})", "({e} * {k} - {k} * {e})",
                       "({k} * ({e} + {k}))"))
    return Problem(form.format(k=k, e=base[0]), tuple(base[1]), tuple(base[2]), attack="extreme constants")


def _sign_flip(rng: random.Random) -> str:
    """``(d1 + d2 - d3)`` whose float value and exact decimal value have opposite signs,
    or an exact cancellation when none is found."""
    for _ in range(20):
        d1, d2 = Decimal(rng.randint(1, 99)) / 100, Decimal(rng.randint(1, 99)) / 100
        total, float_total = d1 + d2, float(d1) + float(d2)
        for k in (17, 18, 16, 19):
            for sign in (1, -1):
                d3 = total + sign * Decimal(10) ** -k
                by_floats = float_total - float(d3)
                if by_floats != 0 and (by_floats > 0) != (sign < 0):
                    return f"({d1} + {d2} - {d3})"
    return "(0.3 - 0.1 - 0.2)"


def _decimal_literals(rng: random.Random, depth: int) -> Problem:
    k = rng.choice((_sign_flip(rng), "(0.3 - 0.1 - 0.2)", "(0.1 + 0.2 - 0.3)", "(0.1 * 3 - 0.3)"))
    scale = rng.choice(("1e30", "1e20", "1", "1e300"))
    f = rng.choice(_CONVEX_OF_X + _CONCAVE_OF_X)
    return Problem(f"{k} * {scale} * {f}", ("x",), attack="decimal literals")


#: Convex or concave functions whose formula cancels somewhere, with their domains.
CANCELLING = (("log1p(x) / x", ("0 < x <= 1",)), ("log1p(x) / x", ("x > 0",)),
              ("(exp(x) - 1) / x", ("x > 0",)), ("(exp(x) - 1) / x", ("0 < x <= 1e-100",)),
              ("softplus(x) - relu(x)", ()), ("1e100 * log1p(x)", ()),
              ("log(1 + exp(x)) - x", ("x >= 30",)), ("sigmoid(x) - 0.5", ("x >= 0",)),
              ("log1p(x) - x", ()), ("exp(x) - 1 - x", ()), ("(exp(x) - 1) / x", ("x >= 1e-300",)),
              ("tanh(x) - x", ("x >= 0",)), ("x - log1p(x)", ("x >= -0.5",)))


def _cancelling(rng: random.Random, depth: int) -> Problem:
    body, assume = rng.choice(CANCELLING)
    k = rng.choice(("", "1e100 * ", "-1 * ", "1e-100 * ", "1e300 * "))
    return Problem(f"{k}({body})", ("x",), assume, attack="cancelling functions")


TAIL_ATOMS = ("gelu", "silu", "sigmoid", "softplus", "tanh", "softsign", "elu", "selu", "log1p",
              "exp", "hardtanh", "gelu_tanh", "erf", "celu", "swish")
TAILS = ("x <= -30", "x >= 1e10", "x <= -1e3", "-40 <= x <= -30", "x >= 30", "x <= -1e10",
         "-1e300 <= x <= -1e299", "-9 <= x <= -3", "x >= 3", "x <= -1.4142135623730951")


def _far_tails(rng: random.Random, depth: int) -> Problem:
    atom = rng.choice(TAIL_ATOMS)
    inner = rng.choice(("x", "x", "(x + 1)", "(2 * x)", "(x / 3)"))
    k = rng.choice(("", "-", "1e20 * ", "-1e20 * ", "1e300 * "))
    return Problem(f"{k}{atom}({inner})", ("x",), (rng.choice(TAILS),), attack="far tails")


POINTS = ("-5", "-3", "-20", "0.5", "7", "-1.5", "30", "-0.001")


def _atom_constants(rng: random.Random, depth: int) -> Problem:
    """``1e20 * (atom(p) + K) * f(x)`` with K nearly -atom(p): the factor's sign is set by
    digits beyond the 17th, where a float enclosure widened by a few ulps goes wrong."""
    from .testing_referee import Balls, Referee, Precision
    atom = rng.choice(TAIL_ATOMS[:-1])
    point = rng.choice(POINTS)
    with Precision(256):
        value, _ = Referee(f"{atom}({point})", ()).evaluate(Balls(), {}, 1)
    negated = -value[0].mid()
    if not negated.is_finite():
        return _far_tails(rng, depth)
    # Some digits of the true value, or a float within a few thousand ulps of it.
    nearby = float(negated) + rng.randint(-2000, 2000) * math.ulp(float(negated))
    text = (negated.str(rng.choice((15, 16, 17, 18)), radius=False) if rng.random() < 0.5
            else repr(nearby)).replace("e+", "e")
    constant = (f"({atom}({point}) - {text[1:]})" if text.startswith("-")
                else f"({atom}({point}) + {text})")
    f = rng.choice(_CONVEX_OF_X + _CONCAVE_OF_X)
    return Problem(f"1e20 * {constant} * {f}", ("x",), attack="atom constants")


#: Problems whose truth turns on a parameter at a tight bound (templates with a {b} slot).
TIGHT = (("relu(Wz @ relu(W0 @ x) + W1 @ x)", "x", "Wz >= {b}"),
         ("sigmoid(square(x) - 4)", "x", "-2.1 <= x <= 2.1"),
         ("sum_squares(relu(W @ z) - t)", "z", "t <= {b}"),
         ("(c + 0.001) * square(x)", "x", "c >= -0.001"),
         ("(c - 1e-300) * exp(x)", "x", "c >= 1e-300"),
         ("c * square(x) + d * x", "x", "{b} <= c <= 0.01"),
         ("relu(W @ x + v)", "x", "W >= {b}"),
         ("c * log(x) + square(x)", "x", "c >= {b}"),
         ("maximum(c * x, square(x) - c)", "x", "c <= {b}"))
TIGHT_BOUNDS = ("-0.01", "0.01", "-1e-300", "1e-300", "0.001", "-0.001", "0")


def _tight_parameters(rng: random.Random, depth: int) -> Problem:
    expression, wrt, assume = rng.choice(TIGHT)
    return Problem(expression, (wrt,), (assume.format(b=rng.choice(TIGHT_BOUNDS)),),
                   attack="tight parameters")


BOXES = ("1 <= x <= 1.0000001", "0 <= x <= 1e-300", "-1e300 <= x <= 1e300", "0 < x <= 5e-324",
         "-1e-9 <= x <= 1e-9", "x >= 1e300", "1e10 <= x <= 1.0000000001e10", "-1e-320 <= x <= 0")


def _boxes(rng: random.Random, depth: int) -> Problem:
    expression = _expression(rng, max(depth - 1, 1), _scalar_atoms())
    if not _mentions(expression, "x"):
        expression = f"({expression} + x)"
    return Problem(expression, ("x",), (rng.choice(BOXES),), attack="boxes")


def _close_roots(rng: random.Random) -> tuple[str, str]:
    """A quartic whose second derivative is (t - r)(t - r - gap): concave only between two
    roots that may lie far out or close together; and a box around them."""
    r = Decimal(rng.choice(("0.5", "1", "10", "100", "1000", "-500", "1e4", "70")))
    gap = Decimal(rng.choice(("1e-3", "1e-6", "0.5", "2")))
    total, product = 2 * r + gap, r * (r + gap)
    body = f"t^4/12 - {total}*t^3/6 + {product}*t^2/2"
    box = rng.choice((f"{r} <= x <= {r + gap}", f"x >= {r - 1}", f"{r - 1} <= x <= {r + gap + 1}", ""))
    return body, box


#: User atoms whose facts hide far out or cancel, with boxes to certify them on.
USER_ATOMS = (("exp(t) - t^3/6 - 50*t^2", ("x <= -300", "x <= -60", "-400 <= x <= -200", "")),
              ("softplus(t) - relu(t)", ("", "x >= 0", "x <= -40")),
              ("abs(t) - t", ("",)), ("t * sigmoid(t)", ("x >= 3", "x <= -3", "")),
              ("log1p(exp(t)) - t", ("", "x >= 40")), ("exp(-t^2)", ("x >= 1", "x <= -0.8", "")),
              ("exp(t/100) - t^2/1e6", ("x >= 100", "x <= 1e4", "")),
              ("(exp(t) - 1)/t", ("x > 0", "0 < x <= 1e-100")),
              # f'' = e^t - K t^2 touches 0 at t = 2 for K = e^2/4 = 1.84726402473...: just
              # above, two roots within 0.01 of 2 (SymPy cannot solve; one grid cell).
              ("exp(t) - 1.84727*t^4/12", ("1.9 <= x <= 2.1", "x >= 1", "")),
              ("exp(t) - 1.8472641*t^4/12", ("1.99 <= x <= 2.01", "x >= 0")),
              ("exp(t) - 1.8473*t^4/12", ("1.9 <= x <= 2.1",)))


def _user_atoms(rng: random.Random, depth: int) -> Problem:
    if rng.random() < 0.5:
        body, box = _close_roots(rng)
    else:
        body, boxes = rng.choice(USER_ATOMS)
        box = rng.choice(boxes)
    call = rng.choice(("f(x)", "-f(x)", "1e20 * f(x)", "f(x) + square(x)", "f(c) * square(x)",
                       "-f(c) * exp(x)"))
    return Problem(call, ("x",), (box,) if box else (), (f"f(t) = {body}",), attack="user atoms")


#: A monomial's factors (``{v}`` a name, an affine expression or a negated name; ``{p}`` an
#: exponent), exponents, and the boxes assumed on its names: positive, reaching 0,
#: negative, tiny and huge.
MONOMIAL_FACTORS = ("{v}", "{v} ^ {p}", "{v} ^ ({p})", "sqrt({v})", "inv_pos({v})", "square({v})",
                    "power({v}, {p})", "(1 / {v})", "({v} * {v})")
MONOMIAL_NAMES = VARIABLES * 3 + PARAMETERS + ("(x + y)", "(-x)", "(2 * y)", "(0.5 * x)")
MONOMIAL_EXPONENTS = ("0.5", "-0.5", "0.3", "0.7", "-1", "2", "1.5", "-0.32", "0.065", "1e-9",
                      "0.3333333333333333", "-2", "3", "0", "0.25", "-0.75", "1")
MONOMIAL_BOXES = ("{} > 0", "{} >= 0", "1 <= {} <= 10", "0 <= {} <= 1", "{} >= 1e-300",
                  "-1 <= {} <= 1", "1e-9 <= {} <= 1e9", "{} <= 0", "{} < 0", "{} >= 1e300",
                  "0 < {} <= 1e-300")


def _monomials(rng: random.Random, depth: int) -> Problem:
    """A product and quotient of powers of names (sometimes of an affine expression or a
    negated name), under a constant of either sign and sometimes an outer power: what the
    monomial method reads, and what it must refuse."""
    factors = [rng.choice(MONOMIAL_FACTORS).format(v=rng.choice(MONOMIAL_NAMES),
                                                   p=rng.choice(MONOMIAL_EXPONENTS))
               for _ in range(rng.randint(1, 4))]
    expression = factors[0]
    for factor in factors[1:]:
        expression = f"({expression} {rng.choice('**/')} {factor})"
    outer = rng.choice(("{}", "{}", "{}", "sqrt({})", "({}) ^ {p}", "inv_pos({})", "-({})"))
    constant = rng.choice(("", "", "-", "3 * ", "-0.2 * ", "c * ", "1e300 * ", "1e-300 * "))
    expression = constant + outer.format(expression, p=rng.choice(MONOMIAL_EXPONENTS))
    if not any(_mentions(expression, v) for v in VARIABLES):
        expression = f"{expression} * x"
    present = [v for v in VARIABLES if _mentions(expression, v)]
    wrt = rng.sample(present, rng.randint(1, len(present)))
    names = [n for n in VARIABLES + PARAMETERS if _mentions(expression, n)]
    assume = [rng.choice(MONOMIAL_BOXES).format(n) for n in names if rng.random() < 0.85]
    return Problem(expression, tuple(wrt), tuple(assume), attack="monomials")


AFFINE_TERMS = ("x", "y", "c", "2 * x", "-x", "0.5 * y", "1e-06", "1", "-3", "c * x", "0.1")


def _affine(rng: random.Random) -> str:
    """A short affine expression in x and y (and the parameter c)."""
    return "(" + " + ".join(rng.sample(AFFINE_TERMS, rng.randint(1, 3))) + ")"


def _rewrites(rng: random.Random, depth: int) -> Problem:
    """What the identity rule rewrites: a quotient of affine expressions (often a numerator
    affine in the denominator, sometimes not), ``log(sigmoid(t))``, ``exp(a) * exp(b)``,
    ``x * log(x)``, ``x * log(x / y)``, ``log(x * y)``, inside a random composition and
    under random bounds (some fixing a name)."""
    pick = rng.random()
    if pick < 0.6:
        bottom = _affine(rng)
        top = (f"({rng.choice(('1', '-2', '0.3', 'c'))} * {bottom} + {rng.choice(('1', '-1', 'c', '1e-06'))})"
               if rng.random() < 0.6 else _affine(rng))
        body = f"({top} / {bottom})"
    elif pick < 0.75:
        body = f"log(sigmoid({_expression(rng, max(depth - 2, 0), _scalar_atoms())}))"
    elif pick < 0.85:
        body = f"(exp({_affine(rng)}) * exp({_affine(rng)}))"
    else:
        a, b = _affine(rng), rng.choice(("y", "c", _affine(rng)))
        body = rng.choice((f"({a} * log({a}))", f"({a} * log({a} / {b}))", f"log({a} * {b})"))
    outer = rng.choice(("{}", "-{}", "{} + y", "exp({})", "log({})", "square({})", "sqrt({})",
                        "2 * {} - x", "relu({})"))
    expression = outer.format(body)
    if not _mentions(expression, "x"):
        expression = f"({expression} + x)"
    wrt = tuple(v for v in VARIABLES if _mentions(expression, v) and rng.random() < 0.8) or ("x",)
    names = [n for n in VARIABLES + PARAMETERS if _mentions(expression, n)]
    assume = tuple(rng.choice(ASSUMPTIONS + FIXED).format(n) for n in names if rng.random() < 0.7)
    return Problem(expression, wrt, assume, attack="rewrites")


#: Bounds that fix a name (a variable so bounded is a constant).
FIXED = ("2 <= {} <= 2", "0 <= {} <= 0", "-0.5 <= {} <= -0.5", "0.1 <= {} <= 0.1")


#: The t of a perspective ``t * f(v/t)``: positive, touching 0, of either sign, with a
#: parameter; and what a quotient's numerator may be (affine or not).
PERSPECTIVE_TS = ("(1e-06 + y)", "y", "(1 + y)", "(y - 1)", "(c + y)", "(2 * y + 0.5)", "(1 - y)")
NUMERATORS = ("x", "x", "3 * x", "(x + y)", "(x - 2)", "c * x", "square(x)", "-x")
PERSPECTIVE_CONVEX = ("square({})", "exp({})", "abs({})", "softplus({})", "{} ^ 4", "inv_pos({})",
                      "-log({})", "{}")
PERSPECTIVE_CONCAVE = ("log({})", "sqrt({})", "log1p({})", "-square({})", "entr({})", "min({}, 1)",
                       "{}")
PERSPECTIVE_BOXES = {"y": ("0 <= y <= 1", "y >= 0", "y > 0", "1 <= y <= 2", "-1 <= y <= 1",
                           "y >= 1e300", "1e-300 <= y <= 1e-290"),
                     "x": ("x >= 0", "0 <= x <= 1", "x >= 1e300", "-1 <= x <= 1"),
                     "c": ("c >= 0", "0 <= c <= 1", "c <= 0")}


def _perspectives(rng: random.Random, depth: int) -> Problem:
    """``t * f(v1/t, ...)`` as MINLPLib's hull reformulations spell it: terms of the
    quotients through random atoms, with terms outside them (``+ 2 * y``) and t of any
    sign."""
    t = rng.choice(PERSPECTIVE_TS)
    # Half the time one direction of curvature throughout, so that many are certified.
    unary = rng.choice((_scalar_atoms() + ["{}"] * 6, PERSPECTIVE_CONVEX, PERSPECTIVE_CONCAVE))

    def term() -> str:
        sign = rng.choice(("", "", "", "-", "0.5 * ", "c * "))
        return sign + rng.choice(unary).format(f"{rng.choice(NUMERATORS)}/{t}")
    body = " + ".join(term() for _ in range(rng.choice((1, 1, 2, 3))))
    body += rng.choice(("", "", " + 3", " + 2 * y", " - x", " + c", " + 0 * x", " + y * y"))
    expression = rng.choice(("({b}) * {t}", "{t} * ({b})")).format(b=body, t=t)
    names = [n for n in ("x", "y", "c") if _mentions(expression, n)]
    assume = [rng.choice(PERSPECTIVE_BOXES[n]) for n in names if rng.random() < 0.85]
    wrt = [n for n in ("x", "y") if _mentions(expression, n)]
    return Problem(expression, tuple(wrt), tuple(assume), attack="perspectives")


#: Attack class -> (weight, generator).
#: Matrix arguments of the matrix atoms, in X and Y (u is a vector): affine and not.
_MATRICES = ("X", "X - Y", "c * X + Y", "A @ X", "X.T", "X + X.T", "relu(X)", "square(X)",
             "-X", "X @ X")
_MATRIX_ATOMS = ("lambda_max({})", "lambda_min({})", "sigma_max({})", "norm_nuc({})",
                 "log_det({})", "-log_det({})", "lambda_max({}) - lambda_min({})")
_VECTORS = ("u", "u - 1", "relu(u)", "-relu(u)", "square(u)", "exp(u)", "A @ u", "c * u")
_P_FACTS = ("P psd", "P nsd", "P symmetric", "P >= 0", "P <= 0", "-1 <= P <= 1",
            "P psd, P nsd")


def _literal_matrix(rng: random.Random) -> str:
    """A 2 x 2 numeric matrix written out: symmetric (psd, nsd or indefinite) or not."""
    a, b, d = (rng.choice((-2, -1, -0.5, 0, 0.5, 1, 2)) for _ in range(3))
    c = b if rng.random() < 0.8 else rng.choice((-1, 0, 1))
    return f"[[{a}, {b}], [{c}, {d}]]"


def _matrices(rng: random.Random, depth: int) -> Problem:
    """The matrix atoms and the assumptions P psd/nsd/symmetric: f(M) for a matrix
    expression M, quad_form and matrix_frac of vector expressions with an assumed or a
    written-out P, sometimes inside a scalar atom."""
    pick = rng.random()
    if pick < 0.4:
        matrix = rng.choice(_MATRICES)
        expression = rng.choice(_MATRIX_ATOMS).format(matrix, matrix)
    elif pick < 0.85:
        matrix = _literal_matrix(rng) if rng.random() < 0.4 else rng.choice(("P", "-P", "2 * P"))
        expression = f"quad_form({rng.choice(_VECTORS)}, {matrix})"
    else:
        expression = f"matrix_frac({rng.choice(_VECTORS)}, {rng.choice(_MATRICES + ('P',))})"
    if rng.random() < 0.3:
        expression = rng.choice(_scalar_atoms()).format(expression)
    names = [n for n in ("X", "Y", "u", "P", "c", "A") if _mentions(expression, n)]
    variables = [n for n in ("X", "Y", "u") if n in names]
    wrt = rng.sample(variables, rng.randint(1, len(variables)))
    if "P" in names and rng.random() < 0.05:
        wrt.append("P")                          # psd on a variable: refused, an error
    assume = [rng.choice(_P_FACTS)] if "P" in names and rng.random() < 0.8 else []
    assume += [rng.choice(ASSUMPTIONS).format(n) for n in names if n != "P" and rng.random() < 0.3]
    return Problem(expression, tuple(wrt), tuple(assume), attack="matrices")


#: DQCP (SPEC section 10): monotone functions, functions with one minimum or maximum, and
#: the pieces the quasi rules combine (max, min, ratios, products), over affine arguments
#: of either sign; sums, which keep no quasiconvexity, are mixed in on purpose.
QUASI_MONOTONE = ("sigmoid({})", "tanh({})", "exp({})", "log({})", "sqrt({})", "{} ^ 3", "atanh({})",
                  "asinh({})", "sinh({})", "-{}", "inv_pos({})", "log1p({})", "softplus({})", "relu({})",
                  "1 / ({})", "2 - {}", "0.5 * {}", "-3 * {}", "{} / -2", "c * {}", "({}) / c", "c / ({})")
QUASI_VALLEYS = ("square({})", "abs({})", "huber({}, M=0.5)", "{} ^ 4", "cosh({})", "log_cosh({})",
                 "entr({})", "-square({})", "{} ^ 0.5", "{} ^ -1", "inv_pos(square({}))")
QUASI_AFFINE = ("x", "y", "x + y", "x - 2 * y", "c * x + 1", "0.5 - y", "d", "x - d")
QUASI_JOINS = ("max({}, {})", "min({}, {})", "maximum({}, {}, 1)", "({}) / ({})", "({}) * ({})",
               "{} + {}", "{} - {}", "max(hstack({}, {}))")
QUASI_BOXES = ("{} >= 0", "{} > 0", "{} <= 0", "{} < 0", "0 <= {} <= 1", "-1 < {} < 1", "{} >= 1",
               "-2 <= {} <= -1")


def _quasi_piece(rng: random.Random, depth: int) -> str:
    piece = rng.choice(QUASI_AFFINE)
    for _ in range(rng.randint(1, max(1, depth - 1))):
        piece = rng.choice(QUASI_MONOTONE + QUASI_VALLEYS).format(piece)
    return piece


def _quasi(rng: random.Random, depth: int) -> Problem:
    expression = _quasi_piece(rng, depth)
    if rng.random() < 0.6:
        expression = rng.choice(QUASI_JOINS).format(expression, _quasi_piece(rng, depth))
    if rng.random() < 0.3:
        expression = rng.choice(QUASI_MONOTONE + QUASI_VALLEYS).format(expression)
    wrt = [v for v in VARIABLES if _mentions(expression, v)] or ["x"]
    assume = [rng.choice(QUASI_BOXES).format(n) for n in ("x", "y", "c", "d")
              if _mentions(expression, n) and rng.random() < 0.6]
    return Problem(expression, tuple(wrt), tuple(assume), attack="quasi")


ATTACKS = {"random": (6, _random_tree), "extreme constants": (1, _extreme_constants),
           "decimal literals": (1, _decimal_literals), "cancelling functions": (1, _cancelling),
           "far tails": (1, _far_tails), "atom constants": (1, _atom_constants),
           "tight parameters": (1, _tight_parameters), "boxes": (1, _boxes),
            "user atoms": (1, _user_atoms), "monomials": (1, _monomials), "matrices": (1, _matrices),
            "rewrites": (1, _rewrites), "perspectives": (1, _perspectives), "quasi": (1, _quasi)}


# ---- sets (SPEC section 10): random constraints and an exact referee -------------------
#
# Polynomial constraints in scalars, so that the referee can decide feasibility exactly
# in rationals (sharing nothing with dcp's rules or its interval check). The attack
# classes aim at the rotated cone's conditions: factors >= 0 on part of the box only,
# boundaries where a product vanishes (SPEC section 10's z*(b + x) <= x*b), constants of
# either sign and of extreme size.

SET_VARIABLES = ("x", "y", "z")
SET_BOXES = ("{} >= 0", "{} > 0", "0 <= {} <= 1", "-1 <= {} <= 1", "{} >= -1", "{} <= 0",
             "{} >= 1e-300", "0 <= {} <= 1e-9", "")
SET_CONSTANTS = ("0", "1", "0.5", "3", "-2", "1e-9", "0.1", "1e6", "-0.3")


def _set_affine(rng: random.Random) -> str:
    """A random affine expression of the set variables (sometimes a constant)."""
    terms = [rng.choice(("{v}", "2*{v}", "-{v}", "0.5*{v}", "({v} + {c})", "({v} - {c})")).format(
        v=rng.choice(SET_VARIABLES), c=rng.choice(SET_CONSTANTS)) for _ in range(rng.randint(1, 2))]
    return " + ".join(terms)


def _set_square(rng: random.Random) -> str:
    return rng.choice(("({})^2", "square({})", "sum_squares({})", "{}")).format(_set_affine(rng))


def _cone_like(rng: random.Random) -> str:
    """``s <= a*b`` or ``a*b >= s`` in the cone's spellings, with random sides."""
    terms = [_set_square(rng) if rng.random() < 0.7 else rng.choice(SET_CONSTANTS)
             for _ in range(rng.choice((1, 1, 2, 3)))]
    small = " + ".join(terms)
    big = f"({_set_affine(rng)})*({_set_affine(rng)})"
    return f"{small} <= {big}" if rng.random() < 0.5 else f"{big} >= {small}"


def _product_bound(rng: random.Random) -> str:
    """A product or a sum of products bounded by a constant or another product."""
    v = rng.sample(SET_VARIABLES, 3)
    shapes = ("{0}*{1} <= {c}", "{0}*{1} >= {c}", "{0}*({1} + {2}) <= {2}*{1}",
              "{0}*{1} + {0}*{2} - {2}*{1} <= 0", "{0}*{1} <= {1}*{2}", "{0}^2 >= {c}")
    return rng.choice(shapes).format(*v, c=rng.choice(SET_CONSTANTS))


def _convex_sides(rng: random.Random) -> str:
    """A convex quadratic against an affine side (certified by the level-set rules)."""
    left = " + ".join(_set_square(rng) for _ in range(rng.randint(1, 2)))
    return f"{left} <= {_set_affine(rng)}" if rng.random() < 0.5 else f"{_set_affine(rng)} >= {left}"


def _quasi_like(rng: random.Random) -> str:
    """A constraint aimed at the DQCP level set: a ratio of affine expressions, a product
    of affine factors (of either sign on the box), their max, against a constant."""
    a, b = _set_affine(rng), _set_affine(rng)
    shapes = ("({0})/({1}) <= {c}", "({0})/({1}) >= {c}", "({0})/({1}) == {c}", "({0})*({1}) <= {c}",
              "max(({0})*({1}), {0}) <= {c}", "min(({0})/({1}), {0}) >= {c}", "{c}/({0}) <= {d}")
    return rng.choice(shapes).format(a, b, c=rng.choice(SET_CONSTANTS), d=rng.choice(SET_CONSTANTS))


def random_set_case(rng: random.Random) -> Problem:
    """One or two random polynomial constraints (an intersection), with random boxes."""
    makers = (_cone_like, _product_bound, _convex_sides, _quasi_like)
    parts = [rng.choices(makers, (3, 2, 1, 2))[0](rng) for _ in range(rng.choice((1, 1, 2)))]
    text = ", ".join(parts)
    names = [v for v in SET_VARIABLES if _mentions(text, v)]
    assume = tuple(a for a in (rng.choice(SET_BOXES).format(v) for v in names) if a)
    return Problem(text, tuple(names), assume, attack="sets")


def _exact_environment(values: dict) -> dict:
    from fractions import Fraction
    return {"__builtins__": {}, "square": lambda t: t * t, "sum_squares": lambda t: t * t,
            "max": max, "min": min, "F": Fraction, **values}


def _exact_text(side: str) -> str:
    """A polynomial constraint's side as Python over Fractions: literals exact, ``^`` a power."""
    return re.sub(r"(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)", r"F('\1')", side).replace("^", "**")


def _constraints(text: str) -> list[str]:
    """The constraints of ``text``: split at the commas outside brackets."""
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        depth += (char in "([") - (char in ")]")
        if char == "," and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    return parts + [text[start:]]


def exact_feasible(text: str, values: dict) -> bool:
    """Whether every constraint of ``text`` holds at the rational ``values`` (exact); where
    a side is undefined (a division by 0) it does not."""
    environment = _exact_environment(values)
    for constraint in _constraints(text):
        left, op, right = re.split(r"(<=|>=|==)", constraint)
        try:
            lhs, rhs = (eval(_exact_text(side), environment) for side in (left, right))  # noqa: S307
        except ZeroDivisionError:
            return False
        if not {"<=": lhs <= rhs, ">=": lhs >= rhs, "==": lhs == rhs}[op]:
            return False
    return True


def _in_box(problem: Problem, values: dict) -> bool:
    from .assumptions import bounds_from, parse_assumption_list
    bounds = bounds_from(parse_assumption_list(list(problem.assume)))
    return all(bounds.get(name) is None or float(value) in bounds[name] and
               value >= _end(bounds[name].lo) and value <= _end(bounds[name].hi)
               for name, value in values.items())


def _end(end):
    from fractions import Fraction
    return end if not isinstance(end, float) or math.isinf(end) else Fraction(end)


def judge_set(problem: Problem, result, rng: random.Random, pairs: int = 300) -> list[str]:
    """The referee's findings on dcp's ``result`` for the constraint ``problem``: a set
    witness that does not hold exactly, or (for a certified set) a pair of feasible box
    points whose rational mix is infeasible, found by its own search."""
    from fractions import Fraction
    findings = []
    witness = result.witness
    if witness is not None:
        points = [{n: Fraction(float(v[0] if isinstance(v, list) else v)) for n, v in p.items()}
                  for p in (witness.a, witness.b)]
        theta = Fraction(witness.theta)
        mix = {n: theta * points[0][n] + (1 - theta) * points[1][n] for n in points[0]}
        if not (all(_in_box(problem, p) and exact_feasible(problem.expression, p) for p in points)
                and not exact_feasible(problem.expression, mix)):
            findings.append(f"bogus set witness: {witness}")
    if result.verdict == "convex":
        for _ in range(pairs):
            a, b = ({n: _draw(rng) for n in problem.wrt} for _ in range(2))
            if not all(_in_box(problem, p) and exact_feasible(problem.expression, p) for p in (a, b)):
                continue
            theta = Fraction(rng.randint(1, 99), 100)
            mix = {n: theta * a[n] + (1 - theta) * b[n] for n in a}
            if not exact_feasible(problem.expression, mix):
                findings.append(f"certified, but {a} and {b} are feasible and their mix at "
                                f"{theta} is not")
                break
    return findings


def _draw(rng: random.Random):
    from fractions import Fraction
    special = (0, 1, -1, Fraction(1, 2), 1000, Fraction(1, 10**9), 2, -2)
    if rng.random() < 0.4:
        return Fraction(rng.choice(special))
    return Fraction(rng.randint(-4000, 4000), rng.choice((1, 10, 100, 1000)))
