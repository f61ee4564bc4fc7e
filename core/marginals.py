"""All single-wire marginals of a net at once, by junction-tree calibration.

Asking for every wire's distribution should not cost one contraction per wire.
The net's factors (one per box, observed wires sliced away) are placed on a
junction tree: a min-fill elimination order (ties broken by the smallest clique)
gives the cliques, a maximum spanning tree by separator size joins them (empty
separators join the parts of a disconnected net), and two passes of
Shafer–Shenoy messages calibrate every clique without any division. Each wire's
marginal is then summed out of the smallest clique that holds it. The tree and
the whole sequence of array operations are compiled once per (net structure,
observed wires, sweep layout) and reused for new parameter values and for new
observed labels on the same wires.

Shapes follow :meth:`Net.evaluate`: a wire's marginal has the sweep's axes
first, then one axis per outer input of the net (the marginal *given* each
input value), then the wire's own axis. An observed wire's marginal is the
point mass on its observed label; an outer input's is the point mass on the
input's value. Evidence of probability zero raises :class:`EvidenceError`.

>>> from markovwire import FinSet, Kernel, Net
>>> Act = FinSet("Act", ["clean", "attack"]); V = FinSet("Verdict", ["pass", "flag"])
>>> net = Net()
>>> _ = net.add_box("policy", Kernel([0.9, 0.1], [], [Act]), [], ["act"])
>>> _ = net.add_box("monitor", Kernel([[0.95, 0.05], [0.3, 0.7]], [Act], [V]), ["act"], ["verdict"])
>>> m = net.marginals(evidence={"verdict": "flag"})
>>> m["act"].round(6).tolist(), m["verdict"].tolist()
([0.391304, 0.608696], [0.0, 1.0])
"""
from __future__ import annotations

import heapq
import math
from typing import Mapping, Sequence

import numpy as np

from .contract import check_memory
from .errors import EvidenceError, WiringError
from .limits import check_memory_bytes

LIVE = 3  # arrays per clique kept during calibration: its potential, its belief, and the messages and products


class _Sweep:
    """The sweep's axis in clique layouts (an object, so that no wire name can clash with it)."""

    def __repr__(self) -> str:
        return "sweep"


SWEEP = _Sweep()


