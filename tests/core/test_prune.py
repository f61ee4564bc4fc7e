"""Pruning (markovwire.prune): barren boxes dropped, evidence-only boxes contracted apart, no number changed."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import markovwire.net as net_module
from markovwire import EvidenceError, FinSet, Kernel, Net, Parameter
from markovwire.prune import requisite

from strategies import brute_force, nets, stochastic

TOL = 1e-12


def unpruned(fn):
    """``fn()`` with every box kept in one contraction (pruning switched off), on fresh plans."""
    with pytest.MonkeyPatch.context() as m:
        m.setattr(net_module, "requisite", lambda boxes, *a: (list(range(len(boxes))), []))
        return fn()


def plans(net):
    return [p for k, p in net._plans.items() if k != "operands"]


def chain(n: int, size: int = 8, seed: int = 0, side: int | None = None) -> Net:
    """A distribution through ``n`` kernels on ``S``; with ``side``, a box of ``side`` states reads the middle wire."""
    rng = np.random.default_rng(seed)
    S = FinSet("S", [f"s{i}" for i in range(size)])
    net = Net()
    net.add_box("start", Kernel(stochastic(rng, [], [size]), [], [S]), [], ["w0"])
    for i in range(n):
        net.add_box(f"k{i}", Kernel(stochastic(rng, [size], [size]), [S], [S]), [f"w{i}"], [f"w{i + 1}"])
    if side:
        T = FinSet("T", [f"t{i}" for i in range(side)])
        net.add_box("side", Kernel(stochastic(rng, [size], [side]), [S], [T]), [f"w{n // 2}"], ["side"])
    net.set_outputs(f"w{n}")
    return net


# ----- the algorithm ------------------------------------------------------------------------------------------------
def test_barren_boxes_go_repeatedly():
    """A box read only by a barren box becomes barren too."""
    boxes = [((), ("a",)), (("a",), ("b",)), (("b",), ("c",)), (("c",), ("d",)), (("a",), ("q",))]
    assert requisite(boxes, ["q"], []) == ([0, 4], [])


def test_a_collider_is_opened_only_by_evidence_on_it_or_below():
    # x -> c <- y, c -> d; query x
    boxes = [((), ("x",)), ((), ("y",)), (("x", "y"), ("c",)), (("c",), ("d",))]
    assert requisite(boxes, ["x"], []) == ([0], [])
    assert requisite(boxes, ["x"], ["d"]) == ([0, 1, 2, 3], [])
    assert requisite(boxes, ["x"], ["c"]) == ([0, 1, 2], [])


def test_outer_inputs_separate_like_evidence():
    boxes = [(("i",), ("a",)), (("i",), ("b",))]
    assert requisite(boxes, ["a"], [], fixed=["i"]) == ([0], [])
    assert requisite(boxes, ["a"], ["b"], fixed=["i"]) == ([0], [1])


# ----- no number changes ------------------------------------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(nets(shape="dag", max_wires=6), st.booleans())
def test_pruned_evaluation_equals_the_unpruned_one_and_brute_force(spec, normalize):
    net = spec.net
    joint, p_evidence = brute_force(net, spec.outputs, spec.evidence)
    run = lambda: net.clone().evaluate(evidence=spec.evidence, outputs=spec.outputs, normalize=normalize)
    if normalize and np.any(p_evidence == 0):
        with pytest.raises(EvidenceError, match="has probability zero under the net"):
            run()
        with pytest.raises(EvidenceError, match="has probability zero under the net"):
            unpruned(run)
        return
    got, reference = run(), unpruned(run)
    got, reference = (getattr(x, "array", x) for x in (got, reference))
    want = joint / p_evidence.reshape(p_evidence.shape + (1,) * (joint.ndim - p_evidence.ndim)) if normalize \
        else joint
    np.testing.assert_allclose(got, reference, rtol=0, atol=TOL)
    np.testing.assert_allclose(got, want, rtol=0, atol=TOL)


@settings(max_examples=30, deadline=None)
@given(nets(shape="dag", max_wires=6, evidence=True), st.integers(0, 2**32 - 1))
def test_boxes_left_out_of_the_query_do_not_move_it(spec, seed):
    """The meaning of pruning: any other tables in the boxes it leaves out give the same conditional answer."""
    net = spec.net
    joint, p_evidence = brute_force(net, spec.outputs, spec.evidence)
    if np.any(p_evidence == 0):
        return
    boxes = net.topological()
    kept, _ = requisite([(b.inputs, b.outputs) for b in boxes], spec.outputs, spec.evidence, net.inputs)
    rng = np.random.default_rng(seed)
    other = net.clone()
    redrawn = lambda k: Kernel(stochastic(rng, k.shape_in, k.shape_out, zeros=0), k.dom, k.cod)
    other.boxes = [b if k in kept else type(b)(b.name, redrawn(b.kernel), b.inputs, b.outputs)
                   for k, b in enumerate(boxes)]
    joint2, p2 = brute_force(other, spec.outputs, spec.evidence)
    expand = lambda p, j: p.reshape(p.shape + (1,) * (j.ndim - p.ndim))
    np.testing.assert_allclose(joint2 / expand(p2, joint2), joint / expand(p_evidence, joint), rtol=0, atol=1e-10)


def test_symbolic_evaluation_is_pruned_and_unchanged():
    p = Parameter("p", (0, 1))
    B = FinSet("B", ["0", "1"])
    net = Net()
    net.add_box("a", Kernel([1 - p.symbol, p.symbol], [], [B], params=[p]), [], ["a"])
    net.add_box("b", Kernel([[0.9, 0.1], [0.2, 0.8]], [B], [B]), ["a"], ["b"])
    net.add_box("c", Kernel([[0.5, 0.5], [0.3, 0.7]], [B], [B]), ["b"], ["c"])
    run = lambda: net.clone().evaluate(evidence={"b": "1"}, outputs=("c",), symbolic=True)
    assert run().allclose(unpruned(run))
    assert float(run().array[1]) == pytest.approx(0.7, abs=1e-15)  # p only weighs the evidence
    prob = lambda: net.clone().probability({"b": "1"}, {"p": 0.5})
    np.testing.assert_allclose(prob(), unpruned(prob), rtol=1e-15)


# ----- the cost ----------------------------------------------------------------------------------------------------
def test_a_side_box_on_the_middle_wire_costs_nothing():
    """P(last) of a chain with an unqueried side box: the same contraction as the chain alone."""
    alone, with_side = chain(20), chain(20, side=64)
    np.testing.assert_allclose(with_side.evaluate().array, alone.evaluate().array, rtol=1e-13, atol=0)
    (a,), (b,) = plans(alone), plans(with_side)
    assert b.program.cost == a.program.cost
    assert b.program.operands == a.program.operands and b.apart is None
    assert "side" not in {with_side.topological()[k].name for k in b.keep}


def test_evidence_on_the_middle_wire_sets_the_upstream_chain_apart():
    net = chain(10)
    got = net.evaluate(evidence={"w5": "s3"}, outputs=("w10",))
    (plan,) = plans(net)
    names = [b.name for b in net.topological()]
    assert [names[k] for k in plan.keep] == [f"k{i}" for i in range(5, 10)]
    assert [names[k] for k in plan.apart.keep] == ["start"] + [f"k{i}" for i in range(5)]
    assert plan.apart.program.output == ()  # one number: the probability of the evidence
    mats = [b.kernel.array for b in net.topological()[1:]]
    v = mats[5][3]
    for m in mats[6:]:
        v = v @ m
    np.testing.assert_allclose(got.array, v, rtol=1e-12, atol=0)


def test_impossible_evidence_in_the_part_set_apart_is_still_refused():
    B = FinSet("B", ["0", "1"])
    net = Net()
    net.add_box("a", Kernel([1.0, 0.0], [], [B]), [], ["a"])
    net.add_box("b", Kernel([[0.9, 0.1], [0.2, 0.8]], [B], [B]), ["a"], ["b"])
    with pytest.raises(EvidenceError, match="evidence a=1: has probability zero under the net"):
        net.evaluate(evidence={"a": "1"}, outputs=("b",))
    assert net.probability({"a": "1"}) == 0


def test_a_sweep_of_a_parameter_only_pruned_boxes_use_keeps_its_shape():
    p = Parameter("p", (0, 1))
    B = FinSet("B", ["0", "1"])
    net = Net()
    net.add_box("a", Kernel([0.3, 0.7], [], [B]), [], ["a"])
    net.add_box("side", Kernel([[1 - p.symbol, p.symbol]] * 2, [B], [B], params=[p]), ["a"], ["side"])
    net.add_box("upstream", Kernel([1 - p.symbol, p.symbol], [], [B], params=[p]), [], ["u"])
    net.add_box("b", Kernel([[[0.9, 0.1], [0.2, 0.8]], [[0.5, 0.5], [0.1, 0.9]]], [B, B], [B]), ["a", "u"], ["b"])
    net.set_outputs("a")
    ps = np.array([0.1, 0.5, 0.9])
    got = net.evaluate({"p": ps})  # p only in the barren side box
    assert got.shape == (3, 2)
    np.testing.assert_allclose(got, np.tile([0.3, 0.7], (3, 1)), rtol=0, atol=1e-15)
    # p in a box that only weighs the evidence: the answer is the same at every point, P(evidence) is not
    got = net.evaluate({"p": ps}, evidence={"u": "1"}, outputs=("a",))
    np.testing.assert_allclose(got, np.tile([0.3, 0.7], (3, 1)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(net.probability({"u": "1"}, {"p": ps}), ps, rtol=1e-15)
    with pytest.raises(EvidenceError, match=r"sweep point 0"):
        net.evaluate({"p": np.array([0.0, 0.5])}, evidence={"u": "1"}, outputs=("a",))
