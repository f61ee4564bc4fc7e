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

from .errors import MarkovwireError
from .params import Parameter, resolve_values

FACTOR_RANK = 16  # a swept kernel with at most this many basis functions stays factored


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

    def __init__(self, kernels: Sequence, params: Mapping[str, Parameter]):
        self.kernels = list(kernels)
        self.params = dict(params)
        self.ndims = [k.array.ndim for k in self.kernels]
        self.static = [None if k.is_symbolic else k.array for k in self.kernels]
        basis: dict = {}
        self._boxes = []  # (position, rows, coefficients, shape, parameter names, coefficient tensor)
        for pos, k in enumerate(self.kernels):
            if k.is_symbolic:
                self._boxes.append(_decompose(pos, k, basis))
        self.needed = {s.name for g in basis for s in g.free_symbols}
        self.names = sorted(self.needed)
        self._fn = None
        if basis:
            from .expr import compile_numeric
            self._fn = compile_numeric(list(basis), [self.params[n].symbol for n in self.names])

    def rank(self, position: int) -> int:
        """How many basis functions the kernel at ``position`` is factored over (when swept)."""
        return next(len(rows) for pos, rows, *_ in self._boxes if pos == position)

    def __call__(self, values: Mapping[str, object], factored: bool = False):
        """``(arrays, batch)``: batch is ``()`` or ``(n, shape)`` when parameters are swept.

        With ``factored``, a swept kernel of low rank comes back as :class:`Factored`.
        """
        vals = resolve_values(self.params, values, self.needed, where="net evaluation")
        if self._fn is None:
            return list(self.static), ()
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
            batch = (math.prod(shape), shape)
            swept = {n for n, a in zip(self.names, args) if a.ndim}
            args = [a.reshape(-1) if a.ndim else a for a in args]
        values_ = self._fn(*args)
        basis = np.stack(values_, axis=-1) if values_ else np.zeros((0,))
        arrays = list(self.static)
        for pos, rows, coef, shape, used, tensor in self._boxes:
            b = basis
            if batch and not (used & swept):
                b = basis[0]  # this kernel does not depend on the swept parameters
            elif batch and factored and tensor is not None:
                arrays[pos] = Factored(b[:, rows], tensor)
                continue
            arrays[pos] = coef(b[..., rows]).reshape(b.shape[:-1] + shape)
        return arrays, batch


def _decompose(pos: int, kernel, basis: dict):
    """One kernel's entries as coefficients over (its rows of) the shared basis."""
    entries = kernel.array.reshape(-1)
    terms: list[tuple[int, int, float]] = []  # (entry, basis row, coefficient)
    for e, entry in enumerate(entries):
        for term in sympy.Add.make_args(entry):
            c, g = term.as_coeff_Mul()
            if c == 0:
                continue
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
    return pos, np.array(rows, dtype=np.intp), coef, kernel.array.shape, used, tensor


def _scatter(products: np.ndarray, entry: np.ndarray, size: int) -> np.ndarray:
    """Sum ``products[..., t]`` into entry ``entry[t]`` (entries without terms are zero)."""
    out = np.zeros(products.shape[:-1] + (size,))
    np.add.at(out.T, entry, products.T)  # out.T is a view: entries first, sweep last
    return out
