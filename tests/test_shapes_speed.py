"""The fast paths of shape inference agree with the general rules they stand for: the
one-walk rank hints with the two-walk reading, Dims.both with the broadcast loop, and the
inherited elementwise rule applied in the loop with Atom.shape called."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dcp import certify
from dcp.atoms.base import Atom
from dcp.check import shapes as inference
from dcp.check import infer_shapes
from dcp.facts.dims import Dims, ShapeMismatch

_CASES = ["(A @ B) @ x", "A @ (B @ x)", "((A @ B) @ C) @ x", "(-A @ B) @ x", "(A @ x) @ B",
          "B @ y + (A @ B) @ x", "[x] + (A @ x) @ B", "(A @ B).T @ x", "X[1, 2] + x @ X",
          "trace(X @ Y) + sum(Y, axis=1) @ x", "quad_over_lin(A @ x, y) + [a, b] @ c",
          "relu(W2 @ relu(W1 @ x)) + mean(X[0]) * x", "x @ x + (x @ B) @ x"]


def _reference_hints(proof) -> dict[str, int]:
    """The rank hints as two walks find them: the left operands of @ first, then the
    positions in order, the first hint of each name kept."""
    tape = proof.tape
    ops, data, args = tape.op, tape.data, tape.args
    order = proof.ids()
    left_of_matmul = {args[i][0] for i in order if ops[i] == "@"}
    hints: dict[str, int] = {}
    for i in order:
        wanted = []
        if ops[i] == "@":
            wanted = [(args[i][0], 2), (args[i][1], 2 if i in left_of_matmul else 1)]
        elif ops[i] == "[...]":
            wanted = [(item, 0) for item in args[i]]
        elif ops[i] == "[]":
            wanted = [(args[i][0], len(data[i]))]
        elif ops[i] == "call":
            func, keys = data[i]
            positional = args[i][:len(args[i]) - len(keys)]
            if func == "trace" or "axis" in keys:
                wanted = [(positional[0], 2)]
            elif func == "quad_over_lin" and len(positional) == 2:
                wanted = [(positional[1], 0)]
        for target, rank in wanted:
            while ops[target] in ("neg", "pos", ".T"):
                target = args[target][0]
            if ops[target] == "name":
                hints.setdefault(data[target], rank)
    return hints


@pytest.mark.parametrize("text", _CASES)
def test_one_walk_finds_the_hints_two_walks_find(text):
    proof = certify(text, wrt="x", check=False).proof
    hints = _reference_hints(proof)
    names = dict.fromkeys(
        proof.tape.data[i] for i in proof.ids() if proof.facts.rule[i] in ("variable", "parameter"))
    assert inference._preferred_ranks(proof, {}) == {n: hints.get(n, 1) for n in names}
    assert list(inference._preferred_ranks(proof, {})) == list(names)
    assert inference._preferred_ranks(proof, {"x": (3, 4, 5)})["x"] == 3


@pytest.mark.parametrize("text", _CASES)
def test_the_inherited_rule_in_the_loop_is_atom_shape(monkeypatch, text):
    proof = certify(text, wrt="x", check=False).proof
    fast = infer_shapes(proof, alternatives=3)
    # With no atom seen as keeping Atom.shape, every step calls its atom's method.
    monkeypatch.setattr(inference, "_ELEMENTWISE", object())
    slow = infer_shapes(proof, alternatives=3)
    assert [s.template() for s in fast] == [s.template() for s in slow]
    assert [s.free_dims() for s in fast] == [s.free_dims() for s in slow]
    assert all(f.steps == s.steps for f, s in zip(fast, slow))


def _broadcast_loop(dims: Dims, shapes, why="elementwise operands must have the same shape"):
    """Dims.broadcast as the loop states it, without Dims.both's short cuts."""
    result = ()
    for shape in shapes:
        if len(shape) > len(result):
            result, shape = shape, result
        if shape:
            dims.same(result[len(result) - len(shape):], shape, why)
    return result


def _state(dims: Dims):
    roots = [dims.find(d) for d in range(len(dims.size))]
    return roots, [dims.size[r] for r in roots], [dims.minimum[r] for r in roots]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([None, None, 1, 2, 3]), min_size=6, max_size=6),
       st.lists(st.lists(st.integers(0, 5), max_size=2), min_size=1, max_size=4),
       st.lists(st.tuples(st.integers(0, 5), st.integers(0, 5)), max_size=3))
def test_both_is_the_broadcast_loop(sizes, shapes, merged):
    """Same result, same classes and sizes, same message, whatever was unified before."""
    outcomes = []
    for rule in (lambda d: d.broadcast([tuple(s) for s in shapes]),
                 lambda d: _broadcast_loop(d, [tuple(s) for s in shapes])):
        dims = Dims(6, {d: n for d, n in enumerate(sizes) if n is not None})
        try:
            for a, b in merged:
                dims.unify(a, b)
        except ShapeMismatch:
            return
        try:
            outcomes.append((rule(dims), _state(dims)))
        except ShapeMismatch as mismatch:
            outcomes.append((mismatch.message, _state(dims)))
    assert outcomes[0] == outcomes[1]


def test_most_atoms_keep_the_inherited_rule():
    """The loop's short cut is only worth it while the common atoms inherit Atom.shape."""
    proof = certify("relu(x) + square(y) * log(z) - sum(w)", wrt="x", check=False).proof
    kept = {type(proof.facts.atom[i]).__name__ for i in proof.ids()
            if proof.facts.atom[i] is not None and type(proof.facts.atom[i]).shape is Atom.shape}
    assert kept == {"Relu", "Square", "Log", "Add", "Multiply", "Subtract"}
