"""Bounds on a proposal's queries: credal (lower and upper) values and total-variation robustness bands.

A proposal's ``credal:`` entries give parameters as intervals and instances as
credal sets (tables with interval entries, or lists of extreme tables); an
instance's ``tv_radius`` says how far reality's kernel may be from the model's.

- A single-shot proposal is handed to the core's :func:`~markovwire.analysis.credal_bounds`
  and :func:`~markovwire.analysis.tv_band` on its net.
- An episode of ``T`` steps is a chain on the joint state. Its credal bounds come in
  two semantics (ALIGNMENT §6): ``adaptive``, where the components may be chosen
  afresh at every step and state, as an adaptive red team would (exact: the lower
  transition operator over the step kernels of every vertex combination), and
  ``fixed``, one unknown choice for the whole episode (the range over the vertex
  combinations: attained, hence an inner bound; the adaptive range is an outer one).
  Its band is ``(M − m)·T·Σ ε`` over the instances that can influence the states or
  the query.

>>> from markovwire.library.shipped import proposals_dir
>>> from markovwire.library.proposal import load_proposal
>>> p = load_proposal(proposals_dir() / "credal_control.yaml")
>>> print(p.evaluate(queries=["catastrophe_range"])["catastrophe_range"])   # ALIGNMENT §6
P(episode=catastrophe | intent=scheming) ∈ [0.0633968, 0.397632]  (exact for both semantics)
  adaptive (components may change every step): [0.0633968, 0.397632]
  fixed (one unknown choice for the episode): [0.0633968, 0.397632]
  lower at: beta = 0.01; r_ok = 0.9
  upper at: beta = 0.05; r_ok = 0.6
  method: 4 vertex combination(s) (the endpoints of beta, r_ok); 100 steps
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import sympy

from markovwire import Kernel
from markovwire.analysis import CredalKernel, Interval, IntervalKernel, RobustBand, credal_bounds
from markovwire.analysis import KernelAdversary, tv_band, worst_case_kernel
from markovwire.analysis.adversary import deterministic_kernels, policy
from markovwire.analysis.credal import (as_credal, check_signature, choice_data, choice_lines, split_multilinear,
                                        with_selectors)
from markovwire.analysis.flow import ancestor_boxes
from markovwire.analysis.search import axes_for
from markovwire.errors import MarkovwireError, ParameterError, ShapeError, UnknownName
from markovwire.multistep import distribution_after

from .loader import _fill_table, placed, raise_all
from .schema import CredalSpec, ImpreciseSpec

GRID = 17  # points per interval parameter that the query is not multilinear in (an inner bound)


# ----- credal sets written in a proposal file ------------------------------------------------
def imprecise_box(proposal, instance: str, spec: ImpreciseSpec, values: Mapping[str, float], *path):
    """The credal set of an instance from its file entry: an :class:`IntervalKernel` or a :class:`CredalKernel`."""
    where = lambda keys=(): proposal.where(*path, *keys)
    net = proposal.net()
    if instance not in proposal.instances:
        raise UnknownName(where(), f"no instance {instance!r}",
                          fix=f"name one of the instances: {', '.join(proposal.instances)}")
    if instance not in [b.name for b in net.boxes]:
        raise ShapeError(where(), f"instance {instance!r} has a state or is itself a diagram; only a plain "
                         "component can be given as a credal set", fix="make a plain component imprecise")
    kernel = net.box(instance).kernel
    ports = kernel.dom + kernel.cod
    shape = tuple(len(p.type) for p in ports)

    def filled(table) -> np.ndarray:
        arr = np.empty(shape, dtype=object)
        arr[...] = None
        _fill_table(table, ports, len(kernel.dom), arr, (), (), proposal.all_parameters, lambda k: where(k),
                    instance)
        arr[arr == None] = sympy.Integer(0)  # noqa: E711 (elementwise)
        return _numbers(arr, proposal, values, where(("table",)))

    if spec.table is not None:
        lower, upper = _split_intervals(spec.table)
        try:
            return IntervalKernel(filled(lower), filled(upper), kernel.dom, kernel.cod, name=instance)
        except MarkovwireError as e:
            raise placed(e, where(("table",))) from None
    vertices, errors = [], []
    for i, table in enumerate(spec.vertices):
        try:
            arr = filled(table)
            vertices.append(Kernel(arr, kernel.dom, kernel.cod, name=f"{instance} vertex {i}"))
        except MarkovwireError as e:
            errors.append(placed(e, where(("vertices", i))))
    raise_all(errors)
    return CredalKernel(vertices, name=instance)


def _split_intervals(node):
    """A table with interval leaves ``[lo, hi]`` as two tables: the lower and the upper entries."""
    if isinstance(node, list):
        return node[0], node[1]
    if isinstance(node, dict):
        pairs = {k: _split_intervals(v) for k, v in node.items()}
        return {k: a for k, (a, _) in pairs.items()}, {k: b for k, (_, b) in pairs.items()}
    return node, node


def _numbers(arr: np.ndarray, proposal, values: Mapping[str, float], where: str) -> np.ndarray:
    """Entries (numbers or expressions in parameters) as floats at ``values`` (defaults for the rest)."""
    out = np.empty(arr.shape)
    for idx, e in np.ndenumerate(arr):
        subs = {}
        for s in getattr(e, "free_symbols", ()):
            v = values.get(s.name, proposal.all_parameters[s.name].default)
            if v is None:
                raise ParameterError(where, f"parameter {s.name!r} has no value",
                                     fix=f"give {s.name!r} a value in the proposal's 'parameters:'")
            subs[s] = v
        out[idx] = float(sympy.sympify(e).subs(subs))
    return out


def intervals_of(proposal, intervals: Mapping[str, object], *path) -> dict[str, tuple[float, float]]:
    """Parameter intervals ``[lo, hi]`` (numbers or constants) checked against the parameters' domains."""
    from .proposal import _constant
    out, errors = {}, []
    for n, pair in intervals.items():
        where = proposal.where(*path, n) if path else f"interval of {n!r}"
        try:
            if n not in proposal.all_parameters:
                raise UnknownName(where, f"unknown parameter {n!r}",
                                  fix=f"give intervals for parameters of the proposal: "
                                      f"{', '.join(sorted(proposal.parameters))}")
            lo, hi = (_constant(x, where) for x in pair)
            p = proposal.all_parameters[n]
            if not p.domain[0] <= lo <= hi <= p.domain[1]:
                raise ParameterError(where, f"[{lo:g}, {hi:g}] is not an interval inside the domain "
                                     f"[{p.domain[0]:g}, {p.domain[1]:g}] of {n!r}",
                                     fix="give low <= high, both inside the parameter's domain")
            if n in proposal.structural:
                raise ParameterError(where, f"{n!r} sizes a type", fix="give intervals for parameters of kernels")
            out[n] = (lo, hi)
        except MarkovwireError as e:
            errors.append(e)
    raise_all(errors)
    return out


