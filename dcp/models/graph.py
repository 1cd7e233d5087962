"""An ONNX graph read as dcp text, one sample at a time.

A value of the graph is either a `Tensor` (its entries are in the file: an
initializer, a `Constant` node's value) or a `Value` (it depends on the graph's
inputs: dcp text for one sample). A model is read on one sample: the leading batch axis
of inputs and activations (of symbolic size or 1) is dropped, so an input `FLOAT[batch,
3]` is a vector of 3, and each activation is a vector or a scalar.

The operators themselves are in `dcp.models.operators`, one entry per ONNX op type;
this module holds what they share: precedence-aware text, exact numbers, dcp names made
from ONNX names, constants aligned with the activation they meet, and the rule for which
values become bindings.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ..errors import DcpError

if TYPE_CHECKING:
    import numpy as np

__all__ = ["SUM", "PRODUCT", "UNARY", "POWER", "ATOM", "Value", "Tensor", "Label", "Node",
           "Graph", "number", "wrap"]

#: Precedence of a text's outermost operator, lowest first: a text is put in parentheses
#: where it is an operand that binds tighter than it.
SUM, PRODUCT, UNARY, POWER, ATOM = range(1, 6)


@dataclass(frozen=True)
class Value:
    """An activation of one sample, as dcp text.

    `dims` is its per-sample ONNX shape (`()` or `(n,)`); `batched` whether the
    ONNX tensor has the leading batch axis; `scalar` whether the text is a dcp scalar
    although `dims` is `(1,)` (a reduction that kept its axis: ONNX broadcasts a
    length-1 axis as dcp broadcasts a scalar).
    """

    text: str
    level: int
    dims: tuple[int, ...]
    batched: bool
    scalar: bool = False

    @property
    def rank(self) -> int:
        """The ONNX tensor's rank."""
        return len(self.dims) + self.batched


@dataclass(frozen=True)
class Tensor:
    """A tensor whose entries the file holds; `source` names where (for origins)."""

    onnx_name: str
    array: "np.ndarray"
    source: str
    #: This tensor is `of.array.T`: text writes `W.T` of the named `of`.
    of: "Tensor | None" = None

    @property
    def weight(self) -> bool:
        """Whether the tensor is an initializer (a weight, which may be certified in or
        stand for its sign), not a `Constant` node's value (part of the architecture)."""
        return self.source.startswith("initializer ")


@dataclass(frozen=True)
class Label:
    """An integer graph input: a class index, used only as a loss's label and read as
    a one-hot vector parameter named `name`."""

    onnx_name: str
    name: str
    batched: bool


def wrap(value: Value, level: int) -> str:
    """`value`'s text as an operand that needs precedence `level`."""
    return value.text if value.level >= level else f"({value.text})"


def number(x: float) -> Value:
    """The float `x` written so that dcp, which reads a literal as the exact decimal
    written, reads exactly `x`: the shortest repr when it is exact, else the float's
    full decimal expansion (a binary float always has a finite one)."""
    if not math.isfinite(x):
        raise DcpError(f"dcp cannot use the number {x!r} from the model")
    if x == int(x) and abs(x) < 2 ** 53:
        text = str(int(x))
    else:
        text = repr(x) if Decimal(repr(x)) == Decimal(x) else str(Decimal(x))
    return Value(text, UNARY if text.startswith("-") else ATOM, (), False)


_NAME_CHARS = re.compile(r"[^A-Za-z0-9_]+")


def _readable(onnx_name: str) -> str:
    """A dcp identifier that reads like `onnx_name`: PyTorch's `/layer1/Relu_output_0`
    is `layer1_Relu`, `fc1.weight` is `fc1_weight`, `onnx::MatMul_28` is
    `MatMul_28`."""
    text = re.sub(r"^onnx::", "", onnx_name)
    text = re.sub(r"_output_0$", "", text)
    text = re.sub(r"_+", "_", _NAME_CHARS.sub("_", text)).strip("_") or "t"
    return "t" + text if text[0].isdigit() else text


