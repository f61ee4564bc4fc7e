"""Information flow: what can depend on what, and the independences the wiring implies.

Two graphs over the wires of a net:

- the *flow* graph: a wire flows into every output of each box that reads it.
  ``A`` can depend on ``B`` only if there is a directed path from ``B`` to ``A``
  (:func:`dependencies`, :func:`path`, "the monitor never sees the reward");
- the *Bayesian-network* DAG for d-separation: each box's output wires have the
  box's input wires as parents, and, since one box's outputs may be correlated,
  each output also has the box's earlier outputs as parents (the chain rule; this
  DAG is an I-map of every distribution the net can produce, so d-separation in it
  implies conditional independence). Outer inputs are roots; a kernel is
  conditional on its inputs, so they are always conditioned on unless they appear
  in the question itself.

>>> from markovwire import FinSet, Kernel, Net
>>> B = FinSet("Bit", ["0", "1"])
>>> net = Net()
>>> _ = net.add_box("a", Kernel([0.5, 0.5], [], [B]), [], ["x"])
>>> _ = net.add_box("b", Kernel([0.3, 0.7], [], [B]), [], ["y"])
>>> _ = net.add_box("xor", Kernel.deterministic(lambda p, q: str(int(p) ^ int(q)), [B, B], [B]), ["x", "y"], ["z"])
>>> bool(independent(net, ["x"], ["y"])), bool(independent(net, ["x"], ["y"], given=["z"]))
(True, False)
>>> print(independent(net, ["x"], ["y"], given=["z"]))
x ⊥ y | z: no (path: x → z ← y)
>>> print(checklist(net, [NeverSees("xor", "x"), CannotAffect("x", "y")]))
xor never sees x: no (path: x → [xor])
x cannot affect y: yes
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Iterable, Sequence

from ..errors import ShapeError, UnknownName
from ..net import Net


# ----- the flow graph ------------------------------------------------------------------------
def _wire(net: Net, w: str, where: str) -> str:
    if w not in net.wires:
        raise UnknownName(where, f"{w!r} is not a wire of the net", fix=f"use one of: {', '.join(net.wires)}")
    return w


def _wires(net: Net, ws, where: str) -> tuple[str, ...]:
    ws = (ws,) if isinstance(ws, str) else tuple(ws)
    return tuple(_wire(net, w, where) for w in ws)


def _flow(net: Net) -> dict[str, list[tuple[str, str]]]:
    """For each wire, the ``(box, output wire)`` pairs it flows into."""
    out: dict[str, list[tuple[str, str]]] = {w: [] for w in net.wires}
    for b in net.boxes:
        for x in dict.fromkeys(b.inputs):
            out.setdefault(x, []).extend((b.name, y) for y in b.outputs)
    return out


def ancestors(net: Net, wires: Iterable[str]) -> set[str]:
    """The wires that can flow into any of ``wires`` (including themselves)."""
    producer = {y: b for b in net.boxes for y in b.outputs}
    seen, todo = set(), list(wires)
    while todo:
        w = todo.pop()
        if w in seen:
            continue
        seen.add(w)
        if w in producer:
            todo.extend(producer[w].inputs)
    return seen


def ancestor_boxes(net: Net, wires: Iterable[str]) -> list[str]:
    """The boxes whose outputs can flow into any of ``wires`` (the only ones that can change them)."""
    anc = ancestors(net, wires)
    return [b.name for b in net.boxes if any(y in anc for y in b.outputs)]


def path(net: Net, source: str, target: str) -> list[str] | None:
    """A directed flow path from wire ``source`` to wire ``target``: ``[wire, [box], wire, …]``, or None."""
    _wire(net, source, "flow path"), _wire(net, target, "flow path")
    flow = _flow(net)
    prev: dict[str, tuple[str, str] | None] = {source: None}
    todo = deque([source])
    while todo:
        w = todo.popleft()
        if w == target:
            steps = [w]
            while prev[w] is not None:
                box, w = prev[w]
                steps[:0] = [w, f"[{box}]"]
            return steps
        for box, y in flow.get(w, ()):
            if y not in prev:
                prev[y] = (box, w)
                todo.append(y)
    return None


def sees(net: Net, box: str, wire: str) -> list[str] | None:
    """A flow path from ``wire`` into one of ``box``'s inputs, ending at the box, or None."""
    b = net.box(box)
    _wire(net, wire, f"box {box!r} sees")
    for x in b.inputs:
        p = path(net, wire, x)
        if p is not None:
            return p + [f"[{box}]"]
    return None


