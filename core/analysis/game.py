"""Control games: the blue team's best protocol against the red team's best reply, and the safety–usefulness frontier.

A control evaluation is a zero-sum game. Blue (the protocol's designers) chooses
parameters (a threshold, an audit rate) or the kernel of an instance (an auditor that
sees the monitor's score); red (the untrusted model's designers) does the same for its
side. The payoff is a query of the compiled :class:`~markovwire.model.Model` (safety),
blue maximising it. A query carries its own conditions, so usefulness is measured
against the honest model by the query itself (``inputs: {intent: honest}``) and safety
against red's best reply.

- **Finite game, exact by LP.** Each side's pure options are a grid over its parameters
  times the deterministic kernels of its instances over what they observe. The payoff
  matrix ``M[i, j]`` is one swept contraction over the product (the kernels enter as
  selector inputs). Blue's optimal mixture solves ``max v`` s.t. ``Σ_i x_i M[i, j] >= v``
  for every ``j``, ``Σ x = 1``, ``x >= 0`` and each :class:`Constraint`
  ``Σ_i x_i c(i) <= b`` (constraint queries must not depend on red's choice: checked);
  red's mixture is the LP's dual. By the minimax theorem this is the mixed equilibrium,
  and Stackelberg with blue committing first to a mixture has the same value
  (``concept`` says which). ``mixed=False``: blue commits to one pure option,
  ``max_i min_j M[i, j]`` (Stackelberg, pure commitment), red best-replies.
- **Parameters, continuous.** The grid's value is exact for the grid game. Over the
  parameters' whole ranges, blue's mixture guarantees ``min_r u(x, r)`` and red's
  guarantees ``max_b u(b, y)``: the true value lies between them. Both are searched
  (:mod:`.search`, a grid refined by Brent) and certified with a Lipschitz constant
  (``lipschitz=``); otherwise ``guarantee`` says they are the best found. A pure
  commitment is refined the same way (blue's parameters by Brent against red's grid,
  then red's best reply searched).
- **Episodes.** A kernel choice in an episode is one kernel kept for every step. When
  blue chooses one instance, its best reply to a pure red option over *time- and
  state-dependent* policies is a finite-horizon MDP on the step kernel (actions: its
  deterministic kernels), solved by backward induction. :func:`solve` adds those replies
  to blue's options (double oracle: re-solve the LP, reply to red's new mixture, stop when
  no reply improves; it terminates, red's options being finite, and all of them are in the
  matrix, so red's best reply always is). Against a pure red
  equilibrium the result is exact over every such policy; against a mixture the bracket
  ``[value, Σ_j y_j · (blue's best policy against j)]`` is certified (the best reply to a
  mixture is a POMDP, not a DP). A policy must be implementable: states that share an
  observed row of the instance need a common best kernel, else the DP is refused with a
  placed error. With constraints, or in :func:`frontier`, blue's kernels stay stationary
  (a constrained or weighted reply is not this DP; ``concept`` says so), and so they do when
  blue's ``Choice`` says ``stationary`` (the best policy kept for every step, for comparison).
- **Frontier.** For each weight ``w``, ``max_x w·U(x) + (1 − w)·min_j M(x, j)``: one LP
  per weight, and between neighbouring points the weight where they tie, until no new
  point appears, so every vertex of the (concave) frontier is found, not only those the
  weights hit; the Pareto points, each with blue's protocol and red's reply. With pure
  commitments the frontier is every protocol no other beats in both.
- **Measured kernels (robust).** ``nature={instance: credal set}`` (kernels measured from data) solves the
  game again with each set's vertices among red's options: nature's choice joins red's. In a net a box is used
  once, so an unconditional query is linear (multilinear) in the measured kernels and its minimum over the sets,
  against any mixture of blue's, is at vertices: exact. In an episode the kernel is one vertex kept for every
  step (fixed semantics, the vertices as candidates). ``Equilibrium.robust`` and each frontier point's
  ``robust_safety`` carry the result next to the point estimate's.

Matching pennies, as a net: blue guesses red's coin; safety is P(the guess is right).

>>> from markovwire import FinSet, Kernel, Net, Parameter
>>> from markovwire.analysis import Query
>>> from markovwire.model import Model
>>> C = FinSet("Coin", ["h", "t"])
>>> p, q = Parameter("p", (0, 1), default=0.5), Parameter("q", (0, 1), default=0.5)
>>> net = Net()
>>> _ = net.add_box("red", Kernel([q, 1 - q], [], [C], params=[q]), [], ["coin"])
>>> _ = net.add_box("blue", Kernel([p, 1 - p], [], [C], params=[p]), [], ["guess"])
>>> right = Query.probability([("h", "h"), ("t", "t")], ["coin", "guess"])
>>> m = Model(net, {"p": p, "q": q}, {"right": right})
>>> eq = solve(m, "right", [Choice(over=("p",), grid=2)], [Choice(over=("q",), grid=2)])
>>> round(eq.value, 9), eq.blue.weights, eq.concept.split(";")[0]
(0.5, [0.5, 0.5], 'mixed equilibrium (minimax)')

Committing to one pure option, blue's grid ``{0, 1}`` keeps nothing; Brent between grid points finds ``p = 1/2``:

>>> pure = solve(m, "right", [Choice(over=("p",), grid=2)], [Choice(over=("q",), grid=2)], mixed=False)
>>> round(pure.value, 6), round(pure.blue.options[0]["p"], 6)
(0.5, 0.5)
"""
from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field, replace
from typing import Mapping, Sequence

import numpy as np

from .. import display
from ..errors import ContractionTooLarge, ParameterError, ShapeError, UnknownName
from ..kernel import Kernel
from ..limits import check_cost, check_memory_bytes, memory_fix
from .adversary import deterministic_kernels, policy
from .search import Axis, axes_for, maximise, minimise

MAX_OPTIONS = 4096          # pure options of one side (the LP's columns or rows)
MAX_CELLS = 4_000_000       # entries of one payoff matrix
GRID = {1: 21, 2: 11}       # default grid points per parameter of a side, by its number of parameters (more: 5)
REFINE = {1: 401, 2: 41}    # points per parameter when a side's parameters are searched over their range
TOL = 1e-9                  # payoffs closer than this are ties (a constraint's dependence on red, Pareto order)
STEP_OVERHEAD = 1000        # operations one step of backward induction counts besides its arithmetic (a Python loop)


# ----- what the sides choose -------------------------------------------------------------------
@dataclass(frozen=True)
class Choice:
    """What one side controls: parameters ``over`` (a grid of ``grid`` points each, inside ``bounds``), or the
    kernel of one ``instance`` reading only its input ports ``observes`` (default: all); ``stationary`` keeps
    blue's kernel for every step of an episode (no policy by step and state)."""

    over: tuple[str, ...] = ()
    instance: str | None = None
    observes: tuple[str, ...] | None = None
    bounds: Mapping[str, tuple[float, float]] | None = None
    grid: int | None = None
    stationary: bool = False

    def __post_init__(self):
        object.__setattr__(self, "over", (self.over,) if isinstance(self.over, str) else tuple(self.over))
        if self.observes is not None:
            obs = (self.observes,) if isinstance(self.observes, str) else tuple(self.observes)
            object.__setattr__(self, "observes", obs)
        if bool(self.over) == (self.instance is not None):
            raise ShapeError("game choice", "names both parameters and an instance" if self.over else
                             "names neither parameters nor an instance",
                             fix="give over=[parameters] or instance=NAME (one choice each)")
        if self.stationary and self.instance is None:
            raise ShapeError("game choice", "is stationary but chooses parameters (they are kept for every step)",
                             fix="drop stationary=True, or give it to a choice of an instance")
        if self.instance is not None and (self.bounds or self.grid is not None):
            raise ShapeError(f"game choice of instance {self.instance!r}", "has bounds or a grid, which are for "
                             "parameters", fix="drop bounds and grid (an instance's options are its deterministic "
                             "kernels)")


@dataclass(frozen=True)
class Constraint:
    """A query blue's protocol must keep in range, whatever red does (e.g. the audit rate on honest traffic)."""

    query: str
    at_most: float | None = None
    at_least: float | None = None

    def __post_init__(self):
        if self.at_most is None and self.at_least is None:
            raise ShapeError(f"constraint on {self.query!r}", "has neither at_most nor at_least",
                             fix="give at_most: x or at_least: x")

    def __str__(self) -> str:
        parts = [f"{self.query} <= {self.at_most:g}" if self.at_most is not None else "",
                 f"{self.query} >= {self.at_least:g}" if self.at_least is not None else ""]
        return " and ".join(p for p in parts if p)


