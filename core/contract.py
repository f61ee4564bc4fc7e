"""Planned tensor contractions: choose an order once, run it many times.

A :class:`Program` is the compiled form of one einsum over integer indices.
Planning compares orders by their multiply-add count: the *sequential* order
(fold the operands in the order given, which for a net in topological order
pushes distributions forward as vectors through chains, as a forward pass of
variable elimination) and opt_einsum's greedy and (up to ``DP_LIMIT`` operands)
dynamic-programming paths. Above ``SEARCH_LIMIT`` operands the search is skipped
when the sequential order costs no more than the operands' total size: every
operand is read by a step at least as large as itself and a step reads two, so
no order costs less than half of that, and a long chain is planned in linear time.
Each pairwise step is precompiled into at most a sum, a transpose, a reshape and
one (batched) matmul, with its two operands in whichever order needs fewer of
them; a step whose operands already line up is ``np.matmul`` itself, and a run of
steps through a chain is one loop (one ``functools.reduce`` when all are matmuls).
No step uses ``numpy.einsum`` on more than one operand, so its 52-index limit
never applies.

>>> import numpy as np
>>> prog = Program([(0,), (0, 1), (1, 2)], (2,), {0: 3, 1: 4, 2: 5})
>>> v, A, B = np.ones(3) / 3, np.full((3, 4), .25), np.full((4, 5), .2)
>>> bool(np.allclose(prog(v, A, B), v @ A @ B))
True
>>> prog.strategy, prog.cost            # vector x matrix twice: 3*4 + 4*5
('sequential', 32.0)
"""
from __future__ import annotations

import math
from contextlib import contextmanager
from functools import reduce
from typing import Callable, Mapping, Sequence

import numpy as np
import opt_einsum

from .errors import ContractionTooLarge
from .limits import (  # noqa: F401 (memory_budget, set_memory_budget and human_bytes are used from here too)
    DEFAULT_MEMORY_BUDGET,
    bytes_option,
    check_cost,
    check_memory_bytes,
    human_bytes,
    memory_budget,
    set_memory_budget,
)

DP_LIMIT = 12  # operands up to which the (exponential) dynamic-programming order is tried
SEARCH_LIMIT = 64  # operands up to which other orders are searched even when the sequential one is cheap
RESULT_COPIES = 3  # the result, and the two arrays of its size a caller makes from it (normalised, weighted)
_matmul = np.matmul


def check_memory(indices: Sequence[int], sizes: Mapping[int, int], names: Mapping[int, str], itemsize: int,
                 what: str = "contraction") -> int:
    """Refuse an array over ``indices`` larger than the memory budget; returns its size in bytes."""
    nbytes = math.prod(sizes[i] for i in indices) * itemsize
    if nbytes > memory_budget():
        wires = _shown_wires(indices, sizes, names)
        check_memory_bytes(nbytes, what, f" for one array over the wires {wires}")
    return nbytes


def _shown_wires(indices: Sequence[int], sizes: Mapping[int, int], names: Mapping[int, str], most: int = 8) -> str:
    """``a(2), b(3)``; past ``most`` wires, the first ones and how many there are."""
    shown = ", ".join(f"{names.get(i, i)}({sizes[i]})" for i in list(indices)[:most])
    return shown if len(indices) <= most else f"{shown}, … ({len(indices)} wires)"


