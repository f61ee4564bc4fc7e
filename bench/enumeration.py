"""An episode's credal bounds over 10^5 vertex combinations, on two threads against one and on a local dask
cluster of two worker processes against one.

The step has two credal boxes on a chain of ``SIZE`` states (a move chosen from ``A`` kernels,
a walk from ``B``), so :func:`~markovwire.analysis.episodes.episode_bounds` enumerates ``A·B``
candidate step kernels in pieces sized by the memory budget (:mod:`markovwire.parallel`) and
applies the lower and upper transition operators over ``STEPS`` steps. Both runs use the same
pieces; their bounds are checked to be equal to the last bit before the times are reported.
Each engine is started and warmed up first. One sample per engine; the machine's load is
reported. The adaptive range keeps every piece's step arrays when they fit half the memory
budget: on threads they stay in this process, from a cluster they travel back to it (160 MB
here), which is why the cluster's second worker gains little on one machine.

    python -m bench.enumeration                   # 10^5 combinations
    python -m bench.enumeration --combinations 2e4
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

from markovwire import FinSet, Kernel, Net, parallel
from markovwire.analysis import CredalKernel, Query
from markovwire.analysis.episodes import episode_bounds
from markovwire.episode import Episode

from .report import Row

SIZE, MOVES, STEPS = 10, 4, 20


def build(combinations: int, seed: int = 3):
    """The episode, its query and its two credal boxes (about ``combinations`` vertex combinations)."""
    rng = np.random.default_rng(seed)
    S, M = FinSet("S", [f"s{i}" for i in range(SIZE)]), FinSet("Move", [f"m{i}" for i in range(MOVES)])
    a = max(2, int(round(combinations ** 0.5)))
    b = max(2, combinations // a)
    A = rng.dirichlet(np.ones(MOVES), size=(a, SIZE))
    B = rng.dirichlet(np.full(SIZE, 0.5), size=(b, SIZE, MOVES))
    step = Net()
    step.add_box("pick", Kernel(A[0], [("s", S)], [("m", M)]), ["w.state"], ["m"])
    step.add_box("walk", Kernel(B[0], [("s", S), ("m", M)], [("s", S)]), ["w.state", "m"], ["w.state'"])
    step.set_inputs("w.state")
    step.set_outputs("w.state'")
    episode = Episode(step, [Kernel.point([S], "s0")], steps=STEPS)
    boxes = {"pick": CredalKernel([Kernel(x, [("s", S)], [("m", M)]) for x in A]),
             "walk": CredalKernel([Kernel(x, [("s", S), ("m", M)], [("s", S)]) for x in B])}
    return episode, Query.probability({"w.state": f"s{SIZE - 1}"}), boxes


def timed(episode, query, boxes, workers: int = 0, threads: int = 0) -> tuple[float, tuple[float, ...]]:
    """Seconds for the bounds on ``threads`` threads or a local cluster of ``workers`` processes (warmed first)."""
    with parallel.using(workers=workers or None, threads=threads or None):
        if workers:
            parallel.client()
        small = {n: CredalKernel(s.vertices[:4]) for n, s in boxes.items()}
        episode_bounds(episode, query, boxes=small)
        start = time.perf_counter()
        res = episode_bounds(episode, query, boxes=boxes)
        seconds = time.perf_counter() - start
    parallel.shutdown()
    return seconds, (res.adaptive.lower, res.adaptive.upper, res.fixed.lower, res.fixed.upper)


def run(quick: bool, combinations: float | None = None) -> list[Row]:
    combinations = int(combinations or (2e4 if quick else 1e5))
    episode, query, boxes = build(combinations)
    count = len(boxes["pick"].vertices) * len(boxes["walk"].vertices)
    old = parallel.engine()
    rows = []
    try:
        for kind, name in (("threads", "thread(s) in this process"), ("workers", "-worker local dask cluster")):
            one, a = timed(episode, query, boxes, **{kind: 1})
            two, b = timed(episode, query, boxes, **{kind: 2})
            assert a == b, f"the two runs differ: {a} vs {b}"
            load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
            rows.append(Row(f"episode bounds over {count:,} vertex combinations, {STEPS} steps",
                            f"2{' ' if kind == 'threads' else ''}{name}", two,
                            f"1{' ' if kind == 'threads' else ''}{name}", one, need=1.5, target="≥1.5x",
                            note=f"same bits; {os.cpu_count()} cores, load average {load} after"))
    finally:
        parallel.set_engine(old)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--combinations", type=float, default=1e5, help="vertex combinations (default 1e5)")
    args = parser.parse_args(argv)
    from .report import table
    print(table(run(False, args.combinations)))
    return 0


if __name__ == "__main__":
    if __package__ in (None, ""):
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
