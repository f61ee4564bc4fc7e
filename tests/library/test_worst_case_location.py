"""A shipped worst case that is flat reports its optimum as a set, the same on every machine (issue 10)."""
from pathlib import Path

import pytest

from markovwire.library import load_proposal, shipped_proposals

PROPOSALS = {p.stem: p for p in shipped_proposals()}
README = Path(__file__).resolve().parents[2] / "README.md"


def test_trusted_monitoring_worst_safety_is_flat_up_to_the_end_of_the_domain_as_the_readme_says():
    worst = load_proposal(PROPOSALS["trusted_monitoring"]).value("worst_safety")
    assert worst.value == pytest.approx(24 / 37, abs=1e-9)
    lo, hi = worst.optimum["beta"]
    assert 0.005 < lo < 0.012 and hi == 1.0 and worst.choice == {"beta": lo} and worst.flat
    assert worst.on_edge == {"beta": "upper"}
    first, edge = str(worst).splitlines()[:2]
    shown = (" = 0.648649 at beta ∈ [0.008, 1] (flat: within 1e-9 of the optimum; representative beta = 0.008)\n"
             "  on the edge: beta at the upper end of its domain [0, 1]")
    assert first.startswith("min ") and f"{first[first.index(' = '):]}\n{edge}" == shown
    assert f"min safety{shown}" in README.read_text(encoding="utf-8")      # the README names the query briefly


def test_defer_to_trusted_the_red_team_location_moves_smoothly_with_the_defer_rate():
    p = load_proposal(PROPOSALS["defer_to_trusted"])
    worst = p.evaluate({"d": [0.0, 0.05, 0.1, 0.2, 0.5]}, ["worst_safety"])["worst_safety"].reshape(-1)
    los = [w.optimum["beta"][0] for w in worst]
    assert all(w.optimum["beta"][1] == 1.0 and w.choice == {"beta": w.optimum["beta"][0]} for w in worst)
    assert los == sorted(los) and los[-1] - los[0] < 0.005     # not 0.185 / 0.055 / 0.95 / 0.69
