"""Information queries in proposal files: their numbers on every surface, and every mistake's message."""
from __future__ import annotations

import json
import textwrap
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.stats import entropy as H

from markovwire.errors import MarkovwireError
from markovwire.library import load_proposal
from markovwire.tui.cli import cli

LIBRARY = """\
name: toy
version: "1"
types: {Intent: [honest, scheming], Act: [clean, attack], Verdict: [pass, flag]}
parameters:
  p: {default: 0.3, domain: [0, 1]}
components:
  prior:
    outputs: {intent: Intent}
    parameters: [p]
    kernel: {table: {honest: 1 - p, scheming: p}}
  policy:
    inputs: {intent: Intent}
    outputs: {act: Act}
    kernel: {table: {honest: {clean: 1}, scheming: {clean: 0.8, attack: 0.2}}}
  monitor:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    kernel: {table: {clean: {pass: 0.9, flag: 0.1}, attack: {pass: 0.3, flag: 0.7}}}
"""

PROPOSAL = """\
name: info  # a newcomer's file, with comments
libraries: [toy.yaml]
instances:
  intent: {component: prior}
  policy: {component: policy}
  monitor: {component: monitor}
wiring:
  outputs: {act: Act, verdict: Verdict}
  wires:
    - intent.intent -> policy.intent
    - policy.act -> monitor.act
    - policy.act -> out.act
    - monitor.verdict -> out.verdict
queries:
  h_act: {entropy: {of: [act]}}
  h_act_given_verdict: {entropy: {of: [act], given: [verdict], unit: bits}}
  leak: {mutual_information: {between: [[intent.intent], [verdict]]}}
  law_act: {distribution: [act]}
  kl_flagged: {kl: {of: [act], against: law_act}, given: {verdict: flag}}
  kl_never_attacks: {kl: {of: [act], against: {clean: 1}}}
  tv_uniform: {tv: {of: [act], against: {clean: 0.5, attack: 0.5}}}
"""


def joint(p: float) -> np.ndarray:
    """P(intent, act, verdict) written out by hand."""
    pi = np.array([1 - p, p])
    pol = np.array([[1.0, 0.0], [0.8, 0.2]])
    mon = np.array([[0.9, 0.1], [0.3, 0.7]])
    return pi[:, None, None] * pol[:, :, None] * mon[None, :, :]


@pytest.fixture
def files(tmp_path):
    (tmp_path / "toy.yaml").write_text(LIBRARY)
    path = tmp_path / "info.yaml"
    path.write_text(PROPOSAL)
    return tmp_path, path


def expected(p: float) -> dict:
    j = joint(p)
    act, av, iv = j.sum(axis=(0, 2)), j.sum(axis=0), j.sum(axis=1)
    flagged = av[:, 1] / av[:, 1].sum()
    return {"h_act": H(act), "h_act_given_verdict": (H(av.reshape(-1)) - H(av.sum(axis=0))) / np.log(2),
            "leak": H(iv.sum(axis=1)) + H(iv.sum(axis=0)) - H(iv.reshape(-1)), "kl_flagged": H(flagged, act),
            "kl_never_attacks": np.inf, "tv_uniform": 0.5 * np.abs(act - 0.5).sum()}


def test_every_kind_equals_brute_force_on_every_surface(files):
    _, path = files
    want = expected(0.3)
    proposal = load_proposal(path)
    python = proposal.evaluate()
    model = proposal.model()
    out = json.loads(CliRunner().invoke(cli, ["eval", str(path), "--json"]).output)
    for name, value in want.items():
        assert python[name] == pytest.approx(value, abs=1e-12), name
        assert model.value(name) == python[name]
        shown = out["queries"][name]
        assert (shown == "inf") if value == np.inf else shown == pytest.approx(value, abs=1e-12), name
    assert out["infinite"] == {"kl_never_attacks": "the law gives policy.act=attack probability 0.06, the "
                                                   "reference gives it 0"}
    text = CliRunner().invoke(cli, ["eval", str(path), "-q", "kl_never_attacks", "-q", "leak"],
                              env={"COLUMNS": "200"}).output
    assert "I(intent.intent; verdict)" in text and "KL(act ‖ reference table)" in text
    assert "inf (the law gives policy.act=attack probability 0.06, the reference gives it 0)" in \
        " ".join(text.replace("│", " ").split())


