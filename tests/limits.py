"""Run markovwire in a child process bounded in time and address space.

The resource tests feed hostile and oversized input to markovwire. Each case runs
in its own process with ``RLIMIT_AS`` (address space) and a wall-clock timeout, so
a hang or an allocation that would exhaust the machine fails one test instead of
killing the suite. A case passes when the child ends by itself, in time, without a
Python traceback: either with a result or with a markovwire error.

>>> r = run_cli(["--version"])
>>> r.returncode, r.traceback
(0, False)
"""
from __future__ import annotations

import itertools
import os
import resource
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent / "resources"
"""The children's working directory: deep enough that markovwire names a temporary file by its absolute path
(it prints a path relative to the working directory only when that is shorter), wherever the checkout is."""
TIMEOUT = 60.0                 # seconds of wall clock: generous, because CI machines are loaded; never a timing test
ADDRESS_SPACE = 3 * 1024**3    # bytes: numpy, sympy and textual import in ~1 GiB of address space


@dataclass
class Run:
    """What a bounded child process did."""

    returncode: int | None     # None when it was killed at the timeout
    stdout: str
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    @property
    def traceback(self) -> bool:
        """A Python traceback reached the user (the one thing a markovwire error never shows)."""
        return "Traceback (most recent call last)" in self.stderr + self.stdout

    @property
    def out_of_memory(self) -> bool:
        return "MemoryError" in self.stderr + self.stdout or (self.returncode is not None and self.returncode < 0)

    @property
    def clean(self) -> bool:
        """Ended by itself, in time, within memory, without a traceback."""
        return not (self.timed_out or self.traceback or self.out_of_memory)

    def __str__(self) -> str:
        return f"exit {self.returncode}\n--- stdout ---\n{self.stdout[-3000:]}\n--- stderr ---\n{self.stderr[-3000:]}"


def _limits(address_space: int):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    return apply


def run(argv: list[str], *, cwd: str | os.PathLike | None = None, timeout: float = TIMEOUT,
        address_space: int = ADDRESS_SPACE, env: dict[str, str] | None = None, stdin: str | None = None) -> Run:
    """Run ``argv`` bounded by ``timeout`` seconds and ``address_space`` bytes."""
    full_env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                "NO_COLOR": "1", "COLUMNS": "120", **(env or {})}
    try:
        p = subprocess.run(argv, cwd=HERE if cwd is None else cwd, env=full_env, input=stdin, capture_output=True,
                           text=True, timeout=timeout, preexec_fn=_limits(address_space))
    except subprocess.TimeoutExpired as e:
        def text(b):
            return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")
        return Run(None, text(e.stdout), text(e.stderr))
    return Run(p.returncode, p.stdout, p.stderr)


def run_cli(args: list[str], **kw) -> Run:
    """``markovwire ARGS`` in a bounded child process."""
    return run([sys.executable, "-m", "markovwire", *args], **kw)


def run_python(code: str, **kw) -> Run:
    """A Python snippet in a bounded child process (for the API surface)."""
    return run([sys.executable, "-c", textwrap.dedent(code)], **kw)


def write(tmp_path: Path, name: str, text: str) -> Path:
    """A file for one case, its text dedented."""
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


# ----- inputs several resource tests build --------------------------------------------------------
BITS = """\
name: bits
version: "1"
types:
  Bit: ["0", "1"]
parameters:
  p: {domain: [0, 1], default: 0.5}
components:
  coin:
    outputs: {b: Bit}
    parameters: [p]
    kernel: {table: {"0": "1 - p", "1": p}}
  noisy_and:
    inputs: {x: Bit, y: Bit}
    outputs: {b: Bit}
    kernel:
      table:
        "0": {"0": {"0": 0.9, "1": 0.1}, "1": {"0": 0.8, "1": 0.2}}
        "1": {"0": {"0": 0.7, "1": 0.3}, "1": {"0": 0.1, "1": 0.9}}
  copy_bit:
    inputs: {x: Bit}
    outputs: {b: Bit}
    kernel: {table: {"0": {"0": 0.9, "1": 0.1}, "1": {"0": 0.2, "1": 0.8}}}
"""


def chain(d: Path, n: int) -> Path:
    """A proposal of ``n`` bits in a chain (a coin, then copies), with its library ``bits.yaml`` beside it."""
    (d / "bits.yaml").write_text(BITS)
    lines = ["name: chain", "libraries: [bits.yaml]", "instances:", "  c0: {component: coin}"]
    lines += [f"  c{i}: {{component: copy_bit}}" for i in range(1, n)]
    lines += ["wiring:", "  outputs: {o: Bit}", "  wires:"]
    lines += [f"    - c{i - 1}.b -> c{i}.x" for i in range(1, n)] + [f"    - c{n - 1}.b -> out.o"]
    path = d / f"chain{n}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def grid_outputs(k: int, event: int) -> list[tuple[int, int]]:
    """The bits of :func:`grid`'s event: down the last column, along the last row, then the first corner."""
    return ([(i, k - 1) for i in range(k)] + [(k - 1, j) for j in range(k - 1)] + [(0, 0)])[:event]


def grid(d: Path, k: int, event: int) -> Path:
    """A k x k grid of bits, each reading its upper and left neighbours; the event: ``event`` of them show 1."""
    (d / "bits.yaml").write_text(BITS)
    lines = ["name: grid", "libraries: [bits.yaml]", "instances:"]
    wires = []
    for i, j in itertools.product(range(k), range(k)):
        comp = "coin" if i == j == 0 else "copy_bit" if (i == 0 or j == 0) else "noisy_and"
        lines.append(f"  g{i}_{j}: {{component: {comp}}}")
        if i == 0 and j > 0:
            wires.append(f"g{i}_{j - 1}.b -> g{i}_{j}.x")
        elif j == 0 and i > 0:
            wires.append(f"g{i - 1}_{j}.b -> g{i}_{j}.x")
        elif i and j:
            wires += [f"g{i - 1}_{j}.b -> g{i}_{j}.x", f"g{i}_{j - 1}.b -> g{i}_{j}.y"]
    outs = grid_outputs(k, event)
    lines += ["wiring:", "  outputs: {" + ", ".join(f"o{i}_{j}: Bit" for i, j in outs) + "}", "  wires:"]
    lines += [f"    - {w}" for w in wires] + [f"    - g{i}_{j}.b -> out.o{i}_{j}" for i, j in outs]
    lines += ["queries:", "  corner:", "    probability: {" + ", ".join(f"o{i}_{j}: '1'" for i, j in outs) + "}"]
    path = d / f"grid{k}_{event}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path
