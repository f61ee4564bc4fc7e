"""Wiring diagrams: an outer box with named ports, inner boxes, and wires between ports.

A :class:`WiringDiagram` is data (Catlab's schema): outer input and output
ports, inner boxes by instance name, and wires ``source → target`` between
port references ``box.port`` (``in.port`` is an outer input, ``out.port`` an
outer output). A source wired to several targets is a copy; an output wired
nowhere is discarded. Every input (inner, and outer output) needs exactly one
source. An inner box may itself be a wiring diagram (nesting): :meth:`to_net`
compiles the nesting into one net whose names are paths, ``audit/monitor.verdict``.
A string diagram becomes a wiring diagram with :meth:`WiringDiagram.from_diagram`,
and back with :meth:`to_diagram`.

>>> from markovwire import FinSet, Kernel
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> wd = WiringDiagram("control", outputs=[("act", Act), ("verdict", V)])
>>> wd.add_box("policy", Kernel([0.9, 0.1], [], [("act", Act)]))
'policy'
>>> wd.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [("act", Act)], [("verdict", V)]))
'monitor'
>>> wd.connect("policy.act", "monitor.act")
>>> wd.connect("policy.act", "out.act")          # fan-out: a copy
>>> wd.connect("monitor.verdict", "out.verdict")
>>> round(wd.evaluate().prob("attack", "flag"), 6)
0.07
>>> print(wd.to_diagram())
policy >> copy[Act] >> (monitor ⊗ id[Act]) >> swap[Verdict, Act]

Mistakes are all reported at once, each naming the ports and types:

>>> wd.connect("monitor.verdict", "monitor.act")
>>> wd.check()
Traceback (most recent call last):
...
markovwire.errors.ErrorList: 3 problem(s):
- wire monitor.verdict → monitor.act: Verdict does not match Act
    fix: connect an output of type Act to monitor.act, or insert a box Verdict → Act
- input monitor.act: takes Act but has 2 sources: policy.act (Act), monitor.verdict (Verdict)
    fix: keep one wire into monitor.act; merge sources with an explicit box
- loop monitor.verdict → monitor.act: has no stateful box to delay it
    fix: put a stateful box (markovwire.diagrams.StatefulBox) on the loop, or remove one of its wires

A stateful box (anything with a ``state``) may close a loop when its outputs
do not depend on its current inputs (``instantaneous == False``); such
diagrams are compiled to step kernels by ``markovwire.diagrams.System``.
:meth:`WiringDiagram.is_feedback` tells which wires close cycles (for figures).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Mapping, Sequence

from markovwire import FinSet, Kernel, Net, Port, bundle, show_bundle
from markovwire.errors import (
    ErrorList,
    LoopWithoutState,
    MarkovwireError,
    Place,
    TypeMismatch,
    UnknownName,
    WiringError,
)
from markovwire.types import names_apart

from .compile import evaluate_net, is_stateful, place
from .expression import Box, Diagram
from .infer import Equations, unsolved
from .render import mimebundle

RESERVED = ("in", "out")
BOX_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
PORT_NAME = re.compile(r"[^\s./]+\Z")


@dataclass(frozen=True)
class PortRef:
    """A port of an inner box (``box.port``), or an outer port (``in.port``, ``out.port``)."""

    box: str
    port: str

    @classmethod
    def parse(cls, ref: "str | PortRef") -> "PortRef":
        """``"monitor.verdict"`` → ``PortRef("monitor", "verdict")`` (split at the first dot)."""
        if isinstance(ref, PortRef):
            return ref
        box, dot, port = str(ref).strip().partition(".")
        if not (dot and box and port):
            raise WiringError(f"port {ref!r}", "is not of the form box.port",
                              fix="write 'box.port', 'in.port' (an outer input) or 'out.port' (an outer output)")
        return cls(box, port)

    def __str__(self) -> str:
        return f"{self.box}.{self.port}"


@dataclass(frozen=True)
class Wire:
    """A wire from an output (or outer input) to an input (or outer output)."""

    source: PortRef
    target: PortRef

    def __str__(self) -> str:
        return f"{self.source} → {self.target}"


class WiringDiagram:
    """Outer ports, inner boxes by instance name, and wires; see the module docstring."""

    def __init__(self, name: str, inputs: Iterable = (), outputs: Iterable = (),
                 boxes: Mapping[str, object] | None = None, wires: Iterable = ()):
        self.name = str(name)
        self.doc = ""
        self.inputs: tuple[Port, ...] = ()
        self.outputs: tuple[Port, ...] = ()
        self.boxes: dict[str, object] = {}
        self.wires: list[Wire] = []
        for p in bundle(inputs):
            self.add_input(p.name, p.type)
        for p in bundle(outputs):
            self.add_output(p.name, p.type)
        for n, b in (boxes or {}).items():
            self.add_box(n, b)
        for w in wires:
            self.connect(*(w if isinstance(w, tuple) else (w.source, w.target)))
        self._net_cache: tuple | None = None
        self._problems_cache: tuple | None = None

    @classmethod
    def from_diagram(cls, diagram, name: str = "diagram") -> "WiringDiagram":
        """The wiring diagram of a string diagram (or of a box): plumbing becomes wires, and boxes
        get unique instance names (see :meth:`Diagram.instances`)."""
        diagram = Diagram.box(diagram)
        boxes, outputs = diagram.instances()
        wd = cls(name, inputs=diagram.dom, outputs=diagram.cod)
        for inst, box, ends in boxes:
            wd.add_box(inst, box)
            for end, p in zip(ends, box.dom):
                wd.connect(PortRef(*end), PortRef(inst, p.name))
        for end, p in zip(outputs, diagram.cod):
            wd.connect(PortRef(*end), PortRef("out", p.name))
        return wd

    # ----- the box of this diagram, seen from outside ----------------------
    @property
    def dom(self) -> tuple[Port, ...]:
        return self.inputs

    @property
    def cod(self) -> tuple[Port, ...]:
        return self.outputs

    # ----- building --------------------------------------------------------
    def add_input(self, name: str, type: FinSet) -> PortRef:
        """A new outer input port; wire from it with ``"in.<name>"``."""
        self.inputs = self._new_port(self.inputs, name, type, "input")
        return PortRef("in", name)

    def add_output(self, name: str, type: FinSet) -> PortRef:
        """A new outer output port; wire into it with ``"out.<name>"``."""
        self.outputs = self._new_port(self.outputs, name, type, "output")
        return PortRef("out", name)

    def _new_port(self, ports, name, type, side) -> tuple[Port, ...]:
        name = str(name)
        if not PORT_NAME.match(name):
            raise WiringError(f"diagram {self.name!r}, {side} {name!r}", "is not a valid port name",
                              fix="use a name without spaces, dots or slashes")
        if not isinstance(type, FinSet):
            raise TypeMismatch(f"diagram {self.name!r}, {side} {name!r}", f"{type!r} is not a finite set",
                               fix="give outer ports concrete finite types (FinSet)")
        if any(p.name == name for p in ports):
            raise WiringError(f"diagram {self.name!r}, {side} {name!r}", "already exists",
                              fix=f"give each outer {side} a distinct name")
        return ports + (Port(name, type),)

    def add_box(self, name: str, box) -> str:
        """Add an inner box (a Box, Kernel, WiringDiagram or stateful box) under an instance name."""
        name = self._new_box_name(name)
        if isinstance(box, Kernel):
            box = Box.of(box, name=name)
        if not all(hasattr(box, a) for a in ("name", "dom", "cod")):
            raise WiringError(Place(box=name), f"{box!r} is not a box, kernel, wiring diagram or stateful box",
                              fix="add a Box, Kernel, WiringDiagram or StatefulBox")
        if box is self or (isinstance(box, WiringDiagram) and self in box._nested()):
            raise WiringError(Place(box=name), "would nest the diagram inside itself",
                              fix="nest a clone (wd.clone()) instead")
        self.boxes[name] = box
        return name

    def _new_box_name(self, name: str) -> str:
        name = str(name)
        if name in RESERVED:
            raise WiringError(Place(box=name), "is a reserved name (in/out are the outer ports)",
                              fix="choose another instance name")
        if not BOX_NAME.match(name):
            raise WiringError(Place(box=name), "is not a valid instance name",
                              fix="use letters, digits, '_' and '-', starting with a letter or '_'")
        if name in self.boxes:
            raise WiringError(Place(box=name), "already exists in this diagram",
                              fix="give each inner box a distinct instance name, or rename_box first")
        return name

    def remove_box(self, name: str) -> None:
        """Remove an inner box and every wire attached to it."""
        self._box(name)
        del self.boxes[name]
        self.wires = [w for w in self.wires if name not in (w.source.box, w.target.box)]

    def rename_box(self, old: str, new: str) -> None:
        """Change an instance name, keeping the box's place and its wires."""
        self._box(old)  # raises for an unknown name
        if new != old:
            self._new_box_name(new)
            self.boxes = {(new if n == old else n): b for n, b in self.boxes.items()}
            r = lambda ref: PortRef(new, ref.port) if ref.box == old else ref
            self.wires = [Wire(r(w.source), r(w.target)) for w in self.wires]

    def connect(self, source: "str | PortRef", target: "str | PortRef") -> None:
        """Wire ``source`` (``box.output`` or ``in.port``) to ``target`` (``box.input`` or ``out.port``)."""
        wire = Wire(PortRef.parse(source), PortRef.parse(target))
        errs = self._end_problems(wire)
        if errs:
            raise errs[0]
        seen = self._wire_set()
        if wire in seen:
            raise WiringError(_wire_place(wire), "already exists", fix="connect each pair of ports once")
        self.wires.append(wire)
        seen.add(wire)
        self._seen = (self.wires, len(self.wires), seen)

    def _wire_set(self) -> set:
        """The wires as a set, kept between calls to ``connect`` (a diagram of n wires is built in O(n), not O(n²));
        rebuilt whenever the list was replaced or changed length since."""
        wires, n, seen = getattr(self, "_seen", (None, -1, None))
        if wires is not self.wires or n != len(self.wires):
            seen = set(self.wires)
        return seen

    def disconnect(self, source: "str | PortRef | Wire", target: "str | PortRef | None" = None) -> None:
        """Remove the wire ``source → target`` (or a :class:`Wire`)."""
        wire = source if isinstance(source, Wire) else Wire(PortRef.parse(source), PortRef.parse(target))
        if wire not in self.wires:
            raise WiringError(_wire_place(wire), "is not in the diagram", fix="disconnect one of the listed wires")
        self.wires.remove(wire)
        self._seen = (None, -1, None)

    def link(self, source: str, target: str, by_name: bool = False) -> None:
        """Wire every output of box ``source`` to box ``target``: by position, or by port name.

        ``"in"`` as the source means the outer inputs, ``"out"`` as the target the outer outputs.
        """
        outs = [p.name for p in (self.inputs if source == "in" else self._ports(source, "output"))]
        ins = [p.name for p in (self.outputs if target == "out" else self._ports(target, "input"))]
        if by_name:
            missing = [n for n in ins if n not in outs]
            if missing:
                raise WiringError(f"link {source} → {target}", f"{target} reads {', '.join(missing)}, which "
                                  f"{source} does not output", fix=f"{source} outputs: {', '.join(outs) or 'none'}")
            pairs = [(n, n) for n in ins]
        else:
            if len(outs) != len(ins):
                raise WiringError(f"link {source} → {target}", f"{source} has {len(outs)} output(s) but {target} "
                                  f"has {len(ins)} input(s)", fix="link by_name=True, or connect ports one by one")
            pairs = list(zip(outs, ins))
        for o, i in pairs:
            self.connect(PortRef(source, o), PortRef(target, i))

    def chain(self, *names: str, by_name: bool = False) -> "WiringDiagram":
        """``link`` each box to the next: ``wd.chain("in", "policy", "monitor", "out")``."""
        for a, b in zip(names, names[1:]):
            self.link(a, b, by_name=by_name)
        return self

    def __getitem__(self, name: str):
        return self._box(name)

    def __contains__(self, name: str) -> bool:
        return name in self.boxes

    def clone(self) -> "WiringDiagram":
        """A new diagram with the same ports, boxes and wires, to change apart (the boxes are shared: immutable)."""
        other = WiringDiagram(self.name)
        other.doc = self.doc
        other.inputs, other.outputs = self.inputs, self.outputs
        other.boxes, other.wires = dict(self.boxes), list(self.wires)
        return other

    # ----- lookups ---------------------------------------------------------
    def _box(self, name: str):
        if name not in self.boxes:
            raise UnknownName(f"diagram {self.name!r}", f"has no box {name!r}",
                              fix=f"use one of: {', '.join(self.boxes) or '(no boxes yet)'}")
        return self.boxes[name]

    def _ports(self, name: str, side: str) -> tuple[Port, ...]:
        box = self._box(name)
        return tuple(box.dom if side == "input" else box.cod)

    def _end_problems(self, wire: Wire) -> list[MarkovwireError]:
        """Problems with the two ends of a wire: unknown boxes or ports, or the wrong direction."""
        errs, where = [], _wire_place(wire)
        for ref, side, outer in ((wire.source, "output", "in"), (wire.target, "input", "out")):
            if ref.box in RESERVED:
                ports = self.inputs if ref.box == "in" else self.outputs
                if ref.box != outer:
                    errs.append(WiringError(where, f"{ref} is an outer {'output' if outer == 'in' else 'input'}; "
                                            f"a wire {'starts' if outer == 'in' else 'ends'} at "
                                            f"{outer}.<port> or at a box {side}",
                                            fix="wires run from in.<port> or box.<output> to box.<input> "
                                                "or out.<port>"))
                elif not any(p.name == ref.port for p in ports):
                    kind = "input" if outer == "in" else "output"
                    errs.append(UnknownName(where, f"the diagram has no outer {kind} {ref.port!r}",
                                            fix=f"use one of: {', '.join(p.name for p in ports) or 'none'}, "
                                                f"or add it with add_{kind}"))
                continue
            if ref.box not in self.boxes:
                errs.append(UnknownName(where, f"there is no box {ref.box!r}",
                                        fix=f"use one of: {', '.join(self.boxes) or '(no boxes yet)'}"))
                continue
            mine = self._ports(ref.box, side)
            if any(p.name == ref.port for p in mine):
                continue
            other = self._ports(ref.box, "input" if side == "output" else "output")
            if any(p.name == ref.port for p in other):
                errs.append(WiringError(where, f"{ref} is an {'input' if side == 'output' else 'output'} of "
                                        f"{ref.box!r}, not an {side}",
                                        fix="wires run from outputs to inputs; swap the two ends?"))
            else:
                errs.append(UnknownName(where, f"box {ref.box!r} has no {side} {ref.port!r}",
                                        fix=f"use one of: {', '.join(p.name for p in mine) or 'none'}"))
        return errs

    # ----- checking --------------------------------------------------------
    def problems(self) -> list[MarkovwireError]:
        """Every problem of the diagram (and of nested diagrams), each naming ports and types."""
        return [e for _, e in self._located_problems()]

    def check(self) -> "WiringDiagram":
        """Raise every problem at once (one error, or an :class:`ErrorList`)."""
        errs = self.problems()
        if len(errs) == 1:
            raise errs[0]
        if errs:
            raise ErrorList(errs)
        return self

    def _located_problems(self) -> list[tuple[tuple, MarkovwireError]]:
        """Problems with the key of what they are about: ``("wires", i)``, ``("boxes", name)``, ... (found once
        per state of the diagram: checking it again before compiling costs nothing)."""
        key = self._fingerprint()
        if self._problems_cache is None or self._problems_cache[0] != key:
            self._problems_cache = (key, self._find_problems())
        return list(self._problems_cache[1])

    def _find_problems(self) -> list[tuple[tuple, MarkovwireError]]:
        out: list[tuple[tuple, MarkovwireError]] = []
        for name, box in self.boxes.items():
            if name in RESERVED or not BOX_NAME.match(name):
                out.append((("boxes", name), WiringError(Place(box=name), "is not a valid instance name",
                                                         fix="use letters, digits, '_' and '-' (not in/out)")))
            if isinstance(box, WiringDiagram):
                for key, e in box._located_problems():
                    out.append((("boxes", name, "diagram") + key, _inside(name, e)))
            elif isinstance(box, Box) and box.kernel is None and box.make is None and box.plumbing is None:
                out.append((("boxes", name), WiringError(Place(box=name), "has no kernel",
                                                         fix="give it a kernel, e.g. Box.of(kernel)")))
        good = []
        for i, w in enumerate(self.wires):
            errs = self._end_problems(w)
            out += [(("wires", i), e) for e in errs]
            if not errs:
                good.append((i, w))
        sources: dict[PortRef, list[tuple[int, Wire]]] = {}
        for i, w in good:
            sources.setdefault(w.target, []).append((i, w))
        terms, eqs = self._terms(good)
        bad = eqs.solve()
        for s, t, (i, w) in bad:
            sn, tn = names_apart(s, t)
            out.append((("wires", i), TypeMismatch(_wire_place(w), f"{sn} does not match {tn}",
                                                   fix=f"connect an output of type {tn} to {w.target}, "
                                                       f"or insert a box {sn} → {tn}")))
        show = lambda ref, source=False: eqs.shown(terms[ref, source]).name
        for target, ws in sources.items():
            if len(ws) > 1:
                srcs = ", ".join(f"{w.source} ({show(w.source, True)})" for _, w in ws)
                kind = "output" if target.box == "out" else "input"
                out.append((("wires", ws[1][0]), WiringError(
                    Place(f"{kind} {target}", box=target.box, port=target.port),
                    f"takes {show(target)} but has {len(ws)} sources: {srcs}",
                    fix=f"keep one wire into {target}; merge sources with an explicit box")))
        for name, box in self.boxes.items():
            for p in box.dom:
                ref = PortRef(name, p.name)
                if ref not in sources:
                    out.append((("boxes", name), WiringError(
                        Place(f"input {ref}", box=ref.box, port=ref.port), f"takes {show(ref)} but is not connected",
                        fix=f"wire an output of type {show(ref)} into it, e.g. wd.connect('<box>.<port>', '{ref}')")))
            if isinstance(box, Box) and box.is_polymorphic:
                for v in unsolved(eqs.substitution(*self._box_terms(terms, name, box), box.dom, box.cod)):
                    out.append((("boxes", name), TypeMismatch(Place(box=name), f"type variable {v} could not be "
                                                              "inferred", fix="wire it to typed ports, or give the "
                                                              "type, e.g. Box.copy(Act)")))
        for p in self.outputs:
            ref = PortRef("out", p.name)
            if ref not in sources:
                out.append((("outputs", p.name), WiringError(
                    Place(f"output {ref}", box=ref.box, port=ref.port), f"takes {p.type.name} but is not connected",
                    fix=f"wire a {p.type.name} source into {ref}")))
        for cycle, i in self._instant_cycles(good):
            chain = " → ".join(map(str, cycle))
            out.append((("wires", i), LoopWithoutState(
                Place(f"loop {chain}", box=cycle[0].box, port=cycle[0].port), "has no stateful box to delay it",
                fix="put a stateful box (markovwire.diagrams.StatefulBox) on the loop, or remove one of its wires")))
        return out

    def _terms(self, wires) -> tuple[dict[tuple[PortRef, bool], object], Equations]:
        """The type of every port, keyed ``(port, is_source)`` (an input and an output may share a name;
        type variables renamed apart per box), and the wires' equations."""
        eqs = Equations()
        terms: dict[tuple[PortRef, bool], object] = {(PortRef("in", p.name), True): p.type for p in self.inputs}
        terms.update({(PortRef("out", p.name), False): p.type for p in self.outputs})
        for name, box in self.boxes.items():
            dt, ct = eqs.fresh([p.type for p in box.dom], [p.type for p in box.cod], key=name)
            terms.update({(PortRef(name, p.name), False): t for p, t in zip(box.dom, dt)})
            terms.update({(PortRef(name, p.name), True): t for p, t in zip(box.cod, ct)})
        for i, w in wires:
            eqs.equate(terms[w.source, True], terms[w.target, False], (i, w))
        return terms, eqs

    @staticmethod
    def _box_terms(terms, name, box):
        return ([terms[PortRef(name, p.name), False] for p in box.dom],
                [terms[PortRef(name, p.name), True] for p in box.cod])

    # ----- loops -----------------------------------------------------------
    def _depends(self) -> dict[str, list[tuple[str, str]]]:
        """For each inner box, the (input, output) pairs where the output depends on the input right away."""
        out = {}
        for name, box in self.boxes.items():
            if is_stateful(box):
                pairs = [(p.name, q.name) for p in box.dom for q in box.cod] if box.instantaneous else []
            elif isinstance(box, WiringDiagram):
                pairs = box._through()
            elif getattr(box, "plumbing", None) is not None:
                pairs = [(box.dom[i].name, q.name) for q, i in zip(box.cod, box.plumbing)]
            else:
                pairs = [(p.name, q.name) for p in box.dom for q in box.cod]
            out[name] = pairs
        return out

    def _port_graph(self, wires) -> dict[tuple, list[tuple[tuple, int | None]]]:
        """Edges between ports: wires (with their index) and instantaneous dependencies inside boxes."""
        graph: dict[tuple, list] = {}
        for name, pairs in self._depends().items():
            for a, b in pairs:
                graph.setdefault((name, a, "in"), []).append(((name, b, "out"), None))
        for i, w in wires:
            graph.setdefault((w.source.box, w.source.port, "out"), []).append(
                ((w.target.box, w.target.port, "in"), i))
        return graph

    def _through(self) -> list[tuple[str, str]]:
        """The (outer input, outer output) pairs joined by an instantaneous path."""
        graph = self._port_graph(list(enumerate(self.wires)))
        pairs = []
        for p in self.inputs:
            seen, todo = set(), [("in", p.name, "out")]
            while todo:
                node = todo.pop()
                for nxt, _ in graph.get(node, ()):
                    if nxt not in seen:
                        seen.add(nxt)
                        todo.append(nxt)
            pairs += [(p.name, q.name) for q in self.outputs if ("out", q.name, "in") in seen]
        return pairs

    def _instant_cycles(self, wires) -> list[tuple[list[PortRef], int]]:
        """One cycle per strongly connected set of ports that loops without state (ports, a wire on it)."""
        graph = self._port_graph(wires)
        cycles = []
        for comp in _strong_components(graph):
            wire, w = next((i, w) for i, w in wires if (w.source.box, w.source.port, "out") in comp)
            path = _cycle_from((w.source.box, w.source.port, "out"), graph, comp)
            cycles.append(([PortRef(n[0], n[1]) for n in path], wire))
        return cycles

    def is_feedback(self, wire: Wire) -> bool:
        """Whether ``wire`` closes a cycle (drawn as a feedback wire).

        Wires out of stateful boxes whose outputs wait for the next step close the
        cycles they lie on; other cycles are closed by the back edges of a depth-first
        search over boxes in insertion order.
        """
        return wire in self._feedback()

    def _feedback(self) -> set[Wire]:
        inner = [w for w in self.wires if w.source.box in self.boxes and w.target.box in self.boxes]
        graph: dict[str, list[str]] = {n: [] for n in self.boxes}
        for w in inner:
            graph[w.source.box].append(w.target.box)
        comp = {n: k for k, c in enumerate(_strong_components({n: [(m, None) for m in ms]
                                                               for n, ms in graph.items()}, trivial=True))
                for n in c}
        delayed = lambda n: is_stateful(self.boxes[n]) and not self.boxes[n].instantaneous
        out = {w for w in inner if delayed(w.source.box) and comp[w.source.box] == comp[w.target.box]}
        rest = {n: [] for n in self.boxes}
        for w in inner:
            if not delayed(w.source.box):
                rest[w.source.box].append(w)
        state: dict[str, int] = {}
        for root in self.boxes:
            if root in state:
                continue
            state[root] = 1
            stack = [(root, iter(rest[root]))]
            while stack:
                node, it = stack[-1]
                w = next(it, None)
                if w is None:
                    state[node] = 2
                    stack.pop()
                elif state.get(w.target.box) == 1:
                    out.add(w)
                elif w.target.box not in state:
                    state[w.target.box] = 1
                    stack.append((w.target.box, iter(rest[w.target.box])))
        return out

    # ----- compilation -----------------------------------------------------
    def _stateful_boxes(self, prefix: str = "") -> Iterator[str]:
        for name, box in self.boxes.items():
            if is_stateful(box):
                yield prefix + name
            elif isinstance(box, WiringDiagram):
                yield from box._stateful_boxes(f"{prefix}{name}/")

    def _nested(self) -> Iterator["WiringDiagram"]:
        for box in self.boxes.values():
            if isinstance(box, WiringDiagram):
                yield box
                yield from box._nested()

    def _fingerprint(self) -> tuple:
        boxes = tuple((n, b._fingerprint() if isinstance(b, WiringDiagram) else id(b)) for n, b in self.boxes.items())
        return (self.name, self.inputs, self.outputs, boxes, tuple(self.wires))

    def to_net(self) -> Net:
        """The :class:`~markovwire.Net` of this diagram: nested names become paths (``audit/monitor``),
        plumbing becomes wires."""
        return self._net().clone()

    def _net(self) -> Net:
        key = self._fingerprint()
        if self._net_cache is not None and self._net_cache[0] == key:
            return self._net_cache[1]
        stateful = list(self._stateful_boxes())
        if stateful:
            raise WiringError(Place(box=stateful[0]), f"is stateful, so diagram {self.name!r} has no single kernel",
                              fix="compile it with markovwire.diagrams.System(diagram) for its step kernel and "
                                  "multi-step behaviour")
        self.check()
        net = self._compile().check()
        self._net_cache = (key, net)
        return net

    def _compile(self) -> Net:
        """The boxes of this (checked) diagram placed on one net by :func:`~markovwire.diagrams.compile.place`.

        A box's output is on wire ``box.port`` until the end, when wires that plumbing or a nested
        diagram only passes on are resolved to the wires they lead from.
        """
        terms, eqs = self._terms(list(enumerate(self.wires)))
        eqs.solve()
        net, alias = Net(), {}
        net.set_inputs(*(p.name for p in self.inputs), types=[p.type for p in self.inputs])
        feeds = {w.target: w.source.port if w.source.box == "in" else str(w.source) for w in self.wires}
        for name, box in self.boxes.items():
            if isinstance(box, Box) and box.is_polymorphic:
                box = box.instantiate(eqs.substitution(*self._box_terms(terms, name, box), box.dom, box.cod))
            outs = place(net, name, box, [feeds[PortRef(name, p.name)] for p in box.dom])
            alias.update({f"{name}.{q.name}": w for q, w in zip(box.cod, outs) if w != f"{name}.{q.name}"})

        def res(w: str) -> str:
            for _ in range(len(alias) + 1):
                if w not in alias:
                    return w
                w = alias[w]
            raise WiringError(f"diagram {self.name!r}", f"wire {w!r} is aliased in a cycle",
                              fix="break the loop of plumbing")
        net = net.rename_wires({w: res(w) for w in alias})
        net.set_outputs(*(res(feeds[PortRef("out", p.name)]) for p in self.outputs))
        return net

    def evaluate(self, values=None, **kw):
        """The diagram's kernel (outer inputs → outer outputs), via :meth:`markovwire.Net.evaluate`."""
        return evaluate_net(self._net(), self.inputs, self.outputs, self.name, values, **kw)

    def to_diagram(self):
        """The string diagram of this wiring diagram (needs no loops; plumbing made explicit)."""
        self.check()
        order = self._topological()
        current = [PortRef("in", p.name) for p in self.inputs]
        types = {PortRef("in", p.name): p.type for p in self.inputs}
        feeds = {w.target: w.source for w in self.wires}
        readers: dict[PortRef, list[int]] = {}
        for k, name in enumerate(order):
            for p in self.boxes[name].dom:
                readers.setdefault(feeds[PortRef(name, p.name)], []).append(k)
        for p in self.outputs:
            readers.setdefault(feeds[PortRef("out", p.name)], []).append(len(order))
        terms, eqs = self._terms(list(enumerate(self.wires)))
        eqs.solve()
        d = None
        for k, name in enumerate(order):
            box = self.boxes[name]
            ins = [feeds[PortRef(name, p.name)] for p in box.dom]
            keep = [s for s in current if any(r > k for r in readers.get(s, ()))]
            picks = [current.index(s) for s in ins + keep]
            step = Diagram.tensor(box, *(Box.identity(types[s], port=s.port) for s in keep))
            d = _then(d, _route([types[s] for s in current], picks))
            d = _then(d, step)
            for q in box.cod:
                types[PortRef(name, q.name)] = eqs.resolve(terms[PortRef(name, q.name), True])
            current = [PortRef(name, q.name) for q in box.cod] + keep
        last = [current.index(feeds[PortRef("out", p.name)]) for p in self.outputs]
        d = _then(d, _route([types[s] for s in current], last))
        d = d if d is not None else Diagram.id(*(types[s] for s in current))
        dom, cod = [p.name for p in self.inputs], [p.name for p in self.outputs]
        if [p.name for p in d.dom] != dom or [p.name for p in d.cod] != cod:
            d = d.rename(dom=dom, cod=cod)
        return d

    def _topological(self) -> list[str]:
        """Inner boxes, each after the boxes it reads from; a loop has no string diagram."""
        deps = {n: [w.source.box for w in self.wires if w.target.box == n and w.source.box in self.boxes]
                for n in self.boxes}
        order, state = [], {}
        for root in self.boxes:
            stack = [(root, iter(deps[root]))] if root not in state else []
            state.setdefault(root, 1)
            while stack:
                node, it = stack[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[node] = 2
                    order.append(node)
                    stack.pop()
                elif state.get(nxt) == 1:
                    raise WiringError(f"diagram {self.name!r}", f"has a loop through {nxt!r}, so no string diagram",
                                      fix="keep it as a wiring diagram (markovwire.diagrams.System for state)")
                elif nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, iter(deps[nxt])))
        return order

    # ----- display ---------------------------------------------------------
    def __repr__(self) -> str:
        return (f"WiringDiagram({self.name}: {show_bundle(self.inputs)} → {show_bundle(self.outputs)}; "
                f"{len(self.boxes)} boxes, {len(self.wires)} wires)")

    def __str__(self) -> str:
        lines = [f"wiring diagram {self.name}: {show_bundle(self.inputs)} → {show_bundle(self.outputs)}"]
        rows = [(n, _describe(b)) for n, b in self.boxes.items()]
        width = max((len(n) for n, _ in rows), default=0)
        lines.append("boxes:" if rows else "boxes: none")
        lines += [f"  {n.ljust(width)}  {desc}" for n, desc in rows]
        terms, eqs = self._terms([(i, w) for i, w in enumerate(self.wires) if not self._end_problems(w)])
        eqs.solve()
        shown = lambda ref: eqs.shown(terms[ref, True]).name if (ref, True) in terms else "?"
        fb = self._feedback()
        ws = [(str(w.source), str(w.target), shown(w.source), " (feedback)" if w in fb else "") for w in self.wires]
        a = max((len(s) for s, *_ in ws), default=0)
        b = max((len(t) for _, t, *_ in ws), default=0)
        lines.append("wires:" if ws else "wires: none")
        lines += [f"  {s.ljust(a)} → {t.ljust(b)}  {ty}{fb}" for s, t, ty, fb in ws]
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return mimebundle(self, include, exclude)


