"""Loading libraries and proposals: kernels, constructions, discovery, messages, evaluation, saving.

The shipped AI-control proposals are checked against closed forms written here
(ALIGNMENT §3.2 (a)-(c)), computed with the standard library only.
"""
from __future__ import annotations

import doctest
import itertools
import json
import math
import os
from pathlib import Path
from statistics import NormalDist

import numpy as np
import pytest

import markovwire.library as library_pkg
import markovwire.library.constructions as constructions_mod
import markovwire.library.discovery as discovery_mod
import markovwire.library.loader as loader_mod
import markovwire.library.proposal as proposal_mod
import markovwire.library.sensitivity as sensitivity_mod
import markovwire.library.shipped as shipped_mod
from markovwire import FinSet, Parameter
from markovwire.diagrams.stateful import StatefulBox
from markovwire.errors import ErrorList, MarkovwireError
from markovwire.library import (
    available_libraries,
    check_file,
    find_component,
    find_library,
    load_library,
    load_library_text,
    load_proposal,
    proposal_from_data,
    proposal_from_text,
    shipped_proposals,
    sweep_grid,
    to_jsonable,
)
from markovwire.library.constructions import Context, build
from markovwire.library.shipped import alignment_path, proposals_dir

N01 = NormalDist()
PROPOSALS = proposals_dir()


def messages(fn, *args) -> list[str]:
    """The messages of every problem ``fn(*args)`` raises."""
    try:
        fn(*args)
    except ErrorList as e:
        return [str(x) for x in e.errors]
    except MarkovwireError as e:
        return [str(e)]
    raise AssertionError("no error was raised")


@pytest.mark.parametrize("module", [library_pkg, constructions_mod, discovery_mod, loader_mod, proposal_mod,
                                    sensitivity_mod, shipped_mod])
def test_doctests(module):
    assert doctest.testmod(module).failed == 0


# ----- the shipped library -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def alignment():
    return load_library("alignment")


def test_the_shipped_library_loads_and_every_kernel_is_stochastic(alignment):
    assert alignment.problems() == []
    for c in alignment.components.values():
        assert c.doc and c.source, c.name
        box = c.instantiate(c.name)
        kernel = box.step if isinstance(box, StatefulBox) else box.kernel
        values = {n: p.default for n, p in kernel.params.items() if p.default is not None}
        rows = kernel.subs(values).rows() if kernel.is_symbolic and len(values) == len(kernel.params) else None
        if rows is not None:
            assert np.allclose(rows.sum(axis=1), 1) and (rows >= 0).all(), c.name


def test_the_catalogue_components_are_there(alignment):
    for name in ["task_source", "alignment_prior", "untrusted_policy", "trusted_model", "trusted_monitor",
                 "human_auditor", "defer_to_trusted", "trusted_editor", "episode", "budgeted_episode"]:
        assert name in alignment.components


def test_untrusted_policy_numbers(alignment):
    k = alignment.components["untrusted_policy"].instantiate("u").kernel.subs({"beta": 0.1, "sigma": 0.25})
    assert k.prob("clean", query="hard", intent="honest") == 1.0
    assert k.prob("backdoor_ok", query="benign", intent="scheming") == pytest.approx(0.025)
    assert k.prob("backdoor_broken", query="adversarial", intent="scheming") == pytest.approx(0.075)


def test_binormal_monitor_matches_the_normal_distribution(alignment):
    k = alignment.components["trusted_monitor"].instantiate("m").kernel.subs({"mu": 1.636, "d": 0.1, "a": 0.02})
    t_a, t_d = N01.inv_cdf(0.98), N01.inv_cdf(0.9)
    recall = 1 - N01.cdf(t_a - 1.636)
    assert recall == pytest.approx(0.338, abs=5e-4)                         # the paper's P(attempt audited)
    assert k.prob("high", act="backdoor_ok") == pytest.approx(recall, rel=1e-9)
    assert k.prob("low", act="backdoor_broken") == pytest.approx(N01.cdf(t_d - 1.636), rel=1e-9)
    assert [k.prob(s, act="clean") for s in ("low", "mid", "high")] == pytest.approx([0.9, 0.08, 0.02])
    # a defer threshold below the audit threshold means no deferral (the honest 'mid' mass is zero)
    k2 = alignment.components["trusted_monitor"].instantiate("m").kernel.subs({"mu": 1.636, "d": 0.01, "a": 0.02})
    assert k2.prob("mid", act="clean") == 0.0 and k2.prob("mid", act="backdoor_ok") == pytest.approx(0.0)


def test_defer_router_is_the_function_it_says(alignment):
    k = alignment.components["defer_to_trusted"].instantiate("r").kernel
    for sus, u, t in itertools.product(["low", "mid", "high"], ["correct", "catastrophic"],
                                       ["correct", "subtly_wrong"]):
        ans = t if sus == "mid" else u
        route = {"low": "submit_U", "mid": "defer_T", "high": "audit"}[sus]
        assert k.prob(ans, route, sus=sus, untrusted=u, trusted=t) == 1.0


def test_budgeted_episode_counts_coins_and_absorbs(alignment):
    box = alignment.components["budgeted_episode"].instantiate("e", sizes={"B": 2})
    S = box.state
    assert S.elements == ("0", "1", "2", "shutdown", "catastrophe")
    k = box.step
    assert k.prob("1", "available", state="0", audit="clean", answer="correct") == 1.0
    assert k.prob("2", "exhausted", state="2", audit="clean", answer="correct") == 1.0     # the top is kept
    assert k.prob("shutdown", "available", state="1", audit="caught", answer="catastrophic") == 1.0
    assert k.prob("catastrophe", "available", state="0", audit="unaudited", answer="catastrophic") == 1.0
    assert k.prob("catastrophe", "exhausted", state="catastrophe", audit="clean", answer="correct") == 1.0
    assert not box.instantaneous   # its output reads only the state: it can close a loop


