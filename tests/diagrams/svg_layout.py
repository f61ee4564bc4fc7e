"""Reading a figure's layout back from the SVG graphviz writes, to check it as a reader would see it.

- every text's box is estimated from its anchor, baseline and font size, its width from Helvetica's
  glyph widths (reportlab's metrics, the font of every theme; the check allows a point of slack);
- a node's outline is the bounding box of its shapes; a box's port cells are its polygons filled
  with the theme's port colour, each found by the port name written in it, inputs on the side
  wires enter by (left, or top when drawn top to bottom), outputs on the other;
- the k-th edge in the SVG (``id="edgeK"``) is the k-th edge statement of the DOT, which says
  which port cell each end attaches to (the SVG's titles keep only the compass point).

:func:`problems` lists, in words, every label that overlaps a node it does not belong to or another
label, and every edge end farther than :data:`TOUCH` points from the boundary of its port cell,
copy dot or other node.
"""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from reportlab.pdfbase.pdfmetrics import stringWidth

SVG = "{http://www.w3.org/2000/svg}"
TOUCH = 2.0  # points: how far an edge's end may lie from the outline it attaches to
SLACK = 1.0  # points: estimated text boxes are shrunk by this much before testing overlaps
_NUM = r"-?\d+(?:\.\d+)?(?:e-?\d+)?"
_EDGE = re.compile(r'^\s*("(?:[^"\\]|\\.)*"|\w+)((?::\w+)*) -> ("(?:[^"\\]|\\.)*"|\w+)((?::\w+)*)')


@dataclass(frozen=True)
class Rect:
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: "Rect", slack: float = 0.0) -> bool:
        return (self.x0 + slack < other.x1 and other.x0 + slack < self.x1
                and self.y0 + slack < other.y1 and other.y0 + slack < self.y1)

    def boundary_distance(self, x: float, y: float) -> float:
        """Distance from (x, y) to the rectangle's outline (inside or out)."""
        dx, dy = max(self.x0 - x, 0.0, x - self.x1), max(self.y0 - y, 0.0, y - self.y1)
        if dx or dy:
            return math.hypot(dx, dy)
        return min(x - self.x0, self.x1 - x, y - self.y0, self.y1 - y)

    def distance(self, x: float, y: float) -> float:
        """Distance from (x, y) to the rectangle (0 inside)."""
        return math.hypot(max(self.x0 - x, 0.0, x - self.x1), max(self.y0 - y, 0.0, y - self.y1))


@dataclass
class Text:
    text: str
    rect: Rect
    owner: str  # "node <id>", "edge <k>" or "cluster <title>"


@dataclass
class Node:
    id: str
    classes: tuple[str, ...]
    outline: Rect
    cells: list[tuple[str, Rect]]  # port cells: (the name written in it, its rectangle)
    dot: tuple[float, float, float] | None  # a point node: centre and radius


def _points(text: str) -> list[tuple[float, float]]:
    nums = [float(v) for v in re.findall(_NUM, text or "")]
    return list(zip(nums[::2], nums[1::2]))


def _bbox(points) -> Rect:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return Rect(min(xs), min(ys), max(xs), max(ys))


def _text_rect(t: ET.Element) -> Rect:
    size = float(t.get("font-size", "14"))
    x, y = float(t.get("x")), float(t.get("y"))
    font = "Helvetica-Bold" if t.get("font-weight") == "bold" else "Helvetica"
    width = stringWidth(t.text or "", font, size)
    anchor = t.get("text-anchor", "start")
    x0 = x - width / 2 if anchor == "middle" else x - width if anchor == "end" else x
    return Rect(x0, y - 0.75 * size, x0 + width, y + 0.2 * size)


