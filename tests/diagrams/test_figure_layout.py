"""Figure layouts read back from graphviz-pure's SVG: no label over a box or another label, every wire's
ends on its port cell or dot (svg_layout), feedback loops from port to port inside the frame, fan-out
as a small tree of copy dots. Every shipped proposal and every test figure, left to right and top to bottom."""
from __future__ import annotations

import importlib.util
import math
import re
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st

from markovwire import FinSet, Kernel
from markovwire.diagrams import WiringDiagram
from markovwire.diagrams.dot import to_dot
from markovwire.diagrams.figure import FAN, figure
from markovwire.diagrams.render import find_renderer, fitted, render
from markovwire.diagrams.style import RenderOptions
from markovwire.library.proposal import load_proposal

sys.path.insert(0, str(Path(__file__).parent))
import svg_layout  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
PROPOSALS = sorted((ROOT / "library" / "shipped" / "proposals").glob("*.yaml"))
SVG = svg_layout.SVG

try:
    find_renderer()
except Exception:  # noqa: BLE001 - no renderer: the layout tests have nothing to read
    pytest.skip("no graphviz renderer", allow_module_level=True)


def _module(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # a dataclass looks its module up
    spec.loader.exec_module(module)
    return module


_render_tests = _module(Path(__file__).parent / "test_render.py", "_figure_examples")
_gallery = _module(ROOT / "docs" / "figures" / "make_figures.py", "_figure_gallery")
EXAMPLES = {name: getattr(_render_tests, name) for name in
            ("chain_net", "nested_net", "nested_wiring", "feedback_wiring", "string_diagram")}
EXAMPLES |= {f"gallery {name}": getattr(_gallery, name) for name in ("chain", "nested", "feedback")}


def nested_feedback() -> WiringDiagram:
    """The feedback loop one level down: its turns inside the nested diagram's cluster."""
    wd = WiringDiagram("outer", inputs=[("task", _render_tests.Task)], outputs=[("act", _render_tests.Act)])
    wd.add_box("loop", _render_tests.feedback_wiring())
    wd.connect("in.task", "loop.task")
    wd.connect("loop.act", "out.act")
    return wd


EXAMPLES["nested_feedback"] = nested_feedback


def layout_problems(diagram, **options) -> list[str]:
    o = RenderOptions.of(None, **options)
    fig = figure(diagram, None, o.collapse)
    drawn = fitted(fig, o)  # the direction render chooses for a width
    svg, dot = render(diagram, "svg", options=o), to_dot(diagram, options=drawn)
    return svg_layout.problems(svg, dot, fig, tb=drawn.direction == "TB", fill=o.look.fill)


# ----- every shipped proposal and test figure passes -------------------------------------------------
@pytest.mark.parametrize("options", [{"direction": "LR"}, {"direction": "TB"}, {"theme": "paper", "width": "column"}],
                         ids=["LR", "TB", "paper-column"])
@pytest.mark.parametrize("path", PROPOSALS, ids=lambda p: p.stem)
def test_shipped_proposal_layout(path, options):
    assert layout_problems(load_proposal(path).wiring, **options) == []


@pytest.mark.parametrize("options", [{"direction": "LR"}, {"direction": "TB"},
                                     {"direction": "LR", "theme": "paper", "labels": "both"}],
                         ids=["LR", "TB", "paper"])
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_figure_layout(name, options):
    assert layout_problems(EXAMPLES[name](), **options) == []


# ----- the checker finds what it looks for ----------------------------------------------------------
def test_checker_finds_a_label_moved_onto_a_box_and_onto_another_label():
    d = _render_tests.chain_net()
    svg, dot = render(d, "svg"), to_dot(d)
    layout = svg_layout.read(svg)
    box = layout.nodes["box/monitor"].outline
    label = next(t for t in layout.texts if t.owner.startswith("edge") and t.text == "Act")
    other = next(t for t in layout.texts if t.owner.startswith("edge") and t.text == "Verdict")
    onto_box = svg.replace(f'x="{_attr(svg, label, "x")}" y="{_attr(svg, label, "y")}"',
                           f'x="{box.x0 + 2:g}" y="{box.y1 - 2:g}"', 1)
    found = svg_layout.problems(onto_box, dot, figure(d))
    assert f"label 'Act' ({label.owner}) overlaps node box/monitor" in found
    assert all(p.startswith(f"label 'Act' ({label.owner}) overlaps ") for p in found)  # the box and its port's name
    onto_label = svg.replace(f'x="{_attr(svg, label, "x")}" y="{_attr(svg, label, "y")}"',
                             f'x="{_attr(svg, other, "x")}" y="{_attr(svg, other, "y")}"', 1)
    found = svg_layout.problems(onto_label, dot, figure(d))
    assert found == [f"label 'Act' ({label.owner}) overlaps label 'Verdict' ({other.owner})"] or \
        found == [f"label 'Verdict' ({other.owner}) overlaps label 'Act' ({label.owner})"]
    assert svg_layout.problems(svg, dot, figure(d)) == []


def _attr(svg: str, text: svg_layout.Text, key: str) -> str:
    """The x or y attribute of the SVG text element of ``text`` (found by its content)."""
    m = re.search(rf'<text[^>]*x="([^"]+)" y="([^"]+)"[^>]*>{re.escape(text.text)}</text>', svg)
    return m.group(1 if key == "x" else 2)


def test_checker_finds_an_edge_end_off_its_port():
    d = _render_tests.chain_net()
    svg, dot = render(d, "svg"), to_dot(d)
    root = ET.fromstring(svg)
    edge = next(g for g in root.iter(f"{SVG}g") if g.get("id") == "edge1")
    path = next(edge.iter(f"{SVG}path"))
    x, y = (float(v) for v in re.match(r"M(-?[\d.]+),(-?[\d.]+)", path.get("d")).groups())
    moved = svg.replace(f'd="M{path.get("d")[1:]}', f'd="M{x + 10:g},{y}{path.get("d")[1:][len(f"{x:g},{y:g}"):]}')
    assert moved != svg
    found = svg_layout.problems(moved, dot, figure(d))
    assert len(found) == 1 and found[0].startswith("edge 1 (in/task -> box/policy) starts ")
    assert 8 <= float(found[0].split(" starts ")[1].split()[0]) <= 12 and found[0].endswith(" from node in/task")


def test_checker_finds_an_arrow_short_of_its_port():
    """An arrowhead drawn 5 pt short of its port cell (a wire that stops before the box) is reported."""
    d = _render_tests.chain_net()
    svg, dot = render(d, "svg"), to_dot(d)
    layout = svg_layout.read(svg)
    k = next(k for k, (_, tip) in layout.edges.items() if tip is not None)
    root = ET.fromstring(svg)
    edge = next(g for g in root.iter(f"{SVG}g") if g.get("id") == f"edge{k}")
    arrow = next(edge.iter(f"{SVG}polygon")).get("points")
    shifted = " ".join(f"{x - 5:g},{y:g}" for x, y in svg_layout._points(arrow))
    found = svg_layout.problems(svg.replace(arrow, shifted, 1), dot, figure(d))
    assert len(found) == 1 and found[0].startswith(f"edge {k} (") and " ends " in found[0]


# ----- feedback: one loop from port to port, inside the frame ----------------------------------------
def _bezier(points: list[tuple[float, float]], steps: int = 24) -> list[tuple[float, float]]:
    """Points along a graphviz path (a start and cubic segments of three points each)."""
    out = [points[0]]
    for i in range(1, len(points) - 2, 3):
        p0, p1, p2, p3 = points[i - 1], points[i], points[i + 1], points[i + 2]
        for s in range(1, steps + 1):
            t = s / steps
            out.append(tuple((1 - t) ** 3 * a + 3 * (1 - t) ** 2 * t * b + 3 * (1 - t) * t * t * c + t ** 3 * e
                             for a, b, c, e in zip(p0, p1, p2, p3)))
    return out


def _loops(svg: str, dot: str) -> list[list[tuple[float, float]]]:
    """The long way back of each feedback wire (its edge from one bend to the other), as points along it."""
    layout = svg_layout.read(svg)
    edges = svg_layout.dot_edges(dot)
    return [_bezier(layout.edges[k + 1][0]) for k, (tail, head) in enumerate(edges)
            if tail[0].startswith("bend/") and head[0].startswith("bend/")]


@pytest.mark.parametrize("direction", ["LR", "TB"])
@pytest.mark.parametrize("make", [_render_tests.feedback_wiring, _gallery.feedback,
                                  lambda: load_proposal(ROOT / "library/shipped/proposals/budgeted_monitoring.yaml")
                                  .wiring], ids=["feedback_wiring", "gallery", "budgeted_monitoring"])
def test_feedback_loop_turns_at_its_ports_and_stays_inside_the_frame(make, direction):
    d = make()
    o = RenderOptions(direction=direction)
    svg, dot = render(d, "svg", options=o), to_dot(d, options=o)
    loops = _loops(svg, dot)
    assert loops
    frame = svg_layout.read(svg)
    root = ET.fromstring(svg)
    outer = next(g for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"
                 and g.findtext(f"{SVG}title") == "cluster")
    box = svg_layout._bbox(svg_layout._points(re.sub(r"[MC]", " ", next(outer.iter(f"{SVG}path")).get("d"))))
    turns = {n.id: n.dot for n in frame.nodes.values() if "bend" in n.classes}
    boxes = [n.outline for n in frame.nodes.values() if "box" in n.classes]
    for pts in loops:
        # around the diagram: the long way back passes below every box (right of every box top to bottom)
        if direction == "LR":
            assert max(y for _, y in pts) > max(b.y1 for b in boxes), "the loop runs between the boxes"
        else:
            assert max(x for x, _ in pts) > max(b.x1 for b in boxes), "the loop runs between the boxes"
        assert all(box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1 for x, y in pts), "the loop leaves the frame"
        # the loop leaves its first turn and enters its second across the wire (down, or right top to bottom),
        # so each turn is a corner of one loop, not the end of a wire in empty space
        (x0, y0), (x1, y1), (xn, yn), (xm, ym) = pts[0], pts[3], pts[-1], pts[-4]
        if direction == "LR":
            assert y1 > y0 + 1 and ym > yn + 1
        else:
            assert x1 > x0 + 1 and xm > xn + 1
        assert any(math.dist(pts[0], c[:2]) <= c[2] + svg_layout.TOUCH for c in turns.values())
    assert 'style=dashed' in dot and (':s -> "bend/' in dot if direction == "LR" else ':e -> "bend/' in dot)


# ----- fan-out: a small tree of copy dots ----------------------------------------------------------
A = FinSet("A", ["a", "b"])


def fan(n: int) -> WiringDiagram:
    """One source read by ``n`` boxes (and nothing else)."""
    wd = WiringDiagram("fan", inputs=[], outputs=[(f"y{k}", A) for k in range(n)])
    wd.add_box("source", Kernel([0.5, 0.5], [], [("x", A)]))
    for k in range(n):
        wd.add_box(f"r{k}", Kernel(np.eye(2), [("x", A)], [("y", A)]))
        wd.connect("source.x", f"r{k}.x")
        wd.connect(f"r{k}.y", f"out.y{k}")
    return wd


@given(st.integers(min_value=0, max_value=40))
def test_every_copy_dot_has_at_most_fan_branches_and_every_reader_is_reached_once(n):
    dot = to_dot(fan(n))
    edges = [(t[0], h[0]) for t, h in svg_layout.dot_edges(dot)]
    out = Counter(t for t, _ in edges)
    dots = sorted({t for t, _ in edges if t.startswith("copy/")} | {h for _, h in edges if h.startswith("copy/")})
    assert all(2 <= out[d] <= FAN for d in dots)  # no hub, and no dot that splits nothing
    if n <= FAN ** 2:  # one level of second dots
        assert len(dots) == (0 if n < 2 else 1 if n <= FAN else 1 + sum(1 for g in _groups(n) if g > 1))
    # every reader has exactly one wire in, and follows the source through dots only
    into = Counter(h for _, h in edges)
    assert all(into[f"box/r{k}"] == 1 for k in range(n))
    parent = {h: t for t, h in edges}
    for k in range(n):
        node, hops = parent[f"box/r{k}"], 0
        while node.startswith("copy/"):
            node, hops = parent[node], hops + 1
        assert node == "box/source" and hops <= max(1, math.ceil(math.log(n) / math.log(FAN) - 1e-9))
    assert figure(fan(n)).counts()["edges"] == len(edges)


def _groups(n: int) -> list[int]:
    """Sizes of the readers' groups: at most FAN each, as even as possible (an independent statement of it)."""
    k = math.ceil(n / FAN)
    return [n // k + (1 if i < n % k else 0) for i in range(k)]


def test_swiss_cheese_difficulty_reaches_six_layers_through_three_dots():
    wd = load_proposal(ROOT / "library/shipped/proposals/swiss_cheese.yaml").wiring
    dot = to_dot(wd)
    edges = [(t[0], h[0]) for t, h in svg_layout.dot_edges(dot)]
    root = next(h for t, h in edges if t == "box/latent")
    taps = [h for t, h in edges if t == root]
    assert len(taps) == 2 and all(h.startswith("copy/") for h in taps)
    readers = sorted(h for t, h in edges if t in taps)
    assert readers == sorted(f"box/{b}{s}" for b in ("probe", "monitor", "auditor") for s in ("", "_i"))
    assert {frozenset(h for t, h in edges if t == tap) for tap in taps} == {
        frozenset({"box/probe", "box/monitor", "box/auditor"}), frozenset({"box/probe_i", "box/monitor_i",
                                                                            "box/auditor_i"})}
