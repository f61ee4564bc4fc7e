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

import dataclasses
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
    spec = getattr(q.spec, q.kind)
    if q.kind == "probability":
        names = list(q.spec.probability)
        return Query.probability({w: q.spec.probability[n] for w, n in zip(q.wires, names)}, given=given, at=at,
                                 name=name)
    if q.kind == "distribution":
        return Query.distribution(q.wires, given=given, at=at, name=name)
    if q.kind == "entropy":
        of, cond = q.wires[:len(spec.of)], q.wires[len(spec.of):]
        return Query.entropy(of, conditional_on=cond, unit=spec.unit, given=given, at=at, name=name)
    if q.kind == "mutual_information":
        n, m = len(spec.between[0]), len(spec.between[1])
        return Query.mutual_information(q.wires[:n], q.wires[n:n + m], conditional_on=q.wires[n + m:],
                                        unit=spec.unit, given=given, at=at, name=name)
    if q.kind in ("kl", "tv"):
        divergence = Query.kl if q.kind == "kl" else Query.tv
        unit = {"unit": spec.unit} if q.kind == "kl" else {}
        if isinstance(q.against, str):       # a distribution query of the file, with its own evidence
            against = dataclasses.replace(core_query(proposal, proposal.queries[q.against]), name=q.against)
        elif q.against is not None:          # other wires, under the same evidence
            against = list(q.against)
        else:
            against, params = _table(proposal, q)
            return divergence(q.wires, against, given=given, at=at, name=name, params=params, **unit)
        return divergence(q.wires, against, given=given, at=at, name=name, **unit)
    table, params = _table(proposal, q)
    return Query.expectation(q.wires, table, given=given, at=at, name=name, params=params)


def _table(proposal, q) -> tuple[dict, list]:
    """An expectation's (or a divergence's reference) table by label tuples, and the parameters it uses."""
    entries = proposal.table_entries(q)
    table = {tuple(t[i] for t, i in zip(q.types, idx)): e
             for idx, e in zip(itertools.product(*(range(len(t)) for t in q.types)), entries.flat)}
    symbols = {s.name for e in entries.flat if isinstance(e, sympy.Basic) for s in e.free_symbols}
    return table, [proposal.all_parameters[n] for n in sorted(symbols)]


def query_steps(proposal, q) -> int:
    """The number of steps after which an episode's query is asked."""
    T = q.spec.steps if q.spec.steps is not None else proposal.spec.episode.steps
    return int(T if isinstance(T, int) else proposal.all_parameters[T].default)
