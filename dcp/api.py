"""The public entry points: :func:`certify` and :class:`Session`."""
from __future__ import annotations

import gc
import os
import re
from decimal import Decimal
from fractions import Fraction
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Iterable, Iterator, Mapping, Sequence

from .analysis import Analyzer
from .assumptions import bounds_from, parse_assumption_list, refuse_structured_variables
from .check import Budget, Witness, cross_check, infer_shapes, shape_template
from .errors import AssumptionError, DcpError, UnknownNameError, option, words_for
from .facts import Interval
from .facts.valued import Entries, Valued
from .entries import entry_verdicts, entrywise_proof
from .hints import hint_search
from .kernel import check_proof, check_set_proof
from .proof import Proof
from .quasi import prove_quasi
from .result import CheckReport, Result, SetResult
from .syntax import parse_expression
from .syntax.ast import (
    Assignment,
    Assume,
    CertifyStatement,
    ConstraintSet,
    Define,
    Expr,
    ExpressionStatement,
    Name,
    Ref,
    ShapeDecl,
    replace,
)
from .syntax.parser import close_matches, is_constraint_text, iter_script, parse_constraints
from .syntax.printer import to_text_set
from .syntax.reader import KEYWORDS, read_into
from .tape import Tape

if TYPE_CHECKING:
    from onnx import ModelProto

__all__ = ["certify", "certify_each", "Session", "EachResult"]

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _budget(budget: Budget | int | float | None) -> Budget:
    """The check's budget: the default counts, a Budget, an int (examples per Hypothesis
    run) or a float (seconds, on top of the default counts; the clock starts after
    warm-up)."""
    if budget is None:
        return Budget()
    if isinstance(budget, Budget):
        return budget
    if isinstance(budget, bool) or not isinstance(budget, (int, float)) or budget <= 0:
        raise DcpError(f"check_budget must be a Budget, a positive int (examples) or a "
                       f"positive float (seconds), got {budget!r}")
    if isinstance(budget, int):
        return Budget(examples=budget)
    return Budget(seconds=float(budget))


def _check_report(search) -> CheckReport:
    """The search's report as the result states it: refuted by a witness, inconclusive
    when no admissible point was compared (never "passed" after comparing nothing), or
    passed."""
    if search.skipped:
        return CheckReport(note=search.skipped)
    notes = [f"not {kind}" for kind in sorted(search.witnesses)]
    if search.witnesses:
        outcome = "refuted"
    elif search.trials == 0:
        outcome = "inconclusive"
        notes.append("no admissible points")
    else:
        outcome = "passed"
    if search.nested:
        notes.append("pre-search only, inside a Hypothesis test")
    return CheckReport(outcome=outcome, trials=search.trials, seconds=search.seconds,
                       largest_gap=max(search.largest_gap.values()) if search.trials else None,
                       note=", ".join(notes))


def _set_check_report(search) -> CheckReport:
    """The set search's report: refuted by a set witness, inconclusive when no pair of
    admissible feasible points was compared (or why it did not run), else passed."""
    if search.skipped:
        return CheckReport(note=search.skipped)
    if search.witness is not None:
        return CheckReport(outcome="refuted", trials=search.trials, note="not a convex set")
    if search.trials == 0:
        return CheckReport(outcome="inconclusive", note="no two feasible points compared")
    return CheckReport(outcome="passed", trials=search.trials)


def _wrt_names(wrt: str | Sequence[str] | None) -> tuple[str, ...]:
    if wrt is None:
        raise DcpError(f"say which variables to certify in: {option('wrt', 'W1')} or "
                       f"{option('wrt', ['W1', 'W2'])}")
    if not isinstance(wrt, (str, list, tuple)):
        raise DcpError(f"{option('wrt')} must be a name or a list of names, got {type(wrt).__name__}")
    if isinstance(wrt, str):
        if wrt.isidentifier() and wrt.isascii():
            return (wrt,)                       # the commonest: wrt="x"
    elif wrt and all(isinstance(n, str) and n.isidentifier() and n.isascii() for n in wrt):
        return tuple(dict.fromkeys(wrt))        # the next: wrt=["W1", "W2"]
    names = re.split(r"[\s,]+", wrt.strip()) if isinstance(wrt, str) else list(wrt)
    names = [n for n in names if n != ""]
    if not names:
        raise DcpError(f"{option('wrt')} names no variable: give at least one, e.g. {option('wrt', 'x')}")
    for name in names:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise DcpError(f"{option('wrt')} must name variables, got {name!r}")
    return tuple(dict.fromkeys(names))


