"""Nets: every change invalidates what was cached, orders without recursion, long chains, one meaning per name."""
from __future__ import annotations

import numpy as np
import opt_einsum
import pytest

from markovwire import ErrorList, FinSet, Kernel, Net, TypeMismatch, WiringError
from markovwire.contract import SEARCH_LIMIT, Program
from markovwire.net import NetBox

Act = FinSet("Act", ["clean", "backdoor"])
Verdict = FinSet("Verdict", ["pass", "flag"])
Bit = FinSet("Bit", ["0", "1"])
FLIP = np.array([[0.9, 0.1], [0.2, 0.8]])

policy = Kernel([0.9, 0.1], [], [Act], name="policy")
monitor = Kernel([[0.98, 0.02], [0.3, 0.7]], [Act], [Verdict], name="monitor")


def monitored() -> Net:
    net = Net()
    net.add_box("policy", policy, [], ["act"])
    net.add_box("monitor", monitor, ["act"], ["verdict"])
    net.set_outputs("verdict")
    return net


def p_flag(net: Net) -> float:
    return float(net.evaluate().array[1])


# ----- every way to change a net invalidates its check and plans ----------------------------------
def test_replacing_a_box_gives_the_new_answer_though_the_counts_are_unchanged():
    net = monitored()
    assert p_flag(net) == pytest.approx(0.9 * 0.02 + 0.1 * 0.7)
    honest = Kernel([1.0, 0.0], [], [Act], name="honest")
    net.boxes = [NetBox("policy", honest, (), ("act",)), net.boxes[1]]   # same numbers of boxes and wires
    assert p_flag(net) == pytest.approx(0.02)
    assert net.marginals()["verdict"][1] == pytest.approx(0.02)


def test_the_structure_cannot_be_changed_behind_the_nets_back():
    net = monitored()
    p_flag(net)
    with pytest.raises(TypeError):
        net.boxes[0] = NetBox("policy", policy, (), ("act",))
    with pytest.raises(AttributeError):
        net.boxes.append(NetBox("other", policy, (), ("x",)))
    with pytest.raises(TypeError):
        net.wires["act"] = Verdict
    assert p_flag(net) == pytest.approx(0.9 * 0.02 + 0.1 * 0.7)


def test_changing_a_wire_type_is_checked_again():
    net = monitored()
    net.check()
    net.wires = {**net.wires, "act": Verdict}
    with pytest.raises(ErrorList) as e:
        net.evaluate()
    assert {type(x) for x in e.value.errors} == {TypeMismatch}
    assert [str(x).splitlines()[0] for x in e.value.errors] == [
        f"box {b!r}, port 'act': wire 'act' carries Verdict but the port expects Act" for b in ("policy", "monitor")]


@pytest.mark.parametrize("change", ["set_outputs", "outputs", "add_box", "set_inputs", "inputs", "add_wire"])
def test_each_way_to_change_a_net_bumps_its_version_and_gives_a_new_result(change):
    net = monitored()
    before, version = net.evaluate(), net.version
    if change == "set_outputs":
        net.set_outputs("act")
    elif change == "outputs":
        net.outputs = ("verdict", "act")
    elif change == "add_box":
        net.add_box("audit", Kernel([[1.0, 0.0], [0.5, 0.5]], [Verdict], [Bit]), ["verdict"], ["caught"])
        net.set_outputs("caught")
    elif change in ("set_inputs", "inputs"):
        net = Net()
        net.add_box("monitor", monitor, ["act"], ["verdict"])
        net.set_inputs("act")
        net.set_outputs("verdict")
        before, version = net.evaluate(), net.version
        net.add_wire("spare", Bit)
        if change == "set_inputs":
            net.set_inputs("act", "spare")
        else:
            net.inputs = ("act", "spare")
    else:
        net.add_wire("spare", Bit)
        assert net.version > version
        net.set_outputs("verdict", "spare")   # a declared wire nothing drives
        with pytest.raises(WiringError, match="'spare': is read by the outer outputs but nothing drives it"):
            net.evaluate()
        return
    assert net.version > version
    after = net.evaluate()
    assert after.array.shape != before.array.shape or not np.allclose(after.array, before.array)


def test_a_clone_changes_apart_from_its_original():
    net = monitored()
    p = p_flag(net)
    other = net.clone()
    other.boxes = [NetBox("policy", Kernel([0.0, 1.0], [], [Act]), (), ("act",)), *other.boxes[1:]]
    assert p_flag(other) == pytest.approx(0.7) and p_flag(net) == pytest.approx(p)


