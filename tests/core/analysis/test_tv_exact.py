"""The exact worst case of a query over total-variation balls (issue #14, item 4).

Checked against: the greedy's optimum by scipy's linear programme, random kernels inside the
balls (never beyond the exact interval), kernels built by hand from the greedy (the interval's
ends are attained), numbers worked out by hand, and the command line.
"""
from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from scipy.optimize import linprog

from markovwire import FinSet, Kernel, Net
from markovwire.analysis import Query, TVBallKernel, chain_bounds, credal_bounds, tv_band
from markovwire.analysis.episodes import _adaptive_one_free, episode_tv_band, reaching_boxes
from markovwire.episode import Episode
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli

from analysis_helpers import ACT, VERDICT, monitor_net, random_net, random_query

S = FinSet("S", ["ok", "bad"])
UNDETECTED = Query.probability({"act": "attack", "verdict": "pass"})


# ----- the ball ------------------------------------------------------------------------------------
def lp_max(p: np.ndarray, eps: float, c: np.ndarray) -> float:
    """max c·q over {q >= 0, Σq = 1, ½Σ|q − p| <= eps}, by scipy (q = p + u − v, u, v >= 0)."""
    n = len(p)
    res = linprog(np.concatenate([-c, c]), A_ub=np.concatenate([np.ones((1, n)), np.ones((1, n))], axis=1),
                  b_ub=[2 * eps], A_eq=np.concatenate([np.ones((1, n)), -np.ones((1, n))], axis=1), b_eq=[0],
                  bounds=[(0, None)] * n + [(0, pi) for pi in p], method="highs")
    assert res.status == 0
    return float(c @ p - res.fun)


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(2, 6), eps=st.sampled_from([0.0, 0.01, 0.1, 0.3, 1.0]),
       sparse=st.booleans())
def test_the_greedy_and_the_vertices_solve_the_linear_programme(seed, n, eps, sparse):
    rng = np.random.default_rng(seed)
    p = rng.dirichlet(np.full(n, 0.3 if sparse else 1.0))
    if sparse:
        p[rng.random(n) < 0.4] = 0.0
        p = p / p.sum() if p.sum() > 0 else np.eye(n)[0]
    T = FinSet("T", [f"t{i}" for i in range(n)])
    ball = TVBallKernel(Kernel(p, [], [T], check=False), eps)
    c = rng.normal(size=n)
    best = lp_max(p, eps, c)
    q = ball.argmax(c)
    assert q.min() >= -1e-12 and q.sum() == pytest.approx(1.0) and 0.5 * np.abs(q - p).sum() <= eps + 1e-12
    assert c @ q == pytest.approx(best, abs=1e-9)
    vertices = ball.row_vertices(0)
    assert np.all(0.5 * np.abs(vertices - p).sum(axis=1) <= eps + 1e-12)
    assert np.allclose(vertices.sum(axis=1), 1.0) and vertices.min() >= -1e-12
    assert (vertices @ c).max() == pytest.approx(best, abs=1e-9)       # a linear function peaks at a vertex


def test_a_ball_of_two_labels_is_an_interval():
    ball = TVBallKernel(Kernel([[0.95, 0.05], [0.3, 0.7]], [ACT], [VERDICT]), 0.1)
    assert ball.row_vertices(0).round(12).tolist() == [[1.0, 0.0], [0.85, 0.15]]
    assert ball.row_vertices(1).round(12).tolist() == [[0.4, 0.6], [0.2, 0.8]]
    assert ball.n_vertices == 4 and len(ball.vertex_arrays()) == 4 and ball.radius() == 0.1
    assert ball.contains(Kernel([[0.9, 0.1], [0.25, 0.75]], [ACT], [VERDICT]))
    assert not ball.contains(Kernel([[0.8, 0.2], [0.3, 0.7]], [ACT], [VERDICT]))


# ----- single-shot nets -----------------------------------------------------------------------------
def monitored(beta: float = 0.1, miss: float = 0.2) -> Net:
    net = Net()
    net.add_box("policy", Kernel([1 - beta, beta], [], [ACT]), [], ["act"])
    net.add_box("monitor", Kernel([[0.95, 0.05], [miss, 1 - miss]], [ACT], [VERDICT]), ["act"], ["verdict"])
    net.set_outputs("act", "verdict")
    return net


