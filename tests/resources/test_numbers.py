"""Hostile numbers (issue 11): constants that are not finite reals, constants and symbolic checks without a
bound, tables negative or undefined at the given values. Each case runs in a bounded child process
(:mod:`limits`) and must end cleanly with a placed markovwire error, or with the right answer.
"""
from __future__ import annotations

import json
from pathlib import Path

import limits
import pytest

import markovwire.library

LIB = """\
name: toy
version: "1"
types:
  Act: [clean, attack]
  Verdict: [pass, flag]
parameters:
  fpr: {domain: [0, 0.5], default: 0.1}
  p: {domain: [0.01, 1], default: 0.5}
  q: {domain: [0, 1], default: 0.5}
components:
  policy:
    outputs: {act: Act}
    kernel:
      table: {clean: 0.9, attack: 0.1}
  monitor:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    parameters: [fpr]
    kernel:
      table:
        clean: {flag: "2*fpr", pass: "1 - 2*fpr"}                # negative past fpr = 0.5, outside the domain
        attack: {pass: 0.3, flag: 0.7}
  ratio:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    parameters: [p]
    kernel:
      table:
        clean: {flag: "p/(p + p**2)", pass: "1 - p/(p + p**2)"}  # undefined at p = 0, outside the domain
        attack: {pass: 0.3, flag: 0.7}
  power:
    inputs: {act: Act}
    outputs: {verdict: Verdict}
    parameters: [p, q]
    kernel:
      table:
        clean: {flag: "(p + q + p*q + 2*q)**1000 / 10**1000", pass: "1 - (p + q + p*q + 2*q)**1000 / 10**1000"}
        attack: {pass: 0.3, flag: 0.7}
"""

PROPOSAL = """\
name: prop
libraries: [lib.yaml]
instances:
  policy: {component: policy}
  monitor: {component: COMPONENT}
wiring:
  outputs: {verdict: Verdict}
  wires:
    - policy.act -> monitor.act
    - monitor.verdict -> out.verdict
queries:
  p_pass:
    probability: {verdict: pass}
"""


def files(tmp_path, component="monitor", lib=LIB, extra=""):
    limits.write(tmp_path, "lib.yaml", lib)
    return limits.write(tmp_path, "prop.yaml", PROPOSAL.replace("COMPONENT", component) + extra)


def refused(r) -> str:
    """The message of a clean refusal."""
    assert r.clean, str(r)
    assert r.returncode not in (0, None), str(r)
    return r.stderr + r.stdout


# ----- 1. constants that are not finite real numbers ------------------------------------------------------------
@pytest.mark.parametrize("text, what", [
    ("erfinv(2)", "erfinv(2) is not a real number (erfinv is defined on (-1, 1))"),
    ("exp(exp(exp(100)))", "exp(exp(exp(100))) is infinite: exp(exp(100)) overflows (it exceeds about 1.8e308"),
    ("Phi_inv(2)", "is not a real number: erfinv is defined on (-1, 1)"),
    ("log(-1) * 0 + 0.5", "the value is complex"),
    ("exp(800) / (exp(800) + 1)", "exp(800)/(1 + exp(800)) is not a real number: exp(800) overflows"),
])
def test_a_constant_in_set_is_a_finite_real_or_refused(tmp_path, text, what):
    prop = files(tmp_path)
    out = refused(limits.run_cli(["eval", str(prop), "--set", f"fpr={text}"]))
    assert "--set fpr: " in out and what in out
    assert "fix: " in out


def test_a_constant_in_parameters_names_file_line_and_key(tmp_path):
    prop = files(tmp_path, extra='parameters:\n  fpr: "erfinv(2)"\n')
    out = refused(limits.run_cli(["eval", str(prop)]))
    assert "prop.yaml:15: parameters.fpr: erfinv(2) is not a real number (erfinv is defined on (-1, 1))" in out