def all_marginals(net, values: Mapping[str, object], evidence: Mapping[str, str],
                  wires: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """``{wire: P(wire | evidence)}`` for every wire a box drives (or for ``wires``)."""
    net.check()
    boxes, operands = net._operands()
    driven = {w for b in boxes for w in b.outputs}
    wires = [w for w in net.wires if w in driven] if wires is None else list(wires)
    obs = net._evidence_indices(dict(evidence), wires)
    for w in wires:
        if w not in driven and w not in net.inputs:
            raise WiringError(f"wire {w!r}", "is driven by no box and is not an outer input, so it has no "
                              "distribution", fix="connect a box output to it, or ask for another wire")
    arrays, batch = net._operand_arrays(values, False)
    flags = tuple(a.ndim > nd for a, nd in zip(arrays, operands.ndims)) if batch else ()
    key = ("marginals", tuple(sorted(obs)), flags)
    tree = net._plans.get(key)
    if tree is None:
        factors = [tuple(b.inputs) + tuple(b.outputs) for b in boxes]
        sizes = {w: len(t) for w, t in net.wires.items()}
        tree = net._plans[key] = JunctionTree(factors, sizes, set(obs), net.inputs, flags)
    out = tree.marginals(arrays, obs, batch, wires, evidence)
    if not batch and any(np.ndim(v) for v in values.values()):  # swept, but used by no box: as evaluate does
        shape = np.broadcast_shapes(*(np.shape(v) for v in values.values()))
        out = {w: np.broadcast_to(m, shape + m.shape).copy() for w, m in out.items()}
    return out


class JunctionTree:
    """A calibration program for one net structure, set of observed wires and sweep layout.

    ``factors`` lists each box's wires in the axis order of its array (after a leading
    sweep axis where ``batched``). Inputs and the sweep are the *prefix* of every
    clique's layout: never summed, they make every result "per sweep point, per input".
    Arrays are right-aligned: an array may omit leading prefix axes it does not use.
    """

    def __init__(self, factors: Sequence[tuple[str, ...]], sizes: Mapping[str, int], observed: set,
                 inputs: Sequence[str], batched: Sequence[bool] = ()):
        batched = tuple(batched) or (False,) * len(factors)
        self.sizes = dict(sizes)
        self.observed = set(observed)
        self.inputs = tuple(inputs)
        self.swept = any(batched)
        self.prefix = ((SWEEP,) if self.swept else ()) + self.inputs
        outer = set(self.inputs) | self.observed
        order = {w: k for k, w in enumerate(self.sizes)}
        self.variables = sorted({w for f in factors for w in f if w not in outer}, key=order.__getitem__)
        scopes = [{w for w in f if w not in outer} for f in factors]
        cliques = _cliques(self.variables, self.sizes, scopes) or [frozenset()]
        pos = {w: k for k, w in enumerate(self.variables)}
        self.cliques = [tuple(sorted(c, key=pos.__getitem__)) for c in cliques]
        self.root, self.parent, self.children = _spanning_tree(self.cliques, self.sizes)
        entries = [math.prod(self.sizes[w] for w in c) for c in self.cliques]
        self.largest = max(range(len(self.cliques)), key=entries.__getitem__)
        self.entries = sum(entries)
        self._holding: dict[str, list[int]] = {}
        for i, c in enumerate(self.cliques):
            for w in c:
                self._holding.setdefault(w, []).append(i)
        home = [self._smallest(s, entries) for s in scopes]
        self._code: list = []
        self._nregs = 0
        self._ones: list = []
        self._factors = [(k, self._reg(), self._factor_prep(f, batched[k], self.cliques[home[k]]))
                         for k, f in enumerate(factors)]
        self._compile(home, entries)

    # ----- compilation -----------------------------------------------------
    def _smallest(self, scope: set, entries) -> int:
        """The smallest clique holding every wire of ``scope`` (the root for an empty scope)."""
        if not scope:
            return self.root
        first = next(iter(scope))
        return min((i for i in self._holding[first] if scope <= set(self.cliques[i])), key=entries.__getitem__)

    def _reg(self) -> int:
        self._nregs += 1
        return self._nregs - 1

    def _layout(self, clique) -> tuple[str, ...]:
        return self.prefix + tuple(clique)

    def _factor_prep(self, wires: tuple[str, ...], batched: bool, clique):
        """Slice observed wires, take diagonals of repeated wires, align axes to the clique's layout."""
        lead = 1 if batched else 0
        template = [None] * lead + [w if w in self.observed else None for w in wires]
        last = max((k for k, w in enumerate(template) if w is not None), default=-1)
        template = template[: last + 1]
        rest = ([SWEEP] if batched else []) + [w for w in wires if w not in self.observed]
        distinct = list(dict.fromkeys(rest))
        diagonal = (([distinct.index(w) for w in rest], list(range(len(distinct))))
                    if len(distinct) < len(rest) else None)  # a wire on two ports: the diagonal
        layout = self._layout(clique)
        where = {w: k for k, w in enumerate(layout)}
        perm = tuple(sorted(range(len(distinct)), key=lambda k: where[distinct[k]]))
        if perm == tuple(range(len(perm))):
            perm = None
        placed = {distinct[k] for k in range(len(distinct))}
        start = min((where[w] for w in distinct), default=len(layout))
        expand = tuple(slice(None) if w in placed else None for w in layout[start:])
        if all(e is not None for e in expand):
            expand = None

        def prep(x, obs):
            if template:
                x = x[tuple(slice(None) if w is None else obs[w] for w in template)]
            if diagonal is not None:
                x = np.einsum(x, diagonal[0], diagonal[1])
            if perm is not None:
                x = x.transpose(perm)
            return x if expand is None else x[expand]
        return prep

    def _mul(self, a, b):
        """A register holding ``a * b`` (None stands for the constant one)."""
        if a is None or b is None:
            return b if a is None else a
        out = self._reg()
        self._code.append((out, np.multiply, a, b))
        return out

    def _full(self, reg, clique):
        """``reg``, or a register of ones over the whole clique when the product is empty."""
        if reg is not None:
            return reg
        out = self._reg()
        self._ones.append((out, np.ones(tuple(self.sizes[w] for w in clique))))
        return out

    def _message(self, reg, src, dst):
        """Sum the clique ``src``'s array onto the separator with ``dst``, laid out for ``dst``."""
        sep = set(src) & set(dst)
        reg = self._full(reg, src)
        axes = tuple(k - len(src) for k, w in enumerate(src) if w not in sep)
        expand = (Ellipsis,) + tuple(slice(None) if w in sep else None for w in dst)
        if all(e == slice(None) for e in expand[1:]):
            expand = None
        out = self._reg()
        if expand is None:
            fn = (lambda x: x.sum(axis=axes)) if axes else (lambda x: x)
        else:
            fn = (lambda x: x.sum(axis=axes)[expand]) if axes else (lambda x: x[expand])
        self._code.append((out, fn, reg, None))
        return out

    def _compile(self, home, entries):
        n = len(self.cliques)
        psi: list = [None] * n
        for k, reg, _ in self._factors:
            psi[home[k]] = self._mul(psi[home[k]], reg)
        post = _postorder(self.root, self.children)
        phi, up, down = [None] * n, [None] * n, [None] * n
        for i in post:  # collect: leaves towards the root
            phi[i] = psi[i]
            for c in self.children[i]:
                phi[i] = self._mul(phi[i], up[c])
            if i != self.root:
                up[i] = self._message(phi[i], self.cliques[i], self.cliques[self.parent[i]])
        for i in reversed(post):  # distribute: root towards the leaves, no division
            ch = self.children[i]
            a = self._mul(psi[i], down[i])
            prefix = [a]
            for c in ch[:-1]:
                prefix.append(self._mul(prefix[-1], up[c]))
            suffix: list = [None] * (len(ch) + 1)
            for j in range(len(ch) - 1, 0, -1):
                suffix[j] = self._mul(up[ch[j]], suffix[j + 1])
            for j, c in enumerate(ch):
                down[c] = self._message(self._mul(prefix[j], suffix[j + 1]), self.cliques[i], self.cliques[c])
        # each wire from the smallest clique holding it; beliefs only where needed
        self.home_of = {w: self._smallest({w}, entries) for w in self.variables}
        needed = sorted(set(self.home_of.values()) | {min(range(n), key=entries.__getitem__)})
        self._norm_clique = min(needed, key=entries.__getitem__)
        belief = {}
        for i in needed:
            belief[i] = self._full(self._mul(phi[i], down[i]), self.cliques[i])
        self._marg = {}
        for w, i in self.home_of.items():
            c = self.cliques[i]
            axes = tuple(k - len(c) for k, v in enumerate(c) if v != w)
            self._marg[w] = (belief[i], axes)
        c = self.cliques[self._norm_clique]
        self._z = (belief[self._norm_clique], tuple(range(-len(c), 0)))

    # ----- running -----------------------------------------------------------
    def calibrate(self, arrays: Sequence[np.ndarray], obs: Mapping[str, int]) -> list:
        """The registers after both passes (beliefs of the cliques that marginals need)."""
        r: list = [None] * self._nregs
        for k, reg, prep in self._factors:
            r[reg] = prep(arrays[k], obs)
        for reg, ones in self._ones:
            r[reg] = ones
        for out, fn, a, b in self._code:
            r[out] = fn(r[a]) if b is None else fn(r[a], r[b])
        return r

    def marginals(self, arrays, obs: Mapping[str, int], batch, wires: Sequence[str],
                  evidence: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
        """Every wire's marginal, normalised by the probability of the evidence."""
        n = batch[0] if batch else 1
        self._check_memory(n)
        r = self.calibrate(arrays, obs)
        scale = None
        if obs:
            reg, axes = self._z
            z = r[reg].sum(axis=axes)
            if not np.all(z > 0):
                self._zero_evidence(z, n, evidence or obs)
            scale = (1.0 / z)[..., None]
        lead = ((n,) if batch else ()) + tuple(self.sizes[w] for w in self.inputs)
        out = {}
        for w in wires:
            if w in self._marg:
                reg, axes = self._marg[w]
                m = r[reg].sum(axis=axes) if axes else np.array(r[reg])  # never hand out a kernel's array
                if scale is not None:
                    m = m * scale
            else:
                m = self._point_mass(w, obs)
            shape = lead + (self.sizes[w],)
            if m.shape != shape:
                m = np.broadcast_to(m, shape).copy()
            out[w] = m.reshape(batch[1] + shape[1:]) if batch else m
        return out

    def _point_mass(self, w: str, obs: Mapping[str, int]) -> np.ndarray:
        """The marginal of an observed wire, or of an outer input given itself."""
        size = self.sizes[w]
        if w in obs:
            hot = np.zeros(size)
            hot[obs[w]] = 1.0
            return hot
        k = self.inputs.index(w)
        shape = [1] * len(self.inputs) + [size]
        shape[k] = size
        return np.eye(size).reshape(shape)

    def _check_memory(self, n: int) -> None:
        """Refuse a calibration whose arrays, all kept until the marginals are read (every clique's potential
        and belief, and the messages and products between them: ``LIVE`` times the cliques' entries, per sweep
        point and input value), would not fit in the memory budget."""
        clique = self.cliques[self.largest]
        indices = ((SWEEP,) if self.swept else ()) + self.inputs + tuple(clique)
        sizes = {**self.sizes, SWEEP: n}
        what = "junction tree of the marginals"
        check_memory(indices, sizes, {}, 8, what=what)
        per = (n if self.swept else 1) * math.prod(self.sizes[w] for w in self.inputs)
        wires = ", ".join(f"{w}({self.sizes[w]})" for w in clique[:8]) + (", …" if len(clique) > 8 else "")
        check_memory_bytes(LIVE * self.entries * per * 8, what,
                           f" ({len(self.cliques)} cliques; the largest, over {wires}, has "
                           f"{math.prod(self.sizes[w] for w in clique) * per:,} entries)")

    def _zero_evidence(self, z, n: int, evidence) -> None:
        shown = ", ".join(f"{k}={v}" for k, v in evidence.items())
        full = np.broadcast_to(z, ((n,) if self.swept else ()) + tuple(self.sizes[w] for w in self.inputs))
        at = np.argwhere(~(full > 0))[0] if full.ndim else ()
        where = []
        if self.swept:
            where.append(f"sweep point {at[0]}")
        where += [f"input {w} at position {i}" for w, i in zip(self.inputs, at[1:] if self.swept else at)]
        raise EvidenceError(f"evidence {shown}", "has probability zero under the net"
                            + (f" ({', '.join(where)})" if where else ""),
                            fix="condition on observations the proposal can produce")


# ----- the tree ----------------------------------------------------------------------
def _cliques(variables: Sequence[str], sizes: Mapping[str, int], scopes) -> list[frozenset]:
    """The maximal cliques of a min-fill elimination of the moral graph (ties: smaller clique)."""
    adj: dict[str, set] = {v: set() for v in variables}
    for s in scopes:
        for a in s:
            adj[a].update(s)
    for v in variables:
        adj[v].discard(v)
    pos = {v: k for k, v in enumerate(variables)}

    def score(v):
        nb = list(adj[v])
        fill = sum(1 for k, a in enumerate(nb) for b in nb[k + 1:] if b not in adj[a])
        return fill, sizes[v] * math.prod(sizes[u] for u in nb), pos[v]

    stamp = dict.fromkeys(variables, 0)
    heap = [(score(v), 0, v) for v in variables]
    heapq.heapify(heap)
    done: set = set()
    cliques: list[frozenset] = []
    holding: dict[str, list[int]] = {v: [] for v in variables}
    while heap:
        _, st, v = heapq.heappop(heap)
        if v in done or st != stamp[v]:
            continue
        nb = adj.pop(v)
        clique = frozenset(nb | {v})
        if not any(clique <= cliques[k] for k in holding[v]):
            for u in clique:
                holding[u].append(len(cliques))
            cliques.append(clique)
        done.add(v)
        for a in nb:
            adj[a].discard(v)
            adj[a].update(nb - {a})
        touched = set(nb)
        for a in nb:
            touched |= adj[a]
        for u in touched - done:
            stamp[u] += 1
            heapq.heappush(heap, (score(u), stamp[u], u))
    return cliques


def _spanning_tree(cliques, sizes):
    """A maximum spanning tree by separator size (Kruskal), parts joined by empty separators.

    Returns the root (the largest clique), each clique's parent and children.
    """
    n = len(cliques)
    holding: dict[str, list[int]] = {}
    for i, c in enumerate(cliques):
        for w in c:
            holding.setdefault(w, []).append(i)
    pairs = {(i, j) for ks in holding.values() for a, i in enumerate(ks) for j in ks[a + 1:]}
    edges = []
    for i, j in pairs:
        sep = set(cliques[i]) & set(cliques[j])
        edges.append((-len(sep), math.prod(sizes[w] for w in sep), i, j))
    edges.sort()
    root_of = list(range(n))

    def find(i):
        while root_of[i] != i:
            root_of[i] = root_of[root_of[i]]
            i = root_of[i]
        return i

    adj: list[list[int]] = [[] for _ in range(n)]
    for *_, i, j in edges:
        a, b = find(i), find(j)
        if a != b:
            root_of[a] = b
            adj[i].append(j)
            adj[j].append(i)
    for i in range(1, n):  # the parts of a disconnected net: join with empty separators
        a, b = find(0), find(i)
        if a != b:
            root_of[b] = a
            adj[0].append(i)
            adj[i].append(0)
    entries = [math.prod(sizes[w] for w in c) for c in cliques]
    root = max(range(n), key=entries.__getitem__)
    parent: list = [None] * n
    children: list[list[int]] = [[] for _ in range(n)]
    stack, seen = [root], {root}
    while stack:
        i = stack.pop()
        for j in adj[i]:
            if j not in seen:
                seen.add(j)
                parent[j] = i
                children[i].append(j)
                stack.append(j)
    return root, parent, children


def _postorder(root: int, children) -> list[int]:
    out, stack = [], [(root, False)]
    while stack:
        i, expanded = stack.pop()
        if expanded:
            out.append(i)
            continue
        stack.append((i, True))
        stack.extend((c, False) for c in children[i])
    return out
