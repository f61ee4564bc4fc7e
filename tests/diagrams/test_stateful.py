"""Stateful boxes and systems: feedback semantics against unrolling, trajectories and a published DP."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import sympy
from hypothesis import given, settings

from markovwire import (
    FinSet,
    Kernel,
    LoopWithoutState,
    Net,
    Parameter,
    ParameterError,
    Product,
    Range,
    ShapeError,
    TypeMismatch,
    UnknownName,
)
from markovwire.diagrams import StatefulBox, System, WiringDiagram
from tests.strategies import seeds, stochastic

Bit = FinSet("Bit", ["0", "1"])
Mode = FinSet("Mode", ["calm", "alert"])
Reading = FinSet("Reading", ["low", "mid", "high"])


# ----- a two-box feedback loop: a counter (Moore) and a controller (stateful, instantaneous) -----------
def loop_parts(seed: int, C: FinSet = Range(4), R: FinSet = Reading):
    """Random kernels of the loop: counter readout/update, controller step, initials, noise feed."""
    rng = np.random.default_rng(seed)
    k = lambda dom, cod, name: Kernel(stochastic(rng, [len(p[1]) for p in dom], [len(p[1]) for p in cod]),
                                      dom, cod, name=name)
    return dict(
        C=C, R=R,
        readout=k([("s", C)], [("reading", R)], "readout"),
        update=k([("s", C), ("go", Bit), ("noise", Bit)], [("s", C)], "update"),
        ctrl=k([("m", Mode), ("reading", R)], [("m", Mode), ("go", Bit)], "ctrl"),
        counter0=k([], [("s", C)], "counter0"),
        ctrl0=k([], [("m", Mode)], "ctrl0"),
        noise=np.array([0.35, 0.65]),
    )


def loop_diagram(parts) -> WiringDiagram:
    counter = StatefulBox.moore("counter", parts["C"], parts["counter0"], parts["update"], parts["readout"])
    ctrl = StatefulBox("ctrl", Mode, parts["ctrl0"], parts["ctrl"])
    wd = WiringDiagram("loop", inputs=[("noise", Bit)], outputs=[("go", Bit)])
    wd.add_box("counter", counter)
    wd.add_box("ctrl", ctrl)
    wd.connect("counter.reading", "ctrl.reading")
    wd.connect("ctrl.go", "counter.go")
    wd.connect("in.noise", "counter.noise")
    wd.connect("ctrl.go", "out.go")
    return wd


def unrolled_loop(parts, T: int) -> Net:
    """T copies of the loop's step as one acyclic net, built by hand from the component kernels."""
    net = Net()
    net.add_box("counter/init", parts["counter0"], [], ["counter@0"])
    net.add_box("ctrl/init", parts["ctrl0"], [], ["ctrl@0"])
    for t in range(1, T + 1):
        net.add_box(f"noise@{t}", Kernel(parts["noise"], [], [Bit]), [], [f"noise@{t}"])
        net.add_box(f"readout@{t}", parts["readout"], [f"counter@{t - 1}"], [f"reading@{t}"])
        net.add_box(f"ctrl@{t}", parts["ctrl"], [f"ctrl@{t - 1}", f"reading@{t}"], [f"ctrl@{t}", f"go@{t}"])
        net.add_box(f"update@{t}", parts["update"], [f"counter@{t - 1}", f"go@{t}", f"noise@{t}"], [f"counter@{t}"])
    return net


