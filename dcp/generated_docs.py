"""The reference sections of the documentation, generated from the code.

The docs build (docs/hooks.py) puts these where a page holds a marker; the tests check
them against the registry, so the reference cannot drift from what dcp does.
"""
from __future__ import annotations

import json

__all__ = ["atoms_markdown", "rules_markdown", "cli_markdown", "schema_markdown", "onnx_markdown",
           "SECTIONS"]


def _facts(atom) -> tuple[str, str, str, str]:
    """Domain, range, curvature and monotonicity of an atom, in words."""
    from .atoms import ScalarAtom
    if isinstance(atom, ScalarAtom) and "p" not in atom.keywords:
        facts = atom.pieces({k: v for k, v in atom.keywords.items() if v is not None})
        def show(key):
            return ", ".join(str(i) for i in facts[key]) or "-"
        curvature = "; ".join(part for part in (
            f"convex on {show('convex_on')}" if facts["convex_on"] else "",
            f"concave on {show('concave_on')}" if facts["concave_on"] else "") if part) or "neither"
        monotone = "; ".join(part for part in (
            f"↑ on {show('increasing_on')}" if facts["increasing_on"] else "",
            f"↓ on {show('decreasing_on')}" if facts["decreasing_on"] else "") if part) or "none"
        return show("domain"), show("image"), curvature, monotone
    if atom.kind == "composition" and not isinstance(atom, ScalarAtom) and atom.max_args == atom.min_args:
        return _facts_on_domain(atom)
    return "", "", atom.kind if atom.kind != "composition" else "see summary", ""


def _facts_on_domain(atom) -> tuple[str, str, str, str]:
    """The facts of an atom of a fixed number of arguments on its whole domain (those that
    hold only on part of it, such as rel_entr's monotonicity in x, are in its summary)."""
    kw = {k: v for k, v in atom.keywords.items() if v is not None}
    domains = [atom.domain(i, kw) for i in range(atom.min_args)]
    curvature = atom.curvature(domains, kw)
    monotone = [atom.monotonicity(i, domains, kw) for i in range(atom.min_args)]
    return (", ".join(str(d) for d in domains), str(atom.range(domains, kw)),
            str(curvature) if curvature.is_known else "neither",
            ", ".join(m.arrow for m in monotone) if any(m.arrow != "·" for m in monotone) else "none")


def atoms_markdown() -> str:
    """A table of every atom in the registry, with its facts."""
    from .atoms import all_atoms
    rows = ["| atom | aliases | domain | range | curvature | monotone | summary |",
            "|---|---|---|---|---|---|---|"]
    for atom in all_atoms():
        domain, image, curvature, monotone = _facts(atom)
        cells = [f"`{atom.name}`", ", ".join(f"`{a}`" for a in atom.aliases), domain, image,
                 curvature, monotone, atom.summary.replace("|", "\\|")]
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def rules_markdown() -> str:
    from .proof import RULES
    return "\n".join(f"- **`{name}`**: {text}" for name, text in RULES.items())


def cli_markdown() -> str:
    from .cli import _parser
    from .repl import COMMANDS
    parser = _parser()
    parts = ["```text", parser.format_help().rstrip(), "```"]
    for name, sub in parser._subparsers._group_actions[0].choices.items():   # noqa: SLF001
        parts += [f"### `dcp {name}`", "", "```text", sub.format_help().rstrip(), "```", ""]
    parts += ["### REPL commands", "", "| command | what it does |", "|---|---|"]
    parts += [f"| `{name}` | {what} |" for name, what in COMMANDS.items()]
    return "\n".join(parts)


def schema_markdown(kind: str = "function") -> str:
    """The JSON schema of a result about ``kind`` (a function, a set), as the installed
    package ships it; a missing file raises (so that ``mkdocs build --strict`` fails
    rather than printing an empty schema)."""
    from .render.json import load_schema
    return "```json\n" + json.dumps(load_schema(kind), indent=2) + "\n```"


def onnx_markdown() -> str:
    """A table of the ONNX operators dcp translates, one row per entry of
    ``dcp.models.operators.OPERATORS`` with its docstring's first paragraph."""
    from .models.operators import LAYERS, OPERATORS
    entries: dict = {}
    for op_type, entry in sorted(OPERATORS.items()):
        entries.setdefault(entry, []).append(op_type)
    rows = ["| ONNX operators | read as | a layer |", "|---|---|---|"]
    for entry, op_types in sorted(entries.items(), key=lambda item: item[1][0]):
        text = " ".join((entry.__doc__ or "").split("\n\n")[0].split()).replace("|", "\\|")
        rows.append(f"| {', '.join(op_types)} | {text} | {'yes' if op_types[0] in LAYERS else ''} |")
    return "\n".join(rows)


SECTIONS = {
    "<!-- dcp:atoms -->": atoms_markdown,
    "<!-- dcp:rules -->": rules_markdown,
    "<!-- dcp:cli -->": cli_markdown,
    "<!-- dcp:schema -->": schema_markdown,
    "<!-- dcp:set-schema -->": lambda: schema_markdown("set"),
    "<!-- dcp:onnx -->": onnx_markdown,
}
