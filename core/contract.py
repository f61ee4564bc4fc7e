"""Planned tensor contractions: choose an order once, run it many times.

A :class:`Program` is the compiled form of one einsum over integer indices.
Planning compares orders by their multiply-add count: the *sequential* order
(fold the operands in the order given, which for a net in topological order
pushes distributions forward as vectors through chains, as a forward pass of
variable elimination) and opt_einsum's greedy and dynamic-programming paths.
Each pairwise step is precompiled into reshapes and one (batched) matmul, so
executing a plan costs a few microseconds per step on top of the arithmetic.

>>> import numpy as np
>>> prog = Program([(0,), (0, 1), (1, 2)], (2,), {0: 3, 1: 4, 2: 5})
>>> v, A, B = np.ones(3) / 3, np.full((3, 4), .25), np.full((4, 5), .2)
>>> bool(np.allclose(prog(v, A, B), v @ A @ B))
True
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import opt_einsum

from .errors import ContractionTooLarge

DEFAULT_MEMORY_BUDGET = 2 * 1024**3  # bytes for the largest intermediate
_budget = [DEFAULT_MEMORY_BUDGET]


def set_memory_budget(nbytes: int) -> int:
    """Set the largest intermediate a contraction may allocate; returns the old budget."""
    old = _budget[0]
    _budget[0] = int(nbytes)
    return old


def memory_budget() -> int:
    """The current memory budget for one intermediate, in bytes."""
    return _budget[0]


def _human(nbytes: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes:.1f} {unit}"
        nbytes /= 1024
    return f"{nbytes:.1f} PiB"


class Program:
    """One contraction, planned: operand index tuples → output index tuple."""

    def __init__(self, operands: Sequence[tuple[int, ...]], output: tuple[int, ...],
                 sizes: Mapping[int, int], names: Mapping[int, str] | None = None,
                 itemsize: int = 8, strategy: str = "auto"):
        self.operands = [tuple(o) for o in operands]
        self.output = tuple(output)
        self.sizes = dict(sizes)
        self.names = dict(names or {})
        self.path, self.cost, self.strategy = self._choose_path(strategy)
        self.largest = self._check_memory(itemsize)
        self._steps = self._compile()

    # ----- planning --------------------------------------------------------
    def _choose_path(self, strategy: str):
        n = len(self.operands)
        candidates = {"sequential": [(0, 1)] + [(n + i - 1, i + 1) for i in range(1, n - 1)] if n > 1 else []}
        if strategy in ("auto", "greedy", "dp") and n > 2:
            for how in (("greedy", "dp") if strategy == "auto" else (strategy,)):
                if how == "dp" and n > 24:
                    continue
                try:
                    candidates[how] = self._opt_einsum_path(how)
                except (ValueError, MemoryError, RecursionError):  # pragma: no cover - opt_einsum limits
                    pass
        if strategy == "sequential" or strategy not in ("auto",) and strategy not in candidates:
            strategy = "sequential"
        costs = {k: self._path_cost(p) for k, p in candidates.items()}
        best = min(costs, key=costs.get) if strategy == "auto" else strategy
        return candidates[best], costs[best], best

    def _opt_einsum_path(self, how: str) -> list[tuple[int, int]]:
        sym = {i: opt_einsum.get_symbol(k) for k, i in enumerate(self.sizes)}
        eq = ",".join("".join(sym[i] for i in op) for op in self.operands) + "->" + "".join(sym[i] for i in self.output)
        shapes = [tuple(self.sizes[i] for i in op) for op in self.operands]
        opt = opt_einsum.paths.DynamicProgramming(minimize="flops") if how == "dp" else how
        path, _ = opt_einsum.contract_path(eq, *shapes, shapes=True, optimize=opt)
        return _to_ssa(path, len(self.operands))

    def _path_cost(self, path) -> float:
        live = dict(enumerate(self.operands))
        cost = 0.0
        for step, (a, b) in enumerate(path):
            ia, ib = live.pop(a), live.pop(b)
            keep = set(self.output).union(*live.values()) if live else set(self.output)
            union = set(ia) | set(ib)
            cost += math.prod(self.sizes[i] for i in union)
            live[len(self.operands) + step] = tuple(i for i in dict.fromkeys(ia + ib) if i in keep)
        return cost

    def _check_memory(self, itemsize: int) -> tuple[int, tuple[int, ...]]:
        live = dict(enumerate(self.operands))
        largest = (0, ())
        for step, (a, b) in enumerate(self.path):
            ia, ib = live.pop(a), live.pop(b)
            keep = set(self.output).union(*live.values()) if live else set(self.output)
            res = tuple(i for i in dict.fromkeys(ia + ib) if i in keep)
            live[len(self.operands) + step] = res
            size = math.prod(self.sizes[i] for i in res) * itemsize
            if size > largest[0]:
                largest = (size, res)
        if largest[0] > _budget[0]:
            wires = ", ".join(f"{self.names.get(i, i)}({self.sizes[i]})" for i in largest[1])
            raise ContractionTooLarge(
                "contraction", f"its largest intermediate, over the wires {wires}, needs {_human(largest[0])}, "
                f"more than the memory budget of {_human(_budget[0])}",
                fix="condition on or marginalise wires, split a sweep into smaller batches, "
                    "or raise the budget with markovwire.set_memory_budget(bytes)")
        return largest

    # ----- compilation -----------------------------------------------------
    def _compile(self):
        n = len(self.operands)
        live = dict(enumerate(self.operands))
        steps = []
        if n == 1:
            steps.append(("final", 0, _reducer(self.operands[0], self.output, self.sizes)))
            return steps
        for step, (a, b) in enumerate(self.path):
            ia, ib = live.pop(a), live.pop(b)
            keep = set(self.output).union(*live.values()) if live else set(self.output)
            fn, res = _pairwise(ia, ib, keep, self.sizes)
            live[n + step] = res
            steps.append(("pair", (a, b), fn))
        final = live[n + len(self.path) - 1]
        if final != self.output:
            steps.append(("final", n + len(self.path) - 1, _reducer(final, self.output, self.sizes)))
        return steps

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        """Contract ``arrays`` (one per operand, shaped as planned)."""
        vals = dict(enumerate(arrays))
        n = len(arrays)
        result = arrays[0] if n == 1 else None
        k = n
        for kind, args, fn in self._steps:
            if kind == "pair":
                a, b = args
                result = vals[k] = fn(vals.pop(a), vals.pop(b))
                k += 1
            else:
                result = fn(vals[args] if args in vals else result)
        return result

    def describe(self) -> str:
        """One line: the chosen strategy, its cost and the largest intermediate."""
        return (f"{self.strategy} order, {len(self.path)} pairwise steps, {self.cost:.3g} multiply-adds, "
                f"largest intermediate {_human(self.largest[0])}")


def _to_ssa(path, n: int) -> list[tuple[int, int]]:
    """Convert opt_einsum's positional path into pairs of stable operand ids."""
    ids = list(range(n))
    out = []
    nxt = n
    for contraction in path:
        picked = [ids[i] for i in contraction]
        for i in sorted(contraction, reverse=True):
            del ids[i]
        while len(picked) > 2:  # opt_einsum may contract more than two at once
            a, b = picked.pop(0), picked.pop(0)
            out.append((a, b))
            picked.insert(0, nxt)
            nxt += 1
        if len(picked) == 2:
            out.append(tuple(picked))
            ids.append(nxt)
            nxt += 1
        else:
            ids.append(picked[0])
    return out


