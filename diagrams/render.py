"""Figures of diagrams through Graphviz: DOT, SVG, PNG and PDF.

Any diagram — a core :class:`~markovwire.Net`, a string diagram, a wiring
diagram, a kernel — is first read into a :class:`Figure` (boxes with their
ports, wires from one source to their readers, clusters for nesting), and the
figure is written as DOT in one style:

- a box is a table: its input ports left, its name in the middle, its outputs
  right; a stateful box has a double border and its state type under its name;
- a wire is labelled with its type; a wire read by several ports splits at a
  small black dot (copy); an output read by nobody ends in a bar (discard);
- a feedback wire is dashed and red; nested diagrams are labelled clusters;
- the outer boundary is a dashed frame, its input ports a column at the left
  and its outputs a column at the right.

The DOT of a diagram is the same bytes on every run (no ids from memory, no
set order), so figures can be diffed and cached.

>>> from markovwire import FinSet, Kernel, Net
>>> Act = FinSet("Act", ["clean", "attack"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [("act", Act)]), [], ["act"])
>>> net.set_outputs("act")
>>> print(to_dot(net).splitlines()[0])
digraph diagram {
>>> render(net, "svg").count('class="node box"')
1
"""
from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import graphviz

from markovwire import Kernel, Net
from markovwire.errors import MarkovwireError, RenderError

from .atomic import write_atomic

from .renderer import find_renderer

FORMATS = ("dot", "svg", "png", "pdf")
PNG_DPI = 144
FONT = "Helvetica"
FEEDBACK = "#b2182b"
PORT_FILL = "#eeeeee"
LABEL_PAD = 5  # points above and below a wire's label (not beside it: that would widen the figure)
MAX_ROWS = 60
PORT_HEIGHT = 18  # points a port cell needs (9 pt text, padding, border), a little generously  # beyond this many table rows, port cells are spread unevenly instead
# glyphs the renderer's PNG fonts lack, written with ones they have
_GLYPHS = str.maketrans({"⊗": "×", "∘": "·"})


# ----- the figure: what is drawn, independent of the kind of diagram ------------------
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


@dataclass(frozen=True)
class End:
    """Where a wire attaches: a node, and the port cell of a box (``i0``, ``o1``) if any."""

    node: str
    port: str | None = None


@dataclass
class Wire:
    """A wire from one source to its readers; ``feedback[k]`` marks the k-th reader's wire.

    A wire with several readers passes through a copy dot, one with none ends in a
    discard mark: its ``helper`` node. A feedback wire leaves its source rightwards,
    turns at a bend node, runs back left and turns again into its reader: ``bends[k]``
    (laid out as a forward edge, it is routed around boxes rather than through them).
    """

    source: End
    targets: list[End]
    type: str
    feedback: list[bool]
    helper: Node | None = None
    bends: list[tuple[Node, Node] | None] = field(default_factory=list)


@dataclass
class Figure:
    """Nodes, wires and labelled clusters (paths of nested names), in a fixed order."""

    title: str = ""
    nodes: dict[str, Node] = field(default_factory=dict)  # by id, in the order drawn
    wires: list[Wire] = field(default_factory=list)
    clusters: dict[tuple[str, ...], str] = field(default_factory=dict)

    def add(self, kind: str, key: str, cluster: tuple[str, ...], **kw) -> Node:
        """A new node with an id made from ``kind`` and ``key`` (never from memory), unique in the figure."""
        base = f"{kind}/{key}".replace(":", "_").replace('"', "_").replace("\\", "_")
        ident, k = base, 1
        while ident in self.nodes:
            k += 1
            ident = f"{base}~{k}"
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
        for end, back in zip(targets, feedback):
            key = f"{end.node.split('/', 1)[1]}.{end.port or ''}"
            start = End(wire.helper.id) if wire.helper else source
            wire.bends.append((self.add("bend", f"{key}.out", self.cluster_of(start)),
                               self.add("bend", f"{key}.in", self.cluster_of(end)))
                              if back else None)
        self.wires.append(wire)
        return wire

    def counts(self) -> dict[str, int]:
        """How many nodes of each kind, edges and clusters the drawing has (for checking SVGs)."""
        out = {k: 0 for k in ("box", "in", "out", "copy", "discard", "bend")}
        for n in self.nodes.values():
            out[n.kind] += 1
        edges = sum((1 if w.helper else 0) + len(w.targets) + sum(2 for b in w.bends if b) for w in self.wires)
        return {**out, "edges": edges, "clusters": 1 + len(self.clusters)}


