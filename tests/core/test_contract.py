"""Planned contractions (Program) against numpy.einsum; path choice; the memory guard.

The reference is ``np.einsum`` on the same operands, which shares no code with the
planner or its matmul steps.
"""
from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given, settings, strategies as st

from markovwire import ContractionTooLarge, FinSet, Kernel, Net, Program
from markovwire.contract import human_bytes

STRATEGIES = ["auto", "sequential", "greedy", "dp"]


@st.composite
def contractions(draw, max_indices: int = 7, max_operands: int = 6):
    """Random einsums: index sets with shared (batch) and summed indices, scalars, repeats."""
    n_idx = draw(st.integers(1, max_indices))
    sizes = {i: draw(st.integers(1, 4)) for i in range(n_idx)}
    n_ops = draw(st.integers(1, max_operands))
    operands = []
    for _ in range(n_ops):
        if operands and draw(st.integers(0, 5)) == 0:  # the same operand twice
            operands.append(operands[draw(st.integers(0, len(operands) - 1))])
            continue
        op = draw(st.lists(st.integers(0, n_idx - 1), max_size=4))  # may repeat an index, may be empty
        operands.append(tuple(op))
    used = sorted({i for op in operands for i in op})
    output = tuple(draw(st.permutations(used)))[: draw(st.integers(0, len(used)))]
    seed = draw(st.integers(0, 2**32 - 1))
    return operands, output, sizes, seed


def arrays_for(operands, sizes, seed):
    rng = np.random.default_rng(seed)
    cache = {}
    out = []
    for op in operands:  # a repeated operand is the very same array
        if op not in cache:
            cache[op] = rng.random(tuple(sizes[i] for i in op)) if op else np.asarray(rng.random())
        out.append(cache[op])
    return out


def reference(operands, output, arrays):
    args = []
    for a, op in zip(arrays, operands):
        args += [a, list(op)]
    return np.einsum(*args, list(output))


@settings(max_examples=400)
@given(contractions(), st.sampled_from(STRATEGIES))
def test_program_agrees_with_einsum(case, strategy):
    operands, output, sizes, seed = case
    arrays = arrays_for(operands, sizes, seed)
    prog = Program(operands, output, sizes, strategy=strategy)
    got = prog(*arrays)
    want = reference(operands, output, arrays)
    assert np.shape(got) == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    again = prog(*arrays)  # a program is reusable and keeps no state between calls
    np.testing.assert_array_equal(again, got)


@st.composite
def pairs(draw):
    """Two operands built from index roles (batch, contracted, free, summed alone), in canonical
    matmul layout or in any axis order: every kind of pairwise step, aligned or not."""
    roles = ["batch", "contracted", "free_a", "free_b", "alone_a", "alone_b"]
    idx = {r: list(range(3 * k, 3 * k + draw(st.integers(0, 2 if r in ("batch", "contracted") else 1))))
           for k, r in enumerate(roles)}
    sizes = {i: draw(st.integers(1, 4)) for r in roles for i in idx[r]}
    a = idx["batch"] + idx["alone_a"] + idx["free_a"] + idx["contracted"]
    b_batch = list(draw(st.permutations(idx["batch"])))  # batch axes in another order than in a
    b = b_batch + idx["alone_b"] + idx["contracted"] + idx["free_b"]
    if draw(st.booleans()):
        a = list(draw(st.permutations(a)))
    if draw(st.booleans()):
        b = list(draw(st.permutations(b)))
    if draw(st.booleans()):  # one operand without the batch axes: numpy broadcasting must not be fooled
        a = [i for i in a if i not in idx["batch"]]
    output = idx["batch"] + idx["free_a"] + idx["free_b"]
    if draw(st.booleans()):
        output = list(draw(st.permutations(output)))
    output = [i for i in output if i in set(a) | set(b)]
    return [tuple(a), tuple(b)], tuple(output), sizes, draw(st.integers(0, 2**32 - 1))


@settings(max_examples=600)
@given(pairs())
def test_every_layout_of_a_pairwise_step(case):
    operands, output, sizes, seed = case
    arrays = arrays_for(operands, sizes, seed)
    np.testing.assert_allclose(Program(operands, output, sizes)(*arrays), reference(operands, output, arrays),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=150)
@given(contractions(max_indices=9, max_operands=9))
def test_larger_random_contractions(case):
    operands, output, sizes, seed = case
    arrays = arrays_for(operands, sizes, seed)
    np.testing.assert_allclose(Program(operands, output, sizes)(*arrays), reference(operands, output, arrays),
                               rtol=1e-12, atol=1e-12)


