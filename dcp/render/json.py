"""A result as JSON, with a documented, stable schema (``dcp/result.schema.json``, shipped in
the package: :func:`load_schema`).

The proof is a list of steps, premises before conclusions, each with an ``id``; a step
refers to its premises by id, so a shared subexpression appears once. Infinite range
ends are the strings ``"inf"`` and ``"-inf"`` (JSON has no infinity). An exact end that no
float equals (the 1/10 of a literal ``0.1``) is given as the float rounded outward, a lower
end down and an upper end up, so the numbers still enclose the range; ``text`` prints it.
"""
from __future__ import annotations

import json
import math
from importlib.resources import files

from ..facts import Interval
from ..facts.interval import round_down, round_up
from ..proof import condition_text

__all__ = ["to_json", "set_to_json", "render_json", "load_schema", "SCHEMA_VERSION"]

#: 2: a shape's dimensions are integers, or strings for free sizes (all were strings).
#: 3: quasiconvexity (SPEC section 10): is_quasiconvex, is_quasiconcave, quasi_curvature,
#: the quasi verdicts and witnesses, and a step's DQCP step; and ``kind`` says what a
#: result is about (``"function"``; a set's result has a schema of its own).
SCHEMA_VERSION = 4

#: The schema's file in the package, and that of a result about a set.
SCHEMA_FILE = "result.schema.json"
SET_SCHEMA_FILE = "set_result.schema.json"


def load_schema(kind: str = "function") -> dict:
    """The JSON schema that :func:`to_json` follows for a result about ``kind``
    (``"function"`` or ``"set"``), read from the installed package (a FileNotFoundError
    that says so when an install left it out)."""
    name = SET_SCHEMA_FILE if kind == "set" else SCHEMA_FILE
    resource = files("dcp") / name
    try:
        return json.loads(resource.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"the JSON schema {resource} is missing: this install of dcp "
                                f"is incomplete (the wheel ships dcp/{name})") from None


def _number(x: float):
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _interval(interval: Interval) -> dict:
    return {"lo": _number(round_down(interval.lo)), "hi": _number(round_up(interval.hi)),
            "lo_open": interval.lo_open, "hi_open": interval.hi_open, "text": str(interval)}


def _span(span) -> list | None:
    return None if span is None else [span.start, span.end]


def _witness(witness, given: tuple[str, ...] = ()) -> dict | None:
    """A witness as plain data; the ``given`` constants (a model's weights, at their
    values) are named under ``"given"`` rather than copied into its parameters."""
    if witness is None:
        return None
    data = witness.as_dict()
    if given:
        data["params"] = {n: v for n, v in data["params"].items() if n not in given}
        data["shapes"] = {n: v for n, v in data["shapes"].items() if n not in given}
        data["given"] = [n for n in given if n in witness.params]
    return data


def _quasi_steps(proof, ids: dict[int, int], steps: list[dict]) -> None:
    """Each DQCP step, under ``"quasi"`` of the step of its node."""
    tape = proof.tape
    for step, quasi in proof.quasi_steps():
        steps[ids[id(step)]]["quasi"] = {
            "quasi": quasi.quasi.value, "rule": quasi.rule,
            "premises": [ids[id(proof.step(p))] for p in quasi.premises],
            "requires": [f"{tape.text(p, 60)} {condition_text(d)}" for p, d in quasi.requires],
            "break": quasi.reason}


def to_json(result) -> dict:
    """The result as plain data following the schema (of its kind)."""
    if result.kind == "set":
        return set_to_json(result)
    proof = _proof(result.proof)
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "function",
        "expression": result.expression,
        "wrt": list(result.wrt),
        "assumptions": list(result.assumptions),
        "verdict": result.verdict,
        "curvature": result.curvature.value,
        "is_convex": result.is_convex,
        "is_concave": result.is_concave,
        "is_quasiconvex": result.is_quasiconvex,
        "is_quasiconcave": result.is_quasiconcave,
        "quasi_curvature": result.proof.quasi.value,
        "breaks": [proof["ids"][id(s)] for s in result.breaks],
        "entries": [{"step": proof["ids"].get(id(result.proof.step(found.index))), **found.to_json()}
                    for found in result.entries],
        "entrywise": result.layerwise is not None,
        "hints": [{"assume": list(h.assumptions), "verdict": h.verdict} for h in result.hints],
        "domain": [str(c) for c in result.domain],
        "check": {"outcome": result.check.outcome, "trials": result.check.trials,
                  "seconds": None if result.check.seconds is None else round(result.check.seconds, 4),
                  "largest_gap": result.check.largest_gap, "note": result.check.note},
        "witnesses": {kind: _witness(w, result.given) for kind, w in result.witnesses.items()},
        "shapes": {k: list(v) for k, v in result.shapes.items()},
        "proof": {"root": proof["root"], "steps": proof["steps"]},
    }


def _proof(proof) -> dict:
    """A proof's steps as plain data, premises first, each with an id; ``ids`` maps each
    step object to its id (for breaks)."""
    ids: dict[int, int] = {}
    steps = []
    for step in proof.steps():
        ids[id(step)] = len(steps)
        steps.append({
            "id": len(steps),
            "text": step.text,
            "span": _span(step.span),
            "range": _interval(step.range),
            "curvature": step.curvature.value,
            "rule": step.rule,
            "atom": getattr(step.atom, "spelling", None),
            "facts": list(step.facts),
            "premises": [ids[id(p)] for p in step.premises],
            "requires": [str(c) for c in step.requires],
            "break": None if not step.is_break else {"reason": step.reason, "fix": step.fix},
        })
    if proof.facts.quasi:
        _quasi_steps(proof, ids, steps)
    return {"root": ids[id(proof.root)], "steps": steps, "ids": ids}


def set_to_json(result) -> dict:
    """A :class:`~dcp.result.SetResult` as plain data following ``set_result.schema.json``."""
    def function(proof) -> dict:
        found = _proof(proof)
        return {"root": found["root"], "curvature": proof.curvature.value, "steps": found["steps"]}
    return {
        "schema_version": SCHEMA_VERSION,
        "kind": "set",
        "expression": result.expression,
        "wrt": list(result.wrt),
        "assumptions": list(result.assumptions),
        "verdict": result.verdict,
        "is_convex": result.is_convex,
        "is_concave": None,
        "rule": result.proof.rule,
        "constraints": [{"text": part.text, "op": part.op, "span": _span(part.span),
                         "convex": part.convex, "rule": part.rule, "reason": part.reason,
                         "proofs": {role: function(p) for role, p in part.proofs.items()}}
                        for part in result.constraints],
        "domain": [str(c) for c in result.domain],
        "check": {"outcome": result.check.outcome, "trials": result.check.trials,
                  "note": result.check.note},
        "witness": _witness(result.witness),
    }


def render_json(result, indent: int | None = 2) -> str:
    return json.dumps(to_json(result), indent=indent, allow_nan=False)