def _check_shapes(shapes: Mapping[str, Sequence[int | str]] | None) -> dict[str, tuple[int | str, ...]]:
    """Declared shapes, checked: each dimension a positive integer or a letter (a
    dimension of any size, the same letter the same size: ``{"u": ("n",)}``)."""
    if shapes is not None and not isinstance(shapes, dict) and not isinstance(shapes, Mapping):
        raise DcpError(f"{option('shapes')} must map names to shapes, such as {{'x': (3,)}}, "
                       f"not a {type(shapes).__name__}")
    result = {}
    for name, given in (shapes or {}).items():
        dims = (given,) if isinstance(given, (int, str)) else tuple(given) \
            if isinstance(given, (list, tuple)) else (given,)      # (a float: refused below)
        # bool is an int to Python, but `True` is no size.
        if len(dims) > 2 or not all(
                (isinstance(d, int) and not isinstance(d, bool) and d >= 1)
                or (isinstance(d, str) and _IDENTIFIER.match(d)) for d in dims):
            raise DcpError(f"shape of `{name}` must be () or (n,) or (m, n) with positive "
                           f"integers or letters (a dimension of any size), got {dims}")
        result[name] = dims
    return result


def _check_name(name: object, role: str) -> None:
    """Refuse ``name`` for ``role`` (``"a binding"``, ``"a user atom"``) unless a script
    could write it: an ASCII identifier that is no keyword of the language. (A built-in
    atom's name is refused for a user atom where atoms are defined.)"""
    if not isinstance(name, str) or not _IDENTIFIER.match(name):
        raise DcpError(f"{role} must be a name, got {name!r} (a name is ASCII letters, digits "
                       f"and _, and does not start with a digit)")
    if name in KEYWORDS:
        raise DcpError(f"{role} cannot be called `{name}`: it is a keyword of the language "
                       f"({', '.join(sorted(KEYWORDS))}); choose another name")


#: The parts a session's repr shows (wrt, assumptions, each binding, atom and shape).
_REPR_PARTS = 12


def _shape_text(dims: Sequence[int | str]) -> str:
    """A shape as a script declares it: ``()``, ``(n,)``, ``(4, 3)``."""
    return "(" + ", ".join(map(str, dims)) + ("," if len(dims) == 1 else "") + ")"


