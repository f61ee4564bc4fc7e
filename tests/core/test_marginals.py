"""All marginals at once (junction-tree calibration) against one contraction per wire.

The reference is :meth:`Net.evaluate` with the single wire as output, which shares no
code with the junction tree (and is itself checked against brute force elsewhere).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import (
    ContractionTooLarge,
    EvidenceError,
    FinSet,
    Kernel,
    Net,
    Parameter,
    UnknownName,
    WiringError,
    copy,
)
from markovwire.marginals import JunctionTree, all_marginals

from strategies import brute_force, deterministic_of, kernel_of, nets, seeds, stochastic

TOL = 1e-12


def per_wire(net, wires, evidence=None, values=None):
    """Each wire's marginal by its own contraction (None when the evidence is impossible)."""
    out = {}
    for w in wires:
        k = net.evaluate(values, evidence=evidence, outputs=(w,))
        out[w] = np.asarray(k if isinstance(k, np.ndarray) else k.array)
    return out


def impossible(net, evidence, values=None) -> bool:
    if not evidence:
        return False
    return bool(np.any(np.asarray(net.probability(evidence, values)) == 0))


def check(net, evidence=None, values=None, wires=None):
    wires = list(wires or [w for w in net.wires if w not in net.inputs])
    if impossible(net, evidence, values):
        with pytest.raises(EvidenceError, match="has probability zero under the net"):
            net.marginals(values, evidence=evidence, wires=wires)
        return
    got = net.marginals(values, evidence=evidence, wires=wires)
    want = per_wire(net, wires, evidence, values)
    assert list(got) == wires
    for w in wires:
        assert got[w].shape == want[w].shape, w
        np.testing.assert_allclose(got[w], want[w], rtol=0, atol=TOL, err_msg=w)


# ----- random nets ------------------------------------------------------------------------
@settings(max_examples=200)
@given(nets(shape="dag"))
def test_random_dags_with_evidence(spec):
    check(spec.net, spec.evidence)


@settings(max_examples=100)
@given(nets(shape="dag", inputs=2, max_wires=5))
def test_outer_inputs_give_marginals_per_input_value(spec):
    net = spec.net
    wires = list(net.wires)  # the inputs too: each is the point mass on its own value
    check(net, spec.evidence, wires=wires)
    if not impossible(net, spec.evidence):
        got = net.marginals(evidence=spec.evidence, wires=wires)
        for w in net.inputs:
            k = net.inputs.index(w)
            for x in itertools.product(*(range(len(net.wires[i])) for i in net.inputs)):
                np.testing.assert_array_equal(got[w][x], np.eye(len(net.wires[w]))[x[k]])


@settings(max_examples=60)
@given(nets(shape="dag", max_wires=5))
def test_against_brute_force(spec):
    net = spec.net
    if impossible(net, spec.evidence):
        return
    got = net.marginals(evidence=spec.evidence)
    for w, m in got.items():
        joint, pe = brute_force(net, (w,), spec.evidence)
        np.testing.assert_allclose(m, joint / pe[..., None], rtol=0, atol=TOL)


@st.composite
def wide_nets(draw, max_vars: int = 14):
    """Larger DAGs (up to 3 parents, sizes 1-4), some boxes deterministic, some reading a wire twice."""
    rng = np.random.default_rng(draw(seeds))
    n = draw(st.integers(1, max_vars))
    types = [FinSet(f"T{i}", [f"v{j}" for j in range(int(rng.integers(1, 5)))]) for i in range(n)]
    net = Net()
    for i in range(n):
        parents = sorted(set(rng.choice(i, size=min(i, int(rng.integers(0, 4))), replace=False).tolist())) if i else []
        if parents and rng.random() < 0.15:  # one wire on two ports of the box
            parents.append(parents[0])
        dom = [types[p] for p in parents]
        make = deterministic_of if rng.random() < 0.3 else kernel_of
        net.add_box(f"b{i}", make(rng, dom, [types[i]], name=f"b{i}"), [f"x{p}" for p in parents], [f"x{i}"])
    evidence = {}
    for w in rng.choice(n, size=min(n, int(rng.integers(0, 3))), replace=False):
        evidence[f"x{w}"] = types[w].elements[int(rng.integers(len(types[w])))]
    return net, evidence


