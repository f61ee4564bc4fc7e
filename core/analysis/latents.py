"""Natural latents and the factorisation of one latent through another, exactly, for finite wires.

A latent Λ of observables X1..Xn (each a wire or several wires taken jointly) is *natural*
(Wentworth & Lorell) when it **mediates** between the observables (they are independent
given Λ) and is **redundant** (recoverable from each Xi alone). Both conditions hold only
approximately in practice; their errors, in nats (``unit="bits"`` divides by ln 2), are:

- mediation, information form: the conditional total correlation
  ``Σ_i H(Xi | Λ) − H(X1, …, Xn | Λ)`` (for n = 2 this is ``I(X1; X2 | Λ)``);
- mediation, KL form: ``D_KL(P[X, Λ] ‖ P[Λ] Π_i P[Xi | Λ])``. The two forms are **equal**:
  ``log P[X, Λ] / (P[Λ] Π P[Xi|Λ]) = log P[X|Λ] − Σ log P[Xi|Λ]``, whose mean is
  ``Σ H(Xi|Λ) − H(X|Λ)``. Both are computed and reported, and the tests check the identity;
- redundancy over Xi, information form: ``H(Λ | Xi)`` (Λ is a function of Xi exactly when it is 0);
- redundancy over Xi, KL form: ``D_KL(P[X, Λ] ‖ P[X] P[Λ | Xi])`` (the Bayes net ``X_{-i} → Xi → Λ``),
  which equals ``I(Λ; X_{-i} | Xi) = H(Λ | Xi) − H(Λ | X)`` and so never exceeds the information form.

The KL forms are the factorisation errors of "Natural Latents: The Math" (J. Wentworth and
D. Lorell, LessWrong, 27 Dec 2023): P[X, Λ] approximately factors over the mediation net
(Xi independent given Λ) and over each redundancy net (Λ depends on X only through Xi: any one
Xi tells about Λ what all of X tells); their later posts call latents judged this way
*stochastic* natural latents. The information forms are those of *deterministic* natural
latents, used in "Natural Latents: Latent Variables Stable Across Ontologies" (Wentworth and
Lorell, arXiv:2509.03780, 2025): mediation is conditional independence of the observables given
Λ and redundancy asks Λ to be approximately a function of each Xi. :attr:`NaturalLatent.natural` judges the
information forms against ε, :attr:`NaturalLatent.natural_kl` the KL forms.

Three fair-coin copies of one bit Λ: Λ mediates (they are independent given it) and each copy
recovers it, so Λ is natural; the copies' parity is not:

>>> import numpy as np
>>> from markovwire import FinSet, Kernel, Net
>>> Bit = FinSet("Bit", ["0", "1"])
>>> net = Net()
>>> _ = net.add_box("source", Kernel([0.5, 0.5], [], [Bit]), [], ["lam"])
>>> for x in ("x1", "x2", "x3"):
...     _ = net.add_box(f"copy_{x}", Kernel(np.eye(2), [Bit], [Bit]), ["lam"], [x])
>>> r = natural_latent(net, "lam", ["x1", "x2", "x3"], epsilon=1e-9)
>>> r.mediation, r.redundancy, r.natural
(0.0, (0.0, 0.0, 0.0), True)
>>> r = natural_latent(net, [], ["x1", "x2"], unit="bits")    # no latent: the mediation error is I(x1; x2)
>>> round(r.mediation, 9), r.redundancy
(1.0, (0.0, 0.0))

Λ1 *factors through* Λ2 over X when some kernel ``w: Λ2 → Λ1`` gives
``P[Λ1, X] = Σ_λ2 P[Λ2 = λ2, X] w(λ1 | λ2)`` (a morphism of the coslice under X: the latent
Λ1's kernel from X is Λ2's followed by w). :func:`factors_through` decides it and returns
the witness, or ``None`` with the smallest violation it found:

>>> f = factors_through(net, "lam", ["x1"], ["x2", "x3"])     # lam is x1 itself
>>> f.factors, f.witness.array.tolist()
(True, [[1.0, 0.0], [0.0, 1.0]])
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from ..errors import ShapeError
from ..kernel import Kernel
from ..limits import check_memory_bytes
from .information import NATS_PER_BIT, entropy, kl
from .query import Query

TOLERANCE = 1e-9
COPIES = 4          # arrays as large as the joint law held at once (the law, a factorised law, products)
ROUND_OFF = 1e-15   # errors below this many nats are the sums' round-off and reported as 0


@dataclass(frozen=True)
class NaturalLatent:
    """The mediation and redundancy errors of a latent (see the module docstring), in ``unit``.

    Scalars at scalar parameter values; arrays of the sweep's shape when parameters sweep."""

    latent: tuple[str, ...]
    observables: tuple[tuple[str, ...], ...]
    mediation: object                       # Σ H(Xi|Λ) − H(X|Λ)
    mediation_kl: object                    # D_KL(P[X,Λ] ‖ P[Λ] Π P[Xi|Λ]), equal to mediation
    redundancy: tuple                       # H(Λ | Xi), one per observable
    redundancy_kl: tuple                    # D_KL(P[X,Λ] ‖ P[X] P[Λ|Xi]) = I(Λ; X_{-i} | Xi)
    epsilon: float | None = None
    unit: str = "nats"
    name: str | None = None

    @property
    def natural(self):
        """Mediation and every redundancy error (information forms) at most ε (None without an ε)."""
        return self._within(self.mediation, self.redundancy)

    @property
    def natural_kl(self):
        """The same judgement on the KL forms."""
        return self._within(self.mediation_kl, self.redundancy_kl)

    def _within(self, mediation, redundancy):
        if self.epsilon is None:
            return None
        ok = np.asarray(mediation) <= self.epsilon
        for r in redundancy:
            ok = ok & (np.asarray(r) <= self.epsilon)
        return bool(ok) if np.ndim(ok) == 0 else ok

    def __str__(self) -> str:
        obs = "; ".join(", ".join(o) for o in self.observables)
        head = f"{self.name}: " if self.name else ""
        lines = [f"{head}latent {', '.join(self.latent) or '(none)'} of {obs} ({self.unit})",
                 f"  mediation {_shown(self.mediation)} (KL form {_shown(self.mediation_kl)})"]
        for o, r, k in zip(self.observables, self.redundancy, self.redundancy_kl):
            lines.append(f"  redundancy over {', '.join(o)}: H = {_shown(r)}, KL = {_shown(k)}")
        if self.epsilon is not None:
            ok = np.asarray(self.natural)
            verdict = ("natural" if ok.all() else "not natural") if ok.ndim == 0 else \
                f"natural at {int(ok.sum())} of {ok.size} points"
            lines.append(f"  {verdict} within ε = {self.epsilon:g}")
        return "\n".join(lines)

    def _verdicts(self, ok):
        """A verdict per sweep point for JSON: null where the errors are undefined (impossible evidence)."""
        if not isinstance(ok, np.ndarray):
            return ok
        return np.where(np.isnan(np.asarray(self.mediation, dtype=float)), None, ok).tolist()

    def to_dict(self) -> dict:
        conv = lambda v: (np.where(np.isnan(v), None, v).tolist() if isinstance(v, np.ndarray) and v.dtype.kind == "f"
                          else v.tolist() if isinstance(v, np.ndarray) else None if v != v else v)   # nan: null
        out = {"latent": list(self.latent), "observables": [list(o) for o in self.observables], "unit": self.unit,
               "mediation": conv(self.mediation), "mediation_kl": conv(self.mediation_kl),
               "redundancy": [conv(r) for r in self.redundancy],
               "redundancy_kl": [conv(r) for r in self.redundancy_kl],
               "epsilon": self.epsilon, "natural": self._verdicts(self.natural),
               "natural_kl": self._verdicts(self.natural_kl)}
        if self.name:
            out["name"] = self.name
        return out


