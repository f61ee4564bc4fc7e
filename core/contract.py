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

When the best order's peak exceeds the memory budget, the contraction is *sliced*:
some indices are fixed, each slice (one value per sliced index) is contracted on
its own and the slices are summed (a sliced output index writes its own part of
the result). Indices are chosen greedily, each the one that most lowers the peak
per unit of extra work, the order replanned on what is left (cotengra's sliced
trees are tried too when it is installed, and kept when cheaper). The cost budget
bounds the work of all slices together. :meth:`Program.slices` and
:meth:`Program.run_slice` give the slices as independent pieces of work.

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
    _round_up,
    bytes_option,
    check_cost,
    check_memory_bytes,
    cost_budget,
    human_bytes,
    memory_budget,
    set_memory_budget,
)

DP_LIMIT = 12  # operands up to which the (exponential) dynamic-programming order is tried
SEARCH_LIMIT = 64  # operands up to which other orders are searched even when the sequential one is cheap
RESULT_COPIES = 3  # the result, and the two arrays of its size a caller makes from it (normalised, weighted)
COTENGRA_LIMIT = 24  # operands from which cotengra (when installed) also searches for sliced orders,
COTENGRA_WORK = 1e8  # when the greedy slices need more work than this (seconds; its search takes about one)
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
    returns the contraction, axes in the order of ``output``. ``sliced`` lists the
    indices fixed per slice (empty when the whole contraction fits the memory budget);
    ``cost`` and ``work`` then count every slice, ``largest`` and ``peak`` one at a time.
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
        self.itemsize = itemsize
        self._distinct = [tuple(dict.fromkeys(op)) for op in self.operands]
        self._prep = [(k, _diagonal(op)) for k, (op, d) in enumerate(zip(self.operands, self._distinct))
                      if len(d) < len(op)]
        path, stats, strategy = self._choose_path(strategy)
        self._whole = (path, stats, strategy)
        self._use(path, stats, strategy, ())
        self.check()

    def _use(self, path, stats, strategy: str, sliced: tuple[int, ...]) -> None:
        """Adopt a plan: ``stats`` as from :meth:`_path_stats` (over all slices when ``sliced``)."""
        self.path, self.strategy, self.sliced = path, strategy, tuple(sliced)
        self.cost, largest, peak, self.work = stats
        self.largest = (largest[0] * self.itemsize, largest[1])
        self.peak = peak * self.itemsize
        self.nslices = math.prod(self.sizes[i] for i in self.sliced)
        self._sliced_operands = [tuple(i for i in op if i not in self.sliced) for op in self.operands]
        self._sliced_output = tuple(i for i in self.output if i not in self.sliced)
        self._steps = _Steps(self._sliced_operands, self._sliced_output, self.sizes, path)

    def check(self, what: str = "contraction") -> "Program":
        """Refuse this plan if it needs more memory at once (:attr:`peak`, bytes) or more work (:attr:`work`,
        see :meth:`_path_stats`) than the budgets of :mod:`markovwire.limits` allow; slice it when only the
        memory budget is exceeded (and unslice it when the budget has grown to hold it whole)."""
        whole_peak = self._whole[1][2] * self.itemsize
        if self.sliced and whole_peak <= memory_budget():
            self._use(*self._whole, ())
        elif self.peak > memory_budget():
            self._slice_to_fit(what)
        if self.peak > memory_budget():
            wires = _shown_wires(self.largest[1], self.sizes, self.names)
            check_memory_bytes(self.peak, what, f" (its largest array, over the wires {wires}, is "
                               f"{human_bytes(self.largest[0])})")
        if self.sliced and self.work > cost_budget():
            need = _round_up(self.work)
            whole = self._whole[1]
            raise ContractionTooLarge(
                what, f"needs {human_bytes(whole_peak)} at once whole, more than the memory budget of "
                f"{human_bytes(memory_budget())}; in {self.nslices:,} slices (over "
                f"{_shown_wires(self.sliced, self.sizes, self.names)}) it fits, but needs {self.work:.3g} operations, "
                f"{self.work / cost_budget():.3g}x the cost budget of {cost_budget():.3g}",
                fix=f"raise the cost budget: --max-cost {need} on the command line, markovwire.set_cost_budget({need})"
                    f" in Python, or Limits (Ctrl+K) in the UI; or raise the memory budget to "
                    f"--max-memory {bytes_option(whole_peak)} (markovwire.set_memory_budget({int(whole_peak)})) so "
                    f"that it runs whole in {whole[3]:.3g} operations")
        check_cost(self.work, what)
        return self

    # ----- slices ------------------------------------------------------------
    def slices(self):
        """The slices, as keys for :meth:`run_slice`: one value per sliced index (a single ``()`` when unsliced).

        Slices are independent: their partial results, each added at :meth:`place`, sum to the contraction.
        """
        return np.ndindex(*(self.sizes[i] for i in self.sliced))

    def run_slice(self, key: tuple[int, ...], arrays: Sequence[np.ndarray]) -> np.ndarray:
        """One slice's part of the contraction: axes of ``output`` less the sliced ones, to be added at
        ``result[self.place(key)]``."""
        if not self.sliced:
            return self._steps(arrays)
        fixed = dict(zip(self.sliced, key))
        parts = []
        for x, op in zip(arrays, self.operands):
            if fixed.keys() & set(op):
                x = x[tuple(fixed.get(i, slice(None)) for i in op)]
            parts.append(x)
        return self._steps(parts)

    def place(self, key: tuple[int, ...]) -> tuple:
        """Where a slice's part goes in the result (sliced output axes at the slice's values)."""
        fixed = dict(zip(self.sliced, key))
        return tuple(fixed.get(i, slice(None)) for i in self.output)

    def __call__(self, *arrays: np.ndarray) -> np.ndarray:
        """Contract ``arrays`` (one per operand, shaped as planned), slice by slice when sliced."""
        if len(arrays) != len(self.operands):
            raise ValueError(f"this program contracts {len(self.operands)} operands, got {len(arrays)}")
        if not self.sliced:
            return self._steps(arrays)
        from .parallel import chunks, run
        keys = list(self.slices())
        pieces = chunks(len(keys), self.peak)   # as many slices per piece as fit in the budget at once
        result = None
        for piece, parts in zip(pieces, run(_Slices(self, arrays, keys), pieces, piece_bytes=self.peak)):
            for key, part in zip(keys[piece[0]:piece[1]], parts):   # summed in the order of the slices
                if result is None:
                    result = np.zeros(tuple(self.sizes[i] for i in self.output), dtype=part.dtype)
                result[self.place(key)] += part
        return result

    # ----- planning --------------------------------------------------------
    def _choose_path(self, strategy: str, sizes: Mapping[int, int] | None = None):
        sizes = self.sizes if sizes is None else sizes
        n = len(self.operands)
        sequential = [(0, 1)] + [(n + i - 1, i + 1) for i in range(1, n - 1)] if n > 1 else []
        candidates, stats = {"sequential": sequential}, {"sequential": self._path_stats(sequential, sizes)}
        if (strategy == "auto" and n > SEARCH_LIMIT
                and stats["sequential"][0] <= sum(math.prod(sizes[i] for i in op) for op in self._distinct)):
            return sequential, stats["sequential"], "sequential"  # within 2x of any order: not worth a search
        if strategy in ("auto", "greedy", "dp") and n > 2:
            for how in (("greedy", "dp") if strategy == "auto" else (strategy,)):
                if how == "dp" and n > DP_LIMIT:
                    continue
                try:
                    candidates[how] = self._opt_einsum_path(how, sizes)
                except (ValueError, MemoryError, RecursionError):  # pragma: no cover - opt_einsum limits
                    continue
                stats[how] = self._path_stats(candidates[how], sizes)
        if strategy != "auto" and strategy not in candidates:
            strategy = "sequential"
        best = min(stats, key=lambda how: stats[how][0]) if strategy == "auto" else strategy
        return candidates[best], stats[best], best

    def _opt_einsum_path(self, how: str, sizes: Mapping[int, int]) -> list[tuple[int, int]]:
        if how == "greedy":  # straight to the search: contract_path would also describe every step
            return [tuple(p) for p in opt_einsum.paths.ssa_greedy_optimize(
                [frozenset(op) for op in self._distinct], frozenset(self.output), dict(sizes))]
        sym = {i: opt_einsum.get_symbol(k) for k, i in enumerate(sizes)}
        eq = ",".join("".join(sym[i] for i in op) for op in self._distinct) + "->" + \
            "".join(sym[i] for i in self.output)
        shapes = [tuple(sizes[i] for i in op) for op in self._distinct]
        path, _ = opt_einsum.contract_path(eq, *shapes, shapes=True,
                                           optimize=opt_einsum.paths.DynamicProgramming(minimize="flops"))
        return _to_ssa(path, len(self.operands))

    def _path_stats(self, path, sizes: Mapping[int, int] | None = None) -> tuple[float, tuple, int, float]:
        """What running ``path`` takes, from the sizes alone.

        ``(cost, largest, peak, work)``: its multiply-adds; its largest intermediate ``(entries,
        indices)``; its peak, the most entries alive at once (every operand, which the caller holds, the
        intermediates not yet consumed and the step's result; the final result ``RESULT_COPIES`` times); and
        its work, the multiply-adds plus the entries each step reads and writes times their number of axes
        (numpy's strided copies slow down with many short axes: a 12x12 grid of bits asked about 24 of them
        plans 4e8 multiply-adds but 9.7e9 of work, and takes a minute).
        """
        n = len(self._distinct)
        size_of, prod = (self.sizes if sizes is None else sizes).__getitem__, math.prod
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

    def _sliced_stats(self, path, sliced) -> tuple[float, tuple, int, float]:
        """:meth:`_path_stats` of ``path`` run in slices over ``sliced``: cost and work of all slices; the
        peak of one slice on top of the whole operands (held by the caller) and the whole result."""
        sizes = {**self.sizes, **dict.fromkeys(sliced, 1)}
        cost, largest, peak, work = self._path_stats(path, sizes)
        count = math.prod(self.sizes[i] for i in sliced)
        held = sum(math.prod(self.sizes[i] for i in op) for op in self._distinct)
        held_slice = sum(math.prod(sizes[i] for i in op) for op in self._distinct)
        out = math.prod(self.sizes[i] for i in self.output)
        peak = max(held + peak - held_slice + out, held + RESULT_COPIES * out)
        return cost * count, largest, peak, work * count + out * count

    def _slice_to_fit(self, what: str) -> None:
        """Slice the plan so that its peak fits the memory budget, with the least work found (greedy, and
        cotengra's when installed); leave it as it is when nothing fits (the caller then refuses it)."""
        budget = memory_budget() / self.itemsize
        found = _greedy_slices(self, budget)
        if len(self.operands) >= COTENGRA_LIMIT and (found is None or found[1][3] > COTENGRA_WORK):
            other = _cotengra_slices(self, budget)
            if other is not None and (found is None or other[1][3] < found[1][3]):
                found = other
        if found is not None:
            self._use(found[0], found[1], found[2], found[3])

    # ----- running -----------------------------------------------------------
    def describe(self) -> str:
        """One line: the chosen strategy, its cost and the largest intermediate."""
        sliced = (f" in {self.nslices:,} slices over {_shown_wires(self.sliced, self.sizes, self.names)}"
                  if self.sliced else "")
        return (f"{self.strategy} order, {len(self.path)} pairwise steps{sliced}, {self.cost:.3g} multiply-adds, "
                f"largest intermediate {human_bytes(self.largest[0])}, {human_bytes(self.peak)} at most at once")


