"""World model + safety spec + verifier gate (P7) against closed forms, the §5 numbers and a brute-force chain."""
from __future__ import annotations

import numpy as np
import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

H, DELTA, EPS, H_CAUTIOUS, H_BOLD = 10, 0.05, 0.005, 0.005, 0.02


@pytest.fixture(scope="module")
def gsai():
    return load_proposal(proposals_dir() / "guaranteed_safe_ai.yaml")


def risk_by_matrix_power(hazard: float, steps: int) -> float:
    """P(unsafe after `steps`) of the two-state chain nominal -> unsafe (absorbing), by matrix power."""
    P = np.array([[1 - hazard, hazard], [0.0, 1.0]])
    return float((np.array([1.0, 0.0]) @ np.linalg.matrix_power(P, steps))[1])


def test_the_gate_accepts_exactly_the_plans_the_model_certifies(gsai):
    out = gsai.evaluate()
    assert (1 - (1 - H_CAUTIOUS) ** H <= DELTA) and out["accepted_cautious"] == pytest.approx(1.0)
    assert (1 - (1 - H_BOLD) ** H > DELTA) and out["accepted_bold"] == pytest.approx(0.0)
    assert out["model_risk_bold"] == pytest.approx(risk_by_matrix_power(H_BOLD, H), abs=1e-12)
    # tightening delta below the cautious plan's model risk rejects it too
    assert gsai.evaluate({"delta": 0.04}, ["accepted_cautious"])["accepted_cautious"] == pytest.approx(0.0)


def test_the_section_5_numbers_and_the_transfer_bound(gsai):
    out = gsai.evaluate()
    assert round(out["model_risk_cautious"], 6) == 0.048890 and round(out["real_risk_cautious"], 6) == 0.095618
    assert out["real_risk_cautious"] == pytest.approx(risk_by_matrix_power(H_CAUTIOUS + EPS, H), abs=1e-12)
    assert out["transfer_bound"] == pytest.approx(DELTA + H * EPS)
    assert out["real_risk_cautious"] - out["model_risk_cautious"] == pytest.approx(0.046728, abs=1e-6)
    assert out["real_risk_cautious"] <= out["transfer_bound"]            # nearly attained: 0.0956 <= 0.1
    assert out["real_risk_bold_gated"] == pytest.approx(risk_by_matrix_power(EPS, H), abs=1e-12)


def test_the_credal_interval_over_the_tv_ball(gsai):
    out = gsai.evaluate(queries=["real_risk_lower", "real_risk_upper"])
    ends = [risk_by_matrix_power(h, H) for h in (H_CAUTIOUS - EPS, H_CAUTIOUS + EPS)]
    assert out["real_risk_lower"].value == pytest.approx(ends[0], abs=1e-9)
    assert out["real_risk_upper"].value == pytest.approx(ends[1], abs=1e-9)


def test_the_bound_grows_linearly_with_the_horizon(gsai):
    for steps in (1, 10, 50):
        out = gsai.evaluate({"H": steps, "delta": 1.0}, ["model_risk_cautious", "real_risk_cautious"])
        gap = out["real_risk_cautious"] - out["model_risk_cautious"]
        assert gap == pytest.approx(risk_by_matrix_power(H_CAUTIOUS + EPS, steps)
                                    - risk_by_matrix_power(H_CAUTIOUS, steps), abs=1e-12)
        assert gap <= steps * EPS + 1e-15
