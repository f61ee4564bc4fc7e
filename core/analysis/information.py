"""Information quantities of finite laws: entropy, mutual information, KL divergence, total variation.

Every function takes probability arrays whose *last* axes are the variables (any leading
axes are a sweep, evaluated at once) and returns nats; ``0 log 0 = 0`` is explicit, never
NaN. A law with an axis per wire is ``joint``; its variables are named by position.

- ``H(A | C) = H(A, C) − H(C)``
- ``I(A; B | C) = H(A, C) + H(B, C) − H(A, B, C) − H(C)``
- ``KL(P ‖ Q) = Σ P log(P / Q)``: infinite exactly when ``P > 0`` somewhere ``Q = 0``
- ``TV(P, Q) = ½ Σ |P − Q|``

>>> p = np.array([[0.4, 0.1], [0.1, 0.4]])      # two correlated bits
>>> round(float(entropy(p, [0, 1])), 6), round(float(entropy(p, [0])), 6)
(1.19355, 0.693147)
>>> round(float(mutual_information(p, [0], [1])), 6)     # H(A) + H(B) − H(A, B)
0.192745
>>> round(float(kl(np.array([0.5, 0.5]), np.array([0.9, 0.1]))), 6), float(kl(np.array([0.5, 0.5]), np.array([1, 0])))
(0.510826, inf)
>>> float(tv(np.array([0.5, 0.5]), np.array([0.9, 0.1])))
0.4
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

NATS_PER_BIT = float(np.log(2))


def entropy(joint: np.ndarray, of: Sequence[int], given: Sequence[int] = (), n_vars: int | None = None) -> np.ndarray:
    """``H(of | given)`` of a joint law whose last ``n_vars`` axes are variables (all axes by default)."""
    n = joint.ndim if n_vars is None else n_vars
    return _h(joint, set(of) | set(given), n) - _h(joint, set(given), n)


def mutual_information(joint: np.ndarray, a: Sequence[int], b: Sequence[int], given: Sequence[int] = (),
                       n_vars: int | None = None) -> np.ndarray:
    """``I(a; b | given)``; never below zero (round-off is clipped)."""
    n = joint.ndim if n_vars is None else n_vars
    a, b, c = set(a), set(b), set(given)
    value = _h(joint, a | c, n) + _h(joint, b | c, n) - _h(joint, a | b | c, n) - _h(joint, c, n)
    return np.maximum(value, 0.0)


def kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """``KL(p ‖ q)`` over the last axis: ``inf`` where ``p`` puts mass on a label ``q`` gives none."""
    p, q = np.broadcast_arrays(np.asarray(p, dtype=float), np.asarray(q, dtype=float))
    on = p > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(on, p * (np.log(np.where(on, p, 1.0)) - np.log(np.where(q > 0, q, 1.0))), 0.0)
    value = np.maximum(terms.sum(axis=-1), 0.0)
    return np.where(np.any(on & (q <= 0), axis=-1), np.inf, value)


def tv(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The total-variation distance over the last axis."""
    return 0.5 * np.abs(np.asarray(p, dtype=float) - np.asarray(q, dtype=float)).sum(axis=-1)


def _h(joint: np.ndarray, keep: set[int], n: int) -> np.ndarray:
    """The entropy of the marginal on the variables ``keep`` (positions among the last ``n`` axes)."""
    if not keep:
        return np.zeros(joint.shape[:joint.ndim - n])
    lead = joint.ndim - n
    drop = tuple(lead + i for i in range(n) if i not in keep)
    marginal = joint.sum(axis=drop) if drop else joint
    axes = tuple(range(lead, marginal.ndim))
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(marginal > 0, -marginal * np.log(np.where(marginal > 0, marginal, 1.0)), 0.0)
    return terms.sum(axis=axes)