class Program:
    """One contraction, planned: operand index tuples → output index tuple.

    ``strategy`` is ``"auto"`` (the cheapest of the candidates), ``"sequential"``,
    ``"greedy"`` or ``"dp"``. Calling the program with one array per operand
    returns the contraction, axes in the order of ``output``.
    """

    def __init__(self, operands: Sequence[tuple[int, ...]], output: tuple[int, ...],
                 sizes: Mapping[int, int], names: Mapping[int, str] | None = None,
                 itemsize: int = 8, strategy: str = "auto"):
        self.operands = [tuple(o) for o in operands]
        if not self.operands:
            raise ValueError("a contraction needs at least one operand (use a scalar array for none)")
        self.output = tuple(output)
        self.sizes = dict(sizes)
        self.names = dict(names or {})
        self._distinct = [tuple(dict.fromkeys(op)) for op in self.operands]
        self._prep = [(k, _diagonal(op)) for k, (op, d) in enumerate(zip(self.operands, self._distinct))
                      if len(d) < len(op)]
        self.path, (self.cost, largest, peak, self.work), self.strategy = self._choose_path(strategy)
        self.largest = (largest[0] * itemsize, largest[1])
        self.peak = peak * itemsize
        self.check()
        self._code, self._last, self._final = self._compile()

    def check(self, what: str = "contraction") -> "Program":
        """Refuse this plan if it needs more memory at once (:attr:`peak`, bytes) or more work (:attr:`work`,
        see :meth:`_path_stats`) than the budgets of :mod:`markovwire.limits` allow (they may have changed since
        it was planned)."""
        if self.peak > memory_budget():
            wires = _shown_wires(self.largest[1], self.sizes, self.names)
            check_memory_bytes(self.peak, what, f" (its largest array, over the wires {wires}, is "
                               f"{human_bytes(self.largest[0])})")
        check_cost(self.work, what)
        return self

    # ----- planning --------------------------------------------------------
    def _choose_path(self, strategy: str):
        n = len(self.operands)
        sequential = [(0, 1)] + [(n + i - 1, i + 1) for i in range(1, n - 1)] if n > 1 else []
        candidates, stats = {"sequential": sequential}, {"sequential": self._path_stats(sequential)}
        if (strategy == "auto" and n > SEARCH_LIMIT
                and stats["sequential"][0] <= sum(math.prod(self.sizes[i] for i in op) for op in self._distinct)):
            return sequential, stats["sequential"], "sequential"  # within 2x of any order: not worth a search
        if strategy in ("auto", "greedy", "dp") and n > 2:
            for how in (("greedy", "dp") if strategy == "auto" else (strategy,)):
                if how == "dp" and n > DP_LIMIT:
                    continue
                try:
                    candidates[how] = self._opt_einsum_path(how)
                except (ValueError, MemoryError, RecursionError):  # pragma: no cover - opt_einsum limits
                    continue
                stats[how] = self._path_stats(candidates[how])
        if strategy != "auto" and strategy not in candidates:
            strategy = "sequential"
        best = min(stats, key=lambda how: stats[how][0]) if strategy == "auto" else strategy
        return candidates[best], stats[best], best

    def _opt_einsum_path(self, how: str) -> list[tuple[int, int]]:
        if how == "greedy":  # straight to the search: contract_path would also describe every step
            return [tuple(p) for p in opt_einsum.paths.ssa_greedy_optimize(
                [frozenset(op) for op in self._distinct], frozenset(self.output), self.sizes)]
        sym = {i: opt_einsum.get_symbol(k) for k, i in enumerate(self.sizes)}
        eq = ",".join("".join(sym[i] for i in op) for op in self._distinct) + "->" + \
            "".join(sym[i] for i in self.output)
        shapes = [tuple(self.sizes[i] for i in op) for op in self._distinct]
        path, _ = opt_einsum.contract_path(eq, *shapes, shapes=True,
                                           optimize=opt_einsum.paths.DynamicProgramming(minimize="flops"))
        return _to_ssa(path, len(self.operands))

    def _path_stats(self, path) -> tuple[float, tuple[int, tuple[int, ...]], int, float]:
        """What running ``path`` takes, from the sizes alone.

        ``(cost, largest, peak, work)``: its multiply-adds; its largest intermediate ``(entries,
        indices)``; its peak, the most entries alive at once (every operand, which the caller holds, the
        intermediates not yet consumed and the step's result; the final result ``RESULT_COPIES`` times); and
        its work, the multiply-adds plus the entries each step reads and writes times their number of axes
        (numpy's strided copies slow down with many short axes: a 12x12 grid of bits asked about 24 of them
        plans 4e8 multiply-adds but 9.7e9 of work, and takes a minute).
        """
        n = len(self._distinct)
        size_of, prod = self.sizes.__getitem__, math.prod
        known = [prod(map(size_of, op)) for op in self._distinct]     # entries of operands, then of results
        held = sum(known)
        cost, work, largest, alive, peak = 0, 0, (0, ()), 0, held
        for a, b, ia, ib, res, _ in _walk(self._distinct, self.output, path):
            step = prod(map(size_of, set(ia).union(ib)))
            ea, eb = known[a], known[b]
            size = prod(map(size_of, res))
            known.append(size)
            cost += step
            work += step + ea * len(ia) + eb * len(ib) + size * len(res)
            if size > largest[0]:
                largest = (size, res)
            if held + alive + size > peak:
                peak = held + alive + size
            alive += size - (ea if a >= n else 0) - (eb if b >= n else 0)
        peak = max(peak, held + RESULT_COPIES * prod(map(size_of, self.output)))
        return float(cost), largest, peak, float(work)

    # ----- compilation -----------------------------------------------------
    def _compile(self):
        """Instructions ``(fn, a, b, out)``: ``out = fn(a, b)``, or a fold over inputs when ``b`` is None."""
        n = len(self.operands)
        prepped = {k for k, _ in self._prep}
        steps = []

        def pairwise(ia, ib, keep):  # the operand order that needs fewer sums and transposes
            one = _pairwise(ia, ib, keep, self.sizes)
            if one[2] == 0:  # np.matmul as it stands: nothing to beat
                return (one[0], False), one[1]
            other = _pairwise(ib, ia, keep, self.sizes)
            best = other if other[2] < one[2] else one
            return (best[0], best is other), best[1]

        for k, (a, b, _, _, res, (fn, swapped)) in enumerate(_walk(self._distinct, self.output, self.path,
                                                                   pairwise)):
            steps.append([fn, b, a, n + k, res] if swapped else [fn, a, b, n + k, res])
        code = []
        k = 0
        foldable = lambda s: s[2] < n and s[2] not in prepped
        while k < len(steps):
            j = k + 1
            while (foldable(steps[k]) and j < len(steps) and foldable(steps[j])
                   and steps[j][1] == steps[j - 1][3] and steps[j][2] == steps[j - 1][2] + 1):
                j += 1
            if j - k > 2:
                code.append((_fold([s[0] for s in steps[k:j]], steps[k][2], steps[j - 1][2] + 1),
                             steps[k][1], None, steps[j - 1][3]))
            else:
                code.extend((fn, a, b, out) for fn, a, b, out, _ in steps[k:j])
            k = j
        last = steps[-1][3] if steps else 0
        final = steps[-1][4] if steps else self._distinct[0]
        return code, last, (None if final == self.output else _reducer(final, self.output))

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        """Contract ``arrays`` (one per operand, shaped as planned)."""
        if len(arrays) != len(self.operands):
            raise ValueError(f"this program contracts {len(self.operands)} operands, got {len(arrays)}")
        vals = list(arrays)
        vals += [None] * len(self.path)
        for k, fn in self._prep:
            vals[k] = fn(vals[k])
        for fn, a, b, out in self._code:
            x = vals[a]
            vals[a] = None
            if b is None:
                vals[out] = fn(x, arrays)
            else:
                y = vals[b]
                vals[b] = None
                vals[out] = fn(x, y)
        result = vals[self._last]
        return result if self._final is None else self._final(result)

    def describe(self) -> str:
        """One line: the chosen strategy, its cost and the largest intermediate."""
        return (f"{self.strategy} order, {len(self.path)} pairwise steps, {self.cost:.3g} multiply-adds, "
                f"largest intermediate {human_bytes(self.largest[0])}, {human_bytes(self.peak)} at most at once")


@contextmanager
def out_of_memory(program: "Program | None" = None, what: str = "contraction"):
    """Turn numpy's ``MemoryError`` (the machine has less free memory than the budget) into the budget's error."""
    try:
        yield
    except MemoryError:
        need = program.peak if program is not None else memory_budget()
        raise ContractionTooLarge(
            what, f"ran out of memory (planned to need {human_bytes(need)} at once; the budget is "
            f"{human_bytes(memory_budget())}, more than this machine has free)",
            fix=f"lower the budget to what the machine has free (--max-memory {bytes_option(need / 2)} on the "
                "command line, or markovwire.set_memory_budget in Python) so that questions this large are refused "
                "before they start; or condition on or marginalise wires, or sweep fewer points at once") from None


def _walk(operands, output, path, step: Callable | None = None):
    """Replay ``path``: per step ``(a, b, ia, ib, res, payload)``.

    An index is kept after a step while another live operand or the output still
    needs it (reference counts keep the replay linear in the size of the network).
    ``step(ia, ib, keep) -> (payload, res)`` may choose the axis order of a result.
    """
    count: dict = {}
    for op in (*operands, output):
        for i in op:
            count[i] = count.get(i, 0) + 1
    live = dict(enumerate(operands))
    n = len(operands)
    out = []
    for k, (a, b) in enumerate(path):
        ia, ib = live.pop(a), live.pop(b)
        for i in ia:
            count[i] -= 1
        for i in ib:
            count[i] -= 1
        both = ia + ib
        keep = {i for i in both if count[i] > 0}
        if step is None:
            payload, res = None, tuple(i for i in dict.fromkeys(both) if i in keep)
        else:
            if a < n <= b:  # keep the running intermediate on the left, as a fold wants it
                a, b, ia, ib = b, a, ib, ia
            payload, res = step(ia, ib, keep)
        out.append((a, b, ia, ib, res, payload))
        live[n + k] = res
        for i in res:
            count[i] += 1
    return out


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


