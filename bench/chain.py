"""Workload (a): a chain of 1,000 kernels over a 64-element set fed by a distribution.

The chain is memory-bound (1,000 matrices of 32 KiB), so a plain numpy loop
``v = v @ M`` over the same arrays is the limit; opt_einsum with a precomputed
path is shown for reference (its path multiplies whole matrices).

Building a net must be linear too: a chain of 10,000 boxes over one bit is built,
checked and answered for the first time (one plan, compiled once) in well under a
second, whichever order its boxes are added in. The numpy loop over the same
matrices shows how much of that is bookkeeping rather than arithmetic.
"""
from __future__ import annotations

import numpy as np
import opt_einsum

from markovwire import FinSet, Kernel, Net

from .report import Row
from .timing import Contender, medians


def build(n: int = 1000, size: int = 64, seed: int = 0):
    rng = np.random.default_rng(seed)
    S = FinSet("S", [f"s{i}" for i in range(size)])
    start = rng.dirichlet(np.ones(size))
    mats = [rng.dirichlet(np.ones(size), size=size) for _ in range(n)]
    net = Net()
    net.add_box("start", Kernel(start, [], [S]), [], ["w0"])
    for i, m in enumerate(mats):
        net.add_box(f"k{i}", Kernel(m, [S], [S]), [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs(f"w{n}")
    return net, start, mats


def build_bits(n: int = 10_000, consumer_first: bool = False) -> Net:
    """A fair bit through ``n`` noisy copies; consumer-first adds each box before the one it reads from."""
    B = FinSet("B", ["0", "1"])
    flip = Kernel(FLIP, [B], [B])
    net = Net()
    net.add_box("start", Kernel(np.full(2, 0.5), [], [B]), [], ["w0"])
    for i in (range(n - 1, -1, -1) if consumer_first else range(n)):
        net.add_box(f"k{i}", flip, [f"w{i}"], [f"w{i + 1}"])
    net.set_outputs(f"w{n}")
    return net


FLIP = np.array([[0.9, 0.1], [0.2, 0.8]])


def run_build(quick: bool, n: int = 10_000) -> list[Row]:
    """Build, check and first answer of a 10,000-box chain, against the numpy loop over its matrices."""
    first = {order: (lambda order=order: build_bits(n, order).evaluate().array) for order in (False, True)}

    def loop():
        v = np.full(2, 0.5)
        for _ in range(n):
            v = v @ FLIP
        return v

    for answer in first.values():
        assert np.allclose(answer(), loop(), rtol=1e-12, atol=0), "markovwire disagrees with the numpy loop"
    t = medians({"ours": Contender(first[False]), "reverse": Contender(first[True]), "loop": Contender(loop)},
                repeat=3 if quick else 9)
    case = "build + check + first answer"
    return [Row(f"(a) chain build {n:,}×2", case, t["ours"], "numpy loop", t["loop"], target="< 0.5 s",
                met=t["ours"] < 0.5, note="boxes added in order"),
            Row(f"(a) chain build {n:,}×2", case, t["reverse"], "numpy loop", t["loop"], target="< 0.5 s",
                met=t["reverse"] < 0.5, note="boxes added consumer-first")]


def run(quick: bool) -> list[Row]:
    net, start, mats = build()
    # the kernels hold these very arrays (no copy was made)
    assert all(b.kernel.array is m for b, m in zip(net.boxes[1:], mats))

    def loop():
        v = start
        for m in mats:
            v = v @ m
        return v

    n = len(mats)
    sym = opt_einsum.get_symbol
    eq = sym(0) + "," + ",".join(sym(i) + sym(i + 1) for i in range(n)) + "->" + sym(n)
    expr = opt_einsum.contract_expression(eq, start.shape, *(m.shape for m in mats))
    got, want = net.evaluate().array, loop()
    assert np.allclose(got, want, rtol=1e-12, atol=0), "markovwire disagrees with the numpy loop"
    assert np.allclose(expr(start, *mats), want, rtol=1e-10, atol=0)
    t = medians({"ours": Contender(lambda: net.evaluate()), "loop": Contender(loop),
                 "oe": Contender(lambda: expr(start, *mats), repeat=3 if quick else 7)},
                repeat=7 if quick else 31)
    return [Row("(a) chain 1000×64", "evaluate vs numpy v @ M loop", t["ours"], "numpy loop", t["loop"],
                need=1 / 1.5, target="within 1.5x (≥0.67x)"),
            Row("(a) chain 1000×64", "vs opt_einsum, precomputed path", t["ours"], "opt_einsum", t["oe"],
                note="reference only")] + run_build(quick)