def test_a_sweep_of_an_information_query_equals_its_points(files):
    _, path = files
    out = json.loads(CliRunner().invoke(cli, ["eval", str(path), "--json", "--sweep", "p=0:1:5",
                                              "-q", "leak", "-q", "h_act"]).output)
    for i, p in enumerate(np.linspace(0, 1, 5)):
        want = expected(p)
        assert out["queries"]["leak"][i] == pytest.approx(want["leak"], abs=1e-12)
        assert out["queries"]["h_act"][i] == pytest.approx(want["h_act"], abs=1e-12)


def test_linear_analyses_say_they_skip_information_queries(files):
    _, path = files
    text = CliRunner().invoke(cli, ["eval", str(path), "--tv", "monitor=0.01", "-q", "leak"]).output
    assert "note: credal bounds and TV bands are for probability and expectation queries; not computed for leak " \
           "(a mutual information)" in " ".join(text.split())


@pytest.mark.parametrize("query, message", [
    ("{entropy: {of: [acts]}}", "info.yaml:15: queries.q.entropy: no wire 'acts' (did you mean 'act'?)"),
    ("{kl: {of: [act], against: law}}", "info.yaml:15: queries.q.kl.against: no query 'law' (did you mean "
                                        "'law_act'?)"),
    ("{kl: {of: [act], against: leak}}", "info.yaml:15: queries.q.kl.against: query 'leak' is a mutual "
                                         "information; a reference is a law"),
    ("{tv: {of: [act], against: [verdict]}}", "info.yaml:15: queries.q.tv.against: compares act (Act) with "
                                              "verdict (Verdict), whose labels differ"),
    ("{tv: {of: [act], against: {clean: 0.5, attack: 0.4}}}", "info.yaml:15: queries.q.tv.against: sums to 0.9, "
                                                              "not 1: it is not a probability distribution"),
    ("{kl: {of: [act], against: {clean: 0.5, atack: 0.5}}}", "info.yaml:15: queries.q.kl.against.atack: Act has "
                                                             "no label 'atack' (did you mean 'attack'?)"),
    ("{mutual_information: {between: [[act], [act]]}}", "info.yaml:15: queries.q.mutual_information: names one "
                                                        "wire twice"),
    ("{entropy: {of: [act]}, kl: {of: [act], against: law_act}}", "info.yaml:15: queries.q: give exactly one of"),
    ("{entropy: {of: [act], unit: bit}}", "info.yaml:15: queries.q.entropy.unit"),
])
def test_mistakes_are_placed_and_say_what_to_do(files, query, message):
    tmp, path = files
    bad = tmp / "bad.yaml"
    lines = PROPOSAL.replace("name: info", "name: bad").splitlines()
    bad.write_text("\n".join(lines[:14] + [f"  q: {query}"] + lines[14:]) + "\n")
    with pytest.raises(MarkovwireError) as e:
        load_proposal(bad)
    text = str(e.value)                       # the file as the error shows it (relative or absolute), then the rest
    assert e.value.place.file is not None and Path(e.value.place.file).resolve() == bad.resolve()
    assert text[text.index("bad.yaml"):].startswith(message.replace("info.yaml", "bad.yaml")), text
    assert "fix:" in text


def test_the_ui_dialog_writes_each_kind_as_the_file_does():
    from markovwire.tui.screens.query import query_data
    assert query_data("entropy", "act | verdict in bits", "", "", "", "") == \
        {"entropy": {"of": ["act"], "given": ["verdict"], "unit": "bits"}}
    assert query_data("kl", "act", "law_act", "", "verdict = flag", "") == \
        {"kl": {"of": ["act"], "against": "law_act"}, "given": {"verdict": "flag"}}
    assert query_data("tv", "act", "[policy.act]", "", "", "") == {"tv": {"of": ["act"], "against": ["policy.act"]}}
    with pytest.raises(MarkovwireError, match="a mutual information reads two groups of wires"):
        query_data("mutual_information", "act", "", "", "", "")


def test_a_worked_example_in_text(files):
    """The same file read by a newcomer: the question column says what each number is."""
    _, path = files
    text = CliRunner().invoke(cli, ["eval", str(path)], env={"COLUMNS": "200"}).output
    for question in ("H(act)", "H(act | verdict) in bits", "KL(act ‖ law_act) given verdict=flag",
                     "TV(act, reference table)"):
        assert question in text, textwrap.shorten(text, 2000)