@dataclass
class Strategy:
    """One side's strategy: pure options (parameter values, or kernel tables as policies) with mixture weights."""

    options: list[dict]
    weights: list[float]

    @property
    def pure(self) -> bool:
        return len(self.options) == 1

    def to_dict(self) -> dict:
        return {"options": [dict(o) for o in self.options], "weights": [float(w) for w in self.weights]}

    def __str__(self) -> str:
        return "; ".join(f"{w:.4g} × {_show_option(o)}" if not self.pure else _show_option(o)
                         for o, w in zip(self.options, self.weights))


@dataclass
class Equilibrium:
    """The value of the game, both strategies, the solution concept and what is guaranteed about the value."""

    value: float
    blue: Strategy
    red: Strategy
    concept: str
    bracket: tuple[float, float] | None
    guarantee: str
    constraints: dict[str, float] = field(default_factory=dict)
    safety: str = ""
    robust: "Equilibrium | None" = None     # the game again with credal sets' kernels on red's side

    def to_dict(self) -> dict:
        out = {"value": float(self.value), "blue": self.blue.to_dict(), "red": self.red.to_dict(),
               "concept": self.concept, "bracket": None if self.bracket is None else [float(b) for b in self.bracket],
               "guarantee": self.guarantee, "constraints": {k: float(v) for k, v in self.constraints.items()},
               "safety": self.safety}
        if self.robust is not None:
            out["robust"] = self.robust.to_dict()
        return out

    def __str__(self) -> str:
        lines = [f"{self.safety or 'value'} = {self.value:.6g}  ({self.concept})",
                 f"  blue: {self.blue}".replace("\n", "\n    "), f"  red:  {self.red}"]
        lines += [f"  constraint {k} = {v:.6g}" for k, v in self.constraints.items()]
        lines.append(f"  guarantee: {self.guarantee}")
        if self.robust is not None:
            r = self.robust
            lines += [f"robust {self.safety or 'value'} = {r.value:.6g}  (point estimate {self.value:.6g}; "
                      f"{r.concept})", f"  blue: {r.blue}", f"  red:  {r.red}"]
            lines += [f"  constraint {k} = {v:.6g}" for k, v in r.constraints.items()]
            lines.append(f"  guarantee: {r.guarantee}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return display.fields(f"equilibrium of {self.safety}", [
            ("value", self.value), ("concept", self.concept), ("blue", str(self.blue)), ("red", str(self.red)),
            *((f"constraint {k}", v) for k, v in self.constraints.items()), ("guarantee", self.guarantee),
            *((("robust value", r.value), ("robust concept", r.concept), ("robust blue", str(r.blue)),
               ("robust red", str(r.red))) if (r := self.robust) is not None else ())])


@dataclass
class FrontierPoint:
    """One point of the safety–usefulness frontier: the weight of usefulness, the values, and both strategies."""

    weight: float | None
    safety: float
    usefulness: float
    blue: Strategy
    red: Strategy
    robust_safety: float | None = None     # this protocol's safety when nature chooses measured kernels with red

    def to_dict(self) -> dict:
        out = {"weight": None if self.weight is None else float(self.weight), "safety": float(self.safety),
               "usefulness": float(self.usefulness),
               "blue": self.blue.to_dict(), "red": self.red.to_dict()}
        if self.robust_safety is not None:
            out["robust_safety"] = float(self.robust_safety)
        return out


@dataclass
class Frontier:
    """The Pareto points of safety (against red's best reply) and usefulness, from safest to most useful."""

    points: list[FrontierPoint]
    safety: str
    usefulness: str
    concept: str
    robust: str = ""         # what robust_safety means, when the points carry it

    def to_dict(self) -> dict:
        out = {"points": [p.to_dict() for p in self.points], "safety": self.safety, "usefulness": self.usefulness,
               "concept": self.concept}
        if self.robust:
            out["robust"] = self.robust
        return out

    def dominates(self, safety: float, usefulness: float, tol: float = 1e-9) -> bool:
        """Whether some protocol on the frontier is at least as safe and as useful as ``(safety, usefulness)``.

        With mixtures (``concept`` mixed), a mixture of two neighbouring frontier protocols is at least as safe
        as the interpolation of their safeties (the worst case is concave in the mixture) and exactly as useful,
        so the segments between points count too.
        """
        pts = sorted(((p.usefulness, p.safety) for p in self.points))
        if any(u >= usefulness - tol and s >= safety - tol for u, s in pts):
            return True
        if not self.concept.startswith("mixed"):
            return False
        for (u0, s0), (u1, s1) in zip(pts, pts[1:]):
            if u0 - tol <= usefulness <= u1 + tol and u1 > u0:
                t = min(max((usefulness - u0) / (u1 - u0), 0.0), 1.0)
                if s0 + t * (s1 - s0) >= safety - tol:
                    return True
        return False

    def __str__(self) -> str:
        weight = lambda p: "-" if p.weight is None else format(p.weight, ".3g")
        if self.robust:
            lines = [f"{'weight':>7}  {'safety [robust, point]':>24}  {'usefulness':>10}  blue  |  red"]
            lines += [f"{weight(p):>7}  {f'[{p.robust_safety:.6g}, {p.safety:.6g}]':>24}  {p.usefulness:>10.6g}  "
                      f"{p.blue}  |  {p.red}" for p in self.points]
        else:
            lines = [f"{'weight':>7}  {'safety':>10}  {'usefulness':>10}  blue  |  red"]
            lines += [f"{weight(p):>7}  {p.safety:>10.6g}  {p.usefulness:>10.6g}  {p.blue}  |  {p.red}"
                      for p in self.points]
        lines.append(f"  ({self.safety} against red's best reply; {self.usefulness}; {self.concept})")
        return "\n".join(lines + ([f"  ({self.robust})"] if self.robust else []))

    def _repr_html_(self) -> str:
        robust = [f"robust {self.safety}"] if self.robust else []
        return display.table(["weight", self.safety, *robust, self.usefulness, "blue", "red"],
                             [[p.weight, p.safety, *([p.robust_safety] if robust else []), p.usefulness, str(p.blue),
                               str(p.red)] for p in self.points],
                             caption=f"safety–usefulness frontier ({self.concept})" + (f"; {self.robust}"
                                                                                       if robust else ""))


