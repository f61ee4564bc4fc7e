"""Amplification trees (P6) against von Neumann's recursion, 1 - (1 - e)^k and brute-force enumeration."""
from __future__ import annotations

import itertools

import pytest

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir


@pytest.fixture(scope="module")
def amp():
    return load_proposal(proposals_dir() / "amplification.yaml")


def majority(e: float) -> float:
    return 3 * e ** 2 - 2 * e ** 3


def iterate(e: float, levels: int) -> float:
    for _ in range(levels):
        e = majority(e)
    return e


def majority_tree_by_enumeration(leaf_error: float, levels: int) -> float:
    """P(a majority tree of 3^levels independent leaves is wrong), by listing every pattern of wrong leaves."""
    n = 3 ** levels
    total = 0.0
    for wrong in itertools.product([False, True], repeat=n):
        p = 1.0
        for w in wrong:
            p *= leaf_error if w else 1 - leaf_error
        votes = list(wrong)
        while len(votes) > 1:
            votes = [sum(votes[i:i + 3]) >= 2 for i in range(0, len(votes), 3)]
        total += p * votes[0]
    return total


def test_the_published_majority_recursion(amp):
    out = amp.evaluate()
    assert out["majority_1"] == pytest.approx(0.028, abs=1e-15)
    assert out["majority_2"] == pytest.approx(iterate(0.1, 2), abs=1e-15) and round(out["majority_2"], 5) == 0.00231
    assert out["majority_3"] == pytest.approx(iterate(0.1, 3), rel=1e-9) and round(out["majority_3"], 7) == 1.6e-5
    assert out["majority_2"] == pytest.approx(majority_tree_by_enumeration(0.1, 2), abs=1e-15)


def test_conjunctive_decomposition_accumulates_error(amp):
    for e in (0.01, 0.1, 0.3):
        assert amp.evaluate({"eps_sub": e}, ["conjunctive_3"])["conjunctive_3"] == pytest.approx(1 - (1 - e) ** 3)


def test_a_shared_latent_takes_the_majority_gain_away(amp):
    out = amp.evaluate()
    for levels in (1, 2, 3):
        want = 0.5 * iterate(0.02, levels) + 0.5 * iterate(0.18, levels)   # independent given the latent
        assert out[f"shared_{levels}"] == pytest.approx(want, rel=1e-9)
    # by enumeration of the latent and all 9 leaves of the two-level tree
    brute = sum(0.5 * majority_tree_by_enumeration(e, 2) for e in (0.02, 0.18))
    assert out["shared_2"] == pytest.approx(brute, abs=1e-15)
    assert out["shared_3"] / out["majority_3"] > 35                      # 0.00063 against 1.6e-5
    assert out["shared_1"] > out["majority_1"]                           # same marginal error 0.1 per leaf
