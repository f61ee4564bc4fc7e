"""Kernels measured from counts (markovwire.estimate), checked against scipy's binomial and beta functions."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from scipy.stats import beta, binomtest

from markovwire import FinSet, NotStochastic, ParameterError, ShapeError
from markovwire.analysis import IntervalKernel
from markovwire.estimate import (
    bin_index,
    check_edges,
    clopper_pearson,
    empirical,
    empty_rows,
    estimate,
    imprecise_dirichlet,
)

Act = FinSet("Act", ["clean", "ok", "broken"])
Sus = FinSet("Sus", ["low", "mid", "high"])
V = FinSet("Verdict", ["pass", "flag"])
COUNTS = np.array([[1370, 30, 29], [11, 2, 6], [30, 4, 18]])


def exact_ci(k: int, n: int, confidence: float) -> tuple[float, float]:
    """scipy's exact (Clopper-Pearson) interval: an oracle that shares no code with markovwire."""
    ci = binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    return ci.low, ci.high


def test_empirical_kernel_is_the_row_frequencies():
    k = empirical(COUNTS, [Act], [Sus], name="monitor")
    assert np.allclose(k.array, COUNTS / COUNTS.sum(axis=1, keepdims=True))
    assert k.name == "monitor"


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_clopper_pearson_entries_are_scipys_exact_intervals(confidence):
    cp = clopper_pearson(COUNTS, [Act], [Sus], confidence)
    assert isinstance(cp, IntervalKernel)
    for r, row in enumerate(COUNTS):
        n = int(row.sum())
        for c, k in enumerate(row):
            lo, hi = exact_ci(int(k), n, confidence)
            assert cp.lower[r, c] == pytest.approx(lo, abs=1e-12)
            assert cp.upper[r, c] == pytest.approx(hi, abs=1e-12)


def test_clopper_pearson_is_the_beta_quantiles():
    """The textbook form: Beta(k, n-k+1) and Beta(k+1, n-k) quantiles, 0 and 1 at the ends."""
    cp = clopper_pearson([[0, 19], [6, 13], [19, 0]], [FinSet("R", ["a", "b", "c"])], [V], 0.9)
    assert cp.lower[0, 0] == pytest.approx(0, abs=1e-12) and cp.upper[2, 0] == pytest.approx(1)
    assert cp.lower[1, 0] == pytest.approx(beta.ppf(0.05, 6, 14))
    assert cp.upper[1, 0] == pytest.approx(beta.ppf(0.95, 7, 13))
    assert cp.upper[0, 0] == pytest.approx(beta.ppf(0.95, 1, 19))


def test_the_paper_monitor_interval_of_the_shipped_credal_entry():
    """6 of 19 working backdoors audited: trusted_monitoring.yaml's r_ok interval [0.1258, 0.5655]."""
    cp = clopper_pearson([[13, 6]], [FinSet("One", ["x"])], [V], 0.95)
    assert cp.lower[0, 1] == pytest.approx(0.1258, abs=5e-5) and cp.upper[0, 1] == pytest.approx(0.5655, abs=5e-5)


def test_simultaneous_is_bonferroni_over_the_entries():
    cp = clopper_pearson(COUNTS, [Act], [Sus], 0.95, simultaneous=True)
    level = 1 - 0.05 / COUNTS.size
    for r, row in enumerate(COUNTS):
        for c, k in enumerate(row):
            lo, hi = exact_ci(int(k), int(row.sum()), level)
            # a three-label row's bounds are tightened to what a distribution can reach: never wider
            assert cp.lower[r, c] >= lo - 1e-12 and cp.upper[r, c] <= hi + 1e-12
    per_entry = clopper_pearson(COUNTS, [Act], [Sus], 0.95)
    assert np.all(cp.lower <= per_entry.lower + 1e-12) and np.all(cp.upper >= per_entry.upper - 1e-12)


def test_binary_rows_are_not_tightened():
    """With two outputs the entries' exact intervals are each other's complements: the set is exactly them."""
    counts = np.array([[13, 6], [34, 18]])
    cp = clopper_pearson(counts, [FinSet("A", ["ok", "broken"])], [V], 0.95)
    for r, (a, b) in enumerate(counts):
        assert (cp.lower[r, 1], cp.upper[r, 1]) == pytest.approx(exact_ci(int(b), int(a + b), 0.95), abs=1e-12)


def test_imprecise_dirichlet_closed_form():
    s = 2.0
    idm = imprecise_dirichlet(COUNTS, [Act], [Sus], s=s)
    N = COUNTS.sum(axis=1, keepdims=True)
    assert np.allclose(idm.lower, COUNTS / (N + s)) and np.allclose(idm.upper, (COUNTS + s) / (N + s))
    assert idm.contains(empirical(COUNTS, [Act], [Sus]))


