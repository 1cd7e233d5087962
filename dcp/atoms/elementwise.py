"""Elementwise functions of one argument: activations and the classic scalar atoms.

Each class is the whole truth about one atom; the intervals say where each fact holds.
"""
from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from ..errors import ArgumentError
from ..facts import NONNEG, NONPOS, REALS, Interval
from ..facts.balls import arb_power, monotone, to_arb
from ..facts.interval import round_down
from ..syntax.ast import format_constant
from .base import Keywords, Ranges, ScalarAtom, lookup, safe


def _split(x, cut, left, right):
    """On the ball ``x``, f(t) = left(t) for t <= cut and right(t) for t >= cut: the
    union of the pieces' values on the parts of the ball they hold (Arb comparisons are
    True only for the whole ball, so a ball across ``cut`` takes both)."""
    if x >= cut:
        return right(x)
    if x <= cut:
        return left(x)
    below = to_arb(x.lower()).union(to_arb(cut))
    above = to_arb(cut).union(to_arb(x.upper()))
    return left(below).union(right(above))


def _arb_sigmoid(x):
    """1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x <= 0: no huge exponentials."""
    return _split(x, 0, lambda t: t.exp() / (1 + t.exp()), lambda t: 1 / (1 + (-t).exp()))


class Relu(ScalarAtom):
    """relu(x) = max(x, 0): convex, nondecreasing."""

    name = "relu"
    aliases = ("pos",)
    formula = "Max(x, 0)"
    image = "[0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    exact = True
    strict = False
    value = staticmethod(lambda x: max(x, 0.0))

    @staticmethod
    def enclose(x, kw):
        return x.max(0)


class Abs(ScalarAtom):
    """abs(x) = |x|: convex; nonincreasing for x <= 0, nondecreasing for x >= 0."""

    name = "abs"
    formula = "Abs(x)"
    image = "[0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("[0, inf)",)
    decreasing_on = ("(-inf, 0]",)
    exact = True
    value = staticmethod(abs)

    @staticmethod
    def enclose(x, kw):
        return abs(x)


class Cosh(ScalarAtom):
    """cosh(x) = (e^x + e^-x) / 2: convex, at least 1.

    Nonincreasing for x <= 0, nondecreasing for x >= 0.
    """

    name = "cosh"
    formula = "cosh(x)"
    image = "[1, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("[0, inf)",)
    decreasing_on = ("(-inf, 0]",)
    value = staticmethod(safe(math.cosh))

    @staticmethod
    def enclose(x, kw):
        return x.cosh()


def _log_cosh(x: float) -> float:
    """log(cosh(x)) = |x| + log1p(e^(-2|x|)) - log 2, with no overflow for large |x|."""
    t = abs(x)
    return t if math.isinf(t) else t + math.log1p(math.exp(-2.0 * t)) - math.log(2.0)


class LogCosh(ScalarAtom):
    """log_cosh(x) = log(cosh(x)): convex, nonnegative; a smooth |x|.

    Nonincreasing for x <= 0, nondecreasing for x >= 0; zero at 0, and |x| - log 2 far out.
    """

    name = "log_cosh"
    formula = "log(cosh(x))"
    image = "[0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("[0, inf)",)
    decreasing_on = ("(-inf, 0]",)
    zeros = (0.0,)
    value = staticmethod(_log_cosh)

    @staticmethod
    def enclose(x, kw):
        """|x| + log1p(e^(-2|x|)) - log 2: no huge exponentials."""
        t = abs(x)
        return t + (-2 * t).exp().log1p() - to_arb(2).log()


class Square(ScalarAtom):
    """square(x) = x^2: convex; nonincreasing for x <= 0, nondecreasing for x >= 0."""

    name = "square"
    formula = "x**2"
    image = "[0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("[0, inf)",)
    decreasing_on = ("(-inf, 0]",)
    zeros = (0.0,)

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return args[0].square()

    value = staticmethod(safe(lambda x: x * x))

    @staticmethod
    def enclose(x, kw):
        return arb_power(x, 2)


class Exp(ScalarAtom):
    """exp(x) = e^x: convex, increasing, positive."""

    name = "exp"
    formula = "exp(x)"
    image = "(0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("(-inf, inf)",)
    value = staticmethod(safe(math.exp))

    @staticmethod
    def enclose(x, kw):
        return x.exp()