class Session:
    """Bindings, assumptions and shapes that persist across certifications.

    >>> s = Session()
    >>> s.bind("h", "relu(W1 @ x)")
    >>> s.assume("W2 >= 0")
    >>> s.certify("relu(W2 @ h)", wrt="W1").verdict
    'convex'
    """

    def __init__(self, max_nodes: int | None = None) -> None:
        #: Refuse expressions with more distinct subexpressions than this (None: no limit).
        self.max_nodes = max_nodes
        self.bindings: dict[str, Expr] = {}
        self.bounds: dict[str, Interval] = {}
        # Each condition assumed: the name it bounds, and its text.
        self._assumed: list[tuple[str, str]] = []
        self.shapes: dict[str, tuple[int | str, ...]] = {}
        self.wrt: tuple[str, ...] = ()
        #: Whether script and REPL certifications run the numeric check.
        self.check: bool | None = None
        #: User atoms from ``define``, by name.
        self.atoms: dict = {}
        #: Parameters given their values (a model's weights), by name: see :meth:`constant`.
        self.constants: dict[str, Entries] = {}
        #: What ``certify()`` certifies when given no expression (a model's output).
        self.expression: str | None = None
        #: Where a name came from, in words (``"ONNX node /fc2/Gemm (Gemm)"``): breaks say it.
        self.origins: dict[str, str] = {}
        #: Other spellings of names, accepted in ``wrt`` (a model's own: ``fc2.weight`` is
        #: ``fc2_weight``).
        self.aliases: dict[str, str] = {}

    def __repr__(self) -> str:
        """What the session holds, one part per kind, the empty ones left out:
        ``<Session wrt W1; assume W2 >= 0; h = relu(W1 @ x); define cube(t); shape W1 = (4, 3)>``."""
        from .syntax.printer import to_text
        parts = []
        if self.wrt:
            parts.append("wrt " + ", ".join(self.wrt))
        if self.assumption_texts:
            parts.append("assume " + ", ".join(self.assumption_texts))
        parts += [f"{name} = {to_text(expr, limit=40)}" for name, expr in self.bindings.items()]
        parts += [f"define {name}({', '.join(atom.params)})" for name, atom in self.atoms.items()]
        parts += [f"{name} = {entries!r}" for name, entries in self.constants.items()]
        parts += [f"shape {name} = {_shape_text(dims)}" for name, dims in self.shapes.items()]
        if self.check is False:
            parts.append("check off")
        if self.max_nodes is not None:
            parts.append(f"max_nodes {self.max_nodes}")
        if len(parts) > _REPR_PARTS:            # a long script's session: the first few
            parts[_REPR_PARTS - 1:] = [f"... {len(parts) - _REPR_PARTS + 1} more"]
        return f"<Session {'; '.join(parts)}>" if parts else "<Session (empty)>"

    # ---- state ----
    @property
    def assumption_texts(self) -> list[str]:
        """The assumptions so far, one text per condition, in the order given."""
        return [text for _name, text in self._assumed]

    def bind(self, name: str, expr: str | Expr) -> None:
        """`name = expr`: later expressions may use `name`; traces show it."""
        _check_name(name, "a binding")
        if not isinstance(expr, (str, Expr)):
            raise DcpError(f"bind {name} to an expression written as a string, such as "
                           f"'relu(W1 @ x)', not a {type(expr).__name__}")
        self.bindings[name] = self._resolve(parse_expression(expr) if isinstance(expr, str) else expr)

    def assume(self, *conditions: str) -> None:
        """Add assumptions such as `"W2 >= 0"` or `"0 <= p <= 1"`."""
        parsed = parse_assumption_list(conditions)
        self.bounds = bounds_from(parsed, self.bounds)
        self._assumed.extend((c.name, _condition_source(c)) for c, _text in parsed)

    def unassume(self, name: str) -> list[str]:
        """Drop every assumption on `name`; returns their texts (none: it had none).

        >>> s = Session()
        >>> s.assume("W2 >= 0, x >= 0", "W2 <= 1")
        >>> s.unassume("W2"), s.assumption_texts
        (['W2 >= 0', 'W2 <= 1'], ['x >= 0'])
        """
        dropped = [text for assumed, text in self._assumed if assumed == name]
        self._assumed = [(assumed, text) for assumed, text in self._assumed if assumed != name]
        self.bounds.pop(name, None)      # a name's bound is the meet of its own conditions
        return dropped

    def unbind(self, name: str) -> None:
        """Forget `name = ...`: later expressions read `name` as a free name again.
        (A name bound from it keeps the expression it was given.)"""
        if name not in self.bindings:
            raise UnknownNameError(f"`{name}` is not bound{close_matches(name, self.bindings)}")
        del self.bindings[name]

    def define(self, name: str, params: Sequence[str] | str, body: str | Expr):
        """`define name(params) = body`: a user atom, usable like a built-in.

        With one argument, SymPy derives where the body is monotone, convex and concave,
        and its range (`atom.derivation` says how); with several it is used by expansion.

        >>> s = Session()
        >>> cube = s.define("cube", "t", "t^3")
        >>> s.certify("cube(x)", wrt="x", assume=["x >= 0"], check=False).verdict
        'convex'
        """
        from .atoms.user import define_atom
        _check_name(name, "a user atom")
        if not isinstance(params, (str, list, tuple)):
            raise DcpError(f"the parameters of `{name}` are a name or a list of names, "
                           f"got {params!r}")
        params = (params,) if isinstance(params, str) else tuple(params)
        for param in params:
            _check_name(param, f"a parameter of `{name}`")
        if not isinstance(body, (str, Expr)):
            raise DcpError(f"define {name} by an expression written as a string, such as "
                           f"'t^3', got {body!r}")
        tree = parse_expression(body) if isinstance(body, str) else body
        atom = define_atom(name, params, tree, self.atoms)
        self.atoms[name] = atom
        return atom

    def constant(self, name: str, values, *, symbolic: bool = False) -> None:
        """`name` is a parameter given its values (an array of rank 0 to 2: a model's
        weight). Its range is the hull of its entries, `name[i, j]` has the entry's own
        value (`name[i]` its row's hull), its shape is the array's, and the numeric check
        uses the values instead of drawing them. With `symbolic`, each entry stands for any
        number of its value's sign, so a verdict covers every array of that sign pattern.
        Certified with respect to `name`, it is a variable and its values are not used.

        >>> s = Session()
        >>> s.constant("W", [[1.0, 0.5], [0.0, 2.0]])
        >>> s.certify("relu(W @ relu(x))", wrt="x").verdict
        'convex'
        >>> s.constant("W", [[1.0, -0.5], [0.0, 2.0]])
        >>> s.certify("relu(W[1] @ relu(x))", wrt="x").verdict
        'convex'
        """
        _check_name(name, "a constant")
        if name in self.bindings:
            raise DcpError(f"`{name}` is bound to an expression; unbind it before giving it values")
        try:
            entries = Entries.of(values, symbolic=bool(symbolic))
        except (TypeError, ValueError) as error:
            raise DcpError(f"the values of `{name}` must be an array of numbers: {error}") from None
        self.constants[name] = entries
        self.shapes[name] = entries.shape

    def declare_shape(self, name: str, dims: Sequence[int | str]) -> None:
        """`shape W = (4, 3)`, or with letters for dimensions of any size
        (`shape u = (n,)`): used by the methods that read ranks and by the check."""
        self.shapes.update(_check_shapes({name: dims}))

    def _resolve(self, expr: Expr) -> Expr:
        if not self.bindings:
            return expr
        return replace(expr, lambda n: Ref(n.id, self.bindings[n.id], span=n.span)
                       if type(n) is Name and n.id in self.bindings else None)

    # ---- certification ----
    def certify(self, expr: str | Expr | None = None, wrt: str | Sequence[str] | None = None,
                assume: Iterable[str] | str = (), shapes: Mapping[str, Sequence[int]] | None = None,
                check: bool | None = None, seed: int = 0, check_budget=None, *,
                max_nodes: int | None = None, strict_names: bool = False) -> Result:
        """Certify `expr` (default: the session's `expression`, a model's output) in the
        variables `wrt` (default: the session's last `wrt`).

        See `dcp.certify`; the session's bindings, assumptions, shapes and constants apply too.
        """
        if expr is None:
            if self.expression is None:
                raise DcpError("certify what? give an expression, such as 'relu(W @ x)' "
                               "(this session has no default expression)")
            expr = self.expression
            if self.origins and wrt is not None:    # a model's: wrt names its inputs or weights
                from .models.reader import check_wrt
                check_wrt(self, [wrt] if isinstance(wrt, str) else list(wrt))
        if not isinstance(expr, (str, Expr, ConstraintSet)):
            raise DcpError(f"the expression must be a string such as 'relu(W @ x)', "
                           f"not {type(expr).__name__}")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise DcpError(f"{option('seed')} must be an integer, got {seed!r}")
        if isinstance(expr, ConstraintSet) or is_constraint_text(expr):
            return self._certify_set(expr, wrt, assume, shapes, check, seed, check_budget,
                                     max_nodes=max_nodes, strict_names=strict_names)
        with _cyclic_gc_paused():
            text = expr if isinstance(expr, str) else None
            tape, root = _tape_of(expr, self.bindings)
            names, bounds, declared, analyzer = self._setting(tape, wrt, assume, shapes, max_nodes,
                                                              strict_names)
            atoms, ranks = analyzer.atoms, analyzer.ranks
            try:
                facts = analyzer.analyse(bounds, root)
                prove_quasi(tape, facts, root)
            except DcpError:
                # Unknown functions and wrong arguments are reported first, in source order.
                # The analysis resolves every call; only on failure are they all rechecked.
                _check_calls(tape, self.atoms)
                raise
            proof = Proof(tape, facts, root, names, bounds, text or "", atoms, ranks)
            check_proof(proof)
            entries, layerwise = (), None
            if self.constants and not proof.curvature.is_known:
                entries = entry_verdicts(proof, analyzer, self.origins)
                finer = entrywise_proof(proof, analyzer, {**_fixed_shapes(proof, declared), **declared})
                if finer is not None and finer.curvature.is_known:
                    layerwise, proof = proof, finer     # the verdict is proved entry by entry
            hints = hint_search(proof, analyzer)
            # Without the check, shapes only need to agree; the check wants a few ways to agree.
            solutions = infer_shapes(proof, declared, alternatives=0 if check is False else 3)
        curvature = proof.curvature
        facts = {"convex": True if curvature.is_convex else None,
                 "concave": True if curvature.is_concave else None}
        witnesses, report = _exact_witnesses(proof, declared), CheckReport(note=option("check=False"))
        if check is not False:
            search = cross_check(proof, solutions, _budget(check_budget), seed)
            witnesses = {**search.witnesses, **witnesses}
            report = _check_report(search)
        for kind in witnesses:
            facts[kind] = False
        if "quasiconvex" in witnesses:          # f(mix) > max(f(a), f(b)) >= the chord
            facts["convex"] = False
        if "quasiconcave" in witnesses:
            facts["concave"] = False
        return Result(
            expression=text if text is not None else str(expr),
            wrt=names,
            assumptions=self._assumptions_with(assume),
            curvature=curvature,
            proof=proof,
            is_convex=facts["convex"],
            is_concave=facts["concave"],
            witness=witnesses.get("convex") or witnesses.get("concave"),
            witnesses=witnesses,
            check=report,
            hint_search=hints,
            shape_template=partial(shape_template, solutions[0].names, solutions[0].dims),
            entries=entries,
            layerwise=layerwise,
        )

    def _certify_set(self, constraints: str | ConstraintSet, wrt, assume, shapes, check, seed,
                     check_budget, *, max_nodes, strict_names) -> SetResult:
        """Certify the feasible set of ``constraints`` (SPEC section 10): the set proof,
        checked by the kernel, then (unless ``check`` is False) the search for a set
        witness. See :meth:`certify` for the arguments."""
        from .sets import add_constraints, prove_set
        text = constraints if isinstance(constraints, str) else None
        parsed = parse_constraints(constraints) if text is not None else constraints
        with _cyclic_gc_paused():
            tape = Tape()
            stored = add_constraints(tape, parsed, self.bindings)
            names, bounds, declared, analyzer = self._setting(tape, wrt, assume, shapes, max_nodes,
                                                              strict_names)
            atoms, ranks = analyzer.atoms, analyzer.ranks
            try:
                proof = prove_set(analyzer, stored, names, bounds, text or "", atoms, ranks)
            except DcpError:
                _check_calls(tape, self.atoms)
                raise
            check_set_proof(proof)
            for part in proof.parts:                # shapes must agree, as for a function
                infer_shapes(part.function, declared, alternatives=0)
        witness, report = None, CheckReport(note=option("check=False"))
        if check is not False:
            from .check.sets import search_set
            search = search_set(proof, declared, _budget(check_budget), seed)
            witness, report = search.witness, _set_check_report(search)
        return SetResult(
            expression=text if text is not None else to_text_set(parsed),
            wrt=names,
            assumptions=self._assumptions_with(assume),
            proof=proof,
            is_convex=True if proof.convex else (False if witness is not None else None),
            witness=witness,
            check=report,
        )

    def _setting(self, tape: Tape, wrt, assume, shapes, max_nodes, strict_names: bool):
        """What a certification of ``tape`` (a function's or a set's) works in: the
        variables (now the session's), the bounds with ``assume`` added, the declared
        shapes, and an analyzer over the atoms as they are now (a later `define` must not
        change this result). Names, shapes and size are checked first; a wrong name is
        reported before the analysis runs."""
        if wrt is not None and self.aliases:
            wrt = self._unaliased(wrt)
        names = _wrt_names(wrt if wrt is not None else (self.wrt or None))
        self.wrt = names
        extra = parse_assumption_list(assume)
        bounds = bounds_from(extra, self.bounds)
        if self.constants:
            bounds = self._with_values(bounds, names)
        refuse_structured_variables(bounds, names)
        declared = {**self.shapes, **_check_shapes(shapes)}
        _check_size(tape, max_nodes if max_nodes is not None else self.max_nodes)
        ranks = {name: len(dims) for name, dims in declared.items()}
        analyzer = Analyzer(tape, names, dict(self.atoms), ranks)
        try:
            self._check_names(names, tape, extra if strict_names else ())
            if strict_names and shapes:
                _check_shape_names(shapes, tape)
        except DcpError:
            _check_calls(tape, self.atoms)        # an unknown function is said first
            raise
        return names, bounds, declared, analyzer

    def _unaliased(self, wrt: str | Sequence[str]) -> str | list[str]:
        """``wrt`` with each alias replaced by the name it stands for."""
        if isinstance(wrt, str):
            return self.aliases.get(wrt, wrt)
        return [self.aliases.get(name, name) if isinstance(name, str) else name for name in wrt]

    def _with_values(self, bounds: dict[str, Interval], wrt: tuple[str, ...]) -> dict[str, Interval]:
        """``bounds`` with each constant's values as its range, but for the variables (a
        weight certified with respect to is a variable: its values are not used). An
        assumption on a constant is refused: its values say what it is."""
        for name, entries in self.constants.items():
            if name in wrt:
                continue
            if name in bounds:
                raise AssumptionError(f"`{name}` is a constant given its values; an assumption "
                                      f"on it cannot apply (certify with respect to `{name}` "
                                      f"to let it vary)")
            bounds[name] = Valued(entries)
        return bounds

    def _assumptions_with(self, assume: Iterable[str] | str) -> tuple[str, ...]:
        """The session's assumption texts, then those of one certification's ``assume``."""
        return tuple(self.assumption_texts) + ((assume,) if isinstance(assume, str) else tuple(assume))

    def _check_names(self, wrt: tuple[str, ...], tape: Tape, strict) -> None:
        """Every wrt name is a free variable of the expression; with ``strict``, the
        assumptions' conditions, every name they bound too. (A free name is a row of the
        tape: found without a walk; all of them are listed only to suggest a spelling.)"""
        for name in wrt:
            if name in self.bindings:
                raise DcpError(f"`{name}` is a bound name (an expression), not a variable; "
                               f"certify with respect to the names it is built from")
            if tape.find("name", name) is None:
                raise UnknownNameError(f"`{name}` in {option('wrt')} does not appear in the expression"
                                       f"{close_matches(name, tape.names())}")
        for condition, source in strict:
            if tape.find("name", condition.name) is None:
                raise UnknownNameError(
                    f"the assumption names `{condition.name}`, which does not appear in the "
                    f"expression{close_matches(condition.name, tape.names())}",
                    span=condition.span, source=source or None)

    def run(self, script: str, filename: str | None = None) -> list[Result]:
        """Run a script (`.dcp`): bindings, `assume`, `shape`, `define` and
        `certify` statements; returns the results of its certifications, in order."""
        return list(self.iter_run(script, filename))

    def iter_run(self, script: str, filename: str | None = None) -> Iterator[Result]:
        """Run a script as `run` does, yielding each result as soon as it is made:
        the statements before a mistake run, and their results arrive, before the
        mistake's error is raised.

        >>> verdicts = []
        >>> try:
        ...     for result in Session().iter_run("certify exp(x) wrt x\\nrelu(x +)"):
        ...         verdicts.append(result.verdict)
        ... except DcpError as error:
        ...     print(verdicts, "then an error on line", error.line)
        ['convex'] then an error on line 2
        """
        for statement in iter_script(script, filename):
            try:
                # Messages name the script's words (`certify ... wrt x`); the context is
                # left before yielding, so the caller's own words are never changed.
                with words_for("script"):
                    results = self._execute(statement)
            except DcpError as error:
                raise error.locate(script, statement.span, filename) from None
            yield from results

    def _execute(self, statement) -> list[Result]:
        if isinstance(statement, Assignment):
            self.bindings[statement.name] = self._resolve(statement.value)
        elif isinstance(statement, Assume):
            self.bounds = bounds_from(((c, "") for c in statement.conditions), self.bounds)
            self._assumed.extend((c.name, _condition_source(c)) for c in statement.conditions)
        elif isinstance(statement, ShapeDecl):
            self.declare_shape(statement.name, statement.dims)
        elif isinstance(statement, Define):
            self.define(statement.name, statement.params, statement.body)
        elif isinstance(statement, CertifyStatement):
            return [self._certify_node(statement.expr, statement.wrt)]
        elif isinstance(statement, ExpressionStatement):
            return [self._certify_node(statement.expr, None)]
        return []

    def _certify_node(self, expr: Expr, wrt) -> Result:
        source = expr.span.source if expr.span and expr.span.source else None
        text = source[expr.span.start:expr.span.end] if source else None
        result = self.certify(expr, wrt, check=self.check)
        return result if text is None else _with_expression(result, text)


