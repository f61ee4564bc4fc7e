"""The numeric arrays of a net's kernels at given parameter values, computed fast.

Every entry of a symbolic kernel is a sum of terms ``c * g(params)`` (sympy's own
top-level terms, nothing expanded). The distinct ``g`` of all kernels of a net
form one *basis*, compiled once into a single vectorised function; a kernel's
array is then its coefficient matrix applied to the basis values. So a new
parameter value costs one compiled call plus one small matmul per symbolic
kernel, and a sweep of ``n`` values costs one ``(n, basis) @ (basis, entries)``
matmul per kernel instead of one numpy call per entry.

>>> import sympy
>>> from markovwire import FinSet, Kernel, Parameter
>>> p = Parameter("p", (0, 1))
>>> B = FinSet("B", ["0", "1"])
>>> k = Kernel([[1 - p.symbol, p.symbol], [0.5, 0.5]], [B], [B], params=[p])
>>> ops = Operands([k], {"p": p})
>>> arrays, batch = ops({"p": 0.25})
>>> arrays[0].tolist(), batch
([[0.75, 0.25], [0.5, 0.5]], ())
>>> arrays, batch = ops({"p": np.array([0.0, 1.0])})     # a sweep: a leading batch axis
>>> arrays[0][:, 0].tolist(), batch
([[1.0, 0.0], [0.0, 1.0]], (2, (2,)))
"""
from __future__ import annotations

import math
from typing import Mapping, NamedTuple, Sequence

import numpy as np
import sympy

from .errors import MarkovwireError, ShapeError
from .params import Parameter, resolve_values

FACTOR_RANK = 16  # a swept kernel with at most this many basis functions stays factored
DENSE_BOUNDS = 1 << 20  # basis functions × (entries + rows) up to which the bounds are one dense matrix


class Factored(NamedTuple):
    """A swept kernel left as a contraction: ``array[n, x, y] = sum_m basis[n, m] * coef[x, m, y]``.

    The contraction engine then pushes a batch of vectors through the coefficients
    with one matmul (the rank axis sits between inputs and outputs, so no transpose
    is needed) instead of building ``n`` kernels first.
    """

    basis: np.ndarray  # (n, rank): the kernel's basis functions at the n swept values
    coef: np.ndarray   # (*input axes, rank, *output axes): constant coefficients


