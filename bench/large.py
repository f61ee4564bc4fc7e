"""Workload (h): all marginals of the large networks pgmpy ships, exactly, within a 2 GiB memory budget.

munin1, andes, pathfinder, the munin subnetworks and link; markovwire's ``Net.marginals`` against
pyAgrum's LazyPropagation, each engine in its own child process (so that one's peak memory is not the
other's). A child loads the network with pyAgrum's BIF reader (seconds, where pgmpy's takes up to a
minute), normalises every table as a conditional distribution, answers every variable's marginal once
cold (planning included) and once warm, and reports both times, its peak resident memory during the
cold answer (sampled every 5 ms, above what it held before) and the answers, which the parent compares. Each
engine runs three times, in turn, and each measure is the median of its three.

Run alone (it takes minutes and gigabytes; the machine is shared)::

    python -m bench.large                    # every network
    python -m bench.large munin1 andes       # some
"""
from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from .report import Row

LARGE = ("andes", "pathfinder", "munin1", "munin2", "munin3", "munin4", "link")
BUDGET = 2 * 1024**3
AGREE = 1e-9
MEMORY = 1.25   # "within a quarter of its peak memory": the memory used while answering at most 1.25x pyAgrum's
TIMEOUT = 1800


def bif(name: str) -> str:
    """The network's BIF file, unpacked from pgmpy's wheel into the temporary folder (once)."""
    import pgmpy
    target = Path(tempfile.gettempdir()) / f"markovwire-bench-{name}.bif"
    if not target.exists():
        source = Path(pgmpy.__file__).parent / "utils" / "example_models" / f"{name}.bif.gz"
        with gzip.open(source, "rt") as f:
            target.write_text(f.read())
    return str(target)


def load(name: str):
    """The network as pyAgrum reads it, every table normalised as a conditional distribution."""
    from .bayesnets import pyagrum
    bn = pyagrum().loadBN(bif(name))
    for n in bn.nodes():
        bn.cpt(n).normalizeAsCPT()
    return bn


def to_net(bn):
    """One markovwire box per table (pyAgrum's array axes are its variable names reversed: parents, then
    the variable)."""
    from markovwire import FinSet, Kernel, Net
    types = {bn.variable(n).name(): FinSet(bn.variable(n).name(), list(bn.variable(n).labels()))
             for n in bn.nodes()}
    net = Net()
    for n in bn.topologicalOrder():
        cpt = bn.cpt(n)
        names = list(cpt.names)
        v, parents = names[0], names[:0:-1]
        table = np.asarray(cpt.toarray(), dtype=float)
        table = table / table.sum(axis=-1, keepdims=True)
        net.add_box(v, Kernel(table, [(p, types[p]) for p in parents], [(v, types[v])], name=v, check=False),
                    parents, [v])
    return net


class PeakRSS:
    """The largest resident set size of this process while the block runs, sampled every 5 ms."""

    def __enter__(self):
        import psutil
        self._proc = psutil.Process()
        self.before = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()

        def sample():
            while not self._stop.is_set():
                self.peak = max(self.peak, self._proc.memory_info().rss)
                self._stop.wait(0.005)
        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def used(self) -> int:
        return self.peak - self.before


def child(engine: str, name: str, out: str) -> None:
    """Answer every marginal of ``name`` with ``engine``; write times, memory and answers to ``out``."""
    import gc
    bn = load(name)
    if engine == "markovwire":
        import markovwire
        import markovwire.marginals  # noqa: F401  (imported before timing, as pyAgrum is: the answer is timed, not imports)
        markovwire.set_memory_budget(BUDGET)
        net = to_net(bn)
        answer = lambda: net.marginals()  # noqa: E731
    else:
        from .bayesnets import pyagrum
        gum = pyagrum()

        def answer():
            engine_ = gum.LazyPropagation(bn)
            engine_.makeInference()
            return {bn.variable(n).name(): engine_.posterior(n).toarray() for n in bn.nodes()}
    gc.collect()
    with PeakRSS() as mem:
        t = time.perf_counter()
        got = answer()
        cold = time.perf_counter() - t
    t = time.perf_counter()
    answer()
    warm = time.perf_counter() - t
    np.savez(out + ".npz", **{k: np.asarray(v) for k, v in got.items()})
    Path(out + ".json").write_text(json.dumps({"cold": cold, "warm": warm, "peak": mem.peak, "used": mem.used}))


