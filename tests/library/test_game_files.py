"""Control games written in proposal files (``blue:`` entries): placed mistakes, one answer on every surface, and the
shipped control proposals' frontiers against Greenblatt et al.'s Table 7 (ALIGNMENT §3.1).

The small game is matching pennies: red's coin shows heads with probability q, blue guesses heads with probability
p, and safety is P(the guess is right) = pq + (1 - p)(1 - q). Blue may guess heads at most 40% of the time (its
usefulness, P(guess = heads), at most 0.4). On the grid p, q ∈ {0, 1/2, 1}, blue's mixtures with mean guess m ≤ 0.4
keep min(m, 1 - m) = m against red's best reply, so the value is 0.4; committing to one pure option (p = 0) it is 0.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import pytest
from click.testing import CliRunner

from markovwire.errors import MarkovwireError
from markovwire.library.proposal import load_proposal, proposal_from_text
from markovwire.library.schema import BlueSpec, ProposalFile, json_schemas
from markovwire.library.shipped import proposals_dir
from markovwire.tui.cli import cli, main

from games import PENNIES

PROPOSAL = """\
name: pennies_game
libraries: [pennies.yaml]
instances:
  red: {component: coin}
  blue: {component: guess}
  referee: {component: referee}
wiring:
  outputs: {outcome: Outcome, guess: Coin}
  wires:
    - red.coin -> referee.coin
    - blue.guess -> referee.guess
    - blue.guess -> out.guess
    - referee.outcome -> out.outcome
queries:
  safety: {probability: {outcome: right}}
  heads: {probability: {guess: h}}
adversary:
  red_team: {query: safety, over: [q], sense: min, grid: 3}
blue:
  guesser:
    doc: Blue guesses heads at most 40% of the time.
    query: safety
    over: [p]
    grid: 3
    constraints:
      - {query: heads, at_most: 0.4}
