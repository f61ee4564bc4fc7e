"""Workload (f): a chain with an unqueried side box on its middle wire, against the chain alone.

Issue 15 measured one side box making ``P(last)`` of a chain 4x slower (45x on 200
kernels of 512 states): the planner contracted the side box into the chain. Barren
boxes are now dropped before planning (:mod:`markovwire.prune`), so both nets plan the
same contraction. A second row sets the upstream half of the chain apart with evidence
on the middle wire: the query's contraction is the downstream half, the upstream half
one vector pass that weighs the evidence.
"""
from __future__ import annotations

import numpy as np

from markovwire import FinSet, Kernel, Net

from .report import Row
from .timing import Contender, medians


def build(n: int, size: int, side: bool, seed: int = 5) -> Net:
    rng = np.random.default_rng(seed)
    S = FinSet("S", [f"s{i}" for i in range(size)])
    net = Net()
    net.add_box("start", Kernel(rng.dirichlet(np.ones(size)), [], [S]), [], ["w0"])
    for i in range(n):
        net.add_box(f"k{i}", Kernel(rng.dirichlet(np.ones(size), size=size), [S], [S]), [f"w{i}"], [f"w{i + 1}"])
    if side:
        net.add_box("side", Kernel(rng.dirichlet(np.ones(size), size=size), [S], [S]), [f"w{n // 2}"], ["side"])
    net.set_outputs(f"w{n}")
    return net


def run(quick: bool) -> list[Row]:
    n, size = (200, 256) if quick else (200, 512)
    alone, side = build(n, size, False), build(n, size, True)
    assert np.allclose(side.evaluate().array, alone.evaluate().array, rtol=1e-12, atol=0)
    plans = [next(p for k, p in net._plans.items() if k != "operands") for net in (alone, side)]
    assert plans[0].program.cost == plans[1].program.cost, "the side box changed the contraction"
    evidence = {f"w{n // 2}": "s0"}
    out = (f"w{n}",)
    with_ev = side.evaluate(evidence=evidence, outputs=out)
    assert np.allclose(with_ev.array, alone.evaluate(evidence=evidence, outputs=out).array, rtol=1e-12, atol=0)
    t = medians({"alone": Contender(lambda: alone.evaluate()), "side": Contender(lambda: side.evaluate()),
                 "ev_alone": Contender(lambda: alone.evaluate(evidence=evidence, outputs=out)),
                 "ev_side": Contender(lambda: side.evaluate(evidence=evidence, outputs=out))},
                repeat=7 if quick else 21)
    name = f"(f) chain {n}×{size} + side box"
    return [Row(name, "P(last), side box on the middle wire", t["side"], "the chain alone", t["alone"],
                need=1 / 1.1, target="within 1.1x (≥0.91x)", note="barren box dropped before planning"),
            Row(name, "P(last ∣ middle wire), side box", t["ev_side"], "the chain alone, same evidence",
                t["ev_alone"], need=1 / 1.1, target="within 1.1x (≥0.91x)",
                note="upstream half contracted apart (the evidence's weight)")]