def trajectories(parts, T: int):
    """Every trajectory of every wire for T steps with its probability (nested loops over labels)."""
    C, R = parts["C"], parts["R"]
    ro, up, ct = parts["readout"].array, parts["update"].array, parts["ctrl"].array
    start = [((c, m), parts["counter0"].array[c] * parts["ctrl0"].array[m], [])
             for c in range(len(C)) for m in range(2)]
    for _ in range(T):
        nxt = []
        for (c, m), p, steps in start:
            for z, r, m2, g, c2 in itertools.product(range(2), range(len(R)), range(2), range(2), range(len(C))):
                q = p * parts["noise"][z] * ro[c, r] * ct[m, r, m2, g] * up[c, g, z, c2]
                if q > 0:
                    nxt.append(((c2, m2), q, steps + [dict(counter=c2, ctrl=m2, reading=r, go=g, noise=z)]))
        start = nxt
    return start


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_feedback_loop_equals_unrolling_into_T_copies(seed):
    parts = loop_parts(seed)
    system = System(loop_diagram(parts))
    feed = {"noise": parts["noise"]}
    for T in (0, 1, 2, 7):
        net = unrolled_loop(parts, T)
        net.set_outputs(f"counter@{T}", f"ctrl@{T}")
        want = net.evaluate().array
        got = system.distribution_after(T, inputs=feed)
        assert [(p.name, p.type) for p in got.cod] == [("counter.state", parts["C"]), ("ctrl.state", Mode)]
        assert np.allclose(got.array, want, atol=1e-12, rtol=0)
    net = unrolled_loop(parts, 5)
    net.set_outputs("counter@5", "ctrl@5", "go@5", "reading@5")
    joint = system.distribution_after(5, inputs=feed, outputs=["go", "counter.reading"])
    assert [p.name for p in joint.cod] == ["counter.state", "ctrl.state", "go", "counter.reading"]
    assert np.allclose(joint.array, net.evaluate().array, atol=1e-12, rtol=0)


def test_feedback_loop_equals_brute_force_over_trajectories():
    parts = loop_parts(7, C=Range(3), R=FinSet("Reading", ["low", "high"]))
    system = System(loop_diagram(parts))
    feed = {"noise": parts["noise"]}
    T = 2
    paths = trajectories(parts, T)
    dist = np.zeros((3, 2))
    for (c, m), p, _ in paths:
        dist[c, m] += p
    assert np.allclose(system.distribution_after(T, inputs=feed).array, dist, atol=1e-13)
    # reaching counter = 2 at some time 0..T (the start counts), and go = 1 in some step 1..T
    brute_state = brute_go = 0.0
    for c0, m0 in itertools.product(range(3), range(2)):
        sub = dict(parts, counter0=Kernel(np.eye(3)[c0], [], [("s", Range(3))]),
                   ctrl0=Kernel(np.eye(2)[m0], [], [("m", Mode)]))
        w0 = parts["counter0"].array[c0] * parts["ctrl0"].array[m0]
        for _, p, steps in trajectories(sub, T):
            brute_state += w0 * p * (c0 == 2 or any(s["counter"] == 2 for s in steps))
            brute_go += w0 * p * any(s["go"] == 1 for s in steps)
    assert system.reach_probability({"counter": "2"}, T=T, inputs=feed) == pytest.approx(brute_state, abs=1e-13)
    assert system.reach_probability({"go": "1"}, T=T, inputs=feed) == pytest.approx(brute_go, abs=1e-13)


def test_hitting_a_count_matches_the_sum_of_geometric_waits():
    """The controller says go w.p. 0.7 below 2 and 0.2 from 2; the counter adds go mod 3."""
    C = Range(3)
    update = Kernel.deterministic(lambda s, g: str((int(s) + int(g)) % 3), [("s", C), ("go", Bit)], [("s", C)])
    show = Kernel(np.eye(3), [("s", C)], [("count", C)])
    counter = StatefulBox.moore("counter", C, Kernel.point([C], "0"), update, show)
    One = FinSet("One", ["*"])
    step = np.zeros((1, 3, 1, 2))
    for c in range(3):
        p = 0.7 if c < 2 else 0.2
        step[0, c, 0] = [1 - p, p]
    ctrl = StatefulBox("ctrl", One, Kernel.point([One], "*"), Kernel(step, [("s", One), ("count", C)],
                                                                      [("s", One), ("go", Bit)]))
    wd = WiringDiagram("loop", outputs=[("count", C)])
    wd.add_box("counter", counter)
    wd.add_box("ctrl", ctrl)
    wd.connect("counter.count", "ctrl.count")
    wd.connect("ctrl.go", "counter.go")
    wd.connect("counter.count", "out.count")
    system = System.from_wiring(wd)
    assert ctrl.instantaneous and not counter.instantaneous
    assert system.expected_time({"counter.state": "2"}) == pytest.approx(2 / 0.7, rel=1e-12)
    assert system.expected_time({"ctrl.go": "1"}) == pytest.approx(1 / 0.7, rel=1e-12)
    assert system.reach_probability({"counter": "2"}, T=2) == pytest.approx(0.7**2, abs=1e-14)
    # the output count reads the state at the start of each step, so it shows 2 one step later
    assert system.reach_probability({"count": "2"}, T=2) == 0.0
    assert system.reach_probability({"count": "2"}, T=3) == pytest.approx(0.7**2, abs=1e-14)
    assert system.reach_probability({"counter": "2"}) == pytest.approx(1.0, abs=1e-14)


