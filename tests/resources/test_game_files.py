"""Hostile control games in proposal files: a blue entry asking for more protocols than a game can hold is refused
at its place in the file, with the count and a fix, before anything of that size is allocated.

Each case runs in a child process bounded in time and address space (``tests/limits.py``).
"""
from __future__ import annotations

import limits

from games import PENNIES


def test_a_blue_grid_of_ten_billion_protocols_is_refused_at_its_entry(tmp_path):
    limits.write(tmp_path, "pennies.yaml", PENNIES)
    game = limits.write(tmp_path, "big.yaml", """\
        name: big_game
        libraries: [pennies.yaml]
        parameters:
          p2: {domain: [0, 1], default: 0.5}
        instances:
          red: {component: coin}
          blue: {component: guess}
          blue2: {component: guess, parameters: {p: p2}}
          referee: {component: referee}
        wiring:
          outputs: {outcome: Outcome, guess: Coin}
          wires: [red.coin -> referee.coin, blue.guess -> referee.guess, blue2.guess -> out.guess,
                  referee.outcome -> out.outcome]
        queries:
          safety: {probability: {outcome: right}}
          usefulness: {probability: {guess: h}}
        adversary:
          red_team: {query: safety, over: [q], sense: min, grid: 3}
        blue:
          guesser: {query: safety, over: [p, p2], grid: 100000}
        """)
    r = limits.run_cli(["solve", str(game)])          # frontier builds the same game first
    assert r.clean, r
    assert r.returncode == 1
    assert f"{game}:20: blue.guesser: " in r.stderr
    assert "10,000,000,000 pure options (100,000 values of p, 100,000 values of p2) exceed 4,096" in r.stderr
    assert "fix: use a coarser grid (grid: N)" in r.stderr
