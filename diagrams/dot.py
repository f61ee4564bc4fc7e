"""DOT: a figure written for Graphviz, in markovwire's one style.

- a box is a table: its input ports left, its name in the middle, its outputs
  right; a stateful box has a double border and its state type under its name;
- a wire is labelled with its type; a wire read by several ports splits at a
  small black dot (copy; past three readers, a small tree of dots); an output
  read by nobody ends in a bar (discard);
- a feedback wire is dashed and red, one loop from its source's port around the
  diagram (below it, or right of it top to bottom) into its reader's port;
  nested diagrams are labelled clusters;
- the outer boundary is a dashed frame, its input ports a column at the left
  and its outputs a column at the right (top and bottom rows when drawn top to bottom).

Colours, sizes and fonts come from the theme of the
:class:`~markovwire.diagrams.style.RenderOptions` (``slides`` by default, ``paper``
for a paper's text); the options also choose the direction, a target width, the
boxes' labels and whether wires show their types.

The DOT of a diagram is the same bytes on every run (no ids from memory, no
set order), so figures can be diffed and cached.

>>> from markovwire import FinSet, Kernel, Net
>>> Act = FinSet("Act", ["clean", "attack"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [("act", Act)]), [], ["act"])
>>> net.set_outputs("act")
>>> print(to_dot(net).splitlines()[0])
digraph diagram {
"""
from __future__ import annotations

import html
import math

import graphviz

from .figure import End, Figure, Node, Wire, figure
from .style import PAGE_HEIGHT, RenderOptions, Theme

LABEL_PAD = 5  # points above and below a wire's label (not beside it: that would widen the figure)
MAX_ROWS = 60  # beyond this many table rows, port cells are spread unevenly instead
AROUND = "around"  # the port of a feedback wire's turn that its loop leaves or enters by (see _end)
PORT_HEIGHT = 18  # points a port cell needs (9 pt text, padding, border), a little generously
# glyphs the renderer's PNG fonts lack, written with ones they have
_GLYPHS = str.maketrans({"⊗": "×", "∘": "·"})


def to_dot(diagram, depth: int | None = None, options: RenderOptions | None = None) -> str:
    """The DOT source of ``diagram``'s figure (see :func:`figure`) drawn with ``options``; byte-identical
    for the same diagram and options. A direction of ``None`` is drawn LR (render chooses one for a width)."""
    o = options or RenderOptions()
    t = o.look
    fig = figure(diagram, depth, o.collapse)
    g = graphviz.Digraph(fig.title or "diagram", strict=False)
    size = {"size": f"{o.width:.4g},{PAGE_HEIGHT:g}"} if o.width else {}
    g.attr("graph", rankdir=o.direction or "LR", fontname=t.font, fontsize=str(t.cluster_size), nodesep="0.25",
           ranksep="0.3", newrank="true", **size)
    g.attr("node", fontname=t.font, fontsize=str(t.name_size), shape="plain")
    g.attr("edge", fontname=t.font, fontsize=str(t.wire_size), fontcolor=t.wire_text, arrowsize="0.5",
           penwidth=f"{t.line:g}")
    style = _Style(o, t)
    _cluster(g, fig, (), style)
    edges = [e for wire in fig.wires for e in _edges(wire, style)]
    leave, enter = ("s", "n") if style.tb else ("e", "w")
    for tail, head, label, attrs in edges:
        g.edge(_end(tail, leave, style.tb), _end(head, enter, style.tb), label, **attrs)
    for tail, head in _boundary_edges(fig):
        g.edge(tail, head, style="invis", weight="0")
    return g.source


class _Style:
    """The options and theme a figure is written with, as the writers below need them."""

    def __init__(self, options: RenderOptions, theme: Theme):
        self.options, self.theme = options, theme
        self.tb = options.direction == "TB"

    def name(self, n: Node) -> str:
        """A box's name in HTML: instance, component or both (the component second, smaller, in italics)."""
        kind, comp = self.options.labels, n.component
        if kind == "instance" or not comp or (kind == "both" and comp == n.label):
            return f"<B>{_html(n.label)}</B>"
        if kind == "component":
            return f"<B>{_html(comp)}</B>"
        return f'<B>{_html(n.label)}</B><BR/><FONT POINT-SIZE="{self.theme.note_size}">{_html(comp)}</FONT>'

    def wire(self, type_name: str) -> str | None:
        return None if self.options.hide_types else _label(type_name)

    def feedback(self, back: bool) -> dict[str, str]:
        colour = self.theme.feedback
        return {"style": "dashed", "color": colour, "fontcolor": colour} if back else {}