# ----- constructions, against independent computations ----------------------------------------------------
Y = FinSet("Y", ["a", "b", "c", "d"])
BASE = {"a": 0.1, "b": 0.2, "c": 0.3, "d": 0.4}
SCORE = {"a": 1, "b": 2, "c": 2, "d": 3}


def test_best_of_n_equals_brute_force_over_all_draws():
    n = Parameter("n", (1, 100), default=3, integer=True)
    k = build("best_of_n", Context("bon", [], [("y", Y)], {"n": n}, {"base": BASE, "score": SCORE, "n": "n"}))
    for draws in (1, 2, 3):
        want = dict.fromkeys(Y.elements, 0.0)
        for tup in itertools.product(Y.elements, repeat=draws):
            p = math.prod(BASE[y] for y in tup)
            best = max(SCORE[y] for y in tup)
            winners = [y for y in tup if SCORE[y] == best]
            for y in winners:  # ties broken uniformly among the drawn candidates of the best score
                want[y] += p / len(winners)
        got = k.subs({"n": draws})
        for y in Y.elements:
            # within a level the split is in proportion to the base: the same in expectation for i.i.d. draws
            assert got.prob(y) == pytest.approx(want[y], abs=1e-12), (draws, y)


def test_exponential_tilt_is_the_kl_regularised_optimum():
    lam = Parameter("lam", (0.01, 100), default=1.0)
    k = build("exponential_tilt", Context("t", [], [("y", Y)], {"lam": lam},
                                           {"base": BASE, "score": SCORE, "lam": "lam"}))
    for L in (0.05, 0.5, 5.0):
        w = {y: BASE[y] * math.exp(SCORE[y] / L) for y in Y.elements}
        Z = sum(w.values())
        got = k.subs({"lam": L})
        assert [got.prob(y) for y in Y.elements] == pytest.approx([w[y] / Z for y in Y.elements], rel=1e-9)
    assert k.subs({"lam": 0.01}).prob("d") == pytest.approx(1.0)   # no overflow at small lam


def test_binomial_counter_and_threshold():
    K = FinSet("K", [str(i) for i in range(5)])
    p = Parameter("p", (0, 1), default=0.3)
    k = build("binomial", Context("b", [], [("k", K)], {"p": p}, {"p": "p"})).subs({"p": 0.3})
    assert [k.prob(str(i)) for i in range(5)] == pytest.approx([math.comb(4, i) * 0.3 ** i * 0.7 ** (4 - i)
                                                                 for i in range(5)])
    X = FinSet("X", ["idle", "audit"])
    F = FinSet("F", ["available", "exhausted"])
    c = build("counter", Context("c", [("k", K), ("x", X)], [("k", K), ("f", F)], {},
                                  {"when": ["audit"], "at": 3, "below": "available", "above": "exhausted"}))
    assert c.prob("4", "exhausted", k="3", x="audit") == 1.0 and c.prob("2", "available", k="1", x="audit") == 1.0
    assert c.prob("1", "available", k="1", x="idle") == 1.0
    assert c.prob("4", "exhausted", k="4", x="audit") == 1.0
    t = build("threshold", Context("t", [("k", K)], [("f", F)], {}, {"below": "available", "above": "exhausted"}))
    assert [t.prob("available", k=str(i)) for i in range(5)] == [1, 1, 1, 1, 0]


def test_construction_mistakes_are_placed():
    place = lambda path: "lib.yaml:9: components.x.kernel." + ".".join(map(str, path))
    X = FinSet("X", ["a", "b"])
    ctx = lambda args, dom=(("x", X),), cod=(("y", X),): Context("x", dom, cod, {}, args, place)
    assert messages(build, "binormal_bucket", ctx({})) == [
        "lib.yaml:9: components.x.kernel.: unknown construction 'binormal_bucket' (did you mean 'binormal_buckets'?)"
        "\n  fix: use one of: best_of_n, binomial, binormal_buckets, budgeted_episode, counter, exponential_tilt, "
        "threshold"]
    assert messages(build, "binormal_buckets", ctx({"mu": 1, "fpr": [0.1], "positive": ["c"]}))[0].startswith(
        "lib.yaml:9: components.x.kernel.positive.0: X has no label 'c'")
    assert messages(build, "binormal_buckets", ctx({"mu": 1, "fpr": [0.1, 0.2], "positive": ["b"]}))[0].startswith(
        "lib.yaml:9: components.x.kernel.fpr: expected a list of 1 honest fractions")
    assert messages(build, "binormal_buckets", ctx({"mu": "mu + 1", "fpr": [0.1], "positive": ["b"]}))[0] == (
        "lib.yaml:9: components.x.kernel.mu: unknown name 'mu' (column 1)\n  fix: use a declared parameter "
        "(none declared) or the constants pi, e")
    assert messages(build, "binormal_buckets", ctx({"mu": 1, "fpr": [0.1], "positive": ["b"], "sd": 1,
                                                   "sdev": 2}))[0].startswith(
        "lib.yaml:9: components.x.kernel.sdev: unknown argument 'sdev' (did you mean 'sd'?)")
    assert messages(build, "best_of_n", ctx({"base": {"a": 1}, "score": {"a": 1}, "n": 2}))[0].startswith(
        "lib.yaml:9: components.x.kernel.: construction needs no inputs and one output")