@settings(max_examples=50)
@given(wide_nets(max_vars=12))
def test_wider_random_dags(case):
    net, evidence = case
    check(net, evidence)
    check(net)


@settings(max_examples=30)
@given(wide_nets())
def test_answering_again_gives_the_same_bits_and_leaves_the_tables_alone(case):
    """The calibration writes some products over others (in place): never over a kernel's table, nor over an
    array it keeps between calls."""
    net, evidence = case
    if impossible(net, evidence, None):
        evidence = {}
    tables = [np.array(b.kernel.array, copy=True) for b in net.boxes]
    first = net.marginals(evidence=evidence)
    again = net.marginals(evidence=evidence)
    assert all(np.array_equal(first[w], again[w]) for w in first)
    assert all(np.array_equal(t, b.kernel.array) for t, b in zip(tables, net.boxes))


# ----- shapes of nets ---------------------------------------------------------------------
Bit = FinSet("Bit", ["0", "1"])
Tri = FinSet("Tri", ["a", "b", "c"])


def test_one_box():
    net = Net()
    k = Kernel([0.2, 0.8], [], [Bit])
    net.add_box("coin", k, [], ["x"])
    m = net.marginals()
    np.testing.assert_array_equal(m["x"], [0.2, 0.8])
    m["x"][0] = 7.0  # the result is the caller's, never the kernel's own array
    np.testing.assert_array_equal(k.array, [0.2, 0.8])
    np.testing.assert_array_equal(net.marginals(evidence={"x": "1"})["x"], [0.0, 1.0])


def test_disconnected_parts_keep_their_own_marginals():
    rng = np.random.default_rng(3)
    net = Net()
    for part in "abc":
        net.add_box(f"{part}0", kernel_of(rng, [], [Tri]), [], [f"{part}0"])
        net.add_box(f"{part}1", kernel_of(rng, [Tri], [Bit]), [f"{part}0"], [f"{part}1"])
    net.add_box("lonely", kernel_of(rng, [], [Bit]), [], ["lonely"])
    check(net)
    check(net, {"b1": "1"})
    check(net, {"b1": "1", "c0": "a"})
    prior, post = net.marginals(), net.marginals(evidence={"b1": "1"})
    for w in ("a0", "a1", "c0", "c1", "lonely"):  # evidence in one part leaves the others alone
        np.testing.assert_allclose(prior[w], post[w], rtol=0, atol=TOL)


def test_copy_heavy_deterministic_net():
    rng = np.random.default_rng(5)
    net = Net()
    net.add_box("source", kernel_of(rng, [], [Tri]), [], ["s"])
    net.add_box("copy3", copy(Tri, 3), ["s"], ["s1", "s2", "s3"])
    net.add_box("f", deterministic_of(rng, [Tri, Tri], [Bit]), ["s1", "s2"], ["f"])
    net.add_box("g", deterministic_of(rng, [Tri, Bit], [Tri]), ["s3", "f"], ["g"])
    net.add_box("copy2", copy(Bit), ["f"], ["f1", "f2"])
    net.add_box("noisy", kernel_of(rng, [Bit, Tri], [Bit]), ["f1", "g"], ["out"])
    for ev in ({}, {"out": "1"}, {"f2": "0"}, {"g": "b", "s2": "a"}):
        check(net, ev)


def test_a_box_reading_one_wire_twice():
    rng = np.random.default_rng(6)
    net = Net()
    net.add_box("source", kernel_of(rng, [], [Tri]), [], ["s"])
    net.add_box("pair", kernel_of(rng, [Tri, Tri], [Bit]), ["s", "s"], ["p"])
    net.add_box("after", kernel_of(rng, [Bit, Tri], [Tri]), ["p", "s"], ["q"])
    for ev in ({}, {"q": "b"}, {"p": "1"}):
        check(net, ev)


