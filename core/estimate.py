"""Kernels measured from samples: the empirical kernel and a credal set at a stated confidence.

A count array over ``[inputs..., outputs...]`` (``counts[x, y]``: how many samples with inputs
``x`` gave outputs ``y``) estimates the kernel ``k(y | x)`` row by row. The point estimate is the
empirical kernel ``n_xy / N_x``; its sampling uncertainty is an
:class:`~markovwire.analysis.IntervalKernel` (one interval per entry), so that every analysis
that takes credal sets (credal bounds, bounds over an episode) carries it:

- :func:`clopper_pearson`: the exact binomial interval of each entry, ``n_xy ~ Bin(N_x, k(y|x))``.
  Each entry's interval covers its true value with probability at least ``confidence``;
  with ``simultaneous=True`` the level of each entry is raised by Bonferroni over the kernel's
  ``m`` entries (``1 - (1 - confidence)/m``), so that *all* entries, hence the true kernel,
  lie in the set with probability at least ``confidence``.
- :func:`imprecise_dirichlet`: Walley's imprecise Dirichlet model with parameter ``s``:
  ``[n_xy/(N_x + s), (n_xy + s)/(N_x + s)]``, the posterior expectations under every Dirichlet
  prior of strength ``s`` (a Bayesian-robust set, not a frequentist confidence region).

A row without samples is vacuous (every entry in ``[0, 1]``) in both; its empirical kernel does
not exist, so :func:`empirical` refuses it unless told ``empty="uniform"``.

>>> from markovwire import FinSet
>>> Act, V = FinSet("Act", ["clean", "attack"]), FinSet("Verdict", ["pass", "flag"])
>>> counts = [[98, 2], [13, 6]]                     # 6 of 19 attacks flagged
>>> empirical(counts, [Act], [V]).array.round(4).tolist()
[[0.98, 0.02], [0.6842, 0.3158]]
>>> cp = clopper_pearson(counts, [Act], [V], 0.95)
>>> cp.lower[1].round(4).tolist(), cp.upper[1].round(4).tolist()
([0.4345, 0.1258], [0.8742, 0.5655])
>>> idm = imprecise_dirichlet(counts, [Act], [V], s=2)
>>> idm.lower[1].round(4).tolist(), idm.upper[1].round(4).tolist()
([0.619, 0.2857], [0.7143, 0.381])

Scores become labels by :func:`bin_index`: bin ``i`` is ``edges[i] <= x < edges[i + 1]``, the
last bin closed on the right; ``-1`` marks a value outside every bin.

>>> bin_index([0.5, 2.0, 10.0, 11.0], [0, 2, 4, 10]).tolist()
[0, 1, 2, -1]
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np

from .errors import NotStochastic, ParameterError, Place, ShapeError
from .kernel import Kernel
from .types import bundle

METHODS = ("clopper_pearson", "idm")


def _counts(counts, dom, cod, name: str) -> tuple[np.ndarray, tuple, tuple]:
    """The counts as a float array of the kernel's shape, checked whole and non-negative."""
    dom, cod = bundle(dom), bundle(cod)
    shape = tuple(len(p.type) for p in dom + cod)
    arr = np.asarray(counts, dtype=float)
    if arr.shape != shape:
        raise ShapeError(Place(box=name), f"counts have shape {arr.shape}, not {shape}",
                         fix="give one axis per input then per output, each as long as its type")
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise ParameterError(Place(box=name), "counts must be whole numbers >= 0",
                             fix="count samples: one per row of the data")
    return arr, dom, cod


def _rows(arr: np.ndarray, n_in: int) -> np.ndarray:
    return arr.reshape(int(np.prod(arr.shape[:n_in], dtype=int)), -1)


def _row_text(dom, shape_in, r: int) -> str:
    if not dom:
        return "the distribution (no inputs)"
    idx = np.unravel_index(r, shape_in)
    return ", ".join(f"{p.name}={p.type.elements[i]}" for p, i in zip(dom, idx))


def empty_rows(counts, dom, cod=()) -> list[str]:
    """The input rows with no samples, as ``port=label`` text (``["act=backdoor_ok"]``)."""
    dom = bundle(dom)
    arr = np.asarray(counts, dtype=float)
    shape_in = arr.shape[: len(dom)]
    totals = _rows(arr, len(dom)).sum(axis=1)
    return [_row_text(dom, shape_in, r) for r in np.flatnonzero(totals == 0)]


def empirical(counts, dom: Iterable = (), cod: Iterable = (), *, name: str = "empirical kernel",
              empty: str = "refuse") -> Kernel:
    """The empirical kernel ``n_xy / N_x``. A row with no samples is refused (``empty="uniform"``: uniform)."""
    arr, dom, cod = _counts(counts, dom, cod, name)
    rows = _rows(arr, len(dom))
    totals = rows.sum(axis=1, keepdims=True)
    missing = empty_rows(arr, dom)
    if missing and empty != "uniform":
        if empty != "refuse":
            raise ParameterError(Place(box=name), f"empty={empty!r} is not a rule for rows without samples",
                                 fix="give empty: refuse or empty: uniform")
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise NotStochastic(Place(f"row {missing[0]}", box=name),
                            f"has no samples{more}: the data say nothing about it",
                            fix="add samples for it, bin coarser so that it has some, or say what it should be "
                                "with 'empty: uniform' in the data entry (empty='uniform' in Python)")
    k = np.where(totals > 0, rows / np.where(totals > 0, totals, 1), 1 / rows.shape[1])
    return Kernel(k.reshape(arr.shape), dom, cod, name=name)


