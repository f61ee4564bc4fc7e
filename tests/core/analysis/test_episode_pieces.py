"""Episode bounds in pieces (:mod:`markovwire.parallel`): pieces under a tiny memory budget give the values of one
piece, threads and a two-worker cluster agree to the last bit, small random episodes match brute force over every
policy, progress counts the pieces, and the cost budget refuses an enumeration too large with its size and fix.
"""
from __future__ import annotations

import contextlib
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import (
    ContractionTooLarge,
    FinSet,
    Kernel,
    Net,
    Parameter,
    ShapeError,
    parallel,
    set_cost_budget,
    set_memory_budget,
)
from markovwire.analysis import CredalKernel, IntervalKernel, Query
from markovwire.analysis.adversary import deterministic_kernels
from markovwire.analysis.episodes import _Chains, episode_bounds
from markovwire.episode import Episode

X = FinSet("X", ["x0", "x1", "x2"])
MOVE, BIT, OBS = FinSet("Move", ["m0", "m1"]), FinSet("Bit", ["0", "1"]), FinSet("Obs", ["o0", "o1"])


def controlled(rng, T: int) -> tuple[Episode, Parameter]:
    """A random walk on three states: blue's box reads the state and picks a move, red's coin (P(1) = q) and the
    move drive the walk, a sensor reads the next state (as test_game's, with q's table written out)."""
    q = Parameter("q", (0, 1), default=0.5)
    step = Net()
    step.add_box("red", Kernel([1 - q.symbol, q.symbol], [], [("r", BIT)], params=[q]), [], ["r"])
    step.add_box("blue", Kernel.uniform([("m", MOVE)], [("s", X)]), ["x.state"], ["m"])
    step.add_box("walk", Kernel(rng.dirichlet(np.full(3, 0.6), size=(3, 2, 2)), [("s", X), ("m", MOVE), ("r", BIT)],
                                [("s", X)]), ["x.state", "m", "r"], ["x.state'"])
    step.add_box("sensor", Kernel(rng.dirichlet(np.ones(2), size=3), [("s", X)], [("o", OBS)]), ["x.state'"], ["obs"])
    step.set_inputs("x.state")
    step.set_outputs("x.state'", "obs")
    return Episode(step, [Kernel(rng.dirichlet(np.ones(3)), [], [X])], steps=T), q


def credal_boxes(ep) -> dict:
    """Blue any deterministic kernel (8), the sensor any kernel in a band around its table (2^3 vertices)."""
    sensor = ep.step.box("sensor").kernel.array
    return {"blue": CredalKernel(deterministic_kernels(ep.step.box("blue").kernel)),
            "sensor": IntervalKernel(np.clip(sensor - 0.1, 0, 1), np.clip(sensor + 0.1, 0, 1), [("s", X)],
                                     [("o", OBS)])}


QUERIES = {"state": Query.probability({"x.state": "x2"}), "obs": Query.probability({"obs": "o0"})}


@contextlib.contextmanager
def memory(nbytes: float):
    """The memory budget inside a ``with`` block."""
    old = set_memory_budget(nbytes)
    try:
        yield
    finally:
        set_memory_budget(old)


def per_candidate(ep, query, boxes, intervals) -> tuple[float, int]:
    """The bytes one candidate needs, as the enumeration measures them (to choose budgets that split it), and how
    many candidates there are."""
    chains = _Chains(ep, query, boxes, {})
    grid = {n: np.array(v) for n, v in zip(intervals, zip(*itertools.product(*intervals.values())))}
    return chains.per_candidate(grid)[0], chains.count(grid)


def values(res) -> tuple[float, ...]:
    return (res.adaptive.lower, res.adaptive.upper, res.fixed.lower, res.fixed.upper)


# ----- pieces give the values of the whole -----------------------------------------------------------
def chains_values(ep, query, boxes, grid) -> tuple:
    """The adaptive range and the fixed values ``(B, K)`` of the candidates at ``grid``, as ``_Chains`` gives them
    (the enumeration under ``episode_bounds``, without its search of the intervals)."""
    chains = _Chains(ep, query, boxes, {})
    interval, fixed = chains.adaptive(grid)
    return (interval.lower, interval.upper), chains.fixed_values(grid) if fixed is None else fixed


