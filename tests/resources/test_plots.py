"""markovwire plot on hostile input, in a bounded child: refused with the place and a fix, never a traceback."""
from __future__ import annotations

import limits

from markovwire.library.shipped import proposals_dir

TM = str(proposals_dir() / "trusted_monitoring.yaml")


def test_a_sweep_of_too_many_points_is_refused_before_anything_is_drawn(tmp_path):
    out = tmp_path / "fig.png"
    r = limits.run_cli(["plot", TM, "--sweep", "beta=0:0.05:1000000000", "-q", "safety", "-o", str(out)])
    assert r.clean and r.returncode == 1, r
    assert "--sweep" in r.stderr and "1,000,000,000" in r.stderr.replace("1e+09", "1,000,000,000")
    assert "fix:" in r.stderr and "--max-points" in r.stderr
    assert not out.exists()


def test_a_grid_of_two_large_sweeps_is_refused(tmp_path):
    r = limits.run_cli(["plot", TM, "--sweep", "beta=0:0.05:100000", "--sweep", "a=0:0.1:100000", "-o",
                        str(tmp_path / "fig.svg")])
    assert r.clean and r.returncode == 1, r
    assert "fix:" in r.stderr


def test_user_mistakes_print_one_message(tmp_path):
    cases = [(["-q", "safty"], "has no query 'safty' (did you mean 'safety'?)", "fix: plot one of: p_catastrophe"),
             (["--sweep", "beta=0:1"], "is not of the form P=START:STOP:COUNT", "fix: write e.g. --sweep"),
             (["--interval", "beta=0:0.1"], "bounds parameter 'beta', which the plot sweeps", "fix: bound another"),
             (["--tv", "monitor=2"], "is not of the form INSTANCE=EPS", "fix: write e.g. --tv monitor=0.01")]
    for args, what, fix in cases:
        r = limits.run_cli(["plot", TM, *args, "-o", str(tmp_path / "fig.pdf")])
        assert r.clean and r.returncode == 1, r
        assert r.stderr.startswith("error: ") and what in r.stderr and fix in r.stderr, r
    r = limits.run_cli(["plot", TM, "-o", str(tmp_path / "fig.jpeg")])
    assert r.clean and r.returncode == 1
    assert f"{tmp_path / 'fig.jpeg'}: has .jpeg: plots are written as .svg, .png or .pdf" in r.stderr
    assert "fix: name the figure with one of those suffixes, e.g. -o fig.pdf" in r.stderr