def _greedy_slices(program: Program, budget: float):
    """``(path, stats, strategy, sliced)`` whose peak fits ``budget`` entries, or None.

    Each round slices the index of the largest intermediate that lowers the peak most per unit of extra
    work (the ratio of the logarithms of the two factors), then replans the order with the sliced indices
    at size one and keeps whichever order fits with less work (or comes closer to fitting).
    """
    path, stats, strategy = program._whole
    sliced: list[int] = []
    fits = lambda st: (0, st[3]) if st[2] <= budget else (1, st[2])  # noqa: E731
    while stats[2] > budget:
        best = None
        for candidates in (stats[1][1], program.sizes):  # the largest intermediate's indices first, then any
            for i in dict.fromkeys(candidates):
                if program.sizes[i] < 2 or i in sliced:
                    continue
                st = program._sliced_stats(path, sliced + [i])
                if st[2] >= stats[2]:
                    continue
                score = (math.log(max(st[3], 1) / max(stats[3], 1)) / math.log(stats[2] / st[2]), -program.sizes[i])
                if best is None or score < best[0]:
                    best = (score, i, st)
            if best is not None:
                break
        if best is None:
            return None
        sliced.append(best[1])
        stats = best[2]
        reduced = {**program.sizes, **dict.fromkeys(sliced, 1)}
        new_path, _, new_strategy = program._choose_path("auto", reduced)
        new_stats = program._sliced_stats(new_path, sliced)
        if fits(new_stats) < fits(stats):
            path, stats, strategy = new_path, new_stats, new_strategy
    return path, stats, strategy, tuple(sliced)