def test_an_instantaneous_loop_is_refused_naming_the_cycle():
    parts = loop_parts(3)
    wd = loop_diagram(parts)
    counter = wd.boxes["counter"]
    wd.remove_box("counter")
    wd.add_box("counter", StatefulBox("counter", counter.state, counter.initial, counter.step, instantaneous=True))
    wd.connect("counter.reading", "ctrl.reading")
    wd.connect("ctrl.go", "counter.go")
    wd.connect("in.noise", "counter.noise")
    with pytest.raises(LoopWithoutState, match=r"^loop .*: has no stateful box to delay it") as err:
        System(wd)
    cycle = err.value.where.removeprefix("loop ").split(" → ")
    assert sorted(cycle) == ["counter.go", "counter.reading", "ctrl.go", "ctrl.reading"]
    wd.problems = lambda: []  # the system's own guard, when the diagram's check is bypassed
    with pytest.raises(LoopWithoutState, match=r"diagram 'loop': its one-step net has a loop without state "
                                               r"\(loop .*counter.*ctrl.*\)"):
        System(wd)


def test_a_stateful_box_inside_a_nested_diagram():
    """The counter lives in a nested 'plant' whose output feeds the controller outside."""
    parts = loop_parts(4)
    counter = StatefulBox.moore("counter", parts["C"], parts["counter0"], parts["update"], parts["readout"])
    plant = WiringDiagram("plant", inputs=[("go", Bit), ("noise", Bit)], outputs=[("reading", Reading)])
    plant.add_box("counter", counter)
    plant.connect("in.go", "counter.go")
    plant.connect("in.noise", "counter.noise")
    plant.connect("counter.reading", "out.reading")
    wd = WiringDiagram("outer", inputs=[("noise", Bit)], outputs=[("go", Bit)])
    wd.add_box("plant", plant)
    wd.add_box("ctrl", StatefulBox("ctrl", Mode, parts["ctrl0"], parts["ctrl"]))
    wd.connect("plant.reading", "ctrl.reading")
    wd.connect("ctrl.go", "plant.go")
    wd.connect("in.noise", "plant.noise")
    wd.connect("ctrl.go", "out.go")
    system = System(wd)
    assert system.state_wires == ("plant/counter.state", "ctrl.state")
    assert {b.name for b in system.step_net.boxes} == {"plant/counter/readout", "plant/counter/update", "ctrl/step"}
    flat = System(loop_diagram(parts))
    feed = {"noise": parts["noise"]}
    assert np.allclose(system.distribution_after(6, inputs=feed).array, flat.distribution_after(6, inputs=feed).array,
                       atol=1e-14)
    assert system.reach_probability({"plant/counter": "3"}, inputs=feed) == \
        pytest.approx(flat.reach_probability({"counter": "3"}, inputs=feed), abs=1e-12)


def test_a_hand_built_step_net_gives_the_same_system():
    parts = loop_parts(9)
    net = Net()
    net.add_box("counter/readout", parts["readout"], ["counter.state"], ["reading"])
    net.add_box("counter/update", parts["update"], ["counter.state", "go", "noise"], ["counter.state'"])
    net.add_box("ctrl/step", parts["ctrl"], ["ctrl.state", "reading"], ["ctrl.state'", "go"])
    net.set_inputs("counter.state", "ctrl.state", "noise")
    net.set_outputs("counter.state'", "ctrl.state'", "go")
    diagram = loop_diagram(parts)
    boxes = {name: diagram.boxes[name] for name in ("counter", "ctrl")}
    by_hand = System.from_step_net("loop", net, boxes)
    assert by_hand.inputs == ("noise",) and by_hand.outputs == ("go",)
    feed = {"noise": parts["noise"]}
    assert np.allclose(by_hand.distribution_after(5, inputs=feed).array,
                       System(diagram).distribution_after(5, inputs=feed).array, atol=1e-14)
    net.set_outputs("go", "counter.state'", "ctrl.state'")
    with pytest.raises(ShapeError, match=r"system 'loop': its step net must read the states first and write the "
                                         r"next states first"):
        System.from_step_net("loop", net, boxes)


