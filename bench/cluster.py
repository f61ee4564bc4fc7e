"""Workload (f): a 10^8-point sweep on a local dask cluster of two worker processes against one.

The net is a chain of ``STEPS`` symbolic kernels over a 4-element set, each mixing two
random kernels by θ and φ, read by a last kernel to one bit; the grid is θ × φ with
10^8 points (10^6 with ``--quick``). Both runs use the same pieces (sized by the memory
budget, :mod:`markovwire.parallel`) and stream them to disk (``Net.sweep(out=…)``); their
results are checked to be equal to the last bit before the times are reported. Each
cluster is started and warmed up (workers import markovwire, plan the net) before it is
timed. One sample per engine: a run takes minutes, and the machine's load is reported.

    python -m bench.cluster                  # 10^8 points
    python -m bench.cluster --points 1e7     # fewer
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from markovwire import FinSet, Kernel, Net, Parameter, parallel, set_sweep_limit, sweep_limit

from .report import Row

STEPS, SIZE = 6, 4


def build(seed: int = 5) -> Net:
    rng = np.random.default_rng(seed)
    theta = Parameter("theta", (0, 1), default=0.5)
    phi = Parameter("phi", (0, 1), default=0.5)
    S, B = FinSet("S", [f"s{i}" for i in range(SIZE)]), FinSet("Bit", ["ok", "bad"])
    t, f = theta.symbol, phi.symbol
    net = Net()
    net.add_box("start", Kernel(rng.dirichlet(np.ones(SIZE)), [], [S]), [], ["w0"])
    for i in range(STEPS):
        a, b = rng.dirichlet(np.ones(SIZE), size=SIZE), rng.dirichlet(np.ones(SIZE), size=SIZE)
        mix, p = (t, theta) if i % 2 == 0 else (f, phi)
        entries = np.empty((SIZE, SIZE), dtype=object)
        for j, k in np.ndindex(SIZE, SIZE):
            entries[j, k] = (1 - mix) * float(a[j, k]) + mix * float(b[j, k])
        net.add_box(f"k{i}", Kernel(entries, [S], [S], params=[p]), [f"w{i}"], [f"w{i + 1}"])
    net.add_box("read", Kernel(rng.dirichlet(np.ones(2), size=SIZE), [S], [B]), [f"w{STEPS}"], ["alarm"])
    net.set_outputs("alarm")
    return net


def timed_sweep(net: Net, grid, workers: int, out: Path) -> tuple[float, int]:
    """Seconds to sweep ``grid`` to ``out`` on a local cluster of ``workers`` processes (started and warmed first)."""
    with parallel.using(workers=workers):
        parallel.client()
        net.sweep({k: v[:64] for k, v in grid.items()}, out=out.with_suffix(".warm"), chunk=1024)
        start = time.perf_counter()
        written = net.sweep(grid, out=out)
        seconds = time.perf_counter() - start
    parallel.shutdown()
    return seconds, written.pieces


def run(quick: bool, points: float | None = None) -> list[Row]:
    points = int(points or (1e6 if quick else 1e8))
    side = int(round(points ** 0.5))
    grid = {"theta": np.linspace(0, 1, side), "phi": np.linspace(0, 1, points // side)}
    total = side * (points // side)
    net = build()
    old = parallel.engine()
    limit = set_sweep_limit(max(sweep_limit(), total))
    tmp = Path(tempfile.mkdtemp(prefix="markovwire-bench-cluster-"))
    try:
        one, pieces = timed_sweep(net, grid, 1, tmp / "one.npyd")
        two, _ = timed_sweep(net, grid, 2, tmp / "two.npyd")
        a, b = parallel.open_sweep(tmp / "one.npyd")["result"], parallel.open_sweep(tmp / "two.npyd")["result"]
        assert all(np.array_equal(a[i:i + 10**6], b[i:i + 10**6]) for i in range(0, len(a), 10**6)), \
            "the two runs differ"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        set_sweep_limit(limit)
        parallel.set_engine(old)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return [Row(f"(f) sweep of {total:.0e} points to disk", "2-worker local dask cluster", two,
                "1-worker local dask cluster", one, need=1.6, target="≥1.6x",
                note=f"{pieces} pieces, same bits; {os.cpu_count()} cores, load average {load} after")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=float, default=1e8, help="points of the sweep (default 1e8)")
    args = parser.parse_args(argv)
    from .report import table
    print(table(run(False, args.points)))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