# ----- lower and upper values --------------------------------------------------------------------
def credal(proposal, name: str, values: Mapping[str, float] | None = None):
    """The bounds asked for by the proposal's ``credal:`` entry ``name``."""
    spec: CredalSpec = proposal.spec.credal[name]
    values = dict(values or {})
    intervals = intervals_of(proposal, spec.intervals, "credal", name, "intervals")
    boxes, errors = {}, []
    for inst, s in spec.imprecise.items():
        try:
            boxes[inst] = imprecise_box(proposal, inst, s, values, "credal", name, "imprecise", inst)
        except MarkovwireError as e:
            errors.append(e)
    raise_all(errors)
    return bounds(proposal, spec.query, intervals, boxes, values, spec.max_combinations)


def bounds(proposal, query: str, intervals: Mapping[str, tuple[float, float]] | None = None,
           boxes: Mapping[str, object] | None = None, values: Mapping[str, float] | None = None,
           max_combinations: int = 20_000):
    """Lower and upper values of ``query`` when ``intervals`` bound parameters and ``boxes`` are credal sets.

    A single-shot proposal gives a :class:`~markovwire.analysis.CredalBounds`, an episode an
    :class:`EpisodeBounds`.
    """
    values = {k: v for k, v in dict(values or {}).items() if k not in dict(intervals or {})}
    if proposal.system is None:
        q = proposal.analysis_query(query, values)
        net_values = {k: v for k, v in values.items() if k in proposal.net().params}
        return credal_bounds(proposal.net(), q, boxes=boxes, intervals=intervals, values=net_values,
                             max_combinations=max_combinations)
    return episode_bounds(proposal, query, dict(intervals or {}), dict(boxes or {}), values, max_combinations)


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
        if self.note:
            lines.append(f"  note: {self.note}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"query": self.query, "lower": self.lower, "upper": self.upper, "exact": self.exact,
                "tight": self.tight, "adaptive": self.adaptive.to_dict(), "fixed": self.fixed.to_dict(),
                "lower_choice": choice_data(self.lower_choice), "upper_choice": choice_data(self.upper_choice),
                "method": self.method, "note": self.note}


