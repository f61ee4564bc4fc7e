"""Random wide nets against the memory and cost guards: an answer that is a distribution, or the budget's error.

Hypothesis draws nets of many wires (2 to 12 labels each) whose boxes read up to
five parents, so that the treewidth, and with it the contraction's size, ranges
from trivial to far beyond the machine. Asked for the joint of many outputs under
a small memory and cost budget, each net must either answer (a table that sums to
one) or refuse with ``ContractionTooLarge`` before allocating; never a numpy
``MemoryError``, never a hang. The examples run in one bounded child process, so a
guard that let an allocation through fails the test instead of the machine.
"""
from __future__ import annotations

import limits

PROGRAM = """
import numpy as np
from hypothesis import HealthCheck, given, settings, strategies as st
from markovwire import ContractionTooLarge, FinSet, Kernel, Net, set_cost_budget, set_memory_budget

set_memory_budget(64 * 1024**2)
set_cost_budget(2e7)
outcomes = {"answered": 0, "refused": 0}


@st.composite
def wide_nets(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(8, 40))
    sizes = [draw(st.integers(2, 12)) for _ in range(n)]
    types = [FinSet(f"T{i}", [f"v{j}" for j in range(s)]) for i, s in enumerate(sizes)]
    net = Net()
    for i in range(n):
        k = min(i, draw(st.integers(0, 5)))
        parents = sorted(rng.choice(i, size=k, replace=False).tolist()) if k else []
        if np.prod([sizes[p] for p in parents] + [sizes[i]]) > 200_000:
            parents = parents[:2]
        shape = [sizes[p] for p in parents] + [sizes[i]]
        table = rng.dirichlet(np.ones(sizes[i]), size=int(np.prod(shape[:-1]))).reshape(shape)
        net.add_box(f"b{i}", Kernel(table, [types[p] for p in parents], [types[i]]),
                    [f"w{p}" for p in parents], [f"w{i}"])
    outputs = [f"w{i}" for i in sorted(rng.choice(n, size=draw(st.integers(1, min(n, 14))), replace=False))]
    return net, outputs


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(wide_nets())
def check(spec):
    net, outputs = spec
    try:
        result = net.evaluate(outputs=outputs, normalize=False)
    except ContractionTooLarge as e:
        assert "budget" in str(e) and e.fix, e
        outcomes["refused"] += 1
        return
    assert np.isfinite(result).all()
    assert abs(float(np.sum(result)) - 1) < 1e-9
    outcomes["answered"] += 1


check()
print("OK", outcomes["answered"], "answered", outcomes["refused"], "refused")
"""


def test_random_wide_nets_answer_or_refuse_within_the_budgets():
    r = limits.run_python(PROGRAM, timeout=300, address_space=2 * 1024**3)
    assert r.clean, str(r)
    assert r.stdout.startswith("OK"), str(r)
    _, answered, _, refused, _ = r.stdout.split()
    assert int(answered) > 0 and int(refused) > 0, r.stdout  # both sides of the guard were exercised
