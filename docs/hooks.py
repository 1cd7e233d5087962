"""MkDocs hooks: the reference pages are generated from the code, never copied by hand.

A page may hold these markers, each replaced when the site is built:

* ``<!-- dcp:atoms -->``  the atom table, from the registry;
* ``<!-- dcp:rules -->``  the rule catalogue, from ``dcp.proof.RULES``;
* ``<!-- dcp:cli -->``    the command line's ``--help``, and the REPL's commands;
* ``<!-- dcp:schema -->`` the JSON schema of results;
* ``<!-- dcp:onnx -->``   the ONNX operators dcp translates, from ``dcp.models.operators``.
"""
from __future__ import annotations

from pathlib import Path

import dcp.generated_docs as generated

#: The tutorial's two-sample loss of a sigmoid unit, whose quasiconvexity witness is drawn.
TWO_SAMPLES = "square(sigmoid(w @ x1) - y1) + square(sigmoid(w @ x2) - y2)"
TWO_SAMPLE_SHAPES = {"w": (2,), "x1": (2,), "x2": (2,), "y1": (), "y2": ()}


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
            "img/quasi_witness.png": lambda path: certify(TWO_SAMPLES, wrt="w", shapes=TWO_SAMPLE_SHAPES)
            .plot(path, kind="quasiconvex"),
        }
        for uri, draw in pictures.items():
            path = Path(folder) / uri.replace("/", "_")
            draw(str(path))
            files.append(File.generated(config, uri, content=path.read_bytes()))
    return files
