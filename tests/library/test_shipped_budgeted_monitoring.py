"""The budgeted monitoring game (Griffin24's state space) against the dynamic programme of ALIGNMENT §3.2(d).

V(0, m) = 1; V(t, 0) = (1 - beta*sigma) V(t-1, 0);
V(t, m) = (1-beta)[f V(t-1, m-1) + (1-f) V(t-1, m)]
          + beta[r (h + (1-h)(1-sigma) V(t-1, m-1)) + (1-r)(1-sigma) V(t-1, m)].
"""
from __future__ import annotations

import numpy as np
import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

DEFAULTS = dict(T=200, B=4, beta=0.019, f=0.05, r=0.6, h=0.9, sigma=0.5)


@pytest.fixture(scope="module")
def game():
    return load_proposal(proposals_dir() / "budgeted_monitoring.yaml")


def dp(T, B, beta, f, r, h, sigma) -> float:
    """Safety V(T, B), written from the recursion (m = coins left)."""
    V = [1.0] * (B + 1)
    for _ in range(T):
        new = [(1 - beta) * V[0] + beta * (1 - sigma) * V[0]]
        for m in range(1, B + 1):
            new.append((1 - beta) * (f * V[m - 1] + (1 - f) * V[m])
                       + beta * (r * (h + (1 - h) * (1 - sigma) * V[m - 1]) + (1 - r) * (1 - sigma) * V[m]))
        V = new
    return V[B]


@pytest.mark.parametrize("changes", [{}, {"beta": 0.3}, {"f": 0.0}, {"h": 0.5, "r": 0.9}, {"beta": 1.0},
                                     {"B": 2}, {"T": 37, "B": 6, "f": 0.2}])
def test_safety_is_the_dynamic_programme(game, changes):
    point = {**DEFAULTS, **changes}
    got = game.evaluate({k: v for k, v in changes.items()}, ["safety"])["safety"]
    assert got == pytest.approx(dp(**point), abs=1e-12)


def test_false_positives_make_the_worst_attack_rate_interior(game):
    betas = np.linspace(0, 1, 2001)
    values = [dp(**{**DEFAULTS, "beta": b}) for b in betas]
    best = betas[int(np.argmin(values))]
    worst = game.evaluate({}, ["worst_safety"])["worst_safety"]
    assert 0.01 < worst.choice["beta"] < 0.03 and abs(worst.choice["beta"] - best) < 1e-3
    assert worst.value == pytest.approx(min(values), abs=1e-6) and round(worst.value, 3) == 0.552
    assert worst.value < dp(**{**DEFAULTS, "beta": 1.0}) - 0.1      # attacking always is far from optimal
    # without false positives the budget is only spent on attacks: attacking always is the best reply
    no_fp = np.array([dp(**{**DEFAULTS, "f": 0.0, "beta": b}) for b in betas])
    assert np.all(np.diff(no_fp) <= 1e-12) and no_fp[-1] == pytest.approx(no_fp.min(), abs=1e-15)
    assert game.evaluate({"f": 0.0, "beta": 1.0}, ["safety"])["safety"] == pytest.approx(no_fp[-1], abs=1e-12)


def test_safety_rises_with_coins_and_recall(game):
    by_coins = [game.evaluate({"B": b}, ["safety"])["safety"] for b in (1, 4, 10)]
    by_recall = game.evaluate({"r": [0.3, 0.6, 0.9]}, ["safety"])["safety"]
    assert by_coins == sorted(by_coins) and list(by_recall) == sorted(by_recall)
    assert by_coins == pytest.approx([dp(**{**DEFAULTS, "B": b}) for b in (1, 4, 10)], abs=1e-12)


def test_honest_work_is_audited_at_the_false_positive_rate(game):
    assert game.evaluate({}, ["p_audit_honest"])["p_audit_honest"] == pytest.approx(0.05)