def _cotengra_slices(program: Program, budget: float):
    """As :func:`_greedy_slices`, from cotengra's hyper-optimised sliced trees; None when cotengra is missing
    or its best tree does not fit."""
    try:
        import cotengra
    except ImportError:
        return None
    sym = {i: opt_einsum.get_symbol(k) for k, i in enumerate(program.sizes)}
    back = {s: i for i, s in sym.items()}
    inputs = [tuple(sym[i] for i in op) for op in program._distinct]
    output = tuple(sym[i] for i in program.output)
    size_dict = {sym[i]: d for i, d in program.sizes.items()}
    best = None
    # cotengra bounds the largest intermediate; the peak also holds the operands and the live intermediates
    for target in (budget / 4, budget / 16):
        try:
            opt = cotengra.HyperOptimizer(methods=["greedy"], max_repeats=32, max_time=5, optlib="random",
                                          slicing_opts={"target_size": target}, parallel=False, progbar=False)
            tree = opt.search(inputs, output, size_dict)
        except Exception:  # pragma: no cover - cotengra's own limits; the greedy slicer still answers
            return best
        sliced = tuple(back[s] for s in tree.sliced_inds)
        path = [tuple(p) for p in tree.get_ssa_path()] if hasattr(tree, "get_ssa_path") else \
            _to_ssa(tree.get_path(), len(program.operands))
        stats = program._sliced_stats(path, sliced)
        if stats[2] <= budget and (best is None or stats[3] < best[1][3]):
            best = (path, stats, "cotengra", sliced)
        if best is not None:
            break
    return best