"""


@pytest.fixture
def game_file(tmp_path):
    (tmp_path / "pennies.yaml").write_text(PENNIES)
    path = tmp_path / "pennies_game.yaml"
    path.write_text(PROPOSAL)
    return path


def problems(tmp_path, text: str) -> list[MarkovwireError]:
    (tmp_path / "pennies.yaml").write_text(PENNIES)
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(MarkovwireError) as e:
        load_proposal(path)
    return list(getattr(e.value, "errors", [e.value]))


def with_blue(entry: str, adversary: str = "  red_team: {query: safety, over: [q], sense: min, grid: 3}\n") -> str:
    head = PROPOSAL.split("adversary:\n")[0]
    return head + "adversary:\n" + adversary + "blue:\n  guesser: " + entry + "\n"


# ----- the file section -----------------------------------------------------------------------------------
def test_blue_entries_read_and_export_as_json_schema():
    spec = BlueSpec.model_validate({"query": "safety", "over": ["d"], "constraints": [{"query": "q", "at_most": 0.1}]})
    assert spec.sense == "max" and spec.against is None and spec.constraints[0].at_most == 0.1
    schema = json_schemas()["proposal"]
    assert {"BlueSpec", "ConstraintSpec"} <= set(schema["$defs"]) and "blue" in schema["properties"]
    json.dumps(schema)
    assert "blue" in ProposalFile.model_fields


@pytest.mark.parametrize("entry, message, key, fix", [
    ("{query: safty, over: [p]}", "unknown query 'safty' (did you mean 'safety'?)", ("blue", "guesser", "query"),
     "use one of: safety, heads"),
    ("{query: safety, over: [pp]}", "unknown parameter 'pp' (did you mean 'p'?)", ("blue", "guesser", "over", 0),
     "choose among"),
    ("{query: safety, instance: bleu}", "no instance 'bleu' (did you mean 'blue'?)", ("blue", "guesser", "instance"),
     "name one of"),
    ("{query: safety, instance: blue, observes: [x]}", "'blue' has no input port 'x'",
     ("blue", "guesser", "observes", 0), "observe some of its inputs"),
    ("{query: safety, over: [p], against: [red_tem]}", "no adversary entry 'red_tem' (did you mean 'red_team'?)",
     ("blue", "guesser", "against", 0), "name adversary entries: red_team"),
    ("{query: safety, over: [p], against: [other]}", "adversary entry 'other' optimises 'heads', not 'safety'",
     ("blue", "guesser", "against", 0), "set the query of 'other' to 'safety'"),
    ("{query: safety, over: [q]}", "both teams choose q", ("blue", "guesser", "query"), "let one team choose"),
    ("{query: safety, over: [p], sense: min}", "the blue team maximises its query", ("blue", "guesser", "sense"),
     "sense: max"),
    ("{query: safety, over: [p], constraints: [{query: hedas, at_most: 0.4}]}",
     "unknown query 'hedas' (did you mean 'heads'?)", ("blue", "guesser", "constraints", 0, "query"), "use one of"),
    ("{query: safety, over: [p], constraints: [{query: safety, at_most: 0.4}]}",
     "the constraint is on 'safety', the query blue optimises", ("blue", "guesser", "constraints", 0, "query"),
     "constrain another query"),
    ("{query: safety, over: [p], bounds: {p: [0.5, 2]}}", "[0.5, 2] is not inside the domain [0, 1]",
     ("blue", "guesser", "bounds", "p"), "inside the parameter's domain"),
])
def test_mistakes_in_blue_entries_are_placed_with_a_fix(tmp_path, entry, message, key, fix):
    adversary = "  red_team: {query: safety, over: [q], sense: min, grid: 3}\n  other: {query: heads, over: [q], " \
                "sense: min}\n"
    found = [e for e in problems(tmp_path, with_blue(entry, adversary)) if message in e.what]
    assert found, [str(e) for e in problems(tmp_path, with_blue(entry, adversary))]
    e = found[0]
    assert e.file.endswith("bad.yaml") and e.line is not None and e.keys == key
    assert fix in e.fix


def test_a_blue_entry_without_a_red_team_says_how_to_add_one(tmp_path):
    text = with_blue("{query: heads, over: [p]}")
    (e,) = [e for e in problems(tmp_path, text) if "red team has no choice" in e.what]
    assert e.keys == ("blue", "guesser", "query") and "red_team (on 'safety')" in e.fix and "sense: min" in e.fix


def test_each_mistake_is_reported_once(tmp_path):
    """An unknown query is not also a game without a red team; blue minimising is not also red's sense."""
    for entry, count in [("{query: safty, over: [p]}", 1), ("{query: safety, over: [p], sense: min}", 1),
                         ("{query: safety, over: [p], constraints: [{query: safety, at_most: 0.4}]}", 1)]:
        found = problems(tmp_path, with_blue(entry))
        assert len(found) == count, [str(e) for e in found]


def test_an_adversary_with_blue_s_own_sense_is_refused(tmp_path):
    text = with_blue("{query: safety, over: [p]}", "  red_team: {query: safety, over: [q], sense: max}\n")
    (e,) = [e for e in problems(tmp_path, text) if "also maximises 'safety'" in e.what]
    assert e.keys == ("blue", "guesser", "query") and "sense: min" in e.fix


def test_schema_mistakes_of_blue_entries(tmp_path):
    for entry, message in [("{query: safety}", "give exactly one of 'over' (parameters the blue team chooses)"),
                           ("{query: safety, over: [p], observes: [x]}", "'observes' belongs to an 'instance' blue"),
                           ("{query: safety, over: [p], constraints: [{query: heads}]}", "give 'at_most' or"),
                           ("{query: safety, over: [p], colour: blue}", "unknown key 'colour'")]:
        text = "\n".join(str(e) for e in problems(tmp_path, with_blue(entry)))
        assert message in text and "bad.yaml:" in text