def clopper_pearson(counts, dom: Iterable = (), cod: Iterable = (), confidence: float = 0.95, *,
                    simultaneous: bool = False, name: str = "Clopper-Pearson kernel"):
    """Exact binomial (Clopper-Pearson) intervals per entry at ``confidence``; Bonferroni over the kernel's entries
    when ``simultaneous`` (see the module docstring for the coverage of each)."""
    from scipy.stats import beta

    arr, dom, cod = _counts(counts, dom, cod, name)
    alpha = _alpha(confidence, name) / (arr.size if simultaneous else 1)
    n = arr
    N = np.broadcast_to(_rows(arr, len(dom)).sum(axis=1, keepdims=True), _rows(arr, len(dom)).shape)
    N = N.reshape(arr.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(n > 0, beta.ppf(alpha / 2, n, N - n + 1), 0.0)
        upper = np.where(n < N, beta.ppf(1 - alpha / 2, n + 1, N - n), 1.0)
    return _interval(np.nan_to_num(lower, nan=0.0), np.nan_to_num(upper, nan=1.0), dom, cod, name)


def imprecise_dirichlet(counts, dom: Iterable = (), cod: Iterable = (), s: float = 2.0, *,
                        name: str = "IDM kernel"):
    """Walley's imprecise Dirichlet model: ``[n/(N + s), (n + s)/(N + s)]`` per entry (vacuous for an empty row)."""
    arr, dom, cod = _counts(counts, dom, cod, name)
    s = float(s)
    if not (np.isfinite(s) and s > 0):
        raise ParameterError(Place(box=name), f"s = {s:g} is not a positive number",
                             fix="give the IDM's prior strength s > 0 (1 or 2 are usual)")
    N = np.broadcast_to(_rows(arr, len(dom)).sum(axis=1, keepdims=True), _rows(arr, len(dom)).shape)
    N = N.reshape(arr.shape)
    return _interval(arr / (N + s), (arr + s) / (N + s), dom, cod, name)


def _alpha(confidence: float, name: str) -> float:
    confidence = float(confidence)
    if not 0 < confidence < 1:
        raise ParameterError(Place(box=name), f"confidence {confidence:g} is not between 0 and 1",
                             fix="give a confidence such as 0.95")
    return 1 - confidence


def _interval(lower, upper, dom, cod, name: str):
    from .analysis.credal import IntervalKernel

    return IntervalKernel(np.clip(lower, 0, 1), np.clip(upper, 0, 1), dom, cod, name=name, tighten=True)


def bin_index(values: Sequence[float], edges: Sequence[float]) -> np.ndarray:
    """The bin of each value (``edges[i] <= x < edges[i + 1]``, the last bin closed), ``-1`` outside all bins."""
    x, e = np.asarray(values, dtype=float), np.asarray(edges, dtype=float)
    i = np.searchsorted(e, x, side="right") - 1
    i = np.where(x == e[-1], len(e) - 2, i)
    return np.where((i < 0) | (i > len(e) - 2) | ~np.isfinite(x), -1, i)


def check_edges(edges: Sequence[float], size: int, where) -> None:
    """Edges of ``size`` bins: ``size + 1`` finite numbers, strictly increasing."""
    e = [float(x) for x in edges]
    if len(e) != size + 1:
        raise ShapeError(where, f"{len(e)} edges make {len(e) - 1} bin(s), but the port's type has {size} label(s)",
                         fix=f"give {size + 1} edges, one bin per label in order")
    if not all(np.isfinite(e)) or any(b <= a for a, b in zip(e, e[1:])):
        raise ParameterError(where, f"edges {e} are not finite and strictly increasing",
                             fix="give finite edges in increasing order, e.g. [0, 2, 4, 10]")


@dataclass(frozen=True)
class Estimate:
    """A kernel measured from counts: the point (empirical) kernel and its credal set, with how it was made."""

    counts: np.ndarray
    kernel: Kernel
    credal: object          # an IntervalKernel
    method: str
    confidence: float | None
    s: float | None
    simultaneous: bool

    @property
    def samples(self) -> int:
        return int(self.counts.sum())

    def describe(self) -> str:
        """``Clopper-Pearson 95% per entry, 1,571 samples`` (what the interval means)."""
        if self.method == "idm":
            how = f"imprecise Dirichlet model, s = {self.s:g}"
        else:
            how = f"Clopper-Pearson {self.confidence:.4g}" + (" simultaneous (Bonferroni)" if self.simultaneous
                                                              else " per entry")
        return f"{how}, {self.samples:,} samples"


def estimate(counts, dom: Iterable = (), cod: Iterable = (), *, method: str = "clopper_pearson",
             confidence: float = 0.95, s: float = 2.0, simultaneous: bool = False, empty: str = "refuse",
             name: str = "estimate") -> Estimate:
    """The empirical kernel and the credal set of ``method`` (``clopper_pearson`` or ``idm``) from ``counts``.

    >>> from markovwire import FinSet
    >>> V = FinSet("Verdict", ["pass", "flag"])
    >>> e = estimate([7, 3], [], [V], method="idm", s=1)
    >>> e.kernel.array.tolist(), e.credal.upper.round(4).tolist(), e.describe()
    ([0.7, 0.3], [0.7273, 0.3636], 'imprecise Dirichlet model, s = 1, 10 samples')
    """
    if method not in METHODS:
        raise ParameterError(Place(box=name), f"unknown method {method!r}", fix=f"use one of: {', '.join(METHODS)}")
    arr, dom, cod = _counts(counts, dom, cod, name)
    kernel = empirical(arr, dom, cod, name=name, empty=empty)
    if method == "idm":
        credal = imprecise_dirichlet(arr, dom, cod, s, name=name)
        return Estimate(arr, kernel, credal, method, None, float(s), False)
    credal = clopper_pearson(arr, dom, cod, confidence, simultaneous=simultaneous, name=name)
    return Estimate(arr, kernel, credal, method, float(confidence), None, simultaneous)