@dataclass(frozen=True)
class Factorisation:
    """Whether ``latent`` factors through ``through`` over ``observables``, with the witness kernel
    ``through → latent`` (or None) and the largest violation of the defining equation by the best kernel
    tried. ``decided`` is False only when no kernel was found and the laws of the observables under the
    labels of ``through`` (those with one law merged) are linearly dependent, so that other kernels than those
    tried might still work."""

    latent: tuple[str, ...]
    through: tuple[str, ...]
    observables: tuple[str, ...]
    witness: Kernel | None
    violation: float
    decided: bool = True
    tolerance: float = TOLERANCE
    how: str = field(default="")

    @property
    def factors(self) -> bool:
        return self.witness is not None

    def __str__(self) -> str:
        lat, thr = ", ".join(self.latent), ", ".join(self.through)
        if self.factors:
            return f"{lat} factors through {thr} over {', '.join(self.observables)} ({self.how})"
        tail = "" if self.decided else " (undecided: other kernels were not searched)"
        return f"{lat} does not factor through {thr}: violation {self.violation:.3g}{tail}"

    def to_dict(self) -> dict:
        return {"latent": list(self.latent), "through": list(self.through), "observables": list(self.observables),
                "factors": self.factors, "violation": self.violation, "decided": self.decided, "how": self.how,
                "witness": None if self.witness is None else self.witness.array.tolist()}


