"""Run every benchmark workload and print the table of medians and speed-ups.

Usage, from the repository root (needs the ``bench`` extra)::

    python -m bench.run            # the full run (a few minutes)
    python -m bench.run --quick    # fewer samples, a subset of pyAgrum settings
    python bench/run.py --only chain networks

The table is also written to ``bench/results/latest.md``. Every comparison runs in
one process on the same arrays, sampled round-robin; each engine's answers are
checked against markovwire's before anything is timed.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    __package__ = "bench"

from bench import batched, chain, networks, proposal, pruning, random_bn, sweep  # noqa: E402
from bench.report import table  # noqa: E402

WORKLOADS = {"chain": chain, "networks": networks, "random_bn": random_bn, "sweep": sweep, "proposal": proposal,
             "pruning": pruning, "batched": batched}


def versions() -> str:
    import numpy
    import opt_einsum

    out = [f"Python {platform.python_version()}", f"numpy {numpy.__version__}", f"opt_einsum {opt_einsum.__version__}"]
    for name in ("pyagrum", "pgmpy"):
        try:
            out.append(f"{name} {__import__(name).__version__}")
        except ImportError:  # pragma: no cover - the bench extra is missing
            out.append(f"{name} missing")
    return ", ".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer samples (noisier medians)")
    parser.add_argument("--only", nargs="+", choices=sorted(WORKLOADS), help="run only these workloads")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results" / "latest.md",
                        help="where to write the markdown table")
    args = parser.parse_args(argv)
    rows = []
    started = time.perf_counter()
    for name in args.only or list(WORKLOADS):
        t = time.perf_counter()
        print(f"running {name} ...", file=sys.stderr, flush=True)
        rows += WORKLOADS[name].run(args.quick)
        print(f"  {name} done in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    header = (f"# markovwire benchmark ({'quick' if args.quick else 'full'} run)\n\n"
              f"{time.strftime('%Y-%m-%d %H:%M')}; {versions()}; {os.cpu_count()} cores; "
              f"load average {', '.join(f'{x:.1f}' for x in os.getloadavg())} at the end; "
              f"{time.perf_counter() - started:.0f} s.\n\n"
              "Medians of interleaved samples. speed-up = baseline median / markovwire median "
              "(above 1: markovwire is faster).\n\n")
    text = header + table(rows) + "\n"
    print(text)
    missed = [r for r in rows if r.met is False]
    if missed:
        print(f"{len(missed)} target(s) not met.")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + (f"\n{len(missed)} target(s) not met.\n" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
