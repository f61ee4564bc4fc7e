"""Bounds, bands and adversaries of an :class:`~markovwire.episode.Episode`'s query.

An episode of ``T`` steps is a chain on the joint state. When some boxes of its step are
credal sets and some parameters lie in intervals, its query has two ranges (ALIGNMENT §6):

- ``adaptive``: the components may be chosen afresh at every step and state, as an
  adaptive red team would. Exact by the lower transition operator over the step kernels
  of every vertex combination (the endpoints of parameters that enter multilinearly).
- ``fixed``: one unknown choice for the whole episode. The episode's value is then a
  polynomial of degree ``T`` in the parameters, so its extremes may lie inside the
  intervals: they are searched over the intervals (a grid refined by Brent's method, for
  each vertex combination of the credal boxes), not read off the ends. The extremes over
  the credal boxes are taken at their vertices: a mixture kept for the whole episode may
  go beyond that vertex range, but never beyond the adaptive range.

Both enumerate *candidates*: one step kernel per vertex combination of the credal boxes and
parameter point. They run in pieces sized by the memory budget on the engine of
:mod:`markovwire.parallel` (threads, ``--workers N``, ``--scheduler ADDRESS``), with
progress; the cost budget (``--max-cost``) bounds the whole enumeration's work, not a count
of combinations.

The total-variation band of an episode is ``(M − m)·T·Σ ε`` over the boxes that can
influence the query within the episode's steps (:func:`reaching_boxes`). Next to it,
the exact worst case over the boxes' TV balls: the adaptive range of
:func:`episode_bounds` with each box a :class:`~markovwire.analysis.credal.TVBallKernel`
(past the vertex budget, the ball of most vertices is solved per state by its linear
programme and only the others enumerated), exact when reality's kernels may change
every step (for one fixed kernel it is an outer bound).
"""
from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .. import display, multistep, parallel
from ..errors import ContractionTooLarge, ShapeError, UnknownName
from ..kernel import Kernel
from ..limits import check_cost, check_memory_bytes, cost_budget, memory_budget
from .adversary import KernelAdversary, deterministic_tables, policy
from .credal import (
    CredalKernel,
    Interval,
    as_credal,
    check_signature,
    choice_data,
    choice_lines,
    lower_transition,
    show_choice,
    split_multilinear,
    with_selectors,
)
from .flow import ancestors
from .linear import optimise
from .query import Query, as_query, params_of
from .robust import (
    RobustBand,
    Unaffordable,
    _unaffordable as unaffordable,
    composite,
    tv_balls,
    vertex_budget,
    with_exact,
)
from .search import axes_for, fixed_values, maximise, minimise

THREADED_STEP = 10**6  # entries of all candidates' rows from which a step's reductions run piecewise on threads
GRID = 17  # points per interval parameter that the query is not multilinear in (adaptive range: an inner bound)


@dataclass
class EpisodeBounds:
    """Lower and upper values of an episode's query under both semantics, and the choices attaining them."""

    query: str
    adaptive: Interval
    fixed: Interval
    exact: bool          # every interval parameter enters multilinearly, so the adaptive range is exact
    method: str
    lower_choice: dict = field(default_factory=dict)
    upper_choice: dict = field(default_factory=dict)
    note: str = ""
    fixed_method: str = ""

    @property
    def lower(self) -> float:
        return self.adaptive.lower

    @property
    def upper(self) -> float:
        return self.adaptive.upper

    @property
    def interval(self) -> Interval:
        return self.adaptive

    @property
    def tight(self) -> bool:
        """The fixed range reaches the adaptive one, so both are exact."""
        return self.exact and math.isclose(self.fixed.lower, self.adaptive.lower, abs_tol=1e-12) and \
            math.isclose(self.fixed.upper, self.adaptive.upper, abs_tol=1e-12)

    def __str__(self) -> str:
        head = (f"{self.query} ∈ {self.adaptive}  ("
                + ("exact for both semantics" if self.tight else
                   "exact if the components may change every step" if self.exact else
                   "inner bounds: a parameter enters non-linearly and was searched on a grid") + ")")
        lines = [head, f"  adaptive (components may change every step): {self.adaptive}",
                 f"  fixed (one unknown choice for the episode): {self.fixed}"
                 + ("" if self.tight else "  (attained; the adaptive range bounds it)")]
        lines += choice_lines(self.lower_choice, self.upper_choice)
        lines.append(f"  method: {self.method}")
        if self.fixed_method:
            lines.append(f"  fixed range: {self.fixed_method}")
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return display.fields(f"credal bounds of {self.query}", [
            ("adaptive (components may change every step)", str(self.adaptive)),
            ("fixed (one unknown choice for the episode)", str(self.fixed)),
            ("kind", "exact for both semantics" if self.tight else
             "exact if the components may change every step" if self.exact else "inner bounds"),
            ("lower at", show_choice(self.lower_choice)), ("upper at", show_choice(self.upper_choice)),
            ("method", self.method), ("fixed range", self.fixed_method), ("note", self.note)])

    def to_dict(self) -> dict:
        return {"query": self.query, "lower": self.lower, "upper": self.upper, "exact": self.exact,
                "tight": self.tight, "adaptive": self.adaptive.to_dict(), "fixed": self.fixed.to_dict(),
                "lower_choice": choice_data(self.lower_choice), "upper_choice": choice_data(self.upper_choice),
                "method": self.method, "fixed_method": self.fixed_method, "note": self.note}


