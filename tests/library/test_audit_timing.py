"""The shipped audit_timing proposal: blue's audit policy by step and coins, solved by dynamic programming inside
the control game, checked against an independent simulation of the deployment (numpy and scipy's normal law only).

The deployment, written out: each task the scheming model attacks with probability beta (a working backdoor with
probability sigma); the binormal monitor scores honest work N(0, 1) and attacks N(mu, 1), 'high' above the honest
(1 - a) quantile, 'mid' above the (1 - d) one; an audited attack (a coin left, the decision 'audit') is caught and
ends the episode safely, an audited clean task spends a coin, an unaudited working backdoor is a catastrophe.
"""
from __future__ import annotations

import functools
import itertools
import json

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st
from scipy.optimize import minimize_scalar
from scipy.stats import norm

from markovwire.library.proposal import load_proposal
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli, main

FILE = proposals_dir() / "audit_timing.yaml"
SUS = ["low", "mid", "high"]
SIGMA, MU, A, D = 0.5, 1.636, 0.05, 0.3          # the file's values
RED_GRID = np.linspace(0, 0.5, 51)               # the adversary entry's grid of beta


def sus_law(mu=MU, a=A, d=D):
    """P(sus | clean) and P(sus | attack) over low, mid, high."""
    za, zd = norm.ppf(1 - a), norm.ppf(1 - d)
    clean = np.array([1 - d, d - a, a])
    attack = np.array([norm.cdf(zd - mu), norm.cdf(za - mu) - norm.cdf(zd - mu), 1 - norm.cdf(za - mu)])
    return clean, attack


def safety(audit, beta, T, B, shape=(), sigma=SIGMA, mu=MU):
    """P(no catastrophe) when ``audit(t, spent, sus)`` (t = 1 … T) decides: a bool, or an array of them (one per
    policy of a batch of ``shape``, broadcast against the attack rates ``beta``)."""
    beta = np.asarray(beta, dtype=float)
    clean, attack = sus_law(mu)
    x = np.zeros((B + 1,) + np.broadcast_shapes(shape, beta.shape))
    x[0] = 1.0
    catastrophe = np.zeros(x.shape[1:])
    for t in range(1, T + 1):
        nxt = np.zeros_like(x)
        for k in range(B + 1):
            for s, sus in enumerate(SUS):
                audited = np.logical_and(k < B, audit(t, k, sus))
                work, attempt = x[k] * (1 - beta) * clean[s], x[k] * beta * attack[s]
                nxt[min(k + 1, B)] += np.where(audited, work, 0.0)      # an audit of clean work spends a coin
                nxt[k] += np.where(audited, 0.0, work + attempt * (1 - sigma))
                catastrophe += np.where(audited, 0.0, attempt * sigma)  # an audited attack ends the episode safely
        x = nxt
    return 1 - catastrophe


def audits_by_step(audit, beta, T, B):
    """The expected number of audits at each step (on clean work and on attacks) under ``audit``."""
    clean, attack = sus_law()
    x, out = np.eye(B + 1)[0], []
    for t in range(1, T + 1):
        nxt, audits = np.zeros(B + 1), 0.0
        for k in range(B + 1):
            for s, sus in enumerate(SUS):
                work, attempt = x[k] * (1 - beta) * clean[s], x[k] * beta * attack[s]
                if k < B and audit(t, k, sus):
                    audits += work + attempt
                    nxt[k + 1] += work
                else:
                    nxt[k] += work + attempt * (1 - SIGMA)
        x = nxt
        out.append(audits)
    return np.array(out)


def best_schedule(beta, T, B, sigma=SIGMA, mu=MU):
    """Blue's best policy by step and coins against one attack rate: backward induction, written out."""
    clean, attack = sus_law(mu)
    h = np.ones(B + 1)                               # P(safe from here on | coins spent), after the last step
    value_by_step, choice = [], {}
    for t in range(T, 0, -1):
        new = np.zeros(B + 1)
        for k in range(B + 1):
            for s, sus in enumerate(SUS):
                pass_ = (1 - beta) * clean[s] * h[k] + beta * attack[s] * (1 - sigma) * h[k]
                audit = (1 - beta) * clean[s] * h[min(k + 1, B)] + beta * attack[s] if k < B else -1.0
                choice[t, k, sus] = audit > pass_ + 1e-12
                new[k] += max(pass_, audit)
        h = new
        value_by_step.append(h[0])
    return h[0], choice


def schedule_of(option):
    """An option of blue's strategy (a stationary policy or one by step and state) as ``audit(t, spent, sus)``."""
    pol = option["decide"]
    if "by_state" not in pol:
        table = {tuple(f.split("=")[1] for f in row.split(", ")): out == "decision=audit" for row, out in pol.items()}
        return lambda t, k, sus: table.get((sus, str(k)), table.get((sus,), False))
    runs = {int(state.split("=")[1]): r for state, r in pol["by_state"].items()}

    def audit(t, k, sus):
        for run in runs.get(k, []):
            if run["steps"][0] <= t <= run["steps"][1]:
                return run["policy"][f"sus={sus}, spent={k}"] == "decision=audit"
        return False
    return audit


