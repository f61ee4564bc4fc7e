"""Nets: building, composing, checking (every problem, by message), evidence, sweeps and the memory guard."""
from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import given

from markovwire import (
    ContractionTooLarge,
    ErrorList,
    EvidenceError,
    FinSet,
    Kernel,
    MarkovwireError,
    Net,
    Parameter,
    ParameterError,
    TypeMismatch,
    UnknownName,
    WiringError,
    copy,
    identity,
)
from markovwire.net import NetBox

from strategies import finsets, kernel_of, seeds

Act = FinSet("Act", ["clean", "backdoor"])
Verdict = FinSet("Verdict", ["pass", "flag"])
Bit = FinSet("Bit", ["0", "1"])

beta = Parameter("beta", (0, 1), default=0.1)
recall = Parameter("recall", (0, 1), default=0.7)
policy = Kernel([1 - beta, beta], [], [Act], params=[beta], name="policy")
monitor = Kernel([[0.98, 0.02], [1 - recall, recall]], [Act], [Verdict], params=[recall], name="monitor")


def trusted_monitoring() -> Net:
    net = Net()
    net.add_box("policy", policy, [], ["act"])
    net.add_box("monitor", monitor, ["act"], ["verdict"])
    net.set_outputs("act", "verdict")
    return net


# ----- building ------------------------------------------------------------------------
def test_programmatic_build_and_evaluate():
    net = trusted_monitoring()
    assert net.wires == {"act": Act, "verdict": Verdict}
    assert [b.name for b in net.topological()] == ["policy", "monitor"]
    joint = net.evaluate({"beta": 0.2, "recall": 0.5})
    assert [p.name for p in joint.cod] == ["act", "verdict"]
    assert np.allclose(joint.array, [[0.8 * 0.98, 0.8 * 0.02], [0.2 * 0.5, 0.2 * 0.5]])
    assert np.allclose(net.evaluate().array, (policy >> copy(Act) >> (identity(Act) @ monitor)).subs().array)


def test_add_wire_and_box_errors():
    net = Net()
    net.add_wire("act", Act)
    with pytest.raises(TypeMismatch) as e:
        net.add_wire("act", Verdict)
    assert str(e.value) == "wire 'act': already has type Act, not Verdict\n  fix: give the new wire another name"
    net.add_box("policy", policy, [], ["act"])
    with pytest.raises(WiringError) as e:
        net.add_box("policy", policy, [], ["act2"])
    assert str(e.value) == "box 'policy': already exists\n  fix: give each box a distinct name"


def test_outer_inputs_and_rows():
    net = Net()
    net.set_inputs("act", types=[Act])
    net.add_box("monitor", monitor, ["act"], ["verdict"])
    net.set_outputs("verdict")
    k = net.evaluate({"recall": 0.6})
    assert [p.name for p in k.dom] == ["act"] and np.allclose(k.array, [[0.98, 0.02], [0.4, 0.6]])


def test_an_output_twice_is_a_copy_with_distinct_port_names():
    net = trusted_monitoring()
    k = net.evaluate(outputs=("verdict", "verdict"))
    assert [p.name for p in k.cod] == ["verdict", "verdict#2"]
    assert k.allclose(net.evaluate(outputs=("verdict",)) >> copy(Verdict))


def test_from_kernel_and_composition_of_nets_and_kernels():
    n = Net.from_kernel(monitor)
    assert n.inputs == ("act",) and n.outputs == ("monitor.verdict",)
    assert [b.name for b in n.boxes] == ["monitor"]
    at = {"beta": 0.3, "recall": 0.6}
    expected = (policy >> monitor).subs(at)
    for composite in (Net.from_kernel(policy) >> Net.from_kernel(monitor), Net.from_kernel(policy) >> monitor,
                      policy >> Net.from_kernel(monitor)):
        assert composite.evaluate(at).allclose(expected)
    side = policy @ Net.from_kernel(policy)
    assert [b.name for b in side.boxes] == ["policy", "policy#2"]
    assert side.evaluate({"beta": 0.3}).allclose((policy @ policy).subs({"beta": 0.3}))


@given(seeds, finsets(), finsets(), finsets(), finsets())
def test_net_composition_agrees_with_kernel_composition(seed, A, B, C, D):
    r = np.random.default_rng(seed)
    f, g, h = kernel_of(r, [A], [B], name="f"), kernel_of(r, [B], [C], name="g"), kernel_of(r, [C, D], [A], name="h")
    d = kernel_of(r, [], [D], name="d")
    net = ((Net.from_kernel(f) >> g) @ d) >> h
    assert net.evaluate().allclose((f >> g) @ d >> h)
    assert (Net.from_kernel(f) @ Net.from_kernel(f)).evaluate().allclose(f @ f)


