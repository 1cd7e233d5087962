#!/usr/bin/env python3
"""Soundness fuzzing of model files, judged by ONNX's own reference evaluator.

Each seed builds a small random network with onnx.helper: an input y, one to three
Gemm layers of random weights (of mixed signs, with exact zeros; in some networks the
hidden-to-hidden weights nonnegative, as in an input-convex network), passthrough
layers from y, a random activation per layer among the supported ones, and a random
head (a Gemm to one output, or a ReduceSum, ReduceMax or ReduceLogSumExp). dcp
certifies it in y from the file, with the numeric check on (the symbolic mode on one
seed in four). Then ``onnx.reference.ReferenceEvaluator``, which shares nothing with dcp,
judges:

- a certified verdict (convex, concave, affine, per-entry or entry by entry) must hold
  along random segments: a Jensen gap beyond float32 noise is a soundness violation;
- every witness must show a Jensen gap on the model itself (it is proved in Arb on dcp's
  reading of the model; a gap the model does not show means the reading is wrong).

    python benchmarks/fuzz_models.py --n 200          # seeds 0..199
    python benchmarks/fuzz_models.py --n 50 --start 1000

Prints a summary and each finding; the exit status is 1 on any finding.
"""
from __future__ import annotations

import argparse
import sys
from collections import Counter

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

import dcp
from dcp.check import Budget

ACTIVATIONS = [("Relu", {}), ("Softplus", {}), ("Tanh", {}), ("Sigmoid", {}), ("Abs", {}),
               ("LeakyRelu", {"alpha": 0.1}), ("LeakyRelu", {"alpha": -0.5}), ("Elu", {"alpha": 1.0}),
               ("Celu", {"alpha": 0.5}), ("HardSigmoid", {"alpha": 0.2, "beta": 0.5}), ("Erf", {}),
               ("Exp", {}), ("Selu", {}), ("Identity", {})]
HEADS = ("Gemm", "ReduceSum", "ReduceMax", "ReduceLogSumExp")
#: A gap below this (relative to the values) is float32 noise in the reference evaluator.
NOISE = 1e-4


def network(rng: np.random.Generator) -> onnx.ModelProto:
    """A random network in y (see the module's docstring)."""
    n, layers = int(rng.integers(2, 4)), int(rng.integers(1, 4))
    convex_design = rng.random() < 0.5
    inits, nodes = [], []

    def weight(name, shape, nonneg=False):
        values = rng.choice([-1.5, -0.5, 0.0, 0.0, 0.25, 0.5, 1.0, 2.0], size=shape)
        values = np.abs(values) if nonneg else values
        inits.append(numpy_helper.from_array(values.astype(np.float32), name))
        return name

    previous, width = "y", n
    for k in range(layers):
        out = int(rng.integers(2, 5))
        nodes.append(helper.make_node("Gemm", [previous, weight(f"W{k}", (out, width), convex_design and k > 0),
                                               weight(f"b{k}", (out,))], [f"g{k}"], transB=1))
        total = f"g{k}"
        if k > 0 and rng.random() < 0.6:
            nodes.append(helper.make_node("Gemm", ["y", weight(f"P{k}", (out, n))], [f"p{k}"], transB=1))
            nodes.append(helper.make_node("Add", [total, f"p{k}"], [f"s{k}"]))
            total = f"s{k}"
        op, attributes = ACTIVATIONS[int(rng.integers(len(ACTIVATIONS)))]
        if convex_design and rng.random() < 0.7:
            op, attributes = ("Relu", {}) if rng.random() < 0.5 else ("Softplus", {})
        nodes.append(helper.make_node(op, [total], [f"z{k}"], **attributes))
        previous, width = f"z{k}", out
    head = HEADS[int(rng.integers(len(HEADS)))]
    if head == "Gemm":
        nodes.append(helper.make_node("Gemm", [previous, weight("H", (1, width), convex_design)], ["f"], transB=1))
        shape = [1, 1]
    elif head == "ReduceSum":                # (at opset 13 and after its axes are an input)
        inits.append(numpy_helper.from_array(np.array([1], dtype=np.int64), "axes"))
        nodes.append(helper.make_node(head, [previous, "axes"], ["f"], keepdims=0))
        shape = [1]
    else:
        nodes.append(helper.make_node(head, [previous], ["f"], axes=[1], keepdims=0))
        shape = [1]
    if convex_design and head == "Gemm" and layers > 1 and rng.random() < 0.5:
        # A dead unit: one negative hidden weight in a unit the head reads with weight 0
        # (only the proof entry by entry can certify that network).
        last, head_weight = (next(t for t in inits if t.name == name) for name in (f"W{layers - 1}", "H"))
        w, h = numpy_helper.to_array(last).copy(), numpy_helper.to_array(head_weight).copy()
        unit = int(rng.integers(w.shape[0]))
        w[unit, 0], h[0, unit] = -1.0, 0.0
        last.CopyFrom(numpy_helper.from_array(w, last.name))
        head_weight.CopyFrom(numpy_helper.from_array(h, "H"))
    graph = helper.make_graph(nodes, "fuzz", [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, n])],
                              [helper.make_tensor_value_info("f", TensorProto.FLOAT, shape)], inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])