def test_a_chain_of_many_steps_matches_the_forward_pass():
    rng = np.random.default_rng(7)
    S = FinSet("S", [str(i) for i in range(5)])
    net = Net()
    net.add_box("start", kernel_of(rng, [], [S]), [], ["w0"])
    for i in range(300):
        net.add_box(f"k{i}", kernel_of(rng, [S], [S]), [f"w{i}"], [f"w{i + 1}"])
    m = net.marginals()
    v = net.boxes[0].kernel.array
    for i in range(300):
        v = v @ net.boxes[i + 1].kernel.array
        np.testing.assert_allclose(m[f"w{i + 1}"], v, rtol=0, atol=TOL)
    check(net, {"w300": "2", "w150": "0"}, wires=["w0", "w100", "w150", "w200", "w299"])


def test_sweeps_are_one_pass_and_agree_with_single_values():
    p = Parameter("p", (0, 1), default=0.3)
    rng = np.random.default_rng(11)
    a, b = stochastic(rng, [3], [2], zeros=0), stochastic(rng, [3], [2], zeros=0)
    mix = np.empty((3, 2), dtype=object)
    for idx in np.ndindex(3, 2):
        mix[idx] = p.symbol * a[idx] + (1 - p.symbol) * b[idx]
    net = Net()
    net.add_box("start", kernel_of(rng, [], [Tri], zeros=0), [], ["t"])
    net.add_box("mix", Kernel(mix, [Tri], [Bit], params=[p]), ["t"], ["x"])
    net.add_box("after", kernel_of(rng, [Bit], [Tri], zeros=0), ["x"], ["y"])
    net.add_box("fixed", kernel_of(rng, [], [Bit], zeros=0), [], ["z"])  # does not depend on p
    ps = np.array([0.0, 0.25, 1.0])
    for ev in ({}, {"y": "c"}):
        swept = net.marginals({"p": ps}, evidence=ev)
        for k, value in enumerate(ps):
            single = net.marginals({"p": value}, evidence=ev)
            for w in net.wires:
                assert swept[w].shape == (3, len(net.wires[w]))
                np.testing.assert_allclose(swept[w][k], single[w], rtol=0, atol=TOL)
        check(net, ev, values={"p": ps})
    grid = net.marginals({"p": np.array([[0.1, 0.2], [0.3, 0.4]])})
    assert grid["y"].shape == (2, 2, 3)
    fixed = Net()  # a sweep of a parameter no entry uses: every point has the same marginals
    unused = Parameter("unused", (0, 1))
    fixed.add_box("fixed", Kernel([0.25, 0.75], [], [Bit], params=[unused]), [], ["z"])
    swept = fixed.marginals({"unused": np.array([0.1, 0.5, 0.9])})
    assert swept["z"].shape == (3, 2)
    np.testing.assert_allclose(swept["z"], [[0.25, 0.75]] * 3, rtol=0, atol=TOL)
    np.testing.assert_allclose(swept["z"], fixed.evaluate({"unused": np.array([0.1, 0.5, 0.9])}, outputs=("z",)),
                               rtol=0, atol=TOL)


