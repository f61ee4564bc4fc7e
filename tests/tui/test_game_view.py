"""The control game in the UI: the screen shows the numbers the library (and so the command line) computes, opened
by its key and from the command palette; blue: entries survive the document's edits and its round trip."""
from __future__ import annotations

import io
import shutil

import pytest
from rich.console import Console

from markovwire.library import load_proposal
from markovwire.library.game import protocols
from markovwire.library.shipped import proposals_dir
from markovwire.tui.app import MarkovwireApp
from markovwire.tui.document import Document

from games import PENNIES

TRUSTED = proposals_dir() / "trusted_monitoring.yaml"
GAME = """\
name: pennies_game
libraries: [pennies.yaml]
instances:
  red: {component: coin}
  blue: {component: guess}
  referee: {component: referee}
wiring:
  outputs: {outcome: Outcome, guess: Coin}
  wires: [red.coin -> referee.coin, blue.guess -> referee.guess, blue.guess -> out.guess,
          referee.outcome -> out.outcome]
queries:
  safety: {probability: {outcome: right}}
  usefulness: {probability: {guess: h}}
adversary:
  red_team: {query: safety, over: [q], sense: min, grid: 3}
blue:
  guesser:
    query: safety
    over: [p]
    grid: 5
    constraints:
      - {query: usefulness, at_least: 0.6}
"""


def shown(widget) -> str:
    console = Console(width=300, file=io.StringIO())
    console.print(widget.content)
    return console.file.getvalue()


async def test_the_game_screen_shows_the_library_s_solution_and_frontier(driver, tmp_path):
    """Matching pennies where blue must guess heads at least 60% of the time (see tests/library/test_game_files.py):
    its mixtures keep min(m, 1 - m) = 0.4."""
    (tmp_path / "pennies.yaml").write_text(PENNIES)
    path = tmp_path / "game.yaml"
    path.write_text(GAME)
    p = load_proposal(path)
    eq, fr = p.solve(), p.frontier(None, "usefulness", weights=21)
    assert eq.value == pytest.approx(0.4, abs=1e-9)
    app = MarkovwireApp(path)
    async with app.run_test(size=(120, 40)) as pilot:
        k = driver(app, pilot)
        await k.settle()
        await k.press("B")
        await k.settle()
        assert k.screen_name() == "GameScreen"
        screen = app.screen
        text = shown(screen.query_one("#game-solution"))
        assert f"safety = {eq.value:.6g}" in text and eq.concept in text
        assert all(line in text for line in protocols(eq.blue) + protocols(eq.red))
        assert "constraint usefulness >= 0.6" in text
        table = screen.query_one("#frontier-table")
        rows = [[c.plain if hasattr(c, "plain") else str(c) for c in table.get_row(r.key)] for r in table.ordered_rows]
        assert [float(v) for r in rows for v in r[1:3]] == pytest.approx(
            [v for x in fr.points for v in (x.safety, x.usefulness)], rel=1e-5)
        assert screen.query_one("#frontier-plot").shown is not None
        await k.press("escape")
        await k.settle()
        await k.press("ctrl+p")                               # the command palette opens it too
        await k.type("Control game")
        await k.press("enter")
        await k.settle()
        assert k.screen_name() == "GameScreen"
        await k.press("m")                                    # pure commitment: as solve --pure
        await k.settle()
        assert "Stackelberg with blue committing first to one pure option" in shown(
            app.screen.query_one("#game-solution"))


def test_blue_entries_survive_edits_and_the_round_trip(tmp_path):
    path = tmp_path / "tm.yaml"
    shutil.copy(TRUSTED, path)
    doc = Document.open(path)
    doc.rename_instance("policy", "untrusted")
    doc.set_parameter("sigma", "0.3")
    doc.save()
    text = path.read_text()
    assert "blue:\n  best_audit:" in text and "against: [worst_safety]" in text
    assert "# Trusted monitoring with a 2% human audit budget" in text        # comments kept
    again = load_proposal(path)
    assert again.spec.blue == load_proposal(TRUSTED).spec.blue
    doc.remove_query("worst_safety")                                         # the red team goes: so does blue
    assert "best_audit" not in doc.spec.blue
    dtt = Document.open(proposals_dir() / "defer_to_trusted.yaml")
    dtt.remove_query("p_audited")                                            # a constraint's query goes: blue too
    assert not dtt.spec.blue
