"""Boxes: named component instances with a typed signature.

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

Boxes compose into string diagrams (:mod:`markovwire.diagrams.expression`):

>>> print(probe >> Box.copy())
probe >> copy[Verdict]

*Plumbing* boxes (copy, discard, identity, swap, permutations) are pure
wiring: ``plumbing[j]`` is the input that output ``j`` carries, and inputs
that no output carries are discarded. Diagrams compile them to wires, so
they hold no kernel array (a copy of a large type would be huge); ``make``
builds it on demand.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

import numpy as np

from markovwire import Kernel, TypeVar, bundle, show_bundle
from markovwire import copy as _copy, discard as _discard, identity as _identity, swap as _swap
from markovwire.errors import TypeMismatch
from markovwire.types import FinSet, Port

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

    # ----- string diagrams (see markovwire.diagrams.expression) ------------
    def __rshift__(self, other):
        from .expression import Diagram
        return Diagram.box(self) >> other

    def __rrshift__(self, other):
        from .expression import Diagram
        return Diagram.box(other) >> self

    def __matmul__(self, other):
        from .expression import Diagram
        return Diagram.box(self) @ other

    def __rmatmul__(self, other):
        from .expression import Diagram
        return Diagram.box(other) @ self

    def then(self, other, by_name: bool = False):
        """``self >> other``; with ``by_name=True`` ports are matched by name (see ``Diagram.then``)."""
        from .expression import Diagram
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
