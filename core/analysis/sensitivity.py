"""Sensitivities: derivatives of a query with respect to parameters, ranked.

Two ways, and the result says which was used:

- *symbolic*: for a small net, the query is evaluated with the parameters as sympy
  symbols and differentiated exactly;
- *central differences*: otherwise, the base point and four perturbed points per
  parameter (``p ± h``, ``p ± 2h``: the fourth-order five-point stencil) are the sweep
  axis of one batched contraction, with ``h = 6e-6·max(1, |p|)``. Near the edges of a
  parameter's domain, second-order three-point formulas (central, then one-sided)
  keep every evaluated point admissible. (Complex-step differentiation would need complex
  kernel entries, which the evaluator does not carry.)

Integer parameters get the difference ``q(p + 1) − q(p)`` instead (``q(p) − q(p − 1)``
at the top of the domain). The elasticity ``(p / q)·dq/dp`` is the relative change of
the query per relative change of the parameter, comparable across units.

>>> from markovwire import FinSet, Kernel, Net, Parameter
>>> from markovwire.analysis.query import Query
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> beta, r = Parameter("beta", (0, 1), default=0.1), Parameter("r", (0, 1), default=0.7)
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([1 - beta, beta], [], [Act], params=[beta]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [1 - r, r]], [Act], [V], params=[r]), ["act"], ["verdict"])
>>> print(sensitivities(net, Query.probability({"verdict": "flag"})))
P(verdict=flag) = 0.115 (symbolic derivatives)
  parameter       value   dq/dp      elasticity
  beta            0.1     0.65       0.565217
  r               0.7     0.1        0.608696
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np
import sympy

from ..errors import ParameterError, ShapeError
from ..net import Net
from ..params import resolve_values
from .query import as_query, one_table_each

SYMBOLIC_ENTRIES = 600   # kernel entries, all boxes together, below which "auto" differentiates symbolically
SYMBOLIC_WIRES = 14


@dataclass
class Sensitivity:
    """One parameter's derivative (or integer difference) and elasticity at a point."""

    parameter: str
    at: float
    derivative: float
    elasticity: float
    kind: str = "derivative"

    def to_dict(self) -> dict:
        return {"parameter": self.parameter, "at": self.at, "derivative": self.derivative,
                "elasticity": None if math.isnan(self.elasticity) else self.elasticity, "kind": self.kind}


@dataclass
class SensitivityTable:
    """Derivatives of one query at one point, ranked: what matters most first."""

    query: str
    value: float
    method: str
    rows: list[Sensitivity]
    ranked_by: str = "derivative"

    def __getitem__(self, name: str) -> Sensitivity:
        for r in self.rows:
            if r.parameter == name:
                return r
        raise KeyError(name)

    def __str__(self) -> str:
        head = f"{self.query} = {self.value:.6g} ({self.method})"
        width = max([9] + [len(r.parameter) for r in self.rows])
        lines = [head, f"  {'parameter':<{width}}       value   dq/dp      elasticity"]
        for r in self.rows:
            mark = " (Δ=1)" if r.kind != "derivative" else ""
            el = "—" if math.isnan(r.elasticity) else f"{r.elasticity:.6g}"
            lines.append(f"  {r.parameter:<{width}}       {r.at:<7.6g} {r.derivative:<10.6g} {el}{mark}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {"query": self.query, "value": self.value, "method": self.method, "ranked_by": self.ranked_by,
                "rows": [r.to_dict() for r in self.rows]}


def sensitivities(net: Net, query, params: Sequence[str] | None = None, values: Mapping[str, float] | None = None,
                  *, method: str = "auto", rank_by: str = "derivative") -> SensitivityTable:
    """``dq/dp`` for each parameter (default: every parameter the net uses) at ``values`` (defaults for the rest).

    ``method`` is ``"auto"`` (symbolic for a small net), ``"symbolic"`` or ``"numeric"``;
    rows are ranked by ``|dq/dp|`` or, with ``rank_by="elasticity"``, by ``|elasticity|``.
    """
    one_table_each(net, "a sensitivity")
    query = as_query(query)
    if method not in ("auto", "symbolic", "numeric"):
        raise ShapeError("sensitivities", f"unknown method {method!r}", fix="use 'auto', 'symbolic' or 'numeric'")
    if rank_by not in ("derivative", "elasticity"):
        raise ShapeError("sensitivities", f"cannot rank by {rank_by!r}", fix="rank by 'derivative' or 'elasticity'")
    names = sorted(net.free_parameters) if params is None else list(params)
    unknown = [n for n in names if n not in net.params]
    if unknown:
        raise ParameterError("sensitivities", f"unknown parameter {unknown[0]!r}",
                             fix=f"use one of: {', '.join(sorted(net.params)) or 'the net has none'}")
    point = resolve_values(net.params, dict(values or {}), set(names) | net.free_parameters, where="sensitivities")
    for k, v in point.items():
        if np.ndim(v):
            raise ParameterError(f"sensitivities, parameter {k!r}", "is given an array of values",
                                 fix="differentiate at one point at a time")
    point = {k: float(v) for k, v in point.items()}
    cont = [n for n in names if not net.params[n].integer]
    use_symbolic = method == "symbolic" or (method == "auto" and _small(net))
    derivs: dict[str, float] = {}
    if use_symbolic and cont:
        value, derivs = _symbolic(net, query, cont, point)
        how = "symbolic derivatives"
    else:
        value = float(query.value(net, point))
        if cont:
            derivs = _central(net, query, cont, point, value)
            how = "central differences in one batched evaluation"
        else:
            how = "integer differences"
    if not cont:
        value = float(query.value(net, point))
    rows = []
    for n in names:
        if n in derivs:
            d, kind = derivs[n], "derivative"
        else:
            d, kind = _integer_difference(net, query, n, point, value), "difference"
        el = point[n] * d / value if value != 0 else math.nan
        rows.append(Sensitivity(n, point[n], float(d), float(el), kind))
    key = (lambda r: -abs(r.derivative)) if rank_by == "derivative" else (
        lambda r: -abs(r.elasticity) if not math.isnan(r.elasticity) else 0.0)
    rows.sort(key=key)
    return SensitivityTable(str(query), value, how, rows, rank_by)


