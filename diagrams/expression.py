"""String diagrams: boxes composed in sequence (``>>``) and side by side (``@``).

A :class:`Box` is what a diagram is drawn with. It has a name, input and
output ports (whose types may be type variables, as in ``copy[A]``), and a
way to produce its kernel once its types are known: a fixed
:class:`~markovwire.Kernel`, or a function from the solved type variables to
a kernel (polymorphic plumbing).

>>> from markovwire import FinSet, Kernel
>>> V = FinSet("Verdict", ["pass", "flag"])
>>> probe = Box.of(Kernel([0.9, 0.1], [], [V], name="probe"))
>>> probe
Box(probe: I → verdict: Verdict)
>>> Box.copy().instantiate({Box.copy().dom[0].type: V}).cod
(x1: Verdict, x2: Verdict)

*Plumbing* boxes (copy, discard, identity, swap, permutations) are pure
wiring: ``plumbing[j]`` is the input that output ``j`` carries, and inputs
that no output carries are discarded. Diagrams compile them to wires, so
they hold no kernel array (a copy of a large type would be huge); ``make``
builds it on demand.

A :class:`Diagram` is an expression tree over boxes; boxes and diagrams
compose into diagrams, so the two live in one module. ``f >> g`` feeds the
outputs of ``f`` into the inputs of ``g`` **by position**; ``f @ g`` puts the
two side by side. Plumbing (``Box.copy()``, ``Box.discard()``,
``Box.swap()``, ``Box.identity()``) may leave its types open: they are
inferred by unification as the diagram is composed.

>>> Act = FinSet("Act", ["clean", "attack"])
>>> policy = Box.of(Kernel([0.9, 0.1], [], [("act", Act)], name="policy"))
>>> monitor = Box.of(Kernel([[0.95, 0.05], [0.3, 0.7]], [("act", Act)], [("verdict", V)], name="monitor"))
>>> d = policy >> Box.copy() >> (monitor @ Box.identity())
>>> print(d)
policy >> copy[Act] >> (monitor ⊗ id[Act])
>>> d.cod
(verdict: Verdict, y: Act)
>>> round(d.evaluate().prob("flag", "attack"), 6)
0.07

**Matching by name.** ``f.then(g, by_name=True)`` feeds every input of ``g``
from the output of ``f`` with the same port name; the outputs of ``f`` that
``g`` does not read pass through unchanged and come after ``g``'s outputs, in
``f``'s order. An input of ``g`` that ``f`` has no output for is an error.

>>> audit = Box.of(Kernel.deterministic(lambda v: v, [("verdict", V)], [("alarm", V)], name="audit"))
>>> e = (policy >> Box.copy() >> (Box.identity(port="act") @ monitor)).then(audit, by_name=True)
>>> e.cod
(alarm: Verdict, act: Act)
>>> round(e.evaluate().prob("flag", "attack"), 6)
0.07

Types are checked as you compose; the error names both sides and the position:

>>> policy >> policy
Traceback (most recent call last):
...
markovwire.errors.TypeMismatch: policy >> policy: policy has 1 output(s) (act: Act) but policy has 0 input(s) (I)
  fix: compose diagrams whose outputs match the next inputs one for one (add identity or discard wires)

A diagram compiles to a :class:`~markovwire.Net` (``to_net``, ``evaluate``);
its wiring diagram is ``WiringDiagram.from_diagram(d)``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Callable, Iterator, Mapping, Sequence

import numpy as np

from markovwire import (
    FinSet,
    Kernel,
    Net,
    Port,
    TypeVar,
    bundle,
    copy as _copy,
    discard as _discard,
    identity as _identity,
    show_bundle,
    swap as _swap,
)
from markovwire.errors import ErrorList, MarkovwireError, TypeMismatch, WiringError
from markovwire.kernel import _disjoint
from markovwire.types import names_apart

from .compile import evaluate_net, place
from .infer import Equations, unsolved
from .render import mimebundle

SHOWN = 60  # characters of a sub-diagram shown in an error message


# ----- boxes ----------------------------------------------------------------------
_A, _B = TypeVar("A"), TypeVar("B")


@dataclass(frozen=True)
class Box:
    """A component instance: name, signature and (a recipe for) its kernel."""

    name: str
    dom: tuple[Port, ...]
    cod: tuple[Port, ...]
    kernel: Kernel | None = None
    make: Callable[[Mapping[TypeVar, FinSet]], Kernel] | None = field(default=None, compare=False)
    doc: str = field(default="", compare=False)
    source: str = field(default="", compare=False)
    component: str = field(default="", compare=False)  # the library component it instantiates, if any
    plumbing: tuple[int, ...] | None = None  # for pure wiring: output j carries input plumbing[j]
    args: tuple[tuple[str, object], ...] = field(default=(), compare=False)  # the component's arguments, if any

    @classmethod
    def of(cls, kernel: Kernel, name: str | None = None, **meta) -> "Box":
        """The box of a fixed kernel, with the kernel's ports as its signature."""
        return cls(name or kernel.name, kernel.dom, kernel.cod, kernel=kernel, **meta)

    @property
    def type_vars(self) -> set[TypeVar]:
        return {p.type for p in self.dom + self.cod if isinstance(p.type, TypeVar)}

    @property
    def is_polymorphic(self) -> bool:
        return bool(self.type_vars)

    def instantiate(self, subst: Mapping[TypeVar, FinSet]) -> "Box":
        """The concrete box with type variables replaced by ``subst``."""
        if not self.is_polymorphic:
            return self
        missing = self.type_vars - set(subst)
        if missing:
            raise TypeMismatch(f"box {self.name!r}", f"type variable(s) {', '.join(map(str, missing))} "
                               "could not be inferred", fix="connect its ports or give the types explicitly")
        if self.plumbing is not None:  # pure wiring: no kernel array (see the module docstring)
            return _fix(self, subst)
        port = lambda p: Port(p.name, subst.get(p.type, p.type) if isinstance(p.type, TypeVar) else p.type)
        return replace(self, dom=tuple(map(port, self.dom)), cod=tuple(map(port, self.cod)),
                       kernel=self.make(subst), make=None)

    def rename(self, name: str) -> "Box":
        return replace(self, name=name)

    # ----- string diagrams ----------------------------------------------------
    def __rshift__(self, other):
        return Diagram.box(self) >> other

    def __rrshift__(self, other):
        return Diagram.box(other) >> self

    def __matmul__(self, other):
        return Diagram.box(self) @ other

    def __rmatmul__(self, other):
        return Diagram.box(other) @ self

    def then(self, other, by_name: bool = False):
        """``self >> other``; with ``by_name=True`` ports are matched by name (see ``Diagram.then``)."""
        return Diagram.box(self).then(other, by_name=by_name)

    def __repr__(self) -> str:
        return f"Box({self.name}: {show_bundle(self.dom)} → {show_bundle(self.cod)})"

    # ----- polymorphic plumbing ---------------------------------------------
    @classmethod
    def copy(cls, A: FinSet | None = None, n: int = 2) -> "Box":
        """``copy[A]: A → A ⊗ … ⊗ A``."""
        box = cls("copy", bundle([("x", _A)]), bundle([(f"x{i + 1}", _A) for i in range(n)]), plumbing=(0,) * n,
                  make=lambda s: _rename_ports(_copy(s[_A], n), ["x"], [f"x{i + 1}" for i in range(n)]))
        return _fix(box, {_A: A})

    @classmethod
    def discard(cls, A: FinSet | None = None) -> "Box":
        """``discard[A]: A → I``."""
        box = cls("discard", bundle([("x", _A)]), (), plumbing=(),
                  make=lambda s: _rename_ports(_discard(s[_A]), ["x"], []))
        return _fix(box, {_A: A})

    @classmethod
    def identity(cls, A: FinSet | None = None, port: str | None = None) -> "Box":
        """``id[A]: A → A`` (ports ``x → y``, or ``port → port`` when a port name is given)."""
        x, y = (port, port) if port else ("x", "y")
        box = cls("id", bundle([(x, _A)]), bundle([(y, _A)]), plumbing=(0,),
                  make=lambda s: _rename_ports(_identity(s[_A]), [x], [y]))
        return _fix(box, {_A: A})

    @classmethod
    def swap(cls, A: FinSet | None = None, B: FinSet | None = None) -> "Box":
        """``swap[A, B]: A ⊗ B → B ⊗ A``."""
        box = cls("swap", bundle([("a", _A), ("b", _B)]), bundle([("b", _B), ("a", _A)]), plumbing=(1, 0),
                  make=lambda s: _rename_ports(_swap(s[_A], s[_B]), ["a", "b"], ["b", "a"]))
        return _fix(box, {_A: A, _B: B})

    @classmethod
    def permute(cls, order: Sequence[int], types: Sequence[FinSet] | None = None,
                names: Sequence[str] | None = None) -> "Box":
        """The permutation whose output ``j`` is input ``order[j]`` (ports ``x1 … xn``, or ``names`` on the outputs).

        >>> Box.permute([2, 0, 1]).cod
        (x3: X3, x1: X1, x2: X2)
        """
        order = tuple(int(i) for i in order)
        if sorted(order) != list(range(len(order))):
            raise TypeMismatch("permute", f"{list(order)} is not a permutation of 0 … {len(order) - 1}",
                               fix="list every input position exactly once")
        vars_ = [TypeVar(f"X{i + 1}") for i in range(len(order))]
        ts = list(types) if types is not None else vars_
        dom = bundle([(f"x{i + 1}", t) for i, t in enumerate(ts)])
        cod = bundle([(names[j] if names else f"x{i + 1}", ts[i]) for j, i in enumerate(order)])

        def make(s):
            concrete = [s.get(t, t) if isinstance(t, TypeVar) else t for t in ts]
            n = len(order)
            eyes = [a for j, i in enumerate(order) for a in (np.eye(len(concrete[i])), [i, n + j])]
            arr = np.einsum(*eyes, list(range(2 * n))) if n else np.ones(())
            return Kernel(arr, [(p.name, t) for p, t in zip(dom, concrete)],
                          [(q.name, concrete[i]) for q, i in zip(cod, order)], name="permute", check=False)

        return cls("permute", dom, cod, plumbing=order, make=make)