# ----- library files: places of problems ---------------------------------------------------------------------
LIB = """\
name: toy
version: "1"
types:
  Act: [clean, attack]
  Verdict: [pass, flag]
parameters:
  r: {domain: [0, 1], default: 0.7}
components:
  monitor:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    parameters: [r]
    kernel:
      table:
        clean: {pass: 0.95, flag: 0.05}
        attack: {pass: "1 - r", flag: r}
"""


def test_a_toy_library(tmp_path):
    lib = load_library_text(LIB, "toy.yaml")
    k = lib.components["monitor"].instantiate("m").kernel
    assert k.subs({"r": 0.7}).prob("flag", act="attack") == pytest.approx(0.7)


@pytest.mark.parametrize("old, new, message", [
    ("inputs: {act: Act}", "inputs: {act: Actt}",
     "toy.yaml:10: components.monitor.inputs.act: unknown type 'Actt' (did you mean 'Act'?) (column 1)"),
    ("parameters: [r]", "parameters: [rr]",
     "toy.yaml:12: components.monitor.parameters[0]: unknown parameter 'rr' (did you mean 'r'?)"),
    ("flag: 0.05}", "flag: 0.06}",
     "toy.yaml:14: components.monitor.kernel.table: kernel 'toy.monitor', row (act=clean): entries sum to 101/100, "
     "not identically 1"),
    ("attack: {pass:", "atack: {pass:",
     "toy.yaml:16: components.monitor.kernel.table.atack: Act has no label 'atack' (did you mean 'attack'?)"),
    ('flag: r}', 'flag: "r +"}',
     "toy.yaml:16: components.monitor.kernel.table.attack.flag: syntax error: invalid syntax (column 1)"),
    ('flag: r}', 'flag: "__import__(\'os\')"}',
     "toy.yaml:16: components.monitor.kernel.table.attack.flag: function '__import__' is not available"),
    ("r: {domain: [0, 1], default: 0.7}", "r: {domain: [0, 1], default: 1.7}",
     "toy.yaml:7: parameters.r: parameter 'r': value 1.7 is outside its domain [0, 1]"),
])
def test_library_problems_name_file_line_and_key(old, new, message):
    assert old in LIB
    def load():
        lib = load_library_text(LIB.replace(old, new), "toy.yaml")
        lib.check()
    got = messages(load)
    assert any(m.startswith(message) for m in got), got


def test_function_tables_and_wildcards():
    text = LIB.replace("""      table:
        clean: {pass: 0.95, flag: 0.05}
        attack: {pass: "1 - r", flag: r}""", """      function: {clean: pass, _: flag}""")
    k = load_library_text(text, "toy.yaml").components["monitor"].instantiate("m").kernel
    assert k.prob("flag", act="attack") == 1.0 and k.prob("pass", act="clean") == 1.0
    missing = LIB.replace("""      table:
        clean: {pass: 0.95, flag: 0.05}
        attack: {pass: "1 - r", flag: r}""", """      function: {clean: pass}""")
    assert messages(lambda: load_library_text(missing, "toy.yaml").check()) == [
        "toy.yaml:14: components.monitor.kernel.function: no row for act = 'attack'\n"
        "  fix: give a row for every label of Act, or a '_' row for the rest"]
    out_wild = LIB.replace("clean: {pass: 0.95, flag: 0.05}", "clean: {_: 1}")
    assert messages(lambda: load_library_text(out_wild, "toy.yaml").check())[0].startswith(
        "toy.yaml:15: components.monitor.kernel.table.clean._: '_' stands for other input labels; verdict is an output")


def test_unsafe_and_hostile_yaml_is_refused(tmp_path):
    assert messages(load_library_text, "!!python/object/apply:os.system ['echo hi']", "x.yaml")[0].startswith(
        "x.yaml:1: is not valid YAML")
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n" for p, c in zip("abcdefg", "bcdefgh"))
    assert messages(load_library_text, bomb, "bomb.yaml")[0].startswith(
        "bomb.yaml:6: f[0]: the document holds more than 100,000 values by here")
    assert messages(load_library_text, "name: a\nname: b\n", "dup.yaml") == [
        "dup.yaml:2: key 'name': appears twice (first on line 1)\n  fix: keep one of the two entries"]
    big = tmp_path / "big.yaml"
    big.write_text("x" * 5_000_001)
    assert "more than the limit" in messages(load_library, big)[0]


# ----- discovery --------------------------------------------------------------------------------------------
def test_libraries_by_name_path_user_directory_and_entry_point(tmp_path, monkeypatch):
    (tmp_path / "toy.yaml").write_text(LIB)
    monkeypatch.setenv("MARKOVWIRE_LIBRARY_PATH", str(tmp_path))
    assert find_library("toy") == tmp_path / "toy.yaml"
    assert find_library("alignment") == alignment_path()          # the entry point of the shipped package
    assert available_libraries()["toy"] == tmp_path / "toy.yaml"
    assert find_component("toy.monitor").signature == "act: Act → verdict: Verdict"
    assert find_component("monitor").qualname == "toy.monitor"
    assert messages(find_library, "alignmnt")[0].startswith("library: unknown library 'alignmnt' (did you mean "
                                                             "'alignment'?)")
    proposal = tmp_path / "sub" / "p.yaml"
    proposal.parent.mkdir()
    proposal.write_text("name: p\nlibraries: [../toy.yaml]\ninstances: {m: {component: monitor}}\n"
                        "wiring: {inputs: {act: Act}, outputs: {v: Verdict},\n"
                        "         wires: [in.act -> m.act, m.verdict -> out.v]}\n"
                        "queries: {flag: {probability: {v: flag}, inputs: {act: attack}}}\n")
    assert load_proposal(proposal).evaluate()["flag"] == pytest.approx(0.7)
    proposal.write_text(proposal.read_text().replace("../toy.yaml", "../missing.yaml"))
    assert messages(load_proposal, proposal)[0].endswith("libraries[0]: library file '" + str(tmp_path / "sub" /
                                                                                                "../missing.yaml") +
                                                         "' does not exist\n  fix: check the path (relative paths "
                                                         "start at the proposal's directory)")