def test_composition_type_errors():
    with pytest.raises(TypeMismatch) as e:
        Net.from_kernel(monitor) >> monitor
    assert str(e.value) == ("composition >>, wire 'monitor.verdict' into 'act': Verdict does not match Act\n"
                            "  fix: insert a converting box or fix the order of ports")
    with pytest.raises(TypeMismatch) as e:
        Net.from_kernel(policy) >> Net.from_kernel(policy)
    assert str(e.value) == ("composition >>: 1 output(s) feed 0 input(s)\n"
                            "  fix: compose nets whose outputs match the next inputs one for one")


def test_renamed_and_rename_wires():
    net = trusted_monitoring().renamed("audit")
    assert [b.name for b in net.boxes] == ["audit/policy", "audit/monitor"]
    assert net.outputs == ("audit/act", "audit/verdict")
    merged = trusted_monitoring().rename_wires({"verdict": "v"})
    assert set(merged.wires) == {"act", "v"} and merged.box("monitor").outputs == ("v",)
    with pytest.raises(UnknownName) as e:
        merged.box("judge")
    assert str(e.value) == "net: has no box 'judge'\n  fix: use one of: policy, monitor"


# ----- checking -----------------------------------------------------------------------
def broken_net() -> Net:
    judge = Kernel([[1.0, 0.0], [0.0, 1.0]], [Act], [Verdict], name="judge")
    net = Net()
    net.add_box("policy", policy, [], ["act"])
    net.add_box("monitor", monitor, ["verdict0"], ["verdict"])      # reads a wire nothing drives
    net.add_box("judge", judge, ["verdict"], ["ruling"])             # a Verdict wire into an Act port
    net.add_box("policy2", policy, [], ["act"])                      # a second driver of 'act'
    net.add_box("loop1", judge, ["x"], ["y"])
    net.add_box("loop2", Kernel(np.eye(2), [Verdict], [Act]), ["y"], ["x"])
    net.set_outputs("ruling", "missing")
    return net


def test_problems_reports_every_problem_at_once():
    messages = [str(e) for e in broken_net().problems()]
    assert messages == [
        "box 'judge', port 'act': wire 'verdict' carries Verdict but the port expects Act\n"
        "  fix: connect a wire of type Act to judge.act",
        "wire 'act': is driven by 2 sources: policy.act, policy2.act\n"
        "  fix: give each wire exactly one source; merge them with an explicit box",
        "wire 'verdict0': is read by monitor.act but nothing drives it\n"
        "  fix: connect an output or an outer input to it",
        "outer port 'missing': is not a wire of the net\n  fix: declare it with add_wire, or fix its name",
        "net: has a cycle through boxes loop1 → loop2 → loop1\n"
        "  fix: break the loop with a stateful box (a feedback wire through state)",
    ]
    kinds = [type(e) for e in broken_net().problems()]
    assert kinds == [TypeMismatch, WiringError, WiringError, UnknownName, WiringError]


def test_check_raises_them_together():
    with pytest.raises(ErrorList) as e:
        broken_net().evaluate()
    assert len(e.value.errors) == 5
    assert str(e.value).startswith("5 problem(s):\n- box 'judge', port 'act': wire 'verdict' carries Verdict but "
                                   "the port expects Act\n    fix: connect a wire of type Act to judge.act\n- wire")


def test_check_raises_a_single_problem_alone():
    net = trusted_monitoring()
    net.set_outputs("verdict", "nowhere")
    with pytest.raises(UnknownName) as e:
        net.check()
    assert str(e.value) == ("outer port 'nowhere': is not a wire of the net\n"
                            "  fix: declare it with add_wire, or fix its name")


def test_port_count_and_unknown_wire_problems():
    net = Net()
    net.add_box("policy", policy, [], ["act"])
    net.boxes = [*net.boxes, NetBox("ghost", monitor, ("act", "extra"), ("z",))]
    assert [str(e) for e in net.problems()] == [
        "box 'ghost': has 1 input port(s) but 2 wire(s) attached\n  fix: attach one wire per input port",
        "box 'ghost', port 'verdict': refers to unknown wire 'z'\n  fix: declare the wire or fix its name",
    ]


