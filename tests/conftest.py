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
