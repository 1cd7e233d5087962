#!/usr/bin/env python3
"""Model files: how long dcp takes to read and certify input-convex networks of growing
width (three hidden layers, passthrough layers from an input of 8), built with
onnx.helper. Prints its figures; asserts nothing.

    python benchmarks/models.py                 # widths 4, 16, 64, 256
    python benchmarks/models.py --widths 8 32

Columns: the translation (``from_onnx``), the rules with the kernel (``check=False``)
on the clamped network (certified on whole layers) and on the same network with one
negative hidden-to-hidden weight (the layer-level proof breaks; per-entry verdicts, and
the entry-by-entry proof where the network is small enough to write out), and the
whole certification with the numeric check on the clamped network.
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import dcp

INPUT = 8


def icnn(width: int, negative: bool, seed: int = 0) -> onnx.ModelProto:
    """z1 = relu(Wy0 y + b0), z_k+1 = relu(Wz_k z_k + Wy_k y + b_k), f = wz3 z3 + wy3 y."""
    rng = np.random.default_rng(seed)
    weights, nodes = [], []

    def weight(name, shape, nonneg=False):
        values = rng.normal(size=shape).astype(np.float32)
        weights.append(numpy_helper.from_array(np.abs(values) if nonneg else values, name))
        return name

    nodes.append(helper.make_node("Gemm", ["y", weight("Wy0", (width, INPUT)), weight("b0", (width,))],
                                  ["g0"], transB=1))
    nodes.append(helper.make_node("Relu", ["g0"], ["z1"]))
    for k in (1, 2):
        nodes.append(helper.make_node("Gemm", [f"z{k}", weight(f"Wz{k}", (width, width), True),
                                               weight(f"b{k}", (width,))], [f"h{k}"], transB=1))
        nodes.append(helper.make_node("Gemm", ["y", weight(f"Wy{k}", (width, INPUT))], [f"p{k}"], transB=1))
        nodes.append(helper.make_node("Add", [f"h{k}", f"p{k}"], [f"s{k}"]))
        nodes.append(helper.make_node("Relu", [f"s{k}"], [f"z{k + 1}"]))
    nodes.append(helper.make_node("Gemm", ["z3", weight("Wz3", (1, width), True)], ["o1"], transB=1))
    nodes.append(helper.make_node("Gemm", ["y", weight("Wy3", (1, INPUT))], ["o2"], transB=1))
    nodes.append(helper.make_node("Add", ["o1", "o2"], ["f"]))
    if negative:
        wz2 = next(w for w in weights if w.name == "Wz2")
        values = numpy_helper.to_array(wz2).copy()
        values[1, 0] = -0.5
        wz2.CopyFrom(numpy_helper.from_array(values, "Wz2"))
    graph = helper.make_graph(nodes, "icnn", [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, INPUT])],
                              [helper.make_tensor_value_info("f", TensorProto.FLOAT, [1, 1])], weights)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def timed(function, repeat: int = 3) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - start)
    return best, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[4, 16, 64, 256])
    args = parser.parse_args()
    print(f"{'width':>5} {'weights':>8} {'read ms':>8} {'rules ms':>9} {'broken ms':>10} "
          f"{'broken verdict':>15} {'check s':>8}")
    with tempfile.TemporaryDirectory() as folder:
        for width in args.widths:
            paths = {}
            for negative in (False, True):
                paths[negative] = Path(folder) / f"icnn_{width}_{negative}.onnx"
                onnx.save(icnn(width, negative), paths[negative])
            count = sum(int(np.prod(t.dims)) for t in onnx.load(paths[False]).graph.initializer)
            read, session = timed(lambda: dcp.from_onnx(paths[False]))
            rules, result = timed(lambda: session.certify(wrt="y", check=False))
            assert result.verdict == "convex"
            broken_session = dcp.from_onnx(paths[True])
            broken, broken_result = timed(lambda: broken_session.certify(wrt="y", check=False))
            how = broken_result.verdict + (" (entries)" if broken_result.layerwise else "")
            check, _ = timed(lambda: session.certify(wrt="y"), repeat=1)
            print(f"{width:>5} {count:>8} {read * 1e3:>8.1f} {rules * 1e3:>9.2f} {broken * 1e3:>10.1f} "
                  f"{how:>15} {check:>8.2f}")


if __name__ == "__main__":
    main()
