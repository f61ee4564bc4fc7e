"""Finite types: labelled finite sets, type families, type variables, ports.

A :class:`FinSet` is a name plus ordered, labelled elements. Families build
finite sets from parameters when a component is instantiated; type variables
stand in signatures of polymorphic plumbing and are solved by :func:`unify`.

>>> Verdict = FinSet("Verdict", ["pass", "flag"])
>>> Verdict
Verdict{pass, flag}
>>> Verdict.index("flag"), len(Verdict), Verdict[0]
(1, 2, 'pass')
>>> Range(3).elements
('0', '1', '2')
>>> Vec(Verdict, 2).elements
('pass,pass', 'pass,flag', 'flag,pass', 'flag,flag')
>>> A = TypeVar("A")
>>> unify([A, A], [Verdict, Verdict], {})[A] is Verdict
True
"""
from __future__ import annotations

import difflib
import functools
import itertools
import operator
from collections import Counter
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence, Union

from .errors import ShapeError, TypeMismatch, UnknownName

MAX_ELEMENTS = 1_000_000


@dataclass(frozen=True)
class FinSet:
    """A finite set with a name and ordered, distinct string labels."""

    name: str
    elements: tuple[str, ...]

    def __init__(self, name: str, elements: Iterable):
        elements = tuple(map(str, elements))
        if not elements:
            raise ShapeError(f"type {name!r}", "has no elements",
                             fix="give at least one element")
        if len(elements) > MAX_ELEMENTS:
            raise ShapeError(f"type {name!r}", f"has {len(elements)} elements",
                             fix=f"keep finite types below {MAX_ELEMENTS} elements")
        index = dict(zip(elements, range(len(elements))))
        if len(index) != len(elements):
            dupes = sorted(e for e, count in Counter(elements).items() if count > 1)
            raise ShapeError(f"type {name!r}", f"repeats the element(s) {', '.join(dupes)}",
                             fix="give each element a distinct label")
        object.__setattr__(self, "name", str(name))
        object.__setattr__(self, "elements", elements)
        object.__setattr__(self, "_index", index)

    def __len__(self) -> int:
        return len(self.elements)

    def __iter__(self):
        return iter(self.elements)

    def __contains__(self, label) -> bool:
        return str(label) in self._index

    def __hash__(self):
        return hash((self.name, self.elements))

    def __eq__(self, other):
        return isinstance(other, FinSet) and (self.name, self.elements) == (other.name, other.elements)

    def __getitem__(self, position: int) -> str:
        """The label at ``position`` (negative positions count from the end)."""
        try:
            return self.elements[operator.index(position)]
        except IndexError:
            raise UnknownName(f"type {self.name}", f"has no position {position} (it has {len(self)} elements)",
                              fix=f"use a position from 0 to {len(self) - 1}") from None

    def index(self, label) -> int:
        """Position of ``label``; a clear error names the known labels."""
        try:
            return self._index[str(label)]
        except KeyError:
            raise UnknownName(f"type {self.name}", f"has no element {label!r}", fix=f"use one of: {self.shown()}") \
                from None

    def label(self, label, where) -> str:
        """``label`` as text when it is an element, else :class:`UnknownName` at ``where`` with the closest label.

        >>> FinSet("Act", ["clean", "attack"]).label("atack", "table.atack")
        Traceback (most recent call last):
        ...
        markovwire.errors.UnknownName: table.atack: Act has no label 'atack' (did you mean 'attack'?)
          fix: use one of: clean, attack
        """
        text = str(label)
        if text in self._index:
            return text
        # close matches among a few thousand labels at most: difflib is quadratic in the labels' count
        close = difflib.get_close_matches(text, self.elements, n=1) if len(self) <= 5000 else []
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UnknownName(where, f"{self.name} has no label {text!r}{hint}", fix=f"use one of: {self.shown()}")

    def shown(self, limit: int = 20) -> str:
        """The labels for a message: all of them, or the first ones and the last when there are more than ``limit``.

        >>> Range(1000000).shown(5)
        '0, 1, 2, 3, …, 999999 (1,000,000 labels)'
        """
        if len(self) <= limit:
            return ", ".join(self.elements)
        return f"{', '.join(self.elements[:limit - 1])}, …, {self.elements[-1]} ({len(self):,} labels)"

    def __repr__(self) -> str:
        shown = self.elements if len(self) <= 8 else self.elements[:6] + ("…", self.elements[-1])
        return f"{self.name}{{{', '.join(shown)}}}"


