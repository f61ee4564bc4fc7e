"""Swiss cheese with a common cause (P8) against sum_z p(z) prod_i m_i(z) and Harris' inequality."""
from __future__ import annotations

import numpy as np
import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir


@pytest.fixture(scope="module")
def stack():
    return load_proposal(proposals_dir() / "swiss_cheese.yaml")


def test_independent_and_common_cause_stacks(stack):
    out = stack.evaluate()
    assert out["p_pass_independent"] == pytest.approx(0.1 ** 3, rel=1e-12)
    assert out["p_pass_common"] == pytest.approx(0.5 * 0.02 ** 3 + 0.5 * 0.18 ** 3, rel=1e-12)
    assert round(out["p_pass_common"], 5) == 0.00292 and round(out["p_pass_common"] / 0.001, 1) == 2.9
    assert out["p_miss_one_layer"] == pytest.approx(0.1)
    # the threats that get through are nearly all hard ones: Bayes on the latent
    assert out["p_hard_given_passed"] == pytest.approx(0.18 ** 3 / (0.02 ** 3 + 0.18 ** 3))


def test_more_correlation_same_layers_more_leakage(stack):
    hard = np.linspace(0.1, 0.2, 11)
    out = stack.evaluate({"m_hard": hard}, ["p_pass_common", "p_miss_one_layer", "p_pass_independent"])
    want = 0.5 * (0.2 - hard) ** 3 + 0.5 * hard ** 3
    assert list(out["p_pass_common"]) == pytest.approx(list(want), rel=1e-12)
    assert list(out["p_miss_one_layer"]) == pytest.approx([0.1] * 11)            # each layer as good as before
    assert all(c >= i - 1e-15 for c, i in zip(out["p_pass_common"], out["p_pass_independent"]))   # Harris
    assert list(out["p_pass_common"]) == sorted(out["p_pass_common"])