def _fixed_shapes(proof: Proof, declared) -> dict[str, tuple[int, ...]]:
    """The shapes the expression fixes (a constant's shape fixes what it multiplies), of
    the names whose every size is known: an entry-by-entry proof is about those sizes."""
    solution = infer_shapes(proof, declared, alternatives=0)[0]
    return {name: shape for name, shape in shape_template(solution.names, solution.dims).items()
            if all(isinstance(size, int) for size in shape)}


def _exact_witnesses(proof: Proof, declared: Mapping[str, tuple[int, ...]]) -> dict[str, Witness]:
    """The witnesses a method proved exactly, without search (an indefinite quadratic
    form at the root, elementwise in its names), as the check states its own: a name of
    a declared shape holds its value in every entry, any other is a scalar."""
    witnesses = {}
    if not proof.facts.witnesses:
        return witnesses                            # (the commonest: none)
    for kind, exact in proof.facts.witnesses.items():
        shapes = {name: tuple(d if isinstance(d, int) else 1 for d in declared.get(name, ()))
                  for name in {**exact.params, **exact.a}}
        rank = max((len(shape) for shape in shapes.values()), default=0)
        gap = exact.lhs - exact.rhs if kind == "convex" else exact.rhs - exact.lhs
        witnesses[kind] = Witness(
            kind=kind, shapes=shapes, params=_filled(exact.params, shapes), a=_filled(exact.a, shapes),
            b=_filled(exact.b, shapes), theta=0.5, entry=(0,) * rank, lhs=float(exact.lhs),
            rhs=float(exact.rhs), gap=float(gap), lhs_ball=_ball_text(exact.lhs),
            rhs_ball=_ball_text(exact.rhs), gap_ball=_ball_text(gap), exact=True)
    return witnesses


