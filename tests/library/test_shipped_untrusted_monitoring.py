"""Untrusted monitoring with collusion and redaction, against its closed form and Greenblatt23 Tables 6-7.

With collusion probability k = kappa_collude*(1 - redaction), an attack is audited and caught with
probability c = (1 - k)*P(high) and succeeds unseen with s = sigma*(k + (1 - k)*P(low)), where the buckets
are those of a binormal monitor N(mu_UM, 1) at honest quantiles a (audit) and d (defer).
"""
from __future__ import annotations

import pytest
from scipy.stats import norm

from markovwire.library import load_library, load_proposal
from markovwire.library.shipped import proposals_dir

BETA, SIGMA, T, A = 71 / 18000, 19 / 71, 5000, 0.014
MU_UM, KAPPA, REDACTION = 2.3, 0.509, 0.836
TABLE7 = {0.0: (0.79, 0.96), 0.05: (0.82, 0.95), 0.10: (0.92, 0.92), 0.20: (0.98, 0.85)}  # d: (safety, usefulness)


@pytest.fixture(scope="module")
def um():
    return load_proposal(proposals_dir() / "untrusted_monitoring.yaml")


def closed_form(d: float, redaction: float = REDACTION, kappa: float = KAPPA) -> tuple[float, float]:
    """(safety, scaled usefulness); d <= a means no deferral."""
    d = max(d, A)
    k = kappa * (1 - redaction)
    low = norm.cdf(norm.ppf(1 - d) - MU_UM)
    high = 1 - norm.cdf(norm.ppf(1 - A) - MU_UM)
    c, s = (1 - k) * high, SIGMA * (k + (1 - k) * low)
    safety = 1 - s / (s + c) * (1 - (1 - BETA * (s + c)) ** T)
    accuracy = (1 - (d - A)) * 0.54 + (d - A) * 0.22
    return safety, (accuracy - 0.22) / (0.54 - 0.22)


@pytest.mark.parametrize("d", [0.0, 0.05, 0.1, 0.2])
@pytest.mark.parametrize("redaction", [0.0, REDACTION])
def test_matches_the_closed_form(um, d, redaction):
    got = um.evaluate({"d": d, "redaction": redaction}, ["safety", "usefulness", "p_deferred"])
    safety, usefulness = closed_form(d, redaction)
    assert got["safety"] == pytest.approx(safety, abs=1e-9)
    assert got["usefulness"] == pytest.approx(usefulness, abs=1e-12)
    assert got["p_deferred"] == pytest.approx(max(d, A) - A, abs=1e-12)


def test_table_6_while_loop_row_is_reproduced(um):
    """kappa_collude and redaction are fitted to these two numbers: 57.5% without redaction, 78.6% with."""
    assert um.evaluate({"redaction": 0.0}, ["safety"])["safety"] == pytest.approx(0.575, abs=5e-4)
    assert um.evaluate({}, ["safety"])["safety"] == pytest.approx(0.786, abs=5e-4)


def test_the_model_next_to_table_7():
    """The model's own rows; the binormal monitor rises too slowly with d (see docs/proposals.md)."""
    model = {d: tuple(round(x, 3) for x in closed_form(d)) for d in TABLE7}
    assert model == {0.0: (0.786, 1.0), 0.05: (0.853, 0.964), 0.1: (0.892, 0.914), 0.2: (0.925, 0.814)}
    for d, (safety, usefulness) in TABLE7.items():
        assert abs(model[d][0] - safety) < 0.06 and abs(model[d][1] - usefulness) <= 0.0401


def test_naive_untrusted_monitoring_is_unsafe(um):
    """Without validation the monitor can always lie: no backdoor is flagged (Greenblatt23: 0% safety)."""
    naive = um.evaluate({"kappa_collude": 1.0, "redaction": 0.0}, ["safety", "p_caught", "worst_safety"])
    assert naive["p_caught"] == 0.0
    assert naive["safety"] == pytest.approx((1 - BETA * SIGMA) ** T, rel=1e-9)
    assert naive["worst_safety"].value < 1e-6


def test_collusion_row_of_the_monitor():
    k = load_library("alignment").components["untrusted_monitor"].instantiate("m").kernel
    values = {"mu_UM": 2.3, "kappa_collude": 0.5, "redaction": 0.2, "d": 0.1, "a": 0.02}
    k = k.subs(values)
    collude = 0.5 * 0.8
    assert k.prob("low", act="backdoor_ok", intent="scheming") == pytest.approx(
        collude + (1 - collude) * norm.cdf(norm.ppf(0.9) - 2.3))
    assert k.prob("high", act="backdoor_broken", intent="scheming") == pytest.approx(
        (1 - collude) * (1 - norm.cdf(norm.ppf(0.98) - 2.3)))
    for intent in ("honest", "scheming"):    # honest work is scored the same either way: validation cannot tell
        scores = [k.prob(s, act="clean", intent=intent) for s in ("low", "mid", "high")]
        assert scores == pytest.approx([0.9, 0.08, 0.02])