# ----- on a net ---------------------------------------------------------------------------------
def natural_latent(source, latent: Sequence[str] | str, observables: Sequence, *,
                   values: Mapping[str, object] | None = None, given: Mapping[str, str] | None = None,
                   at: Mapping[str, str] | None = None, epsilon: float | None = None, unit: str = "nats",
                   name: str | None = None) -> NaturalLatent:
    """The errors of ``latent`` as a natural latent of ``observables`` (each a wire or a list of wires).

    ``source`` is a net or an episode (its wires, the joint law from one distribution query at
    ``values``, with evidence ``given`` and outer inputs ``at``), or a distribution :class:`Kernel`
    whose output ports are the names. Array values sweep (errors are arrays of the sweep's shape); as for
    every query, a sweep point where the evidence has probability zero gives ``nan`` there (at scalar values
    it is an :class:`~markovwire.errors.EvidenceError`)."""
    lat, obs = _group(latent), [_group(o) for o in observables]
    if not obs:
        raise ShapeError("natural latent", "names no observables",
                         fix="list the observable wires, e.g. observables: [probe.threat, monitor.threat]")
    _check_epsilon(epsilon, unit)
    joint = joint_law(source, [lat, *obs], values=values, given=given, at=at)
    return errors(joint, epsilon=epsilon, unit=unit, latent=lat, observables=tuple(obs), name=name)


def factors_through(source, latent: Sequence[str] | str, through: Sequence[str] | str, observables: Sequence[str] | str,
                    *, values: Mapping[str, object] | None = None, given: Mapping[str, str] | None = None,
                    at: Mapping[str, str] | None = None, tolerance: float = TOLERANCE) -> Factorisation:
    """Whether a kernel ``w: through → latent`` gives ``P[latent, X] = Σ P[through, X] w`` (X the observables).

    The conditional ``P[latent | through]`` is tried first (it works whenever the net makes X and
    ``latent`` independent given ``through``). When it fails, labels of ``through`` under which X has
    the same law are merged (a kernel acts on X through the mix of their rows, so this loses no
    solution); if the laws of X under the merged labels are then linearly independent, the equation
    has at most one solution, which is computed and checked, so that the answer is exact. Otherwise
    the answer is ``decided=False``. Labels of ``through`` of probability zero get the uniform row
    (any row works there).
    """
    lat, thr, obs = _group(latent), _group(through), _group(observables)
    if not lat or not thr:
        raise ShapeError("factorisation", "needs a latent and a latent to factor it through",
                         fix="name at least one wire for each")
    joint = joint_law(source, [lat, thr, obs], values=values, given=given, at=at)
    if joint.ndim != 3:
        raise ShapeError("factorisation", "is decided at one point; the parameters sweep",
                         fix="give scalar parameter values")
    B = joint.sum(axis=1)                               # P[Λ1, X]
    A = joint.sum(axis=0)                               # P[Λ2, X]
    p2 = A.sum(axis=1)
    on = p2 > 0
    W = np.full((len(p2), B.shape[0]), 1.0 / B.shape[0])
    W[on] = joint.sum(axis=2).T[on] / p2[on, None]      # P[Λ1 | Λ2]
    violation = float(np.abs(B - (A.T @ W).T).max(initial=0.0))
    how, decided = "the conditional law", True
    if violation > tolerance:
        # labels of Λ2 under which X has one law act on X only through the mix of their rows: merge them
        cond = A[on] / p2[on, None]
        _, group = np.unique(np.round(cond, 12), axis=0, return_inverse=True)
        group = group.reshape(-1)
        M = np.zeros((A.shape[1], group.max() + 1))
        np.add.at(M.T, group, A[on])                    # x × merged labels of Λ2
        if np.linalg.matrix_rank(M) == M.shape[1]:
            sol = np.linalg.lstsq(M, B.T, rcond=None)[0]    # the only solution, if any
            bad = max(float(-sol.min(initial=0.0)), float(np.abs(M @ sol - B.T).max(initial=0.0)))
            if bad <= tolerance:
                sol = np.clip(sol, 0.0, None)
                W[on] = (sol / sol.sum(axis=1, keepdims=True))[group]
                violation, how = float(np.abs(B - (A.T @ W).T).max(initial=0.0)), "the only solution"
            else:
                violation = min(violation, bad)
        else:
            decided = False
    types = source_types(source)
    witness = None
    if violation <= tolerance:
        shape = tuple(len(types[w]) for w in thr) + tuple(len(types[w]) for w in lat)
        witness = Kernel(W.reshape(shape), _ports(thr, types), _ports(lat, types),
                         name=f"{'_'.join(lat)} from {'_'.join(thr)}", check=False)
    return Factorisation(lat, thr, obs, witness, violation, decided, tolerance, how)


