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
>>> Box.copy().instantiate({Box.copy().dom[0].type: V}).kernel.cod
(verdict1: Verdict, verdict2: Verdict)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

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
        kernel = self.make(subst)
        port = lambda p: Port(p.name, subst.get(p.type, p.type) if isinstance(p.type, TypeVar) else p.type)
        return Box(self.name, tuple(map(port, self.dom)), tuple(map(port, self.cod)), kernel=kernel,
                   doc=self.doc, source=self.source, component=self.component)

    def rename(self, name: str) -> "Box":
        return Box(name, self.dom, self.cod, self.kernel, self.make, self.doc, self.source, self.component)

    def __repr__(self) -> str:
        return f"Box({self.name}: {show_bundle(self.dom)} → {show_bundle(self.cod)})"

    # ----- polymorphic plumbing ---------------------------------------------
    @classmethod
    def copy(cls, A: FinSet | None = None, n: int = 2) -> "Box":
        """``copy[A]: A → A ⊗ … ⊗ A``."""
        t = A or _A
        box = cls("copy", bundle([("x", t)]), bundle([(f"x{i + 1}", t) for i in range(n)]),
                  make=lambda s: _rename_ports(_copy(s[_A], n), ["x"], [f"x{i + 1}" for i in range(n)]))
        return box.instantiate({_A: A}) if A else box

    @classmethod
    def discard(cls, A: FinSet | None = None) -> "Box":
        """``discard[A]: A → I``."""
        t = A or _A
        box = cls("discard", bundle([("x", t)]), (), make=lambda s: _rename_ports(_discard(s[_A]), ["x"], []))
        return box.instantiate({_A: A}) if A else box

    @classmethod
    def identity(cls, A: FinSet | None = None) -> "Box":
        """``id[A]: A → A``."""
        t = A or _A
        box = cls("id", bundle([("x", t)]), bundle([("y", t)]),
                  make=lambda s: _rename_ports(_identity(s[_A]), ["x"], ["y"]))
        return box.instantiate({_A: A}) if A else box

    @classmethod
    def swap(cls, A: FinSet | None = None, B: FinSet | None = None) -> "Box":
        """``swap[A, B]: A ⊗ B → B ⊗ A``."""
        ta, tb = A or _A, B or _B
        box = cls("swap", bundle([("a", ta), ("b", tb)]), bundle([("b", tb), ("a", ta)]),
                  make=lambda s: _rename_ports(_swap(s[_A], s[_B]), ["a", "b"], ["b", "a"]))
        return box.instantiate({_A: A, _B: B}) if A and B else box


def _rename_ports(k: Kernel, dom: list[str], cod: list[str]) -> Kernel:
    """The same kernel with its ports renamed."""
    return Kernel(k.array, [(n, p.type) for n, p in zip(dom, k.dom)], [(n, p.type) for n, p in zip(cod, k.cod)],
                  params=k.params, name=k.name, check=False)
