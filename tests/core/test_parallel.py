"""markovwire.parallel: pieces sized by the budget, the same results on threads and on a cluster, sweeps on disk,
progress and cancel, and the errors of a wrong engine.

One two-worker LocalCluster serves the whole module (starting it is the cost of this file).
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import (
    Cancelled,
    ContractionTooLarge,
    EngineError,
    FileFormatError,
    FinSet,
    Kernel,
    Net,
    Parameter,
    Program,
    parallel,
)
from markovwire.analysis import IntervalKernel, Query, credal_bounds, worst_case

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    """A local cluster of two worker processes (one thread each), as the engine of an existing scheduler."""
    import logging
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=logging.CRITICAL) as c:
        yield parallel.Engine(scheduler=c.scheduler_address)
        parallel.shutdown()


def monitored(size: int = 2) -> Net:
    """A policy attacking with probability beta and a monitor flagging with recall g."""
    Act = FinSet("Act", ["clean", "attack"])
    V = FinSet("Verdict", [f"v{i}" for i in range(size)])
    beta, g = Parameter("beta", (0, 1), default=0.1), Parameter("g", (0, 1), default=0.5)
    b, r = beta.symbol, g.symbol
    flag = [[1 - r] + [r / (size - 1)] * (size - 1), [0.3] + [0.7 / (size - 1)] * (size - 1)]
    net = Net()
    net.add_box("policy", Kernel([1 - b, b], [], [Act], params=[beta]), [], ["act"])
    net.add_box("monitor", Kernel(flag, [Act], [V], params=[g]), ["act"], ["verdict"])
    net.set_outputs("act", "verdict")
    return net


GRID = {"beta": np.linspace(0, 1, 120), "g": np.linspace(0, 1, 50)}


def by_hand(grid) -> np.ndarray:
    """The monitored net's joint law at every grid point, written out (no markovwire evaluation)."""
    b, r = np.meshgrid(grid["beta"], grid["g"], indexing="ij")
    return np.stack([np.stack([(1 - b) * (1 - r), (1 - b) * r], -1), np.stack([b * 0.3, b * 0.7], -1)], -2)


# ----- pieces ---------------------------------------------------------------------------------------
@settings(max_examples=30)
@given(n=st.integers(0, 3 * 10**5), point=st.integers(0, 10**4), budget=st.integers(1, 10**9))
def test_pieces_cover_the_batch_in_order_and_fit_the_budget(n, point, budget):
    pieces = parallel.chunks(n, point, budget=budget)
    assert [a for a, _ in pieces] == [0] + [b for _, b in pieces[:-1]] if pieces else n == 0
    assert (pieces[-1][1] if pieces else 0) == n
    sizes = [b - a for a, b in pieces]
    assert all(s >= 1 for s in sizes) and len(set(sizes[:-1])) <= 1
    if point and budget >= point:
        assert max(sizes, default=0) * point <= budget         # every piece fits, unless one point does not
    if n >= parallel.CHUNKS * parallel.MIN_CHUNK:
        assert len(pieces) >= parallel.CHUNKS                  # a large batch is shared out


@settings(max_examples=30)
@given(shape=st.lists(st.integers(1, 5), min_size=1, max_size=3), data=st.data())
def test_grid_points_are_the_meshgrid_in_order(shape, data):
    axes = {f"p{i}": np.arange(n, dtype=float) * (i + 1) for i, n in enumerate(shape)}
    total = math.prod(shape)
    a = data.draw(st.integers(0, total))
    b = data.draw(st.integers(a, total))
    mesh = np.meshgrid(*axes.values(), indexing="ij")
    got = parallel.grid_points(axes, (a, b))
    for name, m in zip(axes, mesh):
        assert np.array_equal(got[name], m.reshape(-1)[a:b])


# ----- sweeps -----------------------------------------------------------------------------------------
def test_sweep_in_pieces_under_a_tiny_budget_equals_the_whole(budget):
    net = monitored()
    whole = net.sweep(GRID)
    np.testing.assert_allclose(whole, by_hand(GRID), rtol=0, atol=1e-15)
    budget(200_000)                          # the result (188 KiB) fits; a point's contraction ~80 B: pieces
    seen = []
    pieces = net.sweep(GRID, progress=lambda done, total: seen.append((done, total)))
    assert len(seen) > 1 and seen[-1][0] == seen[-1][1] == len(seen)
    np.testing.assert_allclose(pieces, whole, rtol=0, atol=1e-15)


