"""Type inference for polymorphic boxes: equations between port types, solved by unification.

Each occurrence of a box gets its own copy of the box's type variables
(two ``copy`` boxes may copy different types). Every wire or composition
adds an equation between two port types; :meth:`Equations.solve` unifies them
all in one pass (a union-find over :func:`markovwire.unify` bindings) and
returns the equations whose two sides turned out to be different finite sets.

>>> from markovwire import FinSet, TypeVar
>>> V = FinSet("Verdict", ["pass", "flag"])
>>> eqs = Equations()
>>> (a,), _ = eqs.fresh([TypeVar("A")], [], key="copy")
>>> eqs.equate(a, V, "wire 1")
>>> eqs.solve(), eqs.resolve(a)
([], Verdict{pass, flag})
"""
from __future__ import annotations

from typing import Callable, Sequence, Union

from markovwire import FinSet, TypeVar, unify

Term = Union[FinSet, TypeVar]


class Equations:
    """Equations between port types, with per-occurrence type variables."""

    def __init__(self):
        self.subst: dict[TypeVar, Term] = {}
        self.origin: dict[TypeVar, TypeVar] = {}
        self._eqs: list[tuple[Term, Term, object]] = []

    def fresh(self, dom: Sequence[Term], cod: Sequence[Term], key: str) -> tuple[list[Term], list[Term]]:
        """The port types of one box occurrence, its type variables renamed apart by ``key``."""
        def rename(t):
            if not isinstance(t, TypeVar):
                return t
            v = TypeVar(f"{t.name}#{key}")
            self.origin[v] = self.origin.get(t, t)
            return v
        return [rename(t) for t in dom], [rename(t) for t in cod]

    def equate(self, a: Term, b: Term, where: object) -> None:
        """Require ``a == b``; ``where`` (anything, often a callable giving a message) is returned on mismatch."""
        self._eqs.append((a, b, where))

    def resolve(self, t: Term) -> Term:
        """The type ``t`` stands for (a finite set, or the representative variable if still unknown)."""
        while isinstance(t, TypeVar) and t in self.subst:
            t = self.subst[t]
        return t

    def solve(self) -> list[tuple[FinSet, FinSet, object]]:
        """Unify every equation; the mismatched ones as ``(left type, right type, where)``."""
        bad = []
        for a, b, where in self._eqs:
            ra, rb = self.resolve(a), self.resolve(b)
            if ra == rb:
                continue
            if isinstance(ra, TypeVar):
                unify([ra], [rb], self.subst)
            elif isinstance(rb, TypeVar):
                unify([rb], [ra], self.subst)
            else:
                bad.append((ra, rb, where))
        self._eqs.clear()
        return bad

    def shown(self, t: Term) -> Term:
        """``t`` resolved, with an unsolved variable shown by its name in the box's signature."""
        t = self.resolve(t)
        return self.origin.get(t, t) if isinstance(t, TypeVar) else t

    def substitution(self, dom_terms: Sequence[Term], cod_terms: Sequence[Term],
                     dom: Sequence, cod: Sequence) -> dict[TypeVar, Term]:
        """The solved values of a box's own type variables, from its ports and their fresh terms."""
        out: dict[TypeVar, Term] = {}
        for term, port in zip(list(dom_terms) + list(cod_terms), list(dom) + list(cod)):
            if isinstance(port.type, TypeVar):
                out[port.type] = self.resolve(term)
        return out


def unsolved(subst: dict[TypeVar, Term]) -> list[TypeVar]:
    """The variables of a box left without a finite set."""
    return sorted((v for v, t in subst.items() if not isinstance(t, FinSet)), key=lambda v: v.name)


Where = Union[str, Callable[[], str]]


def place(where: Where) -> str:
    """The text of a lazily built location."""
    return where() if callable(where) else str(where)
