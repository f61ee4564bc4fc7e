"""Robustness certificates: the TV composition band never fails under random perturbations; §5 numbers."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from markovwire import FinSet, Kernel, Net, ParameterError, UnknownName
from markovwire.analysis import Query, chain_tv_band, perturbed, tv_band, tv_from_kl

from analysis_helpers import monitor_net, random_net, random_query

F = FinSet("Status", ["ok", "failed"])


def perturb_net(net: Net, radii: dict, rng) -> Net:
    other = net.clone()
    other.boxes = [type(b)(b.name, perturbed(b.kernel, radii[b.name], rng), b.inputs, b.outputs)
                   if radii.get(b.name, 0) > 0 else b for b in net.boxes]
    return other


def test_band_sums_only_the_boxes_that_can_reach_the_query():
    net = monitor_net()
    band = tv_band(net, Query.probability({"act": "attack"}), {"policy": 0.01, "monitor": 0.05})
    assert band.radii == {"policy": 0.01} and band.ignored == ["monitor"]
    assert (band.value, band.half_width, band.lower, band.upper) == pytest.approx((0.1, 0.01, 0.09, 0.11))
    both = tv_band(net, Query.probability({"verdict": "flag"}), {"policy": 0.01, "monitor": 0.05})
    assert both.half_width == pytest.approx(0.06) and both.ignored == []
    cost = Query.expectation(["act", "verdict"], {("attack", "pass"): 10.0, ("clean", "flag"): -2.0})
    scaled = tv_band(net, cost, {"monitor": 0.05})
    assert scaled.half_width == pytest.approx(12 * 0.05)
    edge = tv_band(net, Query.probability({"act": "attack"}), {"policy": 0.3}, values={"beta": 0.0})
    assert edge.lower == 0.0 and edge.upper == pytest.approx(0.3)     # clipped to the range of a probability
    sweep = tv_band(net, Query.probability({"verdict": "flag"}), {"monitor": 0.05},
                    values={"beta": np.array([0.0, 0.5])})
    assert np.shape(sweep.value) == (2,) and np.allclose(sweep.half_width, 0.05)
    assert "2 sweep points" in str(sweep) and sweep.to_dict()["half_width"] == pytest.approx([0.05, 0.05])


@settings(max_examples=60)
@given(seed=st.integers(0, 2**32 - 1), kind=st.sampled_from(["event", "expectation", "conditional"]))
def test_random_perturbations_never_leave_the_band(seed, kind):
    rng = np.random.default_rng(seed)
    net = random_net(rng, n_boxes=int(rng.integers(2, 6)))
    q = random_query(rng, net, kind)
    radii = {b.name: float(rng.choice([0.0, rng.uniform(0, 0.1)])) for b in net.boxes}
    band = tv_band(net, q, radii)
    for _ in range(5):
        moved = perturb_net(net, radii, rng)
        for b, e in radii.items():
            assert moved.box(b).kernel.tv(net.box(b).kernel) <= e + 1e-12
        try:
            v = q.value(moved)
        except Exception as err:
            assert "probability zero" in str(err)
            continue
        assert band.lower - 1e-12 <= v <= band.upper + 1e-12
        assert abs(v - band.value) <= band.half_width + 1e-12


def hazard_chain(T: int, hazard: float) -> Net:
    net = Net()
    net.add_box("start", Kernel.point([F], "ok"), [], ["s0"])
    step = Kernel([[1 - hazard, hazard], [0, 1]], [F], [F], name="step")
    for t in range(T):
        net.add_box(f"step{t + 1}", step, [f"s{t}"], [f"s{t + 1}"])
    return net


@pytest.mark.parametrize("T, real, model, difference, bound", [(10, 0.095618, 0.048890, 0.046728, 0.05),
                                                              (100, None, None, 0.2397, 0.5)])
def test_alignment_section_5_tightness_example(T, real, model, difference, bound):
    q = Query.probability({f"s{T}": "failed"})
    p_real, p_model = q.value(hazard_chain(T, 0.01)), q.value(hazard_chain(T, 0.005))
    assert p_real == pytest.approx(1 - 0.99 ** T) and p_model == pytest.approx(1 - 0.995 ** T)
    if real is not None:
        assert (round(p_real, 6), round(p_model, 6), round(p_real - p_model, 6)) == (real, model, difference)
    else:
        assert round(p_real - p_model, 4) == difference
    model_net = hazard_chain(T, 0.005)
    radii = {f"step{t + 1}": 0.005 for t in range(T)}
    band = tv_band(model_net, q, radii)
    assert band.half_width == pytest.approx(bound) and band.lower <= p_real <= band.upper
    chain = chain_tv_band(np.array([[0.995, 0.005], [0, 1]]), [1.0, 0.0], [0.0, 1.0], T, 0.005)
    assert chain.value == pytest.approx(p_model) and chain.half_width == pytest.approx(bound)
    assert chain.lower <= p_real <= chain.upper


def test_errors_and_helpers():
    net = monitor_net()
    with pytest.raises(UnknownName, match="TV radii: name box 'auditor', which is not in the net"):
        tv_band(net, Query.probability({"verdict": "flag"}), {"auditor": 0.1})
    with pytest.raises(ParameterError, match=r"TV radius of box 'monitor': 1.5 is outside \[0, 1\]"):
        tv_band(net, Query.probability({"verdict": "flag"}), {"monitor": 1.5})
    with pytest.raises(ParameterError, match="KL divergence: -1 is negative"):
        tv_from_kl(-1)
    rng = np.random.default_rng(0)
    for _ in range(50):
        p, q = rng.dirichlet(np.ones(4)), rng.dirichlet(np.ones(4))
        a, b = Kernel(p, [], [FinSet("X", "abcd")]), Kernel(q, [], [FinSet("X", "abcd")])
        assert a.tv(b) <= tv_from_kl(a.kl(b)) + 1e-12