def joint_law(source, groups: Sequence[Sequence[str]], *, values: Mapping[str, object] | None = None,
              given: Mapping[str, str] | None = None, at: Mapping[str, str] | None = None) -> np.ndarray:
    """The joint law of groups of wires: sweep axes first, then one axis per group (its wires' labels jointly,
    in product order). A wire may stand in several groups (a latent may contain an observable)."""
    groups = [tuple(g) for g in groups]
    wires = list(dict.fromkeys(w for g in groups for w in g))
    types = source_types(source)
    if isinstance(source, Kernel):
        law = _kernel_law(source, wires, given, at)
        lead: tuple[int, ...] = ()
    else:
        law = np.asarray(Query.distribution(wires, given=given, at=at).value(source, values))
        lead = law.shape[:-1]
        law = law.reshape(lead + tuple(len(types[w]) for w in wires))
    flat = [w for g in groups for w in g]
    sizes = [len(types[w]) for w in flat]
    entries = math.prod(lead) * math.prod(sizes)
    check_memory_bytes(8 * COPIES * entries, "natural latent", f" for {COPIES} copies of the joint law of "
                       f"{len(flat)} wires ({entries:,} entries)")
    if len(flat) != len(wires):                         # a wire in two groups: its axis is copied (a diagonal)
        grid = np.indices(sizes, sparse=True) if sizes else []
        first = {w: grid[flat.index(w)] for w in wires}
        law = law[(Ellipsis, *(first[w] for w in wires))]
        for k, w in enumerate(flat):
            if k != flat.index(w):
                law = law * (grid[k] == first[w])
    law = np.asarray(law, dtype=float).reshape(lead + tuple(math.prod(len(types[w]) for w in g) for g in groups))
    return law


def source_types(source) -> dict:
    """Wire (or port) name → type."""
    if isinstance(source, Kernel):
        if source.dom:
            raise ShapeError(f"kernel {source.name!r}", "is not a joint law: it has inputs",
                             fix="give a distribution (a kernel with no inputs), or a net")
        return {p.name: p.type for p in source.cod}
    return dict(source.wires)


# ----- on a joint law ------------------------------------------------------------------------------
def errors(joint: np.ndarray, *, epsilon: float | None = None, unit: str = "nats", latent: Sequence[str] = ("Λ",),
           observables: Sequence[Sequence[str]] | None = None, name: str | None = None) -> NaturalLatent:
    """The errors from a joint law with axes ``[sweep…, Λ, X1, …, Xn]`` (see :func:`joint_law`).

    >>> p = np.zeros((2, 2, 2)); p[0, 0, 0] = p[1, 1, 1] = 0.5     # Λ = X1 = X2, a fair bit
    >>> e = errors(p, unit="bits"); e.mediation, e.redundancy
    (0.0, (0.0, 0.0))
    >>> e = errors(p.sum(axis=0, keepdims=True), unit="bits"); e.mediation, e.redundancy   # a constant latent
    (1.0, (0.0, 0.0))
    """
    _check_epsilon(epsilon, unit)
    joint = np.asarray(joint, dtype=float)
    n = len(observables) if observables is not None else joint.ndim - 1
    nv = n + 1
    lead = joint.ndim - nv
    X = list(range(1, nv))
    undefined = np.isnan(joint).any(axis=tuple(range(lead, joint.ndim)))     # sweep points of impossible evidence
    joint = np.where(np.isnan(joint), 0.0, joint)
    mediation = sum(entropy(joint, [i], [0], nv) for i in X) - entropy(joint, X, [0], nv)
    mediation = np.maximum(mediation, 0.0)
    p_lam = _marginal(joint, {0}, lead)
    q = p_lam
    for i in X:
        q = q * _divide(_marginal(joint, {0, i}, lead), p_lam)
    mediation_kl = _kl(joint, q, lead)
    redundancy, redundancy_kl = [], []
    p_x = _marginal(joint, set(X), lead)
    for i in X:
        redundancy.append(entropy(joint, [0], [i], nv))
        redundancy_kl.append(_kl(joint, p_x * _divide(_marginal(joint, {0, i}, lead), _marginal(joint, {i}, lead)),
                                 lead))
    scale = 1.0 if unit == "nats" else NATS_PER_BIT
    out = lambda v: _scalar(np.where(undefined, np.nan, np.where(np.asarray(v) < ROUND_OFF, 0.0, v) / scale))
    obs = tuple(tuple(o) for o in observables) if observables is not None else tuple((f"X{i}",) for i in X)
    return NaturalLatent(tuple(latent), obs, out(mediation), out(mediation_kl), tuple(out(r) for r in redundancy),
                         tuple(out(r) for r in redundancy_kl), epsilon, unit, name)