# ----- proposals: messages -----------------------------------------------------------------------------------
MON_LIB = LIB.replace("  monitor:\n", "  policy:\n    outputs: {act: Act}\n"
                                      "    kernel: {table: {clean: 0.9, attack: 0.1}}\n  monitor:\n")


def test_the_example_message_of_the_brief(tmp_path, monkeypatch):
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "toy.yaml").write_text(MON_LIB)
    monkeypatch.setenv("MARKOVWIRE_LIBRARY_PATH", str(tmp_path / "lib"))
    monkeypatch.chdir(tmp_path)
    text = "\n" * 12 + "name: tm\nlibraries: [toy]\ninstances:\n  policy: {component: policy}\n" \
                       "  monitor: {component: monitr}\ndiagram: policy >> monitor\n"
    text = "".join(f"# line {i + 1}\n" for i in range(11)) + "libraries: [toy]\ninstances:\n  monitor:\n" \
        "    component: monitr\n  policy: {component: policy}\nname: tm\ndiagram: policy >> monitor\n"
    Path("trusted_monitoring.yaml").write_text(text)
    assert messages(load_proposal, "trusted_monitoring.yaml") == [
        "trusted_monitoring.yaml:15: instances.monitor.component: unknown component 'monitr' (did you mean "
        "'monitor'?)\n  fix: use a component of toy (markovwire library list shows them)"]


TM = (PROPOSALS / "trusted_monitoring.yaml").read_text()


@pytest.mark.parametrize("old, new, message", [
    ("monitor: {component: trusted_monitor_table}", "monitor: {component: trusted_monitor_tabel}",
     "tm.yaml:23: instances.monitor.component: unknown component 'trusted_monitor_tabel' (did you mean "
     "'trusted_monitor_table'?)"),
    ("auditor: {component: human_auditor}", "auditor: {component: human_auditor, parameters: {h_okk: 1}}",
     "tm.yaml:24: instances.auditor.parameters.h_okk: component 'human_auditor' has no parameter 'h_okk' "
     "(did you mean 'h_ok'?)"),
    ("auditor: {component: human_auditor}", "auditor: {component: human_auditor, parameters: {h_ok: 2}}",
     "tm.yaml:24: instances.auditor.parameters.h_ok: parameter 'h_ok': value 2 is outside its domain [0, 1]"),
    ("    - policy.act -> monitor.act\n", "    - policy.act -> monitor.sus\n",
     "tm.yaml:33: wiring.wires[2]: wire policy.act → monitor.sus: monitor.sus is an output of 'monitor', not an input"),
    ("    - monitor.sus -> auditor.sus\n", "    - monitor.sus -> auditor.act\n",
     "tm.yaml:35: wiring.wires[4]: wire monitor.sus → auditor.act: Sus does not match Act"),
    ("probability: {episode: catastrophe}", "probability: {episode: catastrophy}",
     "tm.yaml:45: queries.p_catastrophe.probability.episode: Status has no label 'catastrophy' "
     "(did you mean 'catastrophe'?)"),
    ("probability: {episode: catastrophe}", "probability: {episod: catastrophe}",
     "tm.yaml:45: queries.p_catastrophe.probability.episod: no wire 'episod' (did you mean 'episode'?)"),
    ("    inputs: {intent: scheming}\n  safety:", "  safety:",
     "tm.yaml:43: queries.p_catastrophe: the outer input 'intent' is not fixed"),
    ("  beta: \"71/18000\"", "  bta: \"71/18000\"",
     "tm.yaml:14: parameters.bta: unknown parameter 'bta' (did you mean 'beta'?)"),
    ("  T: 5000", "  T: 5000.5", "tm.yaml:19: parameters.T: 5000.5 is not a whole number"),
    ("episode: {steps: T}", "episode: {steps: sigma}",
     "tm.yaml:41: episode.steps: parameter 'sigma' is not an integer parameter with a default"),
    ("    query: safety\n", "    query: safty\n",
     "tm.yaml:67: adversary.worst_safety.query: unknown query 'safty' (did you mean 'safety'?)"),
    ("    over: [beta]", "    over: [bta]",
     "tm.yaml:68: adversary.worst_safety.over[0]: unknown parameter 'bta' (did you mean 'beta'?)"),
    ("  - {parameter: beta,", "  - {parameter: betta,",
     "tm.yaml:63: sweeps[0].parameter: unknown parameter 'betta' (did you mean 'beta'?)"),
    ("probability: {episode: catastrophe}\n    inputs: {intent: scheming}",
     "probability: {episode: catastrophe}\n    given: {episode: shutdown}\n    inputs: {intent: scheming}",
     "tm.yaml:46: queries.p_catastrophe.given.episode: 'episode' is both asked about and given"),
    ("probability: {episode: catastrophe}", "probability: {intent: honest}",
     "tm.yaml:45: queries.p_catastrophe.probability.intent: 'intent' is an outer input, fixed by the query rather "
     "than random"),
    ("  task: {component: task_source}", "  copy: {component: task_source}",
     "tm.yaml:21: instances.copy: 'copy' is reserved"),
])
def test_proposal_problems_name_file_line_and_key(old, new, message):
    assert old in TM, old
    got = messages(proposal_from_text, TM.replace(old, new), "tm.yaml")
    assert any(m.startswith(message) for m in got), got


