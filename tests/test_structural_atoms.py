"""The shape-changing affine atoms (cumsum, diff, hstack, vstack, diag, reshape): their
facts verified by SymPy on their own evaluation, their values against numpy's meaning and
the referee's, and the shapes they carry (sums of sizes, products) through inference."""
from __future__ import annotations

import numpy as np
import pytest
import sympy

from dcp import ShapeError, certify
from dcp.atoms import lookup
from dcp.check import infer_shapes
from dcp.facts import REALS, Curvature, Interval, Monotonicity
from dcp.facts.balls import precision
from dcp.ops import ARB, FLOAT
from dcp.testing_referee import Floats, Referee

# (call, keywords, argument shapes): each atom's uses, numpy shapes without the batch axis.
USES = [
    ("cumsum", {"axis": 0}, [(4,)]), ("cumsum", {"axis": 0}, [(3, 2)]), ("cumsum", {"axis": 1}, [(3, 2)]),
    ("diff", {"k": 1, "axis": 0}, [(4,)]), ("diff", {"k": 2, "axis": 0}, [(5,)]),
    ("diff", {"k": 3, "axis": 0}, [(5,)]), ("diff", {"k": 1, "axis": 1}, [(2, 3)]),
    ("hstack", {}, [(), ()]), ("hstack", {}, [(2,), (3,)]), ("hstack", {}, [(2, 1), (2, 3)]),
    ("vstack", {}, [(), (), ()]), ("vstack", {}, [(3,), (3,)]), ("vstack", {}, [(1, 2), (3, 2)]),
    ("diag", {}, [(3,)]), ("diag", {}, [(3, 3)]),
    ("reshape", {"m": 3, "n": 2}, [(2, 3)]), ("reshape", {"m": 6, "n": None}, [(3, 2)]),
    ("reshape", {"m": 2, "n": 3}, [(6,)]),
]

#: numpy's meaning of each use (CVXPY's: reshape column by column).
NUMPY = {
    "cumsum": lambda a, kw: np.cumsum(a[0], axis=kw["axis"]),
    "diff": lambda a, kw: np.diff(a[0], n=kw["k"], axis=kw["axis"]),
    "hstack": lambda a, kw: np.hstack(a),
    "vstack": lambda a, kw: np.vstack(a),
    "diag": lambda a, kw: np.diag(a[0]),
    "reshape": lambda a, kw: np.reshape(a[0], (kw["m"],) if kw["n"] is None else (kw["m"], kw["n"]), order="F"),
}


def _ids():
    return [f"{name}{kw}{shapes}" for name, kw, shapes in USES]


def _symbols(shapes):
    """Arrays of distinct SymPy symbols, each with a batch axis of one."""
    out, count = [], 0
    for shape in shapes:
        size = int(np.prod(shape)) if shape else 1
        entries = np.array(sympy.symbols(f"v{count}:{count + size}"), dtype=object).reshape((1,) + shape)
        out.append(entries)
        count += size
    return out


@pytest.mark.parametrize("name,kw,shapes", USES, ids=_ids())
def test_declared_facts_follow_from_the_atoms_own_evaluation(name, kw, shapes):
    """Evaluated on symbols, every entry of the value is linear in the arguments' entries
    (affine); its coefficients are >= 0 where the atom says nondecreasing; and on boxes,
    the entry's exact range (each coefficient times the box, summed) lies in the declared
    range."""
    atom = lookup(name, len(shapes))
    assert atom.curvature([REALS] * len(shapes), kw) is Curvature.AFFINE
    args = _symbols(shapes)
    variables = [v for a in args for v in a.flat]
    value = np.asarray(atom.evaluate(None, args, kw, None), dtype=object)
    assert value.shape[1:] == NUMPY[name]([np.zeros(s) for s in shapes], kw).shape
    for lo, hi in ((-2, 3), (1, 5), (-4, -1), (0, 0)):
        box = [Interval(lo, hi)] * len(shapes)
        declared = atom.range(box, kw)
        for entry in value.flat:
            entry = sympy.expand(sympy.sympify(entry))
            assert all(sympy.diff(entry, v, 2) == 0 for v in variables)
            coefficients = [entry.coeff(v) for v in variables]
            assert sympy.simplify(entry - sum(c * v for c, v in zip(coefficients, variables))) == 0
            if atom.monotonicity(0, box, kw) is Monotonicity.NONDECREASING:
                assert all(c >= 0 for c in coefficients)
            low = sum(c * (lo if c > 0 else hi) for c in coefficients)
            high = sum(c * (hi if c > 0 else lo) for c in coefficients)
            assert declared.contains_value(float(low)) and declared.contains_value(float(high)), (
                name, kw, entry, declared)


