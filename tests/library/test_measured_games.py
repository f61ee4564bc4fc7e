"""Worst cases, solve and frontier on a proposal whose monitor is measured from data: the sampling uncertainty joins
the red team (issue 13, item 4).

The oracle shares no code with markovwire: Clopper-Pearson intervals from scipy's binomial test, the credal set's
vertices enumerated by hand (two outputs a row: the ends of each row's interval), the payoff in closed form, and the
max-min by scipy's linear programme over blue's grid against red's grid times the vertices.
"""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.optimize import linprog
from scipy.stats import binomtest

from markovwire.errors import MarkovwireError
from markovwire.library.proposal import load_proposal
from markovwire.tui.cli import cli

LIBRARY = """\
name: watch
version: "1"
types: {Act: [clean, attack], Sus: [low, high], Audit: [skipped, audited]}
parameters:
  beta: {domain: [0, 1], default: 0.5}
  q: {domain: [0, 1], default: 1}
components:
  policy: {outputs: {act: Act}, parameters: [beta], kernel: {table: {clean: 1 - beta, attack: beta}}}
  monitor:
    inputs: {act: Act}
    outputs: {sus: Sus}
    kernel: {table: {clean: {low: 0.8, high: 0.2}, attack: {low: 0.3, high: 0.7}}}
  auditor:
    inputs: {sus: Sus}
    outputs: {audit: Audit}
    parameters: [q]
    kernel: {table: {low: {skipped: 1}, high: {audited: q, skipped: 1 - q}}}
"""
GAME = """\
name: watch_game
libraries: [watch.yaml]
instances:
  policy: {component: policy}
  monitor:
    component: monitor
    data: {file: log.csv, columns: {act: act, sus: sus}, confidence: 0.9}
  auditor: {component: auditor}
wiring:
  outputs: {act: Act, audit: Audit}
  wires: [policy.act -> monitor.act, monitor.sus -> auditor.sus, policy.act -> out.act, auditor.audit -> out.audit]
queries:
  score:
    expectation:
      of: [act, audit]
      values: {clean: {audited: 0.5, skipped: 1}, attack: {audited: 1, skipped: 0}}
  kept: {probability: {audit: skipped}, given: {act: clean}}
adversary:
  red_team: {query: score, over: [beta], bounds: {beta: [0, 0.8]}, grid: 3, sense: min}
  any_policy: {query: score, instance: policy, sense: min}
blue:
  protocol: {query: score, over: [q], grid: 3, against: [red_team]}
"""
COUNTS = {"clean": (10, 50), "attack": (14, 20)}      # (scored high, samples) per act
BETAS, QS = [0.0, 0.4, 0.8], [0.0, 0.5, 1.0]


@pytest.fixture
def path(tmp_path: Path) -> Path:
    (tmp_path / "watch.yaml").write_text(LIBRARY)
    rows = ["act,sus"] + [f"{a},{s}" for a, (k, n) in COUNTS.items() for s in ["high"] * k + ["low"] * (n - k)]
    (tmp_path / "log.csv").write_text("\n".join(rows) + "\n")
    (tmp_path / "game.yaml").write_text(GAME)
    return tmp_path / "game.yaml"


def score(q: float, beta: float, high_clean: float, high_attack: float) -> float:
    """The payoff in closed form: clean work audited costs half, an attack scores only when audited."""
    return (1 - beta) * (1 - 0.5 * high_clean * q) + beta * high_attack * q


def vertices() -> list[tuple[float, float]]:
    """The credal set's vertices: P(high | clean) and P(high | attack) each at an end of its 90% exact interval."""
    ends = []
    for k, n in COUNTS.values():
        ci = binomtest(k, n).proportion_ci(confidence_level=0.9, method="exact")
        ends.append((ci.low, ci.high))
    return list(itertools.product(*ends))


def maxmin(M: np.ndarray) -> float:
    """``max_x min_j (Mᵀx)_j`` over blue's mixtures ``x``, by scipy's LP."""
    nb, nr = M.shape
    res = linprog(np.r_[np.zeros(nb), -1.0], A_ub=np.c_[-M.T, np.ones(nr)], b_ub=np.zeros(nr),
                  A_eq=[np.r_[np.ones(nb), 0.0]], b_eq=[1.0], bounds=[(0, None)] * nb + [(None, None)])
    return -res.fun