def figure(diagram, depth: int | None = None) -> Figure:
    """The figure of a net, kernel, string diagram (``to_wiring``) or wiring diagram.

    ``depth`` is how many levels of nested wiring diagrams are opened as clusters;
    deeper ones are drawn as plain boxes (``depth=0``: only the top level). ``None``
    opens all of them. The boxes of a net are already flat: it draws every level.
    """
    if isinstance(diagram, Figure):
        return diagram
    if isinstance(diagram, Kernel):
        diagram = Net.from_kernel(diagram)
    if isinstance(diagram, Net):
        return _net_figure(diagram)
    if _is_wiring(diagram):
        return _wiring_figure(diagram, depth=depth)
    if hasattr(diagram, "to_wiring"):
        return _wiring_figure(diagram.to_wiring(), title="", depth=depth)
    if hasattr(diagram, "to_net"):
        return _net_figure(diagram.to_net())
    raise RenderError(f"{type(diagram).__name__} object", "is not a diagram that can be drawn",
                      fix="render a Net, Kernel, Diagram or WiringDiagram")


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
    order = {b.name: i for i, b in enumerate(net.topological())}
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


def _look(box) -> dict:
    """How a box differs from a plain one: a stateful box shows its state type, a collapsed
    nested diagram how many boxes it holds."""
    state = getattr(box, "state", None)
    if state is not None:
        return {"note": f"state: {_type_name(state)}", "double": True}
    if _is_wiring(box):
        return {"note": f"{len(box.boxes)} boxes"}
    return {}


def _wiring_figure(wd, title: str | None = None, depth: int | None = None) -> Figure:
    """A wiring diagram's figure: nested wiring diagrams become clusters with their own ports."""
    fig = Figure(wd.name if title is None else title)
    _add_wiring(fig, wd, (), depth)
    return fig


def _add_wiring(fig: Figure, wd, path: tuple[str, ...], depth: int | None) -> tuple[dict[str, End], dict[str, End]]:
    """Draw ``wd`` inside cluster ``path``; return the ends of its input and output ports.

    Plumbing boxes (copy, discard, swap, identity) are drawn as what they are: wires.
    """
    prefix = "".join(p + "/" for p in path)
    ins = {p.name: End(fig.add("in", prefix + p.name, path, label=p.name).id) for p in wd.inputs}
    sources: dict[tuple[str, str], End] = {("in", p): e for p, e in ins.items()}
    targets: dict[tuple[str, str], End] = {}
    types: dict[tuple[str, str], str] = {("in", p.name): _type_name(p.type) for p in wd.inputs}
    for name, box in wd.boxes.items():
        if _is_plumbing(box):
            continue
        if _is_wiring(box) and (depth is None or len(path) < depth):
            sub = path + (name,)
            fig.clusters[sub] = name if box.name in (name, "") else f"{name}: {box.name}"
            sub_ins, sub_outs = _add_wiring(fig, box, sub, depth)
            targets.update({(name, p): e for p, e in sub_ins.items()})
            sources.update({(name, p): e for p, e in sub_outs.items()})
        else:
            node = fig.add("box", prefix + name, path, label=name, inputs=_ports(box.dom), outputs=_ports(box.cod),
                           **_look(box))
            targets.update({(name, p.name): End(node.id, f"i{k}") for k, p in enumerate(box.dom)})
            sources.update({(name, p.name): End(node.id, f"o{k}") for k, p in enumerate(box.cod)})
        types.update({(name, p.name): _type_name(p.type) for p in box.cod})
    outs = {p.name: End(fig.add("out", prefix + p.name, path, label=p.name).id) for p in wd.outputs}
    targets.update({("out", p): e for p, e in outs.items()})
    feeds = {}
    for w in wd.wires:
        feeds.setdefault((w.target.box, w.target.port), w)
    grouped: dict[tuple[str, str], list] = {k: [] for k in sources}
    for w in wd.wires:
        if (w.target.box, w.target.port) not in targets:
            continue  # into plumbing: drawn from where the plumbing leads
        src, back = (w.source.box, w.source.port), wd.is_feedback(w)
        for _ in range(len(wd.wires)):  # follow plumbing back to the real source
            box = wd.boxes.get(src[0])
            if not _is_plumbing(box):
                break
            j = [p.name for p in box.cod].index(src[1])
            up = feeds.get((src[0], box.dom[box.plumbing[j]].name))
            if up is None:
                break
            src, back = (up.source.box, up.source.port), back or wd.is_feedback(up)
        grouped.setdefault(src, []).append((targets[(w.target.box, w.target.port)], back))
    for src, ends in grouped.items():
        if src in sources:  # else a wire from nowhere: the diagram's checker reports it
            fig.connect(sources[src], [e for e, _ in ends], types.get(src, "?"), [f for _, f in ends])
    return ins, outs


