"""Wiring diagrams: building, checking (every message), nesting and compiling to nets, feedback, conversions."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings

from markovwire import (
    ErrorList,
    EvidenceError,
    FinSet,
    Kernel,
    LoopWithoutState,
    Net,
    Parameter,
    Port,
    TypeMismatch,
    UnknownName,
    WiringError,
)
from markovwire.diagrams import Box, Diagram, PortRef, Wire, WiringDiagram
from tests.strategies import brute_force, nets

Q = FinSet("Query", ["easy", "hard"])
Act = FinSet("Act", ["clean", "attack"])
V = FinSet("Verdict", ["pass", "flag"])

POLICY = np.array([[0.95, 0.05], [0.6, 0.4]])
MONITOR = np.array([[0.9, 0.1], [0.25, 0.75]])
AUDITOR = np.array([[1.0, 0.0], [0.2, 0.8]])     # Verdict → Verdict (catches some flags)
policy = Box.of(Kernel(POLICY, [("query", Q)], [("act", Act)], name="policy"))
monitor = Box.of(Kernel(MONITOR, [("act", Act)], [("verdict", V)], name="monitor"))
auditor = Box.of(Kernel(AUDITOR, [("verdict", V)], [("caught", V)], name="auditor"))
actor = Box.of(Kernel([[1.0, 0.0], [0.5, 0.5]], [("act", Act)], [("out", Act)], name="actor"))


def control() -> WiringDiagram:
    wd = WiringDiagram("control", inputs=[("task", Q)], outputs=[("act", Act), ("caught", V)])
    wd.add_box("policy", policy)
    wd.add_box("monitor", monitor)
    wd.add_box("auditor", auditor)
    wd.connect("in.task", "policy.query")
    wd.connect("policy.act", "monitor.act")
    wd.connect("policy.act", "out.act")
    wd.connect("monitor.verdict", "auditor.verdict")
    wd.connect("auditor.caught", "out.caught")
    return wd


def control_kernel() -> np.ndarray:
    """P(act, caught | task) by hand."""
    return np.einsum("qa,av,vc->qac", POLICY, MONITOR, AUDITOR)


# ----- building ---------------------------------------------------------------------------
def test_builder_evaluates_to_the_composite():
    wd = control()
    k = wd.evaluate()
    assert np.allclose(k.array, control_kernel())
    assert [p.name for p in k.dom] == ["task"] and [p.name for p in k.cod] == ["act", "caught"]
    assert k.name == "control"


def test_chain_and_link_connect_by_position_or_by_name():
    wd = WiringDiagram("c", inputs=[("query", Q)], outputs=[("verdict", V)])
    wd.add_box("policy", policy)
    wd.add_box("monitor", monitor)
    wd.chain("in", "policy", "monitor", "out")
    assert [str(w) for w in wd.wires] == ["in.query → policy.query", "policy.act → monitor.act",
                                          "monitor.verdict → out.verdict"]
    named = WiringDiagram("c", inputs=[("query", Q)], outputs=[("verdict", V)])
    named.add_box("policy", policy)
    named.add_box("monitor", monitor)
    named.chain("in", "policy", "monitor", "out", by_name=True)
    assert named.wires == wd.wires
    assert np.allclose(wd.evaluate().array, POLICY @ MONITOR)


def test_link_errors():
    wd = control()
    with pytest.raises(WiringError) as err:
        wd.link("policy", "auditor", by_name=True)
    assert str(err.value) == ("link policy → auditor: auditor reads verdict, which policy does not output\n"
                              "  fix: policy outputs: act")
    with pytest.raises(WiringError) as err:
        wd.link("in", "out")
    assert str(err.value) == ("link in → out: in has 1 output(s) but out has 2 input(s)\n"
                              "  fix: link by_name=True, or connect ports one by one")


def test_accessors_remove_rename_disconnect_and_clone():
    wd = control()
    assert wd["monitor"] is monitor and "monitor" in wd and "judge" not in wd
    other = wd.clone()
    wd.rename_box("monitor", "probe")
    assert list(wd.boxes) == ["policy", "probe", "auditor"]
    assert "probe.verdict → auditor.verdict" in [str(w) for w in wd.wires]
    assert np.allclose(wd.evaluate().array, control_kernel())
    wd.disconnect("policy.act", "out.act")
    assert Wire(PortRef("policy", "act"), PortRef("out", "act")) not in wd.wires
    wd.remove_box("probe")
    assert all("probe" not in (w.source.box, w.target.box) for w in wd.wires)
    assert list(other.boxes) == ["policy", "monitor", "auditor"] and len(other.wires) == 5   # untouched


def test_kernels_are_wrapped_as_boxes_named_by_the_instance():
    wd = WiringDiagram("k", outputs=[("act", Act)])
    wd.add_box("prior", Kernel([0.3, 0.7], [], [("act", Act)]))
    wd.connect("prior.act", "out.act")
    assert wd["prior"].name == "prior" and np.allclose(wd.evaluate().array, [0.3, 0.7])


def test_wires_can_be_given_to_the_constructor():
    wd = WiringDiagram("c", inputs=[("query", Q)], outputs=[("act", Act)], boxes={"policy": policy},
                       wires=[("in.query", "policy.query"), Wire(PortRef("policy", "act"), PortRef("out", "act"))])
    assert np.allclose(wd.evaluate().array, POLICY)


# ----- errors while building (each message) -------------------------------------------------
@pytest.mark.parametrize("name, message", [
    ("in", "box 'in': is a reserved name (in/out are the outer ports)\n  fix: choose another instance name"),
    ("a.b", "box 'a.b': is not a valid instance name\n"
            "  fix: use letters, digits, '_' and '-', starting with a letter or '_'"),
    ("policy", "box 'policy': already exists in this diagram\n"
               "  fix: give each inner box a distinct instance name, or rename_box first"),
])
def test_bad_box_names(name, message):
    wd = control()
    with pytest.raises(WiringError) as err:
        wd.add_box(name, monitor)
    assert str(err.value) == message
    with pytest.raises(WiringError) as err:
        wd.rename_box("monitor", name)
    if name != "policy":
        assert str(err.value) == message


def test_adding_something_that_is_not_a_box():
    with pytest.raises(WiringError) as err:
        control().add_box("x", 3)
    assert str(err.value) == ("box 'x': 3 is not a box, kernel, wiring diagram or stateful box\n"
                              "  fix: add a Box, Kernel, WiringDiagram or StatefulBox")


def test_a_diagram_cannot_contain_itself():
    outer = control()
    inner = WiringDiagram("inner")
    outer.add_box("inner", inner)
    with pytest.raises(WiringError) as err:
        inner.add_box("outer", outer)
    assert str(err.value) == ("box 'outer': would nest the diagram inside itself\n"
                              "  fix: nest a clone (wd.clone()) instead")


def test_bad_outer_ports():
    wd = control()
    with pytest.raises(WiringError) as err:
        wd.add_input("task", Q)
    assert str(err.value) == ("diagram 'control', input 'task': already exists\n"
                              "  fix: give each outer input a distinct name")
    with pytest.raises(WiringError) as err:
        wd.add_output("a b", Q)
    assert str(err.value) == ("diagram 'control', output 'a b': is not a valid port name\n"
                              "  fix: use a name without spaces, dots or slashes")
    with pytest.raises(TypeMismatch) as err:
        wd.add_input("t", "Query")
    assert str(err.value) == ("diagram 'control', input 't': 'Query' is not a finite set\n"
                              "  fix: give outer ports concrete finite types (FinSet)")


@pytest.mark.parametrize("source, target, kind, message", [
    ("polcy.act", "monitor.act", UnknownName,
     "wire polcy.act → monitor.act: there is no box 'polcy'\n  fix: use one of: policy, monitor, auditor"),
    ("policy.ac", "monitor.act", UnknownName,
     "wire policy.ac → monitor.act: box 'policy' has no output 'ac'\n  fix: use one of: act"),
    ("monitor.act", "policy.query", WiringError,
     "wire monitor.act → policy.query: monitor.act is an input of 'monitor', not an output\n"
     "  fix: wires run from outputs to inputs; swap the two ends?"),
    ("in.tsk", "policy.query", UnknownName,
     "wire in.tsk → policy.query: the diagram has no outer input 'tsk'\n"
     "  fix: use one of: task, or add it with add_input"),
    ("out.act", "monitor.act", WiringError,
     "wire out.act → monitor.act: out.act is an outer output; a wire starts at in.<port> or at a box output\n"
     "  fix: wires run from in.<port> or box.<output> to box.<input> or out.<port>"),
    ("policy.act", "in.task", WiringError,
     "wire policy.act → in.task: in.task is an outer input; a wire ends at out.<port> or at a box input\n"
     "  fix: wires run from in.<port> or box.<output> to box.<input> or out.<port>"),
    ("policy", "monitor.act", WiringError,
     "port 'policy': is not of the form box.port\n"
     "  fix: write 'box.port', 'in.port' (an outer input) or 'out.port' (an outer output)"),
    ("policy.act", "monitor.act", WiringError,
     "wire policy.act → monitor.act: already exists\n  fix: connect each pair of ports once"),
])
def test_connect_refuses_bad_ends(source, target, kind, message):
    with pytest.raises(kind) as err:
        control().connect(source, target)
    assert str(err.value) == message


def test_disconnect_and_lookup_errors():
    with pytest.raises(WiringError) as err:
        control().disconnect("policy.act", "auditor.verdict")
    assert str(err.value) == ("wire policy.act → auditor.verdict: is not in the diagram\n"
                              "  fix: disconnect one of the listed wires")
    with pytest.raises(UnknownName) as err:
        control()["judge"]
    assert str(err.value) == ("diagram 'control': has no box 'judge'\n"
                              "  fix: use one of: policy, monitor, auditor")


# ----- checking (every problem at once) --------------------------------------------------------
def test_type_mismatch_names_the_wire_and_both_types():
    wd = WiringDiagram("d", outputs=[("caught", V)])
    wd.add_box("monitor", Kernel([0.5, 0.5], [], [("verdict", V)], name="monitor"))
    wd.add_box("auditor", Kernel(MONITOR, [("act", Act)], [("caught", V)], name="auditor"))
    wd.connect("monitor.verdict", "auditor.act")
    wd.connect("auditor.caught", "out.caught")
    assert [str(e) for e in wd.problems()] == [
        "wire monitor.verdict → auditor.act: Verdict does not match Act\n"
        "  fix: connect an output of type Act to auditor.act, or insert a box Verdict → Act"]
    with pytest.raises(TypeMismatch):
        wd.check()


def test_two_sources_dangling_ports_and_missing_kernels_reported_together():
    wd = control()
    wd.add_input("other", Act)
    wd.connect("in.other", "monitor.act")           # two sources into monitor.act
    wd.add_box("judge", auditor)                     # its input is left dangling
    wd.add_output("extra", V)                        # nothing drives it
    wd.add_box("blank", Box("blank", (), ()))        # no kernel
    with pytest.raises(ErrorList) as err:
        wd.check()
    assert str(err.value) == (
        "4 problem(s):\n"
        "- box 'blank': has no kernel\n"
        "    fix: give it a kernel, e.g. Box.of(kernel)\n"
        "- input monitor.act: takes Act but has 2 sources: policy.act (Act), in.other (Act)\n"
        "    fix: keep one wire into monitor.act; merge sources with an explicit box\n"
        "- input judge.verdict: takes Verdict but is not connected\n"
        "    fix: wire an output of type Verdict into it, e.g. wd.connect('<box>.<port>', 'judge.verdict')\n"
        "- output out.extra: takes Verdict but is not connected\n"
        "    fix: wire a Verdict source into out.extra")


def test_problems_of_wires_added_directly_are_found():
    wd = control()
    wd.wires.append(Wire(PortRef("ghost", "x"), PortRef("monitor", "act")))
    assert [str(e) for e in wd.problems()][0] == ("wire ghost.x → monitor.act: there is no box 'ghost'\n"
                                                  "  fix: use one of: policy, monitor, auditor")
    wd.boxes["in"] = monitor
    assert "box 'in': is not a valid instance name" in str(wd.problems()[0])


def test_problems_of_nested_diagrams_are_prefixed_by_their_instance():
    inner = WiringDiagram("screen", inputs=[("act", Act)], outputs=[("verdict", V)])
    inner.add_box("monitor", monitor)
    inner.connect("in.act", "monitor.act")           # output left unconnected
    outer = WiringDiagram("top", inputs=[("task", Q)], outputs=[("verdict", V)])
    outer.add_box("policy", policy)
    outer.add_box("screen", inner)
    outer.chain("in", "policy", "screen", "out")
    assert [str(e) for e in outer.problems()] == [
        "in 'screen': output out.verdict: takes Verdict but is not connected\n"
        "  fix: wire a Verdict source into out.verdict"]


def test_polymorphic_plumbing_gets_its_types_from_the_wires():
    wd = WiringDiagram("p", inputs=[("task", Q)], outputs=[("verdict", V), ("act", Act)])
    wd.add_box("policy", policy)
    wd.add_box("split", Box.copy())
    wd.add_box("monitor", monitor)
    wd.add_box("cross", Box.swap())
    wd.connect("in.task", "policy.query")
    wd.connect("policy.act", "split.x")
    wd.connect("split.x1", "cross.a")
    wd.connect("monitor.verdict", "cross.b")
    wd.connect("split.x2", "monitor.act")
    wd.connect("cross.b", "out.verdict")
    wd.connect("cross.a", "out.act")
    assert wd.problems() == []
    assert np.allclose(wd.evaluate().array, np.einsum("qa,av->qva", POLICY, MONITOR))
    assert [b.name for b in wd.to_net().boxes] == ["policy", "monitor"]   # plumbing became wires


def test_open_and_conflicting_plumbing_types():
    wd = WiringDiagram("p", outputs=[("v", V)])
    wd.add_box("loose", Box.discard())
    wd.add_box("split", Box.copy())
    wd.add_box("src", Kernel([0.5, 0.5], [], [("act", Act)], name="src"))
    wd.add_box("m", Kernel([0.5, 0.5], [], [("verdict", V)], name="m"))
    wd.add_box("sink", Box.discard())
    wd.connect("src.act", "split.x")
    wd.connect("split.x1", "out.v")       # Act into a Verdict output, through the copy
    wd.connect("m.verdict", "sink.x")
    wd.add_input("free", Q)
    msgs = [str(e) for e in wd.problems()]
    assert msgs == [
        "wire split.x1 → out.v: Act does not match Verdict\n"
        "  fix: connect an output of type Verdict to out.v, or insert a box Act → Verdict",
        "input loose.x: takes A but is not connected\n"
        "  fix: wire an output of type A into it, e.g. wd.connect('<box>.<port>', 'loose.x')",
        "box 'loose': type variable A could not be inferred\n"
        "  fix: wire it to typed ports, or give the type, e.g. Box.copy(Act)"]


# ----- nesting: compiled nets against hand-built nets ----------------------------------------------
def screen() -> WiringDiagram:
    inner = WiringDiagram("screen", inputs=[("act", Act)], outputs=[("caught", V)])
    inner.add_box("monitor", monitor)
    inner.add_box("auditor", auditor)
    inner.chain("in", "monitor", "auditor", "out")
    return inner


def test_nested_diagram_flattens_to_paths_and_matches_a_hand_built_net():
    outer = WiringDiagram("top", inputs=[("task", Q)], outputs=[("act", Act), ("caught", V)])
    outer.add_box("policy", policy)
    outer.add_box("audit", screen())
    outer.connect("in.task", "policy.query")
    outer.connect("policy.act", "audit.act")
    outer.connect("policy.act", "out.act")
    outer.connect("audit.caught", "out.caught")
    net = outer.to_net()
    assert [b.name for b in net.boxes] == ["policy", "audit/monitor", "audit/auditor"]
    assert set(net.wires) == {"task", "policy.act", "audit/monitor.verdict", "audit/auditor.caught"}
    assert net.outputs == ("policy.act", "audit/auditor.caught")
    hand = Net()
    hand.set_inputs("q", types=[Q])
    hand.add_box("p", policy.kernel, ["q"], ["a"])
    hand.add_box("m", monitor.kernel, ["a"], ["v"])
    hand.add_box("x", auditor.kernel, ["v"], ["c"])
    hand.set_outputs("a", "c")
    expected, _ = brute_force(hand, ("a", "c"))
    assert np.allclose(outer.evaluate().array, expected)
    assert np.allclose(expected, control_kernel())


def test_two_levels_and_a_diagram_used_twice():
    inner = screen()
    middle = WiringDiagram("double", inputs=[("act", Act)], outputs=[("first", V), ("second", V)])
    middle.add_box("one", inner)
    middle.add_box("two", inner)
    middle.connect("in.act", "one.act")
    middle.connect("in.act", "two.act")
    middle.connect("one.caught", "out.first")
    middle.connect("two.caught", "out.second")
    top = WiringDiagram("top", inputs=[("task", Q)], outputs=[("a", V), ("b", V)])
    top.add_box("policy", policy)
    top.add_box("mid", middle)
    top.chain("in", "policy", "mid", "out")
    net = top.to_net()
    assert [b.name for b in net.boxes] == ["policy", "mid/one/monitor", "mid/one/auditor", "mid/two/monitor",
                                           "mid/two/auditor"]
    screen_k = MONITOR @ AUDITOR
    expected = np.einsum("qa,ab,ac->qbc", POLICY, screen_k, screen_k)
    assert np.allclose(top.evaluate().array, expected)


def test_outer_inputs_can_pass_straight_through_nested_diagrams():
    inner = WiringDiagram("wire", inputs=[("x", Act)], outputs=[("y", Act)])
    inner.connect("in.x", "out.y")
    outer = WiringDiagram("o", inputs=[("a", Act)], outputs=[("b", Act), ("c", Act)])
    outer.add_box("w", inner)
    outer.connect("in.a", "w.x")
    outer.connect("w.y", "out.b")
    outer.connect("in.a", "out.c")
    k = outer.evaluate()
    assert np.allclose(k.array, np.einsum("ab,ac->abc", np.eye(2), np.eye(2)))
    assert outer.to_net().outputs == ("a", "a")


def test_a_loop_through_a_nested_diagram_without_a_path_inside_is_no_loop():
    # the nested diagram's output does not depend on its input: the loop is only apparent
    inner = WiringDiagram("split", inputs=[("v", V)], outputs=[("act", Act)])
    inner.add_box("prior", Kernel([0.4, 0.6], [], [("act", Act)], name="prior"))
    inner.add_box("sink", Box.discard())
    inner.connect("in.v", "sink.x")
    inner.connect("prior.act", "out.act")
    outer = WiringDiagram("o", outputs=[("verdict", V)])
    outer.add_box("s", inner)
    outer.add_box("monitor", monitor)
    outer.connect("s.act", "monitor.act")
    outer.connect("monitor.verdict", "s.v")
    outer.connect("monitor.verdict", "out.verdict")
    assert outer.problems() == []
    assert np.allclose(outer.evaluate().array, np.array([0.4, 0.6]) @ MONITOR)
    through = WiringDiagram("through", inputs=[("v", V)], outputs=[("act", Act)])
    through.add_box("cast", Kernel(np.eye(2), [("v", V)], [("act", Act)], name="cast"))
    through.chain("in", "cast", "out")
    outer.boxes["s"] = through
    assert [str(e) for e in outer.problems()] == [
        "loop s.act → monitor.act → monitor.verdict → s.v: has no stateful box to delay it\n"
        "  fix: put a stateful box (markovwire.diagrams.StatefulBox) on the loop, or remove one of its wires"]


# ----- state and feedback -------------------------------------------------------------------------
@dataclass(frozen=True)
class Memory:
    """The minimal shape of a stateful box (duck typing): name, ports, state, instantaneous."""

    name: str
    dom: tuple
    cod: tuple
    state: FinSet
    instantaneous: bool


def feedback(instantaneous: bool) -> WiringDiagram:
    wd = WiringDiagram("loop", inputs=[("task", Q)], outputs=[("verdict", V)])
    wd.add_box("router", Kernel(np.ones((2, 2, 2)) / 2, [("query", Q), ("flag", V)], [("act", Act)], name="r"))
    wd.add_box("monitor", monitor)
    wd.add_box("memory", Memory("memory", (Port("verdict", V),), (Port("flag", V),), V, instantaneous))
    wd.connect("in.task", "router.query")
    wd.connect("router.act", "monitor.act")
    wd.connect("monitor.verdict", "memory.verdict")
    wd.connect("memory.flag", "router.flag")
    wd.connect("monitor.verdict", "out.verdict")
    return wd


def test_a_loop_through_a_delaying_stateful_box_is_allowed():
    wd = feedback(instantaneous=False)
    assert wd.problems() == []
    assert [w for w in wd.wires if wd.is_feedback(w)] == [Wire(PortRef("memory", "flag"), PortRef("router", "flag"))]
    with pytest.raises(WiringError) as err:
        wd.to_net()
    assert str(err.value) == ("box 'memory': is stateful, so diagram 'loop' has no single kernel\n"
                              "  fix: compile it with markovwire.diagrams.System(diagram) for its step kernel and "
                              "multi-step behaviour")
    assert "  memory.flag     → router.flag     Verdict (feedback)\n" in str(wd)
    with pytest.raises(WiringError) as err:
        wd.to_diagram()
    assert str(err.value) == ("diagram 'loop': has a loop through 'router', so no string diagram\n"
                              "  fix: keep it as a wiring diagram (markovwire.diagrams.System for state)")


def test_a_loop_through_an_instantaneous_box_is_refused_naming_the_cycle():
    wd = feedback(instantaneous=True)
    errs = wd.problems()
    assert [type(e) for e in errs] == [LoopWithoutState]
    assert str(errs[0]) == (
        "loop router.act → monitor.act → monitor.verdict → memory.verdict → memory.flag → router.flag: "
        "has no stateful box to delay it\n"
        "  fix: put a stateful box (markovwire.diagrams.StatefulBox) on the loop, or remove one of its wires")


def test_a_loop_of_plain_boxes_is_refused_and_marked_as_feedback():
    wd = WiringDiagram("l", outputs=[("out", Act)])
    wd.add_box("a", actor)
    wd.add_box("b", actor)
    wd.connect("a.out", "b.act")
    wd.connect("b.out", "a.act")
    wd.connect("b.out", "out.out")
    assert [str(e).split("\n")[0] for e in wd.problems()] == [
        "loop a.out → b.act → b.out → a.act: has no stateful box to delay it"]
    assert [str(w) for w in wd.wires if wd.is_feedback(w)] == ["b.out → a.act"]
    with pytest.raises(LoopWithoutState):
        wd.to_diagram()


def test_stateful_boxes_deep_inside_are_refused_by_to_net():
    outer = WiringDiagram("o", inputs=[("task", Q)], outputs=[("verdict", V)])
    outer.add_box("inner", feedback(instantaneous=False))
    outer.chain("in", "inner", "out")
    with pytest.raises(WiringError) as err:
        outer.to_net()
    assert str(err.value).startswith("box 'inner/memory': is stateful, so diagram 'o' has no single kernel")


# ----- evaluation ----------------------------------------------------------------------------------
def test_evaluate_with_evidence_outputs_and_sweeps():
    wd = control()
    post = wd.evaluate(evidence={"monitor.verdict": "flag"}, outputs=["policy.act"])
    joint = np.einsum("qa,av->qav", POLICY, MONITOR)[:, :, 1]
    assert np.allclose(post.array, joint / joint.sum(axis=1, keepdims=True))
    r = Parameter("recall", (0, 1), default=0.75)
    sym = Box.of(Kernel([[0.9, 0.1], [1 - r.symbol, r.symbol]], [("act", Act)], [("verdict", V)], params=[r],
                        name="monitor"))
    wd.boxes["monitor"] = sym
    assert np.allclose(wd.evaluate().array, control_kernel())          # the default is the same monitor
    swept = wd.evaluate({"recall": np.array([0.0, 1.0])})
    for k, value in enumerate([0.0, 1.0]):
        m = np.array([[0.9, 0.1], [1 - value, value]])
        assert np.allclose(swept[k], np.einsum("qa,av,vc->qac", POLICY, m, AUDITOR))


def test_the_net_is_reused_until_the_diagram_changes():
    wd = control()
    first = wd._net()
    assert wd._net() is first
    wd.rename_box("auditor", "judge")
    assert wd._net() is not first and [b.name for b in wd._net().boxes][-1] == "judge"


# ----- string diagrams and display ------------------------------------------------------------------
def test_to_diagram_and_back_gives_the_same_kernel():
    wd = control()
    d = wd.to_diagram()
    assert str(d) == "policy >> copy[Act] >> (monitor ⊗ id[Act]) >> (auditor ⊗ id[Act]) >> swap[Verdict, Act]"
    assert [p.name for p in d.dom] == ["task"] and [p.name for p in d.cod] == ["act", "caught"]
    assert np.allclose(d.evaluate().array, control_kernel())
    again = WiringDiagram.from_diagram(d, "control")
    assert np.allclose(again.evaluate().array, control_kernel())
    assert list(again.boxes) == ["policy", "monitor", "auditor"]


def test_to_diagram_copies_and_discards_outer_inputs():
    wd = WiringDiagram("d", inputs=[("a", Act), ("unused", Q)], outputs=[("x", Act), ("y", Act), ("v", V)])
    wd.add_box("monitor", monitor)
    wd.connect("in.a", "monitor.act")
    wd.connect("in.a", "out.x")
    wd.connect("in.a", "out.y")
    wd.connect("monitor.verdict", "out.v")
    d = wd.to_diagram()
    assert str(d) == ("(copy[Act] ⊗ discard[Query]) >> (monitor ⊗ id[Act]) >> (id[Verdict] ⊗ copy[Act]) >> "
                      "permute[1, 2, 0][Verdict, Act, Act]")
    assert np.allclose(d.evaluate().array, wd.evaluate().array)


def test_printing_shows_a_table_of_boxes_and_wires():
    assert str(control()) == (
        "wiring diagram control: task: Query → act: Act ⊗ caught: Verdict\n"
        "boxes:\n"
        "  policy   policy: query: Query → act: Act\n"
        "  monitor  monitor: act: Act → verdict: Verdict\n"
        "  auditor  auditor: verdict: Verdict → caught: Verdict\n"
        "wires:\n"
        "  in.task         → policy.query     Query\n"
        "  policy.act      → monitor.act      Act\n"
        "  policy.act      → out.act          Act\n"
        "  monitor.verdict → auditor.verdict  Verdict\n"
        "  auditor.caught  → out.caught       Verdict")
    assert repr(control()) == ("WiringDiagram(control: task: Query → act: Act ⊗ caught: Verdict; "
                               "3 boxes, 5 wires)")
    assert str(WiringDiagram("empty")) == "wiring diagram empty: I → I\nboxes: none\nwires: none"


# ----- random nets as wiring diagrams, against brute force --------------------------------------------
def as_wiring(net: Net) -> tuple[WiringDiagram, dict[str, str]]:
    """The wiring diagram of a net (one box per net box), and each net wire's name in its flattened net."""
    wd = WiringDiagram("random", inputs=[(w, net.wires[w]) for w in net.inputs])
    driver = {w: PortRef("in", w) for w in net.inputs}
    for b in net.boxes:
        wd.add_box(b.name, b.kernel)
        driver.update({w: PortRef(b.name, p.name) for w, p in zip(b.outputs, b.kernel.cod)})
    for b in net.boxes:
        for w, p in zip(b.inputs, b.kernel.dom):
            wd.connect(driver[w], PortRef(b.name, p.name))
    for k, w in enumerate(net.outputs):
        wd.add_output(f"o{k}", net.wires[w])
        wd.connect(driver[w], PortRef("out", f"o{k}"))
    flat = {w: (ref.port if ref.box == "in" else str(ref)) for w, ref in driver.items()}
    return wd, flat


