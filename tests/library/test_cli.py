"""The command line: run as a subprocess on every shipped proposal and on broken files.

Quick checks of the commands run in-process through click's test runner; the
subprocess runs check what a user sees: exit codes, messages, and no traceback.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from markovwire.library import shipped_proposals
from markovwire.library.shipped import alignment_path, proposals_dir
from markovwire.tui.cli import cli

PYTHON = sys.executable
PROPOSALS = proposals_dir()


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([PYTHON, "-m", "markovwire", *args], capture_output=True, text=True, env=env, cwd=cwd,
                          timeout=600)


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# ----- as a user runs it (eval --json on every shipped proposal: tests/library/test_shipped_cli.py) ----------------
def test_check_every_shipped_file_at_once():
    r = run("check", *map(str, shipped_proposals()), str(alignment_path()))
    assert r.returncode == 0, r.stderr
    assert r.stdout.count(": ok") == len(shipped_proposals()) + 1


def test_a_broken_proposal_prints_every_problem_and_no_traceback(tmp_path):
    text = (PROPOSALS / "trusted_monitoring.yaml").read_text()
    bad = tmp_path / "trusted_monitoring.yaml"
    bad.write_text(text.replace("component: trusted_monitor_table", "component: trusted_monitr_table")
                   .replace("component: episode", "component: episod"))
    r = run("check", "trusted_monitoring.yaml", cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "trusted_monitoring.yaml: 2 problem(s)" in r.stderr
    assert ("trusted_monitoring.yaml:23: instances.monitor.component: unknown component 'trusted_monitr_table' "
            "(did you mean 'trusted_monitor_table'?)") in r.stderr
    assert "trusted_monitoring.yaml:26: instances.episode.component: unknown component 'episod'" in r.stderr
    r = run("eval", "trusted_monitoring.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: 2 problem(s):")


def test_a_broken_yaml_file_and_a_missing_file(tmp_path):
    (tmp_path / "p.yaml").write_text("name: x\ninstances: {a: {component: b}\n")
    r = run("eval", "p.yaml", cwd=tmp_path)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.startswith("error: p.yaml:3: is not valid YAML")
    assert "fix: fix the YAML syntax at that line" in r.stderr
    r = run("eval", "missing.yaml", cwd=tmp_path)
    assert r.returncode == 1 and r.stderr == "error: missing.yaml: does not exist\n  fix: check the path\n"


def test_a_bad_option_value_names_itself():
    r = run("eval", str(PROPOSALS / "trusted_monitoring.yaml"), "--set", "betta=0.1")
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert "unknown parameter 'betta' (did you mean 'beta'?)" in r.stderr


def test_help_and_python_dash_m():
    r = run("--help")
    assert r.returncode == 0 and "check" in r.stdout and "eval" in r.stdout and "library" in r.stdout


# ----- the commands, in-process ------------------------------------------------------------------------
def test_eval_tables_and_sweeps():
    r = invoke("eval", str(PROPOSALS / "defer_to_trusted.yaml"), "--sweep", "d=0.02:0.5:3", "-q", "safety",
               "-q", "usefulness")
    assert r.exit_code == 0
    assert "0.656192" in r.output and "0.961292" in r.output   # d = 2% and 50%
    r = invoke("eval", str(PROPOSALS / "defer_to_trusted.yaml"), "--sweep", "d=0.02:0.5:3", "-q", "usefulness",
               "--json")
    out = json.loads(r.output)
    assert out["sweep"] == {"d": [0.02, 0.26, 0.5]} and out["parameters"]["d"] == [0.02, 0.26, 0.5]
    assert out["queries"]["usefulness"] == pytest.approx([1.0, 0.76, 0.52])


def test_eval_set_and_a_file_sweep():
    r = invoke("eval", str(PROPOSALS / "trusted_monitoring.yaml"), "--set", "beta=1/100", "--point", "-q", "safety",
               "--json")
    out = json.loads(r.output)
    assert out["parameters"]["beta"] == 0.01 and out["queries"]["safety"] == pytest.approx(0.6486486, abs=1e-6)
    r = invoke("eval", str(PROPOSALS / "trusted_monitoring.yaml"), "-q", "safety", "--json")
    out = json.loads(r.output)
    assert len(out["queries"]["safety"]) == 26 == len(out["sweep"]["beta"])


@pytest.mark.parametrize("args, message", [
    (("--set", "beta"), "error: --set 'beta': is not of the form P=V"),
    (("--sweep", "beta=0:1"), "error: --sweep 'beta=0:1': is not of the form P=START:STOP:COUNT"),
    (("--set", "beta=0.1", "--sweep", "beta=0:1:3"),
     "error: --set beta=0.1 and --sweep beta=0:1:3: both give parameter 'beta' a value"),
    (("--set", "beta=0.1", "--set", "beta=0.9"), "error: --set beta=0.1 and --set beta=0.9: both give parameter"),
    (("--set", "beta=2"), "error: parameter 'beta': value 2 is outside its domain [0, 1]"),
    (("-q", "safty"), "error: proposal 'trusted_monitoring': has no query 'safty'"),
    (("--interval", "beta=0.1"), "error: --interval 'beta=0.1': is not of the form P=LO:HI with LO <= HI"),
    (("--interval", "beta=0.2:0.1"), "error: --interval 'beta=0.2:0.1': is not of the form P=LO:HI with LO <= HI"),
    (("--interval", "bta=0.1:0.2"), "error: interval of 'bta': unknown parameter 'bta'"),
    (("--interval", "beta=0.1:1.2"), "error: interval of 'beta': [0.1, 1.2] is not an interval inside the domain"),
    (("--tv", "monitor=2"), "error: --tv 'monitor=2': is not of the form INSTANCE=EPS with EPS in [0, 1]"),
    (("--tv", "monitr=0.1"), "error: TV radius of 'monitr': no instance 'monitr'"),
])
def test_eval_option_mistakes(args, message, capsys):
    from markovwire.tui.cli import main
    with pytest.raises(SystemExit) as info:
        main(["eval", str(PROPOSALS / "trusted_monitoring.yaml"), "--point", *args])
    assert info.value.code == 1
    assert capsys.readouterr().err.startswith(message)


def test_render(tmp_path):
    out = tmp_path / "dtt.dot"
    r = invoke("render", str(PROPOSALS / "defer_to_trusted.yaml"), "-o", str(out))
    assert r.exit_code == 0 and out.read_text().startswith("digraph")
    assert "router" in out.read_text() and "monitor" in out.read_text()


def test_render_to_an_unknown_format(tmp_path, capsys):
    from markovwire.tui.cli import main
    with pytest.raises(SystemExit) as info:
        main(["render", str(PROPOSALS / "defer_to_trusted.yaml"), "-o", str(tmp_path / "x.gif")])
    assert info.value.code == 1
    assert "unknown format '.gif'" in capsys.readouterr().err


def test_library_list_json():
    out = json.loads(invoke("library", "list", "--json").output)
    names = {(c["library"], c["name"]) for c in out["components"]}
    assert ("alignment", "trusted_monitor") in names
    assert all(set(c) == {"library", "name", "signature"} for c in out["components"])
    monitor = next(c for c in out["components"] if c["name"] == "trusted_monitor")
    assert monitor["signature"] == "act: Act → sus: Sus"
    assert {p["name"] for p in out["proposals"]} == {p.stem for p in shipped_proposals()}
    assert all(Path(p["path"]).is_file() for p in out["proposals"])


def test_library_show_a_library_and_a_component():
    r = invoke("library", "show", "alignment")
    assert r.exit_code == 0 and "trusted_monitor" in r.output and "budgeted_episode" in r.output
    r = invoke("library", "show", "trusted_monitor_table")
    assert r.exit_code == 0
    assert "alignment.trusted_monitor_table: act: Act → sus: Sus" in r.output
    assert "contingency table" in r.output and "backdoor_ok" in r.output and "1 - r_ok" in r.output


def test_library_show_unknown(capsys):
    from markovwire.tui.cli import main
    with pytest.raises(SystemExit) as info:
        main(["library", "show", "trusted_monitr"])
    assert info.value.code == 1
    assert capsys.readouterr().err.startswith("error: component 'trusted_monitr': is not a library or a component "
                                              "of one (did you mean 'trusted_monitor'?)")


def test_library_validate(tmp_path):
    r = invoke("library", "validate", str(alignment_path()))
    assert r.exit_code == 0 and "ok (library alignment" in r.output
    bad = tmp_path / "lib.yaml"
    bad.write_text(alignment_path().read_text().replace('clean: {low: "1 - a", high: a}',
                                                        'clean: {low: "1 - a", high: "2*a"}'))
    r = CliRunner().invoke(cli, ["library", "validate", str(bad)])
    assert r.exit_code == 1
    assert "components.trusted_monitor_table.kernel.table: kernel 'alignment.trusted_monitor_table', row " \
           "(act=clean): entries sum to a + 1, not identically 1" in r.output


def test_schema_prints_both():
    out = json.loads(invoke("schema").output)
    assert set(out) == {"library", "proposal"}
    assert json.loads(invoke("schema", "--kind", "proposal").output)["title"] == "ProposalFile"