class Log(ScalarAtom):
    """log(x), the natural logarithm: concave, increasing, defined for x > 0."""

    name = "log"
    formula = "log(x)"
    domain_text = "(0, inf)"
    concave_on = ("(0, inf)",)
    increasing_on = ("(0, inf)",)
    zeros = (1.0,)
    value = staticmethod(lambda x: math.log(x) if x > 0 else -math.inf)

    @staticmethod
    def enclose(x, kw):
        return x.log() if x > 0 else x.nan()


class Log1p(ScalarAtom):
    """log1p(x) = log(1 + x): concave, increasing, defined for x > -1."""

    name = "log1p"
    formula = "log(1 + x)"
    domain_text = "(-1, inf)"
    concave_on = ("(-1, inf)",)
    increasing_on = ("(-1, inf)",)
    zeros = (0.0,)
    value = staticmethod(lambda x: math.log1p(x) if x > -1 else -math.inf)

    @staticmethod
    def enclose(x, kw):
        return x.log1p() if x > -1 else x.nan()


class Sqrt(ScalarAtom):
    """sqrt(x): concave, nondecreasing, defined for x >= 0."""

    name = "sqrt"
    formula = "sqrt(x)"
    domain_text = "[0, inf)"
    image = "[0, inf)"
    concave_on = ("[0, inf)",)
    increasing_on = ("[0, inf)",)
    zeros = (0.0,)
    value = staticmethod(math.sqrt)

    @staticmethod
    def enclose(x, kw):
        return monotone(lambda t: t.sqrt(), x) if x >= 0 else x.nan()


class InvPos(ScalarAtom):
    """inv_pos(x) = 1/x for x > 0: convex, decreasing, positive."""

    name = "inv_pos"
    formula = "1/x"
    domain_text = "(0, inf)"
    image = "(0, inf)"
    convex_on = ("(0, inf)",)
    decreasing_on = ("(0, inf)",)
    value = staticmethod(lambda x: 1.0 / x if x != 0 else math.inf)

    @staticmethod
    def enclose(x, kw):
        return 1 / x if x > 0 else x.nan()


def _softplus(x: float) -> float:
    return x + math.log1p(math.exp(-x)) if x > 0 else math.log1p(math.exp(x))


class Softplus(ScalarAtom):
    """softplus(x) = log(1 + e^x): convex, increasing, positive."""

    name = "softplus"
    aliases = ("logistic",)
    formula = "log(1 + exp(x))"
    image = "(0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("(-inf, inf)",)
    value = staticmethod(lambda x: x if math.isinf(x) and x > 0 else _softplus(x))

    @staticmethod
    def enclose(x, kw):
        """log1p(e^x) for x <= 0, and x + log1p(e^-x) for x >= 0 (no overflow)."""
        return _split(x, 0, lambda t: t.exp().log1p(), lambda t: t + (-t).exp().log1p())


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class Sigmoid(ScalarAtom):
    """sigmoid(x) = 1 / (1 + e^-x): convex for x <= 0, concave for x >= 0, increasing.

    It is neither convex nor concave on all of R: that is why a sigmoid unit is not.
    """

    name = "sigmoid"
    formula = "1/(1 + exp(-x))"
    image = "(0, 1)"
    convex_on = ("(-inf, 0]",)
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    value = staticmethod(_sigmoid)

    @staticmethod
    def enclose(x, kw):
        return _arb_sigmoid(x)


class Tanh(ScalarAtom):
    """tanh(x): convex for x <= 0, concave for x >= 0, increasing, in (-1, 1)."""

    name = "tanh"
    formula = "tanh(x)"
    image = "(-1, 1)"
    convex_on = ("(-inf, 0]",)
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    value = staticmethod(math.tanh)

    @staticmethod
    def enclose(x, kw):
        return x.tanh()


class Erf(ScalarAtom):
    """erf(x), the error function: convex for x <= 0, concave for x >= 0, increasing, in (-1, 1).

    erf(x) = 2/sqrt(pi) times the integral of e^(-t^2) from 0 to x (ONNX Erf); f'(x) =
    2 e^(-x^2) / sqrt(pi) > 0 and f''(x) = -2x f'(x), whose sign is that of -x.
    """

    name = "erf"
    formula = "erf(x)"
    image = "(-1, 1)"
    convex_on = ("(-inf, 0]",)
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    value = staticmethod(math.erf)

    @staticmethod
    def enclose(x, kw):
        return monotone(lambda t: t.erf(), x)