# ----- errors -------------------------------------------------------------------------------
def test_zero_probability_evidence_is_refused_with_its_place():
    net = Net()
    net.add_box("coin", Kernel([1.0, 0.0], [], [Bit]), [], ["x"])
    net.add_box("echo", Kernel([[1.0, 0.0, 0.0], [0.0, 0.5, 0.5]], [Bit], [Tri]), ["x"], ["y"])
    with pytest.raises(EvidenceError) as e:
        net.marginals(evidence={"y": "b"})
    assert str(e.value) == ("evidence y=b: has probability zero under the net\n"
                            "  fix: condition on observations the proposal can produce")
    p = Parameter("p", (0, 1))
    net2 = Net()
    net2.add_box("coin", Kernel([1 - p.symbol, p.symbol], [], [Bit], params=[p]), [], ["x"])
    with pytest.raises(EvidenceError, match=r"evidence x=1: has probability zero under the net \(sweep point 1\)"):
        net2.marginals({"p": np.array([0.5, 0.0, 1.0])}, evidence={"x": "1"})
    net3 = Net()
    net3.add_wire("u", Bit)
    net3.set_inputs("u")
    net3.add_box("gate", Kernel([[1.0, 0.0], [0.5, 0.5]], [Bit], [Bit]), ["u"], ["x"])
    with pytest.raises(EvidenceError, match=r"has probability zero under the net \(input u at position 0\)"):
        net3.marginals(evidence={"x": "1"})


def test_unknown_and_undriven_wires():
    net = Net()
    net.add_box("coin", Kernel([0.5, 0.5], [], [Bit]), [], ["x"])
    net.add_wire("spare", Tri)
    assert set(net.marginals()) == {"x"}  # a wire nothing drives has no distribution
    with pytest.raises(UnknownName, match="output 'nope': is not a wire of the net"):
        net.marginals(wires=["nope"])
    with pytest.raises(WiringError) as e:
        net.marginals(wires=["spare"])
    assert str(e.value) == ("wire 'spare': is driven by no box and is not an outer input, so it has no "
                            "distribution\n  fix: connect a box output to it, or ask for another wire")
    with pytest.raises(EvidenceError, match="evidence on 'nope': is not a wire of the net"):
        net.marginals(evidence={"nope": "0"})


def join_net():
    """Three 40-valued roots read by one box: its clique holds 40**3 * 2 entries."""
    rng = np.random.default_rng(2)
    S = FinSet("S", [str(i) for i in range(40)])
    net = Net()
    for w in "abc":
        net.add_box(w, kernel_of(rng, [], [S]), [], [w])
    net.add_box("join", kernel_of(rng, [S, S, S], [Bit]), ["a", "b", "c"], ["j"])
    return net


def test_a_tree_past_the_budget_is_answered_from_the_factors(budget):
    net = join_net()
    sizes = {w: len(t) for w, t in net.wires.items()}
    tree = JunctionTree([tuple(b.inputs) + tuple(b.outputs) for b in net.boxes], sizes, set(), ())
    assert tree.peak(1) >= 40**3 * 2
    assert tree.fits(1)
    budget(tree.peak(1) * 8)
    assert tree.fits(1)
    budget(tree.peak(1) * 8 - 1)     # the arrays held at once would not fit
    assert not tree.fits(1)
    check(net, {"j": "1"})
    check(net)
    assert any(k[-1] == "factors" for k in net._plans if k[0] == "marginals")


@settings(max_examples=25, deadline=None)
@given(wide_nets(max_vars=10))
def test_the_peak_bounds_what_calibration_allocates(case):
    """tracemalloc (which numpy reports to) sees calibration allocate no more than the registers held at once,
    plus numpy's temporaries (at most one step's result) and a little for Python's lists."""
    import tracemalloc
    net, evidence = case
    sizes = {w: len(t) for w, t in net.wires.items()}
    boxes, _ = net._operands()
    tree = JunctionTree([tuple(b.inputs) + tuple(b.outputs) for b in boxes], sizes, set(evidence), net.inputs)
    arrays, _ = net._operand_arrays({}, False)
    obs = net._evidence_indices(dict(evidence), list(tree.wanted))
    step = max((math.prod(sizes[w] for w in c) for c in tree.cliques), default=1)
    tracemalloc.start()
    try:
        tree.calibrate(arrays, obs)
        _, allocated = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert allocated <= 8 * (tree.peak(1) + step) + 64 * 1024