# ----- string diagrams ------------------------------------------------------------
class Diagram:
    """A string diagram; build it from boxes with ``>>``, ``@`` and :meth:`then`."""

    __slots__ = ("op", "args", "_dom", "_cod", "_leaves", "_origin", "_hash", "_compiled")

    def __init__(self, op: str, args: tuple, dom, cod, leaves, origin):
        self.op, self.args = op, args
        self._dom, self._cod = tuple(dom), tuple(cod)
        self._leaves = tuple(leaves)  # (box, dom types, cod types) in left-to-right order, types solved
        self._origin = origin  # fresh type variable -> the variable of the box's signature
        self._hash = None
        self._compiled = None

    # ----- construction ----------------------------------------------------
    @classmethod
    def box(cls, box) -> "Diagram":
        """The diagram of one box: a :class:`Box`, :class:`~markovwire.Kernel`, wiring diagram or stateful box."""
        if isinstance(box, Diagram):
            return box
        if isinstance(box, Kernel):
            box = Box.of(box)
        if not all(hasattr(box, a) for a in ("name", "dom", "cod")):
            raise TypeMismatch(f"{box!r}", "is not a box, kernel, diagram or wiring diagram",
                               fix="compose Box, Kernel, Diagram or WiringDiagram objects")
        eqs = Equations()
        dt, ct = eqs.fresh([p.type for p in box.dom], [p.type for p in box.cod], key="0")
        dom = [Port(p.name, t) for p, t in zip(box.dom, dt)]
        cod = [Port(p.name, t) for p, t in zip(box.cod, ct)]
        return cls("box", (box,), dom, cod, [(box, tuple(dt), tuple(ct))], eqs.origin)

    @classmethod
    def id(cls, *types: FinSet) -> "Diagram":
        """The identity on ``types`` (the empty diagram ``I → I`` when none are given)."""
        if not types:
            return cls("unit", (), (), (), (), {})
        return cls.tensor(*(Box.identity(t) for t in types))

    @classmethod
    def tensor(cls, *parts) -> "Diagram":
        """``parts[0] @ parts[1] @ …`` (the empty diagram when there are none)."""
        out = cls.id()
        for p in parts:
            out = out @ p if out.op != "unit" else cls.box(p)
        return out

    def __rshift__(self, other) -> "Diagram":
        return _combine("then", self, Diagram.box(other))

    def __rrshift__(self, other) -> "Diagram":
        return _combine("then", Diagram.box(other), self)

    def __matmul__(self, other) -> "Diagram":
        return _combine("tensor", self, Diagram.box(other))

    def __rmatmul__(self, other) -> "Diagram":
        return _combine("tensor", Diagram.box(other), self)

    def then(self, other, by_name: bool = False) -> "Diagram":
        """``self >> other``, or with ``by_name=True`` the composite that matches ports by name (module docstring)."""
        other = Diagram.box(other)
        if not by_name:
            return self >> other
        names = [p.name for p in self.cod]
        picks = []
        for q in other.dom:
            if q.name not in names:
                raise WiringError(f"{_short(self)} then {_short(other)} (by name)",
                                  f"{_short(other)} reads {q.name!r}, which {_short(self)} does not output",
                                  fix=f"outputs are: {', '.join(names) or 'none'}; "
                                      "rename ports with .rename(cod=[...])")
            picks.append(names.index(q.name))
        rest = [i for i in range(len(names)) if i not in picks]
        order = picks + rest
        left = self
        if order != list(range(len(order))):
            left = left >> Box.permute(order, names=[names[i] for i in order])
        return left >> Diagram.tensor(other, *(Box.identity(port=names[i]) for i in rest))

    def rename(self, dom: Sequence[str] | None = None, cod: Sequence[str] | None = None) -> "Diagram":
        """The same diagram with its outer ports renamed (``None`` keeps them)."""
        def named(ports, names, side):
            if names is None:
                return ports
            names = list(names)
            if len(names) != len(ports):
                raise WiringError(f"{_short(self)}.rename", f"{len(names)} {side} name(s) for {len(ports)} port(s)",
                                  fix=f"give one name per {side} port")
            if len(set(names)) != len(names):
                raise WiringError(f"{_short(self)}.rename", f"repeats a {side} name: {', '.join(names)}",
                                  fix="give each port a distinct name")
            return tuple(Port(n, p.type) for n, p in zip(names, ports))
        inner = self.args[0] if self.op == "rename" else self
        return Diagram("rename", (inner,), named(self._dom, dom, "input"), named(self._cod, cod, "output"),
                       self._leaves, self._origin)

    # ----- types -----------------------------------------------------------
    @property
    def dom(self) -> tuple[Port, ...]:
        """The input ports (a type variable not yet inferred shows as in the box's signature)."""
        return tuple(Port(p.name, self._shown(p.type)) for p in self._dom)

    @property
    def cod(self) -> tuple[Port, ...]:
        """The output ports."""
        return tuple(Port(p.name, self._shown(p.type)) for p in self._cod)

    def _shown(self, t):
        return self._origin.get(t, t) if isinstance(t, TypeVar) else t

    @property
    def boxes(self) -> list:
        """The boxes in left-to-right order, with their inferred types (plumbing included)."""
        return [_instance(box, dt, ct, solve=False) for box, dt, ct in self._leaves]

    # ----- compilation -----------------------------------------------------
    def instances(self) -> tuple[list[tuple[str, object, list[tuple[str, str]]]], list[tuple[str, str]]]:
        """``(boxes, outputs)``: the wiring of this expression, plumbing resolved into wires.

        ``boxes`` lists ``(name, box, inputs)`` left to right: each box at its inferred types under
        a unique instance name, and the end that feeds each of its inputs; ``outputs`` is the end
        that feeds each output. An end is ``(box, port)``, or ``("in", port)`` for an outer input.

        >>> from markovwire import FinSet, Kernel
        >>> Act = FinSet("Act", ["clean", "attack"])
        >>> policy = Box.of(Kernel([0.9, 0.1], [], [("act", Act)], name="policy"))
        >>> boxes, outputs = (policy >> Box.copy()).instances()
        >>> [(name, ends) for name, _, ends in boxes], outputs
        ([('policy', [])], [('policy', 'act'), ('policy', 'act')])
        """
        self._check_solved()
        leaves = iter(self._leaves)
        taken: set[str] = set()
        boxes: list[tuple[str, object, list[tuple[str, str]]]] = []

        def compile_(d: Diagram, ins: list) -> list:
            if d.op == "box":
                box, dt, ct = next(leaves)
                if getattr(box, "plumbing", None) is not None:
                    return [ins[i] for i in box.plumbing]
                box = _instance(box, dt, ct, solve=True)
                name = _unique(_ident(box.name), taken)
                boxes.append((name, box, list(ins)))
                return [(name, q.name) for q in box.cod]
            if d.op == "unit":
                return []
            if d.op == "rename":
                return compile_(d.args[0], ins)
            if d.op == "then":
                for part in _chain(d, "then"):
                    ins = compile_(part, ins)
                return ins
            outs, k = [], 0
            for part in _chain(d, "tensor"):
                outs += compile_(part, ins[k:k + len(part._dom)])
                k += len(part._dom)
            return outs

        outputs = compile_(self, [("in", p.name) for p in self._dom])
        return boxes, outputs

    def to_net(self) -> Net:
        """The core :class:`~markovwire.Net` of this diagram: boxes under their instance names,
        outer inputs on wires named by their ports, every other wire ``box.port``."""
        return self._net().clone()

    def _net(self) -> Net:
        if self._compiled is None:  # a diagram never changes, so its checked net is kept
            boxes, outputs = self.instances()
            net = Net()
            net.set_inputs(*(p.name for p in self._dom), types=[p.type for p in self._dom])
            wires = {("in", p.name): p.name for p in self._dom}
            for name, box, ends in boxes:
                outs = place(net, name, box, [wires[e] for e in ends])
                wires.update({(name, q.name): w for q, w in zip(box.cod, outs)})
            net.set_outputs(*(wires[e] for e in outputs))
            self._compiled = net.check()
        return self._compiled

    def evaluate(self, values=None, **kw):
        """The diagram's kernel, through :meth:`markovwire.Net.evaluate` (same keywords)."""
        return evaluate_net(self._net(), self._dom, self._cod, "diagram", values, **kw)

    def _check_solved(self) -> None:
        errs = []
        for k, (box, dt, ct) in enumerate(self._leaves):
            for v in unsolved(_subst(box, dt, ct)):
                errs.append(TypeMismatch(f"box {_label(box, dt, ct, self._shown)} (box {k + 1} from the left)",
                                         f"type variable {v} could not be inferred",
                                         fix="connect it to typed ports, or give the type, e.g. Box.copy(Act)"))
        _raise(errs)

    # ----- display ---------------------------------------------------------
    def __str__(self) -> str:
        leaves = iter(self._leaves)

        def show(d: Diagram, inside: str | None) -> str:
            if d.op == "box":
                box, dt, ct = next(leaves)
                return _label(box, dt, ct, self._shown)
            if d.op == "unit":
                return "id[I]"
            if d.op == "rename":
                return show(d.args[0], inside)
            sep = " >> " if d.op == "then" else " ⊗ "
            text = sep.join(show(p, d.op) for p in _chain(d, d.op))
            return f"({text})" if inside and inside != d.op else text

        return show(self, None)

    def __repr__(self) -> str:
        return f"Diagram({self}: {show_bundle(self.dom)} → {show_bundle(self.cod)})"

    def _repr_mimebundle_(self, include=None, exclude=None):
        return mimebundle(self, include, exclude)

    def __eq__(self, other) -> bool:
        return isinstance(other, Diagram) and (self.op, self.args, self._dom, self._cod) == \
            (other.op, other.args, other._dom, other._cod)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.op, self.args))
        return self._hash


