"""The command line's progress bar: the pieces of a run inside an evaluation (a credal enumeration) show on a line
of their own, as a sweep's chunks do on the first."""
from __future__ import annotations

from markovwire import FinSet, Kernel, Net, parallel, set_memory_budget
from markovwire.analysis import CredalKernel, Query
from markovwire.analysis.adversary import deterministic_kernels
from markovwire.analysis.episodes import episode_bounds
from markovwire.episode import Episode
from markovwire.tui import cli


def test_the_bar_shows_the_pieces_of_an_enumeration_inside_an_evaluation(monkeypatch):
    X, Move = FinSet("X", ["x0", "x1", "x2"]), FinSet("Move", ["stay", "go"])
    step = Net()
    step.add_box("blue", Kernel.uniform([("m", Move)], [("s", X)]), ["x.state"], ["m"])
    step.add_box("walk", Kernel.deterministic(lambda s, m: f"x{(int(s[1]) + (m == 'go')) % 3}", [("s", X), ("m", Move)],
                                              [("s", X)]), ["x.state", "m"], ["x.state'"])
    step.set_inputs("x.state")
    step.set_outputs("x.state'")
    ep = Episode(step, [Kernel.point([X], "x0")], steps=2)
    boxes = {"blue": CredalKernel(deterministic_kernels(step.box("blue").kernel))}
    shown = []
    monkeypatch.setattr(cli._progress, "_show", lambda self, line, done, total: shown.append((line, done, total)))
    old = set_memory_budget(6_000)                  # a few candidates per piece
    try:
        with cli._progress(True, "bounds"):
            res = episode_bounds(ep, Query.probability({"x.state": "x2"}), boxes=boxes)
    finally:
        set_memory_budget(old)
    assert res.adaptive.upper == 1.0                # go, go
    pieces = [s for s in shown if s[0] == "  pieces"]
    assert len(pieces) >= 2 and pieces[-1][1] == pieces[-1][2]
    assert parallel.reporter() is None              # the block's reporter is gone after it
