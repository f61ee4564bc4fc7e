"""Batched kernels: a box holding n tables at once, evaluated in one contraction like a sweep of n points."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import (
    ContractionTooLarge,
    EvidenceError,
    FinSet,
    Kernel,
    Net,
    NotStochastic,
    Parameter,
    ShapeError,
    TypeMismatch,
)
from markovwire.analysis import Query, credal_bounds, sensitivities, tv_band, worst_case
from markovwire.episode import Episode

from strategies import brute_force, nets, stochastic

B = FinSet("Bit", ["0", "1"])
NOISE = np.array([[[0.9, 0.1], [0.2, 0.8]], [[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [0.5, 0.5]]])


def noisy_bit(tables=NOISE, prior=(0.3, 0.7)) -> Net:
    net = Net()
    net.add_box("prior", Kernel(list(prior), [], [B]), [], ["x"])
    net.add_box("noise", Kernel(tables, [B], [B], batch=len(tables)), ["x"], ["y"])
    net.set_outputs("y")
    return net


def with_table(net: Net, box: str, table: np.ndarray) -> Net:
    out = net.clone()
    out.boxes = [type(b)(b.name, Kernel(table, b.kernel.dom, b.kernel.cod), b.inputs, b.outputs) if b.name == box
                 else b for b in net.boxes]
    return out


# ----- a batch equals its tables one by one ---------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(nets(shape="dag", max_wires=5), st.integers(1, 3), st.data())
def test_a_batch_of_n_tables_equals_n_separate_evaluations(spec, n, data):
    net = spec.net
    if not net.boxes:
        return
    chosen = data.draw(st.lists(st.sampled_from([b.name for b in net.boxes]), min_size=1, max_size=2, unique=True))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    tables = {name: np.stack([stochastic(rng, net.box(name).kernel.shape_in, net.box(name).kernel.shape_out)
                              for _ in range(n)]) for name in chosen}
    batched = net.clone()
    batched.boxes = [type(b)(b.name, Kernel(tables[b.name], b.kernel.dom, b.kernel.cod, batch=n), b.inputs, b.outputs)
                     if b.name in tables else b for b in net.boxes]
    singles = []
    for i in range(n):
        one = net
        for name, t in tables.items():
            one = with_table(one, name, t[i])
        singles.append(one)
    expected = [brute_force(one, spec.outputs, spec.evidence) for one in singles]
    got = batched.probability(spec.evidence) if spec.evidence else None
    if spec.evidence:
        np.testing.assert_allclose(got, np.stack([pe for _, pe in expected]), rtol=0, atol=1e-12)
    if any(np.any(pe == 0) for _, pe in expected):
        with pytest.raises(EvidenceError, match="table .* of the batch"):
            batched.evaluate(evidence=spec.evidence, outputs=spec.outputs)
        return
    result = batched.evaluate(evidence=spec.evidence, outputs=spec.outputs)
    assert result.shape[0] == n
    for i, (joint, pe) in enumerate(expected):
        want = joint / pe.reshape(pe.shape + (1,) * (joint.ndim - pe.ndim))
        np.testing.assert_allclose(result[i], want, rtol=0, atol=1e-12)
        np.testing.assert_allclose(result[i], singles[i].evaluate(evidence=spec.evidence,
                                                                  outputs=spec.outputs).array, rtol=0, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(nets(shape="dag", max_wires=5, symbolic=True), st.integers(1, 3), st.data())
def test_a_batch_and_a_sweep_alongside_equal_each_point_with_its_table(spec, n, data):
    net = spec.net
    numeric = [b.name for b in net.boxes if not b.kernel.is_symbolic]
    if not numeric:
        return
    name = data.draw(st.sampled_from(numeric))
    swept = sorted({s.name for b in net.boxes if b.name != name for s in b.kernel.free_symbols})
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    k = net.box(name).kernel
    tables = np.stack([stochastic(rng, k.shape_in, k.shape_out, zeros=0) for _ in range(n)])
    values = {p: np.array(data.draw(st.lists(st.floats(0, 1), min_size=n, max_size=n))) for p in swept}
    batched = net.clone()
    batched.boxes = [type(b)(b.name, Kernel(tables, b.kernel.dom, b.kernel.cod, batch=n), b.inputs, b.outputs)
                     if b.name == name else b for b in net.boxes]
    got = batched.evaluate(values, evidence=spec.evidence, outputs=spec.outputs, normalize=False)
    assert got.shape[0] == n
    for i in range(n):  # P(outputs, evidence) by brute force, sharing no code with the evaluator
        joint, _ = brute_force(with_table(net, name, tables[i]), spec.outputs, spec.evidence,
                               {p: float(v[i]) for p, v in values.items()})
        np.testing.assert_allclose(got[i], joint, rtol=0, atol=1e-12)


def test_marginals_and_query_values_take_the_batch_axis():
    net = noisy_bit()
    marg = net.marginals()
    want = np.array([[0.3, 0.7] @ t for t in NOISE])
    np.testing.assert_allclose(marg["y"], want, rtol=1e-14)
    np.testing.assert_allclose(marg["x"], np.tile([0.3, 0.7], (3, 1)), rtol=1e-14)
    np.testing.assert_allclose(Query.probability({"y": "1"}).value(net), want[:, 1], rtol=1e-14)
    posterior = Query.probability({"x": "1"}, given={"y": "1"}).value(net)
    np.testing.assert_allclose(posterior, 0.7 * NOISE[:, 1, 1] / want[:, 1], rtol=1e-14)


def test_stack_builds_a_batch_and_indexing_takes_a_table_back():
    kernels = [Kernel(t, [B], [B], name="noise") for t in NOISE]
    batch = Kernel.stack(kernels)
    assert batch.batch == 3 and batch.array.shape == (3, 2, 2) and batch.shape_in == (2,)
    assert batch[2].allclose(kernels[2]) and batch[-1].name == "noise[2]"
    assert repr(batch) == "Kernel(noise: bit: Bit → bit: Bit; batch of 3)"


# ----- with a parameter sweep: one shared axis ------------------------------------------------------------------
def test_a_sweep_alongside_a_batch_gives_point_i_table_i():
    p = Parameter("p", (0, 1))
    net = noisy_bit()
    net.boxes = [type(b)(b.name, Kernel([1 - p.symbol, p.symbol], [], [B], params=[p]), b.inputs, b.outputs)
                 if b.name == "prior" else b for b in net.boxes]
    ps = np.array([0.1, 0.5, 0.8])
    got = net.evaluate({"p": ps})
    for i in range(3):
        np.testing.assert_allclose(got[i], np.array([1 - ps[i], ps[i]]) @ NOISE[i], rtol=1e-14)
    with pytest.raises(ShapeError) as e:
        net.evaluate({"p": np.array([0.1, 0.5])})
    assert e.value.place.box == "noise"
    assert "parameter arrays of shape (2,) meet the batch of 3 tables of box 'noise'" in str(e.value)
    assert "give each swept parameter 3 values, one per table" in e.value.fix
    with pytest.raises(ShapeError, match=r"shape \(3, 2\) meet the batch of 3"):
        net.evaluate({"p": np.full((3, 2), 0.1)})


def test_a_sweep_of_every_table_over_a_grid_by_repeating_them():
    """The documented way to a grid: repeat the tables and tile the values (point i·m + j: table i, value j)."""
    p = Parameter("p", (0, 1))
    ps = np.array([0.2, 0.9])
    net = Net()
    net.add_box("prior", Kernel([1 - p.symbol, p.symbol], [], [B], params=[p]), [], ["x"])
    net.add_box("noise", Kernel(np.repeat(NOISE, 2, axis=0), [B], [B], batch=6), ["x"], ["y"])
    net.set_outputs("y")
    got = net.evaluate({"p": np.tile(ps, 3)}).reshape(3, 2, 2)
    want = np.einsum("jx,ixy->ijy", np.stack([1 - ps, ps], axis=1), NOISE)
    np.testing.assert_allclose(got, want, rtol=1e-14)


# ----- errors -------------------------------------------------------------------------------------------------------
def test_each_table_is_checked_and_the_error_names_it():
    bad = NOISE.copy()
    bad[2, 1] = [0.5, 0.6]
    with pytest.raises(NotStochastic) as e:
        Kernel(bad, [B], [B], batch=3, name="noise")
    assert str(e.value).startswith("kernel 'noise', table 2 of the batch, row (bit=1): sums to 1.1, not 1")
    bad[1, 0] = [-0.5, 1.5]
    with pytest.raises(NotStochastic, match="table 1 of the batch, row \\(bit=0\\): has negative entry -0.5"):
        Kernel(bad, [B], [B], batch=3, name="noise")


@pytest.mark.parametrize("array, batch, message", [
    (NOISE, 2, r"batch=2 needs an array of shape \(2, 2, 2\) \(2 tables of \(2, 2\) stacked on a leading axis\), "
               r"not \(3, 2, 2\)"),
    (NOISE[0], 2, r"batch=2 needs an array of shape \(2, 2, 2\) .*, not \(2, 2\)"),
    (NOISE, 0, r"batch=0 is not a number of tables"),
    (NOISE, True, r"batch=True is not a number of tables"),
])
def test_a_batch_of_the_wrong_shape_is_refused(array, batch, message):
    with pytest.raises(ShapeError, match=message) as e:
        Kernel(array, [B], [B], batch=batch, name="noise")
    assert e.value.fix


def test_symbolic_tables_and_mixed_signatures_are_refused():
    p = Parameter("p", (0, 1))
    with pytest.raises(ShapeError, match="is a batch of tables with symbolic entries") as e:
        Kernel(np.array([[1 - p.symbol, p.symbol]] * 2, dtype=object), [], [B], params=[p], batch=2)
    assert "sweep the parameter" in e.value.fix
    C = FinSet("C", ["a", "b", "c"])
    with pytest.raises(TypeMismatch, match=r"kernel 1 .* signature I → c: C, not I → bit: Bit as kernel 0"):
        Kernel.stack([Kernel([0.5, 0.5], [], [B]), Kernel([0.2, 0.3, 0.5], [], [C])])
    with pytest.raises(ShapeError, match="has no kernels to stack"):
        Kernel.stack([])


def test_boxes_with_batches_of_different_lengths_are_refused():
    net = noisy_bit()
    net.add_box("echo", Kernel(NOISE[:2], [B], [B], batch=2), ["y"], ["z"])
    with pytest.raises(ShapeError) as e:
        net.evaluate()
    assert e.value.place.box == "echo"
    assert "is a batch of 2 tables but box 'noise' one of 3" in str(e.value)


def test_operations_on_one_table_refuse_a_batch():
    k = Kernel(NOISE, [B], [B], batch=3, name="noise")
    for op in (lambda: k.prob("1", bit="0"), lambda: k >> k, lambda: Kernel.uniform([B], [B]) @ k,
               lambda: k.marginal("bit"), lambda: k.condition(bit="1"), lambda: k.tv(k), lambda: k.entropy(),
               lambda: k.rows(), lambda: k.sample(1, bit="0")):
        with pytest.raises(ShapeError, match="is a batch of 3 tables; .* takes one table") as e:
            op()
        assert "kernel[i]" in e.value.fix
    assert "kernel[i] shows table i" in str(k)
    with pytest.raises(ShapeError, match="has no table 3"):
        k[3]
    with pytest.raises(ShapeError, match="is one table, not a batch"):
        k[0][0]


def test_analyses_that_search_the_nets_values_refuse_a_batch():
    p = Parameter("p", (0, 1), default=0.3)
    net = noisy_bit()
    net.boxes = [type(b)(b.name, Kernel([1 - p.symbol, p.symbol], [], [B], params=[p]), b.inputs, b.outputs)
                 if b.name == "prior" else b for b in net.boxes]
    q = Query.probability({"y": "1"})
    for run, what in ((lambda: credal_bounds(net, q, intervals={"p": (0.1, 0.5)}), "credal bounds"),
                      (lambda: tv_band(net, q, {"prior": 0.1}), "a robustness band"),
                      (lambda: worst_case(net, q, ["p"]), "a worst case over parameters"),
                      (lambda: sensitivities(net, q), "a sensitivity")):
        with pytest.raises(ShapeError, match=f"is a batch of 3 tables; {what} takes one table per box") as e:
            run()
        assert e.value.place.box == "noise"
    with pytest.raises(ShapeError, match="no symbolic evaluation"):
        net.evaluate(symbolic=True)


def test_an_episode_refuses_a_batch_in_its_step():
    step = Net()
    step.set_inputs("s", types=[B])
    step.add_box("flip", Kernel(NOISE, [B], [B], batch=3), ["s"], ["s2"])
    step.set_outputs("s2")
    with pytest.raises(ShapeError, match="box 'flip' is a batch of 3 tables; an episode's step takes one table"):
        Episode(step, [Kernel([0.5, 0.5], [], [B])], 3)


def test_zero_evidence_in_one_table_names_the_table():
    tables = NOISE.copy()
    tables[1] = [[1.0, 0.0], [1.0, 0.0]]  # y is never 1 with table 1
    net = noisy_bit(tables)
    with pytest.raises(EvidenceError, match=r"\(at sweep point 1, table 1 of the batch of box 'noise'\)"):
        net.evaluate(evidence={"y": "1"}, outputs=("x",))
    np.testing.assert_allclose(net.probability({"y": "1"}), [0.59, 0.0, 0.5], rtol=1e-14)


def test_a_batch_too_large_for_the_memory_budget_is_refused_before_it_is_contracted(budget):
    W = FinSet("W", [str(i) for i in range(512)])
    net = noisy_bit(np.tile(np.eye(2), (1000, 1, 1)))
    net.add_box("wide", Kernel(np.full((2, 512), 1 / 512), [B], [W]), ["y"], ["z"])
    net.set_outputs("z")
    budget(1 << 20)
    with pytest.raises(ContractionTooLarge) as e:
        net.evaluate()
    assert "over the wires batch of tables(1000), z(512), is 3.9 MiB), more than the memory budget of 1.0 MiB" \
        in str(e.value)
    assert "--max-memory 12MiB" in e.value.fix
