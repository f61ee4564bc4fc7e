"""Adversaries: the worst case of a query over parameters or over a whole component.

- :func:`worst_case` optimises a query over named parameters within their domains
  (a red team choosing its attack rate): a dense grid evaluated as one swept
  contraction, then bounded Brent refinement (see :mod:`.search` for exactly what
  is guaranteed; a Lipschitz constant turns the result into a certified bracket).
- :func:`worst_case_kernel` lets the adversary replace one box by *any* kernel of
  its signature, optionally seeing only some of its inputs. The box occurs once, so
  the query is linear in its entries and the optimum is a deterministic choice per
  observed input: computed exactly from the coefficient tensor (:mod:`.linear`).
- :func:`control_evaluation` reports safety (the worst case over the red team's
  parameters) next to usefulness (the honest case), as control evaluations do.

>>> from markovwire import FinSet, Kernel, Net, Parameter
>>> from markovwire.analysis.query import Query
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> beta = Parameter("beta", (0, 1), default=0.0)
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([1 - beta, beta], [], [Act], params=[beta]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> res = worst_case(net, Query.probability({"act": "attack", "verdict": "pass"}), over=["beta"])
>>> round(res.value, 6), res.choice
(0.3, {'beta': 1.0})
>>> caught = Query.probability({"act": "attack", "verdict": "flag"})
>>> blind = worst_case_kernel(net, "monitor", caught, "min", values={"beta": 0.2})   # a colluding monitor
>>> round(blind.value, 6), round(blind.honest, 6), blind.policy["act=attack"]
(0.0, 0.14, 'verdict=pass')
"""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from .. import display
from ..errors import EvidenceError, ParameterError, ShapeError, UnknownName
from ..kernel import Kernel
from ..net import Net
from .linear import BoxForm, Simplex, _sign, optimise, require_possible
from .query import Query, as_query, one_table_each
from .search import Outcome, axes_for, fixed_values, maximise, minimise


@dataclass(kw_only=True)
class WorstCase(Outcome):
    """The optimum of a query over parameters, where it is attained, and what is certified.

    ``value`` is the optimum found; ``optimum`` the set of parameter values where the
    query is within ``tolerance`` of it (an interval per parameter), ``choice`` a
    representative point of that set, and ``on_edge`` the parameters whose optimum
    reaches an end of the searched range (see :class:`~.search.Outcome`).
    """

    query: str
    sense: str
    measured: object = None     # with kernels measured from data: the range over their credal sets (game.MeasuredRange)

    @classmethod
    def of(cls, outcome: Outcome, query: str, sense: str) -> "WorstCase":
        """The search's outcome, labelled with the query and the sense of optimisation."""
        return cls(**dataclasses.asdict(outcome), query=query, sense=sense)

    @property
    def bracket(self) -> tuple[float, float] | None:
        """``[lower, upper]`` holding the true optimum, when certified."""
        if self.bound is None:
            return None
        return (self.value, self.bound) if self.sense == "max" else (self.bound, self.value)

    @property
    def guarantee(self) -> str:
        if self.certified:
            lo, hi = self.bracket
            return f"certified bracket [{lo:.6g}, {hi:.6g}] (from the Lipschitz constant)"
        if not self.spacing or not any(self.spacing.values()):
            return "exact (every admissible value was evaluated)"
        gaps = ", ".join(f"{k}: {v:.3g}" for k, v in self.spacing.items())
        return ("best found, not certified: exact if the query has no peak narrower than the grid spacing "
                f"({gaps}); a Lipschitz constant certifies a bracket (lipschitz: L in the file's entry, "
                "--lipschitz L for solve, lipschitz=L in Python)")

    def __str__(self) -> str:
        edges = "".join(f"\n  on the edge: {note}" for note in self.edge_notes)
        return (f"{self.sense} {self.query} = {self.value:.6g} at {self.location}{edges}\n"
                f"  method: {self.method}; {self.evaluations} evaluations\n"
                f"  guarantee: {self.guarantee}" + (f"\n{self.measured}" if self.measured is not None else ""))

    def _repr_html_(self) -> str:
        return display.fields(f"{self.sense} {self.query}", [
            ("value", self.value), ("at", self.location), ("on the edge", "; ".join(self.edge_notes)),
            ("guarantee", self.guarantee), ("method", f"{self.method}; {self.evaluations} evaluations")])

    def to_dict(self) -> dict:
        pair = lambda t: [float(t[0]), float(t[1])]
        return {"query": self.query, "sense": self.sense, "value": float(self.value),
                "choice": {k: float(v) for k, v in self.choice.items()},
                "optimum": {k: pair(v) for k, v in self.optimum.items()},
                "tolerance": float(self.tolerance), "flat": self.flat, "pieces": int(self.pieces),
                "on_edge": dict(self.on_edge), "ranges": {k: pair(v) for k, v in self.ranges.items()},
                "location": self.location, "edge_notes": self.edge_notes,
                "bracket": [float(b) for b in self.bracket] if self.bracket else None, "certified": self.certified,
                "method": self.method, "evaluations": int(self.evaluations), "guarantee": self.guarantee,
                **({"measured": self.measured.to_dict()} if self.measured is not None else {})}