def _ball_text(value: Fraction) -> str:
    """A ball ``[mid +/- rad]`` (Arb's spelling) that holds the rational ``value``: its
    decimal to 28 digits and a radius rounded up from the exact error."""
    mid = Fraction(Decimal(value.numerator) / Decimal(value.denominator)) if value else Fraction(0)
    error = abs(value - mid)
    text = Decimal(mid.numerator) / Decimal(mid.denominator)
    if not error:
        return f"[{text} +/- 0]"
    power = len(str(error.numerator)) - len(str(error.denominator))   # 10^power is near it
    while Fraction(10) ** power < error:
        power += 1
    return f"[{text} +/- 1e{power}]"


def _filled(values: Mapping[str, float], shapes: Mapping[str, tuple[int, ...]]) -> dict:
    """Each value as an array of its name's shape (nested lists), every entry the same."""
    filled = {}
    for name, value in values.items():
        for size in reversed(shapes[name]):
            value = [value] * (size if isinstance(size, int) else 1)     # a letter: any size
        filled[name] = value
    return filled


class _CyclicGcPaused:
    """Pause the cyclic garbage collector while the rules run (a context manager).

    A proof allocates a few objects per node and frees nothing until it is done, which
    makes CPython run full collections over an ever larger heap: 40% of the time at 10^5
    nodes. The rules make no reference cycles (reference counting frees what they make),
    so pausing the collector loses nothing; the previous state is restored. (A class, not
    ``contextlib.contextmanager``: entered on every certification, its generator cost
    showed.)
    """

    __slots__ = ("was_enabled",)

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info) -> None:
        if self.was_enabled:
            gc.enable()