@pytest.mark.parametrize("threaded", [False, True], ids=["kept-joined", "kept-reduced-on-threads"])
@pytest.mark.parametrize("on", ["state", "obs"])
def test_pieces_under_a_tiny_budget_equal_one_piece(on, threaded, monkeypatch):
    """One piece (the default budget), several kept pieces (their arrays fit half the budget: joined for small
    steps, each step's pieces reduced on threads for large ones) and pieces computed again at every step (they do
    not): the same candidates' rows, each computed in a contraction of its piece.
    The min and max over candidates are exact in any grouping; a candidate's row may differ from one piece size to
    another only by BLAS's summation order in the contraction (a few ulps), so equality is to 1e-15."""
    import markovwire.analysis.episodes as episodes
    monkeypatch.setattr(episodes, "THREADED_STEP", 0 if threaded else episodes.THREADED_STEP)
    ep, _ = controlled(np.random.default_rng(7), T=4)
    boxes, grid = credal_boxes(ep), {"q": np.array([0.2, 0.6])}
    whole = episode_bounds(ep, QUERIES[on], boxes=boxes)
    assert "64 vertex combination(s)" in whole.method             # 8 x 8 vertices
    whole_grid = chains_values(ep, QUERIES[on], boxes, grid)
    nbytes, count = per_candidate(ep, QUERIES[on], boxes, {"q": (0.2, 0.6)})
    E = 2 if on == "obs" else 1
    for memory_bytes, passes in ((2 * 8 * 9 * (E + 1) * count, 1), (8 * nbytes, 4)):   # kept; recomputed each step
        seen = []
        with memory(memory_bytes), parallel.reporting(lambda done, total: seen.append(total)):
            pieces = episode_bounds(ep, QUERIES[on], boxes=boxes)
            adaptive, fixed = chains_values(ep, QUERIES[on], boxes, grid)
        assert max(seen) >= 2 * passes and max(seen) % passes == 0       # it did run in pieces
        np.testing.assert_allclose(values(pieces), values(whole), rtol=0, atol=1e-15)
        assert pieces.lower_choice.keys() == whole.lower_choice.keys()
        np.testing.assert_allclose(adaptive, whole_grid[0], rtol=0, atol=1e-15)
        np.testing.assert_allclose(fixed, whole_grid[1], rtol=0, atol=1e-15)


def test_progress_counts_the_pieces_of_every_pass():
    ep, _ = controlled(np.random.default_rng(3), T=3)
    boxes = credal_boxes(ep)
    nbytes, count = per_candidate(ep, QUERIES["state"], boxes, {})
    seen = []                                                     # pieces of a few, computed again at each step
    with memory(8 * nbytes), parallel.reporting(lambda done, total: seen.append((done, total))):
        episode_bounds(ep, QUERIES["state"], boxes=boxes)
    n = seen[0][1] // 3
    assert n >= 8 and seen[0][1] == 3 * n                          # 3 steps x n pieces, counted as one job
    assert seen == [(d, 3 * n) for d in range(1, 3 * n + 1)] + [(d, n) for d in range(1, n + 1)]  # then the fixed


