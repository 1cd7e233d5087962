"""The documentation cannot lie: its examples run (pytest collects docs/pages/*.md as
doctests), a changed output fails, and the reference is generated from the code."""
from __future__ import annotations

import doctest
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from dcp.atoms import all_atoms
from dcp.generated_docs import atoms_markdown, cli_markdown, rules_markdown
from dcp.proof import RULES

ROOT = Path(__file__).parent.parent
PAGES = ROOT / "docs" / "pages"


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
    for name in ("index.md", "tutorial.md", "concepts.md", "beyond.md", "sets.md", "reference/language.md"):
        assert ">>> " in (PAGES / name).read_text()


def test_atom_reference_lists_exactly_the_registry():
    names = re.findall(r"^\| `([a-z0-9_]+)` \|", atoms_markdown(), flags=re.MULTILINE)
    assert sorted(names) == sorted(atom.name for atom in all_atoms())
    assert "| `sigmoid` |  | (-inf, inf) | (0, 1) | convex on (-inf, 0]; concave on [0, inf) | ↑ on (-inf, inf) |" \
        in atoms_markdown()
    # Atoms of a fixed number of arguments: their facts on their whole domain.
    assert "| `rel_entr` |  | [0, inf), (0, inf) | (-inf, inf) | convex | ·, ↓ |" in atoms_markdown()
    assert "| `geo_mean` |  | [0, inf) | [0, inf) | concave | ↑ |" in atoms_markdown()
    # Facts that depend on keywords: at the defaults (hard_sigmoid's knees at -2.5 and 2.5).
    assert "| `hard_sigmoid` |  | (-inf, inf) | [0, 1] | convex on (-inf, 2.5]; concave on [-2.5, inf) | " \
        "↑ on (-inf, inf) |" in atoms_markdown()


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
    for command in commands:
        assert main(shlex.split(command)[1:] + (["--no-check"] if " certify " in f" {command} " else [])) == 0


# ---- shell sessions and the files they run -------------------------------------------
#
# A ```console block is a shell session run from the repository's top folder: `$ dcp ...`
# lines are commands, the lines under one its expected output (stdout and stderr, `...`
# standing for any text, as in a doctest), and `$ echo $?` the exit status of the command
# before. A block under `<!-- file: PATH -->` shows the file PATH as it is.


def _sessions(text: str) -> list[tuple[str, str, int]]:
    """The (command, expected output, expected exit status) of each ```console block."""
    runs: list[tuple[str, str, int]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        for part in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = part.partition("\n")
            if command == "echo $?":
                runs[-1] = (runs[-1][0], runs[-1][1], int(output.strip()))
            else:
                runs.append((command, output, 0))
    return runs


def _run(command: str) -> tuple[str, int]:
    """A command line run as a user runs it: in a shell, from the top folder, with `dcp`
    (at the start or after a `|`) the dcp of this tree."""
    python = f"{shlex.quote(sys.executable)} -m dcp "
    command, found = re.subn(r"(^|\|\s*)dcp ", lambda m: m.group(1) + python, command)
    assert found, f"not a dcp command: {command}"
    done = subprocess.run(command, shell=True, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=300)
    return done.stdout + done.stderr, done.returncode


def _matches(expected: str, actual: str) -> bool:
    """Line for line, trailing blanks aside; `...` stands for any text, across lines too."""
    def tidy(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.strip("\n").splitlines()) + "\n"
    return doctest.OutputChecker().check_output(tidy(expected), tidy(actual), doctest.ELLIPSIS)


def test_shell_sessions_in_the_docs_print_what_they_show():
    pages = [page for page in sorted(PAGES.rglob("*.md")) if "```console\n" in page.read_text()]
    assert {page.name for page in pages} >= {"scripts.md", "batch.md", "tutorial.md"}
    for page in pages:
        for command, expected, status in _sessions(page.read_text()):
            actual, code = _run(command)
            assert _matches(expected, actual), f"{page.name}: `{command}` printed\n{actual}"
            assert code == status, f"{page.name}: `{command}` exited {code}, not {status}"


def test_a_changed_line_of_a_shell_session_fails():
    command, expected, _ = _sessions((PAGES / "scripts.md").read_text())[0]
    actual, _ = _run(command)
    assert _matches(expected, actual)
    assert not _matches(expected.replace("verdict: nonconvex", "verdict: unknown"), actual)
    assert not _matches(expected + "one more line\n", actual)


def test_files_shown_in_the_docs_are_the_files():
    shown = [(page.name, path, block) for page in sorted(PAGES.rglob("*.md"))
             for path, block in re.findall(r"<!-- file: (\S+) -->\n```\w*\n(.*?)```",
                                           page.read_text(), flags=re.DOTALL)]
    assert {path for _, path, _ in shown} >= {"docs/examples/two_layer.dcp", "docs/examples/cases.jsonl"}
    for name, path, block in shown:
        assert block == (ROOT / path).read_text(), f"{name} shows {path} otherwise than it is"