def _cluster(g, fig: Figure, path: tuple[str, ...], style: _Style) -> None:
    """Write cluster ``path``: its frame, its nodes (boundary ports in columns), its sub-clusters."""
    name = "cluster" + "".join("/" + p for p in path)
    t = style.theme
    with g.subgraph(name=name) as c:
        label = fig.clusters.get(path, fig.title)
        c.attr(label=_text(label), labeljust="l", fontsize=str(t.cluster_size if path else t.title_size),
               style="rounded,dashed" if not path else "rounded", color=t.frame if not path else t.cluster,
               margin=("32" if _has_feedback(fig) else "16") if not path else "10")
        nodes = [n for n in fig.nodes.values() if n.cluster == path]
        corners = _corners(fig) if style.tb and not path else {}
        for kind in ("in", "out"):
            column = [n for n in nodes if n.kind == kind]
            turns = [n for n in nodes if corners.get(n.id) == kind]
            if column or turns:
                with c.subgraph(name=f"{kind}puts" + name[len("cluster"):]) as s:
                    s.attr(rank="source" if not path and kind == "in" else
                           "sink" if not path else "same")
                    for n in column + turns:
                        _node(s, n, not path, style)
                    row = column[-1:] + turns
                    for a, b in zip(row, row[1:]):  # the turns right of the row: flat edges order it
                        s.edge(a.id, b.id, style="invis")
        for n in nodes:
            if n.kind not in ("in", "out") and n.id not in corners:
                _node(c, n, False, style)
        for sub in fig.clusters:
            if len(sub) == len(path) + 1 and sub[:len(path)] == path:
                _cluster(c, fig, sub, style)


def _node(g, n: Node, outer: bool, style: _Style) -> None:
    t = style.theme
    if n.kind == "box":
        g.node(n.id, _box_label(n, style), **{"class": "box"})
    elif n.kind in ("in", "out"):
        g.node(n.id, _text(n.label), shape="box", style="rounded,filled", fillcolor=t.fill if outer else "white",
               color=t.cluster, fontsize=str(t.pill_size if outer else t.pill_size - 1), width="0", height="0",
               margin="0.06,0.03", **{"class": f"port {n.kind}"})
    elif n.kind == "bend":
        g.node(n.id, "", shape="point", width="0.01", color=t.feedback, **{"class": "bend"})
    elif n.kind == "copy":
        g.node(n.id, "", shape="point", width="0.07", color="black", **{"class": "copy"})
    else:
        g.node(n.id, "", shape="box", width="0.04", height="0.22", style="filled", fillcolor="black",
               color="black", fixedsize="true", **{"class": "discard"})


def _edges(wire: Wire, style: _Style) -> list[tuple[End, End, str | None, dict]]:
    """The edges of one wire: source to reader, or through a copy dot, or into a discard mark;
    a feedback branch through its two bends. Each is (tail, head, label, attributes)."""
    label, dashed = style.wire(wire.type), style.feedback
    start, out = wire.source, []
    if wire.helper is not None:
        all_back = bool(wire.targets) and all(wire.feedback)
        out.append((start, End(wire.helper.id), None if all_back else label,
                    {"arrowhead": "none", **dashed(all_back)}))
        start = End(wire.helper.id)
    for tap, parent in wire.branches:  # the tree of copy dots, from the first dot outwards
        out.append((End(parent.id) if parent else start, End(tap.id), None, {"arrowhead": "none"}))
    for end, bend, tap in zip(wire.targets, wire.bends, wire.taps or [None] * len(wire.targets)):
        if tap is not None:
            out.append((End(tap.id), end, None, {}))
            continue
        if bend is None:
            out.append((start, end, label if wire.helper is None else None, {}))
            continue
        turn_out, turn_in = End(bend[0].id, AROUND), End(bend[1].id, AROUND)
        # heavy ends keep the turns level with the ports, so the wire leaves and enters straight; the
        # long way back leaves and enters the turns from the side (below, or right when drawn top to
        # bottom), so each turn is a corner of one loop, never a wire's end in empty space. The type
        # is written by the source, where every other wire has it.
        out.append((start, End(turn_out.node), label if wire.helper is None else None,
                    {"arrowhead": "none", "weight": "8", **dashed(True)}))
        out.append((turn_in, turn_out, None, {"dir": "none", **dashed(True)}))
        out.append((End(turn_in.node), end, None, {"weight": "8", **dashed(True)}))
    return out


def _has_feedback(fig: Figure) -> bool:
    """Whether a feedback loop runs around the figure: its frame then leaves room for the loop's
    corners, whose curves dip below the loop's line by up to about the ports' height above it."""
    return any(b for w in fig.wires for b in w.bends)


def _corners(fig: Figure) -> dict[str, str]:
    """Drawn top to bottom, the turns of the outer diagram's feedback loops are corners of the figure: the
    turn a loop leaves by joins the bottom row (``out``), the turn it enters by the top row (``in``), both
    right of the boundary ports, so the loop runs down from its source, up the right side, and down into its
    reader, around the diagram rather than between its boxes."""
    return {n.id: kind for w in fig.wires for pair in w.bends if pair and not pair[0].cluster and not pair[1].cluster
            for n, kind in zip(pair, ("out", "in"))}


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


