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

Where the optimum is, is reported as a set, not as an argmax: an objective that is flat
at its optimum (safety that stops changing once the attack rate is high enough) has an
argmax decided by floating-point noise, which differs between machines. The optimum set
is the evaluated points whose value is within ``within·max(1, |value|)`` of the best one,
read to grid resolution (see :func:`maximise`); ``choice`` is one point of it, chosen
deterministically, and an optimum that reaches an end of the searched range says so.

>>> import numpy as np
>>> f = lambda p: -(p["x"] - 0.3) ** 2
>>> out = maximise(f, [Axis("x", 0.0, 1.0)], lipschitz=2.0)
>>> round(out.choice["x"], 8), out.certified, out.bound - out.value < 1e-3, out.flat
(0.3, True, True, False)
>>> noise = np.random.default_rng(0)
>>> flat = lambda p: np.minimum(p["x"], 0.25) + 1e-14 * noise.standard_normal(len(p["x"]))
>>> out = maximise(flat, [Axis("x", 0.0, 1.0)])
>>> out.optimum["x"], out.choice["x"], out.on_edge
((0.25, 1.0), 0.25, {'x': 'upper'})
>>> print(out.location)
x ∈ [0.25, 1] (flat: within 1e-9 of the optimum; representative x = 0.25)
"""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from .. import parallel
from ..errors import ContractionTooLarge, ParameterError
from ..limits import check_points

GOLDEN = 0.3819660112501051  # (3 - sqrt 5) / 2
MAX_GRID = 40_000            # points of the first grid, all parameters together
Objective = Callable[[Mapping[str, np.ndarray]], np.ndarray]


@dataclass(frozen=True)
class Axis:
    """One parameter of a search: its name, closed range, whether it is an integer, and its domain if known.

    The domain (the widest range the parameter admits) tells an optimum at an end of the
    range that could move if the range were widened from one at the end of the domain.
    """

    name: str
    lo: float
    hi: float
    integer: bool = False
    domain: tuple[float, float] | None = None


@dataclass
class Outcome:
    """The best value found, where the optimum is, and what is known about it.

    ``optimum`` is the optimum set, one interval ``(lo, hi)`` per parameter: the hull of
    the evaluated points whose value is within ``tolerance`` of ``value``. ``choice`` is
    a representative point of it (the one used downstream), ``pieces`` the number of
    separate regions the set falls into, and ``on_edge`` names the parameters whose
    optimum reaches the ``"lower"`` or ``"upper"`` end (or ``"both"`` ends) of the
    searched range ``ranges``; ``domains`` holds each parameter's domain when known.
    """

    value: float
    choice: dict[str, float]
    bound: float | None
    certified: bool
    method: str
    evaluations: int
    grid: dict[str, int] = field(default_factory=dict)
    spacing: dict[str, float] = field(default_factory=dict)
    optimum: dict[str, tuple[float, float]] = field(default_factory=dict)
    tolerance: float = 0.0
    pieces: int = 1
    on_edge: dict[str, str] = field(default_factory=dict)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    domains: dict[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def flat(self) -> bool:
        """Whether the optimum is a set rather than a point: wider than one grid cell, or in several pieces."""
        return self.pieces > 1 or any(hi - lo > self.spacing.get(n, 0.0) * (1 + 1e-9)
                                      for n, (lo, hi) in self.optimum.items())

    @property
    def location(self) -> str:
        """Where the optimum is, in one line: a point, or the optimum set and its representative."""
        if not self.choice:
            return "(nothing to choose)"
        point = ", ".join(f"{k} = {v:.6g}" for k, v in self.choice.items())
        if not self.flat:
            return point
        where = ", ".join(f"{k} ∈ [{lo:.6g}, {hi:.6g}]" if hi > lo else f"{k} = {lo:.6g}"
                          for k, (lo, hi) in self.optimum.items())
        within = f"within {_sci(self.tolerance)} of the optimum"
        how = (f"flat: {within}" if self.pieces == 1
               else f"the hull of {self.pieces} separate regions {within}")
        return f"{where} ({how}; representative {point})"

    @property
    def edge_notes(self) -> list[str]:
        """One sentence per parameter whose optimum reaches an end of the searched range, with how to widen it."""
        notes = []
        for name, end in self.on_edge.items():
            lo, hi = self.ranges[name]
            dom = self.domains.get(name)
            at_domain = dom is not None and {"lower": lo <= dom[0], "upper": hi >= dom[1],
                                             "both": lo <= dom[0] and hi >= dom[1]}[end]
            span = f"{'its domain' if at_domain else 'the searched range'} [{lo:.6g}, {hi:.6g}]"
            head = f"{name} optimal over all of {span}" if end == "both" else f"{name} at the {end} end of {span}"
            notes.append(head if at_domain else f"{head}; widen with --range {name}=LO:HI (bounds= from Python)")
        return notes


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
        dlo, dhi = p.domain
        if p.integer:
            lo, hi = math.ceil(lo), math.floor(hi)
            dlo, dhi = math.ceil(dlo), math.floor(dhi)
        axes.append(Axis(name, float(lo), float(hi), bool(p.integer), (float(dlo), float(dhi))))
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
             lipschitz: float | Mapping[str, float] | None = None, tol: float = 1e-10,
             within: float = 1e-9, starts: int = 3) -> Outcome:
    """The maximum of ``objective`` over the box ``axes`` (``nan`` counts as ``-inf``), and where it is.

    ``value`` is the best value the grid and refinement found. The optimum set is read
    from the evaluations made, the full grid and the refined points: it is the set of
    evaluated points whose value is within ``within·max(1, |value|)`` (the
    ``tolerance``) of ``value``, widened to grid resolution (each in-set point stands for
    its nearest grid cell). So ``optimum`` is, per parameter, the hull of the in-set
    evaluated points, and the set's true ends lie within one grid spacing outside it;
    ``pieces`` counts its connected regions of grid cells. A refined point farther than a grid cell from every in-set
    grid point is an optimum the grid missed (narrower than its spacing in some
    direction): with two or more parameters, the few extra evaluations of the grid lines
    through it, one vectorised call per parameter, find the directions in which it is
    flat; otherwise it is a point, located by refinement.

    ``choice``, the representative, is the first in-set grid point in the order of the
    axes (the lower end of the set along the first parameter), or for an optimum the grid
    missed, the refined point moved to the lowest in-set grid value along each flat
    direction. It rests on no comparison finer than the tolerance, so not on
    floating-point noise; the objective at ``choice`` is within the tolerance of ``value``.
    """
    axes = list(axes)
    counter = _Counter(objective)
    ranges = {a.name: (a.lo, a.hi) for a in axes}
    domains = {a.name: tuple(a.domain) for a in axes if a.domain is not None}
    if not axes:
        v = float(_finite(counter({}))[0])
        return Outcome(v, {}, None, False, "no parameters: a single evaluation", counter.n,
                       tolerance=_tolerance(within, v))
    points = _grid_axes(axes, grid)
    shape = tuple(len(p) for p in points)
    table = counter.grid(axes, points).reshape(shape)
    finite = _finite(table)
    seeds = _local_maxima(finite, starts)
    best_v, refined = -np.inf, []
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
        refined.append((x, v))
        best_v = max(best_v, v)
    grid_best = float(finite.max())
    spacing = {a.name: _gap(a, p) for a, p in zip(axes, points)}
    how = {1: "Brent refinement in the best grid cells", 2: "alternating Brent line searches in the best grid cells"}
    method = (f"{'×'.join(map(str, shape))} grid, then " + how.get(d, "coordinate search from the best grid points"))
    bound, certified = None, False
    if lipschitz is not None and np.isfinite(grid_best) and not np.isnan(table).any():
        ls = {a.name: float(lipschitz[a.name] if isinstance(lipschitz, Mapping) else lipschitz) for a in axes}
        bound = max(best_v, grid_best + sum(ls[n] * spacing[n] / 2 for n in ls))
        certified = True
    best_v, tau, optimum, choice, pieces, on_edge = _optimum_set(counter, axes, points, finite, refined, best_v,
                                                                 within)
    if bound is not None:
        bound = max(bound, best_v)
    return Outcome(float(best_v), choice, bound, certified, method, counter.n,
                   {a.name: len(p) for a, p in zip(axes, points)}, spacing,
                   optimum, tau, pieces, on_edge, ranges, domains)


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
def _tolerance(within: float, value: float) -> float:
    """The absolute tolerance of "as good as the optimum": relative for large values, absolute near 0."""
    return float(within) * max(1.0, abs(value)) if np.isfinite(value) else float(within)


def _sci(x: float) -> str:
    """A tolerance as people write it: ``1e-9``, not ``1e-09``."""
    m, _, e = f"{x:.2g}".partition("e")
    return f"{m}e{int(e)}" if e else m


def _optimum_set(counter, axes, points, table, refined, best, within):
    """The optimum set from the evaluations made: best value, tolerance, hull per axis, representative, pieces, edges.

    ``table`` holds the grid's values (``-inf`` where undefined), ``refined`` the
    ``(point, value)`` each refinement ended at, ``best`` the best value seen. An in-set
    refined point more than a grid cell from every in-set grid point is an optimum the
    grid missed; with two or more parameters, the grid lines through it along each axis
    are evaluated (one vectorised call per axis) to find the directions in which it is
    flat, to grid resolution, and the representative walks to the lowest in-set value
    on each line in turn. A line point better than ``best`` by more than the tolerance
    becomes the best (and the set is read again); one better by less is in the set.
    """
    names = [a.name for a in axes]
    d = len(axes)
    h = np.array([_gap(a, p) for a, p in zip(axes, points)])
    reach = h * (1 + 1e-9) + 1e-12 * np.array([max(1.0, abs(a.lo), abs(a.hi)) for a in axes])
    refined = [(np.array([x[n] for n in names], dtype=float), float(v)) for x, v in refined]
    if not np.isfinite(best):                                   # undefined everywhere: no set to report
        return float(best), _tolerance(within, best), {}, dict(zip(names, map(float, refined[0][0]))), 0, {}
    for attempt in range(3):
        tau = _tolerance(within, best)
        floor = best - tau
        near = table >= floor
        G = np.stack([points[j][ix] for j, ix in enumerate(np.nonzero(near))], axis=1) if near.any() \
            else np.empty((0, d))                               # in-set grid points, in the order of the axes
        lone = _lone_optima(refined, G, reach, floor)
        parts, reps, top, top_x = [G], [G[0]] if len(G) else [], -np.inf, None
        for x in lone:
            run, rep, run_top, run_x = _grid_lines(counter, axes, points, x, floor) if d > 1 else \
                (np.empty((0, d)), x, -np.inf, None)
            parts.append(run if len(run) else x[None])
            reps.append(rep)
            if run_top > top:
                top, top_x = run_top, run_x
        if top <= best + tau or attempt == 2:                   # a line within tolerance of best is in the set
            break
        refined.append((top_x, top))                            # a grid line beat the refinement: start again
        best = top
    pts = np.concatenate(parts)
    rep = min(reps, key=tuple)
    occupied = np.zeros(table.shape, dtype=bool)                # each in-set point marks its nearest grid cell
    occupied[tuple(_nearest(points[j], pts[:, j]) for j in range(d))] = True
    optimum, on_edge = {}, {}
    for j, a in enumerate(axes):
        lo, hi = float(pts[:, j].min()), float(pts[:, j].max())
        optimum[a.name] = (lo, hi)
        if a.hi > a.lo:
            eps = 1e-9 * (a.hi - a.lo)
            ends = [e for e, hit in (("lower", lo <= a.lo + eps), ("upper", hi >= a.hi - eps)) if hit]
            if ends:
                on_edge[a.name] = ends[0] if len(ends) == 1 else "both"
    choice = {n: float(x) for n, x in zip(names, rep)}
    return float(best), tau, optimum, choice, _components(occupied), on_edge


def _lone_optima(refined, G, reach, floor) -> list[np.ndarray]:
    """In-set refined points farther than a grid cell from every in-set grid point, one per optimum (its best)."""
    far = [(x, v) for x, v in refined if v >= floor and not (len(G) and np.all(np.abs(G - x) <= reach, axis=1).any())]
    clusters: list[list] = []
    for x, v in sorted(far, key=lambda xv: tuple(xv[0])):
        home = next((c for c in clusters if np.all(np.abs(c[0][0] - x) <= reach)), None)
        (clusters.append([(x, v)]) if home is None else home.append((x, v)))
    return [max(c, key=lambda xv: xv[1])[0] for c in clusters]


def _grid_lines(counter, axes, points, x, floor):
    """The grid lines through ``x``, axis by axis, moving to the lowest in-set value on each.

    Returns the in-set points of the lines, the point the walk ends at, and the best
    value on the lines with where it is.
    """
    cur = np.array(x, dtype=float)
    found, top, top_x = [], -np.inf, None
    for j, a in enumerate(axes):
        if a.hi == a.lo:
            continue
        ts = points[j]
        vals = counter.line(dict(zip((b.name for b in axes), cur)), a.name, ts)
        k = int(np.argmax(vals))
        if vals[k] > top:
            top, top_x = float(vals[k]), cur.copy()
            top_x[j] = ts[k]
        ok = vals >= floor
        if ok.any():
            run = np.repeat(cur[None], int(ok.sum()), axis=0)
            run[:, j] = ts[ok]
            found.append(run)
            cur[j] = ts[ok][0]
    run = np.concatenate(found) if found else np.empty((0, len(axes)))
    return run, cur, top, top_x


def _nearest(grid: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The index of the grid point nearest to each of ``xs`` (a sorted grid)."""
    i = np.clip(np.searchsorted(grid, xs), 1, max(len(grid) - 1, 1))
    if len(grid) == 1:
        return np.zeros(len(xs), dtype=int)
    return np.where(np.abs(xs - grid[i - 1]) <= np.abs(grid[i] - xs), i - 1, i)


