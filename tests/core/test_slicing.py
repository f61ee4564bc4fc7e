"""Sliced contraction: a plan that does not fit the memory budget runs in slices and gives the same numbers.

The reference is the same contraction planned under the default budget (unsliced), and for nets the
brute-force enumeration of :mod:`strategies`, which shares no code with the evaluator.
"""
from __future__ import annotations

import itertools
import math
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import ContractionTooLarge, FinSet, Kernel, Net, memory_budget, set_memory_budget
from markovwire.contract import RESULT_COPIES, Program, _cotengra_slices

from strategies import brute_force, mixing_parameters, nets, symbolic_kernel_of


@contextmanager
def memory(nbytes: float):
    old = set_memory_budget(int(nbytes))
    try:
        yield
    finally:
        set_memory_budget(old)


def floor(ops, out, sizes) -> int:
    """The least any slicing can need at once: the whole operands and the whole result, in bytes."""
    held = sum(math.prod(sizes[i] for i in dict.fromkeys(op)) for op in ops)
    return (held + RESULT_COPIES * math.prod(sizes[i] for i in out)) * 8


@st.composite
def einsums(draw):
    """A random einsum over up to 7 indices of 2–5 values: operands of 1–3 indices (repeats allowed), an output."""
    n = draw(st.integers(2, 7))
    sizes = {i: draw(st.integers(2, 5)) for i in range(n)}
    index = st.integers(0, n - 1)
    ops = draw(st.lists(st.lists(index, min_size=1, max_size=3).map(tuple), min_size=2, max_size=7))
    used = sorted({i for op in ops for i in op})
    out = tuple(draw(st.lists(st.sampled_from(used), max_size=2, unique=True)))
    return ops, out, sizes, draw(st.integers(0, 2**32 - 1))


def grid_net(k: int, d: int, swept: bool = False) -> Net:
    """A k x k grid of d-valued wires, each box reading its upper and left neighbours (its front is d**k wide)."""
    rng = np.random.default_rng(7)
    T = FinSet("T", [str(v) for v in range(d)])
    net = Net()
    for i, j in itertools.product(range(k), range(k)):
        parents = [f"g{a}_{b}" for a, b in ((i - 1, j), (i, j - 1)) if a >= 0 and b >= 0]
        if swept and i == j == k - 1:
            kernel = symbolic_kernel_of(rng, [T] * len(parents), [T], mixing_parameters()[0])
        else:
            table = rng.random((d,) * len(parents) + (d,)) + 0.1
            kernel = Kernel(table / table.sum(-1, keepdims=True), [T] * len(parents), [T])
        net.add_box(f"g{i}_{j}", kernel, parents, [f"g{i}_{j}"])
    net.set_outputs(f"g{k - 1}_{k - 1}")
    return net


def program_of(net: Net):
    (plan,) = [p for key, p in net._plans.items() if key not in ("operands",) and hasattr(p, "program")]
    return plan.program