def test_a_self_loop_is_a_cycle():
    net = Net()
    net.add_box("echo", Kernel(np.eye(2), [Bit], [Bit]), ["b"], ["b"])
    assert [str(e) for e in net.problems()] == [
        "net: has a cycle through boxes echo → echo\n"
        "  fix: break the loop with a stateful box (a feedback wire through state)"]


def test_a_dangling_output():
    net = Net()
    net.add_wire("v", Verdict)
    net.set_outputs("v")
    assert [str(e) for e in net.problems()] == [
        "wire 'v': is read by the outer outputs but nothing drives it\n"
        "  fix: connect an output or an outer input to it"]


# ----- evidence ----------------------------------------------------------------------------
def test_evidence_by_hand():
    net = trusted_monitoring()
    post = net.evaluate({"beta": 0.1, "recall": 0.7}, evidence={"verdict": "flag"}, outputs=("act",))
    p_flag = 0.9 * 0.02 + 0.1 * 0.7
    assert np.allclose(post.array, [0.9 * 0.02 / p_flag, 0.1 * 0.7 / p_flag])
    assert np.isclose(net.probability({"verdict": "flag"}, {"beta": 0.1, "recall": 0.7}), p_flag)


def test_evidence_on_an_output_wire_keeps_its_axis():
    net = trusted_monitoring()
    k = net.evaluate(evidence={"verdict": "flag"})
    assert [p.name for p in k.cod] == ["act", "verdict"]
    assert np.allclose(k.array[:, 0], 0) and np.isclose(k.array.sum(), 1)


def test_evidence_errors():
    net = trusted_monitoring()
    with pytest.raises(EvidenceError) as e:
        net.evaluate(evidence={"verdikt": "flag"})
    assert str(e.value) == "evidence on 'verdikt': is not a wire of the net\n  fix: observe one of: act, verdict"
    with pytest.raises(EvidenceError) as e:
        net.evaluate(evidence={"verdict": "maybe"})
    assert str(e.value) == ("evidence on 'verdict': 'maybe' is not an element of Verdict\n"
                            "  fix: observe one of: pass, flag")
    inputs = Net.from_kernel(monitor)
    with pytest.raises(EvidenceError) as e:
        inputs.evaluate(evidence={"act": "clean"})
    assert str(e.value) == ("evidence on 'act': is an outer input, not a random wire\n"
                            "  fix: give the input's value as the kernel's argument (row) instead")
    with pytest.raises(UnknownName) as e:
        net.evaluate(outputs=("ruling",))
    assert str(e.value) == "output 'ruling': is not a wire of the net\n  fix: choose among: act, verdict"


def test_zero_probability_evidence():
    net = trusted_monitoring()
    with pytest.raises(EvidenceError) as e:
        net.evaluate({"beta": 0.0, "recall": 1.0}, evidence={"verdict": "flag", "act": "backdoor"})
    assert str(e.value) == ("evidence verdict=flag, act=backdoor: has probability zero under the net\n"
                            "  fix: condition on observations the proposal can produce")
    assert net.probability({"verdict": "flag", "act": "backdoor"}, {"beta": 0.0}) == 0.0


def test_zero_probability_evidence_names_the_input_row_and_sweep_point():
    net = Net.from_kernel(Kernel([[1.0, 0.0], [1 - recall, recall]], [Act], [Verdict], params=[recall], name="m"))
    with pytest.raises(EvidenceError) as e:
        net.evaluate({"recall": 0.5}, evidence={"m.verdict": "flag"})
    assert str(e.value) == ("evidence m.verdict=flag: has probability zero under the net (at act=clean)\n"
                            "  fix: condition on observations the proposal can produce")
    solo = trusted_monitoring()
    with pytest.raises(EvidenceError) as e:
        solo.sweep({"beta": [0.5, 0.0], "recall": [0.5, 1.0]}, evidence={"act": "backdoor"})
    assert str(e.value) == ("evidence act=backdoor: has probability zero under the net (at sweep point (1, 0))\n"
                            "  fix: condition on observations the proposal can produce")


# ----- parameters, symbolic evaluation and sweeps ---------------------------------------------
def test_symbolic_evaluation():
    net = trusted_monitoring()
    k = net.evaluate(symbolic=True, outputs=("verdict",))
    b, r = beta.symbol, recall.symbol
    assert sympy.expand(k.prob("flag") - ((1 - b) * sympy.Rational(1, 50) + b * r)) == 0
    post = net.evaluate(symbolic=True, evidence={"verdict": "flag"}, outputs=("act",))
    value = float(post.prob("backdoor").subs({b: 0.1, r: 0.7}))
    assert np.isclose(value, net.evaluate({"beta": 0.1, "recall": 0.7}, evidence={"verdict": "flag"},
                                          outputs=("act",)).prob("backdoor"))


