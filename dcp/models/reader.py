"""Read an ONNX model: `translate` gives its `Translation` (bindings,
constants, inputs, the output's text, origins); `from_onnx` a `dcp.Session`
that holds it.

The model is read on one sample. An input `FLOAT[batch, n]` (the batch of symbolic size
or 1) is a vector of n; `FLOAT[n]` is a vector of n with no batch axis; a scalar input
is a scalar. Each node's output is one sample's activation, so a reduction over the
batch axis is the identity (the sum or mean of one number is the number), and anything
else that would mix samples is refused.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import DcpError, option
from .graph import ATOM, Graph, Label, Names, Node, Tensor, Value

if TYPE_CHECKING:
    import numpy as np

    from ..api import Session

__all__ = ["Translation", "translate", "from_onnx", "load", "check_wrt"]


@dataclass(frozen=True)
class Translation:
    """An ONNX graph as dcp text, for one sample.

    `bindings` are `(name, text)` in graph order (the outputs of activations, and of
    values used more than once; the rest is written inline); `constants` the weights
    used, by dcp name, as float64 arrays; `inputs` each graph input's dcp name and
    shape for one sample (a class-index input read by a loss is a one-hot vector);
    `expression` the graph output's text; `origins` where each dcp name came from;
    `labels` the class-index inputs read as one-hot vectors (a session assumes
    `0 <= label <= 1` on them).
    """

    bindings: tuple[tuple[str, str], ...]
    constants: dict[str, "np.ndarray"]
    inputs: dict[str, tuple[int, ...]]
    expression: str
    origins: dict[str, str]
    #: The dcp name of each ONNX name that was renamed (``wz2.weight`` -> ``wz2_weight``).
    renamed: dict[str, str]
    labels: tuple[str, ...] = ()


def load(model_or_path: Any) -> Any:
    """The `onnx.ModelProto` of a path or a model, checked by `onnx.checker`."""
    try:
        import onnx
    except ImportError:
        raise DcpError('reading ONNX models needs the onnx package: pip install "dcp[onnx]"') from None
    if isinstance(model_or_path, (str, os.PathLike)):
        path = os.fspath(model_or_path)
        if os.path.isdir(path):
            raise DcpError(f"{path!r} is a directory, not an ONNX file")
        if not os.path.isfile(path):
            raise DcpError(f"no ONNX model at {path!r}: the file does not exist")
        try:
            model = onnx.load(path, load_external_data=False)
        except Exception as error:              # protobuf's DecodeError and its kin
            raise DcpError(f"{path!r} is not an ONNX model: {_first_line(error)}") from None
        _load_external_data(model, path)
    elif isinstance(model_or_path, onnx.ModelProto):
        model = model_or_path
    else:
        raise DcpError(f"from_onnx reads an onnx.ModelProto or a path to a .onnx file, "
                       f"not a {type(model_or_path).__name__}")
    try:
        onnx.checker.check_model(model)
    except Exception as error:                  # onnx.checker.ValidationError
        raise DcpError(f"the ONNX model is not valid: {_first_line(error)}") from None
    return model


def _load_external_data(model: Any, path: str) -> None:
    """The weights a model keeps in files beside it, read into `model`."""
    from onnx.external_data_helper import load_external_data_for_model, uses_external_data
    if not any(uses_external_data(t) for t in model.graph.initializer):
        return
    try:
        load_external_data_for_model(model, os.path.dirname(os.path.abspath(path)))
    except Exception as error:                  # a missing or short file: OSError and kin
        raise DcpError(f"the weights of {path!r} are stored in an external file that cannot be "
                       f"read: {_first_line(error)}") from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def _opset(model: Any) -> int:
    """The version of the default (ai.onnx) operator set the model imports."""
    for entry in model.opset_import:
        if entry.domain in ("", "ai.onnx"):
            return entry.version
    raise DcpError("the ONNX model imports no version of the standard operator set")


def _reserved() -> frozenset[str]:
    """Names dcp text cannot use for a value: keywords and atoms."""
    from ..atoms import REGISTRY
    from ..syntax.reader import KEYWORDS
    return frozenset(KEYWORDS) | frozenset(REGISTRY)


def _input(value_info: Any, name: str) -> Value | Label:
    """A graph input as one sample: `[batch, n]` (batch symbolic or 1) is a vector of
    n; `[n]` a vector; `[]` a scalar; `[batch]` (symbolic) one number per sample.
    An integer input is a class index (`Label`)."""
    from onnx import TensorProto
    kind = value_info.type.WhichOneof("value")
    if kind != "tensor_type":
        raise DcpError(f"graph input `{value_info.name}` is a {kind}, not a tensor")
    tensor = value_info.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim]
    batched = len(dims) == 2 or (len(dims) == 1 and dims[0] is None)
    if batched and dims[0] not in (None, 1):
        raise DcpError(f"graph input `{value_info.name}` has shape {dims}: a batch of "
                       f"{dims[0]} samples (dcp reads one sample: a batch axis of symbolic size or 1)")
    sample = dims[1:] if batched else dims
    if len(dims) > 2 or None in sample:
        raise DcpError(f"graph input `{value_info.name}` has shape {_shape(tensor)}; dcp reads "
                       f"one sample as a vector of known length: [batch, n], [n] or []")
    if tensor.elem_type in (TensorProto.INT64, TensorProto.INT32):
        # [batch] or [1]: one class index per sample (a batch axis of fixed size 1 too).
        if len(dims) > 1 or (dims and dims[0] not in (None, 1)):
            raise DcpError(f"graph input `{value_info.name}` holds integers of shape "
                           f"{_shape(tensor)}; dcp reads integers only as one class index per sample")
        return Label(value_info.name, name, bool(dims))
    if tensor.elem_type not in (TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.FLOAT16,
                                TensorProto.BFLOAT16):
        raise DcpError(f"graph input `{value_info.name}` is not a tensor of real numbers")
    return Value(name, ATOM, tuple(sample), batched)


def _shape(tensor: Any) -> list:
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or "?") for d in tensor.shape.dim]


def translate(model_or_path: Any, *, output: str | None = None) -> Translation:
    """The `Translation` of an ONNX model (a path or an `onnx.ModelProto`);
    `output` names the graph output to translate when there are several."""
    from .operators import LAYERS, OPERATORS, supported
    model = load(model_or_path)
    opset, graph_proto = _opset(model), model.graph
    target = _output(graph_proto, output)
    nodes = _needed(graph_proto.node, target)
    _refuse_unsupported(nodes, OPERATORS, supported)
    graph = Graph(Names(_reserved(), _onnx_names(graph_proto)))
    values, inputs = _sources(graph_proto, graph)
    initializers = {tensor.name: tensor for tensor in graph_proto.initializer}
    uses = _uses(nodes, target)
    for proto in nodes:
        node = Node(proto, [], opset)
        node.inputs = [_read(node, n, values, initializers) if n else None for n in proto.input]
        result = OPERATORS[proto.op_type](node, graph)
        # A guard for attributes a newer opset adds: one no entry reads is refused,
        # never ignored.
        if node.unread():
            raise node.fail(f"dcp does not translate the attribute {', '.join(node.unread())}")
        if any(extra and (uses.get(extra) or extra == target) for extra in proto.output[1:]):
            raise node.fail("only its first output can be used")
        out = proto.output[0]
        if isinstance(result, Value) and _layer(proto, result, uses.get(out, 0), out == target, LAYERS):
            name = graph.names.new(out)
            graph.bind(name, result.text, node.origin)
            result = Value(name, ATOM, result.dims, result.batched, result.scalar)
        values[out] = result
    final = values.get(target)
    if not isinstance(final, Value):
        raise DcpError(f"the graph output `{target}` does not depend on the graph's inputs")
    return Translation(tuple(graph.bindings), graph.constants, {**inputs, **graph.labels},
                       final.text, graph.origins,
                       {onnx: name for onnx, name in graph.names.given.items() if onnx != name},
                       tuple(graph.labels))


def _onnx_names(graph_proto: Any) -> frozenset[str]:
    """The names of the graph's values: inputs, initializers, node outputs."""
    names = {v.name for v in graph_proto.input} | {t.name for t in graph_proto.initializer}
    return frozenset(names.union(*(proto.output for proto in graph_proto.node)))