# ----- a side's pure options -------------------------------------------------------------------
class _Side:
    """A side's pure options: a grid over its parameters (``points``, one array per parameter) times every
    combination of deterministic kernels of its instances (``kernels``, one list per instance)."""

    def __init__(self, model, who: str, choices: Sequence[Choice], taken: set,
                 nature: Mapping[str, object] | None = None):
        self.who = who
        self.axes: list[Axis] = []
        self.grids: list[int | None] = []
        self.instances: dict[str, tuple[Kernel, tuple[str, ...] | None, list[Kernel]]] = {}
        self.nature = tuple(nature or ())          # instances whose options are their credal set's vertices
        self.stationary = [c.instance for c in ([choices] if isinstance(choices, Choice) else choices)
                           if isinstance(c, Choice) and c.stationary]
        step = model.target.step if model.is_episode else model.target
        for c in (choices if not isinstance(choices, Choice) else [choices]):
            if not isinstance(c, Choice):
                raise ShapeError(f"game, {who}'s choices", f"{c!r} is not a Choice",
                                 fix="give Choice(over=[...]) or Choice(instance=...)")
            if c.over:
                structural = [n for n in c.over if n in model.structural]
                if structural:
                    raise ParameterError(f"game, {who}'s parameter {structural[0]!r}", "sizes a type or counts "
                                         "steps: it is fixed when the proposal is compiled",
                                         fix="compile the proposal once per value and compare the results")
                axes = axes_for(model.parameters, c.over, c.bounds, where=f"game, {who}'s choice")
                self.axes += axes
                self.grids += [c.grid] * len(axes)
            else:
                names = [b.name for b in step.boxes]
                if c.instance not in names:
                    raise UnknownName(f"game, {who}'s choice", f"the proposal has no instance {c.instance!r}",
                                      fix=f"choose one of: {', '.join(names)}")
                if c.instance in self.instances:
                    raise ShapeError(f"game, {who}'s choice", f"names instance {c.instance!r} twice",
                                     fix="name each instance once")
                kern = step.box(c.instance).kernel           # its signature: the options replace its table
                observes = tuple(p.name for p in kern.dom) if c.observes is None else c.observes
                count = _deterministic_count(kern, observes, f"game, {who}'s instance {c.instance!r}")
                if count > MAX_OPTIONS:
                    raise ShapeError(f"game, {who}'s instance {c.instance!r}",
                                     f"has {_count_text(count)} deterministic policies over what it observes "
                                     f"({', '.join(observes) or 'nothing'}), more than {MAX_OPTIONS:,}",
                                     fix="let it observe fewer ports (observes: [...]) or bin the observed types "
                                         "more coarsely", box=c.instance)
                self.instances[c.instance] = (kern, observes, deterministic_kernels(kern, observes))
        for inst, credal in dict(nature or {}).items():
            self.instances[inst] = (step.box(inst).kernel, None, _vertices(inst, step.box(inst).kernel, credal, who))
        names = [a.name for a in self.axes] + list(self.instances)
        clash = [n for n in names if n in taken]
        if clash:
            raise ShapeError(f"game, {who}'s choice", f"{clash[0]!r} is chosen by both sides",
                             fix="give each parameter and instance to one side only")
        if len(set(a.name for a in self.axes)) != len(self.axes):
            raise ShapeError(f"game, {who}'s choice", "a parameter is named twice", fix="name each parameter once")
        taken |= set(names)
        sizes = _grid_sizes(self.axes, self.grids)
        self.n_kernels = math.prod(len(ks) for _, _, ks in self.instances.values())
        self.n = math.prod(sizes) * self.n_kernels
        if self.n > MAX_OPTIONS:                      # refused before any grid is built
            what = ", ".join([f"{n:,} values of {a.name}" for a, n in zip(self.axes, sizes)]
                             + [f"{len(ks):,} {'vertices of the credal set' if o is None else 'policies'} of {i}"
                                for i, (_, o, ks) in self.instances.items()])
            raise ShapeError(f"game, {who}'s choices", f"{self.n:,} pure options ({what}) exceed {MAX_OPTIONS:,}",
                             fix="use a coarser grid (grid: N), narrower bounds, or let instances observe less"
                                 + ("; or solve at the point estimate (--no-robust, robust=False)"
                                    if self.nature else ""))
        self.points = _grid_points(self.axes, self.grids)
        self.n_points = len(next(iter(self.points.values()))) if self.points else 1
        self.n = self.n_points * self.n_kernels

    @property
    def names(self) -> list[str]:
        return [a.name for a in self.axes]

    def option(self, i: int) -> dict:
        """Pure option ``i`` as data: parameter values and, per instance, its policy (observed → output)."""
        p, k = divmod(int(i), self.n_kernels)
        return self.describe({n: float(self.points[n][p]) for n in self.names}, k)

    def describe(self, point: Mapping[str, float], k: int) -> dict:
        """Parameter values ``point`` and kernel combination ``k`` as data (an option, on the grid or not)."""
        out: dict = {n: float(point[n]) for n in self.names}
        for inst, idx in zip(self.instances, self._kernel_index(k)):
            kern, observes, ks = self.instances[inst]
            out[inst] = (policy(kern, observes, ks[idx]) if observes is not None else
                         {"vertex": idx + 1, "of": len(ks), "table": np.asarray(ks[idx].array, float).tolist()})
        return out

    def _kernel_index(self, k: int) -> tuple[int, ...]:
        sizes = [len(ks) for _, _, ks in self.instances.values()]
        return tuple(int(i) for i in np.unravel_index(k, sizes)) if sizes else ()

    def strategy(self, weights: np.ndarray, cut: float = 1e-9) -> Strategy:
        w = np.where(weights > cut, weights, 0.0)
        w = w / w.sum()
        support = [int(i) for i in np.flatnonzero(w)]
        return Strategy([self.option(i) for i in support], [float(w[i]) for i in support])


def _vertices(inst: str, kern: Kernel, credal, who: str) -> list[Kernel]:
    """The vertices of an instance's credal set as kernels of its signature (refused past :data:`MAX_OPTIONS`)."""
    count = credal.n_vertices
    if count > MAX_OPTIONS:
        raise ShapeError(f"game, {who}'s credal set of {inst!r}", f"has {_count_text(count)} vertices, more "
                         f"than {MAX_OPTIONS:,}", fix="measure it with more samples or a lower confidence (narrower "
                         "intervals), bin its scores more coarsely, or solve at the point estimate (--no-robust, "
                         "robust=False)", box=inst)
    return [Kernel(a, kern.dom, kern.cod, name=f"{inst} vertex {i + 1}")
            for i, a in enumerate(credal.vertex_arrays())]


def _check_memory(nbytes: float, where: str, detail: str) -> None:
    """The memory budget's check, with the game's own ways to need less."""
    try:
        check_memory_bytes(nbytes, where, detail)
    except ContractionTooLarge as err:
        raise err.relocated(err.place, fix=memory_fix(nbytes, "; or use coarser grids (grid: N), fewer red options, "
                                                             "or let instances observe less")) from None


def _kernel_subset(side: _Side, combos: Sequence[int] | None):
    """The kernels of ``side``'s instances that the kernel combinations ``combos`` use (all when None), where
    each combination is in the product of those, and the product's size."""
    if combos is None:
        return {i: ks for i, (_, _, ks) in side.instances.items()}, np.arange(side.n_kernels), side.n_kernels
    idx = np.array([side._kernel_index(int(k)) for k in combos], dtype=int).reshape(len(combos), -1)
    kernels, pos, sizes = {}, [], []
    for c, (inst, (_, _, ks)) in enumerate(side.instances.items()):
        used = np.unique(idx[:, c])
        kernels[inst] = [ks[u] for u in used]
        pos.append(np.searchsorted(used, idx[:, c]))
        sizes.append(len(used))
    at = np.ravel_multi_index(pos, sizes) if sizes else np.zeros(len(combos), dtype=int)
    return kernels, at, math.prod(sizes)


def _deterministic_count(kern: Kernel, observes: Sequence[str], where: str) -> int:
    ports = {p.name: p for p in kern.dom}
    unknown = [o for o in observes if o not in ports]
    if unknown:
        raise UnknownName(where, f"has no input port {unknown[0]!r}",
                          fix=f"observe some of its input ports: {', '.join(ports) or 'it has none'}")
    rows = math.prod(len(ports[o].type) for o in observes)
    outs = math.prod(len(p.type) for p in kern.cod)
    return outs ** rows if rows * math.log2(max(outs, 1)) <= 64 else math.inf


def _count_text(count: float) -> str:
    """A count of policies as people read it: ``8,192``, or ``more than 10^19`` past 64 bits."""
    return f"{count:,}" if math.isfinite(count) else "more than 10^19"


def _grid_sizes(axes: Sequence[Axis], grids: Sequence[int | None]) -> list[int]:
    """The number of grid points of each parameter (checked before any grid is built)."""
    per = GRID.get(len(axes), 5)
    sizes = []
    for a, g in zip(axes, grids):
        n = per if g is None else int(g)
        if a.hi == a.lo:
            sizes.append(1)
        elif a.integer and a.hi - a.lo + 1 <= n:
            sizes.append(int(a.hi - a.lo + 1))
        elif n < 2:
            raise ParameterError(f"game, parameter {a.name!r}", f"grid of {n} point(s)",
                                 fix="use at least 2 points (both ends of the range)")
        else:
            sizes.append(n)
    return sizes


def _grid_points(axes: Sequence[Axis], grids: Sequence[int | None]) -> dict[str, np.ndarray]:
    """The product grid of a side's parameters, flattened (first parameter slowest)."""
    if not axes:
        return {}
    lines = []
    for a, n in zip(axes, _grid_sizes(axes, grids)):
        if a.hi == a.lo:
            pts = np.array([a.lo])
        elif a.integer and a.hi - a.lo + 1 <= n:
            pts = np.arange(a.lo, a.hi + 1)
        else:
            pts = np.linspace(a.lo, a.hi, n)
            pts = np.unique(np.round(pts)) if a.integer else np.clip(np.round(pts, 12), a.lo, a.hi)  # 0.02, not
        lines.append(pts.astype(float))                                                           # 0.0199…97
    mesh = np.meshgrid(*lines, indexing="ij")
    return {a.name: m.reshape(-1) for a, m in zip(axes, mesh)}


def _show_option(o: Mapping) -> str:
    parts = []
    for k, v in o.items():
        if isinstance(v, Mapping) and "vertex" in v:
            parts.append(f"{k}: vertex {v['vertex']} of {v['of']} of its credal set")
        elif isinstance(v, Mapping) and "by_state" in v:
            parts.append(_show_by_state(k, v["by_state"]))
        elif isinstance(v, Mapping):
            parts.append(f"{k}: {{" + ", ".join(f"{a or 'always'} → {b}" for a, b in v.items()) + "}")
        elif isinstance(v, str):
            parts.append(f"{k}: {v}")
        else:
            parts.append(f"{k} = {v:.6g}")
    return ", ".join(parts) or "(nothing to choose)"


def _show_by_state(inst: str, by_state: Mapping) -> str:
    """A policy by step and state as lines: per state where the choice matters, each run of steps with its rule
    (the observed labels every row of the state shares are left out: the state says them)."""
    lines = [f"{inst}, by step and state (states where the choice matters):"]
    for state, runs in by_state.items():
        lines.append(f"  {state}:")
        for run in runs:
            rows = [[f.strip() for f in a.split(",")] for a in run["policy"]]
            common = set.intersection(*map(set, rows)) if rows else set()
            when: dict[str, list[str]] = {}
            for r, b in zip(rows, run["policy"].values()):
                when.setdefault(b, []).append(", ".join(f for f in r if f not in common))
            rule = "; ".join(f"{b} at {' | '.join(w)}" if len(when) > 1 else f"{b} always" for b, w in when.items())
            first, last = run["steps"]
            lines.append(f"    step{'s' if last > first else ''} {first}{f'–{last}' if last > first else ''}: {rule}")
    return "\n".join(lines)


