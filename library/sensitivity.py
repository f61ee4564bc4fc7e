"""Sensitivities of a proposal's queries to its parameters, ranked.

A single-shot proposal's query is a :class:`~markovwire.analysis.Query` on its net, so the
core's :func:`~markovwire.analysis.sensitivities` differentiates it (symbolically when the
net is small, else through the contraction). An episode's query is answered by the
proposal itself: :class:`AskProposal` is a query whose value is the proposal's answer,
so the core's batched central differences, its ranking and its table serve episodes too.

>>> from markovwire.library import load_proposal
>>> from markovwire.library.shipped import default_proposal
>>> table = sensitivities_of(load_proposal(default_proposal()), "safety")
>>> round(table["sigma"].derivative, 3)      # more working backdoors, less safety
-0.872
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from markovwire.analysis import Query, SensitivityTable, sensitivities
from markovwire.errors import FileFormatError


@dataclass(frozen=True)
class AskProposal(Query):
    """A query answered by a proposal (vectorised over arrays of parameter values, like any query)."""

    proposal: Any = None

    def value(self, net, values=None, *, symbolic: bool = False):
        return self.proposal.value(self.name, values or {})

    def __str__(self) -> str:
        return self.name


def sensitivities_of(proposal, query: str, values: Mapping[str, float] | None = None) -> SensitivityTable:
    """``d query / d p`` for every parameter of the proposal's kernels at ``values`` (defaults elsewhere), ranked."""
    values = dict(values or {})
    q = proposal.queries[query]
    if q.kind == "distribution":
        raise FileFormatError(proposal.where("queries", query), f"{query!r} is a distribution, not one number",
                              fix="ask for the probability of one label instead")
    structural = {n: v for n, v in values.items() if n in proposal.structural}
    target = proposal._with_values(structural) if structural else proposal
    net = target.net()
    point = {n: v for n, v in values.items() if n in net.params}
    if target.system is None:
        return sensitivities(net, target.analysis_query(query, values), values=point)
    names = [n for n in target.parameters if n in net.params]
    at = {n: point.get(n, p.default) for n, p in target.all_parameters.items() if n in names and p.default is not None}
    return sensitivities(net, AskProposal("probability", (), name=query, proposal=target), names, at,
                         method="numeric")


def table_depends_on_parameters(proposal, query: str) -> bool:
    """Whether an expectation query's own table uses parameters (held fixed when differentiating)."""
    q = proposal.queries[query]
    return q.kind == "expectation" and any(getattr(e, "free_symbols", ()) for e in
                                           proposal._expectation_entries(q).flat)