def test_sweep_on_a_cluster_equals_threads_bit_for_bit(cluster):
    net = monitored(3)
    here = net.sweep(GRID, chunk=700)
    with parallel.using(cluster):
        there = net.sweep(GRID, chunk=700)
    assert np.array_equal(here, there)
    assert here.shape == (120, 50, 2, 3)


def test_a_sweep_too_large_to_hold_says_to_write_it_to_disk(budget):
    budget(50_000)
    with pytest.raises(ContractionTooLarge) as e:
        monitored().sweep(GRID)
    assert e.value.what == ("the result of 6,000 points needs 187.5 KiB, more than the memory budget of 48.8 KiB")
    assert "net.sweep(grid, out='results.npyd')" in e.value.fix and "-o results.npyd" in e.value.fix


# ----- searches and vertex enumeration ----------------------------------------------------------------
def test_worst_case_grid_on_a_cluster_equals_threads_bit_for_bit(cluster, budget):
    net = monitored()
    q = Query.probability({"act": "attack", "verdict": "v0"})
    budget(40_000)                                  # a 61 x 61 grid of 32-byte points: several pieces
    here = worst_case(net, q, over=["beta", "g"], grid=61)
    with parallel.using(cluster):
        there = worst_case(net, q, over=["beta", "g"], grid=61)
    assert (here.value, here.choice, here.optimum, here.evaluations) == \
        (there.value, there.choice, there.optimum, there.evaluations)
    assert here.value == pytest.approx(0.3, abs=1e-12)      # attack always, the monitor passes 30% of attacks


def credal_problem():
    A, V = FinSet("A", ["a0", "a1", "a2"]), FinSet("V", ["pass", "flag"])
    net = Net()
    net.add_box("p", Kernel([0.5, 0.3, 0.2], [], [A]), [], ["a"])
    tables = {"m1": [[0.9, 0.1], [0.5, 0.5], [0.2, 0.8]], "m2": [[0.8, 0.2], [0.4, 0.6], [0.3, 0.7]],
              "m3": [[0.7, 0.3], [0.6, 0.4], [0.1, 0.9]]}
    boxes = {"p": IntervalKernel([0.4, 0.2, 0.1], [0.6, 0.4, 0.3], [], [A])}
    for i, (name, t) in enumerate(tables.items()):
        net.add_box(name, Kernel(t, [A], [V]), ["a"], [f"v{i + 1}"])
        eps = 0.05 * (i + 1)
        boxes[name] = IntervalKernel(np.clip(np.array(t) - eps, 0, 1), np.clip(np.array(t) + eps, 0, 1), [A], [V])
    return net, boxes, Query.probability({"v1": "pass", "v2": "pass", "v3": "pass"})


def test_credal_enumeration_in_pieces_on_a_cluster_equals_threads_bit_for_bit(cluster, budget):
    net, boxes, q = credal_problem()
    whole = credal_bounds(net, q, boxes=boxes)
    budget(60_000)                                   # the combinations' contraction needs ~430 KiB: pieces
    here = credal_bounds(net, q, boxes=boxes)
    with parallel.using(cluster):
        there = credal_bounds(net, q, boxes=boxes)
    assert (here.lower, here.upper) == (there.lower, there.upper)
    assert here.lower == pytest.approx(whole.lower, abs=1e-14) and here.upper == pytest.approx(whole.upper, abs=1e-14)
    assert whole.exact and here.exact


def test_slices_of_a_sliced_contraction_on_a_cluster_equal_threads_bit_for_bit(cluster, budget):
    sizes = {0: 40, 1: 40, 2: 40}                    # a 40^3 intermediate; slicing index 0 splits the result
    ops, out = [(0, 1), (0, 2), (1, 2)], (0,)
    arrays = [np.random.default_rng(k).random((40, 40)) for k in range(3)]
    budget(3 * 40 * 40 * 8 + 3 * 40 * 8 + 30_000)
    prog = Program(ops, out, sizes, strategy="sequential")
    assert prog.sliced and prog.nslices == 40
    here = prog(*arrays)
    with parallel.using(cluster):
        there = prog(*arrays)
    assert np.array_equal(here, there)
    np.testing.assert_allclose(here, np.einsum("ab,ac,bc->a", *arrays), rtol=1e-12)


