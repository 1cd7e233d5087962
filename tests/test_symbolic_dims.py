"""Symbolic dimensions: a letter in a declared shape is a dimension of any size, the same
letter the same size (SPEC section 9)."""
from __future__ import annotations

import pytest

from dcp import DcpError, Session, certify
from dcp.errors import ShapeError


def test_letters_in_shapes_from_python_scripts_and_the_command_line():
    result = certify("sum_squares(W @ u)", wrt="W", shapes={"W": ("m", "n"), "u": ("n",)})
    assert result.verdict == "convex"
    assert result.shapes["u"] == (result.shapes["W"][1],)
    script = "shape u = (n,)\nshape W = (m, n)\ncertify sum_squares(W @ u) wrt W"
    assert [r.verdict for r in Session().run(script)] == ["convex"]
    from dcp.cli import _shapes
    assert _shapes(["u=n", "W=3,n"]) == {"u": ("n",), "W": (3, "n")}


def test_the_same_letter_is_the_same_size():
    expr = "sum(u + x) + sum(v + y)"
    fixed = {"x": (3,), "y": (4,)}
    assert certify(expr, wrt="u", shapes={**fixed, "u": ("n",), "v": ("k",)}, check=False).shapes
    with pytest.raises(ShapeError):
        certify(expr, wrt="u", shapes={**fixed, "u": ("n",), "v": ("n",)}, check=False).shapes


@pytest.mark.parametrize("dims", [("n!",), (0,), (True,), (1, 2, 3), (2.5,)])
def test_a_bad_dimension_is_refused_with_a_message(dims):
    with pytest.raises(DcpError, match="positive integers or letters"):
        certify("x", wrt="x", shapes={"x": dims})


def test_a_bad_dimension_in_a_script_points_at_it():
    with pytest.raises(DcpError, match="positive integer or a letter") as caught:
        Session().run("shape u = (0,)\nu")
    assert "^" in str(caught.value)


def test_python_mistakes_are_dcp_errors():
    with pytest.raises(DcpError, match="shapes must map names to shapes"):
        certify("exp(x)", wrt="x", shapes=[("x", 3)])
    session = Session()
    with pytest.raises(DcpError, match="bind h to an expression written as a string"):
        session.bind("h", 5)


def test_a_shape_for_a_name_the_expression_lacks_is_refused():
    with pytest.raises(DcpError, match="a shape is given for `W`, which does not appear"):
        certify("W1 @ x", wrt="W1", shapes={"W": (2, 2)})