_cyclic_gc_paused = _CyclicGcPaused


def _check_shape_names(shapes: Mapping[str, object], tape: Tape) -> None:
    """Every name given a shape appears in the expression (a misspelt name's shape would
    silently not apply)."""
    for name in shapes:
        if tape.find("name", name) is None:
            raise UnknownNameError(f"a shape is given for `{name}`, which does not appear in the "
                                   f"expression{close_matches(name, tape.names())}")


def _check_size(tape: Tape, limit: int | None) -> None:
    """Refuse more than ``limit`` distinct subexpressions. The tape holds each once (``x``
    written twice is one row); a bound name's row only names its body's, so is not one."""
    if limit is None:
        return
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise DcpError(f"{option('max_nodes')} must be a positive integer, got {limit!r}")
    size = len(tape) - tape.op.count("ref")
    if size > limit:
        raise DcpError(f"the expression has {size} distinct subexpressions, more than the "
                       f"limit of {limit} ({option('max_nodes')}); raise the limit to certify it")


def _tape_of(expr: str | Expr, bindings: Mapping[str, Expr]) -> tuple[Tape, int]:
    """The tape of ``expr`` and its root: a string is read straight into it (the grammar
    reads, or refuses, what the fast reader leaves), a tree is converted."""
    if isinstance(expr, str):
        tape = Tape()
        root = read_into(expr, tape, bindings)
        if root is not None:
            return tape, root
        expr = parse_expression(expr)
    tape = Tape()
    return tape, tape.add_expr(expr, bindings)


