"""Multi-step analysis of finite chains against unrolling, path enumeration and closed forms."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import (
    FinSet,
    Kernel,
    MarkovwireError,
    NotStochastic,
    Parameter,
    ParameterError,
    ShapeError,
    TypeMismatch,
)
from markovwire.multistep import (
    absorbing,
    distribution_after,
    expected_hitting_time,
    hitting_probabilities,
    hitting_times,
    reach_probability,
    trajectory,
    transition_matrix,
)
from tests.strategies import seeds, stochastic


def unrolled(P, init, T):
    """The distribution after T steps by one explicit vector-matrix product per step."""
    x = np.asarray(init, float)
    for _ in range(T):
        x = np.array([sum(x[i] * P[i, j] for i in range(len(x))) for j in range(len(x))])
    return x


def paths_hit(P, init, target, T):
    """P(hit within T) by summing the probability of every path s0 … sT that visits the target."""
    n = len(init)
    total = 0.0
    for path in itertools.product(range(n), repeat=T + 1):
        if not any(s in target for s in path):
            continue
        p = init[path[0]]
        for a, b in zip(path, path[1:]):
            p *= P[a, b]
        total += p
    return total


def gamblers_ruin(N, p):
    """States 0..N, up w.p. p, down w.p. 1-p, both ends absorbing."""
    P = np.zeros((N + 1, N + 1))
    P[0, 0] = P[N, N] = 1.0
    for i in range(1, N):
        P[i, i + 1], P[i, i - 1] = p, 1 - p
    return P


def ruin_win(N, p, i):
    """P(reach N before 0 from i): the classical closed form."""
    if p == 0.5:
        return i / N
    r = (1 - p) / p
    return (1 - r**i) / (1 - r**N)


def ruin_duration(N, p, i):
    """E[time to absorption at 0 or N from i]."""
    if p == 0.5:
        return i * (N - i)
    q = 1 - p
    return i / (q - p) - N / (q - p) * (1 - (q / p) ** i) / (1 - (q / p) ** N)


# ----- distributions after T steps ----------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(1, 5), st.integers(0, 12))
def test_distribution_after_equals_unrolling(seed, n, T):
    rng = np.random.default_rng(seed)
    P, init = stochastic(rng, [n], [n]), stochastic(rng, [], [n])
    assert np.allclose(distribution_after(P, init, T), unrolled(P, init, T), atol=1e-12)


def test_repeated_squaring_for_many_steps_agrees_with_the_loop():
    rng = np.random.default_rng(1)
    P, init = stochastic(rng, [3], [3]), stochastic(rng, [], [3])
    T = 1001  # 10 bits * 3 states < 1001: squaring is chosen
    assert np.allclose(distribution_after(P, init, T), unrolled(P, init, T), atol=1e-12)
    assert np.allclose(distribution_after(P, init, T), init @ np.linalg.matrix_power(P, T), atol=1e-13)


def test_kernel_on_a_product_state_is_flattened_row_major():
    A, B = FinSet("A", ["a0", "a1"]), FinSet("B", ["b0", "b1", "b2"])
    rng = np.random.default_rng(2)
    k = Kernel(stochastic(rng, [2, 3], [2, 3]), [A, B], [A, B], name="step")
    init = Kernel(stochastic(rng, [], [2, 3]), [], [A, B])
    flat = k.array.reshape(6, 6)
    assert np.allclose(distribution_after(k, init, 4), unrolled(flat, init.array.reshape(6), 4), atol=1e-12)


def test_trajectory_lists_every_time():
    P = np.array([[0.0, 1.0], [1.0, 0.0]])
    assert trajectory(P, [1.0, 0.0], 3).tolist() == [[1, 0], [0, 1], [1, 0], [0, 1]]


def test_time_varying_chain_as_list_and_as_function():
    rng = np.random.default_rng(3)
    mats = [stochastic(rng, [3], [3]) for _ in range(5)]
    init = stochastic(rng, [], [3])
    want = init @ mats[0] @ mats[1] @ mats[2] @ mats[3] @ mats[4]
    assert np.allclose(distribution_after(mats, init), want, atol=1e-13)
    assert np.allclose(distribution_after(lambda t: mats[t], init, 5), want, atol=1e-13)
    assert np.allclose(distribution_after(mats, init, 2), init @ mats[0] @ mats[1], atol=1e-13)
    # hitting state 2 within 5 steps, by enumerating the paths of the time-varying chain
    brute = 0.0
    for path in itertools.product(range(3), repeat=6):
        if 2 in path:
            p = init[path[0]]
            for t, (a, b) in enumerate(zip(path, path[1:])):
                p *= mats[t][a, b]
            brute += p
    assert reach_probability(mats, init, [2], T=5) == pytest.approx(brute, abs=1e-13)


def test_a_sweep_is_one_batched_computation():
    ps = np.array([0.2, 0.5, 0.7])
    Ps = np.stack([gamblers_ruin(4, p) for p in ps])
    init = np.eye(5)[2]
    batched = distribution_after(Ps, init, 7)
    assert batched.shape == (3, 5)
    for k, p in enumerate(ps):
        assert np.allclose(batched[k], unrolled(gamblers_ruin(4, p), init, 7), atol=1e-12)
    inits = np.stack([np.eye(5)[1], np.eye(5)[2], np.eye(5)[3]])  # a sweep over the start as well
    assert np.allclose(distribution_after(Ps, inits, 1000)[:, 4], [ruin_win(4, p, i) for p, i in zip(ps, [1, 2, 3])])


# ----- reaching a target -----------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(1, 3), st.integers(0, 5))
def test_reach_within_T_equals_path_enumeration(seed, n, T):
    rng = np.random.default_rng(seed)
    P, init = stochastic(rng, [n], [n], zeros=0.4), stochastic(rng, [], [n], zeros=0.4)
    target = {int(rng.integers(n))}
    assert reach_probability(P, init, sorted(target), T=T) == pytest.approx(paths_hit(P, init, target, T), abs=1e-12)


@settings(max_examples=30, deadline=None)
@given(seeds, st.integers(2, 6))
def test_the_limit_is_the_fixed_point_and_the_limit_of_finite_horizons(seed, n):
    rng = np.random.default_rng(seed)
    P = stochastic(rng, [n], [n], zeros=0.5)
    hit = np.zeros(n, bool)
    hit[rng.integers(n)] = True
    h = hitting_probabilities(P, hit)
    assert np.all(h[hit] == 1)
    assert np.allclose(h[~hit], (P @ h)[~hit], atol=1e-10)      # first-step analysis
    long_run = reach_probability(P, np.eye(n), hit, T=20000)
    assert np.allclose(long_run, h, atol=1e-8)                 # finite horizons increase to the limit
    assert np.all(reach_probability(P, np.eye(n), hit, T=3) <= reach_probability(P, np.eye(n), hit, T=4) + 1e-15)


def test_geometric_hitting_time_and_horizon():
    p = 0.1
    P = np.array([[1 - p, p], [0.0, 1.0]])
    assert expected_hitting_time(P, [1, 0], [1]) == pytest.approx(1 / p, rel=1e-12)
    for T in (0, 1, 7, 50):
        assert reach_probability(P, [1, 0], [1], T=T) == pytest.approx(1 - (1 - p) ** T, abs=1e-14)
    assert expected_hitting_time(P, [0, 1], [1]) == 0.0


@pytest.mark.parametrize("p", [0.5, 0.3, 0.62])
def test_gamblers_ruin_absorption_and_duration(p):
    N = 7
    P = gamblers_ruin(N, p)
    for i in range(N + 1):
        assert reach_probability(P, np.eye(N + 1)[i], [N]) == pytest.approx(ruin_win(N, p, i), abs=1e-12)
        assert expected_hitting_time(P, np.eye(N + 1)[i], [0, N]) == pytest.approx(ruin_duration(N, p, i), rel=1e-10)
    # reaching N alone: the walk may be ruined first, so the time is infinite from the interior
    assert np.isinf(hitting_times(P, [N])[1:N]).all() and hitting_times(P, [N])[N] == 0


def test_gamblers_ruin_swept_over_p_including_the_degenerate_ends():
    ps = np.array([0.0, 0.25, 0.5, 0.75, 1.0])  # p = 0 and p = 1 change which states can reach N
    Ps = np.stack([gamblers_ruin(5, p) for p in ps])
    h = reach_probability(Ps, np.eye(6)[2], [5])
    assert h.shape == (5,)
    want = [0.0] + [ruin_win(5, p, 2) for p in ps[1:4]] + [1.0]
    assert np.allclose(h, want, atol=1e-12)
    times = expected_hitting_time(Ps, np.eye(6)[2], [5])
    assert np.isinf(times[:4]).all() and times[4] == pytest.approx(3.0)


def test_a_closed_class_that_never_reaches_the_target():
    # 0 → {1, 2} evenly; {1, 3} is a closed class (a cycle) without the target; 2 leads to the target 4
    P = np.zeros((5, 5))
    P[0, 1] = P[0, 2] = 0.5
    P[1, 3] = P[3, 1] = 1.0
    P[2, 2], P[2, 4] = 0.9, 0.1
    P[4, 4] = 1.0
    assert reach_probability(P, np.eye(5)[0], [4]) == pytest.approx(0.5, abs=1e-14)
    assert hitting_probabilities(P, [4]).tolist() == pytest.approx([0.5, 0, 1, 0, 1])
    assert np.isinf(expected_hitting_time(P, np.eye(5)[0], [4]))
    assert expected_hitting_time(P, np.eye(5)[2], [4]) == pytest.approx(10.0)
    with pytest.raises(MarkovwireError, match=r"expected hitting time: the target may never be reached "
                                              r"\(it is reached with probability 0.5\), so the expected time to reach "
                                              r"it is infinite\n  fix: ask for reach_probability"):
        expected_hitting_time(P, np.eye(5)[0], [4], strict=True)


def test_nearly_absorbing_state_keeps_its_precision():
    eps = 1e-13  # 1 - (1 - eps) has a relative error of ~1e-3 in floating point
    P = np.array([[1 - eps, eps], [0.0, 1.0]])
    assert expected_hitting_time(P, [1, 0], [1]) == pytest.approx(1 / eps, rel=1e-9)
    P3 = np.array([[1 - eps, eps / 4, 3 * eps / 4], [0, 1, 0], [0, 0, 1]])
    assert reach_probability(P3, [1, 0, 0], [1]) == pytest.approx(0.25, rel=1e-9)


def test_absorbing_chain_collapses_the_target():
    P = gamblers_ruin(3, 0.5)
    A = absorbing(P, [0, 3])
    assert A.shape == (3, 3) and A[-1].tolist() == [0, 0, 1]
    assert A[0].tolist() == [0, 0.5, 0.5]


# ----- types and errors ------------------------------------------------------------------------
def test_kernel_from_a_state_to_another_type_is_refused():
    A, B = FinSet("A", ["x", "y"]), FinSet("B", ["u", "v"])
    k = Kernel(np.eye(2), [A], [B], name="mixup")
    with pytest.raises(TypeMismatch, match=r"step kernel 'mixup'.*maps A to B.*\n  fix: give the step kernel"):
        distribution_after(k, [1, 0], 2)


def test_symbolic_kernels_must_be_substituted_first():
    A = FinSet("A", ["x", "y"])
    p = Parameter("p", (0, 1), default=0.5)
    k = Kernel([[1 - p.symbol, p.symbol], [0, 1]], [A], [A], params=[p], name="leak")
    with pytest.raises(ParameterError, match=r"'leak'.*symbolic entries\n  fix: substitute parameter values"):
        transition_matrix(k)


def test_bad_matrices_and_vectors_are_named():
    with pytest.raises(NotStochastic, match=r"step kernel, row \(1,\): sums to 0.9, not 1"):
        distribution_after(np.array([[1.0, 0.0], [0.5, 0.4]]), [1, 0], 1)
    with pytest.raises(ShapeError, match=r"shape \(2, 3\), not \(\.\.\., n, n\)"):
        distribution_after(np.ones((2, 3)) / 3, [1, 0], 1)
    with pytest.raises(ShapeError, match=r"initial distribution: has shape \(3,\) but the chain has 2 states"):
        distribution_after(np.eye(2), [1, 0, 0], 1)
    with pytest.raises(NotStochastic, match=r"initial distribution, entry \(0,\): is negative"):
        distribution_after(np.eye(2), [-0.5, 1.5], 1)
    with pytest.raises(ShapeError, match=r"state indices \[5\] are not all integers in 0..1"):
        reach_probability(np.eye(2), [1, 0], [5])
    with pytest.raises(ShapeError, match=r"sweep: the step kernel is swept over shape \(3,\) but the initial "
                                         r"distribution over \(2,\)"):
        reach_probability(np.stack([np.eye(2)] * 3), np.eye(2), [1])
    with pytest.raises(ShapeError, match=r"swept over shape \(3,\)"):
        distribution_after(np.stack([np.eye(2)] * 3), np.eye(2), 4)
    with pytest.raises(ShapeError, match=r"has 2 steps, fewer than T = 3"):
        distribution_after([np.eye(2), np.eye(2)], [1, 0], 3)