def worst_case(net: Net, query, over: Sequence[str], sense: str = "max", *,
               values: Mapping[str, float] | None = None, bounds: Mapping[str, tuple] | None = None,
               grid: int | Sequence[int] | None = None, lipschitz: float | Mapping[str, float] | None = None,
               tol: float = 1e-10, within: float = 1e-9) -> WorstCase:
    """The max (or min) of ``query`` over the parameters ``over``, the others fixed by ``values``, and where it is.

    The search box is each parameter's domain, narrowed by ``bounds``. One or two
    parameters: a dense grid (2001 or 201×201 points, one swept contraction) refined by
    Brent's method in the best cells. More: a coarser grid and coordinate search.
    ``lipschitz`` (one number, or one per parameter) certifies a bracket. Where the
    query is within ``within·max(1, |value|)`` of the optimum is reported as a set
    (``optimum``, to grid resolution) with a deterministic representative ``choice``, and
    an optimum at an end of the searched range is flagged (``on_edge``).
    """
    one_table_each(net, "a worst case over parameters")
    query = as_query(query)
    _sign(sense)
    fixed = fixed_values(values, over, "worst_case")
    axes = axes_for(net.params, over, bounds, where=f"worst_case of {query}")
    objective = lambda pts: _scalar_query(query, net, {**fixed, **pts})
    out = (maximise if sense == "max" else minimise)(objective, axes, grid=grid, lipschitz=lipschitz, tol=tol,
                                                     within=within)
    return _result(query, sense, out)


def _result(query, sense: str, out: Outcome) -> WorstCase:
    if not np.isfinite(out.value):
        raise EvidenceError(f"query {query}", "the evidence has probability zero at every point searched",
                            fix="condition on observations the proposal can produce for some parameter values")
    return WorstCase.of(out, str(query), sense)


def _scalar_query(query: Query, net: Net, values) -> np.ndarray:
    out = np.asarray(query.value(net, values), dtype=float)
    n = max((np.size(v) for v in values.values()), default=1)
    if out.size != n:
        missing = [w for w in net.inputs if w not in dict(query.at)]
        raise ShapeError(f"query {query}", f"has one value per outer input ({', '.join(missing)}), not one number",
                         fix="fix the outer inputs, e.g. Query.probability({...}, at={"
                             + ", ".join(f"{w!r}: ..." for w in missing) + "})")
    return out.reshape(-1)