class Operands:
    """The arrays of ``kernels`` (in order) at parameter values; see the module docstring."""

    def __init__(self, kernels: Sequence, params: Mapping[str, Parameter], names: Sequence[str] | None = None):
        self.kernels = list(kernels)
        self.params = dict(params)
        self.box_names = list(names) if names is not None else [None] * len(self.kernels)
        self.ndims = [k.array.ndim - (k.batch is not None) for k in self.kernels]  # one table's axes
        self.tables = _table_batch(self.kernels, self.box_names)  # (n, box) of batched kernels, or None
        self.static = [None if k.is_symbolic else k.array for k in self.kernels]
        basis: dict = {}
        self._boxes = []  # (position, rows, coefficients, shape, parameter names, coefficient tensor)
        terms = []
        for pos, k in enumerate(self.kernels):
            if k.is_symbolic:
                box, box_terms = _decompose(pos, k, basis)
                self._boxes.append(box)
                terms.append((k, box_terms))
        self.needed = {s.name for g in basis for s in g.free_symbols}
        self.names = sorted(self.needed)
        self._fn = None
        if basis:
            from .expr import compile_numeric
            self._fn = compile_numeric(list(basis), [self.params[n].symbol for n in self.names])
        self._bounds = _Bounds(terms, len(basis))

    def rank(self, position: int) -> int:
        """How many basis functions the kernel at ``position`` is factored over (when swept)."""
        return next(len(rows) for pos, rows, *_ in self._boxes if pos == position)

    def __call__(self, values: Mapping[str, object], factored: bool = False):
        """``(arrays, batch)``: batch is ``()`` or ``(n, shape)`` when parameters are swept.

        With ``factored``, a swept kernel of low rank comes back as :class:`Factored`.
        """
        vals = resolve_values(self.params, values, self.needed, where="net evaluation")
        if self._fn is None:
            return list(self.static), ((self.tables[0], (self.tables[0],)) if self.tables else ())
        args = [np.asarray(vals[n], dtype=float) for n in self.names]
        shapes = {a.shape for a in args if a.ndim}
        batch = ()
        swept: set = set()
        if shapes:
            if len(shapes) > 1:
                raise MarkovwireError("sweep", f"parameter arrays have different shapes {sorted(shapes)}",
                                      fix="give all swept parameters arrays of one length "
                                          "(or use Net.sweep for a grid)")
            (shape,) = shapes
            if self.tables and shape != (self.tables[0],):
                n, box = self.tables
                raise ShapeError("sweep", f"parameter arrays of shape {shape} meet the batch of {n} tables of "
                                 f"box {box!r}: a batch and a sweep share one axis, point i using table i",
                                 fix=f"give each swept parameter {n} values, one per table (to sweep every "
                                     "table over a grid, repeat the tables with Kernel.stack and the values "
                                     "with numpy.repeat/tile)", box=box)
            batch = (math.prod(shape), shape)
            swept = {n for n, a in zip(self.names, args) if a.ndim}
            args = [a.reshape(-1) if a.ndim else a for a in args]
        values_ = self._fn(*args)
        basis = np.stack(values_, axis=-1) if values_ else np.zeros((0,))
        if not self._bounds.hold(basis, bool(batch)):
            with np.errstate(all="ignore"):
                self._check_exactly(basis, dict(zip(self.names, args)), batch)
        arrays = list(self.static)
        for pos, rows, coef, shape, used, tensor in self._boxes:
            b = basis
            if batch and not (used & swept):
                b = basis[0]  # this kernel does not depend on the swept parameters
            elif batch and factored and tensor is not None:
                arrays[pos] = Factored(b[:, rows], tensor)
                continue
            arrays[pos] = coef(b[..., rows]).reshape(b.shape[:-1] + shape)
        if self.tables and not batch:
            batch = (self.tables[0], (self.tables[0],))
        return arrays, batch


    def _check_exactly(self, basis: np.ndarray, values: Mapping[str, np.ndarray], batch) -> None:
        """Raise for the first sweep point at which a table is not a probability table (the bounds failed)."""
        from .kernel import table_violation
        points = basis if batch else basis[None]
        n = points.shape[0]
        first = None  # (point, position in self._boxes)
        for i, (pos, rows, coef, shape, used, tensor) in enumerate(self._boxes):
            kernel = self.kernels[pos]
            step = max(1, (1 << 22) // max(1, kernel.array.size))
            for start in range(0, n if first is None else first[0] + 1, step):
                chunk = coef(points[start:start + step][:, rows]).reshape((-1,) + kernel.rows().shape)
                found = table_violation(chunk)
                if found is not None:
                    if first is None or start + found[0] < first[0]:
                        first = (start + found[0], i)
                    break
        if first is None:
            return
        point, i = first
        pos, rows, coef = self._boxes[i][:3]
        kernel = self.kernels[pos]
        at = {k: (v.reshape(-1)[point] if v.ndim else v) for k, v in values.items()}
        kernel.check_at(coef(points[point:point + 1][:, rows]).reshape((1,) + kernel.array.shape), at,
                        box=self.box_names[pos])


class _Bounds:
    """Cheap sufficient conditions that every table is a probability table at every evaluated point.

    Each entry, and each row's sum, is linear in the basis values: ``sum_m c_m g_m``. Over a sweep,
    ``g_m`` lies between its smallest and largest value, which bounds the entry below (and the
    row's sum on both sides) with a few numpy calls for all boxes together. When the bounds
    hold, every point is a probability table; when they do not, the exact check looks at every
    point (:meth:`Operands._check_exactly`), so the bounds cost nothing on the error path only.
    """

    def __init__(self, terms, size: int, atol: float = 1e-9):
        ent, col, coef, rows, rcol, rcoef = [], [], [], [], [], []
        n_ent = n_row = 0
        for kernel, (e, m, c) in terms:
            n_out = kernel.rows().shape[1]
            ent.append(e + n_ent)
            col.append(m)
            coef.append(c)
            key = (e // n_out + n_row) * max(size, 1) + m  # aggregate by (row, basis function)
            uniq, inverse = np.unique(key, return_inverse=True)
            summed = np.bincount(inverse, c, minlength=len(uniq))
            keep = np.abs(summed) > 1e-15
            rows.append(uniq[keep] // max(size, 1))
            rcol.append(uniq[keep] % max(size, 1))
            rcoef.append(summed[keep])
            n_ent += kernel.array.size
            n_row += kernel.rows().shape[0]
        cat = lambda parts, dtype: np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)
        self.ent, self.col, self.coef = cat(ent, np.intp), cat(col, np.intp), cat(coef, float)
        self.rows, self.rcol, self.rcoef = cat(rows, np.intp), cat(rcol, np.intp), cat(rcoef, float)
        self.n_ent, self.n_row, self.atol = n_ent, n_row, atol
        self.dense = None
        if size * (n_ent + n_row) <= DENSE_BOUNDS:  # small: one matrix, entries then row sums, and matmuls
            w = np.zeros((size, n_ent + n_row))
            np.add.at(w, (self.col, self.ent), self.coef)
            np.add.at(w, (self.rcol, n_ent + self.rows), self.rcoef)
            self.dense = (w, np.maximum(w, 0), np.minimum(w, 0), np.r_[np.zeros(n_ent), np.ones(n_row)])

    def hold(self, basis: np.ndarray, batch: bool) -> bool:
        """Whether the bounds prove every table a probability table at the basis values (points × basis)."""
        if not self.n_ent:
            return True
        with np.errstate(all="ignore"):  # NaN and overflow are found below, not warned about
            return self._hold(basis, batch)

    def _hold(self, basis: np.ndarray, batch: bool) -> bool:
        if self.dense is not None:
            w, pos, neg, target = self.dense
            if batch:
                lo, hi = basis.min(axis=0), basis.max(axis=0)
                low, high = lo @ pos + hi @ neg - target, (hi @ pos + lo @ neg)[self.n_ent:] - 1
            else:
                low = basis @ w - target
                high = low[self.n_ent:]
            # NaN compares False: a non-finite basis value fails here and goes to the exact check
            return bool(low.min() >= -self.atol and high.max() <= self.atol)
        lo, hi = (basis.min(axis=0), basis.max(axis=0)) if batch else (basis, basis)
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            return False
        c, m = self.coef, self.col
        low = np.bincount(self.ent, np.where(c > 0, c * lo[m], c * hi[m]), minlength=self.n_ent)
        c, m = self.rcoef, self.rcol
        sum_lo = np.bincount(self.rows, np.where(c > 0, c * lo[m], c * hi[m]), minlength=self.n_row)
        sum_hi = np.bincount(self.rows, np.where(c > 0, c * hi[m], c * lo[m]), minlength=self.n_row)
        return bool(low.min() >= -self.atol and sum_lo.min() >= 1 - self.atol and sum_hi.max() <= 1 + self.atol)


def _table_batch(kernels: Sequence, names: Sequence) -> tuple[int, str] | None:
    """``(n, box)``: the length of the batches of tables among ``kernels`` (one box holding one), all alike."""
    found = [(k.batch, name or k.name) for k, name in zip(kernels, names) if k.batch is not None]
    for n, box in found[1:]:
        if n != found[0][0]:
            raise ShapeError(None, f"is a batch of {n} tables but box {found[0][1]!r} one of {found[0][0]}: the "
                             "batched boxes of a net share one batch axis",
                             fix="give every batched box the same number of tables", box=box)
    return found[0] if found else None


def _decompose(pos: int, kernel, basis: dict):
    """One kernel's entries as coefficients over (its rows of) the shared basis."""
    entries = kernel.array.reshape(-1)
    terms: list[tuple[int, int, float]] = []  # (entry, basis row, coefficient)
    for e, entry in enumerate(entries):
        for term in sympy.Add.make_args(entry):
            c, g = term.as_coeff_Mul()
            if c == 0:
                continue
            if not 1e-300 < abs(float(c)) < 1e300:  # beyond floats: the basis function keeps it (expr folds it)
                c, g = sympy.Integer(1), term
            row = basis.setdefault(g, len(basis))
            terms.append((e, row, float(c)))
    rows = sorted({r for _, r, _ in terms})
    local = {r: j for j, r in enumerate(rows)}
    size, m = entries.size, len(rows)
    used = {s.name for g, r in basis.items() if r in local for s in g.free_symbols}
    if m * size <= 4 * len(terms) + 64:  # dense enough: one matmul
        dense = np.zeros((m, size))
        for e, r, c in terms:
            dense[local[r], e] += c
        coef = lambda b, dense=dense: b @ dense
        tensor = None
        if m <= FACTOR_RANK:  # the rank axis between the kernel's input and output axes
            tensor = np.ascontiguousarray(np.moveaxis(dense.reshape((m,) + kernel.array.shape), 0, kernel.n_in))
    else:  # sparse: gather the terms, scale, add per entry
        order = sorted(range(len(terms)), key=lambda t: terms[t][0])
        ent = np.array([terms[t][0] for t in order], dtype=np.intp)
        col = np.array([local[terms[t][1]] for t in order], dtype=np.intp)
        scale = np.array([terms[t][2] for t in order])
        coef = lambda b, ent=ent, col=col, scale=scale, size=size: _scatter(b[..., col] * scale, ent, size)
        tensor = None
    term_arrays = (np.array([e for e, _, _ in terms], dtype=np.intp), np.array([r for _, r, _ in terms], dtype=np.intp),
                   np.array([c for _, _, c in terms], dtype=float))
    return (pos, np.array(rows, dtype=np.intp), coef, kernel.array.shape, used, tensor), term_arrays


def _scatter(products: np.ndarray, entry: np.ndarray, size: int) -> np.ndarray:
    """Sum ``products[..., t]`` into entry ``entry[t]`` (entries without terms are zero)."""
    out = np.zeros(products.shape[:-1] + (size,))
    np.add.at(out.T, entry, products.T)  # out.T is a view: entries first, sweep last
    return out
