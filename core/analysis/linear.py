"""A query as a linear function of one box's kernel, and its optimum over sets of kernels.

When a box occurs once in a net, the joint distribution is a product in which its
kernel ``k(y | x)`` appears once, so every probability of the net is linear in
the box's entries: ``P(w) = Σ_{x,y} C[x, y, w] · k[x, y]``. The coefficient tensor
``C`` is the rest of the net contracted with the box removed, its output wires
made outer inputs (:class:`BoxForm`). A query with evidence is a ratio of two such
linear functions.

Over a product of row sets (every kernel; probability intervals per row) a linear
function is maximised row by row, which is the solution of the linear programme;
a ratio is maximised exactly by Dinkelbach's iteration (:func:`optimise`).

>>> from markovwire import FinSet, Kernel, Net
>>> from markovwire.analysis.query import Query
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> num, den = BoxForm(net, "monitor", Query.probability({"verdict": "flag"})).coefficients()
>>> num                     # P(verdict=flag) = 0.9·m[clean, flag] + 0.1·m[attack, flag]
array([[0. , 0.9],
       [0. , 0.1]])
>>> value, k = optimise(num, den, Simplex((2,), (2,)), "max")
>>> float(value), k.tolist()
(1.0, [[0.0, 1.0], [0.0, 1.0]])
"""
from __future__ import annotations

from typing import Mapping

import numpy as np

from ..errors import EvidenceError, ShapeError
from ..net import Net
from .query import Query, broadcast_sweep

MAX_DINKELBACH = 500


class BoxForm:
    """The coefficients of a query as a linear function of the kernel of one box.

    Outer inputs named in ``free`` stay as axes of the coefficients (after the sweep
    axes, before the box's); every other outer input must be fixed by the query's ``at``.
    """

    def __init__(self, net: Net, box: str, query: Query, free: tuple[str, ...] = ()):
        net.check()
        self.net, self.query, self.free = net, query, tuple(free)
        self.box = net.box(box)
        rest = net.clone()
        rest.boxes = [b for b in net.boxes if b.name != box]
        evidence = dict(query.given)
        self.y_evidence = {w: evidence.pop(w) for w in list(evidence) if w in self.box.outputs}
        self.evidence = evidence
        rest.set_inputs(*net.inputs, *self.box.outputs)
        self.rest = rest
        self.outputs = tuple(self.box.inputs) + tuple(query.wires)
        self.weights = query.weights(net)
        missing = [w for w in net.inputs if w not in dict(query.at) and w not in self.free]
        if missing:
            raise ShapeError(f"query {query}", f"the net has outer input(s) {', '.join(missing)} that it does not fix",
                             fix="fix every outer input, e.g. Query.probability({...}, at={"
                                 + ", ".join(f"{w!r}: ..." for w in missing) + "})")

    @property
    def shape(self) -> tuple[int, ...]:
        return self.box.kernel.array.shape

    def coefficients(self, values: Mapping[str, object] | None = None) -> tuple[np.ndarray, np.ndarray | None]:
        """``(num, den)`` shaped ``sweep + free inputs + the box's array``; ``den`` is None without evidence.

        The query at kernel ``k`` is ``Σ num·k / Σ den·k`` (or ``Σ num·k``).
        """
        shape, flat = broadcast_sweep(dict(values or {}))
        raw = np.asarray(self.rest.evaluate(flat, evidence=self.evidence, outputs=self.outputs, normalize=False))
        n_in, n_y = len(self.net.inputs), len(self.box.outputs)
        batched = raw.ndim == 1 + n_in + n_y + len(self.outputs)
        lead = 1 if batched else 0
        at = dict(self.query.at)
        index = (slice(None),) * lead + tuple(slice(None) if w in self.free else self.net.wires[w].index(at[w])
                                              for w in self.net.inputs)
        raw = raw[index]
        free_pos = [self.net.inputs.index(w) for w in self.free]  # kept input axes, in the net's order
        raw = raw.transpose(list(range(lead)) + [lead + sorted(free_pos).index(p) for p in free_pos]
                            + list(range(lead + len(free_pos), raw.ndim)))
        lead += len(free_pos)
        for w, label in self.y_evidence.items():  # observed box outputs: keep only the observed label
            ax = lead + self.box.outputs.index(w)
            hot = np.zeros(raw.shape[ax])
            hot[self.net.wires[w].index(label)] = 1.0
            raw = raw * hot.reshape([-1 if i == ax else 1 for i in range(raw.ndim)])
        n_w = len(self.query.wires)
        w_axes = tuple(range(raw.ndim - n_w, raw.ndim))
        num = (raw * self.weights).sum(axis=w_axes) if n_w else raw * self.weights
        den = (raw.sum(axis=w_axes) if n_w else raw) if self.query.given else None
        n_x = len(self.box.inputs)
        perm = list(range(lead)) + [lead + n_y + i for i in range(n_x)] + [lead + i for i in range(n_y)]
        num = num.transpose(perm)
        den = None if den is None else den.transpose(perm)
        if shape:
            tail = num.shape[1:] if batched else num.shape
            fit = (lambda a: a.reshape(shape + tail)) if batched else (lambda a: np.broadcast_to(a, shape + tail))
            num = fit(num)
            den = None if den is None else fit(den)
        return num, den