def test_a_factor_past_the_budget_is_refused_naming_the_marginals(budget):
    net = join_net()
    budget(40**3 * 2 * 8 - 1)   # the join's own table does not fit
    with pytest.raises(ContractionTooLarge) as e:
        net.marginals()
    assert str(e.value.where).startswith("marginals (") and "needs 1013.8 KiB at once" in str(e.value)
    assert "more than the memory budget of 1000.0 KiB" in str(e.value)
    assert "--max-memory" in e.value.fix


def test_out_of_memory_in_the_tree_is_the_budget_error(monkeypatch):
    net = join_net()

    def exhausted(*args):
        raise MemoryError
    monkeypatch.setattr(JunctionTree, "calibrate", exhausted)
    with pytest.raises(ContractionTooLarge) as e:
        net.marginals()
    assert "ran out of memory" in str(e.value) and "--max-memory" in e.value.fix


def factors(net, evidence=None, values=None, wires=None):
    return all_marginals(net, values or {}, evidence or {}, wires, method="factors")


@settings(max_examples=30)
@given(nets(shape="dag", max_wires=6))
def test_marginals_from_the_factors_equal_the_calibrated_tree(spec):
    net, ev = spec.net, spec.evidence
    wires = [w for w in net.wires if w not in net.inputs]
    if impossible(net, ev):
        with pytest.raises(EvidenceError, match="has probability zero under the net"):
            factors(net, ev, wires=wires)
        return
    got, want = factors(net, ev, wires=wires), net.marginals(evidence=ev, wires=wires)
    assert list(got) == list(want)
    for w in wires:
        assert got[w].shape == want[w].shape, w
        np.testing.assert_allclose(got[w], want[w], rtol=0, atol=TOL, err_msg=w)


@settings(max_examples=20)
@given(wide_nets(max_vars=10))
def test_marginals_from_the_factors_on_wider_nets(case):
    net, evidence = case
    if impossible(net, evidence):
        return
    wires = [w for w in net.wires if w not in net.inputs]
    got, want = factors(net, evidence, wires=wires), per_wire(net, wires, evidence)
    for w in wires:
        np.testing.assert_allclose(got[w], want[w], rtol=0, atol=TOL, err_msg=w)


def test_marginals_from_the_factors_of_a_sweep_and_of_inputs():
    p = Parameter("p", (0, 1), 0.5)
    net = Net()
    net.set_inputs("x", types=[Bit])
    table = np.array([[1 - p.symbol, p.symbol], [0.3, 0.7]], dtype=object)
    net.add_box("k", Kernel(table, [Bit], [Bit], params=[p]), ["x"], ["y"])
    rng = np.random.default_rng(5)
    net.add_box("m", kernel_of(rng, [Bit], [Tri]), ["y"], ["z"])
    values = {"p": np.linspace(0.1, 0.9, 5)}
    for ev in ({}, {"z": "b"}):
        got = factors(net, ev, values, wires=["x", "y", "z"])
        want = net.marginals(values, evidence=ev, wires=["x", "y", "z"])
        for w in want:
            assert got[w].shape == want[w].shape == (5, 2, len(net.wires[w]))
            np.testing.assert_allclose(got[w], want[w], rtol=0, atol=TOL)


def test_zero_probability_evidence_from_the_factors():
    net = Net()
    net.add_box("a", Kernel([1.0, 0.0], [], [Bit]), [], ["a"])
    net.add_box("b", Kernel([[1.0, 0.0], [0.0, 1.0]], [Bit], [Bit]), ["a"], ["b"])
    with pytest.raises(EvidenceError, match="has probability zero under the net"):
        factors(net, {"b": "1"})


def test_only_the_wires_asked_for_are_calibrated():
    rng = np.random.default_rng(8)
    net = Net()
    net.add_box("start", kernel_of(rng, [], [Tri]), [], ["w0"])
    for i in range(30):
        net.add_box(f"k{i}", kernel_of(rng, [Tri], [Tri]), [f"w{i}"], [f"w{i + 1}"])
    whole = net.marginals()
    one = net.marginals(wires=["w0"])
    np.testing.assert_allclose(one["w0"], whole["w0"], rtol=0, atol=TOL)
    trees = {k[-1]: v for k, v in net._plans.items() if k[0] == "marginals"}
    # asking for the root's wire: no message goes back down the chain
    assert len(trees[("w0",)]._code) < len(trees[tuple(sorted(whole))]._code) / 1.5