def test_parameter_errors_in_evaluation():
    net = trusted_monitoring()
    with pytest.raises(ParameterError) as e:
        net.evaluate({"recal": 0.5})
    assert str(e.value) == ("net evaluation: unknown parameter 'recal'\n"
                            "  fix: use one of the declared parameters: beta, recall")
    with pytest.raises(ParameterError) as e:
        net.evaluate({"recall": 1.5})
    assert str(e.value) == "parameter 'recall': value 1.5 is outside its domain [0, 1]\n  fix: choose a value in [0, 1]"
    with pytest.raises(MarkovwireError) as e:
        net.evaluate({"recall": np.array([0.1, 0.2]), "beta": np.array([0.1, 0.2, 0.3])})
    assert str(e.value) == ("sweep: parameter arrays have different shapes [(2,), (3,)]\n"
                            "  fix: give all swept parameters arrays of one length (or use Net.sweep for a grid)")


def test_sweep_grid_and_arrays_against_single_evaluations():
    net = trusted_monitoring()
    betas, recalls = [0.0, 0.1, 0.5], [0.2, 0.9]
    grid = net.sweep({"beta": betas, "recall": recalls}, outputs=("verdict",))
    assert grid.shape == (3, 2, 2)
    for i, b in enumerate(betas):
        for j, r in enumerate(recalls):
            assert np.allclose(grid[i, j], net.evaluate({"beta": b, "recall": r}, outputs=("verdict",)).array)
    arrays = net.evaluate({"beta": np.array(betas)}, outputs=("verdict",))  # recall at its default
    assert arrays.shape == (3, 2)
    assert np.allclose(arrays, [net.evaluate({"beta": b}, outputs=("verdict",)).array for b in betas])
    twod = net.probability({"verdict": "flag"}, {"beta": np.array([[0.1, 0.2, 0.3]] * 2)})
    assert twod.shape == (2, 3) and np.allclose(twod[1], [net.probability({"verdict": "flag"}, {"beta": b})
                                                          for b in (0.1, 0.2, 0.3)])


def test_sweeping_a_parameter_no_box_uses_gives_a_constant_axis():
    unused = Parameter("unused", (0, 1), default=0.5)
    k = Kernel([0.25, 0.75], [], [Bit], params=[unused], name="k")
    net = Net.from_kernel(k)
    swept = net.sweep({"unused": [0.1, 0.2, 0.3]})
    assert swept.shape == (3, 2) and np.allclose(swept, [0.25, 0.75])


# ----- memory guard --------------------------------------------------------------------------
def test_memory_guard_names_the_wires_and_the_size(budget):
    A = FinSet("A", range(50))
    net = Net()
    net.add_box("src", Kernel.uniform([A, A]), [], ["x", "y"])
    net.add_box("f", Kernel.uniform([A, A], [A]), ["x"], ["z", "u"])
    net.set_outputs("x", "y", "z")
    budget(10_000)
    with pytest.raises(ContractionTooLarge) as e:
        net.evaluate()
    assert str(e.value) == (
        "contraction: needs 3.8 MiB at once (its largest array, over the wires x(50), y(50), z(50), is 976.6 KiB), "
        "more than the memory budget of 9.8 KiB\n  fix: raise the budget: --max-memory 4MiB on the command line, or "
        "markovwire.set_memory_budget(4020000) in Python; or condition on or marginalise wires, or sweep fewer "
        "points at once")
    budget(10**9)
    assert net.evaluate().array.shape == (50, 50, 50)


def test_many_wires_exceed_einsums_52_index_limit():
    net = Net()
    net.add_box("b0", Kernel([0.5, 0.5], [], [Bit]), [], ["w0"])
    flip = Kernel([[0.9, 0.1], [0.1, 0.9]], [Bit], [Bit])
    for i in range(1, 80):
        net.add_box(f"b{i}", flip, [f"w{i - 1}"], [f"w{i}"])
    net.set_outputs("w0", "w79")
    k = net.evaluate()
    chain = np.linalg.matrix_power(flip.array, 79)
    assert np.allclose(k.array, 0.5 * chain)