@settings(max_examples=60)
@given(contractions(max_indices=4, max_operands=4), st.sampled_from(STRATEGIES))
def test_object_arrays_with_sympy_entries(case, strategy):
    operands, output, sizes, seed = case
    x, y = sympy.symbols("x y")
    rng = np.random.default_rng(seed)
    arrays = []
    for op in operands:
        a = np.empty(tuple(sizes[i] for i in op), dtype=object)
        for idx in np.ndindex(a.shape):
            a[idx] = int(rng.integers(0, 3)) * x + int(rng.integers(0, 3)) * y + int(rng.integers(0, 2))
        arrays.append(a)
    got = np.asarray(Program(operands, output, sizes, itemsize=64, strategy=strategy)(*arrays), dtype=object)
    args = []
    for a, op in zip(arrays, operands):
        args += [a, list(op)]
    want = np.asarray(np.einsum(*args, list(output), optimize=False), dtype=object)
    assert got.shape == want.shape
    for g, w in zip(got.reshape(-1), want.reshape(-1)):
        assert sympy.expand(g - w) == 0


@settings(max_examples=100)
@given(st.integers(1, 12), st.lists(st.booleans(), min_size=12, max_size=12), st.integers(0, 2**32 - 1))
def test_chains_with_transposed_links_and_a_batch(n, flips, seed):
    """Vector-times-matrix folds, transposed matrices and a sweep axis mixed along one chain."""
    rng = np.random.default_rng(seed)
    sizes = {i: int(rng.integers(1, 5)) for i in range(n + 1)}
    sizes[-1] = 3  # a sweep axis read by some links
    operands, arrays = [(0,)], [rng.random(sizes[0])]
    v = np.broadcast_to(arrays[0], (3, sizes[0]))
    for i in range(n):
        m = rng.random((3, sizes[i], sizes[i + 1]))
        batched = flips[i] and i % 2
        if flips[i] and not batched:
            operands.append((i + 1, i))
            arrays.append(m[0].T.copy())
            m = np.broadcast_to(m[0], m.shape)
        elif batched:
            operands.append((-1, i, i + 1))
            arrays.append(m)
        else:
            operands.append((i, i + 1))
            arrays.append(m[0])
            m = np.broadcast_to(m[0], m.shape)
        v = np.einsum("bi,bij->bj", v, m)
    output = (-1, n) if any(-1 in op for op in operands) else (n,)
    want = v if output[0] == -1 else v[0]
    for strategy in STRATEGIES:
        np.testing.assert_allclose(Program(operands, output, sizes, strategy=strategy)(*arrays), want,
                                   rtol=1e-12, atol=1e-15)


@settings(max_examples=100)
@given(contractions(max_indices=9, max_operands=9))
def test_auto_picks_the_cheapest_candidate_order(case):
    operands, output, sizes, _ = case
    costs = {s: Program(operands, output, sizes, strategy=s).cost for s in STRATEGIES[1:]}
    auto = Program(operands, output, sizes)
    assert auto.cost == min(costs.values())
    assert costs[auto.strategy] == auto.cost


def test_a_dag_is_not_folded_in_order_when_that_is_expensive(budget, cost):
    """Folding a random DAG in topological order keeps dozens of wires alive; greedy does not."""
    budget(2**80)  # only plans are made here; the sequential one would not fit in memory
    cost(float("inf"))  # nor in time
    rng = np.random.default_rng(1)
    operands = []
    for i in range(40):
        parents = sorted(rng.choice(i, size=min(i, 3), replace=False).tolist()) if i else []
        operands.append(tuple(parents) + (i,))
    sizes = dict.fromkeys(range(40), 4)
    prog = Program(operands, (0,), sizes)
    assert prog.strategy in ("greedy", "dp")
    assert prog.cost < Program(operands, (0,), sizes, strategy="sequential").cost / 100


def test_wrong_number_of_arrays():
    prog = Program([(0,), (0, 1)], (1,), {0: 2, 1: 2})
    with pytest.raises(ValueError, match="this program contracts 2 operands, got 1"):
        prog(np.ones(2))