class Sinh(ScalarAtom):
    """sinh(x) = (e^x - e^-x) / 2: concave for x <= 0, convex for x >= 0, increasing."""

    name = "sinh"
    formula = "sinh(x)"
    concave_on = ("(-inf, 0]",)
    convex_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    value = staticmethod(safe(math.sinh))

    @staticmethod
    def enclose(x, kw):
        return x.sinh()


class Asinh(ScalarAtom):
    """asinh(x), the inverse of sinh: convex for x <= 0, concave for x >= 0, increasing."""

    name = "asinh"
    formula = "asinh(x)"
    convex_on = ("(-inf, 0]",)
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    value = staticmethod(math.asinh)

    @staticmethod
    def enclose(x, kw):
        return x.asinh()


def _atanh(x: float) -> float:
    """atanh(x), its limit at the ends of (-1, 1) (+-inf), NaN outside."""
    if -1 < x < 1:
        return math.atanh(x)
    return math.copysign(math.inf, x) if abs(x) == 1 else math.nan


class Atanh(ScalarAtom):
    """atanh(x), the inverse of tanh: concave for -1 < x <= 0, convex for 0 <= x < 1, increasing."""

    name = "atanh"
    formula = "atanh(x)"
    domain_text = "(-1, 1)"
    concave_on = ("(-1, 0]",)
    convex_on = ("[0, 1)",)
    increasing_on = ("(-1, 1)",)
    zeros = (0.0,)
    value = staticmethod(_atanh)

    @staticmethod
    def enclose(x, kw):
        return x.atanh() if -1 < x < 1 else x.nan()


class Softsign(ScalarAtom):
    """softsign(x) = x / (1 + |x|): convex for x <= 0, concave for x >= 0, increasing."""

    name = "softsign"
    formula = "x/(1 + Abs(x))"
    image = "(-1, 1)"
    convex_on = ("(-inf, 0]",)
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    value = staticmethod(lambda x: math.copysign(1.0, x) if math.isinf(x) else x / (1 + abs(x)))

    @staticmethod
    def enclose(x, kw):
        # Increasing: the ends' values (x / (1 + |x|) of one ball would not cancel the
        # shared error of numerator and denominator).
        return monotone(lambda t: t / (1 + abs(t)), x)


class LeakyRelu(ScalarAtom):
    """leaky_relu(x, alpha=0.01) = x for x >= 0, alpha*x below: convex for alpha <= 1.

    It is max(x, alpha*x) for alpha <= 1 (convex) and min(x, alpha*x) above (concave);
    nondecreasing when alpha >= 0.
    """

    name = "leaky_relu"
    formula = "Piecewise((x, x >= 0), (alpha*x, True))"
    keywords = {"alpha": Fraction(1, 100)}      # the decimal 0.01, as alpha=0.01 folds

    @staticmethod
    def value(x: float, alpha: float | Fraction = Fraction(1, 100)) -> float:
        return x if x >= 0 else float(alpha) * x

    @staticmethod
    def enclose(x, kw):
        alpha = to_arb(kw["alpha"])
        return _split(x, 0, lambda t: alpha * t, lambda t: t)

    def pieces(self, kw: Keywords) -> dict:
        alpha = kw["alpha"]
        everywhere = (REALS,)
        up, down = (NONNEG,), (NONPOS,)
        return {
            "domain": everywhere,
            "image": everywhere,
            "convex_on": everywhere if alpha <= 1 else up + down,
            "concave_on": everywhere if alpha >= 1 else up + down,
            "increasing_on": everywhere if alpha >= 0 else up,
            "decreasing_on": () if alpha >= 0 else down,
            "strict": alpha != 0,               # constant 0 on x <= 0 when alpha = 0
        }

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # Exact interval arithmetic: the negative part is alpha times (region ∩ (-inf, 0]).
        region, alpha = args[0], kw["alpha"]
        parts = []
        positive = region.intersect(NONNEG)
        negative = region.intersect(NONPOS)
        if positive is not None:
            parts.append(positive)
        if negative is not None:
            parts.append(Interval(alpha, alpha) * negative)
        return Interval.hull(parts)


class Neg(ScalarAtom):
    """-x: affine, decreasing."""

    name = "neg"
    operator = "neg"
    formula = "-x"
    convex_on = ("(-inf, inf)",)
    concave_on = ("(-inf, inf)",)
    decreasing_on = ("(-inf, inf)",)

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        return -args[0]

    def evaluate(self, ops, args, kw, node):
        return -args[0]

    @staticmethod
    def enclose(x, kw):
        return -x