class _Steps:
    """The compiled pairwise steps of one path over operand index tuples (the numeric core of a Program)."""

    def __init__(self, operands: Sequence[tuple[int, ...]], output: tuple[int, ...], sizes: Mapping[int, int],
                 path):
        self.n = len(operands)
        self.path = path
        self.sizes = sizes
        self.output = output
        self._distinct = [tuple(dict.fromkeys(op)) for op in operands]
        self._prep = [(k, _diagonal(op)) for k, (op, d) in enumerate(zip(operands, self._distinct))
                      if len(d) < len(op)]
        self._code, self._last, self._final = self._compile()

    def _compile(self):
        """Instructions ``(fn, a, b, out)``: ``out = fn(a, b)``, or a fold over inputs when ``b`` is None."""
        n = self.n
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
        foldable = lambda s: s[2] < n and s[2] not in prepped  # noqa: E731
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

    def __call__(self, arrays: Sequence[np.ndarray]) -> np.ndarray:
        vals = list(arrays)
        vals += [None] * len(self.path)
        for k, fn in self._prep:
            vals[k] = fn(vals[k])
        for fn, a, b, out in self._code:
            x = vals[a]
            vals[a] = None
            if b is None:
                vals[out] = fn(x, vals)
            else:
                y = vals[b]
                vals[b] = None
                vals[out] = fn(x, y)
        result = vals[self._last]
        return result if self._final is None else self._final(result)


class _Slices:
    """The parts of some slices of a program (a piece of :mod:`markovwire.parallel`, picklable for workers)."""

    def __init__(self, program: Program, arrays, keys):
        self.program, self.arrays, self.keys = program, arrays, keys

    def __call__(self, piece: tuple[int, int]) -> list[np.ndarray]:
        return [self.program.run_slice(key, self.arrays) for key in self.keys[piece[0]:piece[1]]]


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