def _is_plumbing(box) -> bool:
    return getattr(box, "plumbing", None) is not None


# ----- DOT --------------------------------------------------------------------------------
def to_dot(diagram, depth: int | None = None) -> str:
    """The DOT source of ``diagram``'s figure (see :func:`figure`); byte-identical for the same diagram."""
    fig = figure(diagram, depth)
    g = graphviz.Digraph(fig.title or "diagram", strict=False)
    g.attr("graph", rankdir="LR", fontname=FONT, fontsize="11", nodesep="0.25", ranksep="0.3", newrank="true")
    g.attr("node", fontname=FONT, fontsize="10", shape="plain")
    g.attr("edge", fontname=FONT, fontsize="8", fontcolor="#444444", arrowsize="0.5", penwidth="0.9")
    _cluster(g, fig, ())
    edges = [e for wire in fig.wires for e in _edges(wire)]
    for tail, head, label, attrs in edges:
        g.edge(_end(tail, "e"), _end(head, "w"), label, **attrs)
    for tail, head in _boundary_edges(fig):
        g.edge(tail, head, style="invis", weight="0")
    return g.source


def _common(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    first = paths[0]
    n = min(len(p) for p in paths)
    k = next((i for i in range(n) if any(p[i] != first[i] for p in paths)), n)
    return first[:k]


def _cluster(g, fig: Figure, path: tuple[str, ...]) -> None:
    """Write cluster ``path``: its frame, its nodes (boundary ports in columns), its sub-clusters."""
    name = "cluster" + "".join("/" + p for p in path)
    with g.subgraph(name=name) as c:
        label = fig.clusters.get(path, fig.title)
        c.attr(label=_text(label), labeljust="l", fontsize="11" if path else "12",
               style="rounded,dashed" if not path else "rounded", color="#888888" if not path else "#555555",
               margin="16" if not path else "10")
        nodes = [n for n in fig.nodes.values() if n.cluster == path]
        for kind in ("in", "out"):
            column = [n for n in nodes if n.kind == kind]
            if column:
                with c.subgraph(name=f"{kind}puts" + name[len("cluster"):]) as s:
                    s.attr(rank="source" if not path and kind == "in" else
                           "sink" if not path else "same")
                    for n in column:
                        _node(s, n, outer=not path)
        for n in nodes:
            if n.kind not in ("in", "out"):
                _node(c, n, outer=False)
        for sub in fig.clusters:
            if len(sub) == len(path) + 1 and sub[:len(path)] == path:
                _cluster(c, fig, sub)


def _node(g, n: Node, outer: bool) -> None:
    if n.kind == "box":
        g.node(n.id, _box_label(n), **{"class": "box"})
    elif n.kind in ("in", "out"):
        g.node(n.id, _text(n.label), shape="box", style="rounded,filled", fillcolor=PORT_FILL if outer else "white",
               color="#555555", fontsize="9" if outer else "8", width="0", height="0", margin="0.06,0.03",
               **{"class": f"port {n.kind}"})
    elif n.kind == "bend":
        g.node(n.id, "", shape="point", width="0.01", color=FEEDBACK, **{"class": "bend"})
    elif n.kind == "copy":
        g.node(n.id, "", shape="point", width="0.07", color="black", **{"class": "copy"})
    else:
        g.node(n.id, "", shape="box", width="0.04", height="0.22", style="filled", fillcolor="black",
               color="black", fixedsize="true", **{"class": "discard"})


def _edges(wire: Wire) -> list[tuple[End, End, str | None, dict]]:
    """The edges of one wire: source to reader, or through a copy dot, or into a discard mark;
    a feedback branch through its two bends. Each is (tail, head, label, attributes)."""
    label = _label(wire.type)
    start, out = wire.source, []
    if wire.helper is not None:
        all_back = bool(wire.targets) and all(wire.feedback)
        out.append((start, End(wire.helper.id), None if all_back else label,
                    {"arrowhead": "none", **_style(all_back)}))
        start = End(wire.helper.id)
    for end, bend in zip(wire.targets, wire.bends):
        if bend is None:
            out.append((start, end, label if wire.helper is None else None, {}))
            continue
        turn_out, turn_in = End(bend[0].id), End(bend[1].id)
        # heavy ends keep the turns level with the ports, so the wire leaves and enters straight
        out.append((start, turn_out, None, {"arrowhead": "none", "weight": "8", **_style(True)}))
        out.append((turn_in, turn_out, label, {"dir": "none", **_style(True)}))
        out.append((turn_in, end, None, {"weight": "8", **_style(True)}))
    return out


def _boundary_edges(fig: Figure) -> list[tuple[str, str]]:
    """Invisible edges that keep a feedback wire's first bend left of its diagram's first output
    port (else the bend may be laid out past the boundary). The entering bend needs none: nothing
    comes before it, so it shares the column of the input ports; an edge there would only add a
    crossing. Nothing else can pass the ports; more such edges would upset the layout."""
    first: dict[tuple[str, ...], str] = {}
    for n in fig.nodes.values():
        if n.kind == "out":
            first.setdefault(n.cluster, n.id)
    out = []
    for wire in fig.wires:
        for turn_out, _ in filter(None, wire.bends):
            where = turn_out.cluster
            level = next((where[:k] for k in range(len(where), -1, -1) if where[:k] in first), None)
            if level is not None:
                out.append((turn_out.id, first[level]))
    return out


def _label(text: str) -> str:
    """A wire's label, padded (as an HTML table) so that its text keeps clear of cluster borders."""
    pad = f'<TR><TD HEIGHT="{LABEL_PAD}"></TD></TR>'
    return f'<<TABLE BORDER="0" CELLPADDING="1" CELLSPACING="0">{pad}<TR><TD>{_html(text)}</TD></TR>{pad}</TABLE>>'


def _style(feedback: bool) -> dict[str, str]:
    return {"style": "dashed", "color": FEEDBACK, "fontcolor": FEEDBACK} if feedback else {}


def _end(end: End, side: str) -> str:
    return f"{end.node}:{end.port}:{side}" if end.port else end.node


def _text(s: str) -> str:
    """A plain label: glyphs the PNG fonts lack replaced."""
    return s.translate(_GLYPHS)


def _html(s: str) -> str:
    return html.escape(_text(s), quote=True)


def _box_label(n: Node) -> str:
    """An HTML table: input cells left, the name (and note) spanning the middle, output cells right."""
    ni, no = len(n.inputs), len(n.outputs)
    rows = max(1, ni, no)
    lcm = math.lcm(max(ni, 1), max(no, 1))
    if lcm <= MAX_ROWS:
        rows = lcm
    grid: list[list[str]] = [[] for _ in range(rows)]
    for side, ports in (("i", n.inputs), ("o", n.outputs)):
        if side == "o":
            grid[0].append(_name_cell(n, rows))
        r = 0
        for k, ((port, _), span) in enumerate(zip(ports, _spans(len(ports), rows))):
            grid[r].append(f'<TD PORT="{side}{k}"{_rowspan(span)} BGCOLOR="{PORT_FILL}" CELLPADDING="2">'
                           f'<FONT POINT-SIZE="9">{_html(port)}</FONT></TD>')
            r += span
    if any(not row for row in grid):  # rows where no cell starts need a cell: an invisible spacer column,
        # each as tall as a row must be for every port cell to fit its span (so the rows come out even)
        spans = [sp for ports in (n.inputs, n.outputs) for sp in _spans(len(ports), rows)]
        height = math.ceil(PORT_HEIGHT / min(spans))
        for row in grid:
            row.append(f'<TD BORDER="0" WIDTH="0" HEIGHT="{height}" CELLPADDING="0"></TD>')
    body = "".join(f"<TR>{''.join(row)}</TR>" for row in grid)
    table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" BGCOLOR="white">{body}</TABLE>'
    if n.double:  # the table framed once more
        table = (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="0" BGCOLOR="white">'
                 f'<TR><TD>{table}</TD></TR></TABLE>')
    return f"<{table}>"


def _name_cell(n: Node, rows: int) -> str:
    text = f"<B>{_html(n.label)}</B>"
    if n.note:
        text += f'<BR/><FONT POINT-SIZE="8"><I>{_html(n.note)}</I></FONT>'
    return f'<TD{_rowspan(rows)} CELLPADDING="5">{text}</TD>'


def _rowspan(n: int) -> str:
    return f' ROWSPAN="{n}"' if n > 1 else ""


def _spans(n: int, rows: int) -> list[int]:
    """Row spans of ``n`` cells filling ``rows`` rows as evenly as possible."""
    if n == 0:
        return []
    base, extra = divmod(rows, n)
    return [base + (1 if k < extra else 0) for k in range(n)]


# ----- export -----------------------------------------------------------------------------
def render(diagram, path_or_format: str | os.PathLike = "svg", *, depth: int | None = None):
    """Render to a file (format from its suffix; returns the Path) or to a format name.

    Given a format name: ``"dot"`` and ``"svg"`` return text, ``"png"`` and ``"pdf"`` bytes.
    """
    text = str(path_or_format)
    if text.lower() in FORMATS:
        return _render(diagram, text.lower(), depth)
    path = Path(path_or_format)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise RenderError(f"render to {text!r}", f"unknown format {path.suffix or '(no suffix)'!r}",
                          fix="name a file ending in .svg, .png, .pdf or .dot, or pass one of those format names")
    data = _render(diagram, fmt, depth)
    write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data, make_dirs=True)
    return path


def _render(diagram, fmt: str, depth: int | None = None):
    source = to_dot(diagram, depth)
    if fmt == "dot":
        return source
    out = find_renderer().run(source, fmt, dpi=PNG_DPI if fmt == "png" else None)
    return out.decode("utf-8") if fmt == "svg" else out


def mimebundle(diagram, include=None, exclude=None) -> dict[str, str]:
    """Jupyter's display of a diagram: SVG when a renderer is found, and always text."""
    bundle = {"text/plain": repr(diagram)}
    try:
        bundle["image/svg+xml"] = _render(diagram, "svg")
    except MarkovwireError:
        pass  # no renderer, or a diagram too broken to draw: the text stands alone
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle
