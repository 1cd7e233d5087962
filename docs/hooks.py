"""MkDocs hooks: the reference pages are generated from the code, never copied by hand.

A page may hold these markers, each replaced when the site is built:

* ``<!-- dcp:atoms -->``  the atom table, from the registry;
* ``<!-- dcp:rules -->``  the rule catalogue, from ``dcp.proof.RULES``;
* ``<!-- dcp:cli -->``    the command line's ``--help``, and the REPL's commands;
* ``<!-- dcp:schema -->`` the JSON schema of results.
"""
from __future__ import annotations

from pathlib import Path

import dcp.generated_docs as generated


def on_page_markdown(markdown: str, **kwargs) -> str:
    for marker, make in generated.SECTIONS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, make())
    return markdown


def on_files(files, config):
    """Pictures drawn from the code at build time: an atom's curvature, a witness slice."""
    import tempfile

    from mkdocs.structure.files import File

    from dcp import certify
    from dcp.atoms import lookup
    from dcp.render.plot import plot_atom

    with tempfile.TemporaryDirectory() as folder:
        pictures = {
            "img/sigmoid.png": lambda path: plot_atom(lookup("sigmoid", 1), path),
            "img/witness.png": lambda path: certify("mse(W2 @ relu(W1 @ x), y)", wrt="W1").plot(path),
        }
        for uri, draw in pictures.items():
            path = Path(folder) / uri.replace("/", "_")
            draw(str(path))
            files.append(File.generated(config, uri, content=path.read_bytes()))
    return files