def test_more_combinations_than_the_old_fixed_count_run_when_the_budgets_allow():
    """40,000 vertex combinations of two credal boxes (20,000 used to be refused), against numpy over all of them:
    ``g(s) = opt over (a, b) of Σ_m A_a[s, m] Σ_s' B_b[s, m, s'] g(s')`` for three steps."""
    rng = np.random.default_rng(2)
    A, B = rng.dirichlet(np.ones(2), size=(200, 3)), rng.dirichlet(np.ones(3), size=(200, 3, 2))
    step = Net()
    step.add_box("pick", Kernel(A[0], [("s", X)], [("m", MOVE)]), ["x.state"], ["m"])
    step.add_box("walk", Kernel(B[0], [("s", X), ("m", MOVE)], [("s", X)]), ["x.state", "m"], ["x.state'"])
    step.set_inputs("x.state")
    step.set_outputs("x.state'")
    ep = Episode(step, [Kernel.point([X], "x0")], steps=3)
    boxes = {"pick": CredalKernel([Kernel(a, [("s", X)], [("m", MOVE)]) for a in A]),
             "walk": CredalKernel([Kernel(b, [("s", X), ("m", MOVE)], [("s", X)]) for b in B])}
    res = episode_bounds(ep, QUERIES["state"], boxes=boxes)
    P = np.einsum("asm,bsmt->abst", A, B)                         # every combination's step
    lo = hi = np.array([0.0, 0.0, 1.0])
    for _ in range(3):
        lo, hi = (P @ lo).min(axis=(0, 1)), (P @ hi).max(axis=(0, 1))
    assert (res.adaptive.lower, res.adaptive.upper) == pytest.approx((lo[0], hi[0]), abs=1e-12)
    kept = np.einsum("abst,abtu,abuv->absv", P, P, P)[:, :, 0, 2]
    assert (res.fixed.lower, res.fixed.upper) == pytest.approx((kept.min(), kept.max()), abs=1e-12)
    assert res.method.startswith("40000 vertex combination(s)")
    with pytest.raises(ShapeError, match="40000 vertex combinations exceed max_combinations = 100"):
        episode_bounds(ep, QUERIES["state"], boxes=boxes, max_combinations=100)      # a cap, if given


# ----- the cost budget -------------------------------------------------------------------------------------
def test_an_enumeration_past_the_cost_budget_is_refused_with_its_size_and_the_flag():
    ep, _ = controlled(np.random.default_rng(5), T=6)
    old = set_cost_budget(2e4)
    try:
        with pytest.raises(ContractionTooLarge) as err:
            episode_bounds(ep, QUERIES["obs"], boxes=credal_boxes(ep), intervals={"q": (0.2, 0.6)})
    finally:
        set_cost_budget(old)
    e = err.value
    assert str(e.place) == "credal bounds of P(obs=o0)"
    assert e.what.startswith("enumerates 128 candidate step kernel(s) (64 vertex combination(s) of blue, sensor × "
                             "2 parameter point(s)) over 6 steps: needs ")
    assert "x the cost budget of 2e+04" in e.what
    assert e.fix.startswith("raise the budget: --max-cost ") and "markovwire.set_cost_budget(" in e.fix
    assert "narrow the credal sets" in e.fix and "observe fewer ports" in e.fix
    raised = set_cost_budget(float(e.fix.split("--max-cost ")[1].split()[0]))
    try:                                                          # the fix's value is enough for the enumeration
        chains_values(ep, QUERIES["obs"], credal_boxes(ep), {"q": np.array([0.2, 0.6])})
    finally:
        set_cost_budget(raised)


# ----- brute force -----------------------------------------------------------------------------------------
def step_arrays(ep, kernels, qs) -> np.ndarray:
    """``(kernels, qs, states, states, obs)``: the step with blue's kernel ``k`` put in, at each q."""
    out = []
    for k in kernels:
        step = ep.step.clone()
        step.boxes = [type(b)(b.name, k if b.name == "blue" else b.kernel, b.inputs, b.outputs) for b in ep.step.boxes]
        out.append([Episode(step, ep.initial, ep.steps).step_array({"q": q}, ["obs"]) for q in qs])
    return np.array(out)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 3), on=st.sampled_from(["state", "obs"]),
       q=st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted))