def test_an_adversary_does_not_choose_sizes_of_types():
    text = (PROPOSALS / "upfront_auditing.yaml").read_text().replace("    over: [beta]", "    over: [B]")
    got = messages(proposal_from_text, text, "u.yaml")
    assert any(m.startswith("u.yaml:") and "adversary.worst_safety.over[0]: parameter 'B' sizes a type" in m
               for m in got), got


def test_stateful_instances_need_an_episode():
    got = messages(proposal_from_text, TM.replace("episode: {steps: T}\n", ""), "tm.yaml")
    assert got[0].startswith("tm.yaml:26: instances.episode: instance 'episode' has a state, so the proposal is an "
                             "episode of many steps")


def test_a_diagram_expression_proposal_and_its_errors():
    text = """\
name: flagged
libraries: [alignment]
instances:
  policy: {component: untrusted_policy, parameters: {beta: 0.2, sigma: 0.5}}
  monitor: {component: trusted_monitor_table, parameters: {a: 0.1, r_ok: 0.8, r_broken: 0.6}}
  auditor: {component: human_auditor}
diagram: policy >> copy(Act) >> (id(Act) @ monitor) >> auditor
queries:
  caught: {probability: {audit: caught}, inputs: {query: benign, intent: scheming}}
  attack_given_caught:
    probability: {policy.act: [backdoor_ok, backdoor_broken]}
    given: {audit: caught}
    inputs: {query: hard, intent: scheming}
  audits: {distribution: [audit], inputs: {query: hard, intent: honest}}
"""
    p = proposal_from_text(text, "flagged.yaml")
    r = p.evaluate()
    assert r["caught"] == pytest.approx(0.2 * (0.5 * 0.8 + 0.5 * 0.6))
    assert r["attack_given_caught"] == pytest.approx(1.0)
    assert r["audits"] == pytest.approx({"unaudited": 0.9, "clean": 0.1, "caught": 0.0})
    assert p.parameters.keys() >= {"h_ok", "h_broken"} and "beta" not in p.parameters   # fixed by the instance
    bad = text.replace(">> auditor", ">> auditr")
    assert messages(proposal_from_text, bad, "flagged.yaml") == [
        "flagged.yaml:7: diagram: unknown name 'auditr' (did you mean 'auditor'?) (column 47)\n"
        "  fix: use an instance name (auditor, monitor, policy) or copy, discard, swap, id"]
    wrong = text.replace("(id(Act) @ monitor)", "(monitor @ id(Act))")
    got = messages(proposal_from_text, wrong, "flagged.yaml")[0]
    assert got.startswith("flagged.yaml:7: diagram (column 44, '>>'): policy >> copy[Act] >> (monitor ⊗ id[Act]) >> "
                          "auditor, position 1 (sus → act): Sus does not match Act")


def test_an_episode_written_as_a_string_diagram():
    text = """\
name: tiny
instances:
  task: {component: task_source}
  policy: {component: untrusted_policy, parameters: {beta: 0.01, sigma: 1}}
  solution: {component: untrusted_answer}
  episode: {component: episode}
diagram: (id(AuditOut) @ ((task @ id(Intent)) >> policy >> solution)) >> episode
episode: {steps: 10}
queries:
  catastrophe: {probability: {episode: catastrophe}, inputs: {x2: scheming, x: unaudited}}
  later: {probability: {episode: catastrophe}, inputs: {x2: scheming, x: unaudited}, steps: 3}
"""
    r = proposal_from_text(text, "tiny.yaml").evaluate()
    assert r["catastrophe"] == pytest.approx(1 - 0.99 ** 10, rel=1e-12)
    assert r["later"] == pytest.approx(1 - 0.99 ** 3, rel=1e-12)


# ----- evaluation ----------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tm():
    return load_proposal(PROPOSALS / "trusted_monitoring.yaml")


def test_sweeps_are_vectorised_and_equal_pointwise(tm):
    betas = np.array([0.0, 0.002, 0.01, 0.3])
    swept = tm.evaluate({"beta": betas}, ["safety", "p_caught"])
    for i, b in enumerate(betas):
        point = tm.evaluate({"beta": float(b)}, ["safety", "p_caught"])
        assert swept["safety"][i] == pytest.approx(point["safety"], abs=1e-12)
        assert swept["p_caught"][i] == pytest.approx(point["p_caught"], abs=1e-12)
    axes, grid = sweep_grid([("beta", 0.0, 0.01, 3), ("a", 0.01, 0.03, 2)])
    assert grid["beta"].tolist() == [0.0, 0.0, 0.005, 0.005, 0.01, 0.01]
    assert tm.evaluate(grid, ["safety"])["safety"].shape == (6,)


def test_unknown_or_out_of_domain_values(tm):
    assert messages(tm.evaluate, {"betta": 0.1})[0].startswith(
        "proposal 'trusted_monitoring': unknown parameter 'betta' (did you mean 'beta'?)")
    assert messages(tm.evaluate, {"beta": 1.5})[0].startswith(
        "parameter 'beta': value 1.5 is outside its domain [0, 1]")
    assert messages(tm.evaluate, None, ["safty"])[0].startswith("proposal 'trusted_monitoring': has no query 'safty'")


