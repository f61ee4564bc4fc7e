"""Workload (b): all single-variable marginals of pgmpy's shipped Bayesian networks.

markovwire's ``Net.marginals`` (one junction-tree calibration) against pyAgrum's
LazyPropagation and pgmpy's VariableElimination, with no evidence and with one
observed leaf. Every engine gets the same tables. pyAgrum's engine is built once
and reused; before every timed call its evidence is changed (untimed), because it
caches posteriors and would otherwise answer from the cache. pgmpy answers one
query per variable, as its API asks (``joint=False`` forms the joint first).
"""
from __future__ import annotations

import warnings

import numpy as np

from .bayesnets import NETWORKS, agrum_name, load, pyagrum, to_net, to_pyagrum
from .report import Row
from .timing import Contender, medians

AGREE = 1e-9


def run(quick: bool) -> list[Row]:
    from pgmpy.inference import VariableElimination

    gum = pyagrum()

    rows = []
    for name in NETWORKS:
        bn = load(name)
        net = to_net(bn)
        graph = to_pyagrum(bn)
        engine = gum.LazyPropagation(graph)
        ve = VariableElimination(bn.pgmpy_model)
        leaf = bn.leaves()[0]
        for evidence in ({}, {leaf: bn.states[leaf][0]}):
            other = {} if evidence else {leaf: bn.states[leaf][0]}

            def ours(evidence=evidence):
                return net.marginals(evidence=evidence)

            def agrum(evidence=evidence):
                engine.eraseAllEvidence()
                for v, label in evidence.items():
                    engine.addEvidence(agrum_name(v), bn.states[v].index(label))
                engine.makeInference()
                return {v: engine.posterior(agrum_name(v)).toarray() for v in bn.variables}

            def agrum_elsewhere(other=other):  # untimed: move pyAgrum's state away from this query
                agrum(other)

            def pgmpy(evidence=evidence):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    return {v: ve.query([v], evidence=evidence, show_progress=False).values
                            for v in bn.variables if v not in evidence}

            got, theirs, slow = ours(), agrum(), pgmpy()
            diff = max(float(np.abs(got[v] - theirs[v]).max()) for v in bn.variables)
            diff_pgmpy = max(float(np.abs(got[v] - slow[v]).max()) for v in slow)
            assert diff <= AGREE, f"{name}: markovwire and pyAgrum differ by {diff:.2e}"
            assert diff_pgmpy <= AGREE, f"{name}: markovwire and pgmpy differ by {diff_pgmpy:.2e}"
            t = medians({"ours": Contender(ours), "agrum": Contender(agrum, setup=agrum_elsewhere),
                         "pgmpy": Contender(pgmpy, repeat=3 if quick else 5)},
                        repeat=7 if quick else 21)
            case = f"{name} ({len(bn.variables)} vars), " + (f"leaf {leaf} observed" if evidence else "no evidence")
            note = f"largest difference: {diff:.1e} from pyAgrum, {diff_pgmpy:.1e} from pgmpy"
            rows.append(Row("(b) BN all marginals", case, t["ours"], "pyAgrum LazyPropagation", t["agrum"],
                            need=1.0, target="at least as fast (≥1x)", note=note))
            rows.append(Row("(b) BN all marginals", case, t["ours"], "pgmpy VariableElimination", t["pgmpy"],
                            need=5.0, target="≥5x faster"))
    return rows