def _check_calls(tape: Tape, atoms: Mapping) -> None:
    """Raise the error of the first call, in source order, that names no atom or passes
    it wrong arguments."""
    from .atoms.calls import resolve_at
    calls = [index for index, op in enumerate(tape.op) if op == "call"]
    for index in sorted(calls, key=lambda i: max(tape.start[i], 0)):
        resolve_at(tape, index, atoms)


def _with_expression(result: Result, text: str) -> Result:
    from dataclasses import replace
    return replace(result, expression=text)


def _condition_source(condition) -> str:
    span = condition.span
    if span is not None and span.source is not None:
        return span.source[span.start:span.end]
    return condition.name


def certify(expr: str | ModelProto, wrt: str | Sequence[str], assume: Iterable[str] | str = (),
            shapes: Mapping[str, Sequence[int]] | None = None, check: bool | None = None,
            seed: int = 0, check_budget: Budget | int | float | None = None, *,
            max_nodes: int | None = None) -> Result:
    """Is `expr` convex, concave, affine or constant in the variables `wrt`?

    Every other name is a parameter: a fixed but arbitrary array satisfying `assume`.
    `wrt` is one name or a list (joint convexity). `assume` holds elementwise bounds
    such as `"W2 >= 0"` or `"0 <= y <= 1"`. The result carries the verdict, the proof
    (re-checked by the kernel before it is returned), the breaks where the rules could
    not conclude, and the domain conditions the verdict relies on.

    `shapes` fixes some names' shapes (`{"W1": (4, 3)}`); the others are inferred.

    `check` (default on) cross-checks the verdict numerically: a search for points
    where Jensen's inequality fails, each violation proved rigorously. A confirmed violation
    sets `is_convex`/`is_concave` to False and gives the `witness`; one against a
    certified property raises `SoundnessError`. A check that compared no admissible
    point says `inconclusive`. `seed` makes it reproducible: the same call gives the same
    result, cold or warm. `check_budget` bounds it: a `dcp.check.Budget` (counts
    of points, examples and shrinking tries by default), an int (examples per Hypothesis
    run) or a float (seconds on top of the counts, opt-in; a timed check is not
    reproducible).

    `max_nodes` refuses, with a `DcpError`, an expression with more distinct
    subexpressions than that (a guard for services that certify what others type).

    Constraints (`"x^2 <= y*z"`, `>=`, `==`, several joined by `,`) ask whether their
    feasible set is convex: the answer is a `SetResult` (SPEC section 10), with a set
    witness (two feasible points whose mix is not) when the check disproves it.

    >>> certify("relu(W2 @ relu(W1 @ x))", wrt="W1", assume=["W2 >= 0"]).verdict
    'convex'
    >>> certify("relu(W2 @ relu(W1 @ x))", wrt="W2").verdict
    'convex'

    `expr` may also be a model loaded with `onnx.load` (an ONNX `ModelProto`): its output
    is certified, its weights at their values (see `dcp.from_onnx`).
    """
    if isinstance(expr, os.PathLike) or isinstance(expr, str) and expr.rstrip().endswith(".onnx"):
        raise DcpError(f"certify reads an expression or a loaded model, not a path: read the file "
                       f"with dcp.from_onnx({os.fspath(expr).strip()!r}).certify(wrt=...) (on the "
                       f"command line: dcp certify-model)")
    if type(expr).__name__ == "ModelProto":             # (onnx is not imported to ask)
        from .models import from_onnx
        return from_onnx(expr).certify(None, wrt, assume, shapes, check, seed, check_budget,
                                       max_nodes=max_nodes, strict_names=True)
    return Session().certify(expr, wrt, assume, shapes, check, seed, check_budget,
                             max_nodes=max_nodes, strict_names=True)