def value(evaluator: ReferenceEvaluator, y: np.ndarray) -> float:
    (out,) = evaluator.run(None, {"y": np.asarray(y, dtype=np.float32).reshape(1, -1)})
    return float(np.asarray(out, dtype=np.float64).reshape(-1)[0])


def gap(evaluator, a, b, t: float) -> tuple[float, float]:
    """The model's Jensen gap f(mix) - chord at a, b, t, and the values' scale."""
    fa, fb, fm = value(evaluator, a), value(evaluator, b), value(evaluator, t * a + (1 - t) * b)
    return fm - (t * fa + (1 - t) * fb), 1 + abs(fa) + abs(fb) + abs(fm)


def judge(seed: int) -> tuple[str, list[str]]:
    """dcp's outcome on one seed's network and the referee's findings."""
    rng = np.random.default_rng(seed)
    model = network(rng)
    symbolic = seed % 4 == 3
    try:
        result = dcp.from_onnx(model, symbolic=symbolic).certify(
            wrt="y", seed=seed, check_budget=Budget(presearch_points=512, examples=30))
    except dcp.SoundnessError as error:
        return "soundness error", [f"seed {seed}: dcp's own check: {error}"]
    except dcp.DcpError as error:
        return "input error", [f"seed {seed}: refused a valid model: {error}"]
    evaluator = ReferenceEvaluator(model)
    findings = []
    if not symbolic:
        for kind in ("convex", "concave"):
            claimed = result.curvature.is_convex if kind == "convex" else result.curvature.is_concave
            for _ in range(60 if claimed else 0):
                n = len(model.graph.input[0].type.tensor_type.shape.dim) and \
                    model.graph.input[0].type.tensor_type.shape.dim[1].dim_value
                a, b, t = rng.normal(size=n) * 3, rng.normal(size=n) * 3, rng.uniform(0.05, 0.95)
                g, scale = gap(evaluator, a, b, t)
                if (g if kind == "convex" else -g) > NOISE * scale:
                    findings.append(f"seed {seed}: certified {result.verdict}, but the model breaks "
                                    f"it at a={a.tolist()}, b={b.tolist()}, t={t} (gap {g:.3g})")
                    break
        for kind, witness in result.witnesses.items():
            if kind not in ("convex", "concave"):
                continue
            g, scale = gap(evaluator, np.array(witness.a["y"]), np.array(witness.b["y"]), witness.theta)
            if (g if kind == "convex" else -g) < -NOISE * scale:
                findings.append(f"seed {seed}: the witness against {kind} is not one on the model "
                                f"(its gap there is {g:.3g})")
    how = result.verdict + (" entrywise" if result.layerwise is not None else "") + \
        (" symbolic" if symbolic else "")
    return how, findings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--start", type=int, default=0)
    args = parser.parse_args()
    outcomes, findings = Counter(), []
    for seed in range(args.start, args.start + args.n):
        how, found = judge(seed)
        outcomes[how] += 1
        findings += found
    print("dcp outcomes:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
    for finding in findings:
        print("FINDING", finding)
    print(f"{args.n} seeds, {len(findings)} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