def _components(mask: np.ndarray) -> int:
    """The number of connected regions of ``True`` cells, neighbours including diagonal ones.

    Label propagation (each cell takes the least label among its neighbours) with
    pointer jumping, vectorised over the grid.

    >>> _components(np.array([[1, 1, 0, 0], [0, 0, 0, 1], [1, 0, 1, 0]], dtype=bool))   # (1, 3)-(2, 2) touch
    3
    """
    if not mask.any():
        return 0
    if mask.ndim == 1:
        idx = np.flatnonzero(mask)
        return int(1 + np.count_nonzero(np.diff(idx) > 1))
    big = mask.size
    labels = np.where(mask, np.arange(mask.size).reshape(mask.shape), big)
    shifts = [s for s in itertools.product((-1, 0, 1), repeat=mask.ndim) if any(s)]
    padded_shape = tuple(n + 2 for n in mask.shape)
    inner = tuple(slice(1, n + 1) for n in mask.shape)
    while True:
        padded = np.full(padded_shape, big)
        padded[inner] = labels
        new = labels.copy()
        for s in shifts:
            new = np.minimum(new, padded[tuple(slice(1 + k, n + 1 + k) for k, n in zip(s, mask.shape))])
        flat = np.where(mask, new, big).reshape(-1)
        on = flat < big
        while True:                                             # pointer jumping: follow labels to their roots
            jumped = flat.copy()
            jumped[on] = flat[flat[on]]
            if np.array_equal(jumped, flat):
                break
            flat = jumped
        new = flat.reshape(mask.shape)
        if np.array_equal(new, labels):
            return int(len(np.unique(labels[mask])))
        labels = new