# ----- path choice --------------------------------------------------------------------
def chain_net(n: int, size: int = 64, seed: int = 0) -> tuple[Net, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    S = FinSet("S", [f"s{i}" for i in range(size)])
    v = rng.dirichlet(np.ones(size))
    net = Net()
    net.add_box("start", Kernel(v, [], [S]), [], ["w0"])
    mats = []
    for i in range(n):
        m = rng.dirichlet(np.ones(size), size=size)
        mats.append(m)
        net.add_box(f"k{i}", Kernel(m, [S], [S]), [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs(f"w{n}")
    return net, [v] + mats


def test_a_chain_fed_by_a_distribution_pushes_a_vector():
    n = 50
    prog = Program([(0,)] + [(i, i + 1) for i in range(n)], (n,), {i: 64 for i in range(n + 1)})
    assert prog.cost == n * 64 * 64  # vector x matrix per step, not 64**3 matrix x matrix
    assert prog.strategy == "sequential"
    assert prog.largest[0] == 64 * 8  # one vector at a time
    # at most at once: the operands the caller holds, and the result with the two copies a caller makes
    assert prog.peak == (64 + n * 64 * 64) * 8 + 3 * 64 * 8
    assert prog.describe() == (f"sequential order, {n} pairwise steps, {n * 64 * 64:.3g} multiply-adds, "
                               "largest intermediate 512.0 B, 1.6 MiB at most at once")


def test_the_net_of_a_chain_plans_vector_times_matrix_and_agrees_with_a_loop():
    n = 40
    net, (v, *mats) = chain_net(n)
    got = net.evaluate().array
    for m in mats:
        v = v @ m
    np.testing.assert_allclose(got, v, rtol=1e-12, atol=0)
    (plan,) = [p for k, p in net._plans.items() if k != "operands"]
    assert plan.program.cost == n * 64 * 64
    assert plan.program.largest[0] == 64 * 8


def test_a_net_with_hundreds_of_wires_never_meets_einsums_index_limit():
    """250 wires in one contraction: numpy.einsum alone refuses more than 52 indices."""
    rng = np.random.default_rng(1)
    Bit = FinSet("Bit", ["0", "1"])
    net = Net()
    net.add_box("start", Kernel([0.3, 0.7], [], [Bit]), [], ["w0"])
    mats = []
    for i in range(249):
        m = rng.dirichlet(np.ones(2), size=2)
        mats.append(m)
        net.add_box(f"k{i}", Kernel(m, [Bit], [Bit]), [f"w{i}"], [f"w{i + 1}"])
    net.add_box("effect", Kernel(np.ones(2), [Bit], [], name="effect"), ["w3"], [])
    net.set_outputs("w249", "w0")
    assert len(net.wires) == 250
    v = np.array([0.3, 0.7])
    joint = np.diag(v)
    for m in mats:
        joint = joint @ m
    np.testing.assert_allclose(net.evaluate().array, joint.T, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(net.evaluate(evidence={"w100": "1"}, outputs=("w0",)).array.sum(), 1.0)


def test_a_wire_read_twice_by_one_box_takes_the_diagonal():
    Bit = FinSet("Bit", ["0", "1"])
    prog = Program([(0,), (300, 0, 300)], (300,), {0: 2, 300: 3})  # labels beyond einsum's 52
    a, m = np.array([0.3, 0.7]), np.arange(18.0).reshape(3, 2, 3)
    np.testing.assert_allclose(prog(a, m), np.einsum("j,iji->i", a, m))
    net = Net()
    net.add_box("coin", Kernel([0.2, 0.8], [], [Bit]), [], ["x"])
    both = Kernel.deterministic(lambda a, b: "1" if a == b else "0", [Bit, Bit], [Bit], name="same")
    net.add_box("same", both, ["x", "x"], ["y"])
    net.set_outputs("y")
    np.testing.assert_allclose(net.evaluate().array, [0.0, 1.0])


# ----- memory guard -------------------------------------------------------------------
def test_memory_guard_counts_everything_alive_at_once(budget):
    budget(1024**2)
    with pytest.raises(ContractionTooLarge) as e:
        Program([(0,), (1,)], (0, 1), {0: 1000, 1: 1000}, names={0: "act", 1: "verdict"})
    # the two operands (2 x 8000 B) and the 8 MB result counted three times (normalised and weighted copies)
    assert (2000 + 3 * 1000 * 1000) * 8 == 24_016_000
    assert str(e.value) == (
        "contraction: needs 22.9 MiB at once (its largest array, over the wires act(1000), verdict(1000), is "
        "7.6 MiB), more than the memory budget of 1.0 MiB\n  fix: raise the budget: --max-memory 23MiB on the "
        "command line, or markovwire.set_memory_budget(24016000) in Python; or condition on or marginalise wires, "
        "or sweep fewer points at once")
    Program([(0,), (1,)], (0,), {0: 1000, 1: 1000})  # summing one out stays small


def test_memory_guard_through_a_net(budget):
    S = FinSet("S", [str(i) for i in range(300)])
    net = Net()
    net.add_box("a", Kernel(np.full(300, 1 / 300), [], [S]), [], ["left"])
    net.add_box("b", Kernel(np.full(300, 1 / 300), [], [S]), [], ["right"])
    net.set_outputs("left", "right")
    need = (2 * 300 + 3 * 300 * 300) * 8
    budget(need - 1)
    with pytest.raises(ContractionTooLarge, match=r"needs 2.1 MiB at once \(its largest array, over the wires "
                                                  r"left\(300\), right\(300\), is 703.1 KiB\)"):
        net.evaluate()
    budget(need)
    assert net.evaluate().array.shape == (300, 300)


def test_human_bytes():
    assert [human_bytes(b) for b in (0, 1023, 1024, 1536, 3 * 1024**3)] == ["0.0 B", "1023.0 B", "1.0 KiB",
                                                                            "1.5 KiB", "3.0 GiB"]