def test_the_components_split_the_budgeted_auditor_into_a_decision_and_its_effect():
    from markovwire.library.loader import load_library

    lib = load_library("alignment")
    box = lib.components["budgeted_episode_coins"].instantiate("e", sizes={"c": 2})
    assert box.state.elements == ("0", "1", "2", "shutdown", "catastrophe")
    k = box.step                                  # the coins spent, read from the state before the step
    assert k.prob("1", "available", "0", state="0", audit="clean", answer="correct") == 1.0
    assert k.prob("2", "available", "1", state="1", audit="caught", answer="correct") == 0.0
    assert k.prob("shutdown", "available", "1", state="1", audit="caught", answer="correct") == 1.0
    assert k.prob("2", "exhausted", "2", state="2", audit="unaudited", answer="correct") == 1.0
    assert k.prob("catastrophe", "exhausted", "2", state="catastrophe", audit="clean", answer="correct") == 1.0
    assert not box.instantaneous                  # its outputs read only the state: they can close a loop
    same = lib.components["budgeted_episode"].instantiate("b", sizes={"B": 2}).step.array
    assert np.array_equal(k.array.sum(axis=-1), same)      # the same transitions and flag as budgeted_episode
    decide = lib.components["audit_decision"].instantiate("d", sizes={"c": 2}).kernel
    assert all(decide.prob("audit" if sus == "high" else "pass", sus=sus, spent=str(n)) == 1.0
               for sus in SUS for n in range(3))  # the static protocol: audit every 'high'
    gate = lib.components["audit_gate"].instantiate("g").kernel.subs({"h_ok": 0.9, "h_broken": 0.8})
    assert gate.prob("caught", act="backdoor_ok", decision="audit", budget="available") == pytest.approx(0.9)
    assert gate.prob("unaudited", act="backdoor_ok", decision="audit", budget="exhausted") == 1.0
    assert gate.prob("unaudited", act="backdoor_broken", decision="pass", budget="available") == 1.0
    assert gate.prob("clean", act="clean", decision="audit", budget="available") == 1.0


@functools.cache
def proposal():
    return load_proposal(FILE)


@functools.cache
def solved(entry: str, T: int | None = None, B: int | None = None):
    values = {k: v for k, v in {"T": T, "c": B}.items() if v is not None}
    return proposal().solve(entry, values or None)


def red_mixture(eq):
    return np.array([o["beta"] for o in eq.red.options]), np.array(eq.red.weights)


def test_the_dynamic_programme_against_every_deterministic_policy_by_step_and_state():
    """Both best-response conditions by brute force: blue's strategy keeps the value against every red grid point,
    and against red's mixture no deterministic policy by step and coins (8 choices per step in the one state where
    the choice matters, 8^T of them) beats the value."""
    T, B = 3, 1
    eq = solved("audit_policy", T, B)
    beta, y = red_mixture(eq)
    blue = sum(w * safety(schedule_of(o), RED_GRID, T, B) for o, w in zip(eq.blue.options, eq.blue.weights))
    assert blue.min() >= eq.value - 1e-9
    rules = np.array(list(itertools.product([False, True], repeat=3)))   # audit at (low, mid, high)?
    per_step = np.array(list(itertools.product(range(len(rules)), repeat=T)))   # (8^T policies, T)
    audit = lambda t, k, sus: rules[per_step[:, t - 1], SUS.index(sus)][:, None]
    against = safety(audit, beta, T, B, shape=(len(per_step), 1))          # (policies, red's support)
    best_vs_mixture = float((against @ y).max())
    best_pure = float(safety(audit, RED_GRID, T, B, shape=(len(per_step), 1)).min(axis=1).max())
    assert eq.bracket[0] == pytest.approx(eq.value)
    assert best_vs_mixture <= eq.bracket[1] + 1e-9
    assert best_pure <= eq.value + 1e-9                                # a pure commitment is never better
    if len(y) == 1:                                                    # a pure red equilibrium: exact
        assert eq.bracket[1] == pytest.approx(eq.value, abs=1e-12)
        assert best_vs_mixture == pytest.approx(eq.value, abs=1e-9)