def _power_facts(p: float | Fraction) -> dict[str, tuple[str, ...] | str]:
    """The facts of x^p by cases of the exact p (SPEC section 5)."""
    everywhere, nonneg, nonpos, pos = "(-inf, inf)", "[0, inf)", "(-inf, 0]", "(0, inf)"
    if p == 0:
        return dict(domain=everywhere, image="[1, 1]", convex_on=(everywhere,),
                    concave_on=(everywhere,), increasing_on=(everywhere,), decreasing_on=(everywhere,))
    if p == 1:
        return dict(domain=everywhere, image=everywhere, convex_on=(everywhere,),
                    concave_on=(everywhere,), increasing_on=(everywhere,), decreasing_on=())
    integer = p == math.floor(p)
    if integer and p > 0 and int(p) % 2 == 0:
        return dict(domain=everywhere, image=nonneg, convex_on=(everywhere,), concave_on=(),
                    increasing_on=(nonneg,), decreasing_on=(nonpos,))
    if integer and p > 0:
        return dict(domain=everywhere, image=everywhere, convex_on=(nonneg,), concave_on=(nonpos,),
                    increasing_on=(everywhere,), decreasing_on=())
    if p > 1:
        return dict(domain=nonneg, image=nonneg, convex_on=(nonneg,), concave_on=(),
                    increasing_on=(nonneg,), decreasing_on=())
    if p > 0:
        return dict(domain=nonneg, image=nonneg, convex_on=(), concave_on=(nonneg,),
                    increasing_on=(nonneg,), decreasing_on=())
    # Negative powers are taken on x > 0, where they are convex and decreasing.
    return dict(domain=pos, image=pos, convex_on=(pos,), concave_on=(),
                increasing_on=(), decreasing_on=(pos,))


class Power(ScalarAtom):
    """x ^ p, power(x, p) for a numeric constant p: facts by cases of p.

    p even: convex. p odd >= 3: convex for x >= 0, concave for x <= 0. p > 1: convex on
    x >= 0. 0 < p < 1: concave on x >= 0. p < 0: convex and decreasing on x > 0.
    """

    name = "power"
    formula = "x**p"
    keywords = {"p": None}
    positional_keywords = ("p",)

    def validate(self, kw: Keywords) -> None:
        if kw.get("p") is None:
            raise ArgumentError("power needs an exponent: power(x, 2) or x ^ 2")

    @staticmethod
    def value(x: float, p: float | Fraction) -> float:
        """x^p in floats, with the sign the exact p gives a negative x (the float of a
        huge odd p is even); the limit +inf at x = 0 for p < 0, NaN off the domain."""
        integer = p == math.floor(p)
        if x == 0 and p < 0:
            return math.inf
        if x < 0 and not integer:
            return math.nan
        try:
            y = abs(x) ** float(p)
        except OverflowError:
            y = math.inf
        return -y if x < 0 and integer and int(p) % 2 == 1 else y

    def pieces(self, kw: Keywords) -> dict:
        facts = _power_facts(kw["p"])
        return {key: tuple(Interval.parse(t) for t in ((v,) if isinstance(v, str) else v))
                for key, v in (("domain", facts["domain"]), ("image", facts["image"]),
                               ("convex_on", facts["convex_on"]), ("concave_on", facts["concave_on"]),
                               ("increasing_on", facts["increasing_on"]),
                               ("decreasing_on", facts["decreasing_on"]))} | {
            "strict": kw["p"] != 0}         # x^0 = 1

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        p = kw["p"]
        if p == 2:
            return args[0].square()
        if p == 1:
            return args[0]
        return super().range(args, kw)

    def _bound(self, x: float, kw: Keywords, down: bool) -> float:
        if x == 0 and kw["p"] > 0:
            return 0.0
        return super()._bound(x, kw, down)

    @staticmethod
    def enclose(x, kw):
        return arb_power(x, kw["p"])

    def describe(self, args: Ranges, kw: Keywords) -> str:
        return super().describe(args, kw).replace("power:", f"power(p={format_constant(kw['p'])}):", 1)


