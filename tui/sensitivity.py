"""Sensitivities of a proposal's query to its parameters, through the core's ``sensitivities``.

The core differentiates a :class:`~markovwire.analysis.Query` on a net; a proposal's query
may instead ask about an episode of many steps. :class:`AskProposal` is a query whose value
is the proposal's own answer, so the core's batched central differences (and its integer
differences, its ranking and its table) serve proposals unchanged.

>>> from markovwire.library import load_proposal
>>> from markovwire.library.shipped import default_proposal
>>> table = proposal_sensitivities(load_proposal(default_proposal()), "safety")
>>> round(table["sigma"].derivative, 3)      # more working backdoors, less safety
-0.872
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from markovwire.analysis import Query, SensitivityTable, sensitivities


@dataclass(frozen=True)
class AskProposal(Query):
    """A query answered by a proposal (vectorised over arrays of parameter values, like any query)."""

    proposal: Any = None

    def value(self, net, values=None, *, symbolic: bool = False):
        return self.proposal.value(self.name, values or {})

    def __str__(self) -> str:
        return self.name


def proposal_sensitivities(proposal, query: str) -> SensitivityTable:
    """``d query / d p`` for every parameter the proposal's kernels use, at the proposal's values, ranked."""
    net = proposal.net()
    names = [n for n in proposal.parameters if n in net.params]
    values = {n: p.default for n, p in proposal.all_parameters.items() if n in names and p.default is not None}
    ask = AskProposal("probability", (), name=query, proposal=proposal)
    return sensitivities(net, ask, names, values, method="numeric")
