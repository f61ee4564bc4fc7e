"""A proposal's natural-latent checks (``natural_latent:`` in the file), computed on its compiled model.

Each named check gives a latent wire and observables (a wire, or a list of wires taken
jointly); wires are named as in queries (an outer port, ``box.port``, a stateful instance
for its state). The errors are those of :mod:`markovwire.analysis.latents`, computed from
the joint law of the wires in the proposal's compiled target (its net, or its episode run
for ``episode.steps`` steps), at the parameter values asked for.

>>> from markovwire.library.shipped import proposals_dir
>>> from markovwire.library.proposal import load_proposal
>>> p = load_proposal(proposals_dir() / "natural_latents.yaml")
>>> r = natural_latents(p)["difficulty"]
>>> round(r.mediation, 12), [round(x, 4) for x in r.redundancy], r.natural
(0.0, [0.6528, 0.6528], False)
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Mapping

from markovwire.analysis.latents import NaturalLatent, natural_latent
from markovwire.errors import FileFormatError, MarkovwireError

from .loader import placed
from .schema import NaturalLatentSpec


@dataclass(frozen=True)
class PreparedLatent:
    """A natural-latent check with its names resolved to wires of the proposal's net."""

    name: str
    spec: NaturalLatentSpec
    latent: tuple[str, ...]
    observables: tuple[tuple[str, ...], ...]
    given: dict[str, str]
    inputs: dict[str, str]


def prepare(proposal, name: str, spec: NaturalLatentSpec) -> PreparedLatent:
    """The check's wires resolved and labels checked; every problem is placed at its key in the file."""
    where = lambda *k: proposal.where("natural_latent", name, *k)
    single = isinstance(spec.latent, str)
    latent = tuple(proposal.wire(w, where("latent") if single else where("latent", i))
                   for i, w in enumerate([spec.latent] if single else spec.latent))
    if not spec.observables:
        wires = proposal.wire_names()
        raise FileFormatError(where("observables"), "names no observables",
                              fix=f"list the wires the latent should explain, e.g. observables: "
                                  f"[{', '.join(wires[:2])}] (a list inside the list takes wires jointly)")
    observables = []
    for i, o in enumerate(spec.observables):
        group = [o] if isinstance(o, str) else o
        observables.append(tuple(proposal.wire(w, where("observables", i) if isinstance(o, str)
                                               else where("observables", i, j)) for j, w in enumerate(group)))
        if len(set(observables[-1])) != len(group):
            raise FileFormatError(where("observables", i), "names one wire twice", fix="name each wire once")
    given, inputs = proposal.conditions(spec.given, spec.inputs, where)
    return PreparedLatent(name, spec, latent, tuple(observables), given, inputs)


def natural_latents(proposal, values: Mapping[str, object] | None = None) -> dict[str, NaturalLatent]:
    """Every check of the file at scalar parameter ``values`` (defaults elsewhere)."""
    return {name: check(proposal, name, values) for name in proposal.spec.natural_latent}


def check(proposal, name: str, values: Mapping[str, object] | None = None) -> NaturalLatent:
    """One check, on the model compiled for ``values``; evaluation errors are placed at the check's key."""
    spec = proposal.spec.natural_latent[name]
    built = proposal.built(values)
    model = built.model()
    prepared = prepare(built, name, spec)
    rest = {k: v for k, v in model.values({k: v for k, v in dict(values or {}).items()
                                           if k not in model.structural}).items()
            if k in model.target.params and k not in model.structural}
    try:
        result = natural_latent(model.target, prepared.latent, prepared.observables, values=rest,
                                given=prepared.given, at=prepared.inputs, epsilon=spec.epsilon, unit=spec.unit,
                                name=name)
    except MarkovwireError as e:
        if e.file is not None:
            raise
        raise placed(e, proposal.document.where(("natural_latent", name))) from None
    named = lambda g: (g,) if isinstance(g, str) else tuple(g)      # shown as the file names them
    return dataclasses.replace(result, latent=named(spec.latent), observables=tuple(map(named, spec.observables)))