@dataclass
class Dependencies:
    """Per output wire: the outer inputs, hidden wires and boxes it can depend on."""

    rows: dict[str, dict[str, list[str]]]

    def __str__(self) -> str:
        lines = []
        for w, r in self.rows.items():
            lines.append(f"{w} can depend on")
            for k in ("inputs", "hidden", "boxes"):
                lines.append(f"  {k:>6}: {', '.join(r[k]) or '—'}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {w: {k: list(v) for k, v in r.items()} for w, r in self.rows.items()}


def dependencies(net: Net, outputs: Sequence[str] | None = None) -> Dependencies:
    """Which outer inputs, hidden wires and boxes each output can depend on (graph reachability)."""
    outputs = _wires(net, net.outputs if outputs is None else outputs, "dependencies")
    rows = {}
    for w in outputs:
        anc = ancestors(net, [w]) - {w}
        rows[w] = {"inputs": [x for x in net.inputs if x in anc],
                   "hidden": [x for x in net.wires if x in anc and x not in net.inputs and x not in net.outputs],
                   "boxes": ancestor_boxes(net, [w])}
    return Dependencies(rows)


# ----- d-separation -----------------------------------------------------------------------
def _dag(net: Net) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Parents and children over wires: box inputs and earlier outputs of the same box are parents."""
    parents: dict[str, list[str]] = {w: [] for w in net.wires}
    for b in net.boxes:
        for j, y in enumerate(b.outputs):
            parents[y] = list(dict.fromkeys(list(b.inputs) + list(b.outputs[:j])))
    children: dict[str, list[str]] = {w: [] for w in net.wires}
    for y, ps in parents.items():
        for p in ps:
            children[p].append(y)
    return parents, children


def active_path(net: Net, a: Iterable[str], b: Iterable[str], given: Iterable[str] = ()) -> list[str] | None:
    """An active trail from ``a`` to ``b`` given ``given`` (Bayes ball): ``[w, '→' or '←', w, …]``, or None."""
    parents, children = _dag(net)
    a, b, z = set(a), set(b), set(given)
    anc_z = set()
    todo = list(z)
    while todo:
        w = todo.pop()
        if w not in anc_z:
            anc_z.add(w)
            todo.extend(parents[w])
    # states: (wire, arrived): "up" = reached from a child, "down" = reached from a parent
    prev: dict[tuple[str, str], tuple[str, str] | None] = {}
    todo2 = deque()
    for w in sorted(a):
        prev[(w, "up")] = None
        todo2.append((w, "up"))
    while todo2:
        state = todo2.popleft()
        w, d = state
        if w in b and w not in z:
            return _trail(prev, state)
        nxt = []
        if d == "up" and w not in z:
            nxt += [(p, "up") for p in parents[w]] + [(c, "down") for c in children[w]]
        elif d == "down":
            if w not in z:
                nxt += [(c, "down") for c in children[w]]
            if w in anc_z:
                nxt += [(p, "up") for p in parents[w]]
        for s in nxt:
            if s not in prev:
                prev[s] = state
                todo2.append(s)
    return None


def _trail(prev, state) -> list[str]:
    states = []
    while state is not None:
        states.append(state)
        state = prev[state]
    states.reverse()
    out = [states[0][0]]
    for w, d in states[1:]:
        out += ["←" if d == "up" else "→", w]
    return out


@dataclass
class FlowCheck:
    """One claim about a net and whether it holds, with a witness path when it does not."""

    claim: str
    holds: bool
    path: str | None = None

    def __bool__(self) -> bool:
        return self.holds

    def __str__(self) -> str:
        return f"{self.claim}: {'yes' if self.holds else 'no'}" + (
            f" (path: {self.path})" if self.path and not self.holds else "")

    def to_dict(self) -> dict:
        return {"claim": self.claim, "holds": self.holds, "path": self.path}


def independent(net: Net, a, b, given=()) -> FlowCheck:
    """Whether the wiring implies ``a ⊥ b | given`` (d-separation; true for every choice of kernels)."""
    net.check()
    a, b, z = (_wires(net, x, "independence") for x in (a, b, given))
    if not a or not b:
        raise ShapeError("independence", "needs at least one wire on each side", fix="name wires for a and b")
    fixed = tuple(w for w in net.inputs if w not in a and w not in b and w not in z)
    trail = active_path(net, a, b, z + fixed)
    text = f"{', '.join(a)} ⊥ {', '.join(b)}" + (f" | {', '.join(z)}" if z else "")
    return FlowCheck(text, trail is None, None if trail is None else " ".join(trail))


# ----- a checklist of claims ------------------------------------------------------------------
@dataclass(frozen=True)
class NeverSees:
    """Claim: information on ``wire`` never reaches an input of ``box``."""

    box: str
    wire: str

    def check(self, net: Net) -> FlowCheck:
        p = sees(net, self.box, self.wire)
        return FlowCheck(f"{self.box} never sees {self.wire}", p is None, p and " → ".join(p))


@dataclass(frozen=True)
class CannotAffect:
    """Claim: wire (or box) ``source`` has no directed path to wire ``target``."""

    source: str
    target: str

    def check(self, net: Net) -> FlowCheck:
        _wire(net, self.target, "claim")
        starts = list(net.box(self.source).outputs) if self.source not in net.wires else [self.source]
        for s in starts:
            p = path(net, s, self.target)
            if p is not None:
                p = ([f"[{self.source}]"] if self.source not in net.wires else []) + p
                return FlowCheck(f"{self.source} cannot affect {self.target}", False, " → ".join(p))
        return FlowCheck(f"{self.source} cannot affect {self.target}", True)


@dataclass(frozen=True)
class Independent:
    """Claim: ``a ⊥ b | given`` for every choice of the kernels (d-separation)."""

    a: tuple[str, ...]
    b: tuple[str, ...]
    given: tuple[str, ...] = ()

    def check(self, net: Net) -> FlowCheck:
        return independent(net, self.a, self.b, self.given)


@dataclass
class FlowChecklist:
    """The claims about a net and their verdicts, one per line."""

    checks: list[FlowCheck]

    @property
    def all_hold(self) -> bool:
        return all(c.holds for c in self.checks)

    def __str__(self) -> str:
        return "\n".join(str(c) for c in self.checks)

    def to_dict(self) -> dict:
        return {"all_hold": self.all_hold, "checks": [c.to_dict() for c in self.checks]}


def checklist(net: Net, claims: Iterable) -> FlowChecklist:
    """Check every claim (:class:`NeverSees`, :class:`CannotAffect`, :class:`Independent`)."""
    net.check()
    return FlowChecklist([c.check(net) for c in claims])