@dataclass(frozen=True)
class EachResult:
    """Verdicts in each variable separately and jointly (block convexity).

    `results["W1"]` is the verdict in W1 alone; `results.joint` in all of them.
    """

    expression: str
    separate: Mapping[str, Result]
    joint: Result

    def __getitem__(self, name: str) -> Result:
        return self.separate[name]

    @property
    def block_convex(self) -> bool:
        """Convex in each variable with the others fixed."""
        return all(r.is_convex is True for r in self.separate.values())

    @property
    def block_summary(self) -> str:
        """The note under the table when the variables are convex one at a time but not
        (or not known to be) jointly; `""` otherwise."""
        if not self.block_convex or self.joint.is_convex is True:
            return ""
        return ("convex in each variable separately (block convex), "
                + ("not jointly" if self.joint.is_convex is False else "jointly unknown"))

    def rows(self) -> list[tuple[str, Result]]:
        """One (label, result) per variable, then the joint row."""
        return [*self.separate.items(), (", ".join(self.joint.wrt) + " (jointly)", self.joint)]

    def table(self) -> str:
        """A text table: one row per variable, then the joint row."""
        header = ("wrt", "verdict", "rules", "numeric check")
        cells = [header] + [(label, r.verdict, str(r.curvature), r.check.brief)
                            for label, r in self.rows()]
        widths = [max(len(row[i]) for row in cells) for i in range(4)]
        lines = ["  ".join(f"{cell:<{w}}" for cell, w in zip(row, widths)).rstrip() for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        if self.block_summary:
            lines.append(self.block_summary)
        return "\n".join(lines)

    def to_json(self) -> dict:
        """Plain data: `expression`, `block_convex`, `separate` (each variable's
        result as `Result.to_json` gives it, by name) and `joint` (likewise)."""
        return {"expression": self.expression, "block_convex": self.block_convex,
                "separate": {name: r.to_json() for name, r in self.separate.items()},
                "joint": self.joint.to_json()}

    def _repr_html_(self) -> str:
        """The table in a notebook, each verdict in colour."""
        from .render.html import render_each_html
        return render_each_html(self)

    def _repr_markdown_(self) -> str:
        """The table as Markdown."""
        from .render.markdown import render_each_markdown
        return render_each_markdown(self)

    def __str__(self) -> str:
        return f"{self.expression}\n{self.table()}"


def certify_each(expr: str, wrt: Sequence[str], assume: Iterable[str] | str = (),
                 shapes: Mapping[str, Sequence[int]] | None = None, check: bool | None = None,
                 seed: int = 0, check_budget: Budget | int | float | None = None) -> EachResult:
    """Certify `expr` in each variable of `wrt` separately, and in all jointly.

    >>> table = certify_each("sum_squares(U @ V - M)", ["U", "V"], check=False)
    >>> [table[v].verdict for v in ("U", "V")], table.joint.verdict
    (['convex', 'convex'], 'unknown')
    """
    if is_constraint_text(expr):
        raise DcpError("certify_each asks about a function in each variable; for the set of "
                       "constraints, certify them in all the variables with certify()")
    names = _wrt_names(wrt)
    def one(variables):
        return certify(expr, variables, assume, shapes, check, seed, check_budget)
    return EachResult(expr, {name: one([name]) for name in names}, one(list(names)))