def test_a_row_without_samples_is_vacuous_in_both_and_refused_by_the_point_estimate():
    counts = np.array([[5, 5], [0, 0]])
    A = FinSet("A", ["seen", "unseen"])
    for credal in (clopper_pearson(counts, [A], [V]), imprecise_dirichlet(counts, [A], [V], s=1)):
        assert credal.lower[1].tolist() == [0, 0] and credal.upper[1].tolist() == [1, 1]
    assert empty_rows(counts, [A]) == ["a=unseen"]
    with pytest.raises(NotStochastic) as e:
        empirical(counts, [A], [V], name="monitor")
    assert e.value.box == "monitor" and "row a=unseen" in str(e.value.where)
    assert "has no samples" in e.value.what and "empty: uniform" in e.value.fix and "bin coarser" in e.value.fix
    assert empirical(counts, [A], [V], empty="uniform").array[1].tolist() == [0.5, 0.5]


def test_bad_counts_and_options_are_refused_with_a_fix():
    with pytest.raises(ShapeError, match=r"counts have shape \(2,\), not \(3,\)"):
        empirical([1, 2], [], [Sus])
    with pytest.raises(ParameterError, match="whole numbers"):
        empirical([1.5, 2, 0], [], [Sus])
    with pytest.raises(ParameterError, match="confidence 1 is not between 0 and 1") as e:
        clopper_pearson([1, 2, 3], [], [Sus], 1.0)
    assert "0.95" in e.value.fix
    with pytest.raises(ParameterError, match="s = 0 is not a positive number"):
        imprecise_dirichlet([1, 2, 3], [], [Sus], s=0)
    with pytest.raises(ParameterError, match="unknown method 'bootstrap'"):
        estimate([1, 2, 3], [], [Sus], method="bootstrap")


def test_bins():
    edges = [-10, 1.645, 2.054, 10]
    x = [-10, -3, 1.645, 2.0539, 2.054, 9.99, 10, 10.01, -10.5, float("nan"), float("inf")]
    assert bin_index(x, edges).tolist() == [0, 0, 1, 1, 2, 2, 2, -1, -1, -1, -1]
    with pytest.raises(ShapeError, match="4 edges make 3 bin"):
        check_edges(edges, 2, "bins.sus")
    with pytest.raises(ParameterError, match="strictly increasing"):
        check_edges([0, 2, 2, 5], 3, "bins.sus")


@pytest.mark.parametrize("method", ["clopper_pearson", "idm"])
def test_estimate_point_lies_in_its_set(method):
    e = estimate(COUNTS, [Act], [Sus], method=method, name="monitor")
    assert e.credal.contains(e.kernel) and e.samples == COUNTS.sum()
    assert e.describe().endswith("1,500 samples")


tables = st.integers(1, 3).flatmap(lambda k: st.lists(st.lists(st.integers(0, 40), min_size=k, max_size=k),
                                                      min_size=1, max_size=3))


@settings(max_examples=30, deadline=None)
@given(tables, st.floats(0.5, 0.98), st.floats(0.005, 0.3))
def test_coverage_grows_with_confidence_and_contains_the_point(rows, confidence, more):
    """A higher confidence never narrows an interval, and the empirical kernel lies in every set (with data)."""
    counts = np.array(rows)
    k = counts.shape[1]
    X, Y = FinSet("X", [f"x{i}" for i in range(len(rows))]), FinSet("Y", [f"y{j}" for j in range(k)])
    lo = clopper_pearson(counts, [X], [Y], confidence)
    hi = clopper_pearson(counts, [X], [Y], min(confidence + more, 0.999))
    assert np.all(hi.lower <= lo.lower + 1e-12) and np.all(hi.upper >= lo.upper - 1e-12)
    smaller, larger = imprecise_dirichlet(counts, [X], [Y], s=1), imprecise_dirichlet(counts, [X], [Y], s=1 + more)
    assert np.all(larger.lower <= smaller.lower + 1e-12) and np.all(larger.upper >= smaller.upper - 1e-12)
    full = counts.sum(axis=1) > 0
    if full.all():
        point = empirical(counts, [X], [Y])
        assert lo.contains(point) and smaller.contains(point)
    for r in np.flatnonzero(~full):   # no samples: the whole simplex (a one-label row is the point 1)
        assert lo.lower[r].tolist() == [0.0 if k > 1 else 1.0] * k and lo.upper[r].tolist() == [1.0] * k
