"""Where an optimum is: the set within tolerance, a deterministic representative, and edges (issue 10).

A flat objective's argmax is decided by floating-point noise; these tests add such noise
(1e-14) and ask for the same answer, and check the set against the exact one.
"""
import json

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from markovwire import FinSet, Kernel, Net, Parameter
from markovwire.analysis import Axis, Query, maximise, minimise, worst_case

H = 1 / 2000                                             # the default 1-D grid's spacing on [0, 1]
X = [Axis("x", 0.0, 1.0, domain=(0.0, 1.0))]


def noisy(f, seed, size=1e-14):
    """``f`` with independent noise of relative size ``size`` on every value, as another machine might give."""
    rng = np.random.default_rng(seed)
    return lambda p: (v := np.asarray(f(p), dtype=float)) * (1 + size * rng.standard_normal(v.shape))


@settings(max_examples=40, deadline=None)
@given(c=st.floats(0.0, 0.99), scale=st.sampled_from([1e-3, 1.0, 1e3]), offset=st.sampled_from([0.0, -5.0, 2e3]),
       seed=st.integers(0, 2**32 - 1))
def test_a_flat_top_is_reported_as_the_set_and_its_representative_ignores_noise(c, scale, offset, seed):
    # a rise of about the tolerance (scale·c ≈ 1e-9) puts x = 0 on the set's edge, where noise decides: not asked
    assume(c == 0 or scale * c > 1e-6)
    f = lambda p: offset + scale * np.minimum(p["x"], c)
    clean, dirty = maximise(f, X), maximise(noisy(f, seed), X)
    lo, hi = clean.optimum["x"]
    assert c - clean.tolerance / scale - H <= lo <= c + H and hi == 1.0   # [c, 1] to grid resolution
    assert clean.flat and clean.pieces == 1 and clean.on_edge["x"] in ("upper", "both")
    assert clean.choice == {"x": lo}                        # the representative: the set's lower end
    assert abs(f(clean.choice) - clean.value) <= clean.tolerance
    assert clean.tolerance == pytest.approx(1e-9 * max(1.0, abs(offset + scale * c)))
    # the same answer under noise: the representative and the set do not depend on it
    assert dirty.choice == clean.choice and dirty.optimum == clean.optimum and dirty.on_edge == clean.on_edge
    assert dirty.value == pytest.approx(clean.value, rel=1e-12, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(x0=st.floats(0.05, 0.95), k=st.floats(0.1, 100.0), seed=st.integers(0, 2**32 - 1))
def test_a_strict_optimum_is_a_narrow_set_around_it_and_not_on_the_edge(x0, k, seed):
    f = lambda p: -k * (p["x"] - x0) ** 2
    for out in (maximise(f, X), maximise(noisy(f, seed), X)):
        lo, hi = out.optimum["x"]
        assert lo - H <= x0 <= hi + H and hi - lo <= 2 * H
        assert not out.flat and out.pieces == 1 and out.on_edge == {} and out.edge_notes == []
        assert out.choice["x"] == pytest.approx(x0, abs=np.sqrt(2e-9 / k) + 1e-9)
        assert out.location == f"x = {out.choice['x']:.6g}"


@settings(max_examples=30, deadline=None)
@given(power=st.floats(0.2, 5.0), up=st.booleans(), lo=st.floats(0.0, 0.4), hi=st.floats(0.6, 1.0))
def test_a_monotone_objective_is_flagged_at_the_end_it_rises_to(power, up, lo, hi):
    f = lambda p: (p["x"] if up else 1 - p["x"]) ** power
    out = maximise(f, [Axis("x", lo, hi, domain=(0.0, 1.0))])
    end = "upper" if up else "lower"
    assert out.on_edge == {"x": end} and out.choice["x"] == (hi if up else lo)
    (note,) = out.edge_notes
    if (hi if up else lo) in (0.0, 1.0):                   # the end of the domain: nothing to widen
        assert note.startswith(f"x at the {end} end of its domain [") and "--range" not in note
    else:
        assert note.startswith(f"x at the {end} end of the searched range [{lo:.6g}, {hi:.6g}]; ")
        assert "widen with --range x=LO:HI" in note
    # minimising the same objective flags the other end
    low = minimise(f, [Axis("x", lo, hi, domain=(0.0, 1.0))])
    assert low.on_edge == {"x": "lower" if up else "upper"}


def test_a_constant_objective_is_optimal_everywhere_and_says_so():
    out = maximise(lambda p: np.full(len(p["x"]), 0.5), [Axis("x", 0.2, 0.7, domain=(0.0, 1.0))])
    assert out.optimum == {"x": (0.2, 0.7)} and out.on_edge == {"x": "both"} and out.choice == {"x": 0.2}
    assert out.edge_notes == ["x optimal over all of the searched range [0.2, 0.7]; "
                              "widen with --range x=LO:HI (bounds= from Python)"]


def test_two_separate_optima_are_two_pieces_not_one_interval():
    f = lambda p: -np.minimum((p["x"] - 0.2) ** 2, (p["x"] - 0.8) ** 2)
    out = maximise(f, X)
    assert out.pieces == 2 and out.flat and out.optimum["x"] == pytest.approx((0.2, 0.8))
    assert out.choice == {"x": pytest.approx(0.2)} and out.on_edge == {}
    assert "hull of 2 separate regions within 1e-9 of the optimum" in out.location
    # two equal peaks narrower than the grid: the refined points are the pieces
    g = lambda p: 1 - 10 * np.minimum((p["x"] - 0.30013) ** 2, (p["x"] - 0.70037) ** 2)
    narrow = maximise(g, X)
    assert narrow.pieces == 2 and narrow.optimum["x"] == pytest.approx((0.30013, 0.70037), abs=1e-6)
    assert narrow.choice["x"] == pytest.approx(0.30013, abs=1e-6)


@settings(max_examples=15, deadline=None)
@given(c=st.floats(0.05, 0.9), y0=st.floats(0.1, 0.9), seed=st.integers(0, 2**32 - 1))
def test_two_parameters_flat_in_one_strict_in_the_other(c, y0, seed):
    f = lambda p: np.minimum(p["x"], c) - (p["y"] - y0) ** 2
    axes = [Axis("x", 0.0, 1.0), Axis("y", 0.0, 1.0)]
    clean, dirty = maximise(f, axes), maximise(noisy(f, seed), axes)
    h = 1 / 200
    (xlo, xhi), (ylo, yhi) = clean.optimum["x"], clean.optimum["y"]
    assert c - h <= xlo <= c + h and xhi == 1.0 and yhi - ylo <= 2 * h and ylo - h <= y0 <= yhi + h
    assert clean.flat and clean.pieces == 1 and clean.on_edge == {"x": "upper"}
    # under noise: the flat parameter's set and representative are the same; the strict one moves only as
    # far as the noise lets any method locate a quadratic peak: values within 1e-14 of the top lie within
    # sqrt(1e-14) = 1e-7 of y0, so its location is known to a few 1e-7
    assert dirty.choice["x"] == clean.choice["x"] == xlo and dirty.optimum["x"] == clean.optimum["x"]
    assert dirty.choice["y"] == pytest.approx(clean.choice["y"], abs=1e-6)
    assert dirty.optimum["y"] == pytest.approx(clean.optimum["y"], abs=1e-6)


def test_integer_axes_report_every_optimal_value():
    out = maximise(lambda p: -np.abs(p["n"] - 7.5), [Axis("n", 0, 20, integer=True)])
    assert out.optimum == {"n": (7.0, 8.0)} and out.flat and out.choice == {"n": 7.0}
    assert out.location.startswith("n ∈ [7, 8] (flat")


# ----- through worst_case: the data and the text ---------------------------------------------------
def saturating_net():
    """P(an attack lands) over T tasks at attack rate beta: flat (to 1e-12) once beta T is large."""
    Bool = FinSet("Bool", ["no", "yes"])
    beta = Parameter("beta", (0, 1), default=0.1)
    b = beta.symbol
    net = Net()
    net.add_box("episode", Kernel([(1 - b) ** 400, 1 - (1 - b) ** 400], [], [Bool], params=[beta]), [], ["landed"])
    return net


def test_worst_case_reports_the_flat_set_with_a_representative_and_edge():
    net = saturating_net()
    q = Query.probability({"landed": "yes"})
    res = worst_case(net, q, over=["beta"], sense="max")
    lo, hi = res.optimum["beta"]
    exact_lo = 1 - (1e-9 / 1.0) ** (1 / 400)                 # (1 - beta)^400 <= 1e-9 from here on
    assert exact_lo - H <= lo <= exact_lo + H and hi == 1.0 and res.choice == {"beta": lo}
    assert res.on_edge == {"beta": "upper"} and res.tolerance == pytest.approx(1e-9)
    text = str(res)
    assert f"at beta ∈ [{lo:.6g}, 1] (flat: within 1e-9 of the optimum; representative beta = {lo:.6g})" in text
    assert "\n  on the edge: beta at the upper end of its domain [0, 1]\n" in text
    capped = worst_case(net, q, over=["beta"], sense="max", bounds={"beta": (0, 0.01)})
    assert not capped.flat and capped.choice == {"beta": 0.01} and capped.on_edge == {"beta": "upper"}
    assert "at the upper end of the searched range [0, 0.01]; widen with --range beta=LO:HI" in str(capped)
    wide = worst_case(net, q, over=["beta"], sense="max", within=1e-3)   # a looser tolerance, a wider set
    assert wide.optimum["beta"][0] < lo and wide.tolerance == pytest.approx(1e-3)


def test_to_dict_is_json_and_keeps_the_keys_readers_use():
    res = worst_case(saturating_net(), Query.probability({"landed": "yes"}), over=["beta"], sense="max")
    d = json.loads(json.dumps(res.to_dict()))
    assert {"value", "choice", "sense", "query", "certified", "method"} <= set(d)
    assert d["optimum"] == {"beta": [res.optimum["beta"][0], 1.0]} and d["on_edge"] == {"beta": "upper"}
    assert d["flat"] is True and d["pieces"] == 1 and d["tolerance"] == res.tolerance
    assert d["choice"] == {"beta": res.optimum["beta"][0]} and d["ranges"] == {"beta": [0.0, 1.0]}
    assert d["location"] == res.location and d["edge_notes"] == res.edge_notes
