"""Hostile sizes for the exact TV worst case: wide rows, many rows, many balls. Each case runs in a bounded child
(:mod:`limits`) and must end cleanly: the composition band always, the exact interval when it is affordable,
otherwise the reason it was not computed (never a hang, a MemoryError or a traceback).
"""
from __future__ import annotations

import json

import limits

from markovwire.library.shipped import proposals_dir

WIDE = """
import numpy as np
from markovwire import Kernel, Net
from markovwire.analysis import Query, tv_band
from markovwire.types import Range
T = Range(2000)
net = Net()
net.add_box("a", Kernel(np.full(2000, 1 / 2000), [], [("x", T)]), [], ["x"])
net.add_box("b", Kernel(np.full((2000, 2), 0.5), [("x", T)], [("y", Range(2))], check=False), ["x"], ["y"])
q = Query.probability({"y": "0"})
"""


def test_two_balls_with_2000_outputs_keep_the_band_and_say_why_no_exact_interval():
    r = limits.run_python(WIDE + """
band = tv_band(net, q, {"a": 0.3, "b": 0.3})
print(band.half_width, band.exact_lower)
print(band.exact_note)
""")
    assert r.clean and r.returncode == 0, str(r)
    first, note = r.stdout.splitlines()[:2]
    assert first == "0.6 None"
    assert note == ("the TV balls of a have too many vertex combinations to enumerate (with b solved by its linear "
                    "programme), over the budget of 20,000; "
                    "give fewer instances a radius (tv_radius, --tv), or raise max_combinations in Python (tv_band)")


def test_one_ball_with_2000_outputs_is_solved_by_its_linear_programme():
    r = limits.run_python(WIDE + """
band = tv_band(net, q, {"a": 0.3})
print(band.exact_lower, band.exact_upper)
""")
    assert r.clean and r.returncode == 0, str(r)
    assert [round(float(x), 12) for x in r.stdout.split()] == [0.5, 0.5]    # y is a fair coin whatever x is


def test_a_ball_with_many_rows_is_not_enumerated():
    r = limits.run_python("""
import numpy as np
from markovwire import Kernel, Net
from markovwire.analysis import Query, tv_band
from markovwire.types import Range
net = Net()
net.add_box("a", Kernel(np.full(50, 1 / 50), [], [("x", Range(50))]), [], ["x"])
net.add_box("b", Kernel(np.full((50, 2), 0.5), [("x", Range(50))], [("y", Range(2))]), ["x"], ["y"])
net.add_box("c", Kernel(np.full((2, 2), 0.5), [("y", Range(2))], [("z", Range(2))]), ["y"], ["z"])
band = tv_band(net, Query.probability({"z": "0"}), {"a": 0.1, "b": 0.1, "c": 0.1})
print(band.half_width)
print(band.exact_note)
""")
    assert r.clean and r.returncode == 0, str(r)
    half, note = r.stdout.splitlines()[:2]
    assert round(float(half), 12) == 0.3
    assert note.startswith("the TV balls of c, a have too many vertex combinations to enumerate (with b solved by its "
                           "linear programme), over the budget of 20,000")


def test_the_command_line_says_when_three_radii_are_past_the_vertex_budget():
    r = limits.run_cli(["eval", str(proposals_dir() / "credal_control.yaml"), "-q", "p_catastrophe",
                        "--tv", "auditor=0.01", "--tv", "policy=0.01", "--json"])
    assert r.clean and r.returncode == 0, str(r)
    band = json.loads(r.stdout)["bands"]["p_catastrophe"]
    assert band["exact"] is None and band["half_width"] == 1.0
    assert band["exact_note"] == ("it needs 110,592 vertex combinations of the TV balls of monitor, policy (with "
                                  "auditor solved by its linear programme), over the budget of 20,000; give fewer "
                                  "instances a radius (tv_radius, --tv), or raise max_combinations in Python (tv_band)")
