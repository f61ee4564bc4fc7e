"""Shared test setup: hypothesis profiles, the strategies module on the path, a memory-budget guard."""
from __future__ import annotations

import os
import sys
from pathlib import Path

# The engine multiplies many small matrices: BLAS threads only add contention (and with xdist, oversubscription).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import pytest
from hypothesis import HealthCheck, settings

sys.path.insert(0, str(Path(__file__).parent))  # `import strategies` from any test file

# No deadlines (no timed tests); derandomised so that a run is reproducible.
settings.register_profile("default", deadline=None, derandomize=True, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile("thorough", parent=settings.get_profile("default"), derandomize=False,
                          max_examples=1000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def budget():
    """``set_memory_budget`` for one test; the budget is restored afterwards."""
    from markovwire import memory_budget, set_memory_budget

    old = memory_budget()
    yield set_memory_budget
    set_memory_budget(old)


@pytest.fixture
def cost():
    """``set_cost_budget`` for one test; the budget is restored afterwards."""
    from markovwire import cost_budget, set_cost_budget

    old = cost_budget()
    yield set_cost_budget
    set_cost_budget(old)