@settings(max_examples=40)
@given(nets())
def test_random_wiring_diagrams_agree_with_brute_force(spec):
    wd, flat = as_wiring(spec.net)
    joint, p_evidence = brute_force(spec.net, spec.outputs, spec.evidence)
    evidence = {flat[w]: label for w, label in spec.evidence.items()}
    if np.any(np.asarray(p_evidence) <= 1e-12):
        with pytest.raises(EvidenceError):
            wd.evaluate(evidence=evidence)
        return
    expected = joint / np.reshape(p_evidence, np.shape(p_evidence) + (1,) * len(spec.outputs))
    assert np.allclose(wd.evaluate(evidence=evidence).array, expected)
    if not spec.evidence:
        assert np.allclose(wd.to_diagram().evaluate().array, expected)


def test_a_string_diagram_refuses_a_stateful_box():
    with pytest.raises(WiringError) as err:
        Diagram.box(feedback(instantaneous=False)["memory"]).to_net()
    assert str(err.value) == ("box 'memory': is stateful, so it has no single kernel\n"
                              "  fix: compile its wiring diagram with markovwire.diagrams.System")


def test_an_input_and_an_output_may_share_a_port_name():
    judge = Box.of(Kernel(MONITOR, [("x", Act)], [("x", V)], name="judge"))
    wd = WiringDiagram("same", inputs=[("a", Act)], outputs=[("v", V)])
    wd.add_box("judge", judge)
    wd.connect("in.a", "judge.x")
    wd.connect("judge.x", "out.v")
    assert wd.problems() == []
    assert np.allclose(wd.evaluate().array, MONITOR)
    assert np.allclose(wd.to_diagram().evaluate().array, MONITOR)