# ----- payoffs ---------------------------------------------------------------------------------
class _Payoff:
    """A query as a function of both sides' pure options: one swept contraction over parameter points, the
    instances' kernels entering as selector inputs (a net) or vertex combinations of the step (an episode)."""

    def __init__(self, model, query: str, blue: _Side, red: _Side, values: Mapping[str, object] | None):
        self.model, self.name, self.blue, self.red = model, query, blue, red
        self.q = model.query(query)
        self.values = dict(values or {})
        self._built: dict = {}       # the target with selectors, per set of kernels (its plans are reused)
        chosen = set(blue.names) | set(red.names)
        table = sorted(chosen & {p.name for p in self.q.params})
        if table:
            raise ShapeError(f"game, query {query!r}", f"its table uses {table[0]!r}, which a side chooses",
                             fix="keep the chosen parameters out of the query's values (use them in components)")
        given = sorted(set(self.values) & chosen)
        if given:
            raise ParameterError(f"game, parameter {given[0]!r}", "is both chosen by a side and given a value",
                                 fix=f"drop {given[0]!r} from the values (--set), or from the side's choice")

    def matrix(self, bp: Mapping[str, np.ndarray] | None = None, rp: Mapping[str, np.ndarray] | None = None,
               bk: Sequence[int] | None = None, rk: Sequence[int] | None = None) -> np.ndarray:
        """``(blue points, blue kernels, red points, red kernels)``: the query at every pair of options
        (parameter points default to each side's grid; kernel combinations ``bk``, ``rk`` to all of them)."""
        bp = self.blue.points if bp is None else bp
        rp = self.red.points if rp is None else rp
        nb = len(next(iter(bp.values()))) if bp else 1
        nr = len(next(iter(rp.values()))) if rp else 1
        sweep = {n: np.repeat(np.asarray(v, float), nr) for n, v in bp.items()}
        sweep.update({n: np.tile(np.asarray(v, float), nb) for n, v in rp.items()})
        kb, at_b, Kb = _kernel_subset(self.blue, bk)
        kr, at_r, Kr = _kernel_subset(self.red, rk)
        cells = nb * nr * Kb * Kr
        if cells > MAX_CELLS:                           # (a search splits its batch on this error)
            raise ContractionTooLarge(f"game, query {self.name!r}", f"a payoff table of {cells:,} entries "
                                      f"exceeds {MAX_CELLS:,}",
                                      fix="use coarser grids (grid: N) or let instances observe less")
        if self.model.is_episode:                       # one step matrix per pair of options
            S = self.model.target.size
            _check_memory(8.0 * cells * S * S, f"game, query {self.name!r}",
                          f" for {cells:,} step matrices over {S:,} states")
        out = self._evaluate(sweep, {**kb, **kr}, nb * nr)
        return out.reshape(nb, nr, Kb, Kr)[:, :, at_b][:, :, :, at_r].transpose(0, 2, 1, 3)

    def table(self) -> np.ndarray:
        """The payoff matrix over both sides' grids: ``(blue options, red options)``."""
        return self.matrix().reshape(self.blue.n, self.red.n)

    def _evaluate(self, sweep: Mapping[str, np.ndarray], kernels: Mapping[str, list], n: int) -> np.ndarray:
        """``(n, K)``: the query at ``n`` parameter points and every combination of the instances' kernels."""
        from .credal import with_selectors

        K = math.prod(len(ks) for ks in kernels.values())
        if self.model.is_episode:
            vals = self.chains(kernels).fixed_values(sweep)
            return np.broadcast_to(vals, (n, K)) if vals.shape[0] == 1 else vals
        target = self.model.target
        key = tuple((i, tuple(map(id, ks))) for i, ks in kernels.items())
        model = self._built.get(key)
        if model is None:
            net, _ = with_selectors(target, {i: np.stack([k.array for k in ks]) for i, ks in kernels.items()})
            model = self._built[key] = replace(self.model, target=net)
        gone = set(target.params) - set(model.target.params)      # parameters only of the replaced tables
        given = {k: v for k, v in {**self.values, **sweep}.items() if k not in gone}
        vals = np.asarray(model.value(self.name, given), dtype=float)
        want = (n, K) if sweep else (K,)
        if vals.size != math.prod(want):
            missing = [w for w in target.inputs if w not in dict(self.q.at)]
            raise ShapeError(f"game, query {self.name!r}", "has one value per outer input "
                             f"({', '.join(missing)}), not one number",
                             fix="fix the outer inputs in the query (inputs: {...})")
        return np.broadcast_to(vals.reshape(-1, K), (n, K))

    def chains(self, kernels: Mapping[str, list]):
        """The episode's step under every combination of ``kernels`` (built once per set of kernels): the
        query's chains (:class:`.episodes._Chains`), its episode fed the query's inputs."""
        key = tuple((i, tuple(map(id, ks))) for i, ks in kernels.items())
        if key not in self._built:
            from .credal import CredalKernel
            from .episodes import _Chains

            q = self.q
            if q.given:
                raise ShapeError(f"game, query {self.name!r}", "conditions on evidence in an episode",
                                 fix="ask an unconditional query (a probability or an expectation)")
            q.require_linear("cannot be the payoff of a game over an episode")
            episode = self.episode
            boxes = {i: CredalKernel(ks) for i, ks in kernels.items()}
            self._built[key] = _Chains(episode, replace(q.bound(self._fixed()), at=()), boxes,
                                       self._fixed(episode.params))
        return self._built[key]

    @property
    def episode(self):
        """The episode the query is asked of, its outer inputs fed the query's labels."""
        episode = self.model.target_of(self.name)
        return episode.fed(dict(self.q.at)) if self.q.at else episode

    def _fixed(self, params: Mapping | None = None) -> dict:
        vals = self.model.values(self.values, self.name)
        keep = params if params is not None else vals
        return {k: v for k, v in vals.items() if k in keep and k not in self.model.structural
                and k not in set(self.blue.names) | set(self.red.names)}


# ----- linear programmes ------------------------------------------------------------------------
def _lp(M: np.ndarray, A: np.ndarray | None = None, b: np.ndarray | None = None):
    """Blue's optimal mixture ``x`` of ``max_x min_j (Mᵀx)_j`` s.t. ``A x <= b``, its value, and red's mixture
    ``y`` (the dual of the constraints ``(Mᵀx)_j >= v``). ``None`` when ``A x <= b`` has no solution."""
    nb, nr = M.shape
    if A is None or not len(A):                         # a saddle point needs no LP (and no scipy import)
        i, j = int(np.argmax(M.min(axis=1))), int(np.argmin(M.max(axis=0)))
        if M[i].min() >= M[:, j].max() - TOL * max(1.0, abs(float(M[i, j]))):
            return np.eye(nb)[i], float(M[i].min()), np.eye(nr)[j]
    from scipy.optimize import linprog

    c = np.zeros(nb + 1)
    c[-1] = -1.0
    A_ub = np.hstack([-M.T, np.ones((nr, 1))])
    b_ub = np.zeros(nr)
    if A is not None and len(A):
        A_ub = np.vstack([A_ub, np.hstack([A, np.zeros((len(A), 1))])])
        b_ub = np.concatenate([b_ub, b])
    A_eq = np.concatenate([np.ones(nb), [0.0]])[None]
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=[1.0],
                  bounds=[(0, None)] * nb + [(None, None)], method="highs")
    if res.status == 2:
        return None
    if res.status != 0:
        raise ShapeError("game", f"the linear programme failed: {res.message}",
                         fix="rescale the query or use a coarser grid")
    x = np.clip(res.x[:nb], 0.0, None)
    y = np.clip(-res.ineqlin.marginals[:nr], 0.0, None)
    y = y / y.sum() if y.sum() > 0 else np.eye(nr)[int(np.argmin(M.T @ x))]
    return x / x.sum(), float(np.min(M.T @ (x / x.sum()))), y


def _constraint_rows(model, constraints: Sequence[Constraint], blue: _Side, red: _Side, values):
    """``(A, b, C)``: the constraints as rows ``A x <= b`` over blue's options, and each query's value per option.

    A constraint's query must not depend on red's choice (it is a property of the protocol, e.g. the audit
    rate on honest traffic); this is checked over every pair of options."""
    rows, bounds, per = [], [], {}
    for c in constraints:
        if not isinstance(c, Constraint):
            raise ShapeError("game, constraints", f"{c!r} is not a Constraint",
                             fix="give Constraint(query=..., at_most=...)")
        C = _Payoff(model, c.query, blue, red, values).table()
        if red.nature:      # red's part was checked at the point estimate; the constraint holds for every kernel
            hi, lo = C.max(axis=1), C.min(axis=1)
        else:
            _red_free(C, c.query, blue, red, "constraint")
            hi = lo = C[:, 0]
        per[str(c)] = hi if c.at_most is not None else lo
        if c.at_most is not None:
            rows.append(hi)
            bounds.append(c.at_most)
        if c.at_least is not None:
            rows.append(-lo)
            bounds.append(-c.at_least)
    A = np.array(rows) if rows else None
    return A, np.array(bounds) if rows else None, per