def _end(end: End, side: str, tb: bool = False) -> str:
    """A DOT edge end: a port cell's side (``e``/``w``, or ``s``/``n`` top to bottom), or the side of a feedback
    wire's turn that its loop runs along (below, or right top to bottom)."""
    if end.port == AROUND:
        return f"{end.node}:{'e' if tb else 's'}"
    return f"{end.node}:{end.port}:{side}" if end.port else end.node


def _text(s: str) -> str:
    """A plain label: glyphs the PNG fonts lack replaced."""
    return s.translate(_GLYPHS)


def _html(s: str) -> str:
    return html.escape(_text(s), quote=True)


def _box_label(n: Node, style: _Style) -> str:
    """An HTML table: input cells left, the name (and note) spanning the middle, output cells right
    (drawn top to bottom: inputs along the top, the name, outputs along the bottom)."""
    if style.tb:
        return _box_label_tb(n, style)
    t = style.theme
    ni, no = len(n.inputs), len(n.outputs)
    rows = max(1, ni, no)
    lcm = math.lcm(max(ni, 1), max(no, 1))
    if lcm <= MAX_ROWS:
        rows = lcm
    grid: list[list[str]] = [[] for _ in range(rows)]
    for side, ports in (("i", n.inputs), ("o", n.outputs)):
        if side == "o":
            grid[0].append(_name_cell(n, _rowspan(rows), style))
        r = 0
        for k, ((port, _), span) in enumerate(zip(ports, _spans(len(ports), rows))):
            grid[r].append(_port_cell(f"{side}{k}", port, _rowspan(span), t))
            r += span
    if any(not row for row in grid):  # rows where no cell starts need a cell: an invisible spacer column,
        # each as tall as a row must be for every port cell to fit its span (so the rows come out even)
        spans = [sp for ports in (n.inputs, n.outputs) for sp in _spans(len(ports), rows)]
        height = math.ceil(PORT_HEIGHT / min(spans))
        for row in grid:
            row.append(f'<TD BORDER="0" WIDTH="0" HEIGHT="{height}" CELLPADDING="0"></TD>')
    return _frame(n, "".join(f"<TR>{''.join(row)}</TR>" for row in grid))


def _box_label_tb(n: Node, style: _Style) -> str:
    """A box drawn top to bottom: a row of input cells, the name spanning all columns, a row of outputs."""
    ni, no = len(n.inputs), len(n.outputs)
    cols = max(1, ni, no)
    lcm = math.lcm(max(ni, 1), max(no, 1))
    if lcm <= MAX_ROWS:
        cols = lcm
    rows = []
    for side, ports in (("i", n.inputs), (None, ()), ("o", n.outputs)):
        if side is None:
            rows.append(_name_cell(n, _span("COLSPAN", cols), style))
        elif ports:
            rows.append("".join(_port_cell(f"{side}{k}", port, _span("COLSPAN", span), style.theme)
                                for k, ((port, _), span) in enumerate(zip(ports, _spans(len(ports), cols)))))
    return _frame(n, "".join(f"<TR>{row}</TR>" for row in rows))


def _port_cell(port_id: str, name: str, span: str, t: Theme) -> str:
    return (f'<TD PORT="{port_id}"{span} BGCOLOR="{t.fill}" CELLPADDING="2">'
            f'<FONT POINT-SIZE="{t.port_size}">{_html(name)}</FONT></TD>')


def _frame(n: Node, body: str) -> str:
    """The table of a box's rows (a stateful box framed once more)."""
    table = f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="2" BGCOLOR="white">{body}</TABLE>'
    if n.double:  # the table framed once more
        table = (f'<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="2" CELLPADDING="0" BGCOLOR="white">'
                 f'<TR><TD>{table}</TD></TR></TABLE>')
    return f"<{table}>"


def _name_cell(n: Node, span: str, style: _Style) -> str:
    text = style.name(n)
    if n.note:
        text += f'<BR/><FONT POINT-SIZE="{style.theme.note_size}"><I>{_html(n.note)}</I></FONT>'
    return f'<TD{span} CELLPADDING="5">{text}</TD>'


def _rowspan(n: int) -> str:
    return _span("ROWSPAN", n)


def _span(attr: str, n: int) -> str:
    return f' {attr}="{n}"' if n > 1 else ""


def _spans(n: int, rows: int) -> list[int]:
    """Row spans of ``n`` cells filling ``rows`` rows as evenly as possible."""
    if n == 0:
        return []
    base, extra = divmod(rows, n)
    return [base + (1 if k < extra else 0) for k in range(n)]
