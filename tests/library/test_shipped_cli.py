"""The command line on each worked proposal of the catalogue: `markovwire eval FILE --json` as a user runs it."""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

PROPOSALS = ["trusted_editing", "untrusted_monitoring", "budgeted_monitoring", "best_of_n_vs_rl",
             "regressional_goodhart", "debate", "amplification", "guaranteed_safe_ai", "swiss_cheese", "off_switch",
             "credal_control"]


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
    r = subprocess.run([sys.executable, "-m", "markovwire", "eval", str(path), "--json"],
                       capture_output=True, text=True, env=env, timeout=600)
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    spec = load_proposal(path).spec
    assert out["proposal"] == name and {"parameters", "queries", "seconds"} <= set(out)
    assert set(out["queries"]) == set(spec.queries) | set(spec.adversary) | set(spec.credal)
    assert set(out["sweep"]) == {s.parameter for s in spec.sweeps}
    for query, value in out["queries"].items():
        got = numbers(value)
        assert got and all(isinstance(x, float) and math.isfinite(x) for x in got), query
