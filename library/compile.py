"""Compiling a built proposal to the core's one evaluable object, a :class:`~markovwire.model.Model`.

A proposal whose sizes are fixed (its structural parameters at given values) compiles
to its net, or for an episode to the :class:`~markovwire.episode.Episode` of its system
run for ``episode.steps`` steps, and its file queries to core queries (an expectation's
table keeps its parameters as expressions, evaluated with the same values as the net).
Nothing here evaluates: every number is a query of the model.

>>> from markovwire.library.shipped import proposals_dir
>>> from markovwire.library.proposal import load_proposal
>>> m = compile_model(load_proposal(proposals_dir() / "trusted_monitoring.yaml"))
>>> m.target
Episode(trusted_monitoring: state episode.state: Status; 5000 steps)
>>> round(m.value("safety"), 4)
0.6487
"""
from __future__ import annotations

import itertools

import sympy

from markovwire.analysis import Query
from markovwire.model import Model


def compile_model(proposal) -> Model:
    """The model of a built proposal at its structural parameters' values (see the module docstring)."""
    queries = {name: core_query(proposal, q) for name, q in proposal.queries.items()}
    steps = {name: query_steps(proposal, q) for name, q in proposal.queries.items() if q.spec.steps is not None}
    target = proposal.net() if proposal.system is None else proposal.system.episode(proposal.steps)
    return Model(target, dict(proposal.all_parameters), queries, steps, frozenset(proposal.structural),
                 proposal.name)


def core_query(proposal, q) -> Query:
    """The core query of a prepared file query (wires resolved, labels checked)."""
    given, at, name = dict(q.given), dict(q.inputs), q.text
    if q.kind == "probability":
        names = list(q.spec.probability)
        return Query.probability({w: q.spec.probability[n] for w, n in zip(q.wires, names)}, given=given, at=at,
                                 name=name)
    if q.kind == "distribution":
        return Query.distribution(q.wires, given=given, at=at, name=name)
    entries = proposal.expectation_entries(q)
    table = {tuple(t[i] for t, i in zip(q.types, idx)): e
             for idx, e in zip(itertools.product(*(range(len(t)) for t in q.types)), entries.flat)}
    symbols = {s.name for e in entries.flat if isinstance(e, sympy.Basic) for s in e.free_symbols}
    params = [proposal.all_parameters[n] for n in sorted(symbols)]
    return Query.expectation(q.wires, table, given=given, at=at, name=name, params=params)


def query_steps(proposal, q) -> int:
    """The number of steps after which an episode's query is asked."""
    T = q.spec.steps if q.spec.steps is not None else proposal.spec.episode.steps
    return int(T if isinstance(T, int) else proposal.all_parameters[T].default)