def _read(node: Node, name: str, values: dict, initializers: dict) -> Value | Tensor | Label:
    """The value `name` that `node` reads; an initializer is read when a node first
    reads it (one the output does not depend on is never read), its errors the node's."""
    if name not in values:
        from onnx import numpy_helper

        from .operators import as_numbers
        what = f"initializer `{name}`"
        try:
            array = numpy_helper.to_array(initializers[name])
        except Exception as error:              # a data type numpy cannot hold, a short buffer
            raise node.fail(f"{what} cannot be read: {_first_line(error)}") from None
        values[name] = Tensor(name, as_numbers(node, array, what), f"initializer {name}")
    return values[name]


def _sources(graph_proto: Any, graph: Graph) -> tuple[dict, dict[str, tuple[int, ...]]]:
    """The graph's inputs, by ONNX name (initializers are read when a node reads them);
    and each real-valued input's dcp name and shape for one sample."""
    values: dict[str, Value | Tensor | Label] = {}
    initializers = {tensor.name for tensor in graph_proto.initializer}
    inputs: dict[str, tuple[int, ...]] = {}
    for value_info in graph_proto.input:
        if value_info.name in initializers:    # an initializer listed as an input (IR < 4)
            continue
        given = _input(value_info, graph.names.new(value_info.name))
        values[value_info.name] = given
        if isinstance(given, Value):
            inputs[given.text] = given.dims
            graph.origins[given.text] = f"graph input {value_info.name}"
    return values, inputs


