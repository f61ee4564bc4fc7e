"""Information flow: reachability, d-separation against numeric conditional independence, checklists."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import FinSet, Kernel, Net, UnknownName
from markovwire.analysis import CannotAffect, Independent, NeverSees, checklist, dependencies, independent, path, sees

from analysis_helpers import random_net

B = FinSet("Bit", ["0", "1"])


def noisy(dom_n: int, seed: int) -> Kernel:
    rng = np.random.default_rng(seed)
    arr = rng.dirichlet(np.ones(2), size=2 ** dom_n).reshape((2,) * dom_n + (2,))
    return Kernel(arr, [(f"x{i}", B) for i in range(dom_n)], [B])


def classic(kind: str) -> Net:
    net = Net()
    if kind == "chain":        # a → b → c
        net.add_box("A", noisy(0, 1), [], ["a"])
        net.add_box("B", noisy(1, 2), ["a"], ["b"])
        net.add_box("C", noisy(1, 3), ["b"], ["c"])
    elif kind == "fork":       # a ← b → c
        net.add_box("B", noisy(0, 1), [], ["b"])
        net.add_box("A", noisy(1, 2), ["b"], ["a"])
        net.add_box("C", noisy(1, 3), ["b"], ["c"])
    else:                      # collider a → b ← c, with a descendant d of b
        net.add_box("A", noisy(0, 1), [], ["a"])
        net.add_box("C", noisy(0, 2), [], ["c"])
        net.add_box("B", noisy(2, 3), ["a", "c"], ["b"])
        net.add_box("D", noisy(1, 4), ["b"], ["d"])
    return net


@pytest.mark.parametrize("kind, marginal, given_b", [("chain", False, True), ("fork", False, True),
                                                     ("collider", True, False)])
def test_chain_fork_and_collider(kind, marginal, given_b):
    net = classic(kind)
    assert bool(independent(net, ["a"], ["c"])) is marginal
    assert bool(independent(net, ["a"], ["c"], given=["b"])) is given_b
    if kind == "collider":
        explained = independent(net, ["a"], ["c"], given=["d"])       # conditioning on a descendant opens it
        assert not explained and explained.path == "a → b ← c"
    check_numerically(net, ["a"], ["c"], [])
    check_numerically(net, ["a"], ["c"], ["b"])


def conditional_dependence(net: Net, a, b, c) -> float:
    """max |P(a, b | c) − P(a | c) P(b | c)| from the net's joint (brute force)."""
    joint = net.evaluate(outputs=list(a) + list(b) + list(c))
    arr = np.asarray(joint.array, dtype=float)
    na, nb = len(a), len(b)
    arr = arr.reshape([int(np.prod(arr.shape[:na])), int(np.prod(arr.shape[na:na + nb])), -1])
    pc = arr.sum(axis=(0, 1))
    worst = 0.0
    for k in np.flatnonzero(pc > 1e-12):
        pab = arr[:, :, k] / pc[k]
        worst = max(worst, float(np.abs(pab - np.outer(pab.sum(1), pab.sum(0))).max()))
    return worst


def check_numerically(net, a, b, c):
    dep = conditional_dependence(net, a, b, c)
    if independent(net, a, b, c):
        assert dep < 1e-12
    else:
        assert dep > 1e-9         # random (generic) kernels are faithful to the wiring


@settings(max_examples=80)
@given(seed=st.integers(0, 2**32 - 1))
def test_d_separation_agrees_with_brute_force_independence(seed):
    rng = np.random.default_rng(seed)
    net = random_net(rng, n_boxes=int(rng.integers(2, 6)), alpha=0.7)
    wires = [w for w in net.wires]
    rng.shuffle(wires)
    k = len(wires)
    n_a = int(rng.integers(1, max(2, k // 2)))
    a = wires[:n_a]
    rest = wires[n_a:]
    if not rest:
        return
    n_b = int(rng.integers(1, len(rest) + 1))
    b = rest[:n_b]
    c = [w for w in rest[n_b:] if rng.random() < 0.6]
    check_numerically(net, a, b, c)


def test_flow_paths_and_dependencies():
    reward = FinSet("Reward", ["low", "high"])
    net = Net()
    net.add_box("task", Kernel([0.5, 0.5], [], [B]), [], ["task"])
    net.add_box("policy", noisy(1, 5), ["task"], ["act"])
    net.add_box("reward_model", Kernel([[0.9, 0.1], [0.2, 0.8]], [B], [reward]), ["act"], ["reward"])
    net.add_box("monitor", noisy(1, 6), ["act"], ["verdict"])
    net.add_box("trainer", Kernel([[[1, 0], [0, 1]], [[0, 1], [1, 0]]], [B, reward], [B]), ["verdict", "reward"],
                ["update"])
    net.set_outputs("verdict", "update")
    report = checklist(net, [NeverSees("monitor", "reward"), NeverSees("trainer", "task"),
                             CannotAffect("reward", "verdict"), CannotAffect("monitor", "update"),
                             Independent(("reward",), ("verdict",), ("act",))])
    lines = str(report).splitlines()
    assert lines == ["monitor never sees reward: yes",
                     "trainer never sees task: no "
                     "(path: task → [policy] → act → [monitor] → verdict → [trainer])",
                     "reward cannot affect verdict: yes",
                     "monitor cannot affect update: no (path: [monitor] → verdict → [trainer] → update)",
                     "reward ⊥ verdict | act: yes"]
    assert not report.all_hold and report.to_dict()["checks"][1]["holds"] is False
    assert path(net, "task", "reward") == ["task", "[policy]", "act", "[reward_model]", "reward"]
    assert sees(net, "monitor", "reward") is None
    deps = dependencies(net)
    assert deps.rows["verdict"] == {"inputs": [], "hidden": ["task", "act"], "boxes": ["task", "policy", "monitor"]}
    assert deps.rows["update"]["boxes"] == ["task", "policy", "reward_model", "monitor", "trainer"]
    assert "verdict can depend on" in str(deps)


def test_outer_inputs_are_fixed_and_multi_output_boxes_are_correlated():
    net = Net()
    net.set_inputs("x", types=[B])
    net.add_box("f", noisy(1, 1), ["x"], ["y"])
    net.add_box("g", noisy(1, 2), ["x"], ["z"])
    assert independent(net, ["y"], ["z"])                      # the input is a fixed argument of the kernel
    assert not independent(net, ["x"], ["z"])                  # unless asked about it
    pair = Net()
    pair.add_box("src", Kernel([0.5, 0, 0, 0.5], [], [Pair]), [], ["s"])
    pair.add_box("split", Kernel.deterministic(lambda s: tuple(s.split(",")), [Pair], [B, B]), ["s"], ["u", "v"])
    # two outputs of one box may be correlated given its inputs, so the check errs on the side of dependence
    assert not independent(pair, ["u"], ["v"], given=["s"])
    assert conditional_dependence(pair, ["u"], ["v"], ["s"]) < 1e-12   # (here they happen not to be)
    assert not independent(pair, ["u"], ["v"])
    assert conditional_dependence(pair, ["u"], ["v"], []) > 0.2
    with pytest.raises(UnknownName, match="'w' is not a wire of the net"):
        independent(pair, ["w"], ["u"])


Pair = FinSet("Pair", ["0,0", "0,1", "1,0", "1,1"])