class Simplex:
    """Every kernel of a signature: the product over input rows of the probability simplex."""

    def __init__(self, shape_in: tuple[int, ...], shape_out: tuple[int, ...]):
        self.shape_in, self.shape_out = tuple(shape_in), tuple(shape_out)

    @property
    def ndim(self) -> int:
        return len(self.shape_in) + len(self.shape_out)

    def argmax(self, c: np.ndarray) -> np.ndarray:
        """The deterministic kernel putting each row's mass on its largest coefficient (first on ties)."""
        lead = c.shape[: c.ndim - self.ndim]
        rows = c.reshape(lead + (int(np.prod(self.shape_in, dtype=int)), -1))
        best = np.argmax(rows, axis=-1)
        k = np.zeros_like(rows, dtype=float)
        np.put_along_axis(k, best[..., None], 1.0, axis=-1)
        return k.reshape(c.shape)


def dot(c: np.ndarray, k: np.ndarray, ndim: int) -> np.ndarray:
    """``Σ c·k`` over the last ``ndim`` axes (the kernel's axes)."""
    return (c * k).sum(axis=tuple(range(-ndim, 0))) if ndim else c * k


def optimise(num: np.ndarray, den: np.ndarray | None, polytope, sense: str = "max"):
    """``(value, kernel)``: the optimum of ``Σ num·k / Σ den·k`` over the polytope, per sweep point.

    Without ``den`` the objective is linear and one ``argmax`` solves it. With ``den``
    Dinkelbach's iteration (``λ ← N(k)/D(k)``, ``k ← argmax N − λD``) reaches the exact
    optimum in finitely many steps; points where every kernel gives the evidence
    probability zero get ``nan``.
    """
    s = _sign(sense)
    nd = polytope.ndim
    if den is None:
        k = polytope.argmax(s * num)
        return dot(num, k, nd), k
    k = polytope.argmax(den)
    d = dot(den, k, nd)
    ok = d > 0
    lam = np.where(ok, s * dot(num, k, nd) / np.where(ok, d, 1.0), np.nan)
    for _ in range(MAX_DINKELBACH):
        step = np.where(ok, lam, 0.0)
        c = s * num - _expand(step, nd) * den
        k_new = polytope.argmax(c)
        gain = dot(c, k_new, nd)
        better = ok & (gain > 1e-13 * (1 + np.abs(step)))
        d_new = dot(den, k_new, nd)
        new = np.where(better, s * dot(num, k_new, nd) / np.where(better, d_new, 1.0), lam)
        better &= new > lam                       # round-off cannot make the iteration cycle
        if not np.any(better):
            break
        lam = np.where(better, new, lam)
        k = np.where(_expand(better, nd), k_new, k)
    return s * lam, k


def require_possible(value, query: Query, what: str) -> None:
    """Raise when the evidence is impossible under every admissible kernel."""
    if np.any(np.isnan(value)):
        raise EvidenceError(f"query {query}", f"the evidence has probability zero under every {what}",
                            fix="condition on observations the proposal can produce")


def _expand(a: np.ndarray, nd: int) -> np.ndarray:
    return np.asarray(a).reshape(np.shape(a) + (1,) * nd)


def _sign(sense: str) -> float:
    if sense not in ("max", "min"):
        raise ShapeError("sense", f"{sense!r} is neither 'max' nor 'min'",
                         fix="use sense='max' (the adversary maximises) or sense='min'")
    return 1.0 if sense == "max" else -1.0
