"""Workload (c): one query on a random Bayesian network of 60 variables.

60 variables of 4 states, each with up to 3 parents among the earlier ones.
The query ``P(x0 | x59 = s0)`` is one contraction of all 60 tables;
opt_einsum runs it through ``contract_expression`` with its path precomputed, on
tables already sliced at the evidence (markovwire slices them on every call,
plans once, and normalises; the baseline normalises too).
"""
from __future__ import annotations

import numpy as np
import opt_einsum

from markovwire import FinSet, Kernel, Net

from .report import Row
from .timing import Contender, medians


def build(n: int = 60, states: int = 4, max_parents: int = 3, seed: int = 1):
    rng = np.random.default_rng(seed)
    S = FinSet("S", [f"s{i}" for i in range(states)])
    net = Net()
    parents = []
    for i in range(n):
        ps = sorted(rng.choice(i, size=min(i, int(rng.integers(0, max_parents + 1))), replace=False).tolist()) \
            if i else []
        parents.append(ps)
        table = rng.dirichlet(np.ones(states), size=states ** len(ps)).reshape((states,) * (len(ps) + 1))
        net.add_box(f"x{i}", Kernel(table, [(f"x{p}", S) for p in ps], [(f"x{i}", S)]), [f"x{p}" for p in ps],
                    [f"x{i}"])
    return net, parents


def run(quick: bool) -> list[Row]:
    net, parents = build()
    n = len(parents)
    query, observed = "x0", f"x{n - 1}"
    evidence = {observed: "s0"}
    sym = {f"x{i}": opt_einsum.get_symbol(i) for i in range(n)}
    terms, arrays = [], []
    for i, b in enumerate(net.boxes):
        wires = list(b.inputs) + list(b.outputs)
        sl = tuple(0 if w == observed else slice(None) for w in wires)
        terms.append("".join(sym[w] for w in wires if w != observed))
        arrays.append(np.ascontiguousarray(b.kernel.array[sl]))
    eq = ",".join(terms) + "->" + sym[query]
    expr = opt_einsum.contract_expression(eq, *(a.shape for a in arrays))

    def baseline():
        v = expr(*arrays)
        return v / v.sum()

    def ours():
        return net.evaluate(evidence=evidence, outputs=(query,))

    assert np.allclose(ours().array, baseline(), rtol=1e-10, atol=1e-15)
    t = medians({"ours": Contender(ours), "oe": Contender(baseline)}, repeat=9 if quick else 41)
    (plan,) = [p for k, p in net._plans.items() if k != "operands"]
    _, oe_info = opt_einsum.contract_path(eq, *arrays)
    note = (f"markovwire {plan.program.strategy} path {plan.program.cost:.3g} multiply-adds; "
            f"opt_einsum {float(oe_info.opt_cost):.3g} flops")
    return [Row("(c) random BN 60 vars", "P(x0 ∣ x59=s0), evaluate", t["ours"], "opt_einsum contract_expression",
                t["oe"], need=1 / 1.2, target="within 1.2x (≥0.83x)", note=note)]