def episode_bounds(proposal, query: str, intervals: Mapping[str, tuple[float, float]],
                   boxes: Mapping[str, object], values: Mapping[str, float], max_combinations: int) -> EpisodeBounds:
    """Bounds of an episode's query: the lower transition operator (adaptive) and the vertex range (fixed)."""
    system, q = proposal.system, proposal.queries[query]
    where = f"credal bounds of {query!r}"
    if q.given:
        raise ShapeError(where, "the query conditions on evidence ('given'); credal bounds of an episode are "
                         "computed for unconditional queries", fix="ask an unconditional query")
    if q.kind == "distribution":
        raise ShapeError(where, f"{query!r} is a distribution", fix="bound a probability or an expectation")
    net = system.step_net
    boxes = {b: as_credal(s, f"imprecise instance {b!r}") for b, s in boxes.items()}
    for b, s in boxes.items():
        check_signature(net, b, s)
    axes = axes_for(system.params, list(intervals), intervals, where=where)
    linear, other = split_multilinear(net, boxes, axes)
    vertices = {b: s.vertex_arrays() for b, s in boxes.items()}
    points = [(a.lo, a.hi) for a in linear] + [tuple(np.linspace(a.lo, a.hi, GRID)) for a in other]
    names = [a.name for a in linear + other]
    count = math.prod(len(v) for v in vertices.values()) * math.prod(len(p) for p in points)
    if count > max_combinations:
        raise ShapeError(where, f"{count} vertex combinations exceed max_combinations = {max_combinations}",
                         fix="narrow the credal sets, make fewer instances imprecise, or raise max_combinations")
    grid = [np.array(c, dtype=float) for c in zip(*itertools.product(*points))] if points else []
    T = _steps(proposal, q, values)
    if T < 1:
        raise ShapeError(where, f"asks about step {T}", fix="bound a query about steps >= 1")
    vals = {k: v for k, v in values.items() if k in system.params}
    vals.update({n: g for n, g in zip(names, grid)})
    P, J, x0 = _step_candidates(system, q, vertices, vals, len(grid[0]) if grid else 1)
    f = _function(proposal, q, values)
    adaptive = Interval(*(_adaptive(P, J, x0, f, T, s) for s in ("min", "max")))
    K = P.shape[1] // len(x0)
    x = distribution_after(P.transpose(1, 0, 2), np.repeat(x0, K, axis=0), T - 1)   # one chain per combination
    fixed_values = np.einsum("cs,scy,y->c", x, J, f)
    lo, hi = int(np.argmin(fixed_values)), int(np.argmax(fixed_values))
    combos = list(itertools.product(*(range(len(v)) for v in vertices.values())))
    choice = lambda c: _choice(c, names, grid, combos, boxes, vertices)
    detail = [f"the endpoints of {', '.join(a.name for a in linear)}"] if linear else []
    detail += [f"the vertices of {', '.join(boxes)}"] if boxes else []
    detail += [f"{GRID} grid points of {', '.join(a.name for a in other)}"] if other else []
    method = f"{count} vertex combination(s) ({'; '.join(detail)}); {T} steps"
    note = (f"the query is not multilinear in {', '.join(a.name for a in other)}: its per-step extremes need not be "
            "at the interval ends, so both ranges are attained but not certified") if other else ""
    return EpisodeBounds(q.text, adaptive, Interval(float(fixed_values[lo]), float(fixed_values[hi])), not other,
                         method, choice(lo), choice(hi), note)