def test_a_swept_initial_distribution():
    q = Parameter("q", (0, 1), default=0.0)
    lamp = StatefulBox.moore("lamp", Bit, Kernel([1 - q.symbol, q.symbol], [], [Bit], params=[q]),
                             Kernel.deterministic(lambda s, f: str(int(s) ^ int(f)), [("s", Bit), ("flip", Bit)],
                                                  [("s", Bit)]),
                             Kernel(np.eye(2), [("s", Bit)], [("on", Bit)]))
    switch = Kernel([[0.5, 0.5], [1.0, 0.0]], [("on", Bit)], [("flip", Bit)])
    room = System(WiringDiagram("room", boxes={"lamp": lamp, "switch": switch},
                                wires=[("lamp.on", "switch.on"), ("switch.flip", "lamp.flip")]))
    qs = np.array([0.0, 0.5, 1.0])
    on = room.distribution_after(1, {"q": qs})[:, 1]
    assert np.allclose(on, qs + (1 - qs) * 0.5)
    assert np.allclose(room.expected_time({"lamp": "1"}, {"q": qs}), (1 - qs) * 2)
    with pytest.raises(ParameterError, match=r"episode 'room': unknown parameter 'qq'\n  fix: use one of the "
                                             r"declared parameters: q"):
        room.initial({"qq": 0.5})


def test_a_diagram_without_state_repeats_independently():
    Act, V = FinSet("Act", ["clean", "attack"]), FinSet("Verdict", ["pass", "flag"])
    wd = WiringDiagram("control", outputs=[("act", Act), ("verdict", V)],
                       boxes={"policy": Kernel([0.9, 0.1], [], [("act", Act)]),
                              "monitor": Kernel([[0.95, 0.05], [0.3, 0.7]], [("act", Act)], [("verdict", V)])},
                       wires=[("policy.act", "monitor.act"), ("policy.act", "out.act"),
                              ("monitor.verdict", "out.verdict")])
    system = System(wd)
    assert system.size == 1 and system.state_wires == ()
    assert system.reach_probability({"verdict": "flag"}, T=3) == pytest.approx(1 - (1 - 0.115) ** 3, abs=1e-15)
    assert system.expected_time({"act": "attack", "verdict": "pass"}) == pytest.approx(1 / 0.03, rel=1e-12)
    assert system.distribution_after(4, outputs=["act", "verdict"]).allclose(wd.evaluate())


# ----- stateful boxes ---------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(seeds)
def test_a_step_whose_outputs_ignore_the_inputs_splits_exactly(seed):
    """step = readout(y | s) · update(s' | s, x, y) is recovered by the disintegration."""
    rng = np.random.default_rng(seed)
    S, X, Y = Range(3), Range(2), FinSet("Y", ["u", "v"])
    R = stochastic(rng, [3], [2], zeros=0.4)                    # [s, y]
    U = stochastic(rng, [3, 2, 2], [3], zeros=0.4)              # [s, x, y, s']
    step = Kernel(np.einsum("sy,sxyt->sxty", R, U), [("s", S), ("x", X)], [("s", S), ("y", Y)])
    box = StatefulBox("b", S, Kernel.uniform([S]), step)
    assert box.instantaneous is False
    readout, update = box.split()
    assert np.allclose(readout.array, R, atol=1e-14)
    again = np.einsum("sy,sxyt->sxty", readout.array, update.array)
    assert np.allclose(again, step.array, atol=1e-14)
    assert [p.name for p in update.dom] == ["s", "x", "y"]


