"""Markov kernels between finite port bundles, held as arrays.

A kernel ``X1 ⊗ … ⊗ Xm → Y1 ⊗ … ⊗ Yk`` is an array with axes
``[x1, …, xm, y1, …, yk]`` whose entries for fixed inputs sum to one over the
outputs: ``k[x, y] = P(y | x)``. A distribution is a kernel with no inputs.
Entries may be sympy expressions in declared :class:`~markovwire.params.Parameter`\\ s.

The laws of a Markov category hold (checked as property tests):

>>> from markovwire import FinSet, Kernel, copy, discard, identity
>>> B = FinSet("Bit", ["0", "1"])
>>> f = Kernel([[0.9, 0.1], [0.2, 0.8]], [B], [B])
>>> g = Kernel([[0.5, 0.5], [0.0, 1.0]], [B], [B])
>>> bool(np.allclose((f >> g).array, f.array @ g.array))   # diagrammatic order
True
>>> (identity(B) >> f).allclose(f) and (f >> discard(B)).allclose(discard(B))
True
>>> (copy(B) >> (discard(B) @ identity(B))).allclose(identity(B))   # counit
True
"""
from __future__ import annotations

import html
import itertools
import math
from copy import copy as shallow_copy
from typing import Callable, Iterable, Mapping, Sequence

import numpy as np
import sympy

from .errors import EvidenceError, NotStochastic, ParameterError, Place, ShapeError, TypeMismatch, UnknownName
from .params import Parameter, resolve_values
from .types import FinSet, Port, _auto_name, bundle, names_apart, show_bundle

ATOL = 1e-9
MAX_EXPAND = 500       # terms sympy.expand may make of a row's sum before the check turns numeric
MAX_SIMPLIFY = 200     # operations of an expanded sum that sympy.simplify may be asked to prove zero
SAMPLES = 64           # random points (besides corners and defaults) of the numeric row check
_SUM_FIX = ("make the row's entries sum to one for every parameter value "
            "(e.g. write the last entry as 1 - the others)")
TABLE_ROWS, HTML_ROWS = 200, 500  # rows shown when printing a kernel / in Jupyter