@pytest.mark.parametrize("name,kw,shapes", USES, ids=_ids())
def test_values_are_numpys_meaning_in_floats_and_balls(name, kw, shapes):
    rng = np.random.default_rng(5)
    values = [rng.normal(size=(2,) + shape).round(3) for shape in shapes]
    atom = lookup(name, len(shapes))
    expected = np.stack([NUMPY[name]([v[b] for v in values], kw) for b in range(2)])
    assert np.array_equal(atom.evaluate(FLOAT, values, kw, None), expected)
    with precision(64):
        balls = atom.evaluate(ARB, [ARB.array(v) for v in values], kw, None)
        # The balls hold the exact sums of the decimals; numpy's floats are near them.
        assert all(abs(ball - float(e)) < 1e-12 for ball, e in zip(balls.flat, expected.flat))


CALLS = {"cumsum": "cumsum(x0{axis})", "diff": "diff(x0, k={k}{axis})", "hstack": None,
         "vstack": None, "diag": "diag(x0)", "reshape": None}


def _call_text(name, kw, count):
    args = ", ".join(f"x{i}" for i in range(count))
    if name == "reshape":
        return f"reshape(x0, {kw['m']}" + (f", {kw['n']})" if kw["n"] is not None else ")")
    extra = {"axis": f", axis={kw['axis']}" if kw.get("axis") else "", "k": kw.get("k")}
    return (CALLS[name] or f"{name}({args})").format(**extra)


@pytest.mark.parametrize("name,kw,shapes", USES, ids=_ids())
def test_dcp_and_the_referee_evaluate_alike(name, kw, shapes):
    """The whole path: the text parsed, shapes inferred as declared, the proof evaluated;
    and the referee's independent definition gives the same numbers."""
    from dcp.check.evaluate import evaluate
    text = _call_text(name, kw, len(shapes))
    declared = {f"x{i}": shape for i, shape in enumerate(shapes)}
    result = certify(text, wrt=list(declared), shapes=declared, check=False)
    assert infer_shapes(result.proof, declared)
    rng = np.random.default_rng(9)
    values = {n: rng.normal(size=(3,) + shape).round(3) for n, shape in declared.items()}
    mine, valid = evaluate(result.proof, values, FLOAT, 3)
    theirs, _ = Referee(text, list(declared)).evaluate(Floats(), values, 3)
    assert valid.all() and np.array_equal(mine, theirs)


@pytest.mark.parametrize("expression,shapes,expected", [
    ("hstack(x, y) + z", {}, {"x": ("a",), "y": ("b",), "z": ("a + b",)}),
    ("hstack(x, y) + z", {"z": (5,)}, {"x": (1,), "y": (4,), "z": (5,)}),
    ("hstack(x, x) + z", {"z": (6,)}, {"x": (3,), "z": (6,)}),
    ("diff(x) + y", {}, {"x": ("a",), "y": ("a - 1",)}),
    ("diff(x, k=2) + y", {"x": (7,)}, {"x": (7,), "y": (5,)}),
    ("hstack(diff(x), c) + x", {}, {"x": ("a",), "c": (1,)}),
    ("vstack(A, B) @ v", {"A": (2, 3)}, {"A": (2, 3), "B": ("a", 3), "v": (3,)}),
    ("reshape(X, 2, 3) @ v", {"X": (3, 2)}, {"X": (3, 2), "v": (3,)}),
    ("reshape(x, 2, 3) @ v", {}, {"x": (6,), "v": (3,)}),
    ("diag(x) @ y", {}, {"x": ("a",), "y": ("a",)}),
    ("reshape(hstack(x, y), 2, 3)", {"x": (2,)}, {"x": (2,), "y": (4,)}),
    ("reshape(diff(x), 2, 2)", {}, {"x": (5,)}),
    # x + y = u + v with v of at least 6 entries: u and v are not both left at 1.
    ("sum(hstack(x, y) + hstack(u, v)) + v[5]", {},
     {"x": (1,), "y": (6,), "u": (1,), "v": (6,)}),
])
def test_shapes_carry_sums_and_products_of_sizes(expression, shapes, expected):
    names = [n for n in expected if n not in shapes][:1] or list(expected)[:1]
    result = certify(expression, wrt=names, shapes=shapes)
    assert result.shapes == expected