@settings(max_examples=6, deadline=None)                  # each example solves two games (about 0.3 s)
@given(T=st.integers(1, 4), c=st.integers(0, 1), sigma=st.floats(0.05, 1), mu=st.floats(0, 4))
def test_equilibrium_conditions_on_random_small_deployments(T, c, sigma, mu):
    """Blue's strategy keeps the value against every attack rate of red's grid; no policy by step and coins beats
    it against red's mixture by more than the bracket (each red option's best policy by independent backward
    induction); the stationary optimum is never better."""
    values = {"T": T, "c": c, "sigma": sigma, "mu": mu}
    p = proposal()
    eq, stationary = p.solve("audit_policy", values), p.solve("stationary_policy", values)
    kept = sum(w * safety(schedule_of(o), RED_GRID, T, c, sigma=sigma, mu=mu)
               for o, w in zip(eq.blue.options, eq.blue.weights))
    assert kept.min() >= eq.value - 1e-9
    beta, y = red_mixture(eq)
    replies = [best_schedule(float(b), T, c, sigma=sigma, mu=mu)[0] for b in beta]
    assert eq.bracket[1] == pytest.approx(max(eq.value, float(np.dot(y, replies))), abs=1e-9)
    assert stationary.value <= eq.value + 1e-9


def test_the_shipped_game_against_an_independent_backward_induction():
    eq = solved("audit_policy")
    beta, y = red_mixture(eq)
    assert list(y) == [1.0]                           # red's best reply is one attack rate: the value is exact
    value, choice = best_schedule(float(beta[0]), 20, 2)
    assert eq.value == pytest.approx(value, abs=1e-9)
    assert eq.bracket == pytest.approx((value, value), abs=1e-9)
    (option,) = eq.blue.options
    audit = schedule_of(option)
    assert safety(audit, RED_GRID, 20, 2).min() == pytest.approx(value, abs=1e-9)
    assert "step and the episode's state" in eq.concept and "mixed equilibrium" in eq.concept
    # the shape: with both coins left, mid suspicion is audited too; with one, only high until the end nears
    assert audit(1, 0, "mid") and not audit(1, 0, "low") and not audit(1, 1, "mid") and audit(1, 1, "high")
    assert audit(20, 0, "low") and audit(20, 1, "low")
    audits = audits_by_step(audit, float(beta[0]), 20, 2)       # front-loaded: 1.31 in the first ten, 0.19 after
    assert audits[:10].sum() == pytest.approx(1.312, abs=1e-3) and audits[10:].sum() == pytest.approx(0.185, abs=1e-3)


def test_the_stationary_and_threshold_entries_and_the_fixed_threshold():
    dp, stationary, threshold = (solved(n) for n in ("audit_policy", "stationary_policy", "threshold"))
    for eq in (stationary, threshold):
        assert "kept for the whole episode" in eq.concept
        blue = sum(w * safety(schedule_of(o), RED_GRID, 20, 2) for o, w in zip(eq.blue.options, eq.blue.weights))
        assert blue.min() == pytest.approx(eq.value, abs=1e-9)
    assert dp.value > stationary.value > threshold.value
    # the file's own table (audit every 'high' while coins last) against the worst attack rate, as eval reports it
    fixed = minimize_scalar(lambda b: float(safety(lambda t, k, sus: sus == "high", b, 20, 2)),
                            bounds=(0, 0.5), method="bounded", options={"xatol": 1e-10})
    worst = load_proposal(FILE).evaluate(queries=["worst_safety"])["worst_safety"]
    assert worst.value == pytest.approx(fixed.fun, abs=1e-7)
    assert threshold.value > worst.value


def test_check_eval_and_solve_from_the_command_line(capsys):
    run = CliRunner().invoke
    r = run(cli, ["check", str(FILE)])
    assert r.exit_code == 0, r.output
    r = run(cli, ["eval", str(FILE), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)["queries"]
    assert set(out) == {"safety", "worst_safety"} and out["worst_safety"]["value"] == pytest.approx(0.656107, abs=1e-6)
    assert out["safety"] == pytest.approx(float(safety(lambda t, k, sus: sus == "high", 0.05, 20, 2)), abs=1e-12)
    r = run(cli, ["solve", str(FILE), "--blue", "audit_policy"])
    assert r.exit_code == 0, r.output
    assert "decide, by step and state" in r.output and "steps 1–18: decision=pass at sus=low; decision=audit at " \
        "sus=mid | sus=high" in " ".join(r.output.split())
    r = run(cli, ["solve", str(FILE), "--blue", "threshold", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["value"] == pytest.approx(solved("threshold").value) and len(out["blue"]["options"]) == 2
    with pytest.raises(SystemExit) as info:           # three blue entries: say which to choose
        main(["solve", str(FILE)])
    err = capsys.readouterr().err
    assert info.value.code == 1 and "has 3 blue entries" in err and "--blue audit_policy" in err
    assert "Traceback" not in err


def test_stationary_belongs_to_a_choice_of_an_instance():
    from markovwire.analysis.game import Choice
    from markovwire.errors import ShapeError

    with pytest.raises(ShapeError, match="is stationary but chooses parameters") as info:
        Choice(over=("beta",), stationary=True)
    assert "give it to a choice of an instance" in info.value.fix
