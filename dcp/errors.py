"""Errors a user can cause, and the errors that mean dcp itself is wrong.

Every mistake in what a user types is a `DcpError` (a `ValueError`) with a
one-line message; when there is source text, `str(error)` adds the line and column
and the source line with a caret under the spot, the way a compiler does::

    unknown function `sigmod`; did you mean `sigmoid` or `hard_sigmoid`?
      --> line 1, column 1
       |
     1 | sigmod(x)
       | ^^^^^^

Bugs in dcp are `DcpBug` subclasses, never `DcpError`: a user should never
be told that *their* input is wrong when the engine is.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterable, Iterator, NamedTuple, TypeVar

T = TypeVar("T")

__all__ = [
    "Span", "DcpError", "ParseError", "UnknownNameError", "ArgumentError", "ShapeError",
    "AssumptionError", "DcpBug", "SoundnessError", "ProofCheckError", "caret_block",
    "option", "words_for", "iterate_in_words_for",
]


class _Offsets(NamedTuple):
    start: int
    end: int
    source: str | None = None


class Span(_Offsets):
    """Half-open character offsets ``[start, end)`` into ``source``, the text they were
    parsed from (kept by reference, so a session's spans each know their own line).

    Spans compare by their offsets only. (A named tuple: the parser makes two per node.)
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Span):
            return self.start == other.start and self.end == other.end
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        result = self.__eq__(other)
        return result if result is NotImplemented else not result

    def __hash__(self) -> int:
        return hash((self.start, self.end))

    def __repr__(self) -> str:
        return f"Span(start={self.start}, end={self.end})"

    def line_column(self, source: str) -> tuple[int, int]:
        """1-based line and column of the start of the span in ``source``."""
        line = source.count("\n", 0, self.start) + 1
        column = self.start - (source.rfind("\n", 0, self.start) + 1) + 1
        return line, column

    def cover(self, other: Span | None) -> Span:
        """The smallest span containing both."""
        if other is None:
            return self
        return Span(min(self.start, other.start), max(self.end, other.end), self.source)


#: Source lines longer than this are shown as a window around the marked part.
LINE_WINDOW = 100


def caret_block(source: str, spans: list[Span] | tuple[Span, ...], label: str = "") -> str:
    """The source lines touched by ``spans``, each with carets under its part.

    A span that runs over several lines (a statement broken inside brackets) is
    underlined on each of them, from its first character that is not a space. A very
    long line is cut to a window around the first mark, with ``...`` where it was cut,
    so a huge expression still gives a readable report.
    """
    by_line: dict[int, list[tuple[int, int]]] = {}
    for span in spans:
        for line, begin, end in _marks(source, span):
            by_line.setdefault(line, []).append((begin, end))
    lines = source.split("\n")
    width = len(str(max(by_line, default=1)))
    out = [f"{'':>{width}} |"]
    for number in sorted(by_line):
        text = lines[number - 1] if number - 1 < len(lines) else ""
        text, marks = _window(text, sorted(by_line[number]))
        caret = [" "] * (max((e for _, e in marks), default=0) + 1)
        for begin, end in marks:
            for i in range(begin, end):
                caret[i] = "^"
        out.append(f"{number:>{width}} | {text}")
        out.append(f"{'':>{width}} | {''.join(caret).rstrip()}" + (f" {label}" if label else ""))
    return "\n".join(out)


def _marks(source: str, span: Span) -> Iterator[tuple[int, int, int]]:
    """Where ``span`` is underlined: (line, first column, column past the end), 0-based
    columns, one per line it touches that holds more than spaces; at least one column
    (an empty span, such as the end of the input, is marked where it is)."""
    line, column = span.line_column(source)
    line_start = span.start - column + 1
    begin = span.start
    while True:
        line_end = source.find("\n", line_start)
        line_end = len(source) if line_end < 0 else line_end
        text = source[begin:min(span.end, line_end)]
        if text.strip() or begin == span.start:
            yield line, begin - line_start, max(min(span.end, line_end), begin + 1) - line_start
        if span.end <= line_end + 1:
            return
        line, line_start = line + 1, line_end + 1
        rest = source[line_start:span.end]
        begin = line_start + len(rest) - len(rest.lstrip(" \t"))


