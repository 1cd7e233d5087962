"""The documentation cannot lie: its examples run (pytest collects docs/pages/*.md as
doctests), a changed output fails, and the reference is generated from the code."""
from __future__ import annotations

import doctest
import re
from pathlib import Path

from dcp.atoms import all_atoms
from dcp.generated_docs import atoms_markdown, cli_markdown, rules_markdown
from dcp.proof import RULES

PAGES = Path(__file__).parent.parent / "docs" / "pages"


def _failures(text: str, tmp_path: Path) -> int:
    page = tmp_path / "page.md"
    page.write_text(text)
    return doctest.testfile(str(page), module_relative=False, verbose=False,
                            optionflags=doctest.NORMALIZE_WHITESPACE).failed


def test_a_changed_example_output_fails(tmp_path):
    tutorial = (PAGES / "tutorial.md").read_text()
    assert _failures(tutorial, tmp_path) == 0
    changed = tutorial.replace(">>> certify(\"relu(W2 @ relu(W1 @ x))\", wrt=\"W2\").verdict\n'convex'",
                               ">>> certify(\"relu(W2 @ relu(W1 @ x))\", wrt=\"W2\").verdict\n'concave'")
    assert changed != tutorial
    assert _failures(changed, tmp_path) == 1


def test_every_page_has_examples_that_run():
    for name in ("index.md", "tutorial.md", "concepts.md", "beyond.md", "reference/language.md"):
        assert ">>> " in (PAGES / name).read_text()


def test_atom_reference_lists_exactly_the_registry():
    names = re.findall(r"^\| `([a-z0-9_]+)` \|", atoms_markdown(), flags=re.MULTILINE)
    assert sorted(names) == sorted(atom.name for atom in all_atoms())
    assert "| `sigmoid` |  | (-inf, inf) | (0, 1) | convex on (-inf, 0]; concave on [0, inf) | ↑ on (-inf, inf) |" \
        in atoms_markdown()
    # Atoms of a fixed number of arguments: their facts on their whole domain.
    assert "| `rel_entr` |  | [0, inf), (0, inf) | (-inf, inf) | convex | ·, ↓ |" in atoms_markdown()
    assert "| `geo_mean` |  | [0, inf) | [0, inf) | concave | ↑ |" in atoms_markdown()


def test_rule_and_cli_references_come_from_the_code():
    assert all(f"**`{name}`**" in rules_markdown() for name in RULES)
    assert "dcp batch" in cli_markdown() and "| `:assume COND, ...` |" in cli_markdown()
    assert "<!-- dcp:atoms -->" in (PAGES / "reference" / "atoms.md").read_text()


def _blocks(language: str):
    for page in PAGES.rglob("*.md"):
        for block in re.findall(rf"```{language}\n(.*?)```", page.read_text(), flags=re.DOTALL):
            yield page.name, block


def test_repl_transcripts_in_the_docs_replay():
    """A transcript's input lines follow `dcp> `; its shown lines must appear in order in
    what the REPL prints (`...` stands for lines left out)."""
    from dcp.repl import Repl
    transcripts = [(name, block) for name, block in _blocks("text") if "dcp> " in block]
    assert transcripts
    for name, block in transcripts:
        repl, actual = Repl(), []
        expected = []
        for line in block.splitlines():
            if line.startswith("dcp> "):
                actual += repl.execute(line[5:]).splitlines()
            elif line.strip() != "...":
                expected.append(line)
        position = 0
        for line in expected:
            assert line in actual[position:], f"{name}: {line!r} not shown"
            position = actual.index(line, position) + 1


def test_command_lines_in_the_docs_run():
    from dcp.cli import main
    commands = [line for _, block in _blocks("sh") for line in block.splitlines()
                if line.startswith("dcp ")]
    assert commands
    import shlex
    for command in commands:
        assert main(shlex.split(command)[1:] + (["--no-check"] if " certify " in f" {command} " else [])) == 0