def _red_free(C: np.ndarray, query: str, blue: _Side, red: _Side, what: str) -> None:
    spread = C.max(axis=1) - C.min(axis=1)
    i = int(np.argmax(spread))
    if spread[i] > TOL * max(1.0, float(np.abs(C).max())):
        j_lo, j_hi = int(np.argmin(C[i])), int(np.argmax(C[i]))
        raise ShapeError(f"game, {what} query {query!r}",
                         f"depends on red's choice: at blue's {_show_option(blue.option(i))} it is "
                         f"{C[i, j_lo]:.6g} at red's {_show_option(red.option(j_lo))} and {C[i, j_hi]:.6g} at "
                         f"red's {_show_option(red.option(j_hi))}",
                         fix="condition the query on the honest model (inputs: {intent: honest}) so that it "
                             "measures the protocol, not the attack")


def _infeasible(constraints, per: Mapping[str, np.ndarray]):
    """The error for constraints no mixture of blue's options meets, with how far off each is."""
    ranges = "; ".join(f"{k}: blue's options give [{v.min():.6g}, {v.max():.6g}]" for k, v in per.items())
    return ShapeError("game, constraints", f"no protocol of blue's options meets {' and '.join(map(str, constraints))}"
                      f" ({ranges})", fix="relax the constraint, or widen blue's bounds so a protocol meets it")


# ----- the game ---------------------------------------------------------------------------------
def solve(model, safety: str, blue: Sequence[Choice], red: Sequence[Choice], *,
          constraints: Sequence[Constraint] = (), values: Mapping[str, object] | None = None, mixed: bool = True,
          lipschitz: float | Mapping[str, float] | None = None,
          nature: Mapping[str, object] | None = None) -> Equilibrium:
    """Blue's optimal protocol against red's best reply, for the query ``safety`` of ``model`` (blue maximises).

    ``mixed=True``: the mixed equilibrium by linear programming (the value of blue committing first to a
    mixture). ``mixed=False``: blue commits to one pure option. See the module docstring for what the
    result guarantees over continuous parameters (``lipschitz`` certifies it) and episodes. ``nature``
    (instance → credal set, e.g. kernels measured from data): the game is solved again with the sets' vertices
    joining red's options, as ``robust`` (see :func:`robust_concept`).
    """
    game = _Game(model, safety, blue, red, constraints, values)
    out = game.solve(mixed, lipschitz)
    if nature:
        out.robust = _Game(model, safety, blue, red, constraints, values, nature).solve(mixed, lipschitz)
        out.robust.concept += "; " + robust_concept(model, safety, nature)
    return out


def robust_concept(model, query: str, nature: Mapping[str, object]) -> str:
    """What a robust result means: nature's choice of each credal set's kernel joins red's side (its vertices), and
    in an episode the kernel is one vertex kept for the whole episode.

    In a net each box is used once, so an unconditional query is linear in its kernel (multilinear in several)
    and its minimum over the credal sets, for any mixture of blue's, is at vertices: exact. In an episode the
    box is used at every step, the payoff is a polynomial in its kernel, and the vertices are the candidates."""
    names = ", ".join(nature)
    if model.is_episode:
        return (f"robust: nature chooses {names} among the vertices of the credal set{'s' * (len(nature) > 1)} with "
                "red, one kernel fixed for the whole episode (fixed semantics, vertices as candidates; a kernel "
                "changing from step to step, the adaptive semantics, is not searched)")
    exact = "exact over the credal sets" if not model.query(query).given else \
        "the vertices as candidates (a conditional query is linear-fractional in them)"
    return f"robust: nature chooses {names} in the credal set{'s' * (len(nature) > 1)} with red ({exact})"


def frontier(model, safety: str, usefulness: str, blue: Sequence[Choice], red: Sequence[Choice], *,
             weights: int | Sequence[float] = 21, constraints: Sequence[Constraint] = (),
             values: Mapping[str, object] | None = None, mixed: bool = True,
             nature: Mapping[str, object] | None = None) -> Frontier:
    """The safety–usefulness Pareto frontier over blue's options (safety against red's best reply).

    With mixtures, for each weight ``w`` of usefulness blue's protocol maximising ``w·usefulness + (1 − w)·safety``
    (one LP per weight), and between two neighbouring points the weight where they tie is solved too, until no
    new point appears (the dichotomic method): the frontier is concave, so this finds every vertex of it, not
    only those the weights hit. With pure commitments, every option not beaten in both (``weight`` is the first
    asked weight at which it is optimal, None if none is: a Pareto point no weight reaches). ``nature`` (instance
    → credal set): each point's protocol also gets its safety against red and nature together, ``robust_safety``.
    """
    game = _Game(model, safety, blue, red, constraints, values)
    robust = _Game(model, safety, blue, red, constraints, values, nature).M if nature else None
    U = _Payoff(model, usefulness, game.blue, game.red, values).table()
    _red_free(U, usefulness, game.blue, game.red, "usefulness")
    u = U[:, 0]
    ws = np.linspace(0.0, 1.0, int(weights)) if np.ndim(weights) == 0 else np.asarray(weights, dtype=float)
    if np.ndim(weights) == 0 and int(weights) < 2 or np.any((ws < 0) | (ws > 1)):
        raise ParameterError("frontier, weights", f"{weights!r} is not a count >= 2 or weights in [0, 1]",
                             fix="give weights=21 (evenly spaced) or a list of numbers in [0, 1]")
    M = game.M

    def point(x, y, w) -> FrontierPoint:
        return FrontierPoint(w, float(np.min(M.T @ x)), float(u @ x), game.blue.strategy(x), game.red.strategy(y),
                             None if robust is None else float(np.min(robust.T @ x)))

    if mixed:
        def at(w: float) -> FrontierPoint:
            out = _lp(w * u[:, None] + (1 - w) * M, game.A, game.b)
            if out is None:
                raise _infeasible(game.constraints, game.per)
            return point(out[0], out[2], float(w))

        points = _dichotomic(at, sorted(float(w) for w in ws))
    else:
        ok = game.feasible()
        if not ok.any():
            raise _infeasible(game.constraints, game.per)
        chosen = {}
        for w in ws:
            chosen.setdefault(game.pure_best(w * u[:, None] + (1 - w) * M), float(w))
        points = [point(np.eye(game.blue.n)[i], np.eye(game.red.n)[int(np.argmin(M[i]))], chosen.get(i))
                  for i in np.flatnonzero(ok)]
    concept = game.concept(mixed)
    if model.is_episode and game.blue.instances:
        concept += "; blue's kernels kept for the whole episode (the frontier does not search time-dependent policies)"
    return Frontier(_pareto(points), safety, usefulness, concept,
                    robust_concept(model, safety, nature) if nature else "")


@dataclass
class MeasuredRange:
    """A worst case when kernels are measured from data: the query at red's optimum over the measured credal sets
    (``lower``, ``upper``), and the robust worst case with nature's kernels chosen together with red's reply."""

    instances: tuple[str, ...]
    lower: float
    upper: float
    robust: float
    robust_at: dict
    sense: str
    concept: str
    note: str = ""

    def to_dict(self) -> dict:
        return {"instances": list(self.instances), "at_red_optimum": [float(self.lower), float(self.upper)],
                "robust": float(self.robust), "robust_at": self.robust_at, "sense": self.sense,
                "concept": self.concept, "note": self.note}

    def __str__(self) -> str:
        lines = [f"  measured ({', '.join(self.instances)}): [{self.lower:.6g}, {self.upper:.6g}] at red's optimum "
                 "over the credal sets",
                 f"  robust worst case: {self.robust:.6g} at {_show_option(self.robust_at)} ({self.concept})"]
        return "\n".join(lines + ([f"  note: {self.note}"] if self.note else []))


def robust_worst_case(model, query: str, red: Choice, sense: str, nature: Mapping[str, object],
                      values: Mapping[str, object] | None = None) -> tuple[float, dict]:
    """The worst case of ``query`` (``sense`` min or max) when nature's kernels (instance → credal set) join red's
    ``Choice``: one swept evaluation over red's grid (or deterministic kernels) times the sets' vertices, the game's
    payoff with nothing for blue to choose. Returns the value and where it is attained (red's option with the
    vertices)."""
    taken: set = set()
    blue = _Side(model, "blue", [], taken)
    side = _Side(model, "red", [red], taken, nature)
    row = _Payoff(model, query, blue, side, values).table()[0]
    j = int(np.argmin(row) if sense == "min" else np.argmax(row))
    return float(row[j]), side.option(j)


