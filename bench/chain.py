"""Workload (a): a chain of 1,000 kernels over a 64-element set fed by a distribution.

The chain is memory-bound (1,000 matrices of 32 KiB), so a plain numpy loop
``v = v @ M`` over the same arrays is the limit; opt_einsum with a precomputed
path is shown for reference (its path multiplies whole matrices).
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
                note="reference only")]