# ----- an adversarial component -------------------------------------------------------
@dataclass
class KernelAdversary:
    """The optimal kernel for a box chosen by an adversary, and the query before and after."""

    query: str
    box: str
    sense: str
    value: float
    honest: float
    kernel: Kernel
    observes: tuple[str, ...]
    policy: dict[str, str]
    method: str
    measured: object = None     # with kernels measured from data: the range over their credal sets (game.MeasuredRange)

    def __str__(self) -> str:
        sees = ", ".join(self.observes) if self.observes else "nothing"
        lines = [f"{self.sense} {self.query} over every kernel of box {self.box!r} (seeing {sees}) = {self.value:.6g}",
                 f"  with the box as given: {self.honest:.6g}",
                 f"  method: {self.method}",
                 "  optimal choice:"]
        lines += [f"    {k or 'always'} → {v}" for k, v in self.policy.items()]
        return "\n".join(lines + ([str(self.measured)] if self.measured is not None else []))

    def _repr_html_(self) -> str:
        sees = ", ".join(self.observes) if self.observes else "nothing"
        return display.fields(f"{self.sense} {self.query} over every kernel of box {self.box!r} (seeing {sees})", [
            ("value", self.value), ("with the box as given", self.honest), ("method", self.method),
            *((f"optimal choice: {k or 'always'}", v) for k, v in self.policy.items())])

    def to_dict(self) -> dict:
        return {"query": self.query, "box": self.box, "sense": self.sense, "value": self.value,
                "honest": self.honest, "observes": list(self.observes), "policy": dict(self.policy),
                "kernel": np.asarray(self.kernel.array, dtype=float).tolist(), "method": self.method,
                **({"measured": self.measured.to_dict()} if self.measured is not None else {})}


def worst_case_kernel(net: Net, box: str, query, sense: str = "max", *, observes: Sequence[str] | None = None,
                      values: Mapping[str, float] | None = None) -> KernelAdversary:
    """The adversary replaces ``box`` by any kernel of its signature seeing only the ports ``observes``.

    Exact: the query is linear in the box's entries (a ratio of two linear functions
    with evidence), so the optimum over the product of simplices is a deterministic
    choice per observed input, found from the coefficient tensor (Dinkelbach's
    iteration with evidence). ``observes`` names input ports of the box (default: all).
    """
    one_table_each(net, "an adversarial kernel")
    query = as_query(query)
    _sign(sense)
    fixed = fixed_values(values, (), "worst_case_kernel")
    form = BoxForm(net, box, query)
    kern = form.box.kernel
    ports = [p.name for p in kern.dom]
    observes = tuple(ports if observes is None else observes)
    if len(set(observes)) != len(observes):
        raise ShapeError(f"worst_case_kernel, box {box!r}", "observes= names a port twice", fix="name each port once")
    unknown = [p for p in observes if p not in ports]
    if unknown:
        raise UnknownName(f"worst_case_kernel, box {box!r}", f"has no input port {unknown[0]!r}",
                          fix=f"observe some of its input ports: {', '.join(ports) or 'it has none'}")
    seen = [ports.index(p) for p in observes]
    hidden = tuple(i for i in range(len(ports)) if i not in seen)
    num, den = form.coefficients(fixed)
    num_o, den_o = _observed(num, hidden, seen), None if den is None else _observed(den, hidden, seen)
    shape_in = tuple(kern.array.shape[i] for i in seen)
    value, choice = optimise(num_o, den_o, Simplex(shape_in, kern.shape_out), sense)
    require_possible(value, query, f"kernel of box {box!r}")
    full = _unobserve(choice, seen, len(ports), kern.array.shape)
    adversary = Kernel(full, kern.dom, kern.cod, name=f"{kern.name} (adversary)")
    honest = float(query.value(net, fixed))
    method = ("exact: the query is linear in the box's entries; best output per observed input"
              if den is None else "exact: the query is a ratio of linear functions of the box's entries; "
              "Dinkelbach's iteration over deterministic choices")
    return KernelAdversary(str(query), box, sense, float(value), honest, adversary, observes,
                           _policy(kern, seen, choice), method)


def deterministic_kernels(kern: Kernel, observes: Sequence[str] | None = None) -> list[Kernel]:
    """Every deterministic kernel of ``kern``'s signature reading only the input ports ``observes`` (default: all).

    They are the vertices of the set an adversary replacing the box chooses from.

    >>> from markovwire import FinSet
    >>> A, B = FinSet("A", ["x", "y"]), FinSet("B", ["p", "q", "r"])
    >>> box = Kernel.uniform(cod=[("b", B)], dom=[("a", A)])
    >>> len(deterministic_kernels(box)), len(deterministic_kernels(box, observes=[]))
    (9, 3)
    """
    return [Kernel(t, kern.dom, kern.cod, name=f"{kern.name} (adversary)", check=False)
            for t in deterministic_tables(kern, observes)]


