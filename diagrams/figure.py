"""Figures: what a drawing of a diagram holds, whatever kind of diagram it is.

Any diagram — a core :class:`~markovwire.Net`, a kernel, a string diagram, a
wiring diagram — is read into a :class:`Figure`: boxes with their ports, wires
from one source to their readers (a copy dot when there are several, a discard
mark when there are none), feedback wires, and clusters for nesting. How a
figure looks is :mod:`markovwire.diagrams.dot`'s business, how it becomes a
file :mod:`markovwire.diagrams.render`'s.

Diagrams are recognised by what they have (``to_net``, ``instances``, or the
tables of a wiring diagram), so that the diagram modules can show themselves
in Jupyter through this one without it importing them.

>>> from markovwire import FinSet, Kernel
>>> Act = FinSet("Act", ["clean", "attack"])
>>> figure(Kernel([0.9, 0.1], [], [("act", Act)], name="policy")).counts()["box"]
1
"""
from __future__ import annotations

from dataclasses import dataclass, field

from markovwire import Kernel, Net
from markovwire.errors import Place, RenderError

from .style import did_you_mean

FAN = 3  # a copy dot has at most this many branches to readers; more readers share second dots


@dataclass
class Node:
    """One drawn node: a box, a boundary port, a copy dot, a discard mark or a bend of a feedback wire."""

    id: str
    kind: str  # "box" | "in" | "out" | "copy" | "discard" | "bend"
    cluster: tuple[str, ...]
    label: str = ""
    inputs: tuple[tuple[str, str], ...] = ()  # (port name, type name), top to bottom
    outputs: tuple[tuple[str, str], ...] = ()
    note: str | None = None  # a small second line under a box's name
    double: bool = False  # a stateful box: drawn with a double border
    component: str = ""  # the library component a box instantiates (its ``component`` metadata), if any


@dataclass(frozen=True)
class End:
    """Where a wire attaches: a node, and the port cell of a box (``i0``, ``o1``) if any."""

    node: str
    port: str | None = None


@dataclass
class Wire:
    """A wire from one source to its readers; ``feedback[k]`` marks the k-th reader's wire.

    A wire with several readers passes through a copy dot, one with none ends in a
    discard mark: its ``helper`` node. Past :data:`FAN` readers the dot splits into a small
    tree: the readers, in order, in groups of at most ``FAN``, each group read from a second
    dot (``taps[k]``) on a branch of the first (``branches``; of a third past ``FAN**2``
    readers, ...), so that no dot is a hub of many lines.
    A feedback wire leaves its source's port, turns at a bend node, runs back around the
    diagram and turns again into its reader's port: ``bends[k]`` (laid out as a forward
    edge, it is routed around boxes rather than through them).
    """

    source: End
    targets: list[End]
    type: str
    feedback: list[bool]
    helper: Node | None = None
    bends: list[tuple[Node, Node] | None] = field(default_factory=list)
    taps: list[Node | None] = field(default_factory=list)  # the copy dot the k-th reader hangs from, if not helper
    branches: list[tuple[Node, Node | None]] = field(default_factory=list)  # (dot, the dot it hangs from or None)