# ----- composition with unification ----------------------------------------------
def _combine(op: str, a: Diagram, b: Diagram) -> Diagram:
    """``a >> b`` or ``a @ b``: the two sides' type variables renamed apart, the junction unified."""
    if op == "then" and len(a._cod) != len(b._dom):
        raise TypeMismatch(f"{_short(a)} >> {_short(b)}",
                           f"{_short(a)} has {len(a._cod)} output(s) ({show_bundle(a.cod)}) but {_short(b)} has "
                           f"{len(b._dom)} input(s) ({show_bundle(b.dom)})",
                           fix="compose diagrams whose outputs match the next inputs one for one "
                               "(add identity or discard wires)")
    origin: dict = {}
    ren_a, ren_b = _renamer(a, origin), _renamer(b, origin)
    leaves = [(box, ren_a(dt), ren_a(ct)) for box, dt, ct in a._leaves] + \
             [(box, ren_b(dt), ren_b(ct)) for box, dt, ct in b._leaves]
    ports = lambda ren, ps: [Port(p.name, ren((p.type,))[0]) for p in ps]
    ad, ac, bd, bc = ports(ren_a, a._dom), ports(ren_a, a._cod), ports(ren_b, b._dom), ports(ren_b, b._cod)
    if op == "tensor":
        dom, cod = _disjoint(ad, bd), _disjoint(ac, bc)
    else:
        dom, cod = ad, bc
        eqs = Equations()
        for i, (p, q) in enumerate(zip(ac, bd)):
            eqs.equate(p.type, q.type, (i, p.name, q.name))
        bad = eqs.solve()
        if bad:
            s, t, (i, pn, qn) = bad[0]
            sn, tn = names_apart(s, t)
            raise TypeMismatch(f"{_short(a)} >> {_short(b)}, position {i + 1} ({pn} → {qn})",
                               f"{sn} does not match {tn}", fix=f"insert a box {sn} → {tn}, or fix the order of ports")
        res = lambda ts: tuple(eqs.resolve(t) for t in ts)
        leaves = [(box, res(dt), res(ct)) for box, dt, ct in leaves]
        dom = [Port(p.name, eqs.resolve(p.type)) for p in dom]
        cod = [Port(p.name, eqs.resolve(p.type)) for p in cod]
    used = {t for _, dt, ct in leaves for t in dt + ct if isinstance(t, TypeVar)}
    return Diagram(op, (a, b), dom, cod, leaves, {v: o for v, o in origin.items() if v in used})