def deterministic_tables(kern: Kernel, observes: Sequence[str] | None = None) -> np.ndarray:
    """The tables of :func:`deterministic_kernels`, in its order, stacked on a leading axis (built at once: an
    enumeration of 65,536 kernels needs their tables, not 65,536 Kernel objects).

    >>> from markovwire import FinSet
    >>> A, B = FinSet("A", ["x", "y"]), FinSet("B", ["p", "q", "r"])
    >>> deterministic_tables(Kernel.uniform(cod=[("b", B)], dom=[("a", A)]))[5].tolist()   # x -> q, y -> r
    [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    """
    ports = [p.name for p in kern.dom]
    observes = list(ports if observes is None else observes)
    unknown = [p for p in observes if p not in ports]
    if unknown:
        raise UnknownName(f"adversary for {kern.name!r}", f"has no input port {unknown[0]!r}",
                          fix=f"observe some of its input ports: {', '.join(ports) or 'it has none'}")
    seen = [ports.index(p) for p in observes]
    shape_in = tuple(len(kern.dom[i].type) for i in seen)
    shape_out = tuple(len(p.type) for p in kern.cod)
    rows, n_out = int(np.prod(shape_in, dtype=int)), int(np.prod(shape_out, dtype=int))
    count = n_out ** rows
    # the k-th choice maps observed row j to output digit j of k in base n_out (the last row fastest, as
    # itertools.product orders them)
    digits = (np.arange(count)[:, None] // n_out ** np.arange(rows - 1, -1, -1)) % n_out if rows else \
        np.zeros((1, 0), dtype=int)
    choice = np.eye(n_out)[digits].reshape((count,) + shape_in + shape_out)
    return _unobserve(choice, seen, len(ports), tuple(len(p.type) for p in kern.dom) + shape_out, lead=1)


def policy(kern: Kernel, observes: Sequence[str], choice: Kernel) -> dict[str, str]:
    """A deterministic kernel read as a policy: observed input labels → output labels."""
    ports = [p.name for p in kern.dom]
    seen = [ports.index(p) for p in observes]
    arr = np.asarray(choice.array, dtype=float)
    index = tuple(slice(None) if i in seen else 0 for i in range(len(ports)))
    return _policy(kern, seen, arr[index].transpose([sorted(seen).index(i) for i in seen]
                                                     + list(range(len(seen), arr.ndim - len(ports) + len(seen)))))


def _observed(c: np.ndarray, hidden: tuple[int, ...], seen: list[int]) -> np.ndarray:
    """Sum the coefficients over hidden inputs and order the observed ones as ``seen``."""
    c = c.sum(axis=hidden) if hidden else c
    perm = [sorted(seen).index(i) for i in seen]
    return c.transpose(perm + list(range(len(seen), c.ndim)))


def _unobserve(choice: np.ndarray, seen: list[int], n_in: int, shape: tuple[int, ...], lead: int = 0) -> np.ndarray:
    """The choice on observed inputs as a kernel on all inputs (constant along hidden ones), after ``lead``
    leading axes (a stack of choices)."""
    arr = choice.transpose(list(range(lead)) + [lead + seen.index(i) for i in sorted(seen)]
                           + list(range(lead + len(seen), choice.ndim)))
    for i in range(n_in):
        if i not in seen:
            arr = np.expand_dims(arr, lead + i)
    return np.broadcast_to(arr, choice.shape[:lead] + shape).copy()


def _policy(kern: Kernel, seen: list[int], choice: np.ndarray) -> dict[str, str]:
    out = {}
    ports = [kern.dom[i] for i in seen]
    for idx in itertools.product(*(range(len(p.type)) for p in ports)):
        row = choice[idx].reshape(-1)
        o = np.unravel_index(int(np.argmax(row)), kern.shape_out)
        key = ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(ports, idx))
        out[key] = ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(kern.cod, o))
    return out