class Kernel:
    """A (possibly symbolic) Markov kernel ``dom → cod`` stored as one array.

    With ``batch=n`` it is a batch of ``n`` numeric tables at once, the array's leading
    axis indexing them: in a net every batched box shares one batch index, which becomes
    the leading axis of every result, exactly like a parameter sweep of ``n`` points (and
    a parameter swept alongside must give one value per table). ``kernel[i]`` is table
    ``i``; operations on one table (``>>``, ``prob``, ...) refuse a batch.

    >>> B = FinSet("Bit", ["0", "1"])
    >>> noise = Kernel([[[0.9, 0.1], [0.2, 0.8]], [[1.0, 0.0], [0.0, 1.0]]], [B], [B], batch=2)
    >>> noise, noise[1].prob("1", bit="1")
    (Kernel(kernel: bit: Bit → bit: Bit; batch of 2), 1.0)
    >>> from markovwire import Net
    >>> net = Net(); _ = net.add_box("prior", Kernel([0.5, 0.5], [], [B]), [], ["x"])
    >>> _ = net.add_box("noise", noise, ["x"], ["y"]); net.set_outputs("y")
    >>> net.evaluate().round(3).tolist()    # one row per table
    [[0.55, 0.45], [0.5, 0.5]]
    """

    __array_priority__ = 1000  # so that ``ndarray @ kernel`` is not attempted by numpy

    def __init__(self, array, dom: Iterable = (), cod: Iterable = (), *,
                 params: Mapping[str, Parameter] | Iterable[Parameter] = (), name: str = "kernel",
                 check: bool = True, batch: int | None = None):
        self.dom: tuple[Port, ...] = bundle(dom)
        self.cod: tuple[Port, ...] = bundle(cod)
        self.name = name
        self.batch = batch
        if isinstance(params, Mapping):
            params = params.values()
        self.params: dict[str, Parameter] = {p.name: p for p in params}
        for p in self.dom + self.cod:
            if not isinstance(p.type, FinSet):
                raise TypeMismatch(f"kernel {name!r}, port {p.name!r}",
                                   f"has unresolved type variable {p.type}",
                                   fix="instantiate polymorphic kernels with concrete finite sets")
        arr = _entries(array, name)
        self.array = arr
        coded = self.__dict__.get("_coding")  # set by from_coding on the array given: arr holds the same objects
        if coded is not None and coded[0] is array:
            self._coding = (arr,) + coded[1:]
        shape = tuple(len(p.type) for p in self.dom + self.cod)
        if batch is not None:
            _check_batch(arr, batch, shape, name)
            shape = (batch,) + shape
        if arr.shape != shape:
            raise ShapeError(f"kernel {name!r}",
                             f"array has shape {arr.shape} but {show_bundle(self.dom)} → "
                             f"{show_bundle(self.cod)} needs {shape}",
                             fix="give one axis per input then per output, each as long as its type"
                                 + (" after the batch's axis" if batch is not None else ""))
        if self.is_symbolic:
            symbols = self.free_symbols
            missing = {s.name for s in symbols} - set(self.params)
            if missing:
                raise ParameterError(f"kernel {name!r}", f"uses undeclared parameter(s) {', '.join(sorted(missing))}",
                                     fix="declare every parameter the entries use (params=[...])")
            alien = sorted(s.name for s in symbols if s != self.params[s.name].symbol)
            if alien:
                raise ParameterError(f"kernel {name!r}", f"uses a symbol {alien[0]!r} that is not the parameter's "
                                     "own symbol (other sympy assumptions)",
                                     fix="write entries with the Parameter itself or its .symbol")
        if check:
            self.check()

    # ----- structure -------------------------------------------------------
    @property
    def is_symbolic(self) -> bool:
        return self.array.dtype == object

    @property
    def free_symbols(self) -> set:
        if not self.is_symbolic:
            return set()
        return set().union(*(e.free_symbols for e in self.coding()[1]))

    def coding(self) -> tuple[np.ndarray, np.ndarray]:
        """The table as ``(codes, entries)``: ``array == entries[codes]``, each distinct entry object once.

        A wildcard row of a file repeats one expression in every row, so a million-row table has a
        handful of entries; checks, symbols and numeric evaluation work on those, not on every cell.
        Computed once (by object identity) unless the kernel was made by :meth:`from_coding`.
        """
        cached = self.__dict__.get("_coding")
        if cached is None or cached[0] is not self.array:
            flat = self.array.reshape(-1)
            ids = np.fromiter(map(id, flat), dtype=np.uint64, count=flat.size)
            _, first, codes = np.unique(ids, return_index=True, return_inverse=True)
            cached = self._coding = (self.array, codes.reshape(self.array.shape), flat[first])
        return cached[1], cached[2]

    @classmethod
    def from_coding(cls, codes: np.ndarray, entries, dom: Iterable = (), cod: Iterable = (), **kw) -> "Kernel":
        """The kernel whose table is ``entries[codes]`` (positions into a list of distinct entries, as files write
        wildcard rows), keeping that coding so checks and evaluation look at each distinct entry once."""
        check = kw.pop("check", True)
        entries = _entries(list(entries), kw.get("name", "kernel"))
        array = entries[codes]
        kernel = cls.__new__(cls)
        if array.dtype == object:  # all entries are sympy objects (see _entries): the kernel keeps these objects
            kernel._coding = (array, np.asarray(codes), entries)
        kernel.__init__(array, dom, cod, check=False, **kw)
        return kernel.check() if check else kernel

    @classmethod
    def stack(cls, kernels: Sequence["Kernel"], name: str | None = None) -> "Kernel":
        """The batch of the given numeric kernels (all of one signature), table ``i`` being ``kernels[i]``.

        >>> B = FinSet("Bit", ["0", "1"])
        >>> Kernel.stack([Kernel([0.5, 0.5], [], [B]), Kernel.point([B], "1")]).array.tolist()
        [[0.5, 0.5], [0.0, 1.0]]
        """
        kernels = list(kernels)
        if not kernels:
            raise ShapeError("Kernel.stack", "has no kernels to stack", fix="give at least one kernel")
        first = kernels[0]
        for i, k in enumerate(kernels):
            if k.batch is not None or k.is_symbolic:
                raise ShapeError(f"Kernel.stack, kernel {i} ({k.name!r})",
                                 "is a batch already" if k.batch is not None else "has symbolic entries",
                                 fix="stack numeric kernels of one table each (sweep a parameter for symbolic "
                                     "tables: net.evaluate({'p': values}))")
            if [p.type for p in k.dom + k.cod] != [p.type for p in first.dom + first.cod]:
                raise TypeMismatch(f"Kernel.stack, kernel {i} ({k.name!r})",
                                   f"has signature {show_bundle(k.dom)} → {show_bundle(k.cod)}, not "
                                   f"{show_bundle(first.dom)} → {show_bundle(first.cod)} as kernel 0",
                                   fix="stack kernels of one signature")
        return cls(np.stack([k.array for k in kernels]), first.dom, first.cod, name=name or first.name,
                   batch=len(kernels), check=False)

    def __getitem__(self, i: int) -> "Kernel":
        """Table ``i`` of a batch, as a kernel of its own."""
        if self.batch is None:
            raise ShapeError(f"kernel {self.name!r}", "is one table, not a batch", fix="use the kernel itself")
        if not -self.batch <= i < self.batch:
            raise ShapeError(f"kernel {self.name!r}", f"has no table {i} (a batch of {self.batch})",
                             fix=f"take a table from 0 to {self.batch - 1}")
        return Kernel(self.array[i], self.dom, self.cod, name=f"{self.name}[{i % self.batch}]", check=False)

    def _one_table(self, what: str) -> None:
        """Refuse an operation on one table when this is a batch of them."""
        if self.batch is not None:
            raise ShapeError(f"kernel {self.name!r}", f"is a batch of {self.batch} tables; {what} takes one table",
                             fix="take table i with kernel[i], or put the batch in a net (Net.add_box) to "
                                 "evaluate every table in one contraction")

    def named(self, name: str) -> "Kernel":
        """The same kernel under another name (the table and its caches are shared: kernels are immutable)."""
        other = shallow_copy(self)
        other.name = name
        return other

    @property
    def n_in(self) -> int:
        return len(self.dom)

    @property
    def shape_in(self) -> tuple[int, ...]:
        return tuple(len(p.type) for p in self.dom)

    @property
    def shape_out(self) -> tuple[int, ...]:
        return tuple(len(p.type) for p in self.cod)

    def rows(self) -> np.ndarray:
        """The array as a matrix: one row per input combination."""
        self._one_table("rows()")
        return self.array.reshape(self._rows_shape())

    def _rows_shape(self) -> tuple[int, int]:
        """``(input combinations, output combinations)`` of one table."""
        return math.prod(self.shape_in), math.prod(self.shape_out)

    def _row_label(self, flat: int) -> str:
        if not self.dom:
            return "the distribution"
        idx = np.unravel_index(flat, self.shape_in)
        return "row (" + ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(self.dom, idx)) + ")"

    # ----- validation ------------------------------------------------------
    def check(self, values: Mapping[str, object] | None = None, atol: float = ATOL) -> "Kernel":
        """Raise :class:`NotStochastic` naming the first row that is not a distribution.

        A symbolic row must sum to one identically: proved by sympy when the expansion is small
        (:func:`_expansion_size`), else tested numerically on points of the parameters' domains
        (:func:`sample_points`), corners included. Each entry must be a probability (finite, in [0, 1])
        at those same points (:meth:`_check_domain`). Every evaluation checks its tables again
        (:meth:`check_at`), so a row that passes here cannot give a wrong answer later.
        """
        if self.is_symbolic:
            numeric, rows = [], self.rows()
            codes = self.coding()[0].reshape(rows.shape)
            for r in sorted(np.unique(codes, axis=0, return_index=True)[1]):  # rows of the same entries: once
                verdict = _row_sums_to_one(rows[r], atol)
                if verdict is None:
                    numeric.append(r)
                elif verdict is not True:
                    raise NotStochastic(Place(f"kernel {self.name!r}, {self._row_label(r)}", box=self.name),
                                        f"entries sum to {_short(verdict)}, not identically 1", fix=_SUM_FIX)
            if numeric:
                self._check_sampled(numeric, atol)
            self._check_domain(atol)
            if values is not None:
                self.subs(values)
            return self
        self.check_at(self.array, {}, atol)
        return self

    def check_at(self, array: np.ndarray, values: Mapping[str, object], atol: float = ATOL,
                 box: str | None = None) -> None:
        """Raise :class:`NotStochastic` unless ``array`` (sweep axes first, then this kernel's) is a
        probability table at every point: finite entries, none below ``-atol``, rows summing to one.

        ``values`` are the parameter values the array was evaluated at (scalars or arrays of the
        sweep's shape); the error names the first offending point, its row and entry, and (for a
        symbolic kernel) what would fix it; ``box`` is the name of the net's box that holds the kernel.

        >>> p = Parameter("fpr", (0, 1))
        >>> V = FinSet("Verdict", ["pass", "flag"])
        >>> k = Kernel([1 - 2 * p.symbol, 2 * p.symbol], [], [V], params=[p], name="monitor", check=False)
        >>> k.numeric({"fpr": np.array([0.25, 1.0])})
        Traceback (most recent call last):
        ...
        markovwire.errors.NotStochastic: kernel 'monitor', the distribution at fpr=1: has negative entry -1 at \
output verdict=pass
          fix: restrict fpr's domain to [0, 0.5] in parameters: (there every entry of this row is non-negative), \
or rewrite the entry
        """
        lead = array.ndim - len(self.dom) - len(self.cod)
        batch = array.shape[:lead]
        n = int(np.prod(batch, dtype=int))
        rows = array.reshape((n,) + self._rows_shape())
        found = table_violation(rows, atol)
        if found is None:
            return
        point, r, c, kind = found
        at = {}
        for name in sorted(s.name for s in self.free_symbols):
            v = np.asarray(values.get(name, self.params[name].default), dtype=float)
            at[name] = float(np.broadcast_to(v, batch).reshape(-1)[point]) if v.ndim else float(v)
        who = f"kernel {self.name!r}" if box is None else \
            f"box {box!r}" + (f" (kernel {self.name!r})" if box != self.name else "")
        table = f"table {point} of the batch, " if self.batch is not None and not values else ""
        where = Place(f"{who}, {table}{self._row_label(r)}"
                      + (" at " + ", ".join(f"{k}={v:g}" for k, v in at.items()) if at else ""), box=box or self.name)
        value = rows[point, r, c] if c >= 0 else rows[point, r].sum()
        entry = self.rows()[r, c] if self.is_symbolic and c >= 0 else None
        if kind == "nonfinite":
            if entry is None:
                raise NotStochastic(where, "has a non-finite entry", fix="use finite probabilities")
            from .expr import explain_nonfinite
            names = list(at)
            why = explain_nonfinite(entry, [self.params[k].symbol for k in names], [at[k] for k in names])
            raise NotStochastic(where, f"entry {self._out_label(c)}: {why}",
                                fix="rewrite the entry so that it is defined on the parameters' domains (cancel "
                                    "common factors, avoid dividing by zero), or exclude "
                                    + ", ".join(f"{k}={v:g}" for k, v in at.items())
                                    + " from the domain in parameters:")
        if kind == "negative":
            raise NotStochastic(where, f"has negative entry {value:g} at output {self._out_label(c)}",
                                fix=self._negative_fix(r) if self.is_symbolic else "probabilities must be non-negative")
        raise NotStochastic(where, f"sums to {value:.12g}, not 1",
                            fix=_SUM_FIX if self.is_symbolic else "make each row sum to one")

    def _negative_fix(self, r: int) -> str:
        """How to keep row ``r`` non-negative: a narrower domain when its entries are linear in one parameter."""
        row = [e for e in self.rows()[r] if e.free_symbols]
        names = sorted({s.name for e in row for s in e.free_symbols})
        if len(names) == 1:
            p = self.params[names[0]]
            lo, hi = (float(x) for x in p.domain)
            x = p.symbol
            for e in row:
                if not e.is_polynomial(x) or sympy.degree(e, x) > 1:
                    break
                a, b = (float(c) for c in (e.coeff(x, 1), e.coeff(x, 0)))
                if a > 0:
                    lo = max(lo, -b / a)
                elif a < 0:
                    hi = min(hi, -b / a)
            else:
                if lo <= hi:
                    return (f"restrict {p.name}'s domain to [{lo:g}, {hi:g}] in parameters: (there every entry of "
                            "this row is non-negative), or rewrite the entry")
        shown = ", ".join(names)
        return (f"restrict the domain of {shown} in parameters: to values where every entry of this row is "
                "non-negative, or rewrite the entry (clip(x, 0, 1) keeps a value in [0, 1])")

    def _check_sampled(self, rows: list[int], atol: float) -> None:
        """Test that ``rows`` sum to one at sample points of the parameters' domains (corners included)."""
        from .expr import compile_numeric
        names = sorted(s.name for s in self.free_symbols)
        points = sample_points([self.params[n] for n in names])
        sums = [sympy.Add(*self.rows()[r]) for r in rows]
        size = [sympy.Add(*(abs(e) for e in self.rows()[r])) for r in rows]
        values = compile_numeric(sums + size, [self.params[n].symbol for n in names])(*(points[n] for n in names))
        for i, r in enumerate(rows):
            total, scale = values[i], values[len(rows) + i]
            bad = np.isfinite(total) & np.isfinite(scale) & (np.abs(total - 1) > atol * np.maximum(1, scale))
            if np.any(bad):
                j = int(np.argmax(bad))
                at = ", ".join(f"{n}={points[n][j]:g}" for n in names)
                raise NotStochastic(Place(f"kernel {self.name!r}, {self._row_label(r)}", box=self.name),
                                    f"entries sum to {total[j]:.12g} at {at}, not 1 (the sum is too large to "
                                    "simplify, so it was tested at points of the parameters' domains)",
                                    fix=_SUM_FIX)

    def _check_domain(self, atol: float) -> None:
        """Test that every symbolic entry is finite and in [0, 1] at the points of the parameters' domains the row
        check uses (:func:`sample_points`: corners, defaults, seeded random points), so that a table going negative
        inside its declared domain is refused when it is written, not when it is evaluated there.

        >>> p = Parameter("fpr", (0, 1), default=0.1)
        >>> V = FinSet("Verdict", ["pass", "flag"])
        >>> Kernel([1 - 2 * p.symbol, 2 * p.symbol], [], [V], params=[p], name="monitor")
        Traceback (most recent call last):
        ...
        markovwire.errors.NotStochastic: kernel 'monitor', the distribution at fpr=1: has negative entry -1 at \
output verdict=pass (fpr=1 is inside the declared domain)
          fix: restrict fpr's domain to [0, 0.5] in parameters: (there every entry of this row is non-negative), \
or rewrite the entry
        """
        from .expr import compile_numeric
        names = sorted(s.name for s in self.free_symbols)
        points = sample_points([self.params[n] for n in names])
        n = len(next(iter(points.values()), [0.0]))  # no parameters: one point
        exprs = list(dict.fromkeys(e for e in self.coding()[1] if getattr(e, "free_symbols", None)))
        cols = compile_numeric(exprs, [self.params[k].symbol for k in names])(*(points[k] for k in names))
        with np.errstate(invalid="ignore"):
            bad = np.zeros(n, dtype=bool)
            for col in cols:
                col = np.broadcast_to(np.asarray(col, dtype=float), (n,))
                bad |= ~np.isfinite(col) | (col < -atol) | (col > 1 + atol)
        if not np.any(bad):
            return
        j = int(np.argmax(bad))
        at = {k: float(points[k][j]) for k in names}
        inside = ", ".join(f"{k}={v:g}" for k, v in at.items())
        note = f" ({inside} {'is' if len(at) == 1 else 'are'} inside the declared domain{'s' if len(at) > 1 else ''})"
        try:
            self.numeric(at)  # check_at names the row, the entry and the point
        except NotStochastic as e:
            raise e.relocated(e.place, what=e.what + note) from None
        raise NotStochastic(Place(f"kernel {self.name!r} at {inside}", box=self.name),  # within round-off of a table
                            "has an entry outside [0, 1]" + note,
                            fix="restrict the parameters' domains in parameters: to values where every entry is a "
                                "probability, or rewrite the entry")

    def _out_label(self, flat: int) -> str:
        idx = np.unravel_index(flat, self.shape_out)
        return ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(self.cod, idx)) or "*"

    # ----- constructors ----------------------------------------------------
    @classmethod
    def from_table(cls, table: Mapping, dom: Iterable = (), cod: Iterable = (), **kw) -> "Kernel":
        """From a nested mapping by element labels: inputs first, then outputs.

        Missing entries are zero. Tuple keys stand for several levels of
        nesting at once (``{("clean", "pass"): 0.98, ...}``).

        >>> Act = FinSet("Act", ["clean", "backdoor"])
        >>> V = FinSet("Verdict", ["pass", "flag"])
        >>> m = Kernel.from_table({"clean": {"pass": 0.98, "flag": 0.02},
        ...                        "backdoor": {"pass": 0.3, "flag": 0.7}}, [Act], [V])
        >>> m.prob("flag", act="backdoor")
        0.7
        """
        dom, cod = bundle(dom), bundle(cod)
        ports = dom + cod
        arr = np.zeros([len(p.type) for p in ports], dtype=object)
        arr[...] = 0
        filled: set[tuple] = set()
        where = f"table of kernel {kw.get('name', 'kernel')!r}"

        def at(index) -> str:
            labels = ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(ports, index))
            return f"{where}, entry ({labels})" if index else where

        def fill(node, depth: int, index: tuple):
            if depth == len(ports):
                if isinstance(node, Mapping) or not _is_entry(node):
                    raise ShapeError(at(index), f"is {node!r}, not a number or expression",
                                     fix="nest one mapping per input, then per output, with numbers at the leaves")
                if index in filled:
                    raise ShapeError(at(index), "is given twice",
                                     fix="give each entry once")
                filled.add(index)
                arr[index] = node
                return
            if not isinstance(node, Mapping):
                raise ShapeError(at(index),
                                 f"expected a mapping by {ports[depth].name} labels, got {node!r}",
                                 fix="nest one mapping per input, then per output")
            for key, sub in node.items():
                keys = key if isinstance(key, tuple) else (key,)
                if depth + len(keys) > len(ports):
                    raise ShapeError(at(index), f"key {key!r} has too many labels",
                                     fix="one label per port: " + ", ".join(p.name for p in ports))
                idx = []
                for p, k in zip(ports[depth:], keys):
                    if k not in p.type:
                        raise UnknownName(f"{where}, port {p.name!r}", f"{k!r} is not an element of {p.type.name}",
                                          fix=f"use one of: {p.type.shown()}")
                    idx.append(p.type.index(k))
                fill(sub, depth + len(keys), index + tuple(idx))

        fill(table, 0, ())
        if not _has_sympy(arr):
            arr = arr.astype(float)
        return cls(arr, dom, cod, **kw)

    @classmethod
    def deterministic(cls, fn: Callable, dom: Iterable = (), cod: Iterable = (), **kw) -> "Kernel":
        """The 0/1 kernel of a function of input labels returning output label(s).

        >>> B = FinSet("Bit", ["0", "1"])
        >>> Kernel.deterministic(lambda a, b: str(int(a) ^ int(b)), [B, B], [B]).prob("1", bit1="0", bit2="1")
        1.0
        """
        dom, cod = bundle(dom), bundle(cod)
        arr = np.zeros([len(p.type) for p in dom + cod])
        for idx in itertools.product(*(range(len(p.type)) for p in dom)):
            labels = [p.type.elements[i] for p, i in zip(dom, idx)]
            out = fn(*labels)
            out = out if isinstance(out, tuple) else (out,)
            at = ", ".join(f"{p.name}={x}" for p, x in zip(dom, labels))
            where = f"function of kernel {kw.get('name', 'kernel')!r}" + (f" at ({at})" if at else "")
            if len(out) != len(cod):
                raise ShapeError(where, f"returned {len(out)} label(s) for {len(cod)} output(s)",
                                 fix="return one label per output port (a tuple for several)")
            for p, o in zip(cod, out):
                if o not in p.type:
                    raise UnknownName(where, f"returned {o!r}, not an element of {p.type.name}",
                                      fix=f"return one of: {', '.join(p.type.elements)}")
            arr[idx + tuple(p.type.index(o) for p, o in zip(cod, out))] = 1.0
        return cls(arr, dom, cod, **kw)

    @classmethod
    def point(cls, cod: Iterable, *labels, **kw) -> "Kernel":
        """The distribution concentrated on one element (one label per output)."""
        return cls.deterministic(lambda: labels if len(labels) > 1 else labels[0], (), cod, **kw)

    @classmethod
    def uniform(cls, cod: Iterable, dom: Iterable = (), **kw) -> "Kernel":
        """Every output equally likely, whatever the input."""
        dom, cod = bundle(dom), bundle(cod)
        shape = [len(p.type) for p in dom + cod]
        n_out = int(np.prod([len(p.type) for p in cod], dtype=int))
        return cls(np.full(shape, 1.0 / n_out), dom, cod, **kw)

    # ----- parameters ------------------------------------------------------
    def subs(self, values: Mapping[str, float] | None = None) -> "Kernel":
        """The numeric kernel at the given parameter values (defaults for the rest)."""
        values = dict(values or {})
        resolve_values(self.params, values, set(values) & set(self.params), where=f"kernel {self.name!r}")
        if not self.is_symbolic:
            return self
        arr = self.numeric(values)
        if arr.ndim != self.array.ndim:
            raise ParameterError(f"kernel {self.name!r}", "subs takes one value per parameter",
                                 fix="use numeric(values) or Net.sweep for arrays of values")
        return Kernel(arr, self.dom, self.cod, name=self.name, check=False)  # numeric() checked it

    def numeric(self, values: Mapping[str, object]) -> np.ndarray:
        """The float array at ``values``; array-valued parameters give a leading batch axis."""
        if not self.is_symbolic:
            return self.array
        from .expr import compile_numeric

        names = sorted(s.name for s in self.free_symbols)
        vals = resolve_values(self.params, {k: v for k, v in values.items() if k in self.params},
                              set(names), where=f"kernel {self.name!r}")
        fn = self._numeric_fn(names, compile_numeric)
        args = [np.asarray(vals[n], dtype=float) for n in names]
        batch = np.broadcast_shapes(*(a.shape for a in args)) if args else ()
        codes, _ = self.coding()
        distinct = np.stack([np.broadcast_to(np.asarray(v, dtype=float), batch) for v in fn(*args)])
        out = distinct[codes.reshape(-1)].reshape(self.array.shape + batch)
        nd = self.array.ndim
        out = np.moveaxis(out, list(range(nd, out.ndim)), list(range(len(batch))))
        self.check_at(out, vals)
        return out

    def _numeric_fn(self, names: list[str], compile_numeric):
        """The compiled numeric evaluator of the entries, cached on the kernel."""
        cache = self.__dict__.setdefault("_fn_cache", {})
        key = tuple(names)
        if key not in cache:
            cache[key] = compile_numeric(list(self.coding()[1]), [self.params[n].symbol for n in names])
        return cache[key]

    # ----- composition -----------------------------------------------------
    def __rshift__(self, other: "Kernel") -> "Kernel":
        """Sequential composition, ``self`` first."""
        if not isinstance(other, Kernel):
            return NotImplemented
        for k in (self, other):
            k._one_table(">>")
        _check_join(self.cod, other.dom, f"{self.name} >> {other.name}")
        n, m = len(self.dom), len(self.cod)
        k = len(other.cod)
        a_idx = list(range(n + m))
        b_idx = list(range(n, n + m)) + list(range(n + m, n + m + k))
        out = list(range(n)) + list(range(n + m, n + m + k))
        arr = _einsum(self.array, a_idx, other.array, b_idx, out)
        return Kernel(arr, self.dom, other.cod, params=_merge_params(self, other),
                      name=f"{self.name} >> {other.name}", check=False)

    def __matmul__(self, other: "Kernel") -> "Kernel":
        """Tensor product: side by side, independent."""
        if not isinstance(other, Kernel):
            return NotImplemented
        for k in (self, other):
            k._one_table("@")
        a, b = self.array, other.array
        na, nb = self.array.ndim, other.array.ndim
        a_idx = list(range(na))
        b_idx = list(range(na, na + nb))
        out = a_idx[: self.n_in] + b_idx[: other.n_in] + a_idx[self.n_in:] + b_idx[other.n_in:]
        arr = _einsum(a, a_idx, b, b_idx, out)
        return Kernel(arr, _disjoint(self.dom, other.dom), _disjoint(self.cod, other.cod),
                      params=_merge_params(self, other), name=f"{self.name} ⊗ {other.name}", check=False)

    # ----- queries ---------------------------------------------------------
    def _axes(self, names: Sequence) -> list[int]:
        out = []
        for n in names:
            if isinstance(n, (int, np.integer)):
                if not 0 <= n < len(self.cod):
                    raise UnknownName(f"kernel {self.name!r}", f"has no output at position {n}",
                                      fix=f"use a position from 0 to {len(self.cod) - 1}, or an output's name")
                out.append(int(n))
                continue
            matches = [i for i, p in enumerate(self.cod) if p.name == n]
            if not matches:
                raise UnknownName(f"kernel {self.name!r}", f"has no output {n!r}",
                                  fix=f"use one of: {', '.join(p.name for p in self.cod)}")
            out.append(matches[0])
        return out

    def marginal(self, *outputs) -> "Kernel":
        """Keep only the named outputs (in the order given), summing out the rest."""
        self._one_table("marginal")
        keep = self._axes(outputs)
        if len(set(keep)) != len(keep):
            raise ShapeError(f"kernel {self.name!r}", f"marginal names an output twice: {', '.join(map(str, outputs))}",
                             fix="name each output once (compose with copy to duplicate one)")
        n = self.n_in
        idx = list(range(self.array.ndim))
        arr = _einsum(self.array, idx, None, None, idx[:n] + [n + k for k in keep])
        return Kernel(arr, self.dom, [self.cod[k] for k in keep], params=self.params,
                      name=f"{self.name}|marginal", check=False)

    def condition(self, observed: Mapping[str, str] | None = None, /, **labels) -> "Kernel":
        """Bayesian conditioning of the outputs on observed output labels (by port name).

        >>> X = FinSet("X", ["a", "b"]); Y = FinSet("Y", ["u", "v"])
        >>> joint = Kernel([[0.1, 0.3], [0.2, 0.4]], [], [X, Y])
        >>> round(joint.condition(y="v").prob("a"), 6)
        0.428571
        """
        self._one_table("condition")
        observed = {**(observed or {}), **labels}
        axes = self._axes(list(observed))
        for ax, label in zip(axes, observed.values()):
            if label not in self.cod[ax].type:
                raise EvidenceError(f"kernel {self.name!r}, output {self.cod[ax].name!r}",
                                    f"observed {label!r} is not an element of {self.cod[ax].type.name}",
                                    fix=f"observe one of: {', '.join(self.cod[ax].type.elements)}")
        arr = self.array
        index: list = [slice(None)] * arr.ndim
        for ax, label in zip(axes, observed.values()):
            index[self.n_in + ax] = self.cod[ax].type.index(label)
        sub = arr[tuple(index)]
        rest = [p for i, p in enumerate(self.cod) if i not in axes]
        n = self.n_in
        norm_axes = tuple(range(n, sub.ndim))
        total = sub.sum(axis=norm_axes, keepdims=True)
        total = np.asarray(total)
        zero = (np.vectorize(lambda e: e.is_zero is True, otypes=[bool])(total) if self.is_symbolic
                else total <= 0).reshape(-1)
        if np.any(zero):
            obs = ", ".join(f"{k}={v}" for k, v in observed.items())
            raise EvidenceError(f"kernel {self.name!r}, {self._row_label(int(np.argmax(zero)))}",
                                f"evidence {obs} has probability zero",
                                fix="condition on an observation the kernel can produce")
        out = sub / total
        if self.is_symbolic:
            out = np.vectorize(sympy.cancel, otypes=[object])(out)
        return Kernel(out, self.dom, rest, params=self.params, name=f"{self.name}|{','.join(observed)}",
                      check=False)

    def invert(self, prior, *, fill=None) -> "Kernel":
        """The Bayesian inverse ``Y → X`` with respect to ``prior`` on the inputs ``X``; rows of probability zero are
        the prior (or ``fill``), their labels in the result's ``filled`` (see :mod:`markovwire.inversion`)."""
        from .inversion import invert
        self._one_table("invert")
        return invert(self, prior, fill=fill)

    def disintegrate(self, *outputs, fill=None) -> tuple["Kernel", "Kernel"]:
        """``(marginal, conditional)``: the marginal on ``outputs`` and the kernel of the other outputs given them
        (see :mod:`markovwire.inversion`)."""
        from .inversion import disintegrate
        self._one_table("disintegrate")
        return disintegrate(self, outputs, fill=fill)

    def row(self, *inputs) -> "Kernel":
        """The distribution of the outputs at the given input labels."""
        self._one_table("row")
        if len(inputs) != self.n_in:
            raise ShapeError(f"kernel {self.name!r}", f"needs {self.n_in} input label(s), got {len(inputs)}",
                             fix=f"give one label per input: {show_bundle(self.dom)}")
        idx = tuple(p.type.index(x) for p, x in zip(self.dom, inputs))
        return Kernel(self.array[idx], (), self.cod, params=self.params, name=self.name, check=False)

    def prob(self, *outputs, **inputs):
        """``P(outputs | inputs)``: one label per output, positionally; every input by port name."""
        self._one_table("prob")
        if len(outputs) != len(self.cod):
            raise ShapeError(f"kernel {self.name!r}", f"prob needs {len(self.cod)} output label(s), got {len(outputs)}",
                             fix=f"give one label per output: {show_bundle(self.cod)} (or take a marginal first)")
        idx = self._input_index(inputs, "prob")
        idx += tuple(p.type.index(x) for p, x in zip(self.cod, outputs))
        value = self.array[idx]
        return value if self.is_symbolic else float(value)

    def _input_index(self, inputs: Mapping[str, str], verb: str) -> tuple[int, ...]:
        """Positions of the input labels given by port name; every input, nothing else."""
        names = [p.name for p in self.dom]
        if set(inputs) != set(names):
            extra = sorted(set(inputs) - set(names))
            problem = f"has no input(s) {', '.join(extra)}" if extra else f"{verb} needs every input by name"
            raise ShapeError(f"kernel {self.name!r}", problem,
                             fix=f"pass {', '.join(n + '=...' for n in names)}" if names else "pass no inputs")
        return tuple(p.type.index(inputs[p.name]) for p in self.dom)

    def sample(self, n: int = 1, seed: int | None = None, **inputs) -> list[tuple[str, ...]]:
        """``n`` samples of the outputs, reproducible by ``seed``, at the inputs given by port name.

        >>> Coin = FinSet("Coin", ["heads", "tails"])
        >>> Kernel([0.0, 1.0], [], [Coin]).sample(2, seed=0)
        [('tails',), ('tails',)]
        """
        self._one_table("sample")
        row = self.subs().array[self._input_index(inputs, "sample")]
        p = np.asarray(row, dtype=float).reshape(-1)
        draws = np.random.default_rng(seed).choice(p.size, size=n, p=p / p.sum())
        return [tuple(port.type.elements[i] for port, i in zip(self.cod, np.unravel_index(d, self.shape_out)))
                for d in draws]

    @property
    def is_deterministic(self) -> bool:
        """Every row puts all its mass on one output."""
        if self.is_symbolic:
            return False
        rows = self.rows()
        return bool(np.all(np.isclose(rows.max(axis=1), 1.0, atol=ATOL)))

    def tv(self, other: "Kernel") -> float:
        """Total-variation distance, the supremum over inputs: ``max_x ½ Σ_y |k(y|x) − k'(y|x)|``."""
        a, b = self._pair(other)
        return float(0.5 * np.abs(a - b).sum(axis=1).max())

    def kl(self, other: "Kernel") -> float:
        """KL divergence ``KL(self ‖ other)`` in nats, the supremum over inputs."""
        a, b = self._pair(other)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, a * (np.log(a) - np.log(b)), 0.0)
        return float(terms.sum(axis=1).max())

    def entropy(self) -> float:
        """Shannon entropy in nats (the maximum over inputs for a kernel)."""
        a = np.asarray(self.subs().rows(), dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(a > 0, -a * np.log(a), 0.0)
        return float(terms.sum(axis=1).max())

    def _pair(self, other: "Kernel") -> tuple[np.ndarray, np.ndarray]:
        for k in (self, other):
            k._one_table("a distance")
        _check_join(self.dom, other.dom, "comparison (inputs)")
        _check_join(self.cod, other.cod, "comparison (outputs)")
        return np.asarray(self.subs().rows(), float), np.asarray(other.subs().rows(), float)

    def allclose(self, other: "Kernel", atol: float = 1e-10) -> bool:
        """Same types and entries equal within ``atol`` (symbolic entries: identically, up to round-off)."""
        if ([p.type for p in self.dom], [p.type for p in self.cod]) != \
                ([p.type for p in other.dom], [p.type for p in other.cod]):
            return False
        if self.is_symbolic or other.is_symbolic:
            return all(_is_zero(a - b, atol) for a, b in zip(self.array.flat, other.array.flat))
        return bool(np.allclose(self.array, other.array, atol=atol, rtol=0))

    def simplify(self) -> "Kernel":
        """Symbolic entries simplified by sympy (numeric kernels are returned as they are)."""
        if not self.is_symbolic:
            return self
        arr = np.vectorize(sympy.simplify, otypes=[object])(self.array)
        return Kernel(arr, self.dom, self.cod, params=self.params, name=self.name, check=False)

    # ----- display ---------------------------------------------------------
    def table(self, limit: int | None = None) -> tuple[list[str], list[list[str]]]:
        """Header and rows of the labelled table: input labels, output labels, probability.

        Zero entries of numeric kernels are left out; ``limit`` caps the number of rows.
        """
        self._one_table("table")
        header = [p.name for p in self.dom] + [p.name for p in self.cod] + ["P"]
        cells = np.ndindex(self.array.shape) if self.is_symbolic else map(tuple, np.argwhere(self.array))
        rows = []
        for idx in itertools.islice(cells, limit):
            v = self.array[idx]
            labels = [p.type.elements[i] for p, i in zip(self.dom + self.cod, idx)]
            rows.append(labels + [str(v) if self.is_symbolic else f"{v:.6g}"])
        return header, rows

    def _n_rows(self) -> int:
        return self.array.size if self.is_symbolic else int(np.count_nonzero(self.array))

    def __repr__(self) -> str:
        batch = f"; batch of {self.batch}" if self.batch is not None else ""
        return f"Kernel({self.name}: {show_bundle(self.dom)} → {show_bundle(self.cod)}{batch})"

    def __str__(self) -> str:
        """The labelled table, a ``│`` between input and output columns.

        >>> B = FinSet("Bit", ["0", "1"])
        >>> print(Kernel([[0.9, 0.1], [0.0, 1.0]], [B], [B], name="noise"))
        Kernel(noise: bit: Bit → bit: Bit)
        bit │ bit  P
        --- │ ---  ---
        0   │ 0    0.9
        0   │ 1    0.1
        1   │ 1    1
        """
        if self.batch is not None:
            return f"{self!r}\n(kernel[i] shows table i)"
        header, rows = self.table(limit=TABLE_ROWS)
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
        cut = self.n_in

        def line(cells):
            texts = [c.ljust(w) for c, w in zip(cells, widths)]
            return ("  ".join(texts[:cut]) + " │ " + "  ".join(texts[cut:]) if cut else "  ".join(texts)).rstrip()
        body = [line(header), line(["-" * w for w in widths])] + [line(r) for r in rows]
        if self._n_rows() > len(rows):
            body.append(f"… {self._n_rows() - len(rows)} more rows")
        return repr(self) + "\n" + "\n".join(body)

    def _repr_html_(self) -> str:
        """The labelled table as HTML for Jupyter; outputs set off from inputs by a rule."""
        if self.batch is not None:
            return f"<p><code>{html.escape(repr(self))}</code> (kernel[i] shows table i)</p>"
        header, rows = self.table(limit=HTML_ROWS)
        rule = ' style="border-left: 2px solid"'

        def cells(tag, texts):
            return "".join(f"<{tag}{rule if i == self.n_in and self.n_in else ''}>{html.escape(t)}</{tag}>"
                           for i, t in enumerate(texts))
        trs = "".join(f"<tr>{cells('td', r)}</tr>" for r in rows)
        more = self._n_rows() - len(rows)
        tail = f"<p>… {more} more rows</p>" if more > 0 else ""
        return (f"<p><code>{html.escape(repr(self))}</code></p>"
                f"<table><thead><tr>{cells('th', header)}</tr></thead><tbody>{trs}</tbody></table>{tail}")


# ----- plumbing: the structure maps of the Markov category --------------------
def identity(A: FinSet, name: str | None = None) -> Kernel:
    """The identity kernel on ``A``."""
    return Kernel(np.eye(len(A)), [(name or _pname(A), A)], [(name or _pname(A), A)], name=f"id[{A.name}]")


def copy(A: FinSet, n: int = 2) -> Kernel:
    """``A → A^⊗n``: duplicate the input ``n`` times (``n = 0`` discards, ``n = 1`` is the identity)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ShapeError(f"copy[{A.name}]", f"number of copies {n!r} is not a non-negative integer",
                         fix="use copy(A, n) with n >= 0")
    arr = np.zeros((len(A),) * (n + 1))
    for i in range(len(A)):
        arr[(i,) * (n + 1)] = 1.0
    return Kernel(arr, [A], [(f"{_pname(A)}{j + 1}", A) for j in range(n)], name=f"copy[{A.name}]")


def discard(A: FinSet) -> Kernel:
    """``A → I``: forget the input."""
    return Kernel(np.ones(len(A)), [A], [], name=f"discard[{A.name}]")


def swap(A: FinSet, B: FinSet) -> Kernel:
    """``A ⊗ B → B ⊗ A``."""
    arr = np.einsum("ac,bd->abdc", np.eye(len(A)), np.eye(len(B)))
    a, b = ("a", "b") if _pname(A) == _pname(B) else (_pname(A), _pname(B))
    return Kernel(arr, [(a, A), (b, B)], [(b, B), (a, A)], name=f"swap[{A.name},{B.name}]")


def _pname(A: FinSet) -> str:
    return _auto_name(A)


# ----- helpers -----------------------------------------------------------------
def _has_sympy(array) -> bool:
    arr = np.asarray(array, dtype=object)
    return any(isinstance(x, Parameter) or isinstance(x, sympy.Basic) and not x.is_Number for x in arr.flat)


def _entries(array, name: str) -> np.ndarray:
    """The entries as a float array, or an object array of sympy expressions if any is symbolic.

    Text is refused, never parsed: expressions from files go through :mod:`markovwire.expr`.
    """
    try:
        if isinstance(array, np.ndarray) and array.dtype.kind in "biuf":
            return array.astype(float, copy=False)
        if not _has_sympy(array):
            arr = np.asarray(array)
            if arr.dtype.kind in "biuf":
                return arr.astype(float, copy=False)
            if arr.dtype == object:
                return np.vectorize(_number, otypes=[float])(arr) if arr.size else arr.astype(float)
            raise TypeError
        arr = np.asarray(array, dtype=object)
        if all(isinstance(x, sympy.Basic) for x in _distinct(arr)):
            return arr.copy()  # already sympy
        return np.vectorize(lambda x: sympy.sympify(x, strict=True), otypes=[object])(arr)
    except (TypeError, ValueError, sympy.SympifyError):
        try:
            flat = np.asarray(array, dtype=object).flat
        except ValueError:
            flat = [[]]
        bad = [x for x in flat if not _is_entry(x)]
        if any(isinstance(x, (list, tuple, np.ndarray)) for x in bad):
            raise ShapeError(f"kernel {name!r}", "rows of the array have different lengths",
                             fix="give one axis per input then per output, each as long as its type") from None
        raise ShapeError(f"kernel {name!r}", f"has an entry {bad[0]!r} that is not a number or a sympy expression",
                         fix="give numbers, or sympy expressions in declared parameters "
                             "(parse text with markovwire.expr.parse_expression)") from None


def _check_batch(arr: np.ndarray, batch, shape: tuple[int, ...], name: str) -> None:
    """Refuse a batch that is not a whole number of numeric tables of ``shape``."""
    if isinstance(batch, bool) or not isinstance(batch, (int, np.integer)) or batch < 1:
        raise ShapeError(f"kernel {name!r}", f"batch={batch!r} is not a number of tables",
                         fix="give batch=n with n >= 1, the length of the array's leading axis")
    if arr.dtype == object:
        raise ShapeError(f"kernel {name!r}", "is a batch of tables with symbolic entries",
                         fix="give a batch of numeric tables; for tables in a parameter, sweep the parameter "
                             "instead (net.evaluate({'p': values}))")
    if arr.shape != (batch,) + shape:
        raise ShapeError(f"kernel {name!r}", f"batch={batch} needs an array of shape {(batch,) + shape} ({batch} "
                         f"tables of {shape} stacked on a leading axis), not {arr.shape}",
                         fix=f"give the {batch} tables stacked on the array's first axis (numpy.stack), each with "
                             "one axis per input then per output; or batch= the number of tables given")


def _is_entry(x) -> bool:
    return isinstance(x, (int, float, np.number, sympy.Basic, Parameter)) and \
        not isinstance(x, (complex, np.complexfloating))


def _number(x) -> float:
    if not _is_entry(x):
        raise TypeError(x)
    return float(x)


def table_violation(rows: np.ndarray, atol: float = ATOL) -> tuple[int, int, int, str] | None:
    """The first ``(point, row, output, kind)`` where ``rows`` (points × rows × outputs) is not a probability
    table, or None. ``kind`` is ``"nonfinite"``, ``"negative"`` or ``"sum"`` (output ``-1``); points come first,
    so a sweep reports its first offending point.

    >>> table_violation(np.array([[[0.5, 0.5]], [[1.5, -0.5]]]))
    (1, 0, 1, 'negative')
    """
    with np.errstate(all="ignore"):  # NaN and infinities are what is looked for, not warned about
        sums = rows.sum(axis=-1)
        mins = rows.min(axis=-1, initial=np.inf)
        bad = ~np.isfinite(sums) | (mins < -atol) | (np.abs(sums - 1) > atol)
    if not np.any(bad):
        return None
    point = int(np.argmax(bad.any(axis=-1)))
    at = rows[point]
    for kind, mask in (("nonfinite", ~np.isfinite(at)), ("negative", at < -atol)):
        if np.any(mask):
            r, c = map(int, np.argwhere(mask)[0])
            return point, r, c, kind
    return point, int(np.argmax(bad[point])), -1, "sum"


def sample_points(params: Sequence[Parameter], n: int = SAMPLES, seed: int = 0) -> dict[str, np.ndarray]:
    """Points of the parameters' domains for numeric checks: the corners (at most 256), the defaults and ``n``
    random points (seeded, so a check is reproducible). Infinite ends stand at 1000 beyond the other end or 0.

    >>> sample_points([Parameter("p", (0, 1), default=0.5)], n=2)["p"].round(3).tolist()
    [0.0, 1.0, 0.5, 0.637, 0.27]
    """
    rng = np.random.default_rng(seed)
    k = len(params)
    ends = []
    for p in params:
        lo, hi = (float(x) for x in p.domain)
        lo = lo if math.isfinite(lo) else min(hi, 0.0) - 1000.0
        hi = hi if math.isfinite(hi) else max(lo, 0.0) + 1000.0
        ends.append((lo, hi))
    corners = (np.array(list(itertools.product((0, 1), repeat=k)), dtype=bool) if k <= 8
               else rng.integers(0, 2, size=(256, k)).astype(bool))
    out = {}
    for j, (p, (lo, hi)) in enumerate(zip(params, ends)):
        mid = p.default if p.default is not None else (lo + hi) / 2
        x = np.concatenate([np.where(corners[:, j], hi, lo), [mid], rng.uniform(lo, hi, n)])
        out[p.name] = np.clip(np.round(x), lo, hi) if p.integer else x
    return out


def _expansion_size(e: sympy.Basic, cap: int = MAX_EXPAND) -> int:
    """An upper bound of the terms (and work) ``sympy.expand(e)`` makes, capped at ``cap + 1``.

    >>> p, q = sympy.symbols("p q")
    >>> _expansion_size((p + q)**3), _expansion_size((p + q + p*q + 2*q)**1000 / 10**1000)
    (4, 501)
    """
    if not e.args:
        return 1
    if isinstance(e, sympy.Mul):
        out = 1
        for a in e.args:
            out = min(cap + 1, out * _expansion_size(a, cap))
        return out
    if isinstance(e, sympy.Pow):
        b = _expansion_size(e.base, cap)
        if b > 1 and e.exp.is_Rational:
            n = int(abs(e.exp))
            return min(cap + 1, math.comb(n + b - 1, b - 1) if n < cap else cap + 1) if n else b
        return min(cap + 1, b + _expansion_size(e.exp, cap))
    return min(cap + 1, sum(_expansion_size(a, cap) for a in e.args))


def _distinct(entries: np.ndarray) -> np.ndarray:
    """The distinct objects of an object array (by identity: a wildcard row repeats one object in every row, so
    a million-row table has a handful), each once."""
    flat = entries.reshape(-1)
    ids = np.fromiter(map(id, flat), dtype=np.uint64, count=flat.size)
    return flat[np.unique(ids, return_index=True)[1]]


def _row_sums_to_one(row, atol: float):
    """True if the entries sum to one identically, the sum's text if they do not, None if too large to tell."""
    total = sympy.Add(*row)
    if total == 1:
        return True
    if not total.free_symbols:
        if isinstance(total, sympy.Rational):
            return str(total)
        from .expr import constant_value
        return True if abs(constant_value(total, "the row's sum") - 1) <= atol else str(total)
    if _expansion_size(total) > MAX_EXPAND:
        return None
    expanded = sympy.expand(total)
    diff = expanded - 1
    diff = diff.xreplace({f: sympy.Integer(0) for f in diff.atoms(sympy.Float) if abs(f) <= atol})
    if diff == 0:
        return True
    if sympy.count_ops(diff) > MAX_SIMPLIFY:  # sympy's assumptions and simplify have no bound on large input
        return None
    return True if diff.is_zero is True or sympy.simplify(diff).is_zero is True else str(expanded)


def _short(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _is_zero(expr, atol: float) -> bool:
    """``expr`` is identically zero, up to float coefficients below ``atol`` (round-off)."""
    expr = sympy.expand(expr)
    expr = expr.xreplace({f: sympy.Integer(0) for f in expr.atoms(sympy.Float) if abs(f) <= atol})
    return expr.is_zero is True or sympy.simplify(expr).is_zero is True


def _check_join(cod: Sequence[Port], dom: Sequence[Port], where: str) -> None:
    if len(cod) != len(dom):
        raise TypeMismatch(where, f"{show_bundle(cod)} has {len(cod)} port(s) but {show_bundle(dom)} has {len(dom)}",
                           fix="compose kernels whose outputs match the next inputs one for one")
    for i, (p, q) in enumerate(zip(cod, dom)):
        if p.type != q.type:
            pn, qn = names_apart(p.type, q.type)
            raise TypeMismatch(f"{where}, position {i + 1} ({p.name} → {q.name})", f"{pn} does not match {qn}",
                               fix=f"insert a kernel {pn} → {qn} or fix the wiring")


def _disjoint(a: Sequence[Port], b: Sequence[Port]) -> tuple[Port, ...]:
    """Concatenate bundles, renaming clashing port names of the right side."""
    names = {p.name for p in a}
    out = list(a)
    for p in b:
        name, i = p.name, 2
        while name in names:
            name, i = f"{p.name}{i}", i + 1
        names.add(name)
        out.append(Port(name, p.type))
    return tuple(out)


def _merge_params(*kernels: Kernel) -> dict[str, Parameter]:
    out: dict[str, Parameter] = {}
    for k in kernels:
        for name, p in k.params.items():
            if name in out and out[name] != p:
                raise ParameterError(f"parameter {name!r}", "is declared twice with different domains or defaults",
                                     fix="declare each parameter once, or rename one of them")
            out[name] = p
    return out


def _einsum(a, a_idx, b, b_idx, out_idx):
    """Pairwise einsum on integer index lists; object (sympy) arrays supported."""
    if b is None:
        if a.dtype == object:
            return np.einsum(a, a_idx, out_idx, optimize=False)
        return np.einsum(a, a_idx, out_idx)
    if a.dtype == object or b.dtype == object:
        res = np.einsum(np.asarray(a, dtype=object), a_idx, np.asarray(b, dtype=object), b_idx, out_idx,
                        optimize=False)
        return np.vectorize(sympy.expand, otypes=[object])(res) if np.ndim(res) else res
    return np.einsum(a, a_idx, b, b_idx, out_idx, optimize=True)