def _diagonal(idx: tuple[int, ...]) -> Callable:
    """An operand that repeats an index (one wire on two ports): take its diagonal."""
    distinct = list(dict.fromkeys(idx))
    local = [distinct.index(i) for i in idx]  # einsum's own labels: 0, 1, ... whatever the wires' indices
    return lambda x: np.einsum(x, local, list(range(len(distinct))))


def _reducer(idx: tuple[int, ...], out: tuple[int, ...]) -> Callable:
    """Sum out indices not in ``out``, then order axes as ``out``."""
    summed = tuple(ax for ax, i in enumerate(idx) if i not in out)
    kept = [i for i in idx if i in out]
    perm = tuple(kept.index(i) for i in out)
    identity = perm == tuple(range(len(perm)))

    def run(x):
        if summed:
            x = np.asarray(x.sum(axis=summed))
        return x if identity else x.transpose(perm)
    return run


def _fold(fns: list[Callable], start: int, stop: int) -> Callable:
    """Steps ``acc = fn(acc, x)`` over the inputs ``start:stop`` (one C loop when all are matmuls)."""
    if all(fn is _matmul for fn in fns):
        return lambda acc, arrays: reduce(_matmul, arrays[start:stop], acc)

    def run(acc, arrays):
        for fn, x in zip(fns, arrays[start:stop]):
            acc = fn(acc, x)
        return acc
    return run


def _direct(ia, ib, keep):
    """The result indices of ``np.matmul(a, b)`` when it is this step as it stands, else None.

    That is: exactly one summed index, last in ``a`` and next to last (or only) in ``b``;
    every other shared index a broadcast batch axis aligned from the right.
    """
    sa, sb = set(ia), set(ib)
    shared = sa & sb
    contracted = [i for i in shared if i not in keep]
    if len(contracted) != 1 or not (sa ^ sb) <= keep:
        return None
    (k,) = contracted
    if ia[-1] != k or (ib[-2] if len(ib) >= 2 else ib[0]) != k:
        return None
    batch_a, m = (ia[:-2], ia[-2:-1]) if len(ia) >= 2 else ((), ())
    batch_b, n = (ib[:-2], ib[-1:]) if len(ib) >= 2 else ((), ())
    long, short = (batch_a, batch_b) if len(batch_a) >= len(batch_b) else (batch_b, batch_a)
    if long[len(long) - len(short):] != short or shared - {k} != set(short):
        return None
    return long + m + n