# ----- programs ----------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(einsums())
def test_slices_sum_to_the_whole_contraction(case):
    ops, out, sizes, seed = case
    rng = np.random.default_rng(seed)
    arrays = [rng.random(tuple(sizes[i] for i in op)) for op in ops]
    whole = Program(ops, out, sizes)
    expected = whole(*arrays)
    low = floor(ops, out, sizes)
    if whole.peak <= low:
        return  # nothing to slice: the operands and the result are all it holds
    with memory((whole.peak + low) // 2):
        try:
            sliced = Program(ops, out, sizes)
        except ContractionTooLarge as e:
            assert "more than the memory budget" in str(e)
            return
        assert sliced.sliced and sliced.peak <= memory_budget() < whole.peak
        assert sliced.nslices == math.prod(sizes[i] for i in sliced.sliced)
        np.testing.assert_allclose(sliced(*arrays), expected, rtol=1e-12, atol=1e-12)
        # the pieces, as another engine would run them: each slice added where it goes
        parts = np.zeros_like(expected)
        for key in sliced.slices():
            parts[sliced.place(key)] += sliced.run_slice(key, arrays)
        np.testing.assert_allclose(parts, expected, rtol=1e-12, atol=1e-12)


def test_a_sliced_output_index_writes_its_own_part_of_the_result():
    # a 40 x 40 x 40 intermediate over (0, 1, 2) feeds an output over 0: slicing 0 splits the result too
    sizes = {0: 40, 1: 40, 2: 40}
    ops, out = [(0, 1), (0, 2), (1, 2)], (0,)
    rng = np.random.default_rng(0)
    arrays = [rng.random((40, 40)) for _ in ops]
    expected = np.einsum("ab,ac,bc->a", *arrays)
    with memory(floor(ops, out, sizes) + 30_000):
        prog = Program(ops, out, sizes, strategy="sequential")
        assert prog.sliced == (0,), prog.describe()
        assert "slices over" in prog.describe()
        assert 0 in prog.sliced and {prog.place(k)[0] for k in prog.slices()} == set(range(40))
        np.testing.assert_allclose(prog(*arrays), expected, rtol=1e-12)


def test_a_program_unslices_when_the_budget_grows_and_reslices_when_it_shrinks():
    sizes = {0: 40, 1: 40, 2: 40, 3: 40}
    ops = [(0, 1), (1, 2), (2, 3), (0, 3)]
    arrays = [np.full((40, 40), 1 / 40) for _ in ops]
    prog = Program(ops, (), sizes)
    whole = prog.peak
    with memory(floor(ops, (), sizes) + 4000):
        prog.check()
        assert prog.sliced and prog.peak <= memory_budget()
        np.testing.assert_allclose(prog(*arrays), 1.0)
    prog.check()
    assert not prog.sliced and prog.peak == whole


def test_the_operands_alone_over_the_budget_are_refused_as_before():
    sizes = {0: 1000, 1: 1000}
    with memory(1024**2), pytest.raises(ContractionTooLarge, match="more than the memory budget of 1.0 MiB"):
        Program([(0, 1), (1,)], (), sizes)


def test_slices_past_the_cost_budget_say_by_how_much_and_how_to_raise_either_budget(cost):
    net = grid_net(5, 4)
    net.evaluate()
    whole = program_of(net)
    with memory(whole.peak // 2):
        sliced = net.evaluate()
        program = program_of(net)
        assert program.sliced
        cost(program.work / 2)
        with pytest.raises(ContractionTooLarge) as e:
            net.evaluate()
    msg = str(e.value)
    assert f"in {program.nslices:,} slices (over" in msg and "it fits, but needs" in msg
    assert "2x the cost budget" in msg, msg
    assert "--max-cost" in e.value.fix and "markovwire.set_cost_budget(" in e.value.fix
    assert "Limits (Ctrl+K) in the UI" in e.value.fix
    assert "--max-memory" in e.value.fix and "so that it runs whole" in e.value.fix
    np.testing.assert_allclose(sliced.array, net.evaluate().array, rtol=1e-12)


# ----- nets --------------------------------------------------------------------------------
def test_a_grid_answered_in_slices_equals_the_whole_contraction():
    net = grid_net(5, 4)
    expected = net.evaluate().array
    whole = program_of(net)
    assert not whole.sliced
    peak = whole.peak
    with memory(peak // 2):
        got = net.evaluate().array
        prog = program_of(net)   # the same program, sliced now that the budget is lower
        assert prog.sliced and prog.peak <= peak // 2
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got.sum(), 1.0)


def test_a_batched_evaluation_in_slices_equals_the_unsliced_one():
    net = grid_net(4, 4, swept=True)
    values = {"p": np.linspace(0, 1, 9)}   # one contraction with a batch index of 9
    expected = net.evaluate(values)
    prog = program_of(net)
    with memory((prog.peak + floor(prog.operands, prog.output, prog.sizes)) // 2):
        got = net.evaluate(values)
        assert program_of(net).sliced
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    np.testing.assert_allclose(got.sum(-1), 1.0)


@settings(max_examples=30, deadline=None)
@given(nets(shape="dag", max_wires=7))
def test_random_nets_in_slices_agree_with_brute_force(spec):
    joint, p_evidence = brute_force(spec.net, spec.outputs, spec.evidence)
    if np.any(p_evidence == 0):
        return
    spec.net.evaluate(evidence=spec.evidence, outputs=spec.outputs)
    plans = [p.program for key, p in spec.net._plans.items() if key != "operands"]
    whole = plans[0]
    low = floor(whole.operands, whole.output, whole.sizes)
    with memory(max(low, whole.peak - 8)):
        try:
            got = spec.net.evaluate(evidence=spec.evidence, outputs=spec.outputs).array
        except ContractionTooLarge as e:  # not even slices fit: the budget's message
            assert "more than the memory budget" in str(e)
            return
    expected = joint / p_evidence.reshape(p_evidence.shape + (1,) * (joint.ndim - p_evidence.ndim))
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-12)


def test_cotengra_finds_slices_that_fit_and_give_the_same_numbers():
    pytest.importorskip("cotengra")
    k = 6
    ops = [((i, j), (i + 1, j)) for i in range(k - 1) for j in range(k)] + \
          [((i, j), (i, j + 1)) for i in range(k) for j in range(k - 1)]
    ids = {v: n for n, v in enumerate(sorted({v for op in ops for v in op}))}
    ops = [tuple(ids[v] for v in op) for op in ops]
    sizes = dict.fromkeys(ids.values(), 3)
    rng = np.random.default_rng(1)
    arrays = [rng.random((3, 3)) for _ in ops]
    whole = Program(ops, (), sizes)
    expected = whole(*arrays)
    found = _cotengra_slices(whole, whole.peak * 0.6 / 8)
    assert found is not None
    path, stats, strategy, sliced = found
    assert sliced and stats[2] <= whole.peak * 0.6 / 8
    whole._use(path, stats, strategy, sliced)
    np.testing.assert_allclose(whole(*arrays), expected, rtol=1e-10)
