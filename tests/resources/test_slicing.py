"""A question whose whole contraction exceeds the memory budget is answered in slices (issue 15).

The command line runs in a bounded child process (``limits``): its sliced answer equals the one given under
the default budget; a budget too small for even the operands ends with the budget's message and place.
"""
from __future__ import annotations

import json

import limits
import pytest
from limits import grid

from markovwire.errors import ContractionTooLarge


def test_a_grid_past_a_small_budget_is_answered_in_slices(tmp_path, budget):
    from markovwire.library.proposal import load_proposal

    # a 10 x 10 grid of bits: its best order holds 120 KiB at once (largest intermediate 32 KiB)
    path = grid(tmp_path, 10, 10)
    proposal = load_proposal(path)
    expected = proposal.evaluate()["corner"]
    (program,) = [v.program for k, v in proposal.net()._plans.items() if k != "operands"]
    assert not program.sliced and program.peak > 100 * 1024
    sliced = limits.run_cli(["--max-memory", "48KiB", "eval", str(path), "--json"])
    assert sliced.clean and sliced.returncode == 0, sliced
    assert json.loads(sliced.stdout)["queries"]["corner"] == pytest.approx(expected, rel=1e-12)

    budget(4 * 1024)   # below the operands themselves: refused, with its place and the budget to give
    with pytest.raises(ContractionTooLarge) as e:
        load_proposal(path).evaluate()
    assert e.value.keys == ("queries", "corner") and "more than the memory budget of 4.0 KiB" in str(e.value)
    assert "--max-memory " in e.value.fix
