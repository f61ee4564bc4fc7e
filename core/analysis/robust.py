"""Robustness certificates: how far a query can move when boxes are only approximately right.

A box may carry a total-variation radius ``ε_b``: reality's kernel differs from the
model's by at most ``ε_b`` in every row. Markov kernels contract total variation, and
TV is subadditive under sequential and parallel composition, so the joint law of the
wires moves by at most the sum of the radii of the boxes it depends on (ALIGNMENT §5
items 2–3; copy, discard and boxes that cannot reach the query's wires contribute 0).
For a function ``f`` with range ``[m, M]``, ``|E f − E' f| <= (M − m)·Σ ε_b``; over
``T`` unrolled steps the sum is ``T·ε``. With evidence ``E`` the bound becomes
``(M − m)·δ / (P(E) − δ)`` (proof: ``g = 1_E (f − E[f|E])`` has range ``M − m`` and
``E g = 0``, so ``Q(E)·|E_Q[f|E] − E_P[f|E]| <= (M − m)·δ``, and ``Q(E) >= P(E) − δ``).

>>> from markovwire import FinSet, Kernel, Net
>>> from markovwire.analysis.query import Query
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> print(tv_band(net, Query.probability({"act": "attack"}), {"policy": 0.01, "monitor": 0.05}))
P(act=attack) = 0.1 ± 0.01 → [0.09, 0.11]
  radii: policy 0.01; cannot influence the query: monitor
  exact worst case: [0.09, 0.11] (vertex enumeration: the linear programme for 'policy')

The composition bound is sound but may be loose; next to it :func:`tv_band` gives the
exact worst case when every box with a radius may move anywhere in its TV ball
(:class:`~markovwire.analysis.credal.TVBallKernel`): the query is multilinear in the
boxes' kernels, so :func:`~markovwire.analysis.credal.credal_bounds` is exact (the
vertices of every ball but one, the last one's linear programme). Moving 1% of the
policy's mass between clean and attack moves P(flag) by 0.01·(0.7 − 0.05) only:

>>> print(tv_band(net, Query.probability({"verdict": "flag"}), {"policy": 0.01}))
P(verdict=flag) = 0.115 ± 0.01 → [0.105, 0.125]
  radii: policy 0.01
  exact worst case: [0.1085, 0.1215] (vertex enumeration: the linear programme for 'policy')
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from .. import display
from ..errors import ContractionTooLarge, ParameterError, UnknownName
from ..kernel import Kernel
from ..multistep import distribution_after, transition_matrix
from ..net import Net
from .flow import ancestor_boxes
from .query import Query, as_query, one_table_each


@dataclass
class RobustBand:
    """A query's point value and the band certified by the total-variation composition bound, and the exact
    worst case over the boxes' TV balls (``exact_lower``/``exact_upper``; None, with ``exact_note`` saying why,
    when it was not computed)."""

    query: str
    value: object
    half_width: object
    lower: object
    upper: object
    radii: dict[str, float]
    ignored: list[str] = field(default_factory=list)
    note: str = ""
    exact_lower: object = None    # the exact worst case over the TV balls (None: not computed, see exact_note)
    exact_upper: object = None
    exact_method: str = ""
    exact_note: str = ""          # why the exact worst case was not computed

    def __str__(self) -> str:
        if np.ndim(self.value):
            head = (f"{self.query}: {np.size(self.value)} sweep points, "
                    f"band half-width up to {np.max(self.half_width):.6g}")
        else:
            head = (f"{self.query} = {self.value:.6g} ± {self.half_width:.6g} → "
                    f"[{self.lower:.6g}, {self.upper:.6g}]")
        used = "; ".join(f"{b} {e:g}" for b, e in self.radii.items()) or "none"
        lines = [head, f"  radii: {used}" + (f"; cannot influence the query: {', '.join(self.ignored)}"
                                            if self.ignored else "")]
        if self.note:
            lines.append(f"  note: {self.note}")
        if self.exact_lower is not None:
            lines.append(f"  exact worst case: [{self.exact_lower:.6g}, {self.exact_upper:.6g}] ({self.exact_method})")
        elif self.exact_note:
            lines.append(f"  exact worst case not computed: {self.exact_note}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        exact = (f"[{self.exact_lower:.6g}, {self.exact_upper:.6g}] ({self.exact_method})"
                 if self.exact_lower is not None else self.exact_note and f"not computed: {self.exact_note}")
        return display.fields(f"TV band of {self.query}", [
            ("value", self.value), ("half-width", self.half_width), ("lower", self.lower), ("upper", self.upper),
            ("radii", "; ".join(f"{b} {e:g}" for b, e in self.radii.items()) or "none"),
            ("cannot influence the query", ", ".join(self.ignored)), ("exact worst case", exact),
            ("note", self.note)])

    def to_dict(self) -> dict:
        conv = lambda x: np.asarray(x).tolist() if np.ndim(x) else float(x)
        return {"query": self.query, "value": conv(self.value), "half_width": conv(self.half_width),
                "lower": conv(self.lower), "upper": conv(self.upper), "radii": dict(self.radii),
                "ignored": list(self.ignored), "note": self.note,
                "exact": None if self.exact_lower is None else {"lower": float(self.exact_lower),
                                                                "upper": float(self.exact_upper),
                                                                "method": self.exact_method},
                "exact_note": self.exact_note}


def tv_band(net: Net, query, radii: Mapping[str, float], values: Mapping[str, object] | None = None, *,
            max_combinations: int = 20_000, no_exact: str = "") -> RobustBand:
    """The query's value and the band ``value ± (M − m)·Σ ε_b`` over the boxes it depends on, with the
    exact worst case over the boxes' TV balls next to it (:func:`exact_worst_case`).

    ``radii`` maps box names to TV radii in [0, 1]. The band is clipped to the range
    of the query's function, which always holds the true value. The exact worst case is
    left out, with the reason in ``exact_note``, when it needs more than
    ``max_combinations`` vertex combinations, for a sweep, or when ``no_exact`` gives a reason.
    """
    one_table_each(net, "a robustness band")
    query = as_query(query)
    radii = _radii(net, radii)
    relevant = set(ancestor_boxes(net, list(query.wires) + [w for w, _ in query.given]))
    used = {b: e for b, e in radii.items() if b in relevant and e > 0}
    ignored = [b for b, e in radii.items() if b not in relevant and e > 0]
    delta = min(1.0, sum(used.values()))
    value = query.value(net, values)
    lo_f, hi_f = query.range(net)
    spread = hi_f - lo_f
    note = ""
    if query.given:
        pe = np.asarray(Query.probability(dict(query.given), at=dict(query.at)).value(net, values), dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            half = np.where(pe > delta, spread * delta / np.where(pe > delta, pe - delta, 1.0), np.inf)
        note = "conditional query: half-width (M − m)·δ / (P(evidence) − δ)"
    else:
        half = spread * delta * np.ones_like(np.asarray(value, dtype=float))
    half = np.minimum(half, spread) if spread > 0 else half * 0
    lower = np.maximum(np.asarray(value) - half, lo_f)
    upper = np.minimum(np.asarray(value) + half, hi_f)
    scalar = lambda x: float(x) if np.ndim(x) == 0 else x
    band = RobustBand(str(query), scalar(value), scalar(half), scalar(lower), scalar(upper), used, ignored, note)
    return with_exact(band, no_exact or _unaffordable(query, values),
                      lambda: exact_worst_case(net, query, used, values, max_combinations))


class Unaffordable(Exception):
    """The exact worst case was not computed; the message says why (it becomes the band's ``exact_note``)."""


def with_exact(band: RobustBand, reason: str, compute) -> RobustBand:
    """``band`` with the exact worst case ``compute()`` gives, or with the reason it was not computed."""
    if not reason:
        try:
            band.exact_lower, band.exact_upper, band.exact_method = compute()
        except Unaffordable as e:
            reason = str(e)
        except ContractionTooLarge as e:      # the band stands; the exact worst case needs a larger contraction
            reason = f"{e.what}" + (f"; {e.fix}" if e.fix else "")
    band.exact_note = reason
    return band


def composite(names) -> str:
    """Why the exact worst case is not computed when radii belong to instances made of several boxes."""
    names = list(names)
    return (f"{', '.join(names)} {'is' if len(names) == 1 else 'are'} made of several boxes: a radius bounds the "
            "composite kernel, which the exact worst case (a TV ball per box) does not model") if names else ""


def _unaffordable(query, values) -> str:
    if not query.is_linear or query.kind == "distribution":
        return f"{query.kind} queries are not linear in the kernels"
    swept = [k for k, v in dict(values or {}).items() if np.ndim(v)]
    if swept:
        return (f"{', '.join(swept)} {'is' if len(swept) == 1 else 'are'} swept; the exact worst case is computed at "
                "one point (use --point, or --set a value)")
    return ""


def tv_balls(net: Net, radii: Mapping[str, float], values: Mapping[str, object] | None = None) -> dict:
    """Each box with a radius as its TV ball around its kernel at ``values``."""
    from .credal import TVBallKernel

    values = dict(values or {})
    out = {}
    for b, e in radii.items():
        k = net.box(b).kernel
        out[b] = TVBallKernel(k.subs({p: v for p, v in values.items() if p in k.params}), e, name=b)
    return out


def vertex_budget(balls: Mapping[str, object], max_combinations: int, keep_one: bool) -> None:
    """Raise :class:`Unaffordable` when the balls' vertex combinations (all but the largest if ``keep_one``,
    the one solved by its linear programme) exceed ``max_combinations``."""
    if keep_one and len(balls) < 2:
        return
    counts = sorted((s.n_vertices, b) for b, s in balls.items())
    solved = ""
    if keep_one:
        solved = f" (with {counts[-1][1]} solved by its linear programme)"
        counts = counts[:-1]
    total = math.prod(n for n, _ in counts)
    if total > max_combinations:
        names = ", ".join(b for _, b in counts)
        need = (f"the TV balls of {names} have too many vertex combinations to enumerate{solved}"
                if math.isinf(total) else f"it needs {total:,} vertex combinations of the TV balls of {names}{solved}")
        raise Unaffordable(f"{need}, over the budget of {max_combinations:,}; give fewer instances a radius "
                           "(tv_radius, --tv), or raise max_combinations in Python (tv_band)")


def _outside(net: Net, balls: Mapping[str, object], values) -> dict:
    """``values`` without the parameters only the balls' boxes use (their kernels are numbers now)."""
    inside = {s.name for b in net.boxes if b.name in balls for s in b.kernel.free_symbols}
    outside = {s.name for b in net.boxes if b.name not in balls for s in b.kernel.free_symbols}
    return {k: v for k, v in dict(values or {}).items() if k not in inside - outside}


def exact_worst_case(net: Net, query, radii: Mapping[str, float], values: Mapping[str, object] | None = None,
                     max_combinations: int = 20_000) -> tuple[float, float, str]:
    """``(lower, upper, method)``: the query's extremes when each box in ``radii`` may be any kernel within its
    TV radius of the model's (row by row). Exact: the query is multilinear in the boxes' kernels, so
    :func:`~markovwire.analysis.credal.credal_bounds` enumerates the vertices of every ball but one and solves
    the last one's linear programme (the greedy). Raises :class:`Unaffordable` past ``max_combinations``."""
    one_table_each(net, "the exact worst case over TV balls")
    from .credal import credal_bounds

    balls = tv_balls(net, {b: e for b, e in radii.items() if e > 0}, values)
    vertex_budget(balls, max_combinations, keep_one=True)
    res = credal_bounds(net, query, boxes=balls, values=_outside(net, balls, values),
                        max_combinations=max_combinations)
    if not res.exact:
        raise Unaffordable(f"credal bounds gave only an inner bound ({res.method})")
    return res.lower, res.upper, res.method


def _radii(net: Net, radii: Mapping[str, float]) -> dict[str, float]:
    names = [b.name for b in net.boxes]
    out = {}
    for b, e in dict(radii).items():
        if b not in names:
            raise UnknownName("TV radii", f"name box {b!r}, which is not in the net",
                              fix=f"use box names: {', '.join(names)}")
        e = float(e)
        if not 0 <= e <= 1:
            raise ParameterError(f"TV radius of box {b!r}", f"{e:g} is outside [0, 1]",
                                 fix="give a total-variation radius between 0 and 1")
        out[b] = e
    return out


def chain_tv_band(step, initial, f, steps: int, eps: float) -> RobustBand:
    """``E[f(X_T)]`` for a chain and its band ``(M − m)·T·ε`` when every step is within TV ``ε``.

    >>> import numpy as np
    >>> real = np.array([[0.99, 0.01], [0.0, 1.0]])      # 1% failure hazard per step, failure absorbing
    >>> band = chain_tv_band(real, [1.0, 0.0], [0.0, 1.0], 10, 0.005)
    >>> round(band.value, 6), band.half_width
    (0.095618, 0.05)

    The exact worst case is the lower transition operator over the step's TV ball (exact when the step may
    change every time): the hazard moves to 0.015, and the absorbing row may give back 0.005 each step.

    >>> [round(x, 6) for x in (band.exact_lower, (1 - 0.99**10) / 2, band.exact_upper, 1 - 0.985**10)]
    [0.047809, 0.047809, 0.14027, 0.14027]
    """
    M = transition_matrix(step)
    x0 = np.asarray(initial, dtype=float).reshape(-1)
    x = distribution_after(M, initial, steps)
    fv = np.asarray(f, dtype=float)
    value = float(x @ fv)
    if not 0 <= eps <= 1:
        raise ParameterError("TV radius", f"{eps:g} is outside [0, 1]", fix="give a radius between 0 and 1")
    spread = float(fv.max() - fv.min())
    half = min(spread, spread * steps * eps)
    band = RobustBand(f"E[f(X_{steps})]", value, half, max(value - half, float(fv.min())),
                      min(value + half, float(fv.max())), {"step": eps}, [],
                      f"{steps} steps × radius {eps:g}")
    from ..types import Range
    from .credal import TVBallKernel, chain_bounds

    S = Range(len(M))
    exact = chain_bounds(TVBallKernel(Kernel(M, [S], [S], check=False), eps), fv, steps, x0)
    band.exact_lower, band.exact_upper, band.exact_method = exact.lower, exact.upper, exact.method
    return band


def tv_from_kl(kl: float) -> float:
    """Pinsker's inequality: a KL divergence (nats) bounds the TV distance by ``sqrt(KL / 2)``."""
    if kl < 0:
        raise ParameterError("KL divergence", f"{kl:g} is negative", fix="give a KL divergence >= 0 (in nats)")
    return float(min(1.0, np.sqrt(kl / 2)))


def perturbed(kernel: Kernel, eps: float, rng: np.random.Generator) -> Kernel:
    """A random kernel within TV ``eps`` of ``kernel``: ``(1 − t)·k + t·r`` with ``r`` random and ``t = eps``."""
    base = np.asarray(kernel.subs().array, dtype=float)
    n_in = len(kernel.dom)
    noise = rng.dirichlet(np.ones(int(np.prod(base.shape[n_in:], dtype=int))), size=int(np.prod(base.shape[:n_in],
                                                                                                 dtype=int)))
    r = noise.reshape(base.shape)
    return Kernel((1 - eps) * base + eps * r, kernel.dom, kernel.cod, name=f"{kernel.name} (perturbed)")
