"""The command line's JSON contract: ``check --json``, and ``{"error": {...}}`` for every command with ``--json``.

A program reading the output parses standard output as one JSON object, whether the command succeeded or
the user made a mistake; the exit status says which (0 fine, 1 a problem in a file or an option).
"""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from markovwire.errors import MarkovwireError
from markovwire.library.shipped import alignment_path, proposals_dir
from markovwire.tui.cli import cli

PROPOSALS = proposals_dir()
ERROR_KEYS = {"type", "where", "what", "fix", "message"}
PLACES = pytest.mark.xfail(not hasattr(MarkovwireError, "to_dict"), strict=True,
                           reason="errors carry file and line as fields once MarkovwireError.to_dict exists")


def invoke(*args: str):
    """Run the command line in-process; standard output only (messages for people go to standard error)."""
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def output(result) -> dict:
    return json.loads(result.stdout)


@pytest.fixture
def broken(tmp_path):
    """trusted_monitoring.yaml with two misspelt components (lines 23 and 26)."""
    text = (PROPOSALS / "trusted_monitoring.yaml").read_text()
    bad = tmp_path / "broken.yaml"
    bad.write_text(text.replace("component: trusted_monitor_table", "component: trusted_monitr_table")
                   .replace("component: episode", "component: episod"))
    return bad


# ----- check --json -------------------------------------------------------------------------------------
def test_check_json_on_good_files():
    good = str(PROPOSALS / "swiss_cheese.yaml")
    r = invoke("check", "--json", good, str(alignment_path()))
    assert r.exit_code == 0
    out = output(r)
    assert out == {"ok": True, "files": [{"file": good, "kind": "proposal", "ok": True, "problems": []},
                                         {"file": str(alignment_path()), "kind": "library", "ok": True,
                                          "problems": []}]}


def test_check_json_on_a_bad_file_lists_its_problems_and_exits_1(broken):
    good = str(PROPOSALS / "swiss_cheese.yaml")
    r = invoke("check", "--json", str(broken), good)
    assert r.exit_code == 1
    out = output(r)
    assert out["ok"] is False and [f["ok"] for f in out["files"]] == [False, True]
    bad = out["files"][0]
    assert bad["file"] == str(broken) and bad["kind"] == "proposal" and len(bad["problems"]) == 2
    for problem in bad["problems"]:
        assert ERROR_KEYS <= set(problem) and problem["type"] == "UnknownName"
        assert problem["fix"] and problem["message"].startswith(problem["where"])
    assert "unknown component 'trusted_monitr_table' (did you mean 'trusted_monitor_table'?)" in \
        bad["problems"][0]["what"]


@PLACES
def test_check_json_problems_name_their_file_and_line(broken):
    problems = output(invoke("check", "--json", str(broken)))["files"][0]["problems"]
    assert [(p["file"].endswith("broken.yaml"), p["line"]) for p in problems] == [(True, 23), (True, 26)]
    assert problems[0]["keys"] == ["instances", "monitor", "component"]


def test_check_json_on_a_missing_and_an_unreadable_file(tmp_path):
    (tmp_path / "neither.yaml").write_text("name: x\n")
    r = invoke("check", "--json", str(tmp_path / "missing.yaml"), str(tmp_path / "neither.yaml"))
    assert r.exit_code == 1
    missing, neither = output(r)["files"]
    assert missing["kind"] is None and missing["problems"][0]["what"] == "does not exist"
    assert neither["kind"] is None and "neither a component library nor a proposal" in neither["problems"][0]["what"]


def test_check_without_json_is_unchanged(broken):
    r = invoke("check", str(broken))
    assert r.exit_code == 1 and r.stdout == "" and "broken.yaml: 2 problem(s)" in r.stderr


# ----- errors as JSON ----------------------------------------------------------------------------------
def test_eval_json_on_a_broken_file_prints_an_error_object_and_exits_1(broken):
    r = invoke("eval", str(broken), "--json")
    assert r.exit_code == 1
    error = output(r)["error"]
    assert ERROR_KEYS <= set(error) and error["type"] == "ErrorList"
    assert error["message"].startswith("2 problem(s):")
    assert [e["type"] for e in error["errors"]] == ["UnknownName", "UnknownName"]
    assert all(ERROR_KEYS <= set(e) for e in error["errors"])


@PLACES
def test_eval_json_error_objects_name_their_file_and_line(broken):
    errors = output(invoke("eval", str(broken), "--json"))["error"]["errors"]
    assert [(e["file"].endswith("broken.yaml"), e["line"]) for e in errors] == [(True, 23), (True, 26)]


@pytest.mark.parametrize("args, kind, where", [
    (("--set", "beta"), "ParameterError", "--set 'beta'"),
    (("--set", "beta=0.1", "--sweep", "beta=0:1:3"), "ParameterError", "--set beta=0.1 and --sweep beta=0:1:3"),
    (("-q", "safty"), "UnknownName", None),
])
def test_eval_json_on_a_bad_option(args, kind, where):
    r = invoke("eval", str(PROPOSALS / "trusted_monitoring.yaml"), "--point", "--json", *args)
    assert r.exit_code == 1
    error = output(r)["error"]
    assert error["type"] == kind and error["fix"]
    assert where is None or error["where"] == where
    assert error["message"] == (f"{error['where']}: " if error["where"] else "") + error["what"] + \
        f"\n  fix: {error['fix']}"


def test_eval_json_on_a_missing_file(tmp_path):
    r = invoke("eval", str(tmp_path / "missing.yaml"), "--json")
    assert r.exit_code == 1
    error = output(r)["error"]
    assert error["type"] == "FileFormatError" and error["what"] == "does not exist" and error["fix"] == "check the path"


@pytest.mark.parametrize("args", [
    ("diff", "MISSING", str(PROPOSALS / "swiss_cheese.yaml"), "--json"),
    ("flow", "MISSING", "--json"),
    ("flow", str(PROPOSALS / "swiss_cheese.yaml"), "nowire", "--json"),
])
def test_every_json_command_reports_errors_as_json(args, tmp_path):
    args = tuple(str(tmp_path / "missing.yaml") if a == "MISSING" else a for a in args)
    r = invoke(*args)
    assert r.exit_code == 1
    assert ERROR_KEYS <= set(output(r)["error"])


def test_without_json_an_error_goes_on_to_main(broken):
    with pytest.raises(MarkovwireError):
        invoke("eval", str(broken))
