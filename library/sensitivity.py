"""Sensitivities of a proposal's queries to its parameters, ranked.

A query of the proposal's compiled model is a core :class:`~markovwire.analysis.Query` on
its target, so the core's :func:`~markovwire.analysis.sensitivities` differentiates it:
symbolically when a net is small, else numerically (always for an episode, whose query is
evaluated by the same engine at every stencil point, batched into one sweep).

>>> from markovwire.library import load_proposal
>>> from markovwire.library.shipped import default_proposal
>>> table = sensitivities_of(load_proposal(default_proposal()), "safety")
>>> round(table["sigma"].derivative, 3)      # more working backdoors, less safety
-0.872
"""
from __future__ import annotations

from typing import Mapping

from markovwire.analysis import SensitivityTable, sensitivities
from markovwire.errors import FileFormatError


def sensitivities_of(proposal, query: str, values: Mapping[str, float] | None = None) -> SensitivityTable:
    """``d query / d p`` for every parameter of the proposal's kernels at ``values`` (defaults elsewhere), ranked.

    Structural parameters (sizes, steps) select the compiled model; the query's own table is held at ``values``.
    """
    values = proposal._checked_values(values)
    if not proposal.queries[query].is_linear:
        raise FileFormatError(proposal.where("queries", query), f"{query!r} is {proposal.queries[query].spec.what}, "
                              "not a probability or an expectation",
                              fix="ask for the sensitivity of a probability or an expectation")
    model = proposal.model(values)
    target, q, point = model.question(query, {n: v for n, v in values.items() if n not in model.structural})
    names = [n for n in target.params if n in target.free_parameters]
    if model.is_episode:
        return sensitivities(target, q, names, point, method="numeric")
    return sensitivities(target, q, names, values=point)


def table_depends_on_parameters(proposal, query: str) -> bool:
    """Whether an expectation query's own table uses parameters (held fixed when differentiating)."""
    return bool(proposal.model().query(query).params)
