"""The off-switch game (P10) by enumerating utilities and the overseer's errors."""
from __future__ import annotations

import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

UTILITIES = (-2, -1, 1, 3)


@pytest.fixture(scope="module")
def game():
    return load_proposal(proposals_dir() / "off_switch.yaml")


def defer_value(eta: float) -> float:
    """E[U * 1(allowed)]: a rational overseer allows iff U > 0, and errs with probability eta."""
    total = 0.0
    for u in UTILITIES:
        allow = (1 - eta) if u > 0 else eta
        total += 0.25 * u * allow
    return total


def test_deferring_to_a_rational_human_is_worth_1_against_0_25(game):
    out = game.evaluate()
    assert out["value_defer"] == pytest.approx(1.0) == pytest.approx(sum(max(u, 0) for u in UTILITIES) / 4)
    assert out["value_act"] == pytest.approx(0.25) and out["p_harm_allowed"] == 0.0


@pytest.mark.parametrize("eta", [0.0, 0.1, 0.3, 3 / 7, 0.5])
def test_an_erring_overseer_shrinks_the_advantage(game, eta):
    out = game.evaluate({"eta": eta})
    assert out["value_defer"] == pytest.approx(defer_value(eta)) == pytest.approx(1 - 1.75 * eta)
    assert (out["value_defer"] > out["value_act"] + 1e-12) == (eta < 3 / 7 - 1e-9)
    assert out["p_harm_allowed"] == pytest.approx(eta / 2)