def _dichotomic(at, weights: list[float], depth: int = 60) -> list[FrontierPoint]:
    """The points at ``weights`` and every vertex of the concave frontier between them: between neighbours
    ``p`` (optimal at a smaller weight) and ``q``, solve at the weight where they tie; a point better there is a
    new vertex (recurse on both sides), none means the segment ``pq`` is on the frontier."""
    found = [at(w) for w in weights]
    score = lambda p, w: w * p.usefulness + (1 - w) * p.safety
    out: list[FrontierPoint] = []

    def fill(p, q, left: int):
        ds, du = p.safety - q.safety, q.usefulness - p.usefulness
        if left == 0 or ds <= TOL or du <= TOL:
            return
        w = ds / (ds + du)
        r = at(w)
        if score(r, w) > score(p, w) + TOL * max(1.0, abs(score(p, w))):
            fill(p, r, left - 1)
            out.append(r)
            fill(r, q, left - 1)

    for p, q in zip(found, found[1:]):
        out.append(p)
        fill(p, q, depth)
    out.append(found[-1])
    return out


def _pareto(points: list[FrontierPoint]) -> list[FrontierPoint]:
    """The points no other point beats in both safety and usefulness (one per distinct pair), safest first."""
    keep: list[FrontierPoint] = []
    for p in sorted(points, key=lambda p: (-p.safety, -p.usefulness)):
        if any(k.safety >= p.safety - TOL and k.usefulness >= p.usefulness - TOL for k in keep):
            continue
        keep.append(p)
    return keep


class _Game:
    """The payoff matrix over both sides' grids, the constraints' rows, and the solutions built on them."""

    def __init__(self, model, safety: str, blue, red, constraints, values, nature=None):
        taken: set = set()
        self.model, self.safety, self.values = model, safety, dict(values or {})
        model.query(safety)
        self.blue = _Side(model, "blue", blue, taken)
        self.red = _Side(model, "red", red, taken, nature)
        self.payoff = _Payoff(model, safety, self.blue, self.red, values)
        self.M = self.payoff.table()
        if not np.all(np.isfinite(self.M)):
            i, j = (int(a) for a in np.argwhere(~np.isfinite(self.M))[0])
            raise ShapeError(f"game, query {safety!r}", f"is {self.M[i, j]} at blue's "
                             f"{_show_option(self.blue.option(i))} and red's {_show_option(self.red.option(j))} "
                             "(its evidence is impossible there, or it is infinite)",
                             fix="ask a query defined for every option (an unconditional probability or expectation)")
        self.constraints = list(constraints)
        self.A, self.b, self.per = _constraint_rows(model, self.constraints, self.blue, self.red, values)
        self.extra: list[tuple[int, np.ndarray]] = []     # blue's time- and state-dependent policies (point, schedule)
        self.dynamic: _Dynamic | None = None

    def feasible(self) -> np.ndarray:
        if self.A is None:
            return np.ones(self.blue.n, dtype=bool)
        return np.all(self.A <= self.b[:, None] + TOL, axis=0)

    def pure_best(self, M: np.ndarray) -> int:
        """Blue's best pure commitment among options meeting the constraints (first of ties)."""
        ok = np.concatenate([self.feasible(), np.ones(len(M) - self.blue.n, dtype=bool)])
        if not ok.any():
            raise _infeasible(self.constraints, self.per)
        worst = np.where(ok, M.min(axis=1), -np.inf)
        best = worst.max()
        return int(np.flatnonzero(worst >= best - TOL * max(1.0, abs(best)))[0])

    def concept(self, mixed: bool) -> str:
        if mixed:
            return ("mixed equilibrium (minimax); equal to Stackelberg with blue committing first to a mixture, "
                    "red best-replying")
        return "Stackelberg with blue committing first to one pure option, red best-replying"

    def solve(self, mixed: bool, lipschitz) -> Equilibrium:
        dynamic = _Dynamic.of(self)
        while True:
            x, value, y = self._solve_matrix(self.M, mixed)
            if dynamic is None or not dynamic.improve(value, y):
                break
        blue, red = self.blue_strategy(x), self.red.strategy(y)
        cons = {k: float(v @ x) for k, v in self.per.items()}
        if dynamic is not None:
            bracket, guarantee = dynamic.guarantee(x, value, y, mixed)
        elif not mixed and self.blue.axes:
            value, blue, red, cons, bracket, guarantee = self._refine_pure(int(np.argmax(x)), value, lipschitz)
        else:
            bracket, guarantee = self._guarantee(x, y, value, mixed, lipschitz)
        if dynamic is None and self.model.is_episode and self.blue.instances:
            guarantee += f"; {_Dynamic.why_not(self)}"
        concept = self.concept(mixed) + (dynamic.concept if dynamic is not None else
                                         "; blue's kernels kept for the whole episode" if self.model.is_episode
                                         and self.blue.instances else "")
        return Equilibrium(value, blue, red, concept, bracket, guarantee, cons, self.safety)

    def _solve_matrix(self, M: np.ndarray, mixed: bool):
        """``(x, value, y)`` for the payoff matrix ``M`` (rows: blue's options so far)."""
        if mixed:
            out = _lp(M, None if self.A is None else self.A[:, :len(M)], self.b)
            if out is None:
                raise _infeasible(self.constraints, self.per)
            return out
        i = self.pure_best(M)
        return np.eye(len(M))[i], float(M[i].min()), np.eye(self.red.n)[int(np.argmin(M[i]))]

    def blue_strategy(self, x: np.ndarray) -> Strategy:
        """Blue's mixture over its grid options and the time-dependent policies added by dynamic programming."""
        w = np.where(x > 1e-9, x, 0.0)
        w = w / w.sum()
        idx = [int(i) for i in np.flatnonzero(w)]
        n = self.blue.n
        return Strategy([self.blue.option(i) if i < n else self.dynamic.option(*self.extra[i - n]) for i in idx],
                        [float(w[i]) for i in idx])

    def _guarantee(self, x, y, value, mixed, lipschitz):
        """The bracket of the game's value over the parameters' whole ranges, and what it rests on."""
        if not self.blue.axes and not self.red.axes:
            return (value, value), "exact: every pure option of both sides was evaluated (finite game, LP)"
        lo, lo_cert = self._red_reply(x, lipschitz)
        if mixed:
            hi, hi_cert = self._blue_reply(y, lipschitz)
        else:       # blue has no parameters here: max_i min over red's grid bounds max_i min over its ranges
            hi, hi_cert = value, True
        lo, hi = min(lo, value), max(hi, value)
        grids = ", ".join(f"{a.name}: {len(np.unique(self.blue.points[a.name]))} points"
                          for a in self.blue.axes) or "blue has no parameters"
        if lo_cert and hi_cert:
            return (lo, hi), (f"certified bracket [{lo:.6g}, {hi:.6g}] over the parameters' whole ranges (searched "
                              f"exhaustively or bounded by the Lipschitz constant); the grid game ({grids}) is "
                              "solved exactly")
        red_keeps = f" and red's keeps blue to {hi:.6g}" if mixed else ""
        return None, (f"exact for the grid game ({grids}); over the whole ranges blue's strategy keeps "
                      f"{lo:.6g} against red's best reply found{red_keeps}: best found on the grid, not certified; "
                      + CERTIFY)

    def _refine_pure(self, i: int, value: float, lipschitz):
        """Blue's pure commitment refined over its parameters' whole ranges: ``max_b max_k min_j f(b, k, j)`` over
        red's grid ``j`` by a grid and Brent (:func:`.search.maximise`), then red's best reply to the commitment
        searched over its whole ranges. Returns the fields of the equilibrium."""
        Kb = self.blue.n_kernels
        cons = [(c, _Payoff(self.model, c.query, self.blue, self.red, self.values)) for c in self.constraints]

        def worst(pts):                                       # (points, blue kernels); -inf where infeasible
            m = self.payoff.matrix(pts, None)
            w = m.reshape(m.shape[0], Kb, -1).min(axis=2)
            for c, payoff in cons:
                v = payoff.matrix(pts, None)[:, :, 0, 0]
                ok = (v <= c.at_most + TOL if c.at_most is not None else True) & \
                     (v >= c.at_least - TOL if c.at_least is not None else True)
                w = np.where(ok, w, -np.inf)
            return w

        out = maximise(lambda pts: worst(pts).max(axis=1), self.blue.axes, grid=self._refine_grid(self.blue.axes),
                       lipschitz=None if cons else _lipschitz(lipschitz, self.blue.axes))
        point = {n: float(out.choice[n]) for n in self.blue.names}
        at = {n: np.array([v]) for n, v in point.items()}
        w = worst(at)[0]
        k = int(np.argmax(w))
        if not w[k] > value + TOL * max(1.0, abs(value)):         # the grid's commitment is as good
            p, k = divmod(i, Kb)
            point = {n: float(self.blue.points[n][p]) for n in self.blue.names}
            at = {n: np.array([v]) for n, v in point.items()}
        else:
            value = float(w[k])
        row = self.payoff.matrix(at, None)[0, k].reshape(-1)
        j = int(np.argmin(row))
        blue = Strategy([self.blue.describe(point, k)], [1.0])
        red = Strategy([self.red.option(j)], [1.0])
        constraints = {str(c): float(payoff.matrix(at, None)[0, k, 0, 0]) for c, payoff in cons}
        lo, lo_cert = self._red_reply_to(at, np.array([k]), np.array([1.0]), lipschitz)
        hi, hi_cert = _searched(out)
        hi = max(hi, value)
        lo = min(lo, value)
        if lo_cert and hi_cert:
            return value, blue, red, constraints, (lo, hi), (
                f"certified bracket [{lo:.6g}, {hi:.6g}] of the best pure commitment over the parameters' whole "
                "ranges (searched exhaustively or bounded by the Lipschitz constant): the lower end is what this "
                "commitment keeps against red's best reply, the upper end bounds every commitment")
        return value, blue, red, constraints, None, (
            f"blue's parameters refined by Brent against red's grid; over red's whole ranges this commitment keeps "
            f"{lo:.6g} against red's best reply found: best found, not certified"
            + (f"; {CERTIFY}" if not cons else " (with constraints the upper end is not certified)"))

    def _red_reply(self, x, lipschitz):
        """Red's best reply, over its whole parameter ranges and every kernel, to blue's mixture ``x``."""
        support = np.flatnonzero(x > 1e-12)
        bp_idx, bk = np.divmod(support, self.blue.n_kernels)
        bp = {n: self.blue.points[n][bp_idx] for n in self.blue.names}
        return self._red_reply_to(bp, bk, x[support], lipschitz)

    def _red_reply_to(self, bp, bk, w, lipschitz):
        """Red's best reply to blue's mixture of options (points ``bp``, kernels ``bk``) with weights ``w``:
        ``(value, certified)``, the value a certified lower bound when certified."""
        rows = np.arange(len(bk)) if bp else np.zeros(len(bk), dtype=int)
        cols = np.arange(len(bk))
        if not self.red.axes:
            vals = self.payoff.matrix(bp, {}, bk)[rows, cols]   # (support, 1, red kernels)
            return float(np.min(w @ vals.reshape(len(bk), -1))), True

        def objective(pts):
            m = self.payoff.matrix(bp, pts, bk)[rows, cols]   # (support, points, red kernels)
            return np.min(np.einsum("s,spk->pk", w, m), axis=1)

        out = minimise(objective, self.red.axes, grid=self._refine_grid(self.red.axes),
                       lipschitz=_lipschitz(lipschitz, self.red.axes))
        return _searched(out)

    def _blue_reply(self, y, lipschitz):
        """Blue's best reply, over its whole parameter ranges and every kernel, to red's mixture ``y``."""
        support = np.flatnonzero(y > 1e-12)
        rp_idx, rk = np.divmod(support, self.red.n_kernels)
        rp = {n: self.red.points[n][rp_idx] for n in self.red.names}
        cols = np.arange(len(support)) if rp else np.zeros(len(support), dtype=int)
        at = np.arange(len(support))
        w = y[support]
        if not self.blue.axes:
            vals = self.payoff.matrix({}, rp, None, rk)[0][:, cols, at]   # (blue kernels, support)
            return float(np.max(vals @ w)), True

        def objective(pts):
            m = self.payoff.matrix(pts, rp, None, rk)[:, :, cols, at]   # (points, blue kernels, support)
            return np.max(m @ w, axis=1)

        out = maximise(objective, self.blue.axes, grid=self._refine_grid(self.blue.axes),
                       lipschitz=_lipschitz(lipschitz, self.blue.axes))
        return _searched(out)

    @staticmethod
    def _refine_grid(axes) -> int:
        return REFINE.get(len(axes), 9)