def test_moore_box_is_the_product_of_update_and_readout():
    rng = np.random.default_rng(5)
    S = Range(3)
    update = Kernel(stochastic(rng, [3, 2], [3]), [("s", S), ("x", Bit)], [("s", S)])
    readout = Kernel(stochastic(rng, [3], [2]), [("s", S)], [("s", Bit)])  # an output named like the state
    box = StatefulBox.moore("m", S, Kernel.uniform([S]), update, readout)
    assert box.instantaneous is False and box.dom == (update.dom[1],) and box.cod == readout.cod
    assert np.allclose(box.step.array, np.einsum("sxt,sy->sxty", update.array, readout.array))
    assert [p.name for p in box.step.cod] == ["s_out", "s"]


def test_instantaneous_is_detected_and_checked():
    rng = np.random.default_rng(6)
    S = Range(2)
    step = Kernel(stochastic(rng, [2, 2], [2, 2]), [("s", S), ("x", Bit)], [("s", S), ("y", Bit)], name="mealy")
    assert StatefulBox("b", S, Kernel.uniform([S]), step).instantaneous is True
    with pytest.raises(TypeMismatch, match=r"stateful box 'b': is declared not instantaneous but its outputs depend "
                                           r"on its inputs \(at state 0, input x=1 changes them\)\n  fix: declare "
                                           r"instantaneous=True, or make the outputs read only the state"):
        StatefulBox("b", S, Kernel.uniform([S]), step, instantaneous=False)
    with pytest.raises(LoopWithoutState, match=r"'b': is instantaneous"):
        StatefulBox("b", S, Kernel.uniform([S]), step).split()


def test_instantaneous_is_decided_symbolically_for_parameters():
    a = Parameter("a", (0, 1), default=0.3)
    S = Range(2)
    p = a.symbol
    # y reads s only through a; the next state reads x: not instantaneous for every value of a
    arr = np.empty((2, 2, 2, 2), dtype=object)
    for s, x, t, y in itertools.product(range(2), repeat=4):
        py = p if y == 1 else 1 - p
        pt = (sympy.Rational(1, 2) if x == 0 else (1 if t == s else 0))
        arr[s, x, t, y] = py * pt
    step = Kernel(arr, [("s", S), ("x", Bit)], [("s", S), ("y", Bit)], params=[a])
    box = StatefulBox("b", S, Kernel.point([S], "0"), step)
    assert box.instantaneous is False
    readout, update = box.split()
    assert sympy.simplify(readout.array[0, 1] - p) == 0 and update.array[1, 1, 0, 1] == 1


def test_stateful_box_type_errors_name_the_box():
    S = Range(2)
    step = Kernel(np.eye(2), [("s", S)], [("s", S)])
    with pytest.raises(TypeMismatch, match=r"stateful box 'b', initial distribution: has type I → x: Bit, not I → "
                                           r"Range\(2\)"):
        StatefulBox("b", S, Kernel.point([("x", Bit)], "0"), step)
    with pytest.raises(TypeMismatch, match=r"stateful box 'b', step kernel: its first input is Bit, not the state "
                                           r"Range\(2\)\n  fix: write the step as state ⊗ inputs → state ⊗ "
                                           r"outputs"):
        StatefulBox("b", S, Kernel.point([S], "0"), Kernel(np.eye(2), [("x", Bit)], [("s", S)]))
    with pytest.raises(TypeMismatch, match=r"stateful box 'm', update: has type s: Range\(2\) → x: Bit"):
        StatefulBox.moore("m", S, Kernel.point([S], "0"), Kernel(np.eye(2), [("s", S)], [("x", Bit)]), step)
    with pytest.raises(TypeMismatch, match=r"stateful box 'm', readout: reads x: Bit, not the state Range\(2\)"):
        StatefulBox.moore("m", S, Kernel.point([S], "0"), step, Kernel(np.eye(2), [("x", Bit)], [("y", Bit)]))


# ----- the budget-exhaustion game (ALIGNMENT §3.2(d)) --------------------------------------------
Status = FinSet("Status", ["running", "shutdown", "catastrophe"])
Act = FinSet("Act", ["clean", "attack"])
Sus = FinSet("Sus", ["low", "high"])
Budget = FinSet("Budget", ["none", "some"])
Audit = FinSet("Audit", ["no", "yes"])
Result = FinSet("Result", ["nothing", "caught", "catastrophe"])
P = {n: Parameter(n, (0, 1), default=d) for n, d in
     [("beta", 0.1), ("f", 0.2), ("r", 0.8), ("h", 1.0), ("sigma", 0.5)]}
