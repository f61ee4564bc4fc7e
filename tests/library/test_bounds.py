"""Credal bounds and TV bands of proposals, checked against closed forms, dynamic programmes and brute force.

The shipped credal_control proposal is ALIGNMENT §6's worked example: per task the scheming
model attacks with probability beta, a working backdoor is flagged (and caught) with
probability r_ok, else it is a catastrophe; P(catastrophe within T) = (1 - r)(1 - (1 - beta)^T).
"""
from __future__ import annotations

import doctest
import itertools

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import markovwire.library.bounds as bounds_mod
from markovwire import Kernel
from markovwire.analysis import IntervalKernel, perturbed
from markovwire.analysis.episodes import EpisodeBounds
from markovwire.diagrams.stateful import System
from markovwire.errors import MarkovwireError
from markovwire.library.proposal import load_proposal, proposal_from_text
from markovwire.library.shipped import proposals_dir

CREDAL = proposals_dir() / "credal_control.yaml"


@pytest.fixture(scope="module")
def credal_control():
    return load_proposal(CREDAL)


def catastrophe(beta, r, T):
    return (1 - r) * (1 - (1 - beta) ** T)


def adaptive_dp(corners, T, sense):
    """Best P(catastrophe) when the red team picks (beta, r) afresh at every task: V_t = opt β(1-r) + (1-β) V_{t+1}."""
    pick = max if sense == "max" else min
    v = 0.0
    for _ in range(T):
        v = pick(b * (1 - r) + (1 - b) * v for b, r in corners)
    return v


def test_doctests():
    assert doctest.testmod(bounds_mod).failed == 0


def test_alignment_section_6_example_under_both_semantics(credal_control):
    res = credal_control.evaluate(queries=["catastrophe_range"])["catastrophe_range"]
    assert isinstance(res, EpisodeBounds)
    lo, hi = catastrophe(0.01, 0.9, 100), catastrophe(0.05, 0.6, 100)
    assert (round(lo, 6), round(hi, 6)) == (0.063397, 0.397632)
    assert res.fixed.lower == pytest.approx(lo, abs=1e-12) and res.fixed.upper == pytest.approx(hi, abs=1e-12)
    corners = list(itertools.product((0.01, 0.05), (0.6, 0.9)))
    assert res.adaptive.lower == pytest.approx(adaptive_dp(corners, 100, "min"), abs=1e-12)
    assert res.adaptive.upper == pytest.approx(adaptive_dp(corners, 100, "max"), abs=1e-12)
    assert res.exact and res.tight
    assert res.lower_choice == {"beta": 0.01, "r_ok": 0.9} and res.upper_choice == {"beta": 0.05, "r_ok": 0.6}


def test_interval_table_gives_the_same_range_as_interval_parameters(credal_control):
    res = credal_control.evaluate(queries=["imprecise_monitor"])["imprecise_monitor"]
    assert res.lower == pytest.approx(catastrophe(0.01, 0.9, 100), abs=1e-12)
    assert res.upper == pytest.approx(catastrophe(0.05, 0.6, 100), abs=1e-12)
    monitor = res.upper_choice["monitor"]
    assert np.asarray(monitor.array)[1].tolist() == pytest.approx([0.4, 0.0, 0.6])   # backdoor_ok: flagged 0.6


def test_adaptive_is_strictly_wider_when_the_best_choice_changes_along_the_episode(credal_control):
    """Two attack styles: rare (10% of tasks, never flagged) or blatant (every task, half flagged and caught).

    One task from the end blatant is better (0.5 against 0.1); earlier, rare is. A red team that adapts plays rare,
    then blatant: V_t = max(0.1 + 0.9 V_{t-1}, 0.5), which beats both fixed styles (1 - 0.9^T and 0.5).
    """
    from markovwire.analysis import CredalKernel
    policy = credal_control.net().box("policy").kernel
    def style(attack):
        arr = np.zeros([len(p.type) for p in policy.dom + policy.cod])
        arr[:, 0, 0] = 1                                 # honest: clean
        arr[:, 1] = attack                              # scheming: (clean, backdoor_ok, backdoor_broken)
        return Kernel(arr, policy.dom, policy.cod)
    styles = CredalKernel([style([0.9, 0.1, 0.0]), style([0.0, 0.5, 0.5])])
    res = credal_control.bounds("p_catastrophe", imprecise={"policy": styles},
                                values={"r_ok": 0.0, "r_broken": 1.0, "T": 3})
    v = 0.0
    for _ in range(3):
        v = max(0.1 + 0.9 * v, 0.5)
    assert res.adaptive.upper == pytest.approx(v, abs=1e-12) == pytest.approx(0.595)
    assert res.fixed.upper == pytest.approx(max(1 - 0.9 ** 3, 0.5), abs=1e-12)
    assert not res.tight and "the adaptive range bounds it" in str(res)


