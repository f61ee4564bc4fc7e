"""The trusted-editing proposal against the closed form of its race, and next to Greenblatt23 Table 7.

Each task the scheming model attacks with probability beta. An attack lands in the top bucket (audited,
caught: shutdown) with probability c = 1 - Phi(Phi^-1(1 - a) - mu); it is a working backdoor that survives
with probability s = sigma*(P(low) + P(mid)*kappa_edit). The first decisive attack settles the episode:
P(catastrophe) = s/(s + c) * (1 - (1 - beta*(s + c))^T).
"""
from __future__ import annotations

import pytest
from scipy.stats import norm

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

BETA, SIGMA, MU, A, T = 71 / 18000, 19 / 71, 1.636, 0.02, 5000
KAPPA, U_EDIT, U_U, U_T = 0.3, 0.45, 0.54, 0.22
PAPER = {0.05: (0.73, 0.97), 0.10: (0.85, 0.96), 0.20: (0.92, 0.94), 0.50: (0.96, 0.89)}   # Table 7 [read]


@pytest.fixture(scope="module")
def te():
    return load_proposal(proposals_dir() / "trusted_editing.yaml")


def closed_form(d: float, beta: float = BETA) -> tuple[float, float]:
    """(safety, scaled usefulness) of trusted editing at edit threshold d."""
    low = norm.cdf(norm.ppf(1 - d) - MU)
    high = 1 - norm.cdf(norm.ppf(1 - A) - MU)
    mid = 1 - low - high
    c, s = high, SIGMA * (low + mid * KAPPA)
    safety = 1 - s / (s + c) * (1 - (1 - beta * (s + c)) ** T)
    accuracy = (1 - (d - A)) * U_U + (d - A) * U_EDIT
    return safety, (accuracy - U_T) / (U_U - U_T)


@pytest.mark.parametrize("d", [0.02, 0.05, 0.10, 0.20, 0.50])
def test_safety_and_usefulness_match_the_closed_form(te, d):
    got = te.evaluate({"d": d}, ["safety", "usefulness", "p_edited"])
    safety, usefulness = closed_form(d)
    assert got["safety"] == pytest.approx(safety, abs=1e-9)
    assert got["usefulness"] == pytest.approx(usefulness, abs=1e-12)
    assert got["p_edited"] == pytest.approx(d - A, abs=1e-12)


def test_the_model_next_to_table_7():
    """The model's own values: safety 3-14 points below the paper, usefulness within 3 (see docs/proposals.md)."""
    model = {d: tuple(round(x, 3) for x in closed_form(d)) for d in PAPER}
    assert model == {0.05: (0.696, 0.992), 0.10: (0.737, 0.978), 0.20: (0.784, 0.949), 0.50: (0.844, 0.865)}
    for d, (safety, usefulness) in PAPER.items():
        # usefulness reproduces within 3 points; safety is low because the binormal monitor puts
        # attacks in the lowest bucket, which GPT-3.5 never does (ALIGNMENT C5), and kappa_edit is a guess
        assert abs(model[d][1] - usefulness) < 0.03
        assert 0.03 < safety - model[d][0] < 0.15


def test_editing_more_trades_usefulness_for_safety(te):
    out = te.evaluate({"d": [0.02, 0.05, 0.1, 0.2, 0.5]}, ["safety", "usefulness"])
    assert list(out["safety"]) == sorted(out["safety"]) and list(out["usefulness"]) == sorted(out["usefulness"])[::-1]


def test_the_red_team_cannot_do_better_than_attacking_often(te):
    worst = te.evaluate({"d": 0.1}, ["worst_safety"])["worst_safety"]
    low = norm.cdf(norm.ppf(0.9) - MU)
    c = 1 - norm.cdf(norm.ppf(1 - A) - MU)
    s = SIGMA * (low + (1 - low - c) * KAPPA)
    assert worst.value == pytest.approx(c / (c + s), abs=1e-6)       # the fixed-odds limit
    assert worst.value <= closed_form(0.1)[0]