beta, f, r, h, sigma = (P[n].symbol for n in ("beta", "f", "r", "h", "sigma"))


def budget_game(B: int) -> WiringDiagram:
    """Per task: U attacks w.p. beta; M flags; H audits a flag while coins remain; the episode keeps
    (status, coins), spends a coin per audit, and stops at shutdown or catastrophe."""
    Ep = Product(Status, Range(B + 1), name="Ep")
    policy = Kernel([1 - beta, beta], [], [("act", Act)], params=[P["beta"]], name="U")
    monitor = Kernel([[1 - f, f], [1 - r, r]], [("act", Act)], [("sus", Sus)], params=[P["f"], P["r"]], name="M")
    auditor = Kernel.deterministic(lambda s, b: "yes" if (s, b) == ("high", "some") else "no",
                                   [("sus", Sus), ("budget", Budget)], [("audit", Audit)], name="H")
    outcome = Kernel.from_table({
        ("clean", "no"): {"nothing": 1}, ("clean", "yes"): {"nothing": 1},
        ("attack", "no"): {"nothing": 1 - sigma, "catastrophe": sigma},
        ("attack", "yes"): {"caught": h, "nothing": (1 - h) * (1 - sigma), "catastrophe": (1 - h) * sigma},
    }, [("act", Act), ("audit", Audit)], [("result", Result)], params=[P["h"], P["sigma"]], name="outcome")

    def update(ep, audit, result):
        status, coins = ep.split(",")
        if status != "running":
            return ep
        coins = max(int(coins) - (audit == "yes"), 0)  # the auditor never audits with no coins left
        status = {"caught": "shutdown", "catastrophe": "catastrophe"}.get(result, "running")
        return f"{status},{coins}"
    episode = StatefulBox.moore(
        "episode", Ep, Kernel.point([Ep], f"running,{B}"),
        Kernel.deterministic(update, [("ep", Ep), ("audit", Audit), ("result", Result)], [("ep", Ep)]),
        Kernel.deterministic(lambda ep: "some" if int(ep.split(",")[1]) > 0 else "none", [("ep", Ep)],
                             [("budget", Budget)]))
    wd = WiringDiagram("budget game")
    for name, box in [("U", policy), ("M", monitor), ("H", auditor), ("outcome", outcome), ("episode", episode)]:
        wd.add_box(name, box)
    for a, b in [("U.act", "M.act"), ("M.sus", "H.sus"), ("episode.budget", "H.budget"), ("U.act", "outcome.act"),
                 ("H.audit", "outcome.audit"), ("H.audit", "episode.audit"), ("outcome.result", "episode.result")]:
        wd.connect(a, b)
    return wd


def V(T, B, beta, f, r, h, sigma):
    """The DP of ALIGNMENT §3.2(d): V(t, m) = P(no catastrophe in the t tasks left with m coins)."""
    v = [1.0] * (B + 1)
    for _ in range(T):
        new = [(1 - beta) * v[0] + beta * (1 - sigma) * v[0]]
        for m in range(1, B + 1):
            new.append((1 - beta) * (f * v[m - 1] + (1 - f) * v[m])
                       + beta * (r * (h + (1 - h) * (1 - sigma) * v[m - 1]) + (1 - r) * (1 - sigma) * v[m]))
        v = new
    return v[B]


catastrophe = {"episode": lambda label: label.startswith("catastrophe,")}


@pytest.mark.parametrize("T,B,values", [
    (1, 1, {}),
    (6, 2, {"beta": 0.3, "f": 0.25, "r": 0.7, "h": 0.9, "sigma": 0.6}),
    (15, 3, {"beta": 0.05, "f": 0.1, "r": 0.6, "h": 1.0, "sigma": 0.5}),
    (40, 2, {"beta": 0.5, "f": 0.0, "r": 0.9, "h": 0.5, "sigma": 1.0}),
])
def test_budget_game_safety_equals_the_dynamic_programme(T, B, values):
    system = System(budget_game(B))
    full = {n: p.default for n, p in P.items()} | values
    want = V(T, B, **full)
    assert 1 - system.reach_probability(catastrophe, T=T, values=values) == pytest.approx(want, abs=1e-12)
    status = system.distribution_after(T, values).array.reshape(3, B + 1).sum(axis=1)
    assert status[2] == pytest.approx(1 - want, abs=1e-12)