UNIT = FinSet("Unit", ["*"])


def names_apart(a, b) -> tuple[str, str]:
    """The names of two types that do not match, as a message shows them: with their elements when the names
    are the same (the same family at other sizes), so that no message reads "Obs does not match Obs".

    >>> names_apart(FinSet("Obs", "ab"), FinSet("Obs", "abc"))
    ('Obs{a, b}', 'Obs{a, b, c}')
    >>> names_apart(FinSet("Act", "ab"), FinSet("Verdict", "pf"))
    ('Act', 'Verdict')
    """
    na, nb = getattr(a, "name", str(a)), getattr(b, "name", str(b))
    return (repr(a), repr(b)) if na == nb and a != b else (na, nb)


@dataclass(frozen=True)
class TypeVar:
    """A type variable in a polymorphic signature, e.g. the ``A`` of ``copy[A]``."""

    name: str

    def __repr__(self) -> str:
        return self.name


TypeLike = Union[FinSet, TypeVar]


def _positive(n, family: str, what: str) -> int:
    """``n`` as a positive int (numpy integers accepted), or a clear error."""
    try:
        if isinstance(n, bool):
            raise TypeError
        value = operator.index(n)
    except TypeError:
        value = 0
    if value < 1:
        raise ShapeError(family, f"{what} {n!r} is not a positive integer", fix=f"use {family} with n >= 1")
    return value


@functools.lru_cache(maxsize=64)  # finite sets are immutable; a large Range is built once, not per port
def Range(n: int) -> FinSet:
    """The integers ``0 .. n-1`` as a finite set."""
    n = _positive(n, "Range(n)", "size")
    _check_size(f"Range({n})", [n])
    return FinSet(f"Range({n})", range(n))


def Product(*factors: FinSet, name: str | None = None) -> FinSet:
    """The cartesian product; labels are the factor labels joined by commas."""
    for f in factors:
        _check_finset(f, name or "Product")
    _check_size(name or "Product", [len(f) for f in factors])
    labels = (",".join(t) for t in itertools.product(*(f.elements for f in factors)))
    return FinSet(name or "×".join(f.name for f in factors), labels)


def Vec(A: FinSet, n: int) -> FinSet:
    """``n``-tuples of elements of ``A`` (``Candidates(Answer, n)`` is one)."""
    n = _positive(n, "Vec(A, n)", "length")
    _check_finset(A, "Vec")
    return Product(*([A] * n), name=f"Vec({A.name}, {n})")


Candidates = Vec


def Sigma(A: FinSet, B: Callable[[str], FinSet] | Mapping[str, FinSet], name: str | None = None) -> FinSet:
    """The dependent pair type: pairs ``(a, b)`` with ``b`` in ``B(a)``.

    >>> Tier = FinSet("Tier", ["low", "high"])
    >>> Sigma(Tier, {"low": Range(1), "high": Range(2)}).elements
    ('low,0', 'high,0', 'high,1')
    """
    fam = B if callable(B) else (lambda a: B[a])
    labels = []
    for a in A.elements:
        try:
            fiber = fam(a)
        except KeyError:
            raise UnknownName(f"Sigma({A.name}, …)", f"the family has no fiber for {a!r}",
                              fix="give a finite set for every element of the index type") from None
        _check_finset(fiber, f"Sigma({A.name}, …), fiber over {a!r}")
        labels.extend(f"{a},{b}" for b in fiber.elements)
        if len(labels) > MAX_ELEMENTS:
            _check_size(name or f"Sigma({A.name})", [len(labels)])
    return FinSet(name or f"Sigma({A.name})", labels)


def _check_finset(t, where: str) -> None:
    if not isinstance(t, FinSet):
        raise TypeMismatch(where, f"{t!r} is not a finite set", fix="build families from FinSets")


