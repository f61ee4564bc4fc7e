"""The command line on each worked proposal of the catalogue: `markovwire eval FILE --json` as a user runs it."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from markovwire.library import load_proposal, shipped_proposals
from markovwire.library.shipped import proposals_dir

# asked at their point, where their safety is the published one (4 decimals); every other proposal is asked whole.
# The default proposal's sweep is evaluated whole in tests/library/test_one_answer.py, defer_to_trusted's in
# tests/library/test_cli.py.
SAFETY = {"upfront_auditing": 0.1518, "trusted_monitoring": 0.6487, "defer_to_trusted": 0.7776}
PROPOSALS = sorted(p.stem for p in shipped_proposals())


def numbers(value) -> list[float]:
    """Every number in a query's JSON result (a number, a list over the sweep, or an adversary's outcome)."""
    if isinstance(value, dict) and "lower" in value and "upper" in value:     # credal bounds
        return numbers(value["lower"]) + numbers(value["upper"])
    if isinstance(value, dict):
        return numbers(value["value"]) if "value" in value else [x for v in value.values() for x in numbers(v)]
    if isinstance(value, list):
        return [x for v in value for x in numbers(v)]
    return [value]


@pytest.mark.parametrize("name", PROPOSALS)
def test_eval_json(name):
    path = proposals_dir() / f"{name}.yaml"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1"}
    point = ["--point"] if name in SAFETY else []
    r = subprocess.run([sys.executable, "-m", "markovwire", "eval", str(path), "--json", *point],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    spec = load_proposal(path).spec
    assert out["proposal"] == name and {"parameters", "queries", "seconds"} <= set(out)
    assert set(out["queries"]) == set(spec.queries) | set(spec.adversary) | set(spec.credal)
    assert set(out.get("sweep", {})) == ({s.parameter for s in spec.sweeps} if not point else set())
    for query, value in out["queries"].items():
        got = numbers(value)
        assert got and all(isinstance(x, float) and math.isfinite(x) for x in got), query
    if point:
        worst = out["queries"]["worst_safety"]
        assert worst["value"] <= out["queries"]["safety"] + 1e-9 and set(worst["choice"]) == {"beta"}
        assert round(out["queries"]["safety"], 4) == SAFETY[name]