def test_worst_case_attack_rate_is_interior_when_honest_work_is_flagged():
    """False positives burn coins, so the red team attacks rarely enough to outlast the budget."""
    T, B = 12, 2
    system = System(budget_game(B))
    grid = np.linspace(0, 1, 41)
    base = {"f": 0.3, "r": 0.7, "h": 1.0, "sigma": 0.6}
    safety = 1 - system.reach_probability(catastrophe, T=T, values={"beta": grid, **base})
    assert safety.shape == (41,)
    assert np.allclose(safety, [V(T, B, b, **base) for b in grid], atol=1e-12)
    worst = int(np.argmin(safety))
    assert 0 < worst < 40 and safety[worst] < safety[-1] - 0.1 and grid[worst] == pytest.approx(0.225)
    # with no false positives, attacking on every task is the worst case
    honest = 1 - system.reach_probability(catastrophe, T=T, values={"beta": grid, **base, "f": 0.0})
    assert int(np.argmin(honest)) == 40


def test_budget_game_sweeps_give_arrays_for_every_question():
    system = System(budget_game(2))
    values = {"beta": np.array([0.0, 0.2, 1.0])}
    start = system.initial(values)  # no parameter reaches the initial state: one kernel, as Net.evaluate
    assert start.prob("running,2") == 1.0
    assert system.step_kernel(values).shape == (3, 9, 9)  # Ep = Status × Range(3) has 9 elements
    assert system.distribution_after(4, values).shape == (3, 9)
    ended = {"episode": lambda label: not label.startswith("running,")}
    times = system.expected_time(ended, values)
    assert np.isinf(times[0])                          # beta = 0: the episode never ends
    assert times[2] == pytest.approx(1 / (0.8 + 0.2 * 0.5), rel=1e-12)  # every task ends it w.p. r + (1-r)·sigma
    survive = [1 - system.reach_probability(ended, T=t, values={"beta": 0.2}) for t in range(400)]
    assert times[1] == pytest.approx(sum(survive), rel=1e-10)  # E[τ] = Σ_t P(τ > t)
    assert np.all(np.isinf(system.expected_time(catastrophe, values)))  # shutdown may come first
    assert system.reach_probability(catastrophe, values=values)[0] == 0.0


# ----- errors ------------------------------------------------------------------------------------------
def test_system_errors_name_the_wire_and_the_fix():
    parts = loop_parts(8)
    system = System(loop_diagram(parts))
    feed = {"noise": parts["noise"]}
    with pytest.raises(ShapeError, match=r"episode 'loop', outer input 'noise': is not fed\n  fix: give "
                                         r"inputs=\{'noise': a label of Bit or a distribution over it\}"):
        system.step_kernel()
    with pytest.raises(UnknownName, match=r"episode 'loop': has no outer input 'nois'"):
        system.step_kernel(inputs={"nois": "0"})
    with pytest.raises(UnknownName, match=r"system 'loop': has no output or wire 'counter.count' in its step\n"
                                          r"  fix: use one of: go, counter.reading, ctrl.go, or a wire of step_net"):
        system.distribution_after(2, inputs=feed, outputs=["counter.count"])
    with pytest.raises(ShapeError, match=r"outputs go at step 0: there are no outputs before the first step"):
        system.distribution_after(0, inputs=feed, outputs=["go"])
    with pytest.raises(UnknownName, match=r"event on 'counter.state': '9' is not an element of Range\(4\)"):
        system.reach_probability({"counter": "9"}, inputs=feed)
    with pytest.raises(ShapeError, match=r"mixes states and wires of a step"):
        system.reach_probability({"counter": "1", "go": "1"}, inputs=feed)
    with pytest.raises(UnknownName, match=r"'noise': '2' is not an element of Bit"):
        system.step_kernel(inputs={"noise": "2"})
    fixed = system.step_kernel(inputs={"noise": "1"})
    assert np.allclose(fixed.rows().sum(axis=1), 1)