def test_random_episodes_in_pieces_equal_brute_force_over_every_policy(seed, T, on, q):
    """In pieces of four candidates: the adaptive range at a point q is the best sequence of blue's deterministic
    kernels (a kernel may change with the step; reading the state, it chooses per state); with q at its ends, each
    (end, kernel) kept all episode is exact, and for one step the adaptive range is the best choice of (end,
    kernel) per state. The fixed range searched inside the interval contains the ends' values and lies inside the
    adaptive range."""
    ep, _ = controlled(np.random.default_rng(seed), T)
    kernels = deterministic_kernels(ep.step.box("blue").kernel)
    boxes = {"blue": CredalKernel(kernels)}
    ends = sorted(set(q))
    arrays = step_arrays(ep, kernels, ends)                        # (kernels, ends, 3, 3, 2)
    f = np.array([0.0, 0.0, 1.0]) if on == "state" else np.array([1.0, 0.0])
    last = lambda A: A.sum(axis=2) @ f if on == "state" else A.sum(axis=1) @ f
    x0 = ep.initial_law()
    runs = []
    for seq in itertools.product(range(len(kernels)), repeat=T):   # at q's lower end
        x = x0
        for k in seq[:-1]:
            x = x @ arrays[k, 0].sum(axis=2)
        runs.append(float(x @ last(arrays[seq[-1], 0])))
    one = np.array([[float(np.linalg.matrix_power(A.sum(axis=2), T - 1).T.dot(x0) @ last(A)) for A in per_end]
                    for per_end in arrays.transpose(1, 0, 2, 3, 4)])      # (ends, kernels)
    nbytes, _ = per_candidate(ep, QUERIES[on], boxes, {"q": q})
    with memory(4 * nbytes):                                       # pieces of four candidates
        at_point, _ = chains_values(ep, QUERIES[on], boxes, {"q": np.array(ends[:1])})
        adaptive, fixed = chains_values(ep, QUERIES[on], boxes, {"q": np.array(ends)})
    assert at_point == pytest.approx((min(runs), max(runs)), abs=1e-12)
    np.testing.assert_allclose(fixed, one, rtol=0, atol=1e-12)
    if T == 1:                                                     # every (end, kernel) per state: 16^3 choices
        rows = np.array([last(A) for A in arrays.reshape(-1, 3, 3, 2)])          # (candidates, states)
        per_state = [x0 @ rows[list(pick), [0, 1, 2]] for pick in itertools.product(range(len(rows)), repeat=3)]
        assert adaptive == pytest.approx((min(per_state), max(per_state)), abs=1e-12)
    if q[0] < q[1]:
        res = episode_bounds(ep, QUERIES[on], boxes=boxes, intervals={"q": tuple(q)})
        assert (res.adaptive.lower, res.adaptive.upper) == pytest.approx(adaptive, abs=1e-12)
        assert res.fixed.upper >= one.max() - 1e-12 and res.fixed.lower <= one.min() + 1e-12
        assert res.adaptive.lower - 1e-12 <= res.fixed.lower and res.fixed.upper <= res.adaptive.upper + 1e-12


# ----- a cluster ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cluster():
    """A local cluster of two worker processes (one thread each), as the engine of an existing scheduler."""
    distributed = pytest.importorskip("distributed")
    import logging
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as c:
        yield parallel.Engine(scheduler=c.scheduler_address)
        parallel.shutdown()


def test_a_two_worker_cluster_gives_the_values_of_threads_bit_for_bit(cluster):
    """The same pieces on threads and on two worker processes, kept and recomputed at each step. (About 3 s: the
    workers import markovwire and plan each piece's net on first use.)"""
    ep, _ = controlled(np.random.default_rng(11), T=3)
    boxes, grid = credal_boxes(ep), {"q": np.array([0.1, 0.9])}
    nbytes, count = per_candidate(ep, QUERIES["obs"], boxes, {"q": (0.1, 0.9)})
    for memory_bytes in (2 * 8 * 9 * 3 * count, 40 * nbytes):    # kept in pieces; recomputed at each step
        with memory(memory_bytes):
            threads = episode_bounds(ep, QUERIES["obs"], boxes=boxes), chains_values(ep, QUERIES["obs"], boxes, grid)
            with parallel.using(cluster):
                remote = (episode_bounds(ep, QUERIES["obs"], boxes=boxes),
                          chains_values(ep, QUERIES["obs"], boxes, grid))
        assert values(remote[0]) == values(threads[0]) and remote[0].method == threads[0].method
        assert remote[1][0] == threads[1][0] and np.array_equal(remote[1][1], threads[1][1])