def test_a_type_size_set_at_evaluation_rebuilds_the_proposal():
    p = load_proposal(PROPOSALS / "upfront_auditing.yaml")
    direct = proposal_from_text((PROPOSALS / "upfront_auditing.yaml").read_text().replace("  B: 100", "  B: 40"),
                                "u.yaml", PROPOSALS / "u.yaml")
    assert p.evaluate({"B": 40}, ["safety"])["safety"] == pytest.approx(direct.evaluate(None, ["safety"])["safety"])
    swept = p.evaluate({"B": [40, 100]}, ["safety"])["safety"]
    assert swept[1] == pytest.approx(p.evaluate(None, ["safety"])["safety"])
    assert "B" in p.parameters


def test_json_results(tm):
    r = to_jsonable(tm.evaluate({"beta": [0.0, 0.01]}, ["safety", "worst_safety"]))
    assert r["safety"][0] == 1.0 and len(r["safety"]) == 2
    assert set(r["worst_safety"]) == {"value", "points"}
    assert len(r["worst_safety"]["value"]) == 2 and r["worst_safety"]["value"] == [x["value"] for x in
                                                                                   r["worst_safety"]["points"]]
    assert set(r["worst_safety"]["points"][0]) >= {"value", "choice", "optimum", "on_edge", "sense", "query"}
    json.dumps(r)


# ----- saving -------------------------------------------------------------------------------------------------
def test_unchanged_proposals_save_byte_for_byte(tmp_path, tm):
    out = tm.save(tmp_path / "copy.yaml")
    assert out.read_text() == (PROPOSALS / "trusted_monitoring.yaml").read_text()
    assert [f.name for f in tmp_path.iterdir()] == ["copy.yaml"]   # no temporary file is left behind


@pytest.mark.parametrize("path", shipped_proposals(), ids=lambda p: p.stem)
def test_edited_proposals_round_trip_exactly(tmp_path, path):
    p = load_proposal(path)
    edited = p.replace(parameters={**p.spec.parameters, "T": 4000}, doc="edited")
    target = edited.save(tmp_path / path.name)
    again = load_proposal(target)
    assert again.spec == edited.spec
    assert again.spec.parameters["T"] == 4000 and again.doc == "edited"
    assert proposal_from_data(p.spec.model_dump(), path).spec == p.spec


def test_problems_of_a_proposal_held_as_data(tm):
    from markovwire.library import proposal_problems
    data = tm.spec.model_dump()
    assert proposal_problems(data) == []
    data["instances"]["monitor"]["component"] = "monitr"
    (err,) = proposal_problems(data)
    assert err.where.startswith("<proposal>:") and err.where.endswith("instances.monitor.component")
    assert err.what == "unknown component 'monitr'"


def test_saving_where_it_cannot_is_a_clear_error(tm, tmp_path):
    assert messages(tm.save, tmp_path / "missing" / "x.yaml")[0].startswith(
        f"{tmp_path / 'missing' / 'x.yaml'}: cannot be written")


def test_check_file_reports_libraries_and_proposals(tmp_path):
    for p in shipped_proposals():
        assert check_file(p) == []
    assert check_file(alignment_path()) == []
    bad = tmp_path / "bad.yaml"
    bad.write_text(TM.replace("component: human_auditor", "component: human_audtor")
                   .replace("component: episode", "component: episod"))
    got = [str(e) for e in check_file(bad)]
    assert len(got) == 2 and all(m.startswith(str(Path(os.path.relpath(bad)))) or m.startswith(str(bad)) for m in got)


# ----- the AI-control proposals against closed forms (ALIGNMENT §3.2) ----------------------------------------------
def upfront_red_win(p: float, A: int = 100, B: int = 4900, c: float = 0.53) -> float:
    """(a): no attempt in the audited prefix, and at least one working backdoor afterwards."""
    return (1 - p) ** A * (1 - (1 - c * p) ** B)


def golden_max(f, lo: float, hi: float, tol: float = 1e-12) -> tuple[float, float]:
    g = (math.sqrt(5) - 1) / 2
    a, b = lo, hi
    while b - a > tol:
        x1, x2 = b - g * (b - a), a + g * (b - a)
        if f(x1) < f(x2):
            a = x1
        else:
            b = x2
    x = (a + b) / 2
    return x, f(x)


def test_upfront_auditing_matches_the_closed_form():
    p = load_proposal(PROPOSALS / "upfront_auditing.yaml")
    for beta in (0.0005, 0.0012675, 0.004):
        assert p.evaluate({"beta": beta}, ["safety"])["safety"] == pytest.approx(1 - upfront_red_win(beta), rel=1e-9)
    p_star, win = golden_max(upfront_red_win, 0.0001, 0.01)
    assert p_star == pytest.approx(0.0012675, rel=1e-3) and 1 - win == pytest.approx(0.1518, abs=5e-5)
    worst = p.evaluate(None, ["worst_safety"])["worst_safety"]
    assert worst.value == pytest.approx(1 - win, rel=1e-9)
    assert worst.choice["beta"] == pytest.approx(p_star, rel=1e-4)
    assert round(worst.value, 4) == 0.1518


def fixed_odds_red_win(c: float, s: float, q: float, N: int = 5000) -> float:
    """(b): the first decisive attempt settles the game; attempts are Binomial(N, q)."""
    return s / (s + c) * (1 - (1 - q * (s + c)) ** N)


