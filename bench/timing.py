"""Medians of interleaved timings, so that machine load falls on every contender alike."""
from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Contender:
    """A function to time; ``setup`` (untimed) runs before every call when given."""

    fn: Callable[[], object]
    setup: Callable[[], object] | None = None
    repeat: int | None = None  # fewer samples for slow contenders


def medians(contenders: dict[str, Contender], repeat: int, min_sample: float = 2e-3) -> dict[str, float]:
    """Median seconds per call of each contender, sampled round-robin ``repeat`` times.

    A fast function is called several times per sample (at least ``min_sample`` seconds)
    so that the timer's resolution does not matter; one with a setup is called once.
    """
    number = {}
    for name, c in contenders.items():
        if c.setup:
            c.setup()
        c.fn()  # warm up: plans, caches, imports
        if c.setup:
            c.setup()
        t = time.perf_counter()
        c.fn()
        dt = time.perf_counter() - t
        number[name] = 1 if c.setup else max(1, int(min_sample / max(dt, 1e-7)))
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    gc.collect()
    for _ in range(repeat):
        for name, c in contenders.items():
            if len(samples[name]) >= (c.repeat or repeat):
                continue
            if c.setup:
                c.setup()
            n = number[name]
            t = time.perf_counter()
            for _ in range(n):
                c.fn()
            samples[name].append((time.perf_counter() - t) / n)
    return {name: statistics.median(s) for name, s in samples.items()}


def show(seconds: float) -> str:
    """A duration with a unit that keeps three significant digits."""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"