def episode_bounds(episode, query, *, boxes: Mapping[str, object] | None = None,
                   intervals: Mapping[str, tuple[float, float]] | None = None,
                   values: Mapping[str, float] | None = None, max_combinations: int | None = None) -> EpisodeBounds:
    """Bounds of an episode's query: the lower transition operator (adaptive) and a search of the
    intervals for one choice kept all episode (fixed); see the module docstring.

    The vertex combinations run in pieces within the memory budget, on the engine of
    :mod:`markovwire.parallel`; the cost budget bounds their work. ``max_combinations``, if given, also
    refuses more combinations than that."""
    query = as_query(query)
    if query.at:
        episode = episode.fed(dict(query.at))
    where = f"credal bounds of {query}"
    if query.given:
        raise ShapeError(where, "the query conditions on evidence ('given'); credal bounds of an episode are "
                         "computed for unconditional queries", fix="ask an unconditional query")
    query.require_linear()
    if query.kind == "distribution":
        raise ShapeError(where, "is a distribution", fix="bound a probability or an expectation")
    if episode.steps < 1:
        raise ShapeError(where, f"asks about step {episode.steps}", fix="bound a query about steps >= 1")
    intervals = dict(intervals or {})
    boxes = {b: as_credal(s, f"imprecise instance {b!r}") for b, s in dict(boxes or {}).items()}
    for b, s in boxes.items():
        check_signature(episode.step, b, s)
    fixed = fixed_values(values, list(intervals), where)
    axes = axes_for(params_of(episode, query), list(intervals), intervals, where=where)
    linear, other = split_multilinear(episode.step, boxes, axes)
    chains = _Chains(episode, query, boxes, fixed, where)
    points = [(a.lo, a.hi) for a in linear] + [tuple(np.linspace(a.lo, a.hi, GRID)) for a in other]
    names = [a.name for a in linear + other]
    count = chains.K * math.prod(len(p) for p in points)
    if max_combinations is not None and count > max_combinations:
        raise ShapeError(where, f"{count} vertex combinations exceed max_combinations = {max_combinations}",
                         fix="narrow the credal sets, make fewer instances imprecise, or raise max_combinations")
    grid = {n: np.array(c, dtype=float) for n, c in zip(names, zip(*itertools.product(*points)))} if points else {}
    adaptive, at_grid = chains.adaptive(grid)
    fixed_range, lo_choice, hi_choice, fixed_method = chains.fixed_range(axes, None if axes else at_grid)
    detail = [f"the endpoints of {', '.join(a.name for a in linear)}"] if linear else []
    detail += [f"the vertices of {', '.join(boxes)}"] if boxes else []
    detail += [f"{GRID} grid points of {', '.join(a.name for a in other)}"] if other else []
    method = f"{count} vertex combination(s) ({'; '.join(detail)}); {episode.steps} steps"
    note = (f"the query is not multilinear in {', '.join(a.name for a in other)}: its per-step extremes need not be "
            "at the interval ends, so the adaptive range is attained but not certified") if other else ""
    return EpisodeBounds(str(query), adaptive, fixed_range, not other, method, lo_choice, hi_choice, note,
                         fixed_method)