def _pairwise(ia, ib, keep, sizes):
    """Precompile one pairwise contraction as sums, transposes and a (batched) matmul.

    Returns the step, the indices of its result and its effort: 0 for ``np.matmul``
    itself, more for each sum, transpose and reshape it needs.
    """
    sa, sb = set(ia), set(ib)
    if (sa ^ sb) <= keep:  # no index to sum out of one operand alone
        sum_a, sum_b, ra, rb = (), (), ia, ib
    else:
        sum_a = tuple(ax for ax, i in enumerate(ia) if i not in sb and i not in keep)
        sum_b = tuple(ax for ax, i in enumerate(ib) if i not in sa and i not in keep)
        ra = tuple(i for i in ia if i in sb or i in keep)
        rb = tuple(i for i in ib if i in sa or i in keep)
    res = _direct(ra, rb, keep)
    if res == ():  # a dot product: keep it an array (a sympy scalar has no array methods)
        return (lambda a, b: np.asarray(_matmul(_sum(a, sum_a), _sum(b, sum_b)))), res, 1
    if res is not None:
        if not sum_a and not sum_b:
            return _matmul, res, 0
        return (lambda a, b: _matmul(_sum(a, sum_a), _sum(b, sum_b))), res, 1
    batch = [i for i in ra if i in sb and i in keep]
    contr = [i for i in ra if i in sb and i not in keep]
    fa = [i for i in ra if i not in sb]
    fb = [i for i in rb if i not in sa]
    perm_a = tuple(ra.index(i) for i in batch + fa + contr)
    perm_b = tuple(rb.index(i) for i in batch + contr + fb)
    size = lambda ix: math.prod(sizes[i] for i in ix)
    nb, nfa, nc, nfb = size(batch), size(fa), size(contr), size(fb)
    out_shape = tuple(sizes[i] for i in batch + fa + fb)
    pa = _prepare(sum_a, _after_sum(perm_a, sum_a, len(ia)), (nb, nfa, nc) if contr else (nb, nfa, 1))
    pb = _prepare(sum_b, _after_sum(perm_b, sum_b, len(ib)), (nb, nc, nfb) if contr else (nb, 1, nfb))
    core = _matmul if contr else np.multiply

    def run(a, b):
        return core(pa(a), pb(b)).reshape(out_shape)
    effort = 2 + bool(sum_a) + bool(sum_b) + (perm_a != tuple(range(len(perm_a)))) + \
        (perm_b != tuple(range(len(perm_b))))
    return run, tuple(batch + fa + fb), effort


def _sum(x, axes: tuple[int, ...]):
    """``x`` summed over ``axes``, still an array when every axis goes (object arrays give scalars)."""
    return np.asarray(x.sum(axis=axes)) if axes else x


def _after_sum(perm: tuple[int, ...], summed: tuple[int, ...], ndim: int) -> tuple[int, ...]:
    """A transposition of the axes left after a sum, as one of all axes (summed ones kept, of length one)."""
    kept = [ax for ax in range(ndim) if ax not in summed]
    return tuple(kept[p] for p in perm) + summed


def _prepare(summed: tuple[int, ...], perm: tuple[int, ...], shape: tuple[int, ...]) -> Callable:
    """Sum out, transpose and reshape one operand of a pairwise step (only what is needed).

    Sums keep their axes (of length one), so the result stays an array even for object
    dtype, and the reshape ignores them.
    """
    identity = perm == tuple(range(len(perm)))
    if not summed and identity:
        return lambda x: x.reshape(shape)
    if not summed:
        return lambda x: x.transpose(perm).reshape(shape)
    if identity:
        return lambda x: x.sum(axis=summed, keepdims=True).reshape(shape)
    return lambda x: x.sum(axis=summed, keepdims=True).transpose(perm).reshape(shape)
