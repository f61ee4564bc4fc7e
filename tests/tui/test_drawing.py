"""The terminal drawing of diagrams, and the string-diagram text of wiring diagrams (laws, by hypothesis)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from markovwire import FinSet, Kernel
from markovwire.diagrams import WiringDiagram
from markovwire.diagrams.syntax import parse_diagram
from markovwire.errors import WiringError
from markovwire.library import load_proposal, shipped_proposals
from markovwire.tui.drawing import GLYPH, E, S, Shape, draw
from markovwire.tui.expression import expression_of

DIRECTIONS = {glyph: bits for bits, glyph in GLYPH.items() if bin(bits).count("1") >= 2}


def picture_of(wd):
    shapes = [Shape(n, "", tuple(p.name for p in b.dom), tuple(q.name for q in b.cod)) for n, b in wd.boxes.items()]
    wires = [(w.source.box, w.source.port, w.target.box, w.target.port) for w in wd.wires]
    return draw(shapes, [p.name for p in wd.inputs], [p.name for p in wd.outputs], wires)


def check_picture(pic, wd) -> None:
    """Boxes do not overlap, every box and port is written, and lines join up (no dangling line ends)."""
    boxes = {k: r for k, r in pic.regions.items() if k in wd.boxes}
    cells = set()
    for x, y, w, h in boxes.values():
        mine = {(i, j) for i in range(x, x + w) for j in range(y, y + h)}
        assert not mine & cells
        cells |= mine
    text = pic.text()
    for name, b in wd.boxes.items():
        x, y, w, h = boxes[name]
        assert name in "".join(pic.chars[y][x:x + w])
        for i, p in enumerate(b.dom):
            assert "".join(pic.chars[y + 1 + i][x + 1:x + w - 1]).strip().startswith(p.name)
    for p in wd.outputs:
        assert p.name in text
    for y, row in enumerate(pic.chars):
        for x, ch in enumerate(row):
            if pic.tags[y][x] != "wire" or ch not in DIRECTIONS:
                continue
            bits = DIRECTIONS[ch]
            right = pic.chars[y][x + 1] if x + 1 < pic.width else " "
            below = pic.chars[y + 1][x] if y + 1 < pic.height else " "
            if bits & E:
                assert right != " ", f"a line ends in the air at ({x}, {y})"
            if bits & S:
                assert below != " ", f"a line ends in the air at ({x}, {y})"


@pytest.mark.parametrize("path", shipped_proposals(), ids=lambda p: p.stem)
def test_the_shipped_proposals_draw_cleanly(path):
    wd = load_proposal(path).wiring
    pic = picture_of(wd)
    check_picture(pic, wd)
    if path.stem == "trusted_monitoring":                 # the default fits a 120x40 terminal unscrolled
        assert pic.width <= 118 and pic.height <= 14


def test_boxes_without_wires_stand_in_a_row():
    pic = draw([Shape("a", "", (), ("x",)), Shape("b", "", ("x",), ()), Shape("c", "", ("y",), ())], [], [], [])
    ys = {pic.regions[k][1] for k in "abc"}
    assert ys == {0} and len({pic.regions[k][0] for k in "abc"}) == 3


def test_open_ports_are_marked():
    pic = draw([Shape("m", "", ("act",), ("sus",))], [], [], [], problems=[("m", "act")])
    x, y, w, h = pic.regions["m"]
    assert pic.chars[y + 1][x] == "!" and pic.tags[y + 1][x + 1] == "problem"


# ----- expressions: the text parses back to the same wiring ---------------------------------------------
TYPES = [FinSet("A", ["a0", "a1"]), FinSet("B", ["b0", "b1", "b2"])]


@st.composite
def dags(draw_):
    """Random wiring diagrams without loops: boxes reading earlier boxes' outputs (copies and discards too)."""
    n = draw_(st.integers(1, 5))
    wd = WiringDiagram("random", inputs=[("i0", TYPES[0])])
    sources = [("in.i0", TYPES[0])]
    for k in range(n):
        ins = draw_(st.lists(st.sampled_from(range(len(sources))), max_size=3))
        outs = draw_(st.lists(st.sampled_from(TYPES), min_size=1, max_size=2))
        dom = [(f"x{j}", sources[i][1]) for j, i in enumerate(ins)]
        cod = [(f"y{j}", t) for j, t in enumerate(outs)]
        kernel = Kernel.uniform(cod, dom)
        wd.add_box(f"b{k}", kernel)
        for (port, _), i in zip(dom, ins):
            wd.connect(sources[i][0], f"b{k}.{port}")
        sources += [(f"b{k}.y{j}", t) for j, t in enumerate(outs)]
    picks = draw_(st.lists(st.sampled_from(range(len(sources))), min_size=1, max_size=3))
    for j, i in enumerate(picks):
        wd.add_output(f"o{j}", sources[i][1])
        wd.connect(sources[i][0], f"out.o{j}")
    return wd


def connections(wd, outer_in=None, outer_out=None):
    """The wires by their inner ends; outer ports by position (an expression renames them)."""
    ins = outer_in or {p.name: f"in#{i}" for i, p in enumerate(wd.inputs)}
    outs = outer_out or {p.name: f"out#{i}" for i, p in enumerate(wd.outputs)}
    name = lambda r: ins[r.port] if r.box == "in" else outs[r.port] if r.box == "out" else str(r)
    return sorted((name(w.source), name(w.target)) for w in wd.wires)


@settings(max_examples=60)
@given(dags())
def test_expression_parses_back_to_the_same_wiring(wd):
    text = expression_of(wd)
    back = WiringDiagram.from_diagram(parse_diagram(text, dict(wd.boxes), {t.name: t for t in TYPES}), "back")
    assert [p.type for p in back.inputs] == [p.type for p in wd.inputs]
    assert [p.type for p in back.outputs] == [p.type for p in wd.outputs]
    assert connections(back) == connections(wd)
    check_picture(picture_of(wd), wd)


def test_no_expression_for_a_loop_or_an_open_input():
    wd = WiringDiagram("w")
    wd.add_box("m", Kernel.uniform([("y", TYPES[0])], [("x", TYPES[0])]))
    with pytest.raises(WiringError, match="input m.x: is not connected"):
        expression_of(wd)
    wd.connect("m.y", "m.x")
    with pytest.raises(WiringError, match="has a loop through m"):
        expression_of(wd)
