"""The catalogue components added for C7 and C10-C24: coverage, and each kernel against its formula.

Also the two construction changes they rely on: best-of-n and the tilt accept base weights that are
expressions in parameters (a mixture weight such as eps_hack), checked numerically at the defaults.
"""
from __future__ import annotations

import math
import warnings

import pytest
from scipy.stats import norm

from markovwire import FinSet, Parameter
from markovwire.diagrams.stateful import StatefulBox
from markovwire.errors import MarkovwireError
from markovwire.library import load_library
from markovwire.library.constructions import Context, build

CATALOGUE = {   # ALIGNMENT component -> the shipped components that model it
    "C1": ["task_source"], "C2": ["alignment_prior"], "C3": ["untrusted_policy", "untrusted_answer"],
    "C4": ["trusted_model"], "C5": ["trusted_monitor", "trusted_monitor_table"],
    "C6": ["human_auditor", "budgeted_auditor"], "C7": ["tripwire", "episode"], "C8": ["defer_to_trusted"],
    "C9": ["trusted_editor"], "C10": ["untrusted_monitor"], "C11": ["proxy_reward_model"],
    "C12": ["best_of_n", "best_of_n_fine"], "C13": ["rl_tilt"],
    "C14": ["debate_judge", "consultancy_judge", "naive_judge"],
    "C15": ["three_sub_answers", "three_sub_answers_by_difficulty", "majority_of_three", "conjoin"],
    "C16": ["interpretability_probe"], "C17": ["relaxed_adversarial_probe"], "C18": ["world_model"],
    "C19": ["safety_spec"], "C20": ["verifier_gate"],
    "C21": ["swiss_cheese_layer", "difficulty", "incoming_threat"], "C22": ["episode", "budgeted_episode"],
    "C23": ["off_switch_overseer", "utility_belief"], "C24": ["resampler"],
}


@pytest.fixture(scope="module")
def lib():
    return load_library("alignment")


def kernel(lib, name, **values):
    box = lib.components[name].instantiate(name)
    k = box.step if isinstance(box, StatefulBox) else box.kernel
    return k.subs(values)


def test_every_catalogue_component_is_shipped_with_its_meaning_and_source(lib):
    assert len(lib.components) >= 20
    for entry, names in CATALOGUE.items():
        for name in names:
            c = lib.components[name]
            assert len(c.doc) > 40 and c.source, name
            assert entry in c.doc + c.source or name in ("untrusted_answer", "flag_everything"), (entry, name)


def test_probes_and_tripwire(lib):
    k = kernel(lib, "relaxed_adversarial_probe", k_probe=10, q_probe=0.1)
    assert k.prob("flag", intent="scheming") == pytest.approx(1 - 0.9 ** 10)
    assert k.prob("flag", intent="honest") == 0.0
    k = kernel(lib, "interpretability_probe", r_p=0.95, f_p=0.01)
    assert (k.prob("flag", intent="scheming"), k.prob("flag", intent="honest")) == pytest.approx((0.95, 0.01))
    k = kernel(lib, "tripwire")
    assert k.prob("caught", verdict="flag") == 1.0 and k.prob("unaudited", verdict="pass") == 1.0


def test_resampler_replaces_suspicious_attacks(lib):
    k = kernel(lib, "resampler", gamma=0.4, sigma=0.25)
    assert k.prob("backdoor_ok", act="backdoor_ok", sus="low") == 1.0          # not suspicious: kept
    for sus in ("mid", "high"):
        for act in ("backdoor_ok", "backdoor_broken"):
            assert [k.prob(a, act=act, sus=sus) for a in ("clean", "backdoor_ok", "backdoor_broken")] == \
                pytest.approx([0.6, 0.1, 0.3])
        assert k.prob("clean", act="clean", sus=sus) == 1.0


def test_proxy_reward_model_is_the_gaussian_regression(lib):
    k = kernel(lib, "proxy_reward_model", rho=0.6, gold_hack=-1.0)
    bon = kernel(lib, "best_of_n", n=1, eps_hack=0.0)
    scores = lib.components["best_of_n"].spec.kernel.args["score"]
    for label, x in scores.items():
        if label == "hack":
            assert k.prob("good", score=label) == pytest.approx(norm.cdf(-1.0))
        else:
            assert k.prob("good", score=label) == pytest.approx(norm.cdf(0.6 * x / math.sqrt(1 - 0.36)))
    assert bon.prob("hack") == 0.0


