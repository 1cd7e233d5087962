"""The interactive session: ``dcp repl`` (and plain ``dcp`` on a terminal).

An entry is a statement of the language (``h = relu(W1 @ x)``, ``assume W2 >= 0``,
``define ...``, ``certify ... wrt ...``), a bare expression (certified in the current
``:wrt``), or a command (:data:`COMMANDS`; ``quit``, ``exit`` and ``help`` work alone on
a line too). While a bracket is open the entry goes on over the next lines, joined by new
lines, and the history keeps it as one item. A mistake prints the error with a caret
under the line typed, and the session goes on. Ctrl-C stops a certification (or drops the
line being typed) and the session goes on; Ctrl-D leaves, or at a continuation prompt
cancels the entry. Tab offers what fits where the cursor is (:meth:`Repl.completions`).
History is kept in the user's state directory (``$DCP_STATE_DIR``, else
``$XDG_STATE_HOME/dcp``, else ``~/.local/state/dcp``).

On piped input (``printf ':wrt x\\nexp(x)\\n' | dcp repl``) the lines are read plainly: no
prompts, banner, colour, history or escape codes, only each entry's output with errors in
their place; the exit status is 2 if any entry failed, else 0.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Callable, Generator, Iterable, Iterator

from .api import Session
from .errors import DcpBug, DcpError, iterate_in_words_for, words_for
from .render import RENDERERS, render

__all__ = ["Repl", "run_repl", "COMMANDS", "BARE_COMMANDS", "KEYWORDS", "history_path"]

COMMANDS = {
    ":help": "this list (help alone on a line, too)",
    ":atoms": "list the atoms",
    ":atom NAME": "one atom's facts and their SymPy derivation",
    ":wrt NAMES": "the variables bare expressions are certified in (:wrt W1 W2 for jointly)",
    ":assume COND, ...": "add assumptions, e.g. :assume W2 >= 0, 0 <= y <= 1",
    ":unassume NAME": "drop the assumptions on NAME",
    ":unbind NAME": "forget what NAME is bound to",
    ":shape [NAME = DIMS]": "the declared shapes, or declare one: :shape W1 = 4, 3 (a letter: any size)",
    ":vars": "the variables, assumptions, bindings, user atoms and shapes so far",
    ":format FMT": f"the output format: {', '.join(sorted(RENDERERS))}",
    ":check on|off": "the numeric cross-check (on by default)",
    ":run FILE": "run a .dcp script in this session, printing each result",
    ":history": "the entries of this session, numbered",
    ":reset": "a fresh session: no variables, assumptions, bindings, user atoms or shapes",
    ":quit": "leave (Ctrl-D, or quit or exit alone on a line, too)",
}

# The words that start (or go in) a statement.
KEYWORDS = ("assume", "certify", "define", "shape", "wrt")

# Bare words that mean a command, as in Python's REPL: a user's first guesses. (They are
# not reserved: `quit = x` binds a name; only the word alone on a line is the command.)
BARE_COMMANDS = {"quit": ":quit", "exit": ":quit", "help": ":help"}

HELP = "\n".join([
    "Type an expression to certify it in the current :wrt, or a statement:",
    "  h = relu(W1 @ x)          bind a name (traces show it)",
    "  assume W2 >= 0            assumptions (elementwise bounds)",
    "  define swish2(t) = t * sigmoid(t)   a user atom, analysed by SymPy",
    "  certify relu(W2 @ h) wrt W1",
    "  x^2 <= y*z, y >= 0        constraints: is their feasible set convex?",
    "An open bracket goes on to the next line. Tab completes; Ctrl-C stops a certification.",
    "Commands:",
    *(f"  {name:<20} {what}" for name, what in COMMANDS.items()),
])


def history_path() -> Path:
    """Where the REPL keeps its history."""
    base = os.environ.get("DCP_STATE_DIR")
    if base:
        return Path(base) / "history"
    state = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "dcp" / "history"


class Repl:
    """The REPL's logic, apart from the terminal: :meth:`outputs` takes one entry (a line,
    or several joined) and gives what to show, piece by piece; :meth:`execute` gives it
    as one text. :meth:`completions` says what Tab offers."""

    def __init__(self, colour: bool = False):
        self.session = Session()
        self.format = "text"
        self.colour = colour
        self.done = False
        #: The entries of this session, in order (``:history``).
        self.entries: list[str] = []
        #: How many entries ended in an error.
        self.failures = 0

    def words(self) -> list[str]:
        """What Tab offers in an expression or statement: atoms, bound names, user atoms,
        the statements' keywords, and the commands."""
        from .atoms import REGISTRY
        names = set(REGISTRY) | set(self.session.bindings) | set(self.session.atoms) | set(KEYWORDS)
        return sorted(names) + [c.split()[0] for c in COMMANDS]

    def completions(self, line: str) -> tuple[str, list[str]]:
        """What Tab offers at the end of ``line`` (the text before the cursor): the word
        being typed, and the words that complete it where they fit. After ``:format`` the
        formats, after ``:check`` on and off, after ``:atom`` the atoms, after ``:run`` the
        files, after ``:unassume`` the names assumed, after ``:unbind`` the names bound;
        elsewhere :meth:`words`."""
        command, space, argument = line.lstrip().partition(" ")
        if space and command == ":run":
            word = argument.lstrip()
            return word, _paths(word)
        if space and command.startswith(":"):
            word = re.search(r"[A-Za-z0-9_]*\Z", line)[0]
            options = self._arguments(command)
        else:
            word = re.search(r"[:A-Za-z0-9_]*\Z", line)[0]
            options = self.words()
        return word, sorted({o for o in options if o.startswith(word)})

    def _arguments(self, command: str) -> list[str]:
        """The words a command takes (none offered for free text, such as :assume's)."""
        from .atoms import REGISTRY
        return {
            ":format": list(RENDERERS), ":check": ["on", "off"],
            ":atom": list(REGISTRY) + list(self.session.atoms),
            ":unassume": list(self.session.bounds), ":unbind": list(self.session.bindings),
        }.get(command, [])

    def execute(self, text: str) -> str:
        """All that one input shows, as one text (see :meth:`outputs`)."""
        return "\n\n".join(self.outputs(text))

    def outputs(self, text: str) -> Iterator[str]:
        """What one input (a line, or several joined by new lines) shows, each piece as
        soon as it is ready. A mistake ends it with the error, Ctrl-C with
        ``interrupted``; either way the session goes on."""
        text = text.strip()
        if not text:
            return
        self.entries.append(text)
        text = BARE_COMMANDS.get(text, text)
        try:
            # Messages name the REPL's commands (`:check off`, `:wrt x`).
            with words_for("repl"):
                shown = self._command(text) if text.startswith(":") else self._statements(text)
            if isinstance(shown, str):
                shown = [shown] if shown else []
            yield from iterate_in_words_for("repl", shown)
        except DcpError as error:
            self.failures += 1
            yield f"error: {error}"
        except DcpBug as error:
            self.failures += 1
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
                yield f"shape of {statement.name}: {_dims(statement.dims)}"
            elif isinstance(statement, Define):
                atom = self.session.atoms[statement.name]
                yield "\n".join(getattr(atom, "derivation", None)
                                or [f"{statement.name} defined (by expansion)"])

    def _command(self, text: str) -> str | Iterator[str]:
        name, _, rest = text.partition(" ")
        handlers = {
            ":help": lambda _: HELP, ":atoms": self._atoms, ":atom": self._atom,
            ":wrt": self._wrt, ":assume": self._assume, ":unassume": self._unassume,
            ":vars": self._vars, ":shape": self._shape, ":unbind": self._unbind,
            ":format": self._format, ":check": self._check, ":run": self._run,
            ":history": self._history, ":reset": self._reset,
            ":quit": self._quit, ":q": self._quit, ":exit": self._quit,
        }
        if name not in handlers:
            from .syntax.parser import close_matches
            raise DcpError(f"unknown command `{name}`{close_matches(name, list(handlers))}; "
                           f"type :help")
        return handlers[name](rest.strip())

    def _quit(self, _rest: str) -> str:
        self.done = True
        return ""

    def _atoms(self, _rest: str) -> str:
        from .atoms import all_atoms
        from .cli import atoms_table
        return atoms_table(all_atoms())

    def _atom(self, rest: str) -> str:
        from .cli import describe_atom
        return describe_atom(rest, self.session.atoms)

    def _wrt(self, rest: str) -> str:
        names = [n for n in re.split(r"[\s,]+", rest) if n]
        for name in names:
            _name_argument(":wrt", name)
        if names:
            self.session.wrt = tuple(names)
        return "variables: " + (", ".join(self.session.wrt) or "none yet")

    def _assume(self, rest: str) -> str:
        self.session.assume(*[c.strip() for c in rest.split(",") if c.strip()])
        return "assuming " + ", ".join(self.session.assumption_texts)

    def _unassume(self, rest: str) -> str:
        _name_argument(":unassume", rest)
        dropped = self.session.unassume(rest)
        if not dropped:
            from .syntax.parser import close_matches
            raise DcpError(f"no assumption on `{rest}` to drop"
                           f"{close_matches(rest, self.session.bounds)}")
        remaining = ", ".join(self.session.assumption_texts) or "nothing"
        return f"dropped {', '.join(dropped)}; assuming {remaining}"

    def _unbind(self, rest: str) -> str:
        _name_argument(":unbind", rest)
        self.session.unbind(rest)
        return f"{rest} unbound"

    def _vars(self, _rest: str) -> str:
        s = self.session
        return "\n".join([
            "variables: " + (", ".join(s.wrt) or "none yet"),
            "assumptions: " + (", ".join(s.assumption_texts) or "none"),
            "bindings: " + (", ".join(s.bindings) or "none"),
            "user atoms: " + (", ".join(s.atoms) or "none"),
            "shapes: " + (", ".join(f"{k}={_dims(v)}" for k, v in s.shapes.items()) or "inferred")])

    def _shape(self, rest: str) -> str:
        """``:shape`` lists the declared shapes; ``:shape W1 = 4, 3`` (or ``W1 4 3``, or
        ``W1 = (4, 3)``, as a script's ``shape W1 = (4, 3)`` and the CLI's ``W1=4,3``)
        declares one; ``:shape W1`` shows one."""
        if not rest:
            shapes = self.session.shapes
            return "\n".join(f"shape of {k}: {_dims(v)}" for k, v in shapes.items()) or \
                "no shapes declared (they are inferred)"
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\s*(=?)\s*(.*)", rest)
        if match is None:
            raise DcpError(f":shape takes a name and its dimensions, e.g. :shape W1 = 4, 3; got {rest!r}")
        name, equals, dims_text = match.groups()
        if not equals and not dims_text:
            dims = self.session.shapes.get(name)
            return f"shape of {name}: {_dims(dims)}" if dims is not None else \
                f"no shape declared for {name} (it is inferred)"
        dims = []
        for item in re.split(r"[\s,]+", dims_text.strip().removeprefix("(").removesuffix(")").strip()):
            if item.isdigit():
                dims.append(int(item))
            elif item:
                dims.append(item)       # a letter, or a mistake declare_shape refuses
        self.session.declare_shape(name, dims)
        return f"shape of {name}: {_dims(self.session.shapes[name])}"

    def _format(self, rest: str) -> str:
        if rest not in RENDERERS:
            raise DcpError(f"formats are {', '.join(sorted(RENDERERS))}, not {rest!r}")
        self.format = rest
        return f"format: {rest}"

    def _check(self, rest: str) -> str:
        if rest not in ("on", "off"):
            raise DcpError(":check takes on or off")
        self.session.check = None if rest == "on" else False
        return f"numeric check: {rest}"

    def _run(self, rest: str) -> Iterator[str]:
        from .cli import read_script
        if not rest:
            raise DcpError(":run takes a file, e.g. :run net.dcp")
        text = read_script(rest)
        for result in self.session.iter_run(text, filename=rest):
            yield self._render(result)

    def _history(self, _rest: str) -> str:
        width = len(str(len(self.entries)))
        return "\n".join(f"{number:>{width}}  " + entry.replace("\n", "\n" + " " * (width + 2))
                         for number, entry in enumerate(self.entries, start=1))

    def _reset(self, _rest: str) -> str:
        check = self.session.check                  # a setting of the REPL, as :format is
        self.session = Session(max_nodes=self.session.max_nodes)
        self.session.check = check
        return "a fresh session: no variables, assumptions, bindings, user atoms or shapes"