class _Counter:
    """The objective with an evaluation count; splits a batch that is too large for memory."""

    def __init__(self, objective: Objective):
        self.objective = objective
        self.n = 0

    def __call__(self, pts: Mapping[str, np.ndarray]) -> np.ndarray:
        size = len(next(iter(pts.values()))) if pts else 1
        self.n += size
        return _split(self.objective, pts, size)

    def grid(self, axes, points) -> np.ndarray:
        """The objective over the grid, first axis slowest: in pieces on the engine of :mod:`markovwire.parallel`
        (each piece makes its own points, so the grid is never built whole)."""
        grid = {a.name: np.asarray(p, dtype=float) for a, p in zip(axes, points)}
        size = math.prod(len(p) for p in points)
        self.n += size
        pieces = parallel.chunks(size, point_bytes=8 * (len(axes) + 2))
        parts = list(parallel.run(parallel.GridPiece(functools.partial(_on_points, self.objective), grid), pieces))
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def scalar(self, x: Mapping[str, float]) -> float:
        return _num(-self({k: np.array([v], dtype=float) for k, v in x.items()})[0])  # for minimisation

    def line(self, x: Mapping[str, float], name: str, ts: np.ndarray) -> np.ndarray:
        pts = {k: np.full(len(ts), v, dtype=float) for k, v in x.items()}
        pts[name] = np.asarray(ts, dtype=float)
        return _finite(self(pts))


def _split(objective: Objective, pts: Mapping[str, np.ndarray], size: int) -> np.ndarray:
    """The objective at ``size`` points, in halves (recursively) when they are too large for memory at once."""
    try:
        out = np.asarray(objective(pts), dtype=float).reshape(-1)
    except ContractionTooLarge:
        if size <= 1:
            raise
        half = size // 2
        lo = _split(objective, {k: v[:half] for k, v in pts.items()}, half)
        hi = _split(objective, {k: v[half:] for k, v in pts.items()}, size - half)
        return np.concatenate([lo, hi])
    return np.broadcast_to(out, (size,)) if out.size == 1 and size > 1 else out


def _on_points(objective: Objective, pts: Mapping[str, np.ndarray]) -> np.ndarray:
    return _split(objective, pts, len(next(iter(pts.values()))) if pts else 1)


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
    check_points({a.name: n for a, n in zip(axes, sizes)}, "search grid", "search grid")
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
