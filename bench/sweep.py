"""Workload (d): a sweep of 1,000 parameter settings of a 100-step chain.

Each step is a symbolic kernel ``K_i(θ) = (1 - θ) A_i + θ B_i`` over a 16-element
set, all in the one parameter θ. markovwire evaluates the net once with θ an
array of 1,000 values (one batched contraction). The hand-batched numpy loop builds
the same 1,000 matrices per step from the same arrays and pushes a batch of
vectors through them with batched matmuls. pyAgrum has no batch: per setting, its
100 tables are refilled and a fresh LazyPropagation answers (its engine does not
notice refilled tables); it is timed on a subset of settings and scaled.
"""
from __future__ import annotations

import numpy as np

from markovwire import FinSet, Kernel, Net, Parameter

from .bayesnets import pyagrum
from .report import Row
from .timing import Contender, medians

STEPS, SIZE, SETTINGS = 100, 16, 1000


def arrays(seed: int = 2):
    """The start distribution and the matrices ``A_i``, ``B_i`` of every step."""
    rng = np.random.default_rng(seed)
    start = rng.dirichlet(np.ones(SIZE))
    As = [rng.dirichlet(np.ones(SIZE), size=SIZE) for _ in range(STEPS)]
    Bs = [rng.dirichlet(np.ones(SIZE), size=SIZE) for _ in range(STEPS)]
    return start, As, Bs


def build(seed: int = 2):
    theta = Parameter("theta", (0, 1), default=0.5, doc="mixing weight of every step")
    S = FinSet("S", [f"s{i}" for i in range(SIZE)])
    start, As, Bs = arrays(seed)
    net = Net()
    net.add_box("start", Kernel(start, [], [S]), [], ["w0"])
    t = theta.symbol
    for i, (a, b) in enumerate(zip(As, Bs)):
        entries = np.empty((SIZE, SIZE), dtype=object)
        for j, k in np.ndindex(SIZE, SIZE):
            entries[j, k] = (1 - t) * float(a[j, k]) + t * float(b[j, k])
        net.add_box(f"k{i}", Kernel(entries, [S], [S], params=[theta], name=f"k{i}"), [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs(f"w{STEPS}")
    return net, start, As, Bs


def run(quick: bool) -> list[Row]:
    gum = pyagrum()
    net, start, As, Bs = build()
    thetas = np.linspace(0, 1, SETTINGS)

    def ours():
        return net.evaluate({"theta": thetas})

    def numpy_batched():
        th = thetas[:, None, None]
        v = np.broadcast_to(start, (SETTINGS, 1, SIZE))
        for a, b in zip(As, Bs):
            v = v @ ((1 - th) * a + th * b)
        return v[:, 0, :]

    Ds = [b - a for a, b in zip(As, Bs)]

    def numpy_factored():  # the cleverer hand-written loop: v K(θ) = v A + θ v (B - A), two GEMMs
        th = thetas[:, None]
        v = np.broadcast_to(start, (SETTINGS, SIZE))
        for a, d in zip(As, Ds):
            v = v @ a + th * (v @ d)
        return v

    graph = gum.BayesNet("chain")
    ids = [graph.add(gum.RangeVariable(f"w{i}", f"w{i}", 0, SIZE - 1)) for i in range(STEPS + 1)]
    for i in range(STEPS):
        graph.addArc(ids[i], ids[i + 1])
    graph.cpt(ids[0]).fillWith(start.tolist())
    subset = thetas[:: 50 if quick else 20]

    def agrum_loop():
        out = []
        for th in subset:
            for i, (a, b) in enumerate(zip(As, Bs)):  # pyAgrum's table axes: parent, child (as ours)
                graph.cpt(ids[i + 1]).fillWith(((1 - th) * a + th * b).reshape(-1))
            engine = gum.LazyPropagation(graph)
            engine.addTarget(ids[-1])
            engine.makeInference()
            out.append(engine.posterior(ids[-1]).toarray())
        return np.array(out)

    got = ours()
    assert got.shape == (SETTINGS, SIZE)
    np.testing.assert_allclose(got, numpy_batched(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got, numpy_factored(), rtol=1e-10, atol=1e-15)
    np.testing.assert_allclose(got[:: 50 if quick else 20], agrum_loop(), rtol=0, atol=1e-9)
    t = medians({"ours": Contender(ours), "numpy": Contender(numpy_batched), "factored": Contender(numpy_factored),
                 "agrum": Contender(agrum_loop, repeat=3)}, repeat=5 if quick else 15)
    scaled = t["agrum"] * SETTINGS / len(subset)
    return [Row("(d) sweep 1000 × 100-step chain", "evaluate(θ = 1000 values)", t["ours"],
                "hand-batched numpy loop", t["numpy"], need=1 / 1.2, target="within 1.2x (≥0.83x)",
                note="both build the 1000 matrices per step from A_i, B_i"),
            Row("(d) sweep 1000 × 100-step chain", "evaluate(θ = 1000 values)", t["ours"],
                "hand-factored numpy: v A + θ v (B − A)", t["factored"], note="reference only: the same "
                "factorisation markovwire's planner finds for affine kernels"),
            Row("(d) sweep 1000 × 100-step chain", "evaluate(θ = 1000 values)", t["ours"],
                "pyAgrum loop (refill + LazyPropagation)", scaled, need=100.0, target="≥100x faster",
                note=f"pyAgrum timed on {len(subset)} settings, scaled ×{SETTINGS / len(subset):g}")]
