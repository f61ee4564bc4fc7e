"""Best-of-n against KL-regularised RL (P3): the proposal's numbers against brute force and closed forms.

The candidates are the 13 bins of a standard normal proxy (plus reward hacks); every number is recomputed
here from the bin edges with math.erfc, and best-of-n for small n by enumerating all draws.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from markovwire.library import load_library, load_proposal
from markovwire.library.shipped import proposals_dir

EDGES = [-math.inf, -1, 0, 1, 1.5, 2, 2.5, 3, 3.5, 4, 5, 6, 7.5, math.inf]
LABELS = [f"x{i:02d}" for i in range(13)] + ["hack"]
HACK_SCORE, RHO = 8.0, 0.5


def upper(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2))


def density(x: float) -> float:
    return 0.0 if math.isinf(x) else math.exp(-x * x / 2) / math.sqrt(2 * math.pi)


MASS = np.array([upper(a) - upper(b) for a, b in zip(EDGES, EDGES[1:])])
MEAN = np.array([(density(a) - density(b)) / m for a, b, m in zip(EDGES, EDGES[1:], MASS)])


def base(eps: float) -> np.ndarray:
    return np.append((1 - eps) * MASS, eps)


def score() -> np.ndarray:
    return np.append(MEAN, HACK_SCORE)


def gold(rho: float = RHO, gold_hack: float = 0.0) -> np.ndarray:
    return np.append(rho * MEAN, gold_hack)


def kl(pi: np.ndarray, p: np.ndarray) -> float:
    keep = pi > 0
    return float(np.sum(pi[keep] * np.log(pi[keep] / p[keep])))


def best_of_n(n: float, eps: float) -> np.ndarray:
    """pi_n(level j) = F_j^n - F_(j-1)^n with the CDF from the top (1 - upper tail), via log1p for large n."""
    p = base(eps)
    tail = np.append(np.cumsum(p[::-1])[::-1][1:], 0.0)         # mass strictly above each level
    F = np.exp(n * np.log1p(-np.minimum(tail, 1.0)))            # F_j^n, F_j = 1 - tail_j
    return np.diff(np.concatenate([[0.0], F]))


def enumerate_best_of_n(n: int, eps: float) -> np.ndarray:
    """Every n-tuple of draws, the best score kept, ties split uniformly among the drawn best."""
    p, s = base(eps), score()
    out = np.zeros(len(p))
    for draws in itertools.product(range(len(p)), repeat=n):
        weight = math.prod(p[i] for i in draws)
        top = max(s[i] for i in draws)
        winners = [i for i in draws if s[i] == top]
        for i in winners:
            out[i] += weight / len(winners)
    return out


def tilt(lam: float, eps: float) -> np.ndarray:
    w = base(eps) * np.exp((score() - score().max()) / lam)
    return w / w.sum()


@pytest.fixture(scope="module")
def p3():
    return load_proposal(proposals_dir() / "best_of_n_vs_rl.yaml")


def test_the_library_bins_are_standard_normal_bins():
    kernel = load_library("alignment").components["best_of_n"].instantiate("b").kernel
    at_one = kernel.subs({"n": 1, "eps_hack": 0.0})
    # F_j^n - F_(j-1)^n is computed in floats: absolute accuracy about 1e-16 at the tiny top levels
    assert [at_one.prob(y) for y in LABELS] == pytest.approx(list(base(0.0)), rel=1e-9, abs=1e-15)


@pytest.mark.parametrize("n", [1, 2, 3])
@pytest.mark.parametrize("eps", [0.0, 0.001])
def test_best_of_n_equals_enumeration_of_all_draws(p3, n, eps):
    want = enumerate_best_of_n(n, eps)
    kernel = load_library("alignment").components["best_of_n"].instantiate("b").kernel
    got = kernel.subs({"n": n, "eps_hack": eps})
    assert [got.prob(y) for y in LABELS] == pytest.approx(list(want), rel=1e-8, abs=1e-15)
    out = p3.evaluate({"n": n, "eps_hack": eps}, ["gold_bon", "kl_bon", "proxy_bon", "p_hack_bon"])
    assert out["gold_bon"] == pytest.approx(float(want @ gold()), abs=1e-7)
    assert out["proxy_bon"] == pytest.approx(float(want @ score()), abs=1e-6)
    assert out["kl_bon"] == pytest.approx(kl(want, base(eps)), abs=1e-9)
    assert out["p_hack_bon"] == pytest.approx(1 - (1 - eps) ** n, abs=1e-13)


@pytest.mark.parametrize("n", [16, 100, 1000, 10 ** 6])
@pytest.mark.parametrize("eps", [0.0, 0.001])
def test_best_of_n_at_large_n_and_its_kl_bound(p3, n, eps):
    pi = best_of_n(n, eps)
    out = p3.evaluate({"n": n, "eps_hack": eps}, ["gold_bon", "kl_bon", "kl_bound", "p_good_bon"])
    assert out["gold_bon"] == pytest.approx(float(pi @ gold()), abs=1e-7)
    assert out["kl_bon"] == pytest.approx(kl(pi, base(eps)), abs=1e-7)
    bound = math.log(n) - (n - 1) / n
    assert out["kl_bound"] == pytest.approx(bound, abs=1e-12)
    assert out["kl_bon"] <= bound                                 # Beirami24: an upper bound, loose for bins
    good = np.append([0.5 * math.erfc(-RHO * m / math.sqrt(1 - RHO ** 2) / math.sqrt(2)) for m in MEAN], 0.5)
    assert out["p_good_bon"] == pytest.approx(float(pi @ good), abs=1e-7)


@pytest.mark.parametrize("lam", [10.0, 1.0, 0.3, 0.1])
@pytest.mark.parametrize("eps", [0.0, 0.001])
def test_the_tilt_is_the_softmax_and_its_kl(p3, lam, eps):
    pi = tilt(lam, eps)
    out = p3.evaluate({"lam": lam, "eps_hack": eps}, ["gold_rl", "kl_rl", "p_hack_rl"])
    assert out["gold_rl"] == pytest.approx(float(pi @ gold()), abs=1e-7)
    assert out["kl_rl"] == pytest.approx(kl(pi, base(eps)), abs=1e-7)
    assert out["p_hack_rl"] == pytest.approx(pi[-1], abs=1e-12)


def test_gold_keeps_rising_without_hacks_and_peaks_with_them(p3):
    ns = np.arange(1, 2001, 1)
    plain = [float(best_of_n(n, 0.0) @ gold()) for n in ns]
    hacked = [float(best_of_n(n, 0.001) @ gold()) for n in ns]
    assert all(b >= a - 1e-12 for a, b in zip(plain, plain[1:]))          # regressional Goodhart only
    peak = int(np.argmax(hacked))
    assert 100 < ns[peak] < 200 and round(hacked[peak], 2) == 1.12        # the Gao22 hump
    assert hacked[-1] < 0.25 * hacked[peak]                              # hacks win: 0.23 at n = 2000
    got = p3.evaluate({"eps_hack": 0.001, "n": [1.0, float(ns[peak]), 2000.0]}, ["gold_bon"])["gold_bon"]
    assert list(got) == pytest.approx([hacked[0], hacked[peak], hacked[-1]], abs=1e-7)


def test_thirty_nats_cost_best_of_n_e_to_the_31_draws_and_the_tilt_nothing(p3):
    """Jenner's point: log n - (n-1)/n = 30 needs n = exp(31 - 1/n), 2.9e13 draws."""
    n30 = math.exp(31)
    n30 = math.exp(30 + (n30 - 1) / n30)
    assert 2.8e13 < n30 < 3.0e13
    out = p3.evaluate({"n": n30, "eps_hack": 0.0, "lam": 0.1}, ["kl_bound", "kl_bon", "kl_rl"])
    assert out["kl_bound"] == pytest.approx(30.0, abs=1e-9)
    # exact KL of best-of-n at that n: float F^n loses about n*1e-16 relative accuracy, hence the tolerance
    assert out["kl_bon"] == pytest.approx(kl(best_of_n(n30, 0.0), base(0.0)), abs=0.02)
    assert out["kl_bon"] < 30 <= out["kl_rl"] == pytest.approx(kl(tilt(0.1, 0.0), base(0.0)), abs=1e-6)
    assert -math.log(MASS[-1]) > 30.9                              # the most the finite model allows