def test_swiss_cheese_layer_world_model_and_gate(lib):
    k = kernel(lib, "swiss_cheese_layer", m_easy=0.02, m_hard=0.18)
    assert k.prob("passed", threat="passed", difficulty="hard") == pytest.approx(0.18)
    assert k.prob("blocked", threat="blocked", difficulty="easy") == 1.0
    w = kernel(lib, "world_model", h_cautious=0.01, h_bold=0.02, shift=-0.02)
    assert w.prob("unsafe", "unsafe", state="nominal", action="bold") == pytest.approx(0.0)     # clipped at 0
    assert w.prob("unsafe", "unsafe", state="unsafe", action="halt") == 1.0
    g = kernel(lib, "verifier_gate", h_cautious=0.005, h_bold=0.02, H=10, delta=0.05)
    assert g.prob("cautious", "pass", proposed="cautious") == pytest.approx(1.0)
    assert g.prob("halt", "flag", proposed="bold") == pytest.approx(1.0)
    assert kernel(lib, "safety_spec").prob("unsafe", state="unsafe") == 1.0


def test_overseer_and_debate_judges(lib):
    k = kernel(lib, "off_switch_overseer", eta=0.1)
    assert k.prob("switch_off", utility="minus2") == pytest.approx(0.9) and k.prob("allow", utility="plus1") == 0.9
    d = kernel(lib, "debate_judge", j_debate=0.76, j_collude=0.3)
    assert d.prob("B", truth="B", intent="honest") == pytest.approx(0.76)
    assert d.prob("A", truth="A", intent="scheming") == pytest.approx(0.3)


# ----- the constructions -----------------------------------------------------------------------------------
Y = FinSet("Y", ["a", "b", "hack"])
EPS = Parameter("eps", (0, 0.5), default=0.1)
N = Parameter("n", (1, 100), default=3)
PLACE = lambda path: "lib.yaml:7: components.x.kernel." + ".".join(map(str, path))


def test_best_of_n_with_a_mixture_weight_equals_the_numeric_base():
    args = {"base": {"a": "(1 - eps)*0.25", "b": "(1 - eps)*0.75", "hack": "eps"},
            "score": {"a": 1, "b": 2, "hack": 3}, "n": "n"}
    k = build("best_of_n", Context("x", [], [("y", Y)], {"eps": EPS, "n": N}, args, PLACE))
    for eps, n in [(0.1, 3), (0.0, 5), (0.3, 1)]:
        p = [(1 - eps) * 0.25, (1 - eps) * 0.75, eps]
        F = [p[0], p[0] + p[1], 1.0]
        want = [F[0] ** n, F[1] ** n - F[0] ** n, 1 - F[1] ** n]
        got = k.subs({"eps": eps, "n": n})
        assert [got.prob(y) for y in Y.elements] == pytest.approx(want, abs=1e-15)


def test_base_weights_are_checked_at_the_defaults():
    args = {"base": {"a": "0.05 - eps", "b": "eps", "hack": 0}, "score": {"a": 1, "b": 2, "hack": 3}, "n": 2}
    with pytest.raises(MarkovwireError) as err:
        build("best_of_n", Context("x", [], [("y", Y)], {"eps": EPS}, args, PLACE))
    assert str(err.value) == ("lib.yaml:7: components.x.kernel.base: base weights must be non-negative and not "
                              "all zero\n  fix: give a weight (probability) per label")


def test_a_normalised_construction_is_still_checked_numerically():
    """A tilt at temperature 0 written as a number has no finite value: refused, with its place."""
    args = {"base": {"a": 1, "b": 1}, "score": {"a": 1, "b": 2}, "lam": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(MarkovwireError) as err:
            build("exponential_tilt", Context("x", [], [("y", FinSet("Z", ["a", "b"]))], {}, args, PLACE))
    assert str(err.value) == ("lib.yaml:7: components.x.kernel.: construction 'exponential_tilt': kernel 'x', "
                              "the distribution: has a non-finite entry\n  fix: use finite probabilities")