def test_fixed_range_is_inner_and_adaptive_outer_on_a_fine_grid(credal_control):
    """Brute force over a grid of fixed (beta, r): every value lies in the adaptive range; the fixed range is
    attained."""
    res = credal_control.bounds("p_catastrophe", {"beta": (0.02, 0.04), "r_ok": (0.5, 0.8)})
    b, r = np.meshgrid(np.linspace(0.02, 0.04, 9), np.linspace(0.5, 0.8, 9))
    values = credal_control.evaluate({"beta": b.ravel(), "r_ok": r.ravel()}, ["p_catastrophe"])["p_catastrophe"]
    assert values.min() >= res.adaptive.lower - 1e-12 and values.max() <= res.adaptive.upper + 1e-12
    assert values.min() == pytest.approx(res.fixed.lower, abs=1e-12)
    assert values.max() == pytest.approx(res.fixed.upper, abs=1e-12)


NONLINEAR = CREDAL.read_text().replace("policy: {component: untrusted_policy}",
                                       "policy: {component: untrusted_policy, parameters: {sigma: beta}}")


def test_a_parameter_entering_twice_is_searched_and_labelled_inner():
    p = proposal_from_text(NONLINEAR, "nonlinear.yaml", CREDAL)
    res = p.bounds("p_catastrophe", {"beta": (0.1, 0.9)})
    assert not res.exact and "not multilinear in beta" in res.note and "grid" in res.method
    grid = np.linspace(0.1, 0.9, 401)
    values = p.evaluate({"beta": grid}, ["p_catastrophe"])["p_catastrophe"]
    assert res.fixed.upper <= values.max() + 1e-12 and res.fixed.upper >= values.max() - 1e-3
    assert "inner bounds" in str(res)


def test_single_shot_proposal_matches_enumeration():
    """Swiss cheese: P(pass) = sum_z p(z) m_probe(z) m_monitor(z) m_auditor(z), monitor in intervals."""
    p = load_proposal(proposals_dir() / "swiss_cheese.yaml")
    res = p.evaluate(queries=["pass_imprecise"])["pass_imprecise"]
    values = [(1 - h) * 0.02 * me * 0.02 + h * 0.18 * mh * 0.18
              for h in (0.3, 0.7) for me in (0.01, 0.04) for mh in (0.16, 0.2)]
    assert res.exact
    assert res.lower == pytest.approx(min(values), abs=1e-15) and res.upper == pytest.approx(max(values), abs=1e-15)


def test_vertices_form_equals_its_hull():
    text = CREDAL.read_text().replace("""        table:
          clean: {low: [0.97, 0.99], high: [0.01, 0.03]}
          backdoor_ok: {low: [0.1, 0.4], high: [0.6, 0.9]}
          backdoor_broken: {low: 1, high: 0}""", """        vertices:
          - {clean: {low: 0.98, high: 0.02}, backdoor_ok: {low: 0.1, high: 0.9}, backdoor_broken: {low: 1}}
          - {clean: {low: 0.98, high: 0.02}, backdoor_ok: {low: 0.4, high: 0.6}, backdoor_broken: {low: 1}}""")
    p = proposal_from_text(text, "vertices.yaml", CREDAL)
    res = p.evaluate(queries=["imprecise_monitor"])["imprecise_monitor"]
    assert res.lower == pytest.approx(catastrophe(0.01, 0.9, 100), abs=1e-12)
    assert res.upper == pytest.approx(catastrophe(0.05, 0.6, 100), abs=1e-12)


def test_python_api_takes_interval_kernels(credal_control):
    monitor = credal_control.net().box("monitor").kernel
    box = IntervalKernel([[0.98, 0, 0.02], [0.1, 0, 0.6], [1, 0, 0]], [[0.98, 0, 0.02], [0.4, 0, 0.9], [1, 0, 0]],
                         monitor.dom, monitor.cod)
    res = credal_control.bounds("p_catastrophe", imprecise={"monitor": box})
    assert res.lower == pytest.approx(catastrophe(0.03, 0.9, 100), abs=1e-12)
    assert res.upper == pytest.approx(catastrophe(0.03, 0.6, 100), abs=1e-12)