# ----- helpers --------------------------------------------------------------------------------------
def _marginal(joint: np.ndarray, keep: set[int], lead: int) -> np.ndarray:
    """The marginal on variables ``keep``, summed axes kept as length 1 (so that it broadcasts)."""
    drop = tuple(lead + i for i in range(joint.ndim - lead) if i not in keep)
    return joint.sum(axis=drop, keepdims=True) if drop else joint


def _divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """``num / den`` where ``den > 0``, else 0 (a conditional on a label of probability zero: never used)."""
    den = np.broadcast_to(den, np.broadcast_shapes(num.shape, den.shape))
    return np.divide(num, den, out=np.zeros(den.shape), where=den > 0)


def _kl(p: np.ndarray, q: np.ndarray, lead: int) -> np.ndarray:
    shape = p.shape[:lead] + (-1,)
    return kl(p.reshape(shape), np.broadcast_to(q, p.shape).reshape(shape))


def _scalar(v: np.ndarray):
    return float(v) if v.ndim == 0 else v


def _shown(v) -> str:
    """A number, or a sweep's range (``nan`` where the evidence is impossible)."""
    if np.ndim(v) == 0:
        return f"{v:.6g}"
    v = np.asarray(v)
    if np.isnan(v).all():
        return "[nan]"
    gaps = " and nan" if np.isnan(v).any() else ""
    return f"[{np.nanmin(v):.4g} … {np.nanmax(v):.4g}{gaps}]"


def _group(g) -> tuple[str, ...]:
    return (g,) if isinstance(g, str) else tuple(str(w) for w in g)


def _check_epsilon(epsilon, unit) -> None:
    if unit not in ("nats", "bits"):
        raise ShapeError("natural latent", f"unknown unit {unit!r}", fix="use unit 'nats' or 'bits'")
    if epsilon is not None and not (isinstance(epsilon, (int, float)) and math.isfinite(epsilon) and epsilon >= 0):
        raise ShapeError("natural latent", f"epsilon {epsilon!r} is not a number >= 0",
                         fix="give epsilon as a non-negative number, e.g. epsilon: 0.01")


def _kernel_law(kernel: Kernel, wires, given, at) -> np.ndarray:
    """The marginal of a distribution kernel on ``wires`` (port names), conditioned on ``given``."""
    if at:
        raise ShapeError(f"kernel {kernel.name!r}", "has no outer inputs to fix", fix="drop at=")
    k = kernel.condition(dict(given)) if given else kernel
    names = [p.name for p in k.cod]
    for w in wires:
        if w not in names:
            from ..errors import UnknownName
            raise UnknownName(f"kernel {kernel.name!r}", f"has no output {w!r}", fix=f"use one of: {', '.join(names)}")
    arr = np.asarray(k.array, dtype=float)
    idx = [names.index(w) for w in wires]
    arr = arr.sum(axis=tuple(i for i in range(arr.ndim) if i not in idx)) if len(idx) < arr.ndim else arr
    kept = sorted(idx)
    return np.transpose(arr, [kept.index(i) for i in idx])


def _ports(wires, types) -> list:
    """Ports named after wires (``box.port`` becomes ``box_port``)."""
    return [(w.replace(".", "_"), types[w]) for w in wires]