def test_a_constraint_that_depends_on_red_is_refused_where_the_file_asks(tmp_path):
    """Found by the core while solving (it evaluates the constraint against red's options), placed at the entry."""
    (tmp_path / "pennies.yaml").write_text(PENNIES)
    text = PROPOSAL.replace("heads: {probability: {guess: h}}", "heads: {probability: {guess: h}}\n"
                            "  red_heads: {probability: {referee.coin: h}}").replace("query: heads, at_most",
                                                                                      "query: red_heads, at_most")
    path = tmp_path / "red.yaml"
    path.write_text(text)
    with pytest.raises(MarkovwireError) as e:
        load_proposal(path).solve()
    assert e.value.file.endswith("red.yaml") and e.value.keys == ("blue", "guesser")
    assert "depends on red's choice" in e.value.what and "honest" in e.value.fix


# ----- one answer per question ----------------------------------------------------------------------------
def independent_value(p_options, weights, q_options) -> float:
    """Blue's mixture's payoff against red's best pure reply, from the closed form pq + (1 - p)(1 - q)."""
    return min(sum(w * (p * q + (1 - p) * (1 - q)) for p, w in zip(p_options, weights)) for q in q_options)


def test_the_same_game_on_python_cli_text_and_json(game_file):
    p = load_proposal(game_file)
    eq = p.solve()
    assert eq.value == pytest.approx(0.4, abs=1e-9)                    # min(m, 1 - m) at the largest m <= 0.4
    ps = [o["p"] for o in eq.blue.options]
    assert independent_value(ps, eq.blue.weights, [0, 0.5, 1]) == pytest.approx(0.4, abs=1e-9)
    assert sum(w * x for x, w in zip(ps, eq.blue.weights)) <= 0.4 + 1e-9
    assert eq.constraints and list(eq.constraints.values())[0] == pytest.approx(0.4, abs=1e-9)
    runner = CliRunner()
    out = runner.invoke(cli, ["solve", str(game_file), "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["value"] == pytest.approx(eq.value, abs=1e-12)
    assert data["blue"] == eq.blue.to_dict() and data["red"] == eq.red.to_dict()
    assert data["concept"] == eq.concept and data["against"] == ["red_team"] and data["blue_entry"] == "guesser"
    text = runner.invoke(cli, ["solve", str(game_file)])
    assert text.exit_code == 0, text.output
    assert f"value: safety = {eq.value:.6g}" in text.output and eq.concept.split(";")[0] in text.output
    pure = load_proposal(game_file).solve(mixed=False)        # one guess rate p <= 0.4 (on the grid or refined)
    (chosen,) = [o["p"] for o in pure.blue.options]
    assert chosen <= 0.4 + 1e-9 and pure.value == pytest.approx(independent_value([chosen], [1.0], [0, 1]), abs=1e-9)
    assert pure.value <= eq.value + 1e-9
    pure_json = json.loads(runner.invoke(cli, ["solve", str(game_file), "--json", "--pure"]).output)
    assert pure_json["value"] == pytest.approx(pure.value, abs=1e-12) and pure_json["blue"] == pure.blue.to_dict()


def test_the_same_frontier_on_python_and_json_and_the_figure(game_file, tmp_path):
    p = load_proposal(game_file)
    fr = p.frontier(None, "heads", weights=5)
    # with mean guess m <= 0.4 both safety and usefulness are m: one Pareto point, (0.4, 0.4)
    assert [(round(x.safety, 9), round(x.usefulness, 9)) for x in fr.points] == [(0.4, 0.4)]
    out = CliRunner().invoke(cli, ["frontier", str(game_file), "--usefulness", "heads", "--weights", "5", "--json"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    assert data["points"] == [x.to_dict() for x in fr.points]
    assert set(data["points"][0]) >= {"safety", "usefulness", "blue", "red"}
    figure = tmp_path / "frontier.svg"
    out = CliRunner().invoke(cli, ["frontier", str(game_file), "--usefulness", "heads", "--weights", "5",
                                   "-o", str(figure), "--published", "0.3:0.35:paper"])
    assert out.exit_code == 0, out.output
    svg = figure.read_text()
    assert svg.startswith("<?xml") and "paper" in svg and "frontier" in svg


def test_the_frontier_without_the_constraint_against_a_grid_of_mixtures(game_file):
    """Without the cap, blue's frontier is the upper edge of {(min(m, 1 - m), m)}: (1/2, 1/2) and (0, 1)."""
    text = game_file.read_text().replace("    constraints:\n      - {query: heads, at_most: 0.4}\n", "")
    p = proposal_from_text(text, "free.yaml", game_file)
    fr = p.frontier("safety", "heads", weights=11)
    m = np.linspace(0, 1, 201)          # every mixture of p ∈ {0, 1/2, 1} has some mean m; its worst safety
    grid = np.minimum(m, 1 - m)
    for s, u in zip(grid, m):
        assert fr.dominates(s, u, tol=1e-9)
    assert not fr.dominates(0.5, 0.6, tol=1e-9)


@pytest.mark.parametrize("args, message", [
    (["--blue", "guessr"], "no blue entry 'guessr' (did you mean 'guesser'?)"),
    (["--set", "p=0.3"], "is both chosen by a side and given a value"),
    (["--set", "q=2"], "outside"),
])
def test_solve_refuses_mistakes_on_the_command_line(game_file, args, message):
    out = CliRunner().invoke(cli, ["solve", str(game_file), *args, "--json"])
    assert out.exit_code == 1, out.output
    error = json.loads(out.output)["error"]
    assert message in error["what"] + error["message"] and error["fix"]


@pytest.mark.parametrize("args, message", [
    (["--usefulness", "hedas"], "has no query 'hedas' (did you mean 'heads'?)"),
    (["--usefulness", "heads", "--safety", "heads"], "plays its game on 'safety'"),
    (["--usefulness", "heads", "--published", "0.5:0.5"], "no figure is asked for"),
    (["--usefulness", "heads", "-o", "f.svg", "--published", "half"], "SAFETY:USEFULNESS"),
    (["--usefulness", "heads", "-o", "f.txt"], "plots are written as .svg, .png or .pdf"),
])
def test_frontier_refuses_mistakes_on_the_command_line(game_file, args, message, capsys, monkeypatch):
    monkeypatch.chdir(game_file.parent)
    with pytest.raises(SystemExit) as info:
        main(["frontier", str(game_file), *args])
    err = capsys.readouterr().err
    assert info.value.code == 1 and err.startswith("error: ")
    assert message in err and "fix:" in err and "Traceback" not in err


def test_frontier_weights_are_a_usage_matter(game_file):
    for count in ("1", "100000"):
        out = CliRunner().invoke(cli, ["frontier", str(game_file), "--usefulness", "heads", "--weights", count])
        assert out.exit_code == 2 and "Invalid value for '--weights'" in out.output


def test_a_file_without_blue_entries_says_what_to_add(capsys):
    with pytest.raises(SystemExit) as info:
        main(["solve", str(proposals_dir() / "swiss_cheese.yaml")])
    err = capsys.readouterr().err
    assert info.value.code == 1 and "has no blue: entry" in err and "beside adversary:" in err


# ----- the shipped control proposals against Table 7 ---------------------------------------------------------
# Greenblatt et al. 2023, Table 7 (safety, scaled usefulness), by the blue parameter of the shipped proposal.
TABLE7 = {
    "trusted_monitoring": [("defer 0%", {"a": 0.02}, 0.62, 0.97)],
    "defer_to_trusted": [("trusted model only", {"d": 1.0}, 1.00, 0.02), ("defer 0%", {"d": 0.0}, 0.62, 0.97),
                         ("defer 5%", {"d": 0.05}, 0.74, 0.95), ("defer 10%", {"d": 0.10}, 0.83, 0.93),
                         ("defer 20%", {"d": 0.20}, 0.92, 0.83), ("defer 50%", {"d": 0.50}, 1.00, 0.51)],
    "trusted_editing": [("edit 5%", {"d": 0.05}, 0.73, 0.97), ("edit 10%", {"d": 0.10}, 0.85, 0.96),
                        ("edit 20%", {"d": 0.20}, 0.92, 0.94), ("edit 50%", {"d": 0.50}, 0.96, 0.89)],
    "untrusted_monitoring": [(f"defer {d:.0%}", {"d": d, "redaction": 0.836}, s, u)      # the paper redacts
                             for d, s, u in ((0.0, 0.79, 0.96), (0.05, 0.82, 0.95), (0.10, 0.92, 0.92),
                                             (0.20, 0.98, 0.85))],
}
# The rows each model reproduces: the frontier is at least as safe at the published usefulness (within the table's
# rounding to whole per cent). The others are out of scope of these models, not of the solver: at the paper's own
# protocol the model is already less safe than published (the binormal monitor, fitted to the 2% audit point,
# leaves too many attacks in the bottom bucket; per-attempt odds are fixed), so no protocol of the model reaches it.
REPRODUCED = {"trusted_monitoring": {"defer 0%"},
              "defer_to_trusted": {"trusted model only", "defer 0%", "defer 5%"},
              "trusted_editing": {"edit 5%"},
              "untrusted_monitoring": {"defer 0%", "defer 5%"}}
ROUNDING = 0.005


@functools.cache
def shipped_proposal(name: str):
    return load_proposal(proposals_dir() / f"{name}.yaml")


@pytest.fixture(scope="module", params=list(TABLE7))
def shipped(request):
    """One computed frontier per shipped proposal (the module's only frontier of each)."""
    p = shipped_proposal(request.param)
    return request.param, p, p.frontier("safety", "usefulness", weights=21)       # as markovwire frontier


def test_each_frontier_dominates_the_table_7_rows_its_model_reproduces(shipped):
    name, p, fr = shipped
    for row, _, safety, usefulness in TABLE7[name]:
        reached = fr.dominates(safety - ROUNDING, usefulness - ROUNDING)
        assert reached == (row in REPRODUCED[name]), (name, row, str(fr))


def test_each_frontier_dominates_the_model_s_own_protocol_at_each_row(shipped):
    """The protocol of each Table 7 row, evaluated directly (the red team's worst attack rate on a fine grid, the
    honest usefulness), lies on or under the frontier: the solver misses no protocol of the hand sweep."""
    name, p, fr = shipped
    beta = np.linspace(0, 1, 41)
    for row, setting, _, _ in TABLE7[name]:
        safety = float(np.min(p.value("safety", {**setting, "beta": beta})))
        usefulness = float(p.value("usefulness", setting))
        assert fr.dominates(safety, usefulness, tol=1e-9), (name, row, safety, usefulness)
    assert all(x.blue.to_dict()["options"] for x in fr.points)
    for c in p.spec.blue[next(iter(p.spec.blue))].constraints:          # every protocol keeps the audit budget
        kept = [sum(w * p.value(c.query, o) for o, w in zip(x.blue.options, x.blue.weights)) for x in fr.points]
        assert max(kept) <= c.at_most + 1e-9


def test_the_readme_table_holds_the_model_s_numbers():
    """Each frontier point the README shows is the model's safety (against the worst attack rate) and usefulness at
    the protocol it names."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Control games")[1].split("\n\n| Proposal |")[1].split("\n\n")[0]
    rows = {line.split("|")[1].strip(): line.split("|")[2] for line in section.splitlines()[2:]}
    assert set(rows) == set(TABLE7)
    beta = np.array([0.0, 0.01, 0.05, 0.2, 1.0])      # safety falls with beta: its minimum is the limit
    for name, cell in rows.items():
        p = shipped_proposal(name)
        points = re.findall(r"(\d\.\d+) / (\d\.\d+) \((?:(\w+) = )?(\d+)%", cell)
        assert points, cell
        parameter = next(x[2] for x in points if x[2])
        at = np.array([int(x[3]) / 100 for x in points])
        extra = {"redaction": 0.836} if name == "untrusted_monitoring" else {}
        safety = p.value("safety", {parameter: np.repeat(at, len(beta)), "beta": np.tile(beta, len(at)), **extra})
        usefulness = p.value("usefulness", {parameter: at, **extra})
        for (s, u, _, _), worst, useful in zip(points, safety.reshape(len(at), -1).min(axis=1), usefulness):
            assert worst == pytest.approx(float(s), abs=0.6 * 10 ** -len(s.split(".")[1])), (name, s)
            assert useful == pytest.approx(float(u), abs=0.6 * 10 ** -len(u.split(".")[1])), (name, u)


@pytest.mark.parametrize("command", [["solve"], ["frontier", "--usefulness", "heads"], ["plot", "-o", "f.pdf"]])
def test_games_and_plots_run_their_searches_where_eval_does(game_file, command):
    """--workers and --scheduler choose where the pieces of a game's searches (and a plot's sweep) run, as for
    eval; a malformed address is refused before any work, and the engine is left as it was."""
    from markovwire import parallel

    r = CliRunner().invoke(cli, [command[0], str(game_file), *command[1:], "--scheduler", "no-port-here"])
    assert r.exit_code == 2 and parallel.engine().kind == "threads"
    assert "Invalid value for '--scheduler': 'no-port-here' is not a dask scheduler address" in r.output
    assert "--workers N" in CliRunner().invoke(cli, [command[0], "--help"]).output


def test_solve_certifies_its_bracket_with_a_lipschitz_constant_from_the_command_line(game_file):
    """Without a Lipschitz constant the search over blue's whole range is the best found; with --lipschitz the
    same answer comes with a certified bracket, equal to Python's."""
    plain = json.loads(CliRunner().invoke(cli, ["solve", str(game_file), "--json"]).output)
    assert plain["bracket"] is None and "solve --lipschitz L" in plain["guarantee"]
    out = json.loads(CliRunner().invoke(cli, ["solve", str(game_file), "--lipschitz", "1", "--json"]).output)
    eq = load_proposal(game_file).solve(lipschitz=1.0)
    assert out["bracket"] == list(eq.bracket) and out["bracket"][0] <= out["value"] <= out["bracket"][1]
    assert out["guarantee"].startswith("certified bracket")


def test_a_lipschitz_constant_in_the_file_certifies_worst_cases_and_solutions(game_file):
    """`lipschitz: L` in an adversary entry certifies eval's worst case; in a blue entry, solve's bracket (the
    command line's --lipschitz wins over it). Without one, the guarantee says where to give it."""
    text = game_file.read_text()
    plain = load_proposal(game_file).evaluate(queries=["red_team"])["red_team"]
    assert plain.bracket is None and "lipschitz: L in the file's entry" in plain.guarantee
    certified = text.replace("grid: 3}", "grid: 3, lipschitz: 1}")
    game_file.write_text(certified.replace("    grid: 3\n", "    grid: 3\n    lipschitz: 1\n"))
    worst = load_proposal(game_file).evaluate(queries=["red_team"])["red_team"]
    assert worst.certified and worst.bracket[0] <= worst.value <= worst.bracket[1]
    out = json.loads(CliRunner().invoke(cli, ["eval", str(game_file), "-q", "red_team", "--json"]).output)
    assert out["queries"]["red_team"]["guarantee"] == worst.guarantee
    from_file = json.loads(CliRunner().invoke(cli, ["solve", str(game_file), "--json"]).output)
    game_file.write_text(text)
    given = json.loads(CliRunner().invoke(cli, ["solve", str(game_file), "--lipschitz", "1", "--json"]).output)
    assert from_file["bracket"] == given["bracket"] and from_file["guarantee"].startswith("certified bracket")


@pytest.mark.parametrize("entry, message", [
    ("{query: safety, over: [q], sense: min, lipschitz: 0}",
     "adversary.bad.lipschitz: 0: input should be greater than 0"),
    ("{query: safety, instance: red, sense: min, lipschitz: 2}",
     "'bounds', 'grid' and 'lipschitz' belong to an adversary choosing parameters ('over')"),
])
def test_lipschitz_mistakes_are_placed(tmp_path, entry, message):
    errors = problems(tmp_path, PROPOSAL.replace("adversary:\n", f"adversary:\n  bad: {entry}\n", 1))
    assert any(message in str(e) and "bad.yaml:" in str(e) for e in errors), [str(e) for e in errors]