def test_one_meaning_per_name():
    """``copy`` is the Markov copy map and ``substitute`` substitutes parameters; a net's own verbs differ."""
    assert not hasattr(Net, "copy") and not hasattr(Net, "substitute")
    merged = monitored().rename_wires({"verdict": "v"})
    assert merged.outputs == ("v",) and merged.box("monitor").outputs == ("v",)


def test_boxes_given_one_name_twice_are_a_problem():
    net = monitored()
    net.boxes = [*net.boxes, NetBox("monitor", monitor, ("act",), ("again",))]
    assert "box 'monitor': is the name of 2 boxes" in [str(e).splitlines()[0] for e in net.problems()]
    assert net.box("monitor").outputs == ("verdict",)   # the first of them


# ----- orders and cycles without recursion ------------------------------------------------------
def chain(n: int, consumer_first: bool = False) -> Net:
    """A fair bit pushed through ``n`` noisy copies; box ``k{i}`` reads ``w{i}`` and drives ``w{i+1}``."""
    net = Net()
    flip = Kernel(FLIP, [Bit], [Bit])
    net.add_box("start", Kernel([0.5, 0.5], [], [Bit]), [], ["w0"])
    for i in (range(n - 1, -1, -1) if consumer_first else range(n)):
        net.add_box(f"k{i}", flip, [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs(f"w{n}")
    return net


def test_topological_order_keeps_the_order_of_addition_when_it_already_is_one():
    net = Net()
    net.add_box("a", policy, [], ["x"])
    net.add_box("b", policy, [], ["y"])
    net.add_box("c", monitor, ["x"], ["z"])
    assert [b.name for b in net.topological()] == ["a", "b", "c"]
    assert [b.name for b in chain(5, consumer_first=True).topological()] == ["start"] + [f"k{i}" for i in range(5)]


def test_a_long_cycle_is_named_box_by_box_without_recursion():
    n = 3000
    net = Net()
    flip = Kernel(FLIP, [Bit], [Bit])
    for i in range(n):
        net.add_box(f"k{i}", flip, [f"w{i}"], [f"w{(i + 1) % n}"])
    (problem,) = net.problems()
    names = str(problem).splitlines()[0].removeprefix("net: has a cycle through boxes ").split(" → ")
    assert len(names) == n + 1 and names[0] == names[-1] and sorted(names[:-1]) == sorted(f"k{i}" for i in range(n))
    k = int(names[0][1:])
    assert names[:3] == [f"k{k}", f"k{(k + 1) % n}", f"k{(k + 2) % n}"]   # each box feeds the next
    with pytest.raises(WiringError, match="has a cycle"):
        net.topological()


@pytest.mark.parametrize("consumer_first", [False, True])
def test_a_10000_box_chain_in_either_order_agrees_with_the_matrix_power(consumer_first):
    n = 10_000
    net = chain(n, consumer_first)
    got = net.evaluate().marginal(f"w{n}").array
    np.testing.assert_allclose(got, np.array([0.5, 0.5]) @ np.linalg.matrix_power(FLIP, n), rtol=1e-12)
    got = net.evaluate(outputs=(f"w{n // 2}",)).array
    np.testing.assert_allclose(got, np.array([0.5, 0.5]) @ np.linalg.matrix_power(FLIP, n // 2), rtol=1e-12)


# ----- planning a long chain: only the order that is used is computed -----------------------------
def test_a_long_chain_is_planned_without_a_search(monkeypatch):
    def no_search(*args, **kw):
        raise AssertionError("searched for an order")
    monkeypatch.setattr(opt_einsum.paths, "ssa_greedy_optimize", no_search)
    monkeypatch.setattr(opt_einsum, "contract_path", no_search)
    n = 5 * SEARCH_LIMIT
    prog = Program([(0,)] + [(i, i + 1) for i in range(n)], (n,), dict.fromkeys(range(n + 1), 3))
    assert prog.strategy == "sequential" and prog.cost == n * 9


def test_a_large_net_that_folds_badly_in_order_is_still_searched():
    """Many independent sources first, then their readers: folding in order builds an outer product."""
    m = SEARCH_LIMIT
    operands = [(i,) for i in range(m)] + [(i, m + i) for i in range(m)]
    sizes = dict.fromkeys(range(2 * m), 2)
    prog = Program(operands, (), sizes)
    assert prog.strategy == "greedy" and prog.cost <= 5 * m
    arrays = [np.full(2, 0.5)] * m + [FLIP] * m
    assert prog(*arrays) == pytest.approx(1.0)