class _Chains:
    """The episode's step under every vertex combination of the credal boxes, at batches of parameter points.

    The *candidates* are the pairs (parameter point ``b``, vertex combination ``k``), flattened ``c = b·K + k``;
    each is one step kernel, so they split into contiguous pieces (:func:`markovwire.parallel.chunks`, sized by
    the memory budget from the bytes one candidate needs) that run on the engine of :mod:`markovwire.parallel`.
    A piece is the step net with each credal box a batch of its vertex tables (``Kernel(..., batch=n)``) and the
    parameters swept along the same axis, one contraction per piece. The pieces depend only on the candidates
    and the budget, so the values are the same on threads and on a cluster.

    The adaptive range takes, at each of the ``T`` steps, the best candidate row per state: a min (or max)
    over pieces of the min over each piece, which is exact in any grouping. When all the pieces' step arrays
    fit in half the memory budget they are computed once and kept (``T`` cheap reductions follow); otherwise
    each step recomputes every piece and reduces it at once (``T`` times the work, memory one piece per
    worker). The cost budget bounds the total work either way.
    """

    PROBE = 64  # candidates of the first plan, which measures the memory and work one candidate needs

    def __init__(self, episode, query: Query, boxes: Mapping[str, object], fixed: Mapping[str, object],
                 where: str | None = None):
        self.episode, self.query, self.boxes, self.fixed = episode, query, boxes, dict(fixed)
        self.where = where or f"episode query {query}"
        self.counts = tuple(s.n_vertices for s in boxes.values())
        for b, n in zip(boxes, self.counts):
            if not math.isfinite(n):
                raise ShapeError(self.where, f"the credal set of {b!r} has too many vertices to enumerate",
                                 fix="give it a smaller credal set (fewer or narrower rows), or drop it from the "
                                     "imprecise instances")
        self.K = math.prod(self.counts)
        S = episode.size
        self._refuse_past(self.K * S * S, self.K, self.K)   # their rows at least, before any is built (the steps'
        # work is checked by the semantics that take them: a game's dynamic programme checks its own)
        tables = sum(8 * n * math.prod(s.shape_in + s.shape_out) for n, s in zip(self.counts, boxes.values()))
        check_memory_bytes(tables, self.where, f" for the vertex tables of {', '.join(boxes)}")
        self.vertices = {b: s.vertex_arrays() for b, s in boxes.items()}
        self.counts = tuple(len(v) for v in self.vertices.values())
        self.extras = [w for w in query.wires if w not in episode.state_wires]
        self.f = _function(episode, query, self.extras)
        self.E = max(1, len(self.f) // episode.size)
        self._per: dict = {}     # (bytes, operations) of one candidate, per set of swept parameters
        self._nets: dict = {}    # the nets of recent pieces, whose plans are reused when the pieces come again

    # ----- one piece -------------------------------------------------------------------------------
    def _net(self, piece: tuple[int, int]):
        """The step with each credal box a batch of its vertex tables: table ``i`` is the vertex of the ``i``-th
        candidate of ``piece`` (kept for a few pieces, so that a search asking again reuses the plan)."""
        step = self.episode.step
        key = (piece[0] % self.K, piece[1] - piece[0]) if self.vertices else None   # the piece's combinations
        if key not in self._nets:
            net = step.clone()                                 # its own plans: they measure a candidate
            if self.vertices:
                combos = np.arange(*piece) % self.K
                idx = dict(zip(self.vertices, np.unravel_index(combos, self.counts)))
                net.boxes = [type(b)(b.name, Kernel(self.vertices[b.name][idx[b.name]], b.kernel.dom, b.kernel.cod,
                                                    name=f"{b.kernel.name} (vertices)", check=False,
                                                    batch=len(combos)), b.inputs, b.outputs)
                             if b.name in idx else b for b in step.boxes]
            if len(self._nets) >= 8:
                self._nets.pop(next(iter(self._nets)))
            self._nets[key] = net
        return self._nets[key]

    def arrays(self, points: Mapping[str, np.ndarray], piece: tuple[int, int]):
        """The candidates ``piece`` of the ``B·K``: ``P (states, n, states)`` and the last step with the query's
        other wires ``J (states, n, states·extra)``."""
        ep = self.episode
        at = np.arange(*piece) // self.K
        n = len(at)
        net = self._net(piece)
        vals = {k: v for k, v in self.fixed.items() if k in net.params}
        vals.update({k: np.asarray(v, dtype=float)[at] for k, v in points.items() if k in net.params})
        out = np.asarray(net.evaluate(vals, outputs=ep.next_wires + tuple(self.extras), normalize=False),
                         dtype=float)
        S, F = ep.size, ep.feed_law().size
        arr = np.broadcast_to(out.reshape(-1, S, F, S * self.E), (n, S, F, S * self.E))
        J = np.einsum("csfr,f->scr", arr, ep.feed_law())                      # the inputs' law at every step
        P = J if self.E == 1 else J.reshape(S, n, S, self.E).sum(axis=-1)   # no other wire: the same array
        return P, J

    def initial(self, points: Mapping[str, np.ndarray], at: np.ndarray) -> np.ndarray:
        """The initial laws ``(len(at), states)`` at the parameter points ``at``."""
        ep = self.episode
        x0 = ep.initial_law({k: v for k, v in self.fixed.items() if k in ep.params}
                            | {k: np.asarray(v, dtype=float)[at] for k, v in points.items() if k in ep.params})
        return np.broadcast_to(x0.reshape(-1, ep.size), (len(at), ep.size))

    # ----- sizes and budgets ----------------------------------------------------------------------
    def per_candidate(self, points: Mapping[str, np.ndarray]) -> tuple[float, float]:
        """``(bytes, operations)`` one candidate's step needs, from the plan of a probe of a few candidates."""
        key = tuple(sorted(k for k in points if k in self.episode.step.params))
        if key not in self._per:
            probe = parallel.probe(functools.partial(self.arrays, points), self.count(points), self.PROBE)
            peak, work = _plan_sizes(self._net((0, probe)))
            S, F = self.episode.size, self.episode.feed_law().size
            table = sum(8 * v[0].size for v in self.vertices.values())
            self._per[key] = (peak / probe + table + 8 * S * S * (F * self.E + 3 * self.E + 2),
                              work / probe + S * S * F * self.E)
        return self._per[key]

    def count(self, points: Mapping[str, np.ndarray]) -> int:
        return self.K * (len(next(iter(points.values()))) if points else 1)

    def _check(self, points, steps: float, passes: int = 1) -> None:
        """Refuse when the candidates' work (``passes`` contractions each, and ``steps`` reductions of their
        rows) exceeds the cost budget; the message names the candidates."""
        nbytes, work = self.per_candidate(points)
        S, C = self.episode.size, self.count(points)
        self._refuse_past(C * (passes * work + S * S * (steps + self.E)), C, self.K)

    def _refuse_past(self, ops: float, C: float, K: float) -> None:
        """Refuse ``ops`` operations past the cost budget for ``C`` candidates of ``K`` vertex combinations each."""
        if ops > cost_budget():
            ops = float(min(ops, 1e300))              # a count of vertices may be a huge integer
            parts = [f"{K:,} vertex combination(s) of {', '.join(self.boxes)}"] if K > 1 else []
            parts += [f"{C // K:,} parameter point(s)"] if C > K else []
            what = f"{C:,} candidate step kernel(s)" + (f" ({' × '.join(parts)})" if parts else "")
            try:
                check_cost(ops, self.where)
            except ContractionTooLarge as e:     # its message and fix, told what the operations are for
                raise e.relocated(e.place, what=f"enumerates {what} over {self.episode.steps} steps: {e.what}",
                                  fix=e.fix + self._fewer()) from None

    def _fewer(self) -> str:
        return ("; or enumerate fewer: narrow the credal sets, make fewer instances imprecise (or let an adversary "
                "observe fewer ports), or give fewer interval parameters")

    def _run(self, task, points, share: float = 1.0, passes: int = 1):
        """``task(t)(piece)`` over the pieces of the candidates for ``t`` in ``range(passes)`` (a picklable callable
        per pass, for worker processes), each piece within ``share`` of the memory budget (and as many at once on
        threads); progress counts the pieces of all passes."""
        nbytes, _ = self.per_candidate(points)
        pieces = parallel.chunks(self.count(points), nbytes, budget=max(nbytes, share * memory_budget()))
        size = nbytes * (pieces[0][1] - pieces[0][0]) / share
        report, n = parallel.reporter(), len(pieces)
        for t in range(passes):
            progress = (lambda d, _, t=t: report(t * n + d, passes * n)) if report else None
            yield pieces, parallel.run(task(t), pieces, piece_bytes=size, progress=progress)

    # ----- the two semantics ----------------------------------------------------------------------
    def adaptive(self, points: Mapping[str, np.ndarray]) -> tuple[Interval, np.ndarray | None]:
        """The adaptive range (the lower and upper transition operators over every candidate, ``T`` steps) and,
        when the candidates' arrays were kept, the fixed semantics' values ``(B, K)`` read from them."""
        T, S, C = self.episode.steps, self.episode.size, self.count(points)
        keep = 8 * S * S * (self.E + (self.E > 1)) * C <= memory_budget() / 2
        B = C // self.K
        if keep:             # half the budget holds every piece's arrays, the other half the pieces in flight
            self._check(points, 2 * T)
            ((_, parts),) = self._run(lambda t: functools.partial(_arrays, self, points, True), points, share=0.5)
            held = list(parts)
            fixed = np.concatenate([v for _, _, v in held])
            g = (self.f, self.f)
            if len(held) == 1 or sum(P.size for P, _, _ in held) < THREADED_STEP:
                # a step over every candidate at once: a few numpy calls, T times (pieces joined: they fit in the
                # half of the budget their computation no longer needs)
                P = held[0][0] if len(held) == 1 else np.concatenate([P for P, _, _ in held], axis=1)
                J = held[0][1] if len(held) == 1 else np.concatenate([J for _, J, _ in held], axis=1)
                for t in range(T):
                    g = _reduce(g, J if t == 0 else P)
            else:            # large steps: each step's pieces reduced on this process's threads
                here = parallel.Engine(threads=parallel.engine().threads)     # the held arrays are in this process
                for t in range(T):
                    g = _combine(parallel.run(functools.partial(_reduce, g), [J if t == 0 else P for P, J, _ in held],
                                              engine=here, progress=_quiet))
        else:                # every step computes every piece again and reduces it at once
            self._check(points, T, passes=T)
            g, fixed = (self.f, self.f), None
            for _, parts in self._run(lambda t: functools.partial(_step, self, points, g, t == 0), points, passes=T):
                g = _combine(parts)          # the next pass's task is made after this, with the new g
        x0 = self.initial(points, np.arange(B))
        interval = Interval(float((x0 @ g[0]).min()), float((x0 @ g[1]).max()))
        return interval, None if fixed is None else fixed.reshape(B, self.K)

    def candidates(self, points: Mapping[str, np.ndarray]):
        """Every candidate's ``P (states, B·K, states)`` and ``J (states, B·K, states·extra)``, computed in pieces
        and joined, and the initial laws ``x0 (B, states)``: for a caller that holds them all (a game's dynamic
        programme checks that they fit)."""
        self._check(points, 0)
        ((_, parts),) = self._run(lambda t: functools.partial(_arrays, self, points, False), points)
        P, J = zip(*parts)
        return np.concatenate(P, axis=1), np.concatenate(J, axis=1), self.initial(points, np.arange(len(
            next(iter(points.values()))) if points else 1))

    def fixed_values(self, points: Mapping[str, np.ndarray]) -> np.ndarray:
        """The query for one choice kept all episode: ``(B, K)`` over points and vertex combinations."""
        self._check(points, _pushed(self.episode.steps, self.episode.size))
        ((_, parts),) = self._run(lambda t: functools.partial(_fixed, self, points), points)
        return np.concatenate(list(parts)).reshape(-1, self.K)

    def fixed_range(self, axes, at_grid: np.ndarray | None = None):
        """The fixed semantics' range: the intervals searched (for the best vertex combination at each point);
        with no intervals, the extremes over the combinations (``at_grid``: their values, if known)."""
        choice = lambda point, k: {**point, **self._kernels(k)}
        if not axes:
            vals = (self.fixed_values({}) if at_grid is None else at_grid)[0]
            lo, hi = int(np.argmin(vals)), int(np.argmax(vals))
            how = f"the extremes over the {self.K} vertex combination(s)" if self.K > 1 else "a single point"
            return Interval(float(vals[lo]), float(vals[hi])), choice({}, lo), choice({}, hi), how
        outs = {}
        for sense, search, pick in (("min", minimise, np.min), ("max", maximise, np.max)):
            outs[sense] = search(lambda pts, pick=pick: pick(self.fixed_values(pts), axis=1), axes)
        ends = {}
        for sense, arg in (("min", np.argmin), ("max", np.argmax)):
            point = {n: np.array([v]) for n, v in outs[sense].choice.items()}
            k = int(arg(self.fixed_values(point)[0]))
            ends[sense] = choice(dict(outs[sense].choice), k)
        names = ", ".join(a.name for a in axes)
        how = f"{names} searched inside the intervals, a grid refined by Brent (degree {self.episode.steps} in them)"
        if self.K > 1:
            how += f"; the credal sets at their {self.K} vertex combination(s)"
        return Interval(outs["min"].value, outs["max"].value), ends["min"], ends["max"], how

    def _kernels(self, k: int) -> dict:
        out = {}
        for (b, vs), i in zip(self.vertices.items(), np.unravel_index(k, self.counts)):
            s = self.boxes[b]
            if s.n_vertices > 1:
                out[b] = Kernel(vs[i], s.dom, s.cod, name=f"{b} (extreme)", check=False)
        return out

    def __getstate__(self):
        return {**self.__dict__, "_nets": {}}     # a worker builds its pieces' nets itself


# ----- pieces of candidates (module functions, so that worker processes can run them) --------------------
def _arrays(chains: _Chains, points, fixed: bool, piece):
    """``(P, J)`` of the candidates ``piece``, and with ``fixed`` their values kept all episode (computed where the
    piece is)."""
    P, J = chains.arrays(points, piece)
    return (P, J, _fixed(chains, points, piece, P, J)) if fixed else (P, J)


def _fixed(chains: _Chains, points, piece, P=None, J=None) -> np.ndarray:
    """The query for each candidate of ``piece`` kept all episode (its chain pushed ``T`` steps)."""
    if P is None:
        P, J = chains.arrays(points, piece)
    x0 = np.ascontiguousarray(chains.initial(points, np.arange(*piece) // chains.K))
    x = multistep.distribution_after(P.transpose(1, 0, 2), x0, chains.episode.steps - 1)
    return np.einsum("cs,scy,y->c", x, J, chains.f)


def _pushed(T: int, S: int) -> int:
    """The work of pushing a law over ``S`` states ``T`` steps, in steps of ``S²`` multiply-adds: step by step, or
    by repeated squaring where :func:`multistep.distribution_after` squares (few states, very many steps)."""
    return 2 * S * T.bit_length() if T > 2 and T.bit_length() * S < T else T


def _reduce(g, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The lower and upper transition operators over the candidate ``rows`` (``(states, n, next)``) applied to
    ``g = (lower, upper)``: per state, the best row's value."""
    return lower_transition(rows, g[0], "min"), lower_transition(rows, g[1], "max")


def _step(chains: _Chains, points, g, last: bool, piece):
    """One step of the operators over the candidates ``piece``, recomputed (the last step reads ``J``)."""
    P, J = chains.arrays(points, piece)
    return _reduce(g, J if last else P)


def _combine(parts) -> tuple[np.ndarray, np.ndarray]:
    """The pieces' ``_reduce`` results as one: the min (max) over pieces of the min (max) within each, exact in
    any grouping."""
    parts = list(parts)
    return np.minimum.reduce([p[0] for p in parts]), np.maximum.reduce([p[1] for p in parts])


def _quiet(done: int, total: int) -> None:
    """No progress: the reductions of held pieces are quick next to computing them."""


def _plan_sizes(net) -> tuple[float, float]:
    """``(peak bytes, operations)`` of the contractions planned for ``net`` so far (its cached plans)."""
    programs = [p.program for key, p in net._plans.items() if key != "operands" and hasattr(p, "program")]
    programs += [p.apart.program for key, p in net._plans.items() if getattr(p, "apart", None) is not None]
    return max((p.peak for p in programs), default=0.0), sum(p.work for p in programs)


def _function(episode, query: Query, extras: Sequence[str]) -> np.ndarray:
    """The query's function over (states at the end, its other wires during the last step), flattened."""
    states = list(episode.state_wires)
    weights = query.weights(episode)
    order = [w for w in states if w in query.wires] + list(extras)
    weights = np.transpose(weights, [query.wires.index(w) for w in order])
    sizes = [len(t) for t in episode.states] + [len(episode.wires[w]) for w in extras]
    shape = [n if w in query.wires else 1 for w, n in zip(states, sizes)] + sizes[len(states):]
    return np.broadcast_to(weights.reshape(shape), sizes).reshape(-1)


def episode_worst_kernel(episode, box: str, query, sense: str = "max", *, observes: Sequence[str] | None = None,
                         values: Mapping[str, float] | None = None,
                         max_combinations: int | None = None) -> KernelAdversary:
    """An adversary replacing ``box`` by any kernel reading ``observes``, in every step of the episode.

    Its set is the hull of the deterministic kernels, so the value is exact for a red team that may change its
    kernel every step (the lower transition operator); the best kernel kept for the whole episode is shown with
    its value (a stationary red team's optimum lies between the two).
    """
    query = as_query(query)
    if query.at:
        episode = episode.fed(dict(query.at))
    kern = episode.step.box(box).kernel
    observes = tuple(observes if observes is not None else [p.name for p in kern.dom])
    tables = deterministic_tables(kern, observes)
    choices = CredalKernel.from_tables(tables, kern.dom, kern.cod, name=f"{kern.name} (adversary)")
    res = episode_bounds(episode, query, boxes={box: choices}, values=values,
                         max_combinations=None if max_combinations is None else max(max_combinations, len(tables)))
    value = res.adaptive.upper if sense == "max" else res.adaptive.lower
    kept = res.fixed.upper if sense == "max" else res.fixed.lower
    best = (res.upper_choice if sense == "max" else res.lower_choice).get(box)
    if best is None:            # the box's choice does not matter: the first deterministic kernel
        best = Kernel(tables[0], kern.dom, kern.cod, name=choices.name, check=False)
    honest = float(query.value(episode, values or {}))
    method = (f"exact over {len(tables)} deterministic kernels for a red team that may change its kernel every step "
              f"(the lower transition operator, {episode.steps} steps); the best kernel kept for the whole episode, "
              f"shown, gives {kept:.6g}")
    return KernelAdversary(str(query), box, sense, value, honest, best, observes, policy(kern, observes, best), method)


def reaching_boxes(episode, query) -> list[str]:
    """The step's boxes that can influence ``query`` within the episode: the ancestors of its wires in the last
    step, then of the states those read one step earlier, and so on back over the episode's steps."""
    query = as_query(query)
    nxt = dict(zip(episode.state_wires, episode.next_wires))
    targets = [nxt.get(w, w) for w in query.wires]            # a state wire is read after the last step
    reached, states = set(), set()
    for _ in range(episode.steps):
        anc = ancestors(episode.step, targets)
        reached |= {b.name for b in episode.step.boxes if any(y in anc for y in b.outputs)}
        new = [w for w in episode.state_wires if w in anc and w not in states]
        if not new:
            break
        states |= set(new)
        targets = [nxt[w] for w in new]
    return [b.name for b in episode.step.boxes if b.name in reached]


def episode_tv_band(episode, query, radii: Mapping[str, float], values: Mapping[str, object] | None = None,
                    owners: Mapping[str, Sequence[str]] | None = None, *, max_combinations: int = 20_000) -> RobustBand:
    """The query's value and the band ``(M − m)·T·Σε`` certified by TV radii of (groups of) boxes, with the
    exact worst case over the boxes' TV balls next to it (the adaptive semantics; see the module docstring).

    ``owners`` maps each radius's name to the step's boxes it covers (default: the box of that name); a radius
    whose boxes cannot influence the query within the episode's steps is listed as ignored and not summed.
    """
    query = as_query(query)
    if query.at:
        episode = episode.fed(dict(query.at))
    if query.given:
        raise ShapeError(f"TV band of {query}", "conditions on evidence in an episode",
                         fix="ask an unconditional query for a band")
    owners = {n: list((owners or {}).get(n, [n])) for n in radii}
    for n, bs in owners.items():
        if not bs:
            raise UnknownName(f"TV radius of {n!r}", "covers no box of the episode's step", fix="name a box")
    reached = set(reaching_boxes(episode, query))
    used = {n: e for n, e in radii.items() if e > 0 and any(b in reached for b in owners[n])}
    ignored = [n for n, e in radii.items() if e > 0 and n not in used]
    delta = sum(used.values())
    lo_f, hi_f = query.range(episode, values)
    spread = hi_f - lo_f
    value = query.value(episode, values or {})
    half = min(spread, spread * episode.steps * delta)
    v = np.asarray(value, dtype=float)
    scalar = lambda x: float(x) if np.ndim(x) == 0 else x
    band = RobustBand(str(query), scalar(v), half, scalar(np.maximum(v - half, lo_f)),
                      scalar(np.minimum(v + half, hi_f)), used, ignored, f"T·Σε over {episode.steps} steps")
    several = [n for n in used if len(owners[n]) != 1]
    reason = unaffordable(query, values) or composite(several)
    return with_exact(band, reason, lambda: _exact_episode(episode, query, {owners[n][0]: e for n, e in used.items()},
                                                           values, max_combinations))


def _exact_episode(episode, query: Query, radii: Mapping[str, float], values, max_combinations: int):
    """``(lower, upper, method)`` of the adaptive range with each box in ``radii`` any kernel in its TV ball."""
    if episode.steps < 1 or not radii:
        v = float(query.value(episode, values or {}))
        return v, v, "no radius reaches the query"
    balls = tv_balls(episode.step, radii, values)
    exact = "exact when reality's kernels may change every step"
    try:
        vertex_budget(balls, max_combinations, keep_one=False)
    except Unaffordable:                    # one ball by its linear programme, the others by their vertices
        vertex_budget(balls, max_combinations, keep_one=True)
        lower, upper, how = _adaptive_one_free(episode, query, balls, values)
        return lower, upper, f"{how}, {episode.steps} steps; {exact}"
    res = episode_bounds(episode, query, boxes=balls, values=values, max_combinations=max_combinations)
    K = math.prod(s.n_vertices for s in balls.values())
    return (res.adaptive.lower, res.adaptive.upper,
            f"the lower transition operator over {K:,} vertex combination(s) of the TV balls of "
            f"{', '.join(balls)}, {episode.steps} steps; {exact} "
            f"(one kernel kept all episode: [{res.fixed.lower:.6g}, {res.fixed.upper:.6g}])")


def _adaptive_one_free(episode, query: Query, balls: Mapping[str, object], values):
    """The adaptive range with the ball of most vertices solved per state by its linear programme (the greedy)
    and the others enumerated: ``T̲g(x) = min over the others' vertices of min_k Σ C_g[x]·k``, where ``C_g`` is
    the rest of the step (the free box's outputs made inputs) contracted with ``g``."""
    free = max(balls, key=lambda b: balls[b].n_vertices)
    rest = {b: s.vertex_arrays() for b, s in balls.items() if b != free}
    net, _ = with_selectors(episode.step, rest)
    box = net.box(free)
    others = net.clone()
    others.boxes = [b for b in net.boxes if b.name != free]
    others.set_inputs(*net.inputs, *box.outputs)
    extras = [w for w in query.wires if w not in episode.state_wires]
    vals = {k: v for k, v in dict(values or {}).items() if k in others.params}
    raw = np.asarray(others.evaluate(vals, outputs=tuple(box.inputs) + episode.next_wires + tuple(extras),
                                     normalize=False), dtype=float)
    S, ball = episode.size, balls[free]
    K = math.prod(len(v) for v in rest.values())
    n_x, n_y = int(np.prod(ball.shape_in, dtype=int)), int(np.prod(ball.shape_out, dtype=int))
    raw = raw.reshape(S, episode.feed_law().size, K, n_y, n_x, S, -1)
    R = np.einsum("sfkyxne,f->skxyne", raw, episode.feed_law())
    f = _function(episode, query, extras).reshape(S, -1)
    x0 = episode.initial_law({k: v for k, v in dict(values or {}).items() if k in episode.params}).reshape(-1)
    out = []
    for sense in ("min", "max"):
        g = f
        for t in range(episode.steps):
            C = np.einsum("skxyne,ne->skxy", R, g).reshape((S, K) + ball.shape)
            value, _ = optimise(C, None, ball, sense)
            best = value.min(axis=1) if sense == "min" else value.max(axis=1)
            g = np.broadcast_to(best[:, None], (S, R.shape[-1]))     # earlier steps: the states only
        out.append(float(x0 @ g[:, 0]))
    how = (f"the lower transition operator: the linear programme for {free!r} per state"
           + (f" and {K:,} vertex combination(s) of the TV balls of {', '.join(rest)}" if rest else ""))
    return out[0], out[1], how
