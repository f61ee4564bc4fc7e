"""Hostile sizes for control games: too many policies, a huge grid, an episode whose step matrices do not fit.
Each case runs in a bounded child (:mod:`limits`) and must end cleanly with a placed markovwire error saying
what is too large, by how much, and what to change (never a hang, a MemoryError or a traceback).
"""
from __future__ import annotations

import limits

CASES = """
import json
from markovwire import MarkovwireError


def refused(call):
    try:
        call()
    except MarkovwireError as e:
        print(json.dumps(e.to_dict()))
"""


HUGE_OBSERVATION = """
from markovwire import FinSet, Kernel, Net
from markovwire.analysis import Choice, Query, solve
from markovwire.model import Model
from markovwire.types import Range
Score, Audit = Range(100_000), FinSet("Audit", ["no", "yes"])
net = Net()
net.add_box("monitor", Kernel.uniform([("s", Score)]), [], ["score"])
net.add_box("auditor", Kernel.uniform([("a", Audit)], [("s", Score)]), ["score"], ["audit"])
net.add_box("red", Kernel.uniform([("r", Audit)]), [], ["r"])
m = Model(net, {}, {"audited": Query.probability({"audit": "yes"})})
"""


GRID = """
from markovwire import FinSet, Kernel, Net, Parameter
from markovwire.analysis import Choice, Query, solve
from markovwire.model import Model
A = FinSet("A", ["x", "y"])
a, b = Parameter("a", (0, 1), default=0.5), Parameter("b", (0, 1), default=0.5)
net = Net()
net.add_box("blue", Kernel([a, 1 - a], [], [A], params=[a]), [], ["u"])
net.add_box("red", Kernel([b, 1 - b], [], [A], params=[b]), [], ["v"])
m = Model(net, {"a": a, "b": b}, {"same": Query.probability([("x", "x"), ("y", "y")], ["u", "v"])})
"""


BIG_EPISODE = """
import numpy as np
from markovwire import Episode, FinSet, Kernel, Net, Parameter
from markovwire.analysis import Choice, Query, solve
from markovwire.model import Model
from markovwire.types import Range
S, Bit = Range(2000), FinSet("Bit", ["0", "1"])
beta = Parameter("beta", (0, 1), default=0.5)
walk = np.roll(np.eye(2000), 1, axis=1)
step = Net()
step.add_box("red", Kernel([1 - beta, beta], [], [("r", Bit)], params=[beta]), [], ["r"])
step.add_box("blue", Kernel.uniform([("b", Bit)], [("r", Bit)]), ["r"], ["b"])
step.add_box("walk", Kernel(np.stack([walk, np.eye(2000)]), [("b", Bit), ("s", S)], [("s", S)]),
             ["b", "w.state"], ["w.state'"])
step.set_inputs("w.state")
step.set_outputs("w.state'")
ep = Episode(step, [Kernel.point([S], "0")], steps=3)
m = Model(ep, {"beta": beta}, {"moved": Query.probability({"w.state": "3"})})
"""


def test_hostile_games_are_refused_with_what_is_too_large_and_the_fix():
    """One child for the three cases (each builds its model in a namespace of its own): a score of 100,000
    labels, a grid of a billion points, an episode whose step matrices do not fit in memory."""
    import json
    code = CASES
    for setup, call in ((HUGE_OBSERVATION, 'solve(m, "audited", [Choice(instance="auditor")], '
                                           '[Choice(instance="red")])'),
                        (GRID, 'solve(m, "same", [Choice(over=("a",), grid=10**9)], [Choice(over=("b",))])'),
                        (BIG_EPISODE, 'solve(m, "moved", [Choice(instance="blue")], [Choice(over=("beta",))])')):
        code += f"\nns = {{}}\nexec({setup!r}, ns)\nrefused(lambda: eval({call!r}, ns))\n"
    r = limits.run_python(code)
    assert r.clean and r.returncode == 0, str(r)
    policies, grid, memory = (json.loads(line) for line in r.stdout.splitlines()[-3:])

    assert policies["where"] == "game, blue's instance 'auditor'"
    assert policies["what"] == "has more than 10^19 deterministic policies over what it observes (s), more than 4,096"
    assert policies["fix"] == "let it observe fewer ports (observes: [...]) or bin the observed types more coarsely"

    assert grid["where"] == "game, blue's choices"
    assert grid["what"] == "1,000,000,000 pure options (1,000,000,000 values of a) exceed 4,096"
    assert "coarser grid (grid: N)" in grid["fix"]

    assert memory["type"] == "ContractionTooLarge" and memory["where"] == "game, query 'moved'"
    assert memory["what"] == ("needs 2.5 GiB at once for 84 step matrices over 2,000 states, more than the memory "
                              "budget of 2.0 GiB")
    assert memory["fix"].startswith("raise the budget: --max-memory 3GiB") and "coarser grids" in memory["fix"]
