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

The total-variation band of an episode is ``(M − m)·T·Σ ε`` over the boxes that can
influence the query within the episode's steps (:func:`reaching_boxes`). Next to it,
the exact worst case over the boxes' TV balls: the adaptive range of
:func:`episode_bounds` with each box a :class:`~markovwire.analysis.credal.TVBallKernel`
(past the vertex budget, the ball of most vertices is solved per state by its linear
programme and only the others enumerated), exact when reality's kernels may change
every step (for one fixed kernel it is an outer bound).
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .. import display, multistep
from ..errors import ShapeError, UnknownName
from ..kernel import Kernel
from .adversary import KernelAdversary, deterministic_kernels, policy
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
                   values: Mapping[str, float] | None = None, max_combinations: int = 20_000) -> EpisodeBounds:
    """Bounds of an episode's query: the lower transition operator (adaptive) and a search of the
    intervals for one choice kept all episode (fixed); see the module docstring."""
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
    chains = _Chains(episode, query, boxes, fixed)
    points = [(a.lo, a.hi) for a in linear] + [tuple(np.linspace(a.lo, a.hi, GRID)) for a in other]
    names = [a.name for a in linear + other]
    count = chains.K * math.prod(len(p) for p in points)
    if count > max_combinations:
        raise ShapeError(where, f"{count} vertex combinations exceed max_combinations = {max_combinations}",
                         fix="narrow the credal sets, make fewer instances imprecise, or raise max_combinations")
    grid = {n: np.array(c, dtype=float) for n, c in zip(names, zip(*itertools.product(*points)))} if points else {}
    P, J, x0 = chains.candidates(grid)
    adaptive = Interval(*(_adaptive(P, J, x0, chains.f, episode.steps, s) for s in ("min", "max")))
    fixed_range, lo_choice, hi_choice, fixed_method = chains.fixed_range(axes)
    detail = [f"the endpoints of {', '.join(a.name for a in linear)}"] if linear else []
    detail += [f"the vertices of {', '.join(boxes)}"] if boxes else []
    detail += [f"{GRID} grid points of {', '.join(a.name for a in other)}"] if other else []
    method = f"{count} vertex combination(s) ({'; '.join(detail)}); {episode.steps} steps"
    note = (f"the query is not multilinear in {', '.join(a.name for a in other)}: its per-step extremes need not be "
            "at the interval ends, so the adaptive range is attained but not certified") if other else ""
    return EpisodeBounds(str(query), adaptive, fixed_range, not other, method, lo_choice, hi_choice, note,
                         fixed_method)


class _Chains:
    """The episode's step under every vertex combination of the credal boxes, at batches of parameter points."""

    def __init__(self, episode, query: Query, boxes: Mapping[str, object], fixed: Mapping[str, object]):
        self.episode, self.query, self.boxes, self.fixed = episode, query, boxes, dict(fixed)
        self.vertices = {b: s.vertex_arrays() for b, s in boxes.items()}
        self.K = int(np.prod([len(v) for v in self.vertices.values()], dtype=int))
        self.combos = list(itertools.product(*(range(len(v)) for v in self.vertices.values())))
        self.extras = [w for w in query.wires if w not in episode.state_wires]
        self.f = _function(episode, query, self.extras)
        self.net, _ = with_selectors(episode.step, self.vertices)   # built once: its plan is reused per batch

    def candidates(self, points: Mapping[str, np.ndarray]):
        """``P (states, B·K, states)``, the last step with the query's other wires ``J (states, B·K,
        states·extra)`` and the initial laws ``x0 (B, states)``, for B parameter points (major) × K vertices."""
        ep = self.episode
        B = len(next(iter(points.values()))) if points else 1
        net = self.net
        vals = {k: v for k, v in {**self.fixed, **points}.items() if k in net.params}
        out = net.evaluate(vals, outputs=ep.next_wires + tuple(self.extras), normalize=False)
        arr = np.asarray(out, dtype=float)
        n_axes = len(net.inputs) + len(ep.next_wires) + len(self.extras)
        arr = np.broadcast_to(arr.reshape((-1,) + arr.shape[arr.ndim - n_axes:]), (B,) + arr.shape[arr.ndim - n_axes:])
        S = ep.size
        feed = ep.feed_law()                                 # the inputs' law at every step
        arr = np.einsum("bsfkr,f->bskr", arr.reshape(B, S, feed.size, self.K, -1), feed)
        J = arr.transpose(1, 0, 2, 3).reshape(S, B * self.K, -1)
        P = J.reshape(S, B * self.K, S, -1).sum(axis=-1)
        x0 = ep.initial_law({k: v for k, v in {**self.fixed, **points}.items() if k in ep.params})
        return P, J, np.broadcast_to(x0.reshape(-1, S), (B, S))

    def fixed_values(self, points: Mapping[str, np.ndarray]) -> np.ndarray:
        """The query for one choice kept all episode: ``(B, K)`` over points and vertex combinations."""
        P, J, x0 = self.candidates(points)
        B = x0.shape[0]
        x = multistep.distribution_after(P.transpose(1, 0, 2), np.repeat(x0, self.K, axis=0), self.episode.steps - 1)
        return np.einsum("cs,scy,y->c", x, J, self.f).reshape(B, self.K)

    def fixed_range(self, axes):
        """The fixed semantics' range: the intervals searched (for the best vertex combination at each point)."""
        choice = lambda point, k: {**point, **self._kernels(k)}
        if not axes:
            vals = self.fixed_values({})[0]
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
        for (b, vs), i in zip(self.vertices.items(), self.combos[k]):
            s = self.boxes[b]
            if s.n_vertices > 1:
                out[b] = Kernel(vs[i], s.dom, s.cod, name=f"{b} (extreme)", check=False)
        return out


def _function(episode, query: Query, extras: Sequence[str]) -> np.ndarray:
    """The query's function over (states at the end, its other wires during the last step), flattened."""
    states = list(episode.state_wires)
    weights = query.weights(episode)
    order = [w for w in states if w in query.wires] + list(extras)
    weights = np.transpose(weights, [query.wires.index(w) for w in order])
    sizes = [len(t) for t in episode.states] + [len(episode.wires[w]) for w in extras]
    shape = [n if w in query.wires else 1 for w, n in zip(states, sizes)] + sizes[len(states):]
    return np.broadcast_to(weights.reshape(shape), sizes).reshape(-1)


def _adaptive(P, J, x0, f, T: int, sense: str) -> float:
    """``x0 · T̲^T f`` (``sense='max'``: the upper operator), the last step read through ``J``; the initial
    law is chosen among the parameter points' too."""
    g = lower_transition(J, f, sense)
    for _ in range(T - 1):
        g = lower_transition(P, g, sense)
    values = x0 @ g
    return float(values.min() if sense == "min" else values.max())


def episode_worst_kernel(episode, box: str, query, sense: str = "max", *, observes: Sequence[str] | None = None,
                         values: Mapping[str, float] | None = None, max_combinations: int = 20_000) -> KernelAdversary:
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
    choices = deterministic_kernels(kern, observes)
    res = episode_bounds(episode, query, boxes={box: CredalKernel(choices)}, values=values,
                         max_combinations=max(max_combinations, len(choices)))
    value = res.adaptive.upper if sense == "max" else res.adaptive.lower
    kept = res.fixed.upper if sense == "max" else res.fixed.lower
    best = (res.upper_choice if sense == "max" else res.lower_choice).get(box, choices[0])
    honest = float(query.value(episode, values or {}))
    method = (f"exact over {len(choices)} deterministic kernels for a red team that may change its kernel every step "
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