@pytest.mark.parametrize("expression,shapes,message", [
    ("diff(x) + x", {}, "diff takes 1 entry off the length of its axis"),
    ("hstack(x, x) + z", {"z": (5,)}, "the sizes of joined values must agree"),
    ("reshape(X, 2, 3)", {"X": (4, 2)}, "reshape to (2, 3) needs 6 entries: 8 entries, not 6"),
    ("hstack(A, y)", {"A": (2, 2), "y": (2,)}, "the arguments of hstack must all have one rank"),
    ("diag(A)", {"A": (2, 3)}, "diag needs a vector or a square matrix: 2 and 3"),
    ("diff(x, k=3)", {"x": (3,)}, "diff with k=3 needs at least 4 entries along its axis, not 3"),
])
def test_shapes_that_cannot_agree_say_why(expression, shapes, message):
    with pytest.raises(ShapeError) as info:
        certify(expression, wrt=list(shapes) or ["x"], shapes=shapes)
    assert message in info.value.message


def test_sizes_of_shapes_are_whole_numbers_the_check_can_draw():
    """Every shape the numeric check draws satisfies the sums: x has one entry more than
    y in diff(x) + y, whatever sizes it picks for the free classes."""
    result = certify("norm2(diff(x) + y) + sum(hstack(x, y))", wrt=["x", "y"], check=False)
    (solution, *_) = infer_shapes(result.proof, {})
    for size in (1, 2, 5):
        shapes = solution.instantiate({d: size + m for d, m in solution.free_dims()})
        assert shapes["x"][0] == shapes["y"][0] + 1


def test_an_index_into_a_joined_value_raises_the_sizes_drawn():
    result = certify("hstack(x, y)[6]", wrt=["x"], check=False)
    (solution, *_) = infer_shapes(result.proof, {})
    shapes = solution.instantiate(dict(solution.free_dims()))
    assert shapes["x"][0] + shapes["y"][0] >= 7


def test_reshape_and_keywords_refuse_what_they_cannot_mean():
    from dcp import DcpError
    for text in ("reshape(x, 0)", "reshape(x, 2.5)", "reshape(x)", "diff(x, k=0)", "cumsum(x, axis=2)"):
        with pytest.raises(DcpError):
            certify(text, wrt="x")


def test_reshape_takes_cvxpys_shape_tuple():
    from dcp import DcpError
    tupled = certify("sum_squares(reshape(X, (2, 3)))", wrt="X", shapes={"X": (3, 2)}, check=False)
    assert tupled.verdict == "convex" and tupled.shapes["X"] == (3, 2)
    assert certify("reshape(x, (6,))", wrt="x", shapes={"x": (2, 3)}, check=False).verdict == "affine"
    with pytest.raises(DcpError, match="unexpected `,`"):
        certify("(1, 2) + x", wrt="x")


def test_conv_is_numpys_full_convolution_in_floats_balls_and_the_referee():
    rng = np.random.default_rng(3)
    atom = lookup("conv", 2)
    assert lookup("convolve", 2) is atom
    k, x = rng.normal(size=(2, 3)), rng.normal(size=(2, 5))
    expected = np.stack([np.convolve(k[i], x[i]) for i in range(2)])
    assert np.allclose(atom.evaluate(FLOAT, [k, x], {}, None), expected)
    with precision(64):
        balls = atom.evaluate(ARB, [ARB.array(k), ARB.array(x)], {}, None)
    assert np.allclose([float(ball.mid()) for ball in balls.flat], expected.flat)
    from dcp.testing_referee import ATOMS
    assert np.allclose(ATOMS["conv"][2](Floats(), [k, x], {}), expected)
    # Each entry is linear in x with the kernel's entries as coefficients (SymPy).
    ks, xs = sympy.symbols("k0:3"), sympy.symbols("x0:5")
    entries = atom.evaluate(FLOAT, [np.array([ks], dtype=object), np.array([xs], dtype=object)], {}, None)[0]
    assert [sympy.expand(e) for e in entries] == [sympy.expand(e) for e in sympy.Poly(
        sum(k * sympy.Symbol("t") ** i for i, k in enumerate(ks))
        * sum(v * sympy.Symbol("t") ** i for i, v in enumerate(xs)), sympy.Symbol("t")).all_coeffs()[::-1]]
