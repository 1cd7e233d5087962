"""Shared test helpers: fixture files live in tests/fixtures, golden traces in tests/golden."""
from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures"
GOLDEN = Path(__file__).parent / "golden"


def read_cases(name: str) -> list[tuple[int, list[str]]]:
    """The `;`-separated cases of a fixture file, with their line numbers."""
    cases = []
    for number, line in enumerate((FIXTURES / name).read_text().splitlines(), start=1):
        if line.strip() and not line.lstrip().startswith("#"):
            cases.append((number, [field.strip() for field in line.split(";")]))
    return cases


def _hypothesis_profiles() -> None:
    """No example database on disk (a test run leaves no `.hypothesis` folder behind);
    ``HYPOTHESIS_PROFILE=long`` for deeper fuzzing."""
    import os
    import tempfile

    from hypothesis import HealthCheck, settings
    from hypothesis.configuration import set_hypothesis_home_dir
    # Hypothesis also caches constants it finds in the source; keep that off the tree.
    set_hypothesis_home_dir(tempfile.mkdtemp(prefix="dcp-hypothesis-"))
    # A loaded CI machine must not turn slow generation into a failure.
    calm = [HealthCheck.too_slow, HealthCheck.data_too_large]
    # CI (CI=true) replays the same examples every run; a developer's runs explore.
    settings.register_profile("default", database=None, deadline=None, suppress_health_check=calm,
                              derandomize=bool(os.environ.get("CI")))
    settings.register_profile("long", database=None, deadline=None, max_examples=5_000,
                              suppress_health_check=calm)
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


_hypothesis_profiles()


def tamper(proof, text: str | None = None, *, index: int | None = None, **changes):
    """A copy of ``proof`` whose step printed as ``text`` (or the node ``index``) claims
    ``changes`` instead: columns of its facts (``curvature``, ``range``, ``rule``,
    ``premises`` as ids) or parts of its note (``requires``, ``reason``, ``idiom``)."""
    import dataclasses

    from dcp.proof import Note
    if index is None:
        index = next(i for i in proof.ids() if proof.tape.text(i, 60) == text)
    facts = proof.facts.copy()
    note = facts.notes.get(index, Note())
    for key, value in changes.items():
        if key in Note._fields:
            note = note._replace(**{key: value})
        else:
            getattr(facts, key)[index] = value
    facts.notes[index] = note
    return dataclasses.replace(proof, facts=facts, _steps={})
