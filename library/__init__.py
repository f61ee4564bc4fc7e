"""markovwire.library: component libraries and proposals from files, and the shipped ones.

The API, for the command line, the terminal UI and notebooks:

Libraries
    ``load_library(name_or_path) -> Library`` — a library by name (user directory,
    ``MARKOVWIRE_LIBRARY_PATH``, installed packages) or by path. A :class:`Library` has
    ``name``, ``version``, ``doc``, ``parameters`` (name → :class:`~markovwire.Parameter`),
    ``types(sizes)``, ``components`` (name → :class:`Component`) and ``problems()``.
    A :class:`Component` has ``name``, ``qualname``, ``signature``, ``doc``, ``source``,
    ``spec`` and ``instantiate(name, ...)`` (a :class:`~markovwire.diagrams.Box`, or a
    :class:`~markovwire.diagrams.stateful.StatefulBox` for a stateful component).
    ``available_libraries()`` maps names to files; ``find_component("lib.comp")`` finds one.

Proposals
    ``load_proposal(path) -> Proposal``; also ``proposal_from_text(text)`` and
    ``proposal_from_data(mapping)``. A :class:`Proposal` has ``spec`` (the validated
    :class:`~markovwire.library.schema.ProposalFile`), ``instances`` (name → box),
    ``diagram`` (as written: a string diagram or a wiring diagram), ``wiring`` (always a
    :class:`~markovwire.diagrams.WiringDiagram`), ``system`` (for an episode), ``net()``,
    ``parameters`` (the ones that matter), ``all_parameters``, ``queries`` (name →
    prepared query), ``sweeps``, ``adversary``; ``evaluate(values, queries, progress)``
    (name → number, label → probability, or a ``WorstCase``; array values sweep),
    ``replace(**keys)`` (an edited copy, validated afresh), ``to_yaml()`` and ``save(path)``
    (atomic). ``sweep_grid(sweeps)`` makes sweep values; ``to_jsonable(results)`` JSON data.

Checking
    ``check_file(path) -> list[MarkovwireError]``: every problem of a library or proposal
    file, each naming ``file:line: key`` and a fix; ``proposal_problems(data)`` the same for
    a proposal held as data (lines then refer to its clean YAML dump). Loading functions raise the same
    problems (one error, or an :class:`~markovwire.ErrorList`).

Shipped
    ``shipped_proposals()``, ``default_proposal()``; the ``alignment`` library.

>>> lib = load_library("alignment")
>>> lib.components["trusted_monitor"].signature
'act: Act → sus: Sus'
>>> p = load_proposal(default_proposal())
>>> p.name, sorted(p.queries)[:2]
('trusted_monitoring', ['p_catastrophe', 'p_caught'])
"""
from __future__ import annotations

import difflib

from markovwire.errors import UnknownName

from .discovery import available_libraries, find_library, installed_libraries, user_library_dirs
from .loader import Component, Library, load_library, load_library_text
from .proposal import (
    Proposal,
    check_file,
    file_kind,
    load_proposal,
    proposal_from_data,
    proposal_from_text,
    proposal_problems,
    sweep_grid,
    to_jsonable,
)
from .shipped import default_proposal, proposal_paths as shipped_proposals

__all__ = [
    "Library", "Component", "load_library", "load_library_text", "available_libraries", "find_library",
    "installed_libraries", "user_library_dirs", "find_component",
    "Proposal", "load_proposal", "proposal_from_text", "proposal_from_data", "proposal_problems", "check_file",
    "file_kind",
    "sweep_grid", "to_jsonable", "shipped_proposals", "default_proposal",
]


def find_component(name: str) -> Component:
    """A component by ``library.component``, or by a name unique among the available libraries."""
    libs = available_libraries()
    lib_name, _, comp = name.rpartition(".")
    if lib_name:
        if lib_name not in libs:
            raise UnknownName(f"component {name!r}", f"unknown library {lib_name!r}",
                              fix=f"use one of: {', '.join(sorted(libs)) or 'none found'}")
        return load_library(libs[lib_name]).component(comp, where=f"library {lib_name!r}")
    found, known = [], []
    for lib_ref in libs.values():
        lib = load_library(lib_ref)
        known += list(lib.components)
        if comp in lib.components:
            found.append(lib.components[comp])
    if len(found) == 1:
        return found[0]
    if found:
        raise UnknownName(f"component {name!r}", f"is in several libraries: {', '.join(c.library.name for c in found)}",
                          fix=f"write it as library.component, e.g. {found[0].qualname}")
    close = difflib.get_close_matches(comp, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise UnknownName(f"component {name!r}", f"is not a library or a component of one{hint}",
                      fix="markovwire library list shows every library and component")