def _paths(prefix: str) -> list[str]:
    """The files and folders (with a ``/``) whose path starts with ``prefix``; hidden ones
    only when ``prefix`` names them."""
    head, slash, start = prefix.rpartition("/")
    folder = os.path.expanduser(head + slash) if slash else "."
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return []
    return sorted(head + slash + entry.name + ("/" if entry.is_dir() else "") for entry in entries
                  if entry.name.startswith(start) and (start[:1] == "." or entry.name[:1] != "."))


def _completer(repl: Repl):
    """A prompt_toolkit completer that asks ``repl`` what fits where the cursor is."""
    from prompt_toolkit.completion import Completer, Completion

    class ReplCompleter(Completer):
        def get_completions(self, document, complete_event):
            word, options = repl.completions(document.text_before_cursor)
            for option in options:
                yield Completion(option, start_position=-len(word))

    return ReplCompleter()


def _name_argument(command: str, text: str) -> None:
    """Refuse anything but a name as an argument of ``command``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        raise DcpError(f"{command} takes names, e.g. {command} W2" + (f"; got {text!r}" if text else ""))


def _dims(dims: tuple[int | str, ...]) -> str:
    """A shape as a script writes it: ``(4, 3)``, ``(n,)``, ``()``."""
    return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"


def run_repl(input=None, output=None, write: Callable[[str], None] | None = None) -> int:
    """Run the REPL on a terminal (or on prompt_toolkit ``input``/``output``, for tests);
    returns the exit status.

    When standard input is no terminal (``echo ... | dcp repl``), its lines are read
    plainly (see :func:`_run_piped`)."""
    write = write or (lambda text: print(text, flush=True))
    if input is None and not sys.stdin.isatty():
        return _run_piped(Repl(), sys.stdin, write)
    from prompt_toolkit import PromptSession

    interactive = output is None and sys.stdout.isatty()
    repl = Repl(colour=interactive and "NO_COLOR" not in os.environ)
    path = history_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    history = _entry_history(path)
    prompt = PromptSession(history=history, completer=_completer(repl),
                           input=input, output=output, complete_while_typing=False)
    write(f"dcp {__import__('dcp').__version__} - type :help for help, :quit to leave")
    while not repl.done:
        try:
            text = _read_entry(prompt.prompt)
        except KeyboardInterrupt:      # Ctrl-C at the prompt: the line is dropped
            continue
        except EOFError:               # Ctrl-D at the prompt: leave
            break
        if text is not None:
            history.add_entry(text)
            _show(repl.outputs(text), write)
    return 0


def _run_piped(repl: Repl, lines: Iterable[str], write: Callable[[str], None]) -> int:
    """The REPL on input that is no terminal: no banner, prompts, colour, history or
    escape codes, only each entry's output (errors too, in their place) as it comes. An
    entry goes on over lines while a bracket is open; one left open at the end is run,
    and its error shown. Exit status 2 if any entry failed, as ``dcp run`` (which stops
    at the first), else 0."""
    from .syntax.parser import open_brackets
    entry: list[str] = []
    written = False
    for line in lines:
        entry.append(line.rstrip("\r\n"))
        if open_brackets("\n".join(entry)):
            continue
        written = _show(repl.outputs("\n".join(entry)), write, written)
        entry = []
        if repl.done:
            break
    else:
        if entry:
            _show(repl.outputs("\n".join(entry)), write, written)
    return 2 if repl.failures else 0


def _entry_history(path: Path):
    """The history file, kept by entries: prompt_toolkit appends each line a prompt
    accepts, so a multi-line entry would come back line by line; here the REPL appends
    each entry once it is whole (``add_entry``), and it comes back as one."""
    from prompt_toolkit.history import FileHistory

    class EntryHistory(FileHistory):
        def append_string(self, string: str) -> None:
            """A line a prompt accepted, maybe part of an entry: kept by ``add_entry``."""

        def add_entry(self, entry: str) -> None:
            FileHistory.append_string(self, entry)

    return EntryHistory(str(path))


def _read_entry(read: Callable[[str], str]) -> str | None:
    """One entry: a line, and the lines after it while a bracket stays open, joined by new
    lines as typed (so an error is shown on its own line). Ctrl-D or Ctrl-C at a
    continuation prompt cancels the entry: None."""
    from .syntax.parser import open_brackets
    lines = [read("dcp> ")]
    while open_brackets("\n".join(lines)):
        try:
            lines.append(read("...  "))
        except (EOFError, KeyboardInterrupt):
            return None
    return "\n".join(lines)


def _show(pieces: Generator[str, None, None], write: Callable[[str], None],
          after_output: bool = False) -> bool:
    """Write each piece of an entry's output as it comes, a blank line between two (and
    before the first ``after_output``: piped input has no prompt between entries). Ctrl-C
    while a piece is written stops the entry as Ctrl-C during its work does. Returns
    whether anything has been written."""
    try:
        for piece in pieces:
            write("\n" + piece if after_output else piece)
            after_output = True
    except KeyboardInterrupt:
        pieces.close()
        write("interrupted")
        after_output = True
    return after_output
