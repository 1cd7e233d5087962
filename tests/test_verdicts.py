"""Every atom and rule, one line each: tests/fixtures/verdicts.txt."""
from __future__ import annotations

import pytest
from conftest import read_cases

from dcp import certify

CASES = read_cases("verdicts.txt")


def _split(field: str) -> list[str]:
    return [part.strip() for part in field.split(",") if part.strip()]


@pytest.mark.parametrize("line,fields", CASES, ids=[f"L{n}:{f[0]}" for n, f in CASES])
def test_verdict(line, fields):
    expr, wrt, assume, verdict, *rest = fields
    result = certify(expr, wrt=_split(wrt), assume=_split(assume), check=False)
    assert result.verdict == verdict, result.explain()
    if verdict in ("unknown", "nonconvex") or verdict.startswith("quasi"):
        # (a quasi verdict is not convex nor concave: the plain rules' break says where)
        assert result.breaks, "an unknown verdict must point at a break"
    else:
        assert not result.breaks
    if rest:
        assert " | ".join(step.text for step in result.breaks) == rest[0], result.explain()