# ----- sweeps on disk ----------------------------------------------------------------------------------
def test_a_sweep_written_to_disk_opens_as_memmaps(tmp_path):
    net = monitored()
    out = net.sweep(GRID, out=tmp_path / "r.npyd", chunk=999)
    again = parallel.open_sweep(tmp_path / "r.npyd")
    assert again.complete and again.pieces == again.pieces_done == 7 and list(again.axes) == ["beta", "g"]
    assert np.array_equal(again.axes["beta"], GRID["beta"])
    arr = again["result"]
    assert isinstance(arr, np.memmap) and arr.shape == (120, 50, 2, 2)
    assert np.array_equal(arr, net.sweep(GRID, chunk=999)) and np.array_equal(out["result"], arr)
    assert float(arr.sum()) == pytest.approx(6000.0)          # a law per point


@pytest.mark.parametrize("shared", [True, False], ids=["workers-write-their-rows", "rows-handed-back"])
def test_a_sweep_to_disk_on_a_cluster_equals_threads_bit_for_bit(cluster, tmp_path, monkeypatch, shared):
    """Workers that see the directory write their pieces' rows themselves; others hand them back to be written
    here. Either way the files hold the same bits as a sweep on threads."""
    net = monitored(3)
    here = net.sweep(GRID, out=tmp_path / "here.npyd", chunk=700)
    seen = []
    real = parallel._shares_disk
    monkeypatch.setattr(parallel, "_shares_disk", lambda eng, path: seen.append(real(eng, path)) or shared)
    with parallel.using(cluster):
        there = net.sweep(GRID, out=tmp_path / "there.npyd", chunk=700)
    assert seen == [True]                                     # the cluster's workers run on this machine
    assert not (tmp_path / "there.npyd" / ".workers-see-this").exists()
    assert there.complete and there.pieces == there.pieces_done == 9
    assert np.array_equal(here["result"], there["result"]) and np.array_equal(there["result"], net.sweep(GRID))


def test_cancelling_a_sweep_on_disk_leaves_it_marked_incomplete(tmp_path):
    net = monitored()

    def stop_after_three(done, total):
        if done == 3:
            raise KeyboardInterrupt       # what Ctrl+C raises
    with pytest.raises(Cancelled) as e:
        net.sweep(GRID, out=tmp_path / "r.npyd", chunk=500, progress=stop_after_three)
    assert e.value.file == str(tmp_path / "r.npyd")
    assert "cancelled (Ctrl+C) after 3 of 12 piece(s)" in e.value.what
    assert "holds 3 of 12 piece(s) and its manifest.json says complete: false" in e.value.what
    manifest = json.loads((tmp_path / "r.npyd" / "manifest.json").read_text())
    assert (manifest["complete"], manifest["pieces_done"]) == (False, 3)
    part = parallel.open_sweep(tmp_path / "r.npyd")
    flat = np.asarray(part["result"]).reshape(6000, -1)
    assert not part.complete and np.isfinite(flat[:1500]).all() and np.isnan(flat[1500:]).all()


def test_a_directory_that_is_not_a_sweep_is_never_overwritten_nor_opened(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FileFormatError) as e:
        monitored().sweep(GRID, out=tmp_path)
    assert "holds files that are not a markovwire sweep" in e.value.what and e.value.file == str(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    with pytest.raises(FileFormatError) as e:
        parallel.open_sweep(tmp_path)
    assert "no manifest.json" in e.value.what and "eval --sweep … -o" in e.value.fix


# ----- the engine's errors -------------------------------------------------------------------------------
def test_a_malformed_scheduler_address_is_refused_at_once():
    with parallel.using(scheduler="not an address"), pytest.raises(EngineError) as e:
        parallel.client()
    assert e.value.where == "--scheduler not an address" and "tcp://10.0.0.5:8786" in e.value.fix


def test_no_scheduler_at_an_address(monkeypatch):
    monkeypatch.setattr(parallel, "CONNECT_TIMEOUT", 1)
    with parallel.using(scheduler="tcp://127.0.0.1:1"), pytest.raises(EngineError) as e:
        parallel.client()
    assert "no dask scheduler answers at 'tcp://127.0.0.1:1' within 1 s" in e.value.what
    assert "dask scheduler" in e.value.fix and "drop --scheduler" in e.value.fix


def test_workers_without_distributed_say_how_to_install_it(monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "distributed" else real(name, *a))
    with pytest.raises(EngineError) as e:
        parallel.set_engine(workers=2)
    assert e.value.where == "--workers 2" and "pip install 'markovwire[cluster]'" in e.value.fix
    assert parallel.engine().kind == "threads"


def test_workers_must_be_a_positive_whole_number():
    for bad in (0, -1, 1.5, True):
        with pytest.raises(EngineError):
            parallel.set_engine(workers=bad)
    assert parallel.engine().kind == "threads"