def with_kernels(net: Net, kernels: dict) -> Net:
    out = net.clone()
    out.boxes = [type(b)(b.name, kernels[b.name], b.inputs, b.outputs) if b.name in kernels else b
                 for b in net.boxes]
    return out


def test_one_step_radius_001_moves_an_undetected_attack_by_0002_not_001():
    # P(attack, pass) = beta·miss = 0.1·0.2 = 0.02. The composition bound: ±0.01 (radius × range of a
    # probability). Exactly: moving 0.01 of the policy's mass between clean and attack changes it by
    # 0.01·miss = 0.002 either way.
    band = tv_band(monitored(), UNDETECTED, {"policy": 0.01})
    assert (band.value, band.half_width, band.lower, band.upper) == pytest.approx((0.02, 0.01, 0.01, 0.03))
    assert (band.exact_lower, band.exact_upper) == pytest.approx((0.018, 0.022), abs=1e-12)
    # both boxes: the extremes are the products of each box's extreme (0.11·0.25, 0.09·0.15)
    both = tv_band(monitored(), UNDETECTED, {"policy": 0.01, "monitor": 0.05})
    assert both.half_width == pytest.approx(0.06) and (both.lower, both.upper) == pytest.approx((0.0, 0.08))
    assert (both.exact_lower, both.exact_upper) == pytest.approx((0.09 * 0.15, 0.11 * 0.25), abs=1e-12)
    data = both.to_dict()
    assert data["exact"]["lower"] == pytest.approx(0.0135) and data["exact"]["upper"] == pytest.approx(0.0275)
    assert data["lower"] == pytest.approx(0.0) and data["half_width"] == pytest.approx(0.06)  # the band's own keys
    assert "exact worst case: [0.0135, 0.0275]" in str(both)


def test_the_interval_ends_are_attained_by_kernels_built_from_the_greedy():
    net = monitored()
    band = tv_band(net, UNDETECTED, {"policy": 0.01, "monitor": 0.05})
    # upper: the policy moves 0.01 towards attack, the monitor's attack row 0.05 towards pass (the greedy on
    # the coefficients: attack and pass are the labels the query rewards)
    up = {"policy": Kernel([0.89, 0.11], [], [ACT]),
          "monitor": Kernel([[0.95, 0.05], [0.25, 0.75]], [ACT], [VERDICT])}
    lo = {"policy": Kernel([0.91, 0.09], [], [ACT]),
          "monitor": Kernel([[0.95, 0.05], [0.15, 0.85]], [ACT], [VERDICT])}
    for b, k in {**up}.items():
        assert TVBallKernel(net.box(b).kernel, {"policy": 0.01, "monitor": 0.05}[b]).contains(k)
    assert UNDETECTED.value(with_kernels(net, up)) == pytest.approx(band.exact_upper, abs=1e-12)
    assert UNDETECTED.value(with_kernels(net, lo)) == pytest.approx(band.exact_lower, abs=1e-12)
    # the greedy itself, applied to the policy's coefficients (0 for clean, miss = 0.2 for attack)
    ball = TVBallKernel(net.box("policy").kernel, 0.01)
    assert ball.argmax(np.array([0.0, 0.2])).tolist() == pytest.approx([0.89, 0.11])


def random_member(ball: TVBallKernel, rng) -> Kernel:
    """A random kernel in the ball: a random mixture of the centre, a random vertex and a random direction."""
    P = ball.rows()
    vertex = ball.sample_vertices(1, rng)[0].reshape(P.shape)
    r = rng.dirichlet(np.ones(P.shape[1]), size=P.shape[0])
    tv = 0.5 * np.abs(r - P).sum(axis=1, keepdims=True)
    inside = P + np.minimum(1.0, ball.eps / np.where(tv > 0, tv, 1)) * (r - P)
    w = rng.dirichlet(np.ones(3))
    rows = w[0] * P + w[1] * vertex + w[2] * inside
    return Kernel(rows.reshape(ball.shape), ball.dom, ball.cod, check=False)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["event", "expectation", "conditional"]))
