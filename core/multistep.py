"""Multi-step behaviour of a finite Markov chain: linear algebra on its step kernel.

A chain is a step matrix ``P[s, s'] = P(s' | s)`` (a :class:`~markovwire.Kernel`
``S → S``, whose several state ports are flattened in row-major order, or an
array) and an initial distribution. Leading axes of ``P`` and ``init`` are a
sweep: every function computes all sweep points in one vectorised pass.

>>> P = np.array([[0.5, 0.5], [0.0, 1.0]])          # state 1 is absorbing
>>> distribution_after(P, [1.0, 0.0], 3)
array([0.125, 0.875])
>>> float(reach_probability(P, [1.0, 0.0], [1], T=3)), float(reach_probability(P, [1.0, 0.0], [1]))
(0.875, 1.0)
>>> float(expected_hitting_time(P, [1.0, 0.0], [1]))   # geometric with success 1/2
2.0

A target that some closed class never reaches has probability below one and an
infinite expected hitting time:

>>> Q = np.array([[0.0, 0.5, 0.5], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
>>> float(reach_probability(Q, [1, 0, 0], [2])), float(expected_hitting_time(Q, [1, 0, 0], [2]))
(0.5, inf)
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .errors import MarkovwireError, NotStochastic, ParameterError, ShapeError, TypeMismatch
from .kernel import ATOL, Kernel

__all__ = ["transition_matrix", "distribution_after", "trajectory", "hitting_probabilities",
           "reach_probability", "hitting_times", "expected_hitting_time", "absorbing"]

# ----- inputs --------------------------------------------------------------------
def transition_matrix(P, where: str = "step kernel") -> np.ndarray:
    """The step matrix ``(..., n, n)`` of a kernel ``S → S`` or an array, checked stochastic."""
    if isinstance(P, Kernel):
        if P.is_symbolic:
            raise ParameterError(f"{where} {P.name!r}", "has symbolic entries",
                                 fix="substitute parameter values first, e.g. kernel.subs({...}) or "
                                     "kernel.numeric({...}) for a sweep")
        if [p.type for p in P.dom] != [p.type for p in P.cod]:
            raise TypeMismatch(f"{where} {P.name!r}", f"maps {_types(P.dom)} to {_types(P.cod)}; a chain's step "
                               "must map the state type to itself", fix="give the step kernel the same input and "
                               "output types, in the same order")
        return P.rows()
    arr = np.asarray(P, dtype=float)
    if arr.ndim < 2 or arr.shape[-1] != arr.shape[-2]:
        raise ShapeError(where, f"has shape {arr.shape}, not (..., n, n)",
                         fix="give a square step matrix (leading axes are a sweep)")
    _check_rows(arr, where)
    return arr


def _vector(init, n: int, where: str = "initial distribution") -> np.ndarray:
    if isinstance(init, Kernel):
        if init.dom:
            raise ShapeError(f"{where} {init.name!r}", "has inputs", fix="give a distribution (a kernel I → S)")
        init = init.subs().array.reshape(-1)
    arr = np.asarray(init, dtype=float)
    if arr.ndim == 0 or arr.shape[-1] != n:
        raise ShapeError(where, f"has shape {arr.shape} but the chain has {n} states",
                         fix=f"give one probability per state (shape (..., {n}))")
    _check_rows(arr, where)
    return arr


def _size(init) -> int:
    return int(np.prod(init.array.shape)) if isinstance(init, Kernel) else np.shape(init)[-1]


def _check_rows(arr: np.ndarray, where: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise NotStochastic(where, "has a non-finite entry", fix="use finite probabilities")
    if np.any(arr < -ATOL):
        idx = tuple(int(i) for i in np.argwhere(arr < -ATOL)[0])
        raise NotStochastic(f"{where}, entry {idx}", f"is negative ({arr[idx]:g})",
                            fix="probabilities must be non-negative")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1) > ATOL
    if np.any(bad):
        idx = tuple(int(i) for i in np.argwhere(bad)[0]) if sums.ndim else ()
        raise NotStochastic(f"{where}, row {idx}" if idx else where, f"sums to {sums[idx]:.12g}, not 1",
                            fix="make each row sum to one")


def _mask(target, n: int) -> np.ndarray:
    """A boolean mask of length ``n`` from a mask or an iterable of state indices."""
    arr = np.asarray(target)
    if arr.dtype == bool:
        if arr.shape != (n,):
            raise ShapeError("target", f"mask has shape {arr.shape}, not ({n},)", fix="one flag per state")
        return arr
    try:
        idx = arr.astype(int).reshape(-1)
    except (TypeError, ValueError):
        idx = np.array([-1])
    if idx.size and (idx.min() < 0 or idx.max() >= n or not np.array_equal(idx, arr.reshape(-1))):
        raise ShapeError("target", f"state indices {sorted(set(arr.reshape(-1).tolist()))} are not all "
                         f"integers in 0..{n - 1}", fix="give state indices or a boolean mask")
    mask = np.zeros(n, dtype=bool)
    mask[idx] = True
    return mask


def _types(ports) -> str:
    return " ⊗ ".join(p.type.name for p in ports) or "I"


def _steps(P, T: int | None) -> tuple[Callable[[int], np.ndarray] | None, np.ndarray | None, int]:
    """``(step_at, homogeneous, T)``: a per-step matrix function for a time-varying chain, or one matrix."""
    if callable(P) and not isinstance(P, (Kernel, np.ndarray)):
        if T is None:
            raise ShapeError("time-varying step kernel", "needs the number of steps T",
                             fix="pass T when the step kernel is a function of the step")
        return (lambda t: transition_matrix(P(t), f"step kernel at step {t}")), None, T
    if isinstance(P, (list, tuple)) and P and (isinstance(P[0], Kernel) or np.ndim(P[0]) >= 2):
        T = len(P) if T is None else T
        if T > len(P):
            raise ShapeError("time-varying step kernel", f"has {len(P)} steps, fewer than T = {T}",
                             fix="give one step kernel per step")
        mats = [transition_matrix(p, f"step kernel at step {t}") for t, p in enumerate(P[:T])]
        return mats.__getitem__, None, T
    if T is None:
        raise ShapeError("distribution_after", "needs the number of steps T", fix="pass T")
    return None, transition_matrix(P), T


# ----- forward: distributions after T steps -------------------------------------------
def distribution_after(P, init, T: int | None = None) -> np.ndarray:
    """The distribution of the state after ``T`` steps, shape ``(sweep..., n)``.

    ``P`` may vary with time: a list of step kernels (kernels or matrices, one per
    step) or a function ``t ↦ step kernel`` for ``t = 0 … T-1``; a sweep is an array.
    A homogeneous chain uses repeated squaring when that costs fewer multiply-adds
    (few states, very many steps), else pushes the vector forward step by step.
    """
    step_at, M, T = _steps(P, T)
    if T < 0:
        raise ShapeError("distribution_after", f"T = {T} is negative", fix="use T >= 0")
    n = M.shape[-1] if M is not None else step_at(0).shape[-1] if T else _size(init)
    x = _vector(init, n)
    _sweeps(M, x)
    if M is None:
        for t in range(T):
            x = _push(x, step_at(t))
        return x
    if T > 2 and T.bit_length() * n < T:
        return _push(x, _power(M, T))
    for _ in range(T):
        x = _push(x, M)
    return x


def trajectory(P, init, T: int | None = None) -> np.ndarray:
    """The distributions at times ``0 … T``, shape ``(T + 1, sweep..., n)``."""
    step_at, M, T = _steps(P, T)
    x = _vector(init, M.shape[-1] if M is not None else step_at(0).shape[-1] if T else _size(init))
    out = [x]
    for t in range(T):
        x = _push(x, M if M is not None else step_at(t))
        out.append(x)
    return np.stack(np.broadcast_arrays(*out))


def _push(x: np.ndarray, M: np.ndarray) -> np.ndarray:
    """One step forward: ``x @ M`` with broadcast sweep axes."""
    if x.ndim == 1 and M.ndim == 2:
        return x @ M
    return np.matmul(x[..., None, :], M)[..., 0, :]


def _power(M: np.ndarray, T: int) -> np.ndarray:
    """``M^T`` by repeated squaring (batched over leading axes)."""
    result, base = None, M
    while T:
        if T & 1:
            result = base if result is None else np.matmul(result, base)
        T >>= 1
        if T:
            base = np.matmul(base, base)
    return result


# ----- hitting a target set ---------------------------------------------------------------
def absorbing(P, target) -> np.ndarray:
    """The chain with the target collapsed into one absorbing last state (size ``m + 1``).

    Non-target states keep their order; the mass that enters the target is kept in
    the last coordinate, so ``distribution_after`` of this chain accumulates the
    probability of having hit the target.
    """
    M = transition_matrix(P)
    hit = _mask(target, M.shape[-1])
    keep = ~hit
    out = np.zeros(M.shape[:-2] + (keep.sum() + 1,) * 2)
    out[..., :-1, :-1] = M[..., keep, :][..., :, keep]
    out[..., :-1, -1] = M[..., keep, :][..., :, hit].sum(axis=-1)
    out[..., -1, -1] = 1.0
    return out


def _collapse_init(init, hit: np.ndarray) -> np.ndarray:
    x = _vector(init, hit.size)
    return np.concatenate([x[..., ~hit], x[..., hit].sum(axis=-1, keepdims=True)], axis=-1)


def reach_probability(P, init, target, T: int | None = None):
    """P(the chain is in ``target`` at some time ``0 … T``); ``T=None`` is the limit T → ∞.

    ``target`` is a boolean mask or state indices. For finite ``T`` the target is
    made absorbing and the hit mass is accumulated (time-varying ``P`` allowed).
    The limit solves ``(I - Q) h = b`` on the states that can reach the target
    (found by graph search); every other state has probability 0.
    """
    step_at, M, _ = _steps(P, T) if T is not None else (None, transition_matrix(P), None)
    n = (M if M is not None else step_at(0)).shape[-1]
    hit = _mask(target, n)
    if T is None:
        return _dot(_vector(init, n), hitting_probabilities(M, hit))
    if M is not None:
        return _scalar(distribution_after(absorbing(M, hit), _collapse_init(init, hit), T)[..., -1])
    chain = [absorbing(step_at(t), hit) for t in range(T)]
    return _scalar(distribution_after(chain, _collapse_init(init, hit), T)[..., -1])


def hitting_probabilities(P, target) -> np.ndarray:
    """Per state, P(ever reaching ``target``), shape ``(sweep..., n)``."""
    M = transition_matrix(P)
    hit = _mask(target, M.shape[-1])
    return _per_support(M, lambda Ms, support: _solve_hitting(Ms, support, hit))


def hitting_times(P, target) -> np.ndarray:
    """Per state, the expected number of steps to reach ``target`` (``inf`` where it may never be reached)."""
    M = transition_matrix(P)
    hit = _mask(target, M.shape[-1])
    return _per_support(M, lambda Ms, support: _solve_times(Ms, support, hit))


def expected_hitting_time(P, init, target, strict: bool = False):
    """E[first time in ``target``] from ``init`` (0 if it starts there).

    The value is ``inf`` when the target is not reached almost surely; with
    ``strict=True`` that raises instead, giving the probability of reaching it.
    """
    M = transition_matrix(P)
    n = M.shape[-1]
    hit = _mask(target, n)
    x = _vector(init, n)
    _sweeps(M, x)
    m = hitting_times(M, hit)
    with np.errstate(invalid="ignore"):
        result = np.where(np.any((x > 0) & np.isinf(m), axis=-1), np.inf, _dot(x, np.where(np.isinf(m), 0.0, m)))
    if strict and np.any(np.isinf(result)):
        h = _dot(x, hitting_probabilities(M, hit))
        worst = float(np.min(h))
        raise MarkovwireError("expected hitting time", f"the target may never be reached (it is reached with "
                              f"probability {worst:.6g}), so the expected time to reach it is infinite",
                              fix="ask for reach_probability instead, or condition on reaching the target")
    return _scalar(result)


def _dot(x: np.ndarray, h: np.ndarray):
    _sweeps(h[..., None], x)
    return _scalar(np.sum(x * h, axis=-1))


def _sweeps(M: np.ndarray | None, x: np.ndarray) -> None:
    """Refuse a step kernel and an initial distribution swept over shapes that do not broadcast."""
    if M is None:
        return
    try:
        np.broadcast_shapes(M.shape[:-2], x.shape[:-1])
    except ValueError:
        raise ShapeError("sweep", f"the step kernel is swept over shape {M.shape[:-2]} but the initial "
                         f"distribution over {x.shape[:-1]}",
                         fix="give both the same sweep axes (or leave one unswept)") from None


def _scalar(x):
    """A float for a single chain, the array for a sweep."""
    return float(x) if np.ndim(x) == 0 else x


def _per_support(M: np.ndarray, solve) -> np.ndarray:
    """Apply ``solve(matrices, support)`` once per distinct support pattern across the sweep."""
    n = M.shape[-1]
    flat = M.reshape(-1, n, n)
    support = flat > 0
    if np.array_equal(support, np.broadcast_to(support[:1], support.shape)):  # the usual sweep: one pattern
        return solve(flat, support[0]).reshape(M.shape[:-1])
    patterns, inverse = np.unique(support.reshape(len(flat), -1), axis=0, return_inverse=True)
    out = np.empty((len(flat), n))
    for k, pattern in enumerate(patterns):
        members = np.flatnonzero(inverse.reshape(-1) == k)
        out[members] = solve(flat[members], pattern.reshape(n, n))
    return out.reshape(M.shape[:-1])


def _can_reach(A: np.ndarray, goal: np.ndarray, through: np.ndarray | None = None) -> np.ndarray:
    """States with a path (of positive-probability edges ``A``) into ``goal``, moving only through ``through``."""
    reach, frontier = goal.copy(), goal.copy()
    through = np.ones_like(goal) if through is None else through
    while frontier.any():
        new = A[:, frontier].any(axis=1) & ~reach & through
        reach |= new
        frontier = new
    return reach


def _system(Ms: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``I - Q`` on ``rows`` with the diagonal as the sum of the other entries of each row.

    Computing ``1 - Q[i, i]`` as the sum of the row's off-diagonal mass avoids the
    cancellation that makes nearly absorbing states lose all precision (as GTH does).
    """
    idx = np.flatnonzero(rows)
    diag = np.arange(idx.size)
    A = -Ms[:, idx][:, :, idx]
    others = Ms[:, idx, :].copy()
    others[:, diag, idx] = 0.0
    A[:, diag, diag] = others.sum(axis=-1)
    return A


def _solve_hitting(Ms: np.ndarray, A: np.ndarray, hit: np.ndarray) -> np.ndarray:
    can = _can_reach(A, hit) & ~hit
    out = np.zeros((len(Ms), hit.size))
    out[:, hit] = 1.0
    if can.any():
        b = Ms[:, can][:, :, hit].sum(axis=-1)
        out[:, can] = np.linalg.solve(_system(Ms, can), b[..., None])[..., 0]
    return out


def _solve_times(Ms: np.ndarray, A: np.ndarray, hit: np.ndarray) -> np.ndarray:
    stuck = ~_can_reach(A, hit)                       # never reach the target
    risky = _can_reach(A, stuck, through=~hit)        # may wander into a stuck state first
    finite = ~risky & ~hit
    out = np.full((len(Ms), hit.size), np.inf)
    out[:, hit] = 0.0
    if finite.any():
        ones = np.ones((len(Ms), int(finite.sum()), 1))
        out[:, finite] = np.linalg.solve(_system(Ms, finite), ones)[..., 0]
    return out