class Names:
    """dcp names for ONNX names: an ONNX name that is already a dcp name keeps it; the
    others are made readable, never a keyword or an atom's name, unique (a clash gets
    `_2`, `_3`, ... in the order names are asked for) and never the name another ONNX
    value of the graph (`own`, asked up front) has as its own."""

    def __init__(self, reserved: frozenset[str], own: frozenset[str] = frozenset()) -> None:
        self._reserved = reserved
        # Names other values keep: a renamed value must not take one.
        self._own = frozenset(n for n in own if self._valid(n))
        self._taken: set[str] = set()
        #: The dcp name each ONNX name was first given.
        self.given: dict[str, str] = {}

    def new(self, onnx_name: str, *, base: str | None = None) -> str:
        """A dcp name for the value `onnx_name`, made from `base` (another ONNX name, a
        node's) when given, else from `onnx_name` itself."""
        if base is None and self._valid(onnx_name) and onnx_name not in self._taken:
            name = onnx_name
            self._taken.add(name)
        else:
            name = self._fresh(base if base is not None else onnx_name)
        self.given.setdefault(onnx_name, name)
        return name

    def _valid(self, name: str) -> bool:
        return name.isidentifier() and name.isascii() and name not in self._reserved

    def _fresh(self, onnx_name: str) -> str:
        base = _readable(onnx_name)
        if base in self._reserved:
            base += "_"
        name, k = base, 2
        while name in self._taken or name in self._own:
            name, k = f"{base}_{k}", k + 1
        self._taken.add(name)
        return name


class Node:
    """One ONNX node as the operator table reads it: its inputs (a `Value`, a `Tensor`,
    a `Label`, or None for an omitted optional input), its attributes (the reader
    refuses one its entry did not read), the model's opset."""

    def __init__(self, proto: Any, inputs: list, opset: int) -> None:
        from onnx import helper
        self.name = proto.name or (proto.output[0] if proto.output else "?")
        self.op_type = proto.op_type
        self.outputs = list(proto.output)
        self.inputs = inputs
        self.opset = opset
        self._attributes = {a.name: helper.get_attribute_value(a) for a in proto.attribute}
        self._read: set[str] = set()

    def __str__(self) -> str:
        return f"ONNX node `{self.name}` ({self.op_type})"

    @property
    def origin(self) -> str:
        """Where a dcp name made by this node came from: `ONNX node /fc2/Gemm (Gemm)`."""
        return f"ONNX node {self.name} ({self.op_type})"

    def fail(self, why: str) -> DcpError:
        """An error about this node, "ONNX node `/fc/Gemm` (Gemm): why"."""
        return DcpError(f"{self}: {why}")

    def attribute(self, name: str, default: Any = None) -> Any:
        """The attribute `name`, or `default` when the node does not set it. Strings
        are decoded; floats are the float32 stored, exactly."""
        self._read.add(name)
        value = self._attributes.get(name, default)
        numbers = value if isinstance(value, (list, tuple)) else [value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in numbers):
            raise self.fail(f"the attribute {name} is {value!r}; dcp reads finite numbers")
        return value.decode() if isinstance(value, bytes) else value

    def unread(self) -> list[str]:
        """The attributes set on the node that its entry did not read."""
        return sorted(set(self._attributes) - self._read)

    def input(self, index: int) -> Value | Tensor | Label | None:
        """Input `index`, or None when it is omitted (absent or the empty name)."""
        return self.inputs[index] if index < len(self.inputs) else None

    def value(self, index: int = 0) -> Value:
        """Input `index`, which must depend on the graph's inputs."""
        given = self.input(index)
        if not isinstance(given, Value):
            what = "a class-index input" if isinstance(given, Label) else \
                "missing" if given is None else "a constant"
            raise self.fail(f"input {index} is {what}; dcp translates this operator on an "
                            f"activation only")
        return given

    def tensor(self, index: int) -> Tensor:
        """Input `index`, which must be a tensor the file holds."""
        given = self.input(index)
        if not isinstance(given, Tensor):
            raise self.fail(f"input {index} must be a constant (an initializer or a Constant "
                            f"node) for dcp to translate it")
        return given

    def scalar(self, index: int) -> float:
        """Input `index`, a constant with a single entry, as a float."""
        array = self.tensor(index).array
        if array.size != 1:
            raise self.fail(f"input {index} must be a single number, got a tensor of shape "
                            f"{list(array.shape)}")
        return float(array.reshape(()))


