"""The string-diagram text of a wiring diagram, in the syntax that ``parse_diagram`` reads back.

``WiringDiagram.to_diagram`` prints plumbing as ``copy[Act]`` and ``permute[…]``, which
is for reading; the editor needs text it can parse again. This module spells the same
layering out with the four plumbing words of the file syntax only: ``copy(A)``,
``copy(A, n)``, ``discard(A)``, ``id(A)`` and ``swap(A, B)`` (a permutation becomes
layers of swaps of neighbours).

>>> from markovwire import FinSet, Kernel
>>> from markovwire.diagrams import WiringDiagram
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> wd = WiringDiagram("control", outputs=[("act", Act), ("verdict", V)])
>>> _ = wd.add_box("policy", Kernel([0.9, 0.1], [], [("act", Act)]))
>>> _ = wd.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [("act", Act)], [("verdict", V)]))
>>> wd.connect("policy.act", "monitor.act"); wd.connect("policy.act", "out.act")
>>> wd.connect("monitor.verdict", "out.verdict")
>>> expression_of(wd)
'policy >> copy(Act) >> (monitor @ id(Act)) >> swap(Verdict, Act)'
"""
from __future__ import annotations

from markovwire.diagrams.wiring import PortRef
from markovwire.errors import WiringError

Ref = PortRef


def expression_of(wd) -> str:
    """The text of ``wd`` as a string diagram; a :class:`WiringError` if it has a loop or an open input."""
    feeds = {w.target: w.source for w in wd.wires}
    for name, box in wd.boxes.items():
        for p in box.dom:
            if Ref(name, p.name) not in feeds:
                raise WiringError(f"input {name}.{p.name}", "is not connected, so there is no expression yet",
                                  fix="connect every input first")
    for p in wd.outputs:
        if Ref("out", p.name) not in feeds:
            raise WiringError(f"output out.{p.name}", "is not connected, so there is no expression yet",
                              fix="connect every outer output first")
    order = _topological(wd)
    types = {Ref("in", p.name): p.type.name for p in wd.inputs}
    for name, box in wd.boxes.items():
        types.update({Ref(name, q.name): q.type.name for q in box.cod})
    readers: dict[Ref, list[int]] = {}
    for k, name in enumerate(order):
        for p in wd.boxes[name].dom:
            readers.setdefault(feeds[Ref(name, p.name)], []).append(k)
    for p in wd.outputs:
        readers.setdefault(feeds[Ref("out", p.name)], []).append(len(order))
    current = [Ref("in", p.name) for p in wd.inputs]
    stages: list[str] = []
    for k, name in enumerate(order):
        box = wd.boxes[name]
        ins = [feeds[Ref(name, p.name)] for p in box.dom]
        keep = [s for s in current if any(r > k for r in readers.get(s, ()))]
        at = min(range(len(keep) + 1), key=lambda i: _crossings([current.index(s) for s in keep[:i] + ins + keep[i:]]))
        stages += _route([types[s] for s in current], [current.index(s) for s in keep[:at] + ins + keep[at:]])
        stages.append(_tensor([f"id({types[s]})" for s in keep[:at]] + [name] + [f"id({types[s]})" for s in keep[at:]]))
        current = keep[:at] + [Ref(name, q.name) for q in box.cod] + keep[at:]
    final = [current.index(feeds[Ref("out", p.name)]) for p in wd.outputs]
    stages += _route([types[s] for s in current], final)
    if not stages:
        raise WiringError(f"diagram {wd.name!r}", "has no boxes and no wires", fix="add a component first")
    return " >> ".join(s if len(stages) == 1 or " @ " not in s else f"({s})" for s in stages)


def _crossings(picks: list[int]) -> int:
    """How many pairs of wires cross when wires are taken to ``picks`` (the swaps needed)."""
    return sum(a > b for i, a in enumerate(picks) for b in picks[i + 1:])


def _tensor(pieces: list[str]) -> str:
    return " @ ".join(pieces)


def _route(types: list[str], picks: list[int]) -> list[str]:
    """Stages taking wires of ``types`` to the wires ``picks`` (copies, discards, then neighbour swaps)."""
    stages = []
    counts = [picks.count(i) for i in range(len(types))]
    if any(c != 1 for c in counts):
        pieces = [f"discard({t})" if c == 0 else f"id({t})" if c == 1 else f"copy({t})" if c == 2
                  else f"copy({t}, {c})" for t, c in zip(types, counts)]
        stages.append(_tensor(pieces))
    grouped = [i for i, c in enumerate(counts) for _ in range(c)]     # the wires after copying, by origin
    start = {i: grouped.index(i) for i in set(grouped)}
    seen: dict[int, int] = {}
    rank = {}                                                          # where each wire must end up
    for j, i in enumerate(picks):
        rank[start[i] + seen.get(i, 0)] = j
        seen[i] = seen.get(i, 0) + 1
    arrangement = list(range(len(grouped)))                           # odd-even transposition sort
    unsorted = lambda: any(rank[arrangement[i]] > rank[arrangement[i + 1]] for i in range(len(grouped) - 1))
    sweep = 0
    while unsorted():
        swaps = [i for i in range(sweep % 2, len(grouped) - 1, 2) if rank[arrangement[i]] > rank[arrangement[i + 1]]]
        sweep += 1
        if not swaps:
            continue
        pieces, i = [], 0
        while i < len(grouped):
            t = types[grouped[arrangement[i]]]
            if i in swaps:
                pieces.append(f"swap({t}, {types[grouped[arrangement[i + 1]]]})")
                arrangement[i], arrangement[i + 1] = arrangement[i + 1], arrangement[i]
                i += 2
            else:
                pieces.append(f"id({t})")
                i += 1
        stages.append(_tensor(pieces))
    return stages


def _topological(wd) -> list[str]:
    """Inner boxes, each after the boxes it reads; a loop has no string diagram."""
    deps = {n: {w.source.box for w in wd.wires if w.target.box == n and w.source.box in wd.boxes}
            for n in wd.boxes}
    order: list[str] = []
    while len(order) < len(deps):
        ready = [n for n in deps if n not in order and deps[n] <= set(order)]
        if not ready:
            loop = sorted(n for n in deps if n not in order)
            raise WiringError(f"diagram {wd.name!r}", f"has a loop through {', '.join(loop)}, so no string diagram",
                              fix="edit it in the wiring view (a loop through state has no expression)")
        order.append(ready[0])
    return order