def test_robust_value_against_brute_force(path):
    eq = load_proposal(path).solve()
    point = np.array([[score(q, b, 0.2, 0.7) for b in BETAS] for q in QS])
    robust = np.array([[score(q, b, *v) for b in BETAS for v in vertices()] for q in QS])
    assert eq.value == pytest.approx(maxmin(point), abs=1e-9)
    assert eq.robust.value == pytest.approx(maxmin(robust), abs=1e-9)
    assert eq.robust.value < eq.value
    assert "exact over the credal sets" in eq.robust.concept and "nature chooses monitor" in eq.robust.concept
    (option,) = eq.robust.red.options                 # red's reply names the vertex nature chose, and its table
    hi_clean, hi_attack = option["monitor"]["table"][0][1], option["monitor"]["table"][1][1]
    assert score(1.0, option["beta"], hi_clean, hi_attack) == pytest.approx(eq.robust.value, abs=1e-9)


def test_worst_case_range_is_the_credal_bounds_at_red_s_optimum(path):
    p = load_proposal(path)
    r = p.value("red_team")
    m = r.measured
    at = p.bounds("score", values={"beta": r.choice["beta"]})
    assert (m.lower, m.upper) == pytest.approx((at.lower, at.upper), abs=1e-12)
    by_hand = [score(1.0, r.choice["beta"], *v) for v in vertices()]
    assert (m.lower, m.upper) == pytest.approx((min(by_hand), max(by_hand)), abs=1e-9)
    assert m.robust == pytest.approx(min(score(1.0, b, *v) for b in BETAS for v in vertices()), abs=1e-9)
    assert m.instances == ("monitor",) and "log.csv" in m.note
    assert "measured (monitor)" in str(r) and "robust worst case" in str(r)


def test_an_instance_adversary_s_range_and_robust_worst_case(path):
    """Red replaces the policy by any kernel: always attacking is its optimum (0.7 at the point estimate, q = 1)."""
    r = load_proposal(path).value("any_policy")
    hi_clean = max(v[0] for v in vertices())
    lo_attack, hi_attack = min(v[1] for v in vertices()), max(v[1] for v in vertices())
    assert r.value == pytest.approx(0.7, abs=1e-9) and r.policy == {"": "act=attack"}
    assert (r.measured.lower, r.measured.upper) == pytest.approx((lo_attack, hi_attack), abs=1e-9)
    assert r.measured.robust == pytest.approx(min(1 - 0.5 * hi_clean, lo_attack), abs=1e-9)
    assert "measured (monitor)" in str(r) and "measured" in r.to_dict()


def test_frontier_points_carry_their_robust_safety(path):
    fr = load_proposal(path).frontier(None, "kept", weights=3)
    assert fr.robust and len(fr.points) >= 2
    for pt in fr.points:
        (q,) = [o["q"] for o in pt.blue.options]
        by_hand = min(score(q, b, *v) for b in BETAS for v in vertices())
        assert pt.robust_safety == pytest.approx(by_hand, abs=1e-9)
        assert pt.robust_safety <= pt.safety + 1e-12
    assert "[robust, point]" in str(fr)