def test_trusted_monitoring_matches_the_closed_form(tm):
    c, s, q = 24 / 71, 13 / 71, 71 / 1500 / 12
    r = tm.evaluate()
    assert r["safety"] == pytest.approx(1 - fixed_odds_red_win(c, s, q), rel=1e-9)
    assert round(r["safety"], 4) == 0.6487
    assert r["p_caught"] == pytest.approx(c / (s + c) * (1 - (1 - q * (s + c)) ** 5000), rel=1e-9)
    assert r["usefulness"] == pytest.approx(1.0)
    assert 5000 * q == pytest.approx(19.7, abs=0.05)                      # expected attempts
    assert r["worst_safety"].value == pytest.approx(24 / 37, abs=1e-9)  # attacking always is optimal here
    for beta in (0.001, 0.05):
        assert tm.evaluate({"beta": beta}, ["safety"])["safety"] == pytest.approx(
            1 - fixed_odds_red_win(c, s, beta), rel=1e-9)


def test_defer_to_trusted_matches_the_closed_form_and_the_table():
    p = load_proposal(PROPOSALS / "defer_to_trusted.yaml")
    mu, a, sigma, q = 1.636, 0.02, 19 / 71, 71 / 18000
    ds = np.array([0.02, 0.05, 0.10, 0.20, 0.50])
    r = p.evaluate({"d": ds}, ["safety", "usefulness", "p_deferred"])
    c = 1 - N01.cdf(N01.inv_cdf(1 - a) - mu)
    for i, d in enumerate(ds):
        s = sigma * N01.cdf(N01.inv_cdf(1 - d) - mu)
        assert r["safety"][i] == pytest.approx(1 - fixed_odds_red_win(c, s, q), rel=1e-9)
        assert r["usefulness"][i] == pytest.approx(1 - (d - a), abs=1e-12)
        assert r["p_deferred"][i] == pytest.approx(d - a, abs=1e-12)
    assert r["safety"].tolist() == pytest.approx([0.656, 0.715, 0.777, 0.855, 0.961], abs=1e-3)  # ALIGNMENT §3.2 (c)


# ----- names across libraries: the proposal's declarations win, clashing names are qualified (issue 12) ---------
MINE = """\
name: mine
version: "1"
types:
  Act: [safe, risky]
  Verdict: [pass, flag]
parameters:
  beta: {domain: [0, 0.5], default: 0.1}
components:
  actor:
    outputs: {act: Act}
    parameters: [beta]
    kernel: {table: {safe: "1 - beta", risky: beta}}
  trusted_monitor:
    inputs: {act: Act}
    outputs: {v: Verdict}
    kernel: {table: {safe: {pass: 0.9, flag: 0.1}, risky: {flag: 1}}}
"""
ALIGNMENT = "library/shipped/alignment.yaml"


@pytest.fixture
def mine(tmp_path, monkeypatch):
    """A user library beside the proposal whose Act, beta and trusted_monitor clash with the alignment library's."""
    (tmp_path / "mine.yaml").write_text(MINE)
    monkeypatch.chdir(tmp_path)

    def proposal(body: str):
        return proposal_mod.proposal_from_text("name: p\nlibraries: [alignment, mine.yaml]\n" + body, "p.yaml",
                                               tmp_path / "p.yaml")
    return proposal


def where(kind: str, name: str, lib: str = "mine") -> str:
    """``lib.name (file:line)`` as the loader shows a declaration, found independently in the file's text."""
    path = alignment_path() if lib == "alignment" else Path("mine.yaml")
    lines = path.read_text().splitlines()
    start = lines.index(f"{kind}:")
    line = next(i for i in range(start, len(lines)) if lines[i].startswith(f"  {name}:")) + 1
    shown = load_library("alignment").filename if lib == "alignment" else "mine.yaml"  # as named when first loaded
    return f"{lib}.{name} ({shown}:{line})"


def test_a_parameter_two_libraries_declare_differently_names_both_places(mine):
    with pytest.raises(MarkovwireError) as err:
        mine("instances: {a: {component: actor}}\ndiagram: a\n")
    assert str(err.value) == (
        "p.yaml:2: libraries[1]: parameter 'beta' is declared differently by "
        f"{where('parameters', 'beta', 'alignment')} and {where('parameters', 'beta')}\n"
        "  fix: declare 'beta' in the proposal's 'parameters:' ({domain: [lo, hi], default: ...}) to settle it")


def test_the_proposals_own_declaration_wins_over_the_libraries(mine):
    p = mine("parameters: {beta: {domain: [0, 1], default: 0.2}}\n"
             "instances: {a: {component: actor}, m: {component: mine.trusted_monitor}}\n"
             "diagram: a >> m\nqueries: {flag: {probability: {m.v: flag}}}\n")
    assert p.all_parameters["beta"].domain == (0, 1)
    assert p.evaluate()["flag"] == pytest.approx(0.8 * 0.1 + 0.2)
    assert p.evaluate({"beta": 0.9})["flag"] == pytest.approx(0.1 * 0.1 + 0.9)  # outside mine's [0, 0.5]


DECLARED = "parameters: {beta: {domain: [0, 1], default: 0.2}}\n"


def test_an_unqualified_clashing_type_lists_where_each_comes_from(mine):
    with pytest.raises(MarkovwireError) as err:
        mine(DECLARED + "instances: {a: {component: actor}}\n"
             "wiring: {outputs: {x: Act}, wires: [a.act -> out.x]}\n")
    assert str(err.value) == (
        f"p.yaml:5: wiring.outputs.x: type 'Act' is declared differently by several libraries: "
        f"{where('types', 'Act', 'alignment')}, {where('types', 'Act')}\n"
        "  fix: write the one you mean: alignment.Act or mine.Act")