@dataclass
class Graph:
    """What the translation has made so far: named constants, bindings, origins."""

    names: Names
    constants: dict[str, "np.ndarray"] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    bindings: list[tuple[str, str]] = field(default_factory=list)
    #: Each class-index input a loss read, by dcp name: its one-hot vector's shape.
    labels: dict[str, tuple[int, ...]] = field(default_factory=dict)
    # The dcp name of each (tensor, per-sample shape) used so far.
    _constant_names: dict[tuple[str, tuple[int, ...]], str] = field(default_factory=dict)

    def constant(self, node: Node, tensor: Tensor, array: "np.ndarray") -> str:
        """The dcp name for `array`, the values of `tensor` (possibly with leading
        size-1 axes dropped), registered on first use. A tensor the exporter named
        itself (PyTorch's `onnx::MatMul_28`) is named after the node that uses it
        (`wy1_MatMul`)."""
        key = (tensor.onnx_name, array.shape)
        if key not in self._constant_names:
            name = self.names.new(tensor.onnx_name, base=node.name if tensor.onnx_name.startswith("onnx::")
                                  else None)
            self._constant_names[key] = name
            self.constants[name] = array
            self.origins[name] = f"{tensor.source}, read by {node.origin}"
        elif node.origin not in self.origins[self._constant_names[key]]:
            # The nodes that read a weight: a break on its product names them.
            self.origins[self._constant_names[key]] += f", {node.origin}"
        return self._constant_names[key]

    def product(self, node: Node, tensor: Tensor, transpose: bool, x: Value) -> Value:
        """The 2-D `tensor` (transposed when `transpose`) times the vector `x`: `W @ x`
        by its own name or `W.T @ x` by the name of the tensor it transposes; a weight
        of one entry is its scalar name (`c * x`). The shapes must agree."""
        array = tensor.array.T if transpose else tensor.array
        if array.ndim != 2:
            raise node.fail(f"dcp multiplies by a matrix; this constant has shape "
                            f"{list(tensor.array.shape)}")
        if array.shape[1] != x.dims[0]:
            raise node.fail(f"a matrix of shape {list(array.shape)} cannot multiply a vector "
                            f"of {x.dims[0]} (one sample)")
        if array.size == 1 and tensor.weight:
            c = self.operand(node, tensor, None)
            return Value(f"{c.text} * {wrap(x, UNARY)}", PRODUCT, (1,), x.batched)
        if tensor.of is not None:
            tensor, transpose = tensor.of, not transpose
        name = self.constant(node, tensor, tensor.array)
        return Value(f"{name}.T @ {wrap(x, UNARY)}" if transpose else f"{name} @ {wrap(x, UNARY)}",
                     PRODUCT, (array.shape[0],), x.batched)

    def operand(self, node: Node, given: Value | Tensor | Label | None, partner: Value | None) -> Value:
        """`given` as an elementwise operand next to the activation `partner`: a
        constant is aligned with it as ONNX broadcasts (its axis against the batch axis
        must have size 1 and is dropped), then written as a number when it has one entry,
        else named."""
        if isinstance(given, Value):
            return given
        if not isinstance(given, Tensor):
            raise node.fail("an operand is missing or is a class index")
        array = given.array
        if given.of is not None:
            array = given.of.array.T
        rank = partner.rank if partner is not None else array.ndim
        if array.ndim > rank:
            raise node.fail(f"a constant of shape {list(array.shape)} meets an activation of "
                            f"rank {rank}; dcp reads one sample as a vector")
        if partner is not None and partner.batched and array.ndim == rank:
            if array.shape[0] != 1:
                raise node.fail(f"a constant of shape {list(array.shape)} differs across the "
                                f"batch axis, which would mix samples")
            array = array[0]
        # A weight of one entry is a scalar name wherever it is used (one name, so that
        # it is one variable and, in the symbolic mode, stands for its sign); a Constant
        # node's number is written where ONNX broadcasts it.
        if array.size == 1 and given.weight:
            name = self.constant(node, given.of or given, array.reshape(()))
            return Value(name, ATOM, array.shape, False, True)
        if array.size == 1 and (array.ndim == 0 or partner is None or partner.dims != array.shape):
            written = number(float(array.reshape(())))
            return Value(written.text, written.level, array.shape, False, True)
        if array.ndim > 1:
            raise node.fail(f"a constant of shape {list(array.shape)} would make one sample "
                            f"a matrix; dcp reads one sample as a vector")
        return Value(self.constant(node, given.of or given, array), ATOM, array.shape, False)

    def bind(self, name: str, text: str, origin: str) -> None:
        self.bindings.append((name, text))
        self.origins[name] = origin


def broadcast(node: Node, operands: list[Value]) -> tuple[list[Value], Value]:
    """Elementwise operands as dcp writes them, and a result template (empty text) with
    the per-sample shape, batch flag and scalar flag. A length-1 vector next to a longer
    one is indexed (`v[0]`): ONNX broadcasts it, dcp broadcasts only scalars."""
    dims = max((v.dims for v in operands), key=lambda d: (math.prod(d), len(d)))
    for v in operands:
        if math.prod(v.dims) != 1 and v.dims != dims:
            raise node.fail(f"operands of shapes {[list(o.dims) for o in operands]} (one "
                            f"sample) do not match")
    long = math.prod(dims) != 1
    written = [Value(f"{wrap(v, ATOM)}[0]", ATOM, (), v.batched, False)
               if long and v.dims == (1,) and not v.scalar else v for v in operands]
    scalar = dims == (1,) and all(v.scalar or v.dims == () for v in operands)
    return written, Value("", ATOM, dims, any(v.batched for v in operands), scalar)