def _check_size(name: str, sizes: Sequence[int]) -> None:
    total = 1
    for s in sizes:
        total *= s
    if total > MAX_ELEMENTS:
        raise ShapeError(f"type {name}", f"would have {total} elements",
                         fix=f"keep finite types below {MAX_ELEMENTS} elements")


FAMILIES: dict[str, Callable[..., FinSet]] = {
    "Range": Range, "Vec": Vec, "Candidates": Vec, "Product": Product, "Sigma": Sigma,
}


@dataclass(frozen=True)
class Port:
    """A named, typed port of a box or of a bundle."""

    name: str
    type: TypeLike

    def __repr__(self) -> str:
        return f"{self.name}: {self.type.name if isinstance(self.type, FinSet) else self.type}"


Bundle = tuple  # an ordered tuple of Ports; the empty tuple is the monoidal unit


def bundle(items: Iterable) -> tuple[Port, ...]:
    """Ports from ports, ``(name, type)`` pairs, or bare types.

    A bare type gives a port named after the type in lower case; repeated bare
    types are numbered from 1 (``verdict1, verdict2``).

    >>> V = FinSet("Verdict", ["pass", "flag"])
    >>> bundle([V, V, ("act", V)])
    (verdict1: Verdict, verdict2: Verdict, act: Verdict)
    """
    items = list(items)
    auto = [_auto_name(x) if isinstance(x, (FinSet, TypeVar)) else None for x in items]
    out: list[Port] = []
    seen: dict[str, int] = {}
    for item, name in zip(items, auto):
        if isinstance(item, Port):
            out.append(item)
        elif name is not None:
            if auto.count(name) > 1:
                seen[name] = seen.get(name, 0) + 1
                name = f"{name}{seen[name]}"
            out.append(Port(name, item))
        elif isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], (FinSet, TypeVar)):
            out.append(Port(str(item[0]), item[1]))
        else:
            raise TypeMismatch("port bundle", f"{item!r} is not a port, a (name, type) pair or a type",
                               fix="give ports as Port(name, type), (name, FinSet) or a bare FinSet")
    names = [p.name for p in out]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise TypeMismatch("port bundle", f"repeats the port name(s) {', '.join(dupes)}",
                           fix="give each port in a bundle a distinct name")
    return tuple(out)


def _auto_name(t: TypeLike) -> str:
    base = "".join(c if c.isalnum() or c == "_" else "_" for c in t.name.lower()).strip("_")
    return base or "x"


def show_bundle(ports: Sequence[Port]) -> str:
    """``a: A ⊗ b: B``, or ``I`` for the empty bundle."""
    return " ⊗ ".join(repr(p) for p in ports) if ports else "I"


def unify(pattern: Sequence[TypeLike], actual: Sequence[FinSet], subst: dict, where: str = "") -> dict:
    """Extend ``subst`` so that ``pattern`` under it equals ``actual``, or raise.

    >>> A, V, W = TypeVar("A"), FinSet("V", ["x"]), FinSet("W", ["y"])
    >>> unify([A, A], [V, W], {}, where="copy")
    Traceback (most recent call last):
    ...
    markovwire.errors.TypeMismatch: copy, port 2: type variable A is V (from port 1) but got W
      fix: connect wires of one type to every port typed A
    """
    if len(pattern) != len(actual):
        raise TypeMismatch(where or "signature", f"expected {len(pattern)} port(s), got {len(actual)}",
                           fix="match the number of wires to the number of ports")
    origin = {}
    for i, (p, a) in enumerate(zip(pattern, actual), start=1):
        place = f"{where}, port {i}" if where else f"port {i}"
        if isinstance(p, TypeVar) and p in subst:
            if subst[p] != a:
                known = f" (from port {origin[p]})" if p in origin else ""
                raise TypeMismatch(place, f"type variable {p} is {subst[p].name}{known} but got {a.name}",
                                   fix=f"connect wires of one type to every port typed {p}")
        elif isinstance(p, TypeVar):
            subst[p], origin[p] = a, i
        elif p != a:
            raise TypeMismatch(place, f"expected {p.name}, got {a.name}", fix=f"connect a wire of type {p.name}")
    return subst