# ----- control evaluations --------------------------------------------------------------
@dataclass
class ControlEvaluation:
    """Safety (worst case over the red team's choices) and usefulness (honest case) side by side."""

    safety: WorstCase
    usefulness: float
    usefulness_query: str
    honest: dict[str, float]
    setting: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v:g}" for k, v in self.setting.items())
        honest = ", ".join(f"{k}={v:g}" for k, v in self.honest.items()) or "as given"
        head = f"control evaluation{' at ' + at if at else ''}"
        edges = "".join(f"\n  on the edge: {note}" for note in self.safety.edge_notes)
        return (f"{head}\n  safety     {self.safety.value:.6g}  ({self.safety.sense} of {self.safety.query} over "
                f"{', '.join(self.safety.choice) or 'nothing'}: {self.safety.location})"
                f"\n  usefulness {self.usefulness:.6g}  ({self.usefulness_query}, honest: {honest})"
                f"{edges}\n  guarantee: {self.safety.guarantee}")

    def to_dict(self) -> dict:
        return {"safety": self.safety.to_dict(), "usefulness": self.usefulness,
                "usefulness_query": self.usefulness_query, "honest": dict(self.honest), "setting": dict(self.setting)}


def control_evaluation(net: Net, safety, usefulness, over: Sequence[str], *, sense: str = "min",
                       values: Mapping[str, float] | None = None, honest: Mapping[str, float] | None = None,
                       usefulness_net: Net | None = None, **search) -> ControlEvaluation:
    """Safety as the worst case (``sense``, default min) of ``safety`` over ``over``; usefulness honestly.

    Usefulness is ``usefulness`` on ``usefulness_net`` (default: the same net) at
    ``values`` updated by ``honest`` (e.g. ``{"beta": 0}``: the model never attacks).
    """
    one_table_each(net, "a control evaluation")
    safety, usefulness = as_query(safety), as_query(usefulness)
    use_net = usefulness_net or net
    values, honest = dict(values or {}), dict(honest or {})
    unknown = [k for k in list(values) + list(honest) if k not in net.params and k not in use_net.params]
    if unknown:
        known = sorted(set(net.params) | set(use_net.params))
        raise ParameterError("control evaluation", f"unknown parameter {unknown[0]!r}",
                             fix=f"use one of: {', '.join(known) or 'the nets have none'}")
    own = lambda n, vals: {k: v for k, v in vals.items() if k in n.params}
    worst = worst_case(net, safety, over, sense, values=own(net, values), **search)
    use = float(usefulness.value(use_net, own(use_net, {**values, **honest})))
    return ControlEvaluation(worst, use, str(usefulness), honest)


@dataclass
class ControlFrontier:
    """Control evaluations along a protocol parameter (for example the defer threshold)."""

    parameter: str
    points: list[ControlEvaluation]

    def __str__(self) -> str:
        lines = [f"{self.parameter:>12}  {'safety':>10}  {'usefulness':>10}  red team"]
        for p in self.points:
            w = p.safety
            red = ", ".join(f"{k}∈[{w.optimum[k][0]:.4g}, {w.optimum[k][1]:.4g}]"
                            if w.flat and w.optimum[k][1] > w.optimum[k][0] else f"{k}={x:.4g}"
                            for k, x in w.choice.items())
            lines.append(f"{p.setting[self.parameter]:>12.6g}  {p.safety.value:>10.6g}  {p.usefulness:>10.6g}  {red}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"parameter": self.parameter, "points": [p.to_dict() for p in self.points]}


def control_frontier(net: Net, safety, usefulness, over: Sequence[str], parameter: str, settings: Sequence[float],
                     **kw) -> ControlFrontier:
    """:func:`control_evaluation` at each value of the protocol ``parameter``: the safety/usefulness trade-off."""
    base = dict(kw.pop("values", None) or {})
    points = []
    for s in settings:
        ev = control_evaluation(net, safety, usefulness, over, values={**base, parameter: float(s)}, **kw)
        ev.setting = {parameter: float(s)}
        points.append(ev)
    return ControlFrontier(parameter, points)