def test_wide_variables_choose_the_min_weight_order():
    # a cycle of bits, each also joined to one wide hub: min-fill keeps the hub in many cliques
    from markovwire.marginals import _cliques, _eliminate
    sizes = {**{f"b{i}": 2 for i in range(8)}, "h": 60}
    scopes = [{f"b{i}", f"b{(i + 1) % 8}"} for i in range(8)] + [{"h", f"b{i}"} for i in range(0, 8, 2)]
    total = lambda cl: sum(int(np.prod([sizes[w] for w in c])) for c in cl)  # noqa: E731
    fill, weight = (_eliminate(list(sizes), sizes, scopes, how)[0] for how in ("fill", "weight"))
    chosen, _ = _cliques(list(sizes), sizes, scopes)
    assert total(chosen) == min(total(fill), total(weight))


# ----- the tree ------------------------------------------------------------------------------
@settings(max_examples=100)
@given(wide_nets(max_vars=16))
def test_the_tree_is_a_junction_tree(case):
    """Every factor sits in a clique; the cliques holding a wire form a connected subtree."""
    net, evidence = case
    factors = [b.inputs + b.outputs for b in net.boxes]
    tree = JunctionTree(factors, {w: len(t) for w, t in net.wires.items()}, set(evidence), ())
    cliques = [set(c) for c in tree.cliques]
    for f in factors:
        assert any({w for w in f if w not in evidence} <= c for c in cliques)
    assert sum(p is None for p in tree.parent) == 1 and tree.parent[tree.root] is None
    for w in tree.variables:
        holding = {i for i, c in enumerate(cliques) if w in c}
        tops = [i for i in holding if tree.parent[i] not in holding]
        assert len(tops) == 1, w  # connected: exactly one clique whose parent lacks the wire
    assert not any(a < b for a, b in itertools.permutations(cliques, 2))  # maximal cliques only


def test_the_tree_is_compiled_once_and_reused():
    rng = np.random.default_rng(4)
    net = Net()
    net.add_box("a", kernel_of(rng, [], [Tri]), [], ["a"])
    net.add_box("b", kernel_of(rng, [Tri], [Bit]), ["a"], ["b"])
    net.marginals(evidence={"b": "0"})
    trees = {k: v for k, v in net._plans.items() if k[0] == "marginals"}
    check(net, {"b": "1"})  # another label on the same wire: the same tree
    assert {k: v for k, v in net._plans.items() if k[0] == "marginals"} == trees


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_message_summed_as_its_product_is_formed_equals_summing_the_product(data):
    """``_product_summer(x, y)`` is ``_summer(x * y)``: arrays right-aligned in a clique's layout, either lacking
    leading axes or constant (length one) along some wires, including summed wires both are constant along."""
    from markovwire.marginals import _product_summer, _summer
    width = data.draw(st.integers(1, 4))
    clique = tuple(f"w{k}" for k in range(width))
    sizes = {w: data.draw(st.integers(1, 3)) for w in clique}
    rng = np.random.default_rng(data.draw(seeds))

    def operand():
        nd = data.draw(st.integers(0, width + 1))        # one axis more: a sweep or an input before the clique
        full = [2] * max(nd - width, 0) + [sizes[w] for w in clique][max(width - nd, 0):]
        return rng.random([n if data.draw(st.booleans()) else 1 for n in full])
    x, y = operand(), operand()
    axes = tuple(sorted(data.draw(st.sets(st.sampled_from(range(-width, 0))))))
    want = _summer(clique, axes, sizes)(x * y)
    got = _product_summer(clique, axes, sizes)(x, y)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)
