"""Wiring problems name their box and port as fields (front ends never parse the text)."""
from __future__ import annotations

import numpy as np

from markovwire import FinSet, Kernel
from markovwire.diagrams import WiringDiagram
from markovwire.errors import LoopWithoutState, TypeMismatch, WiringError

A, B = FinSet("A", ["a0", "a1"]), FinSet("B", ["b0", "b1"])


def box(dom, cod, name):
    """A uniform kernel: one axis per input, then per output."""
    shape = [len(t.elements) for _, t in dom] + [len(t.elements) for _, t in cod]
    n_out = int(np.prod([len(t.elements) for _, t in cod]))
    return Kernel(np.full(shape, 1 / n_out), dom, cod, name=name)


def diagram() -> WiringDiagram:
    wd = WiringDiagram("d", outputs=[("y", B)])
    wd.add_box("src", box([], [("x", A)], "src"))
    wd.add_box("use", box([("b", B)], [("y", B)], "use"))
    return wd


def test_a_type_mismatch_in_a_wiring_has_box_and_port():
    wd = diagram()
    wd.connect("src.x", "use.b")
    wd.connect("use.y", "out.y")
    [e] = [e for e in wd.problems() if isinstance(e, TypeMismatch)]
    assert str(e.where) == "wire src.x → use.b" and (e.box, e.port) == ("use", "b")
    assert e.to_dict()["box"] == "use" and e.to_dict()["port"] == "b"


def test_open_ports_and_bad_boxes_have_box_and_port():
    wd = diagram()
    got = {(str(e.where), e.box, e.port) for e in wd.problems()}
    assert got == {("input use.b", "use", "b"), ("output out.y", "out", "y")}
    try:
        wd.add_box("src", box([], [("x", A)], "again"))
    except WiringError as e:
        assert (str(e.where), e.box, e.port) == ("box 'src'", "src", None)


def test_a_loop_without_state_points_at_a_port_on_it():
    wd = WiringDiagram("loop")
    wd.add_box("f", box([("i", A)], [("o", A)], "f"))
    wd.connect("f.o", "f.i")
    [e] = [e for e in wd.problems() if isinstance(e, LoopWithoutState)]
    assert e.box == "f" and e.port in ("i", "o")


def test_a_nested_problem_points_at_the_instance_seen_from_outside():
    inner = diagram()
    outer = WiringDiagram("outer", outputs=[("y", B)])
    outer.add_box("sub", inner)
    outer.connect("sub.y", "out.y")
    nested = [e for e in outer.problems() if e.where.startswith("in 'sub'")]
    assert nested and all((e.box, e.port) == ("sub", None) for e in nested)
    assert {str(e.where) for e in nested} == {"in 'sub': input use.b", "in 'sub': output out.y"}