class Elu(ScalarAtom):
    """elu(x, alpha=1) = x for x >= 0, alpha*(e^x - 1) below: convex for 0 <= alpha <= 1.

    Otherwise convex (alpha >= 0) on x <= 0 and affine on x >= 0.
    """

    name = "elu"
    formula = "Piecewise((x, x >= 0), (alpha*(exp(x) - 1), True))"
    keywords = {"alpha": 1.0}
    zeros = (0.0,)

    @staticmethod
    def value(x: float, alpha: float | Fraction = 1.0) -> float | Fraction:
        # The limit at -inf is -alpha exactly (a range end); elsewhere a float.
        if x == -math.inf:
            return -alpha
        return x if x >= 0 else float(alpha) * math.expm1(x)

    @staticmethod
    def enclose(x, kw):
        alpha = to_arb(kw["alpha"])
        return _split(x, 0, lambda t: alpha * t.expm1(), lambda t: t)

    def pieces(self, kw: Keywords) -> dict:
        return _elu_pieces(kw["alpha"])


def _elu_pieces(alpha: float) -> dict:
    everywhere, up, down = REALS, NONNEG, NONPOS
    convex, concave = [up], [up]
    if alpha >= 0:
        convex.append(down)
    if alpha <= 0:
        concave.append(down)
    if 0 <= alpha <= 1:
        convex.append(everywhere)
    image = Interval(-alpha, math.inf, lo_open=True) if alpha > 0 else (
        Interval(-math.inf, math.inf) if alpha < 0 else Interval(0, math.inf))
    return {"domain": (everywhere,), "image": (image,), "convex_on": tuple(convex),
            "concave_on": tuple(concave),
            "increasing_on": (everywhere,) if alpha >= 0 else (up,),
            "decreasing_on": () if alpha >= 0 else (down,),
            "strict": alpha != 0}           # constant 0 on x <= 0 when alpha = 0


class Celu(ScalarAtom):
    """celu(x, alpha=1) = x for x >= 0, alpha*(e^(x/alpha) - 1) below: convex, increasing.

    For every alpha > 0 (ONNX Celu, PyTorch CELU: max(0, x) + min(0, alpha*(e^(x/alpha) -
    1))). The slope e^(x/alpha) rises to 1 as x rises to 0, where the identity takes over
    with slope 1: the slope never drops, so it is convex on all of R (f'' = e^(x/alpha) /
    alpha > 0 below 0), and affine for x >= 0. Its values lie in (-alpha, inf).
    """

    name = "celu"
    formula = "Piecewise((x, x >= 0), (alpha*(exp(x/alpha) - 1), True))"
    keywords = {"alpha": 1.0}
    zeros = (0.0,)

    def validate(self, kw: Keywords) -> None:
        if not 0 < kw["alpha"] < math.inf:
            raise ArgumentError(f"celu needs a finite alpha > 0, got alpha={format_constant(kw['alpha'])}")

    @staticmethod
    def value(x: float, alpha: float | Fraction = 1.0) -> float | Fraction:
        # The limit at -inf is -alpha exactly (a range end); elsewhere a float.
        if x == -math.inf:
            return -alpha
        return x if x >= 0 else float(alpha) * math.expm1(x / float(alpha))

    @staticmethod
    def enclose(x, kw):
        alpha = to_arb(kw["alpha"])
        return _split(x, 0, lambda t: alpha * (t / alpha).expm1(), lambda t: t)

    def pieces(self, kw: Keywords) -> dict:
        return {"domain": (REALS,), "image": (Interval(-kw["alpha"], math.inf, lo_open=True),),
                "convex_on": (REALS,), "concave_on": (NONNEG,), "increasing_on": (REALS,),
                "decreasing_on": (), "strict": True}


class Hardtanh(ScalarAtom):
    """hardtanh(x, min_val=-1, max_val=1) = clip(x, min_val, max_val): convex for x <= max_val.

    Convex for x <= max_val, where it is max(x, min_val); concave for x >= min_val, where it
    is min(x, max_val); nondecreasing. PyTorch's Hardtanh, and ONNX's Clip with both bounds;
    the bounds are finite, min_val < max_val.
    """

    name = "hardtanh"
    formula = "Min(Max(x, min_val), max_val)"
    keywords = {"min_val": -1.0, "max_val": 1.0}
    exact = True
    strict = False

    def validate(self, kw: Keywords) -> None:
        low, high = kw["min_val"], kw["max_val"]
        if not -math.inf < low < high < math.inf:
            raise ArgumentError(f"hardtanh needs finite min_val < max_val, got "
                                f"min_val={format_constant(low)}, max_val={format_constant(high)}")

    @staticmethod
    def value(x: float, min_val: float | Fraction = -1.0, max_val: float | Fraction = 1.0
              ) -> float | Fraction:
        # Exact: the ends of a range are x itself or a bound (a Fraction when min_val=0.1).
        return min(max(x, min_val), max_val)

    @staticmethod
    def enclose(x, kw):
        return x.max(to_arb(kw["min_val"])).min(to_arb(kw["max_val"]))

    def pieces(self, kw: Keywords) -> dict:
        low, high = kw["min_val"], kw["max_val"]
        return {"domain": (REALS,), "image": (Interval(low, high),),
                "convex_on": (Interval(-math.inf, high),), "concave_on": (Interval(low, math.inf),),
                "increasing_on": (REALS,), "decreasing_on": (), "strict": False}


