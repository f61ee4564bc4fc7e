"""Credal kernels: validation, vertices, exact lower/upper values against brute force, chains, Fréchet bounds."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import FinSet, Kernel, Net, NotStochastic, Parameter, ParameterError, ShapeError, TypeMismatch
from markovwire.analysis import (
    CredalKernel,
    IntervalKernel,
    Query,
    chain_bounds,
    conjunction,
    credal_bounds,
    disjunction,
    lower_transition,
)

from analysis_helpers import ACT, VERDICT, monitor_net

S = FinSet("State", ["running", "shutdown", "catastrophe"])
THREE = FinSet("Three", ["a", "b", "c"])


# ----- validation ----------------------------------------------------------------------------
def test_interval_rows_are_validated_with_the_row_named():
    with pytest.raises(NotStochastic, match=r"row \(act=attack\), output verdict=flag: has a lower bound above"):
        IntervalKernel([[0.9, 0.0], [0.2, 0.7]], [[1.0, 0.1], [0.4, 0.6]], [ACT], [VERDICT])
    with pytest.raises(NotStochastic, match=r"row \(act=clean\): lower bounds sum to 1.1 > 1"):
        IntervalKernel([[0.6, 0.5], [0, 0]], [[1, 1], [1, 1]], [ACT], [VERDICT])
    with pytest.raises(NotStochastic, match=r"upper bounds sum to 0.9 < 1"):
        IntervalKernel([[0, 0], [0, 0]], [[0.5, 0.4], [1, 1]], [ACT], [VERDICT])
    with pytest.raises(NotStochastic, match=r"cannot be reached by any distribution of the row "
                                            r"\(reachable: \[0.2, 0.3\]\)"):
        IntervalKernel([0.7, 0.0], [0.8, 0.9], [], [VERDICT])
    with pytest.raises(NotStochastic, match=r"a bound outside \[0, 1\]"):
        IntervalKernel([-0.1, 0.5], [0.5, 1.0], [], [VERDICT])
    with pytest.raises(ShapeError, match=r"upper bounds have shape \(3,\), not \(2,\)"):
        IntervalKernel([0.1, 0.2], [0.5, 0.5, 0.5], [], [VERDICT])
    tight = IntervalKernel([0.7, 0.0], [0.8, 0.9], [], [VERDICT], tighten=True)
    assert tight.lower.tolist() == pytest.approx([0.7, 0.2]) and tight.upper.tolist() == pytest.approx([0.8, 0.3])


def test_credal_kernel_vertices_must_share_a_signature_and_be_numeric():
    a = Kernel([0.5, 0.5], [], [VERDICT])
    with pytest.raises(TypeMismatch, match="vertex 1: has signature I → Act, not I → Verdict"):
        CredalKernel([a, Kernel([0.5, 0.5], [], [ACT])])
    p = Parameter("p", (0, 1), default=0.5)
    with pytest.raises(ParameterError, match="vertex 0: has symbolic entries"):
        CredalKernel([Kernel([p.symbol, 1 - p.symbol], [], [VERDICT], params=[p])])
    with pytest.raises(ShapeError, match="has no vertices"):
        CredalKernel([])


# ----- vertices and the sort-and-fill greedy ------------------------------------------------------
def simplex_grid(step: int) -> np.ndarray:
    """Every distribution on three outcomes with probabilities in multiples of 1/step."""
    i, j = np.meshgrid(np.arange(step + 1), np.arange(step + 1), indexing="ij")
    keep = i + j <= step
    return np.stack([i[keep], j[keep], step - i[keep] - j[keep]], axis=1) / step


GRID = simplex_grid(200)


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1))
def test_greedy_solves_the_linear_programme_and_vertices_are_feasible(seed):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.ones(3))
    lo = np.clip(p - rng.uniform(0, 0.4, 3), 0, 1)
    hi = np.clip(p + rng.uniform(0, 0.4, 3), 0, 1)
    k = IntervalKernel(lo, hi, [], [THREE], tighten=True)
    c = rng.normal(size=3)
    best = k.argmax(c)
    assert np.all(best >= k.lower - 1e-12) and np.all(best <= k.upper + 1e-12) and best.sum() == pytest.approx(1)
    verts = k.row_vertices(0)
    for v in verts:
        assert np.all(v >= k.lower - 1e-12) and np.all(v <= k.upper + 1e-12) and v.sum() == pytest.approx(1)
    assert c @ best == pytest.approx(max(verts @ c), abs=1e-12)
    feasible = GRID[np.all((GRID >= k.lower - 1e-12) & (GRID <= k.upper + 1e-12), axis=1)]
    if len(feasible):                             # a brute-force search of the polytope never beats the greedy
        grid_best = (feasible @ c).max()
        assert grid_best <= c @ best + 1e-12
        assert grid_best >= c @ best - 2 * np.abs(c).max() / 200 * 3


def test_vertices_of_a_row_and_of_a_kernel():
    k = IntervalKernel([[0.9, 0.0], [0.2, 0.6]], [[1.0, 0.1], [0.4, 0.8]], [ACT], [VERDICT])
    assert sorted(map(tuple, np.round(k.row_vertices(0), 12).tolist())) == [(0.9, 0.1), (1.0, 0.0)]
    assert k.n_vertices == 4 and k.vertex_arrays().shape == (4, 2, 2)
    c = IntervalKernel.around(Kernel([0.2, 0.3, 0.5], [], [THREE]), 0.1)
    assert sorted(map(tuple, np.round(c.row_vertices(0), 12).tolist())) == sorted(
        [(0.1, 0.3, 0.6), (0.1, 0.4, 0.5), (0.2, 0.2, 0.6), (0.3, 0.2, 0.5), (0.2, 0.4, 0.4), (0.3, 0.3, 0.4)])
    centre = c.center()
    assert c.contains(centre) and centre.tv(Kernel([0.2, 0.3, 0.5], [], [THREE])) <= c.radius() + 1e-12


# ----- credal bounds on nets: exact, against brute force ------------------------------------------
def with_kernels(net: Net, kernels: dict) -> Net:
    other = net.clone()
    other.boxes = [type(b)(b.name, kernels[b.name], b.inputs, b.outputs) if b.name in kernels else b
                   for b in net.boxes]
    return other


def brute(net, q, sets: dict, params: dict, values=None):
    """Every combination of vertices and interval endpoints, evaluated one by one."""
    names = list(sets)
    out = []
    per_box = [[Kernel(a, sets[n].dom, sets[n].cod, check=False) for a in sets[n].vertex_arrays()] for n in names]
    for combo in itertools.product(*per_box):
        for ends in itertools.product(*params.values()):
            vals = {**(values or {}), **dict(zip(params, ends))}
            try:
                out.append(q.value(with_kernels(net, dict(zip(names, combo))), vals))
            except Exception as err:
                assert "probability zero" in str(err)
    return min(out), max(out)


def test_one_imprecise_monitor_exact():
    net = monitor_net()
    monitor = IntervalKernel([[0.9, 0.02], [0.2, 0.5]], [[0.98, 0.1], [0.5, 0.8]], [ACT], [VERDICT])
    for q in (Query.probability({"act": "attack", "verdict": "pass"}),
              Query.probability({"act": "attack"}, given={"verdict": "pass"}),
              Query.expectation(["act", "verdict"], {("attack", "pass"): 10, ("clean", "flag"): 1})):
        res = credal_bounds(net, q, boxes={"monitor": monitor})
        lo, hi = brute(net, q, {"monitor": monitor}, {})
        assert res.exact and (res.lower, res.upper) == pytest.approx((lo, hi), abs=1e-12)
        assert q.value(with_kernels(net, {"monitor": res.upper_choice["monitor"]})) == pytest.approx(res.upper)
        assert monitor.contains(res.lower_choice["monitor"])


@settings(max_examples=12)
@given(seed=st.integers(0, 2**32 - 1), evidence=st.booleans())
def test_several_imprecise_boxes_and_parameters_exact(seed, evidence):
    rng = np.random.default_rng(seed)
    beta = Parameter("beta", (0, 1), default=0.3)
    G = FinSet("Gate", ["open", "shut"])
    net = Net()
    net.add_box("policy", Kernel([1 - beta, beta], [], [ACT], params=[beta]), [], ["act"])
    net.add_box("monitor", Kernel([[0.9, 0.1], [0.3, 0.7]], [ACT], [VERDICT]), ["act"], ["verdict"])
    net.add_box("gate", Kernel([[0.8, 0.2], [0.1, 0.9]], [VERDICT], [G]), ["verdict"], ["gate"])
    mon_rows = rng.dirichlet(np.ones(2), size=2)
    monitor = IntervalKernel(np.clip(mon_rows - 0.15, 0, 1), np.clip(mon_rows + 0.15, 0, 1), [ACT], [VERDICT],
                             tighten=True)
    gate = CredalKernel([Kernel(rng.dirichlet(np.ones(2), size=2), [VERDICT], [G]) for _ in range(3)])
    q = Query.probability({"act": "attack", "gate": "open"})
    if evidence:
        q = Query.probability({"act": "attack"}, given={"gate": "open"})
    intervals = {"beta": (0.05, 0.4)}
    res = credal_bounds(net, q, boxes={"monitor": monitor, "gate": gate}, intervals=intervals)
    lo, hi = brute(net, q, {"monitor": monitor, "gate": gate}, intervals)
    assert res.exact and res.lower == pytest.approx(lo, abs=1e-12) and res.upper == pytest.approx(hi, abs=1e-12)
    for _ in range(10):           # interior members of the sets never leave the bounds
        w = rng.dirichlet(np.ones(gate.n_vertices))
        g = Kernel(np.tensordot(w, gate.arrays, 1), [VERDICT], [G])
        t = rng.uniform()
        m = Kernel((1 - t) * monitor.argmax(rng.normal(size=(2, 2))) + t * monitor.argmax(rng.normal(size=(2, 2))),
                   [ACT], [VERDICT])
        v = q.value(with_kernels(net, {"gate": g, "monitor": m}), {"beta": rng.uniform(0.05, 0.4)})
        assert lo - 1e-12 <= v <= hi + 1e-12


def test_alignment_section_6_worked_example():
    beta = Parameter("beta", (0, 1), default=0.03)
    r = Parameter("r", (0, 1), default=0.75)
    b, rr = beta.symbol, r.symbol
    step = Kernel([[1 - b, b * rr, b * (1 - rr)], [0, 1, 0], [0, 0, 1]], [S], [S], params=[beta, r], name="step")
    T = 100
    net = Net()
    net.add_box("start", Kernel.point([S], "running"), [], ["s0"])
    for t in range(T):
        net.add_box(f"step{t + 1}", step, [f"s{t}"], [f"s{t + 1}"])
    q = Query.probability({f"s{T}": "catastrophe"})
    res = credal_bounds(net, q, intervals={"beta": (0.01, 0.05), "r": (0.6, 0.9)}, grid=(41, 41))
    assert (round(res.lower, 6), round(res.upper, 6)) == (0.063397, 0.397632)
    assert res.lower == pytest.approx(0.1 * (1 - 0.99 ** 100), abs=1e-12)
    assert res.upper == pytest.approx(0.4 * (1 - 0.95 ** 100), abs=1e-12)
    assert res.lower_choice == pytest.approx({"beta": 0.01, "r": 0.9})
    assert res.upper_choice == pytest.approx({"beta": 0.05, "r": 0.6})
    assert not res.exact and "not multilinear in beta, r" in res.note      # the same beta at all 100 steps
    # the backward recursion over the vertex rows gives the same values (the worst vertex is the same every step)
    corners = [Kernel([[1 - x, x * y, x * (1 - y)], [0, 1, 0], [0, 0, 1]], [S], [S])
               for x in (0.01, 0.05) for y in (0.6, 0.9)]
    chain = chain_bounds(CredalKernel(corners), {"catastrophe": 1.0}, T, "running")
    assert chain.upper == pytest.approx(res.upper, abs=1e-12) and chain.lower == pytest.approx(res.lower, abs=1e-12)
    # one step is multilinear in (beta, r): exact by the four endpoints
    one = Net()
    one.add_box("start", Kernel.point([S], "running"), [], ["s0"])
    one.add_box("step", step, ["s0"], ["s1"])
    exact = credal_bounds(one, Query.probability({"s1": "catastrophe"}), intervals={"beta": (0.01, 0.05),
                                                                                   "r": (0.6, 0.9)})
    assert exact.exact and (exact.lower, exact.upper) == pytest.approx((0.001, 0.02))


def test_sampled_vertices_give_an_inner_bound_and_a_certified_outer_bound():
    rng = np.random.default_rng(3)
    net = Net()
    boxes = {}
    prev = []
    for i in range(3):
        dom = [(f"x{i}", THREE)] if prev else []
        k = Kernel(rng.dirichlet(np.ones(3), size=3 if prev else None), dom, [(f"y{i}", THREE)])
        net.add_box(f"b{i}", k, prev, [f"w{i}"])
        boxes[f"b{i}"] = IntervalKernel.around(k, 0.05)
        prev = [f"w{i}"]
    q = Query.probability({"w2": "a"})
    full = credal_bounds(net, q, boxes=boxes)
    part = credal_bounds(net, q, boxes=boxes, max_combinations=50)
    assert full.exact and not part.exact and part.outer is not None
    assert full.lower - 1e-12 <= part.lower <= part.upper <= full.upper + 1e-12
    assert part.outer.lower <= full.lower + 1e-12 and full.upper <= part.outer.upper + 1e-12
    assert "inner bound" in str(part) and "outer bound (certified)" in str(part)


def test_unused_interval_parameter_is_reported_and_choices_print():
    net = monitor_net()
    monitor = IntervalKernel([[0.9, 0.0], [0.2, 0.6]], [[1.0, 0.1], [0.4, 0.8]], [ACT], [VERDICT])
    res = credal_bounds(net, Query.probability({"verdict": "flag"}), boxes={"monitor": monitor},
                        intervals={"r": (0.5, 0.6), "beta": (0.1, 0.2)})
    assert "parameter(s) r do not affect the query" in res.note
    assert res.exact and res.upper == pytest.approx(0.8 * 0.1 + 0.2 * 0.8)
    assert "upper at: beta = 0.2; monitor = clean: pass 0.9, flag 0.1 | attack: pass 0.2, flag 0.8" in str(res)
    assert np.allclose(res.to_dict()["upper_choice"]["monitor"], [[0.9, 0.1], [0.2, 0.8]])
    with pytest.raises(TypeMismatch, match="credal set has signature I → Verdict but the box has Act → Verdict"):
        credal_bounds(net, Query.probability({"verdict": "flag"}),
                      boxes={"monitor": IntervalKernel([0, 0], [1, 1], [], [VERDICT])})


# ----- chains: the lower transition operator against brute force over policies ----------------------
def policy_values(step_rows, f, T, x0):
    """Every deterministic Markov policy (a row choice per state and step), simulated forward.

    An optimal history-dependent policy can be taken Markov and deterministic (finite-horizon MDP),
    so these extremes are the exact lower and upper values over all adaptive adversaries.
    """
    n = len(step_rows)
    choices = [range(len(rows)) for rows in step_rows]
    per_step = list(itertools.product(*choices))
    vals = []
    for plan in itertools.product(per_step, repeat=T):
        x = x0.copy()
        for pick in plan:
            x = x @ np.array([step_rows[s][pick[s]] for s in range(n)])
        vals.append(x @ f)
    return min(vals), max(vals)


@settings(max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), T=st.integers(1, 2))
def test_backward_recursion_equals_the_best_history_dependent_policy(seed, T):
    rng = np.random.default_rng(seed)
    rows = rng.dirichlet(np.ones(3), size=3)
    lo = np.clip(rows - rng.uniform(0, 0.2, (3, 3)), 0, 1)
    hi = np.clip(rows + rng.uniform(0, 0.2, (3, 3)), 0, 1)
    step = IntervalKernel(lo, hi, [THREE], [THREE], tighten=True)
    f = rng.normal(size=3)
    x0 = rng.dirichlet(np.ones(3))
    res = chain_bounds(step, f, T, x0)
    brute_lo, brute_hi = policy_values([step.row_vertices(s) for s in range(3)], f, T, x0)
    assert (res.lower, res.upper) == pytest.approx((brute_lo, brute_hi), abs=1e-10)
    # a fixed unknown kernel (the same at every step) stays inside: the recursion is an outer bound for it
    for v in step.vertex_arrays()[:20]:
        value = x0 @ np.linalg.matrix_power(v, T) @ f
        assert res.lower - 1e-10 <= value <= res.upper + 1e-10
    verts = [Kernel(rng.dirichlet(np.ones(3), size=3), [THREE], [THREE]) for _ in range(2)]
    cres = chain_bounds(CredalKernel(verts), f, T + 1, x0)
    c_lo, c_hi = policy_values([[v.array[s] for v in verts] for s in range(3)], f, T + 1, x0)
    assert (cres.lower, cres.upper) == pytest.approx((c_lo, c_hi), abs=1e-10)


def test_chain_inputs_and_errors():
    step = IntervalKernel([[0.8, 0.1, 0.0], [0, 1, 0], [0, 0, 1]], [[0.9, 0.2, 0.1], [0, 1, 0], [0, 0, 1]],
                          [S], [S], tighten=True)
    precise = chain_bounds(Kernel([[0.9, 0.1, 0.0], [0, 1, 0], [0, 0, 1]], [S], [S]), {"shutdown": 1}, 2, "running")
    assert precise.lower == precise.upper == pytest.approx(0.1 + 0.9 * 0.1)
    start = IntervalKernel([0.5, 0.0, 0.0], [1.0, 0.5, 0.0], [], [S])
    res = chain_bounds(step, {"catastrophe": 1}, 0, start)
    assert (res.lower, res.upper) == (0.0, 0.0)
    assert lower_transition(step, [0, 0, 1]).tolist() == pytest.approx([0.0, 0.0, 1.0])
    assert "epistemic irrelevance" in str(chain_bounds(step, [0, 0, 1], 3, "running"))
    with pytest.raises(ShapeError, match="steps = -1 is not a non-negative integer"):
        chain_bounds(step, [0, 0, 1], -1, "running")
    with pytest.raises(Exception, match="'idle' is not a state"):
        chain_bounds(step, {"idle": 1}, 3, "running")
    with pytest.raises(TypeMismatch, match="a chain's step maps the state type to itself"):
        chain_bounds(IntervalKernel([[0.5, 0.5]] * 3, [[0.5, 0.5]] * 3, [S], [VERDICT]), [0, 1], 1, "running")


# ----- parallel composition of events ---------------------------------------------------------------
@pytest.mark.parametrize("a, b", [(0.7, 0.6), (0.2, 0.3), (1.0, 0.4), (0.0, 0.9), (0.55, 0.45)])
def test_frechet_bounds_are_exactly_the_range_over_couplings(a, b):
    feasible = []
    for p11 in np.linspace(0, 1, 100001):       # every 2x2 joint table with these marginals
        cells = [p11, a - p11, b - p11, 1 - a - b + p11]
        if min(cells) >= -1e-12:
            feasible.append(p11)
    lo, hi = conjunction(a, b, "unknown")
    assert lo == pytest.approx(min(feasible), abs=1e-5) and hi == pytest.approx(max(feasible), abs=1e-5)
    ulo, uhi = disjunction(a, b, "unknown")
    assert (ulo, uhi) == pytest.approx((a + b - hi, a + b - lo), abs=1e-12)
    assert conjunction(a, b) == pytest.approx((a * b, a * b))
    assert disjunction(a, b) == pytest.approx((1 - (1 - a) * (1 - b),) * 2)


def test_frechet_with_interval_inputs_and_errors():
    assert conjunction((0.5, 0.7), (0.6, 0.8), "unknown") == pytest.approx((0.1, 0.7))
    assert conjunction((0.5, 0.7), (0.6, 0.8)) == pytest.approx((0.3, 0.56))
    assert disjunction((0.5, 0.7), (0.6, 0.8), "unknown") == pytest.approx((0.6, 1.0))
    with pytest.raises(ShapeError, match="'correlated' is neither 'independent' nor 'unknown'"):
        conjunction(0.5, 0.5, "correlated")
    with pytest.raises(ParameterError, match=r"P\(A\): \[0.7, 0.5\] is not a probability interval"):
        conjunction((0.7, 0.5), 0.5)
    assert str(conjunction(0.7, 0.6, "unknown")) == "[0.3, 0.6]"


def test_probability_intervals_closed_form_for_an_event_on_a_wide_box():
    # de Campos, Huete & Moral (1994): for reachable intervals, upper P(A) = min(Σ_A u, 1 − Σ_notA l)
    rng = np.random.default_rng(11)
    W = FinSet("Wide", [f"o{i}" for i in range(16)])            # too many outputs to enumerate vertices
    p = rng.dirichlet(np.ones(16))
    box = IntervalKernel(np.clip(p - 0.02, 0, 1), np.clip(p + 0.03, 0, 1), [], [W], tighten=True)
    net = Net()
    net.add_box("world", Kernel(p, [], [W]), [], ["w"])
    event = [f"o{i}" for i in range(0, 16, 3)]
    inside = np.isin(W.elements, event)
    res = credal_bounds(net, Query.probability({"w": event}), boxes={"world": box})
    lo, hi = box.lower, box.upper
    assert res.exact
    assert res.upper == pytest.approx(min(hi[inside].sum(), 1 - lo[~inside].sum()), abs=1e-12)
    assert res.lower == pytest.approx(max(lo[inside].sum(), 1 - hi[~inside].sum()), abs=1e-12)
    # a second, small imprecise box downstream is enumerated; the wide one stays the linear programme
    G = FinSet("Gate", ["open", "shut"])
    net.add_box("gate", Kernel(np.tile([0.5, 0.5], (16, 1)), [W], [G]), ["w"], ["g"])
    gate = CredalKernel([Kernel(np.tile(row, (16, 1)), [W], [G]) for row in ([0.9, 0.1], [0.2, 0.8])])
    both = credal_bounds(net, Query.probability({"w": event, "g": "open"}), boxes={"world": box, "gate": gate})
    assert both.exact and both.upper == pytest.approx(0.9 * res.upper, abs=1e-12)
    assert both.lower == pytest.approx(0.2 * res.lower, abs=1e-12)
    # two wide boxes cannot be enumerated: an inner bound from sampled vertices and a certified outer bound
    net.add_box("echo", Kernel(np.eye(16), [W], [W]), ["w"], ["e"])
    echo = IntervalKernel(np.clip(np.eye(16) - 0.01, 0, 1), np.clip(np.eye(16) + 0.01, 0, 1), [W], [W], tighten=True)
    wide = credal_bounds(net, Query.probability({"e": event}), boxes={"world": box, "echo": echo},
                         max_combinations=200)
    assert not wide.exact and wide.outer.lower <= wide.lower <= wide.upper <= wide.outer.upper
    assert wide.upper >= res.upper - 0.01 - 1e-12 and wide.outer.upper >= res.upper   # echo is within TV 0.01 of id
    assert "a sample of" in wide.method