# ----- TV bands ------------------------------------------------------------------------------------
def test_episode_band_is_steps_times_radius(credal_control):
    band = credal_control.band("p_catastrophe")
    assert band.radii == {"monitor": 0.001} and band.half_width == pytest.approx(0.1)
    assert band.value == pytest.approx(catastrophe(0.03, 0.75, 100), abs=1e-12)
    wider = credal_control.band("p_catastrophe", {"policy": 0.002, "auditor": 0.0})
    assert wider.half_width == pytest.approx(0.3) and wider.radii == {"monitor": 0.001, "policy": 0.002}


def _with_box(system: System, name: str, kernel: Kernel) -> System:
    net = system.step_net.clone()
    net.boxes = [type(b)(b.name, kernel, b.inputs, b.outputs) if b.name == name else b for b in net.boxes]
    return System.from_step_net(system.name, net, system.boxes)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), who=st.sampled_from(["monitor", "policy", "auditor"]))
def test_perturbing_a_box_within_its_radius_stays_in_the_band(credal_control, seed, who):
    eps = 0.004
    band = credal_control.band("p_catastrophe", {who: eps} if who != "monitor" else {})
    rng = np.random.default_rng(seed)
    system = credal_control.system
    values = {n: p.default for n, p in credal_control.all_parameters.items() if n in system.params}
    kernel = system.step_net.box(who).kernel
    kernel = kernel.subs({n: v for n, v in values.items() if n in kernel.params})
    radius = eps if who != "monitor" else 0.001
    changed = _with_box(system, who, perturbed(kernel, radius, rng))
    dist = changed.distribution_after(100, {n: v for n, v in values.items() if n in changed.params},
                                      inputs={"intent": "scheming"})
    real = float(np.asarray(dist.array)[system.states[0].index("catastrophe")])
    assert abs(real - band.value) <= band.half_width + 1e-12


def test_single_shot_band_counts_only_instances_that_reach_the_query():
    text = (proposals_dir() / "swiss_cheese.yaml").read_text().replace(
        "monitor: {component: swiss_cheese_layer, parameters: {m_easy: \"0.2 - m_hard\"}}",
        "monitor: {component: swiss_cheese_layer, parameters: {m_easy: \"0.2 - m_hard\"}, tv_radius: 0.01}")
    p = proposal_from_text(text, "sc.yaml", proposals_dir() / "swiss_cheese.yaml")
    common, independent = p.band("p_pass_common"), p.band("p_pass_independent")
    assert common.half_width == pytest.approx(0.01) and common.radii == {"monitor": 0.01}
    assert independent.half_width == 0 and independent.ignored == ["monitor"]


# ----- mistakes ------------------------------------------------------------------------------------------
def problems(text: str) -> str:
    with pytest.raises(MarkovwireError) as e:
        proposal_from_text(text, "bad.yaml", CREDAL)
    return str(e.value)


def test_unknown_query_in_a_credal_entry():
    msg = problems(CREDAL.read_text().replace("query: p_catastrophe\n    intervals: {beta: [0.01, 0.05], r_ok",
                                              "query: p_catastrophy\n    intervals: {beta: [0.01, 0.05], r_ok"))
    assert "bad.yaml:" in msg and "unknown query 'p_catastrophy' (did you mean 'p_catastrophe'?)" in msg


def test_interval_outside_the_domain():
    msg = problems(CREDAL.read_text().replace("r_ok: [0.6, 0.9]", "r_ok: [0.6, 1.9]"))
    assert "credal.catastrophe_range.intervals.r_ok" in msg.replace("[", ".").replace("]", "")
    assert "not an interval inside the domain [0, 1]" in msg


def test_interval_table_no_distribution_fits():
    msg = problems(CREDAL.read_text().replace("backdoor_ok: {low: [0.1, 0.4], high: [0.6, 0.9]}",
                                              "backdoor_ok: {low: [0.5, 0.6], high: [0.6, 0.9]}"))
    assert "imprecise.monitor.table" in msg and "lower bounds sum to 1.1 > 1" in msg and "lower some" in msg


