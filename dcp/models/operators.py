"""The ONNX operators dcp translates: one entry per op type, each the one place its
attributes are read and checked.

An entry takes a `Node` and the `Graph` (dcp.models.graph) and returns the node's
output: a `Value` (dcp text for one sample) or a `Tensor` (for operators on constants:
`Constant`, `Transpose`, `Identity`). Anything an entry cannot translate exactly is a `DcpError` naming
the node; nothing is approximated.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from .graph import ATOM, POWER, PRODUCT, SUM, UNARY, Graph, Label, Node, Tensor, Value, \
    broadcast, number, wrap

__all__ = ["OPERATORS", "LAYERS", "supported"]

Entry = Callable[[Node, Graph], "Value | Tensor"]

#: The entry of each ONNX op type.
OPERATORS: dict[str, Entry] = {}

#: Op types whose outputs are layers: bound to a name (the rest is written inline).
LAYERS: set[str] = set()


def supported() -> str:
    """The supported op types, as an error lists them."""
    return ", ".join(sorted(OPERATORS))


def translates(*op_types: str, layer: bool = False) -> Callable[[Entry], Entry]:
    """Register an entry for `op_types`; `layer`: its outputs are bound to names."""
    def register(entry: Entry) -> Entry:
        for op_type in op_types:
            OPERATORS[op_type] = entry
            if layer:
                LAYERS.add(op_type)
        return entry
    return register


def _call(node: Node, name: str, x: Value, **keywords: float | None) -> Value:
    """`name(x, k=v, ...)` elementwise, keywords given as None left out; keywords the
    atom refuses (celu's alpha <= 0) are the node's error."""
    from ..atoms import lookup
    from ..errors import ArgumentError
    given = {k: v for k, v in keywords.items() if v is not None}
    atom = lookup(name, 1)
    try:
        atom.validate({**atom.keywords, **given})
    except ArgumentError as error:
        raise node.fail(str(error)) from None
    written = "".join(f", {k}={number(v).text}" for k, v in given.items())
    return Value(f"{name}({x.text}{written})", ATOM, x.dims, x.batched, x.scalar)


# ---- elementwise activations ----

_ATOMS = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus",
          "Softsign": "softsign", "Abs": "abs", "Exp": "exp", "Log": "log", "Sqrt": "sqrt",
          "Erf": "erf"}


@translates(*_ATOMS, layer=True)
def _atom(node: Node, graph: Graph) -> Value:
    """`relu(x)`, `sigmoid(x)`, `tanh(x)`, `softplus(x)`, `softsign(x)`, `abs(x)`,
    `exp(x)`, `log(x)`, `sqrt(x)`, `erf(x)`: the dcp atom of the same function."""
    return _call(node, _ATOMS[node.op_type], node.value(0))


@translates("LeakyRelu", layer=True)
def _leaky_relu(node: Node, graph: Graph) -> Value:
    """`leaky_relu(x, alpha=a)`; ONNX's default alpha is the float32 nearest 0.01, and
    dcp writes it exactly."""
    return _call(node, "leaky_relu", node.value(0), alpha=node.attribute("alpha", 0.009999999776482582))


@translates("Elu", layer=True)
def _elu(node: Node, graph: Graph) -> Value:
    """`elu(x)`, `elu(x, alpha=a)`."""
    alpha = node.attribute("alpha", 1.0)
    return _call(node, "elu", node.value(0), alpha=None if alpha == 1 else alpha)


@translates("Celu", layer=True)
def _celu(node: Node, graph: Graph) -> Value:
    """`celu(x)`, `celu(x, alpha=a)`."""
    alpha = node.attribute("alpha", 1.0)
    return _call(node, "celu", node.value(0), alpha=None if alpha == 1 else alpha)


#: ONNX's default Selu attributes: SELU's constants rounded to float32.
_SELU_ALPHA, _SELU_GAMMA = 1.6732631921768188, 1.0507010221481323


@translates("Selu", layer=True)
def _selu(node: Node, graph: Graph) -> Value:
    """`gamma * elu(x, alpha=a)`; at ONNX's defaults `selu(x)`.

    ONNX's defaults are SELU's constants stored as float32; dcp's `selu` has the same
    constants to double precision (they differ by less than 1e-7 relatively)."""
    x = node.value(0)
    alpha = node.attribute("alpha", _SELU_ALPHA)
    gamma = node.attribute("gamma", _SELU_GAMMA)
    if (alpha, gamma) == (_SELU_ALPHA, _SELU_GAMMA):
        return _call(node, "selu", x)
    scaled = _call(node, "elu", x, alpha=None if alpha == 1 else alpha)
    if gamma == 1:
        return scaled
    factor = number(gamma)
    return Value(f"{wrap(factor, PRODUCT)} * {scaled.text}", PRODUCT, x.dims, x.batched, x.scalar)


@translates("Gelu", layer=True)
def _gelu(node: Node, graph: Graph) -> Value:
    """`gelu(x)` (`approximate="none"`), `gelu_tanh(x)` (`"tanh"`)."""
    approximate = node.attribute("approximate", "none")
    if approximate not in ("none", "tanh"):
        raise node.fail(f"approximate={approximate!r} is not one of 'none', 'tanh'")
    return _call(node, "gelu" if approximate == "none" else "gelu_tanh", node.value(0))


@translates("HardSigmoid", layer=True)
def _hard_sigmoid(node: Node, graph: Graph) -> Value:
    """`hard_sigmoid(x, alpha=a, beta=b)`, alpha and beta as the model stores them
    (ONNX's defaults: the float32 nearest 0.2, and 0.5)."""
    return _call(node, "hard_sigmoid", node.value(0), alpha=node.attribute("alpha", 0.20000000298023224),
                 beta=node.attribute("beta", 0.5))


@translates("Clip", layer=True)
def _clip(node: Node, graph: Graph) -> Value:
    """`relu6(x)` for bounds (0, 6), `hardtanh(x)` for (-1, 1), else
    `hardtanh(x, min_val=lo, max_val=hi)`; `maximum(x, lo)` or `minimum(x, hi)` with
    one bound. The bounds are constant inputs (opset >= 11) or attributes."""
    x = node.value(0)
    if node.opset < 11:
        lo, hi = node.attribute("min", -math.inf), node.attribute("max", math.inf)
    else:
        lo = node.scalar(1) if node.input(1) is not None else -math.inf
        hi = node.scalar(2) if node.input(2) is not None else math.inf
    if lo >= hi:
        raise node.fail(f"Clip with min {lo} >= max {hi} is a constant; dcp does not translate it")
    if (lo, hi) == (0, 6):
        return _call(node, "relu6", x)
    if (lo, hi) == (-1, 1):
        return _call(node, "hardtanh", x)
    if math.isinf(lo) and math.isinf(hi):
        return x
    if math.isinf(hi):
        return Value(f"maximum({x.text}, {number(lo).text})", ATOM, x.dims, x.batched, x.scalar)
    if math.isinf(lo):
        return Value(f"minimum({x.text}, {number(hi).text})", ATOM, x.dims, x.batched, x.scalar)
    return _call(node, "hardtanh", x, min_val=lo, max_val=hi)


@translates("Pow", layer=True)
def _pow(node: Node, graph: Graph) -> Value:
    """`x ^ p`, the exponent a constant number; `1 / x ^ k` for a negative integer
    `p = -k`, which ONNX defines for negative x too (dcp's `x ^ -k` is defined for
    x > 0 only). A fractional exponent of a negative number is NaN in ONNX, and
    outside the domain of dcp's `x ^ p`."""
    x, p = node.value(0), node.scalar(1)
    if p < 0 and p == int(p):
        power = wrap(x, UNARY) if p == -1 else f"{wrap(x, ATOM)} ^ {number(-p).text}"
        return Value(f"1 / {power}", PRODUCT, x.dims, x.batched, x.scalar)
    return Value(f"{wrap(x, ATOM)} ^ {number(p).text}", POWER, x.dims, x.batched, x.scalar)


@translates("Max", "Min", layer=True)
def _extreme(node: Node, graph: Graph) -> Value:
    """`maximum(a, b, ...)`, `minimum(a, b, ...)`; one input is itself."""
    first = next((v for v in node.inputs if isinstance(v, Value)), None)
    if first is None:
        raise node.fail("every input is a constant")
    operands = [graph.operand(node, given, first) for given in node.inputs]
    if len(operands) == 1:
        return operands[0]
    written, result = broadcast(node, operands)
    name = "maximum" if node.op_type == "Max" else "minimum"
    return Value(f"{name}({', '.join(v.text for v in written)})", ATOM, result.dims,
                 result.batched, result.scalar)


# ---- arithmetic ----

def _pair(node: Node, graph: Graph) -> tuple[Value, Value, Value]:
    """The two operands of a binary node, aligned; and the result's template."""
    a, b = node.input(0), node.input(1)
    partner = a if isinstance(a, Value) else b if isinstance(b, Value) else None
    if partner is None:
        raise node.fail("both operands are constants; export with constant folding "
                        "(torch.onnx.export(..., do_constant_folding=True))")
    (a, b), result = broadcast(node, [graph.operand(node, a, partner), graph.operand(node, b, partner)])
    return a, b, result


@translates("Add", "Sub")
def _sum(node: Node, graph: Graph) -> Value:
    """`a + b`, `a - b` (a negative number added is written as its subtraction)."""
    a, b, result = _pair(node, graph)
    return _plus(a, "+" if node.op_type == "Add" else "-", b, result)


def _plus(a: Value, op: str, b: Value, result: Value) -> Value:
    """`a + b` or `a - b` with `result`'s shape; a negative number added is written
    as its subtraction (`W @ x - 0.5`)."""
    right = b.text
    # `-t` and `-3 * t` are the negation of what follows the sign (a leading minus
    # negates the first factor, so the product).
    if b.level in (PRODUCT, UNARY) and b.text.startswith("-"):
        op, right = "-" if op == "+" else "+", b.text[1:]
    elif b.level <= SUM:
        right = f"({b.text})"
    return Value(f"{wrap(a, SUM)} {op} {right}", SUM, result.dims, result.batched, result.scalar)


@translates("Mul", "Div")
def _product(node: Node, graph: Graph) -> Value:
    """`a * b`, `a / b`, elementwise, by constants or between activations (dcp's
    product and division rules decide what follows)."""
    divisor = node.input(1)
    if node.op_type == "Div" and isinstance(divisor, Tensor) and divisor.array.size == 1 \
            and divisor.array.reshape(()) == 0:
        raise node.fail("divides by 0 (the model's value is inf or NaN there)")
    a, b, result = _pair(node, graph)
    op = "*" if node.op_type == "Mul" else "/"
    return Value(f"{wrap(a, PRODUCT)} {op} {wrap(b, UNARY)}", PRODUCT, result.dims,
                 result.batched, result.scalar)


@translates("Neg")
def _neg(node: Node, graph: Graph) -> Value:
    """`-x`."""
    x = node.value(0)
    return Value(f"-{wrap(x, POWER)}", UNARY, x.dims, x.batched, x.scalar)


def _vector(node: Node, x: Value, role: str) -> Value:
    """`x` as a dcp vector: `[s]` for a scalar kept as a length-1 axis."""
    if len(x.dims) != 1:
        raise node.fail(f"{role} must be a vector for one sample, got shape {list(x.dims)}")
    return Value(f"[{x.text}]", ATOM, x.dims, x.batched) if x.scalar else x


@translates("Gemm")
def _gemm(node: Node, graph: Graph) -> Value:
    """`W @ x + b` (`transB=1`, PyTorch's Linear), `W.T @ x + b` (`transB=0`),
    with `alpha * ...` and `beta * b` when they are not 1: alpha A B' + beta C with A
    the activation (a row per sample) and B a constant; C is optional."""
    alpha, beta = node.attribute("alpha", 1.0), node.attribute("beta", 1.0)
    if node.attribute("transA", 0):
        raise node.fail("transA=1 multiplies across the batch axis, which would mix samples")
    # Before opset 7 a bias that broadcasts says so (broadcast=1): dcp broadcasts it.
    broadcasts = node.attribute("broadcast", 0) if node.opset < 7 else 1
    x = _vector(node, node.value(0), "input A")
    if not x.batched:
        raise node.fail("input A must have a batch axis (rank 2)")
    product = graph.product(node, node.tensor(1), not node.attribute("transB", 0), x)
    if alpha != 1:
        product = Value(f"{wrap(number(alpha), PRODUCT)} * ({product.text})", PRODUCT,
                        product.dims, True)
    if node.input(2) is None or beta == 0:
        return product
    if not broadcasts and node.tensor(2).array.ndim != 2:
        raise node.fail("a bias of rank 1 without broadcast=1 is not valid at this opset")
    bias = graph.operand(node, node.tensor(2), product)
    if beta != 1:
        bias = Value(f"{wrap(number(beta), PRODUCT)} * {wrap(bias, UNARY)}", PRODUCT, bias.dims,
                     False, bias.scalar)
    (product, bias), result = broadcast(node, [product, bias])
    return _plus(product, "+", bias, result)


@translates("MatMul")
def _matmul(node: Node, graph: Graph) -> Value:
    """`W.T @ x` (the activation, a row per sample, times a constant matrix W),
    `W @ x` (a constant matrix times a vector without a batch axis), `dot(w, x)`
    (times a constant vector)."""
    a, b = node.input(0), node.input(1)
    if isinstance(a, Value) and isinstance(b, Tensor):
        x = _vector(node, a, "input A")
        if b.array.ndim == 1:
            return _dot(node, graph, b, x)
        return graph.product(node, b, True, x)
    if isinstance(a, Tensor) and isinstance(b, Value) and not b.batched:
        return graph.product(node, a, False, _vector(node, b, "input B"))
    raise node.fail("dcp translates a product of an activation and a constant matrix only")


def _dot(node: Node, graph: Graph, w: Tensor, x: Value) -> Value:
    """`dot(w, x)`, one number per sample; `c * x[0]` for a weight of one entry."""
    if w.array.shape[0] != x.dims[0]:
        raise node.fail(f"a vector of {w.array.shape[0]} cannot multiply a vector of "
                        f"{x.dims[0]} (one sample)")
    c = graph.operand(node, w, x)
    if c.scalar:
        entry = x.text[1:-1] if x.scalar else f"{wrap(x, ATOM)}[0]"     # `[s]`: s
        return Value(f"{c.text} * {entry}", PRODUCT, (), x.batched)
    return Value(f"dot({c.text}, {x.text})", ATOM, (), x.batched)


# ---- reductions ----

def _axes(node: Node, rank: int, input_from: int) -> list[int] | None:
    """The axes a reduction names (attribute before opset `input_from`, input after),
    normalised; None when it names none."""
    if node.opset < input_from:
        axes = node.attribute("axes")
    else:
        axes = None if node.input(1) is None else [int(a) for a in node.tensor(1).array.reshape(-1)]
    if axes is None or len(axes) == 0:
        return None
    return sorted({a + rank if a < 0 else a for a in axes})


_REDUCTIONS = {"ReduceSum": ("sum", 13), "ReduceMean": ("mean", 18), "ReduceMax": ("max", 18),
               "ReduceLogSumExp": ("logsumexp", 18)}


@translates("ReduceMax", "ReduceLogSumExp", layer=True)
@translates("ReduceSum", "ReduceMean")
def _reduce(node: Node, graph: Graph) -> Value:
    """`sum(x)`, `mean(x)`, `max(x)`, `logsumexp(x)` over the feature axis (axes
    as attribute or input by opset; keepdims changes nothing for one sample). Over the
    batch axis alone, the identity: of one number, each is the number."""
    atom, input_from = _REDUCTIONS[node.op_type]
    x = node.value(0)
    keep = bool(node.attribute("keepdims", 1))
    noop = bool(node.attribute("noop_with_empty_axes", 0))
    axes = _axes(node, x.rank, input_from)
    if axes is None:
        axes = [] if noop else list(range(x.rank))
    feature = x.rank - 1 if x.dims else None
    reduced = feature is not None and feature in axes
    if not reduced:
        text, level = x.text, x.level
    else:
        text, level = (f"{atom}({x.text})", ATOM) if not x.scalar else (x.text, x.level)
    batch_dropped = x.batched and 0 in axes and not keep
    if not reduced:
        return Value(text, level, x.dims, x.batched and not batch_dropped, x.scalar)
    return Value(text, level, (1,) if keep else (), x.batched and not batch_dropped, keep)


@translates("Softmax", "LogSoftmax", layer=True)
def _softmax(node: Node, graph: Graph) -> Value:
    """`softmax(x)`, `log_softmax(x)`; the axis must be the feature axis."""
    x = _vector(node, node.value(0), "the input")
    axis = node.attribute("axis", 1 if node.opset < 13 else -1)
    if (axis + x.rank if axis < 0 else axis) != x.rank - 1:
        raise node.fail(f"axis={axis} is not the feature axis; dcp reads one sample as a vector")
    name = "softmax" if node.op_type == "Softmax" else "log_softmax"
    return Value(f"{name}({x.text})", ATOM, x.dims, x.batched)


# ---- losses (the label a one-hot vector) ----

def _label(node: Node, graph: Graph, classes: int) -> str:
    """The dcp name of the loss's label input, declared a vector of `classes`."""
    label = node.input(1)
    if isinstance(label, Value):
        raise node.fail("the label is a tensor of real numbers, but this operator takes class "
                        "indices (the model is not valid ONNX); dcp reads an integer input")
    if not isinstance(label, Label):
        raise node.fail("the label must be a graph input of class indices")
    if node.input(2) is not None:
        raise node.fail("class weights are not supported")
    ignore = node.attribute("ignore_index")
    if ignore is not None and 0 <= ignore < classes:
        raise node.fail(f"ignore_index={ignore} is a class; dcp reads the label as a one-hot "
                        f"vector and cannot ignore one")
    reduction = node.attribute("reduction", "mean")
    if reduction not in ("mean", "sum", "none"):
        raise node.fail(f"reduction={reduction!r} is not one of 'mean', 'sum', 'none'")
    if graph.labels.get(label.name, (classes,)) != (classes,):
        raise node.fail(f"the label is read with {graph.labels[label.name][0]} classes elsewhere, "
                        f"with {classes} here")
    graph.labels[label.name] = (classes,)
    graph.origins[label.name] = f"graph input {label.onnx_name} (a class index, read as a one-hot vector)"
    return label.name


@translates("SoftmaxCrossEntropyLoss", layer=True)
def _cross_entropy(node: Node, graph: Graph) -> Value:
    """`cross_entropy(z, y)`, `y` the label as a one-hot vector: -log softmax(z)[label]
    is logsumexp(z) - dot(y, z). Any reduction of one sample is its loss; class weights,
    and an ignore_index that is a class, are refused."""
    z = _vector(node, node.value(0), "the scores")
    y = _label(node, graph, z.dims[0])
    return Value(f"cross_entropy({z.text}, {y})", ATOM, (), False)


@translates("NegativeLogLikelihoodLoss", layer=True)
def _nll(node: Node, graph: Graph) -> Value:
    """`-dot(y, z)`, `y` the label as a one-hot vector: -z[label]."""
    z = _vector(node, node.value(0), "the input")
    y = _label(node, graph, z.dims[0])
    return Value(f"-dot({y}, {z.text})", UNARY, (), False)


# ---- structure ----

@translates("Identity")
def _identity(node: Node, graph: Graph) -> Value | Tensor:
    """The input itself."""
    given = node.input(0)
    if isinstance(given, Label):
        raise node.fail("a class-index input can only be a loss's label")
    return given


@translates("Concat")
def _concat(node: Node, graph: Graph) -> Value:
    """`hstack(a, b, ...)`: vectors joined along the feature axis."""
    first = next((v for v in node.inputs if isinstance(v, Value)), None)
    if first is None:
        raise node.fail("every input is a constant")
    axis = node.attribute("axis")
    if (axis + first.rank if axis < 0 else axis) != first.rank - 1 or not first.dims:
        raise node.fail(f"axis={axis} is not the feature axis; dcp reads one sample as a vector")
    parts = [_vector(node, graph.operand(node, given, first), "each input") for given in node.inputs]
    if len(parts) == 1:
        return parts[0]
    size = sum(p.dims[0] for p in parts)
    return Value(f"hstack({', '.join(p.text for p in parts)})", ATOM, (size,),
                 any(p.batched for p in parts))


@translates("Flatten")
def _flatten(node: Node, graph: Graph) -> Value:
    """The input itself, when one sample stays the same vector (the result, [1, n] for
    one sample, is a batch of vectors); else refused."""
    x = node.value(0)
    axis = node.attribute("axis", 1)
    onnx_dims = ((1,) if x.batched else ()) + x.dims      # one sample: the batch axis is 1
    axis = axis + len(onnx_dims) if axis < 0 else axis
    if math.prod(onnx_dims[:axis]) != 1:
        raise node.fail(f"axis={axis} makes one sample a matrix; dcp translates Flatten only "
                        f"when each sample stays a vector")
    return _same_vector(x, (math.prod(onnx_dims[axis:]),), batched=True)


@translates("Reshape")
def _reshape(node: Node, graph: Graph) -> Value:
    """The input itself, when one sample stays the same vector: shape [-1, n], [0, n],
    [1, n] or [n] (the sample's n entries in their order); else refused."""
    x, shape = node.value(0), [int(s) for s in node.tensor(1).array.reshape(-1)]
    allow_zero = node.attribute("allowzero", 0)
    onnx_dims = ((1,) if x.batched else ()) + x.dims      # one sample: the batch axis is 1
    size = math.prod(onnx_dims)
    resolved = [onnx_dims[i] if s == 0 and not allow_zero and i < len(onnx_dims) else s
                for i, s in enumerate(shape)]
    if resolved.count(-1) == 1:
        rest = math.prod(s for s in resolved if s != -1)
        if rest > 0 and size % rest == 0:
            resolved[resolved.index(-1)] = size // rest
    if any(s < 0 for s in resolved) or math.prod(resolved) != size:
        raise node.fail(f"shape {shape} does not fit an input of shape {list(onnx_dims)}")
    batched = len(resolved) == 2 and resolved[0] == 1
    dims = tuple(resolved[1:] if batched else resolved)
    if len(dims) > 1:
        raise node.fail(f"shape {shape} makes one sample a matrix; dcp translates Reshape "
                        f"only when each sample stays the same vector")
    return _same_vector(x, dims, batched)


def _same_vector(x: Value, dims: tuple[int, ...], batched: bool) -> Value:
    """`x` (the same entries in the same order) seen with per-sample shape `dims`."""
    if dims == () and x.dims == (1,) and not x.scalar:
        return Value(f"{wrap(x, ATOM)}[0]", ATOM, (), batched)
    return Value(x.text, x.level, dims, batched, dims == (1,) and (x.scalar or x.dims == ()))


@translates("Transpose")
def _transpose(node: Node, graph: Graph) -> Value | Tensor:
    """A constant matrix's transpose (written `W.T` where it is used); on a vector
    without a batch axis, the vector."""
    given = node.input(0)
    perm = node.attribute("perm")
    if isinstance(given, Tensor):
        if given.array.ndim < 2:
            return given
        if given.array.ndim != 2 or (perm is not None and list(perm) != [1, 0]):
            raise node.fail(f"perm={perm} of a constant of shape {list(given.array.shape)}")
        of = given.of
        return of if of is not None else Tensor(given.onnx_name, given.array.T, given.source, given)
    x = node.value(0)
    if x.rank > 1:
        raise node.fail("transposing a batch of samples would mix them")
    return x


@translates("Constant")
def _constant(node: Node, graph: Graph) -> Tensor:
    """A number where one entry is used, else a named constant: the tensor given as
    `value`, `value_float(s)` or `value_int(s)`."""
    from onnx import numpy_helper
    found = [k for k in ("value", "value_float", "value_floats", "value_int", "value_ints")
             if node.attribute(k) is not None]
    if len(found) != 1:
        raise node.fail("dcp reads a Constant given as value, value_float(s) or value_int(s)")
    given = node.attribute(found[0])
    array = numpy_helper.to_array(given) if found[0] == "value" else np.asarray(given)
    return Tensor(node.outputs[0], as_numbers(node, array, "its value"), node.origin)


def as_numbers(node: Node, array: np.ndarray, what: str) -> np.ndarray:
    """`array` (`what`, read by `node`) as float64 (exact for every float and for
    integers below 2^53) or int64 for integers (shapes and axes); a tensor of other
    numbers (float8, complex), of strings, or holding NaN or inf is the node's error."""
    if array.dtype.kind in "iub":
        return array.astype(np.int64)
    if array.dtype.kind != "f" and str(array.dtype) != "bfloat16":
        kind = "strings" if array.dtype.kind in "OSU" else f"{array.dtype} values"
        raise node.fail(f"{what} holds {kind}; dcp reads tensors of real numbers "
                        f"(float16 to float64, bfloat16, integers)")
    numbers = array.astype(np.float64)
    if not np.isfinite(numbers).all():
        bad = numbers[~np.isfinite(numbers)][0]
        raise node.fail(f"{what} holds {float(bad)!r}; dcp reads finite numbers")
    return numbers

