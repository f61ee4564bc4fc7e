"""Queries on nets: events, expectations, evidence, sweeps, inputs, symbolic values, round trips."""
import numpy as np
import pytest
import sympy

from markovwire import EvidenceError, Kernel, Net, ShapeError, UnknownName
from markovwire.analysis import Query

from analysis_helpers import ACT, VERDICT, monitor_net


def test_probability_of_an_event_matches_the_closed_form():
    net = monitor_net()
    # P(flag) = (1 - beta) * 0.05 + beta * r
    assert Query.probability({"verdict": "flag"}).value(net) == pytest.approx(0.9 * 0.05 + 0.1 * 0.7)
    both = Query.probability({"act": "attack", "verdict": ["pass", "flag"]})
    assert both.value(net, {"beta": 0.3}) == pytest.approx(0.3)


def test_event_as_label_tuples_equals_the_predicate_form():
    net = monitor_net()
    tuples = Query.probability({("attack", "pass"), ("clean", "flag")}, wires=["act", "verdict"])
    expected = 0.1 * 0.3 + 0.9 * 0.05
    assert tuples.value(net) == pytest.approx(expected)


def test_expectation_of_a_table_with_default():
    net = monitor_net()
    cost = Query.expectation(["act", "verdict"], {("attack", "pass"): 100.0}, default=1.0)
    p_missed = 0.1 * 0.3
    assert cost.value(net) == pytest.approx(100 * p_missed + (1 - p_missed))
    assert cost.range(net) == (1.0, 100.0)
    one_wire = Query.expectation("verdict", {"flag": 2.0})
    assert one_wire.value(net) == pytest.approx(2 * (0.9 * 0.05 + 0.1 * 0.7))


def test_conditioning_is_bayes_rule():
    net = monitor_net()
    q = Query.probability({"act": "attack"}, given={"verdict": "flag"})
    assert q.value(net) == pytest.approx(0.1 * 0.7 / (0.9 * 0.05 + 0.1 * 0.7))
    assert q == Query.probability({"act": "attack"}).conditioned(verdict="flag")


def test_a_sweep_is_one_call_with_the_broadcast_shape():
    net = monitor_net()
    q = Query.probability({"verdict": "flag"})
    beta = np.linspace(0, 1, 5)[:, None]
    r = np.array([0.2, 0.9])
    out = q.value(net, {"beta": beta, "r": r})
    assert out.shape == (5, 2)
    np.testing.assert_allclose(out, (1 - beta) * 0.05 + beta * r)
    const = Query.probability({"verdict": "flag"}).value(net, {"beta": np.array([0.1, 0.1, 0.1]), "r": 0.7})
    np.testing.assert_allclose(const, [0.115] * 3)


def test_impossible_evidence_is_an_error_at_a_point_and_nan_in_a_sweep():
    net = monitor_net()
    q = Query.probability({"verdict": "flag"}, given={"act": "attack"})
    with pytest.raises(EvidenceError, match="the evidence has probability zero under the net"):
        q.value(net, {"beta": 0.0})
    out = q.value(net, {"beta": np.array([0.0, 0.5])})
    assert np.isnan(out[0]) and out[1] == pytest.approx(0.7)


def test_symbolic_value_is_the_polynomial():
    net = monitor_net()
    beta, r = net.params["beta"].symbol, net.params["r"].symbol
    expr = Query.probability({"verdict": "flag"}).value(net, symbolic=True)
    assert sympy.simplify(expr - ((1 - beta) * sympy.Rational(1, 20) + beta * r)) == 0
    partly = Query.probability({"verdict": "flag"}).value(net, {"r": 0.5}, symbolic=True)
    assert sympy.simplify(partly - ((1 - beta) * 0.05 + beta * 0.5)) == 0
    cond = Query.probability({"act": "attack"}, given={"verdict": "flag"}).value(net, symbolic=True)
    assert float(cond.subs({beta: 0.1, r: 0.7})) == pytest.approx(0.07 / 0.115)


