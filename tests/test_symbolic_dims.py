"""Symbolic dimensions: a letter in a declared shape is a dimension of any size, the same
letter the same size (SPEC section 9)."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dcp import DcpError, Session, certify
from dcp.errors import ShapeError


def test_letters_in_shapes_from_python_scripts_and_the_command_line():
    result = certify("sum_squares(W @ u)", wrt="W", shapes={"W": ("m", "n"), "u": ("n",)})
    assert result.verdict == "convex"
    assert result.shapes == {"W": ("m", "n"), "u": ("n",)}
    script = "shape u = (n,)\nshape W = (m, n)\ncertify sum_squares(W @ u) wrt W"
    assert [r.verdict for r in Session().run(script)] == ["convex"]
    from dcp.cli import _shapes
    assert _shapes(["u=n", "W=3,n"]) == {"u": ("n",), "W": (3, "n")}


def test_the_same_letter_is_the_same_size():
    assert certify("u + v", wrt="u", shapes={"u": ("n",), "v": ("n",)}, check=False).shapes == \
        {"u": ("n",), "v": ("n",)}
    with pytest.raises(ShapeError, match="n and k are declared as sizes of their own"):
        certify("u + v", wrt="u", shapes={"u": ("n",), "v": ("k",)}, check=False)


# ---- a declared letter is a size of its own ----------------------------------------------

#: The brief's network: a bias vector (h,) goes along the rows of (h, N), which would
#: make N = h; certified as if general, that covered only square batches.
NET, NET_SHAPES = "relu(W1 @ X + b1)", {"X": ("d", "N"), "W1": ("h", "d"), "b1": ("h",)}
NET_MESSAGE = ("shapes cannot agree at `W1 @ X + b1` (`W1 @ X` is (h, N), `b1` is (h,)): "
               "elementwise operands must have the same shape: N and h are declared as sizes "
               "of their own, and the shapes agree only if N = h")


def test_two_declared_letters_are_not_made_one_size():
    with pytest.raises(ShapeError) as caught:
        certify(NET, wrt="W1", shapes=NET_SHAPES)
    assert caught.value.message == NET_MESSAGE
    assert NET[caught.value.span.start:caught.value.span.end] == "W1 @ X + b1"


def test_a_script_refuses_them_at_its_line():
    script = "shape X = (d, N)\nshape W1 = (h, d)\nshape b1 = (h,)\ncertify relu(W1 @ X + b1) wrt W1"
    with pytest.raises(ShapeError) as caught:
        Session().run(script)
    assert caught.value.message == NET_MESSAGE
    assert str(caught.value).splitlines()[-2:] == ["4 | certify relu(W1 @ X + b1) wrt W1",
                                                   "  |              ^^^^^^^^^^^"]


def test_the_command_line_refuses_them_with_exit_2():
    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-m", "dcp", "certify", NET, "--wrt", "W1", "--shape", "X=d,N",
                          "--shape", "W1=h,d", "--shape", "b1=h"], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "PYTHONPATH": str(root)})
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.splitlines() == [f"error: {NET_MESSAGE}", "  --> line 1, column 6", "  |",
                                       f"1 | {NET}", "  |      ^^^^^^^^^^^"]


@pytest.mark.parametrize("expression, shapes, step, why", [
    ("u + x", {"u": ("n",), "x": (3,)}, "u + x",
     "elementwise operands must have the same shape: n is declared as a size of its own, and the "
     "shapes agree only if n = 3"),
    ("W @ u", {"W": ("m", "n"), "u": ("k",)}, "W @ u",
     "the inner dimensions of @ must agree: n and k are declared as sizes of their own, and the "
     "shapes agree only if n = k"),
    ("trace(W)", {"W": ("m", "n")}, "trace(W)",
     "trace needs a square matrix: m and n are declared as sizes of their own, and the shapes agree "
     "only if m = n"),
    ("sum(diag(W))", {"W": ("m", "n")}, "diag(W)",
     "diag needs a vector or a square matrix: m and n are declared as sizes of their own, and the "
     "shapes agree only if m = n"),
    ("sum(vstack(W, V))", {"W": ("m", "n"), "V": ("k", "p")}, "vstack(W, V)",
     "the arguments of vstack must have as many columns: n and p are declared as sizes of their own, "
     "and the shapes agree only if n = p"),
    ("[u, v] @ y", {"u": ("n",), "v": ("m",)}, "[u, v]",
     "the entries of [...] must have the same shape: n and m are declared as sizes of their own, and "
     "the shapes agree only if n = m"),
    ("quad_form(x, P)", {"x": ("n",), "P": ("m", "m")}, "quad_form(x, P)",
     "quad_form(x, P) needs P of shape (n, n) for x of shape (n,): n and m are declared as sizes of "
     "their own, and the shapes agree only if n = m"),
    # Sums and products of sizes are solved after every step is read; the caret is still at
    # the step that made them.
    ("sum(hstack(u, v) + w)", {"u": ("n",), "v": ("m",), "w": ("k",)}, "hstack(u, v)",
     "the sizes of joined values must agree: n, m and k are declared as sizes of their own, and the "
     "shapes agree only if n + m = k"),
    ("sum(diff(u) + w)", {"u": ("n",), "w": ("k",)}, "diff(u)",
     "diff takes 1 entry off the length of its axis: n and k are declared as sizes of their own, and "
     "the shapes agree only if n = k + 1"),
    ("sum(reshape(u, (3,)))", {"u": ("n",)}, "reshape(u, (3,))",
     "reshape to (3,) needs 3 entries: n is declared as a size of its own, and the shapes agree only "
     "if n = 3"),
    ("sum(reshape(W, (6,)))", {"W": ("m", "n")}, "reshape(W, (6,))",
     "reshape to (6,) needs 6 entries: m and n are declared as sizes of their own, and the shapes "
     "agree only if m * n = 6"),
    ("sum(conv([1, 2], u) + v)", {"u": ("n",), "v": ("m",)}, "conv([1, 2], u)",
     "conv has one entry fewer than its two vectors together: n and m are declared as sizes of "
     "their own, and the shapes agree only if n + 1 = m"),
    ("sum(hstack(u, x) + w)", {"u": ("n",), "w": ("k",)}, "hstack(u, x)",   # x = k - n: only k > n
     "the sizes of joined values must agree: n and k are declared as sizes of their own, and the "
     "shapes agree only if n + ? = k"),
])
def test_every_way_of_equating_sizes_refuses_to_tie_declared_letters(expression, shapes, step, why):
    with pytest.raises(ShapeError) as caught:
        certify(expression, wrt=next(iter(shapes)), shapes=shapes, check=False)
    assert caught.value.message.endswith(f": {why}")
    assert caught.value.message.startswith("shapes cannot agree at `")
    assert expression[caught.value.span.start:caught.value.span.end] == step


@pytest.mark.parametrize("expression, shapes, wrt, expected", [
    # An inferred size takes the declared letter, whichever side of the operation it is on.
    ("x + u", {"u": ("n",)}, "u", {"x": ("n",), "u": ("n",)}),
    ("u + x", {"u": ("n",)}, "u", {"u": ("n",), "x": ("n",)}),
    # ... or a sum of letters that grows with them, never a choice of sizes.
    ("sum(diff(x) + w)", {"w": ("k",)}, "x", {"x": ("k + 1",), "w": ("k",)}),
    ("sum(hstack(u, v) + w)", {"u": ("n",), "v": ("m",)}, "u",
     {"u": ("n",), "v": ("m",), "w": ("n + m",)}),
    # Inferred sizes get fresh letters, none of them a declared one.
    ("u @ u + X @ y", {"u": ("a",)}, "u", {"u": ("a",), "X": ("b", "c"), "y": ("c",)}),
    ("u @ u + X @ y", {"u": ("b",), "y": ("a",)}, "u", {"u": ("b",), "X": ("c", "a"), "y": ("a",)}),
    ("trace(W) + sum(u)", {"u": ("n",)}, "W", {"W": ("a", "a"), "u": ("n",)}),
])
def test_shapes_keep_the_declared_letters(expression, shapes, wrt, expected):
    assert certify(expression, wrt=wrt, shapes=shapes, check=False).shapes == expected


def test_an_inner_product_of_a_declared_vector_keeps_its_letter():
    result = certify("u @ u", wrt="u", shapes={"u": ("n",)})
    assert (result.verdict, result.shapes) == ("convex", {"u": ("n",)})


def test_fresh_letters_run_on_past_z():
    from dcp.check import shape_template
    from dcp.facts.dims import Dims
    dims = Dims(28, letters={0: "a"})
    spelled = shape_template({f"x{i}": (i,) for i in range(28)}, dims)
    assert [spelled[f"x{i}"][0] for i in (0, 1, 25, 26, 27)] == ["a", "b", "z", "a2", "b2"]


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
