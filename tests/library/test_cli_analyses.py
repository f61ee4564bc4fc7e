"""The analyses on the command line: ``eval --sensitivity``, ``diff`` and ``flow`` on shipped proposals.

Derivatives are checked against central differences of Proposal.evaluate and closed
forms; query changes against each proposal's own evaluation.
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from markovwire.library.proposal import load_proposal
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli, main

PROPOSALS = proposals_dir()


def invoke(*args: str):
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    return r.output


def rows(table: dict) -> dict[str, dict]:
    return {r["parameter"]: r for r in table["rows"]}


def finite_difference(path, query: str, param: str, h: float = 1e-5, **values) -> float:
    p = load_proposal(path)
    x = values.get(param, p.all_parameters[param].default)
    up = p.evaluate({**values, param: x + h}, [query])[query]
    down = p.evaluate({**values, param: x - h}, [query])[query]
    return (up - down) / (2 * h)


# ----- eval --sensitivity ---------------------------------------------------------------------------
def test_sensitivity_json_matches_closed_form_and_finite_differences():
    path = PROPOSALS / "swiss_cheese.yaml"
    out = json.loads(invoke("eval", str(path), "--point", "--sensitivity", "--json"))
    common = out["sensitivities"]["p_pass_common"]
    assert common["value"] == pytest.approx(out["queries"]["p_pass_common"], abs=1e-12)
    # q = (m_easy^3 + m_hard^3)/2 with m_easy = 0.2 - m_hard: dq/dm_hard = 1.5 (m_hard^2 - m_easy^2) = 0.048
    assert rows(common)["m_hard"]["derivative"] == pytest.approx(0.048, abs=1e-9)
    assert [r["parameter"] for r in common["rows"]] == ["m_hard", "p_hard_case"]  # ranked by |dq/dp|
    for query in ("p_pass_common", "p_hard_given_passed", "p_miss_one_layer"):  # the last two: evidence, a zero
        for param in ("m_hard", "p_hard_case"):
            got = rows(out["sensitivities"][query])[param]["derivative"]
            assert got == pytest.approx(finite_difference(path, query, param), abs=1e-6), (query, param)
    assert rows(out["sensitivities"]["p_miss_one_layer"])["p_hard_case"]["derivative"] == pytest.approx(0.16)
    assert out["sensitivity_notes"] == []


def test_sensitivity_at_set_values_of_an_expectation_query():
    path = PROPOSALS / "off_switch.yaml"
    out = json.loads(invoke("eval", str(path), "--point", "--set", "eta=0.3", "--sensitivity", "--json"))
    for query in ("value_defer", "value_act", "p_switched_off"):
        table = out["sensitivities"][query]
        assert table["value"] == pytest.approx(out["queries"][query], abs=1e-12)
        assert rows(table)["eta"]["at"] == 0.3
        assert rows(table)["eta"]["derivative"] == pytest.approx(
            finite_difference(path, query, "eta", eta=0.3), abs=1e-6)


def test_sensitivity_table_is_printed_and_episodes_are_differentiated_numerically():
    text = invoke("eval", str(PROPOSALS / "swiss_cheese.yaml"), "--point", "--sensitivity")
    assert "sensitivities of p_pass_common: P(common=passed) = 0.00292" in text
    assert "│ m_hard      │  0.18 │    0.048 │" in text
    out = json.loads(invoke("eval", str(PROPOSALS / "trusted_editing.yaml"), "--point", "--sensitivity", "--json"))
    d = rows(out["sensitivities"]["safety"])["kappa_edit"]["derivative"]
    assert d == pytest.approx(finite_difference(PROPOSALS / "trusted_editing.yaml", "safety", "kappa_edit"), rel=1e-5)
    out = json.loads(invoke("eval", str(PROPOSALS / "trusted_editing.yaml"), "--point", "--sensitivity", "--json"))
    assert "sensitivities" not in json.loads(invoke("eval", str(PROPOSALS / "swiss_cheese.yaml"), "--point", "--json"))


def test_sensitivity_with_outer_inputs_fixed_by_the_query():
    out = json.loads(invoke("eval", str(PROPOSALS / "debate.yaml"), "--point", "--sensitivity", "-q", "debate_llm",
                            "--json"))
    assert list(out["sensitivities"]) == ["debate_llm"]
    table = out["sensitivities"]["debate_llm"]
    assert table["rows"][0]["parameter"] == "j_debate"
    assert table["rows"][0]["derivative"] == pytest.approx(
        finite_difference(PROPOSALS / "debate.yaml", "debate_llm", "j_debate"), abs=1e-6)


# ----- diff -----------------------------------------------------------------------------------------
def test_diff_of_trusted_editing_and_defer_to_trusted():
    old, new = PROPOSALS / "trusted_editing.yaml", PROPOSALS / "defer_to_trusted.yaml"
    out = json.loads(invoke("diff", str(old), str(new), "--json"))
    assert (out["old"], out["new"]) == ("trusted_editing", "defer_to_trusted")
    assert "editor" in out["boxes"]["removed"] and "router" in out["boxes"]["added"]
    assert "u_T" in out["parameters"]["added"] and "u_edit" in out["parameters"]["removed"]
    changes = {q["query"]: q for q in out["queries"]}
    assert set(changes) == {"safety", "p_catastrophe", "usefulness", "p_audited", "worst_safety"}  # both ask
    a, b = load_proposal(old).evaluate(queries=["safety"]), load_proposal(new).evaluate(queries=["safety"])
    assert changes["safety"]["old"] == pytest.approx(a["safety"], abs=1e-12)
    assert changes["safety"]["new"] == pytest.approx(b["safety"], abs=1e-12)
    assert changes["safety"]["delta"] == pytest.approx(b["safety"] - a["safety"], abs=1e-12)
    assert round(changes["safety"]["new"], 4) == 0.7776
    text = invoke("diff", str(old), str(new))
    assert text.startswith("trusted_editing → defer_to_trusted\n")
    assert "- box editor" in text and "+ parameter u_T in [0, 1], default 0.22" in text
    assert "  usefulness: 0.9775 → 0.92 (-0.0575)" in text


def test_diff_of_a_proposal_with_itself():
    path = str(PROPOSALS / "swiss_cheese.yaml")
    text = invoke("diff", path, path)
    assert "no structural change" in text and "  p_pass_common: 0.00292 → 0.00292 (+0)" in text


# ----- flow -----------------------------------------------------------------------------------------
def test_flow_shows_the_common_cause_and_its_blocking():
    path = str(PROPOSALS / "swiss_cheese.yaml")
    assert invoke("flow", path, "probe.threat", "monitor_i.threat") == \
        "probe.threat ⊥ monitor_i.threat: no (path: probe.threat ← latent.difficulty → monitor_i.threat)\n"
    out = json.loads(invoke("flow", path, "common", "independent", "--given", "latent.difficulty", "--json"))
    assert out["independent"] is True and out["path"] is None
    assert out["claim"] == "auditor.threat ⊥ auditor_i.threat | latent.difficulty"
    out = json.loads(invoke("flow", path, "common", "independent", "--json"))
    assert out["independent"] is False and "latent.difficulty" in out["path"]


def test_flow_names_an_unknown_wire(capsys):
    with pytest.raises(SystemExit) as info:
        main(["flow", str(PROPOSALS / "swiss_cheese.yaml"), "comon", "independent"])
    assert info.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("error: flow WIRE_A: no wire 'comon' (did you mean 'common'?)")
    assert "fix: name an outer port, a stateful instance or box.port: common, independent" in err


# ----- credal bounds, TV bands and flow claims on eval ------------------------------------------------
CREDAL = str(PROPOSALS / "credal_control.yaml")


def test_eval_json_has_credal_entries_bands_and_claims():
    out = json.loads(invoke("eval", CREDAL, "--json"))
    entry = out["queries"]["catastrophe_range"]
    assert (round(entry["lower"], 6), round(entry["upper"], 6)) == (0.063397, 0.397632) and entry["tight"]
    band = out["bands"]["p_catastrophe"]
    assert band["half_width"] == pytest.approx(0.1) and band["radii"] == {"monitor": 0.001}
    assert out["claims"]["all_hold"] and len(out["claims"]["checks"]) == 3


def test_eval_interval_bounds_every_query_as_the_python_api_does():
    out = json.loads(invoke("eval", CREDAL, "--json", "--interval", "beta=0.01:0.05", "--interval", "r_ok=0.6:0.9",
                            "--tv", "policy=0.002"))
    p = load_proposal(CREDAL)
    want = p.bounds("safety", {"beta": (0.01, 0.05), "r_ok": (0.6, 0.9)})
    assert out["bounds"]["safety"]["lower"] == pytest.approx(want.lower, abs=1e-15)
    assert out["bounds"]["safety"]["upper"] == pytest.approx(1 - 0.0633968, abs=1e-6)
    assert out["bands"]["safety"]["half_width"] == pytest.approx(0.3)


def test_eval_prints_the_analyses_as_tables():
    out = invoke("eval", CREDAL, "--interval", "sigma=0.8:1")
    assert "credal bounds with sigma ∈ [0.8, 1]" in out and "total-variation bands" in out and "flow claims" in out
    assert "catastrophe_range: P(episode=catastrophe | intent=scheming) ∈ [0.0633968, 0.397632]  (exact for both " \
           "semantics)" in out


def test_flow_without_wires_checks_the_files_claims(tmp_path):
    assert invoke("flow", CREDAL) == ("policy never sees monitor.sus: yes\nmonitor.sus ⊥ intent | policy.act: yes\n"
                                      "auditor cannot affect answer: yes\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(open(CREDAL).read() + "  - never_sees: [monitor, intent]\n")
    r = CliRunner().invoke(cli, ["flow", str(bad)])
    assert r.exit_code == 1 and "monitor never sees intent: no (path: intent → [policy] → policy.act → [monitor])" \
        in r.output