@pytest.mark.parametrize("entry, what", [
    ('"erfinv(2)"', "erfinv(2) is not a real number (erfinv is defined on (-1, 1))"),
    ('"exp(exp(exp(100)))"', "exp(exp(exp(100))) is infinite: exp(exp(100)) overflows"),
])
def test_a_constant_table_entry_names_its_entry(tmp_path, entry, what):
    prop = files(tmp_path, lib=LIB.replace("table: {clean: 0.9, attack: 0.1}", f"table: {{clean: {entry}, "
                                                                                "attack: 0.1}"))
    out = refused(limits.run_cli(["check", str(prop)]))
    assert "prop.yaml:4: instances.policy: " in out
    assert f"lib.yaml:14: components.policy.kernel.table.clean: {what}" in out


# ----- 3. symbolic checks with a bound ---------------------------------------------------------------------------
def test_a_huge_power_is_checked_with_bounded_work_and_evaluates_right(tmp_path):
    prop = files(tmp_path, component="power")
    r = limits.run_cli(["eval", str(prop), "--set", "p=1", "--set", "q=1", "--json"])
    assert r.clean and r.returncode == 0, str(r)
    value = json.loads(r.stdout)["queries"]["p_pass"]
    flag = 0.5 ** 1000                      # (1 + 1 + 1 + 2)**1000 / 10**1000, exactly 2**-1000
    assert value == pytest.approx(0.9 * (1 - flag) + 0.1 * 0.3, rel=1e-12)


def test_a_huge_row_that_does_not_sum_to_one_is_still_caught(tmp_path):
    lib = WIDE.replace('pass: "1 - (p + q + p*q + 2*q)**1000 / 10**1000"', 'pass: "0.5 + (p + q)**900 / 2**900"')
    prop = files(tmp_path, component="power", lib=lib)
    out = refused(limits.run_cli(["check", str(prop)]))
    assert "lib.yaml:36: components.power.kernel.table: kernel 'toy.power', row (act=clean): entries sum to 0.5 at " \
           "p=0, q=0, not 1 (the sum is too large to simplify, so it was tested at points of the parameters' " \
           "domains)" in out


# ----- 4. negative entries ---------------------------------------------------------------------------------------
WIDE = LIB.replace("fpr: {domain: [0, 0.5]", "fpr: {domain: [0, 1]").replace("p: {domain: [0.01, 1]",
                                                                                  "p: {domain: [0, 1]")


def test_a_negative_entry_at_the_given_value_is_refused_naming_box_row_and_value(tmp_path):
    # a table negative inside its declared domain is refused when loaded (before any value is given)
    prop = files(tmp_path, lib=WIDE)
    out = refused(limits.run_cli(["eval", str(prop), "--set", "fpr=1"]))
    assert ("kernel 'toy.monitor', row (act=clean) at fpr=1: has negative entry -1 at output verdict=pass (fpr=1 is "
            "inside the declared domain)\n"
            "  fix: restrict fpr's domain to [0, 0.5] in parameters: (there every entry of this row is non-negative), "
            "or rewrite the entry") in out
    assert "0.9545" not in out and "-0.87" not in out


def test_a_sweep_names_its_first_negative_point_and_json_carries_the_box(tmp_path):
    prop = files(tmp_path, lib=WIDE)  # refused when loaded, at the domain's corner, with the instance's place
    r = limits.run_cli(["eval", str(prop), "--sweep", "fpr=0:1:11", "--json"])
    assert r.clean and r.returncode not in (0, None), str(r)
    error = json.loads(r.stdout)["error"]
    assert error["type"] == "NotStochastic" and error["keys"][:2] == ["components", "monitor"]
    assert "row (act=clean) at fpr=1: has negative entry -1 at output verdict=pass" in error["where"] + \
        ": " + error["what"]


def test_inside_the_safe_domain_the_sweep_answers(tmp_path):
    prop = files(tmp_path)
    r = limits.run_cli(["eval", str(prop), "--sweep", "fpr=0:0.5:3", "--json"])
    assert r.clean and r.returncode == 0, str(r)
    got = json.loads(r.stdout)["queries"]["p_pass"]
    assert got == pytest.approx([0.9 * (1 - 2 * f) + 0.1 * 0.3 for f in (0, 0.25, 0.5)])