def test_random_kernels_in_the_balls_never_leave_the_exact_interval(seed, kind):
    rng = np.random.default_rng(seed)
    net = random_net(rng, n_boxes=int(rng.integers(2, 5)))
    q = random_query(rng, net, kind)
    radii = {b.name: float(rng.choice([0.0, rng.uniform(0, 0.15)])) for b in net.boxes}
    try:
        band = tv_band(net, q, radii, max_combinations=5_000)
    except Exception as err:                    # evidence some member of the balls makes impossible
        assert "probability zero" in str(err) or "impossible" in str(err)
        return
    if band.exact_lower is None:
        assert "over the budget" in band.exact_note
        return
    lo_f, hi_f = q.range(net)
    assert band.lower - 1e-9 <= band.exact_lower <= band.value + 1e-9 <= band.exact_upper + 2e-9
    if not q.given:
        assert band.exact_upper <= band.upper + 1e-9      # the exact interval lies inside the composition band
    balls = {b: TVBallKernel(net.box(b).kernel, e) for b, e in band.radii.items()}
    for _ in range(6):
        moved = with_kernels(net, {b: random_member(s, rng) for b, s in balls.items()})
        try:
            v = q.value(moved)
        except Exception as err:
            assert "probability zero" in str(err)
            continue
        assert band.exact_lower - 1e-9 <= v <= band.exact_upper + 1e-9


def test_past_the_vertex_budget_the_exact_interval_is_not_computed_and_says_why():
    net = monitored()
    band = tv_band(net, UNDETECTED, {"policy": 0.01, "monitor": 0.05}, max_combinations=1)
    assert band.exact_lower is None and band.exact_upper is None and band.half_width == pytest.approx(0.06)
    assert band.exact_note == ("it needs 2 vertex combinations of the TV balls of policy (with monitor solved by its "
                               "linear programme), over the budget of 1; "
                               "give fewer instances a radius (tv_radius, --tv), or raise max_combinations in "
                               "Python (tv_band)")
    assert "exact worst case not computed: it needs 2 vertex combinations" in str(band)
    assert band.to_dict()["exact"] is None and band.to_dict()["exact_note"] == band.exact_note


def test_a_sweep_keeps_the_band_and_says_the_exact_interval_is_per_point():
    band = tv_band(monitor_net(), Query.probability({"verdict": "flag"}), {"monitor": 0.05},
                   values={"beta": np.array([0.0, 0.5])})
    assert band.exact_lower is None and band.exact_note.startswith("beta is swept")


def test_the_exact_interval_matches_credal_bounds_over_the_same_balls():
    net = monitor_net()
    q = Query.probability({"verdict": "flag"}, given={"act": "attack"})
    band = tv_band(net, q, {"monitor": 0.05})
    ref = credal_bounds(net, q, boxes={"monitor": TVBallKernel(net.box("monitor").kernel.subs(), 0.05)})
    assert (band.exact_lower, band.exact_upper) == pytest.approx((ref.lower, ref.upper)) == (0.65, 0.75)


# ----- episodes --------------------------------------------------------------------------------------
def two_chains(hazard: float = 0.01, coupled: bool = False) -> Net:
    """Two stateful boxes: 'hazard' (ok → bad with ``hazard``, bad absorbing) and 'other', which flips its
    own state; with ``coupled``, hazard's step reads other's state (bad is then reached only from other=bad)."""
    step = Net()
    if coupled:
        arr = np.zeros((2, 2, 2))
        arr[0, 0] = [1.0, 0.0]                             # other ok: hazard stays ok
        arr[0, 1] = [1 - hazard, hazard]
        arr[1, :] = [0.0, 1.0]
        step.add_box("hazard", Kernel(arr, [("s", S), ("o", S)], [("s", S)]), ["h.state", "o.state"], ["h.state'"])
    else:
        step.add_box("hazard", Kernel([[1 - hazard, hazard], [0.0, 1.0]], [("s", S)], [("s", S)]), ["h.state"],
                     ["h.state'"])
    step.add_box("other", Kernel([[0.5, 0.5], [0.5, 0.5]], [("s", S)], [("s", S)]), ["o.state"], ["o.state'"])
    step.set_inputs("h.state", "o.state")
    step.set_outputs("h.state'", "o.state'")
    return step


