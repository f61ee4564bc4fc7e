"""Bounds on a proposal's queries: credal (lower and upper) values and total-variation robustness bands.

A proposal's ``credal:`` entries give parameters as intervals and instances as
credal sets (tables with interval entries, or lists of extreme tables); an
instance measured from data (``data:``, :mod:`.data`) brings its own credal set to
every bound; an instance's ``tv_radius`` says how far reality's kernel may be from the model's.

This module reads those entries from the file and hands them, with the proposal's
compiled :class:`~markovwire.model.Model`, to the core: a net's bounds are
:func:`~markovwire.analysis.credal_bounds` and :func:`~markovwire.analysis.tv_band`, an
episode's are :mod:`markovwire.analysis.episodes` (adaptive and fixed semantics).

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
  fixed range: beta, r_ok searched inside the intervals, a grid refined by Brent (degree 100 in them)
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import sympy

from markovwire import Kernel
from markovwire.analysis import (
    CredalKernel,
    IntervalKernel,
    KernelAdversary,
    RobustBand,
    credal_bounds,
    tv_band,
    worst_case_kernel,
)
from markovwire.analysis.episodes import episode_bounds, episode_tv_band, episode_worst_kernel
from markovwire.analysis.flow import ancestor_boxes
from markovwire.analysis.robust import composite
from markovwire.errors import MarkovwireError, ParameterError, ShapeError, UnknownName

from .constructions import constant
from .loader import _fill_table, placed, raise_all
from .schema import CredalSpec, ImpreciseSpec


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
    out, errors = {}, []
    for n, pair in intervals.items():
        where = proposal.where(*path, n) if path else f"interval of {n!r}"
        try:
            if n not in proposal.all_parameters:
                raise UnknownName(where, f"unknown parameter {n!r}",
                                  fix=f"give intervals for parameters of the proposal: "
                                      f"{', '.join(sorted(proposal.parameters))}")
            lo, hi = (constant(x, where) for x in pair)
            p = proposal.all_parameters[n]
            if not p.domain[0] <= lo <= hi <= p.domain[1]:
                raise ParameterError(where, f"[{lo:g}, {hi:g}] is not an interval inside the domain "
                                     f"[{p.domain[0]:g}, {p.domain[1]:g}] of {n!r}",
                                     fix="give low <= high, both inside the parameter's domain")
            if n in proposal.structural:
                raise ParameterError(where, f"{n!r} sizes a type or counts steps",
                                     fix="give intervals for parameters of kernels; compare sizes with --sweep")
            out[n] = (lo, hi)
        except MarkovwireError as e:
            errors.append(e)
    raise_all(errors)
    return out


# ----- lower and upper values --------------------------------------------------------------------
def credal(proposal, model, name: str, values: Mapping[str, float] | None = None):
    """The bounds asked for by the proposal's ``credal:`` entry ``name`` (``proposal`` built at the sizes
    ``model`` was compiled with)."""
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
    given = spec.max_combinations if "max_combinations" in spec.model_fields_set else None  # else: the budgets
    return bounds(proposal, model, spec.query, intervals, boxes, values, given)


def bounds(proposal, model, query: str, intervals: Mapping[str, tuple[float, float]] | None = None,
           boxes: Mapping[str, object] | None = None, values: Mapping[str, float] | None = None,
           max_combinations: int | None = None):
    """Lower and upper values of ``query`` of the compiled ``model`` when ``intervals`` bound parameters and
    ``boxes`` are credal sets: a :class:`~markovwire.analysis.CredalBounds` for a net, an
    :class:`~markovwire.analysis.episodes.EpisodeBounds` for an episode. Intervals of parameters the query does
    not depend on are noted and ignored; a degenerate interval is the point it names. Instances measured from
    data (``proposal.measured``) take part with their credal sets unless ``boxes`` gives them another.
    ``max_combinations``: for a net, the vertex combinations enumerated before sampling (default 20,000); for an
    episode, a cap only if given (the memory and cost budgets bound its enumeration)."""
    measured = {n: e for n, e in proposal.measured.items() if n not in dict(boxes or {})}
    boxes = {**{n: e.credal for n, e in measured.items()}, **dict(boxes or {})}
    intervals = dict(intervals or {})
    points = {n: lo for n, (lo, hi) in intervals.items() if lo == hi}
    values = {**{k: v for k, v in dict(values or {}).items() if k not in intervals}, **points}
    intervals = {n: r for n, r in intervals.items() if n not in points}
    table = {p.name for p in model.query(query).params}
    target, q, vals = model.question(query, values)
    vals = _without_tables_of(model, target, vals, set(boxes))
    inside = [n for n in intervals if n in table and n not in target.params]
    if inside:
        raise ParameterError(proposal.where("queries", query), f"{inside[0]!r} enters only the query's own table",
                             fix=f"sweep it instead (--sweep {inside[0]}=LO:HI:N), or give a single value")
    ignored = [n for n in intervals if n not in target.params]
    intervals = {n: r for n, r in intervals.items() if n in target.params}
    if model.is_episode:
        out = episode_bounds(target, q, boxes=boxes, intervals=intervals, values=vals,
                             max_combinations=max_combinations)
    else:
        out = credal_bounds(target, q, boxes=boxes, intervals=intervals, values=vals,
                            max_combinations=20_000 if max_combinations is None else max_combinations)
    if ignored:
        out.note = "; ".join(x for x in (out.note, f"{', '.join(ignored)} do not affect this query") if x)
    if measured:
        data = "; ".join(f"{n} measured from {proposal.spec.instances[n].data.file} ({e.describe()})"
                         for n, e in measured.items())
        out.note = "; ".join(x for x in (out.note, data) if x)
    return out


def _without_tables_of(model, target, values: Mapping[str, float], replaced: set) -> dict:
    """``values`` without the parameters that only the tables of the ``replaced`` boxes use (a credal set or an
    adversary's kernel takes their place, so the evaluation of the rest does not know them)."""
    step = target.step if model.is_episode else target
    kept = {n for b in step.boxes if b.name not in replaced for n in b.kernel.params}
    return {k: v for k, v in values.items() if k in kept or k not in step.params}


# ----- an adversary replacing a whole instance ------------------------------------------------------
def kernel_adversary(proposal, model, name: str, values: Mapping[str, float]) -> KernelAdversary:
    """The worst case of an ``adversary:`` entry that replaces an instance by any kernel reading ``observes``:
    exact by linear programming for a net, by the lower transition operator for an episode."""
    adv = proposal.spec.adversary[name]
    target, q, vals = model.question(adv.query, values)
    kern = proposal.net().box(adv.instance).kernel
    observes = tuple(adv.observes if adv.observes is not None else [p.name for p in kern.dom])
    vals = _without_tables_of(model, target, vals, {adv.instance})
    if model.is_episode:
        return episode_worst_kernel(target, adv.instance, q, adv.sense, observes=observes, values=vals)
    return worst_case_kernel(target, adv.instance, q, adv.sense, observes=observes, values=vals)


# ----- total-variation bands ---------------------------------------------------------------------------
def band(proposal, model, query: str, radii: Mapping[str, float] | None = None,
         values: Mapping[str, object] | None = None) -> RobustBand:
    """The query's value and the band certified by the instances' TV radii (the file's, updated by ``radii``)."""
    radii = {**proposal.radii, **dict(radii or {})}
    for inst in radii:
        if inst not in proposal.instances:
            raise UnknownName(f"TV radius of {inst!r}", f"no instance {inst!r}",
                              fix=f"give radii to instances: {', '.join(proposal.instances)}")
    if not proposal.queries[query].is_linear:
        raise ShapeError(f"TV band of {query!r}", f"is {proposal.queries[query].spec.what}",
                         fix="ask for a probability or an expectation")
    if model.is_episode and proposal.queries[query].given:
        raise ShapeError(f"TV band of {query!r}", "conditions on evidence in an episode",
                         fix="ask an unconditional query for a band")
    target, q, vals = model.question(query, values)
    net = proposal.net()
    if model.is_episode:
        owners = {i: [b.name for b in net.boxes if _owns(i, b.name)] for i in radii}
        return episode_tv_band(target, q, radii, vals, owners)
    reached = set(ancestor_boxes(net, list(q.wires) + [w for w, _ in q.given]))
    several = [i for i, e in radii.items() if e > 0 and len([b for b in net.boxes if _owns(i, b.name)]) > 1
               and any(_owns(i, b) for b in reached)]
    return tv_band(net, q, _by_box(net, radii, reached), vals, no_exact=composite(several))


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
