"""String diagrams: composition, inference of plumbing types, matching by name, compilation, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import (
    ErrorList,
    FinSet,
    Kernel,
    Net,
    Parameter,
    Port,
    TypeMismatch,
    TypeVar,
    WiringError,
    copy,
    discard,
    identity,
    swap,
)
from markovwire.diagrams import Box, Diagram, WiringDiagram
from tests.strategies import brute_force, kernel_of, seeds

Act = FinSet("Act", ["clean", "attack"])
V = FinSet("Verdict", ["pass", "flag"])
Q = FinSet("Query", ["easy", "hard", "evil"])

POLICY = np.array([[0.95, 0.05], [0.8, 0.2], [0.1, 0.9]])        # Query → Act
MONITOR = np.array([[0.9, 0.1], [0.25, 0.75]])                   # Act → Verdict
policy = Box.of(Kernel(POLICY, [("query", Q)], [("act", Act)], name="policy"))
monitor = Box.of(Kernel(MONITOR, [("act", Act)], [("verdict", V)], name="monitor"))
task = Box.of(Kernel([0.5, 0.3, 0.2], [], [("query", Q)], name="task"))


# ----- semantics against closed forms ------------------------------------------------
def test_sequential_composition_is_the_matrix_product():
    d = policy >> monitor
    assert np.allclose(d.evaluate().array, POLICY @ MONITOR)
    assert [p.name for p in d.dom] == ["query"] and [p.name for p in d.cod] == ["verdict"]


def test_tensor_is_the_outer_product():
    k = (policy @ monitor).evaluate()
    assert np.allclose(k.array, np.einsum("ab,cd->acbd", POLICY, MONITOR))
    assert [p.type for p in k.dom] == [Q, Act] and [p.type for p in k.cod] == [Act, V]


def test_copy_then_monitor_gives_the_joint_of_act_and_verdict():
    d = task >> policy >> Box.copy() >> (monitor @ Box.identity())
    joint = np.einsum("q,qa,av->va", [0.5, 0.3, 0.2], POLICY, MONITOR)
    assert np.allclose(d.evaluate().array, joint)
    assert str(d) == "task >> policy >> copy[Act] >> (monitor ⊗ id[Act])"


def test_swap_and_discard_plumbing():
    d = task >> policy >> Box.copy() >> (monitor @ Box.identity()) >> Box.swap() >> (Box.identity() @ Box.discard())
    act = np.einsum("q,qa->a", [0.5, 0.3, 0.2], POLICY)
    assert np.allclose(d.evaluate().array, act)
    assert [p.type for p in d.cod] == [Act]


def test_copy_with_three_outputs():
    d = policy >> Box.copy(n=3)
    k = d.evaluate()
    assert k.array.shape == (3, 2, 2, 2)
    assert np.allclose(k.array[:, 1, 1, 1], POLICY[:, 1]) and np.allclose(k.array.sum(axis=(2, 3)), POLICY)
    assert str(d) == "policy >> copy[Act, n=3]"


def test_symbolic_boxes_sweep_through_the_diagram():
    r = Parameter("recall", (0, 1), default=0.7)
    m = Box.of(Kernel([[0.9, 0.1], [1 - r.symbol, r.symbol]], [("act", Act)], [("verdict", V)], params=[r],
                      name="monitor"))
    d = policy >> m
    swept = d.evaluate({"recall": np.array([0.0, 0.5, 1.0])})
    for k, value in enumerate([0.0, 0.5, 1.0]):
        expected = POLICY @ np.array([[0.9, 0.1], [1 - value, value]])
        assert np.allclose(swept[k], expected)
    assert np.allclose(d.evaluate().array, POLICY @ np.array([[0.9, 0.1], [0.3, 0.7]]))


# ----- a random expression against the kernel algebra ----------------------------------
TYPES = [Act, V, Q]


@st.composite
def expressions(draw, depth=3):
    """A random diagram and the same expression in the core kernel algebra (pairwise einsum)."""
    rng = np.random.default_rng(draw(seeds))
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        kind = draw(st.sampled_from(["kernel", "kernel", "copy", "swap", "discard", "id"]))
        a, b = draw(st.sampled_from(TYPES)), draw(st.sampled_from(TYPES))
        if kind == "kernel":
            dom = draw(st.lists(st.sampled_from(TYPES), max_size=2))
            cod = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=2))
            k = kernel_of(rng, dom, cod, name=f"k{draw(st.integers(0, 99))}")
            return Box.of(k), k
        if kind == "copy":
            return Box.copy(a), copy(a)
        if kind == "swap":
            return Box.swap(a, b), swap(a, b)
        if kind == "discard":
            return Box.discard(a), discard(a)
        return Box.identity(a), identity(a)
    left, lk = draw(expressions(depth - 1))
    if draw(st.booleans()):
        right, rk = draw(expressions(depth - 1))
        return Diagram.box(left) @ right, lk @ rk
    # sequential: a box whose inputs fit the left side's outputs
    cod = [p.type for p in lk.cod]
    out = draw(st.lists(st.sampled_from(TYPES), max_size=2))
    k = kernel_of(rng, cod, out, name="next")
    return Diagram.box(left) >> Box.of(k), lk >> k


@settings(max_examples=60)
@given(expressions())
def test_evaluation_equals_the_kernel_algebra(pair):
    d, k = pair
    d = Diagram.box(d)
    result = d.evaluate()
    assert [p.type for p in result.dom] == [p.type for p in k.dom]
    assert [p.type for p in result.cod] == [p.type for p in k.cod]
    assert np.allclose(result.array, k.array)
    again = WiringDiagram.from_diagram(d).to_diagram()           # string → wiring → string: the same kernel
    assert np.allclose(again.evaluate().array, k.array)


# ----- type inference of plumbing --------------------------------------------------------
def test_plumbing_types_are_inferred_from_both_sides():
    d = Box.copy() >> (Box.identity() @ Box.discard())
    A = TypeVar("A")
    assert d.dom[0].type == A and d.cod[0].type == A     # still open
    closed = policy >> d
    assert [p.type for p in closed.dom] == [Q] and [p.type for p in closed.cod] == [Act]
    assert str(closed) == "policy >> copy[Act] >> (id[Act] ⊗ discard[Act])"
    backwards = Box.identity() >> Box.identity() >> monitor   # inferred from the right
    assert str(backwards) == "id[Act] >> id[Act] >> monitor"


def test_each_occurrence_of_a_plumbing_box_has_its_own_types():
    c = Box.copy()
    d = (policy @ monitor) >> (c @ c)
    assert str(d) == "(policy ⊗ monitor) >> (copy[Act] ⊗ copy[Verdict])"
    assert [p.type for p in d.cod] == [Act, Act, V, V]


def test_swap_infers_two_types():
    d = (policy @ monitor) >> Box.swap()
    assert str(d) == "(policy ⊗ monitor) >> swap[Act, Verdict]"
    assert [p.type for p in d.cod] == [V, Act]


def test_a_variable_shared_by_two_junctions_is_checked_on_both():
    with pytest.raises(TypeMismatch) as err:
        (policy @ monitor) >> Box.copy() @ Box.identity() >> (Box.identity(Act) @ Box.identity(V) @ Box.identity(V))
    assert str(err.value) == (
        "(policy ⊗ monitor) >> (copy[Act] ⊗ id[Verdict]) >> (id[Act] ⊗ id[Verdict] ⊗ id[Verdict]), position 2 "
        "(x2 → x2): Act does not match Verdict\n"
        "  fix: insert a box Act → Verdict, or fix the order of ports")


def test_conflict_through_a_variable_names_the_position():
    with pytest.raises(TypeMismatch) as err:
        policy >> Box.copy() >> (monitor @ Box.identity(V))
    assert str(err.value) == (
        "policy >> copy[Act] >> (monitor ⊗ id[Verdict]), position 2 (x2 → x): Act does not match Verdict\n"
        "  fix: insert a box Act → Verdict, or fix the order of ports")


def test_open_types_are_refused_on_evaluation_with_each_box_named():
    d = Box.copy() >> (Box.discard() @ Box.identity())
    with pytest.raises(ErrorList) as err:
        d.evaluate()
    assert str(err.value) == (
        "3 problem(s):\n"
        "- box copy[A] (box 1 from the left): type variable A could not be inferred\n"
        "    fix: connect it to typed ports, or give the type, e.g. Box.copy(Act)\n"
        "- box discard[A] (box 2 from the left): type variable A could not be inferred\n"
        "    fix: connect it to typed ports, or give the type, e.g. Box.copy(Act)\n"
        "- box id[A] (box 3 from the left): type variable A could not be inferred\n"
        "    fix: connect it to typed ports, or give the type, e.g. Box.copy(Act)")


def test_polymorphic_user_box_is_instantiated_with_the_inferred_type():
    A = TypeVar("A")
    uniform = Box("noise", (Port("x", A),), (Port("y", A),),
                  make=lambda s: Kernel(np.full((len(s[A]),) * 2, 1 / len(s[A])), [("x", s[A])], [("y", s[A])]))
    k = (policy >> uniform).evaluate()
    assert np.allclose(k.array, np.full((3, 2), 0.5))
    assert str(policy >> uniform) == "policy >> noise"


# ----- errors of composition ----------------------------------------------------------------
def test_arity_mismatch_names_both_sides():
    with pytest.raises(TypeMismatch) as err:
        monitor >> policy @ monitor
    assert str(err.value) == (
        "monitor >> (policy ⊗ monitor): monitor has 1 output(s) (verdict: Verdict) but (policy ⊗ monitor) has "
        "2 input(s) (query: Query ⊗ act: Act)\n"
        "  fix: compose diagrams whose outputs match the next inputs one for one (add identity or discard wires)")


def test_type_mismatch_names_both_sides_and_the_ports():
    with pytest.raises(TypeMismatch) as err:
        monitor >> monitor
    assert str(err.value) == ("monitor >> monitor, position 1 (verdict → act): Verdict does not match Act\n"
                              "  fix: insert a box Verdict → Act, or fix the order of ports")


def test_a_long_side_is_shortened_in_messages():
    long = policy
    for _ in range(12):
        long = long >> Box.identity()
    with pytest.raises(TypeMismatch) as err:
        long >> policy
    assert "policy >> id[Act] >> id[Act]" in str(err.value) and "…" in str(err.value)


def test_composing_something_that_is_not_a_box():
    with pytest.raises(TypeMismatch) as err:
        policy >> 3
    assert str(err.value) == ("3: is not a box, kernel, diagram or wiring diagram\n"
                              "  fix: compose Box, Kernel, Diagram or WiringDiagram objects")


# ----- matching by name ------------------------------------------------------------------------
audit = Box.of(Kernel([[1.0, 0.0], [0.3, 0.7]], [("verdict", V)], [("alarm", V)], name="audit"))


def test_then_by_name_reads_matching_ports_and_passes_the_rest():
    left = task >> policy >> Box.copy() >> (Box.identity(port="act") @ monitor)   # act, verdict
    d = left.then(audit, by_name=True)
    assert [p.name for p in d.cod] == ["alarm", "act"]
    by_position = left >> Box.swap() >> (audit @ Box.identity())
    assert np.allclose(d.evaluate().array, by_position.evaluate().array)
    assert str(d) == ("task >> policy >> copy[Act] >> (id[Act] ⊗ monitor) >> permute[1, 0][Act, Verdict] >> "
                      "(audit ⊗ id[Act])")


def test_then_by_name_without_reordering_is_plain_composition():
    d = policy.then(monitor, by_name=True)
    assert d == policy >> monitor


def test_then_by_name_refuses_an_input_with_no_output_of_that_name():
    with pytest.raises(WiringError) as err:
        policy.then(audit, by_name=True)
    assert str(err.value) == ("policy then audit (by name): audit reads 'verdict', which policy does not output\n"
                              "  fix: outputs are: act; rename ports with .rename(cod=[...])")


def test_rename_changes_outer_port_names_only():
    d = (policy >> monitor).rename(dom=["task"], cod=["alarm"])
    assert [p.name for p in d.dom] == ["task"] and [p.name for p in d.cod] == ["alarm"]
    k = d.evaluate()
    assert [p.name for p in k.dom] == ["task"] and [p.name for p in k.cod] == ["alarm"]
    assert str(d) == "policy >> monitor"
    with pytest.raises(WiringError) as err:
        d.rename(cod=["a", "b"])
    assert str(err.value) == ("policy >> monitor.rename: 2 output name(s) for 1 port(s)\n"
                              "  fix: give one name per output port")
    with pytest.raises(WiringError) as err:
        (policy @ monitor).rename(dom=["x", "x"])
    assert str(err.value) == ("(policy ⊗ monitor).rename: repeats a input name: x, x\n"
                              "  fix: give each port a distinct name")


# ----- compilation ------------------------------------------------------------------------------
def test_to_net_makes_box_names_unique_and_matches_a_hand_built_net():
    d = task >> policy >> Box.copy() >> (monitor @ monitor)
    net = d.to_net()
    assert [b.name for b in net.boxes] == ["task", "policy", "monitor", "monitor_2"]
    hand = Net()
    hand.add_box("t", task.kernel, [], ["q"])
    hand.add_box("p", policy.kernel, ["q"], ["a"])
    hand.add_box("m1", monitor.kernel, ["a"], ["v1"])
    hand.add_box("m2", monitor.kernel, ["a"], ["v2"])
    hand.set_outputs("v1", "v2")
    expected, _ = brute_force(hand, ("v1", "v2"))
    assert np.allclose(d.evaluate().array, expected)
    assert np.allclose(net.evaluate().array, expected)


def test_from_diagram_turns_plumbing_into_wires():
    d = task >> policy >> Box.copy() >> (monitor @ Box.identity())
    wd = WiringDiagram.from_diagram(d, "control")
    assert list(wd.boxes) == ["task", "policy", "monitor"]
    assert [str(w) for w in wd.wires] == ["task.query → policy.query", "policy.act → monitor.act",
                                          "monitor.verdict → out.verdict", "policy.act → out.y"]
    assert np.allclose(wd.evaluate().array, d.evaluate().array)


def test_evaluate_passes_keywords_to_the_net():
    d = task >> policy >> Box.copy() >> (monitor @ Box.identity())
    post = d.evaluate(evidence={"monitor.verdict": "flag"}, outputs=["policy.act"])
    joint = np.einsum("q,qa,av->av", [0.5, 0.3, 0.2], POLICY, MONITOR)
    assert np.allclose(post.array, joint[:, 1] / joint[:, 1].sum())


def test_kernels_and_wiring_diagrams_are_leaves():
    inner = WiringDiagram.from_diagram(policy >> monitor, "screen")
    d = Diagram.box(task.kernel) >> inner
    assert str(d) == "task >> screen"
    assert np.allclose(d.evaluate().array, np.array([0.5, 0.3, 0.2]) @ POLICY @ MONITOR)
    wd = WiringDiagram.from_diagram(d)
    assert isinstance(wd["screen"], WiringDiagram)
    assert [b.name for b in d.to_net().boxes] == ["task", "screen/policy", "screen/monitor"]
    k = task.kernel >> Box.of(policy.kernel)          # a kernel on the left of a box
    assert isinstance(k, Diagram) and str(k) == "task >> policy"


def test_identity_and_empty_diagrams():
    assert str(Diagram.id(Act, V)) == "id[Act] ⊗ id[Verdict]"
    assert np.allclose(Diagram.id(Act).evaluate().array, np.eye(2))
    empty = Diagram.id()
    assert empty.dom == () and empty.cod == () and str(empty) == "id[I]"
    assert Diagram.tensor() == empty and Diagram.tensor(policy) == Diagram.box(policy)


def test_equal_expressions_are_equal_and_hash_alike():
    a, b = policy >> monitor, policy >> monitor
    assert a == b and hash(a) == hash(b) and a != monitor >> Box.identity()
    assert repr(a) == "Diagram(policy >> monitor: query: Query → verdict: Verdict)"


def test_boxes_lists_the_leaves_with_inferred_types():
    d = policy >> Box.copy()
    boxes = d.boxes
    assert [b.name for b in boxes] == ["policy", "copy"]
    assert [p.type for p in boxes[1].cod] == [Act, Act]


def test_jupyter_display_has_a_text_fallback():
    bundle = (policy >> monitor)._repr_mimebundle_()
    assert bundle["text/plain"] == repr(policy >> monitor)


def test_plumbing_constructors_check_their_arguments():
    with pytest.raises(TypeMismatch) as err:
        Box.permute([0, 0, 1])
    assert str(err.value) == ("permute: [0, 0, 1] is not a permutation of 0 … 2\n"
                              "  fix: list every input position exactly once")
    A = TypeVar("A")
    poly = Box("noise", (Port("x", A),), (Port("y", A),), make=lambda s: None)
    with pytest.raises(TypeMismatch) as err:
        poly.instantiate({})
    assert str(err.value) == ("box 'noise': type variable(s) A could not be inferred\n"
                              "  fix: connect its ports or give the types explicitly")


def test_plumbing_boxes_hold_no_kernel_but_can_make_one():
    c = Box.copy(Act, n=3)
    assert c.kernel is None and c.plumbing == (0, 0, 0)
    k = c.make({})
    assert k.allclose(copy(Act, 3))
    assert Box.swap(Act, V).make({}).allclose(swap(Act, V))
    p = Box.permute([2, 0, 1], [Act, V, Q])
    assert [q.type for q in p.cod] == [Q, Act, V]
    assert np.allclose(p.make({}).array, np.einsum("ad,be,cf->abcfde", np.eye(2), np.eye(2), np.eye(3)))
