"""Hostile sizes for an episode's credal enumeration: a credal set of 2^40 vertices, or one with rows too wide to
enumerate, is refused before any vertex is built (a bounded child, :mod:`limits`), with its size and a fix."""
from __future__ import annotations

import limits

EPISODE = """
import numpy as np
from markovwire import FinSet, Kernel, Net
from markovwire.episode import Episode
from markovwire.analysis import Query, IntervalKernel
from markovwire.analysis.episodes import episode_bounds
from markovwire.errors import MarkovwireError
from markovwire.types import Range
X, Bit = Range(40), Range(2)
step = Net()
step.add_box("coin", Kernel(np.full((40, 2), 0.5), [("s", X)], [("b", Bit)]), ["x.state"], ["b"])
step.add_box("walk", Kernel.deterministic(lambda s, b: str((int(s) + int(b)) % 40), [("s", X), ("b", Bit)], [("s", X)]),
             ["x.state", "b"], ["x.state'"])
step.set_inputs("x.state")
step.set_outputs("x.state'")
ep = Episode(step, [Kernel.point([X], "0")], steps=5)
"""


def test_a_credal_set_of_2_to_the_40_vertices_is_refused_by_the_cost_budget_before_it_is_built():
    r = limits.run_python(EPISODE + """
box = IntervalKernel(np.full((40, 2), 0.4), np.full((40, 2), 0.6), [("s", X)], [("b", Bit)])
try:
    episode_bounds(ep, Query.probability({"x.state": "3"}), boxes={"coin": box})
except MarkovwireError as e:
    print(type(e).__name__, e.place, e.what, e.fix, sep=" | ")
""")
    assert r.clean and r.returncode == 0, str(r)
    kind, place, what, fix = r.stdout.strip().split(" | ")
    assert kind == "ContractionTooLarge" and place == "credal bounds of P(x.state=3)"
    assert what.startswith("enumerates 1,099,511,627,776 candidate step kernel(s) (1,099,511,627,776 vertex "
                           "combination(s) of coin) over 5 steps: needs ")
    assert "x the cost budget of 1e+09" in what
    assert fix.startswith("raise the budget: --max-cost ") and "narrow the credal sets" in fix


def test_a_credal_set_with_rows_too_wide_to_enumerate_is_refused():
    r = limits.run_python(EPISODE + """
box = IntervalKernel(np.zeros((40, 2, 40)), np.full((40, 2, 40), 0.1), [("s", X), ("b", Bit)], [("s", X)])
try:
    episode_bounds(ep, Query.probability({"x.state": "3"}), boxes={"walk": box})
except MarkovwireError as e:
    print(type(e).__name__, "|", e.what, "|", e.fix)
""")
    assert r.clean and r.returncode == 0, str(r)
    assert r.stdout.strip() == ("ShapeError | the credal set of 'walk' has too many vertices to enumerate | give it a "
                                "smaller credal set (fewer or narrower rows), or drop it from the imprecise instances")