def test_qualified_types_and_components_are_reachable(mine):
    p = mine(DECLARED + "instances: {a: {component: actor}, m: {component: mine.trusted_monitor}}\n"
             "diagram: a >> copy(mine.Act) >> (m @ id(mine.Act))\n"
             "queries: {both: {probability: {m.v: flag, a.act: risky}}}\n")
    assert p.evaluate()["both"] == pytest.approx(0.2)
    p = mine(DECLARED + "instances: {a: {component: actor}, m: {component: mine.trusted_monitor}}\n"
             "wiring: {outputs: {x: mine.Act, y: Verdict}, wires: [a.act -> out.x, a.act -> m.act, m.v -> out.y]}\n")
    # Verdict is declared alike by both libraries: one type, by its short name
    assert [port.type for port in p.wiring.outputs] == [FinSet("mine.Act", ["safe", "risky"]),
                                                        FinSet("Verdict", ["pass", "flag"])]


def test_a_mismatch_between_clashing_types_shows_their_qualified_names(mine):
    msgs = messages(mine, DECLARED + "instances: {a: {component: actor}, m: {component: alignment.trusted_monitor}}\n"
                    "diagram: a >> m\n")
    assert len(msgs) == 1 and "mine.Act does not match alignment.Act" in msgs[0]
    assert "Act does not match Act" not in msgs[0].replace(".Act does not match alignment.Act", "")


def test_an_unqualified_clashing_component_lists_where_each_comes_from(mine):
    with pytest.raises(MarkovwireError) as err:
        mine(DECLARED + "instances: {m: {component: trusted_monitor}}\ndiagram: m\n")
    assert str(err.value) == (
        "p.yaml:4: instances.m.component: component 'trusted_monitor' is in several libraries: "
        f"{where('components', 'trusted_monitor', 'alignment')}, {where('components', 'trusted_monitor')}\n"
        "  fix: write the one you mean: alignment.trusted_monitor or mine.trusted_monitor")


def test_attribute_access_other_than_library_dot_type_is_still_refused(mine):
    for text, what in (("a.__class__", "attribute access is not allowed"),
                       ("a >> mine.actor", "attribute access is not allowed")):
        msgs = messages(mine, DECLARED + f"instances: {{a: {{component: actor}}}}\ndiagram: {text}\n")
        assert len(msgs) == 1 and what in msgs[0], msgs


def test_libraries_without_clashes_are_seen_as_they_are():
    lib = load_library("alignment")
    assert loader_mod.in_scope([lib]) == [lib]
    scope = loader_mod.TypeScope([lib], lib.sizes(lib.parameters))
    assert scope["Act"] is scope["alignment.Act"] and scope["Act"].name == "Act"


def test_two_sizes_of_one_type_are_told_apart_in_a_mismatch(tmp_path):
    """The same type name at two sizes (an instance's own size): never "Obs does not match Obs"."""
    (tmp_path / "obs.yaml").write_text(
        "name: obs\nversion: '1'\ntypes: {Obs: Range(n), Done: [done]}\n"
        "parameters: {n: {domain: [1, 9], default: 2, integer: true}}\n"
        "components:\n  src: {outputs: {o: Obs}, kernel: {table: {'0': 1}}}\n"
        "  dst: {inputs: {o: Obs}, outputs: {u: Done}, parameters: [n], kernel: {table: {_: {done: 1}}}}\n")
    for body in ("diagram: a >> b\n", "wiring: {outputs: {u: Done}, wires: [a.o -> b.o, b.u -> out.u]}\n"):
        msgs = messages(proposal_mod.proposal_from_text,
                        "name: p\nlibraries: [obs.yaml]\ninstances:\n  a: {component: src}\n"
                        "  b: {component: dst, parameters: {n: 3}}\n" + body, "p.yaml", tmp_path / "p.yaml")
        assert len(msgs) == 1 and "Obs{0, 1} does not match Obs{0, 1, 2}" in msgs[0], msgs


def test_in_scope_never_leaves_two_types_of_one_name():
    """Whatever types two libraries declare (alike, differently, or defined from each other), after in_scope no two
    different types share a name, each is reachable as library.Type, and a short name is one type or an error."""
    from hypothesis import given, settings, strategies as st

    names = st.sampled_from(["A", "B", "C"])
    plain = st.lists(st.sampled_from(["x", "y", "z"]), min_size=1, max_size=3, unique=True)
    spec = st.one_of(plain, names.map(lambda n: f"Vec({n}, 2)"))
    types = st.dictionaries(names, spec, max_size=3)

    def library(name: str, declared: dict):
        body = "".join(f"  {n}: {v if isinstance(v, str) else '[' + ', '.join(v) + ']'}\n" for n, v in declared.items())
        body = body or "  Z: [z]\n"
        return load_library_text(f"name: {name}\nversion: '1'\ntypes:\n{body}", f"{name}.yaml")

    @settings(max_examples=60, deadline=None)
    @given(types, types)
    def check(t1, t2):
        try:
            libs = [library("one", t1), library("two", t2)]
        except MarkovwireError:
            return  # a circular or unknown alias: the library itself is refused
        scoped = loader_mod.in_scope(libs)
        seen: dict[str, FinSet] = {}
        for lib in scoped:
            for t in lib.types({}).values():
                assert seen.setdefault(t.name, t) == t, (t1, t2, t.name)
        scope = loader_mod.TypeScope(scoped, {})
        for lib in scoped:
            for n, t in lib.types({}).items():
                assert scope[f"{lib.name}.{n}"] is t
        for n in set(t1) | set(t2):
            try:
                found = scope[n]
            except MarkovwireError as e:
                assert "declared differently by several libraries: one." in e.what and "two." in e.what
                assert libs[0].types({})[n] != libs[1].types({})[n] or n in scoped[0].qualified
            else:
                assert all(lib.types({})[n] == found for lib in scoped if n in lib.spec.types)

    check()