def _renamer(d: Diagram, origin: dict):
    """Rename ``d``'s open type variables to fresh ones (numbered after those in ``origin``)."""
    table: dict = {}

    def ren(ts):
        out = []
        for t in ts:
            if isinstance(t, TypeVar):
                if t not in table:
                    o = d._origin.get(t, t)
                    table[t] = v = TypeVar(f"{o.name}#{len(origin)}")
                    origin[v] = o
                t = table[t]
            out.append(t)
        return tuple(out)
    return ren


def _chain(d: Diagram, op: str) -> Iterator[Diagram]:
    """The operands of a run of one operation, left to right (``(a >> b) >> c`` gives a, b, c)."""
    stack = [d]
    while stack:
        x = stack.pop()
        if x.op == op:
            stack.extend(reversed(x.args))
        else:
            yield x


def _subst(box, dt, ct) -> dict:
    sub = {}
    for p, t in zip(tuple(box.dom) + tuple(box.cod), tuple(dt) + tuple(ct)):
        if isinstance(p.type, TypeVar):
            sub[p.type] = t
    return sub


def _instance(box, dt, ct, solve: bool):
    """The box at its inferred types (instantiated, i.e. with its kernel, when ``solve``)."""
    if not isinstance(box, Box) or not box.is_polymorphic:
        return box
    sub = _subst(box, dt, ct)
    if solve:
        return box.instantiate(sub)
    port = lambda p, t: Port(p.name, t if isinstance(t, FinSet) else p.type)
    return Box(box.name, tuple(map(port, box.dom, dt)), tuple(map(port, box.cod, ct)), make=box.make,
               doc=box.doc, source=box.source, component=box.component, plumbing=box.plumbing, args=box.args)


