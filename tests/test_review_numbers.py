"""Review fixes for issue 12: one meaning per number (literals, floats, balls, bounds)."""
from __future__ import annotations

import math
from fractions import Fraction

from dcp.check.search import Box
from dcp.facts import Interval
from dcp.syntax.ast import Number


def test_a_number_built_from_a_float_means_that_float():
    # analysis.expand builds keyword values as Number(float(value)): M=0.1 is the float.
    assert Number(0.1).exact == 0.1 and Number(0.1).exact != Fraction(1, 10)
    assert Number(0.1, "0.1").exact == Fraction(1, 10)
    assert Number(math.inf).exact is None


def test_a_box_holds_the_floats_of_its_bound_only():
    assert Box.of(Interval(0.0, 1.0, True, True)) == Box(5e-324, 0.9999999999999999)
    assert Box.of(Interval(Fraction(1, 3), Fraction(10 ** 400))) == \
        Box(0.33333333333333337, 1.7976931348623157e308)
    assert Box.of(Interval(0.0, math.inf)) == Box(0.0, math.inf)
    assert Box.of(Interval(-Fraction(10 ** 400), -0.0)).hi == 0.0


def test_a_literal_ball_is_the_value_the_rules_read():
    from flint import arb

    from dcp.facts.balls import literal_ball, precision
    from dcp.ops import ARB
    with precision(128):
        # A leading minus used to fall outside the decimal regex: a loose ball around -0.5.
        assert literal_ball(Number(-0.5, "-0.5")) == arb(-0.5)
        assert literal_ball(Number(-0.5, "-0.5")).rad() == 0
        tenth = literal_ball(Number(0.1, "0.1"))
        assert (tenth * 10).contains(1) and not tenth.contains(arb(0.1))
        # A keyword expanded from the float 0.1 is that float, in balls as in the rules.
        assert literal_ball(Number(0.1)) == arb(0.1)
        (ball,) = ARB.literal(Number(-0.5, "-0.5"), 1)
        assert ball == arb(-0.5)


def test_float_toward_rounds_to_floats_without_negative_zero():
    from flint import arb

    from dcp.facts.balls import float_down, float_up, precision
    with precision(128):
        tiny = arb("-1e-400")
        assert math.copysign(1.0, float_up(tiny)) == 1.0 and float_down(tiny) == -5e-324
        assert float_up(arb("1e400")) == math.inf and float_down(arb("1e400")) == 1.7976931348623157e308


def test_the_rules_path_loads_no_numerics():
    import subprocess
    import sys
    code = ("import sys, dcp\n"
            "heavy = ('numpy', 'mpmath', 'sympy', 'hypothesis')\n"
            "assert not [m for m in heavy + ('flint',) if m in sys.modules]\n"
            "dcp.certify('relu(W2 @ relu(W1 @ x))', wrt='W1', check=False)\n"
            "dcp.certify('sigmoid(x) + log(x)', wrt='x', check=False)\n"
            "assert not [m for m in heavy + ('flint',) if m in sys.modules], sys.modules.keys()\n"
            "dcp.certify('gelu(x) + 0.1*square(x)', wrt='x', assume='x >= 1', check=False)\n"
            "assert not [m for m in heavy if m in sys.modules]\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