def _reducer(idx: tuple[int, ...], out: tuple[int, ...], sizes):
    """Sum out indices not in ``out``, then order axes as ``out``."""
    summed = tuple(ax for ax, i in enumerate(idx) if i not in out)
    kept = [i for i in idx if i in out]
    perm = tuple(kept.index(i) for i in out)
    identity = perm == tuple(range(len(perm)))

    def run(x):
        if summed:
            x = x.sum(axis=summed)
        return x if identity else x.transpose(perm)
    return run


def _pairwise(ia, ib, keep, sizes):
    """Precompile one pairwise contraction as sums, transposes and a (batched) matmul."""
    sa, sb = set(ia), set(ib)
    batch = [i for i in ia if i in sb and i in keep]
    contr = [i for i in ia if i in sb and i not in keep]
    fa = [i for i in ia if i not in sb and i in keep]
    fb = [i for i in ib if i not in sa and i in keep]
    sum_a = tuple(ax for ax, i in enumerate(ia) if i not in sb and i not in keep)
    sum_b = tuple(ax for ax, i in enumerate(ib) if i not in sa and i not in keep)
    ra = [i for i in ia if not (i not in sb and i not in keep)]
    rb = [i for i in ib if not (i not in sa and i not in keep)]
    perm_a = tuple(ra.index(i) for i in batch + fa + contr)
    perm_b = tuple(rb.index(i) for i in batch + contr + fb)
    size = lambda ix: math.prod(sizes[i] for i in ix)
    nb, nfa, nc, nfb = size(batch), size(fa), size(contr), size(fb)
    shape_a = (nb, nfa, nc) if batch else (nfa, nc)
    shape_b = (nb, nc, nfb) if batch else (nc, nfb)
    out_shape = tuple(sizes[i] for i in batch + fa + fb)
    ident_a = perm_a == tuple(range(len(perm_a)))
    ident_b = perm_b == tuple(range(len(perm_b)))
    res = tuple(batch + fa + fb)

    def run(a, b):
        if sum_a:
            a = a.sum(axis=sum_a)
        if sum_b:
            b = b.sum(axis=sum_b)
        if not ident_a:
            a = a.transpose(perm_a)
        if not ident_b:
            b = b.transpose(perm_b)
        return np.matmul(a.reshape(shape_a), b.reshape(shape_b)).reshape(out_shape)
    return run, res
