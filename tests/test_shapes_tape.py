"""Shape inference over the tape: ranks guessed from how names are used, shapes keyed by
node id, no tree or step built on the way, and failures worded as before."""
from __future__ import annotations

import pytest

from dcp import ShapeError, certify
from dcp.check import infer_shapes
from dcp.proof import Proof
from dcp.tape import Tape


def _proof(text: str, wrt: str):
    return certify(text, wrt=wrt, check=False).proof


@pytest.mark.parametrize("text, wrt, template", [
    ("relu(W2 @ relu(W1 @ x))", "W1", {"W2": ("a", "b"), "W1": ("b", "c"), "x": ("c",)}),
    ("(A @ B) @ x", "x", {"A": ("a", "b"), "B": ("b", "c"), "x": ("c",)}),
    ("-W.T @ x", "x", {"W": ("a", "b"), "x": ("a",)}),
    ("[a, b] @ y", "y", {"a": (), "b": (), "y": (2,)}),
    ("sum(X, axis=0) + y", "y", {"X": ("a", "b"), "y": ("b",)}),
    ("quad_over_lin(x, y)", "x", {"x": ("a",), "y": ()}),
    ("trace(X)", "X", {"X": ("a", "a")}),
    ("X[1, 2] + x", "x", {"X": ("a", "b"), "x": ("c",)}),     # a name is a vector by default
])
def test_ranks_are_guessed_from_how_each_name_is_used(text, wrt, template):
    assert infer_shapes(_proof(text, wrt), alternatives=0)[0].template() == template


def test_a_result_spells_its_shapes_when_read():
    # Spelled lazily (from the names and classes only), and kept by a result rebuilt with
    # another expression text, as a script's results are.
    from dcp.api import _with_expression
    result = certify("sum(X, axis=0) + [1, 2] @ y", wrt="y", check=False)
    assert "shapes" not in result.__dict__
    expected = {"X": ("a", "b"), "y": (2,)}
    assert result.shapes == expected
    assert _with_expression(result, "other text").shapes == expected


def test_an_index_needs_that_many_entries():
    solution = infer_shapes(_proof("X[1, 2] + x", "x"), alternatives=0)[0]
    rows, columns = (solution.dims.find(d) for d in solution.names["X"])
    minimums = dict(solution.free_dims())
    assert (minimums[rows], minimums[columns]) == (2, 3)


def test_step_shapes_are_keyed_by_node_id():
    proof = _proof("relu(A @ x) + b", "x")
    solution = infer_shapes(proof, {"A": (3, 4)}, alternatives=0)[0]
    tape = proof.tape
    matmul = tape.find("@", None, (tape.find("name", "A"), tape.find("name", "x")))
    assert [solution.dims.size[solution.dims.find(d)] for d in solution.steps[matmul]] == [3]
    assert len(solution.steps[proof.root_id]) == 1
    assert {i for i, shape in enumerate(solution.steps) if shape is not None} == set(proof.ids())


def test_inference_builds_no_tree_and_no_step(monkeypatch):
    proof = _proof("relu(W3 @ relu(W2 @ relu(W1 @ x))) + sum(X[1] * [u, v]) + trace(Y.T)", "W1")

    def forbidden(*args):
        raise AssertionError("shape inference read a tree or a step")

    for owner, name in ((Tape, "expr"), (Tape, "text"), (Proof, "step"), (Proof, "steps")):
        monkeypatch.setattr(owner, name, forbidden)
    # alternatives=3 also tries ranks that fail: a failure not reported is not worded.
    assert len(infer_shapes(proof, alternatives=3)) > 1


@pytest.mark.parametrize("text, wrt, shapes, column, message", [
    ("[x, y] @ A @ [u, v]", "x", {"A": (2, 3)}, 1,
     "shapes cannot agree at `[x, y] @ A @ [u, v]` (`[x, y] @ A` is (3,), `[u, v]` is (2,)): "
     "the inner dimensions of @ must agree: 3 and 2"),
    ("(+X) @ [u, v]", "u", {"X": (3, 3)}, 1,    # the side is `X`, the step of `+X`
     "shapes cannot agree at `+X @ [u, v]` (`X` is (3, 3), `[u, v]` is (2,)): "
     "the inner dimensions of @ must agree: 3 and 2"),
    ("[X, x]", "x", {"X": (2, 2)}, 1,
     "shapes cannot agree at `[X, x]` (`X` is (2, 2), `x` is ()): "
     "only scalars or vectors can be stacked with [...]"),
    ("2 * X[4] + x", "x", {"X": (3, 4)}, 5,
     "shapes cannot agree at `X[4]`: index 4 is out of range for a dimension of size 3"),
])
def test_a_failure_names_the_step_and_both_sides(text, wrt, shapes, column, message):
    with pytest.raises(ShapeError) as info:
        certify(text, wrt=wrt, shapes=shapes, check=False)
    assert info.value.message == message
    assert info.value.column == column