# ----- helpers -------------------------------------------------------------------
def _inside(name: str, err: MarkovwireError) -> MarkovwireError:
    """``err`` of a nested diagram, its place inside the instance ``name`` (the box it is about, seen from here)."""
    return err.relocated(Place(f"in {name!r}").nest(err.place).replace(box=name, port=None))


def _wire_place(wire: "Wire") -> Place:
    """``wire a.x → b.y``, about the port the wire ends at."""
    return Place(f"wire {wire}", box=wire.target.box, port=wire.target.port)


def _describe(box) -> str:
    if isinstance(box, WiringDiagram):
        return f"diagram {box.name}: {show_bundle(box.dom)} → {show_bundle(box.cod)} ({len(box.boxes)} boxes)"
    kind = "stateful " if is_stateful(box) else ""
    return f"{kind}{box.name}: {show_bundle(box.dom)} → {show_bundle(box.cod)}"


def _then(d, e):
    """``d >> e``, where either may be missing (None)."""
    if e is None:
        return d
    return Diagram.box(e) if d is None else d >> e


def _route(types: Sequence[FinSet], picks: Sequence[int]):
    """Plumbing from wires of ``types`` to the wires ``picks`` (copies, discards and a permutation), or None."""
    if list(picks) == list(range(len(types))):
        return None
    counts = [list(picks).count(i) for i in range(len(types))]
    pieces = [Box.discard(t) if c == 0 else Box.identity(t) if c == 1 else Box.copy(t, c)
              for t, c in zip(types, counts)]
    start = [sum(counts[:i]) for i in range(len(types))]
    seen = [0] * len(types)
    order = []
    for i in picks:
        order.append(start[i] + seen[i])
        seen[i] += 1
    d = Diagram.tensor(*pieces) if any(c != 1 for c in counts) else None
    if order != list(range(len(order))):
        grouped = [t for t, c in zip(types, counts) for _ in range(c)]
        if len(order) == 2:
            perm = Box.swap(grouped[0], grouped[1])
        else:
            perm = Box.permute(order, grouped)
        d = _then(d, perm)
    return d if d is not None else Diagram.id()


