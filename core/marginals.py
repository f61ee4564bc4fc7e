"""All single-wire marginals of a net at once, by junction-tree calibration.

Asking for every wire's distribution should not cost one contraction per wire.
The net's factors (one per box, observed wires sliced away) are placed on a
junction tree: a greedy elimination order gives the cliques (min-fill or
min-weight, whichever makes the smaller tables; the first fills few edges, the
second weighs the states of the neighbours, which wins on nets of wide
variables), a maximum spanning tree by separator size joins them (empty
separators join the parts of a disconnected net), and Shafer–Shenoy messages
calibrate the cliques without any division: every clique sends towards the
root, and the root sends back only towards the cliques that hold a wire asked
for. Each wire's marginal is then summed out of the smallest clique that holds
it. The tree and the whole sequence of array operations are compiled once per
(net structure, observed wires, wires asked for, sweep layout) and reused for
new parameter values and for new observed labels on the same wires.

When the calibrated cliques would not fit the memory budget, the same messages
are contracted from the factors themselves (:class:`FactorTree`: one planned,
and if need be sliced, contraction per message and per wire), so a net whose
largest clique is past the budget is still answered exactly.

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

from .contract import Program, check_memory, out_of_memory
from .errors import ContractionTooLarge, EvidenceError, WiringError
from .limits import check_memory_bytes, memory_budget

SMALL_TREE = 10**6  # entries in all cliques below which one elimination heuristic is enough (see _cliques)


class _Sweep:
    """The sweep's axis in clique layouts (an object, so that no wire name can clash with it)."""

    def __repr__(self) -> str:
        return "sweep"


SWEEP = _Sweep()