# ----- episodes: blue's time- and state-dependent policies ---------------------------------------
class _Dynamic:
    """Blue's best reply in an episode over policies that depend on the step and the state: backward induction.

    Against one pure red option the episode is a finite-horizon MDP whose actions are blue's deterministic
    kernels: ``h_T(s) = max_k (J_k f)(s)``, ``h_t(s) = max_k (P_k h_{t+1})(s)``, value ``x0 · h_1`` (``P_k`` the
    step with kernel ``k``, ``J_k f`` the last step's expected payoff). The choice per state is a policy of the
    instance when the instance's observations tell apart the states whose choice matters: states that share an
    observed row must have a common best kernel, checked at every step (else the DP is refused).
    """

    def __init__(self, game: "_Game"):
        self.game = game
        self.episode = episode = game.payoff.episode
        (inst, (kern, observes, ks)), = game.blue.instances.items()
        self.instance, self.kern, self.observes, self.kernels = inst, kern, observes, ks
        self.chains = game.payoff.chains({i: k for side in (game.blue, game.red)
                                          for i, (_, _, k) in side.instances.items()})
        self.T, self.S = episode.steps, episode.size
        try:                                                               # one reply to one red option
            check_cost(self.T * (len(ks) * self.S ** 2 + STEP_OVERHEAD),
                       f"game, blue's instance {inst!r}: backward induction over {self.T:,} steps")
        except ContractionTooLarge as err:
            raise err.relocated(err.place, fix=f"{err.fix}; or fewer steps, or let the instance observe less "
                                               f"(it has {len(ks):,} policies), or keep it stationary "
                                               "(stationary: true)") from None
        self.groups = self._observation_groups(game.payoff._fixed(episode.params))
        self.cache: dict[tuple[int, int], tuple[float, np.ndarray]] = {}
        self.arrays_at: dict[int, tuple] = {}
        self.added = 0

    @classmethod
    def applies(cls, game: "_Game") -> str | None:
        """Why blue's best reply is not solved by dynamic programming here (None when it is)."""
        if not game.model.is_episode or not game.blue.instances:
            return "no episode or no blue instance"
        if len(game.blue.instances) > 1:
            return "blue chooses several instances (the dynamic programme handles one)"
        if game.blue.stationary:
            return f"blue's {game.blue.stationary[0]!r} is stationary (one kernel for every step)"
        if game.constraints:
            return "constraints bind blue's protocol (a constrained best reply is not a dynamic programme)"
        q = game.model.query(game.safety)
        if q.given or not q.is_linear or q.kind == "distribution":
            return "the payoff query is not an unconditional probability or expectation"
        if game.model.target_of(game.safety).steps < 1:
            return "the episode has no step"
        return None

    @classmethod
    def of(cls, game: "_Game") -> "_Dynamic | None":
        if cls.applies(game) is not None:
            return None
        game.dynamic = cls(game)
        return game.dynamic

    @classmethod
    def why_not(cls, game: "_Game") -> str:
        return (f"blue's kernels are kept for the whole episode (time-dependent policies not searched: "
                f"{cls.applies(game)})")

    @property
    def concept(self) -> str:
        return (f"; blue's {self.instance!r} may depend on the step and the episode's state "
                f"({self.added} such policies added by dynamic programming)")

    # ----- the step under every kernel -------------------------------------------------------------
    def arrays(self, pb: int):
        """``P (R, Kb, S, S)``, the last step's payoff ``L (R, Kb, S)`` and ``x0 (R, S)`` at blue's parameter
        point ``pb``, for every red option ``R`` and blue kernel ``Kb``."""
        if pb in self.arrays_at:
            return self.arrays_at[pb]
        blue, red = self.game.blue, self.game.red
        nr = red.n_points
        _check_memory(16.0 * red.n * blue.n_kernels * self.S ** 2, f"game, blue's instance {self.instance!r}",
                      f" for the step under each of its {blue.n_kernels:,} policies and red's {red.n:,} "
                      f"options over {self.S:,} states")
        points = {n: np.full(nr, blue.points[n][pb]) for n in blue.names}
        points.update({n: red.points[n] for n in red.names})
        P, J, x0 = self.chains.candidates(points)
        S, Kb, Kr = self.S, blue.n_kernels, red.n_kernels
        L = (J.reshape(S, -1, J.shape[-1]) @ self.chains.f).reshape(S, nr, Kb, Kr)
        P = P.reshape(S, nr, Kb, Kr, S).transpose(1, 3, 2, 0, 4).reshape(nr * Kr, Kb, S, S)
        L = L.transpose(1, 3, 2, 0).reshape(nr * Kr, Kb, S)
        x0 = np.repeat(np.broadcast_to(x0, (nr, S)), Kr, axis=0)
        self.arrays_at[pb] = (P, L, x0)
        return P, L, x0

    def _observation_groups(self, fixed) -> list[np.ndarray]:
        """The states whose observations (the instance's observed rows) overlap, as groups of state indices."""
        ep, box = self.episode, self.episode.step.box(self.instance)
        wires = [box.inputs[[p.name for p in self.kern.dom].index(o)] for o in self.observes]
        sizes = [len(ep.wires[w]) for w in wires]
        blue, red = self.game.blue, self.game.red
        sweep = {n: np.repeat(blue.points[n], red.n_points) for n in blue.names}
        sweep.update({n: np.tile(red.points[n], blue.n_points) for n in red.names})
        vals = {**fixed, **{k: v for k, v in sweep.items() if k in ep.params}}
        inner = [w for w in wires if w not in ep.state_wires]
        arr = np.asarray(ep.step_array(vals, inner), dtype=float)
        arr = arr.reshape((-1, self.S, self.S) + tuple(len(ep.wires[w]) for w in inner)).sum(axis=(0, 2))
        support = arr > 0                                          # (S, inner observed labels)
        state_labels = np.array(np.unravel_index(np.arange(self.S), [len(t) for t in ep.states])).T
        at_state = [i for i, w in enumerate(wires) if w in ep.state_wires]
        rows = np.zeros((self.S,) + tuple(sizes), dtype=bool)
        for s in range(self.S):
            seen = support[s].reshape([len(ep.wires[w]) for w in inner])
            seen = np.expand_dims(seen, at_state) if at_state else seen
            for i in at_state:                                     # an observed state wire: its label in s
                hot = np.zeros(sizes[i], dtype=bool)
                hot[int(state_labels[s][ep.state_wires.index(wires[i])])] = True
                seen = seen & hot.reshape([-1 if a == i else 1 for a in range(len(sizes))])
            rows[s] = np.broadcast_to(seen, tuple(sizes))
        rows = rows.reshape(self.S, -1)
        self.rows = rows                                           # (S, observed rows): which a state can show
        parent = list(range(self.S))

        def root(i):
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i
        for r in range(rows.shape[1]):
            states = np.flatnonzero(rows[:, r])
            for s in states[1:]:
                parent[root(int(s))] = root(int(states[0]))
        roots = [root(s) for s in range(self.S)]
        return [np.array([s for s in range(self.S) if roots[s] == g]) for g in dict.fromkeys(roots)]

    # ----- backward induction ----------------------------------------------------------------------
    def best(self, pb: int, j: int) -> tuple[float, np.ndarray]:
        """Blue's best policy against red's pure option ``j`` at blue's point ``pb``: ``(value, schedule)`` with
        ``schedule[t, s]`` the kernel at step ``t + 1`` in state ``s``."""
        if (pb, j) in self.cache:
            return self.cache[(pb, j)]
        P, L, x0 = self.arrays(pb)
        schedule = np.zeros((self.T, self.S), dtype=int)
        Q, h = L[j], None
        for t in range(self.T - 1, -1, -1):
            if t < self.T - 1:
                Q = P[j] @ h                                           # (Kb, S)
            schedule[t] = self._choose(Q, t)
            h = Q[schedule[t], np.arange(self.S)]
        out = (float(x0[j] @ h), schedule)
        self.cache[(pb, j)] = out
        return out

    def _choose(self, Q: np.ndarray, t: int) -> np.ndarray:
        """Per state, a best kernel, one common to every state of an observation group (refused if none)."""
        top = Q.max(axis=0)
        good = Q >= top - TOL * np.maximum(1.0, np.abs(top))        # (Kb, S)
        choice = np.zeros(self.S, dtype=int)
        for g in self.groups:
            common = np.flatnonzero(good[:, g].all(axis=1))
            if not len(common):
                raise ShapeError(f"game, blue's instance {self.instance!r}",
                                 f"observes {', '.join(self.observes) or 'nothing'}, which does not tell apart "
                                 f"episode states that need different choices at step {t + 1}: its best policy "
                                 "depends on what it cannot see, so it is not a dynamic programme",
                                 fix="let the instance observe the ports that carry the episode's state (observes: "
                                     "[...], e.g. the remaining budget)", box=self.instance)
            choice[g] = common[0]
        return choice

    def values(self, pb: int, schedule: np.ndarray) -> np.ndarray:
        """The payoff of a time- and state-dependent policy against every red option: ``(R,)``."""
        P, L, x0 = self.arrays(pb)
        states = np.arange(self.S)
        x = x0
        for t in range(self.T - 1):
            x = np.einsum("rs,rst->rt", x, P[:, schedule[t], states, :])
        return np.einsum("rs,rs->r", x, L[:, schedule[-1], states])

    # ----- the double oracle -----------------------------------------------------------------------
    def improve(self, value: float, y: np.ndarray) -> bool:
        """Add blue's best policies against red's pure options in ``y``'s support that beat ``value`` against ``y``
        (at each of blue's parameter points); whether one was added."""
        game = self.game
        added = False
        for pb in range(game.blue.n_points):
            for j in np.flatnonzero(y > 1e-12):
                _, schedule = self.best(pb, int(j))
                if any(p == pb and np.array_equal(s, schedule) for p, s in game.extra):
                    continue
                row = self.values(pb, schedule)
                if row @ y > value + TOL * max(1.0, abs(value)):
                    game.extra.append((pb, schedule))
                    game.M = np.vstack([game.M, row[None]])
                    self.added += 1
                    added = True
        return added

    def guarantee(self, x, value, y, mixed):
        """The bracket of the value over every time- and state-dependent policy of blue (red's grid)."""
        game = self.game
        points = range(game.blue.n_points)
        if mixed:
            upper = max(sum(float(y[j]) * self.best(pb, int(j))[0] for j in np.flatnonzero(y > 1e-12))
                        for pb in points)
            how = "red's mixture against blue's best policy per red option"
        else:
            upper = max(min(self.best(pb, j)[0] for j in range(game.red.n)) for pb in points)
            how = "blue's best policy against each red option"
        upper = max(upper, value)
        exact = upper - value <= TOL * max(1.0, abs(value))
        grid = "red's options" + (f" (grid of {', '.join(game.red.names)})" if game.red.names else "")
        if exact:
            return (value, value), (f"exact over every policy of {self.instance!r} that depends on the step and the "
                                    f"episode's state, against {grid}: backward induction (double oracle)")
        return (value, upper), (f"certified bracket [{value:.6g}, {upper:.6g}] over every policy of "
                                f"{self.instance!r} depending on the step and the state, against {grid}: the upper "
                                f"end from {how} (a best reply to a mixture is not a dynamic programme)")

    def option(self, pb: int, schedule: np.ndarray) -> dict:
        """A time- and state-dependent policy as data: per state whose choice matters, runs of steps with the
        instance's policy (observed → output)."""
        blue = self.game.blue
        out: dict = {n: float(blue.points[n][pb]) for n in blue.names}
        P, L, _ = self.arrays(pb)
        labels = _state_labels(self.episode)
        runs: dict = {}
        for s in range(self.S):
            if np.allclose(P[:, :, s], P[:, :1, s]) and np.allclose(L[:, :, s], L[:, :1, s]):
                continue                                           # the kernel does not matter in this state
            steps, start = [], 0
            for t in range(1, self.T + 1):
                if t == self.T or schedule[t, s] != schedule[start, s]:
                    k = self.kernels[int(schedule[start, s])]
                    shown = policy(self.kern, self.observes, k).items()     # the rows this state can show
                    steps.append({"steps": [start + 1, t],
                                  "policy": {a: b for i, (a, b) in enumerate(shown) if self.rows[s, i]}})
                    start = t
            runs[labels[s]] = steps
        out[self.instance] = {"by_state": runs}
        return out


