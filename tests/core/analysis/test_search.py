"""The bounded search engine: Brent's method, grids, refinement, certified brackets, integer axes."""
import math

import numpy as np
import pytest

from markovwire import ParameterError
from markovwire.analysis import Axis, brent_min, maximise, minimise
from markovwire.analysis.search import axes_for
from markovwire.params import Parameter


@pytest.mark.parametrize("f, a, b, xmin, ftol", [
    (lambda t: (t - 2.0) ** 2, 0.0, 5.0, 2.0, 1e-14),
    (lambda t: math.cos(t), 2.0, 5.0, math.pi, 1e-14),
    (lambda t: abs(t - 0.123456789), 0.0, 1.0, 0.123456789, 1e-8),   # a kink: the value error is linear in x
    (lambda t: t * math.log(t), 1e-9, 1.0, math.exp(-1), 1e-14),
])
def test_brent_finds_the_minimum_of_unimodal_functions(f, a, b, xmin, ftol):
    x, fx, n = brent_min(f, a, b, xtol=1e-12)
    assert x == pytest.approx(xmin, abs=1e-7)
    assert fx == pytest.approx(f(xmin), abs=ftol)
    assert n < 120


def test_brent_uses_the_given_start_and_never_leaves_the_interval():
    seen = []
    f = lambda t: (seen.append(t), (t - 0.9) ** 2)[1]
    x, fx, n = brent_min(f, 0.5, 1.0, x=0.55, fx=f(0.55))
    assert all(0.5 <= t <= 1.0 for t in seen) and x == pytest.approx(0.9, abs=1e-7)


def test_maximise_refines_beyond_the_grid_and_certifies_with_lipschitz():
    f = lambda p: np.sin(3 * p["x"]) * np.exp(-p["x"])       # max at tan(3x) = 3 in [0, 2]
    out = maximise(f, [Axis("x", 0.0, 2.0)], grid=11, lipschitz=3.0)
    x_star = math.atan(3) / 3
    assert out.choice["x"] == pytest.approx(x_star, abs=1e-7)
    assert out.value == pytest.approx(math.sin(3 * x_star) * math.exp(-x_star), abs=1e-12)
    assert out.certified and out.value <= out.bound
    grid_best = max(f({"x": np.linspace(0, 2, 11)}))
    assert out.bound == pytest.approx(grid_best + 3.0 * 0.2 / 2)


def test_two_peaks_the_narrower_and_higher_is_found_when_the_grid_resolves_it():
    f = lambda p: np.exp(-((p["x"] - 0.2) / 0.1) ** 2) + 1.2 * np.exp(-((p["x"] - 0.62) / 0.01) ** 2)
    out = maximise(f, [Axis("x", 0, 1)])
    assert out.choice["x"] == pytest.approx(0.62, abs=1e-6) and out.value == pytest.approx(1.2, abs=1e-7)
    coarse = maximise(f, [Axis("x", 0, 1)], grid=5)       # spacing 0.25 cannot see the narrow peak
    assert coarse.choice["x"] == pytest.approx(0.2, abs=1e-3) and not coarse.certified
    # but the best few grid optima are all refined: a second peak seen by the grid is not lost
    seen = maximise(f, [Axis("x", 0, 1)], grid=6)         # 0.6 lies on the narrow peak's flank
    assert seen.choice["x"] == pytest.approx(0.62, abs=1e-6)


def test_two_parameters_against_a_fine_brute_force_grid():
    f = lambda p: -(p["a"] - 0.31) ** 2 - 2 * (p["b"] - 0.77) ** 2 + 0.5 * p["a"] * p["b"]
    out = maximise(f, [Axis("a", 0, 1), Axis("b", 0, 1)])
    a, b = np.meshgrid(np.linspace(0, 1, 2001), np.linspace(0, 1, 2001), indexing="ij")
    brute = f({"a": a, "b": b}).max()
    assert brute <= out.value + 1e-9
    # the exact stationary point: d/da = -2(a-.31) + .5b = 0, d/db = -4(b-.77) + .5a = 0
    A = np.array([[-2, 0.5], [0.5, -4]])
    rhs = np.array([-0.62, -3.08])
    xa, xb = np.linalg.solve(A, rhs)
    assert out.choice["a"] == pytest.approx(xa, abs=1e-6) and out.choice["b"] == pytest.approx(xb, abs=1e-6)


def test_more_parameters_use_coordinate_search():
    target = np.array([0.2, 0.5, 0.9])
    f = lambda p: -sum((p[k] - t) ** 2 for k, t in zip("xyz", target))
    out = minimise(lambda p: -f(p), [Axis(k, 0, 1) for k in "xyz"])
    assert [out.choice[k] for k in "xyz"] == pytest.approx(list(target), abs=1e-6)
    assert "coordinate search" in out.method and not out.certified


def test_integer_axes_are_enumerated_exactly_and_nan_is_never_chosen():
    f = lambda p: np.where(p["n"] == 7, np.nan, -np.abs(p["n"] - 7.4))
    out = maximise(f, [Axis("n", 0, 20, integer=True)])
    assert out.choice["n"] == 8 and out.spacing == {"n": 0.0}
    wide = maximise(lambda p: -np.abs(p["n"] - 12345.0), [Axis("n", 0, 10**6, integer=True)])
    assert wide.choice["n"] == 12345


def test_a_batch_too_large_for_memory_is_split(budget):
    from markovwire import ContractionTooLarge
    calls = []

    def f(p):
        calls.append(len(p["x"]))
        if len(p["x"]) > 300:
            raise ContractionTooLarge("contraction", "too large", fix="split")
        return -(p["x"] - 0.5) ** 2
    out = maximise(f, [Axis("x", 0, 1)], grid=1001)
    assert out.choice["x"] == pytest.approx(0.5) and max(c for c in calls if c <= 300) <= 300


def test_axes_come_from_parameter_domains_and_bounds():
    params = {"beta": Parameter("beta", (0, 1)), "n": Parameter("n", (0.5, 9.5), integer=True),
              "w": Parameter("w")}
    axes = axes_for(params, ["beta", "n"], {"beta": (0.1, 0.2)})
    assert axes == [Axis("beta", 0.1, 0.2, domain=(0.0, 1.0)), Axis("n", 1.0, 9.0, True, domain=(1.0, 9.0))]
    with pytest.raises(ParameterError, match=r"has the unbounded domain \[-inf, inf\]\n  fix: give finite bounds"):
        axes_for(params, ["w"])
    with pytest.raises(ParameterError, match=r"bounds \[0.5, 2\] are not inside its domain \[0, 1\]"):
        axes_for(params, ["beta"], {"beta": (0.5, 2)})
    with pytest.raises(ParameterError, match="unknown parameter 'gamma'"):
        axes_for(params, ["gamma"])
    with pytest.raises(ParameterError, match="bounds given for 'n', which is not searched over"):
        axes_for(params, ["beta"], {"n": (1, 2)})
