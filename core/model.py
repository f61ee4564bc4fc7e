"""Models: one compiled object per question asked of a proposal.

A :class:`Model` is what a proposal file compiles to for given sizes: the evaluable
``target`` (a :class:`~markovwire.Net`, or an :class:`~markovwire.episode.Episode`
for a stateful system), the parameters in force, and the named queries. Every
number any front end shows (command line, JSON, Python, the UI, an analysis) is a
query of a model evaluated at parameter values, so one question has one answer.

A model is immutable: a parameter that sizes a type or counts steps is
``structural``, fixed when the model is compiled; asking for another value of it is
refused here, and a front end compiles a new model instead.

>>> from markovwire import FinSet, Kernel, Net, Parameter
>>> from markovwire.analysis import Query
>>> Act = FinSet("Act", ["clean", "attack"])
>>> beta = Parameter("beta", (0, 1), default=0.1)
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([1 - beta, beta], [], [Act], params=[beta]), [], ["act"])
>>> m = Model(net, {"beta": beta}, {"attack": Query.probability({"act": "attack"})})
>>> m.value("attack"), m.value("attack", {"beta": [0.2, 0.3]}).tolist()
(0.1, [0.2, 0.3])
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Mapping

import numpy as np

from .analysis.query import Query
from .errors import ParameterError, UnknownName
from .params import Parameter


@dataclass(frozen=True)
class Model:
    """A compiled proposal: ``target``, the ``parameters`` in force (defaults are the values compiled with),
    the named ``queries``, the steps of queries asked at another time than the episode's end, and the names
    of ``structural`` parameters (fixed by compilation)."""

    target: Any                                   # Net | Episode
    parameters: Mapping[str, Parameter]
    queries: Mapping[str, Query]
    steps: Mapping[str, int] = field(default_factory=dict)
    structural: frozenset = frozenset()
    name: str = "model"

    def target_of(self, query: str):
        """What query ``query`` is evaluated on (an episode run for the query's own number of steps)."""
        self.query(query)
        if query in self.steps:
            return self.target.after(self.steps[query])
        return self.target

    def query(self, name: str) -> Query:
        if name not in self.queries:
            close = difflib.get_close_matches(name, list(self.queries), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UnknownName(f"{self.name!r}", f"has no query {name!r}{hint}",
                              fix=f"use one of: {', '.join(self.queries) or 'no queries declared'}")
        return self.queries[name]

    @property
    def is_episode(self) -> bool:
        return bool(getattr(self.target, "is_episode", False))

    def used(self, query: str | None = None) -> dict[str, Parameter]:
        """The parameters that matter: the target's, the queries' tables' (one query's, if named)."""
        out = dict(self.target.params)
        for q in ([self.query(query)] if query is not None else self.queries.values()):
            out.update({p.name: p for p in q.params})
        return out

    def values(self, values: Mapping[str, object] | None = None, query: str | None = None) -> dict[str, object]:
        """``values`` checked (known names, inside domains, structural ones as compiled), and every other
        parameter the target or the query uses at its default."""
        values = dict(values or {})
        out: dict[str, object] = {}
        for n, v in values.items():
            if n not in self.parameters:
                close = difflib.get_close_matches(n, list(self.parameters), n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise ParameterError(f"{self.name!r}", f"unknown parameter {n!r}{hint}",
                                     fix=f"use one of: {', '.join(sorted(self.used()))}")
            p = self.parameters[n]
            arr = np.asarray(p.check(v), dtype=float)
            if n in self.structural and np.any(arr != p.default):
                raise ParameterError(f"{self.name!r}, parameter {n!r}", f"sizes a type or counts steps; this model "
                                     f"was compiled with {n} = {p.default:g}",
                                     fix="compile the proposal again with the new value")
            out[n] = arr if arr.ndim else float(arr)
        for n, p in self.used(query).items():
            if n not in out and p.default is not None:
                out[n] = p.default
        return out

    def value(self, query: str, values: Mapping[str, object] | None = None):
        """Query ``query`` at ``values`` (arrays sweep: the result has their shape; a distribution has one
        more axis, over :meth:`labels`)."""
        target, q = self.target_of(query), self.query(query)
        own = self.used(query)
        vals = {k: v for k, v in self.values(values, query).items() if k in own and k not in self.structural}
        return q.value(target, vals)

    def question(self, query: str, values: Mapping[str, object] | None = None):
        """``(target, query, values)`` for an analysis at scalar ``values``: the query's table evaluated there,
        and the values of the target's parameters (defaults filled in)."""
        target, q = self.target_of(query), self.query(query)
        vals = self.values(values, query)
        params = target.params
        return target, q.bound(vals), {k: v for k, v in vals.items() if k in params and k not in self.structural}

    def why_infinite(self, query: str, values: Mapping[str, object] | None = None) -> str | None:
        """Why a KL divergence query is infinite at scalar ``values`` (None when it is finite or not a KL)."""
        target, q, vals = self.question(query, values)
        return q.why_infinite(target, vals)

    def labels(self, query: str) -> list[str]:
        """The joint labels of a distribution query's wires."""
        return self.query(query).labels(self.target)