class Relu6(ScalarAtom):
    """relu6(x) = min(max(x, 0), 6): convex for x <= 6, concave for x >= 0, nondecreasing."""

    name = "relu6"
    formula = "Min(Max(x, 0), 6)"
    image = "[0, 6]"
    convex_on = ("(-inf, 6]",)
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    exact = True
    strict = False
    value = staticmethod(lambda x: min(max(x, 0.0), 6.0))

    @staticmethod
    def enclose(x, kw):
        return x.max(0).min(6)


class HardSigmoid(ScalarAtom):
    """hard_sigmoid(x, alpha=0.2, beta=0.5) = max(0, min(1, alpha*x + beta)): nondecreasing, in [0, 1].

    ONNX HardSigmoid's defaults (PyTorch's Hardsigmoid is alpha=1/6, beta=1/2); alpha > 0
    and beta finite. It is hardtanh(alpha*x + beta, min_val=0, max_val=1): convex where
    alpha*x + beta <= 1, that is for x <= (1 - beta)/alpha, and concave where alpha*x +
    beta >= 0, for x >= -beta/alpha (the knees are kept exact).
    """

    name = "hard_sigmoid"
    formula = "Max(0, Min(1, alpha*x + beta))"
    keywords = {"alpha": Fraction(1, 5), "beta": 0.5}     # the decimal 0.2, as alpha=0.2 folds
    strict = False

    def validate(self, kw: Keywords) -> None:
        alpha, beta = kw["alpha"], kw["beta"]
        if not (0 < alpha < math.inf and -math.inf < beta < math.inf):
            raise ArgumentError(f"hard_sigmoid needs a finite alpha > 0 and a finite beta, got "
                                f"alpha={format_constant(alpha)}, beta={format_constant(beta)}")

    @staticmethod
    def value(x: float, alpha: float | Fraction = Fraction(1, 5), beta: float | Fraction = 0.5) -> float:
        return max(0.0, min(1.0, float(alpha) * x + float(beta)))

    @staticmethod
    def enclose(x, kw):
        return (to_arb(kw["alpha"]) * x + to_arb(kw["beta"])).max(0).min(1)

    def pieces(self, kw: Keywords) -> dict:
        alpha, beta = Fraction(kw["alpha"]), Fraction(kw["beta"])
        return {"domain": (REALS,), "image": (Interval(0, 1),),
                "convex_on": (Interval(-math.inf, (1 - beta) / alpha),),
                "concave_on": (Interval(-beta / alpha, math.inf),),
                "increasing_on": (REALS,), "decreasing_on": (), "strict": False}

    def range(self, args: Ranges, kw: Keywords) -> Interval:
        # alpha*x + beta in exact interval arithmetic, then clipped as hardtanh clips:
        # alpha*x + beta in floats is not exact, so its values could not end a range.
        line = Interval(kw["alpha"], kw["alpha"]) * args[0] + Interval(kw["beta"], kw["beta"])
        return lookup("hardtanh", 1).range([line], {"min_val": 0.0, "max_val": 1.0})


class Entr(ScalarAtom):
    """entr(x) = -x log x (0 at x = 0): concave, defined for x >= 0.

    Increasing up to 1/e and decreasing after (both ends rounded inward).
    """

    name = "entr"
    formula = "-x*log(x)"
    domain_text = "[0, inf)"
    image = "(-inf, 0.36787944117144245]"      # 1/e rounded up
    concave_on = ("[0, inf)",)
    increasing_on = ("[0, 0.3678794411714423]",)   # 1/e rounded down
    decreasing_on = ("[0.3678794411714424, inf)",)  # 1/e rounded up
    zeros = (0.0, 1.0)
    turning = ("[0.3678794411714423, 0.3678794411714424]", "max")
    value = staticmethod(lambda x: 0.0 if x == 0 else (-math.inf if math.isinf(x) else -x * math.log(x)))

    @staticmethod
    def enclose(x, kw):
        # At 0 the value is the limit 0; a ball holding 0 and more is not evaluated.
        if x.is_exact() and x.is_zero():
            return x
        return -x * x.log() if x > 0 else x.nan()