def test_an_episode_counts_only_instances_that_reach_the_query_and_its_exact_worst_case_is_by_hand():
    ep = Episode(two_chains(), [Kernel.point([S], "ok"), Kernel.point([S], "ok")], steps=10)
    q = Query.probability({"h.state": "bad"})
    band = episode_tv_band(ep, q, {"hazard": 0.005, "other": 0.3})
    assert band.radii == {"hazard": 0.005} and band.ignored == ["other"]     # summed before: ±10·0.305
    assert band.value == pytest.approx(1 - 0.99**10) and band.half_width == pytest.approx(0.05)
    # upper: every step the hazard row moves 0.005 more to bad (hazard 0.015); lower: the ok row moves 0.005
    # back to ok and the absorbing row lets 0.005 return, a symmetric chain flipping with probability 0.005:
    # P(bad after 10) = (1 − (1 − 2·0.005)^10) / 2
    assert band.exact_upper == pytest.approx(1 - 0.985**10, abs=1e-12)
    assert band.exact_lower == pytest.approx((1 - 0.99**10) / 2, abs=1e-12)
    assert "exact when reality's kernels may change every step" in band.exact_method
    # the same chain through chain_bounds and the greedy's lower transition operator
    ref = chain_bounds(TVBallKernel(Kernel([[0.99, 0.01], [0.0, 1.0]], [S], [S]), 0.005), [0.0, 1.0], 10, "ok")
    assert (ref.lower, ref.upper) == pytest.approx((band.exact_lower, band.exact_upper), abs=1e-12)


def test_an_instance_reaches_an_episode_query_only_through_enough_steps():
    q = Query.probability({"h.state": "bad"})
    start = [Kernel.point([S], "ok"), Kernel.point([S], "bad")]
    one = Episode(two_chains(coupled=True), start, steps=1)
    two = one.after(2)
    assert reaching_boxes(one, q) == ["hazard"] and reaching_boxes(two, q) == ["hazard", "other"]
    b1 = episode_tv_band(one, q, {"other": 0.2})
    assert b1.radii == {} and b1.ignored == ["other"] and b1.half_width == 0
    assert b1.exact_lower == b1.exact_upper == pytest.approx(b1.value)
    b2 = episode_tv_band(two, q, {"other": 0.2})
    assert b2.radii == {"other": 0.2} and b2.half_width == pytest.approx(0.4)
    # two steps: hazard 0.01 from (ok, other=bad) at step 1, then other is bad with p in [0.3, 0.7] at step 2
    assert b2.value == pytest.approx(0.01 + 0.99 * 0.5 * 0.01)
    assert (b2.exact_lower, b2.exact_upper) == pytest.approx((0.01 + 0.99 * 0.3 * 0.01, 0.01 + 0.99 * 0.7 * 0.01),
                                                             abs=1e-12)


# ----- the command line --------------------------------------------------------------------------------
GSAI = proposals_dir() / "guaranteed_safe_ai.yaml"


def invoke(*args: str) -> str:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.output


def test_eval_tv_prints_the_band_and_the_exact_worst_case():
    out = invoke("eval", str(GSAI), "--point", "--tv", "model=0.005", "-q", "model_risk_cautious",
                 "-q", "real_risk_cautious")
    bands = out.split("total-variation bands")[1].splitlines()
    assert "exact worst case" in bands[2]
    row = next(line for line in bands if line.startswith("│ model_risk_cautious"))
    assert [c.strip() for c in row.strip("│").split("│")] == [
        "model_risk_cautious", "0.0488899", "0.05", "[0, 0.0988899]", "[0, 0.0956179]",
        "model 0.005 (T·Σε over 10 steps)"]
    real = next(line for line in bands if line.startswith("│ real_risk_cautious"))
    assert "none reach it" in real                     # the model's radius cannot reach reality's risk


