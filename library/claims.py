"""A proposal's information-flow claims (``claims:`` in the file), checked on its wiring.

``never_sees: [monitor, reward]`` holds when no directed path carries the wire into an
input of the instance; ``cannot_affect: [policy, audit]`` when no directed path leads
from the instance's outputs (or from a wire) to the wire; ``independent: [[a], [b],
[given]]`` when the wiring d-separates them, so that it holds for every choice of
kernels. Wires are named as in queries: an outer port, ``box.port``, or a stateful
instance for its state.

In an episode, information also flows through the state into later steps: the first
two kinds are traced on the step net with each next state joined to its state (flow
over the whole episode). Independence is checked within one step, given the states
at its start.

>>> from markovwire.library.shipped import proposals_dir
>>> from markovwire.library.proposal import load_proposal
>>> print(load_proposal(proposals_dir() / "trusted_monitoring.yaml").claims())
policy never sees monitor.sus: yes
monitor.sus ⊥ intent | policy.act: yes
"""
from __future__ import annotations

from markovwire.analysis import FlowCheck, FlowChecklist, independent, path, sees
from markovwire.errors import UnknownName

from .schema import ClaimSpec


def checklist(proposal) -> FlowChecklist:
    """Every claim of the proposal file, checked."""
    return FlowChecklist([claim(proposal, spec, i) for i, spec in enumerate(proposal.spec.claims)])


def claim(proposal, spec: ClaimSpec, i: int) -> FlowCheck:
    """One claim checked, its names resolved as the file's queries resolve them."""
    where = lambda *k: proposal.where("claims", i, spec.kind, *k)
    if spec.kind == "independent":
        sides = [[proposal.wire(w, where(j, k)) for k, w in enumerate(side)] for j, side in enumerate(spec.independent)]
        check = independent(proposal.net(), *sides)
        names = [", ".join(side) for side in spec.independent]
        text = f"{names[0]} ⊥ {names[1]}" + (f" | {names[2]}" if len(names) > 2 else "")
        return FlowCheck(text, check.holds, check.path)
    first, second = getattr(spec, spec.kind)
    net = _whole_episode(proposal)
    target = _joined(proposal, proposal.wire(second, where(1)))
    if spec.kind == "never_sees":
        trails = (sees(net, b, target) for b in _boxes(proposal, net, first, where(0)))
        text = f"{first} never sees {second}"
    else:
        starts = [_joined(proposal, proposal.wire(first, where(0)))] if first not in proposal.instances else \
            [y for b in net.boxes if b.name in _boxes(proposal, net, first, where(0)) for y in b.outputs]
        head = [] if first not in proposal.instances else [f"[{first}]"]
        trails = (head + t for t in (path(net, s, target) for s in starts) if t is not None)
        text = f"{first} cannot affect {second}"
    trail = next((t for t in trails if t is not None), None)
    return FlowCheck(text, trail is None, None if trail is None else " → ".join(trail))


def _boxes(proposal, net, instance: str, where: str) -> list[str]:
    """The boxes an instance is made of (one, or several for a nested or stateful instance)."""
    owned = [b.name for b in net.boxes if b.name == instance or b.name.startswith(instance + "/")]
    if instance not in proposal.instances or not owned:
        raise UnknownName(where, f"no instance {instance!r}", fix=f"name an instance: {', '.join(proposal.instances)}")
    return owned


def _whole_episode(proposal):
    """The net on which directed flow is traced: for an episode, the step net with next states joined to states."""
    if proposal.system is None:
        return proposal.net()
    system = proposal.system
    return system.step_net.rename_wires(dict(zip(system.next_wires, system.state_wires)))


def _joined(proposal, wire: str) -> str:
    if proposal.system is None:
        return wire
    return dict(zip(proposal.system.next_wires, proposal.system.state_wires)).get(wire, wire)