def measure(engine: str, name: str) -> tuple[dict, dict] | str:
    """Run one engine on one network in a child process: ``(stats, answers)``, or the error's last line."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "result")
        root = str(Path(__file__).resolve().parent.parent)
        r = subprocess.run([sys.executable, "-m", "bench.large", "--child", engine, name, out], cwd=root,
                           capture_output=True, text=True, timeout=TIMEOUT)
        if r.returncode != 0:
            return (r.stderr.strip().splitlines() or [f"ended with exit status {r.returncode}, no message"])[-1]
        stats = json.loads(Path(out + ".json").read_text())
        with np.load(out + ".npz") as z:
            answers = {k: z[k] for k in z.files}
    return stats, answers


def mib(nbytes: float) -> str:
    return f"{nbytes / 1024**2:,.0f} MiB"


def runs(name: str, repeats: int):
    """Each engine ``repeats`` times in fresh processes, taking turns to go first (a machine's first process after a
    pause runs slower): per engine, the median of each measure and the first run's answers, or the first error."""
    got: dict[str, list] = {"markovwire": [], "pyagrum": []}
    for k in range(repeats):
        for engine in (("markovwire", "pyagrum") if k % 2 == 0 else ("pyagrum", "markovwire")):
            if not any(isinstance(r, str) for r in got[engine]):      # an engine that failed is not run again
                got[engine].append(measure(engine, name))
    out = []
    for engine in ("markovwire", "pyagrum"):
        failed = next((r for r in got[engine] if isinstance(r, str)), None)
        stats = [r[0] for r in got[engine]] if failed is None else []
        out.append(failed or ({key: float(np.median([s[key] for s in stats])) for key in stats[0]}, got[engine][0][1]))
    return out


def run(quick: bool, names=None, repeats: int = 3) -> list[Row]:
    rows = []
    for name in names or (LARGE[:3] if quick else LARGE):
        print(f"  {name} ...", file=sys.stderr, flush=True)
        ours, theirs = runs(name, repeats)
        if isinstance(ours, str) or isinstance(theirs, str):
            a = None if isinstance(ours, str) else ours[0]
            mine = ours if a is None else f"warm {a['warm']:.2f} s, peak RSS {mib(a['peak'])} (answering: " \
                f"{mib(a['used'])})"
            rows.append(Row("(h) large BN all marginals", f"{name}, cold", a["cold"] if a else float("nan"),
                            "pyAgrum LazyPropagation", met=False,
                            note=f"markovwire: {mine}; pyAgrum: {theirs if isinstance(theirs, str) else 'ok'}"))
            continue
        (a, got), (b, want) = ours, theirs
        diff = max(float(np.abs(got[v] - want[v]).max()) for v in want)
        ok = diff <= AGREE
        note = (f"warm {a['warm']:.2f} s vs {b['warm']:.2f} s; peak RSS {mib(a['peak'])} vs {mib(b['peak'])} "
                f"(answering: {mib(a['used'])} vs {mib(b['used'])}, "
                f"{a['used'] / max(b['used'], 1):.2f}x); largest difference {diff:.1e}")
        rows.append(Row("(h) large BN all marginals", f"{name} ({len(want)} vars), cold", a["cold"],
                        "pyAgrum LazyPropagation", b["cold"], need=1.0, target="≥1x, memory within 1/4 of pyAgrum's",
                        met=ok and a["cold"] <= b["cold"] and a["used"] <= MEMORY * b["used"], note=note))
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(*sys.argv[2:5])
    else:
        from .report import table
        print(table(run(False, sys.argv[1:] or None)))
