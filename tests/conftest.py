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


def _cpus() -> int:
    """The CPUs this process may use: its affinity, lowered by a cgroup's CPU quota (a container's share)."""
    n = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        if quota != "max":
            n = min(n, max(1, int(quota) // int(period)))
    except (OSError, ValueError):
        pass
    return n


def pytest_xdist_auto_num_workers(config):
    """``-n auto``: one worker per usable CPU, at least 2 and at most 4 (each worker imports the UI and numpy;
    past 4 the suite's longest tests, not the number of workers, set its time)."""
    return max(2, min(4, _cpus()))


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
