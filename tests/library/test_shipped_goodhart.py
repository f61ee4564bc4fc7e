"""Regressional Goodhart (P4): the finite best-of-n against brute force, and against the continuous 1.6207.

E[Y_selected] = rho * E[max of n proxies] because E[Y | X] = rho*X. The finite proposal bins X into 47
intervals, so its answer is rho * E[max of n binned draws]; here that number is recomputed without the
F^n formula (by adding draws one at a time, and by enumerating every tuple for small n), and the continuous
value by numerical integration.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.stats import norm

from markovwire.library import load_proposal
from markovwire.library.shipped import proposals_dir

EDGES = np.round(np.concatenate([[-np.inf, -2, -1, 0, 1, 1.5, 1.75, 2, 2.25, 2.5],
                                 np.arange(2.6, 4.201, 0.05), [4.4, 4.6, 5, 6, np.inf]]), 4)
MASS = norm.sf(EDGES[:-1]) - norm.sf(EDGES[1:])
MEAN = (norm.pdf(EDGES[:-1]) - norm.pdf(EDGES[1:])) / MASS
RHO = 0.5


@pytest.fixture(scope="module")
def p4():
    return load_proposal(proposals_dir() / "regressional_goodhart.yaml")


def max_by_adding_draws(n: int) -> np.ndarray:
    """The law of the best of n binned draws, adding one draw at a time (no closed form)."""
    best = MASS.copy()
    for _ in range(n - 1):
        below = np.concatenate([[0.0], np.cumsum(best)[:-1]])       # P(best so far < level j)
        best = best * np.cumsum(MASS) + below * MASS                # the new draw is no better / strictly better
    return best


def max_by_enumeration(n: int) -> np.ndarray:
    out = np.zeros(len(MASS))
    for draws in itertools.product(range(len(MASS)), repeat=n):
        out[max(draws)] += math.prod(MASS[i] for i in draws)
    return out


def continuous_expected_max(n: int) -> float:
    f = lambda x: x * n * norm.cdf(x) ** (n - 1) * norm.pdf(x)
    return integrate.quad(f, -10, 10, limit=500, points=[2, 3, 4])[0]


def test_the_bins_in_the_library_are_standard_normal_bins(p4):
    kernel = p4.instances["bon"].kernel.subs({"n": 1})
    assert list(kernel.array) == pytest.approx(list(MASS), rel=1e-8)


@pytest.mark.parametrize("n", [2, 3])
def test_small_n_equals_enumeration(p4, n):
    law = max_by_enumeration(n)
    assert p4.evaluate({"n": n}, ["proxy"])["proxy"] == pytest.approx(float(law @ MEAN), abs=1e-8)
    assert p4.instances["bon"].kernel.subs({"n": n}).array == pytest.approx(law, abs=1e-13)


@pytest.mark.parametrize("n", [10, 100, 1000])
def test_gold_is_rho_times_the_expected_maximum(p4, n):
    law = max_by_adding_draws(n)
    out = p4.evaluate({"n": n}, ["gold", "proxy", "p_top_bins"])
    assert out["proxy"] == pytest.approx(float(law @ MEAN), abs=1e-8)
    assert out["gold"] == pytest.approx(RHO * float(law @ MEAN), abs=1e-8)
    assert out["p_top_bins"] == pytest.approx(float(law[EDGES[:-1] >= 4].sum()), abs=1e-12)


def test_how_close_the_finite_model_is_to_1_6207(p4):
    exact = RHO * continuous_expected_max(1000)
    assert round(exact, 4) == 1.6207 and round(continuous_expected_max(1000), 5) == 3.24144
    got = p4.evaluate({}, ["gold"])["gold"]
    assert round(got, 5) == 1.62026
    assert 0 < exact - got < 5e-4              # binning only lowers the maximum (Jensen), by 0.00045 here
