"""Adversaries: worst case over parameters (control-game numbers), over kernels (brute force), control evaluations."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import FinSet, Kernel, Net, Parameter, ParameterError, ShapeError, UnknownName
from markovwire.analysis import Query, control_evaluation, control_frontier, worst_case, worst_case_kernel

from analysis_helpers import ACT, VERDICT, monitor_net, random_net

BOOL = FinSet("Bool", ["no", "yes"])
WIN = FinSet("Winner", ["blue", "red"])


# ----- ALIGNMENT §3.2(a): upfront auditing, closed form and its exact optimum ------------------
def upfront_net(alpha: float, N: int = 5000, c: float = 0.53) -> Net:
    """Red wins iff no attempt lands in the audited prefix AND a working backdoor lands in the rest."""
    A = round(alpha * N)
    B = N - A
    p = Parameter("p", (0, 1), default=0.001, doc="attack probability per problem")
    x = p.symbol
    net = Net()
    net.add_box("audited_prefix", Kernel([1 - (1 - x) ** A, (1 - x) ** A], [], [BOOL], params=[p]), [], ["unseen"])
    net.add_box("rest", Kernel([(1 - c * x) ** B, 1 - (1 - c * x) ** B], [], [BOOL], params=[p]), [], ["backdoor"])
    net.add_box("red_wins", Kernel.deterministic(lambda u, b: "red" if (u, b) == ("yes", "yes") else "blue",
                                                 [BOOL, BOOL], [WIN]), ["unseen", "backdoor"], ["winner"])
    net.set_outputs("winner")
    return net


def exact_optimum(alpha, N=5000, c=0.53):
    """Bisection on d/dp log RW(p) = -A/(1-p) + B c (1-cp)^(B-1) / (1 - (1-cp)^B) (decreasing in p)."""
    A = round(alpha * N)
    B = N - A
    g = lambda p: -A / (1 - p) + B * c * (1 - c * p) ** (B - 1) / (1 - (1 - c * p) ** B)
    lo, hi = 1e-7, 0.05
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if g(mid) > 0 else (lo, mid)
    p = (lo + hi) / 2
    return p, 1 - (1 - p) ** A * (1 - (1 - c * p) ** B)


@pytest.mark.parametrize("alpha, p_star, safety", [
    (0.005, 0.001769, 0.0523), (0.02, 0.0012675, 0.1518), (0.10, 0.000734, 0.4275), (0.30, 0.000435, 0.7116)])
def test_upfront_auditing_reproduces_the_table(alpha, p_star, safety):
    res = worst_case(upfront_net(alpha), Query.probability({"winner": "red"}), over=["p"], sense="max")
    assert 1 - res.value == pytest.approx(safety, abs=5e-5)
    # the table's p* are rounded (0.0012675 and 0.000435 are 0.00126802 and 0.00043384 exactly)
    assert res.choice["p"] == pytest.approx(p_star, rel=4e-3)
    p_exact, safety_exact = exact_optimum(alpha)
    assert res.choice["p"] == pytest.approx(p_exact, rel=1e-6)
    assert 1 - res.value == pytest.approx(safety_exact, abs=1e-12)
    assert not res.certified and "not certified" in res.guarantee


def test_safety_is_scale_invariant_in_N():
    small = worst_case(upfront_net(0.1, N=500), Query.probability({"winner": "red"}), over=["p"])
    large = worst_case(upfront_net(0.1, N=5000), Query.probability({"winner": "red"}), over=["p"])
    assert 1 - small.value == pytest.approx(1 - large.value, abs=3e-3)


# ----- ALIGNMENT §3.2(d): the budget-exhaustion game has an interior worst case ----------------
def budget_dp(beta, T, B, f, r, h, s):
    """The published recurrence V(t, m), vectorised over beta."""
    beta = np.asarray(beta, dtype=float)
    V = np.ones((B + 1,) + beta.shape)
    for _ in range(T):
        W = np.empty_like(V)
        W[0] = (1 - beta) * V[0] + beta * (1 - s) * V[0]
        for m in range(1, B + 1):
            W[m] = ((1 - beta) * (f * V[m - 1] + (1 - f) * V[m])
                    + beta * (r * (h + (1 - h) * (1 - s) * V[m - 1]) + (1 - r) * (1 - s) * V[m]))
        V = W
    return V[B]


def budget_net(T, B, f, r, h, s) -> Net:
    labels = [str(m) for m in range(B + 1)] + ["shutdown", "catastrophe"]
    S = FinSet("Coins", labels)
    beta = Parameter("beta", (0, 1), default=0.1)
    b = beta.symbol
    rows = []
    for m in range(B + 1):
        row = [0] * len(labels)
        if m == 0:
            row[0], row[-1] = (1 - b) + b * (1 - s), b * s
        else:
            row[m - 1] = (1 - b) * f + b * r * (1 - h) * (1 - s)
            row[m] = (1 - b) * (1 - f) + b * (1 - r) * (1 - s)
            row[-2] = b * r * h
            row[-1] = b * r * (1 - h) * s + b * (1 - r) * s
        rows.append(row)
    rows += [[0] * (B + 1) + [1, 0], [0] * (B + 2) + [1]]
    task = Kernel(rows, [S], [S], params=[beta], name="task")
    net = Net()
    net.add_box("start", Kernel.point([S], str(B)), [], ["s0"])
    for t in range(T):
        net.add_box(f"task{t + 1}", task, [f"s{t}"], [f"s{t + 1}"])
    net.set_outputs(f"s{T}")
    return net


@pytest.mark.parametrize("T, B, f, r, h, s", [(20, 3, 0.1, 0.8, 1.0, 1.0), (15, 2, 0.05, 0.7, 0.9, 0.6)])
def test_budget_exhaustion_worst_attack_rate_is_interior_and_matches_the_dp(T, B, f, r, h, s):
    net = budget_net(T, B, f, r, h, s)
    safe = Query.probability({f"s{T}": ["catastrophe"]})
    res = worst_case(net, safe, over=["beta"], sense="max")
    betas = np.linspace(0, 1, 200001)
    v = budget_dp(betas, T, B, f, r, h, s)
    i = int(np.argmin(v))
    assert 0 < betas[i] < 1                                     # interior: false positives burn the budget
    assert 1 - res.value == pytest.approx(v[i], abs=1e-9)
    assert 1 - res.value <= v[i] + 1e-12                        # at least as bad as the best grid point
    assert res.choice["beta"] == pytest.approx(betas[i], abs=2e-5)
    assert 1 - res.value == pytest.approx(budget_dp(res.choice["beta"], T, B, f, r, h, s), abs=1e-12)


# ----- two and more parameters, certification, errors ------------------------------------------
def test_two_parameters_against_brute_force():
    net = monitor_net()
    posterior = Query.probability({"act": "attack"}, given={"verdict": "pass"})
    res = worst_case(net, posterior, over=["beta", "r"], sense="max", bounds={"beta": (0.0, 0.3), "r": (0.5, 0.9)})
    # closed form: beta (1 - r) / (beta (1 - r) + (1 - beta) 0.95): increasing in beta, decreasing in r
    assert res.choice == pytest.approx({"beta": 0.3, "r": 0.5})
    assert res.value == pytest.approx(0.3 * 0.5 / (0.3 * 0.5 + 0.7 * 0.95), abs=1e-12)
    assert res.spacing == pytest.approx({"beta": 0.3 / 200, "r": 0.4 / 200})


def test_lipschitz_bracket_contains_the_true_optimum():
    # each step kernel is (1 - beta) P + beta Q, so d/dbeta moves it by TV <= 1: |dP/dbeta| <= T = 10
    net = budget_net(10, 2, 0.1, 0.8, 1.0, 1.0)
    q = Query.probability({"s10": "catastrophe"})
    res = worst_case(net, q, over=["beta"], grid=21, lipschitz=10.0)
    fine = 1 - budget_dp(np.linspace(0, 1, 100001), 10, 2, 0.1, 0.8, 1.0, 1.0).min()
    lo, hi = res.bracket
    assert res.certified and fine <= lo + 1e-12 and lo <= hi
    assert hi <= max(lo, 1 - budget_dp(np.linspace(0, 1, 21), 10, 2, 0.1, 0.8, 1.0, 1.0).min() + 10 * 0.05 / 2) + 1e-12
    assert fine <= hi
    assert "certified bracket" in str(res)


def test_three_parameters_coordinate_search():
    g = Parameter("g", (0, 1), default=0.5)
    net = monitor_net()
    net.add_box("gate", Kernel([[1 - g, g], [g, 1 - g]], [VERDICT], [BOOL], params=[g]), ["verdict"], ["alarm"])
    q = Query.probability({"act": "attack", "alarm": "no"})
    res = worst_case(net, q, over=["beta", "r", "g"], sense="max")
    # beta (r g + (1 - r)(1 - g)) is maximised at beta = 1 and a corner of (r, g)
    assert res.value == pytest.approx(1.0, abs=1e-9)
    assert "coordinate search" in res.method and "not certified" in res.guarantee


def test_worst_case_errors_name_the_problem():
    net = monitor_net()
    q = Query.probability({"verdict": "flag"})
    with pytest.raises(ParameterError, match="'r': is given an array of values"):
        worst_case(net, q, over=["beta"], values={"r": np.array([0.1, 0.2])})
    with pytest.raises(ShapeError, match="'maximum' is neither 'max' nor 'min'"):
        worst_case(net, q, over=["beta"], sense="maximum")
    with pytest.raises(ParameterError, match="unknown parameter 'gamma'"):
        worst_case(net, q, over=["gamma"])
    open_net = Net.from_kernel(Kernel([[0.95, 0.05], [0.3, 0.7]], [ACT], [VERDICT]), "monitor")
    with pytest.raises(ShapeError, match=r"has one value per outer input \(act\), not one number"):
        worst_case(open_net, Query.probability({open_net.outputs[0]: "flag"}), over=[])


def test_result_text_and_dict():
    res = worst_case(monitor_net(), Query.probability({"verdict": "flag"}), over=["beta"], sense="min")
    text = str(res)
    assert text.startswith("min P(verdict=flag) = 0.05 at beta = 0")
    d = res.to_dict()
    assert d["choice"] == {"beta": 0.0} and d["sense"] == "min" and d["bracket"] is None


# ----- an adversarial component: exact against brute force over deterministic kernels -----------
def all_deterministic(kernel: Kernel, seen: list[int]):
    """Every deterministic kernel that depends only on the inputs at positions ``seen``."""
    shape_in, shape_out = kernel.shape_in, kernel.shape_out
    obs_shape = [shape_in[i] for i in seen]
    n_obs = int(np.prod(obs_shape, dtype=int))
    n_out = int(np.prod(shape_out, dtype=int))
    for choice in itertools.product(range(n_out), repeat=n_obs):
        arr = np.zeros(shape_in + shape_out)
        for idx in np.ndindex(*shape_in) if shape_in else [()]:
            o = choice[int(np.ravel_multi_index([idx[i] for i in seen], obs_shape))] if seen else choice[0]
            arr[idx + np.unravel_index(o, shape_out)] = 1.0
        yield Kernel(arr, kernel.dom, kernel.cod)


def with_kernel(net: Net, box: str, kernel: Kernel) -> Net:
    other = net.clone()
    other.boxes = [type(b)(b.name, kernel, b.inputs, b.outputs) if b.name == box else b for b in net.boxes]
    return other


@settings(max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), evidence=st.booleans(), sense=st.sampled_from(["max", "min"]))
def test_worst_kernel_equals_brute_force(seed, evidence, sense):
    rng = np.random.default_rng(seed)
    net = random_net(rng, n_boxes=4, max_outputs=1)
    box = net.boxes[int(rng.integers(1, len(net.boxes)))]
    if np.prod(box.kernel.shape_out) ** np.prod(box.kernel.shape_in) > 300:
        return
    wires = list(net.outputs)
    target = wires[-1]
    q = Query.probability({target: net.wires[target].elements[0]})
    if evidence:
        other = [w for w in wires if w != target]
        if not other:
            return
        q = q.conditioned(**{other[0]: net.wires[other[0]].elements[-1]})
    seen = sorted(rng.choice(len(box.kernel.dom), size=int(rng.integers(0, len(box.kernel.dom) + 1)),
                             replace=False).tolist()) if box.kernel.dom else []
    observes = [box.kernel.dom[i].name for i in seen]
    values = []
    for k in all_deterministic(box.kernel, seen):
        try:
            values.append(q.value(with_kernel(net, box.name, k)))
        except Exception as err:  # evidence impossible under this kernel
            assert "probability zero" in str(err)
    if not values:
        return
    res = worst_case_kernel(net, box.name, q, sense, observes=observes)
    best = max(values) if sense == "max" else min(values)
    assert res.value == pytest.approx(best, abs=1e-10)
    assert q.value(with_kernel(net, box.name, res.kernel)) == pytest.approx(res.value, abs=1e-10)
    assert res.kernel.is_deterministic
    for _ in range(5):   # mixed kernels seeing the same inputs never do better
        mixed = res.kernel.array * 0
        for w, k in zip(rng.dirichlet(np.ones(3)), rng.choice(list(all_deterministic(box.kernel, seen)), 3)):
            mixed = mixed + w * k.array
        v = q.value(with_kernel(net, box.name, Kernel(mixed, box.kernel.dom, box.kernel.cod)))
        assert (v <= res.value + 1e-10) if sense == "max" else (v >= res.value - 1e-10)


def test_a_blind_monitor_cannot_catch_and_a_seeing_one_can():
    net = monitor_net(beta_default=0.2)
    caught = Query.probability({"act": "attack", "verdict": "flag"})
    seeing = worst_case_kernel(net, "monitor", caught, "max")
    assert seeing.value == pytest.approx(0.2) and seeing.policy == {"act=clean": "verdict=pass",
                                                                    "act=attack": "verdict=flag"}
    blind = worst_case_kernel(net, "monitor", caught, "max", observes=[])
    assert blind.value == pytest.approx(0.2) and blind.policy == {"": "verdict=flag"}
    # with a cost for flagging clean work, the blind monitor must choose: flag all (0.2 - 0.8) or none (0)
    score = Query.expectation(["act", "verdict"], {("attack", "flag"): 1.0, ("clean", "flag"): -1.0})
    assert worst_case_kernel(net, "monitor", score, "max", observes=[]).value == pytest.approx(0.0)
    assert worst_case_kernel(net, "monitor", score, "max").value == pytest.approx(0.2)
    text = str(seeing)
    assert "act=attack → verdict=flag" in text and "with the box as given: 0.14" in text


def test_worst_kernel_errors():
    net = monitor_net()
    q = Query.probability({"verdict": "flag"})
    with pytest.raises(UnknownName, match="has no input port 'verdict'"):
        worst_case_kernel(net, "monitor", q, observes=["verdict"])
    with pytest.raises(UnknownName, match="has no box 'auditor'"):
        worst_case_kernel(net, "auditor", q)
    impossible = Query.probability({"verdict": "flag"}, given={"act": "attack"})
    from markovwire import EvidenceError
    with pytest.raises(EvidenceError, match="probability zero under every kernel of box 'monitor'"):
        worst_case_kernel(net, "monitor", impossible, values={"beta": 0.0})


# ----- control evaluations: ALIGNMENT §3.2(b) fixed odds, safety and usefulness side by side ----
S3 = FinSet("Game", ["running", "caught", "won"])


def control_nets(N: int, c: float, s: float):
    q = Parameter("q", (0, 1), default=0.0, doc="attack probability per task")
    d = Parameter("d", (0, 1), default=0.0, doc="fraction deferred to the trusted model")
    x, dd = q.symbol, d.symbol
    win = x * s * (1 - dd)
    task = Kernel([[1 - x * c - win, x * c, win], [0, 1, 0], [0, 0, 1]], [S3], [S3], params=[q, d])
    safety = Net()
    safety.add_box("start", Kernel.point([S3], "running"), [], ["g0"])
    for t in range(N):
        safety.add_box(f"task{t + 1}", task, [f"g{t}"], [f"g{t + 1}"])
    useful = Net()
    useful.add_box("solver", Kernel([(1 - dd) * 0.46 + dd * 0.78, (1 - dd) * 0.54 + dd * 0.22], [], [BOOL],
                                    params=[d]), [], ["solved"])
    return safety, useful, Query.probability({f"g{N}": ["running", "caught"]}), Query.probability({"solved": "yes"})


def test_control_evaluation_matches_the_fixed_odds_formula():
    N, c, s = 30, 24 / 71, 13 / 71
    safety, useful, safe, solved = control_nets(N, c, s)
    ev = control_evaluation(safety, safe, solved, over=["q"], usefulness_net=useful, honest={"q": 0.0})
    red = s / (s + c) * (1 - (1 - s - c) ** N)         # attacking always is optimal with fixed odds
    assert ev.safety.value == pytest.approx(1 - red, abs=1e-12)
    # ... but safety is flat (to 1e-9) once q > 0.92: the optimum is that set, reaching the end of q's domain
    lo, hi = ev.safety.optimum["q"]
    assert 0.9 < lo < 0.95 and hi == 1.0 and ev.safety.on_edge == {"q": "upper"} and ev.safety.choice["q"] == lo
    assert ev.usefulness == pytest.approx(0.54)
    capped = control_evaluation(safety, safe, solved, over=["q"], usefulness_net=useful, bounds={"q": (0, 0.1)})
    red_capped = s / (s + c) * (1 - (1 - 0.1 * (s + c)) ** N)
    assert capped.safety.value == pytest.approx(1 - red_capped, abs=1e-12)
    assert capped.safety.on_edge == {"q": "upper"} and not capped.safety.flat and capped.safety.choice["q"] == 0.1
    assert "at the upper end of the searched range [0, 0.1]; widen with --range q=LO:HI" in str(capped.safety)
    text = str(ev)
    assert "safety     0.6" in text and "usefulness 0.54" in text
    assert ev.to_dict()["safety"]["choice"] == {"q": lo} and ev.to_dict()["safety"]["optimum"] == {"q": [lo, 1.0]}
    assert "q ∈ [" in text and "on the edge: q at the upper end of its domain [0, 1]" in text and "--range" not in text


def test_control_frontier_trades_safety_for_usefulness():
    N, c, s = 20, 0.3, 0.2
    safety, useful, safe, solved = control_nets(N, c, s)
    front = control_frontier(safety, safe, solved, over=["q"], parameter="d", settings=[0.0, 0.5, 1.0],
                             usefulness_net=useful)
    for p, d in zip(front.points, [0.0, 0.5, 1.0]):
        sd = s * (1 - d)
        assert p.safety.value == pytest.approx(1 - sd / (sd + c) * (1 - (1 - sd - c) ** N), abs=1e-12)
        assert p.usefulness == pytest.approx((1 - d) * 0.54 + d * 0.22)
    safeties = [p.safety.value for p in front.points]
    uses = [p.usefulness for p in front.points]
    assert safeties == sorted(safeties) and uses == sorted(uses, reverse=True)
    assert str(front).splitlines()[0].split() == ["d", "safety", "usefulness", "red", "team"]
    with pytest.raises(ParameterError, match="control evaluation: unknown parameter 'dd'"):
        control_evaluation(safety, safe, solved, over=["q"], values={"dd": 0.1})


def test_evidence_impossible_everywhere_and_repeated_ports_are_errors():
    from markovwire import EvidenceError
    net = monitor_net()
    never = Query.probability({"verdict": "flag"}, given={"act": "attack"})
    with pytest.raises(EvidenceError, match="the evidence has probability zero at every point searched"):
        worst_case(net, never, over=["r"], values={"beta": 0.0})
    with pytest.raises(ShapeError, match="observes= names a port twice"):
        worst_case_kernel(net, "monitor", never, observes=["act", "act"])


@pytest.mark.parametrize("observes", [[], ["a"], ["c"], ["c", "a"], ["a", "c"]])
def test_deterministic_tables_are_every_map_of_the_observed_inputs_once(observes):
    """n_out ** (observed rows) tables, all distinct, each row one-hot, constant along the inputs not observed, and
    the same as the Kernel objects of deterministic_kernels."""
    from markovwire.analysis.adversary import deterministic_kernels, deterministic_tables
    A, B, C = FinSet("A", ["x", "y"]), FinSet("B", ["p", "q", "r"]), FinSet("C", ["u", "v", "w"])
    box = Kernel.uniform(cod=[("b", B)], dom=[("a", A), ("c", C)])
    tables = deterministic_tables(box, observes)
    rows = int(np.prod([len({"a": A, "c": C}[p]) for p in observes], dtype=int))
    assert tables.shape == (3 ** rows, 2, 3, 3)
    assert len({t.tobytes() for t in tables}) == len(tables)
    assert np.array_equal(tables.sum(axis=-1), np.ones(tables.shape[:-1])) and set(np.unique(tables)) <= {0.0, 1.0}
    for axis, name in ((1, "a"), (2, "c")):
        if name not in observes:
            assert np.array_equal(tables, np.repeat(tables.take([0], axis=axis), tables.shape[axis], axis=axis))
    want = {tuple(int(np.argmax(t[i, j])) for i, j in itertools.product(range(2), range(3))) for t in tables}
    assert len(want) == len(tables)
    assert all(np.array_equal(k.array, t) for k, t in zip(deterministic_kernels(box, observes), tables))