def _steps(proposal, q, values) -> int:
    T = q.spec.steps if q.spec.steps is not None else proposal.spec.episode.steps
    return int(T if isinstance(T, int) else values.get(T, proposal.all_parameters[T].default))


def _step_candidates(system, q, vertices, vals, B: int):
    """The step kernels of every combination (parameter point major, then vertices): ``P (states, C, states)``,
    the last step with the query's other wires ``J (states, C, states·extra)``, the initial laws ``x0 (B, states)``."""
    net, selectors = with_selectors(system.step_net, vertices)
    extras = [w for w in q.wires if w not in system.state_wires]
    out = net.evaluate({k: v for k, v in vals.items() if k in net.params}, outputs=system.next_wires + tuple(extras))
    arr = np.asarray(out.array if isinstance(out, Kernel) else out, dtype=float)
    n_axes = len(net.inputs) + len(system.next_wires) + len(extras)
    arr = np.broadcast_to(arr.reshape((-1,) + arr.shape[arr.ndim - n_axes:]), (B,) + arr.shape[arr.ndim - n_axes:])
    index: list = [slice(None)] * arr.ndim
    for i, w in enumerate(net.inputs):
        if w in system.inputs:
            index[1 + i] = net.wires[w].index(q.inputs[w])
    arr = arr[tuple(index)]                               # B, states…, selectors…, next…, extras…
    S = system.size
    K = int(np.prod([len(v) for v in vertices.values()], dtype=int))
    J = arr.reshape(B, S, K, -1).transpose(1, 0, 2, 3).reshape(S, B * K, -1)
    P = J.reshape(S, B * K, S, -1).sum(axis=-1)
    x0 = system.initial({k: v for k, v in vals.items() if k in system.params})
    x0 = np.broadcast_to(np.asarray(getattr(x0, "array", x0), dtype=float).reshape(-1, S), (B, S))
    return P, J, np.asarray(x0)


def _function(proposal, q, values) -> np.ndarray:
    """The query's function over (states at the end, the query's other wires during the last step), flattened."""
    system = proposal.system
    states = list(system.state_wires)
    extras = [w for w in q.wires if w not in states]
    weights = proposal.analysis_query(q.name, values).weights(system.step_net)
    order = [w for w in states if w in q.wires] + extras
    weights = np.transpose(weights, [q.wires.index(w) for w in order])
    sizes = [len(t) for t in system.states] + [len(system.step_net.wires[w]) for w in extras]
    shape = [n if w in q.wires else 1 for w, n in zip(states, sizes)] + sizes[len(states):]
    return np.broadcast_to(weights.reshape(shape), sizes).reshape(-1)


def _adaptive(P, J, x0, f, T: int, sense: str) -> float:
    """``x0 · T̲^T f`` (``sense='max'``: the upper operator), the last step read through ``J``."""
    pick = np.min if sense == "min" else np.max
    if T < 1:
        return float(pick(x0 @ f))
    g = pick(J @ f, axis=1)
    for _ in range(T - 1):
        g = pick(P @ g, axis=1)
    return float(pick(x0 @ g))


def _choice(c: int, names, grid, combos, boxes, vertices) -> dict:
    """The parameter values and extreme kernels of combination ``c`` (parameter point major, then vertices)."""
    K = len(combos)
    point, combo = divmod(c, K)
    out: dict = {n: float(g[point]) for n, g in zip(names, grid)}
    for (b, vs), i in zip(vertices.items(), combos[combo]):
        s = boxes[b]
        if s.n_vertices > 1:
            out[b] = Kernel(vs[i], s.dom, s.cod, name=f"{b} (extreme)", check=False)
    return out