class Huber(ScalarAtom):
    """huber(x, M=1) = x^2 for |x| <= M, 2M|x| - M^2 beyond: convex, like abs."""

    name = "huber"
    formula = "Piecewise((x**2, Abs(x) <= M), (2*M*Abs(x) - M**2, True))"
    keywords = {"M": 1.0}
    image = "[0, inf)"
    convex_on = ("(-inf, inf)",)
    increasing_on = ("[0, inf)",)
    decreasing_on = ("(-inf, 0]",)
    zeros = (0.0,)

    def validate(self, kw: Keywords) -> None:
        if not kw["M"] > 0:
            raise ArgumentError(f"huber needs M > 0, got M={format_constant(kw['M'])}")

    @staticmethod
    def value(x: float, M: float | Fraction = 1.0) -> float:
        if math.isinf(x):
            return math.inf
        M = float(M)
        return x * x if abs(x) <= M else 2 * M * abs(x) - M * M

    @staticmethod
    def enclose(x, kw):
        m = to_arb(kw["M"])
        return _split(abs(x), m, lambda t: arb_power(t, 2), lambda t: 2 * m * t - m * m)


def _gelu(x: float) -> float:
    return x * 0.5 * math.erfc(-x / math.sqrt(2)) if math.isfinite(x) else (x if x > 0 else 0.0)


class Gelu(ScalarAtom):
    """gelu(x) = x * Phi(x), Phi the standard normal CDF: convex on [-sqrt(2), sqrt(2)].

    Concave on (-inf, -sqrt(2)] and on [sqrt(2), inf); nondecreasing right of its minimum
    at x = -0.75179..., where it is -0.16997...

    f''(x) = phi(x) (2 - x^2), so the intervals are exact; ends rounded inward.
    """

    name = "gelu"
    formula = "x*(1 + erf(x/sqrt(2)))/2"
    image = "[-0.16997120747990369, inf)"
    convex_on = ("[-1.414213562373095, 1.414213562373095]",)
    concave_on = ("(-inf, -1.4142135623730951]", "[1.4142135623730951, inf)")
    increasing_on = ("[-0.7517915246935644, inf)",)
    decreasing_on = ("(-inf, -0.7517915246935645]",)
    turning = ("[-0.7517915246935645, -0.7517915246935644]", "min")
    zeros = (0.0,)
    value = staticmethod(_gelu)

    @staticmethod
    def enclose(x, kw):
        """x * erfc(-x / sqrt(2)) / 2; erfc (monotone) from the ends of its argument's
        ball, which stays accurate far left, where 1 + erf(x / sqrt(2)) cancels."""
        return x * monotone(lambda t: t.erfc(), -x / to_arb(2).sqrt()) / 2


#: gelu_tanh's constants: sqrt(2/pi), and 0.044715 (ONNX's and PyTorch's, as a decimal).
GELU_TANH_KAPPA = Fraction(44715, 10 ** 6)
_ROOT_TWO_OVER_PI = math.sqrt(2 / math.pi)


def _gelu_tanh(x: float) -> float:
    """x * sigmoid(2u), u = sqrt(2/pi) (x + 0.044715 x^3): (1 + tanh u)/2 is sigmoid(2u),
    which does not cancel where tanh u is near -1 (x*x*x overflows to inf, not an error)."""
    if not math.isfinite(x):
        return x if x > 0 else 0.0
    return x * _sigmoid(2 * _ROOT_TWO_OVER_PI * (x + float(GELU_TANH_KAPPA) * (x * x * x)))