def _needed(nodes: Any, target: str) -> list:
    """The nodes the output `target` depends on, in graph order (another output's
    branch, say an ArgMax beside the logits, is not read)."""
    wanted, needed = {target}, []
    for proto in reversed(nodes):
        if wanted.intersection(proto.output):
            needed.append(proto)
            wanted.update(name for name in proto.input if name)
    return needed[::-1]


def _refuse_unsupported(nodes: list, operators: dict, supported) -> None:
    """The first node dcp has no entry for, named with the supported list (before any
    other complaint: an unsupported operator is the news)."""
    for proto in nodes:
        if proto.domain not in ("", "ai.onnx") or proto.op_type not in operators:
            kind = proto.op_type if proto.domain in ("", "ai.onnx") else f"{proto.domain}.{proto.op_type}"
            name = proto.name or proto.output[0]
            article = "an" if kind[0] in "AEIOU" else "a"
            raise DcpError(f"ONNX node `{name}` is {article} {kind}, which dcp cannot translate; "
                           f"supported: {supported()}")


def _output(graph_proto: Any, output: str | None) -> str:
    """The graph output to translate: the only one, or the one `output` names."""
    names = [o.name for o in graph_proto.output]
    if output is None:
        if len(names) != 1:
            raise DcpError(f"the model has {len(names)} outputs ({', '.join(names)}); say which "
                           f"to certify with {option('output', names[0])}")
        return names[0]
    if output not in names:
        raise DcpError(f"the model has no output `{output}`; its outputs: {', '.join(names)}")
    return output


def _uses(nodes: list, target: str) -> dict[str, int]:
    """How many times each value is read: by the nodes, and as the output."""
    counts = {target: 1}
    for proto in nodes:
        for name in proto.input:
            counts[name] = counts.get(name, 0) + 1
    return counts


def _layer(proto: Any, result: Value, uses: int, is_output: bool, layers: set[str]) -> bool:
    """Whether a node's output is bound to a name: an activation's (a layer, so traces
    read `h1 = relu(W0 @ x + b0)`) or a value read more than once, unless it is the
    graph output read only as such (its text is the expression), or already a name or
    a number."""
    if result.text.isidentifier() or result.level == ATOM and result.text[:1].isdigit():
        return False
    if is_output and uses == 1:
        return False
    return proto.op_type in layers or uses > 1


#: How many weights an unknown --wrt lists (a model may have hundreds).
_LISTED = 20


def check_wrt(session: "Session", wrt: list[str]) -> None:
    """Refuse a name in `wrt` (ONNX spellings allowed: `x.1`) that is neither an input
    nor a weight of the model `session` holds (from `from_onnx`), listing them as dcp
    names them."""
    inputs = [name for name, origin in session.origins.items() if origin.startswith("graph input ")]
    known = set(inputs) | set(session.constants)
    for name in wrt:
        if isinstance(name, str) and session.aliases.get(name, name) not in known:
            listed = [f"`{w}`" for w in list(session.constants)[:_LISTED]]
            more = len(session.constants) - len(listed)
            weights = ", ".join(listed + ([f"and {more} more"] if more > 0 else [])) or "none"
            raise DcpError(f"`{name}` in {option('wrt')} is not an input or a weight of the model; "
                           f"its inputs: {', '.join(f'`{i}`' for i in inputs)}; its weights: {weights}")


def from_onnx(model_or_path: Any, *, symbolic: bool = False, output: str | None = None) -> "Session":
    """A `dcp.Session` holding an ONNX model: its weights as constants with their
    values (`symbolic=True`: parameters with the sign pattern of their values), its
    inputs' shapes for one sample, a binding per layer, and the graph output as the
    default expression, so `from_onnx("icnn.onnx").certify(wrt="y")` certifies the
    network in its input `y`.
    """
    from ..api import Session
    translation = translate(model_or_path, output=output)
    session = Session()
    for name, values in translation.constants.items():
        session.constant(name, values, symbolic=symbolic)
    for name, dims in translation.inputs.items():
        session.declare_shape(name, dims)
    for name, text in translation.bindings:
        session.bind(name, text)
    session.expression = translation.expression
    for label in translation.labels:
        # A one-hot vector lies in [0, 1]; NLL and cross-entropy are convex in the logits
        # for every nonnegative label, so a witness never needs a label no model takes.
        session.assume(f"0 <= {label} <= 1")
    session.origins = dict(translation.origins)
    session.aliases = dict(translation.renamed)
    return session
