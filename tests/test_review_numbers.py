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
