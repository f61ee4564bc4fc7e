"""Sweeps to disk, Ctrl+C and cluster options from the command line, as a user sees them (bounded child processes)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import limits
import numpy as np
import pytest

from markovwire.library.proposal import load_proposal
from markovwire.library.shipped import proposals_dir

TRUSTED = str(proposals_dir() / "trusted_monitoring.yaml")


def test_a_sweep_written_to_disk_reopens_in_one_line_with_the_values_eval_gives(tmp_path):
    out = tmp_path / "r.npyd"
    r = limits.run_cli(["eval", TRUSTED, "--sweep", "beta=0:0.05:7", "--sweep", "a=0.01:0.05:3", "-q", "safety",
                        "-q", "p_catastrophe", "-o", str(out), "--json"])
    assert r.clean and r.returncode == 0, r
    shown = json.loads(r.stdout)
    assert shown["points"] == 21 and shown["results"] == ["safety", "p_catastrophe"]
    from markovwire import open_sweep
    sweep = open_sweep(out)                              # what a notebook does: one line
    assert sweep.complete and sweep.shape == (7, 3) and list(sweep.axes) == ["beta", "a"]
    b, a = np.meshgrid(np.linspace(0, 0.05, 7), np.linspace(0.01, 0.05, 3), indexing="ij")
    expected = load_proposal(TRUSTED).evaluate({"beta": b.reshape(-1), "a": a.reshape(-1)}, ["safety"])["safety"]
    np.testing.assert_allclose(np.asarray(sweep["safety"]).reshape(-1), expected, rtol=0, atol=1e-14)


def test_o_without_a_sweep_and_a_bad_scheduler_are_refused_with_the_fix(tmp_path):
    from click.testing import CliRunner

    from markovwire import ParameterError, parallel
    from markovwire.tui.cli import cli
    with pytest.raises(ParameterError) as e:
        CliRunner().invoke(cli, ["eval", TRUSTED, "--point", "-o", str(tmp_path / "r.npyd")], catch_exceptions=False)
    assert e.value.what == "writes a sweep, and nothing is swept" and "--sweep P=START:STOP:COUNT" in e.value.fix
    r = CliRunner().invoke(cli, ["eval", TRUSTED, "--sweep", "beta=0:0.05:3", "--scheduler", "no-port-here"])
    assert r.exit_code == 2 and parallel.engine().kind == "threads"
    assert "Invalid value for '--scheduler': 'no-port-here' is not a dask scheduler address" in r.output
    assert "fix: give the address the scheduler prints, SCHEME://HOST:PORT" in r.output


def _interruptible(limit):
    """The child's start: its limits, and Ctrl+C at its default. A test runner's worker may ignore SIGINT (a
    process started so ignores it too, and Python then installs no handler), as a shell's background job does."""
    def start():
        limit()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    return start


def test_ctrl_c_stops_a_sweep_to_disk_cleanly_and_marks_it_incomplete(tmp_path):
    out = tmp_path / "big.npyd"
    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "CI": "true"}
    child = subprocess.Popen([sys.executable, "-m", "markovwire", "eval", TRUSTED, "--sweep", "beta=0:0.05:400000",
                              "-q", "p_catastrophe", "--max-points", "1e6", "-o", str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                             preexec_fn=_interruptible(limits._limits(limits.ADDRESS_SPACE)))
    try:
        deadline = time.monotonic() + limits.TIMEOUT              # a guard, not a timing
        while not (out / "r0.npy").exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=limits.TIMEOUT)
    finally:
        if child.poll() is None:
            child.kill()
    assert "Traceback" not in stderr, stderr
    # seconds of work on an idle machine, and the signal is sent as soon as the first piece is written
    assert child.returncode == 130, (stdout[-300:], stderr)
    assert "cancelled (Ctrl+C) after" in stderr and "manifest.json says complete: false" in stderr
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["complete"] is False and manifest["pieces_done"] < manifest["pieces"] >= 64