@dataclass
class Figure:
    """Nodes, wires and labelled clusters (paths of nested names), in a fixed order."""

    title: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)  # by id, in the order drawn
    wires: list[Wire] = field(default_factory=list)
    clusters: dict[tuple[str, ...], str] = field(default_factory=dict)
    _taken: dict[str, int] = field(default_factory=dict, repr=False)  # base id -> the last ``~k`` given it

    def add(self, kind: str, key: str, cluster: tuple[str, ...], **kw) -> Node:
        """A new node with an id made from ``kind`` and ``key`` (never from memory), unique in the figure."""
        base = f"{kind}/{key}".replace(":", "_").replace('"', "_").replace("\\", "_")
        k = self._taken.get(base, 1)  # the copy dots of one wide fan-out share a base: count on, not from 1
        ident = base if k == 1 else f"{base}~{k}"
        while ident in self.nodes:
            k += 1
            ident = f"{base}~{k}"
        self._taken[base] = k
        node = self.nodes[ident] = Node(ident, kind, cluster, **kw)
        return node

    def cluster_of(self, end: End) -> tuple[str, ...]:
        return self.nodes[end.node].cluster

    def connect(self, source: End, targets: list[End], type: str, feedback: list[bool]) -> Wire:
        """Add a wire, with its copy dot (in the readers' common cluster) or discard mark."""
        wire = Wire(source, list(targets), type, list(feedback))
        if len(targets) != 1:
            key = source.node.split("/", 1)[1] + (f".{source.port}" if source.port else "")
            where = _common([self.cluster_of(e) for e in [source, *targets]])
            wire.helper = self.add("copy" if targets else "discard", key, where)
        wire.taps = self._taps(wire)
        for end, back in zip(targets, feedback):
            key = f"{end.node.split('/', 1)[1]}.{end.port or ''}"
            start = End(wire.helper.id) if wire.helper else source
            wire.bends.append((self.add("bend", f"{key}.out", self.cluster_of(start)),
                               self.add("bend", f"{key}.in", self.cluster_of(end)))
                              if back else None)
        self.wires.append(wire)
        return wire

    def _taps(self, wire: Wire) -> list[Node | None]:
        """Second copy dots for a wire read (forwards) by more than :data:`FAN` ports: the readers in
        groups of at most ``FAN``, as even as possible, a group of two or more from a dot of its own; and
        again for those dots while there are more than ``FAN`` of them (``wire.branches``: each dot with
        the dot it hangs from, ``None`` for the first, parents before children)."""
        forward = [k for k, back in enumerate(wire.feedback) if not back]
        taps: list[Node | None] = [None] * len(wire.targets)
        if wire.helper is None:
            return taps
        level: list[int | Node] = list(forward)  # a reader (its index) or a dot, each hanging from the first dot
        children: dict[str, list[int | Node]] = {}
        while len(level) > FAN:
            groups = -(-len(level) // FAN)
            base, extra = divmod(len(level), groups)
            start, upper = 0, []
            for g in range(groups):
                group = level[start:start + base + (1 if g < extra else 0)]
                start += len(group)
                if len(group) == 1:
                    upper += group
                    continue
                ends = [wire.targets[x] if isinstance(x, int) else End(x.id) for x in group]
                where = _common([self.cluster_of(e) for e in ends] + [wire.helper.cluster])
                tap = self.add("copy", wire.helper.id.split("/", 1)[1], where)
                children[tap.id] = group
                upper.append(tap)
            level = upper
        wire.branches = []

        def hang(items: list[int | Node], parent: Node | None) -> None:
            for x in items:
                if isinstance(x, int):
                    taps[x] = parent
                else:
                    wire.branches.append((x, parent))
                    hang(children[x.id], x)

        hang(level, None)
        return taps

    def counts(self) -> dict[str, int]:
        """How many nodes of each kind, edges and clusters the drawing has (for checking SVGs)."""
        out = {k: 0 for k in ("box", "in", "out", "copy", "discard", "bend")}
        for n in self.nodes.values():
            out[n.kind] += 1
        edges = sum((1 if w.helper else 0) + len(w.targets) + sum(2 for b in w.bends if b)
                    + len(w.branches) for w in self.wires)
        return {**out, "edges": edges, "clusters": 1 + len(self.clusters)}


def figure(diagram, depth: int | None = None, collapse: tuple[str, ...] = ()) -> Figure:
    """The figure of a net, kernel, string diagram or wiring diagram.

    ``depth`` is how many levels of nested wiring diagrams are opened as clusters;
    deeper ones are drawn as plain boxes (``depth=0``: only the top level). ``None``
    opens all of them. The boxes of a net are already flat: it draws every level.
    ``collapse`` names nested diagrams (instance names, or paths ``outer/inner``) drawn
    as one box each; a name that is no nested diagram's is an error.
    """
    if isinstance(diagram, Figure):
        return diagram
    if isinstance(diagram, Kernel):
        diagram = Net.from_kernel(diagram)
    nested: set[str] = set()
    if isinstance(diagram, Net):
        fig = _net_figure(diagram)
    elif _is_wiring(diagram):
        fig = _wiring_figure(diagram, depth=depth, collapse=(set(collapse), nested))
    elif hasattr(diagram, "instances"):
        fig = _expression_figure(diagram, depth=depth, collapse=(set(collapse), nested))
    elif hasattr(diagram, "to_net"):
        fig = _net_figure(diagram.to_net())
    else:
        raise RenderError(f"{type(diagram).__name__} object", "is not a diagram that can be drawn",
                          fix="render a Net, Kernel, Diagram or WiringDiagram")
    names = nested | {n.rsplit("/", 1)[-1] for n in nested}
    for name in collapse:
        if name not in names:
            known = ", ".join(sorted(names)) if names else "none: every box is a component"
            raise RenderError(Place("render option --collapse"),
                              f"{name!r} names no nested diagram" + did_you_mean(name, names),
                              fix=f"name one of the nested diagrams ({known}), or leave out --collapse {name}")
    return fig


def _is_wiring(d) -> bool:
    return all(hasattr(d, a) for a in ("boxes", "wires", "inputs", "outputs", "is_feedback"))


def _type_name(t) -> str:
    return getattr(t, "name", str(t))


def _ports(ports) -> tuple[tuple[str, str], ...]:
    return tuple((p.name, _type_name(p.type)) for p in ports)


def _net_figure(net: Net) -> Figure:
    """A net's figure: box paths ``audit/monitor`` become clusters; a wire read by a box placed
    no later than its source (in topological order) is drawn as feedback."""
    fig = Figure()
    source: dict[str, End] = {}
    for w in net.inputs:
        source.setdefault(w, End(fig.add("in", w, (), label=w).id))
    order = _depth_first(net)
    position: dict[str, int] = {}  # node id -> topological position, for feedback
    readers: dict[str, list[End]] = {w: [] for w in net.wires}
    for b in net.boxes:
        *path, name = b.name.split("/")
        for k in range(1, len(path) + 1):
            fig.clusters.setdefault(tuple(path[:k]), path[k - 1])
        node = fig.add("box", b.name, tuple(path), label=name, inputs=_ports(b.kernel.dom),
                       outputs=_ports(b.kernel.cod), **_look(b))
        position[node.id] = order[b.name]
        for k, w in enumerate(b.outputs):
            source.setdefault(w, End(node.id, f"o{k}"))
        for k, w in enumerate(b.inputs):
            readers.setdefault(w, []).append(End(node.id, f"i{k}"))
    for w in net.outputs:
        readers.setdefault(w, []).append(End(fig.add("out", w, (), label=w).id))
    for w, t in net.wires.items():
        if w not in source:
            continue  # undriven: the net's checker reports it
        src, targets = source[w], readers.get(w, [])
        back = [e.node in position and position[e.node] <= position.get(src.node, -1) for e in targets]
        fig.connect(src, targets, _type_name(t), back)
    return fig


def _depth_first(net: Net) -> dict[str, int]:
    """Box name → position in a depth-first order in which each box follows the boxes it reads
    from, except along a loop (a net may have loops; the wires that close them are feedback)."""
    producer = {w: i for i, b in enumerate(net.boxes) for w in b.outputs}
    order: dict[str, int] = {}
    seen: set[int] = set()
    for root in range(len(net.boxes)):
        stack = [(root, iter(net.boxes[root].inputs))] if root not in seen else []
        seen.add(root)
        while stack:
            i, reads = stack[-1]
            j = next((producer[w] for w in reads if w in producer and producer[w] not in seen), None)
            if j is None:
                stack.pop()
                order[net.boxes[i].name] = len(order)
            else:
                seen.add(j)
                stack.append((j, iter(net.boxes[j].inputs)))
    return order


def _look(box) -> dict:
    """How a box differs from a plain one: a stateful box shows its state type, a collapsed
    nested diagram how many boxes it holds."""
    state = getattr(box, "state", None)
    if state is not None:
        return {"note": f"state: {_type_name(state)}", "double": True}
    if _is_wiring(box):
        return {"note": f"{len(box.boxes)} boxes"}
    return {}


def _wiring_figure(wd, title: str | None = None, depth: int | None = None, collapse=(frozenset(), set())) -> Figure:
    """A wiring diagram's figure: nested wiring diagrams become clusters with their own ports."""
    fig = Figure(wd.name if title is None else title)
    _add_wiring(fig, _wiring_tables(wd), (), depth, collapse)
    return fig


def _expression_figure(d, depth: int | None = None, collapse=(frozenset(), set())) -> Figure:
    """A string diagram's figure: its boxes as placed by ``instances`` (plumbing is already wires)."""
    placed, outputs = d.instances()
    wires = [(end, (name, p.name), False) for name, box, ends in placed for end, p in zip(ends, box.dom)]
    wires += [(end, ("out", p.name), False) for end, p in zip(outputs, d.cod)]
    fig = Figure("")
    _add_wiring(fig, (d.dom, d.cod, {name: box for name, box, _ in placed}, wires), (), depth, collapse)
    return fig


def _wiring_tables(wd) -> tuple:
    """``(inputs, outputs, boxes, wires)`` of a wiring diagram; a wire is ``(source, target, feedback)``
    with ends ``(box, port)``."""
    feedback = wd._feedback()  # once for all wires: is_feedback(w) per wire made a 500-box chain take 28 s
    wires = [((w.source.box, w.source.port), (w.target.box, w.target.port), w in feedback) for w in wd.wires]
    return wd.inputs, wd.outputs, wd.boxes, wires


def _add_wiring(fig: Figure, tables: tuple, path: tuple[str, ...], depth: int | None,
                collapse: tuple = (frozenset(), set())) -> tuple[dict[str, End], dict[str, End]]:
    """Draw the wiring ``(inputs, outputs, boxes, wires)`` inside cluster ``path``; return the ends
    of its input and output ports.

    Plumbing boxes (copy, discard, swap, identity) are drawn as what they are: wires.
    ``collapse`` is (the names of nested diagrams to draw as boxes, a set that collects the
    paths of all nested diagrams met).
    """
    closed, nested = collapse
    inputs, outputs, boxes, wires = tables
    prefix = "".join(p + "/" for p in path)
    ins = {p.name: End(fig.add("in", prefix + p.name, path, label=p.name).id) for p in inputs}
    sources: dict[tuple[str, str], End] = {("in", p): e for p, e in ins.items()}
    targets: dict[tuple[str, str], End] = {}
    types: dict[tuple[str, str], str] = {("in", p.name): _type_name(p.type) for p in inputs}
    for name, box in boxes.items():
        if _is_plumbing(box):
            continue
        if _is_wiring(box):
            nested.add(prefix + name)
        if _is_wiring(box) and (depth is None or len(path) < depth) and not {name, prefix + name} & closed:
            sub = path + (name,)
            fig.clusters[sub] = name if box.name in (name, "") else f"{name}: {box.name}"
            sub_ins, sub_outs = _add_wiring(fig, _wiring_tables(box), sub, depth, collapse)
            targets.update({(name, p): e for p, e in sub_ins.items()})
            sources.update({(name, p): e for p, e in sub_outs.items()})
        else:
            node = fig.add("box", prefix + name, path, label=name, inputs=_ports(box.dom), outputs=_ports(box.cod),
                           component=_component(box), **_look(box))
            targets.update({(name, p.name): End(node.id, f"i{k}") for k, p in enumerate(box.dom)})
            sources.update({(name, p.name): End(node.id, f"o{k}") for k, p in enumerate(box.cod)})
        types.update({(name, p.name): _type_name(p.type) for p in box.cod})
    outs = {p.name: End(fig.add("out", prefix + p.name, path, label=p.name).id) for p in outputs}
    targets.update({("out", p): e for p, e in outs.items()})
    feeds = {}
    for source, target, back in wires:
        feeds.setdefault(target, (source, back))
    grouped: dict[tuple[str, str], list] = {k: [] for k in sources}
    for src, target, back in wires:
        if target not in targets:
            continue  # into plumbing: drawn from where the plumbing leads
        for _ in range(len(wires)):  # follow plumbing back to the real source
            box = boxes.get(src[0])
            if not _is_plumbing(box):
                break
            j = [p.name for p in box.cod].index(src[1])
            up = feeds.get((src[0], box.dom[box.plumbing[j]].name))
            if up is None:
                break
            src, back = up[0], back or up[1]
        grouped.setdefault(src, []).append((targets[target], back))
    for src, ends in grouped.items():
        if src in sources:  # else a wire from nowhere: the diagram's checker reports it
            fig.connect(sources[src], [e for e, _ in ends], types.get(src, "?"), [f for _, f in ends])
    return ins, outs


def _component(box) -> str:
    """What a box instantiates, as its metadata says: a library component (``alignment.monitor`` shown as
    ``monitor``), or a nested diagram's name; empty when it says nothing."""
    if _is_wiring(box):
        return box.name or ""
    return (getattr(box, "component", "") or "").rsplit(".", 1)[-1]


def _is_plumbing(box) -> bool:
    return getattr(box, "plumbing", None) is not None


def _common(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    first = paths[0]
    n = min(len(p) for p in paths)
    k = next((i for i in range(n) if any(p[i] != first[i] for p in paths)), n)
    return first[:k]