def _state_labels(episode) -> list[str]:
    sizes = [len(t) for t in episode.states]
    return [", ".join(f"{w}={t.elements[i]}" for w, t, i in zip(episode.state_wires, episode.states, idx))
            for idx in itertools.product(*(range(n) for n in sizes))]


def _searched(out) -> tuple[float, bool]:
    """A search's value and whether it is certain: certified by a Lipschitz constant (its bound), or exhaustive
    (every admissible value evaluated: whole integer ranges, fixed points)."""
    if out.certified:
        return float(out.bound), True
    return float(out.value), not any(out.spacing.values())


CERTIFY = ("give a Lipschitz constant (lipschitz: L in the blue entry, solve --lipschitz L, lipschitz=L in Python) "
           "for a certified bracket")


def _lipschitz(lipschitz, axes):
    if lipschitz is None:
        return None
    if isinstance(lipschitz, Mapping):
        missing = [a.name for a in axes if a.name not in lipschitz]
        if missing:
            return None
        return {a.name: float(lipschitz[a.name]) for a in axes}
    return float(lipschitz)


__all__ = ["Choice", "Constraint", "Strategy", "Equilibrium", "FrontierPoint", "Frontier", "solve", "frontier",
           "robust_concept", "MeasuredRange", "robust_worst_case"]
