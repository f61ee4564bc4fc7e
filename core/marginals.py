"""All single-wire marginals of a net at once.

Each wire's marginal is one planned contraction (plans are cached per net, so
repeated calls with new parameter values do not re-plan).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np


def all_marginals(net, values: Mapping[str, object], evidence: Mapping[str, str],
                  wires: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """``{wire: P(wire | evidence)}`` for every non-input wire (or the given ones)."""
    wires = [w for w in net.wires if w not in net.inputs] if wires is None else list(wires)
    return {w: np.asarray(net.evaluate(values, evidence=evidence, outputs=(w,)).array) for w in wires}