def _shapes(g: ET.Element) -> list[tuple[ET.Element, list[tuple[float, float]]]]:
    out = []
    for e in g.iter():
        if e.tag == f"{SVG}polygon":
            out.append((e, _points(e.get("points"))))
        elif e.tag == f"{SVG}path":
            out.append((e, _points(re.sub(r"[MC]", " ", e.get("d", "")))))
        elif e.tag == f"{SVG}ellipse":
            cx, cy, rx, ry = (float(e.get(k)) for k in ("cx", "cy", "rx", "ry"))
            out.append((e, [(cx - rx, cy - ry), (cx + rx, cy + ry)]))
    return out


@dataclass
class Layout:
    nodes: dict[str, Node]
    texts: list[Text]
    edges: dict[int, tuple[list[tuple[float, float]], tuple[float, float] | None]]  # path points, arrow tip


def read(svg: str | bytes, fill: str = "#eeeeee") -> Layout:
    """The nodes, texts and edges of a graphviz SVG; ``fill`` is the colour of port cells."""
    root = ET.fromstring(svg if isinstance(svg, bytes) else svg.encode("utf-8"))
    nodes, texts, edges = {}, [], {}
    for g in root.iter(f"{SVG}g"):
        classes = tuple((g.get("class") or "").split())
        title = g.findtext(f"{SVG}title") or ""
        if "node" in classes:
            shapes = [(e, pts) for e, pts in _shapes(g) if pts]
            words = [(t.text or "", _text_rect(t)) for t in g.iter(f"{SVG}text")]
            cells = []
            for e, pts in shapes:
                if e.tag == f"{SVG}polygon" and e.get("fill") == fill:
                    r = _bbox(pts)
                    inside = [w for w, tr in words if r.x0 <= (tr.x0 + tr.x1) / 2 <= r.x1
                              and r.y0 <= (tr.y0 + tr.y1) / 2 <= r.y1]
                    if "box" in classes and inside:
                        cells.append((inside[0], r))
            ellipse = next((e for e, _ in shapes if e.tag == f"{SVG}ellipse"), None)
            dot = None if ellipse is None else (float(ellipse.get("cx")), float(ellipse.get("cy")),
                                                float(ellipse.get("rx")))
            nodes[title] = Node(title, classes, _bbox([p for _, pts in shapes for p in pts]), cells, dot)
            owner = f"node {title}"
        elif "edge" in classes:
            k = int(g.get("id", "edge0")[4:])
            path = next((p for p in g.iter(f"{SVG}path")), None)
            pts = _points(re.sub(r"[MC]", " ", path.get("d", ""))) if path is not None else []
            arrow = next((p for p in g.iter(f"{SVG}polygon")), None)
            tip = None
            if arrow is not None and pts:
                tip = _tip(_points(arrow.get("points")), pts[-1], float(arrow.get("stroke-width", "1")))
            edges[k] = (pts, tip)
            owner = f"edge {k}"
        elif "cluster" in classes:
            owner = f"cluster {title}"
        else:
            continue
        texts += [Text(t.text or "", _text_rect(t), owner) for t in g.findall(f"{SVG}text")]
    return Layout(nodes, texts, edges)


def _tip(polygon: list[tuple[float, float]], end: tuple[float, float], pen: float) -> tuple[float, float]:
    """Where an arrowhead's stroked tip is: its polygon's vertex farthest from the path's end, moved out by
    the stroke's miter (half the pen width over the sine of half the tip's angle; SVG's miter limit is 4)."""
    corners = polygon[:-1] if len(polygon) > 1 and polygon[0] == polygon[-1] else polygon
    k = max(range(len(corners)), key=lambda i: math.dist(corners[i], end))
    tip, a, b = corners[k], corners[k - 1], corners[(k + 1) % len(corners)]
    u = [(p[0] - tip[0], p[1] - tip[1]) for p in (a, b)]
    lengths = [math.hypot(*v) or 1.0 for v in u]
    cos = (u[0][0] * u[1][0] + u[0][1] * u[1][1]) / (lengths[0] * lengths[1])
    half = math.acos(max(-1.0, min(1.0, cos))) / 2
    miter = min(4.0, 1 / math.sin(half)) * pen / 2 if half > 0 else 0.0
    out = (tip[0] - end[0], tip[1] - end[1])
    norm = math.hypot(*out) or 1.0
    return tip[0] + miter * out[0] / norm, tip[1] + miter * out[1] / norm


