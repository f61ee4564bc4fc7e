"""Credal (imprecise) kernels: lower and upper probabilities of queries.

A box known only up to a set of kernels is an :class:`IntervalKernel` (an interval
per entry: probability intervals, separately per input row), a :class:`TVBallKernel`
(every kernel within total-variation distance ε of a model's, row by row) or a
:class:`CredalKernel` (the convex hull of finitely many extreme kernels); a
parameter known only up to an interval is given as ``intervals={name: (lo, hi)}``.
Lower and upper values of a query:

- :func:`credal_bounds`, under strong independence (each imprecise box and
  parameter is one fixed but unknown choice). Every box occurs once, so the query is
  linear in each box's kernel (linear-fractional with evidence) and its extremes
  lie at vertices: exact by enumerating the vertices of all imprecise boxes but one,
  and solving the last one's linear programme row by row. Interval parameters enter
  the same enumeration through their endpoints when the query is multilinear in
  them (each appears affinely in one box); otherwise they are searched on a grid
  and the result is labelled an inner bound. Too many vertices: an inner bound by
  sampling and an outer bound, both labelled.
- :func:`chain_bounds`, for multi-step chains: the lower transition operator
  ``(T̲f)(x) = min_{p ∈ C(x)} p·f`` applied backwards (de Cooman, Hermans & Quaeghebeur
  2009), computed per row by the sort-and-fill greedy for probability intervals.
  This is exact for the set of all processes whose transition at each step may
  depend on the whole history (epistemic irrelevance; Markov set-chains), the
  adversarial red team of a control game; with one fixed unknown kernel it is an
  outer bound.
- :func:`conjunction` and :func:`disjunction` of two events given their
  probabilities, either independent or of unknown dependence (Fréchet bounds).

>>> from markovwire import FinSet
>>> Act, V = FinSet("Act", ["clean", "attack"]), FinSet("Verdict", ["pass", "flag"])
>>> monitor = IntervalKernel([[0.9, 0.0], [0.2, 0.6]], [[1.0, 0.1], [0.4, 0.8]], [Act], [V])
>>> monitor.row_vertices(1).round(12).tolist()
[[0.4, 0.6], [0.2, 0.8]]
>>> conjunction(0.7, 0.6, "unknown")
Interval(lower=0.3, upper=0.6)
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Iterable, Mapping, NamedTuple, Sequence

import numpy as np
import sympy

from .. import display, parallel
from ..errors import ContractionTooLarge, NotStochastic, ParameterError, ShapeError, TypeMismatch, UnknownName
from ..kernel import ATOL, Kernel
from ..net import Net
from ..types import Port, Range, bundle
from .linear import BoxForm, _sign, dot, optimise, require_possible
from .query import as_query, one_table_each
from .search import axes_for, fixed_values, maximise, minimise

MAX_ROW_OUTPUTS = 12  # vertices of one row's interval polytope are enumerated up to this many outputs


# ----- credal sets of kernels -------------------------------------------------------------
class RowSets:
    """A credal set given row by row: each input row's distribution lies in its own polytope, chosen
    independently of the other rows (separately specified rows), so its vertices are the products of the
    rows' vertices. Subclasses give ``shape`` (the kernel's axes), ``row_vertices(r)``, ``_row_count(r)``
    and ``argmax(c)``."""

    dom: tuple
    cod: tuple
    name: str
    shape: tuple[int, ...]

    @property
    def shape_in(self) -> tuple[int, ...]:
        return self.shape[: len(self.dom)]

    @property
    def shape_out(self) -> tuple[int, ...]:
        return self.shape[len(self.dom):]

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def n_rows(self) -> int:
        return int(np.prod(self.shape_in, dtype=int))

    @property
    def n_vertices(self) -> float:
        """The number of vertices of the set (``inf`` when a row has too many to enumerate)."""
        counts = [self._row_count(r) for r in range(self.n_rows)]
        return math.inf if math.inf in counts else math.prod(counts)

    def vertex_arrays(self) -> np.ndarray:
        """Every vertex of the set (the product of the rows' vertices), stacked: ``(K, *shape)``."""
        per_row = [self.row_vertices(r) for r in range(self.n_rows)]
        combos = itertools.product(*per_row)
        return np.array([np.stack(rows).reshape(self.shape) for rows in combos])

    def sample_vertices(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` random vertices: each maximises a random linear function (no enumeration needed)."""
        return self.argmax(rng.normal(size=(n,) + self.shape))


class IntervalKernel(RowSets):
    """A kernel known up to an interval per entry: row by row, ``lower <= k(·|x) <= upper``."""

    def __init__(self, lower, upper, dom: Iterable = (), cod: Iterable = (), *, name: str = "interval kernel",
                 tighten: bool = False):
        self.dom, self.cod, self.name = bundle(dom), bundle(cod), name
        shape = tuple(len(p.type) for p in self.dom + self.cod)
        lo, hi = np.asarray(lower, dtype=float), np.asarray(upper, dtype=float)
        for what, a in (("lower", lo), ("upper", hi)):
            if a.shape != shape:
                raise ShapeError(f"interval kernel {name!r}", f"{what} bounds have shape {a.shape}, not {shape}",
                                 fix="give one axis per input then per output, each as long as its type")
        self.lower, self.upper, self.shape = lo, hi, shape
        self._validate(tighten)

    def rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Lower and upper bounds as matrices, one row per input combination."""
        n = int(np.prod(self.shape_in, dtype=int))
        return self.lower.reshape(n, -1), self.upper.reshape(n, -1)

    def _validate(self, tighten: bool) -> None:
        L, U = self.rows()
        where = lambda r, c=None: f"interval kernel {self.name!r}, {_row_label(self.dom, self.shape_in, r)}" + (
            f", output {_out_label(self.cod, self.shape_out, c)}" if c is not None else "")
        if not (np.all(np.isfinite(L)) and np.all(np.isfinite(U))):
            raise NotStochastic(f"interval kernel {self.name!r}", "has a non-finite bound", fix="use finite bounds")
        for bad, what, fix in (((L < -ATOL) | (U > 1 + ATOL), "a bound outside [0, 1]", "keep bounds in [0, 1]"),
                               (L > U + ATOL, "a lower bound above its upper bound", "swap or correct the bounds")):
            if np.any(bad):
                r, c = map(int, np.argwhere(bad)[0])
                raise NotStochastic(where(r, c), f"has {what} ([{L[r, c]:g}, {U[r, c]:g}])", fix=fix)
        for r in range(len(L)):
            if L[r].sum() > 1 + ATOL:
                raise NotStochastic(where(r), f"lower bounds sum to {L[r].sum():.6g} > 1: no distribution fits",
                                    fix="lower some lower bounds so that they sum to at most 1")
            if U[r].sum() < 1 - ATOL:
                raise NotStochastic(where(r), f"upper bounds sum to {U[r].sum():.6g} < 1: no distribution fits",
                                    fix="raise some upper bounds so that they sum to at least 1")
        tight_U = np.minimum(U, 1 - (L.sum(axis=1, keepdims=True) - L))
        tight_L = np.maximum(L, 1 - (U.sum(axis=1, keepdims=True) - U))
        loose = (tight_U < U - ATOL) | (tight_L > L + ATOL)
        if np.any(loose) and not tighten:
            r, c = map(int, np.argwhere(loose)[0])
            raise NotStochastic(where(r, c), f"bounds [{L[r, c]:g}, {U[r, c]:g}] cannot be reached by any "
                                f"distribution of the row (reachable: [{tight_L[r, c]:g}, {tight_U[r, c]:g}])",
                                fix="use the reachable bounds, or pass tighten=True to tighten them")
        self.lower = tight_L.reshape(self.lower.shape)
        self.upper = tight_U.reshape(self.upper.shape)

    @classmethod
    def around(cls, kernel: Kernel, eps: float, **kw) -> "IntervalKernel":
        """Every entry of ``kernel`` widened by ``eps`` (clipped to [0, 1], tightened)."""
        arr = np.asarray(kernel.subs().array, dtype=float)
        return cls(np.clip(arr - eps, 0, 1), np.clip(arr + eps, 0, 1), kernel.dom, kernel.cod,
                   name=kw.pop("name", f"{kernel.name} ± {eps:g}"), tighten=True, **kw)

    def argmax(self, c: np.ndarray) -> np.ndarray:
        """The member maximising ``Σ c·k``, row by row: lower bounds, then the free mass by decreasing ``c``."""
        lead = c.shape[: c.ndim - self.ndim]
        L, U = self.rows()
        rows = c.reshape(lead + L.shape)
        order = np.argsort(-rows, axis=-1, kind="stable")
        slack = np.take_along_axis(np.broadcast_to(U - L, rows.shape), order, axis=-1)
        free = 1 - L.sum(axis=-1)
        before = np.cumsum(slack, axis=-1) - slack
        add = np.clip(free[..., None] - before, 0, slack)
        out = np.broadcast_to(L, rows.shape).copy()
        np.put_along_axis(out, order, np.take_along_axis(out, order, axis=-1) + add, axis=-1)
        return out.reshape(c.shape)

    def row_vertices(self, r: int) -> np.ndarray:
        """The vertices of row ``r``'s polytope ``{p : l <= p <= u, Σp = 1}`` (one per line).

        A vertex has every coordinate but at most one at a bound; all such points are tried.
        """
        cache = self.__dict__.setdefault("_vertices", {})
        if r in cache:
            return cache[r]
        L, U = self.rows()
        lo, u = L[r], U[r]
        n = len(lo)
        if n > MAX_ROW_OUTPUTS:
            raise ShapeError(f"interval kernel {self.name!r}", f"a row has {n} outputs, too many to enumerate vertices",
                             fix="keep it as the one imprecise box solved exactly, or use chain_bounds")
        found = []
        for j in range(n):
            others = [i for i in range(n) if i != j]
            for bits in itertools.product((0, 1), repeat=n - 1):
                p = np.empty(n)
                for i, b in zip(others, bits):
                    p[i] = u[i] if b else lo[i]
                p[j] = 1 - p[others].sum()
                if lo[j] - ATOL <= p[j] <= u[j] + ATOL:
                    found.append(np.clip(p, lo, u))
        found = np.array(found)
        _, first = np.unique(np.round(found, 12), axis=0, return_index=True)  # duplicates differ by round-off
        cache[r] = found[np.sort(first)]
        return cache[r]

    def _row_count(self, r: int) -> float:
        return math.inf if int(np.prod(self.shape_out, dtype=int)) > MAX_ROW_OUTPUTS else len(self.row_vertices(r))

    def center(self) -> Kernel:
        """A member in the middle: the lower bounds plus the free mass shared in proportion to the slack."""
        L, U = self.rows()
        slack = U - L
        total = slack.sum(axis=1, keepdims=True)
        share = np.where(total > 0, slack / np.where(total > 0, total, 1), 0)
        rows = L + (1 - L.sum(axis=1, keepdims=True)) * share
        return Kernel(rows.reshape(self.lower.shape), self.dom, self.cod, name=f"{self.name} (centre)")

    def radius(self) -> float:
        """An upper bound on the TV distance from :meth:`center` to any member."""
        c = self.center().rows()
        L, U = self.rows()
        return float(0.5 * np.maximum(U - c, c - L).sum(axis=1).max())

    def contains(self, kernel: Kernel, atol: float = 1e-9) -> bool:
        arr = np.asarray(kernel.subs().array, dtype=float)
        return arr.shape == self.lower.shape and bool(np.all(arr >= self.lower - atol) and
                                                      np.all(arr <= self.upper + atol))

    def __repr__(self) -> str:
        return f"IntervalKernel({self.name}: {_sig(self.dom, self.cod)})"


class TVBallKernel(RowSets):
    """Every kernel within total-variation distance ``radius`` of ``kernel``, row by row:
    ``{q ∈ simplex : ½·|q − k(·|x)|₁ <= radius}`` for each input ``x``.

    Its support function has a closed form (:meth:`argmax`, the greedy): to maximise
    ``Σ c·q`` move up to ``radius`` of mass to the label of largest ``c`` from the labels of
    smallest ``c``, each giving at most the mass it has. Its vertices are those greedy moves
    (:meth:`row_vertices`), so :func:`credal_bounds`, :func:`chain_bounds` and the episode
    bounds take it like any credal set.

    >>> from markovwire import FinSet
    >>> V = FinSet("Verdict", ["pass", "flag"])
    >>> ball = TVBallKernel(Kernel([0.9, 0.1], [], [V]), 0.05)
    >>> ball.row_vertices(0).round(12).tolist()
    [[0.95, 0.05], [0.85, 0.15]]
    >>> [lower_transition(ball, [0.0, 1.0], sense).round(12).tolist() for sense in ("min", "max")]
    [[0.05], [0.15]]
    """

    def __init__(self, kernel: Kernel, radius: float, *, name: str | None = None):
        if not isinstance(kernel, Kernel):
            raise ShapeError("TV ball", f"is centred on a {type(kernel).__name__}, not a Kernel",
                             fix="give the model's kernel (Kernel) and a radius")
        if kernel.is_symbolic:
            raise ParameterError(f"TV ball around {kernel.name!r}", "has symbolic entries",
                                 fix="substitute parameter values first (kernel.subs({...}))")
        radius = float(radius)
        if not 0 <= radius <= 1:
            raise ParameterError(f"TV radius of {kernel.name!r}", f"{radius:g} is outside [0, 1]",
                                 fix="give a total-variation radius between 0 and 1")
        self.kernel, self.eps = kernel, radius
        self.dom, self.cod = kernel.dom, kernel.cod
        self.name = name or f"{kernel.name} (TV ≤ {radius:g})"
        self.centre = np.asarray(kernel.array, dtype=float)
        self.shape = self.centre.shape

    def rows(self) -> np.ndarray:
        """The model's kernel as a matrix, one row per input combination."""
        return self.centre.reshape(self.n_rows, -1)

    def argmax(self, c: np.ndarray) -> np.ndarray:
        """The member maximising ``Σ c·k``, row by row: up to ``radius`` of mass moved to the label of largest
        ``c``, taken from the labels of smallest ``c`` first (each at most its mass)."""
        lead = c.shape[: c.ndim - self.ndim]
        P = self.rows()
        rows = c.reshape(lead + P.shape)
        order = np.argsort(rows, axis=-1, kind="stable")          # ascending: the last label receives
        p = np.take_along_axis(np.broadcast_to(P, rows.shape), order, axis=-1)
        avail = p.copy()
        avail[..., -1] = 0.0
        take = np.clip(self.eps - (np.cumsum(avail, axis=-1) - avail), 0.0, avail)
        q = p - take
        q[..., -1] += take.sum(axis=-1)
        out = np.empty_like(q)
        np.put_along_axis(out, order, q, axis=-1)
        return out.reshape(c.shape)

    def row_vertices(self, r: int) -> np.ndarray:
        """The vertices of row ``r``'s ball: for each receiving label ``j``, drain a set ``S`` of other labels
        (``p(S) < radius``) and take the rest of ``radius`` from one more label ``k`` (every greedy move)."""
        cache = self.__dict__.setdefault("_vertices", {})
        if r not in cache:
            cache[r] = _tv_vertices(self.rows()[r], self.eps, f"TV ball {self.name!r}, "
                                    f"{_row_label(self.dom, self.shape_in, r)}")
        return cache[r]

    def _row_count(self, r: int) -> float:
        try:
            return len(self.row_vertices(r))
        except ShapeError:
            return math.inf

    @property
    def n_vertices(self) -> float:
        """The number of vertices (``inf`` past ``2**MAX_BALL_ROWS``: every row with two labels has two or more)."""
        width = int(np.prod(self.shape_out, dtype=int))
        if self.eps > 0 and (width > MAX_BALL_OUTPUTS or (width > 1 and self.n_rows > MAX_BALL_ROWS)):
            return math.inf
        return super().n_vertices

    def center(self) -> Kernel:
        return self.kernel

    def radius(self) -> float:
        return self.eps

    def contains(self, kernel: Kernel, atol: float = 1e-9) -> bool:
        arr = np.asarray(kernel.subs().array, dtype=float)
        return arr.shape == self.shape and bool(
            np.all(0.5 * np.abs(arr.reshape(self.n_rows, -1) - self.rows()).sum(axis=1) <= self.eps + atol))

    def __repr__(self) -> str:
        return f"TVBallKernel({self.name}: {_sig(self.dom, self.cod)}, radius {self.eps:g})"


MAX_ROW_VERTICES = 4096  # vertices of one row's TV ball are enumerated up to this many
MAX_BALL_ROWS = 40       # a ball with more rows has more than 2**40 vertices: not counted
MAX_BALL_OUTPUTS = 64    # a row with more outputs is not enumerated


def _tv_vertices(p: np.ndarray, eps: float, where: str) -> np.ndarray:
    """The vertices of ``{q : ½|q − p|₁ <= eps}`` in the simplex (one per line), deduplicated."""
    n = len(p)
    if eps > 0 and n > MAX_BALL_OUTPUTS:
        raise ShapeError(where, f"has {n} outputs, too many to enumerate the vertices of its TV ball",
                         fix="make this the one box solved exactly (its linear programme needs no vertices), "
                         "or give fewer instances a radius")
    found = [] if eps > 0 else [p.copy()]
    if eps > 0:
        pos = [i for i in range(n) if p[i] > 0]
        for j in range(n):
            donors = [i for i in pos if i != j]
            if p[donors].sum() <= eps:            # everything else fits in the move: the point mass at j
                q = np.zeros(n)
                q[j] = 1.0
                found.append(q)
                continue
            stack = [((), 0.0, 0)]                # drained labels S (in increasing index), p(S), next index
            visits = 0
            while stack:
                S, mass, start = stack.pop()
                visits += 1
                if visits > 4 * MAX_ROW_VERTICES:
                    raise ShapeError(where, f"has more than {4 * MAX_ROW_VERTICES} sets of labels to drain",
                                     fix="use a smaller radius, or make this the one box solved exactly")
                for k in donors:
                    if k not in S and mass + p[k] >= eps:
                        q = p.copy()
                        q[list(S)] = 0.0
                        q[k] -= eps - mass
                        q[j] += eps
                        found.append(q)
                        if len(found) > MAX_ROW_VERTICES:
                            raise ShapeError(where, f"has more than {MAX_ROW_VERTICES} vertices to enumerate",
                                             fix="use a smaller radius, or make this the one box solved exactly")
                for i in donors[start:]:
                    if i not in S and mass + p[i] < eps:
                        stack.append((S + (i,), mass + p[i], donors.index(i) + 1))
    found = np.clip(np.array(found), 0.0, 1.0)
    _, first = np.unique(np.round(found, 12), axis=0, return_index=True)
    return found[np.sort(first)]


class CredalKernel:
    """A kernel known to lie in the convex hull of finitely many extreme kernels (all of one signature)."""

    def __init__(self, vertices: Sequence[Kernel], *, name: str | None = None):
        vertices = list(vertices)
        if not vertices:
            raise ShapeError("credal kernel", "has no vertices", fix="give at least one kernel")
        first = vertices[0]
        self.name = name or f"{first.name} (credal)"
        for i, k in enumerate(vertices):
            if not isinstance(k, Kernel):
                raise ShapeError(f"credal kernel {self.name!r}, vertex {i}", f"is a {type(k).__name__}, not a Kernel",
                                 fix="give the extreme kernels as Kernel objects")
            if k.is_symbolic:
                raise ParameterError(f"credal kernel {self.name!r}, vertex {i}", "has symbolic entries",
                                     fix="substitute parameter values first (kernel.subs({...}))")
            if ([p.type for p in k.dom], [p.type for p in k.cod]) != ([p.type for p in first.dom],
                                                                      [p.type for p in first.cod]):
                raise TypeMismatch(f"credal kernel {self.name!r}, vertex {i}",
                                   f"has signature {_sig(k.dom, k.cod)}, not {_sig(first.dom, first.cod)}",
                                   fix="give every vertex the same input and output types")
        self.dom, self.cod = first.dom, first.cod
        self._vertices = vertices
        self.arrays = np.stack([np.asarray(k.array, dtype=float) for k in vertices])

    @classmethod
    def from_tables(cls, tables: np.ndarray, dom, cod, *, name: str) -> "CredalKernel":
        """The hull of the kernels whose tables are stacked on ``tables``' leading axis, all of signature ``dom →
        cod`` (numeric, checked by the caller): no Kernel object is made until a vertex is asked for."""
        out = cls.__new__(cls)
        out.name, out.dom, out.cod = name, list(dom), list(cod)
        out.arrays, out._vertices = np.asarray(tables, dtype=float), None
        return out

    @property
    def vertices(self) -> list[Kernel]:
        if self._vertices is None:
            self._vertices = [Kernel(t, self.dom, self.cod, name=self.name, check=False) for t in self.arrays]
        return self._vertices

    @property
    def shape_in(self) -> tuple[int, ...]:
        return self.arrays.shape[1: 1 + len(self.dom)]

    @property
    def shape_out(self) -> tuple[int, ...]:
        return self.arrays.shape[1 + len(self.dom):]

    @property
    def ndim(self) -> int:
        return self.arrays.ndim - 1

    @property
    def n_vertices(self) -> int:
        return len(self.arrays)

    def vertex_arrays(self) -> np.ndarray:
        return self.arrays

    def sample_vertices(self, n: int, rng: np.random.Generator) -> np.ndarray:
        return self.arrays[rng.integers(len(self.arrays), size=n)]

    def argmax(self, c: np.ndarray) -> np.ndarray:
        """The vertex maximising ``Σ c·k`` (a linear function is maximised over a hull at a vertex)."""
        nd = self.ndim
        scores = dot(c[..., None, *([slice(None)] * nd)], self.arrays, nd)
        return self.arrays[np.argmax(scores, axis=-1)]

    def row_sets(self) -> np.ndarray:
        """Per input row, the rows of the vertices: ``(rows, K, outputs)`` (the row-wise projection)."""
        K = len(self.arrays)
        n = int(np.prod(self.shape_in, dtype=int))
        return self.arrays.reshape(K, n, -1).transpose(1, 0, 2)

    def center(self) -> Kernel:
        return Kernel(self.arrays.mean(axis=0), self.dom, self.cod, name=f"{self.name} (centre)")

    def radius(self) -> float:
        c = np.asarray(self.center().array)
        n = len(self.arrays)
        return float(0.5 * np.abs(self.arrays - c).reshape(n, int(np.prod(self.shape_in, dtype=int)), -1)
                     .sum(axis=-1).max())

    def __repr__(self) -> str:
        return f"CredalKernel({self.name}: {_sig(self.dom, self.cod)}, {len(self.arrays)} vertices)"


def as_credal(x, where: str):
    if isinstance(x, (RowSets, CredalKernel)):
        return x
    if isinstance(x, Kernel):
        return CredalKernel([x.subs()])
    raise ShapeError(where, f"is a {type(x).__name__}, not an IntervalKernel, TVBallKernel, CredalKernel or Kernel",
                     fix="describe an imprecise box by IntervalKernel(lower, upper, ...) or CredalKernel([...])")


def _sig(dom, cod) -> str:
    show = lambda ps: " ⊗ ".join(p.type.name for p in ps) or "I"
    return f"{show(dom)} → {show(cod)}"


def _row_label(dom, shape_in, r: int) -> str:
    if not dom:
        return "the distribution"
    idx = np.unravel_index(r, shape_in)
    return "row (" + ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(dom, idx)) + ")"


def _out_label(cod, shape_out, c: int) -> str:
    idx = np.unravel_index(c, shape_out)
    return ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(cod, idx)) or "*"


# ----- lower and upper values of a query on a net -----------------------------------------
class Interval(NamedTuple):
    """A closed interval ``[lower, upper]`` of probabilities or values."""

    lower: float
    upper: float

    def __str__(self) -> str:
        return f"[{self.lower:.6g}, {self.upper:.6g}]"

    def to_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper}


@dataclass
class CredalBounds:
    """Lower and upper values of a query, the choices attaining them, and how far they are certified."""

    query: str
    lower: float
    upper: float
    exact: bool
    method: str
    lower_choice: dict = field(default_factory=dict)
    upper_choice: dict = field(default_factory=dict)
    outer: Interval | None = None
    note: str = ""

    @property
    def interval(self) -> Interval:
        return Interval(self.lower, self.upper)

    def __str__(self) -> str:
        kind = "exact" if self.exact else "inner bound (values attained; the true range may be wider)"
        lines = [f"{self.query} ∈ [{self.lower:.6g}, {self.upper:.6g}]  ({kind})", f"  method: {self.method}"]
        if self.outer is not None:
            lines.append(f"  outer bound (certified): {self.outer}")
        lines += choice_lines(self.lower_choice, self.upper_choice)
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        kind = "exact" if self.exact else "inner bound (values attained; the true range may be wider)"
        return display.fields(f"credal bounds of {self.query}", [
            ("lower", self.lower), ("upper", self.upper), ("kind", kind),
            ("outer bound (certified)", self.outer and str(self.outer)),
            ("lower at", show_choice(self.lower_choice)), ("upper at", show_choice(self.upper_choice)),
            ("method", self.method), ("note", self.note)])

    def to_dict(self) -> dict:
        return {"query": self.query, "lower": self.lower, "upper": self.upper, "exact": self.exact,
                "method": self.method, "lower_choice": choice_data(self.lower_choice),
                "upper_choice": choice_data(self.upper_choice),
                "outer": None if self.outer is None else self.outer.to_dict(), "note": self.note}


def choice_lines(lower: dict, upper: dict) -> list[str]:
    """``lower at: …`` and ``upper at: …`` lines for the choices attaining the bounds."""
    return [f"  {label} at: {show_choice(c)}" for label, c in (("lower", lower), ("upper", upper)) if c]


def choice_data(choice: dict) -> dict:
    """A choice as JSON-ready data (kernels as nested lists)."""
    return {k: (np.asarray(v.array, float).tolist() if isinstance(v, Kernel) else v) for k, v in choice.items()}


def show_choice(choice: dict) -> str:
    """Parameter values and extreme kernels, readable: ``beta = 0.05; monitor = clean: low 0.99, high 0.01 | …``."""
    parts = []
    for k, v in choice.items():
        parts.append(f"{k} = {_show_rows(v)}" if isinstance(v, Kernel) else f"{k} = {v:.6g}")
    return "; ".join(parts)


def _show_rows(kernel: Kernel) -> str:
    """A numeric kernel row by row, each row's non-zero entries by label."""
    arr = np.asarray(kernel.array, dtype=float)
    labels = [",".join(t) for t in itertools.product(*(p.type.elements for p in kernel.cod))]
    rows = []
    for idx in np.ndindex(*arr.shape[: len(kernel.dom)]):
        row = arr[idx].reshape(-1)
        shown = ", ".join(f"{labels[c]} {row[c]:.4g}" for c in range(row.size) if row[c] > 0)
        head = ",".join(p.type.elements[i] for p, i in zip(kernel.dom, idx))
        rows.append(f"{head}: {shown}" if head else shown)
    return " | ".join(rows)


def credal_bounds(net: Net, query, *, boxes: Mapping[str, object] | None = None,
                  intervals: Mapping[str, tuple[float, float]] | None = None,
                  values: Mapping[str, float] | None = None, max_combinations: int = 20_000,
                  grid: int | Sequence[int] | None = None, lipschitz=None, seed: int = 0) -> CredalBounds:
    """Lower and upper values of ``query`` when ``boxes`` are imprecise and ``intervals`` bound parameters.

    Exact (vertex enumeration plus one linear programme) when every interval parameter
    is multilinear and the vertices number at most ``max_combinations``; otherwise the
    result is an inner bound, with a certified outer bound where one is available.
    """
    one_table_each(net, "credal bounds")
    query = as_query(query)
    boxes = {name: as_credal(s, f"imprecise box {name!r}") for name, s in dict(boxes or {}).items()}
    for name, s in boxes.items():
        check_signature(net, name, s)
    intervals = dict(intervals or {})
    fixed = fixed_values(values, list(intervals), f"credal bounds of {query}")
    axes = axes_for(net.params, list(intervals), intervals, where=f"credal bounds of {query}")
    used = {s.name for b in net.boxes if b.name not in boxes for s in b.kernel.free_symbols}
    unused = [a.name for a in axes if a.name not in used]
    axes = [a for a in axes if a.name in used]
    linear_params, other_params = split_multilinear(net, boxes, axes)
    problem = _Problem(net, query, boxes, linear_params, fixed, max_combinations, seed)
    note = f"parameter(s) {', '.join(unused)} do not affect the query" if unused else ""
    if not other_params:
        lo, lo_choice = problem.extreme({}, "min")
        hi, hi_choice = problem.extreme({}, "max")
        exact = problem.complete
        outer = None if exact else problem.outer_bound()
        return CredalBounds(str(query), float(lo), float(hi), exact, problem.describe(), lo_choice, hi_choice,
                            outer, note)
    outs = {}
    for sense in ("min", "max"):
        objective = lambda pts, sense=sense: problem.best(pts, sense)
        outs[sense] = (minimise if sense == "min" else maximise)(objective, other_params, grid=grid,
                                                                 lipschitz=lipschitz)
    choices = {s: problem.extreme(o.choice, s)[1] | o.choice for s, o in outs.items()}
    names = ", ".join(a.name for a in other_params)
    method = f"{problem.describe()}; {names} searched ({outs['max'].method})"
    outer = None
    if outs["min"].certified and outs["max"].certified and problem.complete:
        outer = Interval(outs["min"].bound, outs["max"].bound)
    note = "; ".join(x for x in (note, f"the query is not multilinear in {names}, so its extremes need not be at "
                                 "the interval ends: the range found is attained but not certified"
                                 + (" (an outer bound is certified by the Lipschitz constant)" if outer else "")) if x)
    return CredalBounds(str(query), outs["min"].value, outs["max"].value, False, method, choices["min"],
                        choices["max"], outer, note)


def check_signature(net: Net, name: str, s) -> None:
    box = net.box(name)
    want = ([p.type for p in box.kernel.dom], [p.type for p in box.kernel.cod])
    got = ([p.type for p in s.dom], [p.type for p in s.cod])
    if want != got:
        raise TypeMismatch(f"imprecise box {name!r}", f"the credal set has signature {_sig(s.dom, s.cod)} but the box "
                           f"has {_sig(box.kernel.dom, box.kernel.cod)}",
                           fix="give the credal set the box's input and output types, in the same order")


def split_multilinear(net: Net, boxes: Mapping, axes) -> tuple[list, list]:
    """Interval parameters in which the query is multilinear (affine in one precise box), and the others."""
    linear, other = [], []
    for a in axes:
        holders = [b for b in net.boxes if b.name not in boxes and
                   any(s.name == a.name for s in b.kernel.free_symbols)]
        sym = net.params[a.name].symbol
        ok = len(holders) == 1 and all(_affine(e, sym) for e in holders[0].kernel.array.flat)
        (linear if ok and not a.integer else other).append(a)
    return linear, other


def _affine(expr, sym) -> bool:
    expr = sympy.sympify(expr)
    if sym not in expr.free_symbols:
        return True
    try:
        return sympy.Poly(expr, sym).degree() <= 1
    except sympy.PolynomialError:
        return False


class _Problem:
    """The imprecise boxes and multilinear parameters, set up for batched evaluation.

    All boxes but one (the one with most vertices) become selector boxes: their
    vertices are stacked along an extra outer input, so one contraction evaluates every
    combination. The remaining box is solved by its linear programme on the
    coefficient tensor. Multilinear parameters sweep their endpoints on the batch axis.
    """

    def __init__(self, net, query, boxes, linear_params, fixed, max_combinations, seed):
        self.query, self.fixed = query, fixed
        self.params = linear_params
        rng = np.random.default_rng(seed)
        order = sorted(boxes, key=lambda b: boxes[b].n_vertices, reverse=True)
        self.linear = order[0] if order else None
        self.enumerated = order[1:]
        counts = [boxes[b].n_vertices for b in self.enumerated]
        total = math.prod(counts) * 2 ** len(linear_params)
        self.complete = total <= max_combinations
        self.boxes = boxes
        if self.complete:
            self.vertices = {b: boxes[b].vertex_arrays() for b in self.enumerated}
            self.endpoints = list(itertools.product(*((a.lo, a.hi) for a in linear_params)))
        else:  # sample: a share of the budget per box, all endpoints if they fit
            ends = list(itertools.product(*((a.lo, a.hi) for a in linear_params)))
            if len(ends) > 64:
                ends = [tuple(rng.choice([a.lo, a.hi]) for a in linear_params) for _ in range(64)]
            self.endpoints = ends
            per = max(1, int((max_combinations / len(ends)) ** (1 / max(1, len(self.enumerated)))))
            self.vertices = {b: _distinct(boxes[b].sample_vertices(min(per, boxes[b].n_vertices), rng))
                             for b in self.enumerated}
        missing = [w for w in net.inputs if w not in dict(query.at)]
        if missing:
            raise ShapeError(f"query {query}", f"the net has outer input(s) {', '.join(missing)} that it does not fix",
                             fix="fix every outer input, e.g. Query.probability({...}, at={"
                                 + ", ".join(f"{w!r}: ..." for w in missing) + "})")
        self.net, self.selectors = with_selectors(net, self.vertices)
        self.form = BoxForm(self.net, self.linear, query, free=self.selectors) if self.linear else None
        self.original = net

    def describe(self) -> str:
        parts = []
        if self.enumerated:
            n = math.prod(len(v) for v in self.vertices.values())
            parts.append(f"{'all' if self.complete else 'a sample of'} {n} vertex combination(s) of "
                         f"{', '.join(self.enumerated)}")
        if self.params:
            parts.append(f"the endpoints of {', '.join(a.name for a in self.params)}")
        if self.linear:
            parts.append(f"the linear programme for {self.linear!r}")
        return ("vertex enumeration: " + "; ".join(parts)) if parts else "direct evaluation"

    def _values(self, pts: Mapping[str, np.ndarray]):
        """Values for a batch of (points × endpoints), flattened; returns them and the two counts."""
        n = len(next(iter(pts.values()))) if pts else 1
        m = len(self.endpoints)
        vals = dict(self.fixed)
        for k, v in pts.items():
            vals[k] = np.repeat(np.asarray(v, dtype=float), m)
        for j, a in enumerate(self.params):
            vals[a.name] = np.tile(np.array([e[j] for e in self.endpoints], dtype=float), n)
        if not pts and not self.params:
            return vals, n, m, False
        return vals, n, m, True

    def table(self, pts: Mapping[str, np.ndarray], sense: str):
        """Per point: the optimum over the linear box, for every endpoint and vertex combination.

        The combinations are split into pieces along the first enumerated box's vertices when they do not fit
        in the memory budget at once (:mod:`markovwire.parallel`), each piece a net of its own selectors."""
        vals, n, m, batched = self._values(pts)
        try:
            if self.form is not None:
                num, den = self._memo(pts, lambda: self.form.coefficients(vals))
                value, k = optimise(num, den, self.boxes[self.linear], sense)
            else:
                value = self._memo(pts, lambda: np.asarray(self.query.value(self.net, vals), dtype=float))
                k = None
        except ContractionTooLarge:
            if not self.enumerated or len(self.vertices[self.enumerated[0]]) < 2:
                raise
            parts = self._in_pieces(_CombinationPiece(self, vals, sense))
            axis = 1 if batched else 0
            value = np.concatenate([v for v, _ in parts], axis=axis)
            k = None if parts[0][1] is None else np.concatenate([x for _, x in parts], axis=axis)
        if not batched:
            value = value[None]
            k = None if k is None else k[None]
        shape = (n, m) + tuple(len(self.vertices[b]) for b in self.enumerated)
        return value.reshape(shape), (None if k is None else k.reshape(shape + k.shape[value.ndim:]))

    def _in_pieces(self, task: "_CombinationPiece") -> list:
        """``task`` over pieces of the first enumerated box's vertices: halved until the first piece fits in the
        memory budget (found here, so the pieces are the same whatever engine runs the others)."""
        count = len(self.vertices[self.enumerated[0]])
        size = count
        while True:
            size = (size + 1) // 2
            pieces = parallel.chunks(count, size=size)
            try:
                first = task(pieces[0])
                break
            except ContractionTooLarge:
                if size == 1:
                    raise
        return [first, *parallel.run(task, pieces[1:])]

    def piece(self, piece: tuple[int, int]):
        """``(net, form)`` with the first enumerated box choosing among the vertices of ``piece`` only (cached)."""
        cache = self.__dict__.setdefault("_piece_nets", {})
        if piece not in cache:
            first = self.enumerated[0]
            vertices = {b: (v[piece[0]:piece[1]] if b == first else v) for b, v in self.vertices.items()}
            net, selectors = with_selectors(self.original, vertices)
            cache[piece] = (net, BoxForm(net, self.linear, self.query, free=selectors) if self.linear else None)
        return cache[piece]

    def _memo(self, pts, compute):
        """The last evaluation, reused when the same points come again (the min and max searches share a grid)."""
        key = tuple(sorted((k, np.asarray(v, dtype=float).tobytes()) for k, v in pts.items()))
        if getattr(self, "_last", (None,))[0] != key:
            self._last = (key, compute())
        return self._last[1]

    def best(self, pts, sense: str) -> np.ndarray:
        value, _ = self.table(pts, sense)
        flat = value.reshape(len(value), -1)
        filled = np.where(np.isnan(flat), np.inf if sense == "min" else -np.inf, flat)
        out = filled.min(axis=1) if sense == "min" else filled.max(axis=1)
        return np.where(np.isinf(out), np.nan, out)

    def extreme(self, point: Mapping[str, float], sense: str):
        """The optimum at one point of the searched parameters and the choice attaining it."""
        pts = {k: np.array([v]) for k, v in point.items()}
        value, k = self.table(pts, sense)
        flat = value.reshape(-1)
        filled = np.where(np.isnan(flat), np.inf if sense == "min" else -np.inf, flat)
        if np.all(np.isnan(flat)):
            require_possible(np.nan, self.query, "admissible choice")
        i = int(np.argmin(filled) if sense == "min" else np.argmax(filled))
        idx = np.unravel_index(i, value.shape)
        choice: dict = {a.name: float(self.endpoints[idx[1]][j]) for j, a in enumerate(self.params)}
        for b, pos in zip(self.enumerated, idx[2:]):
            choice[b] = self._kernel(b, self.vertices[b][pos])
        if self.linear:
            choice[self.linear] = self._kernel(self.linear, k[idx])
        return float(flat[i]), choice

    def _kernel(self, b: str, arr: np.ndarray) -> Kernel:
        s = self.boxes[b]
        return Kernel(np.asarray(arr, dtype=float), s.dom, s.cod, name=f"{b} (extreme)", check=False)

    def outer_bound(self) -> Interval:
        """A certified outer bound when the vertices were only sampled.

        Without evidence, every imprecise box lies within TV radius ``r_b`` of its centre,
        so the query moves at most ``(max f − min f)·Σ r_b`` from its value at the centres
        (the composition bound); with evidence, only the range of ``f`` is certain.
        """
        lo_f, hi_f = self.query.range(self.original)
        if self.query.given or self.params:
            return Interval(lo_f, hi_f)
        from .robust import tv_band
        net = self.original.clone()
        net.boxes = [type(b)(b.name, self.boxes[b.name].center(), b.inputs, b.outputs) if b.name in self.boxes else b
                     for b in net.boxes]
        band = tv_band(net, self.query, {b: s.radius() for b, s in self.boxes.items()}, values=self.fixed,
                       no_exact="the composition bound is the outer bound here")
        return Interval(band.lower, band.upper)


class _CombinationPiece:
    """The optimum over the linear box for the vertex combinations of one piece (picklable, for worker processes)."""

    def __init__(self, problem: _Problem, vals, sense: str):
        self.nets = problem.piece
        self.polytope = problem.boxes[problem.linear] if problem.linear else None
        self.query, self.vals, self.sense = problem.query, vals, sense

    def __call__(self, piece):
        net, form = self.nets(piece)
        if form is None:
            return np.asarray(self.query.value(net, self.vals), dtype=float), None
        num, den = form.coefficients(self.vals)
        return optimise(num, den, self.polytope, self.sense)


def _distinct(arrays: np.ndarray) -> np.ndarray:
    _, first = np.unique(np.round(arrays.reshape(len(arrays), -1), 12), axis=0, return_index=True)
    return arrays[np.sort(first)]


def with_selectors(net: Net, vertices: Mapping[str, np.ndarray]) -> tuple[Net, tuple[str, ...]]:
    """``net`` with each named box fed by a new outer input choosing among the given vertex arrays."""
    if not vertices:
        return net, ()
    out = net.clone()
    selectors = []
    for name, arrs in vertices.items():
        box = net.box(name)
        wire = _fresh(f"{name}:vertex", out.wires)
        port = _fresh("vertex", {p.name for p in box.kernel.dom})
        kind = Range(len(arrs))
        kern = Kernel(np.asarray(arrs, dtype=float), [Port(port, kind), *box.kernel.dom], box.kernel.cod,
                      name=f"{box.kernel.name} (vertices)", check=False)
        out.add_wire(wire, kind)
        out.boxes = [type(b)(b.name, kern, (wire, *b.inputs), b.outputs) if b.name == name else b
                     for b in out.boxes]
        selectors.append(wire)
    out.set_inputs(*net.inputs, *selectors)
    return out, tuple(selectors)


def _fresh(name: str, taken) -> str:
    out, k = name, 2
    while out in taken:
        out, k = f"{name}{k}", k + 1
    return out


# ----- chains: the lower transition operator ------------------------------------------------
@dataclass
class ChainBounds:
    """Lower and upper expectations of a function of the state after some steps."""

    lower: float
    upper: float
    steps: int
    method: str
    semantics: str

    @property
    def interval(self) -> Interval:
        return Interval(self.lower, self.upper)

    def __str__(self) -> str:
        return (f"E[f(X_{self.steps})] ∈ [{self.lower:.6g}, {self.upper:.6g}]\n  method: {self.method}\n"
                f"  semantics: {self.semantics}")

    def to_dict(self) -> dict:
        return {"lower": self.lower, "upper": self.upper, "steps": self.steps, "method": self.method,
                "semantics": self.semantics}


HISTORY = ("exact for every process whose transition at each step may depend on the whole history "
           "(epistemic irrelevance / Markov set-chain semantics: an adaptive adversary); for one fixed "
           "unknown kernel it is an outer bound")


def lower_transition(step, f, sense: str = "min") -> np.ndarray:
    """``(T̲f)(x) = min_{p ∈ C(x)} Σ_y p(y) f(y)`` for every state ``x`` (``sense='max'``: the upper operator).

    Probability intervals use the sort-and-fill greedy, TV balls their greedy move; a :class:`CredalKernel` takes
    each row's best vertex row (its rows are treated as separately specified), as does an
    array of candidate rows ``(states, candidates, next states)``.

    >>> from markovwire import FinSet
    >>> S = FinSet("S", ["ok", "bad"])
    >>> step = IntervalKernel([[0.8, 0.1], [0.0, 1.0]], [[0.9, 0.2], [0.0, 1.0]], [S], [S])
    >>> lower_transition(step, [0.0, 1.0]).round(12).tolist()
    [0.1, 1.0]
    >>> lower_transition(step, [0.0, 1.0], "max").round(12).tolist()
    [0.2, 1.0]
    """
    s = _sign(sense)
    f = np.asarray(f, dtype=float)
    if isinstance(step, np.ndarray) and step.ndim == 3:
        return _best_rows(step, f, sense)
    step = _step(step)
    if isinstance(step, RowSets):
        rows = (step.n_rows, int(np.prod(step.shape_out, dtype=int)))
        c = np.broadcast_to(s * f, rows).reshape(step.shape)   # min p·f = −max p·(−f)
        k = step.argmax(c).reshape(rows)
        return k @ f
    if isinstance(step, CredalKernel):
        return _best_rows(step.row_sets(), f, sense)
    return np.asarray(step, dtype=float) @ f


def _best_rows(rows: np.ndarray, f: np.ndarray, sense: str) -> np.ndarray:
    """Per state, the smallest (or largest) ``row · f`` among its candidate rows ``(states, K, next)``."""
    scores = rows @ f                                # (states, K)
    return scores.min(axis=1) if sense == "min" else scores.max(axis=1)


def chain_bounds(step, f, steps: int, initial) -> ChainBounds:
    """Lower and upper ``E[f(X_steps)]`` for a chain with an imprecise step, by backward recursion.

    ``step`` is an :class:`IntervalKernel`, a :class:`CredalKernel` or a precise
    :class:`Kernel` on one state type ``S → S``; ``f`` maps state labels to values (a
    mapping, or an array in the order of the labels); ``initial`` is a state label, a
    distribution (``Kernel`` with no inputs, or an array) or an imprecise one.
    For an absorbing target, ``f`` = its indicator gives P(target reached by ``steps``).
    """
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ShapeError("chain_bounds", f"steps = {steps!r} is not a non-negative integer", fix="give steps >= 0")
    st = _step(step)
    states = _states(st)
    fv = _function(f, states)
    x0 = _initial(initial, states)
    out = {}
    for sense in ("min", "max"):
        g = fv
        for _ in range(steps):
            g = lower_transition(st, g, sense)
        if isinstance(x0, (RowSets, CredalKernel)):
            out[sense] = float(lower_transition(x0, g, sense)[0])
        else:
            out[sense] = float(x0 @ g)
    how = ("the lower transition operator applied backwards, "
           + ("sort-and-fill greedy per row" if isinstance(st, IntervalKernel) else
              "the greedy move per row" if isinstance(st, TVBallKernel) else "best vertex row per state"))
    return ChainBounds(out["min"], out["max"], int(steps), how, HISTORY)


def _step(step):
    if isinstance(step, (RowSets, CredalKernel)):
        s = step
    elif isinstance(step, Kernel):
        s = CredalKernel([step.subs()])
    else:
        raise ShapeError("chain step", f"is a {type(step).__name__}",
                         fix="give an IntervalKernel, TVBallKernel, CredalKernel or Kernel")
    if s.dom and [p.type for p in s.dom] != [p.type for p in s.cod]:
        raise TypeMismatch("chain step", f"maps {_sig(s.dom, s.cod)}; a chain's step maps the state type to itself",
                           fix="give the step the same input and output types")
    return s


def _states(step) -> list[tuple[str, ...]]:
    return list(itertools.product(*(p.type.elements for p in step.cod)))


def _function(f, states) -> np.ndarray:
    if isinstance(f, Mapping):
        keys = {(k,) if isinstance(k, str) else tuple(k): float(v) for k, v in f.items()}
        unknown = [k for k in keys if k not in set(states)]
        if unknown:
            raise UnknownName("chain function", f"{', '.join(unknown[0])!r} is not a state",
                              fix=f"use states among: {', '.join(','.join(s) for s in states[:8])}")
        return np.array([keys.get(s, 0.0) for s in states])
    arr = np.asarray(f, dtype=float).reshape(-1)
    if arr.size != len(states):
        raise ShapeError("chain function", f"has {arr.size} values for {len(states)} states",
                         fix="give one value per state, or a mapping state → value")
    return arr


def _initial(initial, states):
    if isinstance(initial, (str, tuple)):
        key = (initial,) if isinstance(initial, str) else tuple(initial)
        if key not in states:
            raise UnknownName("initial state", f"{initial!r} is not a state",
                              fix=f"use one of: {', '.join(','.join(s) for s in states[:8])}")
        x = np.zeros(len(states))
        x[states.index(key)] = 1.0
        return x
    if isinstance(initial, (RowSets, CredalKernel)):
        if initial.dom:
            raise ShapeError("initial distribution", "has inputs", fix="give a distribution (no inputs)")
        return initial
    if isinstance(initial, Kernel):
        return np.asarray(initial.subs().array, dtype=float).reshape(-1)
    x = np.asarray(initial, dtype=float).reshape(-1)
    if x.size != len(states):
        raise ShapeError("initial distribution", f"has {x.size} entries for {len(states)} states",
                         fix="give one probability per state")
    return x


# ----- parallel composition of two events --------------------------------------------------
def conjunction(a, b, dependence: str = "independent") -> Interval:
    """Bounds on ``P(A ∩ B)`` from ``P(A)`` and ``P(B)`` (numbers or ``(lo, hi)`` intervals).

    ``"independent"``: ``P(A)·P(B)`` (the strong product); ``"unknown"``: every coupling,
    the Fréchet bounds ``max(0, P(A) + P(B) − 1) <= P(A ∩ B) <= min(P(A), P(B))``.

    >>> conjunction(0.7, 0.6), conjunction((0.5, 0.7), 0.6, "unknown")
    (Interval(lower=0.42, upper=0.42), Interval(lower=0.1, upper=0.6))
    """
    (la, ua), (lb, ub) = _interval(a, "P(A)"), _interval(b, "P(B)")
    if _dependence(dependence) == "independent":
        return Interval(round(la * lb, 15), round(ua * ub, 15))
    return Interval(round(max(0.0, la + lb - 1), 15), round(min(ua, ub), 15))


def disjunction(a, b, dependence: str = "independent") -> Interval:
    """Bounds on ``P(A ∪ B)``: ``1 − (1 − P(A))(1 − P(B))`` if independent, else ``[max, min(1, sum)]``."""
    (la, ua), (lb, ub) = _interval(a, "P(A)"), _interval(b, "P(B)")
    if _dependence(dependence) == "independent":
        return Interval(round(1 - (1 - la) * (1 - lb), 15), round(1 - (1 - ua) * (1 - ub), 15))
    return Interval(round(max(la, lb), 15), round(min(1.0, ua + ub), 15))


def _interval(x, what: str) -> tuple[float, float]:
    lo, hi = (float(x), float(x)) if np.ndim(x) == 0 else (float(x[0]), float(x[1]))
    if not (0 <= lo <= hi <= 1):
        raise ParameterError(what, f"[{lo:g}, {hi:g}] is not a probability interval",
                             fix="give a probability in [0, 1] or an interval (lo, hi) with 0 <= lo <= hi <= 1")
    return lo, hi


def _dependence(d: str) -> str:
    if d not in ("independent", "unknown"):
        raise ShapeError("dependence", f"{d!r} is neither 'independent' nor 'unknown'",
                         fix="use 'independent' (the strong product) or 'unknown' (every coupling: Fréchet bounds)")
    return d