def _strong_components(graph: dict, trivial: bool = False) -> list[set]:
    """Strongly connected components (Tarjan, iterative); without ``trivial``, only those with a cycle."""
    index, low, on, stack, comps = {}, {}, set(), [], []
    nodes = list(graph) + [m for es in graph.values() for m, _ in es if m not in graph]
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(graph.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            node, it = work[-1]
            edge = next(it, None)
            if edge is not None:
                m = edge[0]
                if m not in index:
                    index[m] = low[m] = counter
                    counter += 1
                    stack.append(m)
                    on.add(m)
                    work.append((m, iter(graph.get(m, ()))))
                elif m in on:
                    low[node] = min(low[node], index[m])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = set()
                while True:
                    m = stack.pop()
                    on.discard(m)
                    comp.add(m)
                    if m == node:
                        break
                looped = len(comp) > 1 or any(m == node for m, _ in graph.get(node, ()))
                if trivial or looped:
                    comps.append(comp)
    return comps


def _cycle_from(start, graph, comp) -> list[tuple]:
    """The nodes of a shortest cycle from ``start`` back to itself inside ``comp`` (breadth-first)."""
    prev = {start: None}
    todo = [start]
    while todo:
        nxt = []
        for node in todo:
            for m, _ in graph.get(node, ()):
                if m == start:
                    path = [node]
                    while prev[path[-1]] is not None:
                        path.append(prev[path[-1]])
                    return path[::-1]
                if m in comp and m not in prev:
                    prev[m] = node
                    nxt.append(m)
        todo = nxt
    return [start]
