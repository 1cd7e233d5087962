"""The interactive session: ``dcp repl`` (and plain ``dcp`` on a terminal).

A line is a statement of the language (``h = relu(W1 @ x)``, ``assume W2 >= 0``,
``define ...``, ``certify ... wrt ...``), a bare expression (certified in the current
``:wrt``), or a command (``quit``, ``exit`` and ``help`` work bare too). Brackets left
open continue on the next line. A mistake prints the error with a caret and the session
goes on. History is kept in the user's state
directory (``$DCP_STATE_DIR``, else ``$XDG_STATE_HOME/dcp``, else ``~/.local/state/dcp``).
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Callable, Generator, Iterator

from .api import Session
from .errors import DcpBug, DcpError
from .render import RENDERERS, render

__all__ = ["Repl", "run_repl", "COMMANDS", "BARE_COMMANDS", "history_path"]

COMMANDS = {
    ":help": "this list (help alone on a line, too)",
    ":atoms": "list the atoms",
    ":atom NAME": "one atom's facts and their SymPy derivation",
    ":wrt NAMES": "the variables bare expressions are certified in (:wrt W1 W2 for jointly)",
    ":assume COND, ...": "add assumptions, e.g. :assume W2 >= 0, 0 <= y <= 1",
    ":vars": "the variables, assumptions, bindings and user atoms so far",
    ":format FMT": f"the output format: {', '.join(sorted(RENDERERS))}",
    ":check on|off": "the numeric cross-check (on by default)",
    ":quit": "leave (Ctrl-D, or quit or exit alone on a line, too)",
}

# Bare words that mean a command, as in Python's REPL: a user's first guesses. (They are
# not reserved: `quit = x` binds a name; only the word alone on a line is the command.)
BARE_COMMANDS = {"quit": ":quit", "exit": ":quit", "help": ":help"}

HELP = "\n".join([
    "Type an expression to certify it in the current :wrt, or a statement:",
    "  h = relu(W1 @ x)          bind a name (traces show it)",
    "  assume W2 >= 0            assumptions (elementwise bounds)",
    "  define swish2(t) = t * sigmoid(t)   a user atom, analysed by SymPy",
    "  certify relu(W2 @ h) wrt W1",
    "Commands:",
    *(f"  {name:<18} {what}" for name, what in COMMANDS.items()),
])


def history_path() -> Path:
    """Where the REPL keeps its history."""
    base = os.environ.get("DCP_STATE_DIR")
    if base:
        return Path(base) / "history"
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "dcp" / "history"


class Repl:
    """The REPL's logic, apart from the terminal: :meth:`execute` takes one input (a line,
    or several joined) and returns the text to show."""

    def __init__(self, colour: bool = False):
        self.session = Session()
        self.format = "text"
        self.colour = colour
        self.done = False

    def words(self) -> list[str]:
        """What Tab completes: atoms, bound names, user atoms, commands."""
        from .atoms import REGISTRY
        names = set(REGISTRY) | set(self.session.bindings) | set(self.session.atoms)
        return sorted(names) + [c.split()[0] for c in COMMANDS]

    def execute(self, text: str) -> str:
        """All that one input shows, as one text (see :meth:`outputs`)."""
        return "\n\n".join(self.outputs(text))

    def outputs(self, text: str) -> Iterator[str]:
        """What one input (a line, or several joined by new lines) shows, each piece as
        soon as it is ready. A mistake ends it with the error, Ctrl-C with
        ``interrupted``; either way the session goes on."""
        text = text.strip()
        text = BARE_COMMANDS.get(text, text)
        if not text:
            return
        try:
            shown = self._command(text) if text.startswith(":") else self._statements(text)
            yield from [shown] if isinstance(shown, str) else shown
        except DcpError as error:
            yield f"error: {error}"
        except DcpBug as error:
            yield f"internal error (a bug in dcp, please report it): {error}"
        except KeyboardInterrupt:      # Ctrl-C stops the work, not the session
            yield "interrupted"

    def _render(self, result) -> str:
        if self.format == "text":
            return render(result, "text", colour=self.colour)
        return render(result, self.format)

    def _statements(self, text: str) -> Iterator[str]:
        from .syntax.ast import Assignment, Assume, Define, ExpressionStatement, ShapeDecl
        from .syntax.parser import iter_script
        for statement in iter_script(text):
            if isinstance(statement, ExpressionStatement) and not self.session.wrt:
                raise DcpError("no variables yet: say which with :wrt, e.g. :wrt W1",
                               span=statement.span)
            try:
                results = self.session._execute(statement)
            except DcpError as error:
                raise error.locate(text, statement.span) from None
            yield from (self._render(r) for r in results)
            if isinstance(statement, Assignment):
                yield f"{statement.name} bound"
            elif isinstance(statement, Assume):
                yield "assuming " + ", ".join(self.session.assumption_texts)
            elif isinstance(statement, ShapeDecl):
                yield f"shape of {statement.name}: {statement.dims}"
            elif isinstance(statement, Define):
                atom = self.session.atoms[statement.name]
                yield "\n".join(getattr(atom, "derivation", None)
                                or [f"{statement.name} defined (by expansion)"])

    def _command(self, text: str) -> str:
        name, _, rest = text.partition(" ")
        rest = rest.strip()
        if name in (":quit", ":q", ":exit"):
            self.done = True
            return ""
        if name == ":help":
            return HELP
        if name == ":atoms":
            from .atoms import all_atoms
            from .cli import atoms_table
            return atoms_table(all_atoms())
        if name == ":atom":
            from .cli import describe_atom
            return describe_atom(rest, self.session.atoms)
        if name == ":wrt":
            names = [n for n in re.split(r"[\s,]+", rest) if n]
            if not names:
                return "variables: " + (", ".join(self.session.wrt) or "none yet")
            self.session.wrt = tuple(names)
            return "variables: " + ", ".join(names)
        if name == ":assume":
            self.session.assume(*[c.strip() for c in rest.split(",") if c.strip()])
            return "assuming " + ", ".join(self.session.assumption_texts)
        if name == ":vars":
            s = self.session
            return "\n".join([
                "variables: " + (", ".join(s.wrt) or "none yet"),
                "assumptions: " + (", ".join(s.assumption_texts) or "none"),
                "bindings: " + (", ".join(s.bindings) or "none"),
                "user atoms: " + (", ".join(s.atoms) or "none"),
                "shapes: " + (", ".join(f"{k}={v}" for k, v in s.shapes.items()) or "inferred")])
        if name == ":format":
            if rest not in RENDERERS:
                raise DcpError(f"formats are {', '.join(sorted(RENDERERS))}, not {rest!r}")
            self.format = rest
            return f"format: {rest}"
        if name == ":check":
            if rest not in ("on", "off"):
                raise DcpError(":check takes on or off")
            self.session.check = None if rest == "on" else False
            return f"numeric check: {rest}"
        from .syntax.parser import close_matches
        raise DcpError(f"unknown command `{name}`{close_matches(name, [c.split()[0] for c in COMMANDS])}; "
                       f"type :help")


def run_repl(input=None, output=None, write: Callable[[str], None] | None = None) -> int:
    """Run the REPL on a terminal (or on prompt_toolkit ``input``/``output``, for tests)."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.completion import WordCompleter
    from prompt_toolkit.history import FileHistory

    interactive = output is None and sys.stdout.isatty()
    repl = Repl(colour=interactive and "NO_COLOR" not in os.environ)
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    completer = WordCompleter(repl.words, pattern=re.compile(r"([:A-Za-z0-9_]+)"))
    prompt = PromptSession(history=FileHistory(str(path)), completer=completer,
                           input=input, output=output, complete_while_typing=False)
    write = write or (lambda text: print(text, flush=True))
    write(f"dcp {__import__('dcp').__version__} - type :help for help, :quit to leave")
    while not repl.done:
        try:
            text = _read_entry(prompt.prompt)
        except KeyboardInterrupt:      # Ctrl-C at the prompt: the line is dropped
            continue
        except EOFError:               # Ctrl-D at the prompt: leave
            break
        if text is not None:
            _show(repl.outputs(text), write)
    return 0


def _read_entry(read: Callable[[str], str]) -> str | None:
    """One entry: a line, and the lines after it while a bracket stays open. Ctrl-D or
    Ctrl-C at a continuation prompt cancels the entry: None."""
    from .syntax.parser import open_brackets
    lines = [read("dcp> ")]
    while open_brackets(" ".join(lines)):
        try:
            lines.append(read("...  "))
        except (EOFError, KeyboardInterrupt):
            return None
    return " ".join(lines)


def _show(pieces: Generator[str, None, None], write: Callable[[str], None]) -> None:
    """Write each piece of an entry's output as it comes. Ctrl-C while one is written
    stops the entry as Ctrl-C during its work does."""
    try:
        for piece in pieces:
            write(piece)
    except KeyboardInterrupt:
        pieces.close()
        write("interrupted")