class GeluTanh(ScalarAtom):
    """gelu_tanh(x) = x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) / 2: convex on [-1.4185, 1.4185].

    GELU's tanh approximation (ONNX Gelu approximate="tanh", PyTorch GELU(approximate=
    "tanh")). The ends are -r and r, r = 1.41850... the positive root of f'' (rounded
    inward); concave on (-inf, -r] and on [r, inf); nondecreasing right of its minimum at
    x = -0.75246..., where it is -0.17004...

    With c = sqrt(2/pi), k = 0.044715 and u = c (x + k x^3), f''(x) = sech(u)^2 (c (1 +
    6k x^2) - x u'^2 tanh u), u' = c (1 + 3k x^2): even, and for x > 0 its sign is that of
    (1 + 6k x^2) / (x (1 + 3k x^2)^2) - c tanh u, decreasing minus increasing, so f''
    changes sign only at -r and r.
    """

    name = "gelu_tanh"
    formula = "x*(1 + tanh(sqrt(2/pi)*(x + 44715*x**3/1000000)))/2"
    image = "[-0.17004075057125406, inf)"
    convex_on = ("[-1.4185040087908283, 1.4185040087908283]",)
    concave_on = ("(-inf, -1.4185040087908285]", "[1.4185040087908285, inf)")
    increasing_on = ("[-0.7524614220710162, inf)",)
    decreasing_on = ("(-inf, -0.7524614220710163]",)
    turning = ("[-0.7524614220710163, -0.7524614220710162]", "min")
    zeros = (0.0,)
    value = staticmethod(_gelu_tanh)

    @staticmethod
    def enclose(x, kw):
        from flint import arb
        u = (2 / arb.pi()).sqrt() * (x + to_arb(GELU_TANH_KAPPA) * arb_power(x, 3))
        return x * _arb_sigmoid(2 * u)


def _silu(x: float) -> float:
    if not math.isfinite(x):
        return x if x > 0 else 0.0
    return x * _sigmoid(x)


class Silu(ScalarAtom):
    """silu(x) = swish(x) = x * sigmoid(x): convex on [-r, r], concave outside it.

    Here r = 2.39935... is the positive root of f'' (ends rounded inward); concave on
    (-inf, -r] and on [r, inf); nondecreasing right of its minimum at x = -1.27846...,
    where it is -0.27846...

    f''(x) = s (1 - s) (2 - x tanh(x/2)) with s = sigmoid(x), and x tanh(x/2) is even and
    increasing in |x|, so f'' changes sign only at -r and r.
    """

    name = "silu"
    aliases = ("swish",)
    formula = "x/(1 + exp(-x))"
    image = "[-0.2784645427610738, inf)"
    convex_on = ("[-2.399357280515467, 2.399357280515467]",)
    concave_on = ("(-inf, -2.399357280515468]", "[2.399357280515468, inf)")
    increasing_on = ("[-1.2784645427610737, inf)",)
    decreasing_on = ("(-inf, -1.278464542761074]",)
    turning = ("[-1.278464542761074, -1.2784645427610737]", "min")
    zeros = (0.0,)
    value = staticmethod(_silu)

    @staticmethod
    def enclose(x, kw):
        return x * _arb_sigmoid(x)


SELU_ALPHA = 1.6732632423543772
SELU_SCALE = 1.0507009873554805
#: The limit at -inf, the exact -scale*alpha rounded down to a float.
SELU_FLOOR = round_down(-Fraction(SELU_SCALE) * Fraction(SELU_ALPHA))


class Selu(ScalarAtom):
    """selu(x) = scale * elu(x, alpha), alpha = 1.67326..., scale = 1.05070...: increasing.

    Convex for x <= 0, affine for x >= 0; not convex across 0 (the slope drops from
    alpha*scale to scale).
    """

    name = "selu"
    # The constants written as the exact decimals of the floats: formula, floats and
    # balls agree on one function.
    formula = (f"Piecewise(({Decimal(SELU_SCALE)}*x, x >= 0), "
               f"({Decimal(SELU_SCALE)}*{Decimal(SELU_ALPHA)}*(exp(x) - 1), True))")
    image = f"[{SELU_FLOOR!r}, inf)"
    convex_on = ("(-inf, 0]", "[0, inf)")
    concave_on = ("[0, inf)",)
    increasing_on = ("(-inf, inf)",)
    zeros = (0.0,)
    value = staticmethod(lambda x: SELU_SCALE * x if x >= 0 else (
        SELU_FLOOR if x == -math.inf else SELU_SCALE * SELU_ALPHA * math.expm1(x)))

    @staticmethod
    def enclose(x, kw):
        scale, alpha = to_arb(SELU_SCALE), to_arb(SELU_ALPHA)
        return _split(x, 0, lambda t: scale * alpha * t.expm1(), lambda t: scale * t)