def derivative(net: Net, query, param: str, values: Mapping[str, float] | None = None, method: str = "auto") -> float:
    """``dq/dparam`` at ``values`` (one number)."""
    return sensitivities(net, query, [param], values, method=method)[param].derivative


def _small(net: Net) -> bool:
    """Whether symbolic differentiation is cheap: a small net whose entries are rational functions of the
    parameters (a parameter in an exponent, as in best-of-n's ``F**n``, makes sympy's expansion explode)."""
    if getattr(net, "is_episode", False) or sum(b.kernel.array.size for b in net.boxes) > SYMBOLIC_ENTRIES \
            or len(net.wires) > SYMBOLIC_WIRES:
        return False
    return all(e.is_rational_function() for b in net.boxes if b.kernel.is_symbolic
               for e in b.kernel.array.flat if isinstance(e, sympy.Basic))


def _symbolic(net, query, names, point):
    expr = sympy.sympify(query.value(net, symbolic=True))
    subs = {net.params[k].symbol: v for k, v in point.items()}
    value = float(expr.subs(subs))
    derivs = {n: float(sympy.diff(expr, net.params[n].symbol).subs(subs)) for n in names}
    return value, derivs


def _central(net, query, names, point, value) -> dict[str, float]:
    """Derivatives from up to four extra points per parameter, all evaluated in one batch."""
    stencils = []     # (name, centre weight, offsets, weights)
    for n in names:
        lo, hi = net.params[n].domain
        x = point[n]
        h = 6e-6 * max(1.0, abs(x))
        if hi > lo:
            h = min(h, (hi - lo) / 4)
        if lo <= x - 2 * h and x + 2 * h <= hi:     # (f(x−2h) − 8 f(x−h) + 8 f(x+h) − f(x+2h)) / 12h
            stencils.append((n, 0.0, (-2 * h, -h, h, 2 * h), tuple(w / (12 * h) for w in (1, -8, 8, -1))))
        elif lo <= x - h and x + h <= hi:
            stencils.append((n, 0.0, (-h, h), (-0.5 / h, 0.5 / h)))
        elif x + 2 * h <= hi:                       # (−3 f0 + 4 f(x+h) − f(x+2h)) / 2h
            stencils.append((n, -1.5 / h, (h, 2 * h), (2 / h, -0.5 / h)))
        elif lo <= x - 2 * h:                       # (3 f0 − 4 f(x−h) + f(x−2h)) / 2h
            stencils.append((n, 1.5 / h, (-h, -2 * h), (-2 / h, 0.5 / h)))
        else:                                       # a one-point domain: nothing to vary
            stencils.append((n, 0.0, (), ()))
    columns = {k: [v + o if k == n else v for n, _, offsets, _ in stencils for o in offsets]
               for k, v in point.items()}
    n_points = sum(len(s[2]) for s in stencils)
    f = np.asarray(query.value(net, {k: np.array(v) for k, v in columns.items()}), dtype=float).reshape(-1) \
        if n_points else np.zeros(0)
    out, start = {}, 0
    for n, w0, offsets, weights in stencils:
        vals = f[start: start + len(offsets)]
        start += len(offsets)
        out[n] = float(w0 * value + sum(w * v for w, v in zip(weights, vals)))
    return out


def _integer_difference(net, query, name, point, value) -> float:
    lo, hi = net.params[name].domain
    x = point[name]
    if x + 1 <= hi:
        return float(query.value(net, {**point, name: x + 1})) - value
    if x - 1 >= lo:
        return value - float(query.value(net, {**point, name: x - 1}))
    return 0.0
