"""Workload (g): the sweep of workload (d) given as batches of tables instead of a parameter.

Each of the 100 steps is one batched kernel holding its 1,000 tables
``(1 - θ_j) A_i + θ_j B_i`` (:class:`markovwire.Kernel` with ``batch=``): the net is
evaluated once, the batch axis leading every result as a sweep's does. The baseline is the
hand-batched numpy loop pushing a batch of vectors through the same stacked tables with
batched matmuls. Issue 15's case for batches of arbitrary tables (one ``Parameter`` per entry
took 10.8 s to plan) is the same contraction: the tables need not come from a formula.
"""
from __future__ import annotations

import numpy as np

from markovwire import FinSet, Kernel, Net

from .report import Row
from .sweep import SETTINGS, SIZE, STEPS, arrays
from .timing import Contender, medians


def build():
    start, As, Bs = arrays()
    th = np.linspace(0, 1, SETTINGS)[:, None, None]
    tables = [(1 - th) * a + th * b for a, b in zip(As, Bs)]  # (SETTINGS, SIZE, SIZE) per step
    S = FinSet("S", [f"s{i}" for i in range(SIZE)])
    net = Net()
    net.add_box("start", Kernel(start, [], [S]), [], ["w0"])
    for i, t in enumerate(tables):
        net.add_box(f"k{i}", Kernel(t, [S], [S], batch=SETTINGS, name=f"k{i}"), [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs(f"w{STEPS}")
    return net, start, tables


def run(quick: bool) -> list[Row]:
    net, start, tables = build()

    def ours():
        return net.evaluate()

    def numpy_batched():
        v = np.broadcast_to(start, (SETTINGS, 1, SIZE))
        for t in tables:
            v = v @ t
        return v[:, 0, :]

    got = ours()
    assert got.shape == (SETTINGS, SIZE)
    np.testing.assert_allclose(got, numpy_batched(), rtol=1e-10, atol=1e-15)
    t = medians({"ours": Contender(ours), "numpy": Contender(numpy_batched)}, repeat=5 if quick else 15)
    return [Row(f"(g) batch of {SETTINGS} tables × {STEPS}-step chain", "evaluate (batch=1000 kernels)", t["ours"],
                "hand-batched numpy loop over the same tables", t["numpy"], need=1 / 1.2,
                target="within 1.2x (≥0.83x)", note="the tables of (d), stacked; no parameter")]
