"""Bounded optimisation of a vectorised objective: a dense grid, then Brent refinement.

The objective takes a mapping name → 1-D array of points and returns one value per
point, so a whole grid is one call (for a query: one contraction with a batch axis).
:func:`maximise` evaluates the grid, keeps the best few local optima of the grid, and
refines each inside its grid cell by Brent's method (one parameter), alternating
Brent line searches (two), or coordinate search over the whole domain (more).

What is guaranteed:

- the returned value is attained: it is the objective at the returned point;
- with a Lipschitz constant ``L_j`` per parameter (``|f(x) - f(y)| <= Σ_j L_j |x_j - y_j|``),
  the optimum over the box lies in ``[value, grid best + Σ_j L_j h_j / 2]`` where
  ``h_j`` is the largest grid gap on axis ``j`` (axes enumerated exhaustively, such as
  small integer ranges, contribute 0): a certified bracket;
- without one, the value is the global optimum (to the refinement tolerance) only
  if the objective has no peak narrower than the grid spacing: not certified.

>>> import numpy as np
>>> f = lambda p: -(p["x"] - 0.3) ** 2
>>> out = maximise(f, [Axis("x", 0.0, 1.0)], lipschitz=2.0)
>>> round(out.choice["x"], 8), out.certified, out.bound - out.value < 1e-3
(0.3, True, True)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from ..errors import ContractionTooLarge, ParameterError

GOLDEN = 0.3819660112501051  # (3 - sqrt 5) / 2
MAX_GRID = 40_000            # points of the first grid, all parameters together
Objective = Callable[[Mapping[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Axis:
    """One parameter of a search: its name, closed range and whether it is an integer."""

    name: str
    lo: float
    hi: float
    integer: bool = False


@dataclass
class Outcome:
    """The best point found, its value, and what is known about the optimum."""

    value: float
    choice: dict[str, float]
    bound: float | None
    certified: bool
    method: str
    evaluations: int
    grid: dict[str, int] = field(default_factory=dict)
    spacing: dict[str, float] = field(default_factory=dict)


def axes_for(params: Mapping, over: Sequence[str], bounds: Mapping[str, tuple] | None = None,
             where: str = "search") -> list[Axis]:
    """Search axes for the named parameters: their domains, narrowed by ``bounds``."""
    bounds = dict(bounds or {})
    unknown = [n for n in list(over) + list(bounds) if n not in params]
    if unknown:
        raise ParameterError(where, f"unknown parameter {unknown[0]!r}",
                             fix=f"use one of the net's parameters: {', '.join(sorted(params)) or 'none'}")
    extra = sorted(set(bounds) - set(over))
    if extra:
        raise ParameterError(where, f"bounds given for {extra[0]!r}, which is not searched over",
                             fix=f"add {extra[0]!r} to over=, or drop its bounds")
    axes = []
    for name in over:
        p = params[name]
        lo, hi = p.domain
        if name in bounds:
            blo, bhi = (float(b) for b in bounds[name])
            if not (lo <= blo <= bhi <= hi):
                raise ParameterError(f"{where}, parameter {name!r}",
                                     f"bounds [{blo:g}, {bhi:g}] are not inside its domain [{lo:g}, {hi:g}]",
                                     fix="give bounds with low <= high inside the domain")
            lo, hi = blo, bhi
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise ParameterError(f"{where}, parameter {name!r}", f"has the unbounded domain [{lo:g}, {hi:g}]",
                                 fix=f"give finite bounds, e.g. bounds={{{name!r}: (0, 1)}}")
        if p.integer:
            lo, hi = math.ceil(lo), math.floor(hi)
        axes.append(Axis(name, float(lo), float(hi), bool(p.integer)))
    if len({a.name for a in axes}) != len(axes):
        raise ParameterError(where, "a parameter is named twice in over=", fix="name each parameter once")
    return axes


def fixed_values(values: Mapping[str, object] | None, skip: Sequence[str] = (), where: str = "search") -> dict:
    """The scalar values of the parameters held fixed (those in ``skip`` are searched and dropped)."""
    fixed = {k: v for k, v in dict(values or {}).items() if k not in set(skip)}
    for k, v in fixed.items():
        if np.ndim(v):
            raise ParameterError(f"{where}, parameter {k!r}", "is given an array of values",
                                 fix="give one value per fixed parameter (sweep by calling once per value)")
    return fixed


def maximise(objective: Objective, axes: Sequence[Axis], *, grid: int | Sequence[int] | None = None,
             lipschitz: float | Mapping[str, float] | None = None, tol: float = 1e-10, starts: int = 3) -> Outcome:
    """The maximum of ``objective`` over the box ``axes`` (``nan`` counts as ``-inf``)."""
    axes = list(axes)
    counter = _Counter(objective)
    if not axes:
        v = float(_finite(counter({}))[0])
        return Outcome(v, {}, None, False, "no parameters: a single evaluation", counter.n)
    points = _grid_axes(axes, grid)
    shape = tuple(len(p) for p in points)
    table = counter.grid(axes, points).reshape(shape)
    finite = _finite(table)
    seeds = _local_maxima(finite, starts)
    best_x, best_v = None, -np.inf
    d = len(axes)
    for idx in seeds:
        x0 = {a.name: float(points[j][idx[j]]) for j, a in enumerate(axes)}
        v0 = float(finite[idx])
        if d <= 2:
            cell = {a.name: (float(points[j][max(idx[j] - 1, 0)]), float(points[j][min(idx[j] + 1, shape[j] - 1)]))
                    for j, a in enumerate(axes)}
            x, v = _coordinate_refine(counter, axes, x0, v0, cell, tol, whole=False)
        else:
            x, v = _coordinate_refine(counter, axes, x0, v0, None, tol, whole=True)
        if v > best_v:
            best_x, best_v = x, v
    grid_best = float(finite.max())
    spacing = {a.name: _gap(a, p) for a, p in zip(axes, points)}
    how = {1: "Brent refinement in the best grid cells", 2: "alternating Brent line searches in the best grid cells"}
    method = (f"{'×'.join(map(str, shape))} grid, then " + how.get(d, "coordinate search from the best grid points"))
    bound, certified = None, False
    if lipschitz is not None and np.isfinite(grid_best) and not np.isnan(table).any():
        ls = {a.name: float(lipschitz[a.name] if isinstance(lipschitz, Mapping) else lipschitz) for a in axes}
        bound = max(best_v, grid_best + sum(ls[n] * spacing[n] / 2 for n in ls))
        certified = True
    return Outcome(float(best_v), best_x, bound, certified, method, counter.n,
                   {a.name: len(p) for a, p in zip(axes, points)}, spacing)


def minimise(objective: Objective, axes: Sequence[Axis], **kw) -> Outcome:
    """The minimum of ``objective`` (``nan`` counts as ``+inf``); see :func:`maximise`."""
    out = maximise(lambda pts: -np.asarray(objective(pts), dtype=float), axes, **kw)
    out.value = -out.value
    out.bound = None if out.bound is None else -out.bound
    return out


def brent_min(phi: Callable[[float], float], a: float, b: float, x: float | None = None, fx: float | None = None,
              xtol: float = 1e-12, maxiter: int = 200) -> tuple[float, float, int]:
    """Brent's localmin (golden section with parabolic steps) on ``[a, b]``, from ``x`` if given.

    Returns ``(x, phi(x), evaluations)``; the best point seen is returned (``nan`` is ``+inf``).

    >>> x, fx, n = brent_min(lambda t: (t - 2.0) ** 2 + 1, 0.0, 5.0)
    >>> round(x, 8), round(fx, 12)
    (2.0, 1.0)
    """
    f = lambda t: _num(phi(t))
    n = 0
    if x is None or not (a <= x <= b):
        x = a + GOLDEN * (b - a)
        fx = f(x)
        n += 1
    elif fx is None:
        fx, n = f(x), n + 1
    fx = _num(fx)
    v = w = x
    fv = fw = fx
    d = e = 0.0
    for _ in range(maxiter):
        m = 0.5 * (a + b)
        tol1 = 1.5e-8 * abs(x) + xtol / 3
        tol2 = 2 * tol1
        if abs(x - m) <= tol2 - 0.5 * (b - a):
            break
        parabolic = False
        if abs(e) > tol1:
            r = (x - w) * (fx - fv)
            q = (x - v) * (fx - fw)
            p = (x - v) * q - (x - w) * r
            q = 2.0 * (q - r)
            if q > 0:
                p = -p
            q = abs(q)
            e_old, e = e, d
            if abs(p) < abs(0.5 * q * e_old) and q * (a - x) < p < q * (b - x):
                d = p / q
                u = x + d
                if u - a < tol2 or b - u < tol2:
                    d = tol1 if x < m else -tol1
                parabolic = True
        if not parabolic:
            e = (b - x) if x < m else (a - x)
            d = GOLDEN * e
        u = x + (d if abs(d) >= tol1 else (tol1 if d > 0 else -tol1))
        fu = f(u)
        n += 1
        if fu <= fx:
            if u < x:
                b = x
            else:
                a = x
            v, fv, w, fw, x, fx = w, fw, x, fx, u, fu
        else:
            if u < x:
                a = u
            else:
                b = u
            if fu <= fw or w == x:
                v, fv, w, fw = w, fw, u, fu
            elif fu <= fv or v == x or v == w:
                v, fv = u, fu
    return x, fx, n


# ----- internals --------------------------------------------------------------------
class _Counter:
    """The objective with an evaluation count; splits a batch that is too large for memory."""

    def __init__(self, objective: Objective):
        self.objective = objective
        self.n = 0

    def __call__(self, pts: Mapping[str, np.ndarray]) -> np.ndarray:
        size = len(next(iter(pts.values()))) if pts else 1
        self.n += size
        return self._run(pts, size)

    def _run(self, pts, size):
        try:
            out = np.asarray(self.objective(pts), dtype=float).reshape(-1)
        except ContractionTooLarge:
            if size <= 1:
                raise
            half = size // 2
            lo = self._run({k: v[:half] for k, v in pts.items()}, half)
            hi = self._run({k: v[half:] for k, v in pts.items()}, size - half)
            return np.concatenate([lo, hi])
        return np.broadcast_to(out, (size,)) if out.size == 1 and size > 1 else out

    def grid(self, axes, points) -> np.ndarray:
        mesh = np.meshgrid(*points, indexing="ij")
        return self({a.name: m.reshape(-1) for a, m in zip(axes, mesh)})

    def scalar(self, x: Mapping[str, float]) -> float:
        return _num(-self({k: np.array([v], dtype=float) for k, v in x.items()})[0])  # for minimisation

    def line(self, x: Mapping[str, float], name: str, ts: np.ndarray) -> np.ndarray:
        pts = {k: np.full(len(ts), v, dtype=float) for k, v in x.items()}
        pts[name] = np.asarray(ts, dtype=float)
        return _finite(self(pts))


def _finite(values) -> np.ndarray:
    """``nan`` (an undefined point, e.g. impossible evidence) as ``-inf`` for maximisation."""
    values = np.asarray(values, dtype=float)
    return np.where(np.isnan(values), -np.inf, values)


def _num(v) -> float:
    v = float(v)
    return math.inf if math.isnan(v) else v


def _grid_axes(axes: Sequence[Axis], grid) -> list[np.ndarray]:
    d = len(axes)
    if grid is None:
        per = {1: 2001, 2: 201}.get(d, max(3, int(MAX_GRID ** (1 / d))))
        sizes = [per] * d
    elif isinstance(grid, int):
        sizes = [grid] * d
    else:
        sizes = list(grid)
        if len(sizes) != d:
            raise ParameterError("search grid", f"{len(sizes)} sizes for {d} parameter(s)",
                                 fix="give one grid size per parameter, or one number for all")
    out = []
    for a, n in zip(axes, sizes):
        if n < 2 and a.hi > a.lo:
            raise ParameterError(f"search grid, parameter {a.name!r}", f"size {n} is below 2",
                                 fix="use at least 2 points (both ends of the range)")
        if a.hi == a.lo:
            out.append(np.array([a.lo]))
        elif a.integer and a.hi - a.lo + 1 <= n:
            out.append(np.arange(a.lo, a.hi + 1))
        elif a.integer:
            out.append(np.unique(np.round(np.linspace(a.lo, a.hi, n))))
        else:
            out.append(np.linspace(a.lo, a.hi, n))
    return out


def _gap(axis: Axis, points: np.ndarray) -> float:
    """The largest distance between neighbouring grid points (0 when every feasible value is a grid point)."""
    if len(points) < 2 or (axis.integer and len(points) == axis.hi - axis.lo + 1):
        return 0.0
    return float(np.max(np.diff(points)))


def _local_maxima(table: np.ndarray, k: int) -> list[tuple[int, ...]]:
    """Indices of up to ``k`` best grid points that are at least as good as their axis neighbours."""
    is_max = np.isfinite(table) | (table == table.max())
    for ax in range(table.ndim):
        pad = [(0, 0)] * table.ndim
        pad[ax] = (1, 1)
        padded = np.pad(table, pad, constant_values=-np.inf)
        lo = np.take(padded, range(0, table.shape[ax]), axis=ax)
        hi = np.take(padded, range(2, table.shape[ax] + 2), axis=ax)
        is_max &= (table >= lo) & (table >= hi)
    flat = np.flatnonzero(is_max.reshape(-1))
    order = flat[np.argsort(-table.reshape(-1)[flat], kind="stable")][:k]
    if not order.size:
        order = np.array([int(np.argmax(table))])
    return [tuple(int(i) for i in np.unravel_index(o, table.shape)) for o in order]


def _coordinate_refine(counter: _Counter, axes, x0, v0, cell, tol, whole: bool):
    """Improve ``x0`` one coordinate at a time until a round gains less than ``tol``."""
    x, v = dict(x0), v0
    for _ in range(60 if not whole else 30):
        before = v
        for a in axes:
            if a.hi == a.lo:
                continue
            lo, hi = cell[a.name] if cell else (a.lo, a.hi)
            if whole:
                ts = np.linspace(a.lo, a.hi, 101)
                ts = np.unique(np.round(ts)) if a.integer else ts
                vals = counter.line(x, a.name, ts)
                j = int(np.argmax(vals))
                if vals[j] > v:
                    x[a.name], v = float(ts[j]), float(vals[j])
                lo, hi = float(ts[max(j - 1, 0)]), float(ts[min(j + 1, len(ts) - 1)])
            if a.integer:
                ts = np.arange(math.ceil(min(lo, x[a.name])), math.floor(max(hi, x[a.name])) + 1, dtype=float)
                vals = counter.line(x, a.name, ts)
                j = int(np.argmax(vals))
                if vals[j] > v:
                    x[a.name], v = float(ts[j]), float(vals[j])
                continue
            if hi <= lo:
                continue
            phi = lambda t, name=a.name: counter.scalar({**x, name: t})
            t, ft, _ = brent_min(phi, lo, hi, x[a.name], -v, xtol=1e-12 * max(1.0, a.hi - a.lo))
            if -ft > v:
                x[a.name], v = float(t), float(-ft)
        if len(axes) == 1 or v - before <= tol * (1 + abs(v)):
            break
    return x, v