def test_eval_json_gives_the_exact_lower_and_upper_next_to_the_band():
    out = json.loads(invoke("eval", str(GSAI), "--point", "--json", "--tv", "model=0.005",
                            "-q", "model_risk_cautious", "-q", "accepted_cautious"))
    band = out["bands"]["model_risk_cautious"]
    assert band["half_width"] == pytest.approx(0.05) and band["upper"] == pytest.approx(1 - 0.995**10 + 0.05)
    assert band["exact"]["lower"] == pytest.approx(0.0, abs=1e-12)
    assert band["exact"]["upper"] == pytest.approx(1 - 0.99**10, abs=1e-12) and band["exact_note"] == ""
    gate = out["bands"]["accepted_cautious"]
    assert gate["radii"] == {} and gate["ignored"] == ["model"] and gate["half_width"] == 0



@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), on_state=st.booleans())
def test_random_kernels_changing_every_step_never_leave_the_exact_episode_interval(seed, on_state):
    rng = np.random.default_rng(seed)
    X, Obs = FinSet("X", ["x0", "x1", "x2"]), FinSet("Obs", ["o0", "o1"])
    walk = rng.dirichlet(np.full(3, 0.7), size=3)
    sensor = rng.dirichlet(np.ones(2), size=3)
    step = Net()
    step.add_box("walk", Kernel(walk, [("s", X)], [("s", X)]), ["w.state"], ["w.state'"])
    step.add_box("sensor", Kernel(sensor, [("s", X)], [("o", Obs)]), ["w.state'"], ["obs"])
    step.set_inputs("w.state")
    step.set_outputs("w.state'", "obs")
    T = int(rng.integers(1, 6))
    ep = Episode(step, [Kernel.point([X], "x0")], steps=T)
    q = Query.probability({"w.state": "x2"}) if on_state else Query.probability({"obs": "o0"})
    radii = {"walk": float(rng.uniform(0, 0.2)), "sensor": float(rng.uniform(0, 0.2))}
    band = episode_tv_band(ep, q, radii)
    assert band.exact_lower is not None, band.exact_note
    assert band.ignored == (["sensor"] if on_state else [])     # the sensor never feeds the state
    assert band.lower - 1e-9 <= band.exact_lower <= band.value + 1e-9 <= band.exact_upper + 2e-9
    assert band.exact_upper <= band.upper + 1e-9
    balls = {b: TVBallKernel(step.box(b).kernel, e) for b, e in radii.items()}
    reached = {b: s for b, s in balls.items() if b in band.radii}
    lp = _adaptive_one_free(ep, q, reached, None)           # one ball by its LP per state: the same numbers
    assert lp[:2] == pytest.approx((band.exact_lower, band.exact_upper), abs=1e-12)
    for _ in range(8):
        x = np.array([1.0, 0.0, 0.0])
        for _ in range(T):                                  # a new kernel from each ball at every step
            x = x @ random_member(balls["walk"], rng).array
        v = x[2] if on_state else x @ random_member(balls["sensor"], rng).array[:, 0]
        assert band.exact_lower - 1e-9 <= v <= band.exact_upper + 1e-9


def test_an_instance_made_of_several_boxes_keeps_its_band_and_says_why_no_exact_interval():
    out = json.loads(invoke("eval", str(proposals_dir() / "credal_control.yaml"), "--point", "--json",
                            "-q", "p_catastrophe", "--tv", "episode=0.001"))
    band = out["bands"]["p_catastrophe"]
    assert band["radii"] == {"monitor": 0.001, "episode": 0.001} and band["half_width"] == pytest.approx(0.2)
    assert band["exact"] is None
    assert band["exact_note"] == ("episode is made of several boxes: a radius bounds the composite kernel, which "
                                  "the exact worst case (a TV ball per box) does not model")


def test_trusted_monitoring_a_vacuous_composition_band_and_a_tight_exact_one():
    out = json.loads(invoke("eval", str(proposals_dir() / "trusted_monitoring.yaml"), "--point", "--json",
                            "-q", "p_catastrophe", "--tv", "monitor=0.01"))
    band = out["bands"]["p_catastrophe"]
    assert band["half_width"] == 1.0 and (band["lower"], band["upper"]) == (0.0, 1.0)    # 100 steps × 0.01
    assert band["exact"]["lower"] <= band["value"] <= band["exact"]["upper"]
    assert band["exact"]["upper"] - band["exact"]["lower"] < 0.05