def test_the_python_api_refuses_a_negative_table_too():
    r = limits.run_python("""
        from markovwire import FinSet, Kernel, Net, Parameter, NotStochastic
        V = FinSet("Verdict", ["pass", "flag"])
        fpr = Parameter("fpr", (0, 1), default=0.1)
        try:
            Kernel([1 - 2 * fpr.symbol, 2 * fpr.symbol], [], [V], params=[fpr], name="monitor")
        except NotStochastic as e:
            print("refused when built:", e.box, e.what)
        net = Net()  # unchecked when built: every evaluated table is checked again
        k = Kernel([1 - 2 * fpr.symbol, 2 * fpr.symbol], [], [V], params=[fpr], name="monitor", check=False)
        net.add_box("monitor", k, [], ["v"])
        net.set_outputs("v")
        try:
            net.evaluate({"fpr": 1.0})
        except NotStochastic as e:
            print("refused:", e.box, e.what)
    """)
    assert r.clean and r.returncode == 0, str(r)
    assert "refused when built: monitor has negative entry -1 at output verdict=pass (fpr=1 is inside" in r.stdout
    assert "refused: monitor has negative entry -1 at output verdict=pass" in r.stdout


# ----- 5. NaN and infinity ---------------------------------------------------------------------------------------
def test_zero_over_zero_inside_the_domain_is_refused_not_printed_as_nan(tmp_path):
    prop = files(tmp_path, component="ratio", lib=WIDE)  # refused when loaded: p = 0 is inside the domain
    r = limits.run_cli(["eval", str(prop), "--set", "p=0", "--json"])
    assert r.clean and r.returncode not in (0, None), str(r)
    assert "null" not in r.stdout.replace('"port": null', "")
    error = json.loads(r.stdout)["error"]
    assert error["keys"][:2] == ["components", "ratio"]
    assert error["what"] == ("entry verdict=pass: -p/(p**2 + p) + 1 is undefined (0/0 or similar): it divides by "
                             "p**2 + p, which is 0 (p=0 is inside the declared domain)")
    assert error["where"].endswith("kernel 'toy.ratio', row (act=clean) at p=0")
    assert "exclude p=0 from the domain in parameters:" in error["fix"]


def test_elsewhere_the_same_entry_answers(tmp_path):
    prop = files(tmp_path, component="ratio")
    r = limits.run_cli(["eval", str(prop), "--set", "p=0.5", "--json"])
    assert r.clean and r.returncode == 0, str(r)
    assert json.loads(r.stdout)["queries"]["p_pass"] == pytest.approx(0.9 * (1 - 1 / 1.5) + 0.1 * 0.3)


def test_a_query_value_that_divides_by_zero_is_refused():
    shipped = Path(markovwire.library.__file__).parent / "shipped" / "proposals" / "trusted_monitoring.yaml"
    r = limits.run_cli(["eval", str(shipped), "--set", "u_T=0.5", "--set", "u_U=0.5", "--json"])
    assert r.clean and r.returncode not in (0, None), str(r)
    error = json.loads(r.stdout)["error"]
    assert error["type"] == "ExpressionError"
    assert "is infinite: it divides by -u_T + u_U, which is 0 at u_T=0.5, u_U=0.5" in error["what"]


def test_a_constant_query_value_that_is_not_a_real_number_is_refused(tmp_path):
    prop = files(tmp_path)
    text = prop.read_text().replace("probability: {verdict: pass}",
                                    'expectation: {of: [verdict], values: {pass: "erfinv(2)", _: 0}}')
    prop.write_text(text)
    out = refused(limits.run_cli(["eval", str(prop)]))
    assert "prop.yaml:12: queries.p_pass: query value: erfinv(2) is not a real number (erfinv is defined on (-1, 1))" \
        in out