def _window(text: str, marks: list[tuple[int, int]]) -> tuple[str, list[tuple[int, int]]]:
    """A line longer than ``LINE_WINDOW`` cut to that many characters around its first
    mark, ``...`` at each cut end, and the marks moved to match (a mark outside the window
    is dropped). The window starts a quarter of its width before the mark, or later so as
    to end at the line's end: a mark near the end shows a full window. A mark just past
    the end (the end of the input) stays there, after the last character."""
    if len(text) <= LINE_WINDOW:
        return text, marks
    begin = max(0, min(marks[0][0] - LINE_WINDOW // 4, len(text) + 1 - LINE_WINDOW))
    end = begin + LINE_WINDOW
    prefix = "..." if begin > 0 else ""
    suffix = "..." if end < len(text) else ""
    shift = len(prefix) - begin
    limit = min(end, len(text) + 1) + shift          # one past the text: the end of input
    marks = [(max(b + shift, len(prefix)), min(e + shift, limit)) for b, e in marks
             if e + shift > len(prefix) and b + shift < limit]
    return prefix + text[begin:end] + suffix, marks


#: Each option as each reader of a message writes it: the Python API, the command line,
#: a batch case (a JSON line's keys), the REPL (its commands; it has no seed or size
#: limit) and a script (its statements). None: this reader has no word of its own, and
#: the one that runs it speaks (a batch's check is the command line's --no-check; a
#: script's is that of `dcp run`, the REPL's `:run` or Python's `Session.run`). A message
#: that names an option does so through :func:`option`.
OPTIONS: dict[str, tuple[str | None, ...]] = {
    "wrt": ("wrt", "--wrt", '"wrt"', ":wrt", "wrt|`certify ... wrt {}`"),
    "assume": ("assume", "--assume", '"assume"', ":assume", "assume"),
    "shapes": ("shapes", "--shape", '"shapes"', ":shape", "shape"),
    "check=False": ("check=False", "--no-check", None, ":check off", None),
    "seed": ("seed", "--seed", None, "seed", None),
    "max_nodes": ("max_nodes", "--max-nodes", None, "max_nodes", None),
    "Session.run": ("Session.run", "dcp run", None, ":run", None),
    "output": ("output", "--output", None, None, None),
}
#: The readers, in the order of an :data:`OPTIONS` row.
READERS = ("python", "command line", "batch", "repl", "script")
_READER_INDEX = {reader: index for index, reader in enumerate(READERS)}

#: The readers in force, outermost first: `dcp run` reads a script, the REPL's `:run`
#: too; Python is always outermost.
_READERS: ContextVar[tuple[str, ...]] = ContextVar("dcp_readers", default=("python",))


def option(name: str, value: object = None) -> str:
    """The option ``name`` of :data:`OPTIONS`, with an example ``value`` if given, as the
    innermost reader with a word for it (:func:`words_for`) writes it: ``wrt='x'`` in
    Python, ``--wrt x`` on the command line (a list repeats the option: ``--wrt W1 --wrt
    W2``), ``"wrt": "x"`` in a batch case, ``:wrt x`` in the REPL (``:wrt W1 W2``),
    ``certify ... wrt x`` in a script."""
    row = OPTIONS[name]
    for reader in reversed(_READERS.get()):            # Python ("python") is outermost
        cell = row[_READER_INDEX[reader]]
        if cell is not None:
            break
    # A cell is the option's name, or "name|example" where the example differs from
    # the name followed by the value ("{}" marks where the value goes).
    spelling, _, example = cell.partition("|")
    if value is None:
        return spelling
    values = value if isinstance(value, list) else [value]
    if spelling.startswith("--"):
        return " ".join(f"{spelling} {v}" for v in values)
    if spelling.startswith(":"):
        return " ".join([spelling, *map(str, values)])
    if spelling.startswith('"'):
        return f"{spelling}: {json.dumps(value)}"
    if example:
        return example.format(", ".join(map(str, values)))
    return f"{spelling}={value!r}"


@contextmanager
def words_for(reader: str) -> Iterator[None]:
    """Within it, messages name options in ``reader``'s words (one of :data:`READERS`),
    or, for an option it has no word for, in the words of the reader around it: the CLI
    runs each command for ``"command line"`` (``--no-check``, not ``check=False``)."""
    if reader not in READERS:
        raise ValueError(f"reader must be one of {READERS}, not {reader!r}")
    token = _READERS.set(_READERS.get() + (reader,))
    try:
        yield
    finally:
        _READERS.reset(token)


def iterate_in_words_for(reader: str, items: Iterable[T]) -> Iterator[T]:
    """The items of a lazy ``items``, each made within :func:`words_for` ``reader`` but
    handed over outside it, so the caller's words never change between items."""
    iterator = iter(items)
    while True:
        with words_for(reader):
            try:
                item = next(iterator)
            except StopIteration:
                return
        yield item


class DcpError(ValueError):
    """A mistake in what the user asked for. `message` is one line.

    `source` and `span`, when given, locate the mistake; `line` and `column`
    are then 1-based, and `str(error)` shows the source line with a caret.
    """

    def __init__(self, message: str, *, source: str | None = None, span: Span | None = None,
                 filename: str | None = None):
        self.message = message
        self._source = source
        self.span = span
        self.filename = filename
        super().__init__(message)

    @property
    def source(self) -> str | None:
        """The text the span indexes: given explicitly, or the one the span came from."""
        if self._source is not None:
            return self._source
        return self.span.source if self.span is not None else None

    @property
    def line(self) -> int | None:
        return self.span.line_column(self.source)[0] if self.located else None

    @property
    def column(self) -> int | None:
        return self.span.line_column(self.source)[1] if self.located else None

    @property
    def located(self) -> bool:
        return self.source is not None and self.span is not None

    def locate(self, source: str, span: Span | None = None, filename: str | None = None) -> DcpError:
        """Attach the source text (and a span, if none yet); returns `self` for `raise`."""
        if self.span is None:
            self.span = span
        if self.source is None:
            self._source = source
        if self.filename is None:
            self.filename = filename
        return self

    def __str__(self) -> str:
        if not self.located:
            return self.message
        where = f"{self.filename}:" if self.filename else "line "
        where += f"{self.line}, column {self.column}" if not self.filename else f"{self.line}:{self.column}"
        return f"{self.message}\n  --> {where}\n{caret_block(self.source, [self.span])}"


class ParseError(DcpError):
    """The text is not in the language: says where, and what could have come there."""


class UnknownNameError(DcpError):
    """A function, atom or variable name that dcp does not know; suggests close matches."""


class ArgumentError(DcpError):
    """Wrong number of arguments, an unknown or non-constant keyword, a non-constant exponent."""


class ShapeError(DcpError):
    """Array shapes that cannot agree; names both sides."""


class AssumptionError(DcpError):
    """A malformed assumption, or assumptions that contradict each other."""


class DcpBug(RuntimeError):
    """dcp itself is wrong. Please report it with the expression that caused it."""


class SoundnessError(DcpBug):
    """The rules certified a property that a confirmed numeric witness disproves."""

    def __init__(self, message: str, witness=None):
        super().__init__(message)
        self.witness = witness


class ProofCheckError(DcpBug):
    """The proof kernel rejected a step that the engine produced."""

    def __init__(self, message: str, step=None):
        super().__init__(message)
        self.step = step