# ----- an adversary replacing a whole instance ------------------------------------------------------
def kernel_adversary(proposal, name: str, values: Mapping[str, float]) -> KernelAdversary:
    """The worst case of an ``adversary:`` entry that replaces an instance by any kernel reading ``observes``.

    Single-shot: exact by linear programming (:func:`~markovwire.analysis.worst_case_kernel`). Episode: the
    adversary's set is the hull of the deterministic kernels, so its value is exact for a red team that may change
    its kernel every step (the lower transition operator); the best kernel kept for the whole episode is shown,
    with its value (a stationary red team's optimum lies between the two).
    """
    adv = proposal.spec.adversary[name]
    net = proposal.net()
    kern = net.box(adv.instance).kernel
    observes = tuple(adv.observes if adv.observes is not None else [p.name for p in kern.dom])
    net_values = {k: v for k, v in values.items() if k in net.params}
    if proposal.system is None:
        return worst_case_kernel(net, adv.instance, proposal.analysis_query(adv.query, values), adv.sense,
                                 observes=observes, values=net_values)
    choices = deterministic_kernels(kern, observes)
    res = episode_bounds(proposal, adv.query, {}, {adv.instance: CredalKernel(choices)}, values,
                         max(20_000, len(choices)))
    value = res.adaptive.upper if adv.sense == "max" else res.adaptive.lower
    fixed = res.fixed.upper if adv.sense == "max" else res.fixed.lower
    best = (res.upper_choice if adv.sense == "max" else res.lower_choice).get(adv.instance, choices[0])
    honest = float(proposal.value(adv.query, values))
    method = (f"exact over {len(choices)} deterministic kernels for a red team that may change its kernel every step "
              f"(the lower transition operator, {res.method.split('; ')[-1]}); the best kernel kept for the whole "
              f"episode, shown, gives {fixed:.6g}")
    return KernelAdversary(res.query, adv.instance, adv.sense, value, honest, best, observes,
                           policy(kern, observes, best), method)


# ----- total-variation bands ---------------------------------------------------------------------------
def band(proposal, query: str, radii: Mapping[str, float] | None = None,
         values: Mapping[str, object] | None = None) -> RobustBand:
    """The query's value and the band certified by the instances' TV radii (the file's, updated by ``radii``)."""
    radii = {**proposal.radii, **dict(radii or {})}
    for inst in radii:
        if inst not in proposal.instances:
            raise UnknownName(f"TV radius of {inst!r}", f"no instance {inst!r}",
                              fix=f"give radii to instances: {', '.join(proposal.instances)}")
    values = dict(values or {})
    q = proposal.queries[query]
    if q.kind == "distribution":
        raise ShapeError(f"TV band of {query!r}", "is a distribution", fix="ask for a probability or an expectation")
    net = proposal.net()
    if proposal.system is None:
        aq = proposal.analysis_query(query, values)
        reached = set(ancestor_boxes(net, list(aq.wires) + [w for w, _ in aq.given]))
        return tv_band(net, aq, _by_box(net, radii, reached), {k: v for k, v in values.items() if k in net.params})
    if q.given:
        raise ShapeError(f"TV band of {query!r}", "conditions on evidence in an episode",
                         fix="ask an unconditional query for a band")
    system = proposal.system
    wires = list(system.next_wires) + [w for w in q.wires if w not in system.state_wires]
    reached = set(ancestor_boxes(net, wires))
    used = {i: e for i, e in radii.items() if e > 0 and any(_owns(i, b) for b in reached)}
    ignored = [i for i, e in radii.items() if e > 0 and i not in used]
    T = _steps(proposal, q, values)
    delta = sum(used.values())
    lo_f, hi_f = proposal.analysis_query(query, values).range(net)
    spread = hi_f - lo_f
    value = proposal.value(query, values)
    half = min(spread, spread * T * delta)
    v = np.asarray(value, dtype=float)
    scalar = lambda x: float(x) if np.ndim(x) == 0 else x
    return RobustBand(q.text, scalar(v), half, scalar(np.maximum(v - half, lo_f)), scalar(np.minimum(v + half, hi_f)),
                      used, ignored, f"T·Σε over {T} steps")


def _owns(instance: str, box: str) -> bool:
    return box == instance or box.startswith(instance + "/")


def _by_box(net, radii: Mapping[str, float], reached: set[str]) -> dict[str, float]:
    """Instance radii on the net's boxes: a nested or stateful instance counts once, on one box it owns
    that can reach the query (its composite kernel is what the radius is about)."""
    out = {}
    for inst, e in radii.items():
        owned = [b.name for b in net.boxes if _owns(inst, b.name)]
        if not owned:
            continue
        pick = next((b for b in owned if b in reached), owned[0])
        out[pick] = e
    return out