def dot_edges(dot: str) -> list[tuple[tuple[str, str | None], tuple[str, str | None]]]:
    """The ends of each edge statement of DOT, in order: (node id, port or None) for tail and head."""
    out = []
    for line in dot.splitlines():
        m = _EDGE.match(line)
        if m:
            ends = []
            for name, ports in ((m.group(1), m.group(2)), (m.group(3), m.group(4))):
                parts = [p for p in ports.split(":") if p]
                port = parts[0] if parts and parts[0] not in ("n", "s", "e", "w", "c") else None
                ends.append((name.strip('"'), port))
            out.append(tuple(ends))
    return out


def _cell(node: Node, port: str, names: dict[str, tuple[tuple[str, str], ...]], tb: bool) -> Rect | None:
    """The rectangle of port cell ``i0``/``o1`` of a box node."""
    side = names["inputs" if port[0] == "i" else "outputs"]
    k = int(port[1:])
    if k >= len(side):
        return None
    found = [r for text, r in node.cells if text == side[k][0]]
    if not found:
        return None
    first = port[0] == "i"
    key = (lambda r: r.y0) if tb else (lambda r: r.x0)
    return min(found, key=key) if first else max(found, key=key)


def problems(svg: str | bytes, dot: str, figure, tb: bool = False, fill: str = "#eeeeee") -> list[str]:
    """Every overlap of a label with a node it does not belong to or another label, and every edge end
    not touching its port cell, dot or node, in words. ``figure`` is the drawn
    :class:`~markovwire.diagrams.figure.Figure` (for the ports' names)."""
    layout = read(svg, fill)
    out = []
    for i, a in enumerate(layout.texts):
        if not a.text.strip():
            continue
        for n in layout.nodes.values():
            if a.owner != f"node {n.id}" and "bend" not in n.classes and a.rect.overlaps(n.outline, SLACK):
                out.append(f"label {a.text!r} ({a.owner}) overlaps node {n.id}")
        for b in layout.texts[i + 1:]:
            if b.text.strip() and a.owner != b.owner and a.rect.overlaps(b.rect, SLACK):
                out.append(f"label {a.text!r} ({a.owner}) overlaps label {b.text!r} ({b.owner})")
    statements = dot_edges(dot)
    for k, (pts, tip) in sorted(layout.edges.items()):
        if not pts:
            continue  # an invisible edge (drawn as nothing)
        if k - 1 >= len(statements):
            out.append(f"edge {k} has no DOT statement")
            continue
        tail, head = statements[k - 1]
        for (name, port), (x, y), which in ((tail, pts[0], "starts"), (head, tip or pts[-1], "ends")):
            node = layout.nodes.get(name)
            if node is None:
                continue  # an invisible edge's node is always drawn; a missing one is test_render's concern
            if port is not None and name in figure.nodes:
                n = figure.nodes[name]
                rect = _cell(node, port, {"inputs": n.inputs, "outputs": n.outputs}, tb)
                if rect is None:
                    out.append(f"edge {k} {which} at port {port} of {name}, whose cell was not found")
                    continue
                d = rect.boundary_distance(x, y)
                where = f"port {port} of {name}"
            elif node.dot is not None:
                cx, cy, r = node.dot
                d = max(0.0, math.dist((cx, cy), (x, y)) - r)
                where = f"dot {name}"
            else:
                d = node.outline.boundary_distance(x, y)
                where = f"node {name}"
            if d > TOUCH:
                out.append(f"edge {k} ({tail[0]} -> {head[0]}) {which} {d:.1f} pt from {where}")
    return out