def test_unknown_instance_and_label():
    msg = problems(CREDAL.read_text().replace("      monitor:\n        table:", "      monitr:\n        table:"))
    assert "no instance 'monitr'" in msg
    msg = problems(CREDAL.read_text().replace("backdoor_broken: {low: 1, high: 0}",
                                              "backdoor_brokn: {low: 1, high: 0}"))
    assert "backdoor_brokn" in msg and "Act" in msg


def test_episode_bounds_refuse_evidence_and_too_many_vertices(credal_control):
    text = CREDAL.read_text()
    msg = problems(text.replace("    probability: {episode: catastrophe}\n",
                                "    probability: {episode: catastrophe}\n    given: {audit: caught}\n", 1))
    assert "conditions on evidence in an episode" in msg and "unconditional" in msg
    with pytest.raises(MarkovwireError, match="exceed max_combinations = 2"):
        credal_control.bounds("p_catastrophe", {"beta": (0.01, 0.05), "r_ok": (0.6, 0.9)}, max_combinations=2)


def test_radius_for_an_unknown_instance(credal_control):
    with pytest.raises(MarkovwireError, match="no instance 'monitr'"):
        credal_control.band("p_catastrophe", {"monitr": 0.1})
    with pytest.raises(MarkovwireError, match="less than or equal to 1|<= 1"):
        proposal_from_text(CREDAL.read_text().replace("tv_radius: 0.001", "tv_radius: 1.5"), "bad.yaml", CREDAL)


# ----- an adversary replacing a whole instance --------------------------------------------------------
def test_any_policy_adversary_in_an_episode_matches_the_closed_form():
    """It attacks adversarial tasks (5%) with working backdoors: safety = 0.95^T + (1 - 0.95^T) r_ok."""
    p = load_proposal(proposals_dir() / "trusted_monitoring.yaml")
    res = p.evaluate(queries=["any_policy"])["any_policy"]
    T, r = 5000, 6 / 19
    assert res.value == pytest.approx(0.95 ** T + (1 - 0.95 ** T) * r, abs=1e-12)
    assert res.policy["query=adversarial, intent=scheming"] == "act=backdoor_ok"
    assert res.honest == pytest.approx(p.value("safety"), abs=1e-15)
    assert "729 deterministic kernels" in res.method


def test_instance_adversary_in_a_single_shot_proposal_is_the_linear_programme():
    from markovwire.analysis import worst_case_kernel
    text = (proposals_dir() / "swiss_cheese.yaml").read_text() + """adversary:
  blind_monitor: {query: p_pass_common, instance: monitor, observes: [threat], sense: max}
"""
    p = proposal_from_text(text, "sc.yaml", proposals_dir() / "swiss_cheese.yaml")
    res = p.evaluate(queries=["blind_monitor"])["blind_monitor"]
    # the monitor lets everything through, even what the probe blocked: only the auditor's miss rate is left
    assert res.value == pytest.approx(0.5 * 0.02 + 0.5 * 0.18, abs=1e-15)
    assert res.policy == {"threat=blocked": "threat=passed", "threat=passed": "threat=passed"}
    direct = worst_case_kernel(p.net(), "monitor", p.model().query("p_pass_common"), "max", observes=["threat"],
                               values={"m_hard": 0.18, "p_hard_case": 0.5})
    assert res.value == pytest.approx(direct.value, abs=1e-15) and res.policy == direct.policy


@pytest.mark.parametrize("entry, message", [
    ("{query: safety, instance: polcy, sense: min}", "no instance 'polcy' (did you mean 'policy'?)"),
    ("{query: safety, instance: policy, observes: [intnt], sense: min}", "'policy' has no input port 'intnt'"),
    ("{query: safety, instance: episode, sense: min}", "instance 'episode' has a state or is a diagram"),
    ("{query: safety, instance: policy, over: [beta], sense: min}", "give exactly one of 'over'"),
    ("{query: safety, over: [beta], observes: [query], sense: min}", "'observes' belongs to an 'instance' adversary"),
])
def test_instance_adversary_mistakes(entry, message):
    text = (proposals_dir() / "trusted_monitoring.yaml").read_text().replace(
        "adversary:\n", f"adversary:\n  bad: {entry}\n", 1)
    with pytest.raises(MarkovwireError) as e:
        proposal_from_text(text, "bad.yaml", proposals_dir() / "trusted_monitoring.yaml")
    assert message in str(e.value) and "bad.yaml:" in str(e.value)
