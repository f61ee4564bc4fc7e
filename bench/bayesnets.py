"""The Bayesian networks pgmpy ships in its wheel, as one set of arrays for every engine.

Each network is read offline from the ``.bif.gz`` file inside the installed pgmpy
package. Its conditional tables are normalised once (BIF files round to a few
digits) and then handed unchanged to markovwire (one box per table: parents →
variable), to pyAgrum (a ``BayesNet`` filled from the same arrays) and to pgmpy.
"""
from __future__ import annotations

import gzip
import os
import warnings
from dataclasses import dataclass

import numpy as np

from markovwire import FinSet, Kernel, Net

NETWORKS = ("asia", "child", "insurance", "alarm", "hepar2", "win95pts")


@dataclass
class BayesNet:
    """A discrete Bayesian network: variables in topological order, each with parents and a table."""

    name: str
    states: dict[str, list[str]]
    parents: dict[str, list[str]]
    tables: dict[str, np.ndarray]  # axes [parents..., variable], rows sum to one
    pgmpy_model: object

    @property
    def variables(self) -> list[str]:
        return list(self.tables)

    def leaves(self) -> list[str]:
        """Variables no other variable depends on."""
        used = {p for ps in self.parents.values() for p in ps}
        return [v for v in self.variables if v not in used]


def bif_path(name: str) -> str:
    """The ``.bif.gz`` file of a network inside the installed pgmpy package."""
    import pgmpy
    return os.path.join(os.path.dirname(pgmpy.__file__), "utils", "example_models", f"{name}.bif.gz")


def load(name: str) -> BayesNet:
    """Read a shipped network with pgmpy's BIF reader and normalise its tables."""
    from pgmpy.readwrite import BIFReader
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with gzip.open(bif_path(name), "rt") as f:
            model = BIFReader(string=f.read()).get_model()
    order = _topological({v: list(model.get_parents(v)) for v in model.nodes()})
    states, parents, tables = {}, {}, {}
    for v in order:
        cpd = model.get_cpds(v)
        parents[v] = list(cpd.variables[1:])
        states[v] = [str(s) for s in cpd.state_names[v]]
        table = np.moveaxis(np.asarray(cpd.values, dtype=float), 0, -1)
        table = table / table.sum(axis=-1, keepdims=True)
        tables[v] = np.ascontiguousarray(table)
        cpd.values = np.moveaxis(table, -1, 0).copy()  # pgmpy works on the very same numbers
    return BayesNet(name, states, parents, tables, model)


def to_net(bn: BayesNet) -> Net:
    """One box per table: the parents' wires in, the variable's wire out."""
    types = {v: FinSet(v, s) for v, s in bn.states.items()}
    net = Net()
    for v in bn.variables:
        kernel = Kernel(bn.tables[v], [(p, types[p]) for p in bn.parents[v]], [(v, types[v])], name=v)
        net.add_box(v, kernel, bn.parents[v], [v])
    return net


def pyagrum():
    """The pyAgrum module (imported as ``pyagrum`` since 2.0, ``pyAgrum`` before)."""
    try:
        import pyagrum as gum
    except ImportError:  # pragma: no cover - older pyAgrum
        import pyAgrum as gum
    return gum


def to_pyagrum(bn: BayesNet):
    """A pyAgrum ``BayesNet`` holding the same tables (pyAgrum stores the variable's axis first)."""
    gum = pyagrum()
    g = gum.BayesNet(bn.name)
    ids = {v: g.add(gum.RangeVariable(agrum_name(v), v, 0, len(bn.states[v]) - 1)) for v in bn.variables}
    for v in bn.variables:
        for p in bn.parents[v]:
            g.addArc(ids[p], ids[v])
    ours = {agrum_name(v): v for v in bn.variables}
    for v in bn.variables:
        cpt = g.cpt(ids[v])
        axes = [bn.variables.index(ours[n]) for n in cpt.names]  # the variable first, then its parents
        order = bn.parents[v] + [v]  # our table's axes
        perm = [order.index(bn.variables[a]) for a in axes]
        # fillWith reads the values with the first name varying fastest: reverse pyAgrum's order
        cpt.fillWith(np.transpose(bn.tables[v], perm[::-1]).reshape(-1).tolist())
    return g


def agrum_name(v: str) -> str:
    """A variable's name for pyAgrum (letters, digits and ``_`` only)."""
    return "v_" + "".join(c if c.isalnum() else "_" for c in v)


def _topological(parents: dict[str, list[str]]) -> list[str]:
    order, seen = [], set()

    def visit(v):
        if v in seen:
            return
        seen.add(v)
        for p in parents[v]:
            visit(p)
        order.append(v)
    for v in sorted(parents):
        visit(v)
    return order
