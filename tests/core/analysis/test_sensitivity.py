"""Sensitivities: symbolic and batched central differences against closed-form derivatives."""
import math

import numpy as np
import pytest

from markovwire import FinSet, Kernel, Net, Parameter, ParameterError, ShapeError
from markovwire.analysis import Query, derivative, sensitivities

from analysis_helpers import monitor_net

BOOL = FinSet("Bool", ["no", "yes"])


@pytest.mark.parametrize("method", ["symbolic", "numeric"])
@pytest.mark.parametrize("b, r", [(0.1, 0.7), (0.5, 0.2)])
def test_derivatives_of_a_posterior_match_the_closed_form(method, b, r):
    net = monitor_net()
    q = Query.probability({"act": "attack"}, given={"verdict": "flag"})
    # q = b r / (b r + (1 - b) 0.05)
    den = b * r + (1 - b) * 0.05
    d_b = (r * den - b * r * (r - 0.05)) / den ** 2
    d_r = (b * den - b * r * b) / den ** 2
    table = sensitivities(net, q, values={"beta": b, "r": r}, method=method)
    assert table.value == pytest.approx(b * r / den)
    assert table["beta"].derivative == pytest.approx(d_b, rel=1e-8)
    assert table["r"].derivative == pytest.approx(d_r, rel=1e-8)
    assert table["beta"].elasticity == pytest.approx(b * d_b / table.value, rel=1e-8)
    by_derivative = sorted(["beta", "r"], key=lambda n: -abs({"beta": d_b, "r": d_r}[n]))
    by_elasticity = sorted(["beta", "r"], key=lambda n: -abs({"beta": b * d_b, "r": r * d_r}[n]))
    assert [row.parameter for row in table.rows] == by_derivative
    by_el = sensitivities(net, q, values={"beta": b, "r": r}, method=method, rank_by="elasticity")
    assert [row.parameter for row in by_el.rows] == by_elasticity
    assert ("symbolic" in table.method) == (method == "symbolic")


def test_one_sided_formulas_at_the_edges_of_the_domain():
    net = monitor_net()
    q = Query.probability({"act": "attack", "verdict": "pass"})      # beta (1 - r)
    for values in ({"beta": 0.0, "r": 1.0}, {"beta": 1.0, "r": 0.0}):
        num = sensitivities(net, q, values=values, method="numeric")
        assert num["beta"].derivative == pytest.approx(1 - values["r"], abs=1e-8)
        assert num["r"].derivative == pytest.approx(-values["beta"], abs=1e-8)


def test_a_large_net_uses_the_batched_differences_and_agrees_with_the_closed_form():
    h = Parameter("h", (0, 1), default=0.02)
    S = FinSet("S", ["ok", "failed"])
    step = Kernel([[1 - h, h], [0, 1]], [S], [S], params=[h])
    net = Net()
    net.add_box("start", Kernel.point([S], "ok"), [], ["s0"])
    T = 80
    for t in range(T):
        net.add_box(f"step{t}", step, [f"s{t}"], [f"s{t + 1}"])
    table = sensitivities(net, Query.probability({f"s{T}": "failed"}))
    assert "central differences" in table.method
    assert table["h"].derivative == pytest.approx(T * 0.98 ** (T - 1), rel=1e-8)
    assert derivative(net, Query.probability({f"s{T}": "failed"}), "h", {"h": 0.1}) == pytest.approx(
        T * 0.9 ** (T - 1), rel=1e-7)


def test_integer_parameters_get_a_unit_difference():
    n = Parameter("n", (1, 5), default=2, integer=True)
    p = Parameter("p", (0, 1), default=0.3)
    x, y = p.symbol, n.symbol
    net = Net()
    net.add_box("best_of_n", Kernel([(1 - x) ** y, 1 - (1 - x) ** y], [], [BOOL], params=[n, p]), [], ["good"])
    table = sensitivities(net, Query.probability({"good": "yes"}))
    assert table["n"].kind == "difference"
    assert table["n"].derivative == pytest.approx(0.7 ** 2 - 0.7 ** 3)
    top = sensitivities(net, Query.probability({"good": "yes"}), values={"n": 5})
    assert top["n"].derivative == pytest.approx(0.7 ** 4 - 0.7 ** 5)
    assert table["p"].derivative == pytest.approx(2 * 0.7)
    assert "(Δ=1)" in str(table)


def test_zero_query_has_no_elasticity_and_errors_are_clear():
    net = monitor_net()
    table = sensitivities(net, Query.probability({"act": "attack"}), values={"beta": 0.0})
    assert math.isnan(table["beta"].elasticity) and table.to_dict()["rows"][0]["elasticity"] is None
    with pytest.raises(ParameterError, match="unknown parameter 'gamma'"):
        sensitivities(net, Query.probability({"act": "attack"}), ["gamma"])
    with pytest.raises(ShapeError, match="unknown method 'complex'"):
        sensitivities(net, Query.probability({"act": "attack"}), method="complex")
    with pytest.raises(ParameterError, match="'beta': is given an array of values"):
        sensitivities(net, Query.probability({"act": "attack"}), values={"beta": np.array([0.1, 0.2])})
    text = str(sensitivities(net, Query.probability({"verdict": "flag"})))
    assert text.splitlines()[0] == "P(verdict=flag) = 0.115 (symbolic derivatives)"