def test_cli_text_json_and_python_agree(path):
    p = load_proposal(path)
    eq, r = p.solve(), p.value("red_team")
    run = CliRunner().invoke
    out = run(cli, ["solve", str(path), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert {"value", "blue", "red", "concept", "robust"} <= set(data)
    assert data["robust"]["value"] == pytest.approx(eq.robust.value, abs=1e-12)
    text = run(cli, ["solve", str(path)]).output
    assert f"robust value: score = {eq.robust.value:.6g}" in text and "robust red:" in text
    assert f"[{eq.robust.value:.6g}, {eq.value:.6g}]" in text
    out = json.loads(run(cli, ["eval", str(path), "-q", "red_team", "--json"]).output)
    measured = out["queries"]["red_team"]["measured"]
    assert measured["at_red_optimum"] == pytest.approx([r.measured.lower, r.measured.upper], abs=1e-12)
    assert measured["robust"] == pytest.approx(r.measured.robust, abs=1e-12)
    text = " ".join(run(cli, ["eval", str(path), "-q", "red_team"]).output.split())
    assert f"robust worst case: {r.measured.robust:.6g} at beta = 0.8, monitor: vertex" in text
    assert f"measured (monitor): [{r.measured.lower:.6g}, {r.measured.upper:.6g}] at red's optimum" in text
    fr = json.loads(run(cli, ["frontier", str(path), "--usefulness", "kept", "--weights", "3", "--json"]).output)
    assert all(pt["robust_safety"] <= pt["safety"] + 1e-12 for pt in fr["points"]) and fr["robust"]


def test_no_robust_and_robust_without_measured_kernels(path):
    out = CliRunner().invoke(cli, ["solve", str(path), "--no-robust", "--json"])
    assert out.exit_code == 0 and "robust" not in json.loads(out.output)
    plain = path.with_name("plain.yaml")
    plain.write_text(GAME.replace("    data: {file: log.csv, columns: {act: act, sus: sus}, confidence: 0.9}\n", ""))
    assert load_proposal(plain).solve().robust is None            # nothing measured: nothing to add
    out = CliRunner().invoke(cli, ["solve", str(plain), "--robust", "--json"])
    error = json.loads(out.output)["error"]
    assert out.exit_code == 1 and "no instance measured from data" in error["message"]
    assert error["fix"] == "drop --robust, or give an instance a data: entry"


def test_too_many_vertices_with_red_s_options_say_how_to_fix(path, monkeypatch):
    from markovwire.analysis import game

    monkeypatch.setattr(game, "MAX_OPTIONS", 8)              # red: 3 attack rates x 4 vertices = 12 options
    with pytest.raises(MarkovwireError) as e:
        load_proposal(path).solve()
    assert "4 vertices of the credal set of monitor" in str(e.value) and "--no-robust" in e.value.fix


def test_the_ui_s_game_text_shows_the_robust_value(path):
    from markovwire.tui.screens.game import equilibrium_text

    p = load_proposal(path)
    eq = p.solve()
    text = equilibrium_text("protocol", p.spec.blue["protocol"], eq).plain
    assert f"robust score = {eq.robust.value:.6g}  [{eq.robust.value:.6g}, {eq.value:.6g}]" in text
    assert "robust red: beta = 0.8, monitor: vertex" in text


def test_an_episode_s_robust_value_keeps_one_kernel_for_the_episode():
    """The shipped data-driven proposal over 3 tasks: safety in closed form (ALIGNMENT §3.2 (b)) depends on the
    monitor's rates on backdoors and rises with them, so nature's best vertex takes both at their lowest reachable
    values (the Clopper-Pearson ends, tightened by the other entries of the row); red's attack rate on its grid."""
    from markovwire.library.shipped import proposals_dir

    p = load_proposal(proposals_dir() / "trusted_monitoring_from_data.yaml")
    counts = p.measured["monitor"].counts.tolist()          # checked against the csv module in test_data_kernels

    def lowest_high(row: list[int]) -> float:
        cis = [binomtest(int(k), int(sum(row))).proportion_ci(confidence_level=0.95, method="exact") for k in row]
        return max(cis[2].low, 1 - cis[0].high - cis[1].high)

    def safety(r_ok: float, r_broken: float, beta: float, T: int = 3, sigma: float = 19 / 71) -> float:
        c, s = beta * (sigma * r_ok + (1 - sigma) * r_broken), beta * sigma * (1 - r_ok)
        return 1.0 if s + c == 0 else 1 - s / (s + c) * (1 - (1 - s - c) ** T)

    eq = p.solve(values={"T": 3})
    betas = np.linspace(0, 1, 11)
    assert eq.value == pytest.approx(min(safety(6 / 19, 18 / 52, b) for b in betas), abs=1e-9)
    assert eq.robust.value == pytest.approx(min(safety(lowest_high(counts[1]), lowest_high(counts[2]), b)
                                                for b in betas), abs=1e-9)
    assert "one kernel fixed for the whole episode" in eq.robust.concept