def _label(box, dt, ct, shown) -> str:
    """``copy[Act]``, ``swap[Act, Verdict]``, or the box's name."""
    if getattr(box, "plumbing", None) is None or box.name not in ("copy", "discard", "id", "swap", "permute"):
        return box.name
    types = list(dt)
    if box.name in ("copy", "discard", "id"):
        types = types[:1]
    names = ", ".join(getattr(shown(t), "name", str(shown(t))) for t in types)
    extra = f", n={len(box.plumbing)}" if box.name == "copy" and len(box.plumbing) != 2 else ""
    if box.name == "permute":
        return f"permute{list(box.plumbing)}[{names}]"
    return f"{box.name}[{names}{extra}]"


def _short(d: Diagram) -> str:
    """The diagram as text for a message: parenthesised if a tensor, cut at :data:`SHOWN` characters."""
    text = str(d)
    text = text if len(text) <= SHOWN else text[:SHOWN - 1] + "…"
    return f"({text})" if d.op == "tensor" else text


def _ident(name: str) -> str:
    """A box name usable as an instance name in a wiring diagram."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_") or "box"
    return name if re.match(r"[A-Za-z_]", name) and name not in ("in", "out") else f"b_{name}"


def _unique(name: str, taken: set[str]) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


def _raise(errs: list[MarkovwireError]) -> None:
    if len(errs) == 1:
        raise errs[0]
    if errs:
        raise ErrorList(errs)


# ----- plumbing ---------------------------------------------------------------------
def _fix(box: Box, subst: Mapping[TypeVar, FinSet | None]) -> Box:
    """A plumbing box with the given type variables fixed (the others stay open); no kernel is built."""
    subst = {v: t for v, t in subst.items() if t is not None}
    if not subst:
        return box
    port = lambda p: Port(p.name, subst.get(p.type, p.type) if isinstance(p.type, TypeVar) else p.type)
    make = box.make
    return replace(box, dom=tuple(map(port, box.dom)), cod=tuple(map(port, box.cod)),
                   make=(lambda s: make({**subst, **s})) if make else None)


def _rename_ports(k: Kernel, dom: list[str], cod: list[str]) -> Kernel:
    """The same kernel with its ports renamed."""
    return Kernel(k.array, [(n, p.type) for n, p in zip(dom, k.dom)], [(n, p.type) for n, p in zip(cod, k.cod)],
                  params=k.params, name=k.name, check=False)