def all_marginals(net, values: Mapping[str, object], evidence: Mapping[str, str],
                  wires: Sequence[str] | None = None, method: str = "auto") -> dict[str, np.ndarray]:
    """``{wire: P(wire | evidence)}`` for every wire a box drives (or for ``wires``).

    ``method`` is ``"tree"`` (calibrated cliques), ``"factors"`` (:class:`FactorTree`) or ``"auto"``: the
    cliques when they fit the memory budget, else the factors.
    """
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
    asked = tuple(sorted(w for w in wires if w not in obs and w not in net.inputs))
    key = ("marginals", tuple(sorted(obs)), flags, asked)
    factors = [tuple(b.inputs) + tuple(b.outputs) for b in boxes]
    tree = net._plans.get(key)
    if tree is None:
        sizes = {w: len(t) for w, t in net.wires.items()}
        tree = net._plans[key] = JunctionTree(factors, sizes, set(obs), net.inputs, flags, asked)
    if method == "auto":  # the cliques when they fit; else the messages contracted from the factors
        method = "tree" if tree.fits(batch[0] if batch else 1) else "factors"
    elif method == "tree":
        tree.check_memory(batch[0] if batch else 1)
    if method == "factors":
        lazy = net._plans.get(key + ("factors",))
        if lazy is None:
            lazy = net._plans[key + ("factors",)] = FactorTree(tree, factors, flags, asked)
        out = lazy.marginals(arrays, obs, batch, wires, evidence)
    else:
        with out_of_memory(None, "junction tree of the marginals"):
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
                 inputs: Sequence[str], batched: Sequence[bool] = (), wires: Sequence[str] | None = None):
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
        cliques, edges = _cliques(self.variables, self.sizes, scopes)
        pos = {w: k for k, w in enumerate(self.variables)}
        self.cliques = [tuple(sorted(c, key=pos.__getitem__)) for c in cliques] or [()]
        self.root, self.parent, self.children = _rooted(self.cliques, edges, self.sizes)
        entries = [math.prod(self.sizes[w] for w in c) for c in self.cliques]
        self.largest = max(range(len(self.cliques)), key=entries.__getitem__)
        self.entries = sum(entries)
        self._sets = [frozenset(c) for c in self.cliques]
        self._holding: dict[str, list[int]] = {}
        for i, c in enumerate(self.cliques):
            for w in c:
                self._holding.setdefault(w, []).append(i)
        self.home = home = [self._smallest(s, entries) for s in scopes]
        self.home_of = {w: self._smallest({w}, entries) for w in self.variables}
        self.wanted = [w for w in (self.variables if wires is None else wires) if w in self.home_of]
        self._code: list = []
        self._scope: list[frozenset] = []   # each register's wires (and the sweep), for its size: see peak()
        self._views: set[int] = set()        # registers a later step may hand on as a view, never overwritten
        self._ones: list = []
        self._factors = [(k, self._reg({w for w in f if w not in self.observed} | ({SWEEP} if batched[k] else set())),
                          self._factor_prep(f, batched[k], self.cliques[home[k]]))
                         for k, f in enumerate(factors)]
        self._compile(home, entries)
        self._peaks: dict[int, int] = {}

    # ----- compilation -----------------------------------------------------
    def _smallest(self, scope: set, entries) -> int:
        """The smallest clique holding every wire of ``scope`` (the root for an empty scope)."""
        if not scope:
            return self.root
        first = next(iter(scope))
        return min((i for i in self._holding[first] if scope <= self._sets[i]), key=entries.__getitem__)

    def _reg(self, scope) -> int:
        """A new register, holding an array over the wires of ``scope``."""
        self._scope.append(frozenset(scope))
        return len(self._scope) - 1

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
        out = self._reg(self._scope[a] | self._scope[b])
        self._code.append((out, np.multiply, a, b))
        return out

    def _full(self, reg, clique):
        """``reg``, or a register of ones over the whole clique when the product is empty."""
        if reg is not None:
            return reg
        out = self._reg(clique)
        self._ones.append((out, np.ones(tuple(self.sizes[w] for w in clique))))
        return out

    def _message(self, reg, src, dst, times=None):
        """Sum the clique ``src``'s array (times the register ``times``, if given, without forming the product)
        onto the separator with ``dst``, laid out for ``dst``."""
        if reg is None or times is None:
            reg, times = self._full(self._mul(reg, times), src), None
        sep = set(src) & set(dst)
        axes = tuple(k - len(src) for k, w in enumerate(src) if w not in sep)
        expand = (Ellipsis,) + tuple(slice(None) if w in sep else None for w in dst)
        if all(e == slice(None) for e in expand[1:]):
            expand = None
        scope = self._scope[reg] | (self._scope[times] if times is not None else frozenset())
        out = self._reg(scope & (sep | set(self.prefix)))
        if times is None:
            if not axes:
                self._views.add(reg)
            total = _summer(src, axes, self.sizes)
        else:
            total = _product_summer(src, axes, self.sizes)
        fn = total if expand is None else (lambda *x: total(*x)[expand])
        self._code.append((out, fn, reg, times))
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
        needed = {self.home_of[w] for w in self.wanted} | {min(range(n), key=entries.__getitem__)}
        reaching = _reaching(self.root, self.children, needed)
        for i in reversed(post):  # distribute: root towards the cliques asked about, no division
            if i not in reaching:
                continue
            ch = [c for c in self.children[i] if c in reaching]
            a = self._mul(psi[i], down[i])
            for c in self.children[i]:  # the children asked about nothing still send their messages
                if c not in reaching:
                    a = self._mul(a, up[c])
            # each child's message leaves out its own: a prefix times a suffix of the others. The suffixes (over
            # separators) come first; each prefix (over the clique) is used at once and then dropped, so a hub
            # with many children never holds more than one clique-sized product
            suffix: list = [None] * (len(ch) + 1)
            for j in range(len(ch) - 1, 0, -1):
                suffix[j] = self._mul(up[ch[j]], suffix[j + 1])
            prefix = a
            for j, c in enumerate(ch):
                down[c] = self._message(prefix, self.cliques[i], self.cliques[c], times=suffix[j + 1])
                if j + 1 < len(ch):
                    prefix = self._mul(prefix, up[c])
        # each wire from the smallest clique holding it; beliefs only where needed
        needed = sorted(needed)
        self._norm_clique = min(needed, key=entries.__getitem__)
        belief = {}
        for i in needed:
            belief[i] = self._full(self._mul(phi[i], down[i]), self.cliques[i])
        self._marg = {}
        for w in self.wanted:
            i = self.home_of[w]
            c = self.cliques[i]
            axes = tuple(k - len(c) for k, v in enumerate(c) if v != w)
            self._marg[w] = self._reg(self._scope[belief[i]] & {w, *self.prefix})
            if not axes:
                self._views.add(belief[i])
            self._code.append((self._marg[w], _summer(c, axes, self.sizes), belief[i], None))
        c = self.cliques[self._norm_clique]
        self._z = self._reg(self._scope[belief[self._norm_clique]] & set(self.prefix))
        if not c:
            self._views.add(belief[self._norm_clique])
        self._code.append((self._z, _summer(c, tuple(range(-len(c), 0)), self.sizes), belief[self._norm_clique], None))
        # each register is dropped after its last use: the beliefs once summed, the messages once read
        kept = set(self._marg.values()) | {self._z}
        last: dict[int, int] = {}
        for k, (_, _, a, b) in enumerate(self._code):
            last[a] = k
            if b is not None:
                last[b] = k
        self._drop: list[list[int]] = [[] for _ in self._code]
        for reg, k in last.items():
            if reg not in kept:
                self._drop[k].append(reg)
        # a product read for the last time by another product over no more wires takes the result in place
        owned: set[int] = set()     # the program's own products (never a kernel's array, never the shared ones)
        for k, (out, fn, a, b) in enumerate(self._code):
            if fn is not np.multiply:
                continue
            for x, y in ((a, b), (b, a)):
                if x in owned and x in self._drop[k] and x not in self._views and self._scope[x] >= self._scope[y]:
                    self._code[k] = (out, _into, x, y)
                    break
            owned.add(out)

    # ----- running -----------------------------------------------------------
    def calibrate(self, arrays: Sequence[np.ndarray], obs: Mapping[str, int]) -> list:
        """The registers after both passes: the beliefs of the cliques that marginals need (the others are
        dropped as soon as they are read for the last time)."""
        r: list = [None] * len(self._scope)
        for k, reg, prep in self._factors:
            r[reg] = prep(arrays[k], obs)
        for reg, ones in self._ones:
            r[reg] = ones
        for (out, fn, a, b), drop in zip(self._code, self._drop):
            r[out] = fn(r[a]) if b is None else fn(r[a], r[b])
            for reg in drop:
                r[reg] = None
        return r

    def marginals(self, arrays, obs: Mapping[str, int], batch, wires: Sequence[str],
                  evidence: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
        """Every wire's marginal, normalised by the probability of the evidence (the caller has checked
        :meth:`fits`)."""
        n = batch[0] if batch else 1
        r = self.calibrate(arrays, obs)
        scale = None
        if obs:
            z = r[self._z]
            if not np.all(z > 0):
                self._zero_evidence(z, n, evidence or obs)
            scale = (1.0 / z)[..., None]
        lead = ((n,) if batch else ()) + tuple(self.sizes[w] for w in self.inputs)
        out = {}
        for w in wires:
            if w in self._marg:
                m = np.array(r[self._marg[w]])  # a copy: never hand out a kernel's array
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

    def fits(self, n: int) -> bool:
        """Whether calibrating for ``n`` sweep points fits the memory budget."""
        try:
            self.check_memory(n)
        except ContractionTooLarge:
            return False
        return True

    def peak(self, n: int) -> int:
        """The most entries held at once while calibrating for ``n`` sweep points: the program's registers are
        walked in order, each counted from its creation to its last use (the factors are the kernels' own
        arrays, not counted). Exact up to numpy's temporaries, which are no larger than one step's result."""
        if n not in self._peaks:
            sizes = {**self.sizes, SWEEP: n}
            entries = [math.prod(sizes[w] for w in scope) for scope in self._scope]
            held = peak = sum(entries[reg] for reg, _ in self._ones)
            for (out, fn, a, _), drop in zip(self._code, self._drop):
                reused = a if fn is _into else None       # its result is written over a
                held += entries[out] - (entries[a] if reused is not None else 0)
                peak = max(peak, held)
                held -= sum(entries[reg] for reg in drop if reg >= len(self._factors) and reg != reused)
            self._peaks[n] = peak
        return self._peaks[n]

    def check_memory(self, n: int) -> None:
        """Refuse a calibration whose arrays held at once (:meth:`peak`) would not fit in the memory budget."""
        need = self.peak(n if self.swept else 1) * 8
        if need <= memory_budget():
            return
        clique = self.cliques[self.largest]
        indices = ((SWEEP,) if self.swept else ()) + self.inputs + tuple(clique)
        sizes = {**self.sizes, SWEEP: n}
        what = "junction tree of the marginals"
        check_memory(indices, sizes, {}, 8, what=what)
        per = (n if self.swept else 1) * math.prod(self.sizes[w] for w in self.inputs)
        wires = ", ".join(f"{w}({self.sizes[w]})" for w in clique[:8]) + (", …" if len(clique) > 8 else "")
        check_memory_bytes(need, what, f" ({len(self.cliques)} cliques; the largest, over {wires}, has "
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
def _cliques(variables: Sequence[str], sizes: Mapping[str, int], scopes) -> tuple[list[frozenset], list[tuple]]:
    """The maximal cliques of a min-weight or a min-fill elimination of the moral graph, whichever has
    fewer entries in all (then in the largest clique), and the edges of a junction tree over them; min-fill
    only when min-weight's cliques hold more than ``SMALL_TREE`` entries.

    >>> sizes = dict.fromkeys("abcd", 2) | {"h": 50}   # a cycle a-b-c-d-a, and a wide h joined to a and c
    >>> scopes = [{"a", "b"}, {"b", "c"}, {"c", "d"}, {"d", "a"}, {"h", "a"}, {"h", "c"}]
    >>> cliques, edges = _cliques(list(sizes), sizes, scopes)
    >>> sorted(sorted(c) for c in cliques), len(edges)
    ([['a', 'b', 'c'], ['a', 'c', 'd'], ['a', 'c', 'h']], 2)
    """
    best = None
    for how in ("weight", "fill"):
        cliques, edges = _eliminate(variables, sizes, scopes, how)
        entries = [math.prod(sizes[w] for w in c) for c in cliques]
        score = (sum(entries), max(entries, default=0))
        if best is None or score < best[0]:
            best = (score, cliques, edges)
        if score[0] <= SMALL_TREE:  # calibrating it takes milliseconds: no better tree would pay for min-fill's search
            break
    return best[1], best[2]


def _eliminate(variables: Sequence[str], sizes: Mapping[str, int], scopes,
               how: str) -> tuple[list[frozenset], list[tuple[int, int]]]:
    """The maximal cliques of a greedy elimination, ``"fill"`` (fewest fill-in edges, ties: smaller clique)
    or ``"weight"`` (smallest clique, in entries), and the edges of its elimination tree between them.

    Eliminating v makes the clique {v} ∪ neighbours, whose parent is the clique of the neighbour eliminated
    next: a junction tree. A clique inside an earlier one is that earlier clique's parent, so it merges into
    it (an edge contracted), and the tree stays a junction tree over the maximal cliques. Neighbourhoods are
    kept twice: as sets of positions to walk, and as bit masks (Python ints) for the fill counts, which are
    one and-not and one bit count per neighbour.
    """
    pos = {v: k for k, v in enumerate(variables)}
    size = [sizes[v] for v in variables]
    adj: list[set[int]] = [set() for _ in variables]
    for s in scopes:
        ks = [pos[w] for w in s]
        for a in ks:
            adj[a].update(ks)
    mask = []
    for k, nb in enumerate(adj):
        nb.discard(k)
        mask.append(sum(1 << u for u in nb))

    def score(v):
        nb = adj[v]
        weight = size[v] * math.prod(size[u] for u in nb)
        if how == "weight":
            return weight, v
        m = mask[v]
        fill = sum((m & ~mask[a]).bit_count() - 1 for a in nb) // 2   # pairs of neighbours not yet joined
        return fill, weight, v

    n = len(variables)
    stamp = [0] * n
    heap = [(score(v), 0, v) for v in range(n)]
    heapq.heapify(heap)
    done = [False] * n
    made: list[tuple[int, frozenset]] = []   # (v, {v} ∪ its neighbours) in the order of elimination
    while heap:
        _, st, v = heapq.heappop(heap)
        if done[v] or st != stamp[v]:
            continue
        nb = adj[v]
        made.append((v, frozenset(nb | {v})))
        done[v] = True
        m = mask[v]
        for a in nb:
            adj[a].discard(v)
            adj[a].update(nb)
            adj[a].discard(a)
            mask[a] = (mask[a] | m) & ~(1 << a) & ~(1 << v)
        touched = set(nb)
        if how == "fill":  # new edges among nb change the fill of a vertex next to two of them; weights only nb's
            for a in nb:
                touched.update(u for u in adj[a] if (mask[u] & m).bit_count() >= 2)
        for u in touched:
            if not done[u]:
                stamp[u] += 1
                heapq.heappush(heap, (score(u), stamp[u], u))
        adj[v] = set()
    return _elimination_tree(made, variables)


def _elimination_tree(made, variables) -> tuple[list[frozenset], list[tuple[int, int]]]:
    """The maximal cliques among an elimination's cliques ``made`` (``(v, {v} ∪ neighbours)`` in order), and
    the edges of the elimination tree between them.

    Each clique's parent is the clique of its neighbour eliminated next. A clique that is not maximal lies
    inside one of its children's (a standard fact of elimination orders): it merges into that child, an edge
    contracted, so the tree stays a junction tree.
    """
    order = {v: k for k, (v, _) in enumerate(made)}
    parent = {v: min(c - {v}, key=order.__getitem__) for v, c in made if len(c) > 1}
    children: dict[int, list[int]] = {}
    for v, p in parent.items():
        children.setdefault(p, []).append(v)
    clique_of = dict(made)
    node: dict[int, int] = {}
    cliques: list[frozenset] = []
    for v, c in made:
        inside = next((w for w in children.get(v, ()) if c <= clique_of[w]), None)
        if inside is None:
            node[v] = len(cliques)
            cliques.append(c)
        else:
            node[v] = node[inside]
    edges = [(node[v], node[p]) for v, p in parent.items() if node[v] != node[p]]
    return [frozenset(variables[k] for k in c) for c in cliques], edges


def _rooted(cliques, edges, sizes):
    """The junction tree of ``edges`` rooted at the largest clique; the parts of a disconnected net are joined to
    it by empty separators. Returns the root, each clique's parent and children."""
    n = len(cliques)
    adj: list[list[int]] = [[] for _ in range(n)]
    for i, j in edges:
        adj[i].append(j)
        adj[j].append(i)
    entries = [math.prod(sizes[w] for w in c) for c in cliques]
    root = max(range(n), key=entries.__getitem__)
    parent: list = [None] * n
    children: list[list[int]] = [[] for _ in range(n)]
    seen = [False] * n
    for start in [root] + list(range(n)):
        if seen[start]:
            continue
        if start != root:  # a part not reached from the root
            parent[start] = root
            children[root].append(start)
        seen[start] = True
        stack = [start]
        while stack:
            i = stack.pop()
            for j in adj[i]:
                if not seen[j]:
                    seen[j] = True
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


class FactorTree:
    """The junction tree's messages contracted from the factors themselves, never as whole cliques.

    Each message (and each marginal) is one :class:`~markovwire.contract.Program` over the factors placed
    on its clique and the messages into it, so no clique's table is ever formed: an order is planned per
    message, and a message whose contraction does not fit the memory budget runs in slices. Used when the
    calibrated tree's arrays would not fit (:meth:`JunctionTree.fits`): slower per wire on small nets,
    but bounded by the budget rather than by the largest clique.
    """

    def __init__(self, tree: "JunctionTree", factors: Sequence[tuple[str, ...]], batched: Sequence[bool],
                 wires: Sequence[str]):
        self.tree = tree
        self.batched = tuple(batched) or (False,) * len(factors)
        self.index = {SWEEP: -1, **{w: k for k, w in enumerate(tree.sizes)}}
        self.factors = [(([SWEEP] if b else []) + [w for w in f if w not in tree.observed], f, b)
                        for f, b in zip(factors, self.batched)]
        self.at = [[] for _ in tree.cliques]
        for k, i in enumerate(tree.home):
            self.at[i].append(k)
        self.wires = [w for w in dict.fromkeys(wires) if w in tree.home_of]
        self._programs: dict = {}

    def _steps(self, n: int):
        """``[(kind, key, factor ids, message keys, output wires)]`` in running order, planned for ``n`` points."""
        tree = self.tree
        prefix = tree.prefix
        scope: dict = {}

        def contraction(kind, key, i, skip, out_wires):
            msgs = [(c, i) for c in tree.children[i] if c != skip]
            if tree.parent[i] is not None and tree.parent[i] != skip:
                msgs.append((tree.parent[i], i))
            present = set().union(*(set(self.factors[k][0]) for k in self.at[i]), *(scope[m] for m in msgs))
            out = tuple(w for w in prefix if w in present) + tuple(out_wires)
            scope[key] = out
            return kind, key, tuple(self.at[i]), msgs, out

        post = _postorder(tree.root, tree.children)
        steps = []
        for i in post:
            if i != tree.root:
                p = tree.parent[i]
                steps.append(contraction("message", (i, p), i, p, _separator(tree.cliques[i], tree.cliques[p])))
        needed = {tree.home_of[w] for w in self.wires}
        wanted = _reaching(tree.root, tree.children, needed)
        for i in reversed(post):
            for c in tree.children[i]:
                if c in wanted:
                    steps.append(contraction("message", (i, c), i, c, _separator(tree.cliques[i], tree.cliques[c])))
        steps.append(contraction("z", "z", tree.root, None, ()))
        for w in self.wires:
            steps.append(contraction("marginal", w, tree.home_of[w], None, (w,)))
        sizes = {self.index[w]: s for w, s in tree.sizes.items()}
        sizes[-1] = n
        names = {self.index[w]: str(w) for w in tree.sizes} | {-1: "sweep"}
        planned = []
        for kind, key, fs, msgs, out in steps:
            ops = [tuple(self.index[w] for w in self.factors[k][0]) for k in fs]
            ops += [tuple(self.index[w] for w in scope[m]) for m in msgs]
            if not ops:
                ops = [()]
            try:
                prog = Program(ops, tuple(self.index[w] for w in out), sizes, names,
                               strategy="greedy" if len(ops) > 2 else "auto")
            except ContractionTooLarge as e:
                e.where = (f"marginal of {key!r}" if kind == "marginal" else "marginals (the evidence's probability)"
                           if kind == "z" else f"marginals (a message of the junction tree, over "
                           f"{', '.join(map(str, out)) or 'no wire'})")
                raise
            planned.append((kind, key, fs, msgs, out, prog))
        return planned

    def marginals(self, arrays, obs: Mapping[str, int], batch, wires: Sequence[str],
                  evidence: Mapping[str, str] | None = None) -> dict[str, np.ndarray]:
        """As :meth:`JunctionTree.marginals`, message by message."""
        tree = self.tree
        n = batch[0] if batch else 1
        steps = self._programs.get(n)
        if steps is None:
            steps = self._programs[n] = self._steps(n)
        held = []
        for (_, f, b), x in zip(self.factors, arrays):
            template = ([None] if b else []) + [w if w in tree.observed else None for w in f]
            if any(t is not None for t in template):
                x = x[tuple(slice(None) if w is None else obs[w] for w in template)]
            held.append(x)
        lead = ((n,) if batch else ()) + tuple(tree.sizes[w] for w in tree.inputs)
        done: dict = {}
        out = {}
        z = None
        for kind, key, fs, msgs, idx, prog in steps:
            with out_of_memory(prog, "marginals"):
                value = prog(*[held[k] for k in fs], *[done[m] for m in msgs]) if (fs or msgs) \
                    else prog(np.ones(()))
            if kind == "message":
                done[key] = value
                continue
            full = _spread(value, idx, tree.prefix, lead, () if kind == "z" else (tree.sizes[key],))
            if kind == "z":
                z = full
                if obs and not np.all(z > 0):
                    tree._zero_evidence(z, n, evidence or obs)
            else:
                out[key] = full / z[..., None]
        result = {}
        for w in wires:
            m = out[w] if w in out else np.broadcast_to(tree._point_mass(w, obs), lead + (tree.sizes[w],)).copy()
            result[w] = m.reshape(batch[1] + m.shape[1:]) if batch else m
        return result


def _into(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``x * y``, written over ``x`` (a product of the calibration's own that nothing reads again) when the
    result has its shape: the same bits as ``x * y``, one clique-sized array fewer."""
    if x.shape == np.broadcast_shapes(x.shape, y.shape):
        return np.multiply(x, y, out=x)
    return np.multiply(x, y)


def _product_summer(clique, axes: tuple[int, ...], sizes: Mapping[str, int]):
    """As :func:`_summer`, for the product of two arrays, summed as it is formed (``np.einsum``): a message out
    of a clique never holds the clique-sized product."""
    width = len(clique)
    wide = [(ax, sizes[clique[ax]]) for ax in axes if sizes[clique[ax]] > 1]

    def total(x, y):
        nd = max(x.ndim, y.ndim, width)
        lx, ly = list(range(nd - x.ndim, nd)), list(range(nd - y.ndim, nd))
        summed = {nd + ax for ax in axes}
        kept = [k for k in range(nd - max(x.ndim, y.ndim), nd) if k not in summed]
        out = np.einsum(x, lx, y, ly, kept)
        missing = nd - len(summed) - out.ndim          # leading clique axes neither array holds
        if missing:
            out = out.reshape((1,) * missing + out.shape)
        scale = 1
        for ax, n in wide:                             # a wire both arrays are constant along: n equal terms
            if (x.shape[ax] if x.ndim >= -ax else 1) == 1 and (y.shape[ax] if y.ndim >= -ax else 1) == 1:
                scale *= n
        return out * scale if scale != 1 else out
    return total


def _summer(clique, axes: tuple[int, ...], sizes: Mapping[str, int]):
    """Sum a clique's array (right-aligned: it may lack leading axes, or hold some at length one where no
    factor depends on the wire) over ``axes`` (negative, of ``clique``), counting a wire it is constant
    along as many times as the wire has values."""
    summed = [(ax, sizes[clique[ax]]) for ax in axes if sizes[clique[ax]] > 1]
    width = len(clique)
    add = np.add.reduce

    def total(x):
        if x.ndim < width:
            x = x.reshape((1,) * (width - x.ndim) + x.shape)
        if not axes:
            return x
        shape, scale = x.shape, 1
        for ax, n in summed:
            if shape[ax] == 1:
                scale *= n
        y = add(x, axis=axes)
        return y * scale if scale != 1 else y
    return total


def _separator(src, dst) -> tuple:
    return tuple(w for w in src if w in set(dst))


def _reaching(root: int, children, needed: set) -> set:
    """The cliques whose subtree (rooted at ``root``) holds a needed clique."""
    out: set = set()
    for i in _postorder(root, children):
        if i in needed or any(c in out for c in children[i]):
            out.add(i)
    return out


def _spread(x: np.ndarray, idx: tuple, prefix: tuple, lead: tuple, tail: tuple) -> np.ndarray:
    """An array over ``idx`` (the prefix wires it has, then the rest) broadcast to ``lead + tail``."""
    have = [w for w in idx if w in prefix]
    expand = tuple(slice(None) if w in have else None for w in prefix) + (slice(None),) * len(tail)
    return np.broadcast_to(np.asarray(x)[expand], lead + tail)