def test_outer_inputs_are_fixed_by_at_or_kept_as_axes():
    monitor = Kernel([[0.95, 0.05], [0.3, 0.7]], [ACT], [VERDICT])
    net = Net.from_kernel(monitor, "monitor")
    (out,) = net.outputs
    q = Query.probability({out: "flag"})
    np.testing.assert_allclose(q.value(net), [0.05, 0.7])
    assert Query.probability({out: "flag"}, at={"act": "attack"}).value(net) == pytest.approx(0.7)
    with pytest.raises(UnknownName, match="fixes 'verdict', which is not an outer input"):
        Query.probability({out: "flag"}, at={"verdict": "pass"}).value(net)


def test_errors_name_the_query_and_the_fix():
    net = monitor_net()
    with pytest.raises(UnknownName, match=r"wire 'verdit' is not a wire of the net\n  fix: use one of: act, verdict"):
        Query.probability({"verdit": "flag"}).value(net)
    with pytest.raises(UnknownName, match="type Verdict has no label 'flagged'"):
        Query.probability({"verdict": "flagged"}).value(net)
    with pytest.raises(ShapeError, match="needs wires="):
        Query.probability({("a", "b")})
    with pytest.raises(ShapeError, match=r"label tuple \('a',\) has 1 label\(s\) for 2 wire\(s\)"):
        Query.probability({("a",)}, wires=["x", "y"])


def test_text_and_dict_round_trip():
    q = Query.probability({"outcome": ["catastrophe", "breach"]}, given={"audit": "pass"})
    assert str(q) == "P(outcome∈{catastrophe, breach} | audit=pass)"
    e = Query.expectation(["a", "b"], {("x", "y"): 2.5}, default=-1, name="cost")
    t = Query.probability({("x", "y")}, wires=["a", "b"], at={"in": "z"})
    for query in (q, e, t):
        assert Query.from_dict(query.to_dict()) == query
    assert str(e) == "cost"
    assert str(t) == "P((a, b)∈{(x, y)} | in=z)"
    with pytest.raises(ShapeError, match="unknown kind 'mean'"):
        Query.from_dict({"kind": "mean"})


def test_against_brute_force_joint(make_random_net):
    rng = np.random.default_rng(7)
    for _ in range(10):
        net = make_random_net(rng, n_boxes=4)
        wires = list(net.outputs)
        joint = net.joint()
        names = [p.name for p in joint.cod]
        a, b = wires[0], wires[-1]
        table = {(x, y): float(rng.normal()) for x in net.wires[a].elements for y in net.wires[b].elements}
        q = Query.expectation([a, b], table)
        arr = np.asarray(joint.array)
        expect = 0.0
        for idx in np.ndindex(arr.shape):
            labels = dict(zip(names, (joint.cod[i].type.elements[j] for i, j in enumerate(idx))))
            expect += arr[idx] * table[(labels[a], labels[b])]
        assert q.value(net) == pytest.approx(expect, abs=1e-12)


def test_evidence_on_the_queried_wire_and_inputs_fixed_in_a_sweep():
    net = monitor_net()
    same = Query.probability({"verdict": "flag"}, given={"verdict": "flag"})
    assert same.value(net) == pytest.approx(1.0)
    assert Query.probability({"verdict": "pass"}, given={"verdict": "flag"}).value(net) == 0.0
    r = type(net.params["r"])("r", (0, 1), default=0.7)
    monitor = Kernel([[0.95, 0.05], [1 - r, r]], [ACT], [VERDICT], params=[r])
    open_net = Net.from_kernel(monitor, "monitor")
    q = Query.probability({open_net.outputs[0]: "flag"}, at={"act": "attack"})
    np.testing.assert_allclose(q.value(open_net, {"r": np.array([0.1, 0.5, 0.9])}), [0.1, 0.5, 0.9])
